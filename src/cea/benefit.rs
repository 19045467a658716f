//! Does the programme pay? (issue 17): the effect valued in money. Months in work gained per
//! person offered × a value per month (the employer's total wage cost, after Meyer 1995, or a
//! user figure; tax revenue and income support saved as separate valuations), discounted, less
//! the discounted incremental cost: the net benefit per person offered and per participant, the
//! benefit–cost ratio and the break-even horizon, with delta-method, bootstrap (joint draws of
//! costs and outcomes) and, for the ratio, Fieller intervals; one-way (tornado) and
//! probabilistic sensitivity, and the acceptability of the net benefit over the value per month.
//!
//! Every quantity is linear in the differences in arm means Δ of the person-level variables
//! (cost c, the cost of programme participants c·d·1{offered}, take-up d, and the share in work
//! p_j at each measured month M_j), so for weights g its estimate is gᵀΔ and its variance gᵀΣg
//! with Σ the covariance of Δ (Neyman, or cluster-robust CR1: `cea::difference_moments`):
//! - discounted months in work gained to month h: ΔM(h) = Σ_{m≤h} (1+r)^(−m/12) a_mᵀΔp
//!   (`discount::path`, `discount::cumulative_weights`), H the horizon;
//! - benefit ΔB = V·ΔM(H); discounted cost ΔC̃ = f_C(r)·(Δc + k·Δ(c·d·1{offered})) with f_C the
//!   present value of a cost spread over the cost horizon and k the sensitivity change of the
//!   cost per participant (0 at base);
//! - net benefit NB = ΔB − ΔC̃ (Drummond et al. 2015, ch. 8; Boardman et al. 2018, *Cost-Benefit
//!   Analysis*, ch. 1: net present value), Var = gᵀΣg, interval NB ± z·SE;
//! - per participant NB/Δd (Wald/IV with the offer as instrument, Angrist, Imbens & Rubin 1996;
//!   delta-method SE, Glick et al. 2014, eq. 7.4);
//! - benefit–cost ratio ΔB/ΔC̃ with delta-method SE and Fieller's set (Willan & O'Brien 1996);
//! - break-even horizon: the first month h at which ΔB(h) = V·ΔM(h) reaches ΔC̃, interpolated
//!   linearly within the month: h − 1 + (ΔC̃ − ΔB(h−1))/(ΔB(h) − ΔB(h−1)); 0 when ΔC̃ ≤ 0.
//!   Given the month h it falls in, it is h − 1 plus a ratio N/D of two linear combinations of Δ
//!   (N = ΔC̃ − ΔB(h−1), D = ΔB(h) − ΔB(h−1), the month's benefit), so its delta-method SE is
//!   that of N/D (Glick et al. 2014, eq. 7.4) and its Fieller set that of N/D shifted by h − 1
//!   (Fieller 1954; Willan & O'Brien 1996): intervals conditional on the month of break-even,
//!   beside the bootstrap's, which is not.
//!
//! The bootstrap replicates are those of `cea::bootstrap` (same streams, same cells), so costs
//! and outcomes are drawn jointly; each replicate's quantities are computed from its Δ_b.
//! Probabilistic sensitivity (Briggs, Claxton & Sculpher 2006, *Decision Modelling for Health
//! Economic Evaluation*, ch. 4) pairs each bootstrap replicate b with uncertain inputs drawn from
//! the stream `cost/psa/rep=<b>`: value per month V·(1 + x_V(2u₁ − 1)), discount rate
//! r_lo + (r_hi − r_lo)u₂, cost change x_C(2u₃ − 1), with u uniform on [0, 1) (`Stream::unit`).

use super::bootstrap::{
    ResamplingPlan, percentile_interval, replicate_from_indices, replicate_stream_name,
};
use super::discount::{self, Extrapolation};
use super::fieller::Fieller;
use super::months::{monthly_share_estimates, monthly_shares};
use super::{difference_moments, ratio_se};
use crate::dist::pnorm;
use crate::error::{Error, Result};
use crate::rng::Stream;

/// The persons of one analysis with what valuing their outcome needs.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitSample {
    /// True for the arm offered the programme.
    pub treated: Vec<bool>,
    /// Cost per person in SEK over the cost horizon (undiscounted).
    pub cost: Vec<f64>,
    /// 1 if the person took part.
    pub participation: Option<Vec<f64>>,
    /// Months (from randomization) at which the status in work was measured, increasing, ≥ 1.
    pub months: Vec<u32>,
    /// `in_work[j][i]`: share of person i in work at `months[j]` (0/1, or a share of the month).
    pub in_work: Vec<Vec<f64>>,
    pub strata: Vec<usize>,
    pub clusters: Option<Vec<usize>>,
    /// Months in work from the time to the first job instead of `in_work` (then empty, and
    /// `months` = 1..=H): the share of each month after the first job, 1 − KM
    /// (`cea::months::monthly_shares`), or with competing exits the Aalen–Johansen cumulative
    /// incidence (`cea::months::monthly_cif_shares`).
    pub time_to_job: Option<TimeToJob>,
}

/// Each person's time to the first job, for months in work valued from survival curves.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToJob {
    /// Days from randomization to the first job or the end of follow-up (≥ 0).
    pub time: Vec<f64>,
    /// `survival::EVENT` for a first job, `survival::COMPETING` another exit; anything else
    /// censors.
    pub status: Vec<u8>,
    /// Other exits compete (`[survival] cause` declared): months from the Aalen–Johansen
    /// cumulative incidence of the job (`cea::months::monthly_cif_shares`); else other exits
    /// censor and the months come from 1 − Kaplan–Meier (`cea::months::monthly_shares`).
    pub competing: bool,
}

impl TimeToJob {
    /// The monthly shares after the first job of the persons `rows`, with their covariance and
    /// influences.
    fn shares(&self, rows: &[usize], months: u32) -> super::months::MonthlyShares {
        let time: Vec<f64> = rows.iter().map(|&i| self.time[i]).collect();
        let status: Vec<u8> = rows.iter().map(|&i| self.status[i]).collect();
        if self.competing {
            super::months::monthly_cif_shares(&time, &status, months)
        } else {
            monthly_shares(&time, &status, months)
        }
    }

    /// The shares alone (for bootstrap replicates).
    fn share_estimates(&self, rows: &[usize], months: u32) -> Vec<f64> {
        let time: Vec<f64> = rows.iter().map(|&i| self.time[i]).collect();
        let status: Vec<u8> = rows.iter().map(|&i| self.status[i]).collect();
        if self.competing {
            super::months::cif_share_estimates(&time, &status, months)
        } else {
            monthly_share_estimates(&time, &status, months)
        }
    }
}

