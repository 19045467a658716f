//! Kaplan–Meier estimate of the survival function with Greenwood's variance and the log
//! confidence interval, as R's `survival::survfit(Surv(time, status) ~ 1)` with its defaults
//! (`conf.type = "log"`, `conf.int = 0.95`, `stype = 1`, `ctype = 1`) and
//! `summary(fit, times = t)`.
//!
//! At each distinct time t_j with n_j at risk and d_j events: S(t) = Π_{t_j ≤ t} (1 − d_j/n_j);
//! Greenwood: Var(log S(t)) = Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j)) (infinite once S = 0);
//! SE(S) = S · √Var(log S); CI = exp(log S ± z √Var(log S)), the upper end capped at 1 and
//! both ends missing when S = 0 (survival's `survfit_confint`, `conf.type = "log"`).
//! Kaplan & Meier (1958); Greenwood (1926); Therneau, survival package, `survfitKM`.

use super::{EVENT, tie_runs};

/// A Kaplan–Meier curve: one entry per distinct observed time (event or censoring), as
/// `survfit`'s `time`, `n.risk`, `n.event`, `surv` and the Greenwood sum behind `std.err`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    pub time: Vec<f64>,
    pub n_risk: Vec<f64>,
    pub n_event: Vec<f64>,
    pub surv: Vec<f64>,
    /// Σ d/(n(n − d)) up to and including this time (Var of log S); +∞ once S = 0.
    pub greenwood: Vec<f64>,
}

/// The curve at one time (as `summary(fit, times = t)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub surv: f64,
    /// SE of S (Greenwood): S √Var(log S); 0 before the first event; NaN once S = 0.
    pub std_error: f64,
    /// SE of log S (what the log interval uses).
    pub se_log: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    pub n_risk: f64,
}

impl Curve {
    /// The curve of observations sorted by time; `status == EVENT` is an event, anything else
    /// censoring.
    pub fn fit(time: &[f64], status: &[u8]) -> Curve {
        let n = time.len();
        let mut c = Curve::default();
        let (mut s, mut g) = (1.0, 0.0);
        for (start, end) in tie_runs(time) {
            let at_risk = (n - start) as f64;
            let d = status[start..end].iter().filter(|&&x| x == EVENT).count() as f64;
            if d > 0.0 {
                s *= 1.0 - d / at_risk;
                g += if d < at_risk {
                    d / (at_risk * (at_risk - d))
                } else {
                    f64::INFINITY
                };
            }
            c.time.push(time[start]);
            c.n_risk.push(at_risk);
            c.n_event.push(d);
            c.surv.push(s);
            c.greenwood.push(g);
        }
        c
    }

    /// The last observed time (None for an empty group).
    pub fn last_time(&self) -> Option<f64> {
        self.time.last().copied()
    }

    /// The index of the last curve time ≤ t (None before the first time).
    pub fn index_at(&self, t: f64) -> Option<usize> {
        self.time.partition_point(|&x| x <= t).checked_sub(1)
    }

    /// S(t) with its SE and CI at confidence `z`; None beyond the last observed time (where
    /// `summary.survfit` with `extend = FALSE` gives nothing).
    pub fn at(&self, t: f64, z: f64) -> Option<Point> {
        if self.last_time().is_none_or(|last| t > last) {
            return None;
        }
        let (surv, g, n_risk) = match self.index_at(t) {
            Some(j) => (self.surv[j], self.greenwood[j], self.n_risk[j]),
            None => (1.0, 0.0, self.n_risk.first().copied().unwrap_or(0.0)),
        };
        let se_log = g.sqrt();
        let (conf_low, conf_high, std_error) = if surv > 0.0 {
            (
                (surv.ln() - z * se_log).exp(),
                (surv.ln() + z * se_log).exp().min(1.0),
                surv * se_log,
            )
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        Some(Point {
            surv,
            std_error,
            se_log,
            conf_low,
            conf_high,
            n_risk,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_curve_by_hand() {
        // Times 1, 2+, 3, 3, 4+: S(1) = 4/5, S(3) = 4/5 · (1 − 2/3) = 4/15.
        let c = Curve::fit(&[1.0, 2.0, 3.0, 3.0, 4.0], &[1, 0, 1, 1, 0]);
        assert_eq!(c.time, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c.n_risk, [5.0, 4.0, 3.0, 1.0]);
        let p = c.at(3.5, 1.959_963_984_540_054).unwrap();
        assert!((p.surv - 4.0 / 15.0).abs() < 1e-15);
        let g: f64 = 1.0 / 20.0 + 2.0 / 3.0;
        assert!((p.std_error - 4.0 / 15.0 * g.sqrt()).abs() < 1e-15);
        assert!(c.at(4.5, 1.96).is_none());
        let before = c.at(0.5, 1.96).unwrap();
        assert_eq!(
            (before.surv, before.std_error, before.conf_high),
            (1.0, 0.0, 1.0)
        );
    }
}
