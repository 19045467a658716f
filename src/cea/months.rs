//! Cost per additional month with a job (issue 13): the incremental cost ΔC over the months
//! with a job the programme adds within τ, from the restricted mean survival time (RMST) of the
//! time to the first job.
//!
//! With RMST_a = ∫₀^τ S_a(t) dt the mean days without a job within τ in arm a (Kaplan–Meier,
//! `survival::rmst`), the days with a job gained are −(RMST₁ − RMST₀) and the months gained
//! ΔM = −(RMST₁ − RMST₀) / 30.4375 (days per month: 365.25 / 12). ΔC = C̄₁ − C̄₀ on the same
//! persons, Var(ΔC) = s₁²/n₁ + s₀²/n₀ (as `cea::analyse`), Var(ΔM) = (V₁ + V₀)/30.4375² with
//! survRM2's variance V_a, and Cov(ΔC, ΔM) = −Σ_a Σ_{i∈a} ψᵢ φᵢ / 30.4375 with ψᵢ = (cᵢ − C̄_a)/n_a
//! the influence of person i on the mean cost and φᵢ on the RMST (`survival::rmst::influence`).
//! The ratio ΔC/ΔM, its delta-method SE (Glick et al. 2014, eq. 7.4) and Fieller's set (Willan &
//! O'Brien 1996) are those of every cost per effect (`cea::ratio_per`). Times are in days.

use super::{Ratio, RatioUnit, Reference, ratio_per};
use crate::error::{Error, Result};
use crate::survival::km::Curve;
use crate::survival::rmst;
use crate::survival::time_order;

/// Days per month: 365.25 / 12.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// The unit of the ratio's notes.
pub const MONTH_WITH_A_JOB: RatioUnit = RatioUnit {
    singular: "month with a job",
    plural: "months with a job",
};

/// The cost per additional month with a job within τ, for one cost variable.
#[derive(Debug, Clone, PartialEq)]
pub struct CostPerMonth {
    pub tau: f64,
    /// Persons [programme arm, comparison arm].
    pub n: [usize; 2],
    pub mean_cost: [f64; 2],
    /// Restricted mean days without a job within τ, by arm.
    pub rmst: [f64; 2],
    /// ΔC over ΔM (months with a job gained within τ): `delta_effect` is ΔM.
    pub ratio: Ratio,
}

/// ΔC / ΔM for persons with a cost, a time in days (≥ 0) and a status (`survival::EVENT` the
/// first job; anything else censoring) in the programme (`treated`) or the comparison arm.
pub fn cost_per_month(
    cost: &[f64],
    time: &[f64],
    status: &[u8],
    treated: &[bool],
    tau: f64,
    level: f64,
) -> Result<CostPerMonth> {
    let n = treated.len();
    if cost.len() != n || time.len() != n || status.len() != n {
        return Err(Error::compute(
            "cost per month: columns of different lengths",
        ));
    }
    if !(tau > 0.0 && tau.is_finite()) {
        return Err(Error::compute(format!(
            "cost per month: τ = {tau} is not a positive time"
        )));
    }
    let mut mean_cost = [0.0; 2];
    let mut var_mean = [0.0; 2];
    let mut rmst_of = [0.0; 2];
    let mut var_rmst = [0.0; 2];
    let mut covariance = [0.0; 2];
    let mut counts = [0usize; 2];
    for (a, arm) in [true, false].into_iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&i| treated[i] == arm).collect();
        if rows.len() < 2 {
            return Err(Error::compute(format!(
                "the {} arm has {} persons with a cost and a time; at least 2 are needed",
                if arm { "programme" } else { "comparison" },
                rows.len()
            )));
        }
        let by_time = time_order(&rows.iter().map(|&i| time[i]).collect::<Vec<_>>());
        let rows: Vec<usize> = by_time.into_iter().map(|j| rows[j]).collect();
        let nf = rows.len() as f64;
        let mean = rows.iter().map(|&i| cost[i]).sum::<f64>() / nf;
        let ss: f64 = rows.iter().map(|&i| (cost[i] - mean).powi(2)).sum();
        let t: Vec<f64> = rows.iter().map(|&i| time[i]).collect();
        let st: Vec<u8> = rows.iter().map(|&i| status[i]).collect();
        let curve = Curve::fit(&t, &st);
        let r = rmst::rmst(&curve, tau);
        let phi = rmst::influence(&curve, tau, &t, &st);
        covariance[a] = rows
            .iter()
            .zip(&phi)
            .map(|(&i, f)| (cost[i] - mean) / nf * f)
            .sum();
        mean_cost[a] = mean;
        var_mean[a] = ss / (nf - 1.0) / nf;
        rmst_of[a] = r.estimate;
        var_rmst[a] = r.variance;
        counts[a] = rows.len();
    }
    let dc = mean_cost[0] - mean_cost[1];
    let dm = -(rmst_of[0] - rmst_of[1]) / DAYS_PER_MONTH;
    let var_c = var_mean[0] + var_mean[1];
    let var_m = (var_rmst[0] + var_rmst[1]) / (DAYS_PER_MONTH * DAYS_PER_MONTH);
    // ΔM = −(R₁ − R₀)/D: Cov(C̄₁ − C̄₀, ΔM) = −(Cov(C̄₁, R₁) + Cov(C̄₀, R₀))/D.
    let cov = -(covariance[0] + covariance[1]) / DAYS_PER_MONTH;
    let ratio = ratio_per(
        dc,
        dm,
        var_c,
        var_m,
        cov,
        Reference::normal(level),
        None,
        MONTH_WITH_A_JOB,
    );
    Ok(CostPerMonth {
        tau,
        n: counts,
        mean_cost,
        rmst: rmst_of,
        ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without censoring the RMST is the mean of min(T, τ) and its influence (T∧τ − mean)/n, so
    /// the covariance is the ordinary one of cost and min(T, τ) (divided by n) over n: by hand.
    #[test]
    fn without_censoring_the_covariance_is_the_sample_one() {
        let time = [10.0, 20.0, 30.0, 40.0, 15.0, 25.0, 35.0, 45.0];
        let status = [1u8; 8];
        let treated = [true, true, true, true, false, false, false, false];
        let cost = [100.0, 300.0, 200.0, 600.0, 50.0, 80.0, 40.0, 90.0];
        let tau = 35.0;
        let got = cost_per_month(&cost, &time, &status, &treated, tau, 0.95).unwrap();
        let by_hand = |rows: std::ops::Range<usize>| {
            let n = rows.len() as f64;
            let c: Vec<f64> = rows.clone().map(|i| cost[i]).collect();
            let y: Vec<f64> = rows.map(|i| time[i].min(tau)).collect();
            let (mc, my) = (c.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let cov: f64 = c
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - mc) * (b - my))
                .sum::<f64>()
                / n;
            (my, cov / n)
        };
        let (r1, c1) = by_hand(0..4);
        let (r0, c0) = by_hand(4..8);
        assert!((got.rmst[0] - r1).abs() < 1e-12 && (got.rmst[1] - r0).abs() < 1e-12);
        let want = -(c1 + c0) / DAYS_PER_MONTH;
        assert!((got.ratio.covariance - want).abs() < 1e-9, "{got:?} {want}");
        assert!((got.ratio.delta_effect - (r0 - r1) / DAYS_PER_MONTH).abs() < 1e-12);
    }
}
