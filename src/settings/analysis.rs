//! `lotta estimate`'s settings (and the effects part of `lotta run`): `[analysis]` and
//! `[design]` keys with the flags of `lotta estimate` over them, resolved once.

use super::{Choice, Layers, Origin, Setting, choose};
use crate::design::ledger::{LEDGER_ARM, LEDGER_STRATUM};
use crate::error::{Error, Result};
use crate::estimate::AnalysisColumns;
use crate::estimate::adjust::Adjustment;
use crate::estimate::missing::MissingCovariates;
use crate::estimate::subsets::RiAlgorithm;
use crate::estimate::vcov::SeType;
use crate::estimate::weights::Ipw;
use crate::estimate::wild::{WildNull, WildOptions, WildWeights};
use crate::estimate::{EstimateOptions, Estimator};
use crate::spec::Study;
use serde::Serialize;

impl Choice for Estimator {
    const WHAT: &'static str = "estimator";
    const WORDS: &'static [(&'static str, Estimator)] = &[
        ("dim", Estimator::Dim),
        ("ols", Estimator::Ols),
        ("lin", Estimator::Lin),
        ("fe", Estimator::Fe),
    ];
}

impl Choice for SeType {
    const WHAT: &'static str = "standard error type";
    const WORDS: &'static [(&'static str, SeType)] = &[
        ("hc0", SeType::Hc0),
        ("hc1", SeType::Hc1),
        ("hc2", SeType::Hc2),
        ("hc3", SeType::Hc3),
        ("cr0", SeType::Cr0),
        ("cr1", SeType::Cr1),
        ("stata", SeType::Cr1),
        ("cr2", SeType::Cr2),
        ("cv3", SeType::Cv3),
    ];
}

impl Choice for Adjustment {
    const WHAT: &'static str = "multiple-testing adjustment";
    const WORDS: &'static [(&'static str, Adjustment)] = &[
        ("holm", Adjustment::Holm),
        ("bh", Adjustment::BenjaminiHochberg),
        ("fdr", Adjustment::BenjaminiHochberg),
    ];
}

impl Choice for MissingCovariates {
    const WHAT: &'static str = "missing-covariates method";
    const WORDS: &'static [(&'static str, MissingCovariates)] = &[
        ("complete", MissingCovariates::Complete),
        ("indicator", MissingCovariates::Indicator),
    ];
}

impl Choice for WildWeights {
    const WHAT: &'static str = "wild bootstrap weight distribution";
    const WORDS: &'static [(&'static str, WildWeights)] = &[
        ("rademacher", WildWeights::Rademacher),
        ("webb", WildWeights::Webb),
        ("mammen", WildWeights::Mammen),
        ("normal", WildWeights::Normal),
    ];
}

impl Choice for WildNull {
    const WHAT: &'static str = "wild bootstrap null setting";
    const WORDS: &'static [(&'static str, WildNull)] =
        &[("impose", WildNull::Impose), ("free", WildNull::Free)];
}

impl Choice for Ipw {
    const WHAT: &'static str = "ipw setting";
    const WORDS: &'static [(&'static str, Ipw)] =
        &[("auto", Ipw::Auto), ("on", Ipw::On), ("off", Ipw::Off)];
}

/// The flags of `lotta estimate` as given (None: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisFlags {
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
    pub ri: Option<u32>,
    /// `--ri-algorithm`: the draw algorithm of randomization inference without a ledger.
    pub ri_algorithm: Option<String>,
    pub seed: Option<u64>,
    pub adjust: Option<String>,
    pub categorical: Option<Vec<String>>,
    pub missing_covariates: Option<String>,
    pub wild_bootstrap: Option<u32>,
    pub wild_weights: Option<String>,
    pub wild_null: Option<String>,
}

/// The wild cluster bootstrap: draws, weights, null imposed or not, and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct WildSettings {
    pub draws: u32,
    pub weights: WildWeights,
    pub null: WildNull,
    pub seed: u64,
}

/// Fewer wild bootstrap draws than this are refused (boottest's default is 999; with
/// Rademacher weights and 2^G ≤ B every sign vector is enumerated instead).
pub const MIN_WILD_DRAWS: u32 = 99;

