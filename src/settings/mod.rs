//! Settings, once: command-line flags and the study's `study.toml` merged by one rule into typed,
//! validated values before any work starts.
//!
//! The rule: a flag wins over the spec's key, the spec's key over lotta's default. A flag given
//! as an empty value (`--covariates ""`, `--cluster ""`) unsets the spec's value. Every resolved
//! value remembers where it came from ([`Origin`]), so an error names the flag or the key the
//! user actually wrote, with the exit code of its kind (a flag: usage, 2; a spec key: 1).
//! Choices (estimator, SE type, adjustment, IPW) are enums parsed here and nowhere else, and the
//! defaults that depend on other settings (the SE type with and without clusters, the estimator
//! with and without covariates, the control arm, the subgroup column) are decided here once.

pub mod analysis;
pub mod benefit;
pub mod bounds;
pub mod cost;
pub mod design;
pub mod plan;
pub mod report;
pub mod simulate;
pub mod survival;
pub mod targets;

use crate::error::{Error, Location, Result};
use crate::spec::Study;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "lowercase")]
pub enum Origin {
    /// A command-line flag, e.g. `--se`.
    Flag { flag: String },
    /// A key of the study's spec, e.g. `analysis.se` in `studies/md1/study.toml`.
    Spec {
        #[serde(skip)]
        file: PathBuf,
        key: String,
    },
    /// lotta's default (`why` says which rule chose it).
    Default { why: String },
}

impl Origin {
    pub fn flag(flag: &str) -> Origin {
        Origin::Flag {
            flag: flag.to_string(),
        }
    }

    pub fn default_because(why: &str) -> Origin {
        Origin::Default {
            why: why.to_string(),
        }
    }

    /// Where to point a message about this value.
    pub fn location(&self) -> Location {
        match self {
            Origin::Flag { flag } => Location::default().with_field(flag.clone()),
            Origin::Spec { file, key } => Location::file(file).with_field(key.clone()),
            Origin::Default { .. } => Location::default(),
        }
    }

    /// An error about this value, of the kind its origin calls for: a flag is a usage error
    /// (exit 2), a spec key a spec error (exit 1).
    pub fn error(&self, message: impl Into<String>) -> Error {
        match self {
            Origin::Flag { .. } => Error::usage(self.location(), message),
            _ => Error::spec(self.location(), message),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag { flag } => write!(f, "{flag}"),
            Origin::Spec { key, .. } => write!(f, "`{key}` in the study"),
            Origin::Default { why } => write!(f, "default ({why})"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting<T> {
    pub value: T,
    #[serde(flatten)]
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        Setting {
            value: f(self.value),
            origin: self.origin,
        }
    }

    /// An error about this value (see [`Origin::error`]).
    pub fn error(&self, message: impl Into<String>) -> Error {
        self.origin.error(message)
    }
}

/// The spec a command was given, if any, for building [`Origin::Spec`] values.
#[derive(Debug, Clone, Copy)]
pub struct Layers<'a> {
    pub study: Option<&'a Study>,
}

impl<'a> Layers<'a> {
    pub fn new(study: Option<&'a Study>) -> Layers<'a> {
        Layers { study }
    }

    /// The origin of spec key `key` (dotted, e.g. `analysis.se`).
    pub fn spec(&self, key: &str) -> Origin {
        Origin::Spec {
            file: self.study.map(|s| s.file.clone()).unwrap_or_default(),
            key: key.to_string(),
        }
    }

    /// The first of: the flag's value, the spec key's value. A flag given empty unsets.
    pub fn pick<T: Clone>(
        &self,
        flag: (&str, Option<&T>),
        spec: (&str, Option<&T>),
        empty: impl Fn(&T) -> bool,
    ) -> Option<Setting<T>> {
        match flag.1 {
            Some(v) if empty(v) => None,
            Some(v) => Some(Setting::new(v.clone(), Origin::flag(flag.0))),
            None => spec
                .1
                .filter(|v| !empty(v))
                .map(|v| Setting::new(v.clone(), self.spec(spec.0))),
        }
    }

    /// A text value from a flag or spec key (an empty flag unsets).
    pub fn text(
        &self,
        flag: (&str, Option<&String>),
        spec: (&str, Option<&String>),
    ) -> Option<Setting<String>> {
        self.pick(flag, spec, |v| v.trim().is_empty())
    }

    /// A list of column names from a flag or spec key; `--flag ""` gives the empty list.
    pub fn list(
        &self,
        flag: (&str, Option<&Vec<String>>),
        spec: (&str, Option<&Vec<String>>),
    ) -> Setting<Vec<String>> {
        let clean = |v: &Vec<String>| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        match (flag.1, spec.1) {
            (Some(v), _) => Setting::new(clean(v), Origin::flag(flag.0)),
            (None, Some(v)) if !v.is_empty() => Setting::new(clean(v), self.spec(spec.0)),
            _ => Setting::new(Vec::new(), Origin::default_because("none given")),
        }
    }
}

/// A setting that takes one of a fixed set of words, parsed case-insensitively in one place.
pub trait Choice: Sized + Copy + 'static {
    /// What the setting is, for messages (e.g. "standard error type").
    const WHAT: &'static str;
    /// The accepted words and their values; the first word of each value is its name.
    const WORDS: &'static [(&'static str, Self)];
}

