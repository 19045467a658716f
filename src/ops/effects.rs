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
    // A family naming a level the data do not have stops here, before any randomization draw.
    for family in &settings.families.value {
        crate::estimate::multiple::members(&estimates.rows, family)
            .map_err(|e| in_families(e, settings))?;
    }
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
/// own assignment procedure is re-run; without, treatment is permuted within strata (of
/// clusters, when the data have them and every assignment can be listed). When the design has
/// at most `ri_exact_max` distinct assignments, all of them are listed (exact p-values, k/N)
/// instead of sampling.
pub fn infer(
    effects: &mut Effects,
    settings: &AnalysisSettings,
    ledger: Option<&Ledger>,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    let options = settings.options();
    if let Some(ri) = settings.ri_plan() {
        let data = &effects.data;
        // The algorithm of sampled ad hoc draws, once made.
        let mut drawn_by: Option<inference::DrawnBy> = None;
        let fits = |count: u128| ri.exact_max > 0 && count <= u128::from(ri.exact_max);
        let exact_count = match ledger {
            Some(ledger) => {
                let replay = LedgerReplay::new(ledger, data)?;
                let exact = replay.enumeration().filter(|e| fits(e.count()));
                // IPW: each draw is weighted by its own assignment probabilities.
                let reweight: Option<Box<inference::Reweight<'_>>> = data
                    .weights
                    .as_ref()
                    .map(|_| Box::new(replay.weights()) as Box<inference::Reweight<'_>>);
                let (count, exact_count) = match &exact {
                    Some(e) => (e.count() as usize, Some(e.count())),
                    None => (ri.draws, None),
                };
                let sampled = replay.draws(ri.seed);
                let listed = exact.as_ref().map(|e| replay.enumerated(e));
                let draw: &inference::Draw<'_> = match &listed {
                    Some(listed) => listed,
                    None => &sampled,
                };
                // The same assignments per cluster (O(G) a draw with the fast statistic).
                let member_of = replay.member_of();
                let sampled_members = replay.draws_members(ri.seed);
                let listed_members = exact.as_ref().map(|e| replay.enumerated_members(e));
                let member_draw: &inference::Draw<'_> = match &listed_members {
                    Some(listed) => listed,
                    None => &sampled_members,
                };
                let assignments = inference::Assignments {
                    count,
                    exact: exact.is_some(),
                    draw,
                    members: Some(inference::MemberDraws {
                        member_of: &member_of,
                        draw: member_draw,
                    }),
                    subsets: None,
                };
                inference::randomization_inference(
                    data,
                    &options,
                    &mut effects.estimates,
                    &assignments,
                    ri.statistic,
                    reweight.as_deref(),
                    progress,
                )?;
                exact_count
            }
            None => {
                // Ad hoc: list the permutations when they are few (also of clusters), else
                // sample permutations of persons.
                let listed = inference::permutation_enumeration(data)
                    .ok()
                    .filter(|(e, _)| fits(e.count()));
                match listed {
                    Some((e, member_of)) => {
                        let draw = |r: usize| {
                            let labels = e.assignment(r as u128);
                            member_of.iter().map(|&m| labels[m] as usize).collect()
                        };
                        let member_draw = |r: usize| {
                            let labels = e.assignment(r as u128);
                            labels.iter().map(|&l| l as usize).collect()
                        };
                        let assignments = inference::Assignments {
                            count: e.count() as usize,
                            exact: true,
                            draw: &draw,
                            members: Some(inference::MemberDraws {
                                member_of: &member_of,
                                draw: &member_draw,
                            }),
                            subsets: None,
                        };
                        inference::randomization_inference(
                            data,
                            &options,
                            &mut effects.estimates,
                            &assignments,
                            ri.statistic,
                            None,
                            progress,
                        )?;
                        Some(e.count())
                    }
                    None => {
                        drawn_by = Some(sampled_ad_hoc(
                            data,
                            &options,
                            &mut effects.estimates,
                            &ri,
                            progress,
                        )?);
                        None
                    }
                }
            }
        };
        let note = match exact_count {
            Some(n) => inference::exact_note(&effects.estimates, n, ri.statistic),
            None => inference::monte_carlo_note(&effects.estimates, ri.draws).map(|note| {
                // Sampled ad hoc draws name their algorithm and seed, so a p-value can be
                // reproduced by asking for them (docs/randomization-inference.md).
                match drawn_by {
                    Some(drawn) => {
                        let a = drawn.algorithm;
                        let fallback = match (ri.algorithm, &drawn.detail) {
                            (_, Some(detail)) => format!("; {detail}"),
                            (Some(asked), None) if asked != a => format!(
                                "; algorithm {} cannot draw more than 2^32 − 1 rows, so {} drew",
                                asked.word(),
                                a.word()
                            ),
                            _ => String::new(),
                        };
                        format!(
                            "{note} (draws: permutation within strata by algorithm {}, seed {}{fallback})",
                            a.word(),
                            ri.seed
                        )
                    }
                    None => note,
                }
            }),
        };
        effects.notes.extend(note);
        effects
            .notes
            .extend(inference::unbounded_notes(&effects.estimates));
    }
    if let Some(adjust) = &settings.adjust {
        inference::adjust_p_values(&mut effects.estimates, adjust.value);
    }
    adjust_families(effects, settings)
}

