//! Cost-effectiveness of a two-arm trial: mean costs by arm, incremental cost ΔC and effect ΔE,
//! the cost per additional person in work or studies (ICER = ΔC/ΔE) with delta-method, Fieller
//! and bootstrap intervals, benefit offsets (net cost, break-even), the effect per participant
//! (Wald/IV), net monetary benefit and the acceptability curve, and comparison with other
//! programmes' cost per job. Pure computation over vectors; `ops/cost.rs` reads the files.
//!
//! Every formula is written out in its function's documentation with its source. Main sources:
//! Glick, Doshi, Sonnad & Polsky (2014), *Economic Evaluation in Clinical Trials*, 2nd ed., OUP,
//! ch. 7 (sampling uncertainty: delta method, Fieller, bootstrap, CE plane, NMB, CEAC);
//! Willan & O'Brien (1996), Health Economics 5:297–305 (Fieller for the ICER);
//! Willan & Briggs (2006), *Statistical Analysis of Cost-effectiveness Data*, Wiley, ch. 4;
//! Stinnett & Mullahy (1998), Med Decis Making 18:S68–S80 (net monetary benefit);
//! Fenwick, Claxton & Sculpher (2001), Health Economics 10:779–787 (acceptability curves).

pub mod benefit;
pub mod bootstrap;
pub mod discount;
pub mod fieller;
pub mod months;
pub mod tracks;

use crate::dist::{pnorm, pt, qnorm, qt};
use crate::error::{Error, Result};
use bootstrap::{ResamplingPlan, percentile_interval};
use fieller::Fieller;

/// A benefit offset: a quantity per person (e.g. months on income support) and its value in SEK
/// per unit. Spending on it counts as a cost to the public purse, so a programme that lowers it
/// saves money: net cost per person = programme cost + units × SEK per unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Offset {
    pub name: String,
    pub units: Vec<f64>,
    pub sek_per_unit: f64,
}

/// Another programme whose cost per additional job the user supplies.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub name: String,
    pub cost_per_job: f64,
}

/// The persons of one analysis (all, or one subgroup): arm, cost, effect and the rest, one entry
/// per person.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// True for the arm offered the programme, false for the comparison arm.
    pub treated: Vec<bool>,
    /// Cost per person in SEK (≥ 0).
    pub cost: Vec<f64>,
    /// The effect outcome (e.g. 1 = in work or studies at 540 days).
    pub effect: Vec<f64>,
    /// 1 if the person took part (for cost per participant and the effect per participant).
    pub participation: Option<Vec<f64>>,
    pub offsets: Vec<Offset>,
    /// Stratum of each person (all 0 when there are none).
    pub strata: Vec<usize>,
    /// Cluster of each person, when persons are not independent (e.g. cluster randomization).
    pub clusters: Option<Vec<usize>>,
}

impl Sample {
    /// Check lengths and values: costs finite and ≥ 0, effects and offsets finite.
    pub fn validate(&self) -> Result<()> {
        let n = self.treated.len();
        let mut lens = vec![
            ("cost", self.cost.len()),
            ("effect", self.effect.len()),
            ("strata", self.strata.len()),
        ];
        if let Some(d) = &self.participation {
            lens.push(("participation", d.len()));
        }
        if let Some(c) = &self.clusters {
            lens.push(("clusters", c.len()));
        }
        for o in &self.offsets {
            lens.push(("offset", o.units.len()));
        }
        for (name, len) in lens {
            if len != n {
                return Err(Error::compute(format!(
                    "{name} has {len} values but there are {n} persons"
                )));
            }
        }
        if let Some(i) = self.cost.iter().position(|c| !c.is_finite() || *c < 0.0) {
            return Err(Error::compute(format!(
                "cost of person {} is {}; costs must be finite and not negative",
                i + 1,
                self.cost[i]
            )));
        }
        if let Some(i) = self.effect.iter().position(|e| !e.is_finite()) {
            return Err(Error::compute(format!(
                "effect of person {} is missing; drop persons without an outcome first",
                i + 1
            )));
        }
        for o in &self.offsets {
            if !o.sek_per_unit.is_finite() {
                return Err(Error::compute(format!(
                    "offset `{}` has no finite SEK per unit",
                    o.name
                )));
            }
            if let Some(i) = o.units.iter().position(|u| !u.is_finite()) {
                return Err(Error::compute(format!(
                    "offset `{}` of person {} is missing",
                    o.name,
                    i + 1
                )));
            }
        }
        Ok(())
    }

    /// The persons at `rows` (0-based), in that order.
    pub fn subset(&self, rows: &[usize]) -> Sample {
        fn pick<T: Clone>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().filter_map(|&i| v.get(i).cloned()).collect()
        }
        Sample {
            treated: pick(&self.treated, rows),
            cost: pick(&self.cost, rows),
            effect: pick(&self.effect, rows),
            participation: self.participation.as_ref().map(|d| pick(d, rows)),
            offsets: self
                .offsets
                .iter()
                .map(|o| Offset {
                    name: o.name.clone(),
                    units: pick(&o.units, rows),
                    sek_per_unit: o.sek_per_unit,
                })
                .collect(),
            strata: pick(&self.strata, rows),
            clusters: self.clusters.as_ref().map(|c| pick(c, rows)),
        }
    }

    /// Net cost per person: cost + Σ offsets' units × SEK per unit.
    pub fn net_cost(&self) -> Vec<f64> {
        (0..self.cost.len())
            .map(|i| {
                self.cost[i]
                    + self
                        .offsets
                        .iter()
                        .map(|o| o.units[i] * o.sek_per_unit)
                        .sum::<f64>()
            })
            .collect()
    }
}

