//! What the report folder shows: `[report]` with its defaults resolved, and the record of how the
//! results were computed ([`Methods`]), written beside the tables so that re-rendering a report
//! later describes the results as they were computed, never with a spec changed since.

use super::analysis::{AnalysisSettings, control_arm};
use super::cost::CostSettings;
use super::survival::SurvivalSettings;
use super::word_of;
use crate::error::{Error, Result};
use crate::estimate::missing::MissingCovariates;
use crate::report::language::{Currency, Language};
use crate::report::mask::{DEFAULT_MASK_BELOW, DisclosureRule};
use crate::spec::Study;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the report needs from the spec, with defaults resolved.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub report: ResolvedReport,
    pub arms: Vec<String>,
    pub control: String,
    pub mask_below: usize,
    /// Whether zero counts are masked (`[report] mask_zeros`, default true).
    pub mask_zeros: bool,
    /// Headlines lead with design-based inference below this many clusters.
    pub few_clusters: usize,
}

/// Below this many clusters cluster-robust p-values and intervals are unreliable and headlines
/// lead with design-based inference (MacKinnon, Nielsen & Webb 2023, "Cluster-robust inference:
/// a guide to empirical practice", J. Econometrics 232(2): rejection rates of CR1/CR2 t-tests
/// drift from the nominal level below a few dozen clusters, more so when they are unequal).
pub const DEFAULT_FEW_CLUSTERS: usize = 30;

/// `[report] few_clusters` (default [`DEFAULT_FEW_CLUSTERS`]): the one rule for the report's
/// headline and `lotta estimate`'s table.
pub fn few_clusters(study: Option<&Study>) -> super::Setting<usize> {
    let layers = super::Layers::new(study);
    match study.and_then(|s| s.spec.report.as_ref()?.few_clusters) {
        Some(g) => super::Setting::new(g as usize, layers.spec("report.few_clusters")),
        None => super::Setting::new(
            DEFAULT_FEW_CLUSTERS,
            super::Origin::default_because(
                "cluster-robust inference is unreliable below about 30 clusters",
            ),
        ),
    }
}

/// `[report]` with its defaults filled in.
#[derive(Debug, Clone)]
pub struct ResolvedReport {
    pub title: String,
    pub primary_outcome: String,
    pub horizons: indexmap::IndexMap<String, u32>,
    /// Whether `horizons` are days after randomization (`[report] horizons` given); without
    /// them every outcome is its own group, numbered, and nothing is said about time.
    pub horizons_in_days: bool,
    pub split: indexmap::IndexMap<String, String>,
    pub labels: indexmap::IndexMap<String, String>,
    pub outcome_label: String,
    /// `[report] language` (or `--language`): en (default) or sv.
    pub language: Language,
    /// `[report] currency`: how a Swedish report writes amounts (kr, the default, or SEK).
    pub currency: Currency,
}

impl ReportSettings {
    pub fn resolve(study: &Study) -> Result<ReportSettings> {
        let spec = &study.spec;
        let report = spec.report.clone().unwrap_or_default();
        let design = spec.design.as_ref().ok_or_else(|| {
            Error::spec(
                study.key_location("design"),
                "the study has no [design] section; the report needs the arms",
            )
        })?;
        let arms: Vec<String> = design.arms.keys().cloned().collect();
        let control = control_arm(None, Some(study))
            .map(|c| c.value)
            .unwrap_or_default();
        let outcomes = spec
            .analysis
            .as_ref()
            .map(|a| a.outcomes.clone())
            .unwrap_or_default();
        let primary_outcome = report
            .primary_outcome
            .clone()
            .or_else(|| outcomes.last().cloned())
            .ok_or_else(|| {
                Error::spec(
                    study.key_location("report.primary_outcome"),
                    "no primary outcome: set `primary_outcome` in [report] or `outcomes` in [analysis]",
                )
            })?;
        let horizons = if report.horizons.is_empty() {
            // Without horizons every outcome is its own group, in the order of [analysis].
            outcomes
                .iter()
                .enumerate()
                .map(|(i, o)| (o.clone(), i as u32 + 1))
                .collect()
        } else {
            report.horizons.clone()
        };
        let mask_below = match report.mask_below {
            Some(0) => {
                return Err(Error::spec(
                    study.key_location("report.mask_below"),
                    "0 would publish cells of single persons; expected 1 or more (5 is the convention)",
                ));
            }
            Some(k) => k as usize,
            None => DEFAULT_MASK_BELOW,
        };
        let title = report
            .title
            .clone()
            .or_else(|| spec.study.title.clone())
            .unwrap_or_else(|| study.name().to_string());
        let outcome_label = report
            .outcome_label
            .clone()
            .unwrap_or_else(|| "in work or studies".to_string());
        let (language, currency) = report_language(
            study,
            None,
            report.language.as_ref(),
            report.currency.as_ref(),
        )?;
        Ok(ReportSettings {
            report: ResolvedReport {
                title,
                primary_outcome,
                horizons_in_days: !report.horizons.is_empty(),
                horizons,
                split: report.split.clone(),
                labels: report.labels.clone(),
                outcome_label,
                language,
                currency,
            },
            arms,
            control,
            mask_below,
            mask_zeros: report.mask_zeros.unwrap_or(true),
            few_clusters: few_clusters(Some(study)).value,
        })
    }

