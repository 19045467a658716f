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
use super::subsets::{self, RiAlgorithm, SubsetPlan};
use super::types::{self, TypePlan};
use super::{AnalysisData, EstimateOptions, Estimates, recompute, widen};
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

/// The statistic randomization inference compares across assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RiStatistic {
    /// The row's estimate (its coefficient or difference in means).
    #[default]
    Coefficient,
    /// The row's t statistic, estimate / SE with the row's own SE (CR2, HC2, …) recomputed under
    /// every assignment: the better choice with few or unequal clusters, whose coefficient
    /// varies in spread from one assignment to another (MacKinnon & Webb 2020, "Randomization
    /// inference when the number of treated clusters is small", J. Econometrics 218(2); Young
    /// 2019, QJE 134(2)).
    Studentized,
}

/// The default largest number of distinct assignments that randomization inference lists in
/// full instead of sampling (issue 14).
pub const DEFAULT_EXACT_MAX: u32 = 100_000;

/// How randomization inference treats the assignments: how many draws when sampling, the seed,
/// the largest design it enumerates, the statistic, and the draw algorithm of sampled
/// assignments without a ledger (None with a study, whose own procedure is re-run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiPlan {
    pub draws: usize,
    pub seed: u64,
    pub exact_max: u32,
    pub statistic: RiStatistic,
    pub algorithm: Option<RiAlgorithm>,
}

/// The note of an exact randomization test: every one of the `count` assignments was listed,
/// the p-values are k/N with no Monte Carlo error, and the smallest each row could reach (when
/// it is above 0.05, no result can be significant at that level, whatever the data).
pub fn exact_note(estimates: &Estimates, count: u128, statistic: RiStatistic) -> Option<String> {
    let rows: Vec<String> = estimates
        .rows
        .iter()
        .filter(|r| r.ri_exact == Some(true))
        .filter_map(|r| {
            let p = r.p_value_ri.filter(|p| p.is_finite())?;
            let n = r.ri_draws?;
            let k = (p * n as f64).round() as u64;
            let min = r
                .ri_min_p
                .map(|m| format!(", smallest attainable p = {m:.4}"))
                .unwrap_or_default();
            Some(format!(
                "{} {} {}: p = {k}/{n} = {p:.4}{min}",
                r.outcome, r.subgroup, r.term
            ))
        })
        .collect();
    (!rows.is_empty()).then(|| {
        let what = match statistic {
            RiStatistic::Coefficient => "the estimate",
            RiStatistic::Studentized => "the t statistic (each row's own SE recomputed)",
        };
        format!(
            "exact randomization inference: all {count} assignments the design can make were listed (no sampling; the p-value of {what} is exact, k/N): {}",
            rows.join("; ")
        )
    })
}

