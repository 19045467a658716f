//! Holm and Benjamini–Hochberg adjusted p-values against R's `p.adjust`
//! (fixture: tests/reference/adjust/p_adjust.json, made by tests/reference/adjust/adjust.R).

mod common;

use common::tolerance::ROUND_TRIP_REL;
use lotta::estimate::adjust::{Adjustment, adjust};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= ROUND_TRIP_REL * b.abs().max(1e-300)
}

#[test]
fn holm_and_bh_match_r_p_adjust() {
    let text = std::fs::read_to_string("tests/reference/adjust/p_adjust.json").expect("fixture");
    let cases: Value = serde_json::from_str(&text).expect("json");
    let cases = cases.as_object().expect("object");
    assert!(cases.len() >= 5);
    for (name, case) in cases {
        let p = numbers(&case["p"]);
        for (method, key) in [
            (Adjustment::Holm, "holm"),
            (Adjustment::BenjaminiHochberg, "bh"),
        ] {
            let expected = numbers(&case[key]);
            let got = adjust(&p, method);
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert!(close(*g, *e), "{name} {key}[{i}]: got {g}, R gave {e}");
            }
        }
    }
}
