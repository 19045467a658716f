//! The pre-analysis plan, frozen: the resolved analysis settings of a study as a canonical map
//! (key → JSON value), hashed, and kept as an append-only, hash-chained record of versions
//! (`analysis-plan.jsonl`, schema [`SCHEMA`], docs/plan.md). Pure: the record's text comes in and
//! goes out as strings; `io::plan` reads and appends the file, `settings::plan` builds the map
//! from the resolved settings, `ops::plan` freezes, shows and compares.
//!
//! Canonical form: object keys sorted, no insignificant white space, numbers as serde_json writes
//! them. Reordering keys or comments in study.toml therefore changes nothing; changing a value
//! changes the hash.

pub mod record;

use crate::estimate::rows::{EffectKind, EffectRow};
use serde_json::Value;
use std::collections::BTreeMap;

/// The version of the plan format: a change of its keys' meaning is a new schema.
pub const SCHEMA: &str = "lotta-plan/1";

/// Resolved settings as a flat map from dotted keys (`analysis.estimator`) to values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    entries: BTreeMap<String, Value>,
}

impl Plan {
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Set `key` (a `null` value is left out: an unset setting and an absent one are the same).
    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        if value.is_null() {
            self.entries.remove(key);
        } else {
            self.entries.insert(key.to_string(), value);
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter()
    }

    /// The plan as one JSON object in canonical form.
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// A plan from the JSON object [`Plan::to_value`] wrote.
    pub fn from_value(value: &Value) -> Option<Plan> {
        let object = value.as_object()?;
        Some(Plan {
            entries: object.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }

    /// SHA-256 (hex) of the canonical text.
    pub fn sha256(&self) -> String {
        record::sha256_hex(canonical(&self.to_value()).as_bytes())
    }

    /// The text list of `key` (empty when unset or not a list of text).
    pub fn texts(&self, key: &str) -> Vec<String> {
        self.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The text of `key` (None when unset or not text).
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

/// `value` as canonical JSON: object keys sorted at every depth, compact.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// One difference between the frozen plan and another (a later version, or today's settings).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub key: String,
    /// The frozen value (None: the plan did not set it).
    pub frozen: Option<Value>,
    /// The value now (None: no longer set).
    pub now: Option<Value>,
}

/// Every key whose value differs between `frozen` and `now`, in key order.
pub fn changes(frozen: &Plan, now: &Plan) -> Vec<Change> {
    let mut keys: Vec<&String> = frozen.entries.keys().chain(now.entries.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (frozen.get(key), now.get(key));
            (a != b).then(|| Change {
                key: key.clone(),
                frozen: a.cloned(),
                now: b.cloned(),
            })
        })
        .collect()
}

/// The settings keys that decide how every intention-to-treat effect is computed: a change of
/// any of them makes every effect row a deviation from the plan.
pub const METHOD_KEYS: &[&str] = &[
    "analysis.estimator",
    "analysis.se",
    "analysis.covariates",
    "analysis.categorical",
    "analysis.strata",
    "analysis.cluster",
    "analysis.ipw",
    "analysis.missing_covariates",
    "analysis.control",
    "design.arms",
    "design.strata",
    "design.cluster",
    "design.method",
    "design.block_sizes",
    "design.seed",
];

/// Whether an effect row is one the plan specified, computed as the plan said: its outcome is a
/// planned outcome, its subgroup is the whole sample or the planned subgroup variable (and its
/// difference), the 2SLS effect only when participation was planned, and no method setting has
/// changed since the plan was frozen (`changes` from [`changes`]). The multiple-testing
/// adjustment and randomization inference add columns; a change of them marks those columns in
/// the deviations table, not the estimate.
pub fn is_prespecified(plan: &Plan, changes: &[Change], row: &EffectRow) -> bool {
    if changes
        .iter()
        .any(|c| METHOD_KEYS.contains(&c.key.as_str()))
    {
        return false;
    }
    if !plan.texts("analysis.outcomes").contains(&row.outcome) {
        return false;
    }
    if row.estimator.kind == EffectKind::Participation
        && plan.text("analysis.participation").is_none()
    {
        return false;
    }
    if row.subgroup == "all" {
        return true;
    }
    // The planned subgroup variables: one as text (plans before issue 15), several as a list.
    let mut planned = plan.texts("analysis.by");
    planned.extend(plan.text("analysis.by").map(str::to_string));
    crate::estimate::subgroups::variable_of(&row.subgroup).is_some_and(|v| planned.contains(&v))
}

/// Whether the results of a section computed as a whole (`cost.`, `survival.`) are the plan's:
/// the plan had that section, and neither its settings nor the design (whose strata the
/// bootstrap and randomization inference use) changed since. The effect estimator's settings
/// (`analysis.*`) do not enter these analyses.
pub fn section_is_prespecified(plan: &Plan, changes: &[Change], section: &str) -> bool {
    plan.entries.keys().any(|k| k.starts_with(section))
        && !changes
            .iter()
            .any(|c| c.key.starts_with(section) || c.key.starts_with("design."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_text_does_not_depend_on_key_order() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
        let b = json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
        // A list's order is its meaning: it stays.
        assert_ne!(canonical(&json!([1, 2])), canonical(&json!([2, 1])));
    }

    #[test]
    fn changes_list_every_key_set_unset_or_changed() {
        let mut frozen = Plan::new();
        frozen.set("analysis.estimator", "lin");
        frozen.set("analysis.by", "gender");
        let mut now = frozen.clone();
        assert!(changes(&frozen, &now).is_empty());
        assert_eq!(frozen.sha256(), now.sha256());
        now.set("analysis.estimator", "ols");
        now.set("analysis.by", Value::Null);
        now.set("analysis.cluster", "municipality");
        let found = changes(&frozen, &now);
        let keys: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["analysis.by", "analysis.cluster", "analysis.estimator"]
        );
        assert_eq!(found[0].now, None);
        assert_eq!(found[1].frozen, None);
        assert_ne!(frozen.sha256(), now.sha256());
    }
}
