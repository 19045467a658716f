//! Distribution functions power analysis needs: the standard normal (via `libm::erfc`, accurate
//! in the tails), Student's t quantile, and the noncentral t distribution.
//!
//! Noncentral t (used by R's `pwr.t.test`/`pwr.t2n.test`): T = (Z + δ) / S with S = √(V/ν),
//! V ~ χ²(ν), so P(T ≤ t) = E_S[Φ(t·S − δ)] and P(T > t) = E_S[Φ(δ − t·S)]. The expectation is
//! integrated by composite Simpson over the bulk of S's density
//! f(s) ∝ s^{ν−1} · exp(−ν s²/2) (Johnson, Kotz & Balakrishnan 1995, ch. 31), normalized by
//! the same rule's integral of f. Checked against R's `pt(q, df, ncp)` and `qt` to 1e-10 in
//! tests/reference/power/.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::ln_gamma;

/// Φ(x), the standard normal distribution function, by `libm::erfc` (musl's erfc, within an
/// ulp or so; statrs' `erfc` is about 2e-11 off near x = 0.84 and was not used).
pub fn pnorm(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1): statrs' `erfc_inv` (a start only), refined by two
/// Newton steps on [`pnorm`].
pub fn qnorm(p: f64) -> f64 {
    let mut x = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    if !x.is_finite() {
        return x;
    }
    for _ in 0..2 {
        let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        x -= (pnorm(x) - p) / density;
    }
    x
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
    // Closed forms for 1 and 2 df (Cauchy; Student's t with 2 df).
    if df == 1.0 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df == 2.0 {
        return (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
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
