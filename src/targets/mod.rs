//! Indicators with targets, as programmes like Linköpingsmodellen publish them ("60% self-sufficient
//! within 18 months", counts by women/men × age band, exits without self-sufficiency by reason):
//! per arm and subgroup cell the count, the share with its exact Clopper–Pearson interval and
//! the one-sided exact binomial tests against the target; with clusters the CR2 one-sample mean
//! with Bell–McCaffrey df (`lm_robust(y ~ 1, clusters =, se_type = "CR2")`); text outcomes
//! tabulated by arm with Pearson's chi-square and Fisher's exact test ([`contingency`]); and the
//! monitoring counts. Pure: columns in, typed rows out. docs/targets.md states every formula and
//! its source; tests/reference/indicators/indicators.R computes the same numbers in R.

pub mod contingency;

use crate::categorical::levels_in_order;
use crate::dist::{binomial_tails, clopper_pearson, pt, qt};
use crate::estimate::ols::{DesignMatrix, lm_robust};
use crate::estimate::vcov::{Clusters, SeType};
use std::collections::BTreeSet;

/// Which side of the target an indicator should be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The share should reach the target ("at least 60% self-sufficient").
    AtLeast,
    /// The share should stay at or below it ("at most 10% leave without a plan").
    AtMost,
}

impl Direction {
    /// The phrase written in tables ("at least", "at most").
    pub fn phrase(self) -> &'static str {
        match self {
            Direction::AtLeast => "at least",
            Direction::AtMost => "at most",
        }
    }
}

/// A target share and its direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub share: f64,
    pub direction: Direction,
}

/// The cluster-robust version of a cell's share: the CR2 standard error of the one-sample mean
/// with Bell–McCaffrey (2002) df, its t interval and the one-sided t tests against the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusteredShare {
    pub clusters: usize,
    pub std_error: f64,
    pub df: f64,
    pub conf_low: f64,
    pub conf_high: f64,
    /// One-sided p-value for "the target is met" (share above an "at least" target).
    pub p_value: Option<f64>,
    /// One-sided p-value for "the target is missed".
    pub p_value_shortfall: Option<f64>,
}

/// One cell of an indicator: the persons with the outcome observed, those with it (1) and
/// without (0), the share, its exact interval and the exact one-sided tests against the target.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareCell {
    pub n: usize,
    pub n_yes: usize,
    pub share: Option<f64>,
    pub conf_low: Option<f64>,
    pub conf_high: Option<f64>,
    /// Exact one-sided binomial p-value for "the target is met": P(X ≥ x | p = target) for an
    /// "at least" target (`binom.test(x, n, target, "greater")`), P(X ≤ x) for "at most".
    pub p_value: Option<f64>,
    /// The opposite one-sided p-value, for "the target is missed".
    pub p_value_shortfall: Option<f64>,
    pub clustered: Option<ClusteredShare>,
    /// Why a statistic is missing (an empty cell, a single cluster).
    pub note: Option<String>,
}

/// The share of ones among `values` (each 0 or 1: the persons of the cell with the outcome
/// observed), with its `level` Clopper–Pearson interval and, given a target, the exact
/// one-sided binomial tests. With `clusters` (each value's cluster code) also the CR2 version.
pub fn share_cell(
    values: &[f64],
    clusters: Option<&[usize]>,
    target: Option<Target>,
    level: f64,
) -> ShareCell {
    let n = values.len();
    let n_yes = values.iter().filter(|v| **v == 1.0).count();
    if n == 0 {
        return ShareCell {
            n,
            n_yes,
            share: None,
            conf_low: None,
            conf_high: None,
            p_value: None,
            p_value_shortfall: None,
            clustered: None,
            note: Some("empty cell: no person with the outcome observed".into()),
        };
    }
    let share = n_yes as f64 / n as f64;
    let (low, high) = clopper_pearson(n_yes as u64, n as u64, level);
    let (p_value, p_value_shortfall) = match target {
        Some(t) => {
            let (at_most, at_least) = binomial_tails(n_yes as u64, n as u64, t.share);
            match t.direction {
                Direction::AtLeast => (Some(at_least), Some(at_most)),
                Direction::AtMost => (Some(at_most), Some(at_least)),
            }
        }
        None => (None, None),
    };
    let mut note = None;
    let clustered = clusters.map(|codes| {
        let c = clustered_share(values, codes, target, level);
        if c.std_error.is_nan() || c.df.is_nan() {
            note = Some(format!(
                "the cluster-robust interval needs two or more clusters with varying outcomes ({} cluster{})",
                c.clusters,
                if c.clusters == 1 { "" } else { "s" }
            ));
        }
        c
    });
    ShareCell {
        n,
        n_yes,
        share: Some(share),
        conf_low: Some(low),
        conf_high: Some(high),
        p_value,
        p_value_shortfall,
        clustered,
        note,
    }
}

