//! The survival analysis of a study or of one data file (`lotta survival`, and the "Time to
//! first job" part of `lotta run`) on persons the caller read, joined and checked
//! (`ops::survival_data`): the settings turned into the analysis's options, then the pure
//! analysis (`crate::survival::analysis`). This module reads nothing.

use crate::design::ledger::Ledger;
use crate::error::Result;
use crate::settings::survival::SurvivalSettings;
use crate::survival::analysis::{self, Analysis, Options, Ri, SurvivalData, Tau};

pub use crate::tidy::survival::{
    ArmCurve, ExitCurve, SurvivalRow, curves_frame, exit_curves_frame, survival_frame,
};

/// Everything `survival` computed (the core's [`Analysis`]), with the settings it was computed
/// from.
#[derive(Debug, Clone)]
pub struct SurvivalResults {
    pub analysis: Analysis,
    pub settings: SurvivalSettings,
}

/// The survival analysis of a study's persons (`ops::survival_data` with the person id): arms
/// from the ledger, randomization inference by re-running the study's assignment from its
/// `ledger` (needed when the settings ask for it).
pub fn study_survival(
    data: &SurvivalData,
    ledger: Option<&Ledger>,
    settings: &SurvivalSettings,
) -> Result<SurvivalResults> {
    analyse(data, ledger, settings, true)
}

/// The survival analysis of one data file's persons (ad hoc); randomization inference permutes
/// the arms within strata (with clusters the settings already refused it).
pub fn file_survival(data: &SurvivalData, settings: &SurvivalSettings) -> Result<SurvivalResults> {
    analyse(data, None, settings, false)
}

fn analyse(
    data: &SurvivalData,
    ledger: Option<&Ledger>,
    settings: &SurvivalSettings,
    study: bool,
) -> Result<SurvivalResults> {
    Ok(SurvivalResults {
        analysis: analysis::analyse(&options(settings, study), data, ledger)?,
        settings: settings.clone(),
    })
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
