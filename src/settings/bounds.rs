//! `lotta bounds`'s settings (and the attrition-bounds part of `lotta run`): `[bounds]` keys with
//! the flags of `lotta bounds` over them, resolved once. The control arm and the subgroup column
//! follow the rules every command uses (`analysis::control_arm`, `analysis::subgroup_column`).

use super::analysis::{control_arm, subgroup_column, treatment_column};
use super::{Layers, Origin, Setting};
use crate::error::Result;
use crate::spec::Study;
use serde::Serialize;
use std::collections::BTreeMap;

/// The flags of `lotta bounds` as given (None: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoundsFlags {
    pub outcomes: Option<Vec<String>>,
    /// One 0/1 column saying whether every flagged outcome is observed.
    pub observed_when: Option<String>,
    pub cells: Option<Vec<String>>,
    pub treatment: Option<String>,
    pub control: Option<String>,
    pub by: Option<String>,
}

/// Everything `bounds` needs, resolved and checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundsSettings {
    pub outcomes: Setting<Vec<String>>,
    /// Outcome → the 0/1 column saying whether it is observed (absent: observed where given).
    pub observed_when: Setting<BTreeMap<String, String>>,
    /// Cells for tightened bounds (empty: bounds without cells only).
    pub cells: Setting<Vec<String>>,
    pub treatment: Setting<String>,
    pub control: Option<Setting<String>>,
    pub by: Option<Setting<String>>,
    /// Confidence level of the Imbens–Manski intervals.
    pub level: f64,
}

impl BoundsSettings {
    /// Merge `flags` over the study's `[bounds]` (or flags alone, ad hoc).
    pub fn resolve(flags: &BoundsFlags, study: Option<&Study>) -> Result<BoundsSettings> {
        let layers = Layers::new(study);
        let spec = study.and_then(|s| s.spec.bounds.as_ref());
        let outcomes = layers.list(
            ("--outcome", flags.outcomes.as_ref()),
            ("bounds.outcomes", spec.map(|s| &s.outcomes)),
        );
        if outcomes.value.is_empty() {
            return Err(match (study, spec) {
                (Some(s), None) => crate::error::Error::spec(
                    s.key_location("bounds"),
                    "the study has no [bounds] section: which outcomes are observed only for some?",
                )
                .with_hint("add [bounds] with `outcomes = [...]`, or give --outcome COL"),
                _ => outcomes.error(
                    "name the outcomes observed only for some (--outcome COL, or `bounds.outcomes`)",
                ),
            });
        }
        let observed_when = match (&flags.observed_when, spec) {
            (Some(column), _) if !column.trim().is_empty() => Setting::new(
                outcomes
                    .value
                    .iter()
                    .map(|o| (o.clone(), column.trim().to_string()))
                    .collect(),
                Origin::flag("--observed-when"),
            ),
            (Some(_), _) => Setting::new(BTreeMap::new(), Origin::flag("--observed-when")),
            (None, Some(s)) if !s.observed_when.is_empty() => {
                Setting::new(s.observed_when.clone(), layers.spec("bounds.observed_when"))
            }
            _ => Setting::new(
                BTreeMap::new(),
                Origin::default_because("an outcome is observed where it is given"),
            ),
        };
        if let Some(stray) = observed_when
            .value
            .keys()
            .find(|k| !outcomes.value.contains(k))
        {
            return Err(observed_when.error(format!(
                "`{stray}` is not one of the bounded outcomes ({}); observed_when is keyed by outcome",
                outcomes.value.join(", ")
            )));
        }
        let cells = layers.list(
            ("--cells", flags.cells.as_ref()),
            ("bounds.cells", spec.map(|s| &s.cells)),
        );
        let treatment = treatment_column(flags.treatment.as_ref(), study)?;
        let control = control_arm(flags.control.as_ref(), study);
        let by = subgroup_column(
            ("--by", flags.by.as_ref()),
            Some(("bounds.by", spec.and_then(|s| s.by.as_ref()))),
            study,
        );
        Ok(BoundsSettings {
            outcomes,
            observed_when,
            cells,
            treatment,
            control,
            by,
            level: 0.95,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_need_outcomes_and_the_flag_wins() {
        let flags = BoundsFlags {
            treatment: Some("arm".into()),
            ..BoundsFlags::default()
        };
        let err = BoundsSettings::resolve(&flags, None).unwrap_err();
        assert!(err.to_string().contains("--outcome"), "{err}");
        let flags = BoundsFlags {
            outcomes: Some(vec!["earnings".into(), "answer".into()]),
            observed_when: Some("employed".into()),
            cells: Some(vec!["site".into()]),
            ..flags
        };
        let s = BoundsSettings::resolve(&flags, None).unwrap();
        assert_eq!(s.observed_when.value["answer"], "employed");
        assert_eq!(s.cells.value, ["site"]);
    }
}
