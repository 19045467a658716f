//! The cost-effectiveness analysis of a study or of one data file (`lotta cost`, and the cost
//! part of `lotta run`): the settings' columns read and joined by id ([`Joined`]), the two arms
//! chosen, every value a person needs checked where its file and line are known, persons without
//! the outcome left out (with a note), then [`cea::analyse`] for all and for each subgroup.

use crate::cea::{self, CostModel, CostOptions, Offset, Sample};
use crate::error::{Error, Result, nearest};
use crate::io::join::Joined;
use crate::io::manifest::spec_hash;
use crate::io::source::{InputFile, StudyInputs};
use crate::io::table::ColumnRequest;
use crate::settings::Origin;
use crate::settings::cost::{CostSettings, CostSource};
use crate::spec::Study;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cea::months::{CostPerMonth, cost_per_month};
use crate::settings::survival::SurvivalSettings;
use crate::survival::status_of;
pub use crate::tidy::cost::{CostResults, GroupResult, MonthResults};

/// The cost-effectiveness of a study, whose files are opened once in `inputs`: arms from the
/// ledger, columns from the first of the ledger, participants, outcome and cost files that has
/// them. With no stratum columns in the settings, the bootstrap resamples within the ledger's
/// strata (when the ledger has a `stratum` column).
pub fn study_costs(
    study: &Study,
    inputs: &StudyInputs,
    settings: &CostSettings,
    progress: &dyn crate::progress::Progress,
) -> Result<CostResults> {
    study_cost_analysis(study, inputs, settings, None, progress).map(|(results, _)| results)
}

/// The time to the first job of the survival settings and τ of each compared arm (the survival
/// analysis's `taus`), for the cost per additional month with a job.
pub struct MonthsOf<'a> {
    pub survival: &'a SurvivalSettings,
    pub taus: &'a [(String, f64)],
}

/// The whole cost analysis of a study from one join of its files: the columns of the costs, the
/// valued outcome and, with `months`, the survival time and event are requested together
/// ([`requests`] and [`month_requests`]) and joined once (`Joined::study`), and the
/// cost-effectiveness ([`study_costs`]) and the cost per additional month with a job at the τ of
/// the compared arm ([`cost_per_month_of`]) are both derived from that one `Joined`, so
/// `lotta run` and `lotta cost` read the same persons and get the same numbers.
pub fn study_cost_analysis(
    study: &Study,
    inputs: &StudyInputs,
    settings: &CostSettings,
    months: Option<MonthsOf>,
    progress: &dyn crate::progress::Progress,
) -> Result<(CostResults, Option<MonthResults>)> {
    let mut with_strata = settings.clone();
    if settings.ledger_strata
        && let Some(ledger) = &inputs.ledger
        && ledger.headers()?.iter().any(|h| h == "stratum")
    {
        with_strata.strata = vec!["stratum".to_string()];
    }
    let mut requests = requests(&with_strata, None);
    if let Some(m) = &months {
        requests.extend(month_requests(settings, m.survival));
        let mut seen = BTreeSet::new();
        requests.retain(|r| seen.insert(r.name.clone()));
    }
    let joined = Joined::study_columns(inputs.files(study)?, &requests)?;
    let mut results = analyse(with_strata, &joined, progress)?;
    results.inputs.insert(0, spec_hash(study));
    let month_results = match months {
        Some(m) => match m.taus.iter().find(|(arm, _)| *arm == results.treated_arm) {
            Some(&(_, tau)) => Some(cost_per_month_of(settings, m.survival, tau, &joined)?),
            None => None,
        },
        None => None,
    };
    Ok((results, month_results))
}

/// The cost-effectiveness in one data file (ad hoc, `--data`). With `id`, each person's id must
/// be present and unique.
pub fn file_costs(
    path: &Path,
    format: crate::io::table::CsvFormat,
    id: Option<&str>,
    settings: &CostSettings,
    progress: &dyn crate::progress::Progress,
) -> Result<CostResults> {
    let input = InputFile::open_as(path, format)?;
    let requests = requests(settings, id);
    let joined = Joined::file_columns(&input, &requests)?;
    if let Some(id) = id {
        joined.check_unique_ids(id)?;
    }
    analyse(settings.clone(), &joined, progress)
}

