//! The balance table: for each covariate (each level of a text covariate, as an indicator)
//! means by arm, difference, normalized difference and the two-sample p-value, overall and
//! within subgroups, plus the omnibus test that regresses treatment on all covariates (joint F),
//! like Stata's `iebaltab`. Pure: slices in, rows out.
//!
//! With clusters (arms assigned by cluster, e.g. municipality) persons are not independent, so
//! the inference is cluster-robust: each difference is tested by OLS of the covariate on an
//! intercept and the arm indicator with the CR2 variance and Bell–McCaffrey df (estimatr's
//! `lm_robust(clusters =, se_type = "CR2")`, as `lotta estimate --cluster`), and the joint test
//! is the cluster-robust Wald test of all slopes with the CR2 variance, F = W/q referred to
//! F(q, G − 1) (clubSandwich's `Wald_test(vcov = "CR2", test = "Naive-F")`; Cameron & Miller
//! 2015, sec. VII; G = clusters among the complete cases). Checked against both in
//! tests/reference/balance/clustered.R.

use crate::categorical::levels_in_order;
use crate::dist::{pf_upper, t_two_sided_p};
use crate::error::{Error, Result};
use crate::estimate::ols::{DesignMatrix, lm_robust};
use crate::estimate::vcov::{Clusters, SeType};
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
    /// default `reg balancevar tmt`; R `t.test(var.equal = TRUE)`); with clusters, the CR2
    /// variance with Bell–McCaffrey df (`lm_robust(x ~ treat, clusters =, se_type = "CR2")`).
    pub p_value: f64,
    /// Standard error of the difference behind `p_value` (pooled; with clusters CR2).
    pub std_error: f64,
    /// Degrees of freedom of its t test (n₁ + n₀ − 2; with clusters Bell–McCaffrey).
    pub df: f64,
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
    /// F = ((RSS₀ − RSS₁)/df1) / (RSS₁/df2); with clusters the Wald statistic with the CR2
    /// variance over df1; NaN when it cannot be computed.
    pub f_statistic: f64,
    /// Numerator degrees of freedom: the slopes tested (rank of the regressors − 1).
    pub df1: usize,
    /// Denominator degrees of freedom: n − rank of the regressors; with clusters G − 1.
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
    /// With clusters, the number of clusters among the assigned units (the inference is
    /// cluster-robust); None when persons are treated as independent.
    pub clusters: Option<usize>,
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

/// A difference's test: standard error, degrees of freedom and two-sided p-value.
#[derive(Debug, Clone, Copy)]
struct Test {
    std_error: f64,
    df: f64,
    p_value: f64,
}

const NO_TEST: Test = Test {
    std_error: f64::NAN,
    df: f64::NAN,
    p_value: f64::NAN,
};

/// Student's t-test with pooled variance: t = d / √(s²ₚ (1/n₁ + 1/n₀)), df = n₁ + n₀ − 2.
fn pooled_t_p(n1: usize, s1: f64, n0: usize, s0: f64, diff: f64) -> Test {
    if n1 < 1 || n0 < 1 || n1 + n0 < 3 {
        return NO_TEST;
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
        return NO_TEST;
    }
    let t = diff / se;
    Test {
        std_error: se,
        df,
        p_value: t_two_sided_p(t, df),
    }
}

/// The levels of a text covariate, in level order ([`crate::categorical`]; empty = missing,
/// left out).
fn levels(values: &[String]) -> Vec<String> {
    levels_in_order(values.iter().filter(|v| !v.is_empty()))
        .into_iter()
        .cloned()
        .collect()
}

/// The cluster-robust p-value of the arm indicator in OLS of `x` on an intercept and the
/// indicator: CR2 with Bell–McCaffrey df (NaN when it cannot be computed, e.g. one cluster).
fn cluster_p(x: &[f64], treat: Vec<f64>, labels: &[&str]) -> Test {
    let mut design = DesignMatrix::new();
    design.push("(Intercept)", vec![1.0; x.len()]);
    design.push("treat", treat);
    let clusters = Clusters::from_labels(labels);
    match lm_robust(&design, x, None, SeType::Cr2, Some(&clusters), &["treat"]) {
        Ok(fit) => match (fit.coef.get(1), fit.std_error.get(1), fit.df.get(1)) {
            (Some(&b), Some(&se), Some(&df)) if se > 0.0 && df > 0.0 => Test {
                std_error: se,
                df,
                p_value: t_two_sided_p(b / se, df),
            },
            _ => NO_TEST,
        },
        Err(_) => NO_TEST,
    }
}

