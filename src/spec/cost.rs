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
    /// `[cost.benefit]`: the effect valued in money (does the programme pay?).
    pub benefit: Option<BenefitSpec>,
    /// `[[cost.comparators]]`: procured services priced by track and results.
    #[serde(default)]
    pub comparators: Vec<ComparatorSpec>,
}

/// `[cost.benefit]`: months in work valued in SEK, discounted, against the costs.
///
/// ```toml
/// [cost.benefit]
/// in_work = { subsidized_90 = 3, unsubsidized_90 = 3, subsidized_540 = 18, unsubsidized_540 = 18 }
/// # or, from [survival]'s time to the first job: survival_months = 18
/// value_per_month = 25000         # monthly wage (or any value of a month in work), SEK
/// employer_fees = 0.3142          # added to the wage: the employer's total wage cost
/// components = { "tax revenue" = 8000, "income support saved" = 7000 }
/// discount_rate = 0.03            # a year; monthly discounting
/// discount_range = [0.0, 0.05]
/// cost_months = 27                # costs followed (spread evenly) over these months
/// extrapolate_to = 27             # sensitivity: effects carried forward / decaying to this month
/// value_change = 0.2              # ± share in the one-way and probabilistic sensitivity
/// cost_change = 0.2
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitSpec {
    /// Column → month (from randomization) at which it measures the status in work (0/1 or a
    /// share of the month); columns of the same month are added (e.g. subsidized and
    /// unsubsidized work).
    #[serde(default)]
    pub in_work: IndexMap<String, i64>,
    /// Instead of `in_work`: value the months after the first job within months 1..=this,
    /// from `[survival]`'s time to the event (days) and its Kaplan–Meier curves.
    pub survival_months: Option<i64>,
    /// Value of one month in work in SEK (before `employer_fees`).
    pub value_per_month: Option<f64>,
    /// Employer's fees as a share of the wage, added to `value_per_month` (e.g. 0.3142).
    pub employer_fees: Option<f64>,
    /// Further values of a month in work, shown separately (not added to the headline).
    #[serde(default)]
    pub components: IndexMap<String, f64>,
    /// Annual discount rate (default 0.03).
    pub discount_rate: Option<f64>,
    /// Discount rates of the sensitivity analysis (default [0, 0.05]).
    pub discount_range: Option<[f64; 2]>,
    /// Months over which the costs were incurred (default: the last month with a status).
    pub cost_months: Option<i64>,
    /// Month to which the effect is extrapolated in the sensitivity analysis.
    pub extrapolate_to: Option<i64>,
    /// Relative change of the value per month in the sensitivity analysis (default 0.2).
    pub value_change: Option<f64>,
    /// Relative change of the cost per participant in the sensitivity analysis (default 0.2).
    pub cost_change: Option<f64>,
}

/// `[[cost.comparators]]`: a procured service paid a fee per participant by track plus a
/// payment per participant in work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparatorSpec {
    pub name: String,
    /// The column holding each person's track (e.g. `distance`).
    pub track: String,
    /// Fee per participant, by track.
    pub fee: IndexMap<String, f64>,
    /// Payment per participant in work (the cost outcome), SEK.
    #[serde(default)]
    pub results_payment: f64,
    /// Where the prices come from (for the reader of the spec).
    pub source: Option<String>,
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
        if let Some(level) = self.level
            && !(level > 0.0 && level < 1.0)
        {
            return Err(err(
                "cost.level",
                format!("{level} is not a confidence level; expected a number between 0 and 1"),
            ));
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
        if let Some(b) = &self.benefit {
            b.validate(study)?;
        }
        for (i, c) in self.comparators.iter().enumerate() {
            for (track, fee) in &c.fee {
                if !(fee.is_finite() && *fee >= 0.0) {
                    return Err(err(
                        &format!("cost.comparators[{i}].fee.{track}"),
                        format!("{fee} SEK; expected a fee ≥ 0"),
                    ));
                }
            }
            if c.fee.is_empty() {
                return Err(err(
                    &format!("cost.comparators[{i}].fee"),
                    "no fee: give the fee per participant of each track, e.g. fee = { near = 14000, far = 22000 }".into(),
                ));
            }
            if !(c.results_payment.is_finite() && c.results_payment >= 0.0) {
                return Err(err(
                    &format!("cost.comparators[{i}].results_payment"),
                    format!("{} SEK; expected an amount ≥ 0", c.results_payment),
                ));
            }
        }
        Ok(())
    }
}

