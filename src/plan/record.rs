//! The plan record's byte format: one canonical JSON object per line, one line per frozen
//! version, each carrying the hash of the one before (docs/plan.md):
//!
//! ```text
//! {"frozen_at":…,"hash":…,"ledger":{"head":…,"rows":…},"lotta":…,"outcomes":[…],
//!  "plan":{…},"plan_sha256":…,"previous":…,"schema":"lotta-plan/1","version":1}
//! ```
//!
//! `hash` is the SHA-256 of the line's canonical text without `hash`; `previous` is the hash of
//! the line before (64 zeros on the first). A changed, removed or reordered line breaks the chain
//! at the first line that differs.

use super::{Plan, SCHEMA, canonical};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The `previous` of the first version.
pub const CHAIN_START: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The ledger as it stood when a version was frozen: its number of rows and the hash of its last
/// row (None: frozen before any assignment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAnchor {
    pub rows: usize,
    pub head: String,
}

/// An input file as it stood when a version was frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAnchor {
    pub file: String,
    pub sha256: String,
}

/// One frozen version of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVersion {
    pub version: u32,
    /// UTC, RFC 3339 (given by the caller: the core never reads the clock).
    pub frozen_at: String,
    pub lotta: String,
    pub plan: Plan,
    pub ledger: Option<LedgerAnchor>,
    /// Outcome files that already existed when the version was frozen (empty: frozen before
    /// any outcome was observed).
    pub outcomes: Vec<FileAnchor>,
    pub previous: String,
    pub hash: String,
}

impl PlanVersion {
    /// The next version after `previous` (None: the first), its hash computed.
    pub fn next(
        previous: Option<&PlanVersion>,
        plan: Plan,
        frozen_at: String,
        lotta: String,
        ledger: Option<LedgerAnchor>,
        outcomes: Vec<FileAnchor>,
    ) -> PlanVersion {
        let mut version = PlanVersion {
            version: previous.map_or(1, |p| p.version + 1),
            frozen_at,
            lotta,
            plan,
            ledger,
            outcomes,
            previous: previous.map_or_else(|| CHAIN_START.to_string(), |p| p.hash.clone()),
            hash: String::new(),
        };
        version.hash = sha256_hex(canonical(&version.body()).as_bytes());
        version
    }

    /// Whether outcome data existed when this version was frozen.
    pub fn after_outcomes(&self) -> bool {
        !self.outcomes.is_empty()
    }

    /// The record without its hash.
    fn body(&self) -> Value {
        json!({
            "schema": SCHEMA,
            "version": self.version,
            "frozen_at": self.frozen_at,
            "lotta": self.lotta,
            "plan": self.plan.to_value(),
            "plan_sha256": self.plan.sha256(),
            "ledger": self.ledger.as_ref().map(|l| json!({"rows": l.rows, "head": l.head})),
            "outcomes": self.outcomes.iter().map(|f| json!({"file": f.file, "sha256": f.sha256})).collect::<Vec<_>>(),
            "previous": self.previous,
        })
    }

    /// The record's line (without the line feed).
    pub fn line(&self) -> String {
        let mut body = self.body();
        if let Value::Object(map) = &mut body {
            map.insert("hash".into(), Value::String(self.hash.clone()));
        }
        canonical(&body)
    }
}