/// The balance table. `arm[i]` is unit i's arm index (any other value, e.g.
/// [`crate::design::UNASSIGNED`], leaves the unit out); `by`
/// gives a subgroup column (its levels, sorted, follow the overall rows); `clusters` gives each
/// unit's cluster label, for cluster-robust inference (module notes).
pub fn balance(
    covariates: &[CovariateColumn],
    arm: &[u32],
    arm_names: &[String],
    control: usize,
    by: Option<(&str, &[String])>,
    clusters: Option<&[String]>,
) -> Result<Balance> {
    let n = arm.len();
    if let Some(labels) = clusters
        && labels.len() != n
    {
        return Err(Error::compute(format!(
            "the cluster column has {} values for {n} units",
            labels.len()
        )));
    }
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
    if let Some(labels) = clusters {
        let assigned: std::collections::BTreeSet<&str> = (0..n)
            .filter(|&i| (arm[i] as usize) < arm_names.len())
            .map(|i| labels[i].as_str())
            .collect();
        out.clusters = Some(assigned.len());
    }
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
                    let test = match clusters {
                        None => pooled_t_p(n1, s1, n0, s0, difference),
                        Some(labels) => {
                            let units: Vec<usize> = (0..n)
                                .filter(|&i| (in_t(i) || in_c(i)) && x[i].is_some())
                                .collect();
                            let xs: Vec<f64> = units.iter().filter_map(|&i| x[i]).collect();
                            let treat = units.iter().map(|&i| f64::from(u8::from(in_t(i))));
                            let cl: Vec<&str> = units.iter().map(|&i| labels[i].as_str()).collect();
                            cluster_p(&xs, treat.collect(), &cl)
                        }
                    };
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
                        p_value: test.p_value,
                        std_error: test.std_error,
                        df: test.df,
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
                clusters,
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
    clusters: Option<&[String]>,
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
    if let Some(labels) = clusters {
        let cl: Vec<&str> = units.iter().map(|&i| labels[i].as_str()).collect();
        cluster_wald(&mut test, columns, &y, &cl);
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

/// The cluster-robust joint test: W = b'V⁻¹b of the slopes b with their CR2 variance V,
/// F = W/q on (q, G − 1) df (clubSandwich `Wald_test(test = "Naive-F")`). Leaves the test NaN
/// when V is singular (e.g. more slopes than clusters can identify).
fn cluster_wald(test: &mut JointTest, columns: Vec<Vec<f64>>, y: &[f64], labels: &[&str]) {
    let mut design = DesignMatrix::new();
    for (j, c) in columns.into_iter().enumerate() {
        design.push(format!("x{j}"), c);
    }
    let clusters = Clusters::from_labels(labels);
    let g = clusters.count;
    let Ok(fit) = lm_robust(&design, y, None, SeType::Cr2, Some(&clusters), &[]) else {
        return;
    };
    // Slopes: every kept column but the intercept (column 0).
    let slots: Vec<usize> = (0..fit.kept.len()).filter(|&s| fit.kept[s] != 0).collect();
    let q = slots.len();
    test.df1 = q;
    test.df2 = g.saturating_sub(1);
    if q == 0 || g < 2 {
        return;
    }
    let b = nalgebra::DVector::from_iterator(q, slots.iter().map(|&s| fit.coef[fit.kept[s]]));
    let v = fit.vcov.select_rows(&slots).select_columns(&slots);
    let Some(chol) = v.cholesky() else {
        return;
    };
    let w = b.dot(&chol.solve(&b));
    if !w.is_finite() {
        return;
    }
    let f = w / q as f64;
    test.f_statistic = f;
    test.p_value = pf_upper(f, q as f64, test.df2 as f64);
}