/// Notes for randomization intervals that are unbounded: the test never rejects, however far
/// the hypothesized effect, because no assignment can be extreme enough (few assignments).
pub fn unbounded_notes(estimates: &Estimates) -> Vec<String> {
    estimates
        .rows
        .iter()
        .filter(|r| {
            [r.ri_conf_low, r.ri_conf_high]
                .iter()
                .any(|v| v.is_some_and(f64::is_infinite))
        })
        .map(|r| {
            let min = r
                .ri_min_p
                .map(|m| format!(" (the smallest attainable p-value is {m:.4})"))
                .unwrap_or_default();
            format!(
                "{} {} {}: the randomization interval is unbounded{min}: with so few possible assignments no effect size can be rejected at this level, so the data cannot bound the effect",
                r.outcome, r.subgroup, r.term
            )
        })
        .collect()
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
    assignments: &Assignments<'_>,
    statistic_kind: RiStatistic,
    reweight: Option<&Reweight<'_>>,
    progress: &dyn crate::progress::Progress,
) -> Result<Option<DrawnBy>> {
    let (draws, draw) = (assignments.count, assignments.draw);
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
    // The joint tests' rows are not statistics of a refit: their draws follow from the
    // differences' draws below.
    let itt_rows: Vec<usize> = (0..estimates.rows.len())
        .filter(|&i| {
            !is_iv(data, &estimates.rows[i].term)
                && estimates.rows[i].estimator.kind != super::rows::EffectKind::Wald
        })
        .collect();
    let studentized = statistic_kind == RiStatistic::Studentized;
    let observed: Vec<f64> = itt_rows
        .iter()
        .map(|&i| {
            let row = &estimates.rows[i];
            if studentized {
                row.statistic
            } else {
                row.estimate
            }
        })
        .collect();
    let reweight = reweight.filter(|_| data.weights.is_some());
    // The fast statistic gives coefficients only; the studentized statistic refits every draw
    // (its SE depends on the residuals under that assignment).
    let fast = match reweight {
        Some(_) => None,
        None if studentized => None,
        None => fast_statistic(&itt_data, options)?,
    };
    let refit_rows = |d: &AnalysisData, codes: &[usize]| {
        let codes = &super::narrow(codes.iter().copied());
        if studentized {
            super::recompute_statistics(d, options, codes)
        } else {
            recompute(d, options, codes)
        }
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
            refit_rows(&redrawn, codes)
        } else {
            refit_rows(&itt_data, codes)
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
    // With clustered assignments and the fast statistic, the sums of every cluster are formed
    // once and each draw adds G of them (`FastStatistic::by_member`); worth it when the units
    // are fewer than half the rows. `used` are the units that hold analysis rows.
    let grouped = match (&fast, assignments.members) {
        (Some(f), Some(m)) if m.member_of.len() == data.n_rows() => {
            let mut used: Vec<usize> = m.member_of.to_vec();
            used.sort_unstable();
            used.dedup();
            (2 * used.len() <= m.member_of.len()).then(|| (f.by_member(m.member_of), m, used))
        }
        _ => None,
    };
    // Draws of algorithm v2 over the rows: every statistic updated from the rows a draw moves
    // (`fast::SubsetStatistic`) instead of summing over every row.
    let by_subsets = match (&fast, assignments.subsets) {
        (Some(f), Some(s)) if s.plan.len() == data.n_rows() => {
            f.for_subsets(s.plan).map(|statistic| (statistic, s))
        }
        _ => None,
    };
    // Draws of algorithm v3, when asked for and it applies: counts per type of exchangeable rows
    // (`estimate::types`), every statistic from per-type sums (`fast::TypeStatistic`).
    let type_plan = match assignments.subsets {
        Some(s) if s.algorithm == RiAlgorithm::V3 => Some(type_plan_or_reason(
            data,
            fast.as_ref(),
            studentized,
            reweight.is_some(),
        )?),
        _ => None,
    };
    let by_types = match (&type_plan, &fast, assignments.subsets) {
        (Some(Ok(plan)), Some(f), Some(s)) => {
            f.for_types(plan).map(|statistic| (plan, statistic, s.seed))
        }
        _ => None,
    };
    let drawn_by = assignments
        .subsets
        .map(|s| match (s.algorithm, &type_plan) {
            (RiAlgorithm::V3, Some(Ok(plan))) if by_types.is_some() => DrawnBy {
                algorithm: RiAlgorithm::V3,
                detail: Some(format!(
                    "counts of {} types of exchangeable rows in {} rows",
                    plan.type_count(),
                    plan.len()
                )),
            },
            (RiAlgorithm::V3, reason) => DrawnBy {
                algorithm: RiAlgorithm::V2,
                detail: Some(format!(
                    "v3 was asked for, but {}, so v2 drew",
                    match reason {
                        Some(Err(why)) => why.as_str(),
                        _ => "its per-type sums do not cover these data",
                    }
                )),
            },
            (other, _) => DrawnBy {
                algorithm: other,
                detail: None,
            },
        });
    // One pass over the draws: every statistic, and for each interval a_r = DiM(z_r, y) and
    // b_r = DiM(z_r, z), from which the whole test inversion follows
    // (`ri::interval_from_draws`). No draw is kept or made twice.
    type PerDraw = (Vec<f64>, Vec<(f64, f64)>);
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
    progress.start("randomization inference", draws as u64);
    let per_draw: Option<Vec<PerDraw>> = match (&by_types, &by_subsets) {
        (Some((plan, statistic, seed)), _) => (0..draws)
            .into_par_iter()
            // As below: buffers once per piece of at least 64 draws; a draw never depends on
            // the one before it, so the result is the same on any number of threads.
            .with_min_len(64)
            .map_init(
                || (Vec::new(), super::types::TypeDraw::default(), Vec::new()),
                |(remaining, drawn, sums), r| {
                    if progress.cancelled() {
                        return None;
                    }
                    progress.advance(1);
                    plan.draw_into(*seed, r, remaining, drawn);
                    if let Some((stats, all)) = statistic.eval_with_pieces(drawn, sums) {
                        let pieces = intervals.iter().map(|d| all[d.outcome]).collect();
                        return Some((stats, pieces));
                    }
                    Some(by_codes(&plan.codes(drawn)))
                },
            )
            .collect(),
        (None, Some((moved, s))) => (0..draws)
            .into_par_iter()
            // Each worker's buffers (a copy of the plan's positions) are made once per piece
            // of work: pieces of at least 64 draws. A draw never depends on the one before it
            // (`subsets::Scratch`), so the result is the same on any number of threads.
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
                    s.plan.draw_into(s.seed, r, scratch, drawn);
                    if let Some((stats, all)) = moved.eval_with_pieces(drawn, sums) {
                        let pieces = intervals.iter().map(|d| all[d.outcome]).collect();
                        return Some((stats, pieces));
                    }
                    Some(by_codes(&s.plan.codes(drawn)))
                },
            )
            .collect(),
        (None, None) => (0..draws)
            .into_par_iter()
            .map(|r| {
                if progress.cancelled() {
                    return None;
                }
                progress.advance(1);
                let codes = match (&fast, &grouped) {
                    (Some(f), Some((sums, members, used))) => {
                        let member_codes = (members.draw)(r);
                        let code = |m: usize| member_codes.get(m).copied().unwrap_or(usize::MAX);
                        if used.iter().all(|&m| code(m) < arm_count) {
                            let (stats, all) = f.eval_members(sums, &member_codes);
                            let pieces = intervals.iter().map(|d| all[d.outcome]).collect();
                            return Some((stats, pieces));
                        }
                        // Someone drawn into no analysed arm: refit on the rows, as below.
                        members.member_of.iter().map(|&m| code(m)).collect()
                    }
                    _ => draw(r),
                };
                Some(by_codes(&codes))
            })
            .collect(),
    };
    progress.finish();
    let per_draw = per_draw.ok_or(Error::Interrupted)?;
    let (simulated, pieces): (Vec<Vec<f64>>, Vec<_>) = per_draw.into_iter().unzip();
    let test = ri::count(&observed, &simulated)?;
    for (j, &i) in itt_rows.iter().enumerate() {
        let row = &mut estimates.rows[i];
        row.p_value_ri = Some(test.p_values[j]);
        row.ri_exact = Some(assignments.exact);
        row.ri_draws = Some(test.valid[j] as u64);
        if assignments.exact {
            row.ri_min_p = smallest_attainable_p(simulated.iter().map(|s| s[j]));
        }
    }
    joint_p_values(
        estimates,
        &itt_rows,
        &simulated,
        studentized,
        assignments.exact,
    );
    estimates.ri_draws = Some(super::multiple::RiDraws {
        rows: itt_rows.clone(),
        statistics: simulated,
        studentized,
    });
    let level = 1.0 - options.alpha;
    for (j, d) in intervals.iter().enumerate() {
        let a: Vec<f64> = pieces.iter().map(|p| p[j].0).collect();
        let b: Vec<f64> = pieces.iter().map(|p| p[j].1).collect();
        let z: Vec<f64> = d.treated.iter().map(|&t| f64::from(u8::from(t))).collect();
        let observed = ri::difference_in_means(&z, &d.y);
        if let Ok((lo, hi)) = ri::interval_from_draws_unbounded(observed, &a, &b, level) {
            estimates.rows[d.row].ri_conf_low = Some(lo);
            estimates.rows[d.row].ri_conf_high = Some(hi);
        }
    }
    Ok(drawn_by)
}

