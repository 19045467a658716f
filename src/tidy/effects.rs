//! The effect and attrition rows `estimate` returns ([`crate::estimate::rows`]) as display
//! tables: estimatr's `tidy()` column names, order and decimals, decided here once.

use crate::estimate::ClusterReport;
use crate::estimate::rows::{AttritionRow, EffectRow};
use crate::export::{Cell, Frame};

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

/// The columns of the effects table on a terminal, in order; each is shown when the table still
/// fits the terminal with it (`export::terminal`); the outcome heads each block.
pub const TERMINAL_COLUMNS: [&str; 15] = [
    "subgroup",
    "term",
    "estimate",
    "std_error",
    "p_value",
    "conf_low",
    "conf_high",
    "p_value_ri",
    "p_value_wild",
    "p_value_adjusted",
    "n_treated",
    "n_control",
    "mean_treated",
    "mean_control",
    "estimator",
];

/// The terminal columns when clusters are few: the design-based results right after the estimate.
pub fn terminal_columns_design_based_first() -> Vec<&'static str> {
    let mut order: Vec<&str> = vec!["subgroup", "term", "estimate"];
    order.extend(DESIGN_BASED_COLUMNS);
    for column in TERMINAL_COLUMNS {
        if !order.contains(&column) {
            order.push(column);
        }
    }
    order
}

/// Rows → a frame. Optional columns (`df_num` of the joint heterogeneity tests, `first_stage_f`, `p_value_adjusted`, `p_value_ri`, the
/// wild bootstrap's) appear only when some row has a value.
pub fn to_frame(rows: &[EffectRow]) -> Frame {
    let with_df_num = rows.iter().any(|r| r.df_num.is_some());
    let with_f = rows.iter().any(|r| r.first_stage_f.is_some());
    let with_adj = rows.iter().any(|r| r.p_value_adjusted.is_some());
    let with_ri = rows.iter().any(|r| r.p_value_ri.is_some());
    let with_ri_ci = rows.iter().any(|r| r.ri_conf_low.is_some());
    let with_ri_min = rows.iter().any(|r| r.ri_min_p.is_some());
    let with_wild = rows.iter().any(|r| r.p_value_wild.is_some());
    let with_clusters = rows.iter().any(|r| r.clusters.is_some());
    let with_plan = rows.iter().any(|r| r.prespecified.is_some());
    let mut columns: Vec<&str> = EFFECT_COLUMNS.to_vec();
    if with_df_num {
        columns.push("df_num");
    }
    if with_clusters {
        columns.push("clusters");
    }
    if with_f {
        columns.push("first_stage_f");
    }
    if with_adj {
        columns.push("p_value_adjusted");
    }
    if with_ri {
        columns.extend(["p_value_ri", "ri_exact", "ri_draws"]);
    }
    if with_ri_min {
        columns.push("ri_min_p");
    }
    if with_ri_ci {
        columns.push("ri_conf_low");
        columns.push("ri_conf_high");
    }
    if with_wild {
        columns.extend([
            "p_value_wild",
            "wild_conf_low",
            "wild_conf_high",
            "wild_draws",
            "wild_enumerated",
        ]);
    }
    if with_plan {
        columns.push("prespecified");
    }
    let mut frame = Frame::new(&columns)
        .with_decimals("n_treated", 0)
        .with_decimals("n_control", 0)
        .with_decimals("df", 1)
        .with_decimals("df_num", 0)
        .with_decimals("wild_draws", 0)
        .with_decimals("ri_draws", 0)
        .with_decimals("clusters", 0)
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
            r.estimator.to_string().into(),
            r.se_type.to_string().into(),
            r.n_treated.into(),
            r.n_control.into(),
            r.mean_treated.into(),
            r.mean_control.into(),
        ];
        if with_df_num {
            row.push(r.df_num.into());
        }
        if with_clusters {
            row.push(r.clusters.into());
        }
        if with_f {
            row.push(r.first_stage_f.into());
        }
        if with_adj {
            row.push(r.p_value_adjusted.into());
        }
        if with_ri {
            row.push(r.p_value_ri.into());
            row.push(flag(r.ri_exact));
            row.push(r.ri_draws.map(|d| d as usize).into());
        }
        if with_ri_min {
            row.push(r.ri_min_p.into());
        }
        if with_ri_ci {
            row.push(bound(r.ri_conf_low));
            row.push(bound(r.ri_conf_high));
        }
        if with_wild {
            row.push(r.p_value_wild.into());
            row.push(bound(r.wild_conf_low));
            row.push(bound(r.wild_conf_high));
            row.push(r.wild_draws.map(|d| d as usize).into());
            row.push(flag(r.wild_enumerated));
        }
        if with_plan {
            row.push(flag(r.prespecified));
        }
        frame.push(row);
    }
    frame
}

