//! Restricted mean survival time up to τ, its variance, the difference and ratio between two
//! arms, and the default τ, as survRM2 (Uno, Tian, Horiguchi, Cronin, Battioui, Wei;
//! survRM2 1.0-4, functions `rmst1` and `rmst2`). survRM2 is not packaged for the test machine;
//! tests/reference/survival.R re-implements these formulas from its published source and
//! cross-checks the RMST and its SE against `print(survfit(...), rmean = τ)`.
//!
//! RMST(τ) = ∫₀^τ S(t) dt, the area under the Kaplan–Meier step function (all observed times
//! t_j ≤ τ; the last step extends to τ). Variance (`rmst1`):
//! Var = Σ_{t_j ≤ τ} A_j² d_j / (n_j (n_j − d_j)), with A_j = ∫_{t_j}^τ S(t) dt and the term
//! taken as 0 when n_j = d_j. Difference RMST₁ − RMST₀ with SE √(V₁ + V₀); ratio
//! RMST₁ / RMST₀ through its log, SE √(V₁/RMST₁² + V₀/RMST₀²); both with normal (z) intervals
//! and two-sided p-values.
//!
//! Default τ (`rmst2`): the smallest of the arms' largest observed times among arms whose
//! largest time is a censoring (past it that arm's curve is undefined); when in every arm the
//! largest time is an event, the largest observed time overall. A τ beyond that is refused
//! (survRM2 stops: "The truncation time, tau, needs to be shorter than or equal to the minimum
//! of the largest observed time on each of the two groups").

use super::km::Curve;
use super::{EVENT, normal_p};

/// The RMST of one arm up to τ and its variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rmst {
    pub tau: f64,
    pub estimate: f64,
    pub variance: f64,
}