/// A value of one month in work, in SEK.
#[derive(Debug, Clone, PartialEq)]
pub struct Valuation {
    pub name: String,
    pub sek_per_month: f64,
}

/// What to value and how.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitOptions {
    /// The first is the headline (e.g. the wage cost); the others are shown beside it.
    pub valuations: Vec<Valuation>,
    /// Annual discount rate of the headline.
    pub discount_rate: f64,
    /// The discount rates of the sensitivity analysis, [low, high].
    pub discount_range: [f64; 2],
    /// Months over which the costs were incurred (spread evenly; 0: at the start).
    pub cost_months: u32,
    /// The month to which the effect is extrapolated in the sensitivity analysis (None: none).
    pub extrapolate_to: Option<u32>,
    /// Relative change of the value per month in the sensitivity analysis (e.g. 0.2 = ±20%).
    pub value_change: f64,
    /// Relative change of the cost per participant in the sensitivity analysis.
    pub cost_change: f64,
    /// Values per month for the acceptability curve of the net benefit.
    pub value_grid: Vec<f64>,
    pub level: f64,
    pub bootstrap: usize,
    pub seed: u64,
}

/// One set of inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario {
    pub sek_per_month: f64,
    pub discount_rate: f64,
    pub extrapolation: Extrapolation,
    /// Relative change of the cost per participant (0 at base).
    pub cost_change: f64,
}

/// The net benefit and its relatives under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitEstimate {
    pub valuation: String,
    pub scenario: Scenario,
    /// The last month counted.
    pub horizon: u32,
    /// Months in work gained per person offered within the horizon, undiscounted.
    pub months_gained: f64,
    pub months_gained_se: f64,
    /// The same, discounted.
    pub discounted_months_gained: f64,
    /// ΔB = V · discounted months gained.
    pub benefit: f64,
    pub benefit_se: f64,
    /// ΔC̃: the incremental cost, discounted (and changed by the scenario's cost change).
    pub cost: f64,
    pub cost_se: f64,
    pub net_benefit: f64,
    pub net_benefit_se: f64,
    pub net_benefit_low: f64,
    pub net_benefit_high: f64,
    /// Bootstrap percentile interval of the net benefit (NaN without bootstrap).
    pub net_benefit_boot: (f64, f64),
    /// P(NB > 0): Φ(NB/SE), and the share of bootstrap replicates with NB > 0.
    pub prob_positive_normal: f64,
    pub prob_positive_boot: f64,
    /// NB / Δd with its SE and normal interval (NaN without participation).
    pub per_participant: f64,
    pub per_participant_se: f64,
    pub per_participant_low: f64,
    pub per_participant_high: f64,
    pub per_participant_boot: (f64, f64),
    /// Fieller's set of NB/Δd, a ratio of two estimated differences (Fieller 1954; Willan &
    /// O'Brien 1996, eq. 4; Glick et al. 2014, §7.3): bounded when the take-up difference
    /// differs significantly from 0, else two rays or the whole line (`Undefined` without
    /// participation).
    pub per_participant_fieller: Fieller,
    /// ΔB / ΔC̃ (NaN when ΔC̃ ≤ 0: the programme costs no more, the ratio is not meaningful).
    pub benefit_cost_ratio: f64,
    pub ratio_se: f64,
    pub ratio_low: f64,
    pub ratio_high: f64,
    pub ratio_fieller: Fieller,
    pub ratio_boot: (f64, f64),
    /// Months to break even (NaN when not within the horizon).
    pub break_even_months: f64,
    /// Delta-method SE and normal interval of the break-even horizon, and Fieller's set, within
    /// the month where it falls (module documentation); NaN / undefined when it does not fall
    /// inside the horizon.
    pub break_even_se: f64,
    pub break_even_low: f64,
    pub break_even_high: f64,
    pub break_even_fieller: Fieller,
    /// Bootstrap percentile interval of the break-even horizon; a limit beyond the horizon NaN.
    pub break_even_boot: (f64, f64),
    /// Share of bootstrap replicates that break even within the horizon.
    pub share_breaking_even: f64,
    /// The confidence set of the break-even horizon by test inversion over horizons, which does
    /// not assume the month of break-even ([`BreakEvenSet`]).
    pub break_even_set: BreakEvenSet,
    /// Why a value is empty, and what was assumed.
    pub notes: Vec<String>,
}

/// The confidence set of the break-even horizon by inverting, at every horizon h in [0, H], the
/// test of a zero net benefit: the horizons whose interval NB(h) ± z·SE(h) contains 0 (Casella &
/// Berger 2002, *Statistical Inference*, §9.2.1: a confidence set as the acceptance regions of
/// tests; the break-even horizon h* is where NB(h*) = 0, so H₀: h* = h is H₀: NB(h) = 0 when the
/// cumulative benefit rises). Within month m, NB(m − 1 + f) = a₀ + f·a₁ with weights linear in f
/// (the benefit is interpolated linearly within the month), so the set there is
/// {f ∈ [0, 1] : (a₀ + f a₁)² ≤ z²(v₀₀ + 2f v₀₁ + f² v₁₁)}, a quadratic inequality solved exactly;
/// Fieller's set within the crossing month is the piece of this set in that month. Unlike the
/// month-wise delta and Fieller intervals it does not condition on the month of break-even.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakEvenSet {
    /// Disjoint closed intervals of months, in order (empty: every horizon in [0, H] has a net
    /// benefit significantly different from zero).
    pub intervals: Vec<(f64, f64)>,
    /// The horizon H of the path (the last month counted).
    pub horizon: f64,
    /// The first horizon from which the lower limit of the net benefit stays above 0 up to H
    /// (NaN when it is not above 0 at H).
    pub positive_from: f64,
}

impl BreakEvenSet {
    /// The smallest and largest month of the set (NaN when empty).
    pub fn hull(&self) -> (f64, f64) {
        match (self.intervals.first(), self.intervals.last()) {
            (Some(a), Some(b)) => (a.0, b.1),
            _ => (f64::NAN, f64::NAN),
        }
    }

    /// True when the set runs to the horizon: break-even beyond the months counted is not
    /// excluded.
    pub fn reaches_horizon(&self) -> bool {
        self.intervals
            .last()
            .is_some_and(|&(_, hi)| hi >= self.horizon - 1e-12)
    }
}

/// How the net benefit's interval stands on a piece of a month.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// The interval contains 0: the piece is in the confidence set.
    Inside,
    /// The lower limit is above 0.
    Positive,
    /// The upper limit is below 0.
    Negative,
}

