//! `lotta survival`'s settings (and the survival part of `lotta run`): `[survival]` keys with
//! the flags of `lotta survival` over them, resolved once. The control arm and the subgroup
//! column follow the rules every command uses (`analysis::control_arm`,
//! `analysis::subgroup_column`); the cluster column falls back to `[design] cluster`.

use super::analysis::{RiSettings, control_arm, ri_settings, subgroup_column, treatment_column};
use super::{Layers, Origin, Setting};
use crate::error::Result;
use crate::estimate::subsets::RiAlgorithm;
use crate::spec::Study;
use serde::Serialize;

/// The flags of `lotta survival` as given (None: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurvivalFlags {
    pub time: Option<String>,
    pub event: Option<String>,
    pub treatment: Option<String>,
    pub control: Option<String>,
    pub by: Option<String>,
    pub strata: Option<Vec<String>>,
    pub cluster: Option<String>,
    pub cause: Option<String>,
    pub tau: Option<f64>,
    pub at: Option<Vec<f64>>,
    pub ri: Option<u32>,
    /// `--ri-algorithm`: the draw algorithm of randomization inference without a ledger.
    pub ri_algorithm: Option<String>,
    pub seed: Option<u64>,
}

/// Everything `survival` needs, resolved and checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalSettings {
    pub time: Setting<String>,
    pub event: Setting<String>,
    /// The treatment column: the ledger's `arm` with a study, `--treatment` ad hoc.
    pub treatment: Setting<String>,
    /// The comparison arm (None ad hoc: `0` when the arms are 0/1).
    pub control: Option<Setting<String>>,
    pub by: Option<Setting<String>>,
    pub strata: Setting<Vec<String>>,
    pub cluster: Option<Setting<String>>,
    pub cause: Option<Setting<String>>,
    /// τ for the RMST (None: survRM2's default, decided from the data).
    pub tau: Option<Setting<f64>>,
    /// Times for the Kaplan–Meier and cumulative-incidence rows (empty: τ).
    pub at: Setting<Vec<f64>>,
    pub ri: Option<Setting<RiSettings>>,
    /// Confidence level of every interval.
    pub level: f64,
}