/// Randomization inference: how many draws, from which seed, and (without a ledger) by which
/// draw algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RiSettings {
    pub draws: u32,
    pub seed: u64,
    /// The permutation algorithm for data without a ledger (`estimate::subsets`); None with a
    /// study, whose own assignment procedure is re-run from its ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<RiAlgorithm>,
}

impl Choice for RiAlgorithm {
    const WHAT: &'static str = "randomization-inference algorithm";
    const WORDS: &'static [(&'static str, RiAlgorithm)] =
        &[("v2", RiAlgorithm::V2), ("v1", RiAlgorithm::V1)];
}

/// The treatment column: with a study the ledger's `arm` (a `--treatment` flag is then an
/// error), ad hoc the `--treatment` flag. One rule for every analysis.
pub fn treatment_column(flag: Option<&String>, study: Option<&Study>) -> Result<Setting<String>> {
    match (study, flag) {
        (Some(_), Some(_)) => Err(Origin::flag("--treatment")
            .error("with a study the ledger's `arm` is the treatment; --treatment is for --data")),
        (Some(_), None) => Ok(Setting::new(
            LEDGER_ARM.to_string(),
            Origin::default_because("the ledger's assigned arm"),
        )),
        (None, Some(t)) if !t.trim().is_empty() => {
            Ok(Setting::new(t.clone(), Origin::flag("--treatment")))
        }
        (None, _) => Err(Origin::flag("--treatment")
            .error("--data needs --treatment COLUMN (the assigned arm, 0/1 or names)")),
    }
}

/// Randomization inference as `--ri`/`--seed` over a spec key (`key`, e.g. `analysis.ri_draws`)
/// say: None for no draws (or 0); fewer than [`MIN_RI_DRAWS`] refused, naming the flag or key; the
/// seed from `--seed` or the study. One rule for every analysis with randomization inference.
///
/// The draw algorithm (`--ri-algorithm v1|v2`, else the command's default) applies to data
/// without a ledger (docs/randomization-inference.md). With a study the flag is refused: its
/// draws re-run the study's own assignment from the ledger.
pub fn ri_settings(
    layers: &Layers<'_>,
    flag_draws: Option<u32>,
    spec_draws: Option<u32>,
    key: &str,
    flag_seed: Option<u64>,
    flag_algorithm: (Option<&String>, RiAlgorithm),
    study: Option<&Study>,
) -> Result<Option<Setting<RiSettings>>> {
    let (flag_algorithm, default_algorithm) = flag_algorithm;
    let algorithm = match (flag_algorithm, study) {
        (Some(_), Some(_)) => {
            return Err(Origin::flag("--ri-algorithm").error(
                "with a study, randomization inference re-runs the study's own assignment from its ledger; --ri-algorithm is for --data",
            ));
        }
        (Some(raw), None) => Some(
            choose::<RiAlgorithm>(Setting::new(raw.clone(), Origin::flag("--ri-algorithm")))?.value,
        ),
        (None, Some(_)) => None,
        (None, None) => Some(default_algorithm),
    };
    let draws = match (flag_draws, spec_draws) {
        (Some(d), _) => Some(Setting::new(d, Origin::flag("--ri"))),
        (None, Some(d)) => Some(Setting::new(d, layers.spec(key))),
        (None, None) => None,
    }
    .filter(|d| d.value > 0);
    match draws {
        None => Ok(None),
        Some(draws) if draws.value < MIN_RI_DRAWS => Err(draws.error(format!(
            "{} randomization draws give p-values in steps of {:.2} with a Monte Carlo standard error up to {:.3}; use at least {MIN_RI_DRAWS} (10000 for a p-value near 0.05 to two digits), or 0 for none",
            draws.value,
            1.0 / f64::from(draws.value),
            0.5 / f64::from(draws.value).sqrt()
        ))),
        Some(draws) => {
            let seed = flag_seed.or(study.map(Study::seed)).ok_or_else(|| {
                draws.error("randomization inference needs --seed N (or a study, whose seed is used)")
            })?;
            Ok(Some(draws.map(|draws| RiSettings {
                draws,
                seed,
                algorithm,
            })))
        }
    }
}