impl BenefitSpec {
    /// The measured months, increasing (each once).
    pub fn months(&self) -> Vec<i64> {
        if let Some(h) = self.survival_months {
            return (1..=h).collect();
        }
        let mut m: Vec<i64> = self.in_work.values().copied().collect();
        m.sort_unstable();
        m.dedup();
        m
    }

    /// Check `[cost.benefit]` against itself; errors name the key and say what to write.
    pub fn validate(&self, study: &Study) -> Result<()> {
        let err = |key: &str, msg: String| Error::spec(study.key_location(key), msg);
        if let Some(h) = self.survival_months {
            if !self.in_work.is_empty() {
                return Err(err(
                    "cost.benefit.survival_months",
                    "given with in_work: value either the monthly columns (in_work) or the \
                     months after the first job from [survival] (survival_months), not both"
                        .into(),
                ));
            }
            if !(1..=1200).contains(&h) {
                return Err(err(
                    "cost.benefit.survival_months",
                    format!("{h}; expected a number of months after randomization, 1 to 1200"),
                ));
            }
            let has_columns = study
                .spec
                .survival
                .as_ref()
                .is_some_and(|s| s.time.is_some() && s.event.is_some());
            if !has_columns {
                return Err(err(
                    "cost.benefit.survival_months",
                    "needs the time to the first job: add [survival] with time (days) and event"
                        .into(),
                ));
            }
        } else if self.in_work.is_empty() {
            return Err(err(
                "cost.benefit.in_work",
                "no columns: name the columns with the status in work and the month each \
                 measures, e.g. in_work = { work_3 = 3, work_18 = 18 }"
                    .into(),
            ));
        }
        for (column, month) in &self.in_work {
            if !(1..=1200).contains(month) {
                return Err(err(
                    &format!("cost.benefit.in_work.{column}"),
                    format!("month {month}; expected a month after randomization, 1 to 1200"),
                ));
            }
        }
        let last = self.months().last().copied().unwrap_or(0);
        match self.value_per_month {
            None => {
                return Err(err(
                    "cost.benefit.value_per_month",
                    "missing: give the value of one month in work in SEK (e.g. the monthly \
                     wage, with employer_fees for the employer's total wage cost)"
                        .into(),
                ));
            }
            Some(v) if !(v.is_finite() && v > 0.0) => {
                return Err(err(
                    "cost.benefit.value_per_month",
                    format!("{v} SEK; expected an amount > 0"),
                ));
            }
            _ => {}
        }
        let share = |key: &str, v: Option<f64>, what: &str| -> Result<()> {
            match v {
                Some(x) if !(x.is_finite() && (0.0..=1.0).contains(&x)) => Err(err(
                    &format!("cost.benefit.{key}"),
                    format!("{x}; expected {what} between 0 and 1"),
                )),
                _ => Ok(()),
            }
        };
        share("employer_fees", self.employer_fees, "a share of the wage")?;
        share(
            "discount_rate",
            self.discount_rate,
            "an annual rate (e.g. 0.03)",
        )?;
        share(
            "value_change",
            self.value_change,
            "a relative change (e.g. 0.2)",
        )?;
        share(
            "cost_change",
            self.cost_change,
            "a relative change (e.g. 0.2)",
        )?;
        if let Some([lo, hi]) = self.discount_range {
            share("discount_range", Some(lo), "annual rates")?;
            share("discount_range", Some(hi), "annual rates")?;
            if lo > hi {
                return Err(err(
                    "cost.benefit.discount_range",
                    format!("[{lo}, {hi}] is reversed; write [low, high], e.g. [0.0, 0.05]"),
                ));
            }
        }
        for (name, v) in &self.components {
            if !(v.is_finite() && *v > 0.0) {
                return Err(err(
                    &format!("cost.benefit.components.{name}"),
                    format!("{v} SEK; expected an amount > 0 per month in work"),
                ));
            }
        }
        if let Some(c) = self.cost_months
            && !(0..=1200).contains(&c)
        {
            return Err(err(
                "cost.benefit.cost_months",
                format!("{c}; expected a number of months, 0 (costs at the start) to 1200"),
            ));
        }
        if let Some(x) = self.extrapolate_to
            && !(x > last && x <= 1200)
        {
            return Err(err(
                "cost.benefit.extrapolate_to",
                format!(
                    "month {x} is not beyond the effects, measured to month {last}; give a \
                     later month (e.g. the cost horizon), or leave the key out"
                ),
            ));
        }
        Ok(())
    }
}
