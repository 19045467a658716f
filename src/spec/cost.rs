//! `[cost]`: the cost model and benefit offsets (owned by `cost`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Outcome whose additional successes are priced (e.g. `work_or_study_540`).
    pub outcome: Option<String>,
    /// Column with each participant's cost in SEK.
    pub column: Option<String>,
}