/// Everything `estimate` needs, resolved and checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisSettings {
    pub outcomes: Setting<Vec<String>>,
    /// The treatment column: the ledger's `arm` with a study, `--treatment` ad hoc.
    pub treatment: Setting<String>,
    /// The comparison arm (None: a 0/1 treatment, 0 the control).
    pub control: Option<Setting<String>>,
    /// The subgroup column.
    pub by: Option<Setting<String>>,
    pub covariates: Setting<Vec<String>>,
    /// Covariates declared categorical (read as text even when they hold numbers).
    pub categorical: Setting<Vec<String>>,
    #[serde(serialize_with = "serialize_choice")]
    pub estimator: Setting<Estimator>,
    #[serde(serialize_with = "serialize_choice")]
    pub se: Setting<SeType>,
    pub strata: Setting<Vec<String>>,
    pub cluster: Option<Setting<String>>,
    pub participation: Option<Setting<String>>,
    pub weights: Option<Setting<String>>,
    #[serde(serialize_with = "serialize_choice")]
    pub ipw: Setting<Ipw>,
    pub ri: Option<Setting<RiSettings>>,
    /// The wild cluster bootstrap (None: not asked for).
    pub wild: Option<Setting<WildSettings>>,
    #[serde(serialize_with = "serialize_optional_choice")]
    pub adjust: Option<Setting<Adjustment>>,
    /// Persons with a missing covariate: complete cases (default) or the indicator method.
    #[serde(serialize_with = "serialize_choice")]
    pub missing_covariates: Setting<MissingCovariates>,
    /// Warnings about settings that were given but do not apply (e.g. an SE type with the
    /// difference in means); shown with the estimates' warnings.
    #[serde(skip)]
    pub notes: Vec<String>,
}

fn serialize_choice<T: Choice + PartialEq, S: serde::Serializer>(
    setting: &Setting<T>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    Setting::new(super::word_of(setting.value), setting.origin.clone()).serialize(serializer)
}

fn serialize_optional_choice<T: Choice + PartialEq, S: serde::Serializer>(
    setting: &Option<Setting<T>>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    setting
        .as_ref()
        .map(|s| Setting::new(super::word_of(s.value), s.origin.clone()))
        .serialize(serializer)
}

/// The control arm of a study: `--control`, else `[design] control`, else the last arm of
/// `[design] arms` (the one rule every command uses).
pub fn control_arm(flag: Option<&String>, study: Option<&Study>) -> Option<Setting<String>> {
    let layers = Layers::new(study);
    let design = study.and_then(|s| s.spec.design.as_ref());
    layers
        .text(
            ("--control", flag),
            ("design.control", design.and_then(|d| d.control.as_ref())),
        )
        .or_else(|| {
            design
                .and_then(|d| d.arms.keys().last())
                .map(|last| Setting::new(last.clone(), layers.spec("design.arms")))
        })
}

/// The subgroup column of a study: the flag, else the section's own key (`section_key`, e.g.
/// `cost.by`, when given), else `[analysis] by`, else `[design] by` (the one rule every command
/// uses).
pub fn subgroup_column(
    flag: (&str, Option<&String>),
    section: Option<(&str, Option<&String>)>,
    study: Option<&Study>,
) -> Option<Setting<String>> {
    let layers = Layers::new(study);
    let spec = study.map(|s| &s.spec);
    let analysis_by = spec.and_then(|s| s.analysis.as_ref()?.by.as_ref());
    let design_by = spec.and_then(|s| s.design.as_ref()?.by.as_ref());
    if let Some((key, value)) = section
        && let Some(found) = layers.text(flag, (key, value))
    {
        return Some(found);
    }
    if flag.1.is_some_and(|v| v.trim().is_empty()) {
        return None;
    }
    layers
        .text(flag, ("analysis.by", analysis_by))
        .or_else(|| layers.text((flag.0, None), ("design.by", design_by)))
}

