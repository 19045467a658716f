//! Least squares with robust standard errors, as estimatr's `lm_robust`: QR fit, collinear
//! columns dropped as R does (reported by name), optional weights (weighted least squares on
//! √w-scaled rows, weights normalized to mean 1), HC0–HC3 or CR0/CR1/CR2 variance and df.
//! Also the OLS-with-covariates design: text covariates enter as indicators, first level
//! (sorted) as reference, as R's `model.matrix` with treatment contrasts.

use super::crossproducts;
use super::vcov::{Clusters, SeType, robust_vcov};
use crate::categorical::levels_in_order;
use crate::error::{Error, Result};
use crate::linalg::{self, ColumnRef};
use nalgebra::DMatrix;

/// A fitted `lm_robust` model: one entry per design column (NaN where the column was dropped).
#[derive(Debug, Clone)]
pub struct RobustFit {
    pub names: Vec<String>,
    pub coef: Vec<f64>,
    pub std_error: Vec<f64>,
    pub df: Vec<f64>,
    /// Names of columns dropped as collinear with earlier ones.
    pub dropped: Vec<String>,
    pub n: usize,
    /// Residuals y − Xβ on the original (unweighted) scale.
    pub residuals: Vec<f64>,
    /// Indices (into `names`) of the kept columns, in order.
    pub kept: Vec<usize>,
    /// Robust variance matrix of the kept coefficients (`kept.len()` square), as estimatr's
    /// `vcov`.
    pub vcov: DMatrix<f64>,
    /// Rows (into `y`) of leverage one, left out of an HC2/HC3 variance
    /// ([`super::vcov::LEVERAGE_ONE_TOLERANCE`]).
    pub leverage_one: Vec<usize>,
    /// Columns of `interest` that are not identified: in the span of the other columns, so that
    /// their value depends on which collinear column is dropped
    /// ([`crate::linalg::LeastSquares::in_span_of_others`]). Their coefficient, SE and df are NaN.
    pub unidentified: Vec<String>,
}

impl RobustFit {
    /// Index of column `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// A design matrix with named columns.
#[derive(Debug, Clone)]
pub struct DesignMatrix {
    pub columns: Vec<Vec<f64>>,
    pub names: Vec<String>,
}

impl DesignMatrix {
    pub fn new() -> DesignMatrix {
        DesignMatrix {
            columns: Vec::new(),
            names: Vec::new(),
        }
    }
    pub fn push(&mut self, name: impl Into<String>, column: Vec<f64>) {
        self.names.push(name.into());
        self.columns.push(column);
    }
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
    pub fn nrows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

impl Default for DesignMatrix {
    fn default() -> Self {
        DesignMatrix::new()
    }
}

/// Where a column of a [`LazyDesignMatrix`] comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Stored(usize),
    Ones,
    /// The product of two stored columns.
    Product(usize, usize),
}

/// A design matrix whose intercept and interaction columns are not stored but computed block by
/// block when the model is fitted (`linalg::ColumnRef`): the same numbers, without a hundred
/// megabytes of fresh memory per model at a million rows.
#[derive(Debug, Clone, Default)]
pub struct LazyDesignMatrix {
    pub names: Vec<String>,
    stored: Vec<Vec<f64>>,
    sources: Vec<Source>,
    n: usize,
}

impl LazyDesignMatrix {
    /// An empty design of `n` rows.
    pub fn with_rows(n: usize) -> LazyDesignMatrix {
        LazyDesignMatrix {
            n,
            ..LazyDesignMatrix::default()
        }
    }

    /// Every column of `design`, stored.
    pub fn from_design(design: DesignMatrix) -> LazyDesignMatrix {
        let mut lazy = LazyDesignMatrix::with_rows(design.nrows());
        for (name, column) in design.names.into_iter().zip(design.columns) {
            lazy.push(name, column);
        }
        lazy
    }

    /// A stored column; returns its index among the stored columns.
    pub fn push(&mut self, name: impl Into<String>, column: Vec<f64>) -> usize {
        self.names.push(name.into());
        self.sources.push(Source::Stored(self.stored.len()));
        self.stored.push(column);
        self.stored.len() - 1
    }