/// A cost model: the cost of each person from their arm and participation.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// Cost per person offered (or assigned) in [treated, control] arm, whether or not they
    /// take part (e.g. ordinary services).
    pub per_offered: [f64; 2],
    /// Additional cost per person who takes part, by arm.
    pub per_participant: [f64; 2],
    /// Fixed programme costs of each arm, spread evenly over the arm's participants (over all
    /// its persons when participation is not known).
    pub fixed: [f64; 2],
    /// Overhead (premises, IT, support functions) as a share of the direct cost, e.g. 0.15.
    pub overhead_share: f64,
}

/// Costs from a [`CostModel`]: for person i in arm a with participation dᵢ (1 when unknown),
/// cᵢ = (per_offered[a] + dᵢ·per_participant[a] + dᵢ·fixed[a] / Σⱼ∈a dⱼ) · (1 + overhead_share).
/// Fails when an arm with fixed costs has no participants to spread them over.
pub fn model_costs(
    model: &CostModel,
    treated: &[bool],
    participation: Option<&[f64]>,
) -> Result<Vec<f64>> {
    let d = |i: usize| participation.and_then(|p| p.get(i).copied()).unwrap_or(1.0);
    let mut takers = [0.0; 2];
    for (i, &t) in treated.iter().enumerate() {
        takers[if t { 0 } else { 1 }] += d(i);
    }
    for (arm, (&fixed, &takers)) in model.fixed.iter().zip(&takers).enumerate() {
        if fixed != 0.0 && takers <= 0.0 {
            return Err(Error::compute(format!(
                "the {} arm has fixed costs but no participants to spread them over",
                if arm == 0 { "programme" } else { "comparison" }
            )));
        }
    }
    Ok(treated
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let a = if t { 0 } else { 1 };
            let fixed_share = if takers[a] > 0.0 {
                model.fixed[a] / takers[a]
            } else {
                0.0
            };
            (model.per_offered[a] + d(i) * model.per_participant[a] + d(i) * fixed_share)
                * (1.0 + model.overhead_share)
        })
        .collect())
}

/// What to compute besides the point estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct CostOptions {
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Bootstrap replications (0: none).
    pub bootstrap: usize,
    /// Seed of the bootstrap streams `bootstrap/rep=<b>`.
    pub seed: u64,
    /// Willingness to pay per additional job, λ, for NMB and the acceptability curve.
    pub wtp: Vec<f64>,
    /// Also report the effect per participant (needs participation).
    pub per_participant: bool,
    pub alternatives: Vec<Alternative>,
}

impl Default for CostOptions {
    fn default() -> Self {
        CostOptions {
            level: 0.95,
            bootstrap: 0,
            seed: 0,
            wtp: Vec::new(),
            per_participant: false,
            alternatives: Vec::new(),
        }
    }
}

/// The reference distribution of a cost analysis's normal-theory intervals (delta method,
/// Fieller, net monetary benefit) and of P(NMB > 0): the standard normal for independent
/// persons; with clusters, Student's t with G − 1 degrees of freedom, because the cluster-robust
/// variance rests on G cluster sums (Cameron & Miller 2015, J Human Resources 50:317–372,
/// §VI.C; Stata's `regress, vce(cluster)` and `lincom`/`nlcom` after it use t(G − 1)). With 8
/// municipalities z = 1.96 would claim a 95% interval that covers like a 90% one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// The confidence level, e.g. 0.95.
    pub level: f64,
    /// Degrees of freedom: G − 1 with clusters, ∞ for the normal.
    pub df: f64,
}

impl Reference {
    /// The standard normal at `level`.
    pub fn normal(level: f64) -> Reference {
        Reference {
            level,
            df: f64::INFINITY,
        }
    }

    /// t(G − 1) at `level` for `clusters` clusters (the normal for none).
    pub fn of_clusters(level: f64, clusters: Option<usize>) -> Reference {
        match clusters {
            Some(g) => Reference {
                level,
                df: g.saturating_sub(1) as f64,
            },
            None => Reference::normal(level),
        }
    }

    /// The two-sided critical value: qnorm((1 + level)/2), or qt((1 + level)/2, G − 1).
    pub fn critical(&self) -> f64 {
        let p = (1.0 + self.level) / 2.0;
        if self.df.is_finite() {
            qt(p, self.df)
        } else {
            qnorm(p)
        }
    }

    /// P(X ≤ x) under the reference distribution.
    pub fn cdf(&self, x: f64) -> f64 {
        if self.df.is_finite() {
            pt(x, self.df)
        } else {
            pnorm(x)
        }
    }

    /// The note that says the intervals use t(G − 1) (none for the normal).
    pub fn note(&self) -> Option<String> {
        self.df.is_finite().then(|| {
            format!(
                "clustered: intervals use t with G − 1 = {} degrees of freedom and cluster-robust (CR1) variances ({} clusters)",
                self.df,
                self.df + 1.0
            )
        })
    }
}