/// A line of the record that is not what lotta wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// Parse and check a whole record: every line lotta's, versions numbered from 1, each chained
/// to the one before, each hash and plan hash recomputed.
pub fn parse(text: &str) -> Result<Vec<PlanVersion>, RecordError> {
    let mut versions: Vec<PlanVersion> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fail = |message: String| RecordError { line, message };
        if raw.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(raw).map_err(|e| fail(format!("not a plan record line ({e})")))?;
        let text_of = |key: &str| -> Result<String, RecordError> {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| fail(format!("no `{key}`")))
        };
        let schema = text_of("schema")?;
        if schema != SCHEMA {
            return Err(fail(format!(
                "schema `{schema}`; this lotta reads `{SCHEMA}`"
            )));
        }
        let plan = value
            .get("plan")
            .and_then(Plan::from_value)
            .ok_or_else(|| fail("no `plan` object".into()))?;
        let ledger = match value.get("ledger") {
            None | Some(Value::Null) => None,
            Some(l) => Some(LedgerAnchor {
                rows: l
                    .get("rows")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| fail("`ledger` without `rows`".into()))?
                    as usize,
                head: l
                    .get("head")
                    .and_then(Value::as_str)
                    .ok_or_else(|| fail("`ledger` without `head`".into()))?
                    .to_string(),
            }),
        };
        let outcomes = value
            .get("outcomes")
            .and_then(Value::as_array)
            .map(|files| {
                files
                    .iter()
                    .map(|f| {
                        Some(FileAnchor {
                            file: f.get("file")?.as_str()?.to_string(),
                            sha256: f.get("sha256")?.as_str()?.to_string(),
                        })
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| fail("no `outcomes` list".into()))?
            .ok_or_else(|| fail("an entry of `outcomes` without `file` or `sha256`".into()))?;
        let number = value
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| fail("no `version`".into()))? as u32;
        let expected_number = versions.last().map_or(1, |v| v.version + 1);
        if number != expected_number {
            return Err(fail(format!(
                "version {number} where version {expected_number} was expected (a version was removed or reordered)"
            )));
        }
        let version = PlanVersion {
            version: number,
            frozen_at: text_of("frozen_at")?,
            lotta: text_of("lotta")?,
            plan,
            ledger,
            outcomes,
            previous: text_of("previous")?,
            hash: text_of("hash")?,
        };
        let expected_previous = versions
            .last()
            .map_or(CHAIN_START, |v: &PlanVersion| v.hash.as_str());
        if version.previous != expected_previous {
            return Err(fail(
                "`previous` is not the hash of the line before: the record was changed".into(),
            ));
        }
        if text_of("plan_sha256")? != version.plan.sha256() {
            return Err(fail(
                "the plan does not match its `plan_sha256`: the plan was changed after freezing"
                    .into(),
            ));
        }
        let recomputed = sha256_hex(canonical(&version.body()).as_bytes());
        if recomputed != version.hash {
            return Err(fail(
                "the line does not match its `hash`: it was changed after freezing".into(),
            ));
        }
        versions.push(version);
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(estimator: &str) -> Plan {
        let mut p = Plan::new();
        p.set("analysis.estimator", estimator);
        p.set("analysis.outcomes", json!(["y1", "y2"]));
        p
    }

    fn record() -> String {
        let v1 = PlanVersion::next(
            None,
            plan("lin"),
            "2026-01-01T00:00:00Z".into(),
            "0.1.0".into(),
            None,
            Vec::new(),
        );
        let v2 = PlanVersion::next(
            Some(&v1),
            plan("ols"),
            "2026-02-01T00:00:00Z".into(),
            "0.1.0".into(),
            Some(LedgerAnchor {
                rows: 10,
                head: "ab".repeat(32),
            }),
            vec![FileAnchor {
                file: "outcomes.csv".into(),
                sha256: "cd".repeat(32),
            }],
        );
        format!("{}\n{}\n", v1.line(), v2.line())
    }

    #[test]
    fn a_record_reads_back_as_written_and_its_chain_holds() {
        let versions = parse(&record()).unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].previous, CHAIN_START);
        assert_eq!(versions[1].previous, versions[0].hash);
        assert_eq!(versions[1].plan.text("analysis.estimator"), Some("ols"));
        assert!(!versions[0].after_outcomes() && versions[1].after_outcomes());
        assert_eq!(versions[1].ledger.as_ref().map(|l| l.rows), Some(10));
    }

    #[test]
    fn a_changed_value_a_removed_line_or_another_schema_is_caught_at_its_line() {
        let text = record();
        let changed = text.replacen("\"ols\"", "\"fe\"", 1);
        let err = parse(&changed).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("plan was changed"), "{err:?}");
        let second_only = text.lines().nth(1).unwrap().to_string();
        assert_eq!(parse(&second_only).unwrap_err().line, 1);
        let frozen_at = text.replacen("2026-02-01", "2026-03-01", 1);
        assert!(parse(&frozen_at).unwrap_err().message.contains("hash"));
        let schema = text.replace(SCHEMA, "lotta-plan/9");
        assert!(parse(&schema).unwrap_err().message.contains("lotta-plan/9"));
        assert!(parse("not json\n").is_err());
    }
}
