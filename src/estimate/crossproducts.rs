//! Least squares with HC0–HC3 standard errors from cross-products, for tall designs (hundreds of
//! thousands of rows, a few dozen columns): three passes over fixed blocks of rows, each
//! reducing the block to a few small sums, so that no n × k matrix and no QR of one is ever
//! formed.
//!
//! 1. The column sums against the intercept give the shifts m_j = ⟨x₀, x_j⟩ / ⟨x₀, x₀⟩ (the
//!    means, or the weighted means of a weighted fit).
//! 2. The cross-products A = U'U of the columns centred at them, u_j = x_j − m_j x₀ (j ≥ 1), and
//!    of the centred outcome. Subtracting a multiple of the intercept from a later column is a
//!    reparametrization: the fit, its residuals, leverages and sandwich are the same; only the
//!    intercept's coefficient and its row of the variance are mapped back (β₀ = γ₀ − Σ m_j γ_j).
//!    Centring is what keeps the normal equations accurate: their condition number is that of
//!    the centred columns squared, not that of raw columns such as a birth year
//!    (Golub & Van Loan 2013, §5.3.7; Chan, Golub & LeVeque 1983 on centred sums of squares).
//! 3. With γ = A⁻¹U'y (a Cholesky solve, k ≤ [`MAX_COLUMNS`]), every row's residual e_i, its
//!    leverage h_ii = u_i'A⁻¹u_i = ‖L⁻¹u_i‖² (invariant to the reparametrization) and the meat
//!    Σ ω_i u_i u_i' with ω_i = e_i² (HC0, HC1), e_i²/(1 − h_ii) (HC2), e_i²/(1 − h_ii)² (HC3):
//!    V = T A⁻¹ M A⁻¹ T' with T the map back to the original columns (MacKinnon & White 1985;
//!    estimatr's mathematical notes for HC0–HC3 and HC1's n/(n − k)).
//!
//! The blocks are [`crate::linalg::BLOCK_ROWS`] rows, reduced in their order, so the result never
//! depends on the number of threads. Whenever this route could disagree with R's pivoted QR —
//! a column nearly in the span of the columns before it (which R might drop), a condition so
//! poor that the normal equations would lose digits, an observation of leverage near one (which
//! HC2/HC3 leave out) — it gives up and the caller fits by QR ([`crate::linalg`]), which decides
//! those cases exactly as before. So this route never drops a column.

use super::vcov::SeType;
use crate::error::Result;
use crate::linalg::{BLOCK_ROWS, Columns, row_blocks};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// Fewest rows for which a fit is made from cross-products rather than by QR (the automatic
/// choice, [`super::ols::FitMethod::Auto`]). Below it the QR costs milliseconds, and every
/// result stays digit for digit what it was.
pub const MIN_ROWS: usize = 100_000;

/// Most columns for this route: the passes cost k² per row, the QR's blocks do as well, and
/// beyond a few dozen columns (many strata dummies) there is nothing to win.
pub const MAX_COLUMNS: usize = 48;

/// A column whose part not explained by the columns before it is below √(this) of its norm is
/// left to the QR to judge (R drops it below 1e-7 of its norm; cross-products resolve that
/// ratio only to about 1e-8, so the margin is wide).
const DEPENDENCE_GUARD: f64 = 1e-8;

/// Largest variance inflation A_jj (A⁻¹)_jj of a centred column: beyond it the normal
/// equations could lose more than ~1e-11 relative accuracy, and the QR fits instead.
const CONDITION_GUARD: f64 = 1e4;

/// An observation with 1 − h_ii below this is left to the QR route (HC2 and HC3 leave rows of
/// leverage one out of the variance, [`super::vcov::LEVERAGE_ONE_TOLERANCE`]).
pub(crate) const LEVERAGE_GUARD: f64 = 1e-4;

/// A fit of every column (none dropped).
#[derive(Debug, Clone)]
pub struct CrossProductFit {
    pub coef: Vec<f64>,
    /// The robust variance of the coefficients (k × k, symmetric).
    pub vcov: DMatrix<f64>,
    /// y − Xβ on the original (unweighted) scale.
    pub residuals: Vec<f64>,
}

