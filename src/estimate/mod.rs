//! Intention-to-treat and participation effects, overall, by subgroup and the difference between
//! subgroups, from analysis-ready columns: pure functions, no files. One estimator per file
//! (`dim`, `ols`, `lin`, `fe`, `iv`), the variance estimators in `vcov`, attrition in `missing`,
//! randomization inference in `ri`, multiple-testing adjustment in `adjust`.
//!
//! [`estimate_all`] produces every row for a study; it takes an optional re-assignment so that
//! randomization inference can recompute the same estimates for hypothetical assignments
//! ([`recompute`], [`binary_statistic`]).

pub mod adjust;
pub mod clusters;
pub mod diagnose;
pub mod dim;
pub mod fast;
pub mod fe;
pub mod inference;
pub mod iv;
pub mod lin;
pub mod missing;
pub mod ols;
pub mod ri;
pub mod rows;
pub mod subsets;
pub mod vcov;
pub mod weights;
pub mod wild;

use crate::categorical::Codes;
use crate::error::{Error, Result};
use crate::linalg;
use ols::{CovariateView, DesignMatrix, LazyDesignMatrix, expand_covariates, lm_robust_lazy};
use rayon::prelude::*;
use rows::{AttritionRow, EffectKind, EffectRow, RowEstimator, SeRule};
use vcov::{Clusters, SeType};

/// Which columns the analysis uses, by role: what `io::analysis_data` reads into an
/// [`AnalysisData`] (the settings build it; the loader fills it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisColumns {
    pub outcomes: Vec<String>,
    /// The treatment column: 0/1, or arms (then `control` names the control arm).
    pub treatment: String,
    pub control: Option<String>,
    pub covariates: Vec<String>,
    pub by: Option<String>,
    /// Columns whose combinations are the strata.
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    /// A column of weights (ad hoc; with a study, IPW weights come from the ledger).
    pub weights: Option<String>,
    pub participation: Option<String>,
    /// Covariates declared categorical: read as text (each level an indicator) even when their
    /// cells are numbers (codes).
    pub categorical: Vec<String>,
}

impl AnalysisColumns {
    /// The covariates that must hold numbers (those not declared categorical).
    pub fn numeric_covariates(&self) -> Vec<String> {
        self.covariates
            .iter()
            .filter(|c| !self.categorical.contains(c))
            .cloned()
            .collect()
    }
}

/// A categorical column: sorted levels and each row's level index.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    pub levels: Vec<String>,
    pub codes: Vec<usize>,
}

impl Factor {
    /// Levels in level order ([`crate::categorical`]), codes into them.
    pub fn from_labels(name: impl Into<String>, labels: &[String]) -> Factor {
        let Codes { codes, levels } =
            Codes::in_level_order(labels.iter().map(String::as_str)).map_levels(str::to_string);
        Factor {
            name: name.into(),
            levels,
            codes,
        }
    }
}

/// A covariate's values; a missing value is NaN or None (see [`missing::MissingCovariates`]).
#[derive(Debug, Clone, PartialEq)]
pub enum CovariateValues {
    Number(Vec<f64>),
    /// Text: enters as indicators of every level but the first.
    Text(Vec<Option<String>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    pub name: String,
    pub values: CovariateValues,
}

/// The assigned arm of every row. `arms[0]` is the control arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    /// The treatment column's name (the term in output rows).
    pub name: String,
    pub arms: Vec<String>,
    pub codes: Vec<usize>,
}

impl Treatment {
    /// The term naming arm `a` (≥ 1): the column name with two arms, `<column>=<arm>` otherwise.
    pub fn term(&self, a: usize) -> String {
        if self.arms.len() == 2 {
            self.name.clone()
        } else {
            format!(
                "{}={}",
                self.name,
                self.arms.get(a).map_or("?", String::as_str)
            )
        }
    }
}

/// Analysis-ready columns, all of the same length (one row per participant in the ledger).
/// Subgroups, strata, clusters and weights are complete; outcomes may be NaN (missing: lost to
/// follow-up) and covariates missing (NaN, None: handled as [`EstimateOptions`] says).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisData {
    pub treatment: Treatment,
    pub outcomes: Vec<(String, Vec<f64>)>,
    pub covariates: Vec<Covariate>,
    pub by: Option<Factor>,
    pub strata: Option<Factor>,
    pub cluster: Option<Factor>,
    /// Inverse-probability weights (1 / probability of the arm assigned).
    pub weights: Option<Vec<f64>>,
    /// Participation (0/1) for the 2SLS effect.
    pub participation: Option<(String, Vec<f64>)>,
    /// The ledger id of every row (study data; None for an ad hoc file), so that re-drawn
    /// assignments can be matched to rows.
    pub ids: Option<Vec<String>>,
}

impl AnalysisData {
    pub fn n_rows(&self) -> usize {
        self.treatment.codes.len()
    }
}

/// The ITT estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    Dim,
    Ols,
    Lin,
    Fe,
}

