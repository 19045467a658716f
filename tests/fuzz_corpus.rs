//! The fuzz corpus replayed (issue 10): every input in `fuzz/corpus/<target>/` goes through the
//! same entry point as its fuzz target, so `cargo test` keeps every crash the fuzzers found (and
//! the seeds) from coming back, without a nightly toolchain.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8]) -> bool) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut ok = 0;
    for file in &files {
        if run(&std::fs::read(file).unwrap()) {
            ok += 1;
        }
    }
    (files.len(), ok)
}

#[test]
fn the_csv_corpus_never_panics() {
    let (n, ok) = replay("csv", lotta::fuzzing::csv);
    assert!(n >= 3 && ok >= 1, "{n} inputs, {ok} read");
}

#[test]
fn the_study_toml_corpus_never_panics() {
    let (n, ok) = replay("study_toml", lotta::fuzzing::study_toml);
    assert!(n >= 1 && ok >= 1, "{n} inputs, {ok} resolved");
}

#[test]
fn the_ledger_corpus_never_panics() {
    let (n, ok) = replay("ledger", lotta::fuzzing::ledger);
    assert!(n >= 1 && ok >= 1, "{n} inputs, {ok} parsed");
}