/// The fit of `y` on the columns of `x` (rows scaled by x's row factor, √w, as `y` already is)
/// with an HC variance, or None when the QR must decide ([`DEPENDENCE_GUARD`],
/// [`CONDITION_GUARD`], [`LEVERAGE_GUARD`], more than [`MAX_COLUMNS`] columns, a value that is
/// not finite). Cluster-robust types are not served here.
pub fn fit_hc(x: &Columns<'_>, y: &[f64], se: SeType) -> Result<Option<CrossProductFit>> {
    let n = x.nrows();
    let k = x.ncols();
    if se.is_cluster() || k == 0 || k > MAX_COLUMNS || n <= k || y.len() != n {
        return Ok(None);
    }
    let intercept = x.has_intercept_first();
    let blocks = row_blocks(n);
    // Pass 1: ⟨x₀, x_j⟩ and ‖x_j‖² for every column and y (index k).
    let firsts: Vec<(DVector<f64>, DVector<f64>)> = blocks
        .par_iter()
        .map(|&(a, b)| {
            let block = x.block_with(a, b, &[y]);
            let against_first = block.transpose() * block.column(0);
            let squares =
                DVector::from_iterator(k + 1, block.column_iter().map(|c| c.norm_squared()));
            (against_first, squares)
        })
        .collect();
    let mut against_first = DVector::zeros(k + 1);
    let mut squares = DVector::zeros(k + 1);
    for (f, s) in &firsts {
        against_first += f;
        squares += s;
    }
    if !(against_first
        .iter()
        .chain(squares.iter())
        .all(|v| v.is_finite()))
    {
        return Ok(None);
    }
    // The shifts (none without an intercept first: centring is then no reparametrization).
    let mut shift = DVector::zeros(k + 1);
    if intercept && against_first[0] > 0.0 {
        for j in 1..=k {
            shift[j] = against_first[j] / against_first[0];
        }
    }
    let centred_block = |a: usize, b: usize| -> DMatrix<f64> {
        let mut block = x.block_with(a, b, &[y]);
        if intercept {
            let rows = b - a;
            let (first, rest) = block.as_mut_slice().split_at_mut(rows);
            for (j, column) in rest.chunks_exact_mut(rows).enumerate() {
                let m = shift[j + 1];
                for (v, f) in column.iter_mut().zip(&*first) {
                    *v -= m * f;
                }
            }
        }
        block
    };
    // U'U of a block by the matrix-multiplication kernel (nalgebra's `tr_mul` takes one dot
    // product per entry instead).
    let cross = |m: &DMatrix<f64>| -> DMatrix<f64> { m.transpose() * m };
    // Pass 2: A = [U ũ]'[U ũ], block by block in order.
    let parts: Vec<DMatrix<f64>> = blocks
        .par_iter()
        .map(|&(a, b)| {
            let block = centred_block(a, b);
            cross(&block)
        })
        .collect();
    let mut full = DMatrix::<f64>::zeros(k + 1, k + 1);
    for p in &parts {
        full += p;
    }
    drop(parts);
    let a_mat = full.view((0, 0), (k, k)).into_owned();
    let a_y = full.view((0, k), (k, 1)).into_owned();
    let Some(Normal {
        l_inv,
        a_inv,
        gamma,
    }) = solve_normal(&a_mat, &a_y, squares.as_slice())
    else {
        return Ok(None);
    };
    // Pass 3: residuals, leverages and the meat Σ ω u u'.
    let l_inv_t = l_inv.transpose();
    let scale = x.row_scale();
    let mut residuals = vec![0.0; n];
    let metas: Vec<Option<DMatrix<f64>>> = residuals
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .map(|(index, out)| {
            let a = index * BLOCK_ROWS;
            let b = a + out.len();
            let block = centred_block(a, b);
            let rows = b - a;
            let u = block.columns(0, k);
            let fitted = u * DVector::from_column_slice(&gamma);
            // h_ii = ‖L⁻¹u_i‖², summed column by column of U L⁻ᵀ (contiguous in memory).
            let z = u * &l_inv_t;
            let mut leverage = vec![0.0; rows];
            for column in z.as_slice().chunks_exact(rows) {
                for (h, v) in leverage.iter_mut().zip(column) {
                    *h += v * v;
                }
            }
            let outcome = &block.as_slice()[k * rows..(k + 1) * rows];
            let mut root_omega = Vec::with_capacity(rows);
            for (r, slot) in out.iter_mut().enumerate() {
                let e = outcome[r] - fitted[r];
                let omega = hc_weight(se, e, leverage[r])?;
                root_omega.push(omega.sqrt());
                *slot = match scale {
                    Some(s) => e / s[a + r],
                    None => e,
                };
            }
            let mut weighted = u.into_owned();
            for mut column in weighted.column_iter_mut() {
                for (v, w) in column.iter_mut().zip(&root_omega) {
                    *v *= w;
                }
            }
            Some(cross(&weighted))
        })
        .collect();
    let mut meat = DMatrix::<f64>::zeros(k, k);
    for m in metas {
        match m {
            Some(m) => meat += m,
            None => return Ok(None),
        }
    }
    // Back to the original columns: β_j = γ_j (j ≥ 1), β₀ = γ₀ + m_y − Σ m_j γ_j; V = T V_U T'
    // with T = I − e₀ m'.
    let mut coef = gamma.clone();
    let mut to_original = DMatrix::<f64>::identity(k, k);
    if intercept {
        coef[0] += shift[k];
        for j in 1..k {
            coef[0] -= shift[j] * gamma[j];
            to_original[(0, j)] = -shift[j];
        }
    }
    let mut v_u = &a_inv * meat * &a_inv;
    if se == SeType::Hc1 {
        v_u *= n as f64 / (n - k) as f64;
    }
    let v = &to_original * v_u * to_original.transpose();
    let vcov = (&v + v.transpose()) * 0.5;
    if !vcov.iter().all(|v| v.is_finite()) {
        return Ok(None);
    }
    Ok(Some(CrossProductFit {
        coef,
        vcov,
        residuals,
    }))
}

