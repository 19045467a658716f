//! Two-stage least squares as estimatr's `iv_robust`, for one or several endogenous regressors
//! (the participation indicator, and its interactions with subgroup indicators for the
//! difference between subgroups). Each endogenous regressor is regressed on the instruments and
//! the exogenous regressors; the second stage is fitted on the first-stage fitted values, its
//! residuals use the observed endogenous regressors, and the robust variance (HC0–HC3,
//! CR0/CR1/CR2) and its df use the fitted design (estimatr mathematical notes, "iv_robust";
//! estimatr 1.0.0 `iv_robust` → `lm_robust_fit(iv_stage = list(2, design_matrix))`).
//!
//! The first-stage F of an endogenous regressor is what `iv_robust(..., diagnostics = TRUE)`
//! reports as `diagnostic_first_stage_fstatistic` (`<name>:value` with several endogenous
//! regressors): estimatr's `first_stage_ftest` fits that regressor on all instruments and
//! exogenous regressors with the same weights, clusters and SE type, and returns the robust Wald
//! F of the excluded instruments jointly, b'V⁻¹b / q (`compute_fstat`, q = number of excluded
//! instruments kept). Confirmed in R 4.2 / estimatr 1.0.0 against `lm_robust` of the regressor
//! on the instruments (HC0–HC3, CR0, CR1, CR2, weighted; agreement ≤ 1e-11 relative).

use super::ols::{DesignMatrix, fit_with, lm_robust};
use super::vcov::{Clusters, SeType};
use crate::error::{Error, Result};

/// First-stage coefficients of the excluded instruments below this (in absolute value) count as
/// zero: the regressor is not predicted by the instruments and its effect is not identified.
pub const FIRST_STAGE_ZERO: f64 = 1e-12;

/// A 2SLS effect.
#[derive(Debug, Clone, PartialEq)]
pub struct IvResult {
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    pub first_stage_f: f64,
}

/// A 2SLS model: `y ~ endogenous + exogenous | instruments + exogenous`, with an intercept in
/// both stages.
#[derive(Debug, Clone, Copy)]
pub struct IvModel<'a> {
    pub y: &'a [f64],
    /// The endogenous regressors (named as the output terms).
    pub endogenous: &'a DesignMatrix,
    /// The excluded instruments.
    pub instruments: &'a DesignMatrix,
    /// Regressors included in both stages (covariates, subgroup indicators).
    pub exogenous: &'a DesignMatrix,
}

/// A fitted 2SLS model: one entry per second-stage column, `(Intercept)`, the endogenous
/// regressors, then the exogenous ones (NaN where a column was dropped as collinear).
#[derive(Debug, Clone)]
pub struct IvFit {
    pub names: Vec<String>,
    pub coef: Vec<f64>,
    pub std_error: Vec<f64>,
    /// Degrees of freedom (CR2: computed for the endogenous regressors only).
    pub df: Vec<f64>,
    /// The first-stage F of each endogenous regressor, in the order given.
    pub first_stage_f: Vec<f64>,
    /// Exogenous columns dropped as collinear in the second stage.
    pub dropped: Vec<String>,
}