/// The wild cluster bootstrap as `--wild-bootstrap`, `--wild-weights`, `--wild-null` (and
/// `--seed`) over `[analysis] wild_bootstrap`, `wild_weights`, `wild_null` say: None for no
/// draws (or 0). Refused without clusters, with the difference in means (not a regression:
/// use ols or lin), and below [`MIN_WILD_DRAWS`] draws, naming the flag or key.
fn wild_settings(
    layers: &Layers<'_>,
    flags: &AnalysisFlags,
    analysis: Option<&crate::spec::analysis::AnalysisSpec>,
    study: Option<&Study>,
    estimator: &Setting<Estimator>,
    cluster: Option<&Setting<String>>,
) -> Result<Option<Setting<WildSettings>>> {
    let draws = match (
        flags.wild_bootstrap,
        analysis.and_then(|a| a.wild_bootstrap),
    ) {
        (Some(d), _) => Some(Setting::new(d, Origin::flag("--wild-bootstrap"))),
        (None, Some(d)) => Some(Setting::new(d, layers.spec("analysis.wild_bootstrap"))),
        (None, None) => None,
    }
    .filter(|d| d.value > 0);
    let weights = layers
        .text(
            ("--wild-weights", flags.wild_weights.as_ref()),
            (
                "analysis.wild_weights",
                analysis.and_then(|a| a.wild_weights.as_ref()),
            ),
        )
        .map(choose::<WildWeights>)
        .transpose()?;
    let null = layers
        .text(
            ("--wild-null", flags.wild_null.as_ref()),
            (
                "analysis.wild_null",
                analysis.and_then(|a| a.wild_null.as_ref()),
            ),
        )
        .map(choose::<WildNull>)
        .transpose()?;
    let Some(draws) = draws else {
        if let Some(w) = &weights {
            return Err(w.error("wild bootstrap weights without draws; give --wild-bootstrap B (or `[analysis] wild_bootstrap`)"));
        }
        if let Some(n) = &null {
            return Err(n.error("a wild bootstrap null setting without draws; give --wild-bootstrap B (or `[analysis] wild_bootstrap`)"));
        }
        return Ok(None);
    };
    if cluster.is_none() {
        return Err(draws
            .error("the wild cluster bootstrap resamples clusters, and the analysis has none")
            .with_hint("give a cluster column (--cluster or `[analysis] cluster`), or use --ri for randomization inference"));
    }
    if estimator.value == Estimator::Dim {
        return Err(draws
            .error(format!(
                "the wild cluster bootstrap is for regression rows, and the estimator is the difference in means ({})",
                estimator.origin
            ))
            .with_hint("use --estimator ols (the same estimate without covariates) or lin"));
    }
    if draws.value < MIN_WILD_DRAWS {
        return Err(draws.error(format!(
            "{} wild bootstrap draws are too few for a p-value; use at least {MIN_WILD_DRAWS} (boottest's default is 999; with Rademacher weights and 2^G <= B every sign vector is enumerated), or 0 for none",
            draws.value
        )));
    }
    let seed = flags.seed.or(study.map(Study::seed)).ok_or_else(|| {
        draws.error("the wild bootstrap needs --seed N (or a study, whose seed is used)")
    })?;
    Ok(Some(draws.map(|draws| WildSettings {
        draws,
        weights: weights.map_or(WildWeights::Rademacher, |w| w.value),
        null: null.map_or(WildNull::Impose, |n| n.value),
        seed,
    })))
}

/// Fewer randomization draws than this are refused: their p-values are too coarse to read.
pub const MIN_RI_DRAWS: u32 = 100;

