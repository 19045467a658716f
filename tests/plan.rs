//! The pre-analysis plan end to end (issue 18): freezing is idempotent and chained, the hash
//! covers a canonical form (reordered keys are no deviation, a changed value is), `run` marks
//! every row and reports deviations, `--strict` refuses them, `verify` catches an edited record
//! or a rewritten ledger.

mod common;

use common::{demo_copy, lotta};
use std::path::Path;

const STUDY: &str = "studies/md1-demo";
const RECORD: &str = "studies/md1-demo/analysis-plan.jsonl";

fn quick_demo() -> tempfile::TempDir {
    demo_copy(&[
        ("ri_draws = 1000", "ri_draws = 0"),
        ("bootstrap = 2000", "bootstrap = 0"),
    ])
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).expect("read")
}

fn edit_spec(dir: &Path, from: &str, to: &str) {
    let path = dir.join(STUDY).join("study.toml");
    let text = read(dir, &format!("{STUDY}/study.toml"));
    assert!(text.contains(from), "the spec contains `{from}`");
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

fn freeze(dir: &Path) -> common::Output {
    let out = lotta(dir, &["plan", "freeze", STUDY]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

#[test]
fn freezing_twice_without_changes_writes_nothing_and_a_change_is_a_new_chained_version() {
    let dir = quick_demo();
    let first = freeze(dir.path());
    assert!(first.stdout.contains("froze version 1"), "{}", first.stdout);
    let record = read(dir.path(), RECORD);
    let again = freeze(dir.path());
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert_eq!(
        read(dir.path(), RECORD),
        record,
        "a no-op freeze changed the record"
    );

    edit_spec(dir.path(), "estimator = \"lin\"", "estimator = \"ols\"");
    let second = freeze(dir.path());
    assert!(
        second.stdout.contains("froze version 2") && second.stdout.contains("analysis.estimator"),
        "{}",
        second.stdout
    );
    let now = read(dir.path(), RECORD);
    assert!(
        now.starts_with(&record),
        "version 1 was rewritten, not appended to"
    );
    let lines: Vec<&str> = now.lines().collect();
    assert_eq!(lines.len(), 2);
    let v1: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    let v2: serde_json::Value = serde_json::from_str(lines[1]).expect("json");
    assert_eq!(v2["previous"], v1["hash"]);
    assert_eq!(v2["plan"]["analysis.estimator"], "ols");
}

#[test]
fn reordering_keys_and_comments_is_no_deviation_but_changing_a_value_is() {
    let dir = quick_demo();
    freeze(dir.path());
    // Move `estimator` below `se` and add a comment: the same settings.
    edit_spec(dir.path(), "estimator = \"lin\"\n", "# reordered\n");
    edit_spec(
        dir.path(),
        "se = \"hc2\"\n",
        "se = \"hc2\"\nestimator = \"lin\"\n",
    );
    let diff = lotta(dir.path(), &["plan", "diff", STUDY]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(diff.stdout.starts_with("None"), "{}", diff.stdout);

    edit_spec(dir.path(), "se = \"hc2\"", "se = \"hc1\"");
    let diff = lotta(dir.path(), &["plan", "diff", STUDY]);
    assert!(
        diff.stdout
            .contains("| `analysis.se` | hc2 | hc1 | not frozen |"),
        "{}",
        diff.stdout
    );
}

#[test]
fn run_marks_every_row_and_reports_the_plan_and_its_deviations() {
    let dir = quick_demo();
    freeze(dir.path());
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effects = read(dir.path(), "out/tables/effects.csv");
    assert!(effects.lines().next().unwrap().ends_with(",prespecified"));
    assert!(
        effects.lines().skip(1).all(|l| l.ends_with(",true")),
        "{effects}"
    );
    let cost = read(dir.path(), "out/tables/cost.csv");
    assert!(
        cost.lines().next().unwrap().ends_with(",prespecified"),
        "{cost}"
    );
    assert!(cost.lines().skip(1).all(|l| l.ends_with(",true")), "{cost}");
    let report = read(dir.path(), "out/report.md");
    assert!(report.contains("## Pre-specified analyses"), "{report}");
    assert!(
        report.contains("Deviations from the plan: none."),
        "{report}"
    );

    // An outcome added after freezing is exploratory; a changed estimator deviates everywhere.
    edit_spec(dir.path(), "se = \"hc2\"", "se = \"hc1\"");
    let strict = lotta(dir.path(), &["run", STUDY, "--out", "out", "--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(strict.stderr.contains("analysis.se"), "{}", strict.stderr);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effects = read(dir.path(), "out/tables/effects.csv");
    assert!(
        effects.lines().skip(1).all(|l| l.ends_with(",false")),
        "{effects}"
    );
    let cost = read(dir.path(), "out/tables/cost.csv");
    assert!(
        cost.lines().skip(1).all(|l| l.ends_with(",true")),
        "a changed SE type is not a change of the cost model: {cost}"
    );
    let deviations = read(dir.path(), "out/tables/plan_deviations.csv");
    assert!(
        deviations.contains("analysis.se,hc2,hc1,,not frozen"),
        "{deviations}"
    );
}

#[test]
fn strict_without_a_plan_refuses_before_any_work() {
    let dir = quick_demo();
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out", "--strict"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("lotta plan freeze"), "{}", run.stderr);
    assert!(
        !dir.path().join("out").exists(),
        "a refused run wrote a folder"
    );
}

#[test]
fn verify_catches_an_edited_plan_record_by_line() {
    let dir = quick_demo();
    freeze(dir.path());
    assert_eq!(lotta(dir.path(), &["verify", STUDY]).code, 0);
    let record = read(dir.path(), RECORD);
    std::fs::write(
        dir.path().join(RECORD),
        record.replacen("\"analysis.se\":\"hc2\"", "\"analysis.se\":\"hc1\"", 1),
    )
    .expect("write");
    let verify = lotta(dir.path(), &["verify", STUDY]);
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(
        verify.stderr.contains("analysis-plan.jsonl: line 1:") && verify.stderr.contains("changed"),
        "{}",
        verify.stderr
    );
    // `run` reads the same record and refuses it too.
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn the_registry_export_holds_the_planned_outcomes_design_and_numbers() {
    let dir = quick_demo();
    freeze(dir.path());
    let out = lotta(dir.path(), &["plan", "registry", STUDY]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["primary_outcomes"][0], "work_or_study_540");
    assert_eq!(json["clustered"], false);
    assert_eq!(json["planned_number_of_observations"], 5400);
    assert_eq!(json["allocation_ratio"]["md1"], 2);
    let by_arm = &json["sample_size_by_arm"];
    assert_eq!(
        by_arm["md1"].as_u64().unwrap() + by_arm["standard"].as_u64().unwrap(),
        5400
    );
    let show = lotta(dir.path(), &["plan", "show", STUDY]);
    assert!(
        show.stdout.contains("# Pre-analysis plan: md1-demo"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("Primary outcome: `work_or_study_540`"),
        "{}",
        show.stdout
    );
}

#[test]
fn verify_catches_a_ledger_drawn_again_after_the_plan_was_frozen() {
    let dir = quick_demo();
    freeze(dir.path());
    // Re-draw the whole assignment with another seed: a valid ledger with its own intact chain,
    // but not the one the plan was frozen with.
    for file in ["ledger.csv", "ledger.csv.design.json", "manifest.json"] {
        std::fs::remove_file(dir.path().join("data/md1-demo").join(file)).expect("remove");
    }
    edit_spec(dir.path(), "seed = 20190401", "seed = 20190402");
    let assign = lotta(dir.path(), &["assign", STUDY]);
    assert_eq!(assign.code, 0, "{}", assign.stderr);
    let verify = lotta(dir.path(), &["verify", STUDY]);
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(
        verify.stderr.contains("line 5401")
            && verify.stderr.contains("plan version 1")
            && verify
                .stderr
                .contains("rewritten after the plan was frozen"),
        "{}",
        verify.stderr
    );
}
