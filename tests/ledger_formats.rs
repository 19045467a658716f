//! The two ledger formats end to end (docs/randomization.md §6): a `lotta-ledger/1` ledger
//! written by lotta before v2 (tests/fixtures/ledger-v1) is verified, extended in v1, estimated
//! and run as before, and a changed row of it is named; new ledgers are v2, unless v1 is asked
//! for by flag or spec key, and a ledger never changes format; a changed v2 row is named by line
//! and column although its block has one hash, whether the chain was left broken or forged.

mod common;
use common::{ASSIGN, VERIFY, lotta, participants, strs, with};
use std::fs;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v1")
}

/// A copy of the v1 fixture study to work on.
fn v1_study() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The other arm of a ledger line of the md1/standard designs.
fn flip_arm(line: &str) -> String {
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[1] = if cells[1] == "md1" { "standard" } else { "md1" };
    cells.join(",")
}

#[test]
fn an_old_v1_ledger_verifies_and_estimates_as_before() {
    let dir = v1_study();
    let out = lotta(dir.path(), &["verify", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("240 rows in 2 batch(es)"),
        "{}",
        out.stdout
    );
    // The effects as main's lotta computed them from this ledger, to the last digit.
    let out = lotta(dir.path(), &["estimate", ".", "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let want = fs::read_to_string(fixture().join("estimate-main.csv")).unwrap();
    assert_eq!(out.stdout, want);
    let out = lotta(dir.path(), &["run", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn an_old_v1_ledger_is_extended_in_v1() {
    let dir = v1_study();
    let ledger = dir.path().join("ledger.csv");
    let before = fs::read_to_string(&ledger).unwrap();
    let sidecar = fs::read(dir.path().join("ledger.csv.design.json")).unwrap();
    let out = lotta(dir.path(), &["assign", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("60 new participants as batch 3"),
        "{}",
        out.stderr
    );
    let after = fs::read_to_string(&ledger).unwrap();
    assert!(after.starts_with(&before), "earlier rows changed");
    assert_eq!(
        fs::read(dir.path().join("ledger.csv.design.json")).unwrap(),
        sidecar
    );
    // Every new row carries its own hash, as v1 rows do.
    let new: Vec<&str> = after.lines().skip(241).collect();
    assert_eq!(new.len(), 60);
    assert!(
        new.iter()
            .all(|l| l.rsplit_once(',').unwrap().1.len() == 64)
    );
    let out = lotta(dir.path(), &["verify", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("300 rows in 3 batch(es)"),
        "{}",
        out.stdout
    );
    assert_eq!(lotta(dir.path(), &["run", "."]).code, 0);
    // A v1 ledger stays v1: asking for v2 is refused, naming the flag.
    let out = lotta(dir.path(), &["assign", ".", "--ledger-format", "v2"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--ledger-format"), "{}", out.stderr);
    assert!(out.stderr.contains("lotta-ledger/1"), "{}", out.stderr);
}

#[test]
fn a_changed_row_of_an_old_v1_ledger_is_named() {
    let dir = v1_study();
    let path = dir.path().join("ledger.csv");
    let mut ledger = lines(&path);
    ledger[100] = flip_arm(&ledger[100]);
    write_lines(&path, &ledger);
    for args in [&["verify", "."][..], &["assign", "."], &["estimate", "."]] {
        let out = lotta(dir.path(), args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("ledger.csv: line 101, column 8 (`hash`)"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

fn assigned(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(2500)).unwrap();
    let out = lotta(dir.path(), args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir
}

#[test]
fn new_ledgers_are_v2_unless_v1_is_asked_for() {
    let dir = assigned(ASSIGN);
    let sidecar = fs::read_to_string(dir.path().join("ledger.csv.design.json")).unwrap();
    assert!(
        sidecar.contains("\"format\": \"lotta-ledger/2\""),
        "{sidecar}"
    );
    let ledger = lines(&dir.path().join("ledger.csv"));
    let hashed: Vec<usize> = (1..ledger.len())
        .filter(|&i| !ledger[i].ends_with(','))
        .collect();
    assert_eq!(hashed, [1024, 2048, 2500]);
    assert_eq!(lotta(dir.path(), VERIFY).code, 0);
    // The same assignment as v1.
    let v1 = assigned(&strs(&with(ASSIGN, "--ledger-format", "v1")));
    let v1_ledger = lines(&v1.path().join("ledger.csv"));
    let cells = |l: &String| l.rsplit_once(',').unwrap().0.to_string();
    assert_eq!(
        ledger.iter().map(cells).collect::<Vec<_>>(),
        v1_ledger.iter().map(cells).collect::<Vec<_>>()
    );
    assert!(v1_ledger[1..].iter().all(|l| !l.ends_with(',')));
    // The spec key.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(30)).unwrap();
    let spec = "[study]\nname = \"t\"\nseed = 7\n[data]\nid = \"person_id\"\nparticipants = \"p.csv\"\nledger = \"ledger.csv\"\n[design]\narms = { a = 1, b = 1 }\nledger_format = \"v1\"\n";
    fs::write(dir.path().join("study.toml"), spec).unwrap();
    assert_eq!(lotta(dir.path(), &["assign", "."]).code, 0);
    let sidecar = fs::read_to_string(dir.path().join("ledger.csv.design.json")).unwrap();
    assert!(
        sidecar.contains("\"format\": \"lotta-ledger/1\""),
        "{sidecar}"
    );
    fs::write(
        dir.path().join("study.toml"),
        spec.replace("\"v1\"", "\"v3\""),
    )
    .unwrap();
    let out = lotta(dir.path(), &["assign", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("design.ledger_format") && out.stderr.contains("v3"),
        "{}",
        out.stderr
    );
}

/// A changed arm in the middle of a v2 block (the block's hash left as it was) is named by its
/// line and column, by `verify` and by `assign`, as in v1.
#[test]
fn a_changed_v2_row_is_named() {
    let dir = assigned(ASSIGN);
    let path = dir.path().join("ledger.csv");
    let mut ledger = lines(&path);
    ledger[1500] = flip_arm(&ledger[1500]);
    write_lines(&path, &ledger);
    for args in [VERIFY, ASSIGN] {
        let out = lotta(dir.path(), args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("ledger.csv: line 1501, column 2 (`arm`)"),
            "{}",
            out.stderr
        );
    }
}

/// A row whose text changes but whose value does not (`0.5` written `0.50`) is found through
/// the block's hash and named by its text.
#[test]
fn a_reworded_v2_cell_is_named() {
    let dir = assigned(ASSIGN);
    let path = dir.path().join("ledger.csv");
    let mut ledger = lines(&path);
    let mut cells: Vec<String> = ledger[30].split(',').map(String::from).collect();
    cells[5] = format!("0{}", cells[5]);
    ledger[30] = cells.join(",");
    write_lines(&path, &ledger);
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("ledger.csv: line 31, column 6 (`position`)"),
        "{}",
        out.stderr
    );
}

/// A forger who changes an arm and recomputes every block's hash (and removes the manifest)
/// is caught by the re-derivation, naming the row.
#[test]
fn a_forged_v2_row_with_a_recomputed_chain_is_named() {
    use sha2::{Digest, Sha256};
    let dir = assigned(ASSIGN);
    let path = dir.path().join("ledger.csv");
    let mut ledger = lines(&path);
    ledger[700] = flip_arm(&ledger[700]);
    let sidecar = fs::read(dir.path().join("ledger.csv.design.json")).unwrap();
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut previous = hex(&Sha256::digest(&sidecar));
    let mut block = Sha256::new();
    block.update(previous.as_bytes());
    for line in ledger.iter_mut().skip(1) {
        let (cells, hash) = line.rsplit_once(',').unwrap();
        block.update([0x1e]);
        block.update(cells.replace(',', "\u{1f}").as_bytes());
        if !hash.is_empty() {
            previous = hex(&block.finalize_reset());
            block.update(previous.as_bytes());
            *line = format!("{cells},{previous}");
        }
    }
    write_lines(&path, &ledger);
    fs::remove_file(dir.path().join("manifest.json")).unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("ledger.csv: line 701, column 2 (`arm`)"),
        "{}",
        out.stderr
    );
}

/// A changed hash (every row as lotta wrote it) names the hash; a changed design file breaks
/// the first block.
#[test]
fn a_changed_v2_hash_or_design_file_is_named() {
    let dir = assigned(ASSIGN);
    let path = dir.path().join("ledger.csv");
    let original = lines(&path);
    let mut ledger = original.clone();
    let hash_at = ledger[2048].rsplit_once(',').unwrap().1.to_string();
    ledger[2048] = ledger[2048].replace(&hash_at, &hash_at.replace('a', "b").replace('1', "2"));
    write_lines(&path, &ledger);
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("ledger.csv: line 2049, column 8 (`hash`)")
            && out.stderr.contains("lines 1026-2049"),
        "{}",
        out.stderr
    );
    write_lines(&path, &original);
    let side = dir.path().join("ledger.csv.design.json");
    let text = fs::read_to_string(&side).unwrap();
    fs::write(&side, text.replace("\"seed\": 42", "\"seed\": 43")).unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ledger.csv: line "), "{}", out.stderr);
}
