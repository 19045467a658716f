//! The thin seam to the linear-algebra crate (nalgebra): least squares by Householder QR, with
//! collinear columns dropped the way R's `lm` does (a column whose part not explained by the
//! columns before it is below 1e-7 of its norm is dropped; the earlier column is kept).
//! No normal equations and no explicit inverse of X'X are used to solve.

use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// Relative tolerance for a column to count as linearly dependent (R's `lm.fit` default 1e-7).
pub const COLLINEARITY_TOLERANCE: f64 = 1e-7;

/// A least-squares fit of y on the kept columns of X.
#[derive(Debug, Clone)]
pub struct LeastSquares {
    /// Indices (into X's columns) of the columns used, in order.
    pub kept: Vec<usize>,
    /// Indices of columns dropped as collinear with earlier ones.
    pub dropped: Vec<usize>,
    /// Coefficients of the kept columns.
    pub coef: Vec<f64>,
    /// Upper-triangular R (k × k) of X_kept = Q R.
    pub r: DMatrix<f64>,
    pub fitted: Vec<f64>,
    pub residuals: Vec<f64>,
}

impl LeastSquares {
    pub fn rank(&self) -> usize {
        self.kept.len()
    }

    /// R⁻¹ (k × k), from which (X'X)⁻¹ = R⁻¹ R⁻ᵀ and the leverages follow.
    pub fn r_inverse(&self) -> DMatrix<f64> {
        let k = self.r.nrows();
        let identity = DMatrix::<f64>::identity(k, k);
        self.r
            .solve_upper_triangular(&identity)
            .unwrap_or_else(|| DMatrix::from_element(k, k, f64::NAN))
    }

    /// (X'X)⁻¹ of the kept columns, as R⁻¹ R⁻ᵀ.
    pub fn xtx_inverse(&self) -> DMatrix<f64> {
        let r_inv = self.r_inverse();
        &r_inv * r_inv.transpose()
    }
}

/// Least squares of `y` on the columns of `x` (n × p, column-major), dropping collinear columns.
pub fn least_squares(x: &DMatrix<f64>, y: &[f64]) -> Result<LeastSquares> {
    let n = x.nrows();
    if y.len() != n {
        return Err(Error::compute(format!(
            "the outcome has {} values but the design matrix {n} rows",
            y.len()
        )));
    }
    let norms: Vec<f64> = (0..x.ncols()).map(|j| x.column(j).norm()).collect();
    let mut kept: Vec<usize> = (0..x.ncols()).filter(|&j| norms[j] > 0.0).collect();
    let mut dropped: Vec<usize> = (0..x.ncols()).filter(|&j| norms[j] == 0.0).collect();
    loop {
        if kept.is_empty() {
            return Err(Error::compute("no usable column in the design matrix"));
        }
        if n < kept.len() {
            return Err(Error::compute(format!(
                "{n} observations are too few for {} coefficients",
                kept.len()
            )));
        }
        let xk = x.select_columns(&kept);
        let qr = xk.clone().qr();
        let r = qr.r();
        // The first kept column whose diagonal of R is negligible relative to its own norm is
        // dependent on the columns before it: drop it and factor again (R's order of dropping).
        let dependent =
            (0..kept.len()).find(|&i| r[(i, i)].abs() <= COLLINEARITY_TOLERANCE * norms[kept[i]]);
        if let Some(i) = dependent {
            dropped.push(kept.remove(i));
            continue;
        }
        let mut qty = DVector::from_column_slice(y);
        qr.q_tr_mul(&mut qty);
        let k = kept.len();
        let head = qty.rows(0, k).into_owned();
        let coef = r
            .solve_upper_triangular(&head)
            .ok_or_else(|| Error::compute("singular design matrix"))?;
        let fitted_vec = &xk * &coef;
        let fitted: Vec<f64> = fitted_vec.iter().copied().collect();
        let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(a, b)| a - b).collect();
        dropped.sort_unstable();
        return Ok(LeastSquares {
            kept,
            dropped,
            coef: coef.iter().copied().collect(),
            r,
            fitted,
            residuals,
        });
    }
}

/// A matrix from columns of equal length.
pub fn from_columns(columns: &[&[f64]]) -> DMatrix<f64> {
    let n = columns.first().map_or(0, |c| c.len());
    DMatrix::from_fn(n, columns.len(), |i, j| columns[j][i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fit_recovers_coefficients() {
        let x1 = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ones = [1.0; 5];
        let y: Vec<f64> = x1.iter().map(|v| 2.0 + 0.5 * v).collect();
        let fit = least_squares(&from_columns(&[&ones, &x1]), &y).unwrap();
        assert!((fit.coef[0] - 2.0).abs() < 1e-12);
        assert!((fit.coef[1] - 0.5).abs() < 1e-12);
        assert!(fit.residuals.iter().all(|r| r.abs() < 1e-12));
    }

    #[test]
    fn collinear_later_column_is_dropped_like_r() {
        let ones = [1.0; 6];
        let a = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let b: Vec<f64> = a.iter().map(|v| 1.0 - v).collect(); // ones − a
        let c = [0.3, 1.2, 2.0, 0.1, 0.7, 1.9];
        let y = [1.0, 2.0, 3.0, 2.0, 1.0, 0.0];
        let fit = least_squares(&from_columns(&[&ones, &a, &b, &c]), &y).unwrap();
        assert_eq!(fit.kept, vec![0, 1, 3]);
        assert_eq!(fit.dropped, vec![2]);
    }

    #[test]
    fn xtx_inverse_matches_direct_inverse() {
        let ones = [1.0; 4];
        let x1 = [0.0, 1.0, 3.0, 7.0];
        let x = from_columns(&[&ones, &x1]);
        let fit = least_squares(&x, &[1.0, 0.0, 2.0, 5.0]).unwrap();
        let direct = (x.transpose() * &x).try_inverse().unwrap();
        assert!((fit.xtx_inverse() - direct).abs().max() < 1e-12);
    }
}
