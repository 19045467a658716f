//! Lin's (2013) estimator, as estimatr's `lm_lin`: covariates centred at their (weighted) means
//! and fully interacted with each treatment indicator. Column order as `lm_lin`: intercept,
//! treatment indicators, centred covariates `<x>_c`, then `<t>:<x>_c` by covariate, then arm.

use super::ols::Design;
use rayon::prelude::*;

/// The Lin design from treatment indicators and expanded covariates (same rows).
pub fn lin_design(treatments: Design, covariates: Design, weights: Option<&[f64]>) -> Design {
    let n = treatments.nrows();
    let mut design = Design::new();
    design.push("(Intercept)", crate::io::table::filled(n, 1.0));
    let Design {
        names: tnames,
        columns: tcols,
    } = treatments;
    // Columns are built in parallel, each the same way on any thread.
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
    let pairs: Vec<(&String, &Vec<f64>, &String, &Vec<f64>)> = centred
        .iter()
        .flat_map(|(cname, ccol)| {
            tnames
                .iter()
                .zip(&tcols)
                .map(move |(tname, tcol)| (cname, ccol, tname, tcol))
        })
        .collect();
    let mut interactions = Design::new();
    let columns: Vec<Vec<f64>> = pairs
        .par_iter()
        .map(|(_, ccol, _, tcol)| tcol.iter().zip(ccol.iter()).map(|(t, x)| t * x).collect())
        .collect();
    for ((cname, _, tname, _), column) in pairs.iter().zip(columns) {
        interactions.push(format!("{tname}:{cname}"), column);
    }
    for (name, column) in tnames.into_iter().zip(tcols) {
        design.push(name, column);
    }
    for (name, column) in centred {
        design.push(name, column);
    }
    design.names.append(&mut interactions.names);
    design.columns.append(&mut interactions.columns);
    design
}
