//! The survival analysis of prepared persons (`lotta survival`, and the "Time to first job" part
//! of `lotta run`): for every arm against control, overall, in each subgroup and between
//! subgroups, Kaplan–Meier, log-rank, RMST, the Cox hazard ratio and, with a cause, cumulative
//! incidence and Gray's test, and randomization inference when asked. Pure: the persons come
//! checked by `ops::survival_data`, which reads and joins the files; formulas and sources are in
//! docs/survival.md.

use super::competing::{self, Cif};
use super::km::{Curve, Point};
use super::ri::{Members, RiData};
use super::rmst::{self, Contrast, Rmst};
use super::rows::{ArmCurve, ExitCurve, SurvivalRow};
use super::{COMPETING, EVENT, Sorted, cox, logrank, time_order, z_level};
use crate::design::ledger::Ledger;
use crate::error::{Error, Result};
use crate::estimate::inference::{LedgerReplay, subset_plan};
use crate::estimate::subsets::RiAlgorithm;
use crate::estimate::{AnalysisData, Factor, Treatment};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What the analysis computes, resolved by the caller from the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The outcome's name in the rows (`time`, or `time:cause` with a cause).
    pub outcome: String,
    /// The treatment column's name (randomization inference's design).
    pub treatment: String,
    /// The subgroup column's name (rows `name=level`), if any.
    pub by: Option<String>,
    /// The strata columns' names (for the methods column).
    pub strata: Vec<String>,
    /// The cluster column's name (cluster-robust Cox SE, the ledger's clusters in RI).
    pub cluster: Option<String>,
    /// The event column holds competing exits (cumulative incidence and Gray's test).
    pub competing: bool,
    /// τ of the RMST when given (else survRM2's default).
    pub tau: Option<Tau>,
    /// The times of the Kaplan–Meier and cumulative-incidence rows (empty: τ alone).
    pub at: Vec<f64>,
    /// Randomization inference, when asked.
    pub ri: Option<Ri>,
    /// Confidence level of every interval.
    pub level: f64,
    /// Also the cumulative incidence of every exit (the report's stacked figure).
    pub exit_curves: bool,
}

/// A given τ and where the user wrote it (for the error when it is out of reach).
#[derive(Debug, Clone, PartialEq)]
pub struct Tau {
    pub value: f64,
    pub origin: String,
}

/// Randomization draws, their seed and, for data without a ledger, the permutation
/// algorithm (`estimate::subsets`; None: v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ri {
    pub draws: u32,
    pub seed: u64,
    pub algorithm: Option<RiAlgorithm>,
}

/// Everything the analysis computed.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub rows: Vec<SurvivalRow>,
    /// The curves of the first comparison, per subgroup and arm.
    pub curves: Vec<ArmCurve>,
    /// With `exit_curves` and a cause: the cumulative incidence of every exit in the first
    /// comparison, per subgroup and arm.
    pub exit_curves: Vec<ExitCurve>,
    pub control_arm: String,
    /// τ of each compared arm (survRM2's default unless given).
    pub taus: Vec<(String, f64)>,
    pub notes: Vec<String>,
}

/// The persons analysed, with checked values and every text column coded: everything the
/// analysis needs, prepared and checked by `ops::survival_data`, which alone knows the
/// files.
#[derive(Debug, Clone)]
pub struct SurvivalData {
    /// Each person's id (a study's analysis: to replay the ledger's assignment).
    pub ids: Option<Vec<String>>,
    /// Where the time column is (for errors about τ).
    pub time_column: crate::error::Location,
    pub time: Vec<f64>,
    pub status: Vec<u8>,
    /// Each person's arm: 0 the control, k + 1 the compared arm `treated[k]`.
    pub arm: Vec<u32>,
    /// Each person's subgroup (with `by`): an index into `by_levels`, or [`NO_SUBGROUP`].
    pub by: Option<Vec<u32>>,
    /// The subgroups, in level order (`categorical::compare_levels`).
    pub by_levels: Vec<String>,
    pub stratum: Vec<u32>,
    pub cluster: Vec<u32>,
    pub control: String,
    pub treated: Vec<String>,
    pub notes: Vec<String>,
    /// With a cause: every exit's label (sorted) and each person's exit, 0 censored and k + 1
    /// the exit `exits[k]` (the stacked cumulative incidence of every exit).
    pub exits: Vec<String>,
    pub exit: Vec<u8>,
}