/// The pieces of [0, 1] between the real roots of A f² + B f + C in (0, 1), each judged at its
/// midpoint: inside the set where the quadratic is ≤ 0, else positive or negative by the sign of
/// a₀ + f a₁.
fn month_pieces(a: f64, b: f64, c: f64, a0: f64, a1: f64) -> Vec<(f64, f64, Verdict)> {
    let mut cuts = vec![0.0, 1.0];
    let scale = a.abs().max(b.abs()).max(c.abs());
    if scale > 0.0 {
        if a.abs() <= 1e-14 * scale {
            if b != 0.0 {
                cuts.push(-c / b);
            }
        } else {
            let disc = b * b - 4.0 * a * c;
            if disc >= 0.0 {
                // The stable form of the two roots (Press et al. 2007, Numerical Recipes, §5.6).
                let q = -0.5 * (b + b.signum() * disc.sqrt());
                if q != 0.0 {
                    cuts.push(q / a);
                    cuts.push(c / q);
                }
            }
        }
    }
    cuts.retain(|x| x.is_finite() && *x >= 0.0 && *x <= 1.0);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    cuts.windows(2)
        .map(|w| {
            let mid = 0.5 * (w[0] + w[1]);
            let verdict = if (a * mid + b) * mid + c <= 0.0 {
                Verdict::Inside
            } else if a0 + mid * a1 > 0.0 {
                Verdict::Positive
            } else {
                Verdict::Negative
            };
            (w[0], w[1], verdict)
        })
        .collect()
}

/// [`BreakEvenSet`] of the net benefit path with weights `net[h]` (h = 0..=H).
fn break_even_set(model: &Model, net: &[Vec<f64>]) -> BreakEvenSet {
    let z2 = model.z * model.z;
    let mut intervals: Vec<(f64, f64)> = Vec::new();
    // The start of the current run of pieces with a positive lower limit.
    let mut positive_from = f64::NAN;
    for m in 1..net.len() {
        let (g0, g1) = (&net[m - 1], &net[m]);
        let step: Vec<f64> = g1.iter().zip(g0).map(|(x, y)| x - y).collect();
        let a0 = Model::dot(g0, &model.diff);
        let a1 = Model::dot(&step, &model.diff);
        let (v00, v01, v11) = (
            model.cov_of(g0, g0),
            model.cov_of(g0, &step),
            model.cov_of(&step, &step),
        );
        let (a, b, c) = (
            a1 * a1 - z2 * v11,
            2.0 * (a0 * a1 - z2 * v01),
            a0 * a0 - z2 * v00,
        );
        let shift = (m - 1) as f64;
        for (lo, hi, verdict) in month_pieces(a, b, c, a0, a1) {
            let (lo, hi) = (lo + shift, hi + shift);
            match verdict {
                Verdict::Inside => {
                    match intervals.last_mut() {
                        Some((_, last)) if (*last - lo).abs() < 1e-12 => *last = hi,
                        _ => intervals.push((lo, hi)),
                    }
                    positive_from = f64::NAN;
                }
                Verdict::Positive if positive_from.is_nan() => positive_from = lo,
                Verdict::Positive => {}
                Verdict::Negative => positive_from = f64::NAN,
            }
        }
    }
    BreakEvenSet {
        intervals,
        horizon: (net.len() - 1) as f64,
        positive_from,
    }
}

/// One input of the one-way sensitivity analysis: the net benefit at its low and high setting,
/// the others at base.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    pub input: &'static str,
    pub low_setting: f64,
    pub high_setting: f64,
    pub net_benefit_low: f64,
    pub net_benefit_high: f64,
}

impl TornadoBar {
    pub fn swing(&self) -> f64 {
        (self.net_benefit_high - self.net_benefit_low).abs()
    }
}

/// The probabilistic sensitivity analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Psa {
    pub replicates: usize,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub prob_positive: f64,
}

/// The net benefit at one value per month.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePoint {
    pub sek_per_month: f64,
    pub net_benefit: f64,
    pub se: f64,
    pub prob_normal: f64,
    pub prob_boot: f64,
}

/// Everything for one analysis (all persons or one subgroup).
#[derive(Debug, Clone, PartialEq)]
pub struct CostBenefit {
    /// Persons [programme arm, comparison arm].
    pub n: [usize; 2],
    pub last_measured: u32,
    /// One per valuation, at the headline rate, over the measured months.
    pub valuations: Vec<BenefitEstimate>,
    /// The headline valuation at each discount rate of the range and each extrapolation.
    pub scenarios: Vec<BenefitEstimate>,
    /// Sorted by swing, widest first.
    pub tornado: Vec<TornadoBar>,
    pub psa: Option<Psa>,
    pub acceptability: Vec<ValuePoint>,
    pub bootstrap_reps: usize,
    pub level: f64,
}

/// Indices of the person-level variables.
const COST: usize = 0;
const PARTICIPANT_COST: usize = 1;

/// The variables whose arm means everything is built from: cost, the cost of programme
/// participants (c·d·1{offered}; c·1{offered} without participation), [take-up d], the share in
/// work at each measured month.
pub fn variables(sample: &BenefitSample) -> Vec<Vec<f64>> {
    let n = sample.treated.len();
    let d = |i: usize| {
        sample
            .participation
            .as_ref()
            .and_then(|p| p.get(i).copied())
            .unwrap_or(1.0)
    };
    let mut vars = vec![
        sample.cost.clone(),
        (0..n)
            .map(|i| {
                if sample.treated[i] {
                    sample.cost[i] * d(i)
                } else {
                    0.0
                }
            })
            .collect(),
    ];
    if let Some(p) = &sample.participation {
        vars.push(p.clone());
    }
    vars.extend(sample.in_work.iter().cloned());
    vars
}

