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

#[cfg(test)]
mod tests {
    //! Lin's estimator is the difference of the two arms' regression lines evaluated at the
    //! overall covariate mean x̄: τ̂ = [ȳ₁ − b₁(x̄₁ − x̄)] − [ȳ₀ − b₀(x̄₀ − x̄)] (Lin 2013, §2),
    //! since the fully interacted model fits each arm's line separately.
    use super::*;
    use crate::estimate::ols::lm_robust_lazy;
    use crate::estimate::vcov::SeType;

    /// Absolute tolerance: QR on six rows, far above rounding.
    const TOL: f64 = 1e-12;

    fn close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    fn lin_estimate(t: &[f64], x: &[f64], y: &[f64]) -> f64 {
        let mut treatments = DesignMatrix::new();
        treatments.push("t", t.to_vec());
        let mut covariates = DesignMatrix::new();
        covariates.push("x", x.to_vec());
        let design = lin_design(treatments, covariates, None);
        assert_eq!(design.names, ["(Intercept)", "t", "x_c", "t:x_c"]);
        let fit = lm_robust_lazy(&design, y, None, SeType::Hc2, None, &["t"]).unwrap();
        fit.coef[1]
    }

    #[test]
    fn equals_the_difference_in_means_when_the_covariate_is_balanced() {
        // x̄₁ = (1 + 2 + 3)/3 = 2 = x̄₀ = (0 + 2 + 4)/3 = x̄, so both corrections vanish:
        // τ̂ = ȳ₁ − ȳ₀ = (5 + 9 + 4)/3 − (2 + 3 + 1)/3 = 6 − 2 = 4.
        let t = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let x = [1.0, 2.0, 3.0, 0.0, 2.0, 4.0];
        let y = [5.0, 9.0, 4.0, 2.0, 3.0, 1.0];
        close(lin_estimate(&t, &x, &y), 4.0, "Lin = DiM");
    }

    #[test]
    fn adjusts_each_arm_to_the_overall_mean_when_unbalanced() {
        // Treated x = 0, 1, 2, y = 1, 2, 6: x̄₁ = 1, ȳ₁ = 3, b₁ = ((−1)(−2) + 0 + (1)(3))/2 = 5/2.
        // Control x = 2, 3, 4, y = 0, 1, 5: x̄₀ = 3, ȳ₀ = 2, b₀ = 5/2. x̄ = 2.
        // τ̂ = (3 + 5/2) − (2 − 5/2) = 6 (the difference in means is only 1).
        let t = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let x = [0.0, 1.0, 2.0, 2.0, 3.0, 4.0];
        let y = [1.0, 2.0, 6.0, 0.0, 1.0, 5.0];
        close(lin_estimate(&t, &x, &y), 6.0, "Lin");
    }

    #[test]
    fn covariates_are_centred_at_the_weighted_mean() {
        // x = 1, 2, 3, 6: mean 3 → x_c = −2, −1, 0, 3. With weights 1, 1, 1, 3 the weighted
        // mean is (1 + 2 + 3 + 18)/6 = 4 → x_c = −3, −2, −1, 2 (estimatr's `weighted.mean`).
        let x = vec![1.0, 2.0, 3.0, 6.0];
        for (weights, centred) in [
            (None, [-2.0, -1.0, 0.0, 3.0]),
            (Some([1.0, 1.0, 1.0, 3.0]), [-3.0, -2.0, -1.0, 2.0]),
        ] {
            let mut treatments = DesignMatrix::new();
            treatments.push("t", vec![1.0, 0.0, 1.0, 0.0]);
            let mut covariates = DesignMatrix::new();
            covariates.push("x", x.clone());
            let design =
                lin_design(treatments, covariates, weights.as_ref().map(|w| &w[..])).materialize();
            let j = design.index("x_c").unwrap();
            for (got, want) in design.columns[j].iter().zip(centred) {
                close(*got, want, "x_c");
            }
            // The interaction is the product t · x_c.
            let k = design.index("t:x_c").unwrap();
            close(design.columns[k][1], 0.0, "t:x_c where t = 0");
            close(design.columns[k][2], centred[2], "t:x_c where t = 1");
        }
    }
}