/// The columns the settings use (each once, in a fixed order): arm, outcome, cost,
/// participation, offsets, strata, cluster, subgroup, id.
fn requests(s: &CostSettings, id: Option<&str>) -> Vec<ColumnRequest> {
    let mut requests = vec![
        ColumnRequest::text(s.treatment.clone()),
        ColumnRequest::optional_number(s.outcome.clone()),
    ];
    if let CostSource::Column(c) = &s.cost {
        requests.push(ColumnRequest::optional_number(c.clone()));
    }
    if let Some(p) = &s.participation {
        requests.push(ColumnRequest::optional_number(p.clone()));
    }
    for offset in &s.offsets {
        requests.push(ColumnRequest::optional_number(offset.column.clone()));
    }
    for c in s
        .strata
        .iter()
        .chain(&s.cluster)
        .chain(s.by.as_ref().map(|b| &b.value))
    {
        requests.push(ColumnRequest::text(c.clone()));
    }
    if let Some(id) = id {
        requests.push(ColumnRequest::text(id));
    }
    requests.extend(super::benefit::requests(s));
    let mut seen = BTreeSet::new();
    requests.retain(|r| seen.insert(r.name.clone()));
    requests
}

/// Prepare the sample and analyse every group.
fn analyse(
    settings: CostSettings,
    joined: &Joined,
    progress: &dyn crate::progress::Progress,
) -> Result<CostResults> {
    let prepared = prepare(&settings, joined)?;
    let groups = analyse_groups(&prepared, &settings, progress)?;
    let subgroups = match (&settings.by, &prepared.groups) {
        (Some(by), Some(g)) => subgroup_rows(&by.value, g),
        _ => Vec::new(),
    };
    let (benefit, benefit_notes) = super::benefit::cost_benefit(
        &settings,
        joined,
        &prepared.sample,
        &prepared.keep,
        &subgroups,
        progress,
    )?;
    let tracks =
        super::benefit::track_comparisons(&settings, joined, &prepared.sample, &prepared.keep)?;
    let mut prepared = prepared;
    prepared.notes.extend(benefit_notes);
    Ok(CostResults {
        benefit,
        tracks,
        treated_arm: prepared.treated_arm,
        control_arm: prepared.control_arm,
        groups,
        notes: prepared.notes,
        inputs: joined.inputs().to_vec(),
        settings,
    })
}

/// Everything read and checked, ready for `cea::analyse`.
struct Prepared {
    sample: Sample,
    /// The joined person of each person in the sample.
    keep: Vec<usize>,
    /// Subgroup label of each person in the sample (when --by).
    groups: Option<Vec<String>>,
    treated_arm: String,
    control_arm: String,
    /// Warnings for the user.
    notes: Vec<String>,
}