impl Estimator {
    pub fn parse(text: &str) -> Option<Estimator> {
        Some(match text.to_ascii_lowercase().as_str() {
            "dim" => Estimator::Dim,
            "ols" => Estimator::Ols,
            "lin" => Estimator::Lin,
            "fe" => Estimator::Fe,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Estimator::Dim => "dim",
            Estimator::Ols => "ols",
            Estimator::Lin => "lin",
            Estimator::Fe => "fe",
        }
    }
}

/// How to estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateOptions {
    pub estimator: Estimator,
    /// None: HC2, or CR2 with clusters (estimatr's defaults).
    pub se: Option<SeType>,
    /// 1 − confidence level (0.05).
    pub alpha: f64,
    /// Persons with a missing covariate: complete cases (default) or the indicator method.
    pub missing_covariates: missing::MissingCovariates,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            estimator: Estimator::Lin,
            se: None,
            alpha: 0.05,
            missing_covariates: missing::MissingCovariates::Complete,
        }
    }
}

/// Every row, and the warnings to show (collinear columns dropped, missing outcomes, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    pub rows: Vec<EffectRow>,
    pub attrition: Vec<AttritionRow>,
    pub warnings: Vec<String>,
    /// Cluster diagnostics of each overall treatment term (with clusters; not for re-drawn
    /// assignments).
    pub clusters: Vec<ClusterReport>,
}

/// The cluster diagnostics ([`clusters::ClusterDiagnostics`]) of one outcome's overall effect.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterReport {
    pub outcome: String,
    pub term: String,
    /// The cluster column and the label of each diagnosed cluster, in the diagnostics' order.
    pub cluster: String,
    pub labels: Vec<String>,
    pub diagnostics: clusters::ClusterDiagnostics,
}

/// Work beyond the estimates, done on the fitted models while they are in memory.
#[derive(Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The wild cluster bootstrap of every regression row, and where to report its progress.
    pub wild: Option<(&'a wild::WildOptions, &'a dyn crate::progress::Progress)>,
    /// Cluster diagnostics of the overall effects.
    pub diagnostics: bool,
}

/// t statistic, two-sided p-value and (1 − α) interval with `df` degrees of freedom
/// (estimatr `add_cis_pvals`: `2 * pt(abs(t), df, lower.tail = FALSE)` and
/// `qt(1 - alpha / 2, df)`, both from [`crate::dist`]).
pub fn t_inference(estimate: f64, se: f64, df: f64, alpha: f64) -> (f64, f64, f64, f64) {
    let stat = estimate / se;
    if !(df.is_finite() && df > 0.0 && se.is_finite() && se > 0.0) {
        return (stat, f64::NAN, f64::NAN, f64::NAN);
    }
    let p = crate::dist::t_two_sided_p(stat, df);
    let q = crate::dist::qt(1.0 - alpha / 2.0, df);
    (stat, p, estimate - q * se, estimate + q * se)
}

/// Resolve the SE type against the design (estimatr `check_se_type`).
pub fn resolve_se(se: Option<SeType>, clustered: bool) -> Result<SeType> {
    match (se, clustered) {
        (None, false) => Ok(SeType::Hc2),
        (None, true) => Ok(SeType::Cr2),
        (Some(s), true) if !s.is_cluster() => Err(Error::compute(format!(
            "--se {} ignores the clusters; with --cluster use cr0, cr1, cr2 or cv3",
            s.label().to_lowercase()
        ))),
        (Some(s), false) if s.is_cluster() => Err(Error::compute(format!(
            "--se {} needs clusters; give --cluster COLUMN or use hc0..hc3",
            s.label().to_lowercase()
        ))),
        (Some(s), _) => Ok(s),
    }
}

struct Group {
    label: String,
    rows: Vec<usize>,
}

/// All effect rows: for each outcome, the effect of each arm vs control overall and in each level
/// of `by`, the difference between each level and the last level (interaction model), and the
/// 2SLS effect of participation when a participation column is given (overall, in each level,
/// and the difference between levels from the interaction IV model).
///
/// `assignment` replaces the data's assignment (for randomization inference).
pub fn estimate_all(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: Option<&[usize]>,
) -> Result<Estimates> {
    let extras = Extras {
        wild: None,
        diagnostics: assignment.is_none(),
    };
    estimate_with(data, options, assignment, &extras)
}

