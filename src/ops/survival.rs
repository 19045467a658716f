//! The survival analysis of a study or of one data file (`lotta survival`, and the "Time to
//! first job" part of `lotta run`) on the columns the caller read and joined by id once
//! ([`columns`], `Joined::study_columns` / `Joined::file_columns`; this module opens no file):
//! every time and event code checked where its file, line and column are known ([`prepare`]),
//! then the pure analysis (`crate::survival::analysis`) on the checked persons.

use crate::design::ledger::Ledger;
use crate::error::{Error, Result, nearest};
use crate::io::join::Joined;
use crate::io::manifest::FileHash;
use crate::io::table::ColumnRequest;
use crate::settings::survival::SurvivalSettings;
use crate::survival::analysis::{self, Analysis, Options, Ri, SurvivalData, Tau};
use crate::survival::{CENSORED, EVENT, status_of};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::tidy::survival::{
    ArmCurve, ExitCurve, SurvivalRow, curves_frame, exit_curves_frame, survival_frame,
};

/// Everything `survival` computed (the core's [`Analysis`]), with the inputs and settings it
/// was computed from.
#[derive(Debug, Clone)]
pub struct SurvivalResults {
    pub analysis: Analysis,
    pub inputs: Vec<FileHash>,
    pub settings: SurvivalSettings,
}

impl SurvivalResults {
    fn new(analysis: Analysis, joined: &Joined, settings: &SurvivalSettings) -> SurvivalResults {
        SurvivalResults {
            analysis,
            inputs: joined.inputs().to_vec(),
            settings: settings.clone(),
        }
    }
}

/// The survival analysis of a study, on the columns of [`columns`] joined by id (with the
/// person id): arms from the ledger, randomization inference by re-running the study's
/// assignment from its `ledger` (needed when the settings ask for it).
pub fn study_survival(
    joined: &Joined,
    ledger: Option<&Ledger>,
    settings: &SurvivalSettings,
) -> Result<SurvivalResults> {
    let data = prepare(settings, joined, true)?;
    let analysis = analysis::analyse(&options(settings, true), &data, ledger)?;
    Ok(SurvivalResults::new(analysis, joined, settings))
}

/// The survival analysis of one data file's columns of [`columns`] (ad hoc); randomization
/// inference permutes the arms within strata (with clusters the settings already refused it).
pub fn file_survival(joined: &Joined, settings: &SurvivalSettings) -> Result<SurvivalResults> {
    let data = prepare(settings, joined, false)?;
    let analysis = analysis::analyse(&options(settings, false), &data, None)?;
    Ok(SurvivalResults::new(analysis, joined, settings))
}

/// The analysis's options from the resolved settings (`exit_curves`: a study's report draws
/// every exit's cumulative incidence).
fn options(s: &SurvivalSettings, exit_curves: bool) -> Options {
    Options {
        outcome: s.outcome(),
        treatment: s.treatment.value.clone(),
        by: s.by.as_ref().map(|b| b.value.clone()),
        strata: s.strata.value.clone(),
        cluster: s.cluster.as_ref().map(|c| c.value.clone()),
        competing: s.cause.is_some(),
        tau: s.tau.as_ref().map(|t| Tau {
            value: t.value,
            origin: t.origin.to_string(),
        }),
        at: s.at.value.clone(),
        ri: s.ri.as_ref().map(|r| Ri {
            draws: r.value.draws,
            seed: r.value.seed,
            algorithm: r.value.algorithm,
        }),
        level: s.level,
        exit_curves,
    }
}

/// The columns the settings use, each once: arm, time, event, subgroup, strata, cluster; and
/// for a study (`with_id`) the person id, to replay the ledger's assignment.
pub fn columns(s: &SurvivalSettings, with_id: bool) -> Vec<ColumnRequest> {
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
    if with_id {
        requests.push(ColumnRequest::text("id"));
    }
    let mut seen = BTreeSet::new();
    requests.retain(|r| seen.insert(r.name.clone()));
    requests
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

fn prepare<'a>(
    s: &SurvivalSettings,
    joined: &'a Joined,
    with_ids: bool,
) -> Result<SurvivalData<'a>> {
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
    let mut prepared = SurvivalData {
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
    // Each analysed person's index into the joined persons (ids and error locations).
    let mut person: Vec<usize> = Vec::with_capacity(n);
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
        person.push(i);
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
        vec![0; person.len()]
    } else {
        codes_of(&strata_keys)
    };
    prepared.cluster = if cluster.is_some() {
        codes_of(&cluster_keys)
    } else {
        vec![0; person.len()]
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
            let first = person[rows[0]];
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
        prepared.ids = Some(person.iter().map(|&i| ids[i].clone()).collect());
    }
    Ok(prepared)
}
