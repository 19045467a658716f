//! The validated data-generating process: `[simulate]` checked once (rates in [0, 1], sizes not
//! negative, one value per horizon, known arms), with the expectations the latent model centres on.

/// Women and men, in the order used by every per-gender array.
pub const GENDERS: [&str; 2] = ["F", "M"];

/// Education levels and the whole years of schooling each spans (inclusive).
pub const EDUCATION_LEVELS: [(&str, i64, i64); 4] = [
    ("none", 0, 5),
    ("primary", 6, 9),
    ("secondary", 10, 12),
    ("tertiary", 13, 17),
];

/// Age bands of the field (Linköpingsmodellen's 16–24, 25–54, plus 55–64).
pub const AGE_BANDS: [(&str, i64, i64); 3] =
    [("16-24", 16, 24), ("25-54", 25, 54), ("55-64", 55, 64)];

/// A site: name, municipalities, share of participants and centred relative effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub name: String,
    pub municipalities: Vec<String>,
    pub share: f64,
    pub effect: f64,
}

/// A log-normal cost distribution: `exp(mu + sigma·z)` has the declared mean and CV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    pub mean: f64,
    pub cv: f64,
    pub mu: f64,
    pub sigma: f64,
}

impl LogNormal {
    /// sigma² = ln(1 + cv²), mu = ln(mean) − sigma²/2 (moments of the log-normal).
    pub fn new(mean: f64, cv: f64) -> LogNormal {
        let s2 = (1.0 + cv * cv).ln();
        LogNormal {
            mean,
            cv,
            mu: mean.ln() - s2 / 2.0,
            sigma: s2.sqrt(),
        }
    }
}

/// One arm of the provisional assignment and its part of the data-generating process.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedArm {
    pub name: String,
    pub ratio: u32,
    /// True ITT on work or studies by gender (0 = women, 1 = men) and horizon.
    pub itt: [Vec<f64>; 2],
    /// Share of those offered who take part (0 for the control arm).
    pub take_up: f64,
    /// Cost per person taking part (None: ordinary services only).
    pub programme_cost: Option<LogNormal>,
}

/// The time-to-event part of the data-generating process (`[simulate.time_to_event]`):
/// competing exits with constant daily hazards. For a person of gender g offered arm a, exit k
/// has hazard λ_kg · HR_akg; the latent time to each exit is exponential, the first one is the
/// exit, and follow-up ends at `followup` days. So without the end of follow-up the time to the
/// first exit is exponential with rate Λ = Σ_k λ_k HR_k, the survival without exit k alone is
/// exp(−λ_k HR_k t), and the cumulative incidence of exit k is (λ_k HR_k / Λ)(1 − e^{−Λt}).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToEvent {
    pub followup: u32,
    /// The exits, in the order written (e.g. work, studies, moved).
    pub causes: Vec<String>,
    /// Daily hazard of each exit among controls, [women, men].
    pub hazard: Vec<[f64; 2]>,
    /// Hazard ratio of being offered each arm (index as `Dgp::arms`), per exit, [women, men].
    pub hazard_ratio: Vec<Vec<[f64; 2]>>,
}

impl TimeToEvent {
    /// The daily hazard of exit `cause` for a person of `gender` offered `arm`.
    pub fn rate(&self, arm: usize, cause: usize, gender: usize) -> f64 {
        self.hazard[cause][gender] * self.hazard_ratio[arm][cause][gender]
    }
}

/// The validated data-generating process.
#[derive(Debug, Clone, PartialEq)]
pub struct Dgp {
    pub default_n: Option<usize>,
    pub horizons: Vec<u32>,
    pub share_women: f64,
    pub arms: Vec<SimulatedArm>,
    pub control: usize,
    /// Stratify the provisional assignment by site and/or gender.
    pub strata_site: bool,
    pub strata_gender: bool,
    /// Enrolment window as days since 1970-01-01, inclusive.
    pub enrol_start: i64,
    pub enrol_end: i64,
    /// Base rate of work or studies among controls, by gender and horizon.
    pub base_rate: [Vec<f64>; 2],
    /// Shares subsidized, unsubsidized, studies among controls in work or studies, by horizon.
    pub split: Vec<[f64; 3]>,
    pub attrition: Vec<f64>,
    pub age_band_shares: [f64; 3],
    /// Education level shares by gender.
    pub education_shares: [[f64; 4]; 2],
    pub months_min: i64,
    pub months_max: i64,
    pub far_share: [f64; 2],
    pub effect_age: f64,
    pub effect_education: f64,
    pub effect_months: f64,
    pub effect_far: f64,
    pub sites: Vec<Site>,
    pub ordinary_cost: LogNormal,
    pub support_months: u32,
    pub support_rate: [f64; 2],
    pub support_reduction: f64,
    /// Time to the first exit (None: not simulated).
    pub time_to_event: Option<TimeToEvent>,
    /// The assignment design (`[design]`, set by the caller with [`Dgp::with_design`]); without
    /// one, complete randomization within the `[simulate]` strata, misfits weighted by ratio.
    pub design: Option<crate::design::Design>,
}

impl Dgp {
    /// E[age] under the age-band shares, each band uniform on its whole years.
    pub fn expected_age(&self) -> f64 {
        AGE_BANDS
            .iter()
            .zip(self.age_band_shares)
            .map(|((_, lo, hi), s)| s * (lo + hi) as f64 / 2.0)
            .sum()
    }

    /// E[education years | gender].
    pub fn expected_education(&self, gender: usize) -> f64 {
        EDUCATION_LEVELS
            .iter()
            .zip(self.education_shares[gender])
            .map(|((_, lo, hi), s)| s * (lo + hi) as f64 / 2.0)
            .sum()
    }

    pub fn expected_months(&self) -> f64 {
        (self.months_min + self.months_max) as f64 / 2.0
    }

    /// The population ITT of arm `arm` at horizon index `h`: women's and men's effects weighted
    /// by the share of women.
    pub fn itt_overall(&self, arm: usize, h: usize) -> f64 {
        let a = &self.arms[arm];
        self.share_women * a.itt[0][h] + (1.0 - self.share_women) * a.itt[1][h]
    }

    /// Index of a horizon given in days.
    pub fn horizon_index(&self, days: u32) -> Option<usize> {
        self.horizons.iter().position(|&h| h == days)
    }
}