/// The number of distinct clusters.
pub fn cluster_count(clusters: &[usize]) -> usize {
    clusters
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Means of one arm.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSummary {
    pub n: usize,
    /// Mean cost per person offered (assigned to the arm).
    pub mean_cost: f64,
    pub mean_effect: f64,
    /// Number who took part (NaN without participation).
    pub participants: f64,
    /// Total cost of the arm / number who took part (NaN without participants): it charges
    /// those who took part with the costs of those who did not.
    pub cost_per_participant: f64,
    /// Mean cost among those who took part (NaN without participation or participants).
    pub mean_cost_participants: f64,
    /// Mean cost among those in the arm who did not take part (NaN without any).
    pub mean_cost_nonparticipants: f64,
    /// Mean net cost (cost + offsets); NaN without offsets.
    pub mean_net_cost: f64,
}

/// Bootstrap results for one cost–effect pair.
#[derive(Debug, Clone, PartialEq)]
pub struct BootRatio {
    /// Replicates in which both arms had observations.
    pub valid: usize,
    pub cost_low: f64,
    pub cost_high: f64,
    pub effect_low: f64,
    pub effect_high: f64,
    /// Percentile interval of ΔC/ΔE; NaN when ΔE's interval includes 0.
    pub icer_low: f64,
    pub icer_high: f64,
    /// Shares of replicates in the quadrants of the cost-effectiveness plane:
    /// NE (ΔE > 0, ΔC > 0: more jobs at higher cost), SE (ΔE > 0, ΔC ≤ 0: dominant),
    /// SW (ΔE ≤ 0, ΔC ≤ 0), NW (ΔE ≤ 0, ΔC > 0: dominated).
    pub quadrants: [f64; 4],
    /// The valid replicates as (ΔE_b, ΔC_b), in replicate order: the cost-effectiveness plane.
    pub draws: Vec<(f64, f64)>,
}

/// Incremental cost and effect and their ratio, with intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    pub delta_cost: f64,
    pub se_cost: f64,
    pub delta_effect: f64,
    pub se_effect: f64,
    /// Cov(ΔC, ΔE).
    pub covariance: f64,
    /// ΔC/ΔE (NaN when ΔE = 0).
    pub icer: f64,
    /// Delta-method SE of the ICER (NaN when the ICER is not meaningful).
    pub icer_se: f64,
    pub delta_low: f64,
    pub delta_high: f64,
    pub fieller: Fieller,
    pub boot: Option<BootRatio>,
    /// False when ΔE's interval (bootstrap when run, else normal or t(G − 1)) includes 0 or
    /// ΔE = 0.
    pub meaningful: bool,
    /// Degrees of freedom of the delta-method and Fieller intervals: G − 1 with clusters, ∞
    /// (the normal) without.
    pub df: f64,
    pub notes: Vec<String>,
}

/// The effect of taking part (Wald/IV estimator with the offer as instrument; Angrist, Imbens
/// & Rubin 1996): ΔE and ΔC per participant are the ITT differences divided by the difference
/// in take-up. The ICER is unchanged by the scaling.
#[derive(Debug, Clone, PartialEq)]
pub struct PerParticipant {
    pub take_up_difference: f64,
    pub take_up_se: f64,
    pub delta_cost: f64,
    pub delta_cost_se: f64,
    pub delta_effect: f64,
    pub delta_effect_se: f64,
    /// Percentile intervals [cost_low, cost_high, effect_low, effect_high] when bootstrapped.
    pub boot: Option<[f64; 4]>,
}

/// One benefit offset's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetSummary {
    pub name: String,
    pub sek_per_unit: f64,
    pub mean_units_treated: f64,
    pub mean_units_control: f64,
    /// Difference in mean units, treated − control.
    pub delta_units: f64,
    /// delta_units × SEK per unit (negative = saving).
    pub delta_value: f64,
    /// SEK per unit at which the net incremental cost is 0, the other offsets held at their
    /// values: −(ΔC + Σₖ≠ⱼ pₖΔuₖ)/Δuⱼ (NaN when Δuⱼ = 0).
    pub break_even_sek_per_unit: f64,
}

/// Net monetary benefit at one λ and the probability that it is positive.
#[derive(Debug, Clone, PartialEq)]
pub struct NmbPoint {
    /// `gross` (programme costs only) or `net` (after offsets).
    pub perspective: &'static str,
    pub lambda: f64,
    /// NMB = λΔE − ΔC (Stinnett & Mullahy 1998).
    pub nmb: f64,
    /// SE = √(λ²V_E + V_C − 2λC_CE).
    pub se: f64,
    pub low: f64,
    pub high: f64,
    pub boot_low: f64,
    pub boot_high: f64,
    /// P(NMB > 0) under the normal approximation, Φ(NMB/SE) (Löthgren & Zethraeus 2000); with
    /// clusters the t(G − 1) distribution function ([`Reference`]).
    pub prob_normal: f64,
    /// Share of bootstrap replicates with NMB > 0 (Fenwick et al. 2001); NaN without bootstrap.
    pub prob_boot: f64,
}

/// The programme against another whose cost per job is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub perspective: &'static str,
    pub name: String,
    pub cost_per_job: f64,
    pub icer: f64,
    /// ICER − the alternative's cost per job (negative: cheaper per job).
    pub difference: f64,
    /// P(the programme's cost per job is below the alternative's): the acceptability curve at
    /// λ = the alternative's cost per job (normal approximation and bootstrap).
    pub prob_normal: f64,
    pub prob_boot: f64,
}

/// Everything for one analysis (all persons or one subgroup).
#[derive(Debug, Clone, PartialEq)]
pub struct CostEffectiveness {
    /// [programme arm, comparison arm].
    pub arms: [ArmSummary; 2],
    pub gross: Ratio,
    /// After benefit offsets, when there are any.
    pub net: Option<Ratio>,
    pub offsets: Vec<OffsetSummary>,
    pub per_participant: Option<PerParticipant>,
    pub acceptability: Vec<NmbPoint>,
    pub comparisons: Vec<Comparison>,
    pub bootstrap_reps: usize,
    pub level: f64,
}

/// Per-arm means and the covariance matrix of the arm means of several variables.
struct ArmMoments {
    n: usize,
    means: Vec<f64>,
    /// Cov(mean_k, mean_l), row-major V×V.
    cov_of_means: Vec<f64>,
}

/// Means of each variable in one arm and the covariance of those means, Cov(x̄, ȳ) = s_xy/n
/// with the n − 1 sample covariance, so that Var(ΔC) = s²_C1/n1 + s²_C0/n0 and
/// Cov(ΔC, ΔE) = s_CE1/n1 + s_CE0/n0 (Neyman; Willan & Briggs 2006, §4.2; the SE of ΔC and ΔE is
/// estimatr's `difference_in_means` SE).
fn arm_moments(rows: &[usize], vars: &[&[f64]]) -> ArmMoments {
    let n = rows.len();
    let v = vars.len();
    let nf = n as f64;
    let means: Vec<f64> = (0..v)
        .map(|k| rows.iter().map(|&i| vars[k][i]).sum::<f64>() / nf)
        .collect();
    let mut cov = vec![f64::NAN; v * v];
    if n > 1 {
        for a in 0..v {
            for b in 0..v {
                let s: f64 = rows
                    .iter()
                    .map(|&i| (vars[a][i] - means[a]) * (vars[b][i] - means[b]))
                    .sum();
                cov[a * v + b] = s / (nf - 1.0) / nf;
            }
        }
    }
    ArmMoments {
        n,
        means,
        cov_of_means: cov,
    }
}