/// The CR2 one-sample mean of `values` with clusters `codes`: `lm_robust(y ~ 1, clusters =
/// codes, se_type = "CR2")` (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018), its
/// Bell–McCaffrey df, the t interval and the one-sided tests t = (share − target) / SE against
/// t(df). NaN SE and df when they cannot be computed (one cluster, no variation).
pub fn clustered_share(
    values: &[f64],
    codes: &[usize],
    target: Option<Target>,
    level: f64,
) -> ClusteredShare {
    let n = values.len();
    let clusters = codes.iter().collect::<BTreeSet<_>>().len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    let mut design = DesignMatrix::new();
    design.push("(Intercept)", vec![1.0; n]);
    let groups = Clusters::from_codes(codes);
    let (std_error, df) = match lm_robust(
        &design,
        values,
        None,
        SeType::Cr2,
        Some(&groups),
        &["(Intercept)"],
    ) {
        Ok(f) if clusters > 1 => (
            f.std_error.first().copied().unwrap_or(f64::NAN),
            f.df.first().copied().unwrap_or(f64::NAN),
        ),
        _ => (f64::NAN, f64::NAN),
    };
    let usable = std_error.is_finite() && std_error > 0.0 && df.is_finite() && df > 0.0;
    let t = qt(0.5 + level / 2.0, df);
    let (p_value, p_value_shortfall) = match target {
        Some(target) if usable => {
            let statistic = (mean - target.share) / std_error;
            let above = pt(-statistic, df);
            let below = pt(statistic, df);
            match target.direction {
                Direction::AtLeast => (Some(above), Some(below)),
                Direction::AtMost => (Some(below), Some(above)),
            }
        }
        _ => (None, None),
    };
    ClusteredShare {
        clusters,
        std_error,
        df,
        conf_low: mean - t * std_error,
        conf_high: mean + t * std_error,
        p_value,
        p_value_shortfall,
    }
}

/// A subgroup cell: its label (`all`, `gender=F`, `gender=F & age_band=16-24`) and members.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub label: String,
    pub members: Vec<bool>,
}

/// The cells of the crossing of `columns` (name, value per person; "" is missing): every
/// combination of the levels present, in level order (numbers as numbers), the first column
/// varying slowest — empty combinations too, so that a monitoring table shows its zeros. A
/// person with a missing value in any of the columns is in no cell.
pub fn crossing_cells(columns: &[(&str, Vec<String>)]) -> Vec<Cell> {
    let n = columns.first().map_or(0, |c| c.1.len());
    let mut cells = vec![Cell {
        label: String::new(),
        members: vec![true; n],
    }];
    for (name, values) in columns {
        let levels = levels_in_order(values.iter().map(String::as_str).filter(|v| !v.is_empty()));
        let mut next = Vec::with_capacity(cells.len() * levels.len());
        for cell in &cells {
            for level in &levels {
                let label = if cell.label.is_empty() {
                    format!("{name}={level}")
                } else {
                    format!("{} & {name}={level}", cell.label)
                };
                let members = cell
                    .members
                    .iter()
                    .zip(values)
                    .map(|(m, v)| *m && v == level)
                    .collect();
                next.push(Cell { label, members });
            }
        }
        cells = next;
    }
    cells
}

/// Band a numeric column by `breaks` (increasing): band k holds [breaks[k], breaks[k+1]); it is
/// labelled `a-b` with b = breaks[k+1] − 1 when both are whole numbers (ages: 16-24, 25-54),
/// else `[a, b)`. Values outside every band, or missing, get "" (missing).
pub fn band(values: &[f64], breaks: &[f64]) -> Vec<String> {
    let labels: Vec<String> = breaks
        .windows(2)
        .map(|w| {
            if w[0].fract() == 0.0 && w[1].fract() == 0.0 {
                format!("{}-{}", w[0], w[1] - 1.0)
            } else {
                format!("[{}, {})", w[0], w[1])
            }
        })
        .collect();
    values
        .iter()
        .map(|v| {
            breaks
                .windows(2)
                .position(|w| *v >= w[0] && *v < w[1])
                .and_then(|k| labels.get(k).cloned())
                .unwrap_or_default()
        })
        .collect()
}