/// The subgroup code of a person whose subgroup cell is empty: counted in the overall analysis,
/// in no subgroup.
pub const NO_SUBGROUP: u32 = u32::MAX;

/// The methods column of each estimand.
struct Methods {
    logrank: String,
    cox: String,
    gray: String,
}

fn methods(s: &Options) -> Methods {
    let strata = if s.strata.is_empty() {
        String::new()
    } else {
        format!(", stratified by {}", s.strata.join("×"))
    };
    let se = match &s.cluster {
        Some(c) => format!("cluster-robust SE by {c}"),
        None => "robust SE".to_string(),
    };
    Methods {
        logrank: format!("log-rank (survdiff, rho = 0){strata}"),
        cox: format!("Cox PH, Efron ties, {se} (coxph){strata}"),
        gray: format!("Gray's test (cmprsk::cuminc){strata}"),
    }
}

const KM: &str = "Kaplan-Meier, Greenwood SE, log CI (survfit)";
const DIFF: &str = "difference, normal interval";
const RMST: &str = "RMST to tau (survRM2)";
const RATIO: &str = "RMST ratio, log-scale interval (survRM2)";
const CIF: &str = "Aalen-Johansen, variance and interval as cmprsk::cuminc";

fn contrast_row(mut row: SurvivalRow, c: Contrast) -> SurvivalRow {
    row.estimate = c.estimate;
    row.std_error = c.std_error;
    row.statistic = c.statistic;
    row.p_value = c.p_value;
    row.conf_low = c.conf_low;
    row.conf_high = c.conf_high;
    row
}

/// Everything one group's analysis produced, merged in group order afterwards.
#[derive(Default)]
struct AnalysedGroup {
    result: GroupResult,
    rows: Vec<SurvivalRow>,
    curves: Vec<ArmCurve>,
    exit_curves: Vec<ExitCurve>,
    notes: Vec<String>,
}

/// The per-group results subgroup differences are made of.
#[derive(Default)]
struct GroupResult {
    km: BTreeMap<u64, (f64, f64)>,
    cif: BTreeMap<u64, (f64, f64)>,
    rmst: Option<(f64, f64)>,
}