impl AnalysisSettings {
    /// Merge `flags` over the study's `[analysis]` and `[design]` (or flags alone, ad hoc).
    pub fn resolve(flags: &AnalysisFlags, study: Option<&Study>) -> Result<AnalysisSettings> {
        let layers = Layers::new(study);
        let analysis = study.and_then(|s| s.spec.analysis.as_ref());
        let design = study.and_then(|s| s.spec.design.as_ref());
        let outcomes = layers.list(
            ("--outcome", flags.outcomes.as_ref()),
            ("analysis.outcomes", analysis.map(|a| &a.outcomes)),
        );
        if outcomes.value.is_empty() {
            let err = match study {
                Some(s) if analysis.is_none() => Error::spec(
                    s.key_location("analysis"),
                    "the study has no [analysis] section: which outcomes should be estimated?",
                )
                .with_hint("add [analysis] with `outcomes = [\"...\"]`, or give --outcome COL"),
                _ => outcomes.error(
                    "no outcome to analyse; give --outcome COL[,COL…] or `[analysis] outcomes`",
                ),
            };
            return Err(err);
        }
        let treatment = treatment_column(flags.treatment.as_ref(), study)?;
        let control = control_arm(flags.control.as_ref(), study);
        let by = subgroup_column(("--by", flags.by.as_ref()), None, study);
        let covariates = layers.list(
            ("--covariates", flags.covariates.as_ref()),
            ("analysis.covariates", analysis.map(|a| &a.covariates)),
        );
        let categorical = layers.list(
            ("--categorical", flags.categorical.as_ref()),
            ("analysis.categorical", analysis.map(|a| &a.categorical)),
        );
        if let Some(c) = categorical
            .value
            .iter()
            .find(|c| !covariates.value.contains(c))
        {
            return Err(categorical.error(format!(
                "`{c}` is declared categorical but is not a covariate ({})",
                covariates.value.join(", ")
            )));
        }
        let estimator = match layers.text(
            ("--estimator", flags.estimator.as_ref()),
            (
                "analysis.estimator",
                analysis.and_then(|a| a.estimator.as_ref()),
            ),
        ) {
            Some(raw) => choose::<Estimator>(raw)?,
            None if covariates.value.is_empty() => Setting::new(
                Estimator::Dim,
                Origin::default_because("no covariates: difference in means"),
            ),
            None => Setting::new(
                Estimator::Lin,
                Origin::default_because("covariates: Lin (2013)"),
            ),
        };
        if estimator.value == Estimator::Dim && !covariates.value.is_empty() {
            return Err(covariates
                .error("the difference in means uses no covariates")
                .with_hint("use the estimator lin (or ols) to adjust for covariates"));
        }
        let design_strata = design.is_some_and(|d| !d.strata.is_empty());
        let mut strata = layers.list(
            ("--strata", flags.strata.as_ref()),
            ("analysis.strata", analysis.map(|a| &a.strata)),
        );
        if strata.value.is_empty()
            && flags.strata.is_none()
            && design_strata
            && matches!(estimator.value, Estimator::Fe | Estimator::Dim)
        {
            // A stratified design's own strata come from the ledger's `stratum` column.
            strata = Setting::new(
                vec![LEDGER_STRATUM.to_string()],
                Origin::default_because("the design's strata, from the ledger"),
            );
        }
        if estimator.value == Estimator::Fe && strata.value.is_empty() {
            return Err(estimator
                .error("the fixed-effects estimator needs strata; give --strata COL[,COL…]"));
        }
        let cluster = layers
            .text(
                ("--cluster", flags.cluster.as_ref()),
                (
                    "analysis.cluster",
                    analysis.and_then(|a| a.cluster.as_ref()),
                ),
            )
            .or_else(|| {
                if flags.cluster.is_some() {
                    return None;
                }
                layers.text(
                    ("--cluster", None),
                    ("design.cluster", design.and_then(|d| d.cluster.as_ref())),
                )
            });
        let se = match layers.text(
            ("--se", flags.se.as_ref()),
            ("analysis.se", analysis.and_then(|a| a.se.as_ref())),
        ) {
            Some(raw) => choose::<SeType>(raw)?,
            None if cluster.is_some() => Setting::new(
                SeType::Cr2,
                Origin::default_because("clusters: CR2, estimatr's default"),
            ),
            None => Setting::new(
                SeType::Hc2,
                Origin::default_because("HC2, estimatr's default"),
            ),
        };
        match (&cluster, se.value.is_cluster()) {
            (Some(c), false) => {
                return Err(se
                    .error(format!(
                        "{} ignores the clusters of `{}` ({}); with clusters use cr0, cr1, cr2 or cv3",
                        se.value.label().to_lowercase(),
                        c.value,
                        c.origin
                    ))
                    .with_hint("leave the SE type out for CR2, estimatr's default"));
            }
            (None, true) => {
                return Err(se.error(format!(
                    "{} needs clusters; give a cluster column (--cluster or `[analysis] cluster`) or use hc0..hc3",
                    se.value.label().to_lowercase()
                )));
            }
            _ => {}
        }
        let mut notes = Vec::new();
        if estimator.value == Estimator::Dim && !matches!(se.origin, Origin::Default { .. }) {
            // estimatr's difference_in_means has no se_type: its SE follows from the design
            // (Neyman; lm_robust HC2 with weights, CR2 with clusters; blocked and paired forms),
            // so a given SE type is not used (issue 12).
            notes.push(format!(
                "{} ({}) is not used by the difference in means, whose SE follows from the design (Neyman; HC2 with weights, CR2 with clusters, the blocked or paired form with strata; see the se_type column); use --estimator ols or lin to choose the SE type",
                se.value.label().to_lowercase(),
                se.origin
            ));
        }
        let participation = layers.text(
            ("--participation", flags.participation.as_ref()),
            (
                "analysis.participation",
                analysis.and_then(|a| a.participation.as_ref()),
            ),
        );
        let weights = layers.text(("--weights", flags.weights.as_ref()), ("", None));
        if let (Some(w), Some(_)) = (&weights, study) {
            return Err(w.error(
                "with a study, weights come from the ledger's assignment probabilities (--ipw)",
            ));
        }
        let ipw = match layers.text(
            ("--ipw", flags.ipw.as_ref()),
            ("analysis.ipw", analysis.and_then(|a| a.ipw.as_ref())),
        ) {
            Some(raw) => choose::<Ipw>(raw)?,
            None => Setting::new(
                Ipw::Auto,
                Origin::default_because("weight when assignment probabilities differ"),
            ),
        };
        let ri = ri_settings(
            &layers,
            flags.ri,
            analysis.and_then(|a| a.ri_draws),
            "analysis.ri_draws",
            flags.seed,
            // v2 is the default of `estimate` (faster); see docs/randomization-inference.md.
            (flags.ri_algorithm.as_ref(), RiAlgorithm::V2),
            study,
        )?;
        let wild = wild_settings(
            &layers,
            flags,
            analysis,
            study,
            &estimator,
            cluster.as_ref(),
        )?;
        let adjust = layers
            .text(
                ("--adjust", flags.adjust.as_ref()),
                ("analysis.adjust", analysis.and_then(|a| a.adjust.as_ref())),
            )
            .map(choose::<Adjustment>)
            .transpose()?;
        let missing_covariates = match layers.text(
            ("--missing-covariates", flags.missing_covariates.as_ref()),
            (
                "analysis.missing_covariates",
                analysis.and_then(|a| a.missing_covariates.as_ref()),
            ),
        ) {
            Some(raw) => choose::<MissingCovariates>(raw)?,
            None => Setting::new(
                MissingCovariates::Complete,
                Origin::default_because("complete cases, as lm_robust's na.omit"),
            ),
        };
        Ok(AnalysisSettings {
            outcomes,
            treatment,
            control,
            by,
            covariates,
            categorical,
            estimator,
            se,
            strata,
            cluster,
            participation,
            weights,
            ipw,
            ri,
            wild,
            adjust,
            missing_covariates,
            notes,
        })
    }

