//! The persons of a survival analysis read from the joined columns (`io::join`) into the
//! core's checked [`SurvivalData`]: every time and event code checked where its file, line and
//! column are known, and the text columns coded as they are read. The analysis itself is
//! `survival::analysis` (called by `ops::survival`), which never sees a file.

use crate::categorical::{Coder, Codes};
use crate::error::{Error, Result, nearest};
use crate::io::join::{Joined, StudyFiles};
use crate::io::table::ColumnRequest;
use crate::settings::survival::SurvivalSettings;
use crate::survival::analysis::{NO_SUBGROUP, SurvivalData};
use crate::survival::{CENSORED, EVENT, status_of};
use std::collections::BTreeSet;

/// The columns the settings use, each once: arm, time, event, subgroup, strata, cluster; and
/// for a study (`with_id`) the person id, to replay the ledger's assignment.
pub fn columns(s: &SurvivalSettings, with_id: bool) -> Vec<ColumnRequest> {
    let mut requests = vec![
        ColumnRequest::category(s.treatment.value.clone()),
        ColumnRequest::optional_number(s.time.value.clone()),
        ColumnRequest::category(s.event.value.clone()),
    ];
    for c in
        s.by.iter()
            .chain(&s.cluster)
            .map(|b| &b.value)
            .chain(&s.strata.value)
    {
        requests.push(ColumnRequest::category(c.clone()));
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

/// The rank of each first-seen level in byte order: first-seen codes to sorted codes (the
/// strata's and clusters' codes are sorted so, as they always were: the stratified sums and the
/// randomization draws run over them in this order).
fn sorted_ranks<K: Ord>(levels: &[K]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| levels[a].cmp(&levels[b]));
    let mut rank = vec![0u32; levels.len()];
    for (r, &l) in order.iter().enumerate() {
        rank[l] = r as u32;
    }
    rank
}

/// What an event code says, worked out once per distinct code.
#[derive(Debug, Clone, Copy)]
enum EventCode {
    /// Empty or `NA`: the person is left out.
    Missing,
    Status(u8),
    /// Neither 0 nor 1, and no cause named.
    Unknown,
}

fn event_code(code: &str, cause: Option<&str>) -> EventCode {
    if code.is_empty() || code.eq_ignore_ascii_case("NA") {
        return EventCode::Missing;
    }
    status_of(code, cause).map_or(EventCode::Unknown, EventCode::Status)
}

/// Check every analysed person's time and event code where its file, line and column are known,
/// and code the text columns (arm, subgroup, strata, clusters, exits) as they are read: no
/// vector of a million strings (or of a million borrowed ones) is made.
pub fn survival_data(
    s: &SurvivalSettings,
    joined: &Joined,
    with_ids: bool,
) -> Result<SurvivalData> {
    let mut notes = Vec::new();
    let (tcol, ecol) = (&s.time.value, &s.event.value);
    let arm = joined.text_column(&s.treatment.value)?;
    let time = joined.number_column(tcol)?;
    let event = joined.text_column(ecol)?;
    let by =
        s.by.as_ref()
            .map(|b| joined.text_column(&b.value))
            .transpose()?;
    let strata: Vec<_> = s
        .strata
        .value
        .iter()
        .map(|c| joined.text_column(c))
        .collect::<Result<_>>()?;
    let cluster = s
        .cluster
        .as_ref()
        .map(|c| joined.text_column(&c.value))
        .transpose()?;
    let cause = s.cause.as_ref().map(|c| c.value.trim().to_string());
    let n = joined.len();
    // Each analysed person's index into the joined persons (ids and error locations).
    let mut person: Vec<usize> = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut arm_codes: Vec<u32> = Vec::with_capacity(n);
    let mut by_codes: Option<Vec<u32>> = by.as_ref().map(|_| Vec::with_capacity(n));
    let mut stratum_codes: Vec<u32> = Vec::new();
    let mut cluster_codes: Vec<u32> = Vec::new();
    let mut event_codes: Vec<u32> = Vec::new();
    let (mut arms, mut subgroups, mut clusters, mut events) = (
        Coder::<&str>::new(),
        Coder::<&str>::new(),
        Coder::<&str>::new(),
        Coder::<&str>::new(),
    );
    let mut stratum_keys: Coder<String> = Coder::new();
    let mut stratum_key = String::new();
    let mut event_kinds: Vec<EventCode> = Vec::new();
    let mut missing = 0usize;
    for i in 0..n {
        let a = arm.get(i);
        if a.is_empty() {
            continue; // a misfit the design left unassigned
        }
        let (t, e) = (time.number(i), event.get(i));
        let code = events.code(e);
        if code == event_kinds.len() {
            event_kinds.push(event_code(e, cause.as_deref()));
        }
        let kind = event_kinds[code];
        if t.is_nan() || matches!(kind, EventCode::Missing) {
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
        let EventCode::Status(st) = kind else {
            return Err(Error::data(
                joined.location(ecol, i),
                format!("event code `{e}` is neither 0 (censored) nor 1 (event)"),
            )
            .with_hint(
                "with several kinds of exit (work, studies, moved), name the one of \
                 interest with --cause LEVEL (`[survival] cause`); the others compete",
            ));
        };
        for (c, name) in strata.iter().zip(&s.strata.value) {
            if c.get(i).is_empty() {
                return Err(Error::data(
                    joined.location(name, i),
                    "missing stratum; every person needs one",
                ));
            }
        }
        if !strata.is_empty() {
            stratum_key.clear();
            for (k, c) in strata.iter().enumerate() {
                if k > 0 {
                    stratum_key.push('|');
                }
                stratum_key.push_str(c.get(i));
            }
            stratum_codes.push(stratum_keys.code_ref(stratum_key.as_str()) as u32);
        }
        if let (Some(cl), Some(name)) = (&cluster, &s.cluster) {
            let c = cl.get(i);
            if c.is_empty() {
                return Err(Error::data(
                    joined.location(&name.value, i),
                    "missing cluster; every person needs one",
                ));
            }
            cluster_codes.push(clusters.code(c) as u32);
        }
        if cause.is_some() {
            event_codes.push(code as u32);
        }
        person.push(i);
        times.push(t);
        status.push(st);
        arm_codes.push(arms.code(a) as u32);
        if let (Some(out), Some(b)) = (&mut by_codes, &by) {
            let v = b.get(i);
            out.push(if v.is_empty() {
                NO_SUBGROUP
            } else {
                subgroups.code(v) as u32
            });
        }
    }
    // The exits of a competing-risks analysis: every code seen on an analysed person that is
    // not censoring, sorted.
    let mut exit_levels: Vec<(&str, usize)> = Vec::new();
    let mut counted = vec![false; event_kinds.len()];
    for &c in &event_codes {
        counted[c as usize] = true;
    }
    for (c, level) in events.levels().iter().enumerate() {
        if counted[c] && matches!(event_kinds[c], EventCode::Status(st) if st != CENSORED) {
            exit_levels.push((level, c));
        }
    }
    exit_levels.sort_unstable();
    if let Some(c) = &cause {
        let cause_seen = exit_levels
            .iter()
            .any(|&(_, k)| matches!(event_kinds[k], EventCode::Status(EVENT)));
        if !cause_seen {
            let found: Vec<&str> = exit_levels.iter().map(|&(l, _)| l).collect();
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
        if exit_levels.len() > MAX_EXITS {
            return Err(Error::data(
                joined.location(ecol, 0).with_line(1),
                format!(
                    "{} different exit codes in `{ecol}`; at most {MAX_EXITS} kinds of exit \
                     are analysed",
                    exit_levels.len()
                ),
            )
            .with_hint("is this the event column? It holds 0 (censored) or the kind of exit"));
        }
    }
    if missing > 0 {
        notes.push(format!(
            "{missing} persons without a time or an event code in `{tcol}` / `{ecol}` are left out"
        ));
    }
    // The arms: the control, and every other arm compared with it.
    let levels: BTreeSet<&str> = arms.levels().iter().copied().collect();
    let tloc = || joined.location(&s.treatment.value, 0).with_line(1);
    let (control, treated) =
        crate::ops::arms::control_and_compared(&levels, s.control.as_ref(), tloc)?;
    let arm_of: Vec<u32> = arms
        .levels()
        .iter()
        .map(|a| {
            treated
                .iter()
                .position(|t| t == a)
                .map_or(0, |k| k as u32 + 1)
        })
        .collect();
    // An arm without a single event: the curve is flat and the hazard ratio 0 or infinite,
    // almost always a coding error.
    let mut first = vec![usize::MAX; arm_of.len()];
    let mut events_in = vec![0usize; arm_of.len()];
    let mut persons_in = vec![0usize; arm_of.len()];
    for (k, &c) in arm_codes.iter().enumerate() {
        let c = c as usize;
        if first[c] == usize::MAX {
            first[c] = k;
        }
        persons_in[c] += 1;
        events_in[c] += usize::from(status[k] == EVENT);
    }
    for a in std::iter::once(&control).chain(&treated) {
        let Some(c) = arms.levels().iter().position(|l| l == a) else {
            continue;
        };
        if events_in[c] == 0 {
            return Err(Error::data(
                joined.location(ecol, person[first[c]]),
                format!(
                    "no person in arm `{a}` has an event{} ({} persons, all censored): its \
                     Kaplan–Meier curve is flat and the hazard ratio is 0 or infinite",
                    cause.as_ref().map_or(String::new(), |c| format!(" of cause `{c}`")),
                    persons_in[c]
                ),
            )
            .with_hint("check the event codes: 0 = censored, 1 = event (this line is the arm's first person)"));
        }
    }
    for c in &mut arm_codes {
        *c = arm_of[*c as usize];
    }
    // Subgroups in level order (numbers as numbers), as every other table lists them.
    let by_sorted = Codes {
        codes: (0..subgroups.levels().len()).collect(),
        levels: subgroups.levels().to_vec(),
    }
    .into_level_order();
    let mut by_rank = vec![0u32; by_sorted.levels.len()];
    for (first_seen, &rank) in by_sorted.codes.iter().enumerate() {
        by_rank[first_seen] = rank as u32;
    }
    if let Some(codes) = &mut by_codes {
        for c in codes.iter_mut().filter(|c| **c != NO_SUBGROUP) {
            *c = by_rank[*c as usize];
        }
    }
    let remap = |codes: &mut Vec<u32>, rank: &[u32]| {
        if codes.is_empty() {
            *codes = vec![0; person.len()];
        }
        for c in codes.iter_mut() {
            *c = rank.get(*c as usize).copied().unwrap_or(0);
        }
    };
    remap(&mut stratum_codes, &sorted_ranks(stratum_keys.levels()));
    remap(&mut cluster_codes, &sorted_ranks(clusters.levels()));
    let exits: Vec<String> = if cause.is_some() {
        exit_levels.iter().map(|&(l, _)| l.to_string()).collect()
    } else {
        Vec::new()
    };
    let mut exit_of = vec![0u8; event_kinds.len()];
    for (k, &(_, c)) in exit_levels.iter().enumerate() {
        exit_of[c] = k as u8 + 1;
    }
    let exit: Vec<u8> = event_codes.iter().map(|&c| exit_of[c as usize]).collect();
    let ids = if with_ids {
        let ids = joined.text_column("id")?;
        Some(person.iter().map(|&i| ids.get(i).to_string()).collect())
    } else {
        None
    };
    Ok(SurvivalData {
        ids,
        time_column: joined.location(tcol, 0).with_line(1),
        time: times,
        status,
        arm: arm_codes,
        by: by_codes,
        by_levels: by_sorted.levels.iter().map(|l| l.to_string()).collect(),
        stratum: stratum_codes,
        cluster: cluster_codes,
        control,
        treated,
        notes,
        exits,
        exit,
    })
}

/// A study's persons: the columns of [`columns`] (with the person id) joined by id once, then
/// checked and coded ([`survival_data`]).
pub fn of_study(files: StudyFiles<'_>, s: &SurvivalSettings) -> Result<SurvivalData> {
    survival_data(s, &Joined::study_columns(files, &columns(s, true))?, true)
}
