//! Intention-to-treat and participation effects, overall, by subgroup and the difference between
//! subgroups, from analysis-ready columns: pure functions, no files. One estimator per file
//! (`dim`, `ols`, `lin`, `fe`, `iv`), the variance estimators in `vcov`, attrition in `missing`,
//! randomization inference in `ri`, multiple-testing adjustment in `adjust`.
//!
//! [`estimate_all`] produces every row for a study; it takes an optional re-assignment so that
//! randomization inference can recompute the same estimates for hypothetical assignments
//! ([`recompute`], [`binary_statistic`]).

pub mod adjust;
pub mod bounds;
pub mod cells;
pub mod clusters;
pub mod crossproducts;
pub mod diagnose;
pub mod dim;
pub mod fast;
pub mod fe;
pub mod inference;
pub mod iv;
pub mod lin;
pub mod missing;
pub mod multiple;
pub mod ols;
pub mod ri;
pub mod rows;
pub mod subgroups;
pub mod subsets;
pub mod types;
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
    /// Subgroup variables: a column (`gender`) or a crossing of columns (`gender*age_band`).
    pub by: Vec<String>,
    /// The reference level of a subgroup column (column → level; default its first level).
    pub references: std::collections::BTreeMap<String, String>,
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

    /// The columns of the subgroup variables (a crossing's columns each), once each.
    pub fn subgroup_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for column in self.by.iter().flat_map(|b| b.split(subgroups::CROSSING)) {
            let column = column.trim().to_string();
            if !column.is_empty() && !out.contains(&column) {
                out.push(column);
            }
        }
        out
    }
}

/// A level's code in a column of [`AnalysisData`] (an arm, a subgroup, a stratum, a cluster):
/// `u32`, half a `usize`, because these columns are as long as the data (4 MB saved in each at a
/// million rows). A column has fewer levels than rows, and the data at most [`MAX_ROWS`] rows.
pub type Code = u32;

/// The most rows [`AnalysisData`] holds, so that every code fits a [`Code`] (the loader refuses
/// more, naming the number of rows).
pub const MAX_ROWS: usize = u32::MAX as usize;

/// `codes` as [`Code`]s: a code is below its column's number of levels, which is at most its
/// number of rows (≤ [`MAX_ROWS`]), so it fits. A code of no arm (`usize::MAX`, someone a
/// re-drawn assignment leaves out) stays a code of no arm (`Code::MAX`).
pub fn narrow(codes: impl IntoIterator<Item = usize>) -> Vec<Code> {
    codes
        .into_iter()
        .map(|c| Code::try_from(c).unwrap_or(Code::MAX))
        .collect()
}

/// `codes` as `usize`, as the randomization inference's draws hold them.
pub fn widen(codes: &[Code]) -> Vec<usize> {
    codes.iter().map(|&c| c as usize).collect()
}

/// A categorical column: sorted levels and each row's level index.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    pub levels: Vec<String>,
    pub codes: Vec<Code>,
    /// The reference level of a subgroup variable (differences are against it): the first level
    /// unless chosen ([`Factor::choose_reference`]).
    pub reference: usize,
    /// A crossing's columns (`gender*age_band`); empty for a single column.
    pub components: Vec<Factor>,
}

impl Factor {
    /// Levels in level order ([`crate::categorical`]), codes into them.
    pub fn from_labels(name: impl Into<String>, labels: &[String]) -> Factor {
        let Codes { codes, levels } =
            Codes::in_level_order(labels.iter().map(String::as_str)).map_levels(str::to_string);
        Factor::new(name, levels, narrow(codes))
    }

