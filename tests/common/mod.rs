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
