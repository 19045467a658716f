//! Regression tests, each named after the defect it pins (issue 11: one study, loaded once).

mod common;

use common::{demo_copy, lotta};
use std::path::PathBuf;

const STUDY: &str = "studies/md1-demo";

/// The demo without randomization inference or bootstrap (fast), plus `edits`.
fn quick_demo(edits: &[(&str, &str)]) -> tempfile::TempDir {
    let mut all = vec![
        ("ri_draws = 1000", "ri_draws = 0"),
        ("bootstrap = 2000", "bootstrap = 0"),
    ];
    all.extend_from_slice(edits);
    demo_copy(&all)
}

fn read(dir: &tempfile::TempDir, path: &str) -> String {
    std::fs::read_to_string(dir.path().join(path)).expect("read")
}

#[test]
fn report_methods_say_cr2_when_clusters_make_it_the_default() {
    let dir = quick_demo(&[("se = \"hc2\"", "cluster = \"municipality\"")]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effects = read(&dir, "out/tables/effects.csv");
    assert!(
        effects.lines().skip(1).all(|l| l.contains(",CR2,")),
        "{effects}"
    );
    let report = read(&dir, "out/report.md");
    assert!(report.contains("Standard errors: CR2 ("), "{report}");
    assert!(!report.contains("Standard errors: HC2"), "{report}");
}

#[test]
fn report_methods_say_lin_when_the_estimator_is_written_in_capitals() {
    let dir = quick_demo(&[("estimator = \"lin\"", "estimator = \"LIN\"")]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = read(&dir, "out/report.md");
    assert!(
        report.contains("Intention-to-treat effects: Lin (2013)"),
        "{report}"
    );
    assert!(!report.contains("difference in means"), "{report}");
}

#[test]
fn report_rerendered_later_describes_the_results_not_a_changed_spec() {
    let dir = quick_demo(&[]);
    assert_eq!(lotta(dir.path(), &["run", STUDY, "--out", "out"]).code, 0);
    let spec = dir.path().join(STUDY).join("study.toml");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let changed = text
        .replacen("estimator = \"lin\"", "estimator = \"ols\"", 1)
        .replacen("se = \"hc2\"", "se = \"hc1\"", 1)
        .replacen("adjust = \"holm\"", "adjust = \"bh\"", 1);
    std::fs::write(&spec, changed).expect("write");
    let report = lotta(dir.path(), &["report", STUDY, "--out", "out"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    let md = read(&dir, "out/report.md");
    assert!(
        md.contains("Intention-to-treat effects: Lin (2013)"),
        "{md}"
    );
    assert!(md.contains("Standard errors: HC2 ("), "{md}");
    assert!(md.contains("Holm (1979)"), "{md}");
}

#[test]
fn estimate_se_hc9_blames_the_flag_not_the_study() {
    let dir = quick_demo(&[]);
    let run = lotta(dir.path(), &["estimate", STUDY, "--se", "hc9"]);
    assert_eq!(run.code, 2, "a bad flag is a usage error: {}", run.stderr);
    assert!(run.stderr.contains("`--se`"), "{}", run.stderr);
    assert!(run.stderr.contains("`hc9`"), "{}", run.stderr);
    assert!(!run.stderr.contains("study.toml"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn ad_hoc_bad_estimator_is_reported_as_the_flag() {
    let dir = quick_demo(&[]);
    let data = "data/md1-demo/outcomes.csv";
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            data,
            "--outcome",
            "work_or_study_90",
            "--treatment",
            "subsidized_540",
            "--estimator",
            "LINN",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`--estimator`"), "{}", run.stderr);
    assert!(!run.stderr.contains("analysis.estimator"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `lin`?"), "{}", run.stderr);
}

#[test]
fn spec_typo_adjust_hlm_exits_1_naming_the_key_in_estimate_and_run() {
    let dir = quick_demo(&[("adjust = \"holm\"", "adjust = \"hlm\"")]);
    for args in [vec!["estimate", STUDY], vec!["run", STUDY, "--out", "out"]] {
        let run = lotta(dir.path(), &args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("study.toml"), "{}", run.stderr);
        assert!(run.stderr.contains("`analysis.adjust`"), "{}", run.stderr);
        assert!(
            run.stderr.contains("did you mean `holm`?"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("--adjust"), "{}", run.stderr);
    }
    assert!(!dir.path().join("out").exists(), "no report folder");
}

#[test]
fn run_reports_a_bad_cost_level_before_any_work() {
    // A billion randomization draws: had the run started computing, it would not return.
    let dir = demo_copy(&[
        ("ri_draws = 1000", "ri_draws = 1000000000"),
        ("bootstrap = 2000", "bootstrap = 2000\nlevel = 2"),
    ]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`cost.level`"), "{}", run.stderr);
    assert!(!dir.path().join("out").exists(), "no report folder");
}

#[test]
fn cost_and_estimate_use_the_same_subgroup_column() {
    // [design] by (for the balance table) says site, [analysis] by says gender, [cost] says
    // nothing: every command analyses women and men.
    let dir = quick_demo(&[
        ("by = \"gender\"", "by = \"site\""),
        ("\nby = \"gender\"\nparticipation", "\nparticipation"),
    ]);
    let spec = read(&dir, "studies/md1-demo/study.toml");
    assert!(
        spec.contains("[analysis]\noutcomes"),
        "the edit kept [analysis] by"
    );
    let estimate = lotta(dir.path(), &["estimate", STUDY, "--format", "csv"]);
    assert_eq!(estimate.code, 0, "{}", estimate.stderr);
    assert!(
        estimate.stdout.contains(",gender=F,"),
        "{}",
        estimate.stdout
    );
    let cost = lotta(dir.path(), &["cost", STUDY, "--format", "csv"]);
    assert_eq!(cost.code, 0, "{}", cost.stderr);
    assert!(cost.stdout.contains("gender=F"), "{}", cost.stdout);
    assert!(!cost.stdout.contains("site="), "{}", cost.stdout);
}

#[test]
fn an_empty_flag_unsets_the_spec_value() {
    let dir = quick_demo(&[]);
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            STUDY,
            "--covariates",
            "",
            "--estimator",
            "dim",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let itt: Vec<&str> = run.stdout.lines().filter(|l| l.contains(",arm,")).collect();
    assert!(!itt.is_empty());
    assert!(itt.iter().all(|l| l.contains(",dim,")), "{}", run.stdout);
}

#[test]
fn run_on_the_demo_opens_each_input_once() {
    use lotta::io::folder::ReportFolder;
    use lotta::ops::run::{RunSettings, open_inputs, run};
    let dir = quick_demo(&[]);
    let study = lotta::spec::Study::load(&dir.path().join(STUDY)).expect("study");
    let settings = RunSettings::resolve(&study).expect("settings");
    let out = dir.path().join("out");
    let folder = ReportFolder::open(&out, &study.input_files(), false).expect("folder");
    // Every input is opened here, once ...
    let inputs = open_inputs(&study).expect("inputs");
    // ... and never again: with the data folder gone, any step that opened a file by its path
    // would fail.
    std::fs::remove_dir_all(dir.path().join("data")).expect("remove data");
    let mut steps = Vec::new();
    run(
        &study,
        &inputs,
        &settings,
        &folder,
        &mut |s| steps.push(s.to_string()),
        &lotta::progress::Silent,
    )
    .expect("the whole evaluation from the bytes read once");
    folder.commit().expect("commit");
    assert_eq!(steps.len(), lotta::ops::run::STEPS.len());
    for table in ["effects", "balance", "cost", "flow", "shares"] {
        assert!(out.join(format!("tables/{table}.csv")).is_file(), "{table}");
    }
    // The manifest's hashes of the inputs are those of the bytes read.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    let ledger =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/md1-demo/ledger.csv"))
            .expect("ledger");
    assert!(manifest.contains(&lotta::io::sha256_hex(&ledger)));
}

#[test]
fn a_decimal_comma_in_a_numeric_covariate_is_an_error_not_a_new_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("id,z,age,educ,y\n");
    for i in 0..40 {
        let age = if i == 17 {
            "28,5".to_string()
        } else {
            (20 + i).to_string()
        };
        let educ = ["none", "primary", "secondary"][i % 3];
        text.push_str(&format!(
            "p{i},{},\"{age}\",{educ},{}\n",
            i % 2,
            (i * 7) % 3 % 2
        ));
    }
    std::fs::write(dir.path().join("d.csv"), text).expect("write");
    let args = [
        "estimate",
        "--data",
        "d.csv",
        "--outcome",
        "y",
        "--treatment",
        "z",
        "--covariates",
        "age,educ",
    ];
    let run = lotta(dir.path(), &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("d.csv: line 19, column 3 (`age`)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`28,5` is not a number"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("decimal comma"), "{}", run.stderr);
    // Declared categorical, the same column is read as categories (codes are fine).
    let declared: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--categorical", "age"])
        .collect();
    let run = lotta(dir.path(), &declared);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Declaring a column that is not a covariate is an error naming the flag.
    let run = lotta(
        dir.path(),
        &args
            .iter()
            .copied()
            .chain(["--categorical", "site"])
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`--categorical`"), "{}", run.stderr);
    // A text covariate stays categorical.
    let run = lotta(
        dir.path(),
        &args[..args.len() - 1]
            .iter()
            .copied()
            .chain(["educ"])
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}