    /// The settings with `--language` applied (a flag wins over `[report] language`).
    pub fn with_language_flag(mut self, study: &Study, flag: Option<&String>) -> Result<Self> {
        if flag.is_some() {
            let spec = study.spec.report.clone().unwrap_or_default();
            let (language, currency) =
                report_language(study, flag, spec.language.as_ref(), spec.currency.as_ref())?;
            self.report.language = language;
            self.report.currency = currency;
        }
        Ok(self)
    }

    /// The disclosure control of the report's tables.
    pub fn disclosure_rule(&self) -> DisclosureRule {
        DisclosureRule {
            mask_below: self.mask_below,
            mask_zeros: self.mask_zeros,
            arms: self.arms.clone(),
            control: self.control.clone(),
        }
    }
}

/// How the results of a run were computed, as the methods section describes them: the resolved
/// settings of the analysis, the design and the cost analysis (the estimator and SE type of each
/// row are in the effects table itself). Written as `settings.json` in the report folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Methods {
    pub design: Option<DesignRecord>,
    pub covariates: Vec<String>,
    pub by: Option<String>,
    pub participation: Option<String>,
    pub ri_draws: Option<u32>,
    /// The largest design randomization inference listed in full (None: no inference, or a
    /// record older than exact inference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ri_exact_max: Option<u32>,
    /// `studentized` when randomization inference compared t statistics (None: the estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ri_statistic: Option<String>,
    /// The wild cluster bootstrap (None: not run; absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wild: Option<super::analysis::WildSettings>,
    /// `holm` or `bh`.
    pub adjust: Option<String>,
    /// `indicator` when missing covariates were handled by the missing-indicator method (None:
    /// complete cases, the default; absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_covariates: Option<String>,
    /// Bootstrap replicates of the cost analysis (None: no cost analysis).
    pub cost_bootstrap: Option<usize>,
    /// The survival analysis's settings (None: no survival analysis, or a record older than it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survival: Option<SurvivalRecord>,
    /// Where each setting came from (`--flag`, a spec key, or the default rule).
    pub origins: BTreeMap<String, String>,
}

/// The survival analysis as the methods section describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurvivalRecord {
    pub time: String,
    pub event: String,
    /// The exit of interest (the others compete); None: event 0/1.
    pub cause: Option<String>,
    pub by: Option<String>,
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    /// τ of the RMST when given; None: survRM2's default, decided from the data.
    pub tau: Option<f64>,
    /// Times of the Kaplan–Meier and cumulative-incidence rows (empty: τ).
    pub at: Vec<f64>,
    /// Randomization-inference draws (None: none).
    pub ri_draws: Option<u32>,
    pub level: f64,
}

impl SurvivalRecord {
    pub fn of(s: &SurvivalSettings) -> SurvivalRecord {
        SurvivalRecord {
            time: s.time.value.clone(),
            event: s.event.value.clone(),
            cause: s.cause.as_ref().map(|c| c.value.clone()),
            by: s.by.as_ref().map(|b| b.value.clone()),
            strata: s.strata.value.clone(),
            cluster: s.cluster.as_ref().map(|c| c.value.clone()),
            tau: s.tau.as_ref().map(|t| t.value),
            at: s.at.value.clone(),
            ri_draws: s.ri.as_ref().map(|r| r.value.draws),
            level: s.level,
        }
    }
}