/// One subgroup × comparison: every row, and its differences for the subgroup contrasts.
#[allow(clippy::too_many_arguments)]
fn analyse_group(
    s: &Options,
    m: &Methods,
    label: &str,
    data: &Sorted,
    arms: (&str, &str),
    at: &[f64],
    tau: f64,
    rows: &mut Vec<SurvivalRow>,
    curves: Option<&mut Vec<ArmCurve>>,
    notes: &mut Vec<String>,
) -> GroupResult {
    let outcome = s.outcome.clone();
    let z = z_level(s.level);
    let (control, treated) = arms;
    let new = |estimand: &str, arm: &str, method: &str| {
        SurvivalRow::new(&outcome, label, estimand, arm, method)
    };
    let mut result = GroupResult::default();
    let mut points: [Vec<Option<Point>>; 2] = Default::default();
    let mut rmsts: [Option<Rmst>; 2] = [None, None];
    let mut fits: [(Vec<f64>, Vec<u8>); 2] = Default::default();
    let mut km_curves: [Curve; 2] = Default::default();
    for g in 0..2u8 {
        let arm = if g == 0 { control } else { treated };
        let (t, st) = data.group_of(g);
        let curve = Curve::fit(&t, &st);
        for &at_t in at {
            let p = curve.at(at_t, z);
            match p {
                Some(p) => {
                    let mut row = new("km", arm, KM);
                    row.time = Some(at_t);
                    row.estimate = p.surv;
                    row.std_error = p.std_error;
                    row.conf_low = p.conf_low;
                    row.conf_high = p.conf_high;
                    rows.push(row);
                }
                None => notes.push(format!(
                    "{label}, arm {arm}: no Kaplan–Meier estimate at {at_t}, beyond the last observed time {}",
                    curve.last_time().unwrap_or(f64::NAN)
                )),
            }
            points[usize::from(g)].push(p);
        }
        let r = rmst::rmst(&curve, tau);
        let mut row = new("rmst", arm, RMST);
        row.time = Some(tau);
        row.estimate = r.estimate;
        row.std_error = r.std_error();
        row.conf_low = r.estimate - z * r.std_error();
        row.conf_high = r.estimate + z * r.std_error();
        rows.push(row);
        rmsts[usize::from(g)] = Some(r);
        fits[usize::from(g)] = (t, st);
        km_curves[usize::from(g)] = curve;
    }
    if let Some(c) = curves {
        for (g, curve) in km_curves.into_iter().enumerate() {
            c.push(ArmCurve {
                subgroup: label.to_string(),
                arm: (if g == 0 { control } else { treated }).to_string(),
                curve,
            });
        }
    }
    // Kaplan–Meier differences at each time.
    for (k, &at_t) in at.iter().enumerate() {
        // Once a curve reaches 0 its SE is undefined (as survfit's): the difference is given
        // without SE.
        if let (Some(p1), Some(p0)) = (points[1][k], points[0][k]) {
            let c = Contrast::difference(
                p1.surv,
                p1.std_error * p1.std_error,
                p0.surv,
                p0.std_error * p0.std_error,
                z,
            );
            let mut row = contrast_row(new("km_difference", treated, DIFF), c);
            row.time = Some(at_t);
            rows.push(row);
            result.km.insert(at_t.to_bits(), (c.estimate, c.std_error));
        }
    }
    let lr = logrank::test(data);
    let mut row = new("logrank", treated, &m.logrank);
    row.estimate = lr.observed - lr.expected;
    row.std_error = lr.variance.sqrt();
    row.statistic = lr.chisq;
    row.df = 1.0;
    row.p_value = lr.p_value;
    rows.push(row);
    if let [Some(r0), Some(r1)] = rmsts {
        let d = rmst::difference(&r1, &r0, z);
        let mut row = contrast_row(new("rmst_difference", treated, DIFF), d);
        row.method = "RMST difference (survRM2 rmst2), normal interval".into();
        row.time = Some(tau);
        rows.push(row);
        result.rmst = Some((d.estimate, d.std_error));
        let q = rmst::ratio(&r1, &r0, z);
        let mut row = contrast_row(new("rmst_ratio", treated, RATIO), q);
        row.time = Some(tau);
        rows.push(row);
    }
    let events = |g: u8| (0..data.len()).any(|i| data.group[i] == g && data.status[i] == EVENT);
    if events(0) && events(1) {
        match cox::fit(data) {
            Ok(fit) => {
                let (lo, hi) = fit.conf_int(z);
                let mut row = new("hazard_ratio", treated, &m.cox);
                row.estimate = fit.hazard_ratio();
                row.std_error = fit.se_robust;
                row.statistic = fit.statistic();
                row.p_value = fit.p_value();
                row.conf_low = lo;
                row.conf_high = hi;
                rows.push(row);
            }
            Err(e) => notes.push(format!("{label}, {treated} vs {control}: {e}")),
        }
    } else {
        notes.push(format!(
            "{label}: no hazard ratio of {treated} vs {control}, an arm has no events (the ratio is 0 or infinite)"
        ));
    }
    if s.competing {
        let mut cif: [Vec<Option<(f64, f64)>>; 2] = Default::default();
        for g in 0..2u8 {
            let arm = if g == 0 { control } else { treated };
            let (t, st) = &fits[usize::from(g)];
            let curve = Cif::fit(t, st);
            for &at_t in at {
                let v = curve.at(at_t);
                if let Some((f, var)) = v {
                    let se = var.sqrt();
                    let mut row = new("cif", arm, CIF);
                    row.time = Some(at_t);
                    row.estimate = f;
                    row.std_error = se;
                    row.conf_low = f - z * se;
                    row.conf_high = f + z * se;
                    rows.push(row);
                }
                cif[usize::from(g)].push(v);
            }
        }
        for (k, &at_t) in at.iter().enumerate() {
            if let (Some((f1, v1)), Some((f0, v0))) = (cif[1][k], cif[0][k]) {
                let c = Contrast::difference(f1, v1, f0, v0, z);
                let mut row = contrast_row(new("cif_difference", treated, DIFF), c);
                row.time = Some(at_t);
                rows.push(row);
                result.cif.insert(at_t.to_bits(), (c.estimate, c.std_error));
            }
        }
        let gray = competing::gray_test(data);
        let mut row = new("gray", treated, &m.gray);
        row.statistic = gray.chisq;
        row.df = 1.0;
        row.p_value = gray.p_value;
        rows.push(row);
    }
    result
}