/// [`estimate_all`] with the extras: the wild cluster bootstrap of every regression row
/// (`EffectRow::p_value_wild` …) and the cluster diagnostics of the overall effects.
pub fn estimate_with(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: Option<&[usize]>,
    extras: &Extras<'_>,
) -> Result<Estimates> {
    let codes: &[usize] = assignment.unwrap_or(&data.treatment.codes);
    let (data, filled) = missing::prepare(data, options.missing_covariates);
    let data: &AnalysisData = &data;
    let n = data.n_rows();
    if codes.len() != n {
        return Err(Error::compute(format!(
            "the assignment has {} entries for {n} rows",
            codes.len()
        )));
    }
    let arms = &data.treatment.arms;
    if arms.len() < 2 {
        return Err(Error::compute(
            "the treatment has a single arm; effects need a control arm and at least one other",
        ));
    }
    let se = resolve_se(options.se, data.cluster.is_some())?;
    let mut rows = Vec::new();
    let mut attrition_rows = Vec::new();
    // The difference in means with strata is blocked on them (the rows say so).
    let itt = if options.estimator == Estimator::Dim && data.strata.is_some() {
        EffectKind::BlockedDim
    } else {
        EffectKind::Itt(options.estimator)
    };
    let mut warnings = filled;
    let mut cluster_reports = Vec::new();
    for (outcome, y) in &data.outcomes {
        let complete = missing::analysed_rows(data, y);
        let observed = y.iter().filter(|v| !v.is_nan()).count();
        if observed < n {
            let missing = n - observed;
            warnings.push(format!(
                "{outcome}: {missing} of {n} outcomes missing ({:.1}%); effects use complete cases (see the attrition table)",
                100.0 * missing as f64 / n as f64
            ));
        }
        warnings.extend(missing::complete_case_warning(data, outcome, y, codes));
        let mut groups = vec![Group {
            label: "all".to_string(),
            rows: complete.clone(),
        }];
        if let Some(by) = &data.by {
            for (l, level) in by.levels.iter().enumerate() {
                groups.push(Group {
                    label: format!("{}={level}", by.name),
                    rows: complete
                        .iter()
                        .copied()
                        .filter(|&i| by.codes[i] == l)
                        .collect(),
                });
            }
        }
        // Attrition on all rows of each group (missing or not); not for re-drawn assignments.
        let all_rows: Vec<usize> = if assignment.is_none() {
            (0..n).collect()
        } else {
            Vec::new()
        };
        if assignment.is_none() {
            attrition_rows.extend(missing::attrition(
                outcome, "all", y, arms, codes, &all_rows,
            )?);
        }
        if let Some(by) = &data.by
            && assignment.is_none()
        {
            for (l, level) in by.levels.iter().enumerate() {
                let sub: Vec<usize> = (0..n).filter(|&i| by.codes[i] == l).collect();
                attrition_rows.extend(missing::attrition(
                    outcome,
                    &format!("{}={level}", by.name),
                    y,
                    arms,
                    codes,
                    &sub,
                )?);
            }
        }
        for group in &groups {
            check_group(outcome, &group.label, &group.rows, arms, codes)?;
        }
        // The subgroup fits and the interaction model are fitted one after another (each fit is
        // parallel inside): only one model's design matrix is in memory at a time, and the
        // next model reuses its memory.
        let by_levels = data.by.as_ref().filter(|by| by.levels.len() >= 2);
        let group_results: Vec<_> = groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let mut w = Vec::new();
                let at = format!("{outcome}, {}", group.label);
                // Diagnostics for the overall effect only (the first group).
                let extras = Extras {
                    diagnostics: extras.diagnostics && g == 0,
                    ..*extras
                };
                group_effects(
                    data,
                    options,
                    se,
                    codes,
                    y,
                    &group.rows,
                    &at,
                    &extras,
                    &mut w,
                )
                .map(|effects| (effects, w))
                .map_err(|e| context(e, outcome, &group.label))
            })
            .collect();
        let diff_result = by_levels.map(|by| {
            let mut w = Vec::new();
            let at = format!("{outcome}, the interaction model");
            let extras = Extras {
                diagnostics: false,
                ..*extras
            };
            differences(
                data, options, se, codes, y, &complete, by, &at, &extras, &mut w,
            )
            .map(|d| (d, w))
            .map_err(|e| context(e, outcome, "the interaction model"))
        });
        for (group, result) in groups.iter().zip(group_results) {
            let (effects, w) = result?;
            merge_warnings(&mut warnings, w);
            for (a, effect) in effects {
                if let (Some(d), Some(cluster)) = (&effect.diagnostics, &data.cluster) {
                    cluster_reports.push(ClusterReport {
                        outcome: outcome.clone(),
                        term: data.treatment.term(a),
                        cluster: cluster.name.clone(),
                        labels: d.0.iter().map(|&c| cluster.levels[c].clone()).collect(),
                        diagnostics: d.1.clone(),
                    });
                }
                rows.push(row(
                    data,
                    options,
                    outcome,
                    &group.label,
                    a,
                    codes,
                    y,
                    &group.rows,
                    effect,
                    itt,
                ));
            }
        }
        if let Some(result) = diff_result {
            let (diffs, w) = result?;
            merge_warnings(&mut warnings, w);
            for (label, a, effect, group_rows) in diffs {
                rows.push(without_means(row(
                    data,
                    options,
                    outcome,
                    &label,
                    a,
                    codes,
                    y,
                    &group_rows,
                    effect,
                    itt,
                )));
            }
        }
        if let Some((pname, took_part)) = &data.participation {
            if arms.len() != 2 {
                return Err(Error::compute(
                    "the 2SLS effect of participation needs exactly two arms (offered and control)",
                ));
            }
            for group in &groups {
                let iv_rows: Vec<usize> = group
                    .rows
                    .iter()
                    .copied()
                    .filter(|&i| !took_part[i].is_nan())
                    .collect();
                let effect = iv_effect(data, se, codes, y, took_part, &iv_rows)
                    .map_err(|e| context(e, outcome, &group.label))?;
                let mut r = row(
                    data,
                    options,
                    outcome,
                    &group.label,
                    1,
                    codes,
                    y,
                    &iv_rows,
                    effect.0,
                    EffectKind::Participation,
                );
                r.term = pname.clone();
                r.first_stage_f = Some(effect.1);
                rows.push(r);
            }
            if let Some(by) = by_levels {
                let iv_rows: Vec<usize> = complete
                    .iter()
                    .copied()
                    .filter(|&i| !took_part[i].is_nan())
                    .collect();
                let diffs = iv_differences(data, se, codes, y, took_part, &iv_rows, by)
                    .map_err(|e| context(e, outcome, "the 2SLS interaction model"))?;
                for (label, effect, first_stage_f, group_rows) in diffs {
                    let mut r = without_means(row(
                        data,
                        options,
                        outcome,
                        &label,
                        1,
                        codes,
                        y,
                        &group_rows,
                        effect,
                        EffectKind::Participation,
                    ));
                    r.term = pname.clone();
                    r.first_stage_f = Some(first_stage_f);
                    rows.push(r);
                }
            }
        }
    }
    diagnose::rows(&mut rows, &mut warnings);
    if assignment.is_none() {
        diagnose::data(data, codes, &mut warnings);
    }
    diagnose::clusters(&cluster_reports, &mut warnings);
    Ok(Estimates {
        rows,
        attrition: attrition_rows,
        warnings,
        clusters: cluster_reports,
    })
}

