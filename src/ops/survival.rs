//! The survival analysis of a study or of one data file (`lotta survival`, and the "Time to
//! first job" part of `lotta run`): the settings' columns read and joined by id ([`Joined`]),
//! every time and event code checked where its file, line and column are known, then for every
//! arm against control, overall, in each subgroup and between subgroups: Kaplan–Meier, log-rank,
//! RMST, the Cox hazard ratio and, with a cause, cumulative incidence and Gray's test
//! (`crate::survival`), and randomization inference when asked.

use crate::design::ledger::Ledger;
use crate::error::{Error, Result, nearest};
use crate::estimate::inference::{LedgerReplay, permutation_draws, subset_plan};
use crate::estimate::subsets::RiAlgorithm;
use crate::estimate::{AnalysisData, Factor, Treatment};
use crate::io::join::{Joined, by_requests};
use crate::io::manifest::FileHash;
use crate::io::source::{InputFile, StudyInputs};
use crate::io::table::ColumnRequest;
use crate::settings::survival::SurvivalSettings;
use crate::spec::Study;
use crate::survival::competing::{self, Cif};
use crate::survival::km::{Curve, Point};
use crate::survival::ri::{Members, RiData};
use crate::survival::rmst::{self, Contrast, Rmst};
use crate::survival::{
    CENSORED, COMPETING, EVENT, Sorted, cox, logrank, status_of, time_order, z_level,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::tidy::survival::{
    ArmCurve, ExitCurve, SurvivalRow, curves_frame, exit_curves_frame, survival_frame,
};

/// Everything `survival` computed.
#[derive(Debug, Clone)]
pub struct SurvivalResults {
    pub rows: Vec<SurvivalRow>,
    /// The curves of the first comparison, per subgroup and arm.
    pub curves: Vec<ArmCurve>,
    /// With a cause and a study: the cumulative incidence of every exit in the first
    /// comparison, per subgroup and arm (the report's stacked figure).
    pub exit_curves: Vec<ExitCurve>,
    pub control_arm: String,
    /// τ of each compared arm (survRM2's default unless given).
    pub taus: Vec<(String, f64)>,
    pub notes: Vec<String>,
    pub inputs: Vec<FileHash>,
    pub settings: SurvivalSettings,
}

/// The survival analysis of a study (files opened once in `inputs`): arms from the ledger,
/// randomization inference by re-running the study's assignment from its ledger.
pub fn study_survival(
    study: &Study,
    inputs: &StudyInputs,
    settings: &SurvivalSettings,
) -> Result<SurvivalResults> {
    let mut requests = requests(settings);
    requests.push(ColumnRequest::text("id"));
    let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
    let joined = Joined::study(inputs.files(study)?, &names, &by_requests(&requests))?;
    let ledger = match settings.ri {
        Some(_) => Some(inputs.parsed_ledger(study)?),
        None => None,
    };
    let prepared = prepare(settings, &joined, true)?;
    let mut results = analyse(settings, &prepared, ledger.as_ref(), true)?;
    results.inputs = joined.inputs().to_vec();
    Ok(results)
}

/// The survival analysis of one data file (ad hoc); randomization inference permutes the arms
/// within strata.
pub fn file_survival(input: &InputFile, settings: &SurvivalSettings) -> Result<SurvivalResults> {
    let requests = requests(settings);
    let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
    let joined = Joined::single(input, &names, &by_requests(&requests))?;
    let prepared = prepare(settings, &joined, false)?;
    let mut results = analyse(settings, &prepared, None, false)?;
    results.inputs = joined.inputs().to_vec();
    Ok(results)
}

/// The columns the settings use, each once: arm, time, event, subgroup, strata, cluster.
fn requests(s: &SurvivalSettings) -> Vec<ColumnRequest> {
    let mut requests = vec![
        ColumnRequest::text(s.treatment.value.clone()),
        ColumnRequest::optional_number(s.time.value.clone()),
        ColumnRequest::text(s.event.value.clone()),
    ];
    for c in
        s.by.iter()
            .chain(&s.cluster)
            .map(|b| &b.value)
            .chain(&s.strata.value)
    {
        requests.push(ColumnRequest::text(c.clone()));
    }
    let mut seen = BTreeSet::new();
    requests.retain(|r| seen.insert(r.name.clone()));
    requests
}

/// The persons analysed, with checked values (text borrowed from the joined files): everything
/// the analysis needs, so that only [`prepare`] reads the joined files.
struct Prepared<'a> {
    /// Index into the joined persons.
    person: Vec<usize>,
    /// Each person's id (a study's analysis: to replay the ledger's assignment).
    ids: Option<Vec<String>>,
    /// Where the time column is (for errors about τ).
    time_column: crate::error::Location,
    time: Vec<f64>,
    status: Vec<u8>,
    arm: Vec<&'a str>,
    by: Option<Vec<&'a str>>,
    stratum: Vec<u32>,
    cluster: Vec<u32>,
    control: String,
    treated: Vec<String>,
    notes: Vec<String>,
    /// With a cause: every exit's label (sorted) and each person's exit, 0 censored and k + 1
    /// the exit `exits[k]` (the stacked cumulative incidence of every exit).
    exits: Vec<String>,
    exit: Vec<u8>,
}