impl Rmst {
    pub fn std_error(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// The steps of the curve up to τ: the area of each step (k = 0: from 0 to the first time,
/// height 1; k = j + 1: from t_j to the next time or τ, height S(t_j)) and, per curve time t_j
/// ≤ τ, the area A_j = ∫_{t_j}^τ S(t) dt after it (accumulated from τ backwards).
fn steps(curve: &Curve, tau: f64) -> (Vec<f64>, Vec<f64>) {
    let m = curve.time.partition_point(|&t| t <= tau);
    let mut areas = Vec::with_capacity(m + 1);
    let mut prev = 0.0;
    let mut height = 1.0;
    for j in 0..m {
        areas.push((curve.time[j] - prev) * height);
        prev = curve.time[j];
        height = curve.surv[j];
    }
    areas.push((tau - prev) * height);
    let mut after = vec![0.0; m];
    let mut tail = 0.0;
    for j in (0..m).rev() {
        tail += areas[j + 1];
        after[j] = tail;
    }
    (areas, after)
}

/// RMST of `curve` up to `tau` (survRM2's `rmst1`).
pub fn rmst(curve: &Curve, tau: f64) -> Rmst {
    let (areas, after) = steps(curve, tau);
    let estimate: f64 = areas.iter().sum();
    // Σ_j (area from t_j to τ)² · d_j/(n_j(n_j − d_j)), accumulated from τ backwards.
    let mut variance = 0.0;
    for j in (0..after.len()).rev() {
        let (n, d) = (curve.n_risk[j], curve.n_event[j]);
        if n > d {
            variance += after[j] * after[j] * d / (n * (n - d));
        }
    }
    Rmst {
        tau,
        estimate,
        variance,
    }
}

/// Each observation's influence on the RMST to τ, for the observations the curve was fitted
/// to (sorted by time, `status == EVENT` an event): RMST̂ − RMST ≈ Σᵢ φᵢ with
/// φᵢ = −[δᵢ A_{j(i)} / (n_{j(i)} − d_{j(i)}) − Σ_{t_j ≤ min(Tᵢ, τ)} A_j d_j / (n_j (n_j − d_j))],
/// A_j = ∫_{t_j}^τ S(t) dt, a term taken as 0 where n_j = d_j (then A_j = 0). This is the
/// martingale representation of the Kaplan–Meier integral (Andersen, Borgan, Gill & Keiding
/// 1993, §IV.3; for the RMST Tian, Zhao & Wei 2014, Stat Med 33:1–14) with Greenwood's
/// denominators, the ones of survRM2's variance; without censoring it is exactly the influence
/// of the mean of min(T, τ), (min(Tᵢ, τ) − RMST̂)/n. The φᵢ sum to 0; Σ φᵢ ψᵢ with another
/// estimator's influence ψ on the same persons is their covariance (the cost per month with a
/// job, `cea::months`).
pub fn influence(curve: &Curve, tau: f64, time: &[f64], status: &[u8]) -> Vec<f64> {
    let (_, after) = steps(curve, tau);
    // Σ_{k ≤ j} A_k d_k / (n_k (n_k − d_k)) per curve time up to τ.
    let mut compensator = Vec::with_capacity(after.len());
    let mut h = 0.0;
    for (j, a) in after.iter().enumerate() {
        let (n, d) = (curve.n_risk[j], curve.n_event[j]);
        if n > d {
            h += a * d / (n * (n - d));
        }
        compensator.push(h);
    }
    time.iter()
        .zip(status)
        .map(|(&t, &st)| {
            // The curve time of this observation (every observed time is one), capped at τ.
            let Some(j) = curve
                .time
                .partition_point(|&x| x <= t.min(tau))
                .checked_sub(1)
            else {
                return 0.0;
            };
            let (n, d) = (curve.n_risk[j], curve.n_event[j]);
            let jump = if st == EVENT && t <= tau && curve.time[j] == t && n > d {
                after[j] / (n - d)
            } else {
                0.0
            };
            -(jump - compensator[j])
        })
        .collect()
}

/// The last observation of an arm: its time and whether an event happened then (survRM2 takes
/// the minimum status among ties at the largest time, so any censoring there counts).
pub fn last_observation(time: &[f64], status: &[u8]) -> Option<(f64, bool)> {
    last_observation_in(time.iter().copied().zip(status.iter().copied()).rev())
}

/// [`last_observation`] of observations given from the last backwards (time, status).
pub fn last_observation_in(mut backwards: impl Iterator<Item = (f64, u8)>) -> Option<(f64, bool)> {
    let (last, status) = backwards.next()?;
    let all_events = status == EVENT
        && backwards
            .take_while(|(t, _)| *t == last)
            .all(|(_, s)| s == EVENT);
    Some((last, all_events))
}

/// The largest τ at which an arm's curve is defined: its last time when that is a censoring,
/// else unbounded.
pub fn defined_until(last: (f64, bool)) -> f64 {
    if last.1 { f64::INFINITY } else { last.0 }
}

/// survRM2's default τ over the arms' last observations (module notes).
pub fn default_tau(lasts: &[(f64, bool)]) -> f64 {
    let bound = lasts
        .iter()
        .map(|&l| defined_until(l))
        .fold(f64::INFINITY, f64::min);
    if bound.is_finite() {
        bound
    } else {
        lasts.iter().map(|l| l.0).fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A comparison of two quantities with normal inference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    pub estimate: f64,
    pub std_error: f64,
    pub statistic: f64,
    pub p_value: f64,
    pub conf_low: f64,
    pub conf_high: f64,
}

impl Contrast {
    /// A difference of independent estimates with its SE, z interval and p-value.
    pub fn difference(a: f64, var_a: f64, b: f64, var_b: f64, z: f64) -> Contrast {
        let estimate = a - b;
        let std_error = (var_a + var_b).sqrt();
        let statistic = estimate / std_error;
        Contrast {
            estimate,
            std_error,
            statistic,
            p_value: normal_p(statistic),
            conf_low: estimate - z * std_error,
            conf_high: estimate + z * std_error,
        }
    }
}

/// RMST₁ − RMST₀ (survRM2's "RMST (arm=1)-(arm=0)").
pub fn difference(treated: &Rmst, control: &Rmst, z: f64) -> Contrast {
    Contrast::difference(
        treated.estimate,
        treated.variance,
        control.estimate,
        control.variance,
        z,
    )
}

/// RMST₁ / RMST₀ with the interval and p-value of its log (survRM2's "RMST (arm=1)/(arm=0)");
/// `std_error` and `statistic` are those of the log ratio.
pub fn ratio(treated: &Rmst, control: &Rmst, z: f64) -> Contrast {
    let log_ratio = (treated.estimate / control.estimate).ln();
    let se = (treated.variance / (treated.estimate * treated.estimate)
        + control.variance / (control.estimate * control.estimate))
        .sqrt();
    let statistic = log_ratio / se;
    Contrast {
        estimate: log_ratio.exp(),
        std_error: se,
        statistic,
        p_value: normal_p(statistic),
        conf_low: (log_ratio - z * se).exp(),
        conf_high: (log_ratio + z * se).exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_and_variance_by_hand() {
        // Times 1, 2+, 3, 4+: S = 1 on [0,1), 3/4 on [1,3), 3/4·1/2 = 3/8 from 3.
        let c = Curve::fit(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 1, 0]);
        let r = rmst(&c, 4.0);
        assert!((r.estimate - (1.0 + 2.0 * 0.75 + 0.375)).abs() < 1e-15);
        // A(t=1) = 1.5 + 0.375 = 1.875, d/(n(n−d)) = 1/12; A(t=3) = 0.375, 1/(2·1).
        let v = 1.875f64.powi(2) / 12.0 + 0.375f64.powi(2) / 2.0;
        assert!((r.variance - v).abs() < 1e-15);
        assert_eq!(last_observation(&c.time, &[1, 0, 1, 0]), Some((4.0, false)));
        assert_eq!(default_tau(&[(4.0, false), (6.0, true)]), 4.0);
        assert_eq!(default_tau(&[(4.0, true), (6.0, true)]), 6.0);
        assert_eq!(default_tau(&[(4.0, false), (3.0, false)]), 3.0);
    }
}