/// The solution of normal equations A γ = U'y from centred cross-products, with A⁻¹ and
/// L⁻¹ (A = LL'); None where the QR must decide ([`DEPENDENCE_GUARD`] against `squares`, each
/// column's uncentred sum of squares; [`CONDITION_GUARD`]).
pub(crate) struct Normal {
    pub l_inv: DMatrix<f64>,
    pub a_inv: DMatrix<f64>,
    pub gamma: Vec<f64>,
}

/// The HC weight ω of a row with residual `e` and leverage `h`: e² (HC0/HC1), e²/(1 − h)
/// (HC2), e²/(1 − h)² (HC3) (MacKinnon & White 1985; estimatr's `lm_robust`). None when
/// 1 − h is at most [`LEVERAGE_GUARD`] or not a number, or `e` is not finite: the caller then
/// fits as before.
pub(crate) fn hc_weight(se: SeType, e: f64, h: f64) -> Option<f64> {
    let one_minus = 1.0 - h;
    if one_minus.is_nan() || one_minus <= LEVERAGE_GUARD || !e.is_finite() {
        return None;
    }
    Some(match se {
        SeType::Hc2 => e * e / one_minus,
        SeType::Hc3 => e * e / (one_minus * one_minus),
        _ => e * e,
    })
}

/// [`hc_weight`] of each (e, h) into `omega`, the same bits, in a loop with no branch in it (so
/// that it vectorises: `1 − h > guard` is false for a NaN as `hc_weight`'s test is true); None
/// when any weight gives up.
#[inline(always)]
pub(crate) fn hc_weights(se: SeType, e: &[f64], h: &[f64], omega: &mut [f64]) -> Option<()> {
    let mut valid = true;
    let rows = omega.iter_mut().zip(e).zip(h);
    match se {
        SeType::Hc2 => {
            for ((w, &e), &h) in rows {
                let one_minus = 1.0 - h;
                valid &= (one_minus > LEVERAGE_GUARD) & e.is_finite();
                *w = e * e / one_minus;
            }
        }
        SeType::Hc3 => {
            for ((w, &e), &h) in rows {
                let one_minus = 1.0 - h;
                valid &= (one_minus > LEVERAGE_GUARD) & e.is_finite();
                *w = e * e / (one_minus * one_minus);
            }
        }
        _ => {
            for ((w, &e), &h) in rows {
                valid &= ((1.0 - h) > LEVERAGE_GUARD) & e.is_finite();
                *w = e * e;
            }
        }
    }
    valid.then_some(())
}