impl BenefitSample {
    /// Lengths, values and months checked.
    pub fn validate(&self) -> Result<()> {
        let n = self.treated.len();
        let bad_len = self.cost.len() != n
            || self.strata.len() != n
            || self.participation.as_ref().is_some_and(|p| p.len() != n)
            || self.clusters.as_ref().is_some_and(|c| c.len() != n)
            || self.in_work.iter().any(|w| w.len() != n)
            || (self.time_to_job.is_none() && self.in_work.len() != self.months.len());
        if bad_len {
            return Err(Error::compute(
                "valued outcome: columns of different lengths",
            ));
        }
        if let Some(job) = &self.time_to_job {
            if job.time.len() != n || job.status.len() != n || !self.in_work.is_empty() {
                return Err(Error::compute(
                    "valued outcome: time to the first job of different length",
                ));
            }
            if job.time.iter().any(|t| !(t.is_finite() && *t >= 0.0)) {
                return Err(Error::compute(
                    "valued outcome: a time to the first job is missing or negative",
                ));
            }
            let consecutive = self
                .months
                .iter()
                .enumerate()
                .all(|(k, &m)| m as usize == k + 1);
            if self.months.is_empty() || !consecutive {
                return Err(Error::compute(
                    "valued outcome: the months of a time to the first job must be 1..=H",
                ));
            }
            return if self.cost.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(Error::compute("valued outcome: a cost is missing"))
            };
        }
        if self.months.is_empty() {
            return Err(Error::compute(
                "valued outcome: no month with a status in work",
            ));
        }
        if self.months[0] == 0 || self.months.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::compute(
                "valued outcome: the measured months must be increasing and at least 1",
            ));
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&self.cost) || !self.in_work.iter().all(|w| finite(w)) {
            return Err(Error::compute(
                "valued outcome: a cost or a status in work is missing",
            ));
        }
        Ok(())
    }
}

/// The estimator's fixed parts: the differences in means, their covariance and where each
/// variable is.
struct Model<'a> {
    diff: Vec<f64>,
    cov: Vec<f64>,
    take_up: Option<usize>,
    first_point: usize,
    months: &'a [u32],
    z: f64,
    level: f64,
}

impl Model<'_> {
    fn k(&self) -> usize {
        self.diff.len()
    }

    fn dot(g: &[f64], x: &[f64]) -> f64 {
        g.iter().zip(x).map(|(a, b)| a * b).sum()
    }

    /// gᵀΣh.
    fn cov_of(&self, g: &[f64], h: &[f64]) -> f64 {
        let k = self.k();
        g.iter()
            .enumerate()
            .filter(|(_, ga)| **ga != 0.0)
            .map(|(a, ga)| {
                let row = &self.cov[a * k..(a + 1) * k];
                ga * row.iter().zip(h).map(|(c, hb)| c * hb).sum::<f64>()
            })
            .sum()
    }

    /// Weights of the benefit (V · cumulative discounted months to `h`), of the undiscounted
    /// months gained, of the cost and of the take-up.
    fn weights(&self, s: &Scenario) -> Weights {
        let path = discount::path(self.months, s.extrapolation);
        let cum = discount::cumulative_weights(&path, s.discount_rate);
        let plain = discount::cumulative_weights(&path, 0.0);
        let k = self.k();
        let at = |row: &[f64], scale: f64| {
            let mut g = vec![0.0; k];
            for (j, w) in row.iter().enumerate() {
                g[self.first_point + j] = scale * w;
            }
            g
        };
        let horizon = path.len();
        let benefit_by_month: Vec<Vec<f64>> =
            cum.iter().map(|row| at(row, s.sek_per_month)).collect();
        let mut cost = vec![0.0; k];
        Weights {
            horizon,
            benefit_by_month,
            months: at(&plain[horizon], 1.0),
            discounted_months: at(&cum[horizon], 1.0),
            cost: {
                cost[COST] = 1.0;
                cost[PARTICIPANT_COST] = s.cost_change;
                cost
            },
        }
    }
}

struct Weights {
    horizon: usize,
    /// Row h: weights of ΔB(h), h = 0..=H.
    benefit_by_month: Vec<Vec<f64>>,
    months: Vec<f64>,
    discounted_months: Vec<f64>,
    /// Weights of the undiscounted cost (times the cost factor gives ΔC̃).
    cost: Vec<f64>,
}

/// The month at which the cumulative benefit first reaches `cost`, interpolated within the month;
/// 0 when the cost is not positive; +∞ when never within the horizon.
fn break_even(cumulative: &[f64], cost: f64) -> f64 {
    if cost <= 0.0 {
        return 0.0;
    }
    for h in 1..cumulative.len() {
        let (prev, now) = (cumulative[h - 1], cumulative[h]);
        if now >= cost {
            return (h - 1) as f64 + (cost - prev) / (now - prev);
        }
    }
    f64::INFINITY
}

fn share(values: &[f64], test: impl Fn(f64) -> bool) -> f64 {
    let valid: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if valid.is_empty() {
        return f64::NAN;
    }
    valid.iter().filter(|x| test(**x)).count() as f64 / valid.len() as f64
}

fn boot_or_nan(values: &[f64], level: f64) -> (f64, f64) {
    if values.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        percentile_interval(values, level)
    }
}

