//! `lotta power`: analytic results against R's pwr and the textbook formulas (fixtures made by
//! tests/reference/power/power.R), the distribution functions against R's `pt`/`qt`, power by
//! simulation (coverage, bias, determinism), and one test per kind of bad input.

use lotta::error::Location;
use lotta::power::{Plan, PlanInput, nct};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Relative agreement with R for closed forms, pwr's power functions and quantities we and
/// the R script both solve to full precision (R: uniroot tol 1e-14; lotta: bisection to 1e-15).
const REL_TOL: f64 = 1e-8;
/// Against a value pwr solved with its own default uniroot tolerance (eps^0.25 ≈ 1.2e-4).
const PWR_DEFAULT_SOLVER_TOL: f64 = 1e-5;
/// R's pt/qt against lotta's Simpson-integrated noncentral t and Newton-refined quantile.
const DIST_ABS_TOL: f64 = 1e-10;

fn read_csv(path: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("fixture exists");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> Option<f64> {
    row.get(key)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().expect("number"))
}

fn text(row: &HashMap<String, String>, key: &str) -> Option<String> {
    row.get(key).filter(|v| !v.is_empty()).cloned()
}

#[test]
fn analytic_results_match_r_pwr_and_textbook_formulas() {
    let rows = read_csv("tests/reference/power/analytic.csv");
    assert!(rows.len() >= 20);
    for row in &rows {
        let input = PlanInput {
            outcome: text(row, "outcome"),
            method: text(row, "method"),
            baseline: num(row, "baseline"),
            baseline_women: num(row, "baseline_women"),
            baseline_men: num(row, "baseline_men"),
            sd: num(row, "sd"),
            n: num(row, "n"),
            ratio: text(row, "ratio"),
            alpha: num(row, "alpha"),
            power: num(row, "power"),
            mde: num(row, "mde"),
            r2: num(row, "r2"),
            icc: num(row, "icc"),
            cluster_size: num(row, "cluster_size"),
            clusters: num(row, "clusters"),
            share_women: num(row, "share_women"),
            cost_per_participant: num(row, "cost_per_participant"),
            cost_sd: num(row, "cost_sd"),
            effect: num(row, "effect"),
        };
        let case = &row["case"];
        let plan =
            Plan::new(&input, &|_| Location::default()).unwrap_or_else(|e| panic!("{case}: {e}"));
        let answer = plan.answer().unwrap_or_else(|e| panic!("{case}: {e}"));
        let estimand = row["estimand"].as_str();
        let quantity = row["quantity"].as_str();
        let got = if estimand == "cost per additional success" {
            let c = answer.cost.as_ref().expect("cost precision");
            match quantity {
                "icer" => c.icer,
                "icer_se" => c.se,
                "icer_half_width" => c.half_width,
                "icer_lower" => c.fieller.expect("bounded").0,
                "icer_upper" => c.fieller.expect("bounded").1,
                q => panic!("unknown quantity {q}"),
            }
        } else {
            let r = answer
                .rows
                .iter()
                .find(|r| r.estimand == estimand)
                .expect("estimand row");
            match quantity {
                "mde" => r.mde,
                "power" => r.power,
                "n" => r.n,
                "design_effect" => r.design_effect,
                q => panic!("unknown quantity {q}"),
            }
        };
        let expected = num(row, "expected").expect("expected value");
        let tol = if row["source"].contains("own tolerance") {
            PWR_DEFAULT_SOLVER_TOL
        } else {
            REL_TOL
        };
        let rel = (got - expected).abs() / expected.abs();
        assert!(
            rel <= tol,
            "{case} {estimand} {quantity}: lotta {got} vs R {expected} (relative {rel:e})"
        );
    }
}

#[test]
fn noncentral_t_and_t_quantiles_match_r() {
    for row in read_csv("tests/reference/power/nct.csv") {
        let x = num(&row, "x").expect("x");
        let df = num(&row, "df").expect("df");
        let ncp = num(&row, "ncp").expect("ncp");
        let expected = num(&row, "expected").expect("expected");
        let got = match row["kind"].as_str() {
            "pt" => nct::pt_nc(x, df, ncp),
            _ => nct::qt(x, df),
        };
        let tol = DIST_ABS_TOL * expected.abs().max(1.0);
        assert!(
            (got - expected).abs() <= tol,
            "{} x={x} df={df} ncp={ncp}: lotta {got} vs R {expected}",
            row["kind"]
        );
    }
}
