//! The indicators of a study (`[[indicators]]`, `[targets]`), resolved once and checked before
//! any work: each target a share in [0, 1] with its direction, each subgroup a column or a
//! crossing of columns, each arm one of the study's, each banded column with increasing breaks.
//! Whether the named columns exist is checked against the files by `ops::targets`, which blames
//! the same keys. Every error names the key the user wrote (`indicators[2].target`) and, for a
//! word, the nearest valid one.

use super::{Choice, Layers, Origin, Setting, choose};
use crate::error::{Error, Result, nearest};
use crate::spec::Study;
use crate::targets::{Direction, Target};
use serde::Serialize;

impl Choice for Direction {
    const WHAT: &'static str = "target direction";
    const WORDS: &'static [(&'static str, Direction)] = &[
        ("at least", Direction::AtLeast),
        ("at_least", Direction::AtLeast),
        ("at-least", Direction::AtLeast),
        (">=", Direction::AtLeast),
        ("minimum", Direction::AtLeast),
        ("at most", Direction::AtMost),
        ("at_most", Direction::AtMost),
        ("at-most", Direction::AtMost),
        ("<=", Direction::AtMost),
        ("maximum", Direction::AtMost),
    ];
}

/// What an indicator measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A 0/1 outcome: its share, against a target if one is given.
    Share,
    /// A text outcome: its categories by arm, with tests of independence.
    Categories,
}

impl Choice for Kind {
    const WHAT: &'static str = "indicator kind";
    const WORDS: &'static [(&'static str, Kind)] = &[
        ("share", Kind::Share),
        ("categories", Kind::Categories),
        ("category", Kind::Categories),
        ("text", Kind::Categories),
    ];
}

/// One indicator, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Its id in the tables (the `name` key, else the outcome).
    pub name: String,
    pub label: Option<String>,
    pub outcome: Setting<String>,
    /// The arms it is computed for (empty: every arm).
    pub arms: Setting<Vec<String>>,
    /// Subgroups: each the columns of one crossing (`gender*age_band` → [gender, age_band]).
    pub by: Vec<Setting<Vec<String>>>,
    pub kind: Kind,
    pub target: Option<Setting<Target>>,
    /// Categories left out of a `categories` indicator.
    pub exclude: Vec<String>,
}

/// A column banded from a numeric one.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub name: String,
    pub from: Setting<String>,
    pub breaks: Vec<f64>,
}

/// Every indicator setting of a study.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    pub indicators: Vec<Indicator>,
    /// The monitoring table's crossing (None: no monitoring table).
    pub monitoring: Option<Setting<Vec<String>>>,
    pub bands: Vec<Band>,
    /// Confidence level of every interval.
    pub level: f64,
}

/// The columns of a subgroup expression: `gender` or a crossing `gender*age_band`.
pub fn crossing_columns(expression: &str) -> Option<Vec<String>> {
    let columns: Vec<String> = expression
        .split('*')
        .map(|c| c.trim().to_string())
        .collect();
    let distinct = columns
        .iter()
        .enumerate()
        .all(|(i, c)| !columns[..i].contains(c));
    (columns.iter().all(|c| !c.is_empty()) && distinct).then_some(columns)
}