    /// A column of ones.
    pub fn push_ones(&mut self, name: impl Into<String>) {
        self.names.push(name.into());
        self.sources.push(Source::Ones);
    }

    /// The product of stored columns `a` and `b` (indices returned by [`LazyDesignMatrix::push`]).
    pub fn push_product(&mut self, name: impl Into<String>, a: usize, b: usize) {
        self.names.push(name.into());
        self.sources.push(Source::Product(a, b));
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn nrows(&self) -> usize {
        self.n
    }

    /// The columns, in order.
    pub fn refs(&self) -> Vec<ColumnRef<'_>> {
        self.sources
            .iter()
            .map(|s| match *s {
                Source::Stored(j) => ColumnRef::Values(&self.stored[j]),
                Source::Ones => ColumnRef::Ones,
                Source::Product(a, b) => ColumnRef::Product(&self.stored[a], &self.stored[b]),
            })
            .collect()
    }

    /// Every column stored.
    pub fn materialize(self) -> DesignMatrix {
        let mut design = DesignMatrix::new();
        for (name, column) in self.names.iter().zip(self.refs()) {
            design.push(name.clone(), (0..self.n).map(|i| column.value(i)).collect());
        }
        design
    }
}

/// How a least-squares fit is computed. Both routes give R's answer to its printed digits; they
/// differ in the last bits, so the automatic choice keeps every design below
/// [`crossproducts::MIN_ROWS`] rows on the QR it has always used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitMethod {
    /// Cross-products for HC variances of at least [`crossproducts::MIN_ROWS`] rows, else QR.
    Auto,
    /// Householder QR of row blocks (TSQR), as always.
    Qr,
    /// Cross-products wherever they serve (no clusters, no 2SLS, a well-conditioned design of
    /// full rank without leverage-one rows); QR otherwise. For tests.
    CrossProducts,
}

impl FitMethod {
    fn cross_products(self, n: usize) -> bool {
        match self {
            FitMethod::Auto => n >= crossproducts::MIN_ROWS,
            FitMethod::Qr => false,
            FitMethod::CrossProducts => true,
        }
    }
}

/// Fit y on the design by least squares with robust SEs (estimatr `lm_robust_fit`).
///
/// `interest` names the columns whose CR2 df are needed (df of other columns may be NaN).
pub fn lm_robust(
    design: &DesignMatrix,
    y: &[f64],
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
    interest: &[&str],
) -> Result<RobustFit> {
    fit_with(design, None, y, weights, se, clusters, interest)
}

/// [`lm_robust`] by the route `method` asks for.
pub fn lm_robust_by(
    design: &DesignMatrix,
    y: &[f64],
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
    method: FitMethod,
) -> Result<RobustFit> {
    let columns = design
        .columns
        .iter()
        .map(|c| ColumnRef::Values(c))
        .collect();
    fit_columns(
        &design.names,
        columns,
        None,
        y,
        weights,
        se,
        clusters,
        &[],
        method,
    )
}

/// [`lm_robust`] of a design with computed columns.
pub fn lm_robust_lazy(
    design: &LazyDesignMatrix,
    y: &[f64],
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
    interest: &[&str],
) -> Result<RobustFit> {
    fit_columns(
        &design.names,
        design.refs(),
        None,
        y,
        weights,
        se,
        clusters,
        interest,
        FitMethod::Auto,
    )
}

/// The shared fit: when `structural` is given (2SLS second stage), the coefficients are fitted on
/// `design` (first-stage fitted values) and the residuals taken from `structural` (the observed
/// regressors), as estimatr's `iv_robust`.
pub(crate) fn fit_with(
    design: &DesignMatrix,
    structural: Option<&DesignMatrix>,
    y: &[f64],
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
    interest: &[&str],
) -> Result<RobustFit> {
    let columns = design
        .columns
        .iter()
        .map(|c| ColumnRef::Values(c))
        .collect();
    fit_columns(
        &design.names,
        columns,
        structural,
        y,
        weights,
        se,
        clusters,
        interest,
        FitMethod::Auto,
    )
}

