//! `lotta estimate`'s settings (and the effects part of `lotta run`): `[analysis]` and
//! `[design]` keys with the flags of `lotta estimate` over them, resolved once.

use super::{Choice, Layers, Origin, Setting, choose};
use crate::design::ledger::{LEDGER_ARM, LEDGER_STRATUM};
use crate::error::{Error, Result};
use crate::estimate::AnalysisColumns;
use crate::estimate::adjust::Adjustment;
use crate::estimate::inference::{DEFAULT_EXACT_MAX, RiPlan, RiStatistic};
use crate::estimate::missing::MissingCovariates;
use crate::estimate::multiple::FamilyDefinition;
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

impl Choice for RiStatistic {
    const WHAT: &'static str = "randomization statistic";
    const WORDS: &'static [(&'static str, RiStatistic)] = &[
        ("coefficient", RiStatistic::Coefficient),
        ("studentized", RiStatistic::Studentized),
        ("t", RiStatistic::Studentized),
    ];
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
    /// Subgroup variables, comma-separated (`gender,distance`, `gender*age_band`).
    pub by: Option<String>,
    /// Reference levels, comma-separated `column=level` (`gender=M`).
    pub reference: Option<String>,
    /// Differences between every pair of subgroup levels.
    pub pairs: Option<bool>,
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
    pub ri_exact_max: Option<u32>,
    pub ri_statistic: Option<String>,
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
    const WORDS: &'static [(&'static str, RiAlgorithm)] = &[
        ("v2", RiAlgorithm::V2),
        ("v1", RiAlgorithm::V1),
        ("v3", RiAlgorithm::V3),
    ];
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
/// The draw algorithm (`--ri-algorithm v1|v2|v3`, else the command's default) applies to data
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
    /// The subgroup variables (a column or a crossing `a*b` each), reported separately.
    pub by: Option<Setting<Vec<String>>>,
    /// The chosen reference level of subgroup columns (column → level; the others: the first
    /// level, stated in the output).
    pub references: Setting<std::collections::BTreeMap<String, String>>,
    /// Differences between every pair of subgroup levels.
    pub all_pairs: Setting<bool>,
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
    /// The largest number of distinct assignments randomization inference lists in full (exact
    /// p-values) instead of sampling `ri.draws` of them; 0 never enumerates.
    pub ri_exact_max: Setting<u32>,
    /// The statistic randomization inference compares: the estimate or its t statistic.
    #[serde(serialize_with = "serialize_choice")]
    pub ri_statistic: Setting<RiStatistic>,
    /// The wild cluster bootstrap (None: not asked for).
    pub wild: Option<Setting<WildSettings>>,
    #[serde(serialize_with = "serialize_optional_choice")]
    pub adjust: Option<Setting<Adjustment>>,
    /// Persons with a missing covariate: complete cases (default) or the indicator method.
    #[serde(serialize_with = "serialize_choice")]
    pub missing_covariates: Setting<MissingCovariates>,
    /// Families of hypotheses adjusted together (`[[analysis.families]]`).
    pub families: Setting<Vec<FamilyDefinition>>,
    /// Headlines lead with design-based inference below this many clusters (`[report]
    /// few_clusters`); presentation only.
    #[serde(skip)]
    pub few_clusters: Setting<usize>,
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
    let analysis_by = spec.and_then(|s| s.analysis.as_ref()?.first_by());
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
        let by = subgroup_variables(&layers, flags.by.as_ref(), study)?;
        let references =
            subgroup_references(&layers, flags.reference.as_ref(), study, by.as_ref())?;
        let all_pairs = match (flags.pairs, analysis.and_then(|a| a.pairs)) {
            (Some(p), _) => Setting::new(p, Origin::flag("--pairs")),
            (None, Some(p)) => Setting::new(p, layers.spec("analysis.pairs")),
            (None, None) => Setting::new(
                false,
                Origin::default_because("differences against the reference only"),
            ),
        };
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
        if let (Some(p), SeType::Cv3) = (&participation, se.value) {
            // The cluster jackknife of 2SLS must refit the first stage without each cluster;
            // the closed-form shifts of least squares (`estimate::clusters`) would treat the
            // fitted participation as data and understate the variance (issue 14).
            return Err(se
                .error(format!(
                    "cv3 (the cluster jackknife) is not available with the 2SLS effect of participation (`{}`, {}): its first stage would have to be refitted without each cluster",
                    p.value, p.origin
                ))
                .with_hint("use cr2 (or cr1) with --participation, or estimate the intention-to-treat effects with cv3 without it"));
        }
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
        let ri_exact_max = layers
            .pick(
                ("--ri-exact-max", flags.ri_exact_max.as_ref()),
                (
                    "analysis.ri_exact_max",
                    analysis.and_then(|a| a.ri_exact_max.as_ref()),
                ),
                |_| false,
            )
            .unwrap_or_else(|| {
                Setting::new(
                    DEFAULT_EXACT_MAX,
                    Origin::default_because("list every assignment when there are at most 100,000"),
                )
            });
        let ri_statistic = match layers.text(
            ("--ri-statistic", flags.ri_statistic.as_ref()),
            (
                "analysis.ri_statistic",
                analysis.and_then(|a| a.ri_statistic.as_ref()),
            ),
        ) {
            Some(raw) => choose::<RiStatistic>(raw)?,
            None => Setting::new(
                RiStatistic::Coefficient,
                Origin::default_because("the estimate itself, as ri2 and ritest"),
            ),
        };
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
        let families = families(
            &layers,
            analysis,
            (&outcomes, by.as_ref()),
            flags.by.is_some(),
            study,
            &mut notes,
        )?;
        Ok(AnalysisSettings {
            families,
            outcomes,
            treatment,
            control,
            by,
            references,
            all_pairs,
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
            ri_exact_max,
            ri_statistic,
            few_clusters: super::report::few_clusters(study),
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
            by: self
                .by
                .as_ref()
                .map(|b| b.value.clone())
                .unwrap_or_default(),
            references: self.references.value.clone(),
            strata: self.strata.value.clone(),
            cluster: self.cluster.as_ref().map(|c| c.value.clone()),
            weights: self.weights.as_ref().map(|w| w.value.clone()),
            participation: self.participation.as_ref().map(|p| p.value.clone()),
            categorical: self.categorical.value.clone(),
        }
    }

    /// Randomization inference as the core takes it (None: not asked for).
    pub fn ri_plan(&self) -> Option<RiPlan> {
        self.ri.as_ref().map(|ri| RiPlan {
            draws: ri.value.draws as usize,
            seed: ri.value.seed,
            exact_max: self.ri_exact_max.value,
            statistic: self.ri_statistic.value,
            algorithm: ri.value.algorithm,
        })
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
            all_pairs: self.all_pairs.value,
        }
    }

    /// The subgroup variables as one text (`gender, gender*age_band`), for records and methods.
    pub fn by_text(&self) -> Option<String> {
        self.by.as_ref().map(|b| b.value.join(", "))
    }
}

