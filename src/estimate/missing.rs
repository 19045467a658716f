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
use super::rows::AttritionRow;
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
            CovariateValues::Number(v) => any_nan(v),
            CovariateValues::Text(v) => v.iter().any(Option::is_none),
        }
    }
}

/// Whether any value is NaN (missing), on every core: each piece is checked whole, in a loop
/// without an exit that the compiler vectorises; a piece with a NaN stops the others.
fn any_nan(values: &[f64]) -> bool {
    use rayon::prelude::*;
    values
        .par_chunks(1 << 14)
        .any(|piece| piece.iter().fold(false, |seen, x| seen | x.is_nan()))
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
    // Checked column by column (a tight loop per column, where a row by row check matched each
    // covariate's kind on every row).
    if !any_nan(y) && !data.covariates.iter().any(Covariate::any_missing) {
        return (0..n).into_par_iter().collect();
    }
    super::rows_where(n, analysed)
}

/// The warning for the persons with the outcome observed whom a missing covariate leaves out,
/// counted by covariate, by arm (under `codes`) and by subgroup; None when there are none.
pub fn complete_case_warning(
    data: &AnalysisData,
    outcome: &str,
    y: &[f64],
    codes: &[Code],
) -> Option<String> {
    use rayon::prelude::*;
    // Counted and listed on every core, without a list of the observed rows (8 bytes a row).
    let observed = y.par_iter().filter(|v| !v.is_nan()).count();
    let dropped = super::rows_where(data.n_rows(), |i| {
        !y[i].is_nan() && !covariates_given(data, i)
    });
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
        observed,
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

/// The difference in missing-outcome rates between an arm (n persons, m missing) and the
/// control, and its HC2 standard error. The least-squares fit of the 0/1 indicator of a missing
/// outcome on the arm indicators is saturated (one mean per arm), so every person's leverage is
/// 1/n of their arm and HC2's Σ e²/(1 − h) / n² for an arm's mean is, with Σ e² = n p(1 − p),
/// p(1 − p)/(n − 1): the Neyman variance (MacKinnon & White 1985; Samii & Aronow 2012). The
/// same numbers as estimatr's `lm_robust(missing ~ arm, se_type = "HC2")`, without its n-length
/// columns (at a million rows they were the run's memory peak).
fn missing_rate_difference((n1, m1): (usize, usize), (n0, m0): (usize, usize)) -> (f64, f64) {
    let rate = |n: usize, m: usize| m as f64 / n as f64;
    let (p1, p0) = (rate(n1, m1), rate(n0, m0));
    // An arm of one person: leverage one, left out of the variance as by lotta's HC2
    // (`vcov::LEVERAGE_ONE_TOLERANCE`).
    let variance = |n: usize, p: f64| match n {
        0 | 1 => 0.0,
        _ => p * (1.0 - p) / (n as f64 - 1.0),
    };
    (p1 - p0, (variance(n1, p1) + variance(n0, p0)).sqrt())
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
    let test = (any_missing && rows.len() > arms.len()).then(|| {
        let present: Vec<bool> = counts.iter().map(|&(n, _)| n > 0).collect();
        (present.iter().filter(|&&p| p).count(), present)
    });
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
        let (difference, std_error, p_value) = match (&test, a) {
            (_, 0) => (f64::NAN, f64::NAN, f64::NAN),
            (Some((rank, present)), _) if present[0] && present[a] => {
                let (d, s) = missing_rate_difference(counts[a], counts[0]);
                let df = (rows.len() - rank) as f64;
                let (_, p, _, _) = super::t_inference(d, s, df, 0.05);
                (d, s, p)
            }
            // An arm without persons (or no control): its coefficient is not estimable.
            (Some(_), _) => (f64::NAN, f64::NAN, f64::NAN),
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
    use crate::estimate::ols::{DesignMatrix, lm_robust};
    use crate::estimate::vcov::SeType;

    /// `attrition`'s test columns (difference, SE, p) of each arm but the control.
    fn tests_of(rows: &[AttritionRow]) -> Vec<(f64, f64, f64)> {
        rows.iter()
            .skip(1)
            .map(|r| (r.difference, r.std_error, r.p_value))
            .collect()
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300) || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn any_nan_finds_a_nan_anywhere_on_any_number_of_threads() {
        // Pieces of 16,384: a NaN at either end of a piece, in the short last piece, alone.
        let n = 3 * (1 << 14) + 5;
        let clean: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 7.0).collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert!(!any_nan(&clean));
                assert!(!any_nan(&[]));
                assert!(any_nan(&[f64::NAN]));
                for at in [0, 1, (1 << 14) - 1, 1 << 14, 2 * (1 << 14) + 7, n - 1] {
                    let mut values = clean.clone();
                    values[at] = f64::NAN;
                    assert!(any_nan(&values), "a NaN at {at}, {threads} threads");
                }
            });
        }
        // Infinities are values, not missing.
        assert!(!any_nan(&[f64::INFINITY, f64::NEG_INFINITY, -0.0]));
    }

    #[test]
    // R's values as it prints them with 17 significant digits.
    #[allow(clippy::excessive_precision)]
    fn attrition_test_is_lm_robust_hc2_of_the_missing_indicator_on_arm() {
        // tests/reference/estimate/attrition_hc2.R: control 15 persons (1 missing), a 20 (6),
        // b 7 (all missing), c 3 (1); estimatr 1.0's lm_robust, HC2, df 41.
        let sizes = [(15, 1), (20, 6), (7, 7), (3, 1)];
        let mut codes = Vec::new();
        let mut y = Vec::new();
        for (a, &(n, m)) in sizes.iter().enumerate() {
            for k in 0..n {
                codes.push(a as Code);
                y.push(if k < m { f64::NAN } else { 1.0 });
            }
        }
        let arms: Vec<String> = ["control", "a", "b", "c"].map(String::from).to_vec();
        let rows: Vec<usize> = (0..y.len()).collect();
        let got = tests_of(&attrition("y", "all", &y, &arms, &codes, &rows).unwrap());
        let r = [
            (
                0.23333333333333334,
                0.12448725245338094,
                0.068018718958077887,
            ),
            (
                0.93333333333333324,
                0.066666666666666582,
                3.2492673587493487e-17,
            ),
            (
                0.26666666666666644,
                0.33993463423951908,
                0.43727674451576881,
            ),
        ];
        for ((d, s, p), (rd, rs, rp)) in got.into_iter().zip(r) {
            assert!(close(d, rd, 1e-12), "{d} vs {rd}");
            assert!(close(s, rs, 1e-12), "{s} vs {rs}");
            // The smallest p-value is a t tail far out: agreement to 1e-8 relative there.
            assert!(close(p, rp, 1e-8), "{p} vs {rp}");
        }
    }

    #[test]
    fn attrition_test_equals_the_hc2_fit_it_replaces_on_random_data() {
        // Arms of 1, 2, 5 and 200 persons, rates 0 to 1, 2 and 3 arms, rows a subset: the
        // closed form against the fit of the missing indicator on arm dummies (lm_robust, HC2).
        let mut single = false;
        let mut state = 17u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for (case, sizes) in [vec![200, 180], vec![50, 5, 2], vec![30, 1, 40], vec![9, 12]]
            .into_iter()
            .enumerate()
        {
            let rate: Vec<f64> = sizes.iter().map(|_| next()).collect();
            let mut codes = Vec::new();
            let mut y = Vec::new();
            for (a, &n) in sizes.iter().enumerate() {
                for _ in 0..n {
                    codes.push(a as Code);
                    y.push(if next() < rate[a] { f64::NAN } else { 0.5 });
                }
            }
            let rows: Vec<usize> = (0..y.len()).filter(|i| i % 7 != 3).collect();
            let arms: Vec<String> = (0..sizes.len()).map(|a| a.to_string()).collect();
            let got = tests_of(&attrition("y", "all", &y, &arms, &codes, &rows).unwrap());
            let mut design = DesignMatrix::new();
            design.push("(Intercept)", vec![1.0; rows.len()]);
            for a in 1..sizes.len() {
                design.push(
                    a.to_string(),
                    rows.iter()
                        .map(|&i| f64::from(u8::from(codes[i] as usize == a)))
                        .collect(),
                );
            }
            let missing: Vec<f64> = rows
                .iter()
                .map(|&i| f64::from(u8::from(y[i].is_nan())))
                .collect();
            let fit = lm_robust(&design, &missing, None, SeType::Hc2, None, &[]).unwrap();
            for (a, (d, s, p)) in got.into_iter().enumerate().map(|(k, t)| (k + 1, t)) {
                single |= rows.iter().filter(|&&i| codes[i] as usize == a).count() == 1;
                assert!(close(d, fit.coef[a], 1e-10), "case {case} arm {a}: {d}");
                assert!(
                    close(s, fit.std_error[a], 1e-9),
                    "case {case} arm {a}: {s} vs {}",
                    fit.std_error[a]
                );
                let (_, fit_p, _, _) =
                    crate::estimate::t_inference(fit.coef[a], fit.std_error[a], fit.df[a], 0.05);
                assert!(close(p, fit_p, 1e-8), "case {case} arm {a}: {p} vs {fit_p}");
            }
        }
        assert!(single, "an arm of one person among the rows");
    }

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
