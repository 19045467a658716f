//! `[cost]`: what `lotta cost` prices and how (owned by `cost`): the outcome, the cost column or
//! a cost model, benefit offsets, alternative programmes, the λ grid and the bootstrap.
//!
//! ```toml
//! [cost]
//! outcome = "work_or_study_540"
//! column = "cost_sek"                 # or a [cost.model]
//! by = "gender"
//! participation = "took_part"
//! per_participant = true
//! bootstrap = 2000
//! wtp = { from = 0, to = 600000, step = 20000 }
//!
//! [cost.model]                        # instead of `column`
//! per_offered = { md1 = 2000, standard = 14000 }
//! per_participant = { md1 = 30000 }
//! fixed = { md1 = 1500000 }
//! overhead_share = 0.15
//!
//! [[cost.offsets]]
//! name = "income support"
//! column = "income_support_months"
//! sek_per_unit = 7000
//!
//! [[cost.alternatives]]
//! name = "Rusta och matcha"
//! cost_per_job = 180000
//! ```

use crate::error::{Error, Result};
use crate::spec::Study;
use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Outcome whose additional successes are priced (e.g. `work_or_study_540`).
    pub outcome: Option<String>,
    /// Column with each participant's cost in SEK.
    pub column: Option<String>,
    /// A cost model instead of a cost column.
    pub model: Option<CostModelSpec>,
    /// Subgroup column (e.g. `gender`).
    pub by: Option<String>,
    /// Column saying whether an offered person took part (0/1).
    pub participation: Option<String>,
    /// Also report effects and costs per participant (Wald/IV).
    pub per_participant: Option<bool>,
    /// Cluster column for the bootstrap and the variances.
    pub cluster: Option<String>,
    /// Bootstrap replications (0: none).
    pub bootstrap: Option<u32>,
    /// Confidence level (default 0.95).
    pub level: Option<f64>,
    /// Willingness to pay per additional job, for NMB and the acceptability curve.
    pub wtp: Option<WtpSpec>,
    #[serde(default)]
    pub offsets: Vec<OffsetSpec>,
    #[serde(default)]
    pub alternatives: Vec<AlternativeSpec>,
}

/// `[cost.model]`: amounts in SEK by arm name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModelSpec {
    /// Cost per person assigned to the arm, whether or not they take part.
    #[serde(default)]
    pub per_offered: IndexMap<String, f64>,
    /// Additional cost per person who takes part.
    #[serde(default)]
    pub per_participant: IndexMap<String, f64>,
    /// Fixed programme costs, spread over the arm's participants.
    #[serde(default)]
    pub fixed: IndexMap<String, f64>,
    /// Overhead as a share of direct costs (e.g. 0.15).
    #[serde(default)]
    pub overhead_share: f64,
}

/// `[[cost.offsets]]`: a quantity per person valued in SEK per unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetSpec {
    pub name: String,
    pub column: String,
    pub sek_per_unit: f64,
}

/// `[[cost.alternatives]]`: another programme's cost per additional job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternativeSpec {
    pub name: String,
    pub cost_per_job: f64,
    /// Where the figure comes from (shown in no output; for the reader of the spec).
    pub source: Option<String>,
}

/// `wtp = { from, to, step }`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WtpSpec {
    pub from: f64,
    pub to: f64,
    pub step: f64,
}

impl CostSpec {
    /// Check the section against itself and the study's arms; errors name the key.
    pub fn validate(&self, study: &Study) -> Result<()> {
        let err = |key: &str, msg: String| Error::spec(study.key_location(key), msg);
        if self.column.is_some() && self.model.is_some() {
            return Err(err(
                "cost.column",
                "give either a cost column or a [cost.model], not both".into(),
            ));
        }
        if let Some(level) = self.level {
            if !(level > 0.0 && level < 1.0) {
                return Err(err(
                    "cost.level",
                    format!("{level} is not a confidence level; expected a number between 0 and 1"),
                ));
            }
        }
        if let Some(m) = &self.model {
            let arms: Vec<String> = study
                .spec
                .design
                .as_ref()
                .map(|d| d.arms.keys().cloned().collect())
                .unwrap_or_default();
            for (part, map) in [
                ("per_offered", &m.per_offered),
                ("per_participant", &m.per_participant),
                ("fixed", &m.fixed),
            ] {
                for (arm, value) in map {
                    let key = format!("cost.model.{part}.{arm}");
                    if !arms.is_empty() && !arms.contains(arm) {
                        let mut e = err(
                            &key,
                            format!("`{arm}` is not an arm of the design ({})", arms.join(", ")),
                        );
                        if let Some(s) = crate::error::nearest(arm, arms.iter().map(String::as_str))
                        {
                            e = e.with_hint(format!("did you mean `{s}`?"));
                        }
                        return Err(e);
                    }
                    if !(value.is_finite() && *value >= 0.0) {
                        return Err(err(&key, format!("{value} SEK; expected an amount ≥ 0")));
                    }
                }
            }
            if !(m.overhead_share.is_finite() && m.overhead_share >= 0.0) {
                return Err(err(
                    "cost.model.overhead_share",
                    format!("{}; expected a share ≥ 0 (e.g. 0.15)", m.overhead_share),
                ));
            }
        }
        for (i, o) in self.offsets.iter().enumerate() {
            if !o.sek_per_unit.is_finite() {
                return Err(err(
                    &format!("cost.offsets[{i}].sek_per_unit"),
                    "expected a finite amount".into(),
                ));
            }
        }
        for (i, a) in self.alternatives.iter().enumerate() {
            if !(a.cost_per_job.is_finite() && a.cost_per_job >= 0.0) {
                return Err(err(
                    &format!("cost.alternatives[{i}].cost_per_job"),
                    format!("{}; expected an amount ≥ 0", a.cost_per_job),
                ));
            }
        }
        if let Some(w) = self.wtp {
            crate::cea::wtp_grid(w.from, w.to, w.step)
                .map_err(|e| err("cost.wtp", e.to_string()))?;
        }
        Ok(())
    }
}