/// [`Normal`] of `a_mat` (k × k) and `a_y` (k × 1); shared by [`fit_hc`] and the per-cell fits
/// ([`super::cells`]).
pub(crate) fn solve_normal(
    a_mat: &DMatrix<f64>,
    a_y: &DMatrix<f64>,
    squares: &[f64],
) -> Option<Normal> {
    let k = a_mat.nrows();
    // Cholesky A = LL', column by column: L_jj² is the part of column j not explained by the
    // columns before it, which R's rule compares with the column's own (uncentred) norm.
    let mut l = DMatrix::<f64>::zeros(k, k);
    for j in 0..k {
        let mut d = a_mat[(j, j)];
        for c in 0..j {
            d -= l[(j, c)] * l[(j, c)];
        }
        if d.is_nan() || d <= DEPENDENCE_GUARD * squares[j] || !d.is_finite() {
            return None;
        }
        let root = d.sqrt();
        l[(j, j)] = root;
        for i in j + 1..k {
            let mut s = a_mat[(i, j)];
            for c in 0..j {
                s -= l[(i, c)] * l[(j, c)];
            }
            l[(i, j)] = s / root;
        }
    }
    let l_inv = l.clone().solve_lower_triangular(&DMatrix::identity(k, k))?;
    let a_inv = l_inv.tr_mul(&l_inv);
    if (0..k).any(|j| a_mat[(j, j)] * a_inv[(j, j)] > CONDITION_GUARD) {
        return None;
    }
    // γ̃ = A⁻¹ U'ũ by two triangular solves.
    let z = l.solve_lower_triangular(a_y)?;
    let gamma = l.transpose().solve_upper_triangular(&z)?;
    Some(Normal {
        l_inv,
        a_inv,
        gamma: gamma.iter().copied().collect(),
    })
}

#[cfg(test)]
mod tests {
    //! Where the cross-products must give up (the QR decides), and a closed form where they
    //! must not: a binary regressor, whose HC2 variance is s₀²/n₀ + s₁²/n₁ (see `ols`'s tests).
    use super::*;
    use crate::estimate::ols::{DesignMatrix, FitMethod, lm_robust, lm_robust_by};