/// With clusters: the covariance matrix of the differences in means Δ_k = x̄_k1 − x̄_k0, cluster-
/// robust as Stata's `regress x z, vce(cluster g)` (CR1) for the coefficient of z, which is the
/// difference in means. Each person's influence on Δ_k is ψ_ik = (x_ik − x̄_k1)/n1 if treated
/// and −(x_ik − x̄_k0)/n0 if not; with cluster sums U_gk = Σᵢ∈g ψ_ik,
/// Cov(Δ_k, Δ_l) = G/(G − 1) · (N − 1)/(N − 2) · Σ_g U_gk U_gl (Cameron & Miller 2015, J Human
/// Resources 50:317–372, §II.C; estimatr `lm_robust(se_type = "stata")`). Clusters may span both
/// arms (individual randomization within sites) or lie within one (cluster randomization).
fn cluster_cov(
    treated: &[bool],
    vars: &[&[f64]],
    clusters: &[usize],
    m1: &ArmMoments,
    m0: &ArmMoments,
) -> Vec<f64> {
    let v = vars.len();
    let (n1, n0) = (m1.n as f64, m0.n as f64);
    let mut sums: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    for (i, &t) in treated.iter().enumerate() {
        let u = sums.entry(clusters[i]).or_insert_with(|| vec![0.0; v]);
        for k in 0..v {
            u[k] += if t {
                (vars[k][i] - m1.means[k]) / n1
            } else {
                -(vars[k][i] - m0.means[k]) / n0
            };
        }
    }
    let g = sums.len() as f64;
    let n = treated.len() as f64;
    let mut cov = vec![f64::NAN; v * v];
    if sums.len() > 1 && treated.len() > 2 {
        let factor = g / (g - 1.0) * (n - 1.0) / (n - 2.0);
        for a in 0..v {
            for b in 0..v {
                cov[a * v + b] = factor * sums.values().map(|u| u[a] * u[b]).sum::<f64>();
            }
        }
    }
    cov
}

/// The differences in arm means Δ_k = x̄_k1 − x̄_k0 of several variables and their covariance
/// matrix (row-major), Neyman's or, with clusters, cluster-robust CR1, exactly as
/// [`analyse`] computes them; used by the valued outcome (`benefit`).
pub(crate) fn difference_moments(
    treated: &[bool],
    vars: &[&[f64]],
    clusters: Option<&[usize]>,
) -> (Vec<f64>, Vec<f64>) {
    let rows =
        |arm: bool| -> Vec<usize> { (0..treated.len()).filter(|&i| treated[i] == arm).collect() };
    let m1 = arm_moments(&rows(true), vars);
    let m0 = arm_moments(&rows(false), vars);
    let v = vars.len();
    let diff = (0..v).map(|k| m1.means[k] - m0.means[k]).collect();
    let cov = match clusters {
        Some(cl) => cluster_cov(treated, vars, cl, &m1, &m0),
        None => (0..v * v)
            .map(|j| m1.cov_of_means[j] + m0.cov_of_means[j])
            .collect(),
    };
    (diff, cov)
}

/// SE of a ratio a/b by the delta method: Var(a/b) ≈ (V_a − 2rC_ab + r²V_b)/b² with r = a/b
/// (Glick et al. 2014, eq. 7.4; Willan & O'Brien 1996, eq. 2).
pub fn ratio_se(a: f64, b: f64, var_a: f64, var_b: f64, cov: f64) -> f64 {
    if b == 0.0 {
        return f64::NAN;
    }
    let r = a / b;
    let v = (var_a - 2.0 * r * cov + r * r * var_b) / (b * b);
    if v >= 0.0 { v.sqrt() } else { f64::NAN }
}

/// Build the [`Ratio`] for one cost variable against the effect (a cost per additional job).
fn ratio(
    dc: f64,
    de: f64,
    var_c: f64,
    var_e: f64,
    cov: f64,
    reference: Reference,
    reps: Option<(&[f64], &[f64])>,
) -> Ratio {
    ratio_per(dc, de, var_c, var_e, cov, reference, reps, RatioUnit::JOB)
}

/// What one unit of effect is, for the notes of a [`Ratio`].
#[derive(Debug, Clone, Copy)]
pub struct RatioUnit {
    /// `job`: the ratio is the cost per additional `job`.
    pub singular: &'static str,
    /// `jobs`: "no additional jobs".
    pub plural: &'static str,
}

impl RatioUnit {
    pub const JOB: RatioUnit = RatioUnit {
        singular: "job",
        plural: "jobs",
    };
}