/// One row of the indicator table: an indicator in one arm and subgroup cell.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    pub indicator: String,
    pub label: Option<String>,
    pub outcome: String,
    pub subgroup: String,
    pub arm: String,
    pub target: Option<Target>,
    pub cell: ShareCell,
}

/// The persons of a study as an indicator sees them.
#[derive(Debug, Clone, Copy)]
pub struct Persons<'a> {
    /// Each person's arm (index into `arms`; None: an arm the indicator leaves out).
    pub arm: &'a [Option<usize>],
    pub arms: &'a [String],
    /// Each person's cluster code, when the study has clusters.
    pub clusters: Option<&'a [usize]>,
}

/// The cells of an indicator: `all`, then the cells of each subgroup crossing.
pub fn cells_with_all(n: usize, crossings: &[Vec<Cell>]) -> Vec<Cell> {
    let mut cells = vec![Cell {
        label: "all".into(),
        members: vec![true; n],
    }];
    cells.extend(crossings.iter().flatten().cloned());
    cells
}

/// A 0/1 indicator in every arm × cell: `values` per person (NaN: not observed).
#[allow(clippy::too_many_arguments)]
pub fn share_rows(
    indicator: &str,
    label: Option<&str>,
    outcome: &str,
    values: &[f64],
    persons: Persons,
    cells: &[Cell],
    target: Option<Target>,
    level: f64,
) -> Vec<IndicatorRow> {
    let mut rows = Vec::new();
    for cell in cells {
        for (a, arm) in persons.arms.iter().enumerate() {
            let chosen: Vec<usize> = (0..values.len())
                .filter(|&i| cell.members[i] && persons.arm[i] == Some(a) && values[i].is_finite())
                .collect();
            let y: Vec<f64> = chosen.iter().map(|&i| values[i]).collect();
            let codes: Option<Vec<usize>> = persons
                .clusters
                .map(|c| chosen.iter().map(|&i| c[i]).collect());
            rows.push(IndicatorRow {
                indicator: indicator.to_string(),
                label: label.map(str::to_string),
                outcome: outcome.to_string(),
                subgroup: cell.label.clone(),
                arm: arm.clone(),
                target,
                cell: share_cell(&y, codes.as_deref(), target, level),
            });
        }
    }
    rows
}

/// One category of a text outcome in one arm and cell: how many have it, and their share of
/// those with a category (excluded values and missing cells left out).
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub indicator: String,
    pub outcome: String,
    pub subgroup: String,
    pub arm: String,
    pub category: String,
    pub n: usize,
    /// Persons of the arm and cell with any category (the denominator).
    pub n_arm: usize,
    pub share: Option<f64>,
}

/// The tests of independence of a text outcome and the arm, in one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryTest {
    pub indicator: String,
    pub outcome: String,
    pub subgroup: String,
    pub n: usize,
    pub chi_square: Option<contingency::ChiSquare>,
    pub fisher: contingency::Fisher,
    pub note: Option<String>,
}

/// A text outcome by arm in every cell: the counts of each category (in level order, the same
/// categories in every cell), and per cell Pearson's chi-square and Fisher's exact test of
/// category × arm. `values` per person: "" is missing.
pub fn category_rows(
    indicator: &str,
    outcome: &str,
    values: &[String],
    persons: Persons,
    cells: &[Cell],
) -> (Vec<CategoryRow>, Vec<CategoryTest>) {
    let categories = levels_in_order(values.iter().map(String::as_str).filter(|v| !v.is_empty()));
    let index: std::collections::BTreeMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(k, c)| (*c, k))
        .collect();
    let mut rows = Vec::new();
    let mut tests = Vec::new();
    for cell in cells {
        let mut counts = vec![vec![0_u64; categories.len()]; persons.arms.len()];
        for (i, value) in values.iter().enumerate() {
            if !cell.members[i] || value.is_empty() {
                continue;
            }
            if let (Some(a), Some(&k)) = (persons.arm[i], index.get(value.as_str())) {
                counts[a][k] += 1;
            }
        }
        for (a, arm) in persons.arms.iter().enumerate() {
            let n_arm: u64 = counts[a].iter().sum();
            for (k, category) in categories.iter().enumerate() {
                rows.push(CategoryRow {
                    indicator: indicator.to_string(),
                    outcome: outcome.to_string(),
                    subgroup: cell.label.clone(),
                    arm: arm.clone(),
                    category: category.to_string(),
                    n: counts[a][k] as usize,
                    n_arm: n_arm as usize,
                    share: (n_arm > 0).then(|| counts[a][k] as f64 / n_arm as f64),
                });
            }
        }
        let n: u64 = counts.iter().flatten().sum();
        let chi_square = contingency::chi_square(&counts);
        let fisher = contingency::fisher_exact(&counts);
        let note = match (&chi_square, fisher) {
            (None, _) => Some(
                "no test: fewer than two arms or two categories with persons in this cell"
                    .to_string(),
            ),
            (_, contingency::Fisher::TooLarge) => Some(format!(
                "Fisher's exact test not computed: more than {} tables share these margins; the chi-square test stands alone",
                contingency::FISHER_TABLE_LIMIT
            )),
            (Some(c), _) if c.min_expected < 5.0 => Some(format!(
                "smallest expected count {:.1} (below 5): read Fisher's exact test, not the chi-square approximation",
                c.min_expected
            )),
            _ => None,
        };
        tests.push(CategoryTest {
            indicator: indicator.to_string(),
            outcome: outcome.to_string(),
            subgroup: cell.label.clone(),
            n: n as usize,
            chi_square,
            fisher,
            note,
        });
    }
    (rows, tests)
}

