//! Effects of a study or of one data file: the data loaded as the settings ask, every effect row
//! estimated, then randomization inference (the study's own assignment re-run from its ledger,
//! or permutation within strata ad hoc) and the multiple-testing adjustment.

use crate::design::ledger::Ledger;
use crate::error::Result;
use crate::estimate::inference::{self, LedgerReplay};
use crate::estimate::subsets::RiAlgorithm;
use crate::estimate::{AnalysisData, Estimates, Extras, estimate_with};
use crate::io::analysis_data::{load_file, load_study};
use crate::io::source::StudyInputs;
use crate::settings::analysis::AnalysisSettings;
use crate::spec::Study;
use std::path::Path;

/// The effects of one analysis: the data they were estimated on (randomization inference
/// re-uses it), the rows, and notes for the user.
#[derive(Debug)]
pub struct Effects {
    pub data: AnalysisData,
    pub estimates: Estimates,
    pub notes: Vec<String>,
}

/// Join a study's ledger, participants and outcome files (opened once in `inputs`) as
/// `settings` ask.
pub fn study_data(
    study: &Study,
    inputs: &StudyInputs,
    settings: &AnalysisSettings,
) -> Result<(AnalysisData, Vec<String>)> {
    load_study(
        inputs.files(study)?,
        &settings.request(),
        settings.ipw.value,
    )
}

/// Every effect row of `data` (no randomization inference yet), with the cluster diagnostics and,
/// when the settings ask, the wild cluster bootstrap of every regression row (its draws
/// reported to `progress`).
pub fn estimate(
    data: AnalysisData,
    settings: &AnalysisSettings,
    mut notes: Vec<String>,
    progress: &dyn crate::progress::Progress,
) -> Result<Effects> {
    let wild = settings.wild_options();
    let extras = Extras {
        wild: wild.as_ref().map(|w| (w, progress)),
        diagnostics: true,
    };
    let mut estimates = estimate_with(&data, &settings.options(), None, &extras)?;
    estimates
        .warnings
        .splice(0..0, settings.notes.iter().cloned());
    notes.extend(estimates.warnings.iter().cloned());
    notes.extend(wild_notes(&estimates));
    Ok(Effects {
        data,
        estimates,
        notes,
    })
}

/// What the reader of wild bootstrap rows must know: which were a full enumeration (exact,
/// deterministic p-values, in steps of 1/2^G) and which intervals are unbounded.
fn wild_notes(estimates: &Estimates) -> Vec<String> {
    let mut notes = Vec::new();
    let mut enumerated: Vec<String> = Vec::new();
    for r in &estimates.rows {
        let what = format!("{} {} {}", r.outcome, r.subgroup, r.term);
        if let (Some(true), Some(draws)) = (r.wild_enumerated, r.wild_draws) {
            enumerated.push(format!("{what} (all {draws})"));
        }
        let unbounded = [r.wild_conf_low, r.wild_conf_high]
            .iter()
            .any(|v| v.is_some_and(f64::is_infinite));
        if unbounded {
            notes.push(format!(
                "{what}: the wild bootstrap interval is unbounded (the bootstrap p-value stays above α however far the null value moves): the data cannot bound the effect at this level"
            ));
        }
    }
    if !enumerated.is_empty() {
        notes.insert(
            0,
            format!(
                "wild cluster bootstrap by full enumeration of the 2^G Rademacher sign vectors (deterministic; the p-value is exact for the bootstrap, in steps of 1/2^G): {}",
                enumerated.join("; ")
            ),
        );
    }
    notes
}

