//! The settings of the cost–benefit part of `lotta cost` and `lotta run` (issue 17): the
//! `[cost.benefit]` section and the `[[cost.comparators]]` priced by track, resolved once into
//! the values `cea::benefit` and `cea::tracks` take (the spec has already been validated by
//! `spec::cost`, with errors that name the key).

use crate::cea::benefit::Valuation;
use crate::spec::Study;
use crate::spec::cost::{BenefitSpec, ComparatorSpec};
use crate::spec::survival::SurvivalSpec;
use std::path::PathBuf;

/// Checked settings of the valued outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitSettings {
    /// Column and the month it measures, in the spec's order.
    pub in_work: Vec<(String, u32)>,
    /// The headline first (the wage cost incl. employer fees, or the value per month), then each
    /// component, then the components' sum when there are several.
    pub valuations: Vec<Valuation>,
    pub discount_rate: f64,
    pub discount_range: [f64; 2],
    pub cost_months: u32,
    pub extrapolate_to: Option<u32>,
    pub value_change: f64,
    pub cost_change: f64,
    /// Months in work from the time to the first job (`survival_months`), instead of `in_work`.
    pub time_to_job: Option<JobTimes>,
}

/// Where the time to the first job is: `[survival]`'s columns, and the months valued.
#[derive(Debug, Clone, PartialEq)]
pub struct JobTimes {
    /// Days from randomization to the event or censoring.
    pub time: String,
    /// The event column: 1/0, or exit codes with `cause` the first job (other exits censor).
    pub event: String,
    pub cause: Option<String>,
    /// The months valued, 1..=months.
    pub months: u32,
}

/// Default annual discount rate: 3%, the middle of the 0–5% range the sensitivity analysis
/// spans (Drummond et al. 2015, §4.2.4, report 0–5%; the Swedish transport appraisal guidance
/// ASEK uses 3.5%).
pub const DEFAULT_DISCOUNT_RATE: f64 = 0.03;
pub const DEFAULT_DISCOUNT_RANGE: [f64; 2] = [0.0, 0.05];
pub const DEFAULT_CHANGE: f64 = 0.2;

/// The name of the headline valuation with employer fees.
pub const WAGE_COST: &str = "wage cost incl. employer fees";
/// The name of the headline valuation without employer fees.
pub const VALUE_PER_MONTH: &str = "value per month";
/// The name of the sum of several components.
pub const COMPONENTS_SUM: &str = "sum of the components";

impl BenefitSettings {
    /// From a validated `[cost.benefit]`.
    /// `survival` is the study's `[survival]` (for `survival_months`).
    pub fn resolve(spec: &BenefitSpec, survival: Option<&SurvivalSpec>) -> BenefitSettings {
        let in_work: Vec<(String, u32)> = spec
            .in_work
            .iter()
            .map(|(c, m)| (c.clone(), u32::try_from(*m).unwrap_or(0)))
            .collect();
        let time_to_job = spec.survival_months.and_then(|h| {
            let s = survival?;
            Some(JobTimes {
                time: s.time.clone()?,
                event: s.event.clone()?,
                cause: s.cause.clone(),
                months: u32::try_from(h).ok()?,
            })
        });
        let last = time_to_job
            .as_ref()
            .map(|j| j.months)
            .unwrap_or_else(|| in_work.iter().map(|(_, m)| *m).max().unwrap_or(0));
        let wage = spec.value_per_month.unwrap_or(0.0);
        let head = match spec.employer_fees {
            Some(fees) => Valuation {
                name: WAGE_COST.into(),
                sek_per_month: wage * (1.0 + fees),
            },
            None => Valuation {
                name: VALUE_PER_MONTH.into(),
                sek_per_month: wage,
            },
        };
        let mut valuations = vec![head];
        valuations.extend(spec.components.iter().map(|(name, v)| Valuation {
            name: name.clone(),
            sek_per_month: *v,
        }));
        if spec.components.len() > 1 {
            valuations.push(Valuation {
                name: COMPONENTS_SUM.into(),
                sek_per_month: spec.components.values().sum(),
            });
        }
        BenefitSettings {
            in_work,
            valuations,
            discount_rate: spec.discount_rate.unwrap_or(DEFAULT_DISCOUNT_RATE),
            discount_range: spec.discount_range.unwrap_or(DEFAULT_DISCOUNT_RANGE),
            cost_months: spec
                .cost_months
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(last),
            extrapolate_to: spec.extrapolate_to.and_then(|x| u32::try_from(x).ok()),
            value_change: spec.value_change.unwrap_or(DEFAULT_CHANGE),
            cost_change: spec.cost_change.unwrap_or(DEFAULT_CHANGE),
            time_to_job,
        }
    }

    /// The distinct measured months, increasing.
    pub fn months(&self) -> Vec<u32> {
        if let Some(j) = &self.time_to_job {
            return (1..=j.months).collect();
        }
        let mut m: Vec<u32> = self.in_work.iter().map(|(_, m)| *m).collect();
        m.sort_unstable();
        m.dedup();
        m
    }
}

/// A procured service priced by track, with where its spec keys are (for errors about tracks
/// the data do not have).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackComparator {
    pub name: String,
    pub track_column: String,
    pub fees: Vec<(String, f64)>,
    pub results_payment: f64,
    /// The spec file and the key of the fees, e.g. `cost.comparators[0].fee`.
    pub spec_file: PathBuf,
    pub fee_key: String,
}

impl TrackComparator {
    pub fn resolve(study: &Study, index: usize, spec: &ComparatorSpec) -> TrackComparator {
        TrackComparator {
            name: spec.name.clone(),
            track_column: spec.track.clone(),
            fees: spec.fee.iter().map(|(t, f)| (t.clone(), *f)).collect(),
            results_payment: spec.results_payment,
            spec_file: study.file.clone(),
            fee_key: format!("cost.comparators[{index}].fee"),
        }
    }
}
