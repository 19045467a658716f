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

/// The share of each month 1..=H that an arm spends after its first job, from the time to the
/// first job (issue 17: months in work valued from survival curves), with the covariance of
/// these shares and each person's influence on them.
///
/// With S the Kaplan–Meier curve of the time to the first job (days; other exits censor) and
/// R(x) = ∫₀^x S(t) dt its restricted mean (`survival::rmst`), month m covers days
/// ((m − 1)D, mD] (D = 30.4375) and the share of it after the first job is
/// p(m) = 1 − (R(mD) − R((m − 1)D))/D, so Σ_{m ≤ H} p(m) = H − R(HD)/D: the months after the
/// first job within the horizon, the area above the curve (Royston & Parmar 2013, BMC Med Res
/// Methodol 13:152: the difference in RMST as the area between the curves). A first job is
/// counted as lasting to the horizon. Every valued quantity is a weighted sum Σ w_m p(m) =
/// Σ w_m − ∫ w(t) S(t) dt / D with w(t) = w_m on month m; its variance is survRM2's for that
/// integral, Σ_j B_j² d_j/(n_j(n_j − d_j)) with B_j = ∫_{t_j}^{HD} w(t) S(t) dt, which for w ≡ 1
/// is exactly the RMST's variance (`survival::rmst::rmst`). It is bilinear in the months'
/// B_j^{(m)}, so the shares' covariance is K_{mm'}/D² with K_{mm'} = Σ_j B_j^{(m)} B_j^{(m')}
/// d_j/(n_j(n_j − d_j)). Each person's influence on p(m) is −(φ(mD) − φ((m − 1)D))/D with φ
/// the influence on the RMST (`survival::rmst::influence`); it gives the covariance with the
/// mean cost, as in [`cost_per_month`].
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyShares {
    /// p(m), m = 1..=H.
    pub share: Vec<f64>,
    /// Cov(p(m), p(m')), row-major H × H.
    pub cov: Vec<f64>,
    /// `influence[m − 1][i]`: person i's influence on p(m), persons in the order given.
    pub influence: Vec<Vec<f64>>,
}

/// ∫₀^x S(t) dt for the step function of `curve` (1 before the first time).
fn area_to(curve: &Curve, x: f64) -> f64 {
    let mut area = 0.0;
    let (mut prev, mut height) = (0.0, 1.0);
    for (&t, &s) in curve.time.iter().zip(&curve.surv) {
        if t > x {
            break;
        }
        area += (t - prev) * height;
        prev = t;
        height = s;
    }
    area + (x - prev).max(0.0) * height
}

/// The month bounds 0, D, …, HD, the areas R at them and the shares p(m) of `curve`.
fn shares_of(curve: &Curve, months: u32) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let bounds: Vec<f64> = (0..=months)
        .map(|m| f64::from(m) * DAYS_PER_MONTH)
        .collect();
    let areas: Vec<f64> = bounds.iter().map(|&b| area_to(curve, b)).collect();
    let share = (0..months as usize)
        .map(|m| 1.0 - (areas[m + 1] - areas[m]) / DAYS_PER_MONTH)
        .collect();
    (bounds, areas, share)
}

/// The shares p(m) of [`monthly_shares`] alone (for bootstrap replicates).
pub fn monthly_share_estimates(time: &[f64], status: &[u8], months: u32) -> Vec<f64> {
    let order = time_order(time);
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let st: Vec<u8> = order.iter().map(|&i| status[i]).collect();
    shares_of(&Curve::fit(&t, &st), months).2
}

/// [`MonthlyShares`] of one arm's persons (time in days ≥ 0, `survival::EVENT` the first job,
/// anything else censoring), over months 1..=`months`.
pub fn monthly_shares(time: &[f64], status: &[u8], months: u32) -> MonthlyShares {
    let order = time_order(time);
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let st: Vec<u8> = order.iter().map(|&i| status[i]).collect();
    let curve = Curve::fit(&t, &st);
    let h = months as usize;
    let (bounds, areas, share) = shares_of(&curve, months);
    // B_j^{(m)} = ∫ over month m after t_j of S, for curve times with n_j > d_j.
    let mut cov = vec![0.0; h * h];
    for j in 0..curve.time.len() {
        let (n, d, tj) = (curve.n_risk[j], curve.n_event[j], curve.time[j]);
        if d == 0.0 || n <= d {
            continue;
        }
        let at_tj = area_to(&curve, tj);
        let b: Vec<f64> = (0..h)
            .map(|m| {
                if tj >= bounds[m + 1] {
                    0.0
                } else if tj <= bounds[m] {
                    areas[m + 1] - areas[m]
                } else {
                    areas[m + 1] - at_tj
                }
            })
            .collect();
        let c = d / (n * (n - d)) / (DAYS_PER_MONTH * DAYS_PER_MONTH);
        for a in 0..h {
            if b[a] == 0.0 {
                continue;
            }
            for k in 0..h {
                cov[a * h + k] += b[a] * b[k] * c;
            }
        }
    }
    // Influence on R(mD), persons in sorted order, then back to the order given.
    let phi: Vec<Vec<f64>> = bounds
        .iter()
        .map(|&tau| {
            if tau == 0.0 {
                vec![0.0; t.len()]
            } else {
                rmst::influence(&curve, tau, &t, &st)
            }
        })
        .collect();
    let mut influence = vec![vec![0.0; t.len()]; h];
    for (m, row) in influence.iter_mut().enumerate() {
        for (k, &i) in order.iter().enumerate() {
            row[i] = -(phi[m + 1][k] - phi[m][k]) / DAYS_PER_MONTH;
        }
    }
    MonthlyShares {
        share,
        cov,
        influence,
    }
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

    /// The monthly shares add up to the months after the first job, H − RMST(HD)/D, and their
    /// covariance to the RMST's variance over D².
    #[test]
    fn monthly_shares_add_up_to_the_rmst() {
        let time = [10.0, 50.0, 50.0, 75.0, 100.0, 130.0, 200.0, 31.0];
        let status = [1u8, 1, 0, 1, 2, 1, 0, 1];
        let s = monthly_shares(&time, &status, 4);
        let order = time_order(&time);
        let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
        let st: Vec<u8> = order.iter().map(|&i| status[i]).collect();
        let r = rmst::rmst(&Curve::fit(&t, &st), 4.0 * DAYS_PER_MONTH);
        let total: f64 = s.share.iter().sum();
        assert!((total - (4.0 - r.estimate / DAYS_PER_MONTH)).abs() < 1e-12);
        let var: f64 = s.cov.iter().sum();
        let want = r.variance / (DAYS_PER_MONTH * DAYS_PER_MONTH);
        assert!((var - want).abs() < 1e-12 * want.max(1.0), "{var} {want}");
        let infl: f64 = s.influence.iter().map(|m| m.iter().sum::<f64>()).sum();
        assert!(infl.abs() < 1e-12);
    }
}
