//! Subgroup variables for "for whom does it work" (issue 15): a column or a crossing of columns
//! (`gender*age_band`, cells `gender=F & age_band=16-24`), its reference level, and the
//! interaction models whose treatment × indicator coefficients are the subgroup differences:
//! against the reference, between every other pair (on request), and the 2 × 2 interaction
//! contrast of a crossing of two variables. The same list of models is what `estimate_all`
//! fits and what the fast randomization statistic (`fast`) reproduces, in the same order.
//! Also the joint heterogeneity test: the Wald test that all subgroup effects are equal.
//!
//! Pure: no files.

use super::ols::DesignMatrix;
use super::{Code, Factor};
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The separator between the cells of a crossing's label (`gender=F & age_band=16-24`).
pub const CELL_SEPARATOR: &str = " & ";

/// The separator between crossed columns in a subgroup variable's name (`gender*age_band`).
pub const CROSSING: char = '*';

/// The suffix of the subgroup of a joint heterogeneity test row (`gender: joint`).
pub const JOINT_SUFFIX: &str = ": joint";

impl Factor {
    /// The label of level `l` in output rows: `<column>=<level>`, or a crossing's cell label.
    pub fn label(&self, l: usize) -> String {
        let level = self.levels.get(l).map_or("?", String::as_str);
        if self.components.is_empty() {
            format!("{}={level}", self.name)
        } else {
            level.to_string()
        }
    }

    /// The crossing of `parts` (at least two): one level per combination that occurs, in the
    /// order of the parts' level orders (first part slowest), labelled
    /// `a=x & b=y`; its name is the parts' names joined by `*`. The reference cell is the one
    /// of the parts' references (set [`Factor::choose_reference`] on the parts first).
    pub fn crossing(parts: Vec<Factor>) -> Result<Factor> {
        let n = parts.first().map_or(0, |p| p.codes.len());
        if parts.len() < 2 || parts.iter().any(|p| p.codes.len() != n) {
            return Err(Error::compute(
                "a crossing needs at least two subgroup columns of the same length",
            ));
        }
        let mut cells: BTreeMap<Vec<Code>, Code> = BTreeMap::new();
        for i in 0..n {
            cells.insert(parts.iter().map(|p| p.codes[i]).collect(), 0);
        }
        let mut levels = Vec::with_capacity(cells.len());
        for (index, (key, slot)) in cells.iter_mut().enumerate() {
            *slot = index as Code;
            levels.push(
                parts
                    .iter()
                    .zip(key)
                    .map(|(p, &c)| p.label(c as usize))
                    .collect::<Vec<_>>()
                    .join(CELL_SEPARATOR),
            );
        }
        let codes = (0..n)
            .map(|i| cells[&parts.iter().map(|p| p.codes[i]).collect::<Vec<_>>()])
            .collect();
        let reference_key: Vec<Code> = parts.iter().map(|p| p.reference as Code).collect();
        let name = parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(&CROSSING.to_string());
        let Some(&reference) = cells.get(&reference_key) else {
            let wanted: Vec<String> = parts.iter().map(|p| p.label(p.reference)).collect();
            return Err(Error::compute(format!(
                "the reference cell `{}` of `{name}` holds no one",
                wanted.join(CELL_SEPARATOR)
            ))
            .with_hint(format!(
                "choose references that occur together, e.g. `reference = {{ {} }}`",
                reference_example(&parts, &levels)
            )));
        };
        Ok(Factor {
            name,
            levels,
            codes,
            reference: reference as usize,
            components: parts,
        })
    }

    /// Set the reference level from `references` (column → level): the level named for this
    /// column, else the first level in level order (the default, stated in the output). An
    /// unknown level is an error listing the levels. For a crossing the key may also be its
    /// name with a cell label (`"gender*age_band" = "gender=M & age_band=25-54"`).
    pub fn choose_reference(&mut self, references: &BTreeMap<String, String>) -> Result<()> {
        let Some(wanted) = references.get(&self.name) else {
            // A crossing keeps the cell of its columns' references.
            if self.components.is_empty() {
                self.reference = 0;
            }
            return Ok(());
        };
        let found = self
            .levels
            .iter()
            .position(|l| l == wanted)
            .or_else(|| (0..self.levels.len()).find(|&l| self.label(l) == *wanted));
        match found {
            Some(l) => {
                self.reference = l;
                Ok(())
            }
            None => Err(Error::compute(format!(
                "the reference level `{wanted}` of `{}` does not exist; its levels are {}",
                self.name,
                self.levels.join(", ")
            ))
            .with_hint(format!(
                "use one of these levels in `reference` (or --reference {}=LEVEL)",
                self.name
            ))),
        }
    }
}