/// The estimates (only) of [`estimate_all`] under another assignment, in row order — the
/// statistic randomization inference recomputes for each re-drawn assignment.
pub fn recompute(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: &[usize],
) -> Result<Vec<f64>> {
    Ok(estimate_all(data, options, Some(assignment))?
        .rows
        .iter()
        .map(|r| r.estimate)
        .collect())
}

/// For a two-arm study: a function from a 0/1 treatment vector (1 = the non-control arm) to the
/// estimates of every row, for randomization inference.
pub fn binary_statistic<'a>(
    data: &'a AnalysisData,
    options: &'a EstimateOptions,
) -> impl Fn(&[f64]) -> Result<Vec<f64>> + 'a {
    move |t: &[f64]| {
        let codes: Vec<usize> = t.iter().map(|&v| usize::from(v > 0.5)).collect();
        recompute(data, options, &codes)
    }
}

fn merge_warnings(warnings: &mut Vec<String>, new: Vec<String>) {
    for w in new {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
}

fn context(err: Error, outcome: &str, group: &str) -> Error {
    match err {
        Error::Compute(mut problem) => {
            problem.message = format!("{outcome}, {group}: {}", problem.message);
            Error::Compute(problem)
        }
        other => other,
    }
}

fn check_group(
    outcome: &str,
    label: &str,
    rows: &[usize],
    arms: &[String],
    codes: &[usize],
) -> Result<()> {
    if rows.len() < 2 {
        return Err(Error::compute(format!(
            "{outcome}, {label}: {} observation(s) with an outcome; an effect needs at least one per arm and more than one in all",
            rows.len()
        ))
        .with_hint("drop this subgroup (--by) or check the outcome file"));
    }
    for (a, arm) in arms.iter().enumerate() {
        if !rows.iter().any(|&i| codes[i] == a) {
            return Err(Error::compute(format!(
                "{outcome}, {label}: arm `{arm}` has no observations with an outcome"
            ))
            .with_hint("check the assignment ledger and the outcome file, or drop --by"));
        }
    }
    Ok(())
}

/// One effect: estimate, SE, df and the SE rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    pub se_type: SeRule,
    /// The wild cluster bootstrap, when asked for (regression rows).
    pub wild: Option<wild::WildResult>,
    /// Cluster diagnostics, when asked for: the data's cluster code of each diagnosed cluster,
    /// and the diagnostics.
    pub diagnostics: Option<(Vec<usize>, clusters::ClusterDiagnostics)>,
}

impl Effect {
    /// An effect without bootstrap or diagnostics.
    fn plain(estimate: f64, std_error: f64, df: f64, se_type: SeRule) -> Effect {
        Effect {
            estimate,
            std_error,
            df,
            se_type,
            wild: None,
            diagnostics: None,
        }
    }
}

fn subset<T: Copy + Send + Sync>(values: &[T], rows: &[usize]) -> Vec<T> {
    use rayon::prelude::*;
    rows.par_iter().map(|&i| values[i]).collect()
}

fn covariate_views(data: &AnalysisData) -> Vec<(String, CovariateView<'_>)> {
    data.covariates
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                match &c.values {
                    CovariateValues::Number(v) => CovariateView::Number(v),
                    CovariateValues::Text(v) => CovariateView::Text(v),
                },
            )
        })
        .collect()
}

fn clusters_of(data: &AnalysisData, rows: &[usize]) -> Option<Clusters> {
    data.cluster
        .as_ref()
        .map(|c| Clusters::from_codes(&subset(&c.codes, rows)))
}

fn treatment_design(data: &AnalysisData, codes: &[usize], rows: &[usize]) -> DesignMatrix {
    let mut d = DesignMatrix::new();
    for a in 1..data.treatment.arms.len() {
        d.push(
            data.treatment.term(a),
            rows.par_iter()
                .map(|&i| f64::from(u8::from(codes[i] == a)))
                .collect(),
        );
    }
    d
}

