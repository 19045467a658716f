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
    pub residuals: Vec<f64>,
    /// R of all the columns in their order (p × p; the blocked fit only), from which
    /// [`LeastSquares::in_span_of_others`] decides identification without touching the rows.
    pub r_all: Option<DMatrix<f64>>,
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

    /// Whether column `j` lies in the span of all the other columns (kept and dropped), by the
    /// collinearity rule of the fit (its part not explained by them below 1e-7 of its norm):
    /// then its coefficient is not identified — another choice of dropped columns gives it
    /// another value — and when it does not, every choice gives the same value (it is
    /// estimable: e_j lies in the row space of X). Without dropped columns no column is in the
    /// span of the others. Computed on R (X'X = R'R), so it costs a few p × p factorizations.
    /// None when the fit kept no R of all the columns (the dense [`least_squares`]).
    pub fn in_span_of_others(&self, j: usize) -> Option<bool> {
        if self.dropped.is_empty() {
            return Some(false);
        }
        let r_all = self.r_all.as_ref()?;
        let norm = |c: usize| r_all.column(c).norm();
        let independent = |set: &[usize], c: usize| -> bool {
            let mut candidate = set.to_vec();
            candidate.push(c);
            let r = r_factor(r_all.select_columns(&candidate));
            let last = candidate.len() - 1;
            let diag = if last < r.nrows() {
                r[(last, last)].abs()
            } else {
                0.0
            };
            diag > COLLINEARITY_TOLERANCE * norm(c)
        };
        let mut basis: Vec<usize> = self.kept.iter().copied().filter(|&c| c != j).collect();
        for &d in &self.dropped {
            if d != j && norm(d) > 0.0 && independent(&basis, d) {
                basis.push(d);
            }
        }
        Some(norm(j) == 0.0 || !independent(&basis, j))
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
        let fitted = &xk * &coef;
        let residuals: Vec<f64> = y.iter().zip(fitted.iter()).map(|(a, b)| a - b).collect();
        dropped.sort_unstable();
        return Ok(LeastSquares {
            kept,
            dropped,
            coef: coef.iter().copied().collect(),
            r,
            residuals,
            r_all: None,
        });
    }
}

/// Rows per block of the blocked (TSQR) factorization. Fixed, so that the blocks, and therefore
/// every digit of the result, never depend on the number of threads.
pub const BLOCK_ROWS: usize = 16_384;

/// Half-open row ranges of the blocks of an `n`-row matrix.
pub fn row_blocks(n: usize) -> Vec<(usize, usize)> {
    (0..n.div_ceil(BLOCK_ROWS))
        .map(|b| (b * BLOCK_ROWS, ((b + 1) * BLOCK_ROWS).min(n)))
        .collect()
}

/// The R factor (upper triangular, `min(rows, cols) × cols`) of a Householder QR of `m`.
fn r_factor(m: DMatrix<f64>) -> DMatrix<f64> {
    let rows = m.nrows().min(m.ncols());
    let r = m.qr().r();
    r.rows(0, rows).into_owned()
}

/// One column of a design matrix: stored values, or a column that is cheaper to compute than to
/// store (at a million rows every stored column is 8 MB of fresh memory).
#[derive(Debug, Clone, Copy)]
pub enum ColumnRef<'a> {
    Values(&'a [f64]),
    /// A column of ones (the intercept).
    Ones,
    /// The elementwise product a·b of two columns (an interaction), computed as a stored
    /// product column would have been.
    Product(&'a [f64], &'a [f64]),
}

