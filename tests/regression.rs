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
fn report_without_horizons_names_outcomes_instead_of_saying_at_1_days() {
    let dir = quick_demo(&[(
        "horizons = { work_or_study_90 = 90, work_or_study_180 = 180, work_or_study_365 = 365, work_or_study_540 = 540 }\n",
        "",
    )]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = read(&dir, "out/report.md");
    assert!(
        report.contains("in work or studies for work_or_study_540 (intention to treat)"),
        "{report}"
    );
    for wrong in [" 4 days", " 1 days", "trajectory.png"] {
        assert!(!report.contains(wrong), "`{wrong}` in {report}");
    }
    assert!(!dir.path().join("out/figures/trajectory.png").exists());
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
    // The methods line names Lin; the cost lines may still say their own effect is a
    // difference in means.
    assert!(
        report
            .lines()
            .filter(|l| l.contains("Intention-to-treat effects:"))
            .all(|l| !l.contains("difference in means")),
        "{report}"
    );
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
fn report_rerendered_later_describes_the_survival_analysis_as_computed() {
    let dir = quick_demo(&[]);
    assert_eq!(lotta(dir.path(), &["run", STUDY, "--out", "out"]).code, 0);
    let settings = read(&dir, "out/settings.json");
    assert!(settings.contains("\"survival\""), "{settings}");
    assert!(settings.contains("\"exit_day\""), "{settings}");
    let spec = dir.path().join(STUDY).join("study.toml");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let changed = text.replacen("tau = 540", "tau = 365", 1).replacen(
        "cause = \"work\"",
        "cause = \"studies\"",
        1,
    );
    std::fs::write(&spec, changed).expect("write");
    let report = lotta(dir.path(), &["report", STUDY, "--out", "out"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    let md = read(&dir, "out/report.md");
    assert!(md.contains("to τ = 540 with survRM2's variance"), "{md}");
    assert!(md.contains("the exit `work` in `exit`"), "{md}");
    assert!(!md.contains("τ = 365"), "{md}");
}

/// Issue 13: `estimate` compared mean observed days as if nothing were censored. It warns when an
/// outcome is a time the study declares in [survival] (the demo's `exit_day`), or one whose name
/// says it is a time to an event (`days_to_first_job`), and not for other outcomes.
#[test]
fn estimate_warns_when_an_outcome_is_a_censored_time() {
    let dir = quick_demo(&[]);
    let declared = lotta(
        dir.path(),
        &[
            "estimate",
            STUDY,
            "--outcome",
            "exit_day",
            "--format",
            "csv",
        ],
    );
    assert_eq!(declared.code, 0, "{}", declared.stderr);
    assert!(
        declared
            .stderr
            .contains("`exit_day` is declared in [survival] as a time to an event"),
        "{}",
        declared.stderr
    );
    assert!(
        declared.stderr.contains("lotta survival"),
        "{}",
        declared.stderr
    );
    let named = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            "data/md1-demo/outcomes.csv",
            "--outcome",
            "days_to_first_job",
            "--treatment",
            "took_part",
            "--format",
            "csv",
        ],
    );
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert!(
        named
            .stderr
            .contains("`days_to_first_job` is by its name a time to an event"),
        "{}",
        named.stderr
    );
    let plain = lotta(
        dir.path(),
        &[
            "estimate",
            STUDY,
            "--outcome",
            "work_or_study_540",
            "--format",
            "csv",
        ],
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(
        !plain.stderr.contains("time to an event"),
        "{}",
        plain.stderr
    );
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
    // The joint heterogeneity rows (issue 15) are Wald tests, estimator `wald`.
    let itt: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(",arm,") && !l.contains(": joint,"))
        .collect();
    assert!(!itt.is_empty());
    // The demo's design has strata: dim is blocked on them, and its label says so (issue 12).
    assert!(
        itt.iter().all(|l| l.contains(",dim (blocked),")),
        "{}",
        run.stdout
    );
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

#[test]
fn cost_and_estimate_refuse_an_id_that_is_not_in_the_ledger_by_one_join_rule() {
    // The same stray person in the cost file and in the outcome file: both commands name the
    // file, the line and the id (before the one join, `cost` analysed it silently).
    for (file, command) in [("costs.csv", "cost"), ("outcomes.csv", "estimate")] {
        let dir = quick_demo(&[]);
        let path = dir.path().join("data/md1-demo").join(file);
        let mut text = std::fs::read_to_string(&path).expect("read");
        let columns = text.lines().next().expect("header").split(',').count();
        let lines = text.lines().count();
        text.push_str(&format!("ZZ999{}\n", ",1".repeat(columns - 1)));
        std::fs::write(&path, text).expect("write");
        let run = lotta(dir.path(), &[command, STUDY, "--format", "csv"]);
        assert_eq!(run.code, 1, "{command}: {}", run.stderr);
        assert!(
            run.stderr.contains(file)
                && run.stderr.contains(&format!("line {}", lines + 1))
                && run
                    .stderr
                    .contains("`ZZ999` is not in the assignment ledger"),
            "{command}: {}",
            run.stderr
        );
    }
}

/// Issue 12, item 1: under `--method arcsine` the women − men row combined the SEs of Cohen's h
/// with an MDE in proportions (0.2398 and power 0.071 where the documented formula gives 0.0959
/// and 0.169). Every row's `se` is now on the outcome scale; `se_h` states the arcsine SE.
#[test]
fn power_arcsine_women_minus_men_mixed_the_h_scale_with_proportions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let field = |out: &str, estimand: &str, column: &str| -> f64 {
        let mut lines = out.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let col = header.iter().position(|h| *h == column).expect("column");
        let line = lines
            .find(|l| l.starts_with(&format!("{estimand},")))
            .expect("row");
        line.split(',')
            .nth(col)
            .expect("cell")
            .parse()
            .expect("number")
    };
    let mde = lotta(
        dir.path(),
        &[
            "power",
            "--baseline",
            "0.2",
            "--mde",
            "0.05",
            "--ratio",
            "3:1",
            "--power",
            "0.9",
            "--method",
            "arcsine",
            "--format",
            "csv",
        ],
    );
    assert_eq!(mde.code, 0, "{}", mde.stderr);
    let d = field(&mde.stdout, "women - men", "mde");
    assert!(
        (d - 0.0959).abs() < 5e-5,
        "women - men MDE {d}\n{}",
        mde.stdout
    );
    assert!(
        mde.stdout
            .lines()
            .next()
            .unwrap_or("")
            .contains(",se,se_h,")
    );
    let power = lotta(
        dir.path(),
        &[
            "power",
            "--baseline",
            "0.4",
            "--n",
            "1200",
            "--ratio",
            "2:1",
            "--mde",
            "0.06",
            "--method",
            "arcsine",
            "--format",
            "csv",
        ],
    );
    assert_eq!(power.code, 0, "{}", power.stderr);
    let p = field(&power.stdout, "women - men", "power");
    assert!(
        (p - 0.169).abs() < 5e-4,
        "women - men power {p}\n{}",
        power.stdout
    );
    // The overall row: se = sqrt(p0 (1 - p0)) * se_h, both stated.
    let se = field(&power.stdout, "all", "se");
    let se_h = field(&power.stdout, "all", "se_h");
    assert!(
        (se - (0.4_f64 * 0.6).sqrt() * se_h).abs() < 1e-6,
        "{}",
        power.stdout
    );
}

fn reference_data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/estimate")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The CSV row of `subgroup` in `out`, as column → cell.
fn csv_row(out: &str, subgroup: &str) -> std::collections::HashMap<String, String> {
    let mut lines = out.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let col = header
        .iter()
        .position(|h| h == "subgroup")
        .expect("subgroup");
    let line = lines
        .find(|l| l.split(',').nth(col) == Some(subgroup))
        .unwrap_or_else(|| panic!("no row {subgroup} in\n{out}"));
    header
        .into_iter()
        .zip(line.split(',').map(str::to_string))
        .collect()
}

/// Issue 12, item 2: with singleton strata under `fe` (and strata of one woman or one man
/// within a subgroup), HC2 divided 0 by 0: an empty SE in one subgroup, a silently zero term in
/// another. Leverage-one observations are now left out of the variance, as
/// `lm_robust(fixed_effects = ~stratum)` does, with a warning naming them.
#[test]
fn hc2_with_leverage_one_observations_gave_empty_or_silently_zero_ses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = reference_data("d_lev.csv");
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            &data,
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--estimator",
            "fe",
            "--strata",
            "stratum",
            "--covariates",
            "x",
            "--by",
            "gender",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("leverage one"), "{}", run.stderr);
    assert!(run.stderr.contains("stratum=t11"), "{}", run.stderr);
    // The difference is against the first level (issue 15's default reference).
    for subgroup in ["all", "gender=F", "gender=M", "gender=M - gender=F"] {
        let row = csv_row(&run.stdout, subgroup);
        let se: f64 = row["std_error"].parse().expect("a number");
        assert!(se.is_finite() && se > 0.01, "{subgroup}: {se}");
    }
    // The overall row: estimatr's lm_robust(y ~ z + x, fixed_effects = ~stratum) (make.R).
    let se: f64 = csv_row(&run.stdout, "all")["std_error"]
        .parse()
        .expect("se");
    assert!((se - 0.184_740_535_704_841_2).abs() < 1e-6, "{se}");
}