/// The assignment design as the methods section describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesignRecord {
    /// Arms and their ratios, in the design's order.
    pub arms: Vec<(String, u32)>,
    pub control: String,
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    /// `complete` or `blocks`.
    pub method: String,
    pub block_sizes: Vec<u32>,
    pub seed: u64,
}

impl Methods {
    /// The record of a run with these settings.
    pub fn of(
        study: &Study,
        analysis: &AnalysisSettings,
        cost: Option<&CostSettings>,
        survival: Option<&SurvivalSettings>,
    ) -> Methods {
        let design = study.spec.design.as_ref().map(|d| DesignRecord {
            arms: d.arms.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            control: control_arm(None, Some(study))
                .map(|c| c.value)
                .unwrap_or_default(),
            strata: d.strata.clone(),
            cluster: d.cluster.clone(),
            method: d
                .method
                .map_or_else(|| "complete".to_string(), |m| m.to_string()),
            block_sizes: d.block_sizes.clone(),
            seed: study.seed(),
        });
        let mut origins = BTreeMap::new();
        let mut origin = |name: &str, o: &super::Origin| {
            origins.insert(name.to_string(), o.to_string());
        };
        origin("outcomes", &analysis.outcomes.origin);
        origin("covariates", &analysis.covariates.origin);
        origin("estimator", &analysis.estimator.origin);
        origin("se", &analysis.se.origin);
        if let Some(b) = &analysis.by {
            origin("by", &b.origin);
        }
        if let Some(c) = &analysis.cluster {
            origin("cluster", &c.origin);
        }
        if let Some(r) = &analysis.ri {
            origin("ri_draws", &r.origin);
        }
        if let Some(w) = &analysis.wild {
            origin("wild_bootstrap", &w.origin);
        }
        if let Some(a) = &analysis.adjust {
            origin("adjust", &a.origin);
        }
        if let Some(s) = survival {
            origin("survival.time", &s.time.origin);
            origin("survival.event", &s.event.origin);
            if let Some(t) = &s.tau {
                origin("survival.tau", &t.origin);
            }
            if let Some(c) = &s.cause {
                origin("survival.cause", &c.origin);
            }
            if let Some(r) = &s.ri {
                origin("survival.ri_draws", &r.origin);
            }
        }
        Methods {
            design,
            covariates: analysis.covariates.value.clone(),
            by: analysis.by_text(),
            participation: analysis.participation.as_ref().map(|p| p.value.clone()),
            ri_draws: analysis.ri.as_ref().map(|r| r.value.draws),
            ri_exact_max: analysis.ri.as_ref().map(|_| analysis.ri_exact_max.value),
            ri_statistic: (analysis.ri.is_some()
                && analysis.ri_statistic.value
                    != crate::estimate::inference::RiStatistic::default())
            .then(|| word_of(analysis.ri_statistic.value).to_string()),
            wild: analysis.wild.as_ref().map(|w| w.value),
            adjust: analysis
                .adjust
                .as_ref()
                .map(|a| word_of(a.value).to_string()),
            missing_covariates: (analysis.missing_covariates.value != MissingCovariates::default())
                .then(|| word_of(analysis.missing_covariates.value).to_string()),
            cost_bootstrap: cost.map(|c| c.bootstrap),
            survival: survival.map(SurvivalRecord::of),
            origins,
        }
    }
}

/// The report's language and currency word from `--language` / `[report] language` and
/// `[report] currency`, each error naming what the user wrote.
fn report_language(
    study: &Study,
    flag: Option<&String>,
    spec_language: Option<&String>,
    spec_currency: Option<&String>,
) -> Result<(Language, Currency)> {
    let layers = super::Layers::new(Some(study));
    let language = match layers.text(("--language", flag), ("report.language", spec_language)) {
        None => Language::En,
        Some(setting) => Language::parse(&setting.value).ok_or_else(|| {
            setting.error(format!(
                "`{}` is not a report language; expected en (English) or sv (Swedish)",
                setting.value
            ))
        })?,
    };
    let currency = match spec_currency.map(|c| c.trim().to_lowercase()) {
        None => Currency::Kr,
        Some(c) if c == "kr" => Currency::Kr,
        Some(c) if c == "sek" => Currency::Sek,
        Some(c) => {
            return Err(Error::spec(
                study.key_location("report.currency"),
                format!("`{c}` is not a currency word; expected kr or SEK"),
            ));
        }
    };
    Ok((language, currency))
}