/// Randomization inference and the adjustment, as the settings ask. With a `ledger` the study's
/// own assignment procedure is re-run; without, treatment is permuted within strata.
pub fn infer(
    effects: &mut Effects,
    settings: &AnalysisSettings,
    ledger: Option<&Ledger>,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    let options = settings.options();
    if let Some(ri) = &settings.ri {
        let draws = ri.value.draws as usize;
        let data = &effects.data;
        match ledger {
            Some(ledger) => {
                let replay = LedgerReplay::new(ledger, data)?;
                let draw = replay.draws(ri.value.seed);
                // IPW: each draw is weighted by its own assignment probabilities.
                let reweight: Option<Box<inference::Reweight<'_>>> = data
                    .weights
                    .as_ref()
                    .map(|_| Box::new(replay.weights()) as Box<inference::Reweight<'_>>);
                inference::randomization_inference(
                    data,
                    &options,
                    &mut effects.estimates,
                    draws,
                    &draw,
                    reweight.as_deref(),
                    progress,
                )?;
            }
            None => match ri.value.algorithm.unwrap_or_default() {
                RiAlgorithm::V1 => {
                    let draw = inference::permutation_draws(data, ri.value.seed)?;
                    inference::randomization_inference(
                        data,
                        &options,
                        &mut effects.estimates,
                        draws,
                        &draw,
                        None,
                        progress,
                    )?;
                }
                RiAlgorithm::V2 => {
                    let plan = inference::subset_plan(data)?;
                    inference::randomization_inference_subsets(
                        data,
                        &options,
                        &mut effects.estimates,
                        draws,
                        &plan,
                        ri.value.seed,
                        progress,
                    )?;
                }
            },
        }
    }
    if let Some(ri) = &settings.ri
        && let Some(note) = inference::monte_carlo_note(&effects.estimates, ri.value.draws as usize)
    {
        // Ad hoc draws name their algorithm, so a p-value can be reproduced by asking for it.
        let note = match ri.value.algorithm.filter(|_| ledger.is_none()) {
            Some(a) => format!(
                "{note} (draws: permutation within strata by algorithm {}, seed {})",
                a.word(),
                ri.value.seed
            ),
            None => note,
        };
        effects.notes.push(note);
    }
    if let Some(adjust) = &settings.adjust {
        inference::adjust_p_values(&mut effects.estimates, adjust.value);
    }
    Ok(())
}

/// The ledger a study's randomization inference re-runs (parsed only when inference is asked).
pub fn ledger_for_inference(
    study: &Study,
    inputs: &StudyInputs,
    settings: &AnalysisSettings,
) -> Result<Option<Ledger>> {
    if settings.ri.is_none() {
        return Ok(None);
    }
    inputs.parsed_ledger(study).map(Some)
}

/// The effects of a study, with inference.
pub fn study_effects(
    study: &Study,
    inputs: &StudyInputs,
    settings: &AnalysisSettings,
) -> Result<Effects> {
    let (data, notes) = study_data(study, inputs, settings)?;
    let mut effects = estimate(data, settings, notes, &crate::progress::Silent)?;
    let ledger = ledger_for_inference(study, inputs, settings)?;
    infer(
        &mut effects,
        settings,
        ledger.as_ref(),
        &crate::progress::Silent,
    )?;
    Ok(effects)
}

/// The effects in one data file (ad hoc), with inference.
pub fn file_effects(path: &Path, settings: &AnalysisSettings) -> Result<Effects> {
    let data = load_file(path, &settings.request())?;
    let mut effects = estimate(data, settings, Vec::new(), &crate::progress::Silent)?;
    infer(&mut effects, settings, None, &crate::progress::Silent)?;
    Ok(effects)
}

/// Warnings for outcomes that are times to an event (issue 13): the mean of observed times
/// ignores censoring (those who moved away or reached the end of follow-up without the event),
/// so a difference in means of such a column is biased. An outcome is flagged when the study's
/// `[survival]` names it as its time or event column, or when its name says it is a time to
/// something (`days_to_…`, `months_to_…`, `time_to_…`).
pub fn survival_outcome_warnings(
    study: Option<&Study>,
    settings: &AnalysisSettings,
) -> Vec<String> {
    let survival = study.and_then(|s| s.spec.survival.as_ref());
    let mut out = Vec::new();
    for outcome in &settings.outcomes.value {
        let declared = survival.is_some_and(|s| {
            s.time.as_deref() == Some(outcome.as_str())
                || s.event.as_deref() == Some(outcome.as_str())
        });
        let named = ["days_to_", "months_to_", "weeks_to_", "time_to_"]
            .iter()
            .any(|p| outcome.to_ascii_lowercase().starts_with(p));
        if declared || named {
            out.push(format!(
                "`{outcome}` is {} a time to an event, which is censored for persons who moved \
                 away or reached the end of follow-up without it; a difference in mean observed \
                 times (or a share among complete cases) is biased. Use `lotta survival` \
                 (Kaplan–Meier, log-rank, RMST) for it",
                if declared {
                    "declared in [survival] as"
                } else {
                    "by its name"
                }
            ));
        }
    }
    out
}
