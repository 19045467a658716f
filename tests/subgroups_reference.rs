//! Issue 15's subgroup analysis against R: the differences against the default (first) and a
//! chosen reference level, all pairs, the crossing's cells and its 2 × 2 interaction contrast
//! (estimatr's lm_robust / lm_lin), and the joint heterogeneity test (car::linearHypothesis with
//! sandwich's HC2; clubSandwich's Wald_test with CR2, Naive-F). Values from
//! tests/reference/subgroups/make.R (expected.csv, on d_het.csv).

mod common;

use common::tolerance::{FAST_PATH_REL, PRINTED_REL, assert_close};
use lotta::estimate::rows::EffectKind;
use lotta::estimate::{AnalysisColumns, EstimateOptions, Estimator, estimate_all};
use lotta::io::analysis_data::load_file;
use lotta::io::table::{ColumnRequest, Table};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/subgroups")
}

struct Expected {
    case: String,
    subgroup: String,
    values: BTreeMap<&'static str, Option<f64>>,
}

const NUMBERS: [&str; 6] = [
    "estimate",
    "std_error",
    "df",
    "statistic",
    "p_value",
    "df_num",
];

fn expected() -> Vec<Expected> {
    let mut names = vec!["case", "subgroup", "term"];
    names.extend(NUMBERS);
    let requests: Vec<ColumnRequest> = names.iter().map(|c| ColumnRequest::text(*c)).collect();
    let t = Table::read(&dir().join("expected.csv"), &requests).unwrap();
    (0..t.n_rows())
        .map(|i| Expected {
            case: t.text("case").unwrap()[i].clone(),
            subgroup: t.text("subgroup").unwrap()[i].clone(),
            values: NUMBERS
                .iter()
                .map(|c| (*c, t.text(c).unwrap()[i].trim().parse::<f64>().ok()))
                .collect(),
        })
        .collect()
}

struct Case {
    name: &'static str,
    by: &'static str,
    estimator: Estimator,
    covariates: &'static [&'static str],
    cluster: Option<&'static str>,
    references: &'static [(&'static str, &'static str)],
    all_pairs: bool,
}

const CASES: [Case; 5] = [
    Case {
        name: "dim_age_band",
        by: "age_band",
        estimator: Estimator::Dim,
        covariates: &[],
        cluster: None,
        references: &[],
        all_pairs: false,
    },
    Case {
        name: "ols_age_band_ref",
        by: "age_band",
        estimator: Estimator::Ols,
        covariates: &["x"],
        cluster: None,
        references: &[("age_band", "25-54")],
        all_pairs: true,
    },
    Case {
        name: "lin_age_band",
        by: "age_band",
        estimator: Estimator::Lin,
        covariates: &["x"],
        cluster: None,
        references: &[],
        all_pairs: false,
    },
    Case {
        name: "ols_age_band_cr2",
        by: "age_band",
        estimator: Estimator::Ols,
        covariates: &["x"],
        cluster: Some("municipality"),
        references: &[],
        all_pairs: false,
    },
    Case {
        name: "ols_crossing",
        by: "gender*distance",
        estimator: Estimator::Ols,
        covariates: &["x"],
        cluster: None,
        references: &[("gender", "M"), ("distance", "near")],
        all_pairs: false,
    },
];

#[test]
fn differences_contrasts_and_joint_tests_match_estimatr_car_and_clubsandwich() {
    let expected = expected();
    for case in &CASES {
        let request = AnalysisColumns {
            outcomes: vec!["y".into()],
            treatment: "z".into(),
            covariates: case.covariates.iter().map(|c| c.to_string()).collect(),
            by: vec![case.by.to_string()],
            references: case
                .references
                .iter()
                .map(|(c, l)| (c.to_string(), l.to_string()))
                .collect(),
            cluster: case.cluster.map(String::from),
            ..AnalysisColumns::default()
        };
        let data = load_file(&dir().join("d_het.csv"), &request).unwrap();
        let options = EstimateOptions {
            estimator: case.estimator,
            all_pairs: case.all_pairs,
            ..EstimateOptions::default()
        };
        let rows = estimate_all(&data, &options, None).unwrap().rows;
        let wanted: Vec<&Expected> = expected.iter().filter(|e| e.case == case.name).collect();
        assert!(wanted.len() >= 3, "{}", case.name);
        // Every difference, contrast and joint row lotta gives is in R's list, and vice versa.
        let lotta_rows: Vec<&str> = rows
            .iter()
            .filter(|r| r.subgroup.contains(" - ") || r.subgroup.ends_with(": joint"))
            .map(|r| r.subgroup.as_str())
            .collect();
        let mut r_rows: Vec<&str> = wanted.iter().map(|e| e.subgroup.as_str()).collect();
        let mut sorted = lotta_rows.clone();
        sorted.sort_unstable();
        r_rows.sort_unstable();
        assert_eq!(sorted, r_rows, "{}", case.name);
        for e in wanted {
            let row = rows.iter().find(|r| r.subgroup == e.subgroup).unwrap();
            let joint = row.estimator.kind == EffectKind::Wald;
            assert_eq!(joint, e.subgroup.ends_with(": joint"));
            let got = [
                ("estimate", row.estimate),
                ("std_error", row.std_error),
                ("df", row.df),
                ("statistic", row.statistic),
                ("p_value", row.p_value),
                ("df_num", row.df_num.unwrap_or(f64::NAN)),
            ];
            for (name, value) in got {
                match e.values[name] {
                    Some(want) => assert_close(
                        value,
                        want,
                        PRINTED_REL,
                        &format!("{} {} {name}", case.name, e.subgroup),
                    ),
                    // R has no value here: lotta's is empty too, or (statistic and p-value of a
                    // difference row) not part of this reference.
                    None if joint || name == "estimate" || name == "std_error" => {
                        assert!(
                            value.is_nan(),
                            "{} {} {name}: {value}",
                            case.name,
                            e.subgroup
                        )
                    }
                    None => {}
                }
            }
        }
    }
}

/// Several subgroup variables, a crossing and all pairs: the fast randomization statistic gives
/// the refit's estimates, row for row (its models are the same list, `interaction_models`).
#[test]
fn the_fast_statistic_equals_refitting_with_several_variables_a_crossing_and_pairs() {
    for estimator in [Estimator::Ols, Estimator::Lin, Estimator::Dim] {
        let request = AnalysisColumns {
            outcomes: vec!["y".into()],
            treatment: "z".into(),
            covariates: if estimator == Estimator::Dim {
                Vec::new()
            } else {
                vec!["x".into()]
            },
            by: vec!["gender".into(), "age_band".into(), "gender*distance".into()],
            references: [("age_band".to_string(), "55-64".to_string())].into(),
            ..AnalysisColumns::default()
        };
        let data = load_file(&dir().join("d_het.csv"), &request).unwrap();
        let options = EstimateOptions {
            estimator,
            all_pairs: true,
            ..EstimateOptions::default()
        };
        let fast = lotta::estimate::fast::fast_statistic(&data, &options)
            .unwrap()
            .expect("supported");
        let mut codes = data.treatment.codes.clone();
        codes.rotate_left(7);
        let refit = lotta::estimate::recompute(&data, &options, &codes).unwrap();
        let quick = fast.eval(&lotta::estimate::widen(&codes));
        assert_eq!(refit.len(), quick.len(), "{estimator:?}");
        assert!(refit.len() > 15, "{}", refit.len());
        for (a, b) in refit.iter().zip(&quick) {
            assert_close(*b, *a, FAST_PATH_REL, &format!("{estimator:?}"));
        }
    }
}
