//! `[survival]`: the time-to-event analysis `lotta survival` computes (owned by `survival`).
//! Every key also exists as a flag; flags win.
//!
//! ```toml
//! [survival]
//! time = "days_observed"      # time from randomization to the event or censoring (≥ 0)
//! event = "job_found"         # 0 = censored, 1 = event (or cause labels, with `cause`)
//! by = "gender"
//! strata = ["site"]           # stratified log-rank, Cox and Gray tests
//! cluster = "municipality"    # cluster-robust Cox SE
//! cause = "job"               # the cause of interest when `event` holds several exits
//! tau = 540                   # RMST horizon (default: survRM2's)
//! at = [90, 180, 365, 540]    # times for Kaplan–Meier and cumulative incidence rows
//! ri_draws = 1000
//! ```

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurvivalSpec {
    pub time: Option<String>,
    pub event: Option<String>,
    pub by: Option<String>,
    #[serde(default)]
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    pub cause: Option<String>,
    pub tau: Option<f64>,
    #[serde(default)]
    pub at: Vec<f64>,
    /// Randomization-inference draws for the log-rank statistic and the RMST difference.
    pub ri_draws: Option<u32>,
}
