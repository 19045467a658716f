//! The effect and attrition rows `estimate` returns, with estimatr's `tidy()` column names, and
//! their conversion to a [`Frame`] for export.

use crate::export::{Cell, Frame};

/// One estimated effect: an outcome × subgroup × term, as estimatr's tidy output plus the arm
/// counts and means readers want.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRow {
    pub outcome: String,
    /// `all`, `<column>=<level>`, or `<column>=<a> - <column>=<b>` for a difference.
    pub subgroup: String,
    /// The treatment column's name (or `<column>=<arm>` with several arms), or the
    /// participation column's name for the 2SLS effect.
    pub term: String,
    pub estimate: f64,
    pub std_error: f64,
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    /// `dim`, `ols`, `lin`, `fe`, `iv`, with ` (ipw)` when inverse-probability weighted.
    pub estimator: String,
    /// The SE and df rule: `HC2`, `CR2`, `Neyman`, … (see `docs/methods.md`).
    pub se_type: String,
    /// Complete cases in the arm and in control (counts, also with weights).
    pub n_treated: usize,
    pub n_control: usize,
    /// Outcome means in the arm and in control: weighted (Hájek, Σwy/Σw) when the estimator is
    /// weighted; NaN on difference rows.
    pub mean_treated: f64,
    pub mean_control: f64,
    /// First-stage F of the instrument (2SLS rows only; for a 2SLS difference, the joint F of
    /// the excluded instruments in the first stage of the interaction — see `estimate::iv`).
    pub first_stage_f: Option<f64>,
    /// Multiple-testing adjusted p-value (filled by the adjustment step).
    pub p_value_adjusted: Option<f64>,
    /// Randomization-inference p-value (filled by the RI step).
    pub p_value_ri: Option<f64>,
    /// Randomization-inference interval for a constant additive effect, by test inversion
    /// (overall rows of two-arm studies).
    pub ri_conf_low: Option<f64>,
    pub ri_conf_high: Option<f64>,
}

/// Column names of [`EffectRow`] in output order (optional columns last).
pub const EFFECT_COLUMNS: [&str; 16] = [
    "outcome",
    "subgroup",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "conf_low",
    "conf_high",
    "estimator",
    "se_type",
    "n_treated",
    "n_control",
    "mean_treated",
    "mean_control",
];

/// Rows → a frame. Optional columns (`first_stage_f`, `p_value_adjusted`, `p_value_ri`) appear
/// only when some row has a value.
pub fn to_frame(rows: &[EffectRow]) -> Frame {
    let with_f = rows.iter().any(|r| r.first_stage_f.is_some());
    let with_adj = rows.iter().any(|r| r.p_value_adjusted.is_some());
    let with_ri = rows.iter().any(|r| r.p_value_ri.is_some());
    let with_ri_ci = rows.iter().any(|r| r.ri_conf_low.is_some());
    let mut columns: Vec<&str> = EFFECT_COLUMNS.to_vec();
    if with_f {
        columns.push("first_stage_f");
    }
    if with_adj {
        columns.push("p_value_adjusted");
    }
    if with_ri {
        columns.push("p_value_ri");
    }
    if with_ri_ci {
        columns.push("ri_conf_low");
        columns.push("ri_conf_high");
    }
    let mut frame = Frame::new(&columns)
        .with_decimals("n_treated", 0)
        .with_decimals("n_control", 0)
        .with_decimals("df", 1)
        .with_decimals("first_stage_f", 1);
    for r in rows {
        let mut row: Vec<Cell> = vec![
            r.outcome.as_str().into(),
            r.subgroup.as_str().into(),
            r.term.as_str().into(),
            r.estimate.into(),
            r.std_error.into(),
            r.statistic.into(),
            r.df.into(),
            r.p_value.into(),
            r.conf_low.into(),
            r.conf_high.into(),
            r.estimator.as_str().into(),
            r.se_type.as_str().into(),
            r.n_treated.into(),
            r.n_control.into(),
            r.mean_treated.into(),
            r.mean_control.into(),
        ];
        if with_f {
            row.push(r.first_stage_f.into());
        }
        if with_adj {
            row.push(r.p_value_adjusted.into());
        }
        if with_ri {
            row.push(r.p_value_ri.into());
        }
        if with_ri_ci {
            row.push(r.ri_conf_low.into());
            row.push(r.ri_conf_high.into());
        }
        frame.push(row);
    }
    frame
}

/// Missing outcomes by arm, and the test of differential attrition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttritionRow {
    pub outcome: String,
    pub subgroup: String,
    pub arm: String,
    pub n: usize,
    pub n_missing: usize,
    pub rate_missing: f64,
    /// Difference in missing rates (this arm − control), its SE and p-value (HC2); NaN for the
    /// control arm.
    pub difference: f64,
    pub std_error: f64,
    pub p_value: f64,
}

/// Attrition rows → a frame.
pub fn attrition_frame(rows: &[AttritionRow]) -> Frame {
    let mut frame = Frame::new(&[
        "outcome",
        "subgroup",
        "arm",
        "n",
        "n_missing",
        "rate_missing",
        "difference",
        "std_error",
        "p_value",
    ]);
    for r in rows {
        frame.push(vec![
            r.outcome.as_str().into(),
            r.subgroup.as_str().into(),
            r.arm.as_str().into(),
            r.n.into(),
            r.n_missing.into(),
            r.rate_missing.into(),
            r.difference.into(),
            r.std_error.into(),
            r.p_value.into(),
        ]);
    }
    frame
}
