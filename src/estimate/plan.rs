//! From a study spec (`[analysis]`, `[design]`, `[data]`) and command-line overrides to a checked
//! analysis plan, and [`estimate_study`]: every effect row of a loaded study — the entry point for
//! `lotta estimate`, `lotta run` and `lotta report`. Flags win over the spec.

use super::vcov::SeType;
use super::{AnalysisData, Estimates, Estimator, Options, estimate_all};
use crate::error::{Error, Location, Result};
use crate::io::join::{Ipw, Request, load_study};
use crate::spec::Study;
use crate::spec::analysis::AnalysisSpec;
use crate::spec::design::DesignSpec;

/// Settings given on the command line (None: take the spec's value or the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub outcomes: Option<Vec<String>>,
    pub treatment: Option<String>,
    pub control: Option<String>,
    pub by: Option<String>,
    pub covariates: Option<Vec<String>>,
    pub estimator: Option<String>,
    pub strata: Option<Vec<String>>,
    pub cluster: Option<String>,
    pub se: Option<String>,
    pub participation: Option<String>,
    pub weights: Option<String>,
    pub ipw: Option<String>,
}

/// A checked plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub request: Request,
    pub options: Options,
    pub ipw: Ipw,
}

fn bad_value(location: Location, what: &str, value: &str, expected: &str) -> Error {
    Error::spec(
        location,
        format!("`{value}` is not a known {what}; expected one of {expected}"),
    )
}

/// Combine spec sections and overrides into a plan. `location` names the spec file for messages.
pub fn plan(
    analysis: Option<&AnalysisSpec>,
    design: Option<&DesignSpec>,
    overrides: &Overrides,
    location: &Location,
) -> Result<Plan> {
    let with_key = |key: &str| location.clone().with_field(key);
    let outcomes = overrides
        .outcomes
        .clone()
        .or_else(|| analysis.map(|a| a.outcomes.clone()))
        .unwrap_or_default();
    if outcomes.is_empty() {
        return Err(Error::spec(
            with_key("analysis.outcomes"),
            "no outcome to analyse; give --outcome COL[,COL…] or `[analysis] outcomes`",
        ));
    }
    let covariates = overrides
        .covariates
        .clone()
        .or_else(|| analysis.map(|a| a.covariates.clone()))
        .unwrap_or_default();
    let estimator_text = overrides
        .estimator
        .clone()
        .or_else(|| analysis.and_then(|a| a.estimator.clone()));
    let estimator = match estimator_text {
        None if covariates.is_empty() => Estimator::Dim,
        None => Estimator::Lin,
        Some(t) => Estimator::parse(&t).ok_or_else(|| {
            bad_value(
                with_key("analysis.estimator"),
                "estimator",
                &t,
                "dim, ols, lin, fe",
            )
        })?,
    };
    if estimator == Estimator::Dim && !covariates.is_empty() {
        return Err(Error::spec(
            with_key("analysis.covariates"),
            "the difference in means uses no covariates",
        )
        .with_hint("use --estimator lin (or ols) to adjust for covariates"));
    }
    let se = match overrides
        .se
        .clone()
        .or_else(|| analysis.and_then(|a| a.se.clone()))
    {
        None => None,
        Some(t) => Some(SeType::parse(&t).ok_or_else(|| {
            bad_value(
                with_key("analysis.se"),
                "standard error type",
                &t,
                "hc0, hc1, hc2, hc3, cr0, cr1, cr2",
            )
        })?),
    };
    let strata = overrides
        .strata
        .clone()
        .or_else(|| analysis.map(|a| a.strata.clone()).filter(|s| !s.is_empty()))
        .unwrap_or_default();
    let design_strata = design.is_some_and(|d| !d.strata.is_empty());
    if estimator == Estimator::Fe && strata.is_empty() && !design_strata {
        return Err(Error::spec(
            with_key("analysis.strata"),
            "the fixed-effects estimator needs strata; give --strata COL[,COL…]",
        ));
    }
    let cluster = overrides
        .cluster
        .clone()
        .or_else(|| analysis.and_then(|a| a.cluster.clone()))
        .or_else(|| design.and_then(|d| d.cluster.clone()));
    let ipw = match overrides
        .ipw
        .clone()
        .or_else(|| analysis.and_then(|a| a.ipw.clone()))
        .as_deref()
    {
        None | Some("auto") => Ipw::Auto,
        Some("on") => Ipw::On,
        Some("off") => Ipw::Off,
        Some(t) => {
            return Err(bad_value(
                with_key("analysis.ipw"),
                "ipw setting",
                t,
                "auto, on, off",
            ));
        }
    };
    let control = overrides
        .control
        .clone()
        .or_else(|| design.and_then(|d| d.control.clone()))
        .or_else(|| design.and_then(|d| d.arms.keys().last().cloned()));
    Ok(Plan {
        request: Request {
            outcomes,
            treatment: overrides.treatment.clone().unwrap_or_default(),
            control,
            covariates,
            by: overrides
                .by
                .clone()
                .or_else(|| analysis.and_then(|a| a.by.clone()))
                .or_else(|| design.and_then(|d| d.by.clone())),
            strata,
            cluster,
            weights: overrides.weights.clone(),
            participation: overrides
                .participation
                .clone()
                .or_else(|| analysis.and_then(|a| a.participation.clone())),
        },
        options: Options {
            estimator,
            se,
            alpha: 0.05,
        },
        ipw,
    })
}

/// Every effect row of a study: the ledger joined with participants and outcome files, analysed
/// as `[analysis]` (and the overrides) say. Returns the data (for randomization inference), the
/// estimates and notes for the user.
pub fn estimate_study(
    study: &Study,
    overrides: &Overrides,
) -> Result<(AnalysisData, Estimates, Vec<String>)> {
    let spec = &study.spec;
    let location = Location::file(&study.file);
    let mut plan = plan(
        spec.analysis.as_ref(),
        spec.design.as_ref(),
        overrides,
        &location,
    )?;
    let ledger = spec.data.ledger.as_ref().ok_or_else(|| {
        Error::spec(
            study.key_location("data.ledger"),
            "the study has no assignment ledger; run `lotta assign` first",
        )
    })?;
    // Without strata columns, a stratified design's own strata come from the ledger.
    if plan.request.strata.is_empty()
        && (plan.options.estimator == Estimator::Fe || plan.options.estimator == Estimator::Dim)
        && spec.design.as_ref().is_some_and(|d| !d.strata.is_empty())
    {
        plan.request.strata = vec![crate::io::join::LEDGER_STRATUM.to_string()];
    }
    let participants = spec.data.participants.as_ref().map(|p| study.resolve(p));
    let outcomes: Vec<_> = spec
        .data
        .outcomes
        .iter()
        .map(|p| study.resolve(p))
        .collect();
    let (data, mut notes) = load_study(
        &study.resolve(ledger),
        participants.as_deref(),
        &outcomes,
        &spec.data.id,
        &plan.request,
        plan.ipw,
    )?;
    let estimates = estimate_all(&data, &plan.options, None)?;
    notes.extend(estimates.warnings.iter().cloned());
    Ok((data, estimates, notes))
}