/// The columns of the design-based result, which lead the terminal table when clusters are few.
const DESIGN_BASED_COLUMNS: [&str; 11] = [
    "clusters",
    "p_value_ri",
    "ri_exact",
    "ri_draws",
    "ri_min_p",
    "ri_conf_low",
    "ri_conf_high",
    "p_value_wild",
    "wild_conf_low",
    "wild_conf_high",
    "wild_draws",
];

/// The smallest number of clusters of any row when it is below `threshold` (issue 14: the
/// headline then leads with design-based inference), else None.
pub fn few_clusters(rows: &[EffectRow], threshold: usize) -> Option<usize> {
    rows.iter()
        .filter_map(|r| r.clusters)
        .min()
        .filter(|&g| g < threshold)
}

/// The effects frame with the design-based columns (clusters, randomization inference, wild
/// bootstrap) moved right after the estimate, ahead of the cluster-robust SE, p-value and
/// interval, which follow beside them.
pub fn design_based_first(frame: &Frame) -> Frame {
    let mut order: Vec<&str> = vec!["outcome", "subgroup", "term", "estimate"];
    order.extend(DESIGN_BASED_COLUMNS);
    for c in &frame.columns {
        if !order.contains(&c.as_str()) {
            order.push(c.as_str());
        }
    }
    frame.select(&order)
}

/// A yes/no column: `true`, `false`, or empty when not computed.
fn flag(value: Option<bool>) -> Cell {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    }
    .into()
}

/// An interval end: a number, `-Inf`/`Inf` for an unbounded end (as R writes and reads them),
/// empty when not computed.
fn bound(end: Option<f64>) -> Cell {
    match end {
        Some(v) if v == f64::INFINITY => "Inf".into(),
        Some(v) if v == f64::NEG_INFINITY => "-Inf".into(),
        other => other.into(),
    }
}

/// Cluster diagnostics → a frame: one row per outcome × term × cluster with its size, leverage,
/// partial leverage and the estimate without it, and the effective numbers of clusters G*(0)
/// and G*(1) of the term (`estimate::clusters`).
pub fn cluster_frame(reports: &[ClusterReport]) -> Frame {
    let mut frame = Frame::new(&[
        "outcome",
        "term",
        "cluster",
        "n",
        "leverage",
        "partial_leverage",
        "estimate_without",
        "clusters",
        "effective_clusters_0",
        "effective_clusters_1",
    ])
    .with_decimals("n", 0)
    .with_decimals("clusters", 0)
    .with_decimals("effective_clusters_0", 2)
    .with_decimals("effective_clusters_1", 2);
    for r in reports {
        let d = &r.diagnostics;
        for (label, c) in r.labels.iter().zip(&d.clusters) {
            frame.push(vec![
                r.outcome.as_str().into(),
                r.term.as_str().into(),
                format!("{}={label}", r.cluster).into(),
                c.size.into(),
                c.leverage.into(),
                c.partial_leverage.into(),
                c.coef_without.into(),
                d.clusters.len().into(),
                d.effective_independent.into(),
                d.effective_equicorrelated.into(),
            ]);
        }
    }
    frame
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
        "p_value_fisher",
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
            r.p_value_fisher.into(),
        ]);
    }
    frame
}