/// The estimates of scenario `s`, with costs spread over `cost_months`, and their bootstrap
/// intervals from `reps` (none when empty).
fn estimate(
    model: &Model,
    valuation: &str,
    s: Scenario,
    cost_months: u32,
    reps: &[Vec<f64>],
) -> BenefitEstimate {
    let w = model.weights(&s);
    let cost_factor = discount::cost_factor(s.discount_rate, cost_months);
    let g_b = &w.benefit_by_month[w.horizon];
    let g_c: Vec<f64> = w.cost.iter().map(|x| x * cost_factor).collect();
    let g_n: Vec<f64> = g_b.iter().zip(&g_c).map(|(b, c)| b - c).collect();
    let value = |g: &[f64]| Model::dot(g, &model.diff);
    let se = |g: &[f64]| {
        let v = model.cov_of(g, g);
        if v >= 0.0 { v.sqrt() } else { f64::NAN }
    };
    let z = model.z;
    let (benefit, cost, nb) = (value(g_b), value(&g_c), value(&g_n));
    let nb_se = se(&g_n);
    let mut notes = Vec::new();

    // Per participant.
    let take_up = model.take_up.map(|k| {
        let mut g = vec![0.0; model.k()];
        g[k] = 1.0;
        g
    });
    let (pp, pp_se, pp_fieller) = match &take_up {
        Some(g_d) => {
            let dd = value(g_d);
            let (v_n, v_d, c_nd) = (
                model.cov_of(&g_n, &g_n),
                model.cov_of(g_d, g_d),
                model.cov_of(&g_n, g_d),
            );
            (
                if dd != 0.0 { nb / dd } else { f64::NAN },
                ratio_se(nb, dd, v_n, v_d, c_nd),
                Fieller::compute(nb, dd, v_n, v_d, c_nd, z),
            )
        }
        None => {
            notes.push("no participation column: no net benefit per participant".into());
            (f64::NAN, f64::NAN, Fieller::Undefined)
        }
    };

    // Benefit–cost ratio.
    let (var_b, var_c, cov_bc) = (
        model.cov_of(g_b, g_b),
        model.cov_of(&g_c, &g_c),
        model.cov_of(g_b, &g_c),
    );
    let ratio_ok = cost > 0.0;
    let bcr = if ratio_ok { benefit / cost } else { f64::NAN };
    let bcr_se = if ratio_ok {
        ratio_se(benefit, cost, var_b, var_c, cov_bc)
    } else {
        f64::NAN
    };
    if !ratio_ok {
        notes.push(
            "the programme costs no more than the comparison: no benefit–cost ratio, and it \
             breaks even at once"
                .into(),
        );
    }
    let fieller = Fieller::compute(benefit, cost, var_b, var_c, cov_bc, z);

    // Break-even horizon.
    let cumulative = |diff: &[f64]| -> Vec<f64> {
        w.benefit_by_month
            .iter()
            .map(|g| Model::dot(g, diff))
            .collect()
    };
    let cum = cumulative(&model.diff);
    let be = break_even(&cum, cost);
    // Delta and Fieller within the crossing month h (module documentation).
    let (be_se, be_fieller) = if be.is_finite() && be > 0.0 {
        let h = (1..cum.len()).find(|&h| cum[h] >= cost).unwrap_or(1);
        let g_num: Vec<f64> = g_c
            .iter()
            .zip(&w.benefit_by_month[h - 1])
            .map(|(c, b)| c - b)
            .collect();
        let g_den: Vec<f64> = w.benefit_by_month[h]
            .iter()
            .zip(&w.benefit_by_month[h - 1])
            .map(|(a, b)| a - b)
            .collect();
        let (num, den) = (value(&g_num), value(&g_den));
        let (vn, vd, cnd) = (
            model.cov_of(&g_num, &g_num),
            model.cov_of(&g_den, &g_den),
            model.cov_of(&g_num, &g_den),
        );
        let shift = (h - 1) as f64;
        let fieller = match Fieller::compute(num, den, vn, vd, cnd, z) {
            Fieller::Bounded { low, high } => Fieller::Bounded {
                low: low + shift,
                high: high + shift,
            },
            Fieller::Exclusive { low, high } => Fieller::Exclusive {
                low: low + shift,
                high: high + shift,
            },
            other => other,
        };
        (ratio_se(num, den, vn, vd, cnd), fieller)
    } else {
        (f64::NAN, Fieller::Undefined)
    };
    if be.is_infinite() {
        notes.push(format!(
            "does not break even within {} months{}",
            w.horizon,
            match s.extrapolation {
                Extrapolation::None => " (the measured months)".to_string(),
                e => format!(
                    " ({} after month {})",
                    e.word(),
                    model.months.last().unwrap_or(&0)
                ),
            }
        ));
    }

    let net_path: Vec<Vec<f64>> = w
        .benefit_by_month
        .iter()
        .map(|g| g.iter().zip(&g_c).map(|(b, c)| b - c).collect())
        .collect();
    let be_set = break_even_set(model, &net_path);
    if be_set.intervals.is_empty() {
        notes.push(format!(
            "the net benefit differs significantly from zero at every horizon to {} months: no \
             horizon within them is consistent with breaking even",
            w.horizon
        ));
    } else if be_set.reaches_horizon() {
        notes.push(format!(
            "the confidence set of the break-even horizon by test inversion reaches {} months: \
             breaking even later is not excluded",
            w.horizon
        ));
    }
    if be_set.intervals.len() > 1 {
        notes.push(format!(
            "the confidence set of the break-even horizon by test inversion is {} separate \
             intervals; its hull is shown",
            be_set.intervals.len()
        ));
    }

    // Bootstrap.
    let k = model.k();
    let deltas: Vec<Vec<f64>> = reps
        .iter()
        .map(|r| (0..k).map(|j| r[j] - r[k + j]).collect::<Vec<f64>>())
        .filter(|d: &Vec<f64>| d.iter().all(|x| x.is_finite()))
        .collect();
    let level = model.level;
    let boot_nb: Vec<f64> = deltas.iter().map(|d| Model::dot(&g_n, d)).collect();
    let boot_pp: Vec<f64> = match &take_up {
        Some(g_d) => deltas
            .iter()
            .map(|d| Model::dot(&g_n, d) / Model::dot(g_d, d))
            .collect(),
        None => Vec::new(),
    };
    let boot_ratio: Vec<f64> = if ratio_ok {
        deltas
            .iter()
            .map(|d| Model::dot(g_b, d) / Model::dot(&g_c, d))
            .collect()
    } else {
        Vec::new()
    };
    let boot_be: Vec<f64> = deltas
        .iter()
        .map(|d| break_even(&cumulative(d), Model::dot(&g_c, d)))
        .collect();
    let share_be = if deltas.is_empty() {
        f64::NAN
    } else {
        share(&boot_be, f64::is_finite)
    };
    // Replicates that never break even sort above every horizon: the percentile limits are
    // taken with them as the largest finite number, and a limit beyond the horizon is empty.
    let horizon = w.horizon as f64;
    let be_boot = if deltas.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let capped: Vec<f64> = boot_be
            .iter()
            .map(|x| if x.is_finite() { *x } else { f64::MAX })
            .collect();
        let (lo, hi) = percentile_interval(&capped, level);
        let within = |x: f64| if x <= horizon { x } else { f64::NAN };
        (within(lo), within(hi))
    };
    if !deltas.is_empty() && be_boot.1.is_nan() {
        notes.push(format!(
            "the upper bootstrap limit of the break-even horizon is beyond {} months",
            w.horizon
        ));
    }

    BenefitEstimate {
        valuation: valuation.to_string(),
        scenario: s,
        horizon: w.horizon as u32,
        months_gained: value(&w.months),
        months_gained_se: se(&w.months),
        discounted_months_gained: value(&w.discounted_months),
        benefit,
        benefit_se: se(g_b),
        cost,
        cost_se: se(&g_c),
        net_benefit: nb,
        net_benefit_se: nb_se,
        net_benefit_low: nb - z * nb_se,
        net_benefit_high: nb + z * nb_se,
        net_benefit_boot: boot_or_nan(&boot_nb, level),
        prob_positive_normal: if nb_se > 0.0 {
            pnorm(nb / nb_se)
        } else {
            f64::NAN
        },
        prob_positive_boot: if boot_nb.is_empty() {
            f64::NAN
        } else {
            share(&boot_nb, |x| x > 0.0)
        },
        per_participant: pp,
        per_participant_se: pp_se,
        per_participant_low: pp - z * pp_se,
        per_participant_high: pp + z * pp_se,
        per_participant_boot: boot_or_nan(&boot_pp, level),
        per_participant_fieller: pp_fieller,
        benefit_cost_ratio: bcr,
        ratio_se: bcr_se,
        ratio_low: bcr - z * bcr_se,
        ratio_high: bcr + z * bcr_se,
        ratio_fieller: if ratio_ok {
            fieller
        } else {
            Fieller::Undefined
        },
        ratio_boot: boot_or_nan(&boot_ratio, level),
        break_even_months: if be.is_finite() { be } else { f64::NAN },
        break_even_se: be_se,
        break_even_low: be - z * be_se,
        break_even_high: be + z * be_se,
        break_even_fieller: be_fieller,
        break_even_boot: be_boot,
        share_breaking_even: share_be,
        break_even_set: be_set,
        notes,
    }
}