impl IvFit {
    /// Index of column `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Fit the 2SLS model with robust SEs. Errors when an endogenous regressor is not predicted by
/// the instruments (all its first-stage instrument coefficients 0) or is collinear with the
/// exogenous regressors in the second stage.
pub fn tsls(
    model: IvModel<'_>,
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
) -> Result<IvFit> {
    let n = model.y.len();
    let q = model.instruments.columns.len();
    let mut first = DesignMatrix::new();
    first.push("(Intercept)", vec![1.0; n]);
    append(&mut first, model.instruments);
    append(&mut first, model.exogenous);
    let mut second = DesignMatrix::new();
    let mut structural = DesignMatrix::new();
    second.push("(Intercept)", vec![1.0; n]);
    structural.push("(Intercept)", vec![1.0; n]);
    let mut first_stage_f = Vec::with_capacity(model.endogenous.columns.len());
    for (name, d) in model.endogenous.names.iter().zip(&model.endogenous.columns) {
        // Instruments sit in columns 1..=q of the first stage.
        let fit = lm_robust(&first, d, weights, se, clusters, &[])?;
        let slots: Vec<usize> = (1..=q)
            .filter_map(|j| fit.kept.iter().position(|&k| k == j))
            .collect();
        let b: Vec<f64> = slots.iter().map(|&s| fit.coef[fit.kept[s]]).collect();
        if b.is_empty()
            || b.iter()
                .all(|v| !v.is_finite() || v.abs() < FIRST_STAGE_ZERO)
        {
            return Err(Error::compute(format!(
                "the offer does not predict `{name}` (first-stage coefficients of the instruments 0); the 2SLS effect is not identified"
            )));
        }
        first_stage_f.push(wald_f(
            &b,
            &fit.vcov.select_rows(&slots).select_columns(&slots),
        ));
        // Fitted values on the original scale (coefficients of the weighted fit).
        let fitted: Vec<f64> = d.iter().zip(&fit.residuals).map(|(d, e)| d - e).collect();
        second.push(name.clone(), fitted);
        structural.push(name.clone(), d.clone());
    }
    append(&mut second, model.exogenous);
    append(&mut structural, model.exogenous);
    let interest: Vec<&str> = model.endogenous.names.iter().map(String::as_str).collect();
    let fit = fit_with(
        &second,
        Some(&structural),
        model.y,
        weights,
        se,
        clusters,
        &interest,
    )?;
    if let Some(name) = fit.dropped.iter().find(|d| interest.contains(&d.as_str())) {
        return Err(Error::compute(format!(
            "the fitted `{name}` is collinear with the other regressors; the 2SLS effect is not identified"
        )));
    }
    Ok(IvFit {
        names: fit.names,
        coef: fit.coef,
        std_error: fit.std_error,
        df: fit.df,
        first_stage_f,
        dropped: fit.dropped,
    })
}

/// 2SLS of `y` on `took_part`, instrumented by `offered`, with exogenous `covariates`.
pub fn iv_robust(
    y: &[f64],
    took_part: &[f64],
    offered: &[f64],
    covariates: &DesignMatrix,
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
) -> Result<IvResult> {
    let mut endogenous = DesignMatrix::new();
    endogenous.push("participation", took_part.to_vec());
    let mut instruments = DesignMatrix::new();
    instruments.push("instrument", offered.to_vec());
    let model = IvModel {
        y,
        endogenous: &endogenous,
        instruments: &instruments,
        exogenous: covariates,
    };
    let fit = tsls(model, weights, se, clusters)?;
    Ok(IvResult {
        estimate: fit.coef[1],
        std_error: fit.std_error[1],
        df: fit.df[1],
        first_stage_f: fit.first_stage_f[0],
    })
}

fn append(design: &mut DesignMatrix, more: &DesignMatrix) {
    for (name, col) in more.names.iter().zip(&more.columns) {
        design.push(name.clone(), col.clone());
    }
}

/// V counts as singular when its smallest eigenvalue is at most this times its largest.
pub const WALD_SINGULAR: f64 = 1e-12;

/// The Wald F b'V⁻¹b / q of coefficients `b` with variance `v` (estimatr `compute_fstat`).
///
/// estimatr returns NA when the Cholesky factorisation of V fails, which happens when V is
/// singular — e.g. the first stage of `d:g` without covariates under one-sided non-compliance,
/// where `d:g` is exactly 0 outside the offered members of `g`, so the coefficient of the offer
/// has variance 0. In floating point such a V is singular only up to rounding, so NaN is
/// returned when its eigenvalues span more than 1 / [`WALD_SINGULAR`].
fn wald_f(b: &[f64], v: &nalgebra::DMatrix<f64>) -> f64 {
    if b.len() > 1 {
        let eigen = v.clone().symmetric_eigenvalues();
        let max = eigen.max();
        if !(max > 0.0 && eigen.min() > WALD_SINGULAR * max) {
            return f64::NAN;
        }
    }
    let Some(chol) = v.clone().cholesky() else {
        return f64::NAN;
    };
    // With V = LL', b'V⁻¹b = ‖L⁻¹b‖².
    let u = chol
        .l()
        .solve_lower_triangular(&nalgebra::DVector::from_column_slice(b));
    match u {
        Some(u) => u.norm_squared() / b.len() as f64,
        None => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[f64]) -> Vec<f64> {
        values.to_vec()
    }

    #[test]
    fn a_regressor_the_instruments_do_not_predict_is_an_error() {
        let z = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let g = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let d = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let y = [3.0, 1.0, 2.5, 0.5, 1.0, 0.8, 2.0, 1.2];
        let mut endogenous = DesignMatrix::new();
        endogenous.push("d", column(&d));
        // Nobody in g = 1 takes part: d:g ≡ 0.
        endogenous.push("d:g", vec![0.0; 8]);
        let mut instruments = DesignMatrix::new();
        instruments.push("z", column(&z));
        instruments.push("z:g", z.iter().zip(&g).map(|(a, b)| a * b).collect());
        let mut exogenous = DesignMatrix::new();
        exogenous.push("g", column(&g));
        let model = IvModel {
            y: &y,
            endogenous: &endogenous,
            instruments: &instruments,
            exogenous: &exogenous,
        };
        let err = tsls(model, None, SeType::Hc2, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not predict `d:g`"), "{err}");
    }

    #[test]
    fn a_singular_first_stage_variance_gives_no_wald_f() {
        let v = nalgebra::DMatrix::from_row_slice(2, 2, &[3e-33, -2e-18, -2e-18, 1.4e-3]);
        assert!(wald_f(&[-7e-16, 0.88], &v).is_nan());
        let v = nalgebra::DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]);
        // b'V⁻¹b / 2 with V⁻¹ = [1 −0.5; −0.5 2] / 1.75 and b = (1, 1): (1 − 1 + 2) / 1.75 / 2.
        let f = wald_f(&[1.0, 1.0], &v);
        assert!((f - 2.0 / 1.75 / 2.0).abs() < 1e-14, "{f}");
    }
}

