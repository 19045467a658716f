//! The Cox proportional-hazards model of one arm indicator x (1: the arm, 0: control), with
//! Efron's handling of ties, optionally stratified (separate baseline hazards), and the robust
//! (sandwich) variance, as R's `survival::coxph(Surv(time, status) ~ x [+ strata(s)],
//! ties = "efron", robust = TRUE)`, or with clusters `coxph(... + cluster(id))`.
//!
//! Efron's partial log-likelihood: at an event time with d events, risk-set sums
//! S₀ = Σ_{risk} e^{βx}, S₁ = Σ_{risk} x e^{βx} and the same sums D₀, D₁ over the d events,
//! for k = 0, …, d − 1 with f = k/d: s₀ = S₀ − f D₀, s₁ = S₁ − f D₁;
//! ℓ = Σ (β Σ_{events} x − Σ_k log s₀), U = Σ (Σ_{events} x − Σ_k s₁/s₀),
//! I = Σ_k (s₁/s₀ − (s₁/s₀)²) (x² = x for a 0/1 indicator). β is found by Newton–Raphson from
//! 0 with step halving, iterated until the Newton step is below 1e-10·max(1, |β|) and that
//! step is taken (the score is then zero to rounding); R stops
//! when the log-likelihood changes by less than 1e-9 relative, which leaves β within about
//! 1e-10 of this).
//!
//! Robust variance (Lin & Wei 1989): the score residuals under Efron's approximation
//! (survival's `coxscore2.c`: at an event time, for each k, an event's residual gains
//! (x − x̄_k)/d − e^{βx}(1 − f)(x − x̄_k)/s₀ and every other member of the risk set loses
//! e^{βx}(x − x̄_k)/s₀, with x̄_k = s₁/s₀), divided by I (`residuals(fit, "dfbeta")`), summed
//! within clusters (each person its own cluster without `--cluster`), and the sum of their
//! squares is the variance. The hazard ratio is e^β with the interval exp(β ± z·SE) and the
//! Wald p-value of β/SE. Cox (1972); Efron (1977); Lin & Wei (1989); Therneau & Grambsch (2000).

use super::{EVENT, Sorted, normal_p};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// A fitted model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cox {
    pub beta: f64,
    /// Model-based SE (1/√I).
    pub se_naive: f64,
    /// Robust (or cluster-robust) SE.
    pub se_robust: f64,
    pub loglik: f64,
    pub iterations: usize,
}

impl Cox {
    pub fn hazard_ratio(&self) -> f64 {
        self.beta.exp()
    }
    pub fn statistic(&self) -> f64 {
        self.beta / self.se_robust
    }
    pub fn p_value(&self) -> f64 {
        normal_p(self.statistic())
    }
    pub fn conf_int(&self, z: f64) -> (f64, f64) {
        (
            (self.beta - z * self.se_robust).exp(),
            (self.beta + z * self.se_robust).exp(),
        )
    }
}

/// One event time of a stratum: its number of events and the risk-set sums.
struct EventTime {
    d: f64,
    s0: f64,
    s1: f64,
    d0: f64,
    d1: f64,
}

/// One stratum laid out once for every β of the Newton iterations: its rows in time order with
/// their arm (as f64) and event flag, and its runs of equal times. Each evaluation at a β then
/// walks these arrays in order, without looking times up again, with the same additions in the
/// same order as walking the rows themselves (so the same numbers to the last bit).
struct Stratum {
    rows: Vec<usize>,
    x: Vec<f64>,
    event: Vec<bool>,
    /// Runs of equal times: (start, end) positions, in time order.
    runs: Vec<(usize, usize)>,
    /// Per run: Σ x over its events (an integer, so exact in any order).
    x_events: Vec<f64>,
}