/// Check the options; errors say what to change.
fn check(options: &BenefitOptions, last: u32) -> Result<()> {
    if options.valuations.is_empty() {
        return Err(Error::compute("valued outcome: no value per month given"));
    }
    let rates = [
        options.discount_rate,
        options.discount_range[0],
        options.discount_range[1],
    ];
    if rates.iter().any(|r| !(r.is_finite() && *r >= 0.0)) {
        return Err(Error::compute(
            "valued outcome: a discount rate is negative or not a number",
        ));
    }
    if let Some(x) = options.extrapolate_to
        && x <= last
    {
        return Err(Error::compute(format!(
            "valued outcome: the extrapolation horizon {x} is not beyond the last measured \
             month {last}"
        )));
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(Error::compute("valued outcome: level not in (0, 1)"));
    }
    Ok(())
}

/// The cost–benefit analysis of `sample`, bootstrapping when the options ask for it.
pub fn analyse(
    sample: &BenefitSample,
    options: &BenefitOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<CostBenefit> {
    sample.validate()?;
    let vars = variables(sample);
    let reps = if options.bootstrap > 0 && sample.time_to_job.is_some() {
        survival_replicates(sample, options.bootstrap, options.seed, progress)
            .ok_or(Error::Interrupted)?
    } else if options.bootstrap > 0 {
        let refs: Vec<&[f64]> = vars.iter().map(Vec::as_slice).collect();
        ResamplingPlan::new(
            &sample.treated,
            &refs,
            &sample.strata,
            sample.clusters.as_deref(),
        )
        .run_with(options.bootstrap, options.seed, progress)
        .ok_or(Error::Interrupted)?
    } else {
        Vec::new()
    };
    analyse_replicates(sample, options, &reps)
}

/// The differences in arm means of [`variables`] and their covariance; with a time to the first
/// job, followed by the differences in the monthly shares after the first job, their covariance
/// (`cea::months::monthly_shares` or `monthly_cif_shares`, summed over the arms) and their
/// covariance with each arm mean, Σ_a Σ_{i∈a} (xᵢ − x̄_a)/n_a · ψᵢ(m) with ψ the influence on the
/// share (as `cea::months`). With clusters every variance and covariance is cluster-robust: each
/// person's influence on every difference (±(xᵢ − x̄_a)/n_a for a mean, ±ψᵢ(m) for a share) summed
/// by cluster, Σ_g U_g U_gᵀ times the cost analysis's CR1 factor G/(G − 1)·(N − 1)/(N − 2)
/// (`cea::difference_moments`; docs/methods/cost-benefit.md).
fn moments(sample: &BenefitSample) -> (Vec<f64>, Vec<f64>) {
    let vars = variables(sample);
    let refs: Vec<&[f64]> = vars.iter().map(Vec::as_slice).collect();
    let (diff0, cov0) = difference_moments(&sample.treated, &refs, sample.clusters.as_deref());
    let Some(job) = &sample.time_to_job else {
        return (diff0, cov0);
    };
    let k0 = vars.len();
    let h = sample.months.len();
    let k = k0 + h;
    let mut diff = diff0;
    diff.resize(k, 0.0);
    let mut cov = vec![0.0; k * k];
    for a in 0..k0 {
        cov[a * k..a * k + k0].copy_from_slice(&cov0[a * k0..(a + 1) * k0]);
    }
    // With clusters: each cluster's sums of the persons' signed influences on the k differences.
    let mut by_cluster: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    for (arm, sign) in [(true, 1.0), (false, -1.0)] {
        let rows: Vec<usize> = (0..sample.treated.len())
            .filter(|&i| sample.treated[i] == arm)
            .collect();
        let shares = job.shares(&rows, h as u32);
        let nf = rows.len() as f64;
        for m in 0..h {
            diff[k0 + m] += sign * shares.share[m];
        }
        if let Some(clusters) = &sample.clusters {
            let means: Vec<f64> = vars
                .iter()
                .map(|x| rows.iter().map(|&i| x[i]).sum::<f64>() / nf)
                .collect();
            for (r, &i) in rows.iter().enumerate() {
                let u = by_cluster
                    .entry(clusters[i])
                    .or_insert_with(|| vec![0.0; k]);
                for (a, x) in vars.iter().enumerate() {
                    u[a] += sign * (x[i] - means[a]) / nf;
                }
                for m in 0..h {
                    u[k0 + m] += sign * shares.influence[m][r];
                }
            }
            continue;
        }
        for m in 0..h {
            for m2 in 0..h {
                cov[(k0 + m) * k + k0 + m2] += shares.cov[m * h + m2];
            }
        }
        for (a, x) in vars.iter().enumerate() {
            let x: Vec<f64> = rows.iter().map(|&i| x[i]).collect();
            let mean = x.iter().sum::<f64>() / nf;
            for m in 0..h {
                let c: f64 = x
                    .iter()
                    .zip(&shares.influence[m])
                    .map(|(xi, psi)| (xi - mean) / nf * psi)
                    .sum();
                cov[a * k + k0 + m] += c;
                cov[(k0 + m) * k + a] += c;
            }
        }
    }
    if sample.clusters.is_some() {
        let (g, n) = (by_cluster.len() as f64, sample.treated.len() as f64);
        let factor = if g > 1.0 && n > 2.0 {
            g / (g - 1.0) * (n - 1.0) / (n - 2.0)
        } else {
            f64::NAN
        };
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] = factor * by_cluster.values().map(|u| u[a] * u[b]).sum::<f64>();
            }
        }
    }
    (diff, cov)
}

