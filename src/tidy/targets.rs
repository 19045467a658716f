//! The indicator rows (`targets`) as tables: `indicators` (one row per indicator × subgroup cell
//! × arm, with the cluster-robust columns when the study has clusters), `indicator_categories`
//! and `indicator_tests` (text outcomes by arm), and `monitoring` (persons per arm and cell).

use crate::export::{Cell, Frame};
use crate::targets::contingency::Fisher;
use crate::targets::{CategoryRow, CategoryTest, Direction, IndicatorRow, MonitoringRow};

/// Columns of the `indicators` table (the cluster-robust ones follow `assessment` when present).
pub const INDICATOR_COLUMNS: [&str; 17] = [
    "indicator",
    "label",
    "outcome",
    "subgroup",
    "arm",
    "n",
    "n_yes",
    "n_no",
    "share",
    "conf_low",
    "conf_high",
    "level",
    "target",
    "direction",
    "p_value",
    "p_value_shortfall",
    "assessment",
];

/// The cluster-robust columns of the `indicators` table.
pub const CLUSTERED_COLUMNS: [&str; 7] = [
    "clusters",
    "std_error_cr2",
    "df_cr2",
    "conf_low_cr2",
    "conf_high_cr2",
    "p_value_cr2",
    "p_value_shortfall_cr2",
];

/// Whether the cell meets its target: "met" when the share is on the target's side, "missed"
/// otherwise; "(significant)" when the one-sided exact p-value in that direction is below
/// (1 − level)/2 — exactly when the Clopper–Pearson interval lies wholly on that side.
pub fn assessment(row: &IndicatorRow, level: f64) -> Option<&'static str> {
    let target = row.target?;
    let share = row.cell.share?;
    let met = match target.direction {
        Direction::AtLeast => share >= target.share,
        Direction::AtMost => share <= target.share,
    };
    let alpha = (1.0 - level) / 2.0;
    let (p, word) = if met {
        (row.cell.p_value, "met")
    } else {
        (row.cell.p_value_shortfall, "missed")
    };
    Some(match (word, p.is_some_and(|p| p < alpha)) {
        ("met", true) => "met (significant)",
        ("met", false) => "met (not significant)",
        (_, true) => "missed (significant)",
        _ => "missed (not significant)",
    })
}

/// The `indicators` table; `clustered` adds the cluster-robust columns.
pub fn indicators_frame(rows: &[IndicatorRow], clustered: bool, level: f64) -> Frame {
    let mut columns: Vec<&str> = INDICATOR_COLUMNS.to_vec();
    if clustered {
        columns.extend(CLUSTERED_COLUMNS);
    }
    columns.push("note");
    let mut frame = Frame::new(&columns);
    for row in rows {
        let c = &row.cell;
        let mut cells = vec![
            Cell::from(row.indicator.as_str()),
            Cell::from(row.label.clone()),
            Cell::from(row.outcome.as_str()),
            Cell::from(row.subgroup.as_str()),
            Cell::from(row.arm.as_str()),
            Cell::from(c.n),
            Cell::from(c.n_yes),
            Cell::from(c.n - c.n_yes),
            Cell::from(c.share),
            Cell::from(c.conf_low),
            Cell::from(c.conf_high),
            Cell::from(level),
            Cell::from(row.target.map(|t| t.share)),
            Cell::from(row.target.map(|t| t.direction.phrase().to_string())),
            Cell::from(c.p_value),
            Cell::from(c.p_value_shortfall),
            Cell::from(assessment(row, level).map(str::to_string)),
        ];
        if clustered {
            let k = c.clustered.as_ref();
            let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
            cells.extend([
                Cell::from(k.map(|k| k.clusters)),
                Cell::from(finite(k.map(|k| k.std_error))),
                Cell::from(finite(k.map(|k| k.df))),
                Cell::from(finite(k.map(|k| k.conf_low))),
                Cell::from(finite(k.map(|k| k.conf_high))),
                Cell::from(k.and_then(|k| k.p_value)),
                Cell::from(k.and_then(|k| k.p_value_shortfall)),
            ]);
        }
        cells.push(Cell::from(c.note.clone()));
        frame.push(cells);
    }
    frame
}

/// The `indicator_categories` table: each category of a text outcome by subgroup cell and arm.
pub fn categories_frame(rows: &[CategoryRow]) -> Frame {
    let mut frame = Frame::new(&[
        "indicator",
        "outcome",
        "subgroup",
        "arm",
        "category",
        "n",
        "n_arm",
        "share",
    ]);
    for r in rows {
        frame.push(vec![
            Cell::from(r.indicator.as_str()),
            Cell::from(r.outcome.as_str()),
            Cell::from(r.subgroup.as_str()),
            Cell::from(r.arm.as_str()),
            Cell::from(r.category.as_str()),
            Cell::from(r.n),
            Cell::from(r.n_arm),
            Cell::from(r.share),
        ]);
    }
    frame
}

/// The `indicator_tests` table: per text outcome and cell, Pearson's chi-square (no continuity
/// correction) and Fisher's exact test of category × arm.
pub fn tests_frame(rows: &[CategoryTest]) -> Frame {
    let mut frame = Frame::new(&[
        "indicator",
        "outcome",
        "subgroup",
        "n",
        "chi_square",
        "df",
        "p_value_chi_square",
        "p_value_fisher",
        "note",
    ]);
    for r in rows {
        let fisher = match r.fisher {
            Fisher::Computed { p_value, .. } => Some(p_value),
            _ => None,
        };
        frame.push(vec![
            Cell::from(r.indicator.as_str()),
            Cell::from(r.outcome.as_str()),
            Cell::from(r.subgroup.as_str()),
            Cell::from(r.n),
            Cell::from(r.chi_square.map(|c| c.statistic)),
            Cell::from(r.chi_square.map(|c| c.df)),
            Cell::from(r.chi_square.map(|c| c.p_value)),
            Cell::from(fisher),
            Cell::from(r.note.clone()),
        ]);
    }
    frame
}

/// The `monitoring` table: persons per arm in every cell.
pub fn monitoring_frame(rows: &[MonitoringRow]) -> Frame {
    let mut frame = Frame::new(&["subgroup", "arm", "n"]);
    for r in rows {
        frame.push(vec![
            Cell::from(r.subgroup.as_str()),
            Cell::from(r.arm.as_str()),
            Cell::from(r.n),
        ]);
    }
    frame
}
