//! Indicators with targets end to end (`[[indicators]]`, `[targets]` in the demo study): the
//! tables a run writes, how they add up, the report's "Targets" section and figures, disclosure
//! control over the new tables, and bad input that stops the run with the key to fix. The
//! statistics themselves are checked against R in tests/indicators_reference.rs.

mod common;
use common::{demo_copy, lotta};
use std::collections::BTreeMap;
use std::path::Path;

/// Fast runs: no randomization inference, no bootstrap.
const FAST: [(&str, &str); 2] = [
    ("ri_draws = 1000", "ri_draws = 0"),
    ("bootstrap = 2000", "bootstrap = 0"),
];

type Row = BTreeMap<String, String>;

fn table(dir: &Path, name: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join(format!("out/tables/{name}.csv")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn run(edits: &[(&str, &str)]) -> (tempfile::TempDir, common::Output) {
    let mut all: Vec<(&str, &str)> = FAST.to_vec();
    all.extend_from_slice(edits);
    let dir = demo_copy(&all);
    let out = lotta(dir.path(), &["run", "studies/md1-demo", "--out", "out"]);
    (dir, out)
}

#[test]
fn the_demo_run_writes_indicators_that_add_up_and_a_targets_section() {
    let (dir, out) = run(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let indicators = table(dir.path(), "indicators");
    // 18 months: all + F, M + 2 × 3 crossing cells = 9 cells × 2 arms; 3 months: 3 × 2.
    assert_eq!(indicators.len(), 9 * 2 + 3 * 2);
    // Rows masked by disclosure control (the demo masks a zero count of missing outcomes at
    // 90 days, and what would give it away) are checked in the masking test below.
    let published: Vec<&Row> = indicators
        .iter()
        .filter(|r| {
            ["n", "n_yes", "n_no"]
                .iter()
                .all(|c| r[*c].parse::<u64>().is_ok())
        })
        .collect();
    assert!(published.len() >= indicators.len() / 2, "{indicators:?}");
    for row in published {
        let n: u64 = row["n"].parse().unwrap();
        let yes: u64 = row["n_yes"].parse().unwrap();
        let no: u64 = row["n_no"].parse().unwrap();
        assert_eq!(n, yes + no, "{row:?}");
        let share: f64 = row["share"].parse().unwrap();
        assert!((share - yes as f64 / n as f64).abs() < 1e-12, "{row:?}");
        let (low, high): (f64, f64) = (
            row["conf_low"].parse().unwrap(),
            row["conf_high"].parse().unwrap(),
        );
        assert!(low <= share && share <= high, "{row:?}");
        // Met significantly exactly when the whole interval is above an "at least" target.
        let target: f64 = row["target"].parse().unwrap();
        assert_eq!(
            row["assessment"] == "met (significant)",
            low > target,
            "{row:?}"
        );
        assert_eq!(row["direction"], "at least");
    }
    let cells: Vec<&str> = indicators
        .iter()
        .filter(|r| r["indicator"] == "work_or_study_18m" && r["arm"] == "md1")
        .map(|r| r["subgroup"].as_str())
        .collect();
    assert_eq!(cells[0], "all");
    assert!(cells.contains(&"gender=F & age_group=16-24"), "{cells:?}");

    // The monitoring counts add up to the persons assigned in the flow table.
    let monitoring = table(dir.path(), "monitoring");
    let flow = table(dir.path(), "flow");
    for arm in ["md1", "standard"] {
        let all: u64 = monitoring
            .iter()
            .find(|r| r["subgroup"] == "all" && r["arm"] == arm)
            .unwrap()["n"]
            .parse()
            .unwrap();
        let assigned: u64 = flow.iter().find(|r| r["arm"] == arm).unwrap()["assigned"]
            .parse()
            .unwrap();
        assert_eq!(all, assigned);
        let cells: u64 = monitoring
            .iter()
            .filter(|r| r["subgroup"] != "all" && r["arm"] == arm)
            .map(|r| r["n"].parse::<u64>().unwrap())
            .sum();
        assert_eq!(cells, all, "every demo participant is 16–64");
    }

    // Exits without a job: studies and moved, each arm's counts adding up to n_arm.
    let categories = table(dir.path(), "indicator_categories");
    let reasons: Vec<&str> = categories
        .iter()
        .filter(|r| r["subgroup"] == "all" && r["arm"] == "md1")
        .map(|r| r["category"].as_str())
        .collect();
    assert_eq!(reasons, ["moved", "studies"]);
    for arm in ["md1", "standard"] {
        let rows: Vec<&Row> = categories
            .iter()
            .filter(|r| r["subgroup"] == "all" && r["arm"] == arm)
            .collect();
        let sum: u64 = rows.iter().map(|r| r["n"].parse::<u64>().unwrap()).sum();
        assert_eq!(sum.to_string(), rows[0]["n_arm"]);
    }
    let tests = table(dir.path(), "indicator_tests");
    assert_eq!(tests.len(), 3);
    for row in &tests {
        let p: f64 = row["p_value_fisher"].parse().unwrap();
        let q: f64 = row["p_value_chi_square"].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&q),
            "{row:?}"
        );
        assert_eq!(row["df"], "1");
    }

    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(report.contains("## Targets"), "{report}");
    assert!(report.contains("In work or studies within 18 months: target at least 40.0%."));
    assert!(
        report.contains("Women & Aged 16-24"),
        "crossing cells by their labels"
    );
    for figure in ["target_1", "target_2"] {
        assert!(
            dir.path()
                .join(format!("out/figures/{figure}.png"))
                .exists()
        );
    }
    assert!(!dir.path().join("out/figures/target_3.png").exists());
}

#[test]
fn small_cells_of_the_new_tables_are_masked_and_cannot_be_recovered() {
    // A threshold of 150 masks the small age groups of the control arm.
    let (dir, out) = run(&[("mask_below = 5", "mask_below = 150")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let masked = |v: &str| v.starts_with('<') || v == "x";
    let monitoring = table(dir.path(), "monitoring");
    let mut hidden = 0;
    for arm in ["md1", "standard"] {
        let cells: Vec<&Row> = monitoring
            .iter()
            .filter(|r| r["arm"] == arm && r["subgroup"] != "all")
            .collect();
        let count = cells.iter().filter(|r| masked(&r["n"])).count();
        assert_ne!(
            count, 1,
            "one masked cell follows from all − the others: {cells:?}"
        );
        hidden += count;
    }
    assert!(hidden > 0, "the threshold masked nothing: {monitoring:?}");
    // A masked indicator count hides the cell's statistics, and n = n_yes + n_no never gives
    // a masked count away.
    for row in table(dir.path(), "indicators") {
        let parts = [&row["n"], &row["n_yes"], &row["n_no"]];
        let count = parts.iter().filter(|v| masked(v)).count();
        assert_ne!(count, 1, "{row:?}");
        if count > 0 {
            assert_eq!(row["share"], "", "{row:?}");
            assert_eq!(row["p_value"], "", "{row:?}");
        }
    }
    // A test over a table with a masked count is masked.
    let categories = table(dir.path(), "indicator_categories");
    for test in table(dir.path(), "indicator_tests") {
        let any = categories
            .iter()
            .any(|r| r["subgroup"] == test["subgroup"] && (masked(&r["n"]) || masked(&r["n_arm"])));
        assert_eq!(test["p_value_fisher"].is_empty(), any, "{test:?}");
    }
}

fn refused(edits: &[(&str, &str)]) -> String {
    let (_dir, out) = run(edits);
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.stderr
}

#[test]
fn a_target_outside_zero_one_names_the_key_and_the_share_meant() {
    let err = refused(&[("target = 0.40", "target = 40")]);
    assert!(err.contains("indicators[1].target"), "{err}");
    assert!(err.contains("0.4 for 40%"), "{err}");
}

#[test]
fn an_unknown_subgroup_or_outcome_column_names_the_key_and_the_nearest_column() {
    let err = refused(&[(
        "by = [\"gender\"]\ntarget = 0.10",
        "by = [\"gendr\"]\ntarget = 0.10",
    )]);
    assert!(err.contains("indicators[2].by"), "{err}");
    assert!(err.contains("did you mean `gender`?"), "{err}");
    let err = refused(&[(
        "outcome = \"work_or_study_90\"",
        "outcome = \"work_or_study_99\"",
    )]);
    assert!(err.contains("indicators[2].outcome"), "{err}");
    assert!(err.contains("work_or_study_90"), "{err}");
    let err = refused(&[(
        "monitoring = \"gender*age_group\"",
        "monitoring = \"gender*age_grop\"",
    )]);
    assert!(
        err.contains("targets.monitoring") && err.contains("age_group"),
        "{err}"
    );
}

#[test]
fn a_non_binary_outcome_for_a_share_names_file_line_and_column() {
    let err = refused(&[("outcome = \"work_or_study_90\"", "outcome = \"exit_day\"")]);
    assert!(err.contains("outcomes.csv"), "{err}");
    assert!(err.contains("line"), "{err}");
    assert!(err.contains("is not 0 or 1"), "{err}");
    assert!(err.contains("kind = \"categories\""), "{err}");
}

#[test]
fn with_clusters_every_cell_has_the_cr2_columns() {
    // The demo's 16 sites as clusters of the analysis.
    let (dir, out) = run(&[("se = \"hc2\"", "se = \"cr2\"\ncluster = \"site\"")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = table(dir.path(), "indicators");
    let mut checked = 0;
    for row in rows
        .iter()
        .filter(|r| r["p_value_cr2"].parse::<f64>().is_ok())
    {
        // The clusters with persons in the cell (a small cell may miss a site).
        let clusters: f64 = row["clusters"].parse().unwrap();
        assert!((2.0..=16.0).contains(&clusters), "{row:?}");
        let (low, high): (f64, f64) = (
            row["conf_low_cr2"].parse().unwrap(),
            row["conf_high_cr2"].parse().unwrap(),
        );
        let share: f64 = row["share"].parse().unwrap();
        assert!(low < share && share < high, "{row:?}");
        let df: f64 = row["df_cr2"].parse().unwrap();
        assert!(
            df > 0.0 && df <= 15.0 + 1e-9,
            "Bell–McCaffrey df at most G − 1: {row:?}"
        );
        let (met, missed): (f64, f64) = (
            row["p_value_cr2"].parse().unwrap(),
            row["p_value_shortfall_cr2"].parse().unwrap(),
        );
        assert!((met + missed - 1.0).abs() < 1e-12, "{row:?}");
        checked += 1;
    }
    assert!(checked >= 10, "{rows:?}");
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(report.contains("the columns marked CR2"), "{report}");
}