/// Sampled randomization inference for ad hoc data (no ledger): complete randomization of the
/// observed arm labels within strata, drawn by the plan's algorithm: v1 (a full shuffle of
/// every stratum, as releases before v2; reproduces their p-values) or v2 (one random subset
/// per stratum, `estimate::subsets`) or v3 (counts per type of exchangeable rows,
/// `estimate::types`, which leaves the draws to v2 where it does not apply). All refuse
/// clusters, as before. Returns the algorithm that drew: v1 where v2 and v3 cannot (more than
/// 2³² − 1 rows), which the caller's note says, and v2 where v3 does not apply, with the reason.
fn sampled_ad_hoc(
    data: &AnalysisData,
    options: &crate::estimate::EstimateOptions,
    estimates: &mut Estimates,
    ri: &inference::RiPlan,
    progress: &dyn crate::progress::Progress,
) -> Result<inference::DrawnBy> {
    let v2_fits = u32::try_from(data.n_rows()).is_ok();
    let algorithm = match ri.algorithm.unwrap_or_default() {
        RiAlgorithm::V2 | RiAlgorithm::V3 if !v2_fits => RiAlgorithm::V1,
        asked => asked,
    };
    let seed = ri.seed;
    let v1_draw;
    let plan;
    let v2_draw;
    let (draw, subsets): (&inference::Draw<'_>, _) = match algorithm {
        RiAlgorithm::V1 => {
            v1_draw = inference::permutation_draws(data, seed)?;
            (&v1_draw, None)
        }
        RiAlgorithm::V2 | RiAlgorithm::V3 => {
            plan = inference::subset_plan(data)?;
            v2_draw = |r: usize| plan.codes(&plan.draw(seed, r));
            (
                &v2_draw,
                Some(inference::SubsetDraws {
                    plan: &plan,
                    seed,
                    algorithm,
                }),
            )
        }
    };
    let assignments = inference::Assignments {
        count: ri.draws,
        exact: false,
        draw,
        members: None,
        subsets,
    };
    let drawn = inference::randomization_inference(
        data,
        options,
        estimates,
        &assignments,
        ri.statistic,
        None,
        progress,
    )?;
    Ok(drawn.unwrap_or(inference::DrawnBy {
        algorithm,
        detail: None,
    }))
}

/// A family's error as an error of the spec key that declared it (its message and hint kept).
fn in_families(e: crate::error::Error, settings: &AnalysisSettings) -> crate::error::Error {
    let Some(problem) = e.problem() else {
        return e;
    };
    let err = settings.families.error(problem.message.clone());
    match &problem.hint {
        Some(h) => err.with_hint(h.clone()),
        None => err,
    }
}

/// The declared families' Romano–Wolf, Westfall–Young and Anderson adjusted p-values (from the
/// randomization draws just made). A family naming something the data have no row for (a level
/// that does not occur) is an error naming the family's key.
fn adjust_families(effects: &mut Effects, settings: &AnalysisSettings) -> Result<()> {
    let families = &settings.families;
    if families.value.is_empty() {
        return Ok(());
    }
    let estimates = &mut effects.estimates;
    estimates.families = crate::estimate::multiple::family_rows(
        &estimates.rows,
        estimates.ri_draws.as_ref(),
        &families.value,
    )
    .map_err(|e| in_families(e, settings))?;
    let names: Vec<String> = families
        .value
        .iter()
        .map(|f| {
            let m = estimates
                .families
                .iter()
                .filter(|r| r.family == f.name)
                .count();
            format!("`{}` ({m} hypotheses)", f.name)
        })
        .collect();
    effects.notes.push(match &estimates.ri_draws {
        Some(_) => format!(
            "multiple testing within families {}: Romano–Wolf and Westfall–Young (minP) step-down p-values from the randomization draws, and Anderson's sharpened q-values from the model p-values (tables/families.csv)",
            names.join(", ")
        ),
        None => format!(
            "multiple testing within families {}: Anderson's sharpened q-values only; Romano–Wolf and Westfall–Young need randomization inference (ri_draws)",
            names.join(", ")
        ),
    });
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
