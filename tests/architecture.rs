//! The one-way flow, checked: files → io → settings → pure core → result rows → export/report →
//! files. The pure core never reaches back into io, settings, the command layer or the
//! operations, and never touches files, the environment, the clock or the terminal; no command
//! module imports another.

mod common;

use std::path::{Path, PathBuf};

/// The Rust files below `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    common::files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// The lines of a source file outside its `#[cfg(test)]` module (tests may use files).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("read");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        if !line.trim_start().starts_with("//") {
            out.push((i + 1, line.to_string()));
        }
    }
    out
}

const CORE: &[&str] = &[
    "design",
    "estimate",
    "cea",
    "balance.rs",
    "cea.rs",
    "power",
    "power.rs",
    "simulate",
    "simulate.rs",
    "linalg.rs",
    "rng.rs",
    "dist.rs",
    "categorical.rs",
    "survival",
    "plan",
    "targets",
];

const FORBIDDEN_IN_CORE: &[&str] = &[
    "crate::io",
    "crate::cli",
    "crate::ops",
    "crate::settings",
    "crate::spec",
    "crate::report",
    "crate::export",
    "crate::tidy",
    "std::fs",
    "std::env",
    "File::open",
    "File::create",
    "Instant::now",
    "SystemTime",
    "println!",
    "eprintln!",
];

#[test]
fn the_core_never_reaches_into_io_settings_commands_or_the_terminal() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for part in CORE {
        let path = src.join(part);
        let files = if path.is_dir() {
            sources(&path)
        } else {
            vec![path]
        };
        for file in files {
            for (n, line) in code_lines(&file) {
                for word in FORBIDDEN_IN_CORE {
                    if line.contains(word) {
                        found.push(format!("{}:{n}: {word}", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the core reaches back:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_command_imports_another_and_commands_stay_thin() {
    let cli = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let commands: Vec<String> = sources(&cli)
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        // `common` and `terminal` are the shared pieces every command uses, not commands.
        .filter(|s| s != "mod" && s != "common" && s != "terminal")
        .collect();
    let mut found = Vec::new();
    for file in sources(&cli) {
        let lines = code_lines(&file);
        for (n, line) in &lines {
            for other in &commands {
                if line.contains(&format!("crate::cli::{other}"))
                    || line.contains(&format!("cli::{{{other}"))
                    || line.contains(&format!("super::{other}"))
                {
                    found.push(format!(
                        "{}:{n}: imports the command `{other}`",
                        file.display()
                    ));
                }
            }
        }
        if lines.len() > 400 {
            found.push(format!("{}: {} lines of code", file.display(), lines.len()));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn library_types_do_not_derive_clap() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for file in sources(&src) {
        if file.starts_with(src.join("cli")) || file.ends_with("main.rs") {
            continue;
        }
        for (n, line) in code_lines(&file) {
            if line.contains("clap::") {
                found.push(format!("{}:{n}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "clap outside the command layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn settings_never_reach_into_io_operations_or_commands() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for file in sources(&src.join("settings")) {
        for (n, line) in code_lines(&file) {
            for word in [
                "crate::io",
                "crate::ops",
                "crate::cli",
                "std::fs",
                "File::open",
            ] {
                if line.contains(word) {
                    found.push(format!("{}:{n}: {word}", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "settings reach downstream:\n{}",
        found.join("\n")
    );
}
