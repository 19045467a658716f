//! Distribution functions power analysis needs: the standard normal (via `erfc`, accurate in
//! the tails), Student's t quantile, and the noncentral t distribution.
//!
//! Noncentral t (used by R's `pwr.t.test`/`pwr.t2n.test`): T = (Z + δ) / S with S = √(V/ν),
//! V ~ χ²(ν), so P(T ≤ t) = E_S[Φ(t·S − δ)] and P(T > t) = E_S[Φ(δ − t·S)]. The expectation is
//! integrated by composite Simpson over the bulk of S's density
//! f(s) = 2 (ν/2)^{ν/2} / Γ(ν/2) · s^{ν−1} · exp(−ν s²/2) (Johnson, Kotz & Balakrishnan 1995,
//! ch. 31). Checked against R's `pt(q, df, ncp)` in tests/reference/power/.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::ln_gamma;

/// Φ(x), the standard normal distribution function.
pub fn pnorm(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1).
pub fn qnorm(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// The density of Student's t with `df` degrees of freedom.
pub fn dt(t: f64, df: f64) -> f64 {
    let log_c =
        ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * std::f64::consts::PI).ln();
    (log_c - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp()
}

/// The p-quantile of Student's t with `df` degrees of freedom (df > 0): the Cornish–Fisher
/// expansion around the normal quantile (Abramowitz & Stegun 26.7.5), refined by Newton steps
/// on the distribution function [`pt_nc`] with noncentrality 0. (statrs' `inverse_cdf` is off
/// by ~1e-5 at df = 1e5 and was not used.)
pub fn qt(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if df.is_infinite() {
        return qnorm(p);
    }
    let z = qnorm(p);
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    let mut t = z
        + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3));
    if df < 30.0 || !t.is_finite() {
        // Far from normal: start from statrs' quantile, then refine.
        if let Ok(dist) = StudentsT::new(0.0, 1.0, df) {
            t = dist.inverse_cdf(p);
        }
    }
    if df > 1e5 {
        return t;
    }
    for _ in 0..8 {
        let step = (pt_nc(t, df, 0.0) - p) / dt(t, df);
        t -= step;
        if step.abs() <= 1e-14 * t.abs().max(1.0) {
            break;
        }
    }
    t
}

/// Number of Simpson intervals (even).
const INTERVALS: usize = 4000;

/// E_S[g(S)] for S = √(χ²(ν)/ν).
fn chi_expectation(df: f64, g: impl Fn(f64) -> f64) -> f64 {
    let spread = 12.0 / (2.0 * df).sqrt();
    let lo = (1.0 - spread).max(0.0);
    let hi = 1.0 + spread.max(8.0 / df.sqrt().max(1.0)) + if df < 4.0 { 6.0 } else { 0.0 };
    let log_c = std::f64::consts::LN_2 + (df / 2.0) * (df / 2.0).ln() - ln_gamma(df / 2.0);
    let density = |s: f64| {
        if s <= 0.0 {
            if df == 1.0 { log_c.exp() } else { 0.0 }
        } else {
            (log_c + (df - 1.0) * s.ln() - df * s * s / 2.0).exp()
        }
    };
    let h = (hi - lo) / INTERVALS as f64;
    let mut sum = 0.0;
    for i in 0..=INTERVALS {
        let s = lo + i as f64 * h;
        let w = if i == 0 || i == INTERVALS {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        sum += w * density(s) * g(s);
    }
    sum * h / 3.0
}

/// P(T ≤ t) for T noncentral t with `df` degrees of freedom and noncentrality `ncp`.
pub fn pt_nc(t: f64, df: f64, ncp: f64) -> f64 {
    chi_expectation(df, |s| pnorm(t * s - ncp))
}

/// P(T > t) for T noncentral t (computed directly, without 1 − cdf cancellation).
pub fn pt_nc_upper(t: f64, df: f64, ncp: f64) -> f64 {
    chi_expectation(df, |s| pnorm(ncp - t * s))
}
