//! Inference on top of the estimates: randomization-inference p-values for every ITT row (the
//! whole model refitted, or its Frisch–Waugh–Lovell shortcut, under each re-drawn assignment),
//! a randomization confidence interval for the overall effect, and multiple-testing adjustment
//! across outcomes × subgroups. Pure: the re-drawn assignments come from the caller (the
//! study's own design re-run by `design::AssignmentPlan`, or permutation within strata for ad
//! hoc data).

use super::adjust::{self, Adjustment};
use super::fast::fast_statistic;
use super::ri;
use super::rows::Family;
use super::subsets::{self, SubsetPlan};
use super::{AnalysisData, EstimateOptions, Estimates, recompute};
use crate::error::{Error, Result};
use crate::rng::Stream;
use rayon::prelude::*;

/// The note that gives the Monte Carlo standard error √(p(1 − p)/R) of every randomization
/// p-value from `draws` draws (the p-value is itself an estimate from R draws; Efron &
/// Tibshirani 1993, ch. 15), or None when no row has one.
pub fn monte_carlo_note(estimates: &Estimates, draws: usize) -> Option<String> {
    let r = draws as f64;
    let parts: Vec<String> = estimates
        .rows
        .iter()
        .filter_map(|row| {
            let p = row.p_value_ri?;
            p.is_finite().then(|| {
                let row_name = format!("{} {} {}", row.outcome, row.subgroup, row.term);
                if p == 0.0 {
                    // No draw as extreme: the Monte Carlo SE would be 0, which says nothing.
                    // Say the resolution and the exact one-sided 95% upper bound of the true
                    // p-value, 1 − 0.05^(1/R) (Clopper & Pearson 1934 with no successes; about
                    // 3/R, the "rule of three", Hanley & Lippman-Hand 1983).
                    format!(
                        "{row_name}: p < {:.4} (no draw as extreme; below {:.4} with 95% confidence)",
                        1.0 / r,
                        1.0 - 0.05_f64.powf(1.0 / r)
                    )
                } else {
                    format!("{row_name}: p = {p:.4} ± {:.4}", (p * (1.0 - p) / r).sqrt())
                }
            })
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "randomization p-values from {draws} draws, with their Monte Carlo standard errors: {}",
            parts.join("; ")
        )
    })
}

/// Re-drawn assignment number r: the arm code (0 = control) of every analysis row.
pub type Draw<'a> = dyn Fn(usize) -> Vec<usize> + Sync + 'a;

/// The inverse-probability weights of every analysis row under a re-drawn assignment (each row
/// weighs 1/p of the arm it is drawn into).
pub type Reweight<'a> = dyn Fn(&[usize]) -> Vec<f64> + Sync + 'a;

/// Whether a row is a 2SLS row (its term is the participation column).
fn is_iv(data: &AnalysisData, term: &str) -> bool {
    data.participation.as_ref().is_some_and(|(p, _)| p == term)
}

/// Fill `p_value_ri` of every ITT row (not the 2SLS rows, whose instrument-based test is not a
/// sharp-null test of the offer) from `draws` re-drawn assignments, and `ri_conf_low/high` of
/// the overall rows of a two-arm study (difference-in-means statistic, test inversion at
/// 1 − α). Draws whose statistic is not finite (an arm empty in a subgroup) are left out, as in
/// [`ri::count`].
///
/// With inverse-probability weights and `reweight`, each draw's estimates use that draw's
/// weights (the estimator as it would have been computed had that assignment happened), so the
/// whole model is refitted for every draw; weights given as a column stay fixed.
pub fn randomization_inference(
    data: &AnalysisData,
    options: &EstimateOptions,
    estimates: &mut Estimates,
    draws: usize,
    draw: &Draw<'_>,
    reweight: Option<&Reweight<'_>>,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    infer_from(
        data,
        options,
        estimates,
        draws,
        Source::Codes(draw),
        reweight,
        progress,
    )
}