/// The randomization p-value of every joint heterogeneity test: the share of draws whose
/// statistic b_r'V⁻¹b_r (b_r the draw's subgroup differences, V their observed variance, held
/// fixed) is at least the observed b'V⁻¹b (= q·F), ties within [`ri::TIE_TOLERANCE`] counted as
/// in [`ri::count`]; draws with a difference not finite are left out. A fixed quadratic form of
/// the differences is a valid statistic under the sharp null (any function of the data and the
/// assignment is; Ding, Feller & Miratrix 2016, JRSS B 78:655–671, test effect variation this
/// way), and each draw needs only the differences the draws already give.
///
/// With the studentized statistic the draws give t statistics t_r = b_r / se_r (each draw's own
/// SE); the form is then t_r' (D V⁻¹ D) t_r with D the observed SEs on the diagonal, which for the
/// observed data equals b'V⁻¹b again, and is as valid a fixed function of the draw's statistics.
fn joint_p_values(
    estimates: &mut Estimates,
    itt_rows: &[usize],
    simulated: &[Vec<f64>],
    studentized: bool,
    exact: bool,
) {
    let slot: std::collections::HashMap<usize, usize> =
        itt_rows.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    for joint in &estimates.joint {
        let Some(members) = joint
            .members
            .iter()
            .map(|i| slot.get(i).copied())
            .collect::<Option<Vec<usize>>>()
        else {
            continue;
        };
        let observed_b: Vec<f64> = joint
            .members
            .iter()
            .map(|&i| estimates.rows[i].estimate)
            .collect();
        let observed = super::subgroups::quadratic_form(&observed_b, &joint.inverse);
        let form = if studentized {
            let se = nalgebra::DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(
                joint.members.len(),
                joint.members.iter().map(|&i| estimates.rows[i].std_error),
            ));
            &se * &joint.inverse * &se
        } else {
            joint.inverse.clone()
        };
        let statistics: Vec<Vec<f64>> = simulated
            .iter()
            .map(|draw| {
                let b: Vec<f64> = members.iter().map(|&k| draw[k]).collect();
                vec![super::subgroups::quadratic_form(&b, &form)]
            })
            .collect();
        if let Ok(test) = ri::count(&[observed], &statistics)
            && let Some(row) = estimates.rows.get_mut(joint.row)
        {
            row.p_value_ri = test.p_values.first().copied();
            row.ri_exact = Some(exact);
            row.ri_draws = test.valid.first().map(|&v| v as u64);
        }
    }
}

