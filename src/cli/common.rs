//! Pieces every command uses: writing results to stdout or a file, error chains.

use anyhow::Context;
use lotta::export::{Format, Frame, render};
use lotta::io::write_atomic;
use std::io::Write;
use std::path::Path;

/// The error and its causes on one line, separated by `: ` (each cause printed once).
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Write a frame to `out` (atomically) or to stdout.
#[allow(dead_code)] // until every command that prints tables uses it
pub fn emit(frame: &Frame, format: Format, out: Option<&Path>) -> anyhow::Result<()> {
    let bytes = render(frame, format);
    match out {
        Some(path) => {
            write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes).context("writing to stdout")?;
            Ok(())
        }
    }
}
