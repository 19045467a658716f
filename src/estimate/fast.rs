//! A fast statistic for randomization inference: the same estimates as [`super::estimate_all`]
//! for a re-drawn assignment, without refitting. By Frisch–Waugh–Lovell, the treatment
//! coefficients of y = Wγ + Tτ + e are τ̂ = (T'M_W T)⁻¹ T'M_W y, and since the covariates W do not
//! change between draws, M_W y and the QR of W are computed once; each draw costs one W'T
//! product (O(n·k·m)) and an m × m solve. Used for `ols`, `fe`, `lin` (whose centred covariates
//! do not depend on the assignment: W = [1, X_c], T = [t, t·X_c]) and unweighted, unstratified
//! `dim` (the regression on [1, t]); other settings return `None` (use [`super::recompute`]).

use super::ols::Design;
use super::{AnalysisData, Estimator, Options, model_design, treatment_design};
use crate::error::Result;
use crate::linalg;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// One fitted block of rows: a subgroup's ITT model or the interaction model.
struct Part {
    rows: Vec<usize>,
    /// The kept columns of W over `rows`.
    w: DMatrix<f64>,
    /// R⁻¹ of W's QR.
    r_inv: DMatrix<f64>,
    /// M_W y over `rows`.
    y_tilde: DVector<f64>,
    /// Columns interacted with every treatment indicator (T = [t_a…, t_a·c for each c]).
    interact: Vec<Vec<f64>>,
    /// Which coefficients of T are the statistic, in output order.
    wanted: Vec<usize>,
    /// Two arms only: per row [w (k), z = (1, interact…) (m), ỹ], row-major, and the sums of
    /// z·[w, z, ỹ]' over all rows — so a draw only sums over the smaller arm.
    binary: Option<Binary>,
}

struct Binary {
    stride: usize,
    rows: Vec<f64>,
    total: Vec<f64>,
    /// W = Z (Lin: both are [1, centred covariates]): rows hold only [z, ỹ].
    same: bool,
}

impl Binary {
    fn new(w: &DMatrix<f64>, interact: &[Vec<f64>], y_tilde: &DVector<f64>) -> Binary {
        let n = w.nrows();
        let m = 1 + interact.len();
        // Is W exactly [1, interact…]?
        let same = w.ncols() == m
            && (0..n).all(|i| {
                w[(i, 0)] == 1.0
                    && interact
                        .iter()
                        .enumerate()
                        .all(|(c, col)| w[(i, c + 1)] == col[i])
            });
        let k = if same { 0 } else { w.ncols() };
        let stride = k + m + 1;
        let mut rows = Vec::with_capacity(n * stride);
        for i in 0..n {
            if !same {
                rows.extend(w.row(i).iter());
            }
            rows.push(1.0);
            rows.extend(interact.iter().map(|c| c[i]));
            rows.push(y_tilde[i]);
        }
        let total = Binary::sum(&rows, stride, m, |_| true);
        Binary {
            stride,
            rows,
            total,
            same,
        }
    }

    /// Σ over the rows `r` with `include(r)` of z ⊗ [w, z, ỹ] (m × stride, row-major).
    fn sum(rows: &[f64], stride: usize, m: usize, include: impl Fn(usize) -> bool) -> Vec<f64> {
        let k = stride - m - 1;
        let mut acc = vec![0.0; m * stride];
        for (r, row) in rows.chunks_exact(stride).enumerate() {
            if !include(r) {
                continue;
            }
            let z = &row[k..k + m];
            for (a, za) in z.iter().enumerate() {
                let target = &mut acc[a * stride..(a + 1) * stride];
                for (t, v) in target.iter_mut().zip(row) {
                    *t += za * v;
                }
            }
        }
        acc
    }
}

/// Precomputed pieces; [`FastStatistic::eval`] gives the estimates for an assignment.
pub struct FastStatistic {
    parts: Vec<Part>,
    arms: usize,
}

impl FastStatistic {
    /// The estimates of every row of `estimate_all`, in its order, for the assignment `codes`
    /// (arm index per row, 0 = control). NaN where the treatment is not identified.
    pub fn eval(&self, codes: &[usize]) -> Vec<f64> {
        let per_part: Vec<Vec<f64>> = self
            .parts
            .par_iter()
            .map(|p| p.eval(codes, self.arms))
            .collect();
        per_part.into_iter().flatten().collect()
    }
}

impl Part {
    fn eval(&self, codes: &[usize], arms: usize) -> Vec<f64> {
        if let Some(b) = &self.binary {
            return self.eval_binary(b, codes);
        }
        let n = self.rows.len();
        let m = arms * (1 + self.interact.len());
        let mut t = DMatrix::<f64>::zeros(n, m);
        for a in 0..arms {
            for (r, &i) in self.rows.iter().enumerate() {
                if codes[i] == a + 1 {
                    t[(r, a)] = 1.0;
                    for (c, column) in self.interact.iter().enumerate() {
                        t[(r, arms * (c + 1) + a)] = column[r];
                    }
                }
            }
        }
        let c = self.w.transpose() * &t;
        let b = self.r_inv.transpose() * c;
        let ttt = t.transpose() * &t - b.transpose() * &b;
        let tty = t.transpose() * &self.y_tilde;
        let tau = ttt
            .lu()
            .solve(&tty)
            .unwrap_or_else(|| DVector::from_element(m, f64::NAN));
        self.wanted.iter().map(|&j| tau[j]).collect()
    }
}