/// The families of hypotheses of `[[analysis.families]]`, validated: a unique name, outcomes
/// among the analysed ones, subgroups that are `all` or belong to a subgroup variable, arms
/// among the design's treated arms. Each error names the family and what it wrote. When the
/// outcomes or subgroup variables come from a flag (a run narrower than the study's), a family
/// naming what the run does not analyse is left out with a note instead.
fn families(
    layers: &Layers<'_>,
    analysis: Option<&crate::spec::analysis::AnalysisSpec>,
    (outcomes, by): (&Setting<Vec<String>>, Option<&Setting<Vec<String>>>),
    by_flag: bool,
    study: Option<&Study>,
    notes: &mut Vec<String>,
) -> Result<Setting<Vec<FamilyDefinition>>> {
    let narrowed = |setting: Option<&Origin>| matches!(setting, Some(Origin::Flag { .. }));
    let written = analysis.map(|a| a.families.as_slice()).unwrap_or_default();
    if written.is_empty() {
        return Ok(Setting::new(
            Vec::new(),
            Origin::default_because("no family declared"),
        ));
    }
    let variables: Vec<String> = by.map(|b| b.value.clone()).unwrap_or_default();
    let design = study.and_then(|s| s.spec.design.as_ref());
    let treated: Option<Vec<String>> = design.map(|d| {
        let control = control_arm(None, study).map(|c| c.value);
        d.arms
            .keys()
            .filter(|a| Some(*a) != control.as_ref())
            .cloned()
            .collect()
    });
    let with_hint = |err: Error, entry: &str, known: &[String]| match crate::error::nearest(
        entry,
        known.iter().map(String::as_str),
    ) {
        Some(near) => err.with_hint(format!("did you mean `{near}`?")),
        None => err,
    };
    let mut out: Vec<FamilyDefinition> = Vec::new();
    for (i, f) in written.iter().enumerate() {
        let key = |field: &str| layers.spec(&format!("analysis.families[{}].{field}", i + 1));
        let name = f.name.trim();
        if name.is_empty() {
            return Err(key("name").error("a family needs a name (e.g. name = \"primary\")"));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(key("name").error(format!("the family `{name}` is declared twice")));
        }
        if f.outcomes.is_empty() {
            return Err(key("outcomes").error(format!(
                "the family `{name}` has no outcome; list some of [analysis] outcomes ({})",
                outcomes.value.join(", ")
            )));
        }
        if let Some(o) = f.outcomes.iter().find(|o| !outcomes.value.contains(o))
            && narrowed(Some(&outcomes.origin))
        {
            notes.push(format!(
                "the family `{name}` is left out: it names the outcome `{o}`, which this run does not analyse ({})",
                outcomes.origin
            ));
            continue;
        }
        for o in &f.outcomes {
            if !outcomes.value.contains(o) {
                let err = key("outcomes").error(format!(
                    "the family `{name}` names the outcome `{o}`, which is not analysed ({}: {})",
                    outcomes.origin,
                    outcomes.value.join(", ")
                ));
                return Err(with_hint(err, o, &outcomes.value));
            }
        }
        let subgroups = f.subgroups.clone().unwrap_or_else(|| vec!["all".into()]);
        let variable_of =
            |s: &String| crate::estimate::subgroups::variable_of(s).unwrap_or_else(|| s.clone());
        if let Some(s) = subgroups
            .iter()
            .find(|s| *s != "all" && !variables.contains(&variable_of(s)))
            && by_flag
        {
            notes.push(format!(
                "the family `{name}` is left out: it names the subgroup `{s}`, which this run does not analyse (--by)"
            ));
            continue;
        }
        for s in &subgroups {
            let variable = variable_of(s);
            if s != "all" && !variables.contains(&variable) {
                let err = key("subgroups").error(if variables.is_empty() {
                    format!(
                        "the family `{name}` names the subgroup `{s}`, but the analysis has no subgroup variable (`by`)"
                    )
                } else {
                    format!(
                        "the family `{name}` names the subgroup `{s}`, which is not `all` and not of a subgroup variable ({})",
                        variables.join(", ")
                    )
                });
                return Err(with_hint(err, &variable, &variables));
            }
        }
        let arms = f.arms.clone().unwrap_or_default();
        if let Some(treated) = &treated {
            for a in &arms {
                if !treated.contains(a) {
                    let err = key("arms").error(format!(
                        "the family `{name}` names the arm `{a}`, which is not a treated arm of the design ({})",
                        treated.join(", ")
                    ));
                    return Err(with_hint(err, a, treated));
                }
            }
        }
        out.push(FamilyDefinition {
            name: name.to_string(),
            outcomes: f.outcomes.clone(),
            subgroups,
            arms,
        });
    }
    Ok(Setting::new(out, layers.spec("analysis.families")))
}