/// Issue 12, item 3: under Lin by region, a covariate level held only by controls in one region
/// makes the treatment coefficient unidentified; lotta printed the value for the column its pivot
/// order happened to keep (estimatr prints another). The row is now empty, with a warning.
#[test]
fn lin_printed_an_unidentified_treatment_effect_as_a_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = reference_data("d_unid.csv");
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            &data,
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--estimator",
            "lin",
            "--covariates",
            "age,educ",
            "--by",
            "region",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("not identified"), "{}", run.stderr);
    let r3 = csv_row(&run.stdout, "region=r3");
    assert_eq!(r3["estimate"], "", "{}", run.stdout);
    assert_eq!(r3["std_error"], "", "{}", run.stdout);
    let r1 = csv_row(&run.stdout, "region=r1");
    assert!(!r1["estimate"].is_empty(), "{}", run.stdout);
}

/// Issue 12, item 6: `--se` given with `--estimator dim` was ignored silently (the difference in
/// means takes its SE from the design). Now a warning names the flag.
#[test]
fn se_flag_with_the_difference_in_means_was_ignored_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = reference_data("d_main.csv");
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            &data,
            "--outcome",
            "y_num",
            "--treatment",
            "z",
            "--estimator",
            "dim",
            "--se",
            "hc1",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hc1 (--se) is not used by the difference in means"),
        "{}",
        run.stderr
    );
    let quiet = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            &data,
            "--outcome",
            "y_num",
            "--treatment",
            "z",
            "--estimator",
            "dim",
        ],
    );
    assert!(!quiet.stderr.contains("not used"), "{}", quiet.stderr);
}