/// One bootstrap replicate of the resample `indices` (0-based, into the persons): the arm
/// means of [`variables`], then, with a time to the first job, each arm's monthly shares after
/// the first job from its resampled persons' Kaplan–Meier curve; programme arm first, as
/// `ResamplingPlan::replicate` returns them.
pub fn replicate_of_indices(sample: &BenefitSample, indices: &[usize]) -> Vec<f64> {
    let vars = variables(sample);
    let refs: Vec<&[f64]> = vars.iter().map(Vec::as_slice).collect();
    let means = replicate_from_indices(&sample.treated, &refs, indices);
    let Some(job) = &sample.time_to_job else {
        return means;
    };
    let k0 = vars.len();
    let h = sample.months.len() as u32;
    let mut out = Vec::with_capacity(2 * (k0 + h as usize));
    for (a, arm) in [true, false].into_iter().enumerate() {
        out.extend_from_slice(&means[a * k0..(a + 1) * k0]);
        let drawn: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| sample.treated.get(i) == Some(&arm))
            .collect();
        if drawn.is_empty() {
            out.extend(std::iter::repeat_n(f64::NAN, h as usize));
            continue;
        }
        out.extend(job.share_estimates(&drawn, h));
    }
    out
}

/// The bootstrap replicates of a sample with a time to the first job: the persons each replicate
/// of `cea::bootstrap` draws (stream `bootstrap/rep=<b>`, within arms and strata; with clusters
/// the members of the clusters it draws), their arm means and shares after the first job with
/// the curves refitted ([`replicate_of_indices`]).
fn survival_replicates(
    sample: &BenefitSample,
    reps: usize,
    seed: u64,
    progress: &dyn crate::progress::Progress,
) -> Option<Vec<Vec<f64>>> {
    use rayon::prelude::*;
    let index: Vec<f64> = (0..sample.treated.len()).map(|i| i as f64).collect();
    let plan = ResamplingPlan::new(
        &sample.treated,
        &[&index],
        &sample.strata,
        sample.clusters.as_deref(),
    );
    progress.start("bootstrap", reps as u64);
    let out = (0..reps)
        .into_par_iter()
        .map(|b| {
            if progress.cancelled() {
                return None;
            }
            progress.advance(1);
            let mut stream = Stream::new(seed, &replicate_stream_name(b));
            let drawn: Vec<usize> = if sample.clusters.is_some() {
                plan.drawn_members(&mut stream)?
            } else {
                plan.drawn(&mut stream)?
                    .iter()
                    .map(|&x| x as usize)
                    .collect()
            };
            Some(replicate_of_indices(sample, &drawn))
        })
        .collect();
    progress.finish();
    out
}

/// [`analyse`] with given bootstrap replicates (arm means of [`variables`], programme arm
/// first, as `ResamplingPlan::replicate` returns them): for checking against R's `boot`.
pub fn analyse_replicates(
    sample: &BenefitSample,
    options: &BenefitOptions,
    reps: &[Vec<f64>],
) -> Result<CostBenefit> {
    sample.validate()?;
    let last = *sample.months.last().unwrap_or(&0);
    check(options, last)?;
    let n1 = sample.treated.iter().filter(|t| **t).count();
    let n = [n1, sample.treated.len() - n1];
    if n[0] < 2 || n[1] < 2 {
        return Err(Error::compute(format!(
            "valued outcome: the {} arm has fewer than 2 persons",
            if n[0] < 2 { "programme" } else { "comparison" }
        )));
    }
    let (diff, cov) = moments(sample);
    let take_up = sample.participation.as_ref().map(|_| 2);
    let model = Model {
        diff,
        cov,
        take_up,
        first_point: if take_up.is_some() { 3 } else { 2 },
        months: &sample.months,
        // t(G − 1) with clusters, as the cost analysis (`cea::Reference::of_clusters`).
        z: super::Reference::of_clusters(
            options.level,
            sample
                .clusters
                .as_ref()
                .map(|c| c.iter().collect::<std::collections::BTreeSet<_>>().len()),
        )
        .critical(),
        level: options.level,
    };
    let base =
        |v: &Valuation, rate: f64, extrapolation: Extrapolation, cost_change: f64| Scenario {
            sek_per_month: v.sek_per_month,
            discount_rate: rate,
            extrapolation,
            cost_change,
        };
    let head = &options.valuations[0];
    let r = options.discount_rate;
    let cm = options.cost_months;
    let valuations: Vec<BenefitEstimate> = options
        .valuations
        .iter()
        .map(|v| {
            estimate(
                &model,
                &v.name,
                base(v, r, Extrapolation::None, 0.0),
                cm,
                reps,
            )
        })
        .collect();

    let extrapolations: Vec<Extrapolation> = std::iter::once(Extrapolation::None)
        .chain(options.extrapolate_to.into_iter().flat_map(|x| {
            [
                Extrapolation::CarryForward { to: x },
                Extrapolation::LinearDecay { zero_at: x },
            ]
        }))
        .collect();
    let rates = rate_steps(options.discount_range);
    let mut scenarios = Vec::new();
    for &e in &extrapolations {
        for &rate in &rates {
            scenarios.push(estimate(
                &model,
                &head.name,
                base(head, rate, e, 0.0),
                cm,
                reps,
            ));
        }
    }

    // One-way sensitivity: each input at its low and high setting, the others at base.
    let nb_at = |s: Scenario| estimate(&model, &head.name, s, cm, &[]).net_benefit;
    let at_base = base(head, r, Extrapolation::None, 0.0);
    let mut tornado = vec![
        TornadoBar {
            input: "value_per_month",
            low_setting: head.sek_per_month * (1.0 - options.value_change),
            high_setting: head.sek_per_month * (1.0 + options.value_change),
            net_benefit_low: nb_at(Scenario {
                sek_per_month: head.sek_per_month * (1.0 - options.value_change),
                ..at_base
            }),
            net_benefit_high: nb_at(Scenario {
                sek_per_month: head.sek_per_month * (1.0 + options.value_change),
                ..at_base
            }),
        },
        TornadoBar {
            input: "discount_rate",
            low_setting: options.discount_range[0],
            high_setting: options.discount_range[1],
            net_benefit_low: nb_at(Scenario {
                discount_rate: options.discount_range[0],
                ..at_base
            }),
            net_benefit_high: nb_at(Scenario {
                discount_rate: options.discount_range[1],
                ..at_base
            }),
        },
        TornadoBar {
            input: "cost_per_participant",
            low_setting: -options.cost_change,
            high_setting: options.cost_change,
            net_benefit_low: nb_at(Scenario {
                cost_change: -options.cost_change,
                ..at_base
            }),
            net_benefit_high: nb_at(Scenario {
                cost_change: options.cost_change,
                ..at_base
            }),
        },
    ];
    if let Some(x) = options.extrapolate_to {
        // Low: no effect after the last measured month; high: carried forward to month X.
        tornado.push(TornadoBar {
            input: "extrapolation",
            low_setting: f64::from(last),
            high_setting: f64::from(x),
            net_benefit_low: nb_at(at_base),
            net_benefit_high: nb_at(Scenario {
                extrapolation: Extrapolation::CarryForward { to: x },
                ..at_base
            }),
        });
    }
    tornado.sort_by(|a, b| b.swing().total_cmp(&a.swing()));

    // Probabilistic sensitivity: each replicate with its own inputs.
    let k = model.k();
    let psa = (!reps.is_empty()).then(|| {
        let draws: Vec<f64> = reps
            .iter()
            .enumerate()
            .filter_map(|(b, rep)| {
                let d: Vec<f64> = (0..k).map(|j| rep[j] - rep[k + j]).collect();
                if !d.iter().all(|x| x.is_finite()) {
                    return None;
                }
                let mut stream = Stream::new(options.seed, &psa_stream_name(b));
                let s = psa_scenario(&mut stream, head.sek_per_month, options);
                let w = model.weights(&s);
                let g_c = discount::cost_factor(s.discount_rate, cm);
                Some(Model::dot(&w.benefit_by_month[w.horizon], &d) - g_c * Model::dot(&w.cost, &d))
            })
            .collect();
        let (low, high) = boot_or_nan(&draws, options.level);
        Psa {
            replicates: draws.len(),
            mean: draws.iter().sum::<f64>() / draws.len().max(1) as f64,
            low,
            high,
            prob_positive: share(&draws, |x| x > 0.0),
        }
    });

    // Acceptability of the net benefit over the value per month.
    let acceptability = options
        .value_grid
        .iter()
        .map(|&v| {
            let e = estimate(
                &model,
                &head.name,
                Scenario {
                    sek_per_month: v,
                    ..at_base
                },
                cm,
                reps,
            );
            ValuePoint {
                sek_per_month: v,
                net_benefit: e.net_benefit,
                se: e.net_benefit_se,
                prob_normal: e.prob_positive_normal,
                prob_boot: e.prob_positive_boot,
            }
        })
        .collect();

    Ok(CostBenefit {
        n,
        last_measured: last,
        valuations,
        scenarios,
        tornado,
        psa,
        acceptability,
        bootstrap_reps: reps.len(),
        level: options.level,
    })
}

