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
//!
//! In a cluster-randomized study (clusters given) persons of a cluster are not independent: the
//! variances and the covariance are cluster-robust, from the sums over each cluster g of the
//! persons' influences on ΔC and ΔM, U_g = Σ_{i∈g} ψᵢ and W_g = −Σ_{i∈g} φᵢ/D (ψ and φ signed by
//! arm), Var(ΔC) = F Σ_g U_g², Var(ΔM) = F Σ_g W_g², Cov = F Σ_g U_g W_g, with the small-sample
//! factor F = G/(G − 1)·(N − 1)/(N − 2) of the cost analysis's CR1 (Stata's `regress,
//! vce(cluster)` on the arm indicator; `cea::difference_moments`), so the costs, the months and
//! their covariance are on one scale; φ is the infinitesimal-jackknife influence of the RMST
//! (`survival::rmst::influence`, the one R's `survfit(..., cluster =, influence = TRUE)` sums by
//! cluster for its robust variance; Lin & Wei 1989, JASA 84:1074–1078). Intervals use t(G − 1)
//! as the cost analysis with clusters (`cea::Reference::of_clusters`).

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
    /// The number of clusters G of cluster-robust variances and t(G − 1) intervals (None:
    /// persons independent).
    pub clusters: Option<usize>,
}

