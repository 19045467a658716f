//! `[report]`: what the report folder shows (owned by `run` and `report`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Published tables mask any cell describing fewer than this many persons (default 5).
    pub mask_below: Option<u32>,
}