    /// The columns the analysis reads, by role.
    pub fn request(&self) -> AnalysisColumns {
        AnalysisColumns {
            outcomes: self.outcomes.value.clone(),
            treatment: self.treatment.value.clone(),
            control: self.control.as_ref().map(|c| c.value.clone()),
            covariates: self.covariates.value.clone(),
            by: self.by.as_ref().map(|b| b.value.clone()),
            strata: self.strata.value.clone(),
            cluster: self.cluster.as_ref().map(|c| c.value.clone()),
            weights: self.weights.as_ref().map(|w| w.value.clone()),
            participation: self.participation.as_ref().map(|p| p.value.clone()),
            categorical: self.categorical.value.clone(),
        }
    }

    /// The wild bootstrap's options (None: not asked for).
    pub fn wild_options(&self) -> Option<WildOptions> {
        self.wild.as_ref().map(|w| WildOptions {
            draws: w.value.draws,
            weights: w.value.weights,
            null: w.value.null,
            seed: w.value.seed,
            alpha: self.options().alpha,
        })
    }

    /// The estimator's options.
    pub fn options(&self) -> EstimateOptions {
        EstimateOptions {
            estimator: self.estimator.value,
            se: Some(self.se.value),
            alpha: 0.05,
            missing_covariates: self.missing_covariates.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad_hoc() -> AnalysisFlags {
        AnalysisFlags {
            outcomes: Some(vec!["y".into()]),
            treatment: Some("z".into()),
            ..AnalysisFlags::default()
        }
    }

    #[test]
    fn defaults_are_decided_once_from_the_other_settings() {
        let s = AnalysisSettings::resolve(&ad_hoc(), None).unwrap();
        assert_eq!(
            (s.estimator.value, s.se.value),
            (Estimator::Dim, SeType::Hc2)
        );
        let flags = AnalysisFlags {
            covariates: Some(vec!["age".into()]),
            cluster: Some("municipality".into()),
            ..ad_hoc()
        };
        let s = AnalysisSettings::resolve(&flags, None).unwrap();
        assert_eq!(
            (s.estimator.value, s.se.value),
            (Estimator::Lin, SeType::Cr2)
        );
    }

    #[test]
    fn a_bad_flag_is_a_usage_error_naming_the_flag() {
        let flags = AnalysisFlags {
            estimator: Some("LINN".into()),
            ..ad_hoc()
        };
        let err = AnalysisSettings::resolve(&flags, None).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("--estimator"), "{err}");
        assert!(!err.to_string().contains("analysis.estimator"), "{err}");
        let flags = AnalysisFlags {
            se: Some("hc2".into()),
            cluster: Some("m".into()),
            ..ad_hoc()
        };
        let err = AnalysisSettings::resolve(&flags, None).unwrap_err();
        assert!(err.to_string().contains("--se"), "{err}");
        let flags = AnalysisFlags {
            missing_covariates: Some("drop".into()),
            ..ad_hoc()
        };
        let err = AnalysisSettings::resolve(&flags, None).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("--missing-covariates"), "{err}");
        assert!(err.to_string().contains("indicator"), "{err}");
    }