/// The survival analysis of the prepared persons `p` for every arm against control, overall, in
/// each subgroup and between subgroups. `ledger`: randomization inference replays the study's
/// assignment from it; without it, arms are permuted within strata.
pub fn analyse(s: &Options, p: &SurvivalData, ledger: Option<&Ledger>) -> Result<Analysis> {
    let mut notes = p.notes.clone();
    let m = methods(s);
    let z = z_level(s.level);
    let by_name = s.by.clone();
    let levels: Vec<String> = p.by_levels.clone();
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut exit_curves = Vec::new();
    let mut taus = Vec::new();
    let mut ri_comparisons = Vec::new();
    // Every person in time order, once: each comparison's and subgroup's persons are a filter
    // of it, already in order (no sort per group).
    let order = time_order(&p.time);
    for (ci, treated) in p.treated.iter().enumerate() {
        let treated_code = ci as u32 + 1;
        // The groups of this comparison: all, then each level.
        let in_pair: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&k| p.arm[k] == 0 || p.arm[k] == treated_code)
            .collect();
        let mut groups: Vec<(String, Vec<usize>)> = Vec::with_capacity(1 + levels.len());
        if let (Some(name), Some(by)) = (&by_name, &p.by) {
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); levels.len()];
            for &k in &in_pair {
                if let Some(m) = members.get_mut(by[k] as usize) {
                    m.push(k);
                }
            }
            groups.push(("all".to_string(), in_pair));
            for (l, m) in levels.iter().zip(members) {
                groups.push((format!("{name}={l}"), m));
            }
        } else {
            groups.push(("all".to_string(), in_pair));
        }
        // Each group gathered on its own thread (rayon; collected in group order).
        let prepared_groups: Vec<(Option<Sorted>, Option<String>)> = groups
            .par_iter()
            .map(|(label, idx)| {
                let in_arm = |a: u32| idx.iter().any(|&k| p.arm[k] == a);
                if !in_arm(0) || !in_arm(treated_code) {
                    let note = format!(
                        "{label}: an arm of {treated} vs {} has nobody; the subgroup is left out",
                        p.control
                    );
                    return Ok((None, Some(note)));
                }
                let group = |k: usize| u8::from(p.arm[k] == treated_code);
                let stratum = (!s.strata.is_empty()).then_some(&p.stratum[..]);
                let cluster = s.cluster.is_some().then_some(&p.cluster[..]);
                let data = Sorted::gathered(idx, &p.time, &p.status, group, stratum, cluster)?;
                Ok((Some(data), None))
            })
            .collect::<Result<_>>()?;
        let mut sorted: Vec<Option<Sorted>> = Vec::with_capacity(groups.len());
        for (data, note) in prepared_groups {
            notes.extend(note);
            sorted.push(data);
        }
        // τ: given (checked against every group) or survRM2's default, the smallest over groups.
        let mut bound = (f64::INFINITY, String::new());
        let mut default = f64::INFINITY;
        for ((label, _), data) in groups.iter().zip(&sorted) {
            let Some(data) = data else { continue };
            let mut lasts = Vec::new();
            for g in 0..2u8 {
                if let Some(last) = data.last_observation_of(g) {
                    let until = rmst::defined_until(last);
                    if until < bound.0 {
                        let arm = if g == 0 { &p.control } else { treated };
                        bound = (until, format!("arm {arm} ({label})"));
                    }
                    lasts.push(last);
                }
            }
            default = default.min(rmst::default_tau(&lasts));
        }
        let tau = match &s.tau {
            Some(t) if t.value > bound.0 => {
                return Err(Error::data(
                    p.time_column.clone(),
                    format!(
                        "τ = {} ({}) is beyond the last observed time {} of {}, whose last person \
                         is censored: the Kaplan–Meier curve is not defined there. survRM2 stops \
                         too (\"The truncation time, tau, needs to be shorter than or equal to the \
                         minimum of the largest observed time on each of the two groups\")",
                        t.value, t.origin, bound.0, bound.1
                    ),
                )
                .with_hint(format!(
                    "choose τ ≤ {}, or leave it out for survRM2's default",
                    bound.0
                )));
            }
            Some(t) => t.value,
            None => default,
        };
        taus.push((treated.clone(), tau));
        let at: Vec<f64> = if s.at.is_empty() {
            vec![tau]
        } else {
            s.at.clone()
        };
        // Every group analysed on its own thread, then merged in group order: the same rows,
        // curves and notes in the same order on any number of threads.
        let analysed: Vec<Option<AnalysedGroup>> = groups
            .par_iter()
            .zip(sorted.par_iter())
            .map(|((label, idx), data)| {
                let data = data.as_ref()?;
                let mut out = AnalysedGroup::default();
                // The exits' curves are for the study's report only (`lotta survival` on one
                // file prints no curves).
                if ci == 0 && s.exit_curves {
                    out.exit_curves = exit_curves_of(p, label, idx, treated_code);
                }
                let keep = (ci == 0).then_some(&mut out.curves);
                out.result = analyse_group(
                    s,
                    &m,
                    label,
                    data,
                    (&p.control, treated),
                    &at,
                    tau,
                    &mut out.rows,
                    keep,
                    &mut out.notes,
                );
                Some(out)
            })
            .collect();
        let mut results = Vec::with_capacity(analysed.len());
        for group in analysed {
            match group {
                Some(g) => {
                    exit_curves.extend(g.exit_curves);
                    rows.extend(g.rows);
                    curves.extend(g.curves);
                    notes.extend(g.notes);
                    results.push(Some(g.result));
                }
                None => results.push(None),
            }
        }
        // Differences between subgroups: each level against the last.
        if let (Some(name), Some(last)) = (&by_name, levels.last()) {
            let last_result = results.last().and_then(Option::as_ref);
            for (k, l) in levels[..levels.len() - 1].iter().enumerate() {
                let (Some(a), Some(b)) = (results.get(k + 1).and_then(Option::as_ref), last_result)
                else {
                    continue;
                };
                let label = format!("{name}={l} - {name}={last}");
                let outcome = s.outcome.clone();
                let new =
                    |estimand: &str| SurvivalRow::new(&outcome, &label, estimand, treated, DIFF);
                for &t in &at {
                    if let (Some(x), Some(y)) = (a.km.get(&t.to_bits()), b.km.get(&t.to_bits())) {
                        let mut row = contrast_row(
                            new("km_difference"),
                            Contrast::difference(x.0, x.1 * x.1, y.0, y.1 * y.1, z),
                        );
                        row.time = Some(t);
                        rows.push(row);
                    }
                }
                if let (Some(x), Some(y)) = (a.rmst, b.rmst) {
                    let mut row = contrast_row(
                        new("rmst_difference"),
                        Contrast::difference(x.0, x.1 * x.1, y.0, y.1 * y.1, z),
                    );
                    row.time = Some(tau);
                    rows.push(row);
                }
                for &t in &at {
                    if let (Some(x), Some(y)) = (a.cif.get(&t.to_bits()), b.cif.get(&t.to_bits())) {
                        let mut row = contrast_row(
                            new("cif_difference"),
                            Contrast::difference(x.0, x.1 * x.1, y.0, y.1 * y.1, z),
                        );
                        row.time = Some(t);
                        rows.push(row);
                    }
                }
            }
        }
        ri_comparisons.push((
            ci + 1,
            tau,
            groups.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
        ));
    }
    if let Some(ri) = &s.ri {
        randomization_inference(
            s,
            p,
            ledger,
            *ri,
            &ri_comparisons,
            &levels,
            &order,
            &mut rows,
        )?;
        if let (None, Some(a)) = (ledger, ri.algorithm) {
            // v3 (type counts) serves the per-cell sums of `estimate`; survival's statistics
            // are counted by cells of persons already (`survival::ri_cells`), and v2 draws them.
            let (drew, why) = match a {
                RiAlgorithm::V3 => (
                    RiAlgorithm::V2,
                    "; v3 was asked for, but it serves estimate's statistics only, so v2 drew",
                ),
                other => (other, ""),
            };
            notes.push(format!(
                "randomization p-values from {} draws: permutation within strata by algorithm {}, seed {}{why}",
                ri.draws,
                drew.word(),
                ri.seed
            ));
        }
    }
    notes.dedup();
    Ok(Analysis {
        rows,
        curves,
        exit_curves,
        control_arm: p.control.clone(),
        taus,
        notes,
    })
}