fn reference_example(parts: &[Factor], cells: &[String]) -> String {
    // The first cell that occurs, written as a reference table.
    let first = cells.first().map(String::as_str).unwrap_or_default();
    first
        .split(CELL_SEPARATOR)
        .zip(parts)
        .map(|(cell, p)| {
            let level = cell.strip_prefix(&format!("{}=", p.name)).unwrap_or(cell);
            format!("{} = \"{level}\"", p.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subgroup variable a row's subgroup label belongs to (None for `all` and labels lotta does
/// not write): `gender` of `gender=F`, of `gender=M - gender=F` and of `gender: joint`;
/// `gender*age_band` of a crossing's cell `gender=F & age_band=16-24` and of its differences;
/// `gender*distance` of the contrast `(gender=F - gender=M) x (distance=far - distance=near)`.
pub fn variable_of(subgroup: &str) -> Option<String> {
    if let Some(variable) = subgroup.strip_suffix(JOINT_SUFFIX) {
        return Some(variable.to_string());
    }
    if let Some(inner) = subgroup.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        let parts: Vec<Option<String>> = inner.split(") x (").map(variable_of).collect();
        return parts
            .into_iter()
            .collect::<Option<Vec<String>>>()
            .filter(|p| p.len() >= 2)
            .map(|p| p.join(&CROSSING.to_string()));
    }
    if let Some((first, second)) = subgroup.split_once(" - ") {
        let variable = variable_of(first)?;
        return (variable_of(second)? == variable).then_some(variable);
    }
    let columns: Option<Vec<&str>> = subgroup
        .split(CELL_SEPARATOR)
        .map(|part| part.split_once('=').map(|(column, _)| column))
        .collect();
    columns.map(|c| c.join(&CROSSING.to_string()))
}

/// One interaction model of a subgroup variable: the indicator columns added to the model
/// (each also interacted with the treatment) and which of them give rows, with their labels.
#[derive(Debug, Clone)]
pub struct InteractionModel {
    /// What the model is for (in messages).
    pub what: String,
    pub indicators: DesignMatrix,
    /// Per reported coefficient: the indicator's index in `indicators`, the row's subgroup
    /// label, and the levels whose persons the row describes.
    pub wanted: Vec<(usize, String, Vec<usize>)>,
    /// Whether this is the model against the reference, whose coefficients the joint test uses.
    pub joint: bool,
    /// The subgroup variable's columns, left out of the covariates ([`own_columns`]).
    pub own_columns: Vec<String>,
    /// A model of level indicators (not a crossing's 2 × 2 contrast): each indicator's value at
    /// each level of the variable, so that a fit from per-cell sums needs no column of them.
    pub by_level: Option<Vec<Vec<f64>>>,
}

impl InteractionModel {
    /// The indicator columns on `rows` (the rows the model was made for): as stored, or made
    /// now from [`InteractionModel::by_level`] for a model made by [`interaction_models_deferred`].
    pub fn indicator_columns(&self, factor: &Factor, rows: &[usize]) -> Cow<'_, DesignMatrix> {
        match &self.by_level {
            Some(by_level) if self.indicators.columns.len() < self.indicators.names.len() => {
                let mut indicators = DesignMatrix::new();
                for (name, values) in self.indicators.names.iter().zip(by_level) {
                    indicators.push(
                        name.clone(),
                        rows.iter()
                            .map(|&i| values[factor.codes[i] as usize])
                            .collect(),
                    );
                }
                Cow::Owned(indicators)
            }
            _ => Cow::Borrowed(&self.indicators),
        }
    }
}

/// The columns a subgroup variable is made of (a crossing's parts, or the column itself). A
/// covariate among them is left out of the variable's interaction models: the level indicators
/// span it already, so with it the differences would not be identified (issue 15).
pub fn own_columns(factor: &Factor) -> Vec<String> {
    if factor.components.is_empty() {
        vec![factor.name.clone()]
    } else {
        factor.components.iter().map(|c| c.name.clone()).collect()
    }
}

/// Indicators of every level of `factor` but `reference` on `rows`, named `<name><level>` as R
/// names the columns of a 0/1 variable (spaces and `&` kept: the names are only internal).
/// With `columns` false only their names are made (the columns follow from the returned values
/// at each level, [`InteractionModel::indicator_columns`]).
fn indicators_against(
    factor: &Factor,
    reference: usize,
    rows: &[usize],
    columns: bool,
) -> (DesignMatrix, Vec<Vec<f64>>) {
    let mut indicators = DesignMatrix::new();
    let mut by_level = Vec::new();
    for (l, level) in factor.levels.iter().enumerate() {
        if l == reference {
            continue;
        }
        let name = format!("{}{level}", factor.name);
        if columns {
            indicators.push(
                name,
                rows.iter()
                    .map(|&i| f64::from(u8::from(factor.codes[i] as usize == l)))
                    .collect(),
            );
        } else {
            indicators.names.push(name);
        }
        by_level.push(
            (0..factor.levels.len())
                .map(|m| f64::from(u8::from(m == l)))
                .collect(),
        );
    }
    (indicators, by_level)
}

/// The interaction models of `factor` on `rows`, in output order:
/// 1. against the reference: y ~ T + g₁ + … + T:g₁ + … (each level but the reference), the
///    T:g_l coefficient the difference `<level l> - <reference>` (the model `joint`);
/// 2. with `all_pairs`, for each other level j in level order the same model with j as the
///    base level, giving `<level l> - <level j>` for every later level l that is not the
///    reference (every unordered pair once, the later level first);
/// 3. for a crossing of two columns, the 2 × 2 interaction contrasts: y ~ T·a·b with a, b the
///    indicators of a non-reference level of each column (the products too), whose T:a:b
///    coefficient is (τ_{a,b} − τ_{ref,b}) − (τ_{a,ref} − τ_{ref,ref}), how the gap between
///    the levels of the first column differs between the levels of the second, written
///    `(a=x - a=r) x (b=y - b=s)`.
pub fn interaction_models(
    factor: &Factor,
    rows: &[usize],
    all_pairs: bool,
) -> Vec<InteractionModel> {
    models_of(factor, rows, all_pairs, true, true)
}

/// [`interaction_models`] without the level indicators' columns (their names and values at each
/// level only): a fit from per-cell sums reads no column of n entries, and the other fits make
/// them with [`InteractionModel::indicator_columns`]. A crossing's contrasts keep theirs.
pub fn interaction_models_deferred(
    factor: &Factor,
    rows: &[usize],
    all_pairs: bool,
) -> Vec<InteractionModel> {
    models_of(factor, rows, all_pairs, false, true)
}

/// [`interaction_models_deferred`] without a crossing's 2 × 2 contrasts (which need columns of
/// n entries): the models of level indicators, whose values at each level are known.
pub(crate) fn interaction_models_of_levels(
    factor: &Factor,
    rows: &[usize],
    all_pairs: bool,
) -> Vec<InteractionModel> {
    models_of(factor, rows, all_pairs, false, false)
}

fn models_of(
    factor: &Factor,
    rows: &[usize],
    all_pairs: bool,
    with_columns: bool,
    contrasts: bool,
) -> Vec<InteractionModel> {
    let mut models = Vec::new();
    if factor.levels.len() < 2 {
        return models;
    }
    let reference = factor.reference;
    let others: Vec<usize> = (0..factor.levels.len())
        .filter(|&l| l != reference)
        .collect();
    let pair_rows = |l: usize, m: usize| vec![l, m];
    let (indicators, by_level) = indicators_against(factor, reference, rows, with_columns);
    models.push(InteractionModel {
        what: format!("the interaction model of {}", factor.name),
        indicators,
        by_level: Some(by_level),
        wanted: others
            .iter()
            .enumerate()
            .map(|(k, &l)| {
                (
                    k,
                    format!("{} - {}", factor.label(l), factor.label(reference)),
                    pair_rows(l, reference),
                )
            })
            .collect(),
        joint: true,
        own_columns: own_columns(factor),
    });
    if all_pairs {
        for &base in &others {
            let columns: Vec<usize> = (0..factor.levels.len()).filter(|&l| l != base).collect();
            let wanted: Vec<(usize, String, Vec<usize>)> = columns
                .iter()
                .enumerate()
                .filter(|&(_, &l)| l > base && l != reference)
                .map(|(k, &l)| {
                    (
                        k,
                        format!("{} - {}", factor.label(l), factor.label(base)),
                        pair_rows(l, base),
                    )
                })
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let (indicators, by_level) = indicators_against(factor, base, rows, with_columns);
            models.push(InteractionModel {
                what: format!(
                    "the interaction model of {} with base {}",
                    factor.name,
                    factor.label(base)
                ),
                indicators,
                by_level: Some(by_level),
                wanted,
                joint: false,
                own_columns: own_columns(factor),
            });
        }
    }
    if let [a, b] = factor.components.as_slice()
        && contrasts
    {
        for la in (0..a.levels.len()).filter(|&l| l != a.reference) {
            for lb in (0..b.levels.len()).filter(|&l| l != b.reference) {
                let is = |f: &Factor, l: usize| -> Vec<f64> {
                    rows.iter()
                        .map(|&i| f64::from(u8::from(f.codes[i] as usize == l)))
                        .collect()
                };
                let (ia, ib) = (is(a, la), is(b, lb));
                let product: Vec<f64> = ia.iter().zip(&ib).map(|(x, y)| x * y).collect();
                let mut indicators = DesignMatrix::new();
                indicators.push(format!("{}{}", a.name, a.levels[la]), ia);
                indicators.push(format!("{}{}", b.name, b.levels[lb]), ib);
                indicators.push(
                    format!("{}{}:{}{}", a.name, a.levels[la], b.name, b.levels[lb]),
                    product,
                );
                // The four cells the contrast compares (those of its persons).
                let mut cells: Vec<usize> = (0..factor.codes.len())
                    .filter(|&i| {
                        (a.codes[i] as usize == la || a.codes[i] as usize == a.reference)
                            && (b.codes[i] as usize == lb || b.codes[i] as usize == b.reference)
                    })
                    .map(|i| factor.codes[i] as usize)
                    .collect();
                cells.sort_unstable();
                cells.dedup();
                models.push(InteractionModel {
                    what: format!("the 2 x 2 interaction model of {}", factor.name),
                    indicators,
                    wanted: vec![(
                        2,
                        format!(
                            "({} - {}) x ({} - {})",
                            a.label(la),
                            a.label(a.reference),
                            b.label(lb),
                            b.label(b.reference)
                        ),
                        cells,
                    )],
                    joint: false,
                    own_columns: own_columns(factor),
                    by_level: None,
                });
            }
        }
    }
    models
}

/// The joint Wald test that the q coefficients `b` (with robust variance `v`) are all zero:
/// F = b'V⁻¹b / q, referred to F(q, df_den), as `car::linearHypothesis(fit, hypothesis,
/// vcov. = V, test = "F")` with df_den the residual df (n − k) and as estimatr's model F with
/// clusters, df_den = G − 1 (clubSandwich's `Wald_test(test = "Naive-F")`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaldTest {
    pub statistic: f64,
    pub df_num: f64,
    pub df_den: f64,
    pub p_value: f64,
}

/// The Wald statistic b'V⁻¹b (not divided by q) and V⁻¹, or None when V is not positive definite
/// (a coefficient not identified) or an entry is not finite.
pub fn wald_quadratic(b: &[f64], v: &DMatrix<f64>) -> Option<(f64, DMatrix<f64>)> {
    let q = b.len();
    if q == 0
        || v.nrows() != q
        || v.ncols() != q
        || b.iter().chain(v.iter()).any(|x| !x.is_finite())
    {
        return None;
    }
    let chol = v.clone().cholesky()?;
    let inverse = chol.inverse();
    let bv = DVector::from_column_slice(b);
    let w = (bv.transpose() * &inverse * &bv)[(0, 0)];
    w.is_finite().then_some((w, inverse))
}

/// The Wald F test of `b` = 0 with variance `v` and denominator df `df_den`.
pub fn wald_test(b: &[f64], v: &DMatrix<f64>, df_den: f64) -> Option<(WaldTest, DMatrix<f64>)> {
    let (w, inverse) = wald_quadratic(b, v)?;
    let q = b.len() as f64;
    let statistic = w / q;
    Some((
        WaldTest {
            statistic,
            df_num: q,
            df_den,
            p_value: crate::dist::pf_upper(statistic, q, df_den),
        },
        inverse,
    ))
}

/// b'Mb for a fixed M (the randomization statistic of the joint test: the observed V⁻¹ held
/// fixed across draws, so that each draw needs only its subgroup differences).
pub fn quadratic_form(b: &[f64], m: &DMatrix<f64>) -> f64 {
    if b.iter().any(|x| !x.is_finite()) || m.nrows() != b.len() {
        return f64::NAN;
    }
    let bv = DVector::from_column_slice(b);
    (bv.transpose() * m * &bv)[(0, 0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(name: &str, labels: &[&str]) -> Factor {
        let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        Factor::from_labels(name, &labels)
    }

    #[test]
    fn a_crossing_lists_the_cells_that_occur_in_the_parts_level_order() {
        let g = factor("gender", &["M", "F", "F", "M", "F"]);
        let a = factor("age_band", &["25-54", "16-24", "25-54", "25-54", "16-24"]);
        let mut parts = vec![g, a];
        let refs: BTreeMap<String, String> = [
            ("gender".to_string(), "M".to_string()),
            ("age_band".to_string(), "25-54".to_string()),
        ]
        .into();
        for p in &mut parts {
            p.choose_reference(&refs).unwrap();
        }
        let x = Factor::crossing(parts).unwrap();
        assert_eq!(x.reference, 2);
        assert_eq!(x.name, "gender*age_band");
        assert_eq!(
            x.levels,
            [
                "gender=F & age_band=16-24",
                "gender=F & age_band=25-54",
                "gender=M & age_band=25-54"
            ]
        );
        assert_eq!(x.codes, [2, 0, 1, 2, 0]);
        assert_eq!(x.label(0), "gender=F & age_band=16-24");
        // gender M, age band 16-24: no one is there.
        let mut parts = x.components.clone();
        let refs: BTreeMap<String, String> = [
            ("gender".to_string(), "M".to_string()),
            ("age_band".to_string(), "16-24".to_string()),
        ]
        .into();
        for p in &mut parts {
            p.choose_reference(&refs).unwrap();
        }
        let err = Factor::crossing(parts).unwrap_err().to_string();
        assert!(err.contains("gender=M & age_band=16-24"), "{err}");
        assert!(err.contains("holds no one"), "{err}");
    }

    #[test]
    fn an_unknown_reference_level_is_an_error_listing_the_levels() {
        let mut g = factor("gender", &["M", "F"]);
        let refs: BTreeMap<String, String> = [("gender".to_string(), "X".to_string())].into();
        let err = g.choose_reference(&refs).unwrap_err().to_string();
        assert!(err.contains("`X`") && err.contains("F, M"), "{err}");
        // The default is the first level in level order.
        g.choose_reference(&BTreeMap::new()).unwrap();
        assert_eq!(g.reference, 0);
    }

    #[test]
    fn the_models_name_differences_against_the_reference_pairs_and_the_contrast() {
        let mut g = factor("g", &["a", "b", "c", "a"]);
        g.reference = 1;
        let rows = [0, 1, 2, 3];
        let models = interaction_models(&g, &rows, true);
        let labels: Vec<&str> = models
            .iter()
            .flat_map(|m| m.wanted.iter().map(|w| w.1.as_str()))
            .collect();
        assert_eq!(labels, ["g=a - g=b", "g=c - g=b", "g=c - g=a"]);
        assert!(models[0].joint && !models[1].joint);
        let x = Factor::crossing(vec![
            factor("s", &["F", "M", "F", "M"]),
            factor("d", &["far", "far", "near", "near"]),
        ])
        .unwrap();
        let models = interaction_models(&x, &rows, false);
        assert_eq!(
            models[1].wanted[0].1, "(s=M - s=F) x (d=near - d=far)",
            "{models:?}"
        );
        assert_eq!(models[1].indicators.columns[2], [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(models[1].wanted[0].2, [0, 1, 2, 3]);
    }

    #[test]
    fn every_label_names_its_subgroup_variable() {
        for (label, variable) in [
            ("gender=F", Some("gender")),
            ("gender=M - gender=F", Some("gender")),
            ("gender: joint", Some("gender")),
            ("gender=F & age_band=16-24", Some("gender*age_band")),
            (
                "gender=F & age_band=16-24 - gender=M & age_band=25-54",
                Some("gender*age_band"),
            ),
            (
                "(gender=F - gender=M) x (distance=far - distance=near)",
                Some("gender*distance"),
            ),
            ("all", None),
            ("gender=F - age=1", None),
        ] {
            assert_eq!(variable_of(label).as_deref(), variable, "{label}");
        }
    }

    #[test]
    fn the_wald_statistic_of_one_coefficient_is_its_squared_t() {
        let v = DMatrix::from_row_slice(1, 1, &[0.25]);
        let (t, _) = wald_test(&[1.0], &v, 30.0).unwrap();
        assert!((t.statistic - 4.0).abs() < 1e-15);
        let p = crate::dist::t_two_sided_p(2.0, 30.0);
        assert!((t.p_value - p).abs() < 1e-12);
        let singular = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
        assert!(wald_quadratic(&[1.0, 2.0], &singular).is_none());
    }
}
