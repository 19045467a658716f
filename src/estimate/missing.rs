//! Missing values: outcomes (attrition: counts and rates by arm, and a test of differential
//! attrition, the difference in missing rates between each arm and control, lm_robust HC2 of the
//! missing indicator on the arm indicators) and covariates. The effects use complete cases, with
//! a warning; a missing covariate is handled by [`MissingCovariates`]:
//!
//! - `Complete` (the default, as R's `lm_robust`/`lm_lin` with `na.action = na.omit`): a person
//!   with any covariate missing is left out of every model of that outcome ([`analysed_rows`]),
//!   and a warning counts them by arm and subgroup ([`complete_case_warning`]).
//! - `Indicator` (the missing-indicator method; White & Thompson 2005, Groenwold et al. 2012):
//!   [`with_indicators`] fills a missing number with the covariate's mean over every analysed
//!   person with it observed and adds the indicator `<covariate>_missing` right after it; a
//!   missing category becomes its own level `NA` (as R's `addNA`, a name no cell can have:
//!   `NA` is read as missing). Both are then covariates like the others (Lin-centred within
//!   each model). With the indicator in the model, the fill value does not change the
//!   treatment estimate nor its SE (filling with c instead of c' adds (c − c')·indicator to
//!   the column, a reparametrisation of the other coefficients, also after Lin's centring and
//!   interaction), so one fill per study is as good as one per model; it is the same for every
//!   outcome, subgroup and re-drawn assignment, which randomization inference needs.

use super::Code;
use super::ols::{DesignMatrix, lm_robust};
use super::rows::AttritionRow;
use super::vcov::SeType;
use super::{AnalysisData, Covariate, CovariateValues};
use crate::error::Result;
use std::borrow::Cow;

/// How a person with a missing covariate is analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingCovariates {
    /// Left out (complete cases, R's default `na.omit`).
    #[default]
    Complete,
    /// Missing-indicator method: mean-filled, with an indicator per covariate.
    Indicator,
}

/// The level a missing category becomes under the indicator method.
pub const MISSING_LEVEL: &str = "NA";
/// The indicator of a numeric covariate's missing values is named `<covariate>_missing`.
pub const INDICATOR_SUFFIX: &str = "_missing";

impl Covariate {
    /// Whether row `i`'s value is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match &self.values {
            CovariateValues::Number(v) => v[i].is_nan(),
            CovariateValues::Text(v) => v[i].is_none(),
        }
    }

    fn any_missing(&self) -> bool {
        match &self.values {
            CovariateValues::Number(v) => v.iter().any(|x| x.is_nan()),
            CovariateValues::Text(v) => v.iter().any(Option::is_none),
        }
    }
}

/// Whether every covariate of row `i` is given.
pub fn covariates_given(data: &AnalysisData, i: usize) -> bool {
    data.covariates.iter().all(|c| !c.is_missing(i))
}

/// The rows analysed for the outcome `y`: its value observed and every covariate given (complete
/// cases). The one rule of every model, of the fast statistic and of the randomization interval.
pub fn analysed_rows(data: &AnalysisData, y: &[f64]) -> Vec<usize> {
    use rayon::prelude::*;
    let n = data.n_rows();
    let analysed = |i: usize| !y[i].is_nan() && covariates_given(data, i);
    // Usually every row is: the list is then made at its full size at once, written by every
    // core (no growth by copying, the fresh pages spread over the cores); in row order either way.
    if (0..n).into_par_iter().all(analysed) {
        return (0..n).into_par_iter().collect();
    }
    (0..n).into_par_iter().filter(|&i| analysed(i)).collect()
}