/// Warn about dropped columns; a dropped treatment term is reported as not identified instead
/// (by [`fit_terms`], from the fit's `unidentified`).
fn note_dropped(dropped: &[String], protected: &[String], warnings: &mut Vec<String>) {
    for name in dropped.iter().filter(|n| !protected.contains(n)) {
        push_new(
            warnings,
            format!(
                "column `{name}` dropped: collinear with earlier columns or constant (as R's lm)"
            ),
        );
    }
}

fn push_new(warnings: &mut Vec<String>, w: String) {
    if !warnings.contains(&w) {
        warnings.push(w);
    }
}

/// Says which observations had leverage one: their number and, for each, the stratum or the
/// covariate level it holds alone among the fitted rows (else its position among them).
fn leverage_one_warning(
    data: &AnalysisData,
    rows: &[usize],
    leverage_one: &[usize],
    se: SeType,
    at: &str,
) -> String {
    use std::collections::BTreeMap;
    // Levels held by a single fitted row: (factor name, level) by row.
    let mut alone: BTreeMap<usize, String> = BTreeMap::new();
    let mut single = |name: &str, level_of: &dyn Fn(usize) -> String| {
        let mut count: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (r, &i) in rows.iter().enumerate() {
            let e = count.entry(level_of(i)).or_insert((0, r));
            e.0 += 1;
        }
        for (level, (n, r)) in count {
            if n == 1 {
                alone.entry(r).or_insert(format!("{name}={level}"));
            }
        }
    };
    if let Some(strata) = &data.strata {
        single(&strata.name, &|i| {
            strata
                .levels
                .get(strata.codes[i])
                .cloned()
                .unwrap_or_default()
        });
    }
    for c in &data.covariates {
        if let CovariateValues::Text(values) = &c.values {
            single(&c.name, &|i| values[i].clone().unwrap_or_default());
        }
    }
    let named: Vec<String> = leverage_one
        .iter()
        .map(|r| {
            alone
                .get(r)
                .cloned()
                .unwrap_or_else(|| format!("row {} of the fit", r + 1))
        })
        .collect();
    let shown = 10;
    let more = if named.len() > shown {
        format!(" and {} more", named.len() - shown)
    } else {
        String::new()
    };
    format!(
        "{at}: {} observation(s) with leverage one (1 - h <= {:e}: fitted exactly, the only person in {}{more}) left out of the {} variance, as estimatr's lm_robust(fixed_effects = ...) drops them",
        leverage_one.len(),
        vcov::LEVERAGE_ONE_TOLERANCE,
        named
            .iter()
            .take(shown)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        se.label()
    )
}

