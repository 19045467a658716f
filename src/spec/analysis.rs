//! `[analysis]`: which effects `estimate` computes, and how (owned by `estimate`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// Outcome columns (e.g. `["work_or_study_90", "work_or_study_540"]`).
    pub outcomes: Vec<String>,
    /// Subgroup column (e.g. `gender`).
    pub by: Option<String>,
    #[serde(default)]
    pub covariates: Vec<String>,
    /// `dim`, `ols`, `lin` or `fe`.
    pub estimator: Option<String>,
    /// `hc0`..`hc3`, `cr0`, `cr1`, `cr2`.
    pub se: Option<String>,
    /// Column that says whether an offered person took part (for the 2SLS effect).
    pub participation: Option<String>,
    /// Randomization-inference draws (0: none).
    pub ri_draws: Option<u32>,
    /// `holm` or `bh`.
    pub adjust: Option<String>,
}