/// A monitoring count: the persons of one arm in one cell (Linköpingsmodellen's counts by
/// women/men × age band).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringRow {
    pub subgroup: String,
    pub arm: String,
    pub n: usize,
}

/// The persons of each arm in `all` and each cell.
pub fn monitoring_rows(persons: Persons, cells: &[Cell]) -> Vec<MonitoringRow> {
    let mut rows = Vec::new();
    for cell in cells {
        for (a, arm) in persons.arms.iter().enumerate() {
            let n = (0..persons.arm.len())
                .filter(|&i| cell.members[i] && persons.arm[i] == Some(a))
                .count();
            rows.push(MonitoringRow {
                subgroup: cell.label.clone(),
                arm: arm.clone(),
                n,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_cell_is_an_explicit_row_with_its_reason() {
        let cell = share_cell(&[], None, None, 0.95);
        assert_eq!(cell.n, 0);
        assert!(cell.share.is_none() && cell.note.is_some());
    }

    #[test]
    fn all_ones_and_all_zeros_give_one_sided_intervals() {
        let cell = share_cell(&[1.0; 7], None, None, 0.95);
        assert_eq!(cell.conf_high, Some(1.0));
        // (α/2)^(1/n) is the lower end when x = n.
        let low = 0.025_f64.powf(1.0 / 7.0);
        assert!((cell.conf_low.unwrap() - low).abs() < 1e-14);
        let cell = share_cell(&[0.0; 7], None, None, 0.95);
        assert_eq!(cell.conf_low, Some(0.0));
        assert!((cell.conf_high.unwrap() - (1.0 - low)).abs() < 1e-14);
    }

    #[test]
    fn the_two_one_sided_p_values_overlap_by_the_point_probability() {
        // P(X ≥ 6) + P(X ≤ 6) = 1 + P(X = 6) for X ~ Bin(10, 0.6).
        let y = [1., 1., 1., 1., 1., 1., 0., 0., 0., 0.];
        let target = Target {
            share: 0.6,
            direction: Direction::AtLeast,
        };
        let cell = share_cell(&y, None, Some(target), 0.95);
        let point = 210.0 * 0.6_f64.powi(6) * 0.4_f64.powi(4);
        let sum = cell.p_value.unwrap() + cell.p_value_shortfall.unwrap();
        assert!((sum - 1.0 - point).abs() < 1e-14, "{sum}");
    }

    #[test]
    fn crossing_cells_keep_empty_combinations_and_skip_missing() {
        let gender = vec!["F".into(), "M".into(), "F".into(), "".into()];
        let band = vec![
            "16-24".into(),
            "16-24".into(),
            "16-24".into(),
            "25-54".into(),
        ];
        let cells = crossing_cells(&[("gender", gender), ("age_band", band)]);
        let labels: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "gender=F & age_band=16-24",
                "gender=F & age_band=25-54",
                "gender=M & age_band=16-24",
                "gender=M & age_band=25-54"
            ]
        );
        assert_eq!(cells[0].members, [true, false, true, false]);
        assert!(cells[1].members.iter().all(|m| !m));
    }

    #[test]
    fn bands_are_half_open_and_labelled_as_ages() {
        let got = band(
            &[15.0, 16.0, 24.9, 25.0, 54.0, 55.0, f64::NAN],
            &[16.0, 25.0, 55.0],
        );
        assert_eq!(got, ["", "16-24", "16-24", "25-54", "25-54", "", ""]);
    }
}