/// The rows of each stratum, in time order.
fn strata_rows(data: &Sorted) -> Vec<Stratum> {
    let mut by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &s) in data.stratum.iter().enumerate() {
        by.entry(s).or_default().push(i);
    }
    by.into_values()
        .map(|rows| {
            let x: Vec<f64> = rows.iter().map(|&i| f64::from(data.group[i])).collect();
            let event: Vec<bool> = rows.iter().map(|&i| data.status[i] == EVENT).collect();
            let mut runs = Vec::new();
            let mut x_events = Vec::new();
            let mut start = 0;
            while start < rows.len() {
                let t = data.time[rows[start]];
                let mut end = start + 1;
                while end < rows.len() && data.time[rows[end]] == t {
                    end += 1;
                }
                runs.push((start, end));
                x_events.push(
                    (start..end)
                        .filter(|&k| event[k])
                        .map(|k| x[k])
                        .sum::<f64>(),
                );
                start = end;
            }
            Stratum {
                rows,
                x,
                event,
                runs,
                x_events,
            }
        })
        .collect()
}

/// The event times of one stratum with their sums at β, in time order, into `out` (with the
/// index of each one's run): the risk sets are accumulated from the last time backwards.
fn event_times(stratum: &Stratum, beta: f64, out: &mut Vec<(usize, EventTime)>) {
    let r1 = beta.exp();
    out.clear();
    let (mut s0, mut s1) = (0.0, 0.0);
    for (run, &(start, end)) in stratum.runs.iter().enumerate().rev() {
        let (mut d, mut d0, mut d1) = (0.0, 0.0, 0.0);
        for (&x, &event) in stratum.x[start..end].iter().zip(&stratum.event[start..end]) {
            let r = if x == 1.0 { r1 } else { 1.0 };
            s0 += r;
            s1 += x * r;
            if event {
                d += 1.0;
                d0 += r;
                d1 += x * r;
            }
        }
        if d > 0.0 {
            out.push((run, EventTime { d, s0, s1, d0, d1 }));
        }
    }
    out.reverse();
}

/// ℓ, U and I at β.
fn derivatives(strata: &[Stratum], beta: f64) -> (f64, f64, f64) {
    let (mut ll, mut u, mut info) = (0.0, 0.0, 0.0);
    let mut events = Vec::new();
    for stratum in strata {
        event_times(stratum, beta, &mut events);
        for (run, e) in &events {
            let x_events = stratum.x_events[*run];
            ll += beta * x_events;
            u += x_events;
            let dn = e.d as usize;
            for k in 0..dn {
                let f = k as f64 / e.d;
                let s0 = e.s0 - f * e.d0;
                let xbar = (e.s1 - f * e.d1) / s0;
                ll -= s0.ln();
                u -= xbar;
                info += xbar - xbar * xbar;
            }
        }
    }
    (ll, u, info)
}

/// Fit the model. Errors when the likelihood has no finite maximum (an arm, or every stratum's
/// comparison, without events: the hazard ratio is 0 or infinite) or no information.
pub fn fit(data: &Sorted) -> Result<Cox> {
    let strata = strata_rows(data);
    let (mut beta, mut iterations) = (0.0, 0);
    let (mut ll, mut u, mut info) = derivatives(&strata, beta);
    let mut converged = false;
    while iterations < 100 {
        iterations += 1;
        if !(info > 0.0 && info.is_finite()) {
            break;
        }
        let step = u / info;
        let mut next = beta + step;
        let mut d = derivatives(&strata, next);
        if step.abs() <= 1e-10 * beta.abs().max(1.0) {
            // The last Newton step, taken in full: near the maximum the log-likelihood is flat
            // to rounding and cannot judge the step.
            beta = next;
            (ll, _, info) = d;
            converged = true;
            break;
        }
        // Step halving (as coxph) when the log-likelihood falls by more than rounding.
        let mut halvings = 0;
        while (d.0.is_nan() || d.0 < ll - 1e-12 * ll.abs().max(1.0)) && halvings < 60 {
            next = beta + (next - beta) / 2.0;
            d = derivatives(&strata, next);
            halvings += 1;
        }
        beta = next;
        (ll, u, info) = d;
    }
    if !(converged && info > 0.0 && info.is_finite()) || beta.abs() > 30.0 {
        return Err(Error::compute(
            "the Cox model has no finite estimate: the hazard ratio is 0 or infinite (an arm \
             without events, or no events where both arms are at risk)",
        ));
    }
    let resid = score_residuals(data, &strata, beta);
    let mut by_cluster: BTreeMap<u32, f64> = BTreeMap::new();
    let clustered = data.cluster.iter().any(|&c| c != data.cluster[0]);
    let mut var = 0.0;
    for (i, r) in resid.iter().enumerate() {
        let dfbeta = r / info;
        if clustered {
            *by_cluster.entry(data.cluster[i]).or_default() += dfbeta;
        } else {
            var += dfbeta * dfbeta;
        }
    }
    if clustered {
        var = by_cluster.values().map(|s| s * s).sum();
    }
    Ok(Cox {
        beta,
        se_naive: (1.0 / info).sqrt(),
        se_robust: var.sqrt(),
        loglik: ll,
        iterations,
    })
}