/// The cumulative incidence (Aalen–Johansen, as `cmprsk::cuminc`) of every exit for the
/// persons `idx` of one subgroup, per arm (control first): exit k is the event, every other
/// exit competes. Nothing without a cause.
fn exit_curves_of(p: &SurvivalData, label: &str, idx: &[usize], treated: u32) -> Vec<ExitCurve> {
    let mut out = Vec::new();
    if p.exits.is_empty() {
        return out;
    }
    for code in [0, treated] {
        let arm = if code == 0 {
            &p.control
        } else {
            &p.treated[code as usize - 1]
        };
        // `idx` is in time order already; the arm's persons keep it.
        let members: Vec<usize> = idx.iter().copied().filter(|&k| p.arm[k] == code).collect();
        let time: Vec<f64> = members.iter().map(|&k| p.time[k]).collect();
        for (c, cause) in p.exits.iter().enumerate() {
            let code = c as u8 + 1;
            let status: Vec<u8> = members
                .iter()
                .map(|&k| match p.exit[k] {
                    0 => 0,
                    e if e == code => EVENT,
                    _ => COMPETING,
                })
                .collect();
            let cif = Cif::fit(&time, &status);
            let n_risk = cif
                .time
                .iter()
                .map(|&t| (time.len() - time.partition_point(|&x| x < t)) as f64)
                .collect();
            out.push(ExitCurve {
                subgroup: label.to_string(),
                arm: arm.clone(),
                exit: cause.clone(),
                cif,
                n_risk,
                persons: members.len(),
            });
        }
    }
    out
}