impl ColumnRef<'_> {
    /// Value i.
    #[inline]
    pub fn value(&self, i: usize) -> f64 {
        match self {
            ColumnRef::Values(v) => v[i],
            ColumnRef::Ones => 1.0,
            ColumnRef::Product(a, b) => a[i] * b[i],
        }
    }

    fn len_matches(&self, n: usize) -> bool {
        match self {
            ColumnRef::Values(v) => v.len() == n,
            ColumnRef::Ones => true,
            ColumnRef::Product(a, b) => a.len() == n && b.len() == n,
        }
    }

    /// Values a..b, each multiplied by `scale` when given, appended to `out`.
    fn extend(&self, out: &mut Vec<f64>, a: usize, b: usize, scale: Option<&[f64]>) {
        match (self, scale) {
            (ColumnRef::Values(v), None) => out.extend_from_slice(&v[a..b]),
            (ColumnRef::Values(v), Some(s)) => {
                out.extend(v[a..b].iter().zip(&s[a..b]).map(|(v, w)| v * w))
            }
            (ColumnRef::Ones, None) => out.extend(std::iter::repeat_n(1.0, b - a)),
            (ColumnRef::Ones, Some(s)) => out.extend(s[a..b].iter().map(|w| 1.0 * w)),
            (ColumnRef::Product(x, y), None) => {
                out.extend(x[a..b].iter().zip(&y[a..b]).map(|(x, y)| x * y))
            }
            (ColumnRef::Product(x, y), Some(s)) => out.extend(
                x[a..b]
                    .iter()
                    .zip(&y[a..b])
                    .zip(&s[a..b])
                    .map(|((x, y), w)| (x * y) * w),
            ),
        }
    }
}

/// The columns of a design matrix as they are stored (one slice of n values each, or a column
/// computed on the fly), with an optional factor for every row (√w in weighted least squares).
/// The blocked routines below copy one block of rows at a time out of it, so no n × p matrix is
/// ever built: at a million rows that copy alone is a hundred megabytes per model.
#[derive(Debug, Clone)]
pub struct Columns<'a> {
    columns: Vec<ColumnRef<'a>>,
    row_scale: Option<&'a [f64]>,
    n: usize,
}

impl<'a> Columns<'a> {
    /// Columns of equal length `n` (checked), each row multiplied by `row_scale` when given.
    pub fn new(columns: Vec<&'a [f64]>, row_scale: Option<&'a [f64]>, n: usize) -> Result<Self> {
        Self::from_refs(
            columns.into_iter().map(ColumnRef::Values).collect(),
            row_scale,
            n,
        )
    }

    /// [`Columns::new`] for any kind of column.
    pub fn from_refs(
        columns: Vec<ColumnRef<'a>>,
        row_scale: Option<&'a [f64]>,
        n: usize,
    ) -> Result<Self> {
        if columns.iter().any(|c| !c.len_matches(n)) || row_scale.is_some_and(|s| s.len() != n) {
            return Err(Error::compute(format!(
                "the columns of the design matrix must all have {n} rows"
            )));
        }
        Ok(Columns {
            columns,
            row_scale,
            n,
        })
    }

    pub fn nrows(&self) -> usize {
        self.n
    }

    pub fn ncols(&self) -> usize {
        self.columns.len()
    }

    /// Column j, unscaled.
    pub fn column(&self, j: usize) -> ColumnRef<'a> {
        self.columns[j]
    }

    /// Element (i, j), scaled.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let v = self.columns[j].value(i);
        match self.row_scale {
            Some(s) => v * s[i],
            None => v,
        }
    }

    /// The columns `kept`, in that order.
    pub fn select(&self, kept: &[usize]) -> Columns<'a> {
        Columns {
            columns: kept.iter().map(|&j| self.columns[j]).collect(),
            row_scale: self.row_scale,
            n: self.n,
        }
    }

    /// The factor of every row (√w of a weighted fit), if any.
    pub fn row_scale(&self) -> Option<&'a [f64]> {
        self.row_scale
    }

    /// Whether the first column is the intercept (a column of ones, computed or stored).
    pub fn has_intercept_first(&self) -> bool {
        match self.columns.first() {
            Some(ColumnRef::Ones) => true,
            Some(ColumnRef::Values(v)) => v.iter().all(|&x| x == 1.0),
            _ => false,
        }
    }

    /// Rows a..b (scaled) as a (b − a) × p matrix, with `extra` columns appended.
    pub(crate) fn block_with(&self, a: usize, b: usize, extra: &[&[f64]]) -> DMatrix<f64> {
        let p = self.columns.len();
        let mut data = Vec::with_capacity((b - a) * (p + extra.len()));
        for column in &self.columns {
            column.extend(&mut data, a, b, self.row_scale);
        }
        for column in extra {
            data.extend_from_slice(&column[a..b]);
        }
        DMatrix::from_vec(b - a, p + extra.len(), data)
    }

    /// Rows a..b (scaled) as a (b − a) × p matrix.
    pub fn block(&self, a: usize, b: usize) -> DMatrix<f64> {
        self.block_with(a, b, &[])
    }
}