/// The most kinds of exit (causes) an event column may hold.
const MAX_EXITS: usize = 100;

fn codes_of(values: &[String]) -> Vec<u32> {
    let levels: BTreeMap<&str, u32> = values
        .iter()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, i as u32))
        .collect();
    values.iter().map(|v| levels[v.as_str()]).collect()
}

fn prepare<'a>(s: &SurvivalSettings, joined: &'a Joined, with_ids: bool) -> Result<Prepared<'a>> {
    let mut notes = Vec::new();
    let (tcol, ecol) = (&s.time.value, &s.event.value);
    let arm = joined.text_refs(&s.treatment.value)?;
    let time = joined.number(tcol)?;
    let event = joined.text_refs(ecol)?;
    let by =
        s.by.as_ref()
            .map(|b| joined.text_refs(&b.value))
            .transpose()?;
    let strata: Vec<Vec<&str>> = s
        .strata
        .value
        .iter()
        .map(|c| joined.text_refs(c))
        .collect::<Result<_>>()?;
    let cluster = s
        .cluster
        .as_ref()
        .map(|c| joined.text_refs(&c.value))
        .transpose()?;
    let cause = s.cause.as_ref().map(|c| c.value.trim().to_string());
    let mut prepared = Prepared {
        person: Vec::new(),
        ids: None,
        time_column: joined.location(tcol, 0).with_line(1),
        time: Vec::new(),
        status: Vec::new(),
        arm: Vec::new(),
        by: by.as_ref().map(|_| Vec::new()),
        stratum: Vec::new(),
        cluster: Vec::new(),
        control: String::new(),
        treated: Vec::new(),
        notes: Vec::new(),
        exits: Vec::new(),
        exit: Vec::new(),
    };
    let mut exit_labels: Vec<&str> = Vec::new();
    let n = joined.len();
    prepared.person.reserve(n);
    prepared.time.reserve(n);
    prepared.status.reserve(n);
    prepared.arm.reserve(n);
    if let Some(b) = &mut prepared.by {
        b.reserve(n);
    }
    let (mut strata_keys, mut cluster_keys) = (Vec::new(), Vec::new());
    let (mut missing, mut cause_seen) = (0usize, false);
    let mut codes_seen = BTreeSet::new();
    for i in 0..joined.len() {
        if arm[i].trim().is_empty() {
            continue; // a misfit the design left unassigned
        }
        let (t, e) = (time[i], event[i].trim());
        if t.is_nan() || e.is_empty() || e.eq_ignore_ascii_case("NA") {
            missing += 1;
            continue;
        }
        if t < 0.0 {
            return Err(Error::data(
                joined.location(tcol, i),
                format!("negative time {t}; times are counted from randomization and are ≥ 0"),
            )
            .with_hint("check the dates the time was computed from"));
        }
        let Some(status) = status_of(e, cause.as_deref()) else {
            return Err(Error::data(
                joined.location(ecol, i),
                format!("event code `{e}` is neither 0 (censored) nor 1 (event)"),
            )
            .with_hint(
                "with several kinds of exit (work, studies, moved), name the one of \
                 interest with --cause LEVEL (`[survival] cause`); the others compete",
            ));
        };
        if cause.is_some() && status != CENSORED {
            if !codes_seen.contains(e) {
                codes_seen.insert(e.to_string());
            }
            cause_seen |= status == EVENT;
        }
        for (c, name) in strata.iter().zip(&s.strata.value) {
            if c[i].trim().is_empty() {
                return Err(Error::data(
                    joined.location(name, i),
                    "missing stratum; every person needs one",
                ));
            }
        }
        if !strata.is_empty() {
            strata_keys.push(
                strata
                    .iter()
                    .map(|c| c[i].trim())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
        if let (Some(cl), Some(name)) = (&cluster, &s.cluster) {
            if cl[i].trim().is_empty() {
                return Err(Error::data(
                    joined.location(&name.value, i),
                    "missing cluster; every person needs one",
                ));
            }
            cluster_keys.push(cl[i].trim().to_string());
        }
        if cause.is_some() {
            exit_labels.push(if status == 0 { "" } else { e });
        }
        prepared.person.push(i);
        prepared.time.push(t);
        prepared.status.push(status);
        // Borrowed, not copied (a million persons: a million strings).
        prepared.arm.push(arm[i].trim());
        if let (Some(out), Some(b)) = (&mut prepared.by, &by) {
            out.push(b[i].trim());
        }
    }
    if let Some(c) = &cause
        && !cause_seen
    {
        let found: Vec<&str> = codes_seen.iter().map(String::as_str).collect();
        let mut err = Error::data(
            joined.location(ecol, 0).with_line(1),
            format!(
                "the cause `{c}` never occurs in `{ecol}`; the exits found are {}",
                if found.is_empty() {
                    "none".to_string()
                } else {
                    found.join(", ")
                }
            ),
        );
        if let Some(n) = nearest(c, found.iter().copied()) {
            err = err.with_hint(format!("did you mean `{n}`?"));
        }
        return Err(err);
    }
    if cause.is_some() {
        if codes_seen.len() > MAX_EXITS {
            return Err(Error::data(
                joined.location(ecol, 0).with_line(1),
                format!(
                    "{} different exit codes in `{ecol}`; at most {MAX_EXITS} kinds of exit \
                     are analysed",
                    codes_seen.len()
                ),
            )
            .with_hint("is this the event column? It holds 0 (censored) or the kind of exit"));
        }
        prepared.exits = codes_seen.iter().cloned().collect();
        prepared.exit = exit_labels
            .iter()
            .map(|l| {
                prepared
                    .exits
                    .iter()
                    .position(|x| x == l)
                    .map_or(0, |k| k as u8 + 1)
            })
            .collect();
    }
    if missing > 0 {
        notes.push(format!(
            "{missing} persons without a time or an event code in `{tcol}` / `{ecol}` are left out"
        ));
    }
    prepared.stratum = if strata.is_empty() {
        vec![0; prepared.person.len()]
    } else {
        codes_of(&strata_keys)
    };
    prepared.cluster = if cluster.is_some() {
        codes_of(&cluster_keys)
    } else {
        vec![0; prepared.person.len()]
    };
    // The arms: the control, and every other arm compared with it.
    let levels: BTreeSet<&str> = prepared.arm.iter().copied().collect();
    let tloc = || joined.location(&s.treatment.value, 0).with_line(1);
    let (control, treated) =
        crate::ops::arms::control_and_compared(&levels, s.control.as_ref(), tloc)?;
    // An arm without a single event: the curve is flat and the hazard ratio 0 or infinite,
    // almost always a coding error.
    for a in std::iter::once(&control).chain(&treated) {
        let rows: Vec<usize> = (0..prepared.arm.len())
            .filter(|&k| prepared.arm[k] == *a)
            .collect();
        if rows.iter().all(|&k| prepared.status[k] != EVENT) {
            let first = prepared.person[rows[0]];
            return Err(Error::data(
                joined.location(ecol, first),
                format!(
                    "no person in arm `{a}` has an event{} ({} persons, all censored): its \
                     Kaplan–Meier curve is flat and the hazard ratio is 0 or infinite",
                    cause.as_ref().map_or(String::new(), |c| format!(" of cause `{c}`")),
                    rows.len()
                ),
            )
            .with_hint("check the event codes: 0 = censored, 1 = event (this line is the arm's first person)"));
        }
    }
    prepared.control = control;
    prepared.treated = treated;
    prepared.notes = notes;
    if with_ids {
        let ids = joined.text("id")?;
        prepared.ids = Some(prepared.person.iter().map(|&i| ids[i].clone()).collect());
    }
    Ok(prepared)
}

/// The methods column of each estimand.
struct Methods {
    logrank: String,
    cox: String,
    gray: String,
}

fn methods(s: &SurvivalSettings) -> Methods {
    let strata = if s.strata.value.is_empty() {
        String::new()
    } else {
        format!(", stratified by {}", s.strata.value.join("×"))
    };
    let se = match &s.cluster {
        Some(c) => format!("cluster-robust SE by {}", c.value),
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
    s: &SurvivalSettings,
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
    let outcome = s.outcome();
    let z = z_level(s.level);
    let (control, treated) = arms;
    let new = |estimand: &str, arm: &str, method: &str| {
        SurvivalRow::new(&outcome, label, estimand, arm, method)
    };
    let mut result = GroupResult::default();
    let mut points: [Vec<Option<Point>>; 2] = Default::default();
    let mut rmsts: [Option<Rmst>; 2] = [None, None];
    let mut fits: [(Vec<f64>, Vec<u8>); 2] = Default::default();
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
    }
    if let Some(c) = curves {
        for g in 0..2u8 {
            let (t, st) = &fits[usize::from(g)];
            c.push(ArmCurve {
                subgroup: label.to_string(),
                arm: (if g == 0 { control } else { treated }).to_string(),
                curve: Curve::fit(t, st),
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
    if s.cause.is_some() {
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

/// The analysis of the prepared persons (no file is read here; `inputs` is left for the caller).
fn analyse(
    s: &SurvivalSettings,
    p: &Prepared,
    ledger: Option<&Ledger>,
    study: bool,
) -> Result<SurvivalResults> {
    let mut notes = p.notes.clone();
    let m = methods(s);
    let z = z_level(s.level);
    let by_name = s.by.as_ref().map(|b| b.value.clone());
    let levels: Vec<String> =
        p.by.as_ref()
            .map(|b| {
                b.iter()
                    .filter(|v| !v.is_empty())
                    .copied()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let mut exit_curves = Vec::new();
    let mut taus = Vec::new();
    let mut ri_comparisons = Vec::new();
    for (ci, treated) in p.treated.iter().enumerate() {
        // The groups of this comparison: all, then each level.
        let in_pair: Vec<usize> = (0..p.arm.len())
            .filter(|&k| p.arm[k] == p.control || p.arm[k] == *treated)
            .collect();
        let mut groups: Vec<(String, Vec<usize>)> = vec![("all".to_string(), in_pair.clone())];
        if let (Some(name), Some(by)) = (&by_name, &p.by) {
            for l in &levels {
                let members: Vec<usize> =
                    in_pair.iter().copied().filter(|&k| by[k] == *l).collect();
                groups.push((format!("{name}={l}"), members));
            }
        }
        // Each group sorted on its own thread (rayon; collected in group order).
        let prepared_groups: Vec<(Option<Sorted>, Option<String>)> = groups
            .par_iter()
            .map(|(label, idx)| {
                let g: Vec<u8> = idx
                    .iter()
                    .map(|&k| u8::from(p.arm[k] == *treated))
                    .collect();
                if !g.contains(&0) || !g.contains(&1) {
                    let note = format!(
                        "{label}: an arm of {treated} vs {} has nobody; the subgroup is left out",
                        p.control
                    );
                    return Ok((None, Some(note)));
                }
                let t: Vec<f64> = idx.iter().map(|&k| p.time[k]).collect();
                let st: Vec<u8> = idx.iter().map(|&k| p.status[k]).collect();
                let sr: Vec<u32> = idx.iter().map(|&k| p.stratum[k]).collect();
                let cl: Vec<u32> = idx.iter().map(|&k| p.cluster[k]).collect();
                Ok((Some(Sorted::new(&t, &st, &g, Some(&sr), Some(&cl))?), None))
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
                let (t, st) = data.group_of(g);
                if let Some(last) = rmst::last_observation(&t, &st) {
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
        let at: Vec<f64> = if s.at.value.is_empty() {
            vec![tau]
        } else {
            s.at.value.clone()
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
                if ci == 0 && study {
                    out.exit_curves = exit_curves_of(p, label, idx, treated);
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
                let outcome = s.outcome();
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
        randomization_inference(s, p, ledger, ri.value, &ri_comparisons, &levels, &mut rows)?;
        if let (None, Some(a)) = (ledger, ri.value.algorithm) {
            notes.push(format!(
                "randomization p-values from {} draws: permutation within strata by algorithm {}, seed {}",
                ri.value.draws,
                a.word(),
                ri.value.seed
            ));
        }
    }
    notes.dedup();
    Ok(SurvivalResults {
        rows,
        curves,
        exit_curves,
        control_arm: p.control.clone(),
        taus,
        notes,
        inputs: Vec::new(),
        settings: s.clone(),
    })
}

/// The cumulative incidence (Aalen–Johansen, as `cmprsk::cuminc`) of every exit for the
/// persons `idx` of one subgroup, per arm (control first): exit k is the event, every other
/// exit competes. Nothing without a cause.
fn exit_curves_of(p: &Prepared, label: &str, idx: &[usize], treated: &str) -> Vec<ExitCurve> {
    let mut out = Vec::new();
    if p.exits.is_empty() {
        return out;
    }
    for arm in [&p.control, &treated.to_string()] {
        let members: Vec<usize> = idx.iter().copied().filter(|&k| p.arm[k] == *arm).collect();
        let members: Vec<usize> =
            time_order(&members.iter().map(|&k| p.time[k]).collect::<Vec<_>>())
                .into_iter()
                .map(|j| members[j])
                .collect();
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
    s: &SurvivalSettings,
    p: &Prepared,
    ledger: Option<&Ledger>,
    ri: crate::settings::analysis::RiSettings,
    comparisons: &[(usize, f64, Vec<String>)],
    levels: &[String],
    rows: &mut [SurvivalRow],
) -> Result<()> {
    let mut arms = vec![p.control.clone()];
    arms.extend(p.treated.iter().cloned());
    let codes: Vec<usize> = p
        .arm
        .iter()
        .map(|a| arms.iter().position(|x| x == a).unwrap_or(usize::MAX))
        .collect();
    let n = codes.len();
    let data = AnalysisData {
        treatment: Treatment {
            name: s.treatment.value.clone(),
            arms: arms.clone(),
            codes: codes.clone(),
        },
        outcomes: Vec::new(),
        covariates: Vec::new(),
        by: Vec::new(),
        strata: Some(Factor::new(
            "strata",
            Vec::new(),
            p.stratum.iter().map(|&c| c as usize).collect(),
        )),
        cluster: s.cluster.as_ref().map(|c| {
            Factor::new(
                c.value.clone(),
                Vec::new(),
                p.cluster.iter().map(|&c| c as usize).collect(),
            )
        }),
        weights: None,
        participation: None,
        ids: p.ids.clone(),
    };
    // Members of each subgroup as positions in time order, overall and within strata.
    let order = time_order(&p.time);
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
        for l in levels {
            members.push(members_of(&|i| by[i] == *l));
        }
    }
    let ri_data = RiData {
        time: &time,
        status: &status,
        order: &order,
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
            let with_clusters = |e: Error| match &s.cluster {
                Some(c) => c.error(
                    "randomization inference with clusters needs the study's ledger, whose \
                     design re-draws whole clusters; run `lotta survival` with the study",
                ),
                None => e,
            };
            match ri.algorithm.unwrap_or_default() {
                RiAlgorithm::V1 => {
                    let draw = permutation_draws(&data, ri.seed).map_err(with_clusters)?;
                    ri_data.simulate(ri.draws as usize, &draw)
                }
                RiAlgorithm::V2 => {
                    let plan = subset_plan(&data).map_err(with_clusters)?;
                    ri_data.simulate_subsets(ri.draws as usize, &plan, ri.seed)
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
