//! Randomization-inference counting against R (ri2's two-tailed rule) on the same permutation
//! matrix (fixture: tests/reference/ri/ri_fixture.json, made by tests/reference/ri/ri.R).
//! The binary outcome produces many exact ties, which pins down the tie rule.

mod common;

use common::tolerance::{GRID_SLACK_ABS, SUM_REL, assert_close_abs};
use lotta::estimate::ri::{
    confidence_interval_with, count, difference_in_means, inversion_p_value,
};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// All, women, men, and the women − men difference (the interaction coefficient of the
/// saturated model y ~ z * female, in which treatment enters two terms).
fn statistics(z: &[f64], y: &[f64], female: &[f64]) -> Vec<f64> {
    let pick = |want: f64| -> (Vec<f64>, Vec<f64>) {
        let idx: Vec<usize> = (0..z.len()).filter(|&i| female[i] == want).collect();
        (
            idx.iter().map(|&i| z[i]).collect(),
            idx.iter().map(|&i| y[i]).collect(),
        )
    };
    let (zf, yf) = pick(1.0);
    let (zm, ym) = pick(0.0);
    let f = difference_in_means(&zf, &yf);
    let m = difference_in_means(&zm, &ym);
    vec![difference_in_means(z, y), f, m, f - m]
}

#[test]
fn p_values_match_ri2_counting_on_the_same_permutations() {
    let text = std::fs::read_to_string("tests/reference/ri/ri_fixture.json").expect("fixture");
    let d: Value = serde_json::from_str(&text).expect("json");
    let z = numbers(&d["z"]);
    let female = numbers(&d["female"]);
    let perm: Vec<Vec<f64>> = d["perm"].as_array().unwrap().iter().map(numbers).collect();
    assert_eq!(perm.len(), d["sims"].as_u64().unwrap() as usize);
    for key in ["bin", "num"] {
        let y = numbers(&d[format!("y_{key}").as_str()]);
        let observed = statistics(&z, &y, &female);
        for (o, r) in observed.iter().zip(numbers(&d[key]["observed"])) {
            // Observed statistics are stored with 15 significant digits.
            assert_close_abs(*o, r, SUM_REL, &format!("{key} statistic"));
        }
        let sims: Vec<Vec<f64>> = perm.iter().map(|zr| statistics(zr, &y, &female)).collect();
        let test = count(&observed, &sims).unwrap();
        let extreme: Vec<usize> = numbers(&d[key]["extreme"])
            .iter()
            .map(|&x| x as usize)
            .collect();
        assert_eq!(test.extreme, extreme, "{key}");
        for (p, r) in test.p_values.iter().zip(numbers(&d[key]["p_two_tailed"])) {
            assert!((p - r).abs() < SUM_REL, "{key}: {p} vs R {r}");
        }
    }
}

#[test]
fn test_inversion_matches_r_on_the_same_permutations() {
    let d: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/reference/ri/ri_fixture.json").expect("fixture"),
    )
    .expect("json");
    let ci: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/reference/ri/ri_ci.json").expect("fixture"),
    )
    .expect("json");
    let z = numbers(&d["z"]);
    let y = numbers(&d["y_num"]);
    let perm: Vec<Vec<f64>> = d["perm"].as_array().unwrap().iter().map(numbers).collect();
    let draw = |r: usize| perm[r].clone();
    for (tau, p) in numbers(&ci["tau"]).iter().zip(numbers(&ci["p"])) {
        let got = inversion_p_value(&y, &z, *tau, perm.len(), &draw, &difference_in_means);
        assert!((got - p).abs() < SUM_REL, "p({tau}): lotta {got}, R {p}");
    }
    let (lo, hi) =
        confidence_interval_with(&y, &z, perm.len(), 0.95, &draw, &difference_in_means).unwrap();
    // R searched a grid of step h: its smallest accepted point is within h above the boundary,
    // its largest within h below.
    let h = ci["fine_step"].as_f64().unwrap();
    let (r_lo, r_hi) = (
        ci["ci_low"].as_f64().unwrap(),
        ci["ci_high"].as_f64().unwrap(),
    );
    assert!(
        lo <= r_lo + GRID_SLACK_ABS && r_lo - lo < h,
        "low: lotta {lo}, R grid {r_lo}"
    );
    assert!(
        hi >= r_hi - GRID_SLACK_ABS && hi - r_hi < h,
        "high: lotta {hi}, R grid {r_hi}"
    );
}
