//! `[bounds]`: Lee (2009) attrition bounds `lotta bounds` and `lotta run` compute (owned by
//! `settings::bounds`). Every key also exists as a flag; flags win.
//!
//! ```toml
//! [bounds]
//! outcomes = ["monthly_earnings_18"]               # outcomes observed only for some
//! observed_when = { monthly_earnings_18 = "employed_18" }  # 0/1 column; default: outcome given
//! cells = ["site", "gender"]                       # tightened bounds within these cells
//! by = "gender"                                    # subgroups (default: the study's)
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundsSpec {
    #[serde(default)]
    pub outcomes: Vec<String>,
    /// Per outcome, the 0/1 column that says whether it is observed (e.g. earnings observed
    /// among the employed); without it, an outcome is observed where it is given.
    #[serde(default)]
    pub observed_when: BTreeMap<String, String>,
    #[serde(default)]
    pub cells: Vec<String>,
    pub by: Option<String>,
}
