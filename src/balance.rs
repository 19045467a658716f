//! The balance table: for each covariate (each level of a text covariate, as an indicator)
//! means by arm, difference, normalized difference and the two-sample p-value, overall and
//! within subgroups, plus the omnibus test that regresses treatment on all covariates (joint F),
//! like Stata's `iebaltab`. Pure: slices in, rows out.

use crate::categorical::levels_in_order;
use crate::dist::{pf_upper, t_two_sided_p};
use crate::error::{Error, Result};
use crate::linalg::least_squares;
use nalgebra::DMatrix;

/// One covariate's values for every unit (NaN or empty text = missing).
#[derive(Debug, Clone, Copy)]
pub enum CovariateColumn<'a> {
    Numeric {
        name: &'a str,
        values: &'a [f64],
    },
    /// Text values; each level becomes an indicator variable.
    Categorical {
        name: &'a str,
        values: &'a [String],
    },
}

impl CovariateColumn<'_> {
    fn name(&self) -> &str {
        match self {
            CovariateColumn::Numeric { name, .. } | CovariateColumn::Categorical { name, .. } => {
                name
            }
        }
    }
}

/// One row of the balance table: a covariate (or a level of one) compared between an arm and
/// the control arm within a subgroup.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceRow {
    /// `all`, or `<column>=<level>` for a level of the subgroup column.
    pub subgroup: String,
    /// The covariate's name.
    pub covariate: String,
    /// The level, for a text covariate (the row is the share with that level).
    pub level: Option<String>,
    /// The compared arm's name.
    pub arm: String,
    /// The control arm's name.
    pub control: String,
    /// Units of the arm in the subgroup with the covariate observed.
    pub n_arm: usize,
    /// Mean of the covariate in the arm (NaN when no unit has it).
    pub mean_arm: f64,
    /// Sample SD (n − 1) of the covariate in the arm (NaN with fewer than two units).
    pub sd_arm: f64,
    /// Units of the control arm in the subgroup with the covariate observed.
    pub n_control: usize,
    /// Mean of the covariate in the control arm.
    pub mean_control: f64,
    /// Sample SD (n − 1) of the covariate in the control arm.
    pub sd_control: f64,
    /// mean_arm − mean_control.
    pub difference: f64,
    /// Normalized difference (mean_arm − mean_control) / √((sd_arm² + sd_control²)/2)
    /// (Imbens & Rubin 2015, eq. 14.1; iebaltab's normalized difference).
    pub smd: f64,
    /// Two-sided p-value of the difference: OLS of the covariate on an arm indicator with the
    /// classical variance, i.e. Student's two-sample t-test with pooled variance (iebaltab's
    /// default `reg balancevar tmt`; R `t.test(var.equal = TRUE)`).
    pub p_value: f64,
}

/// The omnibus test of one arm against control within a subgroup: OLS of the arm indicator on
/// an intercept and all covariates (complete cases), F test that all slopes are zero
/// (iebaltab's "F-test of joint significance"; R `summary(lm(d ~ x1 + …))$fstatistic`).
#[derive(Debug, Clone, PartialEq)]
pub struct JointTest {
    /// `all`, or `<column>=<level>` for a level of the subgroup column.
    pub subgroup: String,
    /// The compared arm's name.
    pub arm: String,
    /// The control arm's name.
    pub control: String,
    /// Units of the arm and control in the subgroup with every covariate observed.
    pub n: usize,
    /// F = ((RSS₀ − RSS₁)/df1) / (RSS₁/df2); NaN when it cannot be computed.
    pub f_statistic: f64,
    /// Numerator degrees of freedom: the slopes tested (rank of the regressors − 1).
    pub df1: usize,
    /// Denominator degrees of freedom: n − rank of the regressors.
    pub df2: usize,
    /// Upper-tail p-value of the F statistic with (df1, df2) degrees of freedom.
    pub p_value: f64,
}

/// The balance table and its joint tests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Balance {
    /// One row per subgroup × arm × covariate (or level of a text covariate).
    pub rows: Vec<BalanceRow>,
    /// One omnibus test per subgroup × arm.
    pub joint: Vec<JointTest>,
}

