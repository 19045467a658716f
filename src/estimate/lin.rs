//! Lin's (2013) estimator, as estimatr's `lm_lin`: covariates centred at their (weighted) means
//! and fully interacted with each treatment indicator. Column order as `lm_lin`: intercept,
//! treatment indicators, centred covariates `<x>_c`, then `<t>:<x>_c` by covariate, then arm.

use super::ols::{DesignMatrix, LazyDesignMatrix};
use rayon::prelude::*;

/// The Lin design from treatment indicators and expanded covariates (same rows). The intercept
/// and the interactions are computed when the model is fitted, not stored.
pub fn lin_design(
    treatments: DesignMatrix,
    covariates: DesignMatrix,
    weights: Option<&[f64]>,
) -> LazyDesignMatrix {
    let n = treatments.nrows();
    let mut design = LazyDesignMatrix::with_rows(n);
    design.push_ones("(Intercept)");
    // Columns are centred in parallel, each the same way on any thread.
    let centred: Vec<(String, Vec<f64>)> = covariates
        .names
        .into_par_iter()
        .zip(covariates.columns)
        .map(|(name, mut column)| {
            // estimatr: `weighted.mean` with weights, `colMeans` without.
            let centre = match weights {
                Some(w) => {
                    column.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / w.iter().sum::<f64>()
                }
                None => column.iter().sum::<f64>() / n as f64,
            };
            column.iter_mut().for_each(|x| *x -= centre);
            (format!("{name}_c"), column)
        })
        .collect();
    let treatment: Vec<(String, usize)> = treatments
        .names
        .into_iter()
        .zip(treatments.columns)
        .map(|(name, column)| {
            let index = design.push(name.clone(), column);
            (name, index)
        })
        .collect();
    let centred: Vec<(String, usize)> = centred
        .into_iter()
        .map(|(name, column)| {
            let index = design.push(name.clone(), column);
            (name, index)
        })
        .collect();
    for (cname, c) in &centred {
        for (tname, t) in &treatment {
            design.push_product(format!("{tname}:{cname}"), *t, *c);
        }
    }
    design
}