/// Read the settings' columns from `joined`, choose the two arms, check every value a person in
/// them needs (costs, participation, offsets), and keep the persons with an observed outcome.
fn prepare(s: &CostSettings, joined: &Joined) -> Result<Prepared> {
    let mut notes = Vec::new();
    let arm = joined.text(&s.treatment)?;
    let levels: BTreeSet<&str> = arm.iter().map(String::as_str).collect();
    let tloc = || joined.location(&s.treatment, 0).with_line(1);
    let control = match &s.control {
        Some(c) => {
            if !levels.contains(c.as_str()) {
                let mut e = Error::data(
                    tloc(),
                    format!(
                        "no person is in the control arm `{c}`; the arms are {}",
                        levels.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                );
                if let Some(n) = nearest(c, levels.iter().copied()) {
                    e = e.with_hint(format!("did you mean `{n}`?"));
                }
                return Err(e);
            }
            c.clone()
        }
        None if levels.contains("0") => "0".to_string(),
        None => {
            return Err(Origin::flag("--control").error(format!(
                "say which arm is the comparison with --control ARM (arms: {})",
                levels.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let others: Vec<&str> = levels
        .iter()
        .copied()
        .filter(|l| *l != control && !l.is_empty())
        .collect();
    let treated = match (&s.treated, others.as_slice()) {
        (Some(t), _) if others.contains(&t.as_str()) => t.clone(),
        (Some(t), _) => {
            return Err(Error::data(
                tloc(),
                format!("no person is in the arm `{t}`; arms: {}", others.join(", ")),
            ));
        }
        (None, [one]) => one.to_string(),
        (None, []) => {
            return Err(Error::data(
                tloc(),
                format!("every person is in `{control}`; no programme arm"),
            ));
        }
        (None, _) => {
            return Err(Origin::flag("--treated").error(format!(
                "there are several programme arms ({}); choose one with --treated ARM",
                others.join(", ")
            )));
        }
    };
    let outcome = joined.number(&s.outcome)?;
    let participation = match &s.participation {
        Some(c) => Some(joined.number(c)?),
        None => None,
    };
    // Costs for every person in the two arms (before dropping missing outcomes, so fixed costs
    // are spread over all participants).
    let in_arms: Vec<usize> = (0..joined.len())
        .filter(|&i| arm[i] == treated || arm[i] == control)
        .collect();
    let costs: Vec<f64> = match &s.cost {
        CostSource::Column(c) => {
            let v = joined.number(c)?;
            for &i in &in_arms {
                if v[i].is_nan() {
                    return Err(Error::data(
                        joined.location(c, i),
                        format!(
                            "missing cost{}; every person needs a cost in SEK (0 when none)",
                            joined.absent(c, i)
                        ),
                    ));
                }
                if v[i] < 0.0 {
                    return Err(Error::data(
                        joined.location(c, i),
                        format!("negative cost {}; expected SEK ≥ 0", v[i]),
                    ));
                }
            }
            v
        }
        CostSource::Model(m) => {
            let get = |map: &indexmap::IndexMap<String, f64>| {
                [
                    map.get(&treated).copied().unwrap_or(0.0),
                    map.get(&control).copied().unwrap_or(0.0),
                ]
            };
            let model = CostModel {
                per_offered: get(&m.per_offered),
                per_participant: get(&m.per_participant),
                fixed: get(&m.fixed),
                overhead_share: m.overhead_share,
            };
            let t: Vec<bool> = in_arms.iter().map(|&i| arm[i] == treated).collect();
            let d: Option<Vec<f64>> = participation
                .as_ref()
                .map(|p| in_arms.iter().map(|&i| p[i]).collect());
            if let Some(d) = &d
                && let Some(k) = d.iter().position(|x| x.is_nan())
            {
                return Err(Error::data(
                    joined.location(s.participation.as_deref().unwrap_or(""), in_arms[k]),
                    "missing participation; expected 0 or 1",
                ));
            }
            let c = cea::model_costs(&model, &t, d.as_deref())?;
            let mut full = vec![f64::NAN; joined.len()];
            for (k, &i) in in_arms.iter().enumerate() {
                full[i] = c[k];
            }
            full
        }
    };
    // Keep persons in the two arms with an observed outcome.
    let mut keep = Vec::new();
    let mut lost: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in &in_arms {
        if outcome[i].is_nan() {
            *lost.entry(arm[i].as_str()).or_default() += 1;
        } else {
            keep.push(i);
        }
    }
    if !lost.is_empty() {
        let parts: Vec<String> = lost.iter().map(|(a, n)| format!("{n} in {a}")).collect();
        notes.push(format!(
            "{} persons without `{}` are left out ({}); costs and effects are compared \
             on complete cases",
            lost.values().sum::<usize>(),
            s.outcome,
            parts.join(", ")
        ));
    }
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let participation = match (&s.participation, &participation) {
        (Some(name), Some(p)) => {
            if let Some(&i) = keep.iter().find(|&&i| p[i].is_nan()) {
                return Err(Error::data(
                    joined.location(name, i),
                    format!(
                        "missing participation{}; expected 0 or 1",
                        joined.absent(name, i)
                    ),
                ));
            }
            Some(pick(p))
        }
        _ => None,
    };
    let mut offsets = Vec::new();
    for offset in &s.offsets {
        let (name, col, price) = (&offset.name, &offset.column, &offset.sek_per_unit);
        let v = joined.number(col)?;
        if let Some(&i) = keep.iter().find(|&&i| v[i].is_nan()) {
            return Err(Error::data(
                joined.location(col, i),
                format!(
                    "missing value of offset `{name}`{}; expected a number (0 when none)",
                    joined.absent(col, i)
                ),
            ));
        }
        offsets.push(Offset {
            name: name.clone(),
            units: pick(&v),
            sek_per_unit: *price,
        });
    }
    // Strata and clusters as codes in order of first appearance (the bootstrap resamples
    // within codes; only their equality matters).
    let index_of =
        |labels: Vec<String>| -> Vec<usize> { crate::categorical::Codes::first_seen(labels).codes };
    let strata = if s.strata.is_empty() {
        vec![0; keep.len()]
    } else {
        let mut cols = Vec::new();
        for c in &s.strata {
            cols.push(joined.text(c)?);
        }
        index_of(
            keep.iter()
                .map(|&i| {
                    cols.iter()
                        .map(|c| c[i].as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect(),
        )
    };
    let clusters = match &s.cluster {
        Some(c) => {
            let v = joined.text(c)?;
            Some(index_of(keep.iter().map(|&i| v[i].clone()).collect()))
        }
        None => None,
    };
    let groups = match &s.by {
        Some(b) => {
            let v = joined.text(&b.value)?;
            Some(keep.iter().map(|&i| v[i].clone()).collect())
        }
        None => None,
    };
    Ok(Prepared {
        sample: Sample {
            treated: keep.iter().map(|&i| arm[i] == treated).collect(),
            cost: pick(&costs),
            effect: pick(&outcome),
            participation,
            offsets,
            strata,
            clusters,
        },
        groups,
        keep,
        treated_arm: treated,
        control_arm: control,
        notes,
    })
}

/// The columns of the cost per additional month with a job: the cost settings' with the
/// survival time as the outcome, and the event.
fn month_requests(cost: &CostSettings, survival: &SurvivalSettings) -> Vec<ColumnRequest> {
    let mut settings = cost.clone();
    settings.outcome = survival.time.value.clone();
    let mut out = requests(&settings, None);
    out.push(ColumnRequest::text(survival.event.value.clone()));
    out
}

/// The cost per additional month with a job within τ (`cea::months`) of a study, overall and
/// in each subgroup, gross and net of the benefit offsets, from the study's join holding
/// [`month_requests`]' columns: the cost settings' arms, costs and subgroups, for the persons
/// with a time and a status in the survival settings' columns (the status: the survival
/// analysis's event, or with a cause that exit; other exits censor).
fn cost_per_month_of(
    cost: &CostSettings,
    survival: &SurvivalSettings,
    tau: f64,
    joined: &Joined,
) -> Result<MonthResults> {
    let mut settings = cost.clone();
    settings.outcome = survival.time.value.clone();
    let event = &survival.event.value;
    let p = prepare(&settings, joined)?;
    let codes = joined.text(event)?;
    let cause = survival.cause.as_ref().map(|c| c.value.trim());
    let mut status = Vec::with_capacity(p.keep.len());
    let mut with_status = Vec::with_capacity(p.keep.len());
    for (k, &i) in p.keep.iter().enumerate() {
        let e = codes[i].trim();
        if e.is_empty() || e.eq_ignore_ascii_case("NA") {
            continue;
        }
        // Another exit than the cause (COMPETING) censors the Kaplan–Meier curve of the RMST.
        let Some(s) = status_of(e, cause) else {
            return Err(Error::data(
                joined.location(event, i),
                format!("event code `{e}` is neither 0 (censored) nor 1 (event)"),
            )
            .with_hint("name the exit of interest with `[survival] cause`"));
        };
        status.push(s);
        with_status.push(k);
    }
    let sample = p.sample.subset(&with_status);
    let groups: Option<Vec<String>> = p
        .groups
        .as_ref()
        .map(|g| with_status.iter().map(|&k| g[k].clone()).collect());
    let net = (!sample.offsets.is_empty()).then(|| sample.net_cost());
    let compute = |rows: &[usize]| -> std::result::Result<Vec<(String, CostPerMonth)>, String> {
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let time = pick(&sample.effect);
        let st: Vec<u8> = rows.iter().map(|&i| status[i]).collect();
        let treated: Vec<bool> = rows.iter().map(|&i| sample.treated[i]).collect();
        let clusters: Option<Vec<usize>> = sample
            .clusters
            .as_ref()
            .map(|c| rows.iter().map(|&i| c[i]).collect());
        let mut out = Vec::new();
        for (name, c) in
            std::iter::once(("gross", &sample.cost)).chain(net.iter().map(|n| ("net", n)))
        {
            let r = cost_per_month(
                &pick(c),
                &time,
                &st,
                &treated,
                clusters.as_deref(),
                tau,
                settings.level,
            )
            .map_err(|e| e.to_string())?;
            out.push((name.to_string(), r));
        }
        Ok(out)
    };
    let all: Vec<usize> = (0..sample.treated.len()).collect();
    let mut results = vec![("all".to_string(), compute(&all))];
    if let (Some(by), Some(groups)) = (&settings.by, &groups) {
        for (label, rows) in subgroup_rows(&by.value, groups) {
            results.push((label, compute(&rows)));
        }
    }
    Ok(MonthResults {
        time: survival.time.value.clone(),
        tau,
        treated_arm: p.treated_arm,
        control_arm: p.control_arm,
        level: settings.level,
        groups: results,
    })
}

/// The survival settings of a study and the τ of each compared arm.
pub type StudyTaus = (SurvivalSettings, Vec<(String, f64)>);

/// The τ of each compared arm that the survival analysis of a study uses (given, or survRM2's
/// default), found by that analysis without its randomization inference (τ does not depend on
/// it), for the cost per additional month with a job of `lotta cost` run alone, as `lotta run`
/// adds it; `None` unless the study has `[survival]`.
pub fn study_taus(study: &Study, inputs: &StudyInputs) -> Result<Option<StudyTaus>> {
    use crate::settings::survival::SurvivalFlags;
    if study.spec.survival.is_none() {
        return Ok(None);
    }
    let mut survival = SurvivalSettings::resolve(&SurvivalFlags::default(), Some(study))?;
    survival.ri = None;
    let persons = crate::ops::survival_data::of_study(inputs.files(study)?, &survival)?;
    let found = crate::ops::survival::study_survival(&persons, None, &survival)?;
    Ok(Some((survival, found.analysis.taus)))
}

/// `cea::analyse` for all persons and for each level of the subgroup column. An arm without
/// persons overall is an error; in a subgroup, the group's result says why there is none.
fn analyse_groups(
    p: &Prepared,
    s: &CostSettings,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<GroupResult>> {
    let options = CostOptions {
        level: s.level,
        bootstrap: s.bootstrap,
        seed: s.seed,
        wtp: s.wtp.clone(),
        per_participant: s.per_participant,
        alternatives: s.alternatives.clone(),
    };
    let count = |rows: &[usize]| {
        let t = rows.iter().filter(|&&i| p.sample.treated[i]).count();
        [t, rows.len() - t]
    };
    let all: Vec<usize> = (0..p.sample.treated.len()).collect();
    let n_all = count(&all);
    if n_all[0] == 0 || n_all[1] == 0 {
        let empty = if n_all[0] == 0 {
            &p.treated_arm
        } else {
            &p.control_arm
        };
        return Err(Error::compute(format!(
            "the arm `{empty}` has no persons with the outcome `{}`",
            s.outcome
        )));
    }
    let mut out = vec![GroupResult {
        label: "all".into(),
        n: n_all,
        result: Ok(cea::analyse_with(&p.sample, &options, progress)?),
    }];
    if let (Some(by), Some(groups)) = (&s.by, &p.groups) {
        for (label, rows) in subgroup_rows(&by.value, groups) {
            let n = count(&rows);
            let result = if n[0] == 0 || n[1] == 0 {
                let empty = if n[0] == 0 {
                    &p.treated_arm
                } else {
                    &p.control_arm
                };
                Err(format!(
                    "{label}: no observations in the arm `{empty}`; nothing can be compared"
                ))
            } else {
                match cea::analyse_with(&p.sample.subset(&rows), &options, progress) {
                    Err(Error::Interrupted) => return Err(Error::Interrupted),
                    other => other.map_err(|e| format!("{label}: {e}")),
                }
            };
            out.push(GroupResult { label, n, result });
        }
    }
    Ok(out)
}

/// The rows of each level of the subgroup column `by` (levels in order, empty cells left out),
/// labelled `by=level` as every result table names subgroups.
fn subgroup_rows(by: &str, groups: &[String]) -> Vec<(String, Vec<usize>)> {
    crate::categorical::levels_in_order(groups.iter().map(String::as_str).filter(|l| !l.is_empty()))
        .into_iter()
        .map(|level| {
            let rows = (0..groups.len()).filter(|&i| groups[i] == level).collect();
            (format!("{by}={level}"), rows)
        })
        .collect()
}