impl TargetSettings {
    /// The study's indicators; None when it declares none (no `[[indicators]]`, no monitoring).
    pub fn resolve(study: &Study) -> Result<Option<TargetSettings>> {
        let spec = &study.spec;
        let section = spec.targets.clone().unwrap_or_default();
        if spec.indicators.is_empty() && section.monitoring.is_none() {
            return Ok(None);
        }
        let layers = Layers::new(Some(study));
        let arms: Vec<String> = spec
            .design
            .as_ref()
            .map(|d| d.arms.keys().cloned().collect())
            .unwrap_or_default();
        let level = match section.level {
            None => 0.95,
            Some(l) if l > 0.0 && l < 1.0 => l,
            Some(l) => {
                return Err(layers
                    .spec("targets.level")
                    .error(format!(
                        "level {l} is not a confidence level between 0 and 1"
                    ))
                    .with_hint("write e.g. `level = 0.95`"));
            }
        };
        let crossing = |key: &str, expression: &str| -> Result<Setting<Vec<String>>> {
            crossing_columns(expression)
                .map(|c| Setting::new(c, layers.spec(key)))
                .ok_or_else(|| {
                    layers
                        .spec(key)
                        .error(format!(
                            "`{expression}` is not a subgroup: write a column (`gender`) or a crossing of different columns (`gender*age_band`)"
                        ))
                })
        };
        let monitoring = section
            .monitoring
            .as_deref()
            .map(|m| crossing("targets.monitoring", m))
            .transpose()?;
        let mut bands = Vec::new();
        for (name, band) in &section.bands {
            let key = format!("targets.bands.{name}");
            let increasing = band.breaks.windows(2).all(|w| w[0] < w[1]);
            if band.breaks.len() < 2 || !increasing || band.breaks.iter().any(|b| !b.is_finite()) {
                return Err(layers
                    .spec(&key)
                    .error(format!(
                        "the breaks of band `{name}` must be two or more increasing numbers; got {:?}",
                        band.breaks
                    ))
                    .with_hint("e.g. `breaks = [16, 25, 55]` makes the bands 16-24 and 25-54"));
            }
            bands.push(Band {
                name: name.clone(),
                from: Setting::new(band.from.clone(), layers.spec(&format!("{key}.from"))),
                breaks: band.breaks.clone(),
            });
        }
        let mut indicators: Vec<Indicator> = Vec::new();
        for (i, raw) in spec.indicators.iter().enumerate() {
            let key = |k: &str| format!("indicators[{}].{k}", i + 1);
            let outcome = raw
                .outcome
                .as_ref()
                .filter(|o| !o.trim().is_empty())
                .map(|o| Setting::new(o.trim().to_string(), layers.spec(&key("outcome"))))
                .ok_or_else(|| {
                    Error::spec(
                        study.key_location(&format!("indicators[{}]", i + 1)),
                        "this indicator names no outcome",
                    )
                    .with_hint("add `outcome = \"<column>\"` (a 0/1 column, or a text column with `kind = \"categories\"`)")
                })?;
            let kind = match &raw.kind {
                Some(k) => {
                    choose::<Kind>(Setting::new(k.clone(), layers.spec(&key("kind"))))?.value
                }
                None => Kind::Share,
            };
            let direction = match &raw.direction {
                Some(d) => Some(choose::<Direction>(Setting::new(
                    d.clone(),
                    layers.spec(&key("direction")),
                ))?),
                None => None,
            };
            let target = match (raw.target, kind) {
                (Some(_), Kind::Categories) => {
                    return Err(layers
                        .spec(&key("target"))
                        .error("a `categories` indicator tabulates a text outcome and has no target share")
                        .with_hint("remove `target`, or give a 0/1 outcome with `kind = \"share\"`"));
                }
                (Some(t), Kind::Share) => {
                    if !(0.0..=1.0).contains(&t) {
                        let hint = if t > 1.0 && t <= 100.0 {
                            format!("a share is written between 0 and 1: {} for {t}%", t / 100.0)
                        } else {
                            "a share is written between 0 and 1, e.g. 0.60".to_string()
                        };
                        return Err(layers
                            .spec(&key("target"))
                            .error(format!("target {t} is not a share in [0, 1]"))
                            .with_hint(hint));
                    }
                    let direction = direction.map_or(Direction::AtLeast, |d| d.value);
                    Some(Setting::new(
                        Target {
                            share: t,
                            direction,
                        },
                        layers.spec(&key("target")),
                    ))
                }
                (None, _) => {
                    if let Some(d) = &direction {
                        return Err(d.error("a direction needs a target share").with_hint(
                            format!(
                                "add `target = 0.60` to indicator {}, or remove `direction`",
                                i + 1
                            ),
                        ));
                    }
                    None
                }
            };
            if kind == Kind::Share && !raw.exclude.is_empty() {
                return Err(layers
                    .spec(&key("exclude"))
                    .error("`exclude` leaves categories out of a text outcome; this indicator is a 0/1 share")
                    .with_hint("add `kind = \"categories\"`, or remove `exclude`"));
            }
            let arms_setting = Setting::new(raw.arms.clone(), layers.spec(&key("arms")));
            for arm in &raw.arms {
                if !arms.is_empty() && !arms.contains(arm) {
                    let mut err = arms_setting.error(format!(
                        "arm `{arm}` is not an arm of the study ({})",
                        arms.join(", ")
                    ));
                    if let Some(near) = nearest(arm, arms.iter().map(String::as_str)) {
                        err = err.with_hint(format!("did you mean `{near}`?"));
                    }
                    return Err(err);
                }
            }
            let by = raw
                .by
                .iter()
                .map(|b| crossing(&key("by"), b))
                .collect::<Result<Vec<_>>>()?;
            let name = raw
                .name
                .as_ref()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| outcome.value.clone());
            if let Some(other) = indicators.iter().position(|x| x.name == name) {
                return Err(layers
                    .spec(&key("name"))
                    .error(format!(
                        "indicator {} has the same name `{name}` as indicator {}",
                        i + 1,
                        other + 1
                    ))
                    .with_hint("give each indicator its own `name`"));
            }
            indicators.push(Indicator {
                name,
                label: raw.label.clone().filter(|l| !l.trim().is_empty()),
                outcome,
                arms: arms_setting,
                by,
                kind,
                target,
                exclude: raw.exclude.clone(),
            });
        }
        Ok(Some(TargetSettings {
            indicators,
            monitoring,
            bands,
            level,
        }))
    }

    /// The origin to blame for a column named by band `name`, if it is a band.
    pub fn band(&self, name: &str) -> Option<&Band> {
        self.bands.iter().find(|b| b.name == name)
    }
}

