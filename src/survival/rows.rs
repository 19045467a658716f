//! The rows the survival analysis returns (one per outcome × subgroup × estimand × arm × time)
//! and the curves the report draws; `tidy::survival` turns them into tables.

use super::competing::Cif;
use super::km::Curve;

/// One arm's cumulative incidence of one exit (work, studies, moved) in one subgroup, with the
/// number at risk at each of the exit's times (for the report's stacked figure).
#[derive(Debug, Clone, PartialEq)]
pub struct ExitCurve {
    pub subgroup: String,
    pub arm: String,
    pub exit: String,
    pub cif: Cif,
    /// Persons at risk just before each of `cif.time`.
    pub n_risk: Vec<f64>,
    /// Persons in the arm (at risk at time 0).
    pub persons: usize,
}

/// One arm's Kaplan–Meier curve in one subgroup (for the report's figure).
#[derive(Debug, Clone, PartialEq)]
pub struct ArmCurve {
    pub subgroup: String,
    pub arm: String,
    pub curve: Curve,
}

/// One survival result. Numbers that an estimand does not define are NaN (empty in CSV, `null`
/// in JSON): e.g. `df` except for tests, `p_value` for a per-arm curve.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalRow {
    /// The time column (with a cause: `<time>:<cause>`).
    pub outcome: String,
    /// `all`, `<column>=<level>`, or `<column>=<a> - <column>=<b>` (the difference of the arm
    /// differences between two subgroups).
    pub subgroup: String,
    /// `km`, `km_difference`, `logrank`, `rmst`, `rmst_difference`, `rmst_ratio`,
    /// `hazard_ratio`, `cif`, `cif_difference` or `gray`.
    pub estimand: String,
    /// The arm of a per-arm row; the compared arm of a comparison (against the control arm).
    pub arm: String,
    /// The `--at` time, or τ for RMST rows; None for tests and hazard ratios.
    pub time: Option<f64>,
    pub estimate: f64,
    pub std_error: f64,
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    /// How the row was computed, in words (docs/survival.md has the formulas).
    pub method: String,
    /// Randomization-inference p-value (log-rank and RMST-difference rows, when asked).
    pub p_value_ri: Option<f64>,
}

impl SurvivalRow {
    /// A row with every number undefined.
    pub fn new(outcome: &str, subgroup: &str, estimand: &str, arm: &str, method: &str) -> Self {
        SurvivalRow {
            outcome: outcome.to_string(),
            subgroup: subgroup.to_string(),
            estimand: estimand.to_string(),
            arm: arm.to_string(),
            time: None,
            estimate: f64::NAN,
            std_error: f64::NAN,
            statistic: f64::NAN,
            df: f64::NAN,
            p_value: f64::NAN,
            conf_low: f64::NAN,
            conf_high: f64::NAN,
            method: method.to_string(),
            p_value_ri: None,
        }
    }
}