    #[test]
    fn the_wild_bootstrap_needs_clusters_a_regression_and_enough_draws() {
        let wild = |change: &dyn Fn(&mut AnalysisFlags)| {
            let mut flags = AnalysisFlags {
                wild_bootstrap: Some(999),
                seed: Some(1),
                covariates: Some(vec!["age".into()]),
                cluster: Some("municipality".into()),
                ..ad_hoc()
            };
            change(&mut flags);
            AnalysisSettings::resolve(&flags, None)
        };
        let s = wild(&|_| {}).unwrap();
        let w = s.wild.as_ref().unwrap().value;
        assert_eq!(
            (w.weights, w.null, w.draws),
            (WildWeights::Rademacher, WildNull::Impose, 999)
        );
        let err = wild(&|f| f.cluster = None).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("--wild-bootstrap"), "{err}");
        assert!(err.to_string().contains("cluster"), "{err}");
        let err = wild(&|f| {
            f.estimator = Some("dim".into());
            f.covariates = None;
        })
        .unwrap_err();
        assert!(err.to_string().contains("difference in means"), "{err}");
        let err = wild(&|f| f.wild_bootstrap = Some(10)).unwrap_err();
        assert!(err.to_string().contains("at least 99"), "{err}");
        let err = wild(&|f| f.seed = None).unwrap_err();
        assert!(err.to_string().contains("--seed"), "{err}");
        let err = wild(&|f| f.wild_weights = Some("gauss".into())).unwrap_err();
        assert!(err.to_string().contains("--wild-weights"), "{err}");
        assert!(err.to_string().contains("normal"), "{err}");
        let err = wild(&|f| {
            f.wild_bootstrap = None;
            f.wild_null = Some("free".into());
        })
        .unwrap_err();
        assert!(err.to_string().contains("--wild-null"), "{err}");
        assert!(
            wild(&|f| f.wild_bootstrap = Some(0))
                .unwrap()
                .wild
                .is_none()
        );
        let cv3 = wild(&|f| {
            f.wild_bootstrap = None;
            f.se = Some("CV3".into());
        })
        .unwrap();
        assert_eq!(cv3.se.value, SeType::Cv3);
    }

    #[test]
    fn missing_covariates_default_to_complete_cases() {
        let s = AnalysisSettings::resolve(&ad_hoc(), None).unwrap();
        assert_eq!(s.missing_covariates.value, MissingCovariates::Complete);
        let flags = AnalysisFlags {
            missing_covariates: Some("Indicator".into()),
            ..ad_hoc()
        };
        let s = AnalysisSettings::resolve(&flags, None).unwrap();
        assert_eq!(s.options().missing_covariates, MissingCovariates::Indicator);
    }
}