/// An origin for messages about the whole `[[indicators]]` list.
pub fn indicators_origin(study: &Study) -> Origin {
    Layers::new(Some(study)).spec("indicators")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HEAD: &str = "[study]\nname = \"t\"\nseed = 1\n[design]\narms = { programme = 1, usual = 1 }\ncontrol = \"usual\"\n";

    fn hint(err: &Error) -> String {
        err.problem()
            .and_then(|p| p.hint.clone())
            .unwrap_or_default()
    }

    fn resolve(extra: &str) -> Result<Option<TargetSettings>> {
        let study = Study::from_text(Path::new("study.toml"), &format!("{HEAD}{extra}"))?;
        TargetSettings::resolve(&study)
    }

    #[test]
    fn a_full_indicator_resolves() {
        let got = resolve(
            "[targets]\nmonitoring = \"gender * age_group\"\nbands = { age_group = { from = \"age\", breaks = [16, 25, 55] } }\n[[indicators]]\nname = \"ss\"\noutcome = \"self_sufficient\"\nby = [\"gender\", \"gender*age_group\"]\ntarget = 0.6\ndirection = \"At least\"\n[[indicators]]\noutcome = \"exit_reason\"\nkind = \"categories\"\nexclude = [\"0\"]\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(got.indicators.len(), 2);
        let first = &got.indicators[0];
        assert_eq!(first.by[1].value, ["gender", "age_group"]);
        assert_eq!(
            first.target.as_ref().unwrap().value,
            Target {
                share: 0.6,
                direction: Direction::AtLeast
            }
        );
        assert_eq!(got.indicators[1].name, "exit_reason");
        assert_eq!(got.monitoring.unwrap().value, ["gender", "age_group"]);
        assert_eq!(got.level, 0.95);
        assert!(resolve("").unwrap().is_none());
    }

    #[test]
    fn bad_input_names_the_key_and_the_fix() {
        let err = resolve("[[indicators]]\noutcome = \"y\"\ntarget = 60\n").unwrap_err();
        let text = format!("{err} {}", hint(&err));
        assert!(text.contains("indicators[1].target"), "{text}");
        assert!(text.contains("0.6 for 60%"), "{text}");
        let err = resolve("[[indicators]]\noutcome = \"y\"\ntarget = -0.1\n").unwrap_err();
        assert!(err.to_string().contains("not a share in [0, 1]"), "{err}");
        let err =
            resolve("[[indicators]]\noutcome = \"y\"\ntarget = 0.5\ndirection = \"at lest\"\n")
                .unwrap_err();
        let text = format!("{err} {}", hint(&err));
        assert!(
            text.contains("indicators[1].direction") && text.contains("`at least`"),
            "{text}"
        );
        let err = resolve("[[indicators]]\noutcome = \"y\"\narms = [\"programm\"]\n").unwrap_err();
        let text = format!("{err} {}", hint(&err));
        assert!(text.contains("did you mean `programme`?"), "{text}");
        let err =
            resolve("[[indicators]]\noutcome = \"y\"\nby = [\"gender*gender\"]\n").unwrap_err();
        assert!(err.to_string().contains("indicators[1].by"), "{err}");
        let err = resolve("[[indicators]]\noutcome = \"y\"\nkind = \"categories\"\ntarget = 0.5\n")
            .unwrap_err();
        assert!(err.to_string().contains("no target share"), "{err}");
        let err = resolve("[[indicators]]\nlabel = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("names no outcome"), "{err}");
        let err = resolve("[targets]\nmonitoring = \"gender\"\nbands = { a = { from = \"age\", breaks = [25, 16] } }\n")
            .unwrap_err();
        assert!(err.to_string().contains("targets.bands.a"), "{err}");
        let err = crate::spec::parse(
            Path::new("study.toml"),
            &format!("{HEAD}[[indicators]]\noutcome = \"y\"\ntarger = 0.5\n"),
        )
        .unwrap_err();
        let text = format!("{err} {}", hint(&err));
        assert!(text.contains("did you mean `target`?"), "{text}");
    }
}
