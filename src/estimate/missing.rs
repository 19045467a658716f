//! Missing outcomes (attrition): counts and rates by arm, and a test of differential attrition
//! (the difference in missing rates between each arm and control, lm_robust HC2 of the missing
//! indicator on the arm indicators). The effects themselves use complete cases, with a warning.

use super::ols::{DesignMatrix, lm_robust};
use super::rows::AttritionRow;
use super::vcov::SeType;
use crate::error::Result;

/// Attrition rows for one outcome in one subgroup: one row per arm (control first).
pub fn attrition(
    outcome: &str,
    subgroup: &str,
    y: &[f64],
    arms: &[String],
    codes: &[usize],
    rows: &[usize],
) -> Result<Vec<AttritionRow>> {
    let missing: Vec<f64> = rows
        .iter()
        .map(|&i| f64::from(u8::from(y[i].is_nan())))
        .collect();
    let any_missing = missing.iter().any(|&m| m > 0.0);
    // The test needs a model only when something is missing.
    let fit = if any_missing && rows.len() > arms.len() {
        let mut design = DesignMatrix::new();
        design.push("(Intercept)", vec![1.0; rows.len()]);
        for (a, arm) in arms.iter().enumerate().skip(1) {
            design.push(
                arm.clone(),
                rows.iter()
                    .map(|&i| f64::from(u8::from(codes[i] == a)))
                    .collect(),
            );
        }
        lm_robust(&design, &missing, None, SeType::Hc2, None, &[]).ok()
    } else {
        None
    };
    let mut out = Vec::new();
    for (a, arm) in arms.iter().enumerate() {
        let (mut n_in_arm, mut n_missing) = (0usize, 0usize);
        for (&i, &m) in rows.iter().zip(&missing) {
            if codes[i] == a {
                n_in_arm += 1;
                n_missing += usize::from(m > 0.0);
            }
        }
        let (difference, std_error, p_value) = match (&fit, a) {
            (_, 0) => (f64::NAN, f64::NAN, f64::NAN),
            (Some(f), _) => {
                let (d, s, df) = (f.coef[a], f.std_error[a], f.df[a]);
                let (_, p, _, _) = super::t_inference(d, s, df, 0.05);
                (d, s, p)
            }
            (None, _) => (0.0, f64::NAN, f64::NAN),
        };
        out.push(AttritionRow {
            outcome: outcome.to_string(),
            subgroup: subgroup.to_string(),
            arm: arm.clone(),
            n: n_in_arm,
            n_missing,
            rate_missing: n_missing as f64 / n_in_arm.max(1) as f64,
            difference,
            std_error,
            p_value,
        });
    }
    Ok(out)
}
