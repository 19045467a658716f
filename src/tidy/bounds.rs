//! Lee bounds as a display table (`bounds`): one row per compared arm, outcome, subgroup and
//! cells (none: the plain bounds; `site × gender`: tightened), with the counts, the share
//! trimmed, both bounds with their SEs, the Imbens–Manski interval, and, where the outcome is the
//! cost analysis's, the cost per additional success at each bound.

use crate::estimate::bounds::{LeeBounds, TrimmedArm};
use crate::export::{Cell, Frame};

/// One comparison's bounds, or the reason there are none.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundsRow {
    pub outcome: String,
    /// The 0/1 column saying who is observed (None: the outcome given).
    pub observed_when: Option<String>,
    pub subgroup: String,
    pub arm: String,
    pub control_arm: String,
    /// The cells' columns joined by ` × ` (`none` for the plain bounds).
    pub cells: String,
    pub bounds: std::result::Result<LeeBounds, String>,
    /// The incremental cost per person offered, when the outcome is the cost analysis's: the
    /// cost per additional success at each bound follows.
    pub incremental_cost: Option<f64>,
    pub notes: Vec<String>,
}

/// The bounds table's columns on a terminal, in order, each shown while the table fits
/// (`export::terminal`); the outcome heads each block and the notes go below.
pub const BOUNDS_TERMINAL: [&str; 12] = [
    "subgroup",
    "cells",
    "lower",
    "upper",
    "conf_low",
    "conf_high",
    "trimmed_arm",
    "trim_share",
    "n_treated",
    "n_control",
    "cost_per_success_low",
    "cost_per_success_high",
];

pub const BOUNDS_COLUMNS: [&str; 22] = [
    "outcome",
    "observed_when",
    "subgroup",
    "arm",
    "control_arm",
    "cells",
    "n_treated",
    "n_control",
    "n_observed_treated",
    "n_observed_control",
    "trimmed_arm",
    "trim_share",
    "lower",
    "upper",
    "se_lower",
    "se_upper",
    "conf_low",
    "conf_high",
    "critical_value",
    "cost_per_success_low",
    "cost_per_success_high",
    "note",
];

/// The cost per additional success at the bounds: the incremental cost over the upper bound
/// (low) and over the lower bound (high); when the lower bound is ≤ 0 the high end is
/// unbounded (written `Inf`).
fn cost_at_bounds(cost: f64, b: &LeeBounds) -> (Cell, Cell) {
    if b.upper.is_nan() || b.upper <= 0.0 {
        return (Cell::Null, Cell::Null);
    }
    let low = Cell::from(cost / b.upper);
    let high = if b.lower > 0.0 {
        Cell::from(cost / b.lower)
    } else {
        Cell::Text("Inf".into())
    };
    (low, high)
}

pub fn bounds_frame(rows: &[BoundsRow]) -> Frame {
    let mut f = Frame::new(&BOUNDS_COLUMNS);
    for c in ["trim_share", "critical_value"] {
        f = f.with_decimals(c, 3);
    }
    for c in ["cost_per_success_low", "cost_per_success_high"] {
        f = f.with_decimals(c, 0);
    }
    for r in rows {
        let mut cells: Vec<Cell> = vec![
            r.outcome.as_str().into(),
            r.observed_when.clone().into(),
            r.subgroup.as_str().into(),
            r.arm.as_str().into(),
            r.control_arm.as_str().into(),
            r.cells.as_str().into(),
        ];
        let mut notes = r.notes.clone();
        match &r.bounds {
            Ok(b) => {
                let trimmed = match b.trimmed {
                    TrimmedArm::Treated => r.arm.as_str(),
                    TrimmedArm::Control => r.control_arm.as_str(),
                };
                let (low, high) = match r.incremental_cost {
                    Some(c) => cost_at_bounds(c, b),
                    None => (Cell::Null, Cell::Null),
                };
                if b.cells_not_trimmed > 0 {
                    notes.push(format!(
                        "{} of {} cells observed the other arm more often and were not trimmed",
                        b.cells_not_trimmed, b.cells
                    ));
                }
                cells.extend([
                    b.n[1].into(),
                    b.n[0].into(),
                    b.n_observed[1].into(),
                    b.n_observed[0].into(),
                    trimmed.into(),
                    b.trim_share.into(),
                    b.lower.into(),
                    b.upper.into(),
                    b.se_lower.into(),
                    b.se_upper.into(),
                    b.conf_low.into(),
                    b.conf_high.into(),
                    b.critical.into(),
                    low,
                    high,
                ]);
            }
            Err(reason) => {
                cells.extend(std::iter::repeat_n(Cell::Null, 15));
                notes.insert(0, reason.clone());
            }
        }
        cells.push(if notes.is_empty() {
            Cell::Null
        } else {
            notes.join("; ").into()
        });
        f.push(cells);
    }
    f
}
