//! Difference in means with the design-appropriate standard error and df, as estimatr's
//! `difference_in_means` (estimatr mathematical notes; Gerber & Green 2012, ch. 3 and 4):
//! simple (Neyman SE, Welch–Satterthwaite df), weighted (lm_robust HC2, df n − 2), clustered
//! (lm_robust CR2 with Bell–McCaffrey df), blocked (block-size weighted, df N − 2B), matched
//! pairs (df B − 1), and blocked-clustered (df G − 2B).

use super::Code;
use super::ols::{DesignMatrix, lm_robust};
use super::rows::SeRule;
use super::vcov::{Clusters, SeType};
use crate::categorical::sorted_levels;
use crate::error::{Error, Result};

/// One difference in means.
#[derive(Debug, Clone, PartialEq)]
pub struct DimResult {
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    /// Which SE and df rule was used.
    pub se_type: SeRule,
    /// Warnings (e.g. mixed pair and larger blocks).
    pub warnings: Vec<String>,
}

struct Internal {
    estimate: f64,
    std_error: f64,
    df: f64,
    nobs: f64,
    nclusters: usize,
}

/// Difference in means of `y` between `treated` and the others.
///
/// `blocks` and `clusters` are per-row group indices; `weights` optional (estimatr normalizes
/// them to mean 1 over the data).
pub fn difference_in_means(
    y: &[f64],
    treated: &[bool],
    blocks: Option<&[Code]>,
    clusters: Option<&[Code]>,
    weights: Option<&[f64]>,
) -> Result<DimResult> {
    let n = y.len();
    let weights: Option<Vec<f64>> = weights.map(|w| {
        let mean = w.iter().sum::<f64>() / n as f64;
        w.iter().map(|v| v / mean).collect()
    });
    let mut warnings = Vec::new();
    let Some(blocks) = blocks else {
        let rows: Vec<usize> = (0..n).collect();
        let r = internal(y, treated, clusters, weights.as_deref(), &rows, false)?;
        let se_type = match (clusters.is_some(), weights.is_some()) {
            (true, _) => SeRule::Robust(SeType::Cr2),
            (false, true) => SeRule::Robust(SeType::Hc2),
            (false, false) => SeRule::Neyman,
        };
        return Ok(DimResult {
            estimate: r.estimate,
            std_error: r.std_error,
            df: r.df,
            se_type,
            warnings,
        });
    };
    let n_blocks = blocks.iter().max().map_or(0, |&m| m as usize + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_blocks];
    for (i, &b) in blocks.iter().enumerate() {
        members[b as usize].push(i);
    }
    members.retain(|m| !m.is_empty());
    // Units (or clusters) per block.
    let units: Vec<usize> = members
        .iter()
        .map(|rows| match clusters {
            None => rows.len(),
            Some(c) => sorted_levels(rows.iter().map(|&i| c[i])).len(),
        })
        .collect();
    if units.contains(&1) {
        return Err(Error::compute(
            "a stratum has a single unit (or cluster); the blocked difference in means needs at least two per stratum",
        )
        .with_hint("merge small strata, or use --estimator fe"));
    }
    let pair_matched = if units.iter().all(|&u| u == 2) {
        true
    } else if units.contains(&2) {
        warnings.push(
            "some strata have two units while others have more; as estimatr, the matched-pairs variance is used"
                .to_string(),
        );
        true
    } else {
        false
    };
    let mut parts = Vec::with_capacity(members.len());
    for rows in &members {
        parts.push(internal(
            y,
            treated,
            clusters,
            weights.as_deref(),
            rows,
            pair_matched,
        )?);
    }
    let total: f64 = parts.iter().map(|p| p.nobs).sum();
    let b = parts.len() as f64;
    let estimate: f64 = parts.iter().map(|p| p.estimate * p.nobs / total).sum();
    let (std_error, df, se_type) = if pair_matched {
        let se = if clusters.is_none() {
            let ss: f64 = parts.iter().map(|p| (p.estimate - estimate).powi(2)).sum();
            (ss / (b * (b - 1.0))).sqrt()
        } else {
            let ss: f64 = parts
                .iter()
                .map(|p| (p.nobs * p.estimate - total * estimate / b).powi(2))
                .sum();
            (b / ((b - 1.0) * total * total) * ss).sqrt()
        };
        (se, b - 1.0, SeRule::MatchedPairs)
    } else {
        let var: f64 = parts
            .iter()
            .map(|p| p.std_error.powi(2) * (p.nobs / total).powi(2))
            .sum();
        match clusters {
            None => (var.sqrt(), n as f64 - 2.0 * b, SeRule::BlockedNeyman),
            Some(_) => {
                let g: usize = parts.iter().map(|p| p.nclusters).sum();
                (var.sqrt(), g as f64 - 2.0 * b, SeRule::BlockedCr2)
            }
        }
    };
    Ok(DimResult {
        estimate,
        std_error,
        df,
        se_type,
        warnings,
    })
}