/// The stream of the probabilistic sensitivity analysis's inputs of replicate `b`.
pub fn psa_stream_name(b: usize) -> String {
    format!("cost/psa/rep={b}")
}

/// The inputs of one replicate (module documentation).
pub fn psa_scenario(stream: &mut Stream, sek_per_month: f64, options: &BenefitOptions) -> Scenario {
    let (u1, u2, u3) = (stream.unit(), stream.unit(), stream.unit());
    let [lo, hi] = options.discount_range;
    Scenario {
        sek_per_month: sek_per_month * (1.0 + options.value_change * (2.0 * u1 - 1.0)),
        discount_rate: lo + (hi - lo) * u2,
        extrapolation: Extrapolation::None,
        cost_change: options.cost_change * (2.0 * u3 - 1.0),
    }
}

/// The discount rates of the sensitivity table: from low to high in steps of one percentage
/// point, and high itself.
pub fn rate_steps(range: [f64; 2]) -> Vec<f64> {
    let [lo, hi] = range;
    let mut rates = Vec::new();
    let mut k = 0u32;
    loop {
        let r = lo + f64::from(k) * 0.01;
        if r > hi + 1e-12 || k > 100 {
            break;
        }
        rates.push(r);
        k += 1;
    }
    if rates.last().is_none_or(|r| (r - hi).abs() > 1e-12) {
        rates.push(hi);
    }
    rates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    fn sample() -> BenefitSample {
        BenefitSample {
            treated: vec![true, true, true, true, false, false, false, false],
            cost: vec![100.0, 120.0, 80.0, 100.0, 20.0, 30.0, 10.0, 20.0],
            participation: Some(vec![1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]),
            months: vec![1, 2],
            in_work: vec![
                vec![1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                vec![1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            ],
            strata: vec![0; 8],
            clusters: None,
            time_to_job: None,
        }
    }

    fn options() -> BenefitOptions {
        BenefitOptions {
            valuations: vec![Valuation {
                name: "wage cost".into(),
                sek_per_month: 200.0,
            }],
            discount_rate: 0.0,
            discount_range: [0.0, 0.05],
            cost_months: 0,
            extrapolate_to: Some(4),
            value_change: 0.2,
            cost_change: 0.2,
            value_grid: vec![0.0, 200.0],
            level: 0.95,
            bootstrap: 0,
            seed: 1,
        }
    }

    #[test]
    fn net_benefit_by_hand() {
        let a = analyse(&sample(), &options(), &Silent).unwrap();
        let e = &a.valuations[0];
        // Δp1 = 0.5 − 0.25, Δp2 = 0.75 − 0.25: 0.75 months gained; ΔC = 100 − 20.
        assert!((e.months_gained - 0.75).abs() < 1e-12);
        assert!((e.cost - 80.0).abs() < 1e-12);
        assert!((e.net_benefit - (150.0 - 80.0)).abs() < 1e-12);
        assert!((e.benefit_cost_ratio - 150.0 / 80.0).abs() < 1e-12);
        // ΔB(1) = 50 < 80 ≤ ΔB(2) = 150: 1 + 30/100.
        assert!((e.break_even_months - 1.3).abs() < 1e-12);
        // Take-up 0.75: per participant 70 / 0.75.
        assert!((e.per_participant - 70.0 / 0.75).abs() < 1e-12);
        // Carry forward to 4 adds 2 × 0.5 months.
        let carry = a
            .scenarios
            .iter()
            .find(|s| s.scenario.extrapolation.word() == "carry_forward")
            .unwrap();
        assert!((carry.months_gained - 1.75).abs() < 1e-12);
        assert_eq!(a.tornado.len(), 4);
        assert!(a.tornado.windows(2).all(|w| w[0].swing() >= w[1].swing()));
    }

    #[test]
    fn bootstrap_and_psa_are_reproducible() {
        let mut o = options();
        o.bootstrap = 200;
        let a = analyse(&sample(), &o, &Silent).unwrap();
        let b = analyse(&sample(), &o, &Silent).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let psa = a.psa.unwrap();
        assert_eq!(psa.replicates, a.bootstrap_reps);
        assert!((0.0..=1.0).contains(&psa.prob_positive));
    }

    #[test]
    fn an_extrapolation_not_beyond_the_effects_is_an_error() {
        let mut o = options();
        o.extrapolate_to = Some(2);
        assert!(analyse(&sample(), &o, &Silent).is_err());
        o.extrapolate_to = None;
        o.discount_rate = -0.01;
        assert!(analyse(&sample(), &o, &Silent).is_err());
    }
}