#[cfg(test)]
mod analytic_tests {
    //! With one binary instrument and no covariates, 2SLS is the Wald ratio: the effect of the
    //! offer on the outcome over its effect on participation (Angrist, Imbens & Rubin 1996;
    //! Gerber & Green 2012, eq. 5.21).
    use super::*;

    /// Absolute tolerance: QR on eight rows, far above rounding.
    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    /// Offered (z = 1): d = 1, 1, 1, 0 and y = 5, 7, 6, 2; not offered: d = 0 and y = 1, 3, 2, 2.
    fn data() -> ([f64; 8], [f64; 8], [f64; 8]) {
        (
            [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [5.0, 7.0, 6.0, 2.0, 1.0, 3.0, 2.0, 2.0],
        )
    }

    #[test]
    fn a_binary_instrument_gives_the_wald_ratio() {
        // ITT on y: 20/4 − 8/4 = 3; on d: 3/4 − 0 = 3/4. Wald ratio 3 / (3/4) = 4.
        // First-stage F with one instrument is t² of the offer in the first stage; HC2 of a
        // binary regressor is the Neyman variance: d among the offered has variance
        // (3 · 1/16 + 9/16)/3 = 1/4, so SE² = (1/4)/4 + 0/4 = 1/16 and F = (3/4)² · 16 = 9.
        let (z, d, y) = data();
        let r = iv_robust(&y, &d, &z, &DesignMatrix::new(), None, SeType::Hc2, None).unwrap();
        close(r.estimate, 4.0, "2SLS");
        close(r.first_stage_f, 9.0, "first-stage F");
        close(r.df, 6.0, "df n − k");
    }

    #[test]
    fn with_a_covariate_it_is_the_ratio_of_the_two_itt_regressions() {
        // Just-identified 2SLS equals indirect least squares: the coefficient of z in the
        // regression of y on (1, z, x) over its coefficient in the regression of d on (1, z, x).
        let (z, d, y) = data();
        let x = [0.5, 1.0, 3.0, 2.0, 1.0, 4.0, 0.0, 2.5];
        let mut covariates = DesignMatrix::new();
        covariates.push("x", x.to_vec());
        let r = iv_robust(&y, &d, &z, &covariates, None, SeType::Hc2, None).unwrap();
        let mut design = DesignMatrix::new();
        design.push("(Intercept)", vec![1.0; 8]);
        design.push("z", z.to_vec());
        design.push("x", x.to_vec());
        let reduced = lm_robust(&design, &y, None, SeType::Hc2, None, &[]).unwrap();
        let first = lm_robust(&design, &d, None, SeType::Hc2, None, &[]).unwrap();
        close(r.estimate, reduced.coef[1] / first.coef[1], "2SLS = ILS");
    }
}
