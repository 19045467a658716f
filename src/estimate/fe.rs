//! Strata fixed effects, as estimatr's `lm_robust(..., fixed_effects = ~ stratum)`: one indicator
//! per stratum (no intercept) placed first, so that, as when estimatr sweeps the fixed effects out
//! first, a covariate constant within strata is the column dropped as collinear. The variance
//! counts the fixed effects in the rank (estimatr's `fe_rank`), as the indicators do here.

use super::ols::DesignMatrix;

/// Stratum indicators (levels present in the rows, in level order) followed by `rest`.
pub fn fe_design(
    strata: &[usize],
    labels: &[String],
    column: &str,
    rest: DesignMatrix,
) -> DesignMatrix {
    let mut present: Vec<usize> = strata.to_vec();
    present.sort_unstable();
    present.dedup();
    let mut design = DesignMatrix::new();
    for level in present {
        let name = labels.get(level).map_or("?", String::as_str);
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
