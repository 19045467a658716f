//! `[[indicators]]` and `[targets]`: indicators with targets, as programmes such as
//! Linköpingsmodellen set them (resolved by `settings::targets`, computed by `targets`).
//!
//! ```toml
//! [targets]
//! monitoring = "gender*age_group"  # the monitoring table: counts per arm in these cells
//! level = 0.95                      # confidence level of every interval
//! bands = { age_group = { from = "age", breaks = [16, 25, 55] } }  # 16-24, 25-54
//!
//! [[indicators]]
//! name = "self_sufficient_18m"      # its id in the tables (default: the outcome)
//! label = "Self-sufficient within 18 months"
//! outcome = "self_sufficient_540"   # 0/1
//! arms = ["programme"]              # default: every arm
//! by = ["gender", "gender*age_group"]  # subgroups: a column, or a crossing a*b
//! target = 0.60
//! direction = "at least"            # or "at most"
//!
//! [[indicators]]
//! outcome = "exit_reason"           # a text outcome, tabulated by arm
//! kind = "categories"
//! exclude = ["0"]                   # values left out (here: no exit)
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;

/// One `[[indicators]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    pub name: Option<String>,
    pub label: Option<String>,
    pub outcome: Option<String>,
    #[serde(default)]
    pub arms: Vec<String>,
    #[serde(default)]
    pub by: Vec<String>,
    pub target: Option<f64>,
    pub direction: Option<String>,
    /// `share` (default: a 0/1 outcome) or `categories` (a text outcome).
    pub kind: Option<String>,
    /// Categories left out of a `categories` indicator.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[targets]`: what all indicators share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsSpec {
    pub monitoring: Option<String>,
    pub level: Option<f64>,
    #[serde(default)]
    pub bands: BTreeMap<String, BandSpec>,
}

/// A banded column made from a numeric one: `age_group = { from = "age", breaks = [16, 25, 55] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    pub from: String,
    pub breaks: Vec<f64>,
}
