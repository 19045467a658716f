//! `lotta estimate`: every estimator, SE type and df rule against reference values computed with
//! R's estimatr, sandwich, clubSandwich and AER (tests/reference/estimate/make.R), and the
//! command end to end, including each kind of bad input.

use lotta::estimate::vcov::SeType;
use lotta::estimate::{Estimator, Options, estimate_all};
use lotta::io::join::{Request, load_file};
use lotta::io::{ColumnRequest, Table};
use std::path::{Path, PathBuf};

/// Relative tolerance for estimates, SEs, statistics and interval ends.
const REL_TOL: f64 = 1e-8;
/// Relative tolerance for degrees of freedom and p-values.
const REL_TOL_DF_P: f64 = 1e-8;
/// Absolute floor under which differences do not count (values that are 0 in exact arithmetic).
const ABS_FLOOR: f64 = 1e-12;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/estimate")
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    (a - b).abs() <= rel * a.abs().max(b.abs()) + ABS_FLOOR
}

struct Expected {
    case: String,
    source: String,
    outcome: String,
    subgroup: String,
    term: String,
    values: Vec<(&'static str, f64)>,
}

fn read_expected() -> Vec<Expected> {
    let path = reference_dir().join("expected.csv");
    let numeric = [
        "estimate",
        "std_error",
        "statistic",
        "df",
        "p_value",
        "conf_low",
        "conf_high",
        "n_treated",
        "n_control",
        "mean_treated",
        "mean_control",
        "first_stage_f",
    ];
    let mut requests: Vec<ColumnRequest> = ["case", "source", "outcome", "subgroup", "term"]
        .iter()
        .map(|c| ColumnRequest::text(*c))
        .collect();
    requests.extend(numeric.iter().map(|c| ColumnRequest::optional_number(*c)));
    let t = Table::read(&path, &requests).unwrap();
    (0..t.n_rows())
        .map(|i| Expected {
            case: t.text("case").unwrap()[i].clone(),
            source: t.text("source").unwrap()[i].clone(),
            outcome: t.text("outcome").unwrap()[i].clone(),
            subgroup: t.text("subgroup").unwrap()[i].clone(),
            term: t.text("term").unwrap()[i].clone(),
            values: numeric
                .iter()
                .map(|c| (*c, t.number(c).unwrap()[i]))
                .collect(),
        })
        .collect()
}

struct Case {
    name: String,
    dataset: String,
    request: Request,
    options: Options,
}

fn read_cases() -> Vec<Case> {
    let path = reference_dir().join("cases.csv");
    let cols = [
        "case",
        "dataset",
        "outcome",
        "treatment",
        "control",
        "estimator",
        "se",
        "covariates",
        "by",
        "strata",
        "cluster",
        "weights",
        "participation",
    ];
    let requests: Vec<ColumnRequest> = cols.iter().map(|c| ColumnRequest::text(*c)).collect();
    let t = Table::read(&path, &requests).unwrap();
    let get = |c: &str, i: usize| t.text(c).unwrap()[i].clone();
    let opt = |c: &str, i: usize| Some(get(c, i)).filter(|s| !s.is_empty());
    (0..t.n_rows())
        .map(|i| Case {
            name: get("case", i),
            dataset: get("dataset", i),
            request: Request {
                outcomes: vec![get("outcome", i)],
                treatment: get("treatment", i),
                control: opt("control", i),
                covariates: get("covariates", i)
                    .split_whitespace()
                    .map(String::from)
                    .collect(),
                by: opt("by", i),
                strata: opt("strata", i).into_iter().collect(),
                cluster: opt("cluster", i),
                weights: opt("weights", i),
                participation: opt("participation", i),
            },
            options: Options {
                estimator: Estimator::parse(&get("estimator", i)).unwrap(),
                se: opt("se", i).map(|s| SeType::parse(&s).unwrap()),
                alpha: 0.05,
            },
        })
        .collect()
}

#[test]
fn every_reference_row_matches_estimatr_sandwich_clubsandwich_and_aer() {
    let expected = read_expected();
    let cases = read_cases();
    assert!(cases.len() >= 20, "too few cases: {}", cases.len());
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let file = reference_dir().join(format!("d_{}.csv", case.dataset));
        let data = load_file(&file, &case.request).unwrap();
        let result = estimate_all(&data, &case.options, None)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let wanted: Vec<&Expected> = expected.iter().filter(|e| e.case == case.name).collect();
        assert!(!wanted.is_empty(), "{}: no expected rows", case.name);
        let estimatr_rows = wanted.iter().filter(|e| e.source == "estimatr").count();
        assert_eq!(
            result.rows.len(),
            estimatr_rows,
            "{}: lotta gives {} rows, estimatr {}",
            case.name,
            result.rows.len(),
            estimatr_rows
        );
        for e in wanted {
            let Some(row) = result
                .rows
                .iter()
                .find(|r| r.outcome == e.outcome && r.subgroup == e.subgroup && r.term == e.term)
            else {
                failures.push(format!(
                    "{} {}: no row {} / {}",
                    case.name, e.source, e.subgroup, e.term
                ));
                continue;
            };
            let ours = [
                ("estimate", row.estimate),
                ("std_error", row.std_error),
                ("statistic", row.statistic),
                ("df", row.df),
                ("p_value", row.p_value),
                ("conf_low", row.conf_low),
                ("conf_high", row.conf_high),
                ("n_treated", row.n_treated as f64),
                ("n_control", row.n_control as f64),
                ("mean_treated", row.mean_treated),
                ("mean_control", row.mean_control),
                ("first_stage_f", row.first_stage_f.unwrap_or(f64::NAN)),
            ];
            for (name, theirs) in &e.values {
                if theirs.is_nan() {
                    continue; // not given by this source (or not an IV row)
                }
                if e.subgroup.contains(" - ") && name.starts_with("mean") {
                    continue;
                }
                let mine = ours
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(f64::NAN, |v| v.1);
                let tol = if matches!(*name, "df" | "p_value") {
                    REL_TOL_DF_P
                } else {
                    REL_TOL
                };
                if !close(mine, *theirs, tol) {
                    failures.push(format!(
                        "{} [{}] {} {}: {name} lotta {mine:e} vs {theirs:e}",
                        case.name, e.source, e.subgroup, e.term
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 500, "only {checked} values checked");
}
