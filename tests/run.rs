//! `lotta run` and `lotta report` end to end: the committed demo report regenerates byte for
//! byte (on one thread, while it was made on several), `report` re-renders the same folder,
//! and bad input fails before any work with no half-written folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lotta(args: &[&str], threads: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lotta"));
    cmd.args(args).current_dir(root());
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("run lotta")
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    common::files_below(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).expect("prefix").to_path_buf())
        .collect()
}

fn assert_same_folders(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa, fb, "the same files");
    for f in fa {
        assert!(
            std::fs::read(a.join(&f)).expect("read") == std::fs::read(b.join(&f)).expect("read"),
            "{} differs",
            f.display()
        );
    }
}

#[test]
fn committed_demo_report_regenerates_byte_for_byte_on_one_thread_then_report_rerenders_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("md1-demo");
    let run = lotta(
        &[
            "run",
            "studies/md1-demo",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        Some("1"),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stdout.is_empty(), "data files only; nothing on stdout");
    assert_same_folders(&out, &root().join("notebooks-out/md1-demo"));
    // A randomization p-value no draw reached is given with its resolution, not as 0 ± 0.
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("work_or_study_540 all arm: p < 0.0010 (no draw as extreme; below 0.0030 with 95% confidence)"),
        "{stderr}"
    );
    assert!(!stderr.contains("± 0.0000"), "{stderr}");

    // `lotta report` on the results already computed gives the same folder again.
    let report = lotta(
        &[
            "report",
            "studies/md1-demo",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        Some("2"),
    );
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert_same_folders(&out, &root().join("notebooks-out/md1-demo"));

    // What a reader sees: every section, inline SVG figures, no network, no identifiers.
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    for section in [
        "Summary",
        "Design and participant flow",
        "Baseline balance",
        "Effects over horizons, by subgroup",
        "Effect of participation",
        "Time to first job",
        "Attrition",
        "Cost-effectiveness",
        "Does it pay?",
        "Targets",
        "Methods",
        "Reproducibility",
    ] {
        assert!(
            html.contains(&format!(">{section}</h2>")),
            "section {section}"
        );
    }
    assert_eq!(
        html.matches("<svg").count(),
        13,
        "thirteen figures inline (the acceptability of the net benefit, and two indicators against their targets)"
    );
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(!html.contains("P00001"), "no person id in the report");
    for f in files(&out) {
        let text = std::fs::read(out.join(&f)).expect("read");
        assert!(
            !String::from_utf8_lossy(&text).contains("P00017"),
            "{} holds a person id",
            f.display()
        );
    }
}

/// The demo spec with `from` replaced by `to`, data paths made absolute, in a temp folder.
fn study_with(from: &str, to: &str) -> tempfile::TempDir {
    let text = std::fs::read_to_string(root().join("studies/md1-demo/study.toml")).expect("spec");
    assert!(text.contains(from), "the demo spec contains `{from}`");
    let data = root().join("data/md1-demo");
    let text = text
        .replace("../../data/md1-demo", data.to_str().expect("utf-8"))
        .replacen(from, to, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("study.toml"), text).expect("write");
    dir
}

/// `lotta run STUDY --out OUT`.
fn run_into(study: &Path, out: &Path) -> std::process::Output {
    lotta(
        &[
            "run",
            study.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        None,
    )
}

fn assert_fails_before_work(study: &Path, out: &Path, needle: &str) {
    let run = run_into(study, out);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(needle), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists(), "no report folder is left behind");
    if let Some(parent) = out.parent()
        && parent.exists()
    {
        let leftovers: Vec<_> = std::fs::read_dir(parent)
            .expect("read")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("staging"))
            .collect();
        assert!(leftovers.is_empty(), "no staging folder is left behind");
    }
}

#[test]
fn missing_input_file_is_named_before_any_work() {
    let study = study_with("outcomes.csv", "outcomes-2024.csv");
    let out = study.path().join("out").join("report");
    assert_fails_before_work(study.path(), &out, "outcomes-2024.csv does not exist");
}

#[test]
fn outcome_without_data_fails_and_leaves_no_folder() {
    let study = study_with(
        "\"work_or_study_540\"]",
        "\"work_or_study_540\", \"work_or_study_720\"]",
    );
    let out = study.path().join("out").join("report");
    assert_fails_before_work(study.path(), &out, "work_or_study_720");
}

#[test]
fn unwritable_report_folder_fails_before_any_work() {
    let study = study_with("mask_below = 5", "mask_below = 5");
    // A file where the report folder's parent should be.
    let blocker = study.path().join("blocker");
    std::fs::write(&blocker, "not a folder").expect("write");
    let out = blocker.join("report");
    let run = run_into(study.path(), &out);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("cannot be written"), "{stderr}");
}

#[test]
fn a_previous_report_survives_a_failed_run() {
    let study = study_with("outcomes.csv", "outcomes-missing.csv");
    let out = study.path().join("report");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("report.html"), "earlier report").expect("write");
    let run = run_into(study.path(), &out);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).expect("read"),
        "earlier report"
    );
}

#[test]
fn report_without_results_says_to_run_first() {
    let study = study_with("mask_below = 5", "mask_below = 5");
    let out = study.path().join("nothing-here");
    let report = lotta(
        &[
            "report",
            study.path().to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(report.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(stderr.contains("run `lotta run"), "{stderr}");
}

#[test]
fn mask_below_zero_is_refused() {
    let study = study_with("mask_below = 5", "mask_below = 0");
    let out = study.path().join("out");
    assert_fails_before_work(study.path(), &out, "report.mask_below");
}

#[test]
fn committed_swedish_demo_report_regenerates_byte_for_byte_with_the_english_tidy_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("md1-demo-sv");
    let run = lotta(
        &[
            "run",
            "studies/md1-demo-sv",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        Some("1"),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_same_folders(&out, &root().join("notebooks-out/md1-demo-sv"));
    // The tidy tables are for machines: the same numbers as the English report's, with a
    // decimal point and English column names (the labels of subgroups are the study's own).
    let english = root().join("notebooks-out/md1-demo/tables/effects.csv");
    let swedish = std::fs::read_to_string(out.join("tables/effects.csv")).expect("csv");
    assert_eq!(
        swedish,
        std::fs::read_to_string(english).expect("csv"),
        "tables/effects.csv is the English one"
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("<html lang=\"sv\">"));
    for phrase in [
        ">Sammanfattning</h2>",
        "procentenheter",
        "i arbete eller studier",
        "Kostnad per ytterligare person i arbete",
        " kr",
        "Kvinnor",
    ] {
        assert!(html.contains(phrase), "the Swedish report says `{phrase}`");
    }
    assert!(!html.contains(">Summary</h2>"));
    assert!(
        !html.contains("gender=F"),
        "tables show the labels, not gender=F"
    );
}
