//! The study specification (`studies/<name>/study.toml`): parsed once into raw sections, then
//! validated into values the rest of lotta can use without checking again. Unknown keys, wrong
//! types and impossible values are errors that name the file, line, key, and the nearest valid key.

pub mod analysis;
pub mod bounds;
pub mod cost;
pub mod design;
pub mod report;
pub mod simulate;
pub mod survival;
pub mod targets;

use crate::error::{Error, Location, Result, nearest};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A whole study specification as written in `study.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    pub study: StudyMeta,
    #[serde(default)]
    pub data: DataSpec,
    pub design: Option<design::DesignSpec>,
    pub analysis: Option<analysis::AnalysisSpec>,
    pub cost: Option<cost::CostSpec>,
    pub simulate: Option<simulate::SimulateSpec>,
    pub power: Option<simulate::PowerSpec>,
    pub report: Option<report::ReportSpec>,
    pub survival: Option<survival::SurvivalSpec>,
    pub bounds: Option<bounds::BoundsSpec>,
    /// `[[indicators]]`: shares against targets, text outcomes by arm.
    #[serde(default)]
    pub indicators: Vec<targets::IndicatorSpec>,
    /// `[targets]`: the monitoring table, banded columns, the level of the indicators.
    pub targets: Option<targets::TargetsSpec>,
}

/// `[study]`: name, title and the seed from which every random stream is derived.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyMeta {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub seed: u64,
}

/// `[data]`: where the files are (relative to the folder of `study.toml`) and the id column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// The column that identifies a participant in every file.
    #[serde(default = "default_id")]
    pub id: String,
    pub participants: Option<PathBuf>,
    /// Outcome files, joined by id (outcomes from registers usually arrive later, one file a wave).
    #[serde(default)]
    pub outcomes: Vec<PathBuf>,
    /// Per-participant costs, joined by id.
    pub costs: Option<PathBuf>,
    /// The assignment ledger written by `lotta assign`.
    pub ledger: Option<PathBuf>,
    /// The decimal separator of the participants, outcome and cost files: `.` (default) or `,`.
    pub decimal: Option<String>,
    /// Their character encoding: `utf-8` (default), `latin1` or `windows-1252`.
    pub encoding: Option<String>,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            id: default_id(),
            participants: None,
            outcomes: Vec::new(),
            costs: None,
            ledger: None,
            decimal: None,
            encoding: None,
        }
    }
}

fn default_id() -> String {
    "id".to_string()
}

/// A loaded study: the spec, the file it came from and its folder (paths resolve against it).
#[derive(Debug, Clone)]
pub struct Study {
    pub spec: StudySpec,
    pub file: PathBuf,
    pub dir: PathBuf,
    /// SHA-256 of `study.toml` as it was read (for the manifest, without reading it again).
    pub sha256: String,
}

impl Study {
    /// Load `path`, which may be the `study.toml` file or the folder holding it.
    pub fn load(path: &Path) -> Result<Study> {
        let file = if path.is_dir() {
            path.join("study.toml")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        Study::from_text(&file, &text)
    }

    /// A study from the text of its `study.toml` at `file` (paths resolve against its folder).
    pub fn from_text(file: &Path, text: &str) -> Result<Study> {
        let file = file.to_path_buf();
        let spec = parse(&file, text)?;
        let dir = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let sha256 = crate::io::sha256_hex(text.as_bytes());
        let study = Study {
            spec,
            file,
            dir,
            sha256,
        };
        study.validate()?;
        Ok(study)
    }

    /// Resolve a path written in the spec against the spec's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// Every file the study names as an input (the spec itself, participants, ledger and its
    /// design file, outcomes, costs), resolved; whether or not they exist yet. No command may
    /// write over one of them.
    pub fn input_files(&self) -> Vec<PathBuf> {
        let data = &self.spec.data;
        let mut files = vec![self.file.clone()];
        files.extend(data.participants.iter().map(|p| self.resolve(p)));
        if let Some(ledger) = &data.ledger {
            let ledger = self.resolve(ledger);
            let sidecar = crate::io::ledger::sidecar_path(&ledger);
            files.push(ledger);
            files.push(sidecar);
        }
        files.extend(data.outcomes.iter().map(|p| self.resolve(p)));
        files.extend(data.costs.iter().map(|p| self.resolve(p)));
        files
    }

    /// A location in the spec file for key `key` (dotted), for messages.
    pub fn key_location(&self, key: &str) -> Location {
        Location::file(&self.file).with_field(key)
    }

    /// The study name (also the name of its report folder).
    pub fn name(&self) -> &str {
        &self.spec.study.name
    }

    pub fn seed(&self) -> u64 {
        self.spec.study.seed
    }

    fn validate(&self) -> Result<()> {
        let name = &self.spec.study.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::spec(
                self.key_location("study.name"),
                format!(
                    "`{name}` is not a usable study name; expected letters, digits, `-` or `_`"
                ),
            ));
        }
        if self.spec.data.id.trim().is_empty() {
            return Err(Error::spec(
                self.key_location("data.id"),
                "the id column name is empty",
            ));
        }
        Ok(())
    }
}

/// Parse spec text, turning serde/TOML errors into messages with line, column and a suggestion.
pub fn parse(file: &Path, text: &str) -> Result<StudySpec> {
    toml::from_str::<StudySpec>(text).map_err(|e| toml_error(file, text, &e))
}

/// A TOML or serde error as a spec error with line and column, and "did you mean" for unknown keys.
pub fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> Error {
    let mut location = Location::file(file);
    if let Some(span) = e.span() {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() as u64 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        location = location.with_line(line).with_column(column);
    }
    let message = e.message().trim().to_string();
    let mut err = Error::spec(location, message.clone());
    if let Some(hint) = unknown_key_hint(&message) {
        err = err.with_hint(hint);
    }
    err
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggest the nearest expected key.
fn unknown_key_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (word, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    nearest(word, expected.iter().copied()).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_suggests() {
        let text = "[study]\nname = \"x\"\nsed = 3\n";
        let err = parse(Path::new("study.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("study.toml: line 3, column 1"), "{err}");
        assert!(err.contains("unknown field `sed`"), "{err}");
        assert!(err.contains("did you mean `seed`?"), "{err}");
    }

    #[test]
    fn wrong_type_names_line() {
        let text = "[study]\nname = \"x\"\nseed = \"abc\"\n";
        let err = parse(Path::new("study.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn minimal_spec_parses() {
        let spec = parse(Path::new("s.toml"), "[study]\nname = \"x\"\nseed = 1\n").unwrap();
        assert_eq!(spec.study.seed, 1);
        assert_eq!(spec.data.id, "id");
    }
}
