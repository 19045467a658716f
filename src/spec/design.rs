//! `[design]`: how participants are assigned to arms (owned by `assign`, `verify`, `balance`).
//!
//! ```toml
//! [design]
//! arms = { md1 = 2, standard = 1 }   # names and ratios, in order (at least two; ratios ≥ 1)
//! control = "standard"               # default: the last arm
//! strata = ["site", "gender"]        # default: none (one stratum, `all`)
//! cluster = "municipality"           # default: none (individual assignment)
//! method = "blocks"                  # `complete` (default) or `blocks`
//! block_sizes = [3, 6]               # blocks only; multiples of the sum of the ratios
//! misfits = "global"                 # complete only: missing (default; randomizr with a cluster), strata, global, wstrata, wglobal, randomizr
//! balance = ["age", "education_level"]  # covariates of `lotta balance`
//! by = "gender"                      # subgroup column of `lotta balance`
//! ledger_format = "v1"               # a new ledger's format: v2 (default) or v1 (every row hashed)
//! ```
//! The seed is `[study] seed`; the id column, participants and ledger files are in `[data]`.
//! See docs/randomization.md for the exact algorithm.

use crate::design::{AssignmentMethod, Misfits};
use indexmap::IndexMap;
use serde::Deserialize;

/// The assignment design as written in the spec. Every key also exists as a flag of `lotta assign`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignSpec {
    /// Arms and their ratios, in the order written, e.g. `{ md1 = 2, standard = 1 }`.
    pub arms: IndexMap<String, u32>,
    /// The comparison arm (default: the last arm written).
    pub control: Option<String>,
    /// Columns whose combinations form the strata (e.g. `["site", "gender"]`).
    #[serde(default)]
    pub strata: Vec<String>,
    /// Column naming the cluster (e.g. municipality); all members of a cluster share an arm.
    pub cluster: Option<String>,
    /// `complete` (exact counts per stratum) or `blocks` (permuted blocks, rolling enrolment).
    pub method: Option<AssignmentMethod>,
    /// Block sizes to draw from (each a multiple of the sum of the ratios).
    #[serde(default)]
    pub block_sizes: Vec<u32>,
    /// What to do with units that do not fill a whole ratio (see docs/randomization.md).
    pub misfits: Option<Misfits>,
    /// Covariates for the balance table.
    #[serde(default)]
    pub balance: Vec<String>,
    /// Subgroup column for the balance table and the estimates (e.g. `gender`).
    pub by: Option<String>,
    /// The format of a new ledger, `v2` (default: a hash per block of rows) or `v1` (a hash on
    /// every row, as lotta wrote before v2); an existing ledger keeps its own.
    pub ledger_format: Option<String>,
}