#[allow(clippy::too_many_arguments)]
fn fit_columns(
    names: &[String],
    columns: Vec<ColumnRef<'_>>,
    structural: Option<&DesignMatrix>,
    y: &[f64],
    weights: Option<&[f64]>,
    se: SeType,
    clusters: Option<&Clusters>,
    interest: &[&str],
    method: FitMethod,
) -> Result<RobustFit> {
    let n = y.len();
    let p = columns.len();
    let root_w: Option<Vec<f64>> = match weights {
        None => None,
        Some(w) => {
            if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(Error::compute(format!(
                    "weights must be positive and finite; found {bad}"
                )));
            }
            let mean = w.iter().sum::<f64>() / n as f64;
            Some(w.iter().map(|v| (v / mean).sqrt()).collect())
        }
    };
    let scale = |col: &[f64]| -> Vec<f64> {
        match &root_w {
            None => col.to_vec(),
            Some(rw) => col.iter().zip(rw).map(|(a, b)| a * b).collect(),
        }
    };
    let x = linalg::Columns::from_refs(columns, root_w.as_deref(), n)?;
    let yw: std::borrow::Cow<'_, [f64]> = match &root_w {
        None => y.into(),
        Some(_) => scale(y).into(),
    };
    if structural.is_none()
        && clusters.is_none()
        && method.cross_products(n)
        && let Some(fit) = crossproducts::fit_hc(&x, &yw, se)?
    {
        let std_error = (0..p).map(|j| fit.vcov[(j, j)].sqrt()).collect();
        return Ok(RobustFit {
            names: names.to_vec(),
            coef: fit.coef,
            std_error,
            df: vec![n as f64 - p as f64; p],
            dropped: Vec::new(),
            n,
            residuals: fit.residuals,
            kept: (0..p).collect(),
            vcov: fit.vcov,
            leverage_one: Vec::new(),
            unidentified: Vec::new(),
        });
    }
    let fit = linalg::least_squares_blocked(&x, &yw)?;
    // Terms of interest that are not identified (issue 12): in the span of the other columns.
    let not_identified: Vec<usize> = interest
        .iter()
        .filter_map(|name| names.iter().position(|n| n == name))
        .filter(|&j| fit.in_span_of_others(j) == Some(true))
        .collect();
    let xk = x.select(&fit.kept);
    // Residuals on the original scale, from the observed regressors.
    // (The scaled residuals are kept apart only when they differ from the residuals.)
    let (residuals, scaled_residuals) = if root_w.is_none() && structural.is_none() {
        (fit.residuals, None)
    } else {
        let mut residuals: Vec<f64> = y.to_vec();
        for (&j, c) in fit.kept.iter().zip(&fit.coef) {
            let observed = match structural {
                Some(s) => ColumnRef::Values(&s.columns[j]),
                None => x.column(j),
            };
            for (i, r) in residuals.iter_mut().enumerate() {
                *r -= observed.value(i) * c;
            }
        }
        let scaled = scale(&residuals);
        (residuals, Some(scaled))
    };
    let df_for: Vec<usize> = interest
        .iter()
        .filter_map(|name| names.iter().position(|n| n == name))
        .filter_map(|j| fit.kept.iter().position(|&k| k == j))
        .collect();
    let vcov = robust_vcov(
        &xk,
        scaled_residuals.as_deref().unwrap_or(&residuals),
        &fit.r,
        se,
        clusters,
        &df_for,
        root_w.as_deref(),
    )?;
    let mut coef = vec![f64::NAN; p];
    let mut std_error = vec![f64::NAN; p];
    let mut df = vec![f64::NAN; p];
    for (slot, &j) in fit.kept.iter().enumerate() {
        coef[j] = fit.coef[slot];
        std_error[j] = vcov.matrix[(slot, slot)].sqrt();
        df[j] = vcov.df[slot];
    }
    let mut unidentified = Vec::new();
    for &j in &not_identified {
        coef[j] = f64::NAN;
        std_error[j] = f64::NAN;
        df[j] = f64::NAN;
        unidentified.push(names[j].clone());
    }
    Ok(RobustFit {
        names: names.to_vec(),
        coef,
        std_error,
        df,
        dropped: fit.dropped.iter().map(|&j| names[j].clone()).collect(),
        n,
        residuals,
        kept: fit.kept,
        vcov: vcov.matrix,
        leverage_one: vcov.leverage_one,
        unidentified,
    })
}