/// The warning for the persons with the outcome observed whom a missing covariate leaves out,
/// counted by covariate, by arm (under `codes`) and by subgroup; None when there are none.
pub fn complete_case_warning(
    data: &AnalysisData,
    outcome: &str,
    y: &[f64],
    codes: &[Code],
) -> Option<String> {
    let observed: Vec<usize> = (0..data.n_rows()).filter(|&i| !y[i].is_nan()).collect();
    let dropped: Vec<usize> = observed
        .iter()
        .copied()
        .filter(|&i| !covariates_given(data, i))
        .collect();
    if dropped.is_empty() {
        return None;
    }
    let by_covariate: Vec<String> = data
        .covariates
        .iter()
        .filter_map(|c| {
            let k = dropped.iter().filter(|&&i| c.is_missing(i)).count();
            (k > 0).then(|| format!("{} {k}", c.name))
        })
        .collect();
    Some(format!(
        "{outcome}: {} of {} persons with an outcome left out for a missing covariate ({}); effects use complete cases (as lm_robust's na.omit; --missing-covariates indicator keeps them){}",
        dropped.len(),
        observed.len(),
        by_covariate.join(", "),
        counts_by_arm_and_subgroup(data, &dropped, codes)
    ))
}

/// `; by arm: a 3, b 2; by subgroup: g=F 1, g=M 4` for `rows` (every arm and level listed).
fn counts_by_arm_and_subgroup(data: &AnalysisData, rows: &[usize], codes: &[Code]) -> String {
    let arms: Vec<String> = data
        .treatment
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let k = rows.iter().filter(|&&i| codes[i] as usize == a).count();
            format!("{arm} {k}")
        })
        .collect();
    let mut text = format!("; by arm: {}", arms.join(", "));
    for by in &data.by {
        let levels: Vec<String> = (0..by.levels.len())
            .map(|l| {
                let k = rows.iter().filter(|&&i| by.codes[i] as usize == l).count();
                format!("{} {k}", by.label(l))
            })
            .collect();
        text.push_str(&format!("; by subgroup: {}", levels.join(", ")));
    }
    text
}

/// The data as `policy` analyses it, and notes: under `Indicator` with a covariate missing, the
/// data of [`with_indicators`]; otherwise the data itself (complete cases are chosen per outcome
/// by [`analysed_rows`]).
pub fn prepare(
    data: &AnalysisData,
    policy: MissingCovariates,
) -> (Cow<'_, AnalysisData>, Vec<String>) {
    if policy == MissingCovariates::Indicator && data.covariates.iter().any(Covariate::any_missing)
    {
        let (filled, notes) = with_indicators(data);
        (Cow::Owned(filled), notes)
    } else {
        (Cow::Borrowed(data), Vec::new())
    }
}

/// The missing-indicator method (see the module's comment): every covariate with a missing value
/// filled (numbers: the mean over the rows with it observed; categories: the level `NA`), a
/// numeric one followed by its indicator `<covariate>_missing`; and a note per covariate saying
/// how many were filled, by arm and subgroup.
pub fn with_indicators(data: &AnalysisData) -> (AnalysisData, Vec<String>) {
    let mut covariates = Vec::with_capacity(data.covariates.len());
    let mut notes = Vec::new();
    for c in &data.covariates {
        if !c.any_missing() {
            covariates.push(c.clone());
            continue;
        }
        let missing: Vec<usize> = (0..data.n_rows()).filter(|&i| c.is_missing(i)).collect();
        let counts = counts_by_arm_and_subgroup(data, &missing, &data.treatment.codes);
        match &c.values {
            CovariateValues::Number(v) => {
                let (sum, n) = v
                    .iter()
                    .filter(|x| !x.is_nan())
                    .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
                let mean = if n > 0 { sum / n as f64 } else { 0.0 };
                let indicator = format!("{}{INDICATOR_SUFFIX}", c.name);
                notes.push(format!(
                    "covariate {}: {} of {} values missing, filled with the mean of the others ({mean}) and adjusted for with the indicator `{indicator}` (missing-indicator method){counts}",
                    c.name,
                    missing.len(),
                    v.len()
                ));
                covariates.push(Covariate {
                    name: c.name.clone(),
                    values: CovariateValues::Number(
                        v.iter()
                            .map(|&x| if x.is_nan() { mean } else { x })
                            .collect(),
                    ),
                });
                covariates.push(Covariate {
                    name: indicator,
                    values: CovariateValues::Number(
                        v.iter().map(|x| f64::from(u8::from(x.is_nan()))).collect(),
                    ),
                });
            }
            CovariateValues::Text(v) => {
                notes.push(format!(
                    "covariate {}: {} of {} values missing, analysed as the level `{MISSING_LEVEL}` (missing-indicator method){counts}",
                    c.name,
                    missing.len(),
                    v.len()
                ));
                covariates.push(Covariate {
                    name: c.name.clone(),
                    values: CovariateValues::Text(
                        v.iter()
                            .map(|x| Some(x.clone().unwrap_or_else(|| MISSING_LEVEL.to_string())))
                            .collect(),
                    ),
                });
            }
        }
    }
    (
        AnalysisData {
            treatment: data.treatment.clone(),
            outcomes: data.outcomes.clone(),
            covariates,
            by: data.by.clone(),
            strata: data.strata.clone(),
            cluster: data.cluster.clone(),
            weights: data.weights.clone(),
            participation: data.participation.clone(),
            ids: data.ids.clone(),
        },
        notes,
    )
}

