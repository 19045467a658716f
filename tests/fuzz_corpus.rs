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

/// The ledger target reaches format v2: the v2 golden ledger with its own design file parses,
/// and the same ledger with one arm changed does not (its block hash no longer matches).
#[test]
fn the_ledger_target_reads_format_v2_and_refuses_a_changed_row() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v2");
    let design = std::fs::read(golden.join("blocks.csv.design.json")).unwrap();
    let rows = std::fs::read(golden.join("blocks.csv")).unwrap();
    let input = |rows: &[u8]| [&[1u8][..], &design, &[0u8], rows].concat();
    assert!(lotta::fuzzing::ledger(&input(&rows)));
    let text = String::from_utf8(rows).unwrap();
    assert!(text.contains("P002,md1,"));
    let changed = text.replacen("P002,md1,", "P002,standard,", 1);
    assert!(!lotta::fuzzing::ledger(&input(changed.as_bytes())));
}