impl Part {
    /// Two arms: T = diag(t)·Z, so W'T, T'T and T'ỹ are sums over the treated rows — or the
    /// totals minus the sums over the control rows, whichever set is smaller.
    fn eval_binary(&self, b: &Binary, codes: &[usize]) -> Vec<f64> {
        let m = 1 + self.interact.len();
        let stride = b.stride;
        let k = stride - m - 1;
        let n_treated = self.rows.iter().filter(|&&i| codes[i] == 1).count();
        let sums = if 2 * n_treated <= self.rows.len() {
            Binary::sum(&b.rows, stride, m, |r| codes[self.rows[r]] == 1)
        } else {
            let rest = Binary::sum(&b.rows, stride, m, |r| codes[self.rows[r]] != 1);
            b.total.iter().zip(&rest).map(|(t, r)| t - r).collect()
        };
        // sums[a][..k] = (T'W)_a, sums[a][k..k+m] = (T'T)_a, sums[a][k+m] = (T'ỹ)_a; with W = Z
        // the T'W block is T'T itself.
        let c = if b.same {
            DMatrix::from_fn(m, m, |i, a| sums[a * stride + i])
        } else {
            DMatrix::from_fn(k, m, |i, a| sums[a * stride + i])
        };
        let bm = self.r_inv.transpose() * c;
        let ttt = DMatrix::from_fn(m, m, |a, j| sums[a * stride + k + j]) - bm.transpose() * &bm;
        let tty = DVector::from_fn(m, |a, _| sums[a * stride + k + m]);
        let tau = ttt
            .lu()
            .solve(&tty)
            .unwrap_or_else(|| DVector::from_element(m, f64::NAN));
        self.wanted.iter().map(|&j| tau[j]).collect()
    }
}

/// The fast statistic for `data` and `options`, or None where it does not apply (Lin, blocked
/// or weighted estimators, a participation column).
pub fn fast_statistic(data: &AnalysisData, options: &Options) -> Result<Option<FastStatistic>> {
    let supported = match options.estimator {
        Estimator::Ols | Estimator::Fe => true,
        Estimator::Dim => data.strata.is_none(),
        Estimator::Lin => true,
    };
    if !supported || data.weights.is_some() || data.participation.is_some() {
        return Ok(None);
    }
    let codes = &data.treatment.codes;
    let arms = data.treatment.arms.len() - 1;
    let n = data.n_rows();
    let mut parts = Vec::new();
    for (_, y) in &data.outcomes {
        let complete: Vec<usize> = (0..n).filter(|&i| !y[i].is_nan()).collect();
        let mut groups = vec![(complete.clone(), None)];
        if let Some(by) = &data.by {
            for l in 0..by.levels.len() {
                let rows: Vec<usize> = complete
                    .iter()
                    .copied()
                    .filter(|&i| by.codes[i] == l)
                    .collect();
                groups.push((rows, None));
            }
            if by.levels.len() >= 2 {
                let reference = by.levels.len() - 1;
                let mut indicators = Design::new();
                for (l, level) in by.levels.iter().enumerate().take(reference) {
                    indicators.push(
                        format!("{}{level}", by.name),
                        complete
                            .iter()
                            .map(|&i| f64::from(u8::from(by.codes[i] == l)))
                            .collect(),
                    );
                }
                groups.push((complete.clone(), Some(indicators)));
            }
        }
        for (rows, indicators) in groups {
            let levels = indicators.as_ref().map_or(0, |d| d.columns.len());
            let extra = indicators.clone().unwrap_or_default();
            let design = model_design(data, options, codes, &rows, &extra, &Design::new());
            let terms = treatment_design(data, codes, &rows).names;
            let is_treatment = |name: &str| {
                terms
                    .iter()
                    .any(|t| name == t || name.starts_with(&format!("{t}:")))
            };
            let keep: Vec<usize> = (0..design.names.len())
                .filter(|&j| !is_treatment(&design.names[j]))
                .collect();
            // Interacted with the treatment: Lin's centred covariates (subgroup indicators
            // first); in the other models, the subgroup indicators of the interaction model.
            let interact: Vec<Vec<f64>> = if options.estimator == Estimator::Lin {
                design
                    .names
                    .iter()
                    .zip(&design.columns)
                    .filter(|(name, _)| name.ends_with("_c") && !is_treatment(name))
                    .map(|(_, c)| c.clone())
                    .collect()
            } else {
                extra.columns.clone()
            };
            let wanted: Vec<usize> = if indicators.is_some() {
                (arms..arms + levels * arms).collect()
            } else {
                (0..arms).collect()
            };
            let w_all = design.matrix().select_columns(&keep);
            let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            let columns: Vec<&[f64]> = keep.iter().map(|&j| design.columns[j].as_slice()).collect();
            let fit = linalg::least_squares_blocked(
                &linalg::Columns::new(columns, None, rows.len())?,
                &ys,
            )?;
            let w = w_all.select_columns(&fit.kept);
            let k = fit.kept.len();
            let r_inv = fit
                .r
                .clone()
                .solve_upper_triangular(&DMatrix::identity(k, k))
                .unwrap_or_else(|| DMatrix::from_element(k, k, f64::NAN));
            let y_tilde = DVector::from_vec(fit.residuals);
            let binary = (arms == 1).then(|| Binary::new(&w, &interact, &y_tilde));
            parts.push(Part {
                rows,
                w,
                r_inv,
                y_tilde,
                interact,
                wanted,
                binary,
            });
        }
    }
    Ok(Some(FastStatistic { parts, arms }))
}
