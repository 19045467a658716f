//! Lin's (2013) estimator, as estimatr's `lm_lin`: covariates centred at their (weighted) means
//! and fully interacted with each treatment indicator. Column order as `lm_lin`: intercept,
//! treatment indicators, centred covariates `<x>_c`, then `<t>:<x>_c` by covariate, then arm.

use super::ols::Design;

/// The Lin design from treatment indicators and expanded covariates (same rows).
pub fn lin_design(treatments: &Design, covariates: &Design, weights: Option<&[f64]>) -> Design {
    let n = treatments.nrows();
    let mut design = Design::new();
    design.push("(Intercept)", vec![1.0; n]);
    for (name, column) in treatments.names.iter().zip(&treatments.columns) {
        design.push(name.clone(), column.clone());
    }
    let centred: Vec<(String, Vec<f64>)> = covariates
        .names
        .iter()
        .zip(&covariates.columns)
        .map(|(name, column)| {
            // estimatr: `weighted.mean` with weights, `colMeans` without.
            let centre = match weights {
                Some(w) => {
                    column.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / w.iter().sum::<f64>()
                }
                None => column.iter().sum::<f64>() / n as f64,
            };
            (
                format!("{name}_c"),
                column.iter().map(|x| x - centre).collect(),
            )
        })
        .collect();
    for (name, column) in &centred {
        design.push(name.clone(), column.clone());
    }
    for (cname, ccol) in &centred {
        for (tname, tcol) in treatments.names.iter().zip(&treatments.columns) {
            design.push(
                format!("{tname}:{cname}"),
                tcol.iter().zip(ccol).map(|(t, x)| t * x).collect(),
            );
        }
    }
    design
}