    /// A factor of `levels` and `codes` as given (levels already in level order).
    pub fn new(name: impl Into<String>, levels: Vec<String>, codes: Vec<Code>) -> Factor {
        Factor {
            name: name.into(),
            levels,
            codes,
            reference: 0,
            components: Vec::new(),
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
    pub codes: Vec<Code>,
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
    /// The subgroup variables, each reported separately (a crossing is one variable).
    pub by: Vec<Factor>,
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

/// Each level's rows among `rows`, in row order, each list at its exact size: one pass over
/// each piece counts every level's rows, a second writes each row into its level's part of the
/// piece (a code of no level is left out). Two passes whatever the number of levels, where a
/// filter per level took two per level: a subgroup of 67 municipalities reads the rows twice,
/// not 134 times.
fn rows_by_level(rows: &[usize], codes: &[Code], levels: usize) -> Vec<Vec<usize>> {
    let level_of = |i: usize| (codes[i] as usize) < levels;
    let pieces: Vec<&[usize]> = rows.chunks(ROWS_PIECE).collect();
    let counts: Vec<Vec<usize>> = pieces
        .par_iter()
        .map(|piece| {
            let mut count = vec![0usize; levels];
            for &i in piece.iter().filter(|&&i| level_of(i)) {
                count[codes[i] as usize] += 1;
            }
            count
        })
        .collect();
    let mut lists: Vec<Vec<usize>> = (0..levels)
        .map(|l| vec![0usize; counts.iter().map(|c| c[l]).sum()])
        .collect();
    // Each piece's part of every level's list.
    let mut parts: Vec<Vec<&mut [usize]>> = pieces.iter().map(|_| Vec::new()).collect();
    for (l, list) in lists.iter_mut().enumerate() {
        let lengths = counts.iter().map(|c| c[l]);
        for (piece_parts, part) in parts
            .iter_mut()
            .zip(crate::parts::split_lengths(list, lengths))
        {
            piece_parts.push(part);
        }
    }
    parts
        .into_par_iter()
        .zip(pieces.par_iter())
        .for_each(|(mut level_parts, piece)| {
            let mut next = vec![0usize; levels];
            for &i in piece.iter().filter(|&&i| level_of(i)) {
                let l = codes[i] as usize;
                level_parts[l][next[l]] = i;
                next[l] += 1;
            }
        });
    lists
}

/// The rows `0..n` that `keep`, in row order, in a list of its exact size ([`exact_list`]).
pub(crate) fn rows_where(n: usize, keep: impl Fn(usize) -> bool + Sync) -> Vec<usize> {
    let pieces: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(ROWS_PIECE)
        .map(|a| a..(a + ROWS_PIECE).min(n))
        .collect();
    exact_list(
        &pieces,
        |piece| piece.clone().filter(|&i| keep(i)).count(),
        |piece, slots| {
            for (slot, i) in slots.iter_mut().zip(piece.clone().filter(|&i| keep(i))) {
                *slot = i;
            }
        },
    )
}

/// Rows a piece of [`exact_list`] holds.
const ROWS_PIECE: usize = 1 << 16;

/// A list of rows made piece by piece on every core: each piece's rows counted first, then
/// written into the piece's own part of a list of the exact total size. A parallel
/// filter-and-collect grows each piece's list by doubling and then joins the pieces; at a
/// million rows the subgroup levels' pieces and their spare room were the peak of the whole
/// run's memory (heaptrack).
fn exact_list<P: Sync>(
    pieces: &[P],
    count: impl Fn(&P) -> usize + Sync,
    fill: impl Fn(&P, &mut [usize]) + Sync,
) -> Vec<usize> {
    let counts: Vec<usize> = pieces.par_iter().map(&count).collect();
    let mut list = vec![0usize; counts.iter().sum()];
    crate::parts::split_lengths(&mut list, counts)
        .into_par_iter()
        .zip(pieces.par_iter())
        .for_each(|(part, piece)| fill(piece, part));
    list
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
    /// Subgroup differences between every pair of levels, not only against the reference.
    pub all_pairs: bool,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            estimator: Estimator::Lin,
            se: None,
            alpha: 0.05,
            missing_covariates: missing::MissingCovariates::Complete,
            all_pairs: false,
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
    /// What the randomization p-value of each joint heterogeneity test needs.
    pub joint: Vec<JointTest>,
    /// The randomization draws of the rows (filled by randomization inference), which the
    /// family-wise adjustments reuse.
    pub ri_draws: Option<multiple::RiDraws>,
    /// The declared families of hypotheses with their adjusted p-values.
    pub families: Vec<multiple::FamilyRow>,
}

/// A joint heterogeneity test row and what its randomization p-value needs: the rows of the
/// subgroup differences it tests and the inverse of their observed variance, held fixed across
/// draws (the statistic b'V⁻¹b of each draw's differences b).
#[derive(Debug, Clone, PartialEq)]
pub struct JointTest {
    /// The Wald row's index in `Estimates::rows`.
    pub row: usize,
    /// The difference rows' indices in `Estimates::rows`.
    pub members: Vec<usize>,
    pub inverse: nalgebra::DMatrix<f64>,
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
    /// The subgroup variable of a level's group (None: everyone).
    factor: Option<usize>,
    /// The level of a level's group (0 for everyone).
    level: usize,
}

/// A group's effects by arm, and the warnings of its fit.
type GroupResult = (Vec<(usize, Effect)>, Vec<String>);

/// All effect rows: for each outcome, the effect of each arm vs control overall; for each
/// subgroup variable in `by`, the effect in each level, the differences from its interaction
/// models (against the reference level, every pair on request, a crossing's 2 × 2 contrasts;
/// [`subgroups::interaction_models`]) and the joint heterogeneity test (not for re-drawn
/// assignments); and the 2SLS effect of participation when a participation column is given
/// (overall, in each level, and the difference against the reference from the interaction IV
/// model).
///
/// `assignment` replaces the data's assignment (for randomization inference).
pub fn estimate_all(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: Option<&[Code]>,
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
    assignment: Option<&[Code]>,
    extras: &Extras<'_>,
) -> Result<Estimates> {
    let codes: &[Code] = assignment.unwrap_or(&data.treatment.codes);
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
    let mut joint = Vec::new();
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
        // Persons with the outcome but without a covariate: none when every observed row is
        // analysed (no list of the observed rows to make then).
        if complete.len() < observed {
            warnings.extend(missing::complete_case_warning(data, outcome, y, codes));
        }
        // Everyone, then each level of each subgroup variable. Everyone's rows are the
        // analysed rows themselves (moved, not copied: 8 bytes a row), read below as `complete`.
        let mut subgroup_groups = Vec::new();
        for (f, by) in data.by.iter().enumerate() {
            let levels = rows_by_level(&complete, &by.codes, by.levels.len());
            for (l, rows) in levels.into_iter().enumerate() {
                subgroup_groups.push(Group {
                    label: by.label(l),
                    rows,
                    factor: Some(f),
                    level: l,
                });
            }
        }
        let mut groups = vec![Group {
            label: "all".to_string(),
            rows: complete,
            factor: None,
            level: 0,
        }];
        groups.extend(subgroup_groups);
        let complete: &[usize] = &groups[0].rows;
        // One moments pass per subgroup variable over everyone's (arm × level) cells serves
        // everyone's model, each level's and the interaction models (`cells::shared`).
        let shared: Vec<Option<cells::SharedMoments<'_>>> = data
            .by
            .iter()
            .map(|by| {
                (complete.len() >= crossproducts::MIN_ROWS)
                    .then(|| cells::shared(data, options, se, codes, y, complete, by))
                    .flatten()
            })
            .collect();
        // Attrition on all rows of each group (missing or not); not for re-drawn assignments.
        if assignment.is_none() && complete.len() == n {
            // Every row is analysed: the groups' rows are all rows of each group.
            for group in &groups {
                attrition_rows.extend(missing::attrition(
                    outcome,
                    &group.label,
                    y,
                    arms,
                    codes,
                    &group.rows,
                )?);
            }
        } else if assignment.is_none() {
            let all_rows: Vec<usize> = (0..n).into_par_iter().collect();
            attrition_rows.extend(missing::attrition(
                outcome, "all", y, arms, codes, &all_rows,
            )?);
            for by in &data.by {
                for (l, sub) in rows_by_level(&all_rows, &by.codes, by.levels.len())
                    .into_iter()
                    .enumerate()
                {
                    attrition_rows.extend(missing::attrition(
                        outcome,
                        &by.label(l),
                        y,
                        arms,
                        codes,
                        &sub,
                    )?);
                }
            }
        }
        // Everyone must have both arms; a subgroup level that has not (one person, or one arm
        // only) gets an empty row with the reason (issue 15), also under a re-drawn assignment.
        let mut empty_groups: Vec<Option<String>> = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let check = check_group(outcome, &group.label, &group.rows, arms, codes);
            match check {
                Err(e) if g == 0 => return Err(e),
                Err(e) => {
                    if assignment.is_none() {
                        push_new(&mut warnings, format!("{e}; its rows are left empty"));
                    }
                    empty_groups.push(Some(e.to_string()));
                }
                Ok(()) => empty_groups.push(None),
            }
        }
        // The subgroup fits and the interaction models are fitted one after another (each fit is
        // parallel inside): only one model's design matrix is in memory at a time, and the
        // next model reuses its memory.
        let mut group_results = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            if empty_groups[g].is_some() {
                let empty = (1..arms.len())
                    .map(|a| {
                        (
                            a,
                            Effect::plain(f64::NAN, f64::NAN, f64::NAN, SeRule::Robust(se)),
                        )
                    })
                    .collect();
                group_results.push((empty, Vec::new()));
                continue;
            }
            let mut w = Vec::new();
            let at = format!("{outcome}, {}", group.label);
            // Diagnostics for the overall effect only (the first group).
            let extras = Extras {
                diagnostics: extras.diagnostics && g == 0,
                ..*extras
            };
            let part = match group.factor {
                None => shared
                    .first()
                    .and_then(Option::as_ref)
                    .map(|moments| cells::Shared {
                        moments,
                        level: None,
                    }),
                Some(f) => shared
                    .get(f)
                    .and_then(Option::as_ref)
                    .map(|moments| cells::Shared {
                        moments,
                        level: Some(group.level),
                    }),
            };
            let effects = group_effects(
                data,
                options,
                se,
                codes,
                y,
                &group.rows,
                &at,
                &extras,
                &mut w,
                part,
            )
            .map_err(|e| context(e, outcome, &group.label));
            let effects = match effects {
                Ok(effects) => effects,
                // A subgroup level too small for its variance: empty rows with the reason.
                Err(Error::Compute(problem)) if g > 0 => {
                    if assignment.is_none() {
                        push_new(
                            &mut warnings,
                            format!("{}; its rows are left empty", problem.message),
                        );
                    }
                    (1..arms.len())
                        .map(|a| {
                            (
                                a,
                                Effect::plain(f64::NAN, f64::NAN, f64::NAN, SeRule::Robust(se)),
                            )
                        })
                        .collect()
                }
                Err(e) => return Err(e),
            };
            group_results.push((effects, w));
        }
        let mut pending: Vec<Option<GroupResult>> = group_results.into_iter().map(Some).collect();
        // Each group's arm sums for its rows' means, each sum in row order as `row` takes it
        // (the same bits), the groups on every core: everyone's rows on one, the levels' on
        // another, where the rows summed them one group after another on one core.
        let group_sums: Vec<Vec<[ArmSum; 2]>> = groups
            .par_iter()
            .map(|group| {
                (1..arms.len())
                    .map(|a| row_sums(data, codes, y, group.rows.iter().copied(), a))
                    .collect()
            })
            .collect();
        // The rows of group g (once), in arm order.
        let mut emit_group = |g: usize, rows: &mut Vec<EffectRow>, warnings: &mut Vec<String>| {
            let Some((effects, w)) = pending.get_mut(g).and_then(Option::take) else {
                return;
            };
            let group = &groups[g];
            merge_warnings(warnings, w);
            for (a, effect) in effects {
                if let (Some(d), Some(cluster)) = (&effect.diagnostics, &data.cluster) {
                    cluster_reports.push(ClusterReport {
                        outcome: outcome.clone(),
                        term: data.treatment.term(a),
                        cluster: cluster.name.clone(),
                        labels: d
                            .0
                            .iter()
                            .map(|&c| cluster.levels[c as usize].clone())
                            .collect(),
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
                    group.rows.iter().copied(),
                    effect,
                    itt,
                    group_sums
                        .get(g)
                        .and_then(|sums| sums.get(a.wrapping_sub(1)))
                        .map_or(ArmMeans::Computed, |&sums| ArmMeans::Summed(sums)),
                ));
            }
        };
        let levels_of = |f: usize| -> Vec<usize> {
            (0..groups.len())
                .filter(|&g| groups[g].factor == Some(f))
                .collect()
        };
        emit_group(0, &mut rows, &mut warnings);
        let no_diagnostics = Extras {
            diagnostics: false,
            ..*extras
        };
        for (f, by) in data.by.iter().enumerate() {
            for g in levels_of(f) {
                emit_group(g, &mut rows, &mut warnings);
            }
            if by.levels.len() < 2 {
                if assignment.is_none() {
                    push_new(
                        &mut warnings,
                        format!(
                            "{outcome}: `{}` has one level ({}) among the analysed: no subgroup differences and no joint test",
                            by.name,
                            by.levels.join(", ")
                        ),
                    );
                }
                continue;
            }
            let in_covariates: Vec<String> = subgroups::own_columns(by)
                .into_iter()
                .filter(|c| data.covariates.iter().any(|cov| &cov.name == c))
                .collect();
            if !in_covariates.is_empty()
                && options.estimator != Estimator::Dim
                && assignment.is_none()
            {
                push_new(
                    &mut warnings,
                    format!(
                        "`{}` is both a covariate and the subgroup variable `{}`: its interaction models leave it out of the covariates (the subgroup indicators hold it already; with it the differences would not be identified)",
                        in_covariates.join("`, `"),
                        by.name
                    ),
                );
            }
            let counts = level_arm_counts(complete, codes, &by.codes, arms.len(), by.levels.len());
            for model in subgroups::interaction_models_deferred(by, complete, options.all_pairs) {
                let mut w = Vec::new();
                let at = format!("{outcome}, {}", model.what);
                let (effects, vcov) = interaction_effects(
                    data,
                    options,
                    se,
                    codes,
                    y,
                    complete,
                    by,
                    &model,
                    &at,
                    &no_diagnostics,
                    &mut w,
                    shared
                        .get(f)
                        .and_then(Option::as_ref)
                        .map(|moments| cells::Shared {
                            moments,
                            level: None,
                        }),
                )
                .map_err(|e| context(e, outcome, &model.what))?;
                merge_warnings(&mut warnings, w);
                let first = rows.len();
                for ((_, label, levels), a, effect) in &effects {
                    // The rows of the two levels, read in place (no list of them), for the
                    // number of clusters; the counts are the levels' counts added up.
                    let group_rows = complete
                        .iter()
                        .copied()
                        .filter(|&i| levels.contains(&(by.codes[i] as usize)));
                    let count_of = |arm: usize| -> usize {
                        levels
                            .iter()
                            .map(|&l| counts.get(l * arms.len() + arm).copied().unwrap_or(0))
                            .sum()
                    };
                    let means = ArmMeans::Blank {
                        treated: count_of(*a),
                        control: count_of(0),
                    };
                    rows.push(row(
                        data,
                        options,
                        outcome,
                        label,
                        *a,
                        codes,
                        y,
                        group_rows,
                        effect.clone(),
                        itt,
                        means,
                    ));
                }
                if !(model.joint && assignment.is_none()) {
                    continue;
                }
                // The joint test per arm: every difference against the reference at once.
                let per_arm = arms.len() - 1;
                for a in 1..arms.len() {
                    let members: Vec<usize> =
                        (0..effects.len()).filter(|&k| effects[k].1 == a).collect();
                    let b: Vec<f64> = members.iter().map(|&k| effects[k].2.estimate).collect();
                    let v = nalgebra::DMatrix::from_fn(members.len(), members.len(), |r, c| {
                        vcov.matrix[(members[r], members[c])]
                    });
                    let test = subgroups::wald_test(&b, &v, vcov.df_den);
                    if test.is_none() {
                        push_new(
                            &mut warnings,
                            format!(
                                "{outcome}, {}{}, {}: the joint test cannot be computed (a subgroup difference is not identified or its variance is singular); the row is left empty",
                                by.name,
                                subgroups::JOINT_SUFFIX,
                                data.treatment.term(a)
                            ),
                        );
                    }
                    debug_assert_eq!(members.len() * per_arm, effects.len());
                    let index = rows.len();
                    rows.push(joint_row(
                        data,
                        outcome,
                        &by.name,
                        a,
                        codes,
                        complete,
                        test.as_ref().map(|t| t.0),
                        members.len(),
                        vcov.df_den,
                        se,
                    ));
                    if let Some((_, inverse)) = test {
                        joint.push(JointTest {
                            row: index,
                            members: members.iter().map(|&k| first + k).collect(),
                            inverse,
                        });
                    }
                }
            }
        }
        if let Some((pname, took_part)) = &data.participation {
            if arms.len() != 2 {
                return Err(Error::compute(
                    "the 2SLS effect of participation needs exactly two arms (offered and control)",
                ));
            }
            for (group, empty) in groups.iter().zip(&empty_groups) {
                let iv_rows: Vec<usize> = group
                    .rows
                    .iter()
                    .copied()
                    .filter(|&i| !took_part[i].is_nan())
                    .collect();
                let effect = if empty.is_some() {
                    (
                        Effect::plain(f64::NAN, f64::NAN, f64::NAN, SeRule::Robust(se)),
                        f64::NAN,
                    )
                } else {
                    iv_effect(data, se, codes, y, took_part, &iv_rows)
                        .map_err(|e| context(e, outcome, &group.label))?
                };
                let mut r = row(
                    data,
                    options,
                    outcome,
                    &group.label,
                    1,
                    codes,
                    y,
                    iv_rows.iter().copied(),
                    effect.0,
                    EffectKind::Participation,
                    ArmMeans::Computed,
                );
                r.term = pname.clone();
                r.first_stage_f = Some(effect.1);
                rows.push(r);
            }
            for by in data.by.iter().filter(|by| by.levels.len() >= 2) {
                let iv_rows: Vec<usize> = complete
                    .iter()
                    .copied()
                    .filter(|&i| !took_part[i].is_nan())
                    .collect();
                let diffs = iv_differences(data, se, codes, y, took_part, &iv_rows, by)
                    .map_err(|e| context(e, outcome, "the 2SLS interaction model"))?;
                for (label, effect, first_stage_f, group_rows) in diffs {
                    let [treated, control] = arm_counts(group_rows.iter().copied(), codes, 1);
                    let means = ArmMeans::Blank {
                        treated: treated.count,
                        control: control.count,
                    };
                    let mut r = row(
                        data,
                        options,
                        outcome,
                        &label,
                        1,
                        codes,
                        y,
                        group_rows.iter().copied(),
                        effect,
                        EffectKind::Participation,
                        means,
                    );
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
        joint,
        ri_draws: None,
        families: Vec::new(),
    })
}

/// The estimates (only) of [`estimate_all`] under another assignment, in row order — the
/// statistic randomization inference recomputes for each re-drawn assignment.
pub fn recompute(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: &[Code],
) -> Result<Vec<f64>> {
    Ok(estimate_all(data, options, Some(assignment))?
        .rows
        .iter()
        .map(|r| r.estimate)
        .collect())
}

/// The t statistic (estimate / SE, with each row's own SE) of every row under the assignment
/// `assignment`, for studentized randomization inference.
pub fn recompute_statistics(
    data: &AnalysisData,
    options: &EstimateOptions,
    assignment: &[Code],
) -> Result<Vec<f64>> {
    Ok(estimate_all(data, options, Some(assignment))?
        .rows
        .iter()
        .map(|r| r.statistic)
        .collect())
}

/// For a two-arm study: a function from a 0/1 treatment vector (1 = the non-control arm) to the
/// estimates of every row, for randomization inference.
pub fn binary_statistic<'a>(
    data: &'a AnalysisData,
    options: &'a EstimateOptions,
) -> impl Fn(&[f64]) -> Result<Vec<f64>> + 'a {
    move |t: &[f64]| {
        let codes: Vec<Code> = t.iter().map(|&v| Code::from(v > 0.5)).collect();
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
    codes: &[Code],
) -> Result<()> {
    if rows.len() < 2 {
        return Err(Error::compute(format!(
            "{outcome}, {label}: {} observation(s) with an outcome; an effect needs at least one per arm and more than one in all",
            rows.len()
        ))
        .with_hint("drop this subgroup (--by) or check the outcome file"));
    }
    for (a, arm) in arms.iter().enumerate() {
        if !rows.iter().any(|&i| codes[i] as usize == a) {
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
    pub diagnostics: Option<(Vec<Code>, clusters::ClusterDiagnostics)>,
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
    covariate_views_without(data, &[])
}

/// The covariates but those named in `skip` (a subgroup variable's own columns in its
/// interaction models, [`subgroups::own_columns`]).
fn covariate_views_without<'a>(
    data: &'a AnalysisData,
    skip: &[String],
) -> Vec<(String, CovariateView<'a>)> {
    data.covariates
        .iter()
        .filter(|c| !skip.contains(&c.name))
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

fn treatment_design(data: &AnalysisData, codes: &[Code], rows: &[usize]) -> DesignMatrix {
    let mut d = DesignMatrix::new();
    for a in 1..data.treatment.arms.len() {
        d.push(
            data.treatment.term(a),
            rows.par_iter()
                .map(|&i| f64::from(u8::from(codes[i] as usize == a)))
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
                .get(strata.codes[i] as usize)
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
    codes: &[Code],
    rows: &[usize],
    extra: &DesignMatrix,
    interacted: &DesignMatrix,
    skip: &[String],
) -> LazyDesignMatrix {
    let treat = treatment_design(data, codes, rows);
    let mut covs = expand_covariates(&covariate_views_without(data, skip), rows);
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
    codes: &[Code],
    y: &[f64],
    rows: &[usize],
    at: &str,
    extras: &Extras<'_>,
    warnings: &mut Vec<String>,
    shared: Option<cells::Shared<'_>>,
) -> Result<Vec<(usize, Effect)>> {
    let arms = data.treatment.arms.len();
    if options.estimator == Estimator::Dim {
        let mut out = Vec::new();
        for a in 1..arms {
            let pair: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| codes[i] as usize == a || codes[i] as usize == 0)
                .collect();
            let ys = subset(y, &pair);
            let treated: Vec<bool> = pair.iter().map(|&i| codes[i] as usize == a).collect();
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
                    &[],
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
                    effect.diagnostics = fitted.0.into_iter().next().and_then(|e| e.diagnostics);
                }
            }
            out.push((a, effect));
        }
        return Ok(out);
    }
    let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
    // A tall fit from per-cell sums (`cells`), where it applies; else as always.
    if rows.len() >= crossproducts::MIN_ROWS
        && let Some((effects, _)) =
            cells::fit(data, options, se, codes, y, rows, None, &terms, shared)
    {
        return Ok((1..arms).zip(effects).collect());
    }
    let design = model_design(
        data,
        options,
        codes,
        rows,
        &DesignMatrix::new(),
        &DesignMatrix::new(),
        &[],
    );
    fit_terms(data, se, y, rows, &design, &terms, at, extras, warnings)
        .map(|(effects, _)| (1..arms).zip(effects).collect())
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
) -> Result<(Vec<Effect>, TermsVcov)> {
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
    // The terms' joint variance (NaN for a dropped term), for the joint tests.
    let position: Vec<Option<usize>> = terms
        .iter()
        .map(|t| {
            fit.index(t)
                .and_then(|j| fit.kept.iter().position(|&k| k == j))
        })
        .collect();
    let matrix = nalgebra::DMatrix::from_fn(terms.len(), terms.len(), |r, c| {
        match (position[r], position[c]) {
            (Some(i), Some(j)) => fit.vcov[(i, j)],
            _ => f64::NAN,
        }
    });
    let df_den = match &clusters {
        Some(c) => c.count as f64 - 1.0,
        None => fit.n as f64 - fit.kept.len() as f64,
    };
    let vcov = TermsVcov { matrix, df_den };
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
    Ok((effects, vcov))
}

/// √w with the weights normalized to mean 1, as the weighted fit scales its rows.
fn root_weights(w: &[f64]) -> Vec<f64> {
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    w.iter().map(|v| (v / mean).sqrt()).collect()
}

/// The robust variance of the coefficients of some terms of a fit (NaN where a term was dropped)
/// and the denominator df of a Wald F test on them: G − 1 with clusters (estimatr's model F with
/// clusters; clubSandwich's `Wald_test(test = "Naive-F")`), else the residual df n − k
/// (`car::linearHypothesis` on the fit, with the same vcov).
#[derive(Debug, Clone)]
pub struct TermsVcov {
    pub matrix: nalgebra::DMatrix<f64>,
    pub df_den: f64,
}

/// What a reported coefficient of an interaction model is: its indicator's index, its label and
/// the levels whose persons it describes (`subgroups::InteractionModel::wanted`).
type Wanted = (usize, String, Vec<usize>);

/// One reported coefficient of an interaction model: what it is, the arm, and the effect.
type InteractionEffect = (Wanted, usize, Effect);

/// The treatment × indicator coefficients an interaction model reports (`model.wanted`, each for
/// every arm, in that order) and their joint variance.
#[allow(clippy::too_many_arguments)]
fn interaction_effects(
    data: &AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &[Code],
    y: &[f64],
    rows: &[usize],
    by: &Factor,
    model: &subgroups::InteractionModel,
    at: &str,
    extras: &Extras<'_>,
    warnings: &mut Vec<String>,
    shared: Option<cells::Shared<'_>>,
) -> Result<(Vec<InteractionEffect>, TermsVcov)> {
    let indicators = &model.indicators;
    let treatment_terms: Vec<String> = (1..data.treatment.arms.len())
        .map(|a| data.treatment.term(a))
        .collect();
    let mut wanted: Vec<(String, Wanted, usize)> = Vec::new();
    for (k, label, levels) in &model.wanted {
        let Some(gname) = indicators.names.get(*k) else {
            return Err(Error::compute(format!("{at}: an indicator is missing")));
        };
        for (a, tname) in treatment_terms.iter().enumerate() {
            let name = if options.estimator == Estimator::Lin {
                format!("{tname}:{gname}_c")
            } else {
                format!("{tname}:{gname}")
            };
            wanted.push((name, (*k, label.clone(), levels.clone()), a + 1));
        }
    }
    let terms: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
    // A tall fit from per-cell sums (`cells`), where it applies; else as always.
    let interaction = cells::Interaction {
        factor: by,
        indicators,
        by_level: model.by_level.as_deref(),
        own_columns: &model.own_columns,
    };
    if rows.len() >= crossproducts::MIN_ROWS
        && let Some((effects, vcov)) = cells::fit(
            data,
            options,
            se,
            codes,
            y,
            rows,
            Some(&interaction),
            &terms,
            shared,
        )
    {
        let out = wanted
            .into_iter()
            .zip(effects)
            .map(|((_, what, a), effect)| (what, a, effect))
            .collect();
        return Ok((out, vcov));
    }
    // The level indicators' columns, made here when the model deferred them.
    let indicators: &DesignMatrix = &model.indicator_columns(by, rows);
    let treat = treatment_design(data, codes, rows);
    let mut interacted = DesignMatrix::new();
    // Every indicator is interacted with the treatment (the model is saturated in them); Lin
    // interacts the (centred) indicators itself, the other models take the products here.
    if options.estimator != Estimator::Lin {
        for (gname, gcol) in indicators.names.iter().zip(&indicators.columns) {
            for (tname, tcol) in treat.names.iter().zip(&treat.columns) {
                interacted.push(
                    format!("{tname}:{gname}"),
                    tcol.iter().zip(gcol).map(|(t, g)| t * g).collect(),
                );
            }
        }
    }
    drop(treat);
    let design = model_design(
        data,
        options,
        codes,
        rows,
        indicators,
        &interacted,
        &model.own_columns,
    );
    drop(interacted);
    let (effects, vcov) = fit_terms(data, se, y, rows, &design, &terms, at, extras, warnings)?;
    let out = wanted
        .into_iter()
        .zip(effects)
        .map(|((_, what, a), effect)| (what, a, effect))
        .collect();
    Ok((out, vcov))
}

/// A 2SLS subgroup difference: label, effect, first-stage F and the rows of the two levels.
type IvDifference = (String, Effect, f64, Vec<usize>);

/// The 2SLS differences between each level of `by` and its reference, from the interaction IV
/// model as estimatr would fit it (two arms):
/// `iv_robust(y ~ d + d:g + g + X | z + z:g + g + X)`, one indicator g per level but the reference.
/// The difference is the `d:g` coefficient; its first-stage F is the robust Wald F of all the
/// excluded instruments (z and every z:g) jointly in the first stage of `d:g`, which is what
/// `iv_robust(..., diagnostics = TRUE)` reports as `diagnostic_first_stage_fstatistic`
/// `"d:g:value"` (estimatr 1.0.0 `first_stage_ftest`; see `iv`).
fn iv_differences(
    data: &AnalysisData,
    se: SeType,
    codes: &[Code],
    y: &[f64],
    took_part: &[f64],
    rows: &[usize],
    by: &Factor,
) -> Result<Vec<IvDifference>> {
    let reference = by.reference;
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
    let indicators = subgroups::interaction_models(by, rows, false)
        .into_iter()
        .next()
        .map(|m| m.indicators)
        .unwrap_or_default();
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
    let covs = expand_covariates(
        &covariate_views_without(data, &subgroups::own_columns(by)),
        rows,
    );
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
    let others = (0..by.levels.len()).filter(|&l| l != reference);
    for (k, l) in others.enumerate() {
        // Endogenous column k + 1 is d:g_l: second-stage column k + 2 (after the intercept and d).
        let (Some(&estimate), Some(&std_error), Some(&df), Some(&first_stage_f)) = (
            fit.coef.get(k + 2),
            fit.std_error.get(k + 2),
            fit.df.get(k + 2),
            fit.first_stage_f.get(k + 1),
        ) else {
            return Err(Error::compute("the 2SLS interaction model lost a term"));
        };
        let label = format!("{} - {}", by.label(l), by.label(reference));
        let group_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| by.codes[i] as usize == l || by.codes[i] as usize == reference)
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
    codes: &[Code],
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

/// The joint heterogeneity test row of subgroup variable `name` for arm `arm`: subgroup
/// `<name>: joint`, estimator `wald`, statistic F, df its denominator df, df_num its numerator df
/// (issue 15's interface); no estimate, SE or interval. Empty (NaN) when the test could not be
/// computed.
#[allow(clippy::too_many_arguments)]
fn joint_row(
    data: &AnalysisData,
    outcome: &str,
    name: &str,
    arm: usize,
    codes: &[Code],
    rows: &[usize],
    test: Option<subgroups::WaldTest>,
    df_num: usize,
    df_den: f64,
    se: SeType,
) -> EffectRow {
    // Both arms' counts in one pass.
    let (mut n_treated, mut n_control) = (0, 0);
    for &i in rows {
        let code = codes[i] as usize;
        n_treated += usize::from(code == arm);
        n_control += usize::from(code == 0);
    }
    EffectRow {
        outcome: outcome.to_string(),
        subgroup: format!("{name}{}", subgroups::JOINT_SUFFIX),
        term: data.treatment.term(arm),
        estimate: f64::NAN,
        std_error: f64::NAN,
        statistic: test.map_or(f64::NAN, |t| t.statistic),
        df: df_den,
        p_value: test.map_or(f64::NAN, |t| t.p_value),
        conf_low: f64::NAN,
        conf_high: f64::NAN,
        estimator: RowEstimator {
            kind: EffectKind::Wald,
            weighted: data.weights.is_some(),
        },
        se_type: SeRule::Robust(se),
        n_treated,
        n_control,
        mean_treated: f64::NAN,
        mean_control: f64::NAN,
        df_num: Some(df_num as f64),
        first_stage_f: None,
        p_value_adjusted: None,
        p_value_ri: None,
        ri_conf_low: None,
        ri_conf_high: None,
        ri_exact: None,
        ri_draws: None,
        ri_min_p: None,
        clusters: clusters_in(data, rows.iter().copied()),
        p_value_wild: None,
        wild_conf_low: None,
        wild_conf_high: None,
        wild_draws: None,
        wild_enumerated: None,
        prespecified: None,
    }
}

/// The number of clusters the rows' persons are in (issue 14: the headline says how many), None
/// without clusters.
fn clusters_in(data: &AnalysisData, rows: impl Iterator<Item = usize>) -> Option<usize> {
    data.cluster.as_ref().map(|c| {
        let mut seen = vec![false; c.levels.len()];
        for i in rows {
            if let Some(s) = seen.get_mut(c.codes[i] as usize) {
                *s = true;
            }
        }
        seen.into_iter().filter(|&s| s).count()
    })
}

/// What a row says of its arms: their counts and means summed over its rows (by `row`, or
/// already by the caller, [`row_sums`]), or only counts the caller has (a subgroup difference
/// has no arm means of its own: its mean columns are blank, and its counts are its levels'
/// counts added up).
#[derive(Clone, Copy, PartialEq)]
enum ArmMeans {
    Computed,
    Summed([ArmSum; 2]),
    Blank { treated: usize, control: usize },
}

/// The sums of `arm` and of the control arm over `rows` ([`arm_sums`]; with the estimator's
/// weights where it has them), as `row` takes them for its means.
fn row_sums(
    data: &AnalysisData,
    codes: &[Code],
    y: &[f64],
    rows: impl Iterator<Item = usize>,
    arm: usize,
) -> [ArmSum; 2] {
    match &data.weights {
        Some(weights) => arm_sums(rows, codes, y, arm, |i| weights[i]),
        None => arm_sums(rows, codes, y, arm, |_| 1.0),
    }
}

/// One arm's rows among a row's rows: Σ w y, Σ w and their number.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ArmSum {
    weighted: f64,
    weight: f64,
    count: usize,
}

/// The sums of `arm` and of the control arm (0) over `rows`, in one pass, each sum in row
/// order. A row of another arm adds zero instead of being skipped: x + 0 is x bit for bit (a
/// sum from +0 is never −0), so the sums are those of the arm's rows alone, without a branch
/// on the arm, which is random from row to row. The sums are locals (in registers): held in an
/// array captured by a closure, each row stored and reloaded them.
fn arm_sums(
    rows: impl Iterator<Item = usize>,
    codes: &[Code],
    y: &[f64],
    arm: usize,
    weight: impl Fn(usize) -> f64,
) -> [ArmSum; 2] {
    let (mut treated, mut control) = (ArmSum::default(), ArmSum::default());
    for i in rows {
        let code = codes[i] as usize;
        let w = weight(i);
        let wy = w * y[i];
        let (in_treated, in_control) = (code == arm, code == 0);
        treated.weighted += if in_treated { wy } else { 0.0 };
        treated.weight += if in_treated { w } else { 0.0 };
        treated.count += usize::from(in_treated);
        control.weighted += if in_control { wy } else { 0.0 };
        control.weight += if in_control { w } else { 0.0 };
        control.count += usize::from(in_control);
    }
    [treated, control]
}

/// The number of `rows` in each (level, arm) of a subgroup variable, at `level * arms + arm`,
/// counted on every core (integer counts: the same for any split). A subgroup difference's
/// counts are its levels' counts added up, where a pass over everyone's rows filtered by level
/// took a tenth of a second on one core at ten million rows.
fn level_arm_counts(
    rows: &[usize],
    codes: &[Code],
    level_codes: &[Code],
    arms: usize,
    levels: usize,
) -> Vec<usize> {
    rows.par_chunks(ROWS_PIECE)
        .map(|piece| {
            let mut counts = vec![0usize; levels * arms];
            for &i in piece {
                let (arm, level) = (codes[i] as usize, level_codes[i] as usize);
                if arm < arms && level < levels {
                    counts[level * arms + arm] += 1;
                }
            }
            counts
        })
        .reduce(
            || vec![0usize; levels * arms],
            |mut total, piece| {
                for (t, c) in total.iter_mut().zip(piece) {
                    *t += c;
                }
                total
            },
        )
}

/// [`arm_sums`]'s counts alone (a row whose means are left blank).
fn arm_counts(rows: impl Iterator<Item = usize>, codes: &[Code], arm: usize) -> [ArmSum; 2] {
    let (mut treated, mut control) = (ArmSum::default(), ArmSum::default());
    for i in rows {
        let code = codes[i] as usize;
        treated.count += usize::from(code == arm);
        control.count += usize::from(code == 0);
    }
    [treated, control]
}

#[allow(clippy::too_many_arguments)]
fn row(
    data: &AnalysisData,
    options: &EstimateOptions,
    outcome: &str,
    subgroup: &str,
    arm: usize,
    codes: &[Code],
    y: &[f64],
    rows: impl Iterator<Item = usize> + Clone,
    effect: Effect,
    kind: EffectKind,
    means: ArmMeans,
) -> EffectRow {
    let (stat, p, lo, hi) =
        t_inference(effect.estimate, effect.std_error, effect.df, options.alpha);
    let wild = effect.wild;
    // Arm means: with weights the weighted (Hájek) means Σwy/Σw with the estimator's weights
    // (R's `weighted.mean`), so that for `dim` with weights the effect is their difference
    // (estimatr `difference_in_means` with weights = lm_robust(y ~ z, weights)); counts are counts.
    let [treated, control] = match means {
        ArmMeans::Blank { treated, control } => [
            ArmSum {
                count: treated,
                ..ArmSum::default()
            },
            ArmSum {
                count: control,
                ..ArmSum::default()
            },
        ],
        ArmMeans::Summed(sums) => sums,
        ArmMeans::Computed => row_sums(data, codes, y, rows.clone(), arm),
    };
    let mean_of = |s: ArmSum| {
        let mean = if s.count > 0 && !matches!(means, ArmMeans::Blank { .. }) {
            s.weighted / s.weight
        } else {
            f64::NAN
        };
        (s.count, mean)
    };
    let (n_treated, mean_treated) = mean_of(treated);
    let (n_control, mean_control) = mean_of(control);
    let estimator = RowEstimator {
        kind,
        weighted: data.weights.is_some(),
    };
    let clusters = clusters_in(data, rows);
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
        df_num: None,
        first_stage_f: None,
        p_value_adjusted: None,
        p_value_ri: None,
        ri_conf_low: None,
        ri_conf_high: None,
        ri_exact: None,
        ri_draws: None,
        ri_min_p: None,
        clusters,
        p_value_wild: wild.map(|w| w.p_value),
        wild_conf_low: wild.map(|w| w.conf_low),
        wild_conf_high: wild.map(|w| w.conf_high),
        wild_draws: wild.map(|w| w.draws),
        wild_enumerated: wild.map(|w| w.enumerated),
        prespecified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_sums_are_the_sums_of_the_arms_rows_in_row_order_bit_for_bit() {
        // Three arms, a subset of rows, values whose sums round differently in another order.
        let n = 10_007;
        let codes: Vec<Code> = (0..n).map(|i| ((i * 7919) % 3) as Code).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| ((i * 104_729) % 1000) as f64 * 0.1 - 3.3)
            .collect();
        let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 / 3.0).collect();
        let rows: Vec<usize> = (0..n).filter(|i| i % 11 != 5).collect();
        for arm in [1, 2] {
            for weighted in [false, true] {
                let w = |i: usize| if weighted { weights[i] } else { 1.0 };
                let expected = |a: usize| {
                    let mut s = ArmSum::default();
                    for &i in rows.iter().filter(|&&i| codes[i] as usize == a) {
                        s.weighted += w(i) * y[i];
                        s.weight += w(i);
                        s.count += 1;
                    }
                    s
                };
                let [treated, control] = arm_sums(rows.iter().copied(), &codes, &y, arm, w);
                for (got, want) in [(treated, expected(arm)), (control, expected(0))] {
                    assert_eq!(got.weighted.to_bits(), want.weighted.to_bits());
                    assert_eq!(got.weight.to_bits(), want.weight.to_bits());
                    assert_eq!(got.count, want.count);
                }
                let [t, c] = arm_counts(rows.iter().copied(), &codes, arm);
                assert_eq!((t.count, c.count), (treated.count, control.count));
            }
        }
    }

    #[test]
    fn level_arm_counts_are_the_filtered_counts_on_any_number_of_threads() {
        // 200,003 rows over pieces of 65,536, 3 arms and 5 levels, codes of no arm or level.
        let n = 200_003;
        let codes: Vec<Code> = (0..n).map(|i| ((i * 7919) % 4) as Code).collect();
        let levels: Vec<Code> = (0..n).map(|i| ((i / 7) % 6) as Code).collect();
        let rows: Vec<usize> = (0..n).filter(|i| i % 13 != 4).collect();
        let expected: Vec<usize> = (0..5 * 3)
            .map(|k| {
                let (l, a) = (k / 3, k % 3);
                rows.iter()
                    .filter(|&&i| levels[i] as usize == l && codes[i] as usize == a)
                    .count()
            })
            .collect();
        assert!(expected.iter().all(|&c| c > 1_000));
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| level_arm_counts(&rows, &codes, &levels, 3, 5));
            assert_eq!(got, expected, "{threads} threads");
        }
        assert_eq!(level_arm_counts(&[], &codes, &levels, 2, 2), vec![0; 4]);
    }

    #[test]
    fn rows_by_level_are_each_levels_rows_in_order_on_any_number_of_threads() {
        // 200,003 rows (pieces of 65,536: the last one short), 3 and 67 levels (67
        // municipalities) and codes of no level, the rows a subset out of order of appearance.
        let n = 200_003;
        let rows: Vec<usize> = (0..n).filter(|i| i % 13 != 4).collect();
        for (levels, codes_used) in [(3, 4), (67, 70)] {
            let codes: Vec<Code> = (0..n).map(|i| ((i * 7919) % codes_used) as Code).collect();
            let expected: Vec<Vec<usize>> = (0..levels)
                .map(|l| {
                    rows.iter()
                        .copied()
                        .filter(|&i| codes[i] as usize == l)
                        .collect()
                })
                .collect();
            assert!(expected.iter().all(|e| e.len() > 2_000));
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| rows_by_level(&rows, &codes, levels));
                assert_eq!(got, expected, "{levels} levels, {threads} threads");
            }
        }
        let codes = vec![0; n];
        assert_eq!(rows_by_level(&[], &codes, 2), vec![Vec::<usize>::new(); 2]);
    }

    #[test]
    fn rows_where_are_the_rows_kept_in_order_on_any_number_of_threads() {
        for n in [0, 1, 65_536, 65_537, 200_003] {
            let keep = |i: usize| (i * 7919) % 5 != 2 && i % 65_536 != 3;
            let expected: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                assert_eq!(pool.install(|| rows_where(n, keep)), expected, "{n} rows");
            }
        }
    }
}
