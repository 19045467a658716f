//! Pieces every command uses: writing results to stdout or a checked output file, error chains.

use anyhow::Context;
use lotta::export::{Format, Frame, render};
use lotta::io::manifest::FileHash;
use lotta::io::output::OutputFile;
use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Check `--out` before any work: it must not be an input, a file lotta did not write, or its
/// manifest (see [`OutputFile`]).
pub fn check_out(out: Option<&Path>, inputs: &[PathBuf]) -> anyhow::Result<Option<OutputFile>> {
    Ok(out.map(|p| OutputFile::check(p, inputs)).transpose()?)
}

/// Where an output came from, for its manifest entry.
pub struct Provenance<'a> {
    pub command: &'a str,
    pub seed: Option<u64>,
    /// The inputs' hashes, taken from the bytes that were read.
    pub inputs: Vec<FileHash>,
}

/// The hashes of input files read by path (commands that do not read through `InputFile`).
pub fn hashes_of(paths: &[PathBuf]) -> anyhow::Result<Vec<FileHash>> {
    Ok(lotta::io::manifest::hash_inputs(paths)?)
}

/// Write `bytes` to the checked output file (with its manifest entry) or to stdout.
pub fn emit_bytes(
    bytes: &[u8],
    out: Option<&OutputFile>,
    provenance: &Provenance,
) -> anyhow::Result<()> {
    match out {
        Some(file) => file
            .write(
                bytes,
                provenance.command,
                provenance.seed,
                &provenance.inputs,
            )
            .with_context(|| format!("writing {}", file.path().display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).context("writing to stdout")?;
            Ok(())
        }
    }
}

/// Write a frame in `format` to the checked output file or to stdout.
pub fn emit(
    frame: &Frame,
    format: Format,
    out: Option<&OutputFile>,
    provenance: &Provenance,
) -> anyhow::Result<()> {
    emit_bytes(&render(frame, format), out, provenance)
}
