//! Results that look precise but are not: checks on the finished rows of
//! [`super::estimate_all`] and on its data, each turning into a warning (shown on the terminal,
//! in the tidy notes and in the report) and, where a number would mislead, an empty cell.
//!
//! - A standard error of exactly 0, or one that is not finite (a constant outcome, an arm of
//!   one, df 0): the statistic, p-value and interval are left empty (NaN), as `dim` does.
//! - Fewer than two clusters in an arm: cluster-robust SEs need several clusters per arm
//!   (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference").
//! - Treatment constant within every level of a grouping column (strata, subgroups, a text
//!   covariate) while the analysis has no clusters: the units look randomized as clusters, and
//!   standard errors that treat persons as independent are too small (Abadie, Athey, Imbens &
//!   Wooldridge 2023, "When should you adjust standard errors for clustering?": cluster when
//!   assignment is clustered).
//! - A covariate identical to the outcome: the adjusted effect is meaningless.
//! - A first-stage F below 10 (Staiger & Stock 1997): a weak instrument, 2SLS biased towards OLS.
//! - An outcome of 0s and 1s with a few other values (2, −1): most likely a coding error.
//! - Few clusters (G below [`FEW_CLUSTERS`]), few effective clusters (G* below it; Carter,
//!   Schnepel & Steigerwald 2017), or one cluster that dominates (partial leverage above
//!   [`DOMINANT_LEVERAGE`]/G, or more than half the rows): cluster-robust t-tests over-reject
//!   (MacKinnon, Nielsen & Webb 2023, sec. 4 and 6).

use super::Code;
use super::rows::EffectRow;
use super::{AnalysisData, ClusterReport, CovariateValues};

/// Fewer clusters (or effective clusters) than this get a warning: below about 30 the
/// cluster-robust t-test with t(G − 1) critical values is unreliable (MacKinnon, Nielsen & Webb
/// 2023, sec. 4).
pub const FEW_CLUSTERS: f64 = 30.0;

/// A cluster whose partial leverage exceeds this many times 1/G (its share when all clusters
/// weigh the same) dominates the estimate (MacKinnon, Nielsen & Webb 2023b: partial leverage
/// "much larger than 1/G" makes cluster-robust inference unreliable).
pub const DOMINANT_LEVERAGE: f64 = 2.0;

/// The first-stage F below which an instrument counts as weak (Staiger & Stock 1997).
pub const WEAK_FIRST_STAGE_F: f64 = 10.0;

/// Empty the inference of rows whose SE is 0 or not finite, and push a warning for each.
pub fn rows(rows: &mut [EffectRow], warnings: &mut Vec<String>) {
    // A joint test row has no estimate or SE by design (its statistic is an F).
    for r in rows
        .iter_mut()
        .filter(|r| r.estimator.kind != super::rows::EffectKind::Wald)
    {
        if !r.std_error.is_finite() {
            r.std_error = f64::NAN;
        }
        if !r.estimate.is_finite() {
            r.estimate = f64::NAN;
        }
        if !r.df.is_finite() {
            r.df = f64::NAN;
        }
        let zero = r.std_error == 0.0;
        // No estimate at all: the reason was given where the row was left empty (a subgroup
        // level without both arms, a term not identified).
        let unestimated = r.estimate.is_nan();
        if zero || r.std_error.is_nan() {
            r.statistic = f64::NAN;
            r.p_value = f64::NAN;
            r.conf_low = f64::NAN;
            r.conf_high = f64::NAN;
            let why = if zero {
                "the standard error is 0 (the outcome does not vary within the arms)"
            } else {
                "the standard error cannot be computed (too few observations per arm for this SE type)"
            };
            if !unestimated {
                push(
                    warnings,
                    format!(
                        "{}, {}, {}: {why}; the statistic, p-value and interval are left empty",
                        r.outcome, r.subgroup, r.term
                    ),
                );
            }
        }
        if let Some(f) = r.first_stage_f
            && (f.is_nan() || f < WEAK_FIRST_STAGE_F)
        {
            push(
                warnings,
                format!(
                    "{}, {}, {}: the first-stage F is {} (below 10): a weak instrument, so the 2SLS effect of participation is biased towards OLS and its interval is unreliable",
                    r.outcome,
                    r.subgroup,
                    r.term,
                    if f.is_finite() {
                        format!("{f:.2}")
                    } else {
                        "undefined".to_string()
                    }
                ),
            );
        }
        for v in [
            &mut r.statistic,
            &mut r.p_value,
            &mut r.conf_low,
            &mut r.conf_high,
        ] {
            if !v.is_finite() {
                *v = f64::NAN;
            }
        }
    }
}