/// [`ratio`] for an effect counted in `unit`s: ΔC/ΔE with the delta-method SE and interval
/// ([`ratio_se`]), the Fieller set, the bootstrap when replicates are given, and notes. The
/// delta-method and Fieller intervals use `reference`'s critical value (z, or t(G − 1)).
#[allow(clippy::too_many_arguments)]
pub fn ratio_per(
    dc: f64,
    de: f64,
    var_c: f64,
    var_e: f64,
    cov: f64,
    reference: Reference,
    reps: Option<(&[f64], &[f64])>,
    unit: RatioUnit,
) -> Ratio {
    let (one, many) = (unit.singular, unit.plural);
    let level = reference.level;
    let z = reference.critical();
    let icer = if de != 0.0 { dc / de } else { f64::NAN };
    let mut notes = Vec::new();
    let se_e = var_e.sqrt();
    let normal_includes_zero = !(de - z * se_e > 0.0 || de + z * se_e < 0.0);
    let boot = reps.map(|(c, e)| boot_ratio(c, e, level));
    let includes_zero = match &boot {
        Some(b) if b.valid > 0 => !(b.effect_low > 0.0 || b.effect_high < 0.0),
        _ => normal_includes_zero,
    };
    let meaningful = de != 0.0 && de.is_finite() && !includes_zero && icer.is_finite();
    if de == 0.0 {
        notes.push(format!(
            "the incremental effect is exactly 0 (no additional {many}), so the cost per \
                 additional {one} is undefined"
        ));
    } else if !meaningful {
        notes.push(format!(
            "the {:.0}% interval of the incremental effect includes 0, so the cost per \
             additional {one} is not meaningful; {}",
            level * 100.0,
            if reps.is_some() {
                "see the shares of the cost-effectiveness plane and the Fieller set"
            } else {
                "see the Fieller set, and run the bootstrap for the shares of the \
                 cost-effectiveness plane"
            }
        ));
    } else if de < 0.0 {
        notes.push(format!(
            "the programme lowers the effect; the ratio is a cost per {one} lost"
        ));
    }
    let icer_se = if meaningful {
        ratio_se(dc, de, var_c, var_e, cov)
    } else {
        f64::NAN
    };
    let fieller = Fieller::compute(dc, de, var_c, var_e, cov, z);
    if fieller != Fieller::Undefined {
        notes.push(fieller.describe_per(level, &format!("additional {one}")));
    }
    notes.extend(reference.note());
    Ratio {
        delta_cost: dc,
        se_cost: var_c.sqrt(),
        delta_effect: de,
        se_effect: se_e,
        covariance: cov,
        icer,
        icer_se,
        delta_low: icer - z * icer_se,
        delta_high: icer + z * icer_se,
        fieller,
        df: reference.df,
        boot: boot.map(|mut b| {
            if !meaningful {
                b.icer_low = f64::NAN;
                b.icer_high = f64::NAN;
            }
            b
        }),
        meaningful,
        notes,
    }
}

/// Bootstrap summaries from replicate differences ΔC_b, ΔE_b.
fn boot_ratio(dc: &[f64], de: &[f64], level: f64) -> BootRatio {
    let pairs: Vec<(f64, f64)> = dc
        .iter()
        .zip(de)
        .filter(|(c, e)| c.is_finite() && e.is_finite())
        .map(|(c, e)| (*c, *e))
        .collect();
    let valid = pairs.len();
    let cs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let es: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ratios: Vec<f64> = pairs.iter().map(|(c, e)| c / e).collect();
    let (cost_low, cost_high) = percentile_interval(&cs, level);
    let (effect_low, effect_high) = percentile_interval(&es, level);
    let (icer_low, icer_high) = percentile_interval(&ratios, level);
    let mut q = [0usize; 4];
    for (c, e) in &pairs {
        let idx = match (*e > 0.0, *c > 0.0) {
            (true, true) => 0,
            (true, false) => 1,
            (false, false) => 2,
            (false, true) => 3,
        };
        q[idx] += 1;
    }
    let share = |k: usize| {
        if valid > 0 {
            q[k] as f64 / valid as f64
        } else {
            f64::NAN
        }
    };
    BootRatio {
        valid,
        cost_low,
        cost_high,
        effect_low,
        effect_high,
        icer_low,
        icer_high,
        quadrants: [share(0), share(1), share(2), share(3)],
        draws: pairs.iter().map(|(c, e)| (*e, *c)).collect(),
    }
}

/// Cost-effectiveness of the programme arm against the comparison arm for the persons in
/// `sample`. Fails when the sample is invalid or an arm has no persons.
pub fn analyse(sample: &Sample, options: &CostOptions) -> Result<CostEffectiveness> {
    analyse_with(sample, options, &crate::progress::Silent)
}

