//! `[simulate]` and `[power]`: the data-generating process of a synthetic study, and power
//! planning (owned by `simulate` and `power`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateSpec {
    pub n: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSpec {
    pub baseline: Option<f64>,
}
