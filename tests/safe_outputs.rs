//! Nothing lost: no command deletes or overwrites a file lotta did not make, or one of its
//! inputs (issue 10, "Data loss"). Each test is named after the defect it pins.

mod common;

use common::lotta;
use std::path::{Path, PathBuf};

/// A copy of the demo study with cheap inference (100 draws, 100 bootstrap replicates).
fn demo_copy() -> tempfile::TempDir {
    common::demo_copy(&[
        ("ri_draws = 1000", "ri_draws = 100"),
        ("bootstrap = 2000", "bootstrap = 100"),
    ])
}

/// Every file below `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    common::files_below(dir)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect()
}

const STUDY: &str = "studies/md1-demo";

#[test]
fn run_out_data_folder_is_refused_and_deletes_nothing() {
    let dir = demo_copy();
    let before = snapshot(dir.path());
    for command in ["run", "report"] {
        let out = lotta(dir.path(), &[command, STUDY, "--out", "data/md1-demo"]);
        assert_eq!(out.code, 1, "{command}: {}", out.stderr);
        assert!(out.stderr.contains("data/md1-demo"), "{}", out.stderr);
        assert!(
            out.stderr.contains("an input of the study") || out.stderr.contains("did not make"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert_eq!(snapshot(dir.path()), before, "{command} changed no file");
    }
    // The parent of the data folder holds inputs too, at any depth.
    let out = lotta(dir.path(), &["run", STUDY, "--out", "data"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn run_into_a_folder_lotta_did_not_make_is_refused_and_names_what_is_in_it() {
    let dir = demo_copy();
    let folder = dir.path().join("thesis");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::write(folder.join("chapter1.tex"), "draft").expect("write");
    let before = snapshot(dir.path());
    let out = lotta(dir.path(), &["run", STUDY, "--out", "thesis"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("lotta did not make it"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("chapter1.tex"), "{}", out.stderr);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn run_out_current_folder_is_refused() {
    let dir = demo_copy();
    let study = dir.path().join(STUDY);
    let before = snapshot(dir.path());
    let out = lotta(&study, &["run", ".", "--out", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("current folder") || out.stderr.contains("an input"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn run_out_pointing_at_a_file_is_refused_and_the_file_is_not_renamed() {
    let dir = demo_copy();
    std::fs::write(dir.path().join("results"), "my file").expect("write");
    let before = snapshot(dir.path());
    let out = lotta(dir.path(), &["run", STUDY, "--out", "results"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is a file"), "{}", out.stderr);
    assert_eq!(snapshot(dir.path()), before, "nothing renamed or deleted");
}

#[test]
fn rerun_keeps_the_users_notes_in_the_report_folder_and_says_where_it_wrote() {
    let dir = demo_copy();
    let first = lotta(dir.path(), &["run", STUDY, "--out", "report"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // Not a terminal: still one line that says where the report is.
    let said: Vec<&str> = first
        .stderr
        .lines()
        .filter(|l| l.starts_with("wrote the report to report/report.html"))
        .collect();
    assert_eq!(said.len(), 1, "{}", first.stderr);
    let report = dir.path().join("report");
    std::fs::write(report.join("notes.md"), "what the steering group said").expect("write");
    std::fs::create_dir(report.join("drafts")).expect("mkdir");
    std::fs::write(report.join("drafts/summary.docx"), "draft").expect("write");
    let lottas: Vec<_> = snapshot(&report);

    let again = lotta(dir.path(), &["run", STUDY, "--out", "report", "--quiet"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stderr.contains("wrote"), "--quiet: {}", again.stderr);
    assert_eq!(
        snapshot(&report),
        lottas,
        "the same report, the user's files kept"
    );

    let rerender = lotta(dir.path(), &["report", STUDY, "--out", "report"]);
    assert_eq!(rerender.code, 0, "{}", rerender.stderr);
    assert_eq!(snapshot(&report), lottas);
    assert!(
        !std::fs::read_dir(&report).expect("read").any(|e| e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .contains("staging")),
        "no staging folder left"
    );
}

#[test]
fn rerun_refuses_to_replace_a_report_file_the_user_edited_unless_forced() {
    let dir = demo_copy();
    assert_eq!(
        lotta(dir.path(), &["run", STUDY, "--out", "report", "--quiet"]).code,
        0
    );
    let md = dir.path().join("report/report.md");
    std::fs::write(&md, "my edited report").expect("write");
    let out = lotta(dir.path(), &["run", STUDY, "--out", "report"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("`report.md` changed"), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&md).expect("read"),
        "my edited report"
    );
    let forced = lotta(dir.path(), &["run", STUDY, "--out", "report", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(
        std::fs::read_to_string(&md).expect("read"),
        "my edited report"
    );
}

#[test]
fn estimate_out_onto_its_own_outcome_file_is_refused() {
    let dir = demo_copy();
    let before = snapshot(dir.path());
    for path in [
        "data/md1-demo/outcomes.csv",
        "data/md1-demo/../md1-demo/ledger.csv",
    ] {
        let out = lotta(dir.path(), &["estimate", STUDY, "--out", path]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("an input of the command"),
            "{}",
            out.stderr
        );
    }
    let out = lotta(
        dir.path(),
        &["cost", STUDY, "--out", "data/md1-demo/costs.csv"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("an input of the command"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn estimate_out_never_overwrites_a_users_file_or_clobbers_a_foreign_manifest() {
    let dir = demo_copy();
    std::fs::write(dir.path().join("mine.csv"), "keep").expect("write");
    let out = lotta(dir.path(), &["estimate", STUDY, "--out", "mine.csv"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("lotta did not write it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine.csv")).expect("read"),
        "keep"
    );

    let foreign = dir.path().join("web");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("manifest.json"), "{\"name\": \"my web app\"}").expect("write");
    let out = lotta(dir.path(), &["estimate", STUDY, "--out", "web/effects.csv"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a lotta manifest"),
        "{}",
        out.stderr
    );
    assert!(!foreign.join("effects.csv").exists(), "nothing written");
    assert_eq!(
        std::fs::read_to_string(foreign.join("manifest.json")).expect("read"),
        "{\"name\": \"my web app\"}"
    );

    // lotta's own output is replaced on a re-run, and recorded.
    for _ in 0..2 {
        let out = lotta(dir.path(), &["estimate", STUDY, "--out", "effects.csv"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest");
    assert!(manifest.contains("\"effects.csv\""), "{manifest}");
}

#[test]
fn simulate_out_refuses_to_overwrite_an_existing_participants_file() {
    let dir = demo_copy();
    let sim = dir.path().join("sim");
    std::fs::create_dir(&sim).expect("mkdir");
    std::fs::write(sim.join("participants.csv"), "person_id\nreal-person\n").expect("write");
    let args = |n: &str, force: bool| {
        let mut a = vec!["simulate", "--study", STUDY, "--n", n, "--out", "sim"];
        if force {
            a.push("--force");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let call = |a: Vec<String>| lotta(dir.path(), &common::strs(&a));
    // A user's file: refused, with or without --force.
    for force in [false, true] {
        let out = call(args("300", force));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stderr.contains("participants.csv"), "{}", out.stderr);
        assert_eq!(
            std::fs::read_to_string(sim.join("participants.csv")).expect("read"),
            "person_id\nreal-person\n"
        );
        assert_eq!(std::fs::read_dir(&sim).expect("read").count(), 1);
    }
    std::fs::remove_file(sim.join("participants.csv")).expect("rm");
    assert_eq!(call(args("300", false)).code, 0);
    let first = snapshot(&sim);
    // The same again: the same bytes, nothing to refuse.
    assert_eq!(call(args("300", false)).code, 0);
    assert_eq!(snapshot(&sim), first);
    // Other data over lotta's own files: never over the ledger, even with --force.
    let out = call(args("400", true));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("never overwrites a ledger"),
        "{}",
        out.stderr
    );
    assert_eq!(
        snapshot(&sim),
        first,
        "nothing written when one file is refused"
    );
    // With the ledger moved away, lotta's other files are replaced only with --force.
    for name in ["ledger.csv", "ledger.csv.design.json"] {
        std::fs::rename(sim.join(name), dir.path().join(name)).expect("move");
    }
    let out = call(args("400", false));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(call(args("400", true)).code, 0);
    let participants = std::fs::read_to_string(sim.join("participants.csv")).expect("read");
    assert_eq!(participants.lines().count(), 401);
}