/// Parse a text setting into a [`Choice`], blaming the flag or key it came from.
pub fn choose<T: Choice + PartialEq>(raw: Setting<String>) -> Result<Setting<T>> {
    let lower = raw.value.trim().to_ascii_lowercase();
    match T::WORDS.iter().find(|(w, _)| *w == lower) {
        Some((_, v)) => Ok(Setting::new(*v, raw.origin)),
        None => {
            let mut names: Vec<&str> = Vec::new();
            for (w, v) in T::WORDS {
                if T::WORDS.iter().find(|(_, x)| x == v).map(|(n, _)| n) == Some(w) {
                    names.push(w);
                }
            }
            let mut err = raw.error(format!(
                "`{}` is not a known {}; expected one of {}",
                raw.value,
                T::WHAT,
                names.join(", ")
            ));
            if let Some(near) = crate::error::nearest(&lower, names.iter().copied()) {
                err = err.with_hint(format!("did you mean `{near}`?"));
            }
            Err(err)
        }
    }
}

/// The name of a choice's value (its first word).
pub fn word_of<T: Choice + PartialEq>(value: T) -> &'static str {
    T::WORDS
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(w, _)| w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::vcov::SeType;

    #[test]
    fn a_flag_wins_and_an_empty_flag_unsets() {
        let layers = Layers::new(None);
        let spec = Some("site".to_string());
        let flag = Some("municipality".to_string());
        let got = layers.text(
            ("--cluster", flag.as_ref()),
            ("analysis.cluster", spec.as_ref()),
        );
        assert_eq!(got.map(|s| s.value), Some("municipality".to_string()));
        let empty = Some(String::new());
        let got = layers.text(
            ("--cluster", empty.as_ref()),
            ("analysis.cluster", spec.as_ref()),
        );
        assert_eq!(got, None);
        let covariates = Some(vec![String::new()]);
        let spec_cov = Some(vec!["age".to_string()]);
        let list = layers.list(
            ("--covariates", covariates.as_ref()),
            ("analysis.covariates", spec_cov.as_ref()),
        );
        assert!(list.value.is_empty());
        assert_eq!(list.origin, Origin::flag("--covariates"));
    }

    #[test]
    fn a_bad_choice_blames_its_origin_with_the_exit_kind_of_that_origin() {
        let from_flag = Setting::new("hc9".to_string(), Origin::flag("--se"));
        let err = choose::<SeType>(from_flag).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("--se"), "{err}");
        assert!(err.to_string().contains("hc2"), "{err}");
        let layers = Layers::new(None);
        let from_spec = Setting::new("hc9".to_string(), layers.spec("analysis.se"));
        let err = choose::<SeType>(from_spec).unwrap_err();
        assert!(matches!(err, Error::Spec(_)), "{err:?}");
        assert!(err.to_string().contains("analysis.se"), "{err}");
    }
}