impl SurvivalSettings {
    /// Merge `flags` over the study's `[survival]` (or flags alone, ad hoc).
    pub fn resolve(flags: &SurvivalFlags, study: Option<&Study>) -> Result<SurvivalSettings> {
        let layers = Layers::new(study);
        let spec = study.and_then(|s| s.spec.survival.as_ref());
        let design = study.and_then(|s| s.spec.design.as_ref());
        let required = |flag: &str, key: &str, value: Option<Setting<String>>, what: &str| {
            value.ok_or_else(|| match study {
                Some(s) if spec.is_none() => crate::error::Error::spec(
                    s.key_location("survival"),
                    format!("the study has no [survival] section: which column is {what}?"),
                )
                .with_hint(format!("add [survival] with `{}`, or give {flag} COL", key)),
                _ => Origin::flag(flag).error(format!(
                    "give {flag} COL ({what}), or `{key}` in the study's [survival]"
                )),
            })
        };
        let time = required(
            "--time",
            "survival.time",
            layers.text(
                ("--time", flags.time.as_ref()),
                ("survival.time", spec.and_then(|s| s.time.as_ref())),
            ),
            "the time from randomization to the event or censoring",
        )?;
        let event = required(
            "--event",
            "survival.event",
            layers.text(
                ("--event", flags.event.as_ref()),
                ("survival.event", spec.and_then(|s| s.event.as_ref())),
            ),
            "the event indicator (0 censored, 1 event, or causes)",
        )?;
        let treatment = treatment_column(flags.treatment.as_ref(), study)?;
        let control = control_arm(flags.control.as_ref(), study);
        let by = subgroup_column(
            ("--by", flags.by.as_ref()),
            Some(("survival.by", spec.and_then(|s| s.by.as_ref()))),
            study,
        );
        let strata = layers.list(
            ("--strata", flags.strata.as_ref()),
            ("survival.strata", spec.map(|s| &s.strata)),
        );
        let cluster = layers
            .text(
                ("--cluster", flags.cluster.as_ref()),
                ("survival.cluster", spec.and_then(|s| s.cluster.as_ref())),
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
        let cause = layers.text(
            ("--cause", flags.cause.as_ref()),
            ("survival.cause", spec.and_then(|s| s.cause.as_ref())),
        );
        let tau = layers.pick(
            ("--tau", flags.tau.as_ref()),
            ("survival.tau", spec.and_then(|s| s.tau.as_ref())),
            |_| false,
        );
        if let Some(t) = &tau
            && !(t.value > 0.0 && t.value.is_finite())
        {
            return Err(t.error(format!(
                "τ = {} is not a positive time; the RMST horizon must be > 0",
                t.value
            )));
        }
        let at = match (&flags.at, spec.map(|s| &s.at)) {
            (Some(v), _) => Setting::new(v.clone(), Origin::flag("--at")),
            (None, Some(v)) if !v.is_empty() => Setting::new(v.clone(), layers.spec("survival.at")),
            _ => Setting::new(Vec::new(), Origin::default_because("τ")),
        };
        if let Some(bad) = at.value.iter().find(|t| !(**t >= 0.0 && t.is_finite())) {
            return Err(at.error(format!("--at time {bad} is not a time ≥ 0")));
        }
        let mut at = at;
        at.value.sort_by(f64::total_cmp);
        at.value.dedup();
        let ri = ri_settings(
            &layers,
            flags.ri,
            spec.and_then(|s| s.ri_draws),
            "survival.ri_draws",
            flags.seed,
            // v2 is the default, as for `estimate`: with the per-cell counts of `survival::ri`
            // it is the faster one there too (docs/randomization-inference.md).
            (flags.ri_algorithm.as_ref(), RiAlgorithm::V2),
            study,
        )?;
        // Without a study there is no ledger to replay, and permuting persons would break up
        // the clusters the design assigned whole.
        if let (Some(_), Some(cluster), None) = (&ri, &cluster, study) {
            return Err(cluster.error(
                "randomization inference with clusters needs the study's ledger, whose design \
                 re-draws whole clusters; run `lotta survival` with the study",
            ));
        }
        Ok(SurvivalSettings {
            time,
            event,
            treatment,
            control,
            by,
            strata,
            cluster,
            cause,
            tau,
            at,
            ri,
            level: 0.95,
        })
    }

    /// The outcome name in result rows: the time column, with the cause when given.
    pub fn outcome(&self) -> String {
        match &self.cause {
            Some(c) => format!("{}:{}", self.time.value, c.value),
            None => self.time.value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn ad_hoc() -> SurvivalFlags {
        SurvivalFlags {
            time: Some("t".into()),
            event: Some("e".into()),
            treatment: Some("z".into()),
            ..SurvivalFlags::default()
        }
    }

    #[test]
    fn missing_columns_and_bad_values_name_the_flag() {
        let flags = SurvivalFlags {
            time: None,
            ..ad_hoc()
        };
        let err = SurvivalSettings::resolve(&flags, None).unwrap_err();
        assert!(matches!(err, Error::Usage(_)) && err.to_string().contains("--time"));
        let flags = SurvivalFlags {
            tau: Some(-3.0),
            ..ad_hoc()
        };
        let err = SurvivalSettings::resolve(&flags, None).unwrap_err();
        assert!(err.to_string().contains("--tau"), "{err}");
        let flags = SurvivalFlags {
            ri: Some(10),
            ..ad_hoc()
        };
        assert!(SurvivalSettings::resolve(&flags, None).is_err());
        let flags = SurvivalFlags {
            at: Some(vec![365.0, 90.0, 90.0]),
            ..ad_hoc()
        };
        let s = SurvivalSettings::resolve(&flags, None).unwrap();
        assert_eq!(s.at.value, [90.0, 365.0]);
    }

    #[test]
    fn clusters_with_randomization_inference_need_a_study() {
        let flags = SurvivalFlags {
            cluster: Some("site".into()),
            ri: Some(200),
            seed: Some(1),
            ..ad_hoc()
        };
        let err = SurvivalSettings::resolve(&flags, None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--cluster") && text.contains("study's ledger"),
            "{text}"
        );
        let without_ri = SurvivalFlags { ri: None, ..flags };
        assert!(SurvivalSettings::resolve(&without_ri, None).is_ok());
    }
}
