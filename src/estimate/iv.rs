//! The effect of taking part, by two-stage least squares with the offer as the instrument, as
//! estimatr's `iv_robust`: the second stage is fitted on the first-stage fitted values, its
//! residuals use the observed participation, and the robust variance uses the fitted design
//! (estimatr mathematical notes, "iv_robust"). The first-stage F is the robust Wald F of the
//! instrument in the first stage (estimatr `iv_robust(..., diagnostics = TRUE)`, weak instruments).

use super::ols::{Design, fit_with, lm_robust};
use super::vcov::{Clusters, SeType};
use crate::error::{Error, Result};

/// A 2SLS effect.
#[derive(Debug, Clone, PartialEq)]
pub struct IvResult {
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    pub first_stage_f: f64,
}

/// 2SLS of `y` on `took_part`, instrumented by `offered`, with exogenous `covariates`.
pub fn iv_robust(
    y: &[f64],
    took_part: &[f64],
    offered: &[f64],
    covariates: &Design,
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
) -> Result<IvResult> {
    let n = y.len();
    let mut first = Design::new();
    first.push("(Intercept)", vec![1.0; n]);
    first.push("instrument", offered.to_vec());
    for (name, col) in covariates.names.iter().zip(&covariates.columns) {
        first.push(name.clone(), col.clone());
    }
    let first_fit = lm_robust(&first, took_part, weights, se, clusters, &["instrument"])?;
    let b = first_fit.coef[1];
    let first_stage_f = (b / first_fit.std_error[1]).powi(2);
    if !b.is_finite() || b.abs() < 1e-12 {
        return Err(Error::compute(
            "the offer does not predict participation (first-stage coefficient 0); the 2SLS effect is not identified",
        ));
    }
    // Fitted participation on the original scale (coefficients of the weighted fit).
    let fitted: Vec<f64> = took_part
        .iter()
        .zip(&first_fit.residuals)
        .map(|(d, e)| d - e)
        .collect();
    let mut second = Design::new();
    let mut structural = Design::new();
    second.push("(Intercept)", vec![1.0; n]);
    structural.push("(Intercept)", vec![1.0; n]);
    second.push("participation", fitted);
    structural.push("participation", took_part.to_vec());
    for (name, col) in covariates.names.iter().zip(&covariates.columns) {
        second.push(name.clone(), col.clone());
        structural.push(name.clone(), col.clone());
    }
    let fit = fit_with(
        &second,
        Some(&structural),
        y,
        weights,
        se,
        clusters,
        &["participation"],
    )?;
    Ok(IvResult {
        estimate: fit.coef[1],
        std_error: fit.std_error[1],
        df: fit.df[1],
        first_stage_f,
    })
}