/// Mean, sample SD (n − 1) and count of values.
fn moments(values: &[f64]) -> (usize, f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (n, mean, sd)
}

/// Student's t-test with pooled variance: t = d / √(s²ₚ (1/n₁ + 1/n₀)), df = n₁ + n₀ − 2.
fn pooled_t_p(n1: usize, s1: f64, n0: usize, s0: f64, diff: f64) -> f64 {
    if n1 < 1 || n0 < 1 || n1 + n0 < 3 {
        return f64::NAN;
    }
    let df = (n1 + n0 - 2) as f64;
    let v1 = if n1 > 1 {
        (n1 as f64 - 1.0) * s1 * s1
    } else {
        0.0
    };
    let v0 = if n0 > 1 {
        (n0 as f64 - 1.0) * s0 * s0
    } else {
        0.0
    };
    let pooled = (v1 + v0) / df;
    let se = (pooled * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
    if se.is_nan() || se <= 0.0 {
        return f64::NAN;
    }
    let t = diff / se;
    t_two_sided_p(t, df)
}

/// The levels of a text covariate, in level order ([`crate::categorical`]; empty = missing,
/// left out).
fn levels(values: &[String]) -> Vec<String> {
    levels_in_order(values.iter().filter(|v| !v.is_empty()))
        .into_iter()
        .cloned()
        .collect()
}

/// The balance table. `arm[i]` is unit i's arm index (any other value, e.g.
/// [`crate::design::UNASSIGNED`], leaves the unit out); `by`
/// gives a subgroup column (its levels, sorted, follow the overall rows).
pub fn balance(
    covariates: &[CovariateColumn],
    arm: &[u32],
    arm_names: &[String],
    control: usize,
    by: Option<(&str, &[String])>,
) -> Result<Balance> {
    let n = arm.len();
    for c in covariates {
        let len = match c {
            CovariateColumn::Numeric { values, .. } => values.len(),
            CovariateColumn::Categorical { values, .. } => values.len(),
        };
        if len != n {
            return Err(Error::compute(format!(
                "covariate `{}` has {len} values for {n} units",
                c.name()
            )));
        }
    }
    if let Some((name, values)) = by
        && values.len() != n
    {
        return Err(Error::compute(format!(
            "subgroup column `{name}` has {} values for {n} units",
            values.len()
        )));
    }
    let mut groups: Vec<(String, Vec<bool>)> = vec![("all".to_string(), vec![true; n])];
    if let Some((name, values)) = by {
        for level in levels(values) {
            let member = values.iter().map(|v| *v == level).collect();
            groups.push((format!("{name}={level}"), member));
        }
    }
    let cat_levels: Vec<Vec<String>> = covariates
        .iter()
        .map(|c| match c {
            CovariateColumn::Categorical { values, .. } => levels(values),
            CovariateColumn::Numeric { .. } => Vec::new(),
        })
        .collect();
    let control_name = arm_names.get(control).cloned().unwrap_or_default();
    let mut out = Balance::default();
    for (subgroup, member) in &groups {
        for (t, t_name) in arm_names.iter().enumerate() {
            if t == control {
                continue;
            }
            let in_t = |i: usize| member[i] && arm[i] == t as u32;
            let in_c = |i: usize| member[i] && arm[i] == control as u32;
            for (c, cov) in covariates.iter().enumerate() {
                // (level, value of unit i or None when missing)
                let variables: Vec<(Option<String>, Vec<Option<f64>>)> = match cov {
                    CovariateColumn::Numeric { values, .. } => vec![(
                        None,
                        values
                            .iter()
                            .map(|v| if v.is_nan() { None } else { Some(*v) })
                            .collect(),
                    )],
                    CovariateColumn::Categorical { values, .. } => cat_levels[c]
                        .iter()
                        .map(|level| {
                            (
                                Some(level.clone()),
                                values
                                    .iter()
                                    .map(|v| {
                                        if v.is_empty() {
                                            None
                                        } else {
                                            Some(f64::from(u8::from(v == level)))
                                        }
                                    })
                                    .collect(),
                            )
                        })
                        .collect(),
                };
                for (level, x) in variables {
                    let xt: Vec<f64> = (0..n).filter(|&i| in_t(i)).filter_map(|i| x[i]).collect();
                    let xc: Vec<f64> = (0..n).filter(|&i| in_c(i)).filter_map(|i| x[i]).collect();
                    let (n1, m1, s1) = moments(&xt);
                    let (n0, m0, s0) = moments(&xc);
                    let difference = m1 - m0;
                    let smd = difference / ((s1 * s1 + s0 * s0) / 2.0).sqrt();
                    out.rows.push(BalanceRow {
                        subgroup: subgroup.clone(),
                        covariate: cov.name().to_string(),
                        level,
                        arm: t_name.clone(),
                        control: control_name.clone(),
                        n_arm: n1,
                        mean_arm: m1,
                        sd_arm: s1,
                        n_control: n0,
                        mean_control: m0,
                        sd_control: s0,
                        difference,
                        smd: if smd.is_finite() { smd } else { f64::NAN },
                        p_value: pooled_t_p(n1, s1, n0, s0, difference),
                    });
                }
            }
            out.joint.push(joint_test(
                covariates,
                &cat_levels,
                &|i| in_t(i),
                &|i| in_c(i),
                n,
                subgroup,
                t_name,
                &control_name,
            ));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn joint_test(
    covariates: &[CovariateColumn],
    cat_levels: &[Vec<String>],
    in_t: &dyn Fn(usize) -> bool,
    in_c: &dyn Fn(usize) -> bool,
    n: usize,
    subgroup: &str,
    arm: &str,
    control: &str,
) -> JointTest {
    let complete = |i: usize| {
        covariates.iter().all(|c| match c {
            CovariateColumn::Numeric { values, .. } => !values[i].is_nan(),
            CovariateColumn::Categorical { values, .. } => !values[i].is_empty(),
        })
    };
    let units: Vec<usize> = (0..n)
        .filter(|&i| (in_t(i) || in_c(i)) && complete(i))
        .collect();
    let mut columns: Vec<Vec<f64>> = vec![vec![1.0; units.len()]];
    for (c, cov) in covariates.iter().enumerate() {
        match cov {
            CovariateColumn::Numeric { values, .. } => {
                columns.push(units.iter().map(|&i| values[i]).collect())
            }
            CovariateColumn::Categorical { values, .. } => {
                // Indicators of every level but the first (R's treatment contrasts).
                for level in cat_levels[c].iter().skip(1) {
                    columns.push(
                        units
                            .iter()
                            .map(|&i| f64::from(u8::from(values[i] == *level)))
                            .collect(),
                    );
                }
            }
        }
    }
    let y: Vec<f64> = units
        .iter()
        .map(|&i| f64::from(u8::from(in_t(i))))
        .collect();
    let mut test = JointTest {
        subgroup: subgroup.to_string(),
        arm: arm.to_string(),
        control: control.to_string(),
        n: units.len(),
        f_statistic: f64::NAN,
        df1: 0,
        df2: 0,
        p_value: f64::NAN,
    };
    if units.is_empty() {
        return test;
    }
    let x = DMatrix::from_fn(units.len(), columns.len(), |i, j| columns[j][i]);
    let Ok(fit) = least_squares(&x, &y) else {
        return test;
    };
    let mean_y = y.iter().sum::<f64>() / y.len() as f64;
    let rss0: f64 = y.iter().map(|v| (v - mean_y).powi(2)).sum();
    let rss1: f64 = fit.residuals.iter().map(|r| r * r).sum();
    let q = fit.rank().saturating_sub(1);
    let df2 = units.len().saturating_sub(fit.rank());
    test.df1 = q;
    test.df2 = df2;
    if q == 0 || df2 == 0 || rss1 <= 0.0 {
        return test;
    }
    // F = ((RSS₀ − RSS₁)/q) / (RSS₁/(n − k)) (e.g. Greene, Econometric Analysis, eq. 5-29).
    let f = ((rss0 - rss1) / q as f64) / (rss1 / df2 as f64);
    test.f_statistic = f;
    test.p_value = pf_upper(f, q as f64, df2 as f64);
    test
}