/// Warnings about the data: clusters per arm, covariates equal to an outcome, 0/1 outcomes with
/// other values.
pub fn data(data: &AnalysisData, codes: &[Code], warnings: &mut Vec<String>) {
    let arms = &data.treatment.arms;
    if let Some(cluster) = &data.cluster {
        for (a, arm) in arms.iter().enumerate() {
            let mut seen: Vec<Code> = codes
                .iter()
                .zip(&cluster.codes)
                .filter(|&(&c, _)| c as usize == a)
                .map(|(_, &k)| k)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() < 2 {
                push(
                    warnings,
                    format!(
                        "arm `{arm}` has fewer than two clusters of `{}` ({}): cluster-robust standard errors and p-values are not meaningful",
                        cluster.name,
                        seen.len()
                    ),
                );
            }
        }
    }
    if data.cluster.is_none() {
        // The text covariates coded here; the strata and subgroups are read in place.
        let text_covariates: Vec<super::Factor> = data
            .covariates
            .iter()
            .filter_map(|c| match &c.values {
                CovariateValues::Text(values) => {
                    let labels: Vec<String> = values
                        .iter()
                        .map(|v| v.clone().unwrap_or_default())
                        .collect();
                    Some(super::Factor::from_labels(c.name.clone(), &labels))
                }
                CovariateValues::Number(_) => None,
            })
            .collect();
        let groupings = data
            .strata
            .iter()
            .chain(&data.by)
            .chain(&text_covariates)
            .map(|factor| (&factor.name, factor.codes.as_slice(), factor.levels.len()));
        for (name, groups, n_groups) in groupings {
            if let Some(levels) = assigned_by_group(codes, groups, n_groups, arms.len()) {
                push(
                    warnings,
                    format!(
                        "the treatment is constant within every level of `{name}` ({levels} levels): the units look randomized as clusters, and standard errors that treat persons as independent are too small; give the cluster column (--cluster {name} or `[analysis] cluster`)"
                    ),
                );
            }
        }
    }
    for (outcome, y) in &data.outcomes {
        for c in &data.covariates {
            if let CovariateValues::Number(x) = &c.values
                && !y.is_empty()
                && y.iter().zip(x).all(|(a, b)| a.is_nan() || a == b)
                && y.iter().any(|v| !v.is_nan())
            {
                push(
                    warnings,
                    format!(
                        "{outcome}: the covariate `{}` is the outcome itself; the adjusted effects are meaningless (remove it from the covariates)",
                        c.name
                    ),
                );
            }
        }
        let ValueCounts {
            zeros,
            ones,
            other,
            first,
        } = ValueCounts::of(y);
        let binary = zeros + ones;
        let has_both = zeros > 0 && ones > 0;
        if other > 0 && has_both && binary >= 9 * other {
            push(
                warnings,
                format!(
                    "{outcome}: a 0/1 outcome with {other} other value(s) (e.g. {first}); if it is binary, these cells are coding errors and the effect is not a share"
                ),
            );
        }
    }
}

/// The observed values of an outcome counted as zeros, ones and other values, with the first
/// other value in row order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ValueCounts {
    zeros: usize,
    ones: usize,
    other: usize,
    first: f64,
}

impl ValueCounts {
    const NONE: ValueCounts = ValueCounts {
        zeros: 0,
        ones: 0,
        other: 0,
        first: f64::NAN,
    };

    /// One pass over `y`, in parallel pieces joined in row order (so `first` is the first in
    /// the file whatever the split), without a copy of the observed values.
    fn of(y: &[f64]) -> ValueCounts {
        use rayon::prelude::*;
        y.par_iter()
            .with_min_len(1 << 14)
            .fold(
                || ValueCounts::NONE,
                |mut c, &v| {
                    if v == 0.0 {
                        c.zeros += 1;
                    } else if v == 1.0 {
                        c.ones += 1;
                    } else if !v.is_nan() {
                        if c.other == 0 {
                            c.first = v;
                        }
                        c.other += 1;
                    }
                    c
                },
            )
            .reduce(|| ValueCounts::NONE, ValueCounts::then)
    }

    /// These counts followed by `later`'s (the rows after these).
    fn then(self, later: ValueCounts) -> ValueCounts {
        ValueCounts {
            zeros: self.zeros + later.zeros,
            ones: self.ones + later.ones,
            other: self.other + later.other,
            first: if self.other > 0 {
                self.first
            } else {
                later.first
            },
        }
    }
}

