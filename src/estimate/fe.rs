//! Strata fixed effects, as estimatr's `lm_robust(..., fixed_effects = ~ stratum)`: one indicator
//! per stratum (no intercept) placed first, so that, as when estimatr sweeps the fixed effects out
//! first, a covariate constant within strata is the column dropped as collinear. The variance
//! counts the fixed effects in the rank (estimatr's `fe_rank`), as the indicators do here.

use super::Code;
use super::ols::DesignMatrix;
use crate::categorical::sorted_levels;

/// Stratum indicators (levels present in the rows, in level order) followed by `rest`.
pub fn fe_design(
    strata: &[Code],
    labels: &[String],
    column: &str,
    rest: DesignMatrix,
) -> DesignMatrix {
    let mut design = DesignMatrix::new();
    for level in sorted_levels(strata.iter().copied()) {
        let name = labels.get(level as usize).map_or("?", String::as_str);
        design.push(
            format!("{column}{name}"),
            strata
                .iter()
                .map(|&s| f64::from(u8::from(s == level)))
                .collect(),
        );
    }
    for (name, col) in rest.names.into_iter().zip(rest.columns) {
        design.push(name, col);
    }
    design
}

#[cfg(test)]
mod tests {
    //! With strata indicators, the treatment coefficient is the average of the within-stratum
    //! differences in means weighted by n_b p_b (1 − p_b), p_b the treated share of stratum b
    //! (Angrist & Pischke 2009, §3.3.1). With the same p_b everywhere that is the stratum-size
    //! weighting of the blocked difference in means (Gerber & Green 2012, eq. 4.3).
    use super::*;
    use crate::estimate::dim::difference_in_means;
    use crate::estimate::ols::lm_robust;
    use crate::estimate::vcov::SeType;

    /// Absolute tolerance: QR on ten rows, far above rounding.
    const TOL: f64 = 1e-12;

    fn fe_estimate(strata: &[Code], t: &[bool], y: &[f64]) -> f64 {
        let labels = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        let mut rest = DesignMatrix::new();
        rest.push("t", t.iter().map(|&v| f64::from(u8::from(v))).collect());
        let design = fe_design(strata, &labels, "s", rest);
        // Only the strata present get an indicator ("C" is absent), placed first.
        assert_eq!(design.names, ["sA", "sB", "t"]);
        let fit = lm_robust(&design, y, None, SeType::Hc2, None, &["t"]).unwrap();
        fit.coef[2]
    }

    #[test]
    fn equals_the_blocked_difference_in_means_when_the_treated_share_is_the_same() {
        // Stratum A (4 units, half treated): 3 − 2 = 1; stratum B (6 units, half treated):
        // 12 − 6 = 6. Equal shares: weights ∝ n_b, 0.4 · 1 + 0.6 · 6 = 4 (the blocked
        // difference in means of the same data, see `dim`).
        let y = [2.0, 4.0, 1.0, 3.0, 10.0, 14.0, 12.0, 5.0, 7.0, 6.0];
        let t = [
            true, true, false, false, true, true, true, false, false, false,
        ];
        let s = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
        let fe = fe_estimate(&s, &t, &y);
        assert!((fe - 4.0).abs() < TOL, "{fe}");
        let blocked = difference_in_means(&y, &t, Some(&s), None, None).unwrap();
        assert!((fe - blocked.estimate).abs() < TOL);
    }

    #[test]
    fn weights_strata_by_their_treatment_variance_when_shares_differ() {
        // Stratum A (3 units, 1 treated): 5 − (1 + 3)/2 = 3, weight 3 · 1/3 · 2/3 = 2/3.
        // Stratum B (4 units, 2 treated): (4 + 8)/2 − (1 + 3)/2 = 4, weight 4 · 1/2 · 1/2 = 1.
        // FE = (2/3 · 3 + 1 · 4) / (2/3 + 1) = 6 / (5/3) = 18/5, not the size-weighted
        // (3 · 3 + 4 · 4)/7 = 25/7.
        let y = [5.0, 1.0, 3.0, 4.0, 8.0, 1.0, 3.0];
        let t = [true, false, false, true, true, false, false];
        let s = [0, 0, 0, 1, 1, 1, 1];
        let fe = fe_estimate(&s, &t, &y);
        assert!((fe - 18.0 / 5.0).abs() < TOL, "{fe}");
    }
}
