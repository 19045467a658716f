//! `[simulate]` and `[power]`: the data-generating process of a synthetic study, and power
//! planning (owned by `simulate` and `power`). These are the raw sections as written; they are
//! validated into [`crate::simulate::Dgp`] and [`crate::power::PowerInput`], whose errors name
//! the key.

use indexmap::IndexMap;
use serde::Deserialize;

/// `[simulate]`: everything `lotta simulate` needs to write a synthetic study. Rates are
/// probabilities; arrays hold one value per horizon, in the order of `horizons`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateSpec {
    /// Number of participants when `--n` is not given.
    pub n: Option<i64>,
    /// Follow-up horizons in days after randomization (default 90, 180, 365, 540).
    pub horizons: Option<Vec<i64>>,
    /// Share of women among participants.
    pub share_women: f64,
    /// Arms and ratios for the provisional assignment, e.g. `{ md1 = 2, standard = 1 }`.
    pub arms: IndexMap<String, i64>,
    /// The comparison arm (default: the last arm written).
    pub control: Option<String>,
    /// Columns forming the strata of the provisional assignment (`site`, `gender`).
    #[serde(default)]
    pub strata: Vec<String>,
    /// First and last day of enrolment, `YYYY-MM-DD`.
    pub enrolment: EnrolmentSpec,
    /// Probability of work or studies among controls, by gender and horizon.
    pub base_rate: ByGender<Vec<f64>>,
    /// True intention-to-treat effect of each treated arm on work or studies (probability
    /// scale), by gender and horizon. Arms not listed have no effect.
    #[serde(default)]
    pub itt: IndexMap<String, ByGender<Vec<f64>>>,
    /// Share of those offered each arm who take part (one-sided non-compliance).
    #[serde(default)]
    pub take_up: IndexMap<String, f64>,
    /// Among controls in work or studies: shares in subsidized work, unsubsidized work and studies.
    pub split: SplitSpec,
    /// Cumulative share lost to follow-up by each horizon.
    pub attrition: Vec<f64>,
    /// Shares of the age bands `16-24`, `25-54`, `55-64`.
    pub age_bands: IndexMap<String, f64>,
    /// Shares of education levels `none`, `primary`, `secondary`, `tertiary`, by gender.
    pub education: ByGender<IndexMap<String, f64>>,
    /// Months in Sweden at enrolment, uniform on whole months.
    pub months_in_sweden: RangeSpec,
    /// Share further from the labour market (`distance = far`), by gender.
    pub far_share: ByGender<f64>,
    /// Relative covariate effects on the probability of work or studies.
    pub effects: CovariateEffectsSpec,
    /// The sites, with relative sizes and relative site effects.
    pub sites: Vec<SiteSpec>,
    /// Per-person costs in SEK including overhead.
    pub costs: CostsSpec,
    /// Months on income support in the months after randomization.
    pub income_support: IncomeSupportSpec,
    /// Time to the first exit (work, studies, moved) by competing exponential hazards; absent:
    /// no time-to-event columns, and every other output is unchanged.
    #[serde(default)]
    pub time_to_event: Option<TimeToEventSpec>,
}

/// `[simulate.time_to_event]`: competing exits with constant daily hazards by gender among
/// controls, multiplied by a hazard ratio per offered arm, exit and gender; follow-up ends at
/// `followup` days (administrative censoring).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeToEventSpec {
    /// End of follow-up in days after randomization (default: the last horizon).
    pub followup: Option<i64>,
    /// Daily hazard of each exit among controls, by gender, e.g.
    /// `work = { women = 0.0006, men = 0.0011 }`.
    pub hazard: IndexMap<String, ByGender<f64>>,
    /// Hazard ratio of being offered each arm, by exit and gender (1 when not listed).
    #[serde(default)]
    pub hazard_ratio: IndexMap<String, IndexMap<String, ByGender<f64>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByGender<T> {
    pub women: T,
    pub men: T,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentSpec {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub subsidized: Vec<f64>,
    pub unsubsidized: Vec<f64>,
    pub studies: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub min: i64,
    pub max: i64,
}

/// Relative effects: the probability is multiplied by `1 + Σ effect·(x − E[x | gender])`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovariateEffectsSpec {
    /// Per year of age.
    pub age: f64,
    /// Per year of education.
    pub education_years: f64,
    /// Per month in Sweden.
    pub months_in_sweden: f64,
    /// For being further from the labour market (`far` rather than `near`).
    pub far: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub name: String,
    /// Municipalities the site serves (each participant lives in one, drawn uniformly).
    pub municipalities: Vec<String>,
    /// Relative size (participants are allocated in proportion).
    pub size: f64,
    /// Relative site effect: the probability is multiplied by `1 + effect` (centred by size).
    #[serde(default)]
    pub effect: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsSpec {
    /// Cost per person taking part in each treated arm (replaces ordinary services).
    #[serde(default)]
    pub programme: IndexMap<String, LogNormalSpec>,
    /// Cost of ordinary services per person not taking part in a programme.
    pub ordinary: LogNormalSpec,
}

/// A log-normal distribution given by its mean and coefficient of variation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogNormalSpec {
    pub mean: f64,
    pub cv: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeSupportSpec {
    /// Length of the window in months (18 in MD1).
    pub months: i64,
    /// Monthly probability of income support for someone not in work or studies, by gender.
    pub monthly_rate: ByGender<f64>,
    /// Relative reduction of that probability for someone in work or studies at the middle horizon.
    pub reduction_if_working: f64,
}

/// `[power]`: the planning question, as `lotta power`'s flags. Every key is also a flag.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSpec {
    /// Outcome rate among controls (binary outcome).
    /// The clusters are randomized in matched pairs (for the smallest attainable randomization
    /// p-value).
    pub pairs: Option<bool>,
    pub baseline: Option<f64>,
    pub baseline_women: Option<f64>,
    pub baseline_men: Option<f64>,
    /// Total number of participants (all arms).
    pub n: Option<f64>,
    /// Treated:control ratio such as `"2:1"`.
    pub ratio: Option<String>,
    pub alpha: Option<f64>,
    pub power: Option<f64>,
    pub mde: Option<f64>,
    /// Share of outcome variance explained by covariates or strata.
    pub r2: Option<f64>,
    pub icc: Option<f64>,
    pub cluster_size: Option<f64>,
    pub clusters: Option<f64>,
    /// `binary` or `continuous`.
    pub outcome: Option<String>,
    /// Outcome standard deviation (continuous outcome).
    pub sd: Option<f64>,
    /// `normal`, `arcsine` (binary) or `t` (continuous).
    pub method: Option<String>,
    pub share_women: Option<f64>,
    /// Incremental cost per person offered, SEK.
    pub cost_per_participant: Option<f64>,
    /// Standard deviation of the per-person cost, SEK.
    pub cost_sd: Option<f64>,
    /// Expected effect for the cost-effectiveness precision (default: the MDE).
    pub effect: Option<f64>,
    /// Replicates for power by simulation (0: analytic only).
    pub simulations: Option<i64>,
}