/// A covariate column restricted to some rows.
#[derive(Debug, Clone, Copy)]
pub enum CovariateView<'a> {
    Number(&'a [f64]),
    /// Text; None (missing) belongs to no level: such rows are the caller's to leave out.
    Text(&'a [Option<String>]),
}

/// Expand covariates over `rows` into numeric columns: numbers as they are, text as indicators
/// of every level but the first (sorted, byte order), named `<column><level>` as R does.
pub fn expand_covariates(
    covariates: &[(String, CovariateView<'_>)],
    rows: &[usize],
) -> DesignMatrix {
    use rayon::prelude::*;
    let mut design = DesignMatrix::new();
    for (name, view) in covariates {
        match view {
            CovariateView::Number(values) => {
                design.push(name.clone(), rows.par_iter().map(|&i| values[i]).collect());
            }
            CovariateView::Text(values) => {
                let levels = levels_in_order(rows.iter().filter_map(|&i| values[i].as_deref()));
                for level in levels.iter().skip(1) {
                    design.push(
                        format!("{name}{level}"),
                        rows.iter()
                            .map(|&i| f64::from(u8::from(values[i].as_deref() == Some(*level))))
                            .collect(),
                    );
                }
            }
        }
    }
    design
}

#[cfg(test)]
mod tests {
    //! A binary regressor makes every robust SE a closed form: the slope is the difference in
    //! means, the leverage of a row is 1/n_g (n_g the size of its group), and the sandwich
    //! reduces to Var(slope) = Σ_g Σ_{i∈g} ωᵢ / n_g² with ωᵢ = eᵢ² (HC0), eᵢ²/(1 − hᵢ) (HC2) or
    //! eᵢ²/(1 − hᵢ)² (HC3); HC1 is HC0 · n/(n − k) (MacKinnon & White 1985).
    use super::*;

    /// Absolute tolerance: QR on five rows, far above rounding.
    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    /// x = 0, 0, 0, 1, 1; y = 1, 2, 6 | 4, 8. Control mean 3 (residuals −2, −1, 3: Σe² = 14,
    /// h = 1/3); treated mean 6 (residuals −2, 2: Σe² = 8, h = 1/2). Intercept 3, slope 3.
    fn design() -> (DesignMatrix, Vec<f64>) {
        let mut d = DesignMatrix::new();
        d.push("(Intercept)", vec![1.0; 5]);
        d.push("x", vec![0.0, 0.0, 0.0, 1.0, 1.0]);
        (d, vec![1.0, 2.0, 6.0, 4.0, 8.0])
    }

    #[test]
    fn binary_regressor_slope_and_hc0_to_hc3() {
        let (d, y) = design();
        // HC0: 14/3² + 8/2² = 14/9 + 2 = 32/9.
        // HC1: 32/9 · 5/(5 − 2) = 160/27.
        // HC2: (14 · 3/2)/9 + (8 · 2)/4 = 7/3 + 4 = 19/3 (= s₀²/n₀ + s₁²/n₁ = 7/3 + 8/2).
        // HC3: (14 · 9/4)/9 + (8 · 4)/4 = 7/2 + 8 = 23/2.
        for (se, variance) in [
            (SeType::Hc0, 32.0_f64 / 9.0),
            (SeType::Hc1, 160.0 / 27.0),
            (SeType::Hc2, 19.0 / 3.0),
            (SeType::Hc3, 23.0 / 2.0),
        ] {
            let fit = lm_robust(&d, &y, None, se, None, &["x"]).unwrap();
            close(fit.coef[0], 3.0, "intercept");
            close(fit.coef[1], 3.0, "slope");
            close(fit.std_error[1], variance.sqrt(), se.label());
            close(fit.df[1], 3.0, "df n − k");
        }
        // The intercept is the control mean: its HC0 variance is Σ_{control} e²/n₀² = 14/9.
        let fit = lm_robust(&d, &y, None, SeType::Hc0, None, &[]).unwrap();
        close(fit.std_error[0], (14.0_f64 / 9.0).sqrt(), "intercept HC0");
        // Residuals on the original scale.
        for (got, want) in fit.residuals.iter().zip([-2.0, -1.0, 3.0, -2.0, 2.0]) {
            close(*got, want, "residual");
        }
    }

    #[test]
    fn a_collinear_column_is_dropped_and_named() {
        // 2x is a multiple of x: dropped (NaN coefficient), the fit as without it.
        let (mut d, y) = design();
        d.push("twice", vec![0.0, 0.0, 0.0, 2.0, 2.0]);
        let fit = lm_robust(&d, &y, None, SeType::Hc2, None, &[]).unwrap();
        assert_eq!(fit.dropped, ["twice"]);
        assert!(fit.coef[2].is_nan() && fit.std_error[2].is_nan());
        close(fit.coef[1], 3.0, "slope");
        close(fit.std_error[1], (19.0_f64 / 3.0).sqrt(), "HC2");
        assert_eq!(fit.kept, [0, 1]);
        assert!(fit.unidentified.is_empty());
        // Asked for, x is not identified (issue 12): with `twice` kept instead it would be 0
        // and `twice` 3/2, so its value depends on the dropped column; it is left empty.
        let fit = lm_robust(&d, &y, None, SeType::Hc2, None, &["x"]).unwrap();
        assert_eq!(fit.unidentified, ["x"]);
        assert!(fit.coef[1].is_nan() && fit.std_error[1].is_nan() && fit.df[1].is_nan());
    }

    #[test]
    fn an_observation_of_leverage_one_is_left_out_of_hc2_and_hc3() {
        // A third group of one person (column `solo`): h = 1, e = 0. HC2 and HC3 of the slope
        // are those of the design without that row (issue 12), HC1 keeps n − k = 6 − 3.
        let (mut d, mut y) = design();
        for c in d.columns.iter_mut() {
            c.push(if c[0] == 1.0 && c.len() == 5 {
                1.0
            } else {
                0.0
            });
        }
        d.columns[0][5] = 1.0;
        d.push("solo", vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        y.push(10.0);
        for (se, variance) in [(SeType::Hc2, 19.0_f64 / 3.0), (SeType::Hc3, 23.0 / 2.0)] {
            let fit = lm_robust(&d, &y, None, se, None, &["x"]).unwrap();
            close(fit.coef[1], 3.0, "slope");
            close(fit.std_error[1], variance.sqrt(), se.label());
            assert_eq!(fit.leverage_one, [5]);
            close(fit.df[1], 3.0, "df n − k");
        }
    }

    #[test]
    fn weights_give_the_difference_of_weighted_means() {
        // Weights 1, 1, 2 on the control rows: (1 + 2 + 12)/4 = 15/4; 1, 1 on the treated:
        // mean 6. WLS slope = 6 − 15/4 = 9/4, intercept 15/4 (the weights' scale, normalized
        // to mean 1, does not change the coefficients).
        let (d, y) = design();
        let w = [1.0, 1.0, 2.0, 1.0, 1.0];
        let fit = lm_robust(&d, &y, Some(&w), SeType::Hc2, None, &["x"]).unwrap();
        close(fit.coef[0], 15.0 / 4.0, "intercept");
        close(fit.coef[1], 9.0 / 4.0, "slope");
        // Residuals are y − Xβ unweighted: the first row 1 − 15/4.
        close(fit.residuals[0], 1.0 - 15.0 / 4.0, "residual");
    }

    #[test]
    fn text_covariates_enter_as_indicators_of_all_but_the_first_sorted_level() {
        // Levels sorted in byte order: "a" < "b" < "c"; "a" is the reference. Rows 0, 1, 3.
        let values: Vec<Option<String>> = ["c", "a", "b", "b"]
            .iter()
            .map(|s| Some(s.to_string()))
            .collect();
        let numbers = [1.5, 2.5, 3.5, 4.5];
        let covariates = [
            ("g".to_string(), CovariateView::Text(&values)),
            ("x".to_string(), CovariateView::Number(&numbers)),
        ];
        let d = expand_covariates(&covariates, &[0, 1, 3]);
        assert_eq!(d.names, ["gb", "gc", "x"]);
        assert_eq!(d.columns[0], [0.0, 0.0, 1.0]);
        assert_eq!(d.columns[1], [1.0, 0.0, 0.0]);
        assert_eq!(d.columns[2], [1.5, 2.5, 4.5]);
    }
}
