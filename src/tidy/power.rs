//! Planning results as display tables: the analytic answer ([`crate::power::Answer`], plus the
//! cost-precision row) and the diagnosis by simulation ([`crate::power::diagnose::Diagnosis`]),
//! with their column names, order and the decimals people see.

use crate::export::{Cell, Frame};
use crate::power::Answer;
use crate::power::diagnose::Diagnosis;

/// The answer as a result frame: one row per estimand (all, women, men, women − men) and, when
/// costs are given, one row for the cost per additional success.
/// The power table's columns on a terminal, in order, each shown while the table fits
/// (`export::terminal`).
pub const POWER_TERMINAL: [&str; 15] = [
    "estimand",
    "solved",
    "n",
    "n_treated",
    "n_control",
    "mde",
    "power",
    "alpha",
    "baseline",
    "method",
    "se",
    "design_effect",
    "clusters",
    "icer",
    "icer_half_width",
];

pub fn answer_frame(answer: &Answer) -> Frame {
    let mut f = Frame::new(&[
        "estimand",
        "solved",
        "method",
        "n",
        "n_treated",
        "n_control",
        "clusters",
        "df",
        "design_effect",
        "baseline",
        "sd",
        "alpha",
        "power",
        "mde",
        "se",
        "se_h",
        "icer",
        "icer_se",
        "icer_half_width",
        "icer_lower",
        "icer_upper",
    ])
    .with_decimals("n", 1)
    .with_decimals("n_treated", 1)
    .with_decimals("n_control", 1)
    .with_decimals("clusters", 1)
    .with_decimals("df", 1)
    .with_decimals("power", 3)
    .with_decimals("icer", 0)
    .with_decimals("icer_se", 0)
    .with_decimals("icer_half_width", 0)
    .with_decimals("icer_lower", 0)
    .with_decimals("icer_upper", 0);
    for r in &answer.rows {
        f.push(vec![
            r.estimand.as_str().into(),
            r.solved.name().into(),
            r.method.name().into(),
            r.n.into(),
            r.n_treated.into(),
            r.n_control.into(),
            r.clusters.into(),
            r.df.into(),
            r.design_effect.into(),
            r.baseline.into(),
            r.sd.into(),
            r.alpha.into(),
            r.power.into(),
            r.mde.into(),
            r.se.into(),
            r.se_h.into(),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
        ]);
    }
    if let (Some(c), Some(all)) = (&answer.cost, answer.rows.first()) {
        f.push(vec![
            "cost per additional success".into(),
            Cell::Null,
            "delta method; Fieller".into(),
            all.n.into(),
            all.n_treated.into(),
            all.n_control.into(),
            all.clusters.into(),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
            all.alpha.into(),
            Cell::Null,
            c.effect.into(),
            Cell::Null,
            Cell::Null,
            c.icer.into(),
            c.se.into(),
            c.half_width.into(),
            c.fieller.map(|b| b.0).into(),
            c.fieller.map(|b| b.1).into(),
        ]);
    }
    f
}

/// The diagnosis as a result frame.
pub fn diagnosis_frame(rows: &[Diagnosis]) -> Frame {
    let mut f = Frame::new(&[
        "outcome",
        "subgroup",
        "arm",
        "declared",
        "truth",
        "mean_estimate",
        "bias",
        "rmse",
        "sd_estimate",
        "mean_se",
        "power",
        "coverage",
        "coverage_mc_se",
        "sims",
    ])
    .with_decimals("power", 3)
    .with_decimals("coverage", 3)
    .with_decimals("coverage_mc_se", 3);
    for r in rows {
        f.push(vec![
            r.outcome.as_str().into(),
            r.subgroup.as_str().into(),
            r.arm.as_str().into(),
            r.declared.into(),
            r.truth.into(),
            r.mean_estimate.into(),
            r.bias.into(),
            r.rmse.into(),
            r.sd_estimate.into(),
            r.mean_se.into(),
            r.power.into(),
            r.coverage.into(),
            r.coverage_mc_se.into(),
            r.sims.into(),
        ]);
    }
    f
}