/// [`analyse`] reporting the bootstrap to `progress` (and stopping with
/// [`crate::Error::Interrupted`] when it asks to).
pub fn analyse_with(
    sample: &Sample,
    options: &CostOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<CostEffectiveness> {
    sample.validate()?;
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(Error::compute(format!(
            "confidence level {} is not between 0 and 1",
            options.level
        )));
    }
    let treated_rows: Vec<usize> = (0..sample.treated.len())
        .filter(|&i| sample.treated[i])
        .collect();
    let control_rows: Vec<usize> = (0..sample.treated.len())
        .filter(|&i| !sample.treated[i])
        .collect();
    if treated_rows.is_empty() || control_rows.is_empty() {
        return Err(Error::compute(format!(
            "the {} arm has no observations",
            if treated_rows.is_empty() {
                "programme"
            } else {
                "comparison"
            }
        )));
    }
    let level = options.level;
    let reference = Reference::of_clusters(level, sample.clusters.as_deref().map(cluster_count));
    let z = reference.critical();
    let net = if sample.offsets.is_empty() {
        None
    } else {
        Some(sample.net_cost())
    };
    // Variables: cost, effect, [participation], [net cost], [offset units...].
    let mut vars: Vec<&[f64]> = vec![&sample.cost, &sample.effect];
    let idx_d = sample.participation.as_ref().map(|d| {
        vars.push(d);
        vars.len() - 1
    });
    let idx_net = net.as_ref().map(|n| {
        vars.push(n);
        vars.len() - 1
    });
    let idx_off0 = vars.len();
    for o in &sample.offsets {
        vars.push(&o.units);
    }
    let v = vars.len();
    let clusters = sample.clusters.as_deref();
    let m1 = arm_moments(&treated_rows, &vars);
    let m0 = arm_moments(&control_rows, &vars);
    let diff = |k: usize| m1.means[k] - m0.means[k];
    let joint: Vec<f64> = match clusters {
        Some(cl) => cluster_cov(&sample.treated, &vars, cl, &m1, &m0),
        None => (0..v * v)
            .map(|j| m1.cov_of_means[j] + m0.cov_of_means[j])
            .collect(),
    };
    let dcov = |k: usize, l: usize| joint[k * v + l];

    let arm_summary = |m: &ArmMoments, rows: &[usize]| {
        let participants = idx_d.map_or(f64::NAN, |k| rows.iter().map(|&i| vars[k][i]).sum());
        let total: f64 = rows.iter().map(|&i| sample.cost[i]).sum();
        // Costs of those who took part (d = 1) and of those who did not (d = 0), weighted by
        // d and 1 − d so that a share of a programme counts in part to each.
        let weighted_mean = |weight: &dyn Fn(f64) -> f64| {
            idx_d.map_or(f64::NAN, |k| {
                let w: f64 = rows.iter().map(|&i| weight(vars[k][i])).sum();
                let c: f64 = rows
                    .iter()
                    .map(|&i| weight(vars[k][i]) * sample.cost[i])
                    .sum();
                if w > 0.0 { c / w } else { f64::NAN }
            })
        };
        ArmSummary {
            mean_cost_participants: weighted_mean(&|d| d),
            mean_cost_nonparticipants: weighted_mean(&|d| 1.0 - d),
            n: m.n,
            mean_cost: m.means[0],
            mean_effect: m.means[1],
            participants,
            cost_per_participant: if participants > 0.0 {
                total / participants
            } else {
                f64::NAN
            },
            mean_net_cost: idx_net.map_or(f64::NAN, |k| m.means[k]),
        }
    };
    let arms = [
        arm_summary(&m1, &treated_rows),
        arm_summary(&m0, &control_rows),
    ];

    // Bootstrap replicates of all arm means.
    let mut boot_notes = Vec::new();
    let mut reps: Vec<Vec<f64>> = if options.bootstrap > 0 {
        let plan = ResamplingPlan::new(&sample.treated, &vars, &sample.strata, clusters);
        if plan.strata_as_units() {
            boot_notes.push(
                "bootstrap: a stratum's arm holds a single cluster (matched pairs of clusters), so the strata (pairs) are resampled as units"
                    .to_string(),
            );
        }
        plan.run_with(options.bootstrap, options.seed, progress)
            .ok_or(crate::error::Error::Interrupted)?
    } else {
        Vec::new()
    };
    // A bootstrap whose replicates are all one point (e.g. a single cluster per arm) says
    // nothing about uncertainty: it is dropped, with the reason, and never printed as a
    // one-point cost-effectiveness plane or a 0/1 acceptability curve.
    if degenerate(&reps, v) {
        boot_notes.push(format!(
            "bootstrap left out: all {} replicates give the same incremental cost and effect (no variation to resample: too few independent units); the intervals are the {} delta-method and Fieller ones",
            reps.len(),
            if reference.df.is_finite() {
                "cluster-robust"
            } else {
                "normal"
            }
        ));
        reps.clear();
    }
    let rep_diff =
        |k: usize| -> Vec<f64> { reps.iter().map(|r| r[k] - r[v + k]).collect::<Vec<f64>>() };
    let boot_c = rep_diff(0);
    let boot_e = rep_diff(1);
    let have_boot = !reps.is_empty();

    let mut gross = ratio(
        diff(0),
        diff(1),
        dcov(0, 0),
        dcov(1, 1),
        dcov(0, 1),
        reference,
        have_boot.then_some((&boot_c[..], &boot_e[..])),
    );
    gross.notes.extend(boot_notes.iter().cloned());
    let boot_net = idx_net.map(rep_diff).unwrap_or_default();
    let net_ratio = idx_net.map(|k| {
        ratio(
            diff(k),
            diff(1),
            dcov(k, k),
            dcov(1, 1),
            dcov(k, 1),
            reference,
            have_boot.then_some((&boot_net[..], &boot_e[..])),
        )
    });

    let offsets: Vec<OffsetSummary> = sample
        .offsets
        .iter()
        .enumerate()
        .map(|(j, o)| {
            let k = idx_off0 + j;
            let others: f64 = sample
                .offsets
                .iter()
                .enumerate()
                .filter(|(l, _)| *l != j)
                .map(|(l, p)| p.sek_per_unit * diff(idx_off0 + l))
                .sum();
            let du = diff(k);
            OffsetSummary {
                name: o.name.clone(),
                sek_per_unit: o.sek_per_unit,
                mean_units_treated: m1.means[k],
                mean_units_control: m0.means[k],
                delta_units: du,
                delta_value: du * o.sek_per_unit,
                break_even_sek_per_unit: if du != 0.0 {
                    -(diff(0) + others) / du
                } else {
                    f64::NAN
                },
            }
        })
        .collect();

    let per_participant = match (options.per_participant, idx_d) {
        (true, Some(kd)) => {
            let dd = diff(kd);
            let boot = have_boot.then(|| {
                let bd = rep_diff(kd);
                let pc: Vec<f64> = boot_c.iter().zip(&bd).map(|(c, d)| c / d).collect();
                let pe: Vec<f64> = boot_e.iter().zip(&bd).map(|(e, d)| e / d).collect();
                let (cl, ch) = percentile_interval(&pc, level);
                let (el, eh) = percentile_interval(&pe, level);
                [cl, ch, el, eh]
            });
            Some(PerParticipant {
                take_up_difference: dd,
                take_up_se: dcov(kd, kd).sqrt(),
                delta_cost: if dd != 0.0 { diff(0) / dd } else { f64::NAN },
                delta_cost_se: ratio_se(diff(0), dd, dcov(0, 0), dcov(kd, kd), dcov(0, kd)),
                delta_effect: if dd != 0.0 { diff(1) / dd } else { f64::NAN },
                delta_effect_se: ratio_se(diff(1), dd, dcov(1, 1), dcov(kd, kd), dcov(1, kd)),
                boot,
            })
        }
        _ => None,
    };

    // Net monetary benefit and the acceptability curve, for each perspective.
    let mut perspectives: Vec<(&'static str, usize, &[f64])> = vec![("gross", 0, &boot_c[..])];
    if let Some(k) = idx_net {
        perspectives.push(("net", k, &boot_net[..]));
    }
    let nmb_at = |kc: usize, bc: &[f64], lambda: f64| {
        let nmb = lambda * diff(1) - diff(kc);
        let var = lambda * lambda * dcov(1, 1) + dcov(kc, kc) - 2.0 * lambda * dcov(kc, 1);
        let se = if var >= 0.0 { var.sqrt() } else { f64::NAN };
        let boot_nmb: Vec<f64> = bc
            .iter()
            .zip(&boot_e)
            .map(|(c, e)| lambda * e - c)
            .filter(|x| x.is_finite())
            .collect();
        let (bl, bh) = if have_boot {
            percentile_interval(&boot_nmb, level)
        } else {
            (f64::NAN, f64::NAN)
        };
        let prob_boot = if boot_nmb.is_empty() {
            f64::NAN
        } else {
            boot_nmb.iter().filter(|x| **x > 0.0).count() as f64 / boot_nmb.len() as f64
        };
        let prob_normal = if se > 0.0 {
            reference.cdf(nmb / se)
        } else {
            f64::NAN
        };
        (nmb, se, bl, bh, prob_normal, prob_boot)
    };
    let mut acceptability = Vec::new();
    for &(name, kc, bc) in &perspectives {
        for &lambda in &options.wtp {
            let (nmb, se, bl, bh, pn, pb) = nmb_at(kc, bc, lambda);
            acceptability.push(NmbPoint {
                perspective: name,
                lambda,
                nmb,
                se,
                low: nmb - z * se,
                high: nmb + z * se,
                boot_low: bl,
                boot_high: bh,
                prob_normal: pn,
                prob_boot: pb,
            });
        }
    }
    let mut comparisons = Vec::new();
    for &(name, kc, bc) in &perspectives {
        let icer = if name == "gross" {
            gross.icer
        } else {
            net_ratio.as_ref().map_or(f64::NAN, |r| r.icer)
        };
        for alt in &options.alternatives {
            let (_, _, _, _, pn, pb) = nmb_at(kc, bc, alt.cost_per_job);
            comparisons.push(Comparison {
                perspective: name,
                name: alt.name.clone(),
                cost_per_job: alt.cost_per_job,
                icer,
                difference: icer - alt.cost_per_job,
                prob_normal: pn,
                prob_boot: pb,
            });
        }
    }

    Ok(CostEffectiveness {
        arms,
        gross,
        net: net_ratio,
        offsets,
        per_participant,
        acceptability,
        comparisons,
        bootstrap_reps: reps.len(),
        level,
    })
}

/// True when there are replicates and every one has the same ΔC and ΔE (the differences of the
/// first two variables' arm means), up to rounding (1e-12 of their size): a bootstrap with no
/// spread.
fn degenerate(reps: &[Vec<f64>], v: usize) -> bool {
    let differences = |k: usize| -> Vec<f64> {
        reps.iter()
            .map(|r| r[k] - r[v + k])
            .filter(|x| x.is_finite())
            .collect()
    };
    let flat = |d: Vec<f64>| {
        let (low, high) = d
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        d.is_empty() || high - low <= 1e-12 * low.abs().max(high.abs()).max(1.0)
    };
    !reps.is_empty() && v >= 2 && flat(differences(0)) && flat(differences(1))
}

/// A λ grid from `from` to `to` (inclusive, within rounding) in steps of `step`. Fails when the
/// step is not positive, the grid is reversed, or it would have more than 100,000 points.
pub fn wtp_grid(from: f64, to: f64, step: f64) -> Result<Vec<f64>> {
    if ![from, to, step].iter().all(|x| x.is_finite()) {
        return Err(Error::compute("the λ grid needs finite numbers"));
    }
    if step <= 0.0 {
        return Err(Error::compute(format!(
            "the λ grid step {step} must be positive"
        )));
    }
    if to < from {
        return Err(Error::compute(format!(
            "the λ grid is reversed: it goes from {from} down to {to}; write FROM:TO:STEP with \
             FROM ≤ TO"
        )));
    }
    let count = ((to - from) / step + 1e-9).floor() as usize + 1;
    if count > 100_000 {
        return Err(Error::compute(format!(
            "the λ grid would have {count} points; use a larger step"
        )));
    }
    Ok((0..count).map(|i| from + i as f64 * step).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        // 6 treated, 4 control; effect 0/1.
        Sample {
            treated: vec![
                true, true, true, true, true, true, false, false, false, false,
            ],
            cost: vec![40e3, 42e3, 38e3, 41e3, 39e3, 45e3, 10e3, 12e3, 11e3, 9e3],
            effect: vec![1., 1., 0., 1., 0., 1., 0., 1., 0., 0.],
            participation: Some(vec![1., 1., 1., 0., 1., 1., 0., 0., 0., 0.]),
            offsets: vec![Offset {
                name: "income_support".into(),
                units: vec![2., 3., 8., 1., 6., 2., 9., 4., 10., 8.],
                sek_per_unit: 7000.0,
            }],
            strata: vec![0; 10],
            clusters: None,
        }
    }

    #[test]
    fn point_estimates_by_hand() {
        let a = analyse(&sample(), &CostOptions::default()).unwrap();
        let dc = (40e3 + 42e3 + 38e3 + 41e3 + 39e3 + 45e3) / 6.0 - 42e3 / 4.0;
        let de = 4.0 / 6.0 - 0.25;
        assert!((a.gross.delta_cost - dc).abs() < 1e-9);
        assert!((a.gross.delta_effect - de).abs() < 1e-12);
        assert!((a.gross.icer - dc / de).abs() < 1e-6);
        // Cost per participant in the programme arm: total / 5.
        assert!((a.arms[0].cost_per_participant - 245e3 / 5.0).abs() < 1e-9);
        assert!(a.arms[1].cost_per_participant.is_nan());
        let off = &a.offsets[0];
        let du = 22.0 / 6.0 - 31.0 / 4.0;
        assert!((off.delta_units - du).abs() < 1e-12);
        assert!((off.break_even_sek_per_unit - (-dc / du)).abs() < 1e-6);
        let net = a.net.unwrap();
        assert!((net.delta_cost - (dc + 7000.0 * du)).abs() < 1e-6);
    }

    #[test]
    fn zero_effect_is_stated() {
        let mut s = sample();
        s.effect = vec![1., 0., 1., 0., 1., 0., 1., 0., 1., 0.];
        s.effect[6..].copy_from_slice(&[1., 0., 1., 0.]);
        // Treated 3/6 = 0.5, control 2/4 = 0.5.
        let a = analyse(&s, &CostOptions::default()).unwrap();
        assert_eq!(a.gross.delta_effect, 0.0);
        assert!(a.gross.icer.is_nan());
        assert!(!a.gross.meaningful);
        assert!(a.gross.notes[0].contains("exactly 0"));
    }

    #[test]
    fn empty_arm_is_an_error() {
        let s = sample().subset(&[0, 1, 2]);
        let err = analyse(&s, &CostOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("comparison arm has no observations")
        );
    }

    #[test]
    fn negative_cost_is_an_error() {
        let mut s = sample();
        s.cost[3] = -1.0;
        assert!(analyse(&s, &CostOptions::default()).is_err());
    }

    #[test]
    fn cost_model_spreads_fixed_costs_over_participants() {
        let model = CostModel {
            per_offered: [1000.0, 5000.0],
            per_participant: [20_000.0, 0.0],
            fixed: [100_000.0, 0.0],
            overhead_share: 0.1,
        };
        let t = [true, true, true, false];
        let d = [1.0, 1.0, 0.0, 0.0];
        let c = model_costs(&model, &t, Some(&d)).unwrap();
        assert!((c[0] - (1000.0 + 20_000.0 + 50_000.0) * 1.1).abs() < 1e-9);
        assert!((c[2] - 1100.0).abs() < 1e-9);
        assert!((c[3] - 5500.0).abs() < 1e-9);
        let none = model_costs(&model, &t, Some(&[0.0, 0.0, 0.0, 0.0]));
        assert!(none.is_err());
    }

    #[test]
    fn singleton_clusters_give_stata_cr1_scaling_of_hc1() {
        // With one person per cluster, CR1 equals HC1 for the slope on z: for a difference in
        // means HC1 = N/(N−2) · Σψ², and CR1 = N/(N−1) · (N−1)/(N−2) · Σψ², the same.
        let s = sample();
        let mut c = s.clone();
        c.clusters = Some((0..10).collect());
        let a = analyse(&c, &CostOptions::default()).unwrap();
        let n = 10.0;
        let (n1, n0) = (6.0, 4.0);
        let m1 = s.cost[..6].iter().sum::<f64>() / n1;
        let m0 = s.cost[6..].iter().sum::<f64>() / n0;
        let ss: f64 = s.cost[..6]
            .iter()
            .map(|x| ((x - m1) / n1).powi(2))
            .sum::<f64>()
            + s.cost[6..]
                .iter()
                .map(|x| ((x - m0) / n0).powi(2))
                .sum::<f64>();
        let hc1 = n / (n - 2.0) * ss;
        assert!((a.gross.se_cost.powi(2) - hc1).abs() < 1e-9 * hc1);
    }

    #[test]
    fn wtp_grid_checks() {
        assert_eq!(wtp_grid(0.0, 10.0, 5.0).unwrap(), vec![0.0, 5.0, 10.0]);
        assert!(wtp_grid(10.0, 0.0, 5.0).is_err());
        assert!(wtp_grid(0.0, 10.0, 0.0).is_err());
        assert_eq!(wtp_grid(3.0, 3.0, 1.0).unwrap(), vec![3.0]);
    }

    #[test]
    fn ceac_rises_with_lambda_and_bootstrap_is_reproducible() {
        let options = CostOptions {
            bootstrap: 300,
            seed: 4,
            wtp: vec![0.0, 50_000.0, 1e7],
            ..CostOptions::default()
        };
        let a = analyse(&sample(), &options).unwrap();
        let b = analyse(&sample(), &options).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let probs: Vec<f64> = a
            .acceptability
            .iter()
            .filter(|p| p.perspective == "gross")
            .map(|p| p.prob_boot)
            .collect();
        assert_eq!(probs[0], 0.0); // ΔC > 0 in every replicate
        assert!(probs[0] <= probs[1] && probs[1] <= probs[2]);
    }

    /// One cluster per arm and no strata to pair: every bootstrap replicate is the same point.
    /// The bootstrap is left out with a note instead of a one-point CE plane (issue 14).
    #[test]
    fn a_degenerate_bootstrap_is_dropped_and_explained() {
        let mut c = sample();
        let n = c.treated.len();
        c.clusters = Some(c.treated.iter().map(|&t| usize::from(t)).collect());
        c.strata = vec![0; n];
        let options = CostOptions {
            bootstrap: 50,
            seed: 3,
            wtp: vec![1000.0],
            ..CostOptions::default()
        };
        let a = analyse(&c, &options).unwrap();
        assert_eq!(a.bootstrap_reps, 0);
        assert!(a.gross.boot.is_none());
        assert!(a.acceptability[0].prob_boot.is_nan());
        assert!(
            a.gross
                .notes
                .iter()
                .any(|n| n.contains("bootstrap left out")),
            "{:?}",
            a.gross.notes
        );
        // With two clusters the intervals use t(1).
        assert_eq!(a.gross.df, 1.0);
    }
}