/// Issue 12, item 4: a missing covariate stopped the analysis ("the covariate must be given for
/// everyone analysed") where R analyses complete cases. Now complete cases by default, with a
/// warning counting the persons left out by arm and subgroup, or the missing-indicator method.
#[test]
fn a_missing_covariate_stopped_the_analysis_where_r_uses_complete_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = reference_data("d_miss.csv");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "estimate",
            "--data",
            data.as_str(),
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--covariates",
            "x,age,occ",
            "--by",
            "gender",
            "--format",
            "csv",
        ];
        a.extend_from_slice(extra);
        a
    };
    let run = lotta(dir.path(), &args(&[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("persons with an outcome left out for a missing covariate"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("by arm: 0 "), "{}", run.stderr);
    assert!(
        run.stderr.contains("by subgroup: gender=F "),
        "{}",
        run.stderr
    );
    // lm_lin(y ~ z, covariates = ~ x + age + occ, data = d_miss): na.omit (make.R).
    let all = csv_row(&run.stdout, "all");
    let estimate: f64 = all["estimate"].parse().expect("estimate");
    assert!(
        (estimate - 0.592_523_400_469_258_7).abs() < 1e-9,
        "{estimate}"
    );
    let indicator = lotta(dir.path(), &args(&["--missing-covariates", "indicator"]));
    assert_eq!(indicator.code, 0, "{}", indicator.stderr);
    assert!(
        indicator.stderr.contains("indicator `x_missing`"),
        "{}",
        indicator.stderr
    );
    assert!(
        indicator.stderr.contains("level `NA`"),
        "{}",
        indicator.stderr
    );
    let all = csv_row(&indicator.stdout, "all");
    let estimate: f64 = all["estimate"].parse().expect("estimate");
    assert!(
        (estimate - 0.425_732_092_963_870_5).abs() < 1e-9,
        "{estimate}"
    );
    let bad = lotta(dir.path(), &args(&["--missing-covariates", "drop"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--missing-covariates"),
        "{}",
        bad.stderr
    );
}

/// Issue 12, item 4: `[analysis] missing_covariates` is honoured by `run`, described in the
/// report's methods, and frozen in the plan only when not the default (so that plans frozen
/// before the setting existed stay valid); a bad value names the key.
#[test]
fn missing_covariates_key_is_honoured_by_run_and_frozen_only_when_not_the_default() {
    let dir = quick_demo(&[]);
    let freeze = lotta(dir.path(), &["plan", "freeze", STUDY]);
    assert_eq!(freeze.code, 0, "{}", freeze.stderr);
    let record = read(&dir, &format!("{STUDY}/analysis-plan.jsonl"));
    assert!(!record.contains("missing_covariates"), "{record}");

    let dir = quick_demo(&[(
        "adjust = \"holm\"",
        "adjust = \"holm\"\nmissing_covariates = \"indicator\"",
    )]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = read(&dir, "out/report.md");
    assert!(report.contains("missing-indicator method"), "{report}");
    let freeze = lotta(dir.path(), &["plan", "freeze", STUDY]);
    assert_eq!(freeze.code, 0, "{}", freeze.stderr);
    let record = read(&dir, &format!("{STUDY}/analysis-plan.jsonl"));
    assert!(
        record.contains("\"analysis.missing_covariates\":\"indicator\""),
        "{record}"
    );

    let dir = quick_demo(&[(
        "adjust = \"holm\"",
        "adjust = \"holm\"\nmissing_covariates = \"mean\"",
    )]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("analysis.missing_covariates"),
        "{}",
        run.stderr
    );
}

/// Issue 12, item 6: numeric subgroup levels sorted as text (1, 10, 2). They now sort as
/// numbers (1, 2, 10), the last (10) the reference of the differences, labelled
/// `<col>=<a> - <col>=<b>` as before; text levels keep byte order.
#[test]
fn numeric_subgroup_levels_sorted_as_text_1_10_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("id,z,wave,y\n");
    for i in 0..36 {
        let wave = [1, 10, 2][i % 3];
        let z = (i / 3) % 2;
        csv.push_str(&format!("p{i},{z},{wave},{}\n", (i * 7 % 11) as f64 / 3.0));
    }
    std::fs::write(dir.path().join("d.csv"), csv).expect("write");
    let run = lotta(
        dir.path(),
        &[
            "estimate",
            "--data",
            "d.csv",
            "--outcome",
            "y",
            "--treatment",
            "z",
            "--by",
            "wave",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let subgroups: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).expect("subgroup"))
        .collect();
    assert_eq!(
        subgroups,
        // Issue 15: the reference is the first level in sorted order, and the joint test follows.
        [
            "all",
            "wave=1",
            "wave=2",
            "wave=10",
            "wave=2 - wave=1",
            "wave=10 - wave=1",
            "wave: joint"
        ]
    );
}

/// Issue 12, item 6: in a study folder `dim` is blocked on the design's strata automatically,
/// but its rows said `dim` and the report "difference in means". The rows now say
/// `dim (blocked)` and the methods describe the blocked estimator.
#[test]
fn dim_blocked_on_the_design_strata_was_labelled_plain_dim() {
    let dir = quick_demo(&[
        ("estimator = \"lin\"", "estimator = \"dim\""),
        (
            "covariates = [\"age\", \"education_years\", \"months_in_sweden\", \"distance\"]",
            "covariates = []",
        ),
    ]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effects = read(&dir, "out/tables/effects.csv");
    // The joint heterogeneity rows (issue 15) are Wald tests, estimator `wald`.
    let itt: Vec<&str> = effects
        .lines()
        .filter(|l| l.contains(",arm,") && !l.contains(": joint,"))
        .collect();
    assert!(!itt.is_empty(), "{effects}");
    assert!(
        itt.iter().all(|l| l.contains(",dim (blocked),")),
        "{effects}"
    );
    let report = read(&dir, "out/report.md");
    assert!(
        report.contains(
            "difference in means within blocks (strata), weighted by block size (estimatr's difference_in_means with blocks)"
        ),
        "{report}"
    );
    // Re-rendered from the tables, the label reads back.
    let again = lotta(dir.path(), &["report", STUDY, "--out", "out"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(read(&dir, "out/report.md").contains("within blocks (strata)"));
}

#[test]
fn cost_per_participant_charged_participants_with_nonparticipants_costs() {
    // Issue 17: the arm's total cost over the number who took part (43,178 SEK in the demo) was
    // the only cost per participant, while those who took part cost 39,128 on average. The
    // summary now carries the mean cost of each group, and the report says which is which.
    let dir = quick_demo(&[]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cost = read(&dir, "out/tables/cost.csv");
    let mut lines = cost.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let all = lines.next().unwrap_or_default();
    let cells: Vec<&str> = all.split(',').collect();
    let value = |name: &str| -> f64 {
        let j = header.iter().position(|h| *h == name).expect(name);
        cells[j].parse().expect(name)
    };
    let total_over_takers = value("cost_per_participant_treated");
    let participants = value("mean_cost_participants");
    let others = value("mean_cost_offered_nonparticipants");
    assert!(
        (total_over_takers - 43_177.63).abs() < 0.01,
        "{total_over_takers}"
    );
    assert!((participants - 39_128.10).abs() < 0.01, "{participants}");
    assert!(others < participants, "{others}");
    let report = read(&dir, "out/report.md");
    assert!(report.contains("those who took part cost 39"), "report");
}

/// Issue 15: with the subgroup's own column also a covariate, the subgroup indicators and the
/// covariate's dummies were collinear and the crossing's differences were "not identified"
/// (empty). The covariate is now left out of that variable's interaction models (the
/// indicators hold it), with a note: the rows equal those of the analysis without it.
#[test]
fn a_subgroup_column_that_is_also_a_covariate_left_the_differences_unidentified() {
    let dir = tempfile::tempdir().unwrap();
    let data =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups/d_het.csv");
    std::fs::copy(&data, dir.path().join("d.csv")).unwrap();
    let run_with = |covariates: &str, by: &str, estimator: &str| {
        lotta(
            dir.path(),
            &[
                "estimate",
                "--data",
                "d.csv",
                "--outcome",
                "y",
                "--treatment",
                "z",
                "--by",
                by,
                "--covariates",
                covariates,
                "--estimator",
                estimator,
                "--format",
                "csv",
            ],
        )
    };
    for (by, estimator) in [
        ("gender*distance", "lin"),
        ("gender", "lin"),
        ("gender*distance", "ols"),
    ] {
        let with = run_with("gender,x", by, estimator);
        let without = run_with("x", by, estimator);
        assert_eq!(with.code, 0, "{}", with.stderr);
        assert!(
            with.stderr
                .contains("`gender` is both a covariate and the subgroup variable")
                && with.stderr.contains("leave it out of the covariates"),
            "{by} {estimator}: {}",
            with.stderr
        );
        assert!(!with.stderr.contains("not identified"), "{}", with.stderr);
        let a = lotta::export::from_csv(with.stdout.as_bytes()).unwrap();
        let b = lotta::export::from_csv(without.stdout.as_bytes()).unwrap();
        assert_eq!(a.rows.len(), b.rows.len());
        let mut differences = 0;
        for i in 0..a.rows.len() {
            let subgroup = a.text(i, "subgroup").unwrap();
            assert_eq!(Some(subgroup.clone()), b.text(i, "subgroup"));
            if !subgroup.contains(" - ") {
                continue;
            }
            differences += 1;
            for column in ["estimate", "std_error", "p_value"] {
                let (x, y) = (a.number(i, column).unwrap(), b.number(i, column).unwrap());
                assert!(
                    (x - y).abs() <= 1e-9 * y.abs().max(1e-3),
                    "{by} {estimator} {subgroup} {column}: {x} vs {y}"
                );
            }
        }
        assert!(differences >= 1, "{by}: {}", with.stdout);
    }
}

#[test]
fn attrition_comparisons_do_not_give_back_a_masked_control_count() {
    // Control women at 90 days have fewer than 5 missing outcomes: the offered arm's difference in
    // missing rates (and its tests) would give that count back from control's published n.
    let dir = quick_demo(&[]);
    let run = lotta(dir.path(), &["run", STUDY, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table = read(&dir, "out/tables/attrition.csv");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let mut checked = 0;
    for control in rows.iter().filter(|r| r[2] == "standard") {
        let masked =
            control[3].starts_with('<') || control[4].starts_with('<') || control[4] == "x";
        for compared in rows
            .iter()
            .filter(|r| r[0] == control[0] && r[1] == control[1] && r[2] != "standard")
        {
            if masked {
                checked += 1;
                assert!(
                    compared[6..].iter().all(|c| c.is_empty()),
                    "{compared:?} compares with a masked control count"
                );
            } else {
                assert!(!compared[6].is_empty(), "{compared:?}");
            }
        }
    }
    assert!(checked > 0, "the demo has a masked control count: {table}");
}

/// The summary's cost line (issue 16): a report built from an effects row and cost rows as the
/// tables give them, in English or Swedish, and its summary section.
fn summary_cost_lines(cost_rows: &[CostRow], headline: f64, language: &str) -> String {
    use lotta::export::{Cell, Frame};
    use lotta::report::language::{Currency, Language};
    use lotta::report::study::{ReportContext, Tables, build};
    let mut effects = Frame::new(&[
        "outcome",
        "subgroup",
        "term",
        "estimate",
        "conf_low",
        "conf_high",
        "p_value",
    ]);
    effects.push(vec![
        "work_540".into(),
        "all".into(),
        "md1".into(),
        headline.into(),
        (headline - 0.03).into(),
        (headline + 0.03).into(),
        0.001.into(),
    ]);
    let mut cost = Frame::new(&[
        "subgroup",
        "perspective",
        "outcome",
        "incremental_cost",
        "incremental_effect",
        "icer",
        "icer_se",
        "fieller_shape",
        "fieller_low",
        "fieller_high",
        "boot_effect_low",
        "boot_effect_high",
        "level",
    ]);
    for r in cost_rows {
        cost.push(vec![
            "all".into(),
            r.perspective.into(),
            "work_540".into(),
            r.cost.into(),
            r.effect.into(),
            (r.cost / r.effect).into(),
            r.icer_se.into(),
            r.shape.into(),
            r.fieller.map(|f| f.0).into(),
            r.fieller.map(|f| f.1).into(),
            r.boot_effect.map(|b| b.0).into(),
            r.boot_effect.map(|b| b.1).into(),
            Cell::Num(0.95),
        ]);
    }
    let mut tables = Tables::new();
    tables.insert("effects".into(), effects);
    tables.insert("cost".into(), cost);
    let context = ReportContext {
        title: "T".into(),
        subtitle: None,
        arms: vec!["md1".into(), "standard".into()],
        control: "standard".into(),
        design: Vec::new(),
        methods: Vec::new(),
        primary_outcome: "work_540".into(),
        horizons: [("work_540".to_string(), 540)].into_iter().collect(),
        horizons_in_days: true,
        split: Default::default(),
        labels: Default::default(),
        outcome_label: if language == "sv" {
            "i arbete"
        } else {
            "in work"
        }
        .into(),
        participation: None,
        mask_below: 5,
        few_clusters: 0,
        manifest: String::new(),
        language: Language::parse(language).expect("a language"),
        currency: Currency::Kr,
    };
    let files = build(&context, &tables).expect("the report builds");
    let md = files
        .iter()
        .find(|(name, _)| name == "report.md")
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .expect("report.md");
    let summary = md.split("\n## ").nth(1).expect("a summary section");
    summary.to_string()
}

struct CostRow {
    perspective: &'static str,
    cost: f64,
    effect: f64,
    icer_se: Option<f64>,
    shape: &'static str,
    fieller: Option<(f64, f64)>,
    boot_effect: Option<(f64, f64)>,
}

const GROSS: CostRow = CostRow {
    perspective: "gross",
    cost: 12_377.0,
    effect: 0.0707,
    icer_se: Some(36_236.0),
    shape: "bounded",
    fieller: Some((124_133.0, 292_893.0)),
    boot_effect: Some((0.044, 0.098)),
};

#[test]
fn summary_cost_line_says_gross_or_net_and_carries_its_interval() {
    let net = CostRow {
        perspective: "net",
        cost: 9977.0,
        fieller: Some((88_896.0, 259_676.0)),
        ..GROSS
    };
    let summary = summary_cost_lines(&[GROSS, net], 0.0706, "en");
    assert!(
        summary.contains(
            "Cost per additional person in work (gross, programme costs only): 175\u{202f}064 SEK (95% CI 124\u{202f}133 to 292\u{202f}893 SEK, Fieller), the incremental cost of 12\u{202f}377 SEK per person offered divided by the effect above, +7.1 percentage points."
        ),
        "{summary}"
    );
    assert!(
        summary.contains("(net, after benefit offsets): 141\u{202f}117 SEK (95% CI 88\u{202f}896 to 259\u{202f}676 SEK, Fieller)"),
        "{summary}"
    );
}

#[test]
fn summary_cost_line_names_both_effects_when_the_cost_analysis_divides_by_another() {
    // The cost analysis divides by the unadjusted difference in means (+7.07), the line above
    // shows the covariate-adjusted effect (+6.5): the cost line names both.
    let summary = summary_cost_lines(&[GROSS], 0.065, "en");
    assert!(
        summary.contains("divided by +7.1 percentage points, the unadjusted difference in means (the adjusted effect above is +6.5)."),
        "{summary}"
    );
}

#[test]
fn summary_cost_line_is_no_number_when_the_effect_interval_includes_zero() {
    let unclear = CostRow {
        effect: 0.012,
        icer_se: None,
        shape: "exclusive",
        fieller: None,
        boot_effect: Some((-0.011, 0.035)),
        ..GROSS
    };
    let summary = summary_cost_lines(&[unclear], 0.012, "en");
    assert!(
        summary.contains(
            "Cost per additional person in work (gross, programme costs only): not given as a number, because the 95% interval of the effect, −1.1 to 3.5 percentage points (bootstrap), includes zero: the programme may have added no one."
        ),
        "{summary}"
    );
    assert!(
        !summary.contains("1\u{202f}031\u{202f}417"),
        "no ratio printed: {summary}"
    );
}

#[test]
fn summary_cost_line_is_no_number_when_the_offer_lowered_the_share() {
    let lowered = CostRow {
        effect: -0.06,
        icer_se: Some(50_000.0),
        shape: "bounded",
        fieller: Some((-400_000.0, -100_000.0)),
        boot_effect: Some((-0.09, -0.03)),
        ..GROSS
    };
    let summary = summary_cost_lines(&[lowered], -0.06, "en");
    assert!(
        summary.contains("not given as a number, because the offer lowered the share (−6.0 percentage points): the ratio would be a cost per person lost."),
        "{summary}"
    );
}

#[test]
fn summary_cost_line_is_no_number_when_the_programme_saves_money_and_adds_persons() {
    let dominant = CostRow {
        cost: -2000.0,
        fieller: Some((-60_000.0, -10_000.0)),
        ..GROSS
    };
    let summary = summary_cost_lines(&[dominant], 0.0707, "en");
    assert!(
        summary.contains("because the programme costs less (−2\u{202f}000 SEK per person offered) and adds persons (+7.1 percentage points): it dominates"),
        "{summary}"
    );
}

#[test]
fn summary_cost_line_reads_in_swedish() {
    let summary = summary_cost_lines(&[GROSS], 0.0706, "sv");
    assert!(
        summary.contains(
            "Kostnad per ytterligare person i arbete (brutto, enbart programmets kostnader): 175\u{202f}064 kr (95\u{a0}% KI 124\u{202f}133 till 292\u{202f}893 kr, Fiellers metod), dvs. merkostnaden på 12\u{202f}377 kr per erbjuden person delad med effekten ovan, +7,1 procentenheter."
        ),
        "{summary}"
    );
}
