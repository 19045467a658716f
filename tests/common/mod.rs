//! Helpers shared by the end-to-end tests: run the binary, make small participants files.
#![allow(dead_code)]

pub mod tolerance;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `lotta` with `args` in `dir`.
pub fn lotta(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_lotta"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run lotta");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `n` participants p0001.. over sites A–C and genders, with municipalities within sites.
pub fn participants(n: usize) -> String {
    let mut s = String::from("person_id,site,gender,municipality,age,education_level\n");
    for i in 1..=n {
        let site = ["A", "B", "C"][(i * 7) % 3];
        let gender = ["F", "M"][(i * 5 / 3) % 2];
        let edu = ["primary", "secondary", "tertiary"][(i * 11) % 3];
        s.push_str(&format!(
            "p{i:04},{site},{gender},{site}-m{},{},{edu}\n",
            (i * 13) % 4,
            18 + (i * 37) % 47
        ));
    }
    s
}

/// The standard ad-hoc assign flags (stratified by site and gender, 2:1, global misfits).
pub const ASSIGN: &[&str] = &[
    "assign",
    "--participants",
    "p.csv",
    "--id",
    "person_id",
    "--arms",
    "md1:2,standard:1",
    "--strata",
    "site,gender",
    "--misfits",
    "global",
    "--seed",
    "42",
    "--ledger",
    "ledger.csv",
];

/// `lotta verify` of the ledger `ASSIGN` writes against its participants file.
pub const VERIFY: &[&str] = &[
    "verify",
    "--ledger",
    "ledger.csv",
    "--participants",
    "p.csv",
];

/// `args` with the value after `flag` replaced (or the flag appended).
pub fn with(args: &[&str], flag: &str, value: &str) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match v.iter().position(|a| a == flag) {
        Some(i) => v[i + 1] = value.to_string(),
        None => {
            v.push(flag.to_string());
            v.push(value.to_string());
        }
    }
    v
}

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A copy of the demo study and its data in a fresh folder (`studies/md1-demo`,
/// `data/md1-demo`), with each `(from, to)` replaced once in its study.toml (each `from` must
/// occur).
pub fn demo_copy(edits: &[(&str, &str)]) -> tempfile::TempDir {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["studies/md1-demo", "data/md1-demo"] {
        let to = dir.path().join(sub);
        std::fs::create_dir_all(&to).expect("mkdir");
        for entry in std::fs::read_dir(root.join(sub)).expect("read") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
    let spec = dir.path().join("studies/md1-demo/study.toml");
    let mut text = std::fs::read_to_string(&spec).expect("spec");
    for (from, to) in edits {
        assert!(text.contains(from), "the demo spec contains `{from}`");
        text = text.replacen(from, to, 1);
    }
    std::fs::write(&spec, text).expect("write");
    dir
}

/// Every file below `dir` (recursively), sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