/// Least squares of `y` on the columns of `x` by tall-skinny QR (TSQR: Demmel, Grigori, Hoemmen
/// & Langou 2012): each block of [`BLOCK_ROWS`] rows of `[X y]` is reduced to its R factor in
/// parallel, the stacked factors are reduced once more, and everything else (collinearity, the
/// coefficients) works on the small `(p+1) × (p+1)` factor. Same result as [`least_squares`]
/// (the R factor of a matrix is unique up to row signs), same rule for dropping columns, and the
/// same answer on any number of threads (fixed blocks, reduced in order). `y` is used as given
/// (not multiplied by the row factor of `x`).
pub fn least_squares_blocked(x: &Columns<'_>, y: &[f64]) -> Result<LeastSquares> {
    use rayon::prelude::*;
    let n = x.nrows();
    let p = x.ncols();
    if y.len() != n {
        return Err(Error::compute(format!(
            "the outcome has {} values but the design matrix {n} rows",
            y.len()
        )));
    }
    let blocks = row_blocks(n);
    let factors: Vec<DMatrix<f64>> = blocks
        .par_iter()
        .map(|&(a, b)| r_factor(x.block_with(a, b, &[y])))
        .collect();
    let total: usize = factors.iter().map(|f| f.nrows()).sum();
    let mut stacked = DMatrix::<f64>::zeros(total.max(p + 1), p + 1);
    let mut row = 0;
    for f in &factors {
        stacked.view_mut((row, 0), (f.nrows(), p + 1)).copy_from(f);
        row += f.nrows();
    }
    let r_all = r_factor(stacked);
    // ‖x_j‖ = ‖R e_j‖, since Q has orthonormal columns.
    let norms: Vec<f64> = (0..p).map(|j| r_all.column(j).norm()).collect();
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    for (j, &norm) in norms.iter().enumerate() {
        if norm == 0.0 || !norm.is_finite() {
            dropped.push(j);
            continue;
        }
        let mut candidate = kept.clone();
        candidate.push(j);
        let r = r_factor(r_all.select_columns(&candidate));
        let last = candidate.len() - 1;
        let diag = if last < r.nrows() {
            r[(last, last)].abs()
        } else {
            0.0
        };
        // R's lm.fit rule: drop a column whose part not explained by the kept columns before it
        // is below 1e-7 of its norm.
        if diag <= COLLINEARITY_TOLERANCE * norm {
            dropped.push(j);
        } else {
            kept.push(j);
        }
    }
    let k = kept.len();
    if k == 0 {
        return Err(Error::compute("no usable column in the design matrix"));
    }
    if n < k {
        return Err(Error::compute(format!(
            "{n} observations are too few for {k} coefficients"
        )));
    }
    let mut with_y = kept.clone();
    with_y.push(p);
    let r_aug = r_factor(r_all.select_columns(&with_y));
    let r = r_aug.view((0, 0), (k, k)).into_owned();
    let qty = r_aug.view((0, k), (k, 1)).into_owned();
    let coef = r
        .solve_upper_triangular(&qty)
        .ok_or_else(|| Error::compute("singular design matrix"))?;
    let coef: Vec<f64> = coef.iter().copied().collect();
    // Residuals y − X_kept β, block by block (each row's sum in column order, as before).
    let xk = x.select(&kept);
    let mut residuals = vec![0.0; n];
    residuals
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, out)| {
            let a = b * BLOCK_ROWS;
            let mut values = Vec::with_capacity(out.len());
            for (j, c) in coef.iter().enumerate() {
                values.clear();
                xk.columns[j].extend(&mut values, a, a + out.len(), xk.row_scale);
                for (f, v) in out.iter_mut().zip(&values) {
                    *f += v * c;
                }
            }
            for (r, y) in out.iter_mut().zip(&y[a..]) {
                *r = y - *r;
            }
        });
    let r_all = (!dropped.is_empty()).then(|| r_all.view((0, 0), (p, p)).into_owned());
    Ok(LeastSquares {
        kept,
        dropped,
        coef,
        r,
        residuals,
        r_all,
    })
}

