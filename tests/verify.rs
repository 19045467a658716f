//! `lotta verify` end to end: a good ledger passes; a changed row (even with a recomputed hash
//! chain), a broken hash, a changed design file or changed participants fail naming the row.

mod common;
use common::{ASSIGN, VERIFY, lotta, participants, strs, with};
use lotta::io::ledger::{chain, read_sidecar};
use std::fs;
use std::path::Path;

/// `ASSIGN` writing a `lotta-ledger/1` ledger (a hash on every row), for the tests of v1's
/// chain; tests/ledger_formats.rs has v2's.
fn assign_v1() -> Vec<String> {
    with(ASSIGN, "--ledger-format", "v1")
}

fn assigned(n: usize, args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(n)).unwrap();
    let out = lotta(dir.path(), args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir
}

/// Rewrite the ledger with `edit` applied to data row `row` (1-based) and the whole hash chain
/// recomputed, as a careful forger would…
fn forge(dir: &Path, row: usize, edit: impl Fn(&mut Vec<String>)) {
    let path = dir.join("ledger.csv");
    let (_, mut previous) = read_sidecar(&path).unwrap().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let mut out = vec![text.lines().next().unwrap().to_string()];
    for (i, line) in text.lines().skip(1).enumerate() {
        let mut fields: Vec<String> = line.split(',').map(String::from).collect();
        fields.pop();
        if i + 1 == row {
            edit(&mut fields);
        }
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        previous = chain(&previous, &refs);
        fields.push(previous.clone());
        out.push(fields.join(","));
    }
    fs::write(&path, out.join("\n") + "\n").unwrap();
    // …and removes the manifest that records the ledger's SHA-256.
    fs::remove_file(dir.join("manifest.json")).unwrap();
}

#[test]
fn a_good_ledger_verifies() {
    let dir = assigned(50, ASSIGN);
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok: 50 rows"), "{}", out.stdout);
}

#[test]
fn batches_and_clusters_verify() {
    let args = with(ASSIGN, "--cluster", "municipality");
    let args = with(&strs(&args), "--strata", "site");
    let dir = assigned(40, &strs(&args));
    fs::write(dir.path().join("p.csv"), participants(90)).unwrap();
    assert_eq!(lotta(dir.path(), &strs(&args)).code, 0);
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 batch(es)"), "{}", out.stdout);
}

#[test]
fn a_forged_arm_is_found_even_with_a_recomputed_chain() {
    let dir = assigned(30, &strs(&assign_v1()));
    forge(dir.path(), 4, |f| {
        f[1] = if f[1] == "md1" { "standard" } else { "md1" }.to_string()
    });
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("ledger.csv: line 5, column 2 (`arm`)"),
        "{}",
        out.stderr
    );
}

/// Every cell compared with the re-derivation, forged with the chain recomputed, is named with
/// its line and column: a ledger that re-derives is read once, and one that does not is read
/// again to name the first row that differs, as written.
#[test]
fn each_forged_cell_is_named_even_with_a_recomputed_chain() {
    for (column, name, value) in [
        (3, "stratum", "elsewhere"),
        (4, "probability", "0.5"),
        (5, "block", "3"),
        (6, "position", "99"),
    ] {
        let dir = assigned(30, &strs(&assign_v1()));
        forge(dir.path(), 7, |f| f[column - 1] = value.to_string());
        let out = lotta(dir.path(), VERIFY);
        assert_eq!(out.code, 1, "{name}");
        let at = format!("ledger.csv: line 8, column {column} (`{name}`)");
        assert!(out.stderr.contains(&at), "{name}: {}", out.stderr);
        assert!(out.stderr.contains(value), "{name}: {}", out.stderr);
    }
}