/// The subgroup variables: `--by a,b*c` over `[analysis] by` (a column or a list) over
/// `[design] by`; an empty flag unsets. Each is a column or a crossing of distinct columns
/// (`gender*age_band`); a variable given twice is an error naming where it came from.
pub fn subgroup_variables(
    layers: &Layers<'_>,
    flag: Option<&String>,
    study: Option<&Study>,
) -> Result<Option<Setting<Vec<String>>>> {
    let spec = study.map(|s| &s.spec);
    let analysis_by = spec.and_then(|s| s.analysis.as_ref()?.by.as_ref());
    let design_by = spec.and_then(|s| s.design.as_ref()?.by.as_ref());
    let found = match flag {
        Some(text) if text.trim().is_empty() => return Ok(None),
        Some(text) => Some(Setting::new(
            text.split(',').map(|v| v.to_string()).collect::<Vec<_>>(),
            Origin::flag("--by"),
        )),
        None => analysis_by
            .map(|b| Setting::new(b.variables(), layers.spec("analysis.by")))
            .or_else(|| design_by.map(|b| Setting::new(vec![b.clone()], layers.spec("design.by")))),
    };
    let Some(found) = found else {
        return Ok(None);
    };
    let mut variables: Vec<String> = Vec::new();
    for raw in &found.value {
        let columns: Vec<String> = raw
            .split(crate::estimate::subgroups::CROSSING)
            .map(|c| c.trim().to_string())
            .collect();
        if columns.iter().any(String::is_empty) {
            return Err(found.error(format!(
                "`{raw}` is not a subgroup variable: give a column, or columns crossed with `*` (gender*age_band)"
            )));
        }
        if let Some(c) = columns
            .iter()
            .find(|c| columns.iter().filter(|d| d == c).count() > 1)
        {
            return Err(found.error(format!("`{raw}` crosses `{c}` with itself")));
        }
        let variable = columns.join("*");
        if variables.contains(&variable) {
            return Err(found.error(format!("the subgroup variable `{variable}` is given twice")));
        }
        variables.push(variable);
    }
    if variables.is_empty() {
        return Ok(None);
    }
    Ok(Some(Setting::new(variables, found.origin)))
}

