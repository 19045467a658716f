//! The report's "Targets" section: each indicator against its target (the share of the whole
//! arm in a sentence, a figure of every cell's share and exact interval against the target
//! line, the indicator table), the text outcomes by arm with their tests, and the monitoring
//! table of persons per arm in each cell (women/men × age band, as Linköpingsmodellen counted).
//! Built from the masked tables, so a masked cell shows as masked everywhere.

use super::document::{Block, TableRef};
use super::figures::targets::{TargetPlot, TargetPoint};
use super::study::{ReportContext, Tables, table_block};
use crate::export::{Cell, Frame};

/// A piece of the section: a block, or a figure (drawn and placed by `report::study::build`).
pub enum Piece {
    Block(Block),
    Figure(TargetPlot, String),
}

/// Percent with one decimal, as the sentences show a share.
fn percent(share: f64) -> String {
    format!("{:.1}", share * 100.0)
}

/// The distinct values of `column` in first-seen order.
fn distinct(frame: &Frame, column: &str) -> Vec<String> {
    crate::categorical::first_seen_levels(
        (0..frame.rows.len()).filter_map(|i| frame.text(i, column)),
    )
}

/// The section's pieces, when the tables hold indicators or a monitoring table.
pub fn section(context: &ReportContext, tables: &Tables) -> Option<Vec<Piece>> {
    let indicators = tables.get("indicators");
    let categories = tables.get("indicator_categories");
    let monitoring = tables.get("monitoring");
    if indicators.is_none() && categories.is_none() && monitoring.is_none() {
        return None;
    }
    let mut pieces = Vec::new();
    if let Some(frame) = indicators {
        let level = frame.number(0, "level").unwrap_or(0.95);
        let clustered = frame.column("p_value_cr2").is_some();
        pieces.push(Piece::Block(Block::Text(format!(
            "Each indicator is the share of persons with the outcome among those with it observed, by arm and subgroup, with its exact (Clopper–Pearson) {}% confidence interval. Against a target, the one-sided exact binomial test gives p (met), for a share beyond the target in its direction, and p (missed), for a share short of it; a target is met or missed significantly when the whole interval lies on one side of it.",
            percent(level).trim_end_matches(".0")
        ))));
        if clustered {
            pieces.push(Piece::Block(Block::Text(
                "Persons of a cluster are not independent: the columns marked CR2 give the cluster-robust share (CR2 standard error with Bell–McCaffrey degrees of freedom) and its one-sided t tests against the target.".into(),
            )));
        }
        for (k, indicator) in distinct(frame, "indicator").iter().enumerate() {
            let rows: Vec<usize> = (0..frame.rows.len())
                .filter(|&i| frame.text(i, "indicator").as_deref() == Some(indicator.as_str()))
                .collect();
            let Some(&first) = rows.first() else { continue };
            let label = frame
                .text(first, "label")
                .unwrap_or_else(|| indicator.clone());
            let target = frame.number(first, "target");
            let direction = frame.text(first, "direction").unwrap_or_default();
            let mut lines = Vec::new();
            for &i in rows
                .iter()
                .filter(|&&i| frame.text(i, "subgroup").as_deref() == Some("all"))
            {
                let arm = context.label(&frame.text(i, "arm").unwrap_or_default());
                let (share, low, high) = (
                    frame.number(i, "share"),
                    frame.number(i, "conf_low"),
                    frame.number(i, "conf_high"),
                );
                let line = match (share, low, high) {
                    (Some(s), Some(l), Some(h)) => {
                        let base = format!(
                            "{arm}: {}% (95% CI {} to {}%)",
                            percent(s),
                            percent(l),
                            percent(h)
                        );
                        match (
                            frame.text(i, "assessment"),
                            frame.number(i, "p_value"),
                            frame.number(i, "p_value_shortfall"),
                        ) {
                            (Some(a), Some(p), Some(q)) => format!(
                                "{base}, target {a} (p met {}, p missed {}).",
                                super::study::format_p(p),
                                super::study::format_p(q)
                            ),
                            _ => format!("{base}."),
                        }
                    }
                    _ => format!("{arm}: not shown (masked or empty)."),
                };
                lines.push(line);
            }
            // "at least 40.0%" is one phrase, so that a translation never splits it.
            let goal = target.map(|t| format!("{direction} {}%", percent(t)));
            let heading = match &goal {
                Some(goal) => format!("{label}: target {goal}."),
                None => format!("{label} (no target)."),
            };
            pieces.push(Piece::Block(Block::Text(heading)));
            pieces.push(Piece::Block(Block::List(lines)));
            if let (Some(t), Some(goal)) = (target, &goal) {
                let plot = target_plot(context, frame, &rows, k, &label, t, goal);
                pieces.push(Piece::Figure(
                    plot,
                    format!(
                        "{label}: share by subgroup and arm with exact 95% confidence intervals; the dashed line is the target ({goal})."
                    ),
                ));
            }
        }
        pieces.push(Piece::Block(table_block(
            "indicators",
            "Indicators against their targets (shares with exact Clopper–Pearson intervals; one-sided exact binomial tests)",
            frame,
        )));
    }
    if let Some(frame) = categories {
        pieces.push(Piece::Block(Block::Text(
            "Text outcomes by arm: the number and share of each category among the persons of the arm with one. The tests compare the distribution over categories between the arms: Pearson's chi-square test (without continuity correction) and Fisher's exact test, which is exact for small counts.".into(),
        )));
        pieces.push(Piece::Block(table_block(
            "indicator_categories",
            "Text outcomes by arm",
            frame,
        )));
        if let Some(tests) = tables.get("indicator_tests") {
            pieces.push(Piece::Block(table_block(
                "indicator_tests",
                "Tests of text outcome by arm",
                tests,
            )));
        }
    }
    if let Some(frame) = monitoring {
        pieces.push(Piece::Block(monitoring_block(context, frame)));
    }
    Some(pieces)
}

