//! `lotta survival` (`ops::survival::file_survival`, through the settings layer) against R's
//! survival (survfit, survdiff, coxph), cmprsk (cuminc, timepoints) and survRM2's formulas
//! (tests/reference/survival/survival.R): every row R computes must be produced by lotta and
//! agree, and lotta must produce no row R does not. Datasets: monthly data with heavy ties,
//! stratified and clustered; a subgroup whose arm has no events; administrative censoring with
//! ties at the end; 16 persons in small subgroups; competing exits.

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use lotta::ops::survival::file_survival;
use lotta::settings::survival::{SurvivalFlags, SurvivalSettings};
use std::collections::BTreeMap;
use std::path::Path;

const DIR: &str = "tests/reference/survival";

type Key = (String, String, String, String, String);

fn number(s: &str) -> f64 {
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap()
    }
}

fn time_key(t: f64) -> String {
    if t.is_nan() {
        String::new()
    } else {
        format!("{t}")
    }
}

/// Expected rows by key; a control arm's rows appear once per comparison (with the same
/// values), so a key may hold several.
fn expected() -> BTreeMap<Key, Vec<Vec<f64>>> {
    let mut r = csv::Reader::from_path(Path::new(DIR).join("expected.csv")).unwrap();
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let key = (
            rec[0].to_string(),
            rec[1].to_string(),
            rec[2].to_string(),
            rec[3].to_string(),
            time_key(number(&rec[4])),
        );
        let values = (5..12).map(|i| number(&rec[i])).collect();
        out.entry(key).or_insert_with(Vec::new).push(values);
    }
    out
}

fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

#[test]
fn every_estimate_matches_r() {
    let want = expected();
    let mut cases = csv::Reader::from_path(Path::new(DIR).join("cases.csv")).unwrap();
    let mut compared = 0;
    let mut worst = 0.0f64;
    for rec in cases.records() {
        let c = rec.unwrap();
        let case = c[0].to_string();
        let flags = SurvivalFlags {
            time: Some("time".into()),
            event: Some("event".into()),
            treatment: Some("arm".into()),
            control: text(&c[2]),
            by: text(&c[4]),
            strata: text(&c[5]).map(|s| vec![s]),
            cluster: text(&c[6]),
            cause: text(&c[7]),
            tau: text(&c[8]).map(|t| t.parse().unwrap()),
            at: Some(c[3].split(';').map(|t| t.parse().unwrap()).collect()),
            ..SurvivalFlags::default()
        };
        let settings = SurvivalSettings::resolve(&flags, None).unwrap();
        let input = lotta::io::source::InputFile::open(&Path::new(DIR).join(&c[1])).unwrap();
        let results = file_survival(&input, &settings).unwrap();
        let mut seen = 0;
        let mut given = std::collections::BTreeSet::new();
        for row in &results.rows {
            let key = (
                case.clone(),
                row.estimand.clone(),
                row.subgroup.clone(),
                row.arm.clone(),
                time_key(row.time.unwrap_or(f64::NAN)),
            );
            let Some(all) = want.get(&key) else {
                panic!("lotta gives a row R does not: {key:?}");
            };
            let values = &all[0];
            seen += 1;
            given.insert(key.clone());
            let got = [
                row.estimate,
                row.std_error,
                row.statistic,
                row.df,
                row.p_value,
                row.conf_low,
                row.conf_high,
            ];
            let names = [
                "estimate",
                "std_error",
                "statistic",
                "df",
                "p_value",
                "conf_low",
                "conf_high",
            ];
            for ((g, w), name) in got.iter().zip(values).zip(names) {
                assert_close(*g, *w, REFERENCE_REL, &format!("{key:?} {name}"));
                if w.is_finite() && *w != 0.0 {
                    worst = worst.max((g - w).abs() / w.abs());
                }
                compared += 1;
            }
        }
        let in_case: usize = want
            .iter()
            .filter(|(k, _)| k.0 == case)
            .map(|(_, v)| v.len())
            .sum();
        let missing: Vec<&Key> = want
            .keys()
            .filter(|k| k.0 == case && !given.contains(*k))
            .collect();
        assert_eq!(
            seen, in_case,
            "case {case}: lotta gives {seen} of R's {in_case} rows; missing {missing:?}; notes {:?}",
            results.notes
        );
    }
    eprintln!("{compared} numbers compared; largest relative difference {worst:e}");
    assert!(compared > 1000);
}