/// [`randomization_inference`] with the draws of algorithm v2 (`estimate::subsets`): draw r is
/// `plan.draw(seed, r)`, and where the fast statistic applies every statistic is updated from
/// the rows the draw moves (`fast::SubsetStatistic`) instead of summing over every row.
pub fn randomization_inference_subsets(
    data: &AnalysisData,
    options: &EstimateOptions,
    estimates: &mut Estimates,
    draws: usize,
    plan: &SubsetPlan,
    seed: u64,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    infer_from(
        data,
        options,
        estimates,
        draws,
        Source::Subsets { plan, seed },
        None,
        progress,
    )
}

/// Where the re-drawn assignments come from.
enum Source<'a> {
    /// Arm codes per row for draw r.
    Codes(&'a Draw<'a>),
    /// Algorithm v2: the rows each draw moves.
    Subsets { plan: &'a SubsetPlan, seed: u64 },
}

fn infer_from(
    data: &AnalysisData,
    options: &EstimateOptions,
    estimates: &mut Estimates,
    draws: usize,
    source: Source<'_>,
    reweight: Option<&Reweight<'_>>,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    if draws == 0 {
        return Err(Error::compute(
            "randomization inference needs at least one draw",
        ));
    }
    // The ITT statistic of every row but the 2SLS rows, in `estimate_all`'s order.
    // Missing covariates filled once (indicator method): every draw sees the same data.
    let mut itt_data = super::missing::prepare(data, options.missing_covariates)
        .0
        .into_owned();
    itt_data.participation = None;
    let itt_rows: Vec<usize> = (0..estimates.rows.len())
        .filter(|&i| !is_iv(data, &estimates.rows[i].term))
        .collect();
    let observed: Vec<f64> = itt_rows
        .iter()
        .map(|&i| estimates.rows[i].estimate)
        .collect();
    let reweight = reweight.filter(|_| data.weights.is_some());
    let fast = match reweight {
        Some(_) => None,
        None => fast_statistic(&itt_data, options)?,
    };
    // A draw may leave someone in no analysed arm (a misfit under misfits = "missing"): that
    // person is not analysed under that draw. The fast statistic keeps the observed rows, so such
    // draws are refitted, with those people's outcomes missing.
    let arm_count = data.treatment.arms.len();
    let unassigned = |codes: &[usize]| codes.iter().any(|&c| c >= arm_count);
    let statistic = |codes: &[usize]| -> Vec<f64> {
        let left_out = unassigned(codes);
        if let (Some(f), false) = (&fast, left_out) {
            return f.eval(codes);
        }
        let refit = if left_out || reweight.is_some() {
            let mut redrawn = itt_data.clone();
            if left_out {
                for (_, y) in redrawn.outcomes.iter_mut() {
                    for (v, &c) in y.iter_mut().zip(codes) {
                        if c >= arm_count {
                            *v = f64::NAN;
                        }
                    }
                }
            }
            if let Some(weights_of) = reweight {
                let mut w = weights_of(codes);
                // The weight of a person not analysed under this draw does not matter.
                w.iter_mut()
                    .filter(|v| !v.is_finite())
                    .for_each(|v| *v = 1.0);
                redrawn.weights = Some(w);
            }
            recompute(&redrawn, options, codes)
        } else {
            recompute(&itt_data, options, codes)
        };
        refit.unwrap_or_else(|_| vec![f64::NAN; observed.len()])
    };
    // The interval for the overall effect of each outcome (two arms): the complete cases, their
    // outcomes and observed treatment, and the row it belongs to.
    let intervals: Vec<IntervalData> = if data.treatment.arms.len() == 2 {
        data.outcomes
            .iter()
            .enumerate()
            .filter_map(|(outcome, (name, y))| {
                let row = estimates.rows.iter().position(|r| {
                    &r.outcome == name && r.subgroup == "all" && !is_iv(data, &r.term)
                })?;
                // The rows of the overall model (as the fast statistic's).
                let complete = super::missing::analysed_rows(&itt_data, y);
                let y: Vec<f64> = complete.iter().map(|&i| y[i]).collect();
                let treated = complete
                    .iter()
                    .map(|&i| data.treatment.codes[i] == 1)
                    .collect();
                let sum_y = y.iter().fold(0.0, |s, v| s + v);
                Some(IntervalData {
                    outcome,
                    row,
                    complete,
                    y,
                    treated,
                    sum_y,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    // One pass over the draws: every statistic, and for each interval a_r = DiM(z_r, y) and
    // b_r = DiM(z_r, z), from which the whole test inversion follows
    // (`ri::interval_from_draws`). No draw is kept or made twice.
    type PerDraw = (Vec<f64>, Vec<(f64, f64)>);
    progress.start("randomization inference", draws as u64);
    let by_codes = |codes: &[usize]| -> PerDraw {
        match &fast {
            // The fast statistic gives every outcome's interval pieces from its own sums.
            Some(f) if !intervals.is_empty() && !unassigned(codes) => {
                let (stats, all) = f.eval_with_pieces(codes);
                let pieces = intervals.iter().map(|d| all[d.outcome]).collect();
                (stats, pieces)
            }
            _ => {
                let stats = statistic(codes);
                let pieces = intervals.iter().map(|d| d.pieces(codes)).collect();
                (stats, pieces)
            }
        }
    };
    let per_draw: Option<Vec<PerDraw>> = match source {
        Source::Codes(draw) => (0..draws)
            .into_par_iter()
            .map(|r| {
                if progress.cancelled() {
                    return None;
                }
                progress.advance(1);
                Some(by_codes(&draw(r)))
            })
            .collect(),
        Source::Subsets { plan, seed } => {
            let by_subsets = fast.as_ref().and_then(|f| f.for_subsets(plan));
            (0..draws)
                .into_par_iter()
                // Each worker's buffers (a copy of the plan's positions) are made once per
                // piece of work: pieces of at least 64 draws.
                .with_min_len(64)
                .map_init(
                    || {
                        (
                            subsets::Scratch::default(),
                            subsets::SubsetDraw::default(),
                            super::fast::SubsetScratch::default(),
                        )
                    },
                    |(scratch, drawn, sums), r| {
                        if progress.cancelled() {
                            return None;
                        }
                        progress.advance(1);
                        plan.draw_into(seed, r, scratch, drawn);
                        if let Some((stats, all)) = by_subsets
                            .as_ref()
                            .and_then(|f| f.eval_with_pieces(drawn, sums))
                        {
                            let pieces = intervals.iter().map(|d| all[d.outcome]).collect();
                            return Some((stats, pieces));
                        }
                        Some(by_codes(&plan.codes(drawn)))
                    },
                )
                .collect()
        }
    };
    progress.finish();
    let per_draw = per_draw.ok_or(Error::Interrupted)?;
    let (simulated, pieces): (Vec<Vec<f64>>, Vec<_>) = per_draw.into_iter().unzip();
    let test = ri::count(&observed, &simulated)?;
    for (&i, p) in itt_rows.iter().zip(&test.p_values) {
        estimates.rows[i].p_value_ri = Some(*p);
    }
    let level = 1.0 - options.alpha;
    for (j, d) in intervals.iter().enumerate() {
        let a: Vec<f64> = pieces.iter().map(|p| p[j].0).collect();
        let b: Vec<f64> = pieces.iter().map(|p| p[j].1).collect();
        let z: Vec<f64> = d.treated.iter().map(|&t| f64::from(u8::from(t))).collect();
        let observed = ri::difference_in_means(&z, &d.y);
        if let Ok((lo, hi)) = ri::interval_from_draws(observed, &a, &b, level) {
            estimates.rows[d.row].ri_conf_low = Some(lo);
            estimates.rows[d.row].ri_conf_high = Some(hi);
        }
    }
    Ok(())
}

/// The complete cases of one outcome, for its randomization interval.
struct IntervalData {
    /// The outcome's index in the data.
    outcome: usize,
    /// The overall row of the outcome in the estimates.
    row: usize,
    complete: Vec<usize>,
    y: Vec<f64>,
    /// The observed assignment (1 = treated) of each complete case.
    treated: Vec<bool>,
    /// Σ y over the complete cases, in row order.
    sum_y: f64,
}

impl IntervalData {
    /// a_r = DiM(z_r, y) and b_r = DiM(z_r, z) for the draw `codes` (z_r = code is 1), with
    /// the sums of `ri::difference_in_means` in the same order, without building z_r.
    /// People drawn into no analysed arm (code > 1) are left out of both means.
    fn pieces(&self, codes: &[usize]) -> (f64, f64) {
        let (mut s1, mut n1, mut both) = (0.0, 0usize, 0usize);
        let (mut s_out, mut n_out, mut z_out) = (0.0, 0usize, 0usize);
        for ((&i, y), &z) in self.complete.iter().zip(&self.y).zip(&self.treated) {
            let t = codes[i] == 1;
            s1 += f64::from(u8::from(t)) * y;
            n1 += usize::from(t);
            both += usize::from(t && z);
            if codes[i] > 1 {
                s_out += y;
                n_out += 1;
                z_out += usize::from(z);
            }
        }
        let n = self.complete.len() - n_out;
        let n_treated = self.treated.iter().filter(|&&z| z).count() - z_out;
        if n1 == 0 || n1 == n {
            return (f64::NAN, f64::NAN);
        }
        let (n1f, n0f) = (n1 as f64, (n - n1) as f64);
        (
            s1 / n1f - (self.sum_y - s1 - s_out) / n0f,
            both as f64 / n1f - (n_treated - both) as f64 / n0f,
        )
    }
}

/// Re-drawn assignments for ad hoc data: the observed arm labels permuted within each stratum
/// (complete randomization with the observed counts), draw r from stream `ri/draw=<r>`.
pub fn permutation_draws(
    data: &AnalysisData,
    seed: u64,
) -> Result<impl Fn(usize) -> Vec<usize> + Sync + '_> {
    if data.cluster.is_some() {
        return Err(Error::compute(
            "randomization inference with clusters needs the study's ledger, whose design re-draws whole clusters",
        )
        .with_hint("run `lotta estimate` with the study folder"));
    }
    let n = data.n_rows();
    let strata: Vec<usize> = data
        .strata
        .as_ref()
        .map_or_else(|| vec![0; n], |s| s.codes.clone());
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, &s) in strata.iter().enumerate() {
        members.entry(s).or_default().push(i);
    }
    let members: Vec<Vec<usize>> = members.into_values().collect();
    Ok(move |r: usize| {
        let mut stream = Stream::new(seed, &ri::draw_stream_name(r));
        let mut codes = data.treatment.codes.clone();
        for rows in &members {
            let mut labels: Vec<usize> = rows.iter().map(|&i| data.treatment.codes[i]).collect();
            stream.shuffle(&mut labels);
            for (&i, l) in rows.iter().zip(labels) {
                codes[i] = l;
            }
        }
        codes
    })
}

/// The plan of algorithm v2 for ad hoc data: the observed arm codes permuted within each
/// stratum (the distribution of [`permutation_draws`], drawn as one subset per stratum).
pub fn subset_plan(data: &AnalysisData) -> Result<SubsetPlan> {
    if data.cluster.is_some() {
        return Err(Error::compute(
            "randomization inference with clusters needs the study's ledger, whose design re-draws whole clusters",
        )
        .with_hint("run `lotta estimate` with the study folder"));
    }
    let n = data.n_rows();
    let strata: Vec<usize> = data
        .strata
        .as_ref()
        .map_or_else(|| vec![0; n], |s| s.codes.clone());
    SubsetPlan::new(&data.treatment.codes, &strata)
}

/// Adjust the p-values into `p_value_adjusted`, in two families: the intention-to-treat rows
/// (all outcomes × subgroups × arms, the subgroup differences included) and, apart from them,
/// the 2SLS rows. A 2SLS effect is the ITT effect rescaled by the first stage and tests nearly
/// the same hypothesis; counting both in one family would make every adjustment needlessly
/// conservative.
pub fn adjust_p_values(estimates: &mut Estimates, method: Adjustment) {
    for family in [Family::Itt, Family::Participation] {
        let members: Vec<usize> = (0..estimates.rows.len())
            .filter(|&i| estimates.rows[i].estimator.family() == family)
            .collect();
        let p: Vec<f64> = members.iter().map(|&i| estimates.rows[i].p_value).collect();
        for (&i, q) in members.iter().zip(adjust::adjust(&p, method)) {
            estimates.rows[i].p_value_adjusted = Some(q);
        }
    }
}

/// A study's own assignment, re-run from its ledger: the plan (`design::AssignmentPlan`, built
/// once) and the ledger row of every analysis row.
pub struct LedgerReplay<'a> {
    ledger: &'a crate::design::ledger::Ledger,
    data: &'a AnalysisData,
    plan: crate::design::AssignmentPlan,
    /// The ledger row of every analysis row, by id.
    rows: Vec<usize>,
}

impl<'a> LedgerReplay<'a> {
    pub fn new(
        ledger: &'a crate::design::ledger::Ledger,
        data: &'a AnalysisData,
    ) -> Result<LedgerReplay<'a>> {
        let plan = crate::design::rolling::plan_from_ledger(ledger).map_err(|e| {
            Error::compute(format!("cannot re-run the assignment of the ledger: {e:?}"))
        })?;
        let ids = data.ids.as_ref().ok_or_else(|| {
            Error::compute("the analysis rows carry no ledger ids; randomization inference cannot match re-drawn assignments")
        })?;
        let position: std::collections::HashMap<&str, usize> = ledger
            .rows
            .iter()
            .enumerate()
            .map(|(j, r)| (r.id.as_str(), j))
            .collect();
        let rows = ids
            .iter()
            .map(|id| {
                position.get(id.as_str()).copied().ok_or_else(|| {
                    Error::compute(format!("id `{id}` of the analysis is not in the ledger"))
                })
            })
            .collect::<Result<_>>()?;
        Ok(LedgerReplay {
            ledger,
            data,
            plan,
            rows,
        })
    }

    /// Re-drawn assignments: the study's own procedure (strata, blocks, clusters, ratios,
    /// enrolment batches), draw r with the stream prefix `ri/draw=<r>`, mapped to the analysis
    /// rows and to their arm codes by name.
    pub fn draws(&self, seed: u64) -> impl Fn(usize) -> Vec<usize> + Sync + '_ {
        // Design arm index → analysis arm code (usize::MAX: an arm the analysis does not compare).
        let code_of: Vec<usize> = self
            .ledger
            .design
            .arms
            .iter()
            .map(|a| {
                self.data
                    .treatment
                    .arms
                    .iter()
                    .position(|name| *name == a.name)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        move |r: usize| {
            let arms = self.plan.draw(seed, &ri::draw_stream_name(r));
            self.rows
                .iter()
                .map(|&j| {
                    arms.get(j)
                        .and_then(|&a| code_of.get(a as usize))
                        .copied()
                        .unwrap_or(usize::MAX)
                })
                .collect()
        }
    }

    /// The inverse-probability weights under a re-drawn assignment: 1/p with p the probability
    /// the design gives each person of the arm drawn (`AssignmentPlan::probabilities`, the twin of
    /// the ledger's probability column); NaN for a person drawn into no analysed arm.
    pub fn weights(&self) -> impl Fn(&[usize]) -> Vec<f64> + Sync + '_ {
        let arms = self.ledger.design.arms.len();
        let probabilities = self.plan.probabilities();
        // Analysis arm code → design arm index.
        let design_arm: Vec<Option<usize>> = self
            .data
            .treatment
            .arms
            .iter()
            .map(|name| self.ledger.design.arms.iter().position(|a| a.name == *name))
            .collect();
        move |codes: &[usize]| {
            codes
                .iter()
                .zip(&self.rows)
                .map(
                    |(&code, &j)| match design_arm.get(code).copied().flatten() {
                        Some(a) => 1.0 / probabilities[j * arms + a],
                        None => f64::NAN,
                    },
                )
                .collect()
        }
    }
}
