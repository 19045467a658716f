//! The noncentral t distribution power analysis needs (R's `pwr.t.test`/`pwr.t2n.test`); the
//! central distributions (Φ, Φ⁻¹, Student's t quantile) are in [`crate::dist`].
//!
//! Noncentral t: T = (Z + δ) / S with S = √(V/ν),
//! V ~ χ²(ν), so P(T ≤ t) = E_S[Φ(t·S − δ)] and P(T > t) = E_S[Φ(δ − t·S)]. The expectation is
//! integrated by composite Simpson over the bulk of S's density
//! f(s) ∝ s^{ν−1} · exp(−ν s²/2) (Johnson, Kotz & Balakrishnan 1995, ch. 31), normalized by
//! the same rule's integral of f. Checked against R's `pt(q, df, ncp)` to 1e-10 in
//! tests/reference/power/.

use crate::dist::pnorm;

/// Number of Simpson intervals (even); more where the density of S is wide (few df).
const INTERVALS: usize = 4000;
const INTERVALS_FEW_DF: usize = 40_000;

/// E_S[g(S)] for S = √(χ²(ν)/ν), normalized by the same rule's integral of the density
/// (so no Γ function, whose cancellation at large ν would cost digits, is needed).
fn chi_expectation(df: f64, g: impl Fn(f64) -> f64) -> f64 {
    if df.is_nan() || df < 1.0 {
        return f64::NAN;
    }
    let spread = 12.0 / (2.0 * df).sqrt();
    let lo = (1.0 - spread).max(0.0);
    let hi = 1.0 + spread.max(8.0 / df.sqrt().max(1.0)) + if df < 4.0 { 6.0 } else { 0.0 };
    // log f(s) up to a constant: (ν − 1) ln s − ν (s² − 1) / 2.
    let density = |s: f64| {
        if s <= 0.0 {
            if df == 1.0 { (0.5f64).exp() } else { 0.0 }
        } else {
            ((df - 1.0) * s.ln() - df * (s * s - 1.0) / 2.0).exp()
        }
    };
    let intervals = if df < 8.0 {
        INTERVALS_FEW_DF
    } else {
        INTERVALS
    };
    let h = (hi - lo) / intervals as f64;
    let (mut sum, mut mass) = (0.0, 0.0);
    for i in 0..=intervals {
        let s = lo + i as f64 * h;
        let w = if i == 0 || i == intervals {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let f = w * density(s);
        mass += f;
        sum += f * g(s);
    }
    sum / mass
}

/// P(T ≤ t) for T noncentral t with `df` degrees of freedom and noncentrality `ncp`.
pub fn pt_nc(t: f64, df: f64, ncp: f64) -> f64 {
    chi_expectation(df, |s| pnorm(t * s - ncp))
}

/// P(T > t) for T noncentral t (computed directly, without 1 − cdf cancellation).
pub fn pt_nc_upper(t: f64, df: f64, ncp: f64) -> f64 {
    chi_expectation(df, |s| pnorm(ncp - t * s))
}