/// Each row's score residual at β (module notes), in `data`'s row order.
fn score_residuals(data: &Sorted, strata: &[Stratum], beta: f64) -> Vec<f64> {
    let r1 = beta.exp();
    let mut resid = vec![0.0; data.len()];
    let mut events = Vec::new();
    for stratum in strata {
        event_times(stratum, beta, &mut events);
        // Cumulative Σ_k 1/s₀ and Σ_k x̄_k/s₀ over event times strictly before the current row.
        let (mut h0, mut h1) = (0.0, 0.0);
        let mut next_event = events.iter().peekable();
        for (run, &(pos, end)) in stratum.runs.iter().enumerate() {
            let here = match next_event.peek() {
                Some((r, _)) if *r == run => next_event.next().map(|(_, e)| e),
                _ => None,
            };
            // The increments of this time, and what an event here gains instead: for an event,
            // Σ_k [(x − x̄_k)/d − r(1 − f_k)(x − x̄_k)/s₀ₖ] = x − mean_k x̄_k − r(x·A − B) with
            // A = Σ_k (1 − f_k)/s₀ₖ and B = Σ_k (1 − f_k) x̄_k/s₀ₖ (one pass per time, not per
            // event).
            let (mut dh0, mut dh1) = (0.0, 0.0);
            let (mut mean_xbar, mut a, mut b) = (0.0, 0.0, 0.0);
            if let Some(e) = here {
                let dn = e.d as usize;
                for k in 0..dn {
                    let f = k as f64 / e.d;
                    let s0 = e.s0 - f * e.d0;
                    let xbar = (e.s1 - f * e.d1) / s0;
                    dh0 += 1.0 / s0;
                    dh1 += xbar / s0;
                    mean_xbar += xbar;
                    a += (1.0 - f) / s0;
                    b += (1.0 - f) * xbar / s0;
                }
                mean_xbar /= e.d;
            }
            for k in pos..end {
                let x = stratum.x[k];
                let r = if x == 1.0 { r1 } else { 1.0 };
                let before = -r * (x * h0 - h1);
                resid[stratum.rows[k]] = if stratum.event[k] {
                    before + (x - mean_xbar) - r * (x * a - b)
                } else {
                    before - r * (x * dh0 - dh1)
                };
            }
            h0 += dh0;
            h1 += dh1;
        }
    }
    resid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_zero_and_residuals_sum_to_zero_at_the_estimate() {
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let status = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1];
        let group = [1, 0, 1, 1, 0, 1, 0, 0, 1, 0];
        let data = Sorted::new(&time, &status, &group, None, None).unwrap();
        let fit = fit(&data).unwrap();
        let strata = strata_rows(&data);
        let (_, u, _) = derivatives(&strata, fit.beta);
        assert!(u.abs() < 1e-9, "{u}");
        let total: f64 = score_residuals(&data, &strata, fit.beta).iter().sum();
        assert!(total.abs() < 1e-9, "{total}");
    }

    #[test]
    fn an_arm_without_events_has_no_finite_hazard_ratio() {
        let data = Sorted::new(
            &[1.0, 2.0, 3.0, 4.0],
            &[1, 0, 1, 0],
            &[0, 1, 0, 1],
            None,
            None,
        )
        .unwrap();
        assert!(fit(&data).is_err());
    }
}