/// Randomization p-values of the log-rank and RMST-difference rows of every comparison and
/// subgroup (`survival::ri`).
#[allow(clippy::too_many_arguments)]
fn randomization_inference(
    s: &Options,
    p: &SurvivalData,
    ledger: Option<&Ledger>,
    ri: Ri,
    comparisons: &[(usize, f64, Vec<String>)],
    levels: &[String],
    order: &[usize],
    rows: &mut [SurvivalRow],
) -> Result<()> {
    let mut arms = vec![p.control.clone()];
    arms.extend(p.treated.iter().cloned());
    let codes: Vec<usize> = p.arm.iter().map(|&a| a as usize).collect();
    let n = codes.len();
    let data = AnalysisData {
        treatment: Treatment {
            name: s.treatment.clone(),
            arms: arms.clone(),
            codes: p.arm.clone(),
        },
        outcomes: Vec::new(),
        covariates: Vec::new(),
        by: Vec::new(),
        strata: Some(Factor::new("strata", Vec::new(), p.stratum.clone())),
        cluster: s
            .cluster
            .as_ref()
            .map(|c| Factor::new(c.clone(), Vec::new(), p.cluster.clone())),
        weights: None,
        participation: None,
        ids: p.ids.clone(),
    };
    // Members of each subgroup as positions in time order, overall and within strata.
    let time: Vec<f64> = order.iter().map(|&i| p.time[i]).collect();
    let status: Vec<u8> = order.iter().map(|&i| p.status[i]).collect();
    let members_of = |keep: &dyn Fn(usize) -> bool| {
        let all: Vec<usize> = (0..n).filter(|&j| keep(order[j])).collect();
        let mut by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for &j in &all {
            by.entry(p.stratum[order[j]]).or_default().push(j);
        }
        Members {
            all,
            by_stratum: by.into_values().collect(),
        }
    };
    let mut members = vec![members_of(&|_| true)];
    if let Some(by) = &p.by {
        for l in 0..levels.len() {
            members.push(members_of(&|i| by[i] == l as u32));
        }
    }
    let ri_data = RiData {
        time: &time,
        status: &status,
        order,
        members,
        comparisons: comparisons.iter().map(|c| (c.0, c.1)).collect(),
    };
    let observed = ri_data.statistics(&codes);
    let simulated = match ledger {
        Some(ledger) => {
            let replay = LedgerReplay::new(ledger, &data)?;
            let draw = replay.draws(ri.seed);
            ri_data.simulate(ri.draws as usize, &draw)
        }
        None => {
            // (The caller refuses clusters without a ledger: permuting persons would break them.)
            match ri.algorithm.unwrap_or_default() {
                RiAlgorithm::V1 => {
                    // The draws of `permutation_draws`, made in place (`shuffle_v1_into`).
                    let plan = subset_plan(&data)?;
                    ri_data.simulate_permutations(ri.draws as usize, &plan, &codes, ri.seed)
                }
                // v3 is for estimate's statistics: v2 draws here (the note says so).
                RiAlgorithm::V2 | RiAlgorithm::V3 => {
                    let plan = subset_plan(&data)?;
                    ri_data.simulate_subsets(ri.draws as usize, &plan, &codes, ri.seed)
                }
            }
        }
    };
    let test = crate::estimate::ri::count(&observed, &simulated)?;
    // Statistic k: comparison c, subgroup g, (log-rank, RMST difference).
    let groups = 1 + levels.len();
    for (c, (_, _, labels)) in comparisons.iter().enumerate() {
        let treated = &p.treated[c];
        for (g, label) in labels.iter().enumerate().take(groups) {
            for (j, estimand) in ["logrank", "rmst_difference"].iter().enumerate() {
                let k = (c * groups + g) * 2 + j;
                if let Some(row) = rows
                    .iter_mut()
                    .find(|r| r.estimand == *estimand && r.subgroup == *label && r.arm == *treated)
                {
                    row.p_value_ri = test.p_values.get(k).copied();
                }
            }
        }
    }
    Ok(())
}