    /// The branch-free weights of a chunk against `hc_weight` one by one: the same bits where
    /// every weight is given, None where any one gives up (a leverage at or near one, a
    /// leverage or residual that is not a number, an infinite residual), for every HC type.
    #[test]
    fn chunk_weights_are_hc_weight_bit_for_bit() {
        let e: Vec<f64> = (0..37)
            .map(|i| (i as f64 * 0.37).sin() * 3.0 - 0.1)
            .collect();
        let h: Vec<f64> = (0..37)
            .map(|i| (i as f64 * 0.11).cos().abs() * 0.9)
            .collect();
        let bad = [
            (0.5, 1.0),
            (0.5, 1.0 - LEVERAGE_GUARD),
            (0.5, 1.0 - LEVERAGE_GUARD * 2.0),
            (0.5, f64::NAN),
            (f64::NAN, 0.2),
            (f64::INFINITY, 0.2),
            (0.5, 1.5),
        ];
        for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
            let mut omega = vec![0.0; e.len()];
            hc_weights(se, &e, &h, &mut omega).unwrap();
            for ((w, &e), &h) in omega.iter().zip(&e).zip(&h) {
                assert_eq!(
                    w.to_bits(),
                    hc_weight(se, e, h).unwrap().to_bits(),
                    "{se:?}"
                );
            }
            for &(bad_e, bad_h) in &bad {
                let (mut e, mut h) = (e.clone(), h.clone());
                e[20] = bad_e;
                h[20] = bad_h;
                let one = hc_weight(se, bad_e, bad_h);
                let got = hc_weights(se, &e, &h, &mut omega);
                assert_eq!(got.is_some(), one.is_some(), "{se:?} at ({bad_e}, {bad_h})");
                if let Some(w) = one {
                    assert_eq!(omega[20].to_bits(), w.to_bits());
                }
            }
        }
    }

    fn design(n: usize) -> (DesignMatrix, Vec<f64>) {
        let mut d = DesignMatrix::new();
        d.push("(Intercept)", vec![1.0; n]);
        d.push(
            "t",
            (0..n).map(|i| f64::from(u8::from(i % 3 != 0))).collect(),
        );
        d.push("x", (0..n).map(|i| ((i * 7919) % 101) as f64).collect());
        let y = (0..n)
            .map(|i| ((i * 104_729) % 13) as f64 + (i % 3) as f64)
            .collect();
        (d, y)
    }

    fn columns(d: &DesignMatrix) -> Columns<'_> {
        Columns::new(
            d.columns.iter().map(Vec::as_slice).collect(),
            None,
            d.nrows(),
        )
        .unwrap()
    }

    #[test]
    fn a_binary_regressor_gives_the_two_sample_hc2_variance() {
        let n = 3000;
        let mut d = DesignMatrix::new();
        d.push("(Intercept)", vec![1.0; n]);
        let t: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i % 3 != 0))).collect();
        d.push("t", t.clone());
        let y: Vec<f64> = (0..n).map(|i| ((i * 104_729) % 13) as f64).collect();
        let fit = fit_hc(&columns(&d), &y, SeType::Hc2).unwrap().unwrap();
        let group = |g: f64| -> (f64, f64, f64) {
            let v: Vec<f64> = y
                .iter()
                .zip(&t)
                .filter(|(_, t)| **t == g)
                .map(|(y, _)| *y)
                .collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let s2 = v.iter().map(|y| (y - m) * (y - m)).sum::<f64>() / (v.len() as f64 - 1.0);
            (m, s2, v.len() as f64)
        };
        let ((m0, s0, n0), (m1, s1, n1)) = (group(0.0), group(1.0));
        assert!((fit.coef[1] - (m1 - m0)).abs() < 1e-12);
        assert!((fit.vcov[(1, 1)] - (s0 / n0 + s1 / n1)).abs() < 1e-12 * (s0 / n0 + s1 / n1));
    }

    #[test]
    fn a_collinear_column_is_left_to_the_qr_which_drops_it() {
        let (mut d, y) = design(2000);
        let twice: Vec<f64> = d.columns[2].iter().map(|x| 2.0 * x + 1.0).collect();
        d.push("twice", twice);
        assert!(fit_hc(&columns(&d), &y, SeType::Hc2).unwrap().is_none());
        let by_cross =
            lm_robust_by(&d, &y, None, SeType::Hc2, None, FitMethod::CrossProducts).unwrap();
        let by_qr = lm_robust(&d, &y, None, SeType::Hc2, None, &[]).unwrap();
        assert_eq!(by_cross.dropped, ["twice"]);
        assert_eq!(by_cross.coef[1].to_bits(), by_qr.coef[1].to_bits());
        assert_eq!(
            by_cross.std_error[1].to_bits(),
            by_qr.std_error[1].to_bits()
        );
    }

    #[test]
    fn an_observation_of_leverage_one_is_left_to_the_qr() {
        let (mut d, mut y) = design(2000);
        for c in d.columns.iter_mut() {
            let last = if c.iter().all(|&v| v == 1.0) {
                1.0
            } else {
                0.0
            };
            c.push(last);
        }
        let mut solo = vec![0.0; 2000];
        solo.push(1.0);
        d.push("solo", solo);
        y.push(50.0);
        assert!(fit_hc(&columns(&d), &y, SeType::Hc2).unwrap().is_none());
        let fit = lm_robust_by(&d, &y, None, SeType::Hc2, None, FitMethod::CrossProducts).unwrap();
        assert_eq!(fit.leverage_one, [2000]);
    }

    #[test]
    fn agrees_with_the_qr_with_and_without_an_intercept() {
        let (d, y) = design(5000);
        let mut no_intercept = DesignMatrix::new();
        no_intercept.push("t", d.columns[1].clone());
        no_intercept.push("x", d.columns[2].clone());
        for design in [&d, &no_intercept] {
            for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                assert!(fit_hc(&columns(design), &y, se).unwrap().is_some());
                let a = lm_robust_by(design, &y, None, se, None, FitMethod::CrossProducts).unwrap();
                let b = lm_robust_by(design, &y, None, se, None, FitMethod::Qr).unwrap();
                for j in 0..design.names.len() {
                    assert!((a.coef[j] - b.coef[j]).abs() <= 1e-11 * b.coef[j].abs().max(1e-3));
                    assert!((a.std_error[j] - b.std_error[j]).abs() <= 1e-11 * b.std_error[j]);
                    assert_eq!(a.df[j], b.df[j]);
                }
                for (e, f) in a.residuals.iter().zip(&b.residuals) {
                    assert!((e - f).abs() < 1e-9);
                }
            }
        }
    }
}
