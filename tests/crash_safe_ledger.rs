//! A ledger that survives a kill at any instant (issue 10): every state that `lotta assign` can
//! leave on disk when it is killed — before, inside and after each of its three writes (design
//! file, ledger, manifest) — is built here deterministically from the files of a real first and
//! second assign, and `verify` and the next `assign` must read it as "before" or "after", never
//! as tampering. `scripts/kill-assign.sh` does the same with real `kill -9` at random instants.

mod common;
use common::{ASSIGN, VERIFY, lotta, participants};
use std::fs;
use std::path::Path;

/// A pid above Linux's maximum (2^22): never a running process, like a killed run's.
const DEAD_PID: u32 = 4_194_999;

/// The files of a study folder: before the second assign (40 participants assigned in batch 1)
/// and after it (90 participants, batch 2).
struct States {
    before: Vec<(String, Vec<u8>)>,
    after: Vec<(String, Vec<u8>)>,
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn states() -> States {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.csv"), participants(40)).unwrap();
    assert_eq!(lotta(dir.path(), ASSIGN).code, 0);
    fs::write(dir.path().join("p.csv"), participants(90)).unwrap();
    let before = snapshot(dir.path());
    let out = lotta(dir.path(), ASSIGN);
    assert_eq!(out.code, 0, "{}", out.stderr);
    States {
        before,
        after: snapshot(dir.path()),
    }
}

fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

/// A folder holding `files`.
fn folder(files: &[(String, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// `base` with `name` replaced by `bytes` (or added).
fn with_file(base: &[(String, Vec<u8>)], name: &str, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> =
        base.iter().filter(|(n, _)| n != name).cloned().collect();
    files.push((name.to_string(), bytes.to_vec()));
    files
}

/// The folder holds exactly `files` (on failure, names which differ).
fn same_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    let now = snapshot(dir);
    let names = |f: &[(String, Vec<u8>)]| -> Vec<(String, usize)> {
        f.iter().map(|(n, b)| (n.clone(), b.len())).collect()
    };
    assert_eq!(names(&now), names(files));
    for ((name, a), (_, b)) in now.iter().zip(files) {
        assert!(a == b, "{name} differs:\n{}", String::from_utf8_lossy(a));
    }
}

/// `verify` passes and the next `assign` leaves exactly the "after" state (no temporary file,
/// the manifest recording the whole ledger), and `verify` passes again without notes.
fn recovers(dir: &Path, after: &[(String, Vec<u8>)]) -> String {
    let verify = lotta(dir, VERIFY);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(!verify.stderr.contains("backup"), "{}", verify.stderr);
    let assign = lotta(dir, ASSIGN);
    assert_eq!(assign.code, 0, "{}", assign.stderr);
    same_files(dir, after);
    let again = lotta(dir, VERIFY);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stderr.contains("note:"), "{}", again.stderr);
    verify.stderr + &assign.stderr
}

#[test]
fn a_kill_while_the_new_ledger_is_written_leaves_the_old_ledger_and_a_temporary_that_is_cleaned() {
    let s = states();
    let new = file(&s.after, "ledger.csv");
    for cut in [0, 1, new.len() / 2, new.len() - 1, new.len()] {
        let name = format!(".ledger.csv.tmp-{DEAD_PID}-3");
        let dir = folder(&with_file(&s.before, &name, &new[..cut]));
        let verify = lotta(dir.path(), VERIFY);
        assert_eq!(verify.code, 0, "{}", verify.stderr);
        assert!(
            verify.stderr.contains(&name) && verify.stderr.contains("stopped"),
            "{}",
            verify.stderr
        );
        let stderr = recovers(dir.path(), &s.after);
        assert!(stderr.contains("note: removed"), "{stderr}");
    }
}

#[test]
fn a_kill_after_the_ledger_is_renamed_and_before_the_manifest_is_not_called_tampering() {
    let s = states();
    // The new ledger in place, the manifest still the old one: the "3 of 24" state.
    let dir = folder(&with_file(
        &s.after,
        "manifest.json",
        file(&s.before, "manifest.json"),
    ));
    let verify = lotta(dir.path(), VERIFY);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    let recorded = file(&s.before, "ledger.csv").len();
    for part in [
        "was stopped after it wrote batch 2",
        "not tampering",
        &format!("truncate -s {recorded} ledger.csv"),
    ] {
        assert!(verify.stderr.contains(part), "{part}: {}", verify.stderr);
    }
    // Undoing as told gives back the old ledger exactly.
    let new = file(&s.after, "ledger.csv");
    assert_eq!(&new[..recorded], file(&s.before, "ledger.csv"));
    // Re-running the assign records it and assigns nobody twice.
    let stderr = recovers(dir.path(), &s.after);
    assert!(stderr.contains("recorded batch 2"), "{stderr}");
}

#[test]
fn a_kill_while_the_manifest_is_written_is_recovered_like_one_before_it() {
    let s = states();
    let new_manifest = file(&s.after, "manifest.json");
    let files = with_file(&s.after, "manifest.json", file(&s.before, "manifest.json"));
    let files = with_file(
        &files,
        &format!(".manifest.json.tmp-{DEAD_PID}-4"),
        &new_manifest[..new_manifest.len() / 3],
    );
    let dir = folder(&files);
    recovers(dir.path(), &s.after);
}

#[test]
fn a_first_assign_killed_at_each_write_is_recovered() {
    let s = states();
    let dir0 = tempfile::tempdir().unwrap();
    fs::write(dir0.path().join("p.csv"), participants(40)).unwrap();
    assert_eq!(lotta(dir0.path(), ASSIGN).code, 0);
    let first = snapshot(dir0.path());
    let p = file(&first, "p.csv");
    let only = |names: &[&str]| -> Vec<(String, Vec<u8>)> {
        first
            .iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    // Killed writing the design file; after it; after the ledger (no manifest yet).
    let sidecar = file(&first, "ledger.csv.design.json");
    let states = [
        with_file(
            &only(&["p.csv"]),
            &format!(".ledger.csv.design.json.tmp-{DEAD_PID}-0"),
            &sidecar[..10],
        ),
        only(&["p.csv", "ledger.csv.design.json"]),
        only(&["p.csv", "ledger.csv.design.json", "ledger.csv"]),
    ];
    for state in states {
        let dir = folder(&state);
        assert_eq!(file(&snapshot(dir.path()), "p.csv"), p);
        let assign = lotta(dir.path(), ASSIGN);
        assert_eq!(assign.code, 0, "{}", assign.stderr);
        same_files(dir.path(), &first);
    }
    // verify on the design file alone says what happened.
    let dir = folder(&only(&["p.csv", "ledger.csv.design.json"]));
    let verify = lotta(dir.path(), VERIFY);
    assert_eq!(verify.code, 1);
    assert!(
        verify.stderr.contains("a first `lotta assign` was stopped"),
        "{}",
        verify.stderr
    );
    drop(s);
}

#[test]
fn a_ledger_that_does_not_extend_the_recorded_one_is_still_refused() {
    let s = states();
    // The recorded ledger with its last row cut: not the recorded one, and not an extension.
    let old = file(&s.after, "ledger.csv");
    let text = std::str::from_utf8(old).unwrap();
    let cut = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let dir = folder(&with_file(&s.after, "ledger.csv", &old[..cut]));
    let verify = lotta(dir.path(), VERIFY);
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(verify.stderr.contains("rows were cut"), "{}", verify.stderr);
    // The ledger as before the second assign under the manifest of after it: a batch was cut.
    let dir = folder(&with_file(
        &s.after,
        "ledger.csv",
        file(&s.before, "ledger.csv"),
    ));
    let verify = lotta(dir.path(), VERIFY);
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(verify.stderr.contains("rows were cut"), "{}", verify.stderr);
}

#[test]
fn temporary_files_lotta_did_not_make_are_left_alone() {
    let s = states();
    let names = [
        ".ledger.csv.tmp-notes",
        "ledger.csv.tmp-4194999-1",
        ".ledger.csv.tmp-4194999-x",
    ];
    let mut files = s.after.clone();
    for n in names {
        files = with_file(&files, n, b"user data");
    }
    let dir = folder(&files);
    let assign = lotta(dir.path(), ASSIGN);
    assert_eq!(assign.code, 0, "{}", assign.stderr);
    for n in names {
        assert!(dir.path().join(n).exists(), "{n}");
    }
}