/// The smallest p-value the assignments can give: the share of the finite statistics that tie
/// the largest |T| (an observed statistic can be no more extreme than that); None without any.
pub fn smallest_attainable_p(statistics: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let finite = statistics.filter(|t| t.is_finite());
    let largest = finite
        .clone()
        .fold(f64::NEG_INFINITY, |m, t| m.max(t.abs()));
    let valid = finite.clone().count();
    let at_top = finite.filter(|&t| ri::is_extreme(t, largest)).count();
    (valid > 0).then(|| at_top as f64 / valid as f64)
}

/// The assignments randomization inference runs over: `count` of them, assignment r given by
/// `draw(r)`, and whether they are every possible assignment (exact inference) or a sample;
/// `members`, when the design randomizes units (clusters) that each hold several rows, the same
/// assignments per unit, so a draw costs O(G) instead of O(n); `subsets`, when the draws are
/// those of algorithm v2 over the rows, the plan they come from, so a draw costs O(rows moved).
pub struct Assignments<'a> {
    pub count: usize,
    pub exact: bool,
    pub draw: &'a Draw<'a>,
    pub members: Option<MemberDraws<'a>>,
    pub subsets: Option<SubsetDraws<'a>>,
}

/// The draws of [`Assignments`] by algorithm v2: draw r is `plan.draw(seed, r)` (the same
/// assignment as `draw(r)`, given as the rows it moves).
#[derive(Clone, Copy)]
pub struct SubsetDraws<'a> {
    pub plan: &'a SubsetPlan,
    pub seed: u64,
    /// The algorithm asked for: v2, or v3 (type counts, `estimate::types`), which draws from
    /// its own streams where it applies and leaves the draws to v2 (this plan) where not.
    pub algorithm: RiAlgorithm,
}

/// The algorithm that made the sampled draws of ad hoc data, and what the note adds about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawnBy {
    pub algorithm: RiAlgorithm,
    /// How v3 drew (its types), or why v2 drew when v3 was asked for.
    pub detail: Option<String>,
}

