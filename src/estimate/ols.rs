//! Least squares with robust standard errors, as estimatr's `lm_robust`: QR fit, collinear
//! columns dropped as R does (reported by name), optional weights (weighted least squares on
//! √w-scaled rows, weights normalized to mean 1), HC0–HC3 or CR0/CR1/CR2 variance and df.
//! Also the OLS-with-covariates design: text covariates enter as indicators, first level
//! (sorted) as reference, as R's `model.matrix` with treatment contrasts.

use super::vcov::{Clusters, SeType, robust_vcov};
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
) -> Result<RobustFit> {
    let n = y.len();
    let p = columns.len();
    let root_w: Option<Vec<f64>> = match weights {
        None => None,
        Some(w) => {
            if se == SeType::Cr2 {
                return Err(Error::compute(
                    "CR2 standard errors with weights are not supported yet",
                )
                .with_hint("use --se cr1 (Stata) or cr0 with weights"));
            }
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
    let fit = linalg::least_squares_blocked(&x, &yw)?;
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
    )?;
    let mut coef = vec![f64::NAN; p];
    let mut std_error = vec![f64::NAN; p];
    let mut df = vec![f64::NAN; p];
    for (slot, &j) in fit.kept.iter().enumerate() {
        coef[j] = fit.coef[slot];
        std_error[j] = vcov.matrix[(slot, slot)].sqrt();
        df[j] = vcov.df[slot];
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
    })
}

/// A covariate column restricted to some rows.
#[derive(Debug, Clone, Copy)]
pub enum CovariateView<'a> {
    Number(&'a [f64]),
    Text(&'a [String]),
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
                let mut levels: Vec<&str> = rows.iter().map(|&i| values[i].as_str()).collect();
                levels.sort_unstable();
                levels.dedup();
                for level in levels.iter().skip(1) {
                    design.push(
                        format!("{name}{level}"),
                        rows.iter()
                            .map(|&i| f64::from(u8::from(values[i] == *level)))
                            .collect(),
                    );
                }
            }
        }
    }
    design
}