/// ΔC / ΔM for persons with a cost, a time in days (≥ 0) and a status (`survival::EVENT` the
/// first job; anything else censoring) in the programme (`treated`) or the comparison arm.
/// With `clusters` (each person's cluster code) the variances are cluster-robust (module
/// documentation).
pub fn cost_per_month(
    cost: &[f64],
    time: &[f64],
    status: &[u8],
    treated: &[bool],
    clusters: Option<&[usize]>,
    tau: f64,
    level: f64,
) -> Result<CostPerMonth> {
    let n = treated.len();
    if cost.len() != n
        || time.len() != n
        || status.len() != n
        || clusters.is_some_and(|c| c.len() != n)
    {
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
    // Per cluster: the sums of the persons' influences on ΔC and on ΔM.
    let mut by_cluster: std::collections::BTreeMap<usize, [f64; 2]> = Default::default();
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
        if let Some(cl) = clusters {
            let sign = if arm { 1.0 } else { -1.0 };
            for (&i, f) in rows.iter().zip(&phi) {
                let u = by_cluster.entry(cl[i]).or_default();
                u[0] += sign * (cost[i] - mean) / nf;
                u[1] -= sign * f / DAYS_PER_MONTH;
            }
        }
        mean_cost[a] = mean;
        var_mean[a] = ss / (nf - 1.0) / nf;
        rmst_of[a] = r.estimate;
        var_rmst[a] = r.variance;
        counts[a] = rows.len();
    }
    let dc = mean_cost[0] - mean_cost[1];
    let dm = -(rmst_of[0] - rmst_of[1]) / DAYS_PER_MONTH;
    let cluster_count = clusters.map(|_| by_cluster.len());
    let (var_c, var_m, cov, reference) = match clusters {
        None => (
            var_mean[0] + var_mean[1],
            (var_rmst[0] + var_rmst[1]) / (DAYS_PER_MONTH * DAYS_PER_MONTH),
            // ΔM = −(R₁ − R₀)/D: Cov(C̄₁ − C̄₀, ΔM) = −(Cov(C̄₁, R₁) + Cov(C̄₀, R₀))/D.
            -(covariance[0] + covariance[1]) / DAYS_PER_MONTH,
            Reference::normal(level),
        ),
        Some(_) => {
            let g = by_cluster.len();
            if g < 2 || n < 3 {
                return Err(Error::compute(format!(
                    "cost per month: {g} clusters; at least 2 are needed for cluster-robust \
                     variances"
                )));
            }
            let (gf, nf) = (g as f64, n as f64);
            let factor = gf / (gf - 1.0) * (nf - 1.0) / (nf - 2.0);
            let sum =
                |f: &dyn Fn(&[f64; 2]) -> f64| factor * by_cluster.values().map(f).sum::<f64>();
            (
                sum(&|u| u[0] * u[0]),
                sum(&|u| u[1] * u[1]),
                sum(&|u| u[0] * u[1]),
                Reference::of_clusters(level, Some(g)),
            )
        }
    };
    let ratio = ratio_per(dc, dm, var_c, var_m, cov, reference, None, MONTH_WITH_A_JOB);
    Ok(CostPerMonth {
        tau,
        n: counts,
        mean_cost,
        rmst: rmst_of,
        ratio,
        clusters: cluster_count,
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

/// [`MonthlyShares`] from the Aalen–Johansen cumulative incidence of the first job when other
/// exits compete (issue 17 with `[survival] cause`): a person who moved or started studies can no
/// longer find a first job in this sense, so 1 − Kaplan–Meier (other exits censored) would count
/// months in work they cannot have. With F the cumulative incidence of the job (status
/// `survival::EVENT`; `COMPETING` another exit; anything else censoring), the share of month m
/// after the first job is p(m) = (1/D) ∫_{(m−1)D}^{mD} F(t) dt, and Σ_{m ≤ H} p(m) is the area
/// under F to HD over D; the difference between arms is the area between their cumulative
/// incidences (Andersen, Hansen & Klein 2004, Lifetime Data Anal 10:335–350: the expected time
/// lost to a cause as the integral of its cumulative incidence). Without competing exits F = 1 − S
/// and the shares equal [`monthly_shares`].
///
/// At the distinct times t_j with n_j at risk, d_j exits of any cause and d¹_j first jobs, F jumps
/// by ΔF_j = S(t_j−) d¹_j/n_j (S the all-cause Kaplan–Meier curve; cmprsk's `cuminc` and R's
/// `survfit` multi-state estimate, `survival::competing::Cif`), so ∫ over month m of F is
/// A_m = Σ_j ΔF_j L_m(t_j) with L_m(t) = max(0, mD − max(t, (m − 1)D)). Its influence is the
/// exact derivative with respect to person i's weight (the infinitesimal jackknife; Efron 1982,
/// ch. 6), written out in docs/methods/cost-benefit.md: for person i whose time is t_k,
/// IFᵢ(A_m) = δ¹ᵢ S(t_k−) L_m(t_k)/n_k − Σ_{j ≤ k} L_m(t_j) S(t_j−) d¹_j/n_j²
///            − δᵢ B_k/(n_k − d_k) + Σ_{j ≤ k} B_j d_j/(n_j(n_j − d_j)),
/// with B_k = Σ_{j > k} L_m(t_j) ΔF_j the month's area still to come after t_k, δ¹ᵢ a first job
/// and δᵢ any exit (terms with n_j = d_j are 0: then S, and every later jump, is 0). The shares'
/// covariance is Σᵢ IFᵢ(A_m) IFᵢ(A_m')/D², the variance R's `survfit` reports for multi-state
/// curves (its default infinitesimal-jackknife variance), and IFᵢ/D gives the covariance with the
/// mean cost as for [`monthly_shares`].
pub fn monthly_cif_shares(time: &[f64], status: &[u8], months: u32) -> MonthlyShares {
    use crate::survival::{COMPETING, EVENT, tie_runs};
    let order = time_order(time);
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let st: Vec<u8> = order.iter().map(|&i| status[i]).collect();
    let h = months as usize;
    // Distinct times: time, at risk, exits of any cause, first jobs; and each person's step.
    let mut steps: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut step_of = vec![0usize; t.len()];
    let mut at_risk = t.len() as f64;
    for (start, end) in tie_runs(&t) {
        let run = &st[start..end];
        let d1 = run.iter().filter(|&&x| x == EVENT).count() as f64;
        let d = d1 + run.iter().filter(|&&x| x == COMPETING).count() as f64;
        step_of[start..end].fill(steps.len());
        steps.push((t[start], at_risk, d, d1));
        at_risk -= (end - start) as f64;
    }
    // S(t_j−) and the jumps ΔF_j.
    let mut s_before = Vec::with_capacity(steps.len());
    let mut jump = Vec::with_capacity(steps.len());
    let mut s = 1.0;
    for &(_, n, d, d1) in &steps {
        s_before.push(s);
        jump.push(if n > 0.0 { s * d1 / n } else { 0.0 });
        if n > 0.0 {
            s *= (n - d) / n;
        }
    }
    let overlap = |m: usize, x: f64| {
        let (lo, hi) = (m as f64 * DAYS_PER_MONTH, (m + 1) as f64 * DAYS_PER_MONTH);
        (hi - x.max(lo)).max(0.0)
    };
    let mut share = vec![0.0; h];
    let mut influence = vec![vec![0.0; t.len()]; h];
    for m in 0..h {
        let len: Vec<f64> = steps.iter().map(|&(tj, ..)| overlap(m, tj)).collect();
        let area: f64 = len.iter().zip(&jump).map(|(l, f)| l * f).sum();
        share[m] = area / DAYS_PER_MONTH;
        // B_k (the area after t_k) and the prefix sums of the two compensators.
        let mut after = vec![0.0; steps.len()];
        let mut acc = 0.0;
        for j in (0..steps.len()).rev() {
            after[j] = acc;
            acc += len[j] * jump[j];
        }
        let mut own = Vec::with_capacity(steps.len());
        let mut all = Vec::with_capacity(steps.len());
        let (mut p_own, mut p_all) = (0.0, 0.0);
        for (j, &(_, n, d, d1)) in steps.iter().enumerate() {
            if n > 0.0 {
                p_own += len[j] * s_before[j] * d1 / (n * n);
            }
            if n > d {
                p_all += after[j] * d / (n * (n - d));
            }
            own.push(p_own);
            all.push(p_all);
        }
        for (k_sorted, &i) in order.iter().enumerate() {
            let k = step_of[k_sorted];
            let (_, n, d, _) = steps[k];
            let event = st[k_sorted] == EVENT;
            let exit = event || st[k_sorted] == COMPETING;
            let mut value = all[k] - own[k];
            if event && n > 0.0 {
                value += s_before[k] * len[k] / n;
            }
            if exit && n > d {
                value -= after[k] / (n - d);
            }
            influence[m][i] = value / DAYS_PER_MONTH;
        }
    }
    let mut cov = vec![0.0; h * h];
    for a in 0..h {
        for b in a..h {
            let c: f64 = influence[a]
                .iter()
                .zip(&influence[b])
                .map(|(x, y)| x * y)
                .sum();
            cov[a * h + b] = c;
            cov[b * h + a] = c;
        }
    }
    MonthlyShares {
        share,
        cov,
        influence,
    }
}

/// The shares p(m) of [`monthly_cif_shares`] alone (for bootstrap replicates), from the
/// cumulative incidence of `survival::competing::Cif`.
pub fn cif_share_estimates(time: &[f64], status: &[u8], months: u32) -> Vec<f64> {
    let order = time_order(time);
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let st: Vec<u8> = order.iter().map(|&i| status[i]).collect();
    let cif = crate::survival::competing::Cif::fit(&t, &st);
    (0..months as usize)
        .map(|m| {
            let (lo, hi) = (m as f64 * DAYS_PER_MONTH, (m + 1) as f64 * DAYS_PER_MONTH);
            let mut previous = 0.0;
            let mut area = 0.0;
            for (&tj, &f) in cif.time.iter().zip(&cif.estimate) {
                area += (f - previous) * (hi - tj.max(lo)).max(0.0);
                previous = f;
            }
            area / DAYS_PER_MONTH
        })
        .collect()
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
        let got = cost_per_month(&cost, &time, &status, &treated, None, tau, 0.95).unwrap();
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

    /// Without competing exits the Aalen–Johansen shares are the Kaplan–Meier ones; with them,
    /// the shares add up to the area under the cumulative incidence of `survival::competing`.
    #[test]
    fn cif_shares_equal_km_without_competing_exits_and_integrate_the_cif() {
        let time = [
            10.0, 50.0, 50.0, 75.0, 100.0, 130.0, 200.0, 31.0, 31.0, 64.0,
        ];
        let plain = [1u8, 1, 0, 1, 0, 1, 0, 1, 1, 0];
        let km = monthly_shares(&time, &plain, 5);
        let aj = monthly_cif_shares(&time, &plain, 5);
        for (a, b) in km.share.iter().zip(&aj.share) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        let competing = [1u8, 2, 0, 1, 2, 1, 0, 1, 2, 0];
        let aj = monthly_cif_shares(&time, &competing, 5);
        let order = time_order(&time);
        let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
        let st: Vec<u8> = order.iter().map(|&i| competing[i]).collect();
        let cif = crate::survival::competing::Cif::fit(&t, &st);
        // ∫₀^{5D} F by steps of the fitted curve.
        let end = 5.0 * DAYS_PER_MONTH;
        let mut area = 0.0;
        for (j, &tj) in cif.time.iter().enumerate() {
            let next = cif.time.get(j + 1).copied().unwrap_or(end).min(end);
            area += cif.estimate[j] * (next - tj).max(0.0);
        }
        let total: f64 = aj.share.iter().sum();
        assert!((total - area / DAYS_PER_MONTH).abs() < 1e-12, "{total}");
        for (a, b) in aj
            .share
            .iter()
            .zip(cif_share_estimates(&time, &competing, 5))
        {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        let infl: f64 = aj.influence.iter().map(|m| m.iter().sum::<f64>()).sum();
        assert!(infl.abs() < 1e-12, "{infl}");
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