/// Leverages h_i = x_i' (X'X)⁻¹ x_i = ‖R⁻ᵀ x_i‖² of the rows of `x` (the kept columns, in the
/// order of `r_inv`), computed block by block.
pub fn leverages(x: &Columns<'_>, r_inv: &DMatrix<f64>) -> Vec<f64> {
    use rayon::prelude::*;
    let mut h = vec![0.0; x.nrows()];
    h.par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, out)| {
            let a = b * BLOCK_ROWS;
            let z = x.block(a, a + out.len()) * r_inv;
            for column in z.column_iter() {
                for (h, v) in out.iter_mut().zip(column.iter()) {
                    *h += v * v;
                }
            }
        });
    h
}

/// X' diag(ω) X, summed block by block in a fixed order.
pub fn weighted_crossprod(x: &Columns<'_>, omega: &[f64]) -> DMatrix<f64> {
    use rayon::prelude::*;
    let k = x.ncols();
    let parts: Vec<DMatrix<f64>> = row_blocks(x.nrows())
        .par_iter()
        .map(|&(a, b)| {
            let block = x.block(a, b);
            let mut scaled = block.clone();
            let weights = &omega[a..b];
            for mut column in scaled.column_iter_mut() {
                for (v, w) in column.iter_mut().zip(weights) {
                    *v *= w;
                }
            }
            block.transpose() * scaled
        })
        .collect();
    parts
        .into_iter()
        .fold(DMatrix::zeros(k, k), |acc, m| acc + m)
}

/// A matrix from columns of equal length.
pub fn from_columns(columns: &[&[f64]]) -> DMatrix<f64> {
    let n = columns.first().map_or(0, |c| c.len());
    let mut m = DMatrix::<f64>::zeros(n, columns.len());
    for (j, column) in columns.iter().enumerate() {
        m.column_mut(j).copy_from_slice(column);
    }
    m
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
    fn blocked_matches_plain_qr_and_drops_the_same_columns() {
        let n = 3 * BLOCK_ROWS / 2 + 7;
        let ones = vec![1.0; n];
        let a: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| 2.0 * v - 1.0).collect(); // collinear with 1 and a
        let c: Vec<f64> = (0..n).map(|i| ((i * 104_729) % 17) as f64 / 3.0).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 0.5 + 0.1 * a[i] - 0.2 * c[i] + ((i % 5) as f64))
            .collect();
        let x = from_columns(&[&ones, &a, &b, &c]);
        let plain = least_squares(&x, &y).unwrap();
        let columns = Columns::new(vec![&ones, &a, &b, &c], None, n).unwrap();
        let blocked = least_squares_blocked(&columns, &y).unwrap();
        assert_eq!(plain.kept, blocked.kept);
        assert_eq!(blocked.dropped, vec![2]);
        for (p, q) in plain.coef.iter().zip(&blocked.coef) {
            assert!((p - q).abs() < 1e-10 * (1.0 + p.abs()), "{p} vs {q}");
        }
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