/// The plan of algorithm v3 for ad hoc data (`estimate::types`), or why v3 does not apply and v2
/// draws instead: the statistic refits rows (the studentized statistic, weights, an estimator
/// the fast statistic does not cover), or the rows form more types than
/// [`types::MAX_TYPES_PER_ROW`] of their number (continuous covariates or outcomes).
fn type_plan_or_reason(
    data: &AnalysisData,
    fast: Option<&super::fast::FastStatistic>,
    studentized: bool,
    reweighted: bool,
) -> Result<std::result::Result<TypePlan, String>> {
    let n = data.n_rows();
    let fast = match fast {
        Some(f) => f,
        None if studentized => {
            return Ok(Err(
                "the studentized statistic refits every draw's rows".to_string()
            ));
        }
        None if reweighted => {
            return Ok(Err(
                "weighted estimates are refitted for every draw".to_string()
            ));
        }
        None => {
            return Ok(Err(
                "this estimator is refitted for every draw (weights, a participation column or a model the per-cell sums do not cover)"
                    .to_string(),
            ));
        }
    };
    let Some(kinds) = fast.row_kinds(n) else {
        return Ok(Err("its per-type sums do not cover these data".to_string()));
    };
    let strata: Vec<usize> = data
        .strata
        .as_ref()
        .map_or_else(|| vec![0; n], |s| widen(&s.codes));
    let plan = TypePlan::new(&widen(&data.treatment.codes), &strata, &kinds)?;
    if plan.type_count() as f64 > types::MAX_TYPES_PER_ROW * n as f64 {
        return Ok(Err(format!(
            "the rows form {} types of exchangeable rows, more than a quarter of the {n} rows (continuous covariates or outcomes): counting types saves nothing",
            plan.type_count()
        )));
    }
    Ok(Ok(plan))
}

/// The assignments of [`Assignments`] per randomization unit: the unit of every analysis row,
/// and `draw(r)`, the arm code of every unit under assignment r (the same assignment as the
/// row-level draw: row i's code is the code of unit `member_of[i]`).
#[derive(Clone, Copy)]
pub struct MemberDraws<'a> {
    pub member_of: &'a [usize],
    pub draw: &'a Draw<'a>,
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
        .map_or_else(|| vec![0; n], |s| widen(&s.codes));
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, &s) in strata.iter().enumerate() {
        members.entry(s).or_default().push(i);
    }
    let members: Vec<Vec<usize>> = members.into_values().collect();
    let observed = widen(&data.treatment.codes);
    Ok(move |r: usize| {
        let mut stream = Stream::new(seed, &ri::draw_stream_name(r));
        let mut codes = observed.clone();
        for rows in &members {
            let mut labels: Vec<usize> = rows.iter().map(|&i| observed[i]).collect();
            stream.shuffle(&mut labels);
            for (&i, l) in rows.iter().zip(labels) {
                codes[i] = l;
            }
        }
        codes
    })
}

/// Every re-assignment of ad hoc data under complete randomization of the observed arm labels
/// within each stratum, of clusters when the data have them (each cluster must hold one arm and
/// lie in one stratum): the enumeration and the member (individual or cluster) of every row.
pub fn permutation_enumeration(
    data: &AnalysisData,
) -> Result<(crate::design::enumerate::Enumeration, Vec<usize>)> {
    use crate::design::enumerate::{Enumeration, Segment};
    let n = data.n_rows();
    let codes = &widen(&data.treatment.codes);
    let stratum = |i: usize| data.strata.as_ref().map_or(0, |s| s.codes[i] as usize);
    // Members: clusters (in order of first appearance) or rows.
    let mut member_of = vec![0usize; n];
    let mut member_label: Vec<usize> = Vec::new();
    let mut member_stratum: Vec<usize> = Vec::new();
    match &data.cluster {
        Some(cluster) => {
            let mut seen: std::collections::HashMap<usize, usize> = Default::default();
            for i in 0..n {
                let c = cluster.codes[i] as usize;
                let m = *seen.entry(c).or_insert_with(|| {
                    member_label.push(codes[i]);
                    member_stratum.push(stratum(i));
                    member_label.len() - 1
                });
                let level = || cluster.levels.get(c).cloned().unwrap_or_default();
                if member_label[m] != codes[i] {
                    return Err(Error::compute(format!(
                        "cluster `{}` of `{}` holds persons in different arms, so its assignments cannot be re-drawn by cluster",
                        level(),
                        cluster.name
                    )));
                }
                if member_stratum[m] != stratum(i) {
                    return Err(Error::compute(format!(
                        "cluster `{}` of `{}` lies in more than one stratum",
                        level(),
                        cluster.name
                    )));
                }
                member_of[i] = m;
            }
        }
        None => {
            for (i, m) in member_of.iter_mut().enumerate() {
                *m = i;
                member_label.push(codes[i]);
                member_stratum.push(stratum(i));
            }
        }
    }
    let arms = data.treatment.arms.len();
    let mut by_stratum: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (m, &s) in member_stratum.iter().enumerate() {
        by_stratum.entry(s).or_default().push(m);
    }
    let segments = by_stratum
        .into_values()
        .map(|members| {
            let mut counts = vec![0usize; arms];
            for &m in &members {
                if let Some(c) = counts.get_mut(member_label[m]) {
                    *c += 1;
                }
            }
            Segment {
                members,
                labels: (0..arms as u32).collect(),
                options: vec![counts],
            }
        })
        .collect();
    let enumeration = Enumeration::new(member_label.len(), segments).ok_or_else(|| {
        Error::compute("the observed arms do not form a complete randomization within strata")
    })?;
    Ok((enumeration, member_of))
}