/// estimatr's `difference_in_means_internal` on the rows `rows`.
fn internal(
    y: &[f64],
    treated: &[bool],
    clusters: Option<&[Code]>,
    weights: Option<&[f64]>,
    rows: &[usize],
    pair_matched: bool,
) -> Result<Internal> {
    let (y1, y0): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| treated[i]);
    let (n1, n0) = (y1.len(), y0.len());
    if n1 == 0 || n0 == 0 {
        return Err(Error::compute(
            "a stratum has units in only one arm; the blocked difference in means needs both arms in every stratum",
        )
        .with_hint("merge strata, or use --estimator fe"));
    }
    if !pair_matched && (n1 == 1 || n0 == 1) {
        return Err(Error::compute(
            "an arm has a single unit (in the sample or in a stratum); its variance cannot be estimated",
        )
        .with_hint("merge small strata, or use --estimator fe or ols"));
    }
    let nobs = match weights {
        Some(w) => rows.iter().map(|&i| w[i]).sum(),
        None => rows.len() as f64,
    };
    if let Some(c) = clusters {
        let mut arm_of: std::collections::BTreeMap<Code, bool> = Default::default();
        for &i in rows {
            if *arm_of.entry(c[i]).or_insert(treated[i]) != treated[i] {
                return Err(Error::compute(
                    "all units within a cluster must have the same arm",
                ));
            }
        }
        let nclusters = arm_of.len();
        if pair_matched {
            let mean = |set: &[usize]| set.iter().map(|&i| y[i]).sum::<f64>() / set.len() as f64;
            return Ok(Internal {
                estimate: mean(&y1) - mean(&y0),
                std_error: f64::NAN,
                df: f64::NAN,
                nobs,
                nclusters: 2,
            });
        }
        let mut design = DesignMatrix::new();
        design.push("(Intercept)", vec![1.0; rows.len()]);
        design.push(
            "t",
            rows.iter()
                .map(|&i| f64::from(u8::from(treated[i])))
                .collect(),
        );
        let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let labels: Vec<Code> = rows.iter().map(|&i| c[i]).collect();
        let cl = Clusters::from_codes(&labels);
        let w: Option<Vec<f64>> = weights.map(|w| rows.iter().map(|&i| w[i]).collect());
        let fit = lm_robust(&design, &ys, w.as_deref(), SeType::Cr2, Some(&cl), &["t"])?;
        return Ok(Internal {
            estimate: fit.coef[1],
            std_error: fit.std_error[1],
            df: fit.df[1],
            nobs,
            nclusters,
        });
    }
    match weights {
        None => {
            let stats = |set: &[usize]| {
                let m = set.len() as f64;
                let mean = set.iter().map(|&i| y[i]).sum::<f64>() / m;
                let var = set.iter().map(|&i| (y[i] - mean).powi(2)).sum::<f64>() / (m - 1.0);
                (mean, var, m)
            };
            let (m1, v1, a) = stats(&y1);
            let (m0, v0, b) = stats(&y0);
            let estimate = m1 - m0;
            if pair_matched {
                return Ok(Internal {
                    estimate,
                    std_error: f64::NAN,
                    df: f64::NAN,
                    nobs,
                    nclusters: 0,
                });
            }
            let se = (v1 / a + v0 / b).sqrt();
            // Welch–Satterthwaite.
            let df = se.powi(4) / ((v1 / a).powi(2) / (a - 1.0) + (v0 / b).powi(2) / (b - 1.0));
            Ok(Internal {
                estimate,
                std_error: se,
                df,
                nobs,
                nclusters: 0,
            })
        }
        Some(w) => {
            if pair_matched {
                return Err(Error::compute(
                    "weights cannot be used with a matched-pairs design",
                ));
            }
            let mut design = DesignMatrix::new();
            design.push("(Intercept)", vec![1.0; rows.len()]);
            design.push(
                "t",
                rows.iter()
                    .map(|&i| f64::from(u8::from(treated[i])))
                    .collect(),
            );
            let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            let ws: Vec<f64> = rows.iter().map(|&i| w[i]).collect();
            let fit = lm_robust(&design, &ys, Some(&ws), SeType::Hc2, None, &["t"])?;
            Ok(Internal {
                estimate: fit.coef[1],
                std_error: fit.std_error[1],
                df: fit.df[1],
                nobs,
                nclusters: 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    //! Tiny fixtures whose values follow from the formulas by hand (Gerber & Green 2012,
    //! eq. 3.6 for the Neyman SE, eq. 4.3–4.4 for blocks; estimatr mathematical notes).
    use super::*;

    /// Absolute tolerance: a handful of sums of small numbers, far above rounding.
    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    #[test]
    fn simple_difference_has_the_neyman_se_and_welch_df() {
        // Treated 2, 4, 6: mean 4, variance ((−2)² + 0 + 2²)/2 = 4, n₁ = 3.
        // Control 1, 3: mean 2, variance (1 + 1)/1 = 2, n₀ = 2.
        // Estimate 4 − 2 = 2; SE² = 4/3 + 2/2 = 7/3;
        // Welch df = (7/3)² / ((4/3)²/2 + 1²/1) = (49/9) / (17/9) = 49/17.
        let y = [2.0, 4.0, 6.0, 1.0, 3.0];
        let t = [true, true, true, false, false];
        let r = difference_in_means(&y, &t, None, None, None).unwrap();
        close(r.estimate, 2.0, "estimate");
        close(r.std_error, (7.0_f64 / 3.0).sqrt(), "SE");
        close(r.df, 49.0 / 17.0, "df");
        assert_eq!(r.se_type, SeRule::Neyman);
    }

    #[test]
    fn blocks_are_weighted_by_their_size() {
        // Block 0 (4 units): treated 2, 4 (mean 3, var 2), control 1, 3 (mean 2, var 2):
        //   effect 1, variance 2/2 + 2/2 = 2.
        // Block 1 (6 units): treated 10, 14, 12 (mean 12, var 4), control 5, 7, 6 (mean 6,
        //   var 1): effect 6, variance 4/3 + 1/3 = 5/3.
        // Weights 4/10 and 6/10: estimate 0.4·1 + 0.6·6 = 4;
        // variance 0.4²·2 + 0.6²·5/3 = 0.32 + 0.6 = 0.92; df N − 2B = 10 − 4 = 6.
        let y = [2.0, 4.0, 1.0, 3.0, 10.0, 14.0, 12.0, 5.0, 7.0, 6.0];
        let t = [
            true, true, false, false, true, true, true, false, false, false,
        ];
        let b = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
        let r = difference_in_means(&y, &t, Some(&b), None, None).unwrap();
        close(r.estimate, 4.0, "estimate");
        close(r.std_error, 0.92_f64.sqrt(), "SE");
        close(r.df, 6.0, "df");
        assert_eq!(r.se_type, SeRule::BlockedNeyman);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn matched_pairs_use_the_spread_of_the_pair_differences() {
        // Pairs (treated, control): (3, 2), (5, 3), (10, 4): differences 1, 2, 6, mean 3.
        // SE² = Σ(dᵢ − 3)² / (B(B − 1)) = (4 + 1 + 9) / 6 = 7/3; df B − 1 = 2.
        let y = [3.0, 2.0, 5.0, 3.0, 10.0, 4.0];
        let t = [true, false, true, false, true, false];
        let b = [0, 0, 1, 1, 2, 2];
        let r = difference_in_means(&y, &t, Some(&b), None, None).unwrap();
        close(r.estimate, 3.0, "estimate");
        close(r.std_error, (7.0_f64 / 3.0).sqrt(), "SE");
        close(r.df, 2.0, "df");
        assert_eq!(r.se_type, SeRule::MatchedPairs);
    }

    #[test]
    fn weights_give_the_difference_of_weighted_means() {
        // Treated 2, 4, 6 with weights 1, 1, 2: (2 + 4 + 12)/4 = 4.5.
        // Control 1, 3 with weights 1, 3: (1 + 9)/4 = 2.5. Estimate 2 (weighted lm_robust of y
        // on an intercept and t: the slope is the difference of the weighted arm means); df
        // n − 2 = 3.
        let y = [2.0, 4.0, 6.0, 1.0, 3.0];
        let t = [true, true, true, false, false];
        let w = [1.0, 1.0, 2.0, 1.0, 3.0];
        let r = difference_in_means(&y, &t, None, None, Some(&w)).unwrap();
        close(r.estimate, 2.0, "estimate");
        close(r.df, 3.0, "df");
        assert_eq!(r.se_type, SeRule::Robust(SeType::Hc2));
        // A single unit in an arm leaves its variance unknown.
        let e = difference_in_means(&[1.0, 2.0, 3.0], &[true, false, false], None, None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("single unit"), "{e}");
    }
}