/// The chosen reference levels: `--reference gender=M,distance=far` over `[analysis] reference`
/// (a table). Each must name a subgroup column (or a crossing, with a cell label); whether the
/// level exists is checked against the data when it is read.
pub fn subgroup_references(
    layers: &Layers<'_>,
    flag: Option<&String>,
    study: Option<&Study>,
    by: Option<&Setting<Vec<String>>>,
) -> Result<Setting<std::collections::BTreeMap<String, String>>> {
    use std::collections::BTreeMap;
    let spec = study
        .and_then(|s| s.spec.analysis.as_ref())
        .map(|a| &a.reference);
    let found = match flag {
        Some(text) => {
            let origin = Origin::flag("--reference");
            let mut map = BTreeMap::new();
            for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
                let Some((column, level)) = pair.split_once('=') else {
                    return Err(origin.error(format!(
                        "`{pair}` is not COLUMN=LEVEL (e.g. --reference gender=M)"
                    )));
                };
                map.insert(column.trim().to_string(), level.trim().to_string());
            }
            Setting::new(map, origin)
        }
        None => match spec.filter(|m| !m.is_empty()) {
            Some(map) => Setting::new(map.clone(), layers.spec("analysis.reference")),
            None => {
                return Ok(Setting::new(
                    BTreeMap::new(),
                    Origin::default_because("the first level of each subgroup variable"),
                ));
            }
        },
    };
    let variables: Vec<String> = by.map(|b| b.value.clone()).unwrap_or_default();
    let mut known: Vec<String> = variables.clone();
    for v in &variables {
        for c in v.split(crate::estimate::subgroups::CROSSING) {
            if !known.iter().any(|k| k == c) {
                known.push(c.to_string());
            }
        }
    }
    if let Some(column) = found.value.keys().find(|k| !known.contains(k)) {
        let message = if known.is_empty() {
            format!("a reference level for `{column}`, but no subgroup variable is given")
        } else {
            format!(
                "a reference level for `{column}`, which is not a subgroup column ({})",
                known.join(", ")
            )
        };
        let mut err = found.error(message);
        if let Some(near) = crate::error::nearest(column, known.iter().map(String::as_str)) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    }
    Ok(found)
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
    fn exact_inference_and_the_statistic_resolve_with_their_defaults_and_refuse_typos() {
        let flags = AnalysisFlags {
            ri: Some(1000),
            seed: Some(1),
            ..ad_hoc()
        };
        let s = AnalysisSettings::resolve(&flags, None).unwrap();
        let plan = s.ri_plan().unwrap();
        assert_eq!(plan.exact_max, DEFAULT_EXACT_MAX);
        assert_eq!(plan.statistic, RiStatistic::Coefficient);
        assert_eq!(s.few_clusters.value, 30);
        let flags = AnalysisFlags {
            ri_exact_max: Some(0),
            ri_statistic: Some("Studentized".into()),
            ..flags
        };
        let plan = AnalysisSettings::resolve(&flags, None)
            .unwrap()
            .ri_plan()
            .unwrap();
        assert_eq!(
            (plan.exact_max, plan.statistic),
            (0, RiStatistic::Studentized)
        );
        let err = AnalysisSettings::resolve(
            &AnalysisFlags {
                ri_statistic: Some("studentised".into()),
                ..flags
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("--ri-statistic"), "{err}");
        assert!(format!("{err:?}").contains("studentized"), "{err:?}");
    }

    #[test]
    fn cv3_with_the_2sls_effect_is_refused_with_the_way_out() {
        let flags = AnalysisFlags {
            cluster: Some("municipality".into()),
            se: Some("cv3".into()),
            participation: Some("took_part".into()),
            ..ad_hoc()
        };
        let err = AnalysisSettings::resolve(&flags, None).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("--se") && text.contains("2SLS"), "{text}");
        assert!(text.contains("cr2"), "{text}");
        let flags = AnalysisFlags {
            participation: None,
            ..flags
        };
        assert!(AnalysisSettings::resolve(&flags, None).is_ok());
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