/// Attrition rows for one outcome in one subgroup: one row per arm (control first).
pub fn attrition(
    outcome: &str,
    subgroup: &str,
    y: &[f64],
    arms: &[String],
    codes: &[Code],
    rows: &[usize],
) -> Result<Vec<AttritionRow>> {
    use rayon::prelude::*;
    // Persons and missing outcomes per arm, and missing outcomes in all, counted in parallel in
    // one pass (integer counts: the same for any split of the rows).
    let tally = |arms: usize| (vec![(0usize, 0usize); arms], 0usize);
    let (counts, missing_in_all) = rows
        .par_iter()
        .with_min_len(1 << 14)
        .fold(
            || tally(arms.len()),
            |(mut counts, mut missing), &i| {
                let nan = usize::from(y[i].is_nan());
                missing += nan;
                if let Some(c) = counts.get_mut(codes[i] as usize) {
                    c.0 += 1;
                    c.1 += nan;
                }
                (counts, missing)
            },
        )
        .reduce(
            || tally(arms.len()),
            |(mut counts, missing), (more, more_missing)| {
                for (c, m) in counts.iter_mut().zip(more) {
                    c.0 += m.0;
                    c.1 += m.1;
                }
                (counts, missing + more_missing)
            },
        );
    let any_missing = missing_in_all > 0;
    // The test needs a model only when something is missing (and the 0/1 column only then).
    let missing: Vec<f64> = if any_missing {
        rows.iter()
            .map(|&i| f64::from(u8::from(y[i].is_nan())))
            .collect()
    } else {
        Vec::new()
    };
    let fit = if any_missing && rows.len() > arms.len() {
        let mut design = DesignMatrix::new();
        design.push("(Intercept)", vec![1.0; rows.len()]);
        for (a, arm) in arms.iter().enumerate().skip(1) {
            design.push(
                arm.clone(),
                rows.iter()
                    .map(|&i| f64::from(u8::from(codes[i] as usize == a)))
                    .collect(),
            );
        }
        lm_robust(&design, &missing, None, SeType::Hc2, None, &[]).ok()
    } else {
        None
    };
    let mut out = Vec::new();
    for (a, arm) in arms.iter().enumerate() {
        let (n_in_arm, n_missing) = counts[a];
        // Fisher's exact test of the 2 × 2 table (this arm, control) × (missing, observed): the
        // test of differential attrition where counts are small (R's fisher.test).
        let p_value_fisher = match a {
            0 => f64::NAN,
            _ => {
                let row = |(n, m): (usize, usize)| vec![m as u64, (n - m) as u64];
                match crate::targets::contingency::fisher_exact(&[row(counts[a]), row(counts[0])]) {
                    crate::targets::contingency::Fisher::Computed { p_value, .. } => p_value,
                    // Nothing missing (or nothing observed) in both arms: no difference to test.
                    _ => 1.0,
                }
            }
        };
        let (difference, std_error, p_value) = match (&fit, a) {
            (_, 0) => (f64::NAN, f64::NAN, f64::NAN),
            (Some(f), _) => {
                let (d, s, df) = (f.coef[a], f.std_error[a], f.df[a]);
                let (_, p, _, _) = super::t_inference(d, s, df, 0.05);
                (d, s, p)
            }
            (None, _) => (0.0, f64::NAN, f64::NAN),
        };
        out.push(AttritionRow {
            outcome: outcome.to_string(),
            subgroup: subgroup.to_string(),
            arm: arm.clone(),
            n: n_in_arm,
            n_missing,
            rate_missing: n_missing as f64 / n_in_arm.max(1) as f64,
            difference,
            std_error,
            p_value,
            p_value_fisher,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differential_attrition_has_fishers_exact_p_value_as_r_gives_it() {
        // Offered arm: 20 persons, 6 missing; control: 15 persons, 1 missing. R:
        // fisher.test(matrix(c(6, 14, 1, 14), 2, byrow = TRUE))$p.value = 0.19867960835866355.
        let mut y = vec![1.0; 35];
        for i in [0, 1, 2, 3, 4, 5, 20] {
            y[i] = f64::NAN;
        }
        // Persons 0–19 offered (code 1), 20–34 control (code 0).
        let codes: Vec<Code> = (0..35).map(|i| Code::from(i < 20)).collect();
        let arms = vec!["standard".to_string(), "md1".to_string()];
        let rows: Vec<usize> = (0..35).collect();
        let out = attrition("y", "all", &y, &arms, &codes, &rows).unwrap();
        assert!(out[0].p_value_fisher.is_nan());
        assert_eq!((out[1].n, out[1].n_missing), (20, 6));
        assert!((out[1].p_value_fisher - 0.19867960835866355).abs() < 1e-12);
        // Nothing missing anywhere: nothing to test, p = 1 (as fisher.test).
        let full = vec![1.0; 35];
        let out = attrition("y", "all", &full, &arms, &codes, &rows).unwrap();
        assert_eq!(out[1].p_value_fisher, 1.0);
    }

    #[test]
    fn attrition_counts_are_the_rows_counted_one_by_one_on_any_number_of_threads() {
        // 100,003 rows in three arms, every seventh outcome missing in arm 2 and every
        // eleventh elsewhere, the rows a subset out of order of appearance: pieces of 16,384
        // rows are counted apart and added.
        let n = 100_003;
        let codes: Vec<Code> = (0..n).map(|i| ((i * 7919) % 3) as Code).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let gap = if codes[i] == 2 { 7 } else { 11 };
                if i % gap == 0 {
                    f64::NAN
                } else {
                    (i % 5) as f64
                }
            })
            .collect();
        let rows: Vec<usize> = (0..n).filter(|i| i % 13 != 4).collect();
        let arms: Vec<String> = ["control", "a", "b"].map(String::from).to_vec();
        let mut expected = vec![(0usize, 0usize); 3];
        for &i in &rows {
            expected[codes[i] as usize].0 += 1;
            expected[codes[i] as usize].1 += usize::from(y[i].is_nan());
        }
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let out = pool
                .install(|| attrition("y", "all", &y, &arms, &codes, &rows))
                .unwrap();
            let got: Vec<(usize, usize)> = out.iter().map(|r| (r.n, r.n_missing)).collect();
            assert_eq!(got, expected, "{threads} threads");
            // Something is missing: the differences in missing rates are estimated.
            assert!(out[1].difference.is_finite() && out[2].difference.is_finite());
        }
    }
}