#[test]
fn a_broken_hash_names_the_row() {
    let dir = assigned(30, &strs(&assign_v1()));
    let path = dir.path().join("ledger.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[9] = lines[9].replacen("p", "q", 1);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("ledger.csv: line 10, column 8 (`hash`)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_changed_design_file_breaks_the_first_hash() {
    let dir = assigned(30, &strs(&assign_v1()));
    let side = dir.path().join("ledger.csv.design.json");
    let text = fs::read_to_string(&side).unwrap();
    fs::write(&side, text.replace("\"seed\": 42", "\"seed\": 43")).unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("line 2, column 8 (`hash`)"),
        "{}",
        out.stderr
    );
}

#[test]
fn changed_strata_in_the_participants_are_found() {
    let dir = assigned(30, ASSIGN);
    let text = participants(30);
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("p0012,") {
                let mut f: Vec<&str> = l.split(',').collect();
                f[2] = if f[2] == "F" { "M" } else { "F" };
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(dir.path().join("p.csv"), changed.join("\n") + "\n").unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1);
    // p0012 is on line 13 (rows are sorted by id within a batch); its stratum (column 3)
    // or an earlier row of the same stratum differs.
    assert!(out.stderr.contains("ledger.csv: line "), "{}", out.stderr);
    assert!(out.stderr.contains("re-deriving"), "{}", out.stderr);
}

#[test]
fn a_spec_that_differs_from_the_ledger_is_named() {
    let dir = assigned(20, ASSIGN);
    let out = lotta(
        dir.path(),
        &[
            "verify",
            "--ledger",
            "ledger.csv",
            "--participants",
            "p.csv",
            "--id",
            "person_id",
            "--arms",
            "md1:2,standard:1",
            "--strata",
            "site",
            "--seed",
            "42",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("ledger.csv.design.json `strata`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_ledger_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(5)).unwrap();
    let out = lotta(dir.path(), VERIFY);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("ledger.csv"), "{}", out.stderr);
}

#[test]
fn a_truncated_ledger_is_refused() {
    let dir = assigned(30, ASSIGN);
    let path = dir.path().join("ledger.csv");
    let text = fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().take(25).collect();
    fs::write(&path, kept.join("\n") + "\n").unwrap();
    let before = fs::read(&path).unwrap();
    for args in [VERIFY, ASSIGN] {
        let out = lotta(dir.path(), args);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stderr.contains("rows were cut"), "{}", out.stderr);
    }
    assert_eq!(fs::read(&path).unwrap(), before);
}

/// The library API for randomization inference: a plan rebuilt from the ledger alone redraws
/// the ledger exactly with the `assign` streams, and differently with others.
#[test]
fn a_plan_from_the_ledger_alone_reproduces_it() {
    let golden = common::golden_dir();
    for name in ["complete_global", "blocks", "cluster", "complete_missing"] {
        let dir = tempfile::tempdir().unwrap();
        let ledger_path = dir.path().join("ledger.csv");
        fs::copy(golden.join(format!("{name}.csv")), &ledger_path).unwrap();
        let cases = fs::read_to_string(golden.join("cases.txt")).unwrap();
        let flags = cases
            .lines()
            .find(|l| l.starts_with(&format!("{name}|")))
            .unwrap()
            .split('|')
            .nth(2)
            .unwrap()
            .to_string();
        // Recreate the sidecar by assigning the same participants to a scratch ledger.
        let p = golden
            .join("participants.csv")
            .to_string_lossy()
            .into_owned();
        let mut args = vec![
            "assign",
            "--participants",
            &p,
            "--id",
            "person_id",
            "--seed",
            "20190901",
            "--ledger",
            "scratch.csv",
            // The golden ledgers are v1: the scratch design file must be too.
            "--ledger-format",
            "v1",
        ];
        args.extend(flags.split_whitespace());
        assert_eq!(lotta(dir.path(), &args).code, 0);
        fs::copy(
            dir.path().join("scratch.csv.design.json"),
            dir.path().join("ledger.csv.design.json"),
        )
        .unwrap();
        let ledger = lotta::io::ledger::read(&ledger_path).unwrap().unwrap();
        let plan = lotta::design::rolling::plan_from_ledger(&ledger).unwrap();
        let arms: Vec<u32> = ledger.rows.iter().map(|r| r.arm).collect();
        assert_eq!(plan.draw(ledger.design.seed, "assign"), arms, "{name}");
        assert_ne!(plan.draw(ledger.design.seed, "ri/draw=1"), arms, "{name}");
    }
}

#[test]
fn a_study_verifies_its_own_ledger() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(45)).unwrap();
    fs::write(
        dir.path().join("study.toml"),
        "[study]\nname = \"t\"\nseed = 7\n[data]\nid = \"person_id\"\nparticipants = \"p.csv\"\nledger = \"out/ledger.csv\"\n[design]\narms = { a = 1, b = 1, c = 1 }\nstrata = [\"site\"]\ncluster = \"municipality\"\nmethod = \"blocks\"\nblock_sizes = [3]\n",
    )
    .unwrap();
    assert_eq!(lotta(dir.path(), &["assign", "study.toml"]).code, 0);
    let out = lotta(dir.path(), &["verify", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A flag that contradicts the ledger's design is named.
    let out = lotta(dir.path(), &["verify", ".", "--block-sizes", "6"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("`block_sizes`"), "{}", out.stderr);
}
