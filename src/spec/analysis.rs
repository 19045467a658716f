//! `[analysis]`: which effects `estimate` computes, and how (owned by `estimate`). Every key also
//! exists as a flag of `lotta estimate`; flags win.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// Outcome columns (e.g. `["work_or_study_90", "work_or_study_540"]`).
    pub outcomes: Vec<String>,
    /// Subgroup variables, each reported separately: a column (`"gender"`), a list
    /// (`["gender", "distance"]`), or crossings (`["gender*age_band"]`).
    pub by: Option<SubgroupList>,
    /// The reference level of a subgroup column (`{ gender = "M" }`; default its first level).
    #[serde(default)]
    pub reference: std::collections::BTreeMap<String, String>,
    /// Subgroup differences between every pair of levels, not only against the reference.
    pub pairs: Option<bool>,
    #[serde(default)]
    pub covariates: Vec<String>,
    /// Covariates to treat as categories even when their cells are numbers (codes such as a
    /// region number): each level becomes an indicator.
    #[serde(default)]
    pub categorical: Vec<String>,
    /// `dim`, `ols`, `lin` or `fe` (default: `lin` with covariates, `dim` without).
    pub estimator: Option<String>,
    /// `hc0`..`hc3`, `cr0`, `cr1`, `cr2` (default `hc2`, `cr2` with clusters).
    pub se: Option<String>,
    /// Column that says whether an offered person took part (for the 2SLS effect).
    pub participation: Option<String>,
    /// Randomization-inference draws (0: none).
    pub ri_draws: Option<u32>,
    /// The largest number of distinct assignments randomization inference lists in full for an
    /// exact p-value instead of sampling (default 100000; 0: always sample).
    pub ri_exact_max: Option<u32>,
    /// `coefficient` (default) or `studentized` (the t statistic with the row's own SE).
    pub ri_statistic: Option<String>,
    /// Wild cluster bootstrap draws (0: none; needs clusters and a regression estimator).
    pub wild_bootstrap: Option<u32>,
    /// `rademacher` (default), `webb`, `mammen` or `normal`.
    pub wild_weights: Option<String>,
    /// `impose` (restricted, WCR; default) or `free` (unrestricted, WCU).
    pub wild_null: Option<String>,
    /// `holm` or `bh`.
    pub adjust: Option<String>,
    /// Strata columns for `dim` (blocked) and `fe`; their combinations are the strata
    /// (default: the ledger's `stratum` when `[design] strata` is set).
    #[serde(default)]
    pub strata: Vec<String>,
    /// Cluster column for cluster-robust SEs (default: `[design] cluster`).
    pub cluster: Option<String>,
    /// Inverse-probability weights from the ledger: `auto` (when probabilities differ), `on`, `off`.
    pub ipw: Option<String>,
    /// Persons with a missing covariate: `complete` (left out, the default) or `indicator`
    /// (mean-filled with a missing indicator; a missing category is its own level).
    pub missing_covariates: Option<String>,
    /// Families of hypotheses for family-wise adjusted p-values (`[[analysis.families]]`).
    #[serde(default)]
    pub families: Vec<FamilySpec>,
}

/// `[[analysis.families]]`: one family of hypotheses, the effect rows of its outcomes ×
/// subgroups × arms, adjusted together (Romano–Wolf, Westfall–Young, Anderson's q).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FamilySpec {
    pub name: String,
    /// Outcome columns, each one of `[analysis] outcomes` (horizons are outcome columns).
    pub outcomes: Vec<String>,
    /// `all` (default), subgroup levels (`gender=F`), subgroup variables (`gender`: each
    /// level) or differences as labelled (`gender=F - gender=M`).
    pub subgroups: Option<Vec<String>>,
    /// Arms compared with the control (default: every one).
    pub arms: Option<Vec<String>>,
}

/// `by` as one column or a list of subgroup variables.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SubgroupList {
    One(String),
    Many(Vec<String>),
}

impl SubgroupList {
    /// The variables, as written.
    pub fn variables(&self) -> Vec<String> {
        match self {
            SubgroupList::One(one) => vec![one.clone()],
            SubgroupList::Many(many) => many.clone(),
        }
    }
}

impl AnalysisSpec {
    /// The first subgroup variable that is a single column (what commands with one subgroup
    /// column, cost and survival, take from `[analysis] by`).
    pub fn first_by(&self) -> Option<&String> {
        match self.by.as_ref()? {
            SubgroupList::One(one) => Some(one),
            SubgroupList::Many(many) => many.iter().find(|v| !v.contains('*')),
        }
    }
}