/// Warnings about the clusters of each overall effect: few, few effective, or one dominant.
pub fn clusters(reports: &[ClusterReport], warnings: &mut Vec<String>) {
    for r in reports {
        let d = &r.diagnostics;
        let g = d.clusters.len();
        let gf = g as f64;
        let rows: usize = d.clusters.iter().map(|c| c.size).sum();
        let mut problems = Vec::new();
        if gf < FEW_CLUSTERS || d.effective() < FEW_CLUSTERS {
            problems.push(format!(
                "{g} clusters of `{}` (effective number G*(0) = {:.1}, G*(1) = {:.1}; Carter, Schnepel & Steigerwald 2017): with fewer than {FEW_CLUSTERS} the cluster-robust p-value and interval are unreliable",
                r.cluster, d.effective_independent, d.effective_equicorrelated
            ));
        }
        if let Some((c, big)) = d
            .clusters
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.partial_leverage.total_cmp(&b.1.partial_leverage))
            && (big.partial_leverage > DOMINANT_LEVERAGE / gf || 2 * big.size > rows)
        {
            problems.push(format!(
                "cluster `{}` dominates ({} of {rows} rows, partial leverage {:.2} against 1/G = {:.2}; without it the estimate is {:.4})",
                r.labels.get(c).map_or("?", String::as_str),
                big.size,
                big.partial_leverage,
                1.0 / gf,
                big.coef_without
            ));
        }
        if !problems.is_empty() {
            push(
                warnings,
                format!(
                    "{}, {}: {}; prefer the wild cluster bootstrap (--wild-bootstrap) or randomization inference (--ri), and see --cluster-diagnostics",
                    r.outcome,
                    r.term,
                    problems.join("; ")
                ),
            );
        }
    }
}

/// The number of groups when every group holds one arm only, at least two groups hold each arm
/// and groups hold two persons or more on average (a column of ids is not a clustering).
/// `n_groups` is the factor's number of levels (its codes are below it): counting them from the
/// codes was a pass over every row on one core, where the loop below usually stops within a
/// few rows (the first level with both arms).
fn assigned_by_group(
    codes: &[Code],
    groups: &[Code],
    n_groups: usize,
    arms: usize,
) -> Option<usize> {
    let mut arm_of: Vec<Option<Code>> = vec![None; n_groups];
    for (&arm, &g) in codes.iter().zip(groups) {
        match arm_of.get_mut(g as usize)? {
            slot @ None => *slot = Some(arm),
            Some(a) if *a != arm => return None,
            Some(_) => {}
        }
    }
    let used: Vec<Code> = arm_of.iter().flatten().copied().collect();
    let every_arm_twice = (0..arms).all(|a| used.iter().filter(|&&u| u as usize == a).count() >= 2);
    (every_arm_twice && codes.len() >= 2 * used.len()).then_some(used.len())
}

fn push(warnings: &mut Vec<String>, w: String) {
    if !warnings.contains(&w) {
        warnings.push(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts of a plain loop over the rows.
    fn one_by_one(y: &[f64]) -> ValueCounts {
        let mut c = ValueCounts::NONE;
        for &v in y.iter().filter(|v| !v.is_nan()) {
            if v == 0.0 {
                c.zeros += 1;
            } else if v == 1.0 {
                c.ones += 1;
            } else {
                if c.other == 0 {
                    c.first = v;
                }
                c.other += 1;
            }
        }
        c
    }

    #[test]
    fn value_counts_and_the_first_other_value_do_not_depend_on_the_split() {
        // 0/1 outcomes with missing cells, and other values only late in the rows (the first,
        // 7.5, in a later piece than the first rows') or nowhere.
        let n = 70_001;
        let mut y: Vec<f64> = (0..n)
            .map(|i| match i % 9 {
                0 => f64::NAN,
                1 | 4 => 0.0,
                _ => 1.0,
            })
            .collect();
        let plain = y.clone();
        y[52_000] = 7.5;
        y[60_000] = 2.0;
        y[69_999] = -1.0;
        for values in [&plain, &y] {
            let expected = one_by_one(values);
            for threads in [1, 2, 4] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| ValueCounts::of(values));
                assert_eq!(
                    (got.zeros, got.ones, got.other),
                    (expected.zeros, expected.ones, expected.other)
                );
                assert_eq!(
                    got.first.to_bits(),
                    expected.first.to_bits(),
                    "{threads} threads"
                );
            }
        }
        assert_eq!(ValueCounts::of(&y).first, 7.5);
        assert_eq!(ValueCounts::of(&y).other, 3);
    }
}