/// The monitoring counts as readers expect them: one row per cell, one column per arm.
fn monitoring_block(context: &ReportContext, frame: &Frame) -> Block {
    let arms = distinct(frame, "arm");
    let cells = distinct(frame, "subgroup");
    let mut columns = vec!["subgroup".to_string()];
    columns.extend(arms.iter().map(|a| context.label(a)));
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut pivot = Frame::new(&names);
    let n = frame.column("n");
    for cell in &cells {
        let mut row = vec![Cell::Text(cell.clone())];
        for arm in &arms {
            let value = (0..frame.rows.len())
                .find(|&i| {
                    frame.text(i, "subgroup").as_deref() == Some(cell.as_str())
                        && frame.text(i, "arm").as_deref() == Some(arm.as_str())
                })
                .and_then(|i| n.map(|j| frame.rows[i][j].clone()))
                .unwrap_or(Cell::Null);
            row.push(value);
        }
        pivot.push(row);
    }
    Block::Table(TableRef {
        caption: "Monitoring: persons per arm in each subgroup cell".into(),
        frame: pivot,
        csv: Some("tables/monitoring.csv".into()),
    })
}

#[allow(clippy::too_many_arguments)]
fn target_plot(
    context: &ReportContext,
    frame: &Frame,
    rows: &[usize],
    k: usize,
    label: &str,
    target: f64,
    goal: &str,
) -> TargetPlot {
    let arms =
        crate::categorical::first_seen_levels(rows.iter().filter_map(|&i| frame.text(i, "arm")));
    let points = rows
        .iter()
        .map(|&i| TargetPoint {
            cell: context.label(&frame.text(i, "subgroup").unwrap_or_default()),
            arm: context.label(&frame.text(i, "arm").unwrap_or_default()),
            share: match (
                frame.number(i, "share"),
                frame.number(i, "conf_low"),
                frame.number(i, "conf_high"),
            ) {
                (Some(s), Some(l), Some(h)) => Some((s, l, h)),
                _ => None,
            },
        })
        .collect();
    TargetPlot {
        name: format!("target_{}", k + 1),
        title: label.to_string(),
        x_label: "Share (%)".into(),
        target,
        target_label: format!("Target: {goal}"),
        arms: arms.iter().map(|a| context.label(a)).collect(),
        points,
    }
}
