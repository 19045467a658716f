//! `lotta survival` (`ops::survival_data` and `ops::survival::file_survival`, through the settings layer) against R's
//! survival (survfit, survdiff, coxph), cmprsk (cuminc, timepoints) and survRM2's formulas
//! (tests/reference/survival/survival.R): every row R computes must be produced by lotta and
//! agree, and lotta must produce no row R does not. Datasets: monthly data with heavy ties,
//! stratified and clustered; a subgroup whose arm has no events; administrative censoring with
//! ties at the end; 16 persons in small subgroups; competing exits.

mod common;

use common::tolerance::{REFERENCE_REL, assert_close};
use lotta::io::join::Joined;
use lotta::ops::survival::file_survival;
use lotta::ops::survival_data::{columns, survival_data};
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
        let joined = Joined::file_columns(&input, &columns(&settings, false)).unwrap();
        let persons = survival_data(&settings, &joined, false).unwrap();
        let results = file_survival(&persons, &settings).unwrap();
        let mut seen = 0;
        let mut given = std::collections::BTreeSet::new();
        for row in &results.analysis.rows {
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
            results.analysis.notes
        );
    }
    eprintln!("{compared} numbers compared; largest relative difference {worst:e}");
    assert!(compared > 1000);
}

/// The cost per additional month with a job (`cea::months`) against
/// tests/reference/survival/cost_per_month.R, which computes the RMST with survRM2's formulas
/// (cross-checked with survfit's rmean), the covariance of mean cost and RMST by integrating the
/// influence of S(t) (cross-checked with the jackknife), the delta-method SE and Fieller's set:
/// two τ, overall and for women and men, significant and not.
#[test]
fn cost_per_month_with_a_job_matches_r() {
    use lotta::cea::months::cost_per_month;
    let mut data = csv::Reader::from_path(Path::new(DIR).join("d_costs.csv")).unwrap();
    let (mut arm, mut gender, mut time, mut event, mut cost) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rec in data.records() {
        let rec = rec.unwrap();
        arm.push(rec[1].to_string());
        gender.push(rec[2].to_string());
        time.push(number(&rec[3]));
        event.push(rec[4].parse::<u8>().unwrap());
        cost.push(number(&rec[5]));
    }
    let mut expected = csv::Reader::from_path(Path::new(DIR).join("cost_per_month.csv")).unwrap();
    let headers = expected.headers().unwrap().clone();
    let mut compared = 0;
    let mut unbounded_se = 0;
    for rec in expected.records() {
        let rec = rec.unwrap();
        let col = |name: &str| {
            let k = headers.iter().position(|h| h == name).unwrap();
            let v = &rec[k];
            if v == "NA" { f64::NAN } else { number(v) }
        };
        let (tau, subgroup) = (col("tau"), rec[1].to_string());
        let rows: Vec<usize> = (0..arm.len())
            .filter(|&i| subgroup == "all" || subgroup == format!("gender={}", gender[i]))
            .collect();
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let status: Vec<u8> = rows.iter().map(|&i| event[i]).collect();
        let treated: Vec<bool> = rows.iter().map(|&i| arm[i] == "md1").collect();
        let got = cost_per_month(
            &pick(&cost),
            &pick(&time),
            &status,
            &treated,
            None,
            tau,
            0.95,
        )
        .unwrap();
        let q = &got.ratio;
        let what = |name: &str| format!("τ {tau} {subgroup} {name}");
        assert_eq!(got.n[0] as f64, col("n_treated"));
        assert_eq!(got.n[1] as f64, col("n_control"));
        let (fl, fh) = q.fieller.limits();
        for (g, name) in [
            (got.rmst[0], "rmst_treated"),
            (got.rmst[1], "rmst_control"),
            (q.delta_cost, "delta_cost"),
            (q.se_cost * q.se_cost, "var_cost"),
            (q.delta_effect, "delta_months"),
            (q.se_effect * q.se_effect, "var_months"),
            (q.covariance, "covariance"),
            (q.icer, "ratio"),
            (fl, "fieller_low"),
            (fh, "fieller_high"),
        ] {
            assert_close(g, col(name), REFERENCE_REL, &what(name));
            compared += 1;
        }
        assert_eq!(q.fieller.shape(), &rec[15], "{}", what("fieller_shape"));
        // The delta-method interval is given only when ΔM's interval excludes 0 (as for every
        // cost per effect); R computes it regardless.
        let z = 1.959_963_984_540_054;
        let significant = (q.delta_effect.abs() - z * q.se_effect) > 0.0;
        assert_eq!(q.meaningful, significant, "{}", what("meaningful"));
        if significant {
            for (g, name) in [
                (q.icer_se, "ratio_se"),
                (q.delta_low, "delta_low"),
                (q.delta_high, "delta_high"),
            ] {
                assert_close(g, col(name), REFERENCE_REL, &what(name));
                compared += 1;
            }
        } else {
            assert!(q.icer_se.is_nan(), "{}", what("ratio_se"));
            unbounded_se += 1;
        }
    }
    assert!(compared >= 60, "{compared}");
    assert_eq!(unbounded_se, 1, "one case whose effect is not significant");
}
