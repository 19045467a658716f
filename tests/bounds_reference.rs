//! `lotta bounds` (`ops::bounds::file_bounds`, through the settings layer) against an independent
//! R implementation of Lee (2009) bounds, plain and tightened within site × gender, with Imbens
//! & Manski (2004) intervals (tests/reference/bounds/lee.R): earnings observed among the
//! employed (the compared arm observed more often: trimmed) and a survey answer with
//! non-response (control observed more often: control trimmed), whole-100-SEK and 0/1 outcomes
//! (ties at the cut-off).

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use lotta::estimate::bounds::TrimmedArm;
use lotta::io::source::InputFile;
use lotta::ops::bounds::file_bounds;
use lotta::settings::bounds::{BoundsFlags, BoundsSettings};
use serde_json::Value;
use std::path::Path;

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[test]
fn lee_bounds_match_the_independent_r_implementation() {
    let expected: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string("tests/reference/bounds/expected.json").unwrap(),
    )
    .unwrap();
    let input = InputFile::open(Path::new("tests/reference/bounds/data.csv")).unwrap();
    assert_eq!(expected.len(), 4);
    for case in &expected {
        let outcome = case["outcome"].as_str().unwrap().to_string();
        let observed_when = case["observed_when"].as_str().unwrap();
        let cells: Vec<String> = case["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let flags = BoundsFlags {
            outcomes: Some(vec![outcome.clone()]),
            observed_when: (!observed_when.is_empty()).then(|| observed_when.to_string()),
            cells: Some(cells.clone()),
            treatment: Some("arm".into()),
            control: Some("standard".into()),
            by: None,
        };
        let settings = BoundsSettings::resolve(&flags, None).unwrap();
        let results = file_bounds(&input, &settings).unwrap();
        let wanted_cells = if cells.is_empty() {
            "none".to_string()
        } else {
            cells.join(" × ")
        };
        let row = results
            .rows
            .iter()
            .find(|r| r.cells == wanted_cells && r.subgroup == "all")
            .unwrap();
        let b = row.bounds.as_ref().unwrap();
        let what = |k: &str| format!("{outcome} cells {wanted_cells}: {k}");
        let trimmed = match b.trimmed {
            TrimmedArm::Treated => "treated",
            TrimmedArm::Control => "control",
        };
        assert_eq!(
            trimmed,
            case["trimmed"].as_str().unwrap(),
            "{}",
            what("arm")
        );
        assert_eq!(b.n[0] as f64, num(case, "n_control"));
        assert_eq!(b.n[1] as f64, num(case, "n_treated"));
        assert_eq!(b.n_observed[0] as f64, num(case, "observed_control"));
        assert_eq!(b.n_observed[1] as f64, num(case, "observed_treated"));
        assert_eq!(b.cells as f64, num(case, "n_cells"), "{}", what("cells"));
        assert_eq!(
            b.cells_not_trimmed as f64,
            num(case, "cells_not_trimmed"),
            "{}",
            what("cells not trimmed")
        );
        for (got, key) in [
            (b.trim_share, "trim_share"),
            (b.lower, "lower"),
            (b.upper, "upper"),
            (b.se_lower, "se_lower"),
            (b.se_upper, "se_upper"),
            (b.critical, "critical"),
            (b.conf_low, "conf_low"),
            (b.conf_high, "conf_high"),
        ] {
            assert_close(got, num(case, key), REFERENCE_REL, &what(key));
        }
    }
}