/// The plan of algorithm v2 for ad hoc data: the observed arm codes permuted within each
/// stratum (the distribution of [`permutation_draws`], drawn as one subset per stratum).
/// Clusters are refused, as by [`permutation_draws`]: without a ledger only an exact
/// enumeration re-draws whole clusters.
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
        .map_or_else(|| vec![0; n], |s| widen(&s.codes));
    SubsetPlan::new(&widen(&data.treatment.codes), &strata)
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
        let code_of = self.code_of();
        move |r: usize| self.codes(&self.plan.draw(seed, &ri::draw_stream_name(r)), &code_of)
    }

    /// Every assignment the design can make, when they are equally likely and can be listed
    /// (`AssignmentPlan::enumeration`; None otherwise): count them with
    /// [`Enumeration::count`](crate::design::enumerate::Enumeration::count).
    pub fn enumeration(&self) -> Option<crate::design::enumerate::Enumeration> {
        self.plan.enumeration()
    }

    /// Assignment number r of `enumeration`, mapped to the analysis rows and their arm codes as
    /// [`LedgerReplay::draws`] does. Deterministic: no stream is drawn.
    pub fn enumerated<'e>(
        &'e self,
        enumeration: &'e crate::design::enumerate::Enumeration,
    ) -> impl Fn(usize) -> Vec<usize> + Sync + 'e {
        let code_of = self.code_of();
        move |r: usize| self.codes(&self.plan.enumerated(enumeration, r as u128), &code_of)
    }

    /// The randomization unit (cluster, or person) of every analysis row, as the design numbers
    /// its members.
    pub fn member_of(&self) -> Vec<usize> {
        self.rows.iter().map(|&j| self.plan.member_of(j)).collect()
    }

    /// [`LedgerReplay::enumerated`] per randomization unit: the analysis arm code of every
    /// member of the design (usize::MAX for one left unassigned), O(G) per assignment.
    pub fn enumerated_members<'e>(
        &'e self,
        enumeration: &'e crate::design::enumerate::Enumeration,
    ) -> impl Fn(usize) -> Vec<usize> + Sync + 'e {
        let code_of = self.code_of();
        move |r: usize| {
            enumeration
                .assignment(r as u128)
                .iter()
                .map(|&a| code_of.get(a as usize).copied().unwrap_or(usize::MAX))
                .collect()
        }
    }

    /// [`LedgerReplay::draws`] per randomization unit: the same draws (streams `ri/draw=<r>`),
    /// the analysis arm code of every member of the design.
    pub fn draws_members(&self, seed: u64) -> impl Fn(usize) -> Vec<usize> + Sync + '_ {
        let code_of = self.code_of();
        move |r: usize| {
            self.plan
                .draw_members(seed, &ri::draw_stream_name(r))
                .iter()
                .map(|&a| code_of.get(a as usize).copied().unwrap_or(usize::MAX))
                .collect()
        }
    }

    /// Design arm index → analysis arm code (usize::MAX: an arm the analysis does not compare).
    fn code_of(&self) -> Vec<usize> {
        self.ledger
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
            .collect()
    }

    /// The arm code of every analysis row under the design's arms `arms` (ledger order).
    fn codes(&self, arms: &[u32], code_of: &[usize]) -> Vec<usize> {
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