/// The model (design, its treatment term names) of the chosen estimator on `rows`, with `extra`
/// columns (subgroup indicators) added as `lm_robust`/`lm_lin` would.
fn model_design(
    data: &AnalysisData,
    options: &EstimateOptions,
    codes: &[usize],
    rows: &[usize],
    extra: &DesignMatrix,
    interacted: &DesignMatrix,
) -> LazyDesignMatrix {
    let treat = treatment_design(data, codes, rows);
    let mut covs = expand_covariates(&covariate_views(data), rows);
    let weights = data.weights.as_ref().map(|w| subset(w, rows));
    match options.estimator {
        Estimator::Lin => {
            // lm_lin: subgroup indicators are covariates like the others (centred, interacted).
            let mut all = extra.clone();
            all.names.append(&mut covs.names);
            all.columns.append(&mut covs.columns);
            lin::lin_design(treat, all, weights.as_deref())
        }
        Estimator::Dim | Estimator::Ols | Estimator::Fe => {
            if options.estimator == Estimator::Dim {
                covs = DesignMatrix::new();
            }
            let mut rest = treat;
            for (name, col) in extra.names.iter().zip(&extra.columns) {
                rest.push(name.clone(), col.clone());
            }
            for (name, col) in interacted.names.iter().zip(&interacted.columns) {
                rest.push(name.clone(), col.clone());
            }
            rest.names.append(&mut covs.names);
            rest.columns.append(&mut covs.columns);
            let use_fe = options.estimator == Estimator::Fe
                || (options.estimator == Estimator::Dim && data.strata.is_some());
            match (&data.strata, use_fe) {
                (Some(strata), true) => {
                    let s = subset(&strata.codes, rows);
                    LazyDesignMatrix::from_design(fe::fe_design(
                        &s,
                        &strata.levels,
                        &strata.name,
                        rest,
                    ))
                }
                _ => {
                    let mut d = LazyDesignMatrix::with_rows(rows.len());
                    d.push_ones("(Intercept)");
                    for (name, col) in rest.names.into_iter().zip(rest.columns) {
                        d.push(name, col);
                    }
                    d
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn group_effects(
    data: &AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &[usize],
    y: &[f64],
    rows: &[usize],
    at: &str,
    extras: &Extras<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(usize, Effect)>> {
    let arms = data.treatment.arms.len();
    if options.estimator == Estimator::Dim {
        let mut out = Vec::new();
        for a in 1..arms {
            let pair: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| codes[i] == a || codes[i] == 0)
                .collect();
            let ys = subset(y, &pair);
            let treated: Vec<bool> = pair.iter().map(|&i| codes[i] == a).collect();
            let blocks = data.strata.as_ref().map(|s| subset(&s.codes, &pair));
            let clusters = data.cluster.as_ref().map(|c| subset(&c.codes, &pair));
            let weights = data.weights.as_ref().map(|w| subset(w, &pair));
            let r = dim::difference_in_means(
                &ys,
                &treated,
                blocks.as_deref(),
                clusters.as_deref(),
                weights.as_deref(),
            )?;
            for w in &r.warnings {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
            let mut effect = Effect::plain(r.estimate, r.std_error, r.df, r.se_type);
            if extras.diagnostics && data.cluster.is_some() {
                // The difference in means is the regression of y on the arm (and the strata when
                // blocked): its cluster diagnostics are that regression's.
                let design = model_design(
                    data,
                    options,
                    codes,
                    &pair,
                    &DesignMatrix::new(),
                    &DesignMatrix::new(),
                );
                let term = data.treatment.term(a);
                let only = Extras {
                    wild: None,
                    diagnostics: true,
                };
                let mut quiet = Vec::new();
                if let Ok(fitted) = fit_terms(
                    data,
                    SeType::Cr0,
                    y,
                    &pair,
                    &design,
                    std::slice::from_ref(&term),
                    at,
                    &only,
                    &mut quiet,
                ) {
                    effect.diagnostics = fitted.into_iter().next().and_then(|e| e.diagnostics);
                }
            }
            out.push((a, effect));
        }
        return Ok(out);
    }
    let design = model_design(
        data,
        options,
        codes,
        rows,
        &DesignMatrix::new(),
        &DesignMatrix::new(),
    );
    let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
    fit_terms(data, se, y, rows, &design, &terms, at, extras, warnings)
        .map(|effects| (1..arms).zip(effects).collect())
}

#[allow(clippy::too_many_arguments)]
fn fit_terms(
    data: &AnalysisData,
    se: SeType,
    y: &[f64],
    rows: &[usize],
    design: &LazyDesignMatrix,
    terms: &[String],
    at: &str,
    extras: &Extras<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Effect>> {
    let ys = subset(y, rows);
    let weights = data.weights.as_ref().map(|w| subset(w, rows));
    let clusters = clusters_of(data, rows);
    let interest: Vec<&str> = terms.iter().map(String::as_str).collect();
    let fit = lm_robust_lazy(
        design,
        &ys,
        weights.as_deref(),
        se,
        clusters.as_ref(),
        &interest,
    )?;
    note_dropped(&fit.dropped, terms, warnings);
    for name in &fit.unidentified {
        push_new(
            warnings,
            format!(
                "{at}: `{name}` is not identified (its column is in the span of the other columns: its value would depend on which collinear column is dropped); the row is left empty"
            ),
        );
    }
    if !fit.leverage_one.is_empty() {
        push_new(
            warnings,
            leverage_one_warning(data, rows, &fit.leverage_one, se, at),
        );
    }
    let mut effects = terms
        .iter()
        .map(|t| {
            let j = fit
                .index(t)
                .ok_or_else(|| Error::compute(format!("term `{t}` missing from the model")))?;
            Ok(Effect::plain(
                fit.coef[j],
                fit.std_error[j],
                fit.df[j],
                SeRule::Robust(se),
            ))
        })
        .collect::<Result<Vec<Effect>>>()?;
    if let (Some(clusters), Some(cluster), true) = (
        &clusters,
        &data.cluster,
        extras.wild.is_some() || extras.diagnostics,
    ) {
        // The per-cluster pieces of this fit, once for every term (`clusters`, `wild`).
        let root_w = weights.as_deref().map(root_weights);
        let x = linalg::Columns::from_refs(design.refs(), root_w.as_deref(), ys.len())?
            .select(&fit.kept);
        let residuals: Vec<f64> = match &root_w {
            Some(rw) => fit.residuals.iter().zip(rw).map(|(e, r)| e * r).collect(),
            None => fit.residuals.clone(),
        };
        let pieces = clusters::ClusterPieces::new(&x, &residuals, clusters)?;
        // The data's cluster code of each of the fit's clusters (numbered in code order).
        let mut codes_here = subset(&cluster.codes, rows);
        codes_here.sort_unstable();
        codes_here.dedup();
        for (t, effect) in terms.iter().zip(effects.iter_mut()) {
            let Some(j) = fit
                .index(t)
                .and_then(|j| fit.kept.iter().position(|&k| k == j))
                .filter(|_| effect.estimate.is_finite())
            else {
                continue;
            };
            if extras.diagnostics {
                effect.diagnostics =
                    Some((codes_here.clone(), pieces.diagnostics(j, effect.estimate)));
            }
            if let Some((options, progress)) = extras.wild {
                match wild::WildBootstrap::new(
                    &pieces,
                    j,
                    effect.estimate,
                    &codes_here,
                    cluster.levels.len(),
                    options,
                    progress,
                ) {
                    Ok(boot) => effect.wild = Some(boot.result(options.alpha)),
                    Err(Error::Interrupted) => return Err(Error::Interrupted),
                    Err(e) => push_new(
                        warnings,
                        format!("{at}, {t}: no wild cluster bootstrap: {e}"),
                    ),
                }
            }
        }
    }
    Ok(effects)
}

/// √w with the weights normalized to mean 1, as the weighted fit scales its rows.
fn root_weights(w: &[f64]) -> Vec<f64> {
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    w.iter().map(|v| (v / mean).sqrt()).collect()
}

/// A subgroup difference: label, arm, effect, and the rows of the two levels compared.
type Difference = (String, usize, Effect, Vec<usize>);

/// Differences between each level of `by` and its last level, from the interaction model.
#[allow(clippy::too_many_arguments)]
fn differences(
    data: &AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &[usize],
    y: &[f64],
    rows: &[usize],
    by: &Factor,
    at: &str,
    extras: &Extras<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Difference>> {
    let reference = by.levels.len() - 1;
    let indicators = level_indicators(by, rows);
    let treat = treatment_design(data, codes, rows);
    let mut interacted = DesignMatrix::new();
    let mut wanted: Vec<(String, usize, usize)> = Vec::new();
    for (l, (gname, gcol)) in indicators.names.iter().zip(&indicators.columns).enumerate() {
        for (a, (tname, tcol)) in treat.names.iter().zip(&treat.columns).enumerate() {
            let name = if options.estimator == Estimator::Lin {
                format!("{tname}:{gname}_c")
            } else {
                format!("{tname}:{gname}")
            };
            // Lin interacts the (centred) indicators itself; the other models take them here.
            if options.estimator != Estimator::Lin {
                interacted.push(
                    name.clone(),
                    tcol.iter().zip(gcol).map(|(t, g)| t * g).collect(),
                );
            }
            wanted.push((name, l, a + 1));
        }
    }
    drop(treat);
    let design = model_design(data, options, codes, rows, &indicators, &interacted);
    drop((indicators, interacted));
    let terms: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
    let effects = fit_terms(data, se, y, rows, &design, &terms, at, extras, warnings)?;
    let mut out = Vec::new();
    for ((_, l, a), effect) in wanted.into_iter().zip(effects) {
        let label = format!(
            "{}={} - {}={}",
            by.name, by.levels[l], by.name, by.levels[reference]
        );
        let group_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| by.codes[i] == l || by.codes[i] == reference)
            .collect();
        out.push((label, a, effect, group_rows));
    }
    Ok(out)
}

/// The level indicators of `by` on `rows`, every level but the last (the reference), named
/// `<by><level>` as R names the columns of a 0/1 variable `<by><level>`.
fn level_indicators(by: &Factor, rows: &[usize]) -> DesignMatrix {
    let reference = by.levels.len() - 1;
    let mut indicators = DesignMatrix::new();
    for (l, level) in by.levels.iter().enumerate().take(reference) {
        indicators.push(
            format!("{}{level}", by.name),
            rows.iter()
                .map(|&i| f64::from(u8::from(by.codes[i] == l)))
                .collect(),
        );
    }
    indicators
}

/// A 2SLS subgroup difference: label, effect, first-stage F and the rows of the two levels.
type IvDifference = (String, Effect, f64, Vec<usize>);

/// The 2SLS differences between each level of `by` and its last level, from the interaction IV
/// model as estimatr would fit it (two arms):
/// `iv_robust(y ~ d + d:g + g + X | z + z:g + g + X)`, one indicator g per level but the last.
/// The difference is the `d:g` coefficient; its first-stage F is the robust Wald F of all the
/// excluded instruments (z and every z:g) jointly in the first stage of `d:g`, which is what
/// `iv_robust(..., diagnostics = TRUE)` reports as `diagnostic_first_stage_fstatistic`
/// `"d:g:value"` (estimatr 1.0.0 `first_stage_ftest`; see `iv`).
fn iv_differences(
    data: &AnalysisData,
    se: SeType,
    codes: &[usize],
    y: &[f64],
    took_part: &[f64],
    rows: &[usize],
    by: &Factor,
) -> Result<Vec<IvDifference>> {
    let reference = by.levels.len() - 1;
    let pname = data
        .participation
        .as_ref()
        .map_or("participation", |(name, _)| name.as_str());
    let ys = subset(y, rows);
    let d = subset(took_part, rows);
    let z: Vec<f64> = rows
        .iter()
        .map(|&i| f64::from(u8::from(codes[i] == 1)))
        .collect();
    let indicators = level_indicators(by, rows);
    let mut endogenous = DesignMatrix::new();
    let mut instruments = DesignMatrix::new();
    endogenous.push(pname, d.clone());
    instruments.push(data.treatment.term(1), z.clone());
    for (gname, g) in indicators.names.iter().zip(&indicators.columns) {
        endogenous.push(
            format!("{pname}:{gname}"),
            d.iter().zip(g).map(|(a, b)| a * b).collect(),
        );
        instruments.push(
            format!("{}:{gname}", data.treatment.term(1)),
            z.iter().zip(g).map(|(a, b)| a * b).collect(),
        );
    }
    let mut exogenous = indicators.clone();
    let covs = expand_covariates(&covariate_views(data), rows);
    for (name, col) in covs.names.iter().zip(covs.columns) {
        exogenous.push(name.clone(), col);
    }
    let weights = data.weights.as_ref().map(|w| subset(w, rows));
    let clusters = clusters_of(data, rows);
    let model = iv::IvModel {
        y: &ys,
        endogenous: &endogenous,
        instruments: &instruments,
        exogenous: &exogenous,
    };
    let fit = iv::tsls(model, weights.as_deref(), se, clusters.as_ref())?;
    let mut out = Vec::new();
    for (l, level) in by.levels.iter().enumerate().take(reference) {
        // Endogenous column l + 1 is d:g_l: second-stage column l + 2 (after the intercept and d).
        let (Some(&estimate), Some(&std_error), Some(&df), Some(&first_stage_f)) = (
            fit.coef.get(l + 2),
            fit.std_error.get(l + 2),
            fit.df.get(l + 2),
            fit.first_stage_f.get(l + 1),
        ) else {
            return Err(Error::compute("the 2SLS interaction model lost a term"));
        };
        let label = format!("{}={level} - {}={}", by.name, by.name, by.levels[reference]);
        let group_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| by.codes[i] == l || by.codes[i] == reference)
            .collect();
        out.push((
            label,
            Effect::plain(estimate, std_error, df, SeRule::Robust(se)),
            first_stage_f,
            group_rows,
        ));
    }
    Ok(out)
}

fn iv_effect(
    data: &AnalysisData,
    se: SeType,
    codes: &[usize],
    y: &[f64],
    took_part: &[f64],
    rows: &[usize],
) -> Result<(Effect, f64)> {
    let ys = subset(y, rows);
    let d = subset(took_part, rows);
    let z: Vec<f64> = rows
        .iter()
        .map(|&i| f64::from(u8::from(codes[i] == 1)))
        .collect();
    let covs = expand_covariates(&covariate_views(data), rows);
    let weights = data.weights.as_ref().map(|w| subset(w, rows));
    let clusters = clusters_of(data, rows);
    let r = iv::iv_robust(
        &ys,
        &d,
        &z,
        &covs,
        weights.as_deref(),
        se,
        clusters.as_ref(),
    )?;
    Ok((
        Effect::plain(r.estimate, r.std_error, r.df, SeRule::Robust(se)),
        r.first_stage_f,
    ))
}

/// A subgroup difference has no arm means of its own: the row's mean columns are blank.
fn without_means(mut r: EffectRow) -> EffectRow {
    r.mean_treated = f64::NAN;
    r.mean_control = f64::NAN;
    r
}

#[allow(clippy::too_many_arguments)]
fn row(
    data: &AnalysisData,
    options: &EstimateOptions,
    outcome: &str,
    subgroup: &str,
    arm: usize,
    codes: &[usize],
    y: &[f64],
    rows: &[usize],
    effect: Effect,
    kind: EffectKind,
) -> EffectRow {
    let (stat, p, lo, hi) =
        t_inference(effect.estimate, effect.std_error, effect.df, options.alpha);
    let wild = effect.wild;
    // Arm means: with weights the weighted (Hájek) means Σwy/Σw with the estimator's weights
    // (R's `weighted.mean`), so that for `dim` with weights the effect is their difference
    // (estimatr `difference_in_means` with weights = lm_robust(y ~ z, weights)); counts are counts.
    let weight = |i: usize| data.weights.as_ref().map_or(1.0, |w| w[i]);
    let mean_of = |a: usize| {
        let (sum, total, count) = rows
            .iter()
            .filter(|&&i| codes[i] == a)
            .fold((0.0, 0.0, 0usize), |(s, t, c), &i| {
                (s + weight(i) * y[i], t + weight(i), c + 1)
            });
        (count, if count > 0 { sum / total } else { f64::NAN })
    };
    let (n_treated, mean_treated) = mean_of(arm);
    let (n_control, mean_control) = mean_of(0);
    let estimator = RowEstimator {
        kind,
        weighted: data.weights.is_some(),
    };
    EffectRow {
        outcome: outcome.to_string(),
        subgroup: subgroup.to_string(),
        term: data.treatment.term(arm),
        estimate: effect.estimate,
        std_error: effect.std_error,
        statistic: stat,
        df: effect.df,
        p_value: p,
        conf_low: lo,
        conf_high: hi,
        estimator,
        se_type: effect.se_type,
        n_treated,
        n_control,
        mean_treated,
        mean_control,
        first_stage_f: None,
        p_value_adjusted: None,
        p_value_ri: None,
        ri_conf_low: None,
        ri_conf_high: None,
        p_value_wild: wild.map(|w| w.p_value),
        wild_conf_low: wild.map(|w| w.conf_low),
        wild_conf_high: wild.map(|w| w.conf_high),
        wild_draws: wild.map(|w| w.draws),
        wild_enumerated: wild.map(|w| w.enumerated),
        prespecified: None,
    }
}
