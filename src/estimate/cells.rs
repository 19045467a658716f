//! Least squares with HC0–HC3 standard errors from per-cell sums, for the tall regressions of
//! `ols` and `lin` (a million rows, a handful of covariates): no design column, no subset of the
//! outcome and no residual vector of n entries is ever formed.
//!
//! The rows of a model fall into cells — arm × level of the subgroup variable whose
//! interaction model it is (arm alone for the overall and the subgroup models) — and within a
//! cell every design column is an affine function of the row's covariates x: a constant (the
//! intercept, a treatment or level indicator, a Lin-centred indicator) or a constant plus a
//! multiple of one covariate (x_j; Lin's x_j − x̄_j and t_a (x_j − x̄_j)). So the design row of
//! row i in cell c is X_i = μ_c + B_c d_i with d_i = x_i − m_c, m_c the cell's mean of x and μ_c
//! the design row at m_c. With the cell's count n_c, its means (of x and y) and its centred
//! cross-products S_c = Σ (x_i − m_c, y_i − ȳ_c)(…)' (one pass over the rows, blocks merged in
//! order by Chan, Golub & LeVeque's (1983) pairwise update), every sum the fit needs follows
//! by small matrix products, the design centred at its column means as in
//! [`super::crossproducts`] (an exact reparametrization; the intercept's row is not reported):
//!
//! - A = Σ_c n_c μ̃_c μ̃_c' + B_c S_c,xx B_c' and U'y = Σ_c n_c μ̃_c ȳ_c + B_c S_c,xy, with
//!   μ̃_c = μ_c − s (s the column means, 0 for the intercept);
//! - a second pass gives, for each row, its residual e_i = (ȳ_c − μ̃_c'γ) + (y_i − ȳ_c) −
//!   (B_c'γ)'d_i, its leverage h_ii = μ̃_c'A⁻¹μ̃_c + 2 (B_c'A⁻¹μ̃_c)'d_i + d_i'B_c'A⁻¹B_c d_i, and its
//!   weight ω_i (e², e²/(1 − h), e²/(1 − h)²: MacKinnon & White 1985; estimatr's mathematical
//!   notes), summed per cell as W0 = Σ ω_i, W1 = Σ ω_i d_i, W2 = Σ ω_i d_i d_i';
//! - the meat Σ ω_i X̃_i X̃_i' = Σ_c W0 μ̃μ̃' + μ̃ (B W1)' + (B W1) μ̃' + B W2 B', and
//!   V = A⁻¹ M A⁻¹ (× n/(n − k) for HC1).
//!
//! The guards are [`super::crossproducts`]'s ([`solve_normal`]; a leverage near one): where
//! this route could disagree with R's pivoted QR it gives up (None) and the caller fits as
//! before. Weights, clusters, fixed effects, text covariates and the difference in means take
//! the caller's route.

use super::crossproducts::{hc_weight, solve_normal};
use super::ols::DesignMatrix;
use super::rows::SeRule;
use super::vcov::SeType;
use super::{AnalysisData, CovariateValues, Effect, EstimateOptions, Estimator, Factor, TermsVcov};
use crate::linalg::row_blocks;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// What a model adds to the treatment and the covariates: nothing (the overall and subgroup
/// models), or the level indicators of a subgroup variable's interaction model, with the cell
/// partition they are constant on and the covariates they replace.
pub(crate) struct Interaction<'a> {
    pub factor: &'a Factor,
    /// The indicators, over the model's rows (as `rows` lists them); their names only where
    /// `by_level` gives their values.
    pub indicators: &'a DesignMatrix,
    /// Each indicator's value at each level of `factor`, where known
    /// ([`super::subgroups::InteractionModel::by_level`]): then no column is read.
    pub by_level: Option<&'a [Vec<f64>]>,
    pub own_columns: &'a [String],
}

/// Per cell: count, means of (x, y) and centred cross-products of (x, y), (p + 1)².
#[derive(Debug, Clone)]
struct Moments {
    n: f64,
    mean: Vec<f64>,
    scatter: Vec<f64>,
}

impl Moments {
    fn new(q: usize) -> Moments {
        Moments {
            n: 0.0,
            mean: vec![0.0; q],
            scatter: vec![0.0; q * q],
        }
    }

    /// Chan, Golub & LeVeque's pairwise update: the moments of both sets of rows.
    fn merge(&mut self, other: &Moments) {
        if other.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = other.clone();
            return;
        }
        let q = self.mean.len();
        let n = self.n + other.n;
        let delta: Vec<f64> = (0..q).map(|j| other.mean[j] - self.mean[j]).collect();
        let factor = self.n * other.n / n;
        for r in 0..q {
            for c in 0..q {
                self.scatter[r * q + c] += other.scatter[r * q + c] + delta[r] * delta[c] * factor;
            }
        }
        for (mean, d) in self.mean.iter_mut().zip(&delta) {
            *mean += d * other.n / n;
        }
        self.n = n;
    }
}

/// The columns one row reads: covariates and the outcome.
struct RowValues<'a> {
    x: Vec<&'a [f64]>,
    y: &'a [f64],
}

impl RowValues<'_> {
    fn fill(&self, i: usize, v: &mut [f64]) {
        for (slot, column) in v.iter_mut().zip(&self.x) {
            *slot = column[i];
        }
        v[self.x.len()] = self.y[i];
    }
}

/// The cell of each row: arm × level of the partition (arm alone without one).
struct Cells<'a> {
    codes: &'a [usize],
    partition: Option<&'a [usize]>,
    levels: usize,
    count: usize,
}

impl Cells<'_> {
    fn of(&self, i: usize) -> Option<usize> {
        let level = self.partition.map_or(Some(0), |p| p.get(i).copied())?;
        let cell = self.codes.get(i)? * self.levels + level;
        (cell < self.count).then_some(cell)
    }
}

/// Each cell's moments, and the first position in `rows` of each cell.
type CellMoments = (Vec<Moments>, Vec<Option<usize>>);

/// Each cell's moments over `rows` (positions into the data), and the first position of each
/// cell; None when a row has no cell or a value is not finite.
fn moments(rows: &[usize], values: &RowValues<'_>, cells: &Cells<'_>) -> Option<CellMoments> {
    let q = values.x.len() + 1;
    // Each worker's gather buffers, reused from block to block (fresh ones per block were
    // 0.6 MB of new memory each, 40 MB over a million rows).
    let buffers = || (Vec::<usize>::new(), Vec::<f64>::new());
    let parts: Vec<Option<CellMoments>> = row_blocks(rows.len())
        .par_iter()
        .map_init(buffers, |(block_cells, block_values), &(a, b)| {
            let mut sums = vec![Moments::new(q); cells.count];
            let mut first = vec![None; cells.count];
            // Means first, then the cross-products about them. The first sweep gathers the
            // block's rows (cell and values) into a small row-major buffer that the second
            // reads from cache, instead of gathering every column by row index again.
            block_cells.clear();
            block_values.clear();
            block_values.resize((b - a) * q, 0.0);
            for ((p, &i), v) in rows[a..b]
                .iter()
                .enumerate()
                .zip(block_values.chunks_exact_mut(q))
            {
                let c = cells.of(i)?;
                values.fill(i, v);
                if !v.iter().all(|x| x.is_finite()) {
                    return None;
                }
                block_cells.push(c);
                first[c].get_or_insert(a + p);
                let m = &mut sums[c];
                m.n += 1.0;
                for (s, x) in m.mean.iter_mut().zip(v.iter()) {
                    *s += x;
                }
            }
            for m in &mut sums {
                if m.n > 0.0 {
                    let n = m.n;
                    m.mean.iter_mut().for_each(|s| *s /= n);
                }
            }
            for (&c, v) in block_cells.iter().zip(block_values.chunks_exact_mut(q)) {
                let m = &mut sums[c];
                for (x, mean) in v.iter_mut().zip(&m.mean) {
                    *x -= mean;
                }
                for r in 0..q {
                    for col in r..q {
                        m.scatter[r * q + col] += v[r] * v[col];
                    }
                }
            }
            for m in &mut sums {
                for r in 0..q {
                    for col in 0..r {
                        m.scatter[r * q + col] = m.scatter[col * q + r];
                    }
                }
            }
            Some((sums, first))
        })
        .collect();
    let mut total = vec![Moments::new(q); cells.count];
    let mut first = vec![None; cells.count];
    for part in parts {
        let (sums, firsts) = part?;
        for (t, s) in total.iter_mut().zip(&sums) {
            t.merge(s);
        }
        for (f, g) in first.iter_mut().zip(firsts) {
            if f.is_none() {
                *f = g;
            }
        }
    }
    Some((total, first))
}

/// The moments of every (arm × level) cell of one subgroup variable over everyone's rows, with
/// every covariate: one pass over the rows serves everyone's model (each arm's cells merged in
/// level order by Chan, Golub & LeVeque's update), each level's model (its cells as they are)
/// and the interaction models (every cell), where each model used to take its own pass. A
/// model's moments over a subset of the variables are the matching entries, exactly.
pub(crate) struct SharedMoments<'a> {
    codes: &'a [usize],
    y: &'a [f64],
    rows: &'a [usize],
    factor: &'a Factor,
    levels: usize,
    moments: Vec<Moments>,
    first: Vec<Option<usize>>,
}

/// Which model of the shared rows a fit is: everyone's rows (level None; the overall model, or
/// an interaction model of the shared factor) or one level's rows.
#[derive(Clone, Copy)]
pub(crate) struct Shared<'a> {
    pub moments: &'a SharedMoments<'a>,
    pub level: Option<usize>,
}

/// The same slice (not only equal values): the shared moments describe these rows.
fn same<T>(a: &[T], b: &[T]) -> bool {
    std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
}

/// The shared moments of `factor`'s (arm × level) cells over `rows` (everyone's), for fits by
/// [`fit`] of this outcome and assignment; None where [`fit`] does not apply or would give up
/// in its own pass (a text covariate, a value not finite, a row without a cell).
pub(crate) fn shared<'a>(
    data: &'a AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &'a [usize],
    y: &'a [f64],
    rows: &'a [usize],
    factor: &'a Factor,
) -> Option<SharedMoments<'a>> {
    if !matches!(options.estimator, Estimator::Lin | Estimator::Ols)
        || se.is_cluster()
        || data.weights.is_some()
        || data.cluster.is_some()
    {
        return None;
    }
    let x: Vec<&[f64]> = data
        .covariates
        .iter()
        .map(|c| match &c.values {
            CovariateValues::Number(v) if v.len() == y.len() => Some(v.as_slice()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let levels = factor.levels.len().max(1);
    let cells = Cells {
        codes,
        partition: Some(factor.codes.as_slice()),
        levels,
        count: data.treatment.arms.len() * levels,
    };
    let (moments, first) = moments(rows, &RowValues { x, y }, &cells)?;
    Some(SharedMoments {
        codes,
        y,
        rows,
        factor,
        levels,
        moments,
        first,
    })
}

impl SharedMoments<'_> {
    /// The moments of one model's cells (as [`moments`] would give them over `rows`, up to the
    /// order of the sums) over the covariates `keep` (indices into the data's covariates) and
    /// the outcome; None when the model is not one of the shared rows'.
    fn model(
        &self,
        shared: Shared<'_>,
        codes: &[usize],
        y: &[f64],
        rows: &[usize],
        interaction: Option<&Factor>,
        keep: &[usize],
    ) -> Option<CellMoments> {
        if !(same(codes, self.codes) && same(y, self.y)) {
            return None;
        }
        let q_all = self.moments.first()?.mean.len();
        let index: Vec<usize> = keep.iter().copied().chain([q_all - 1]).collect();
        let pick = |m: &Moments| Moments {
            n: m.n,
            mean: index.iter().map(|&j| m.mean[j]).collect(),
            scatter: index
                .iter()
                .flat_map(|&r| index.iter().map(move |&c| m.scatter[r * q_all + c]))
                .collect(),
        };
        let arms = self.moments.len() / self.levels;
        match (shared.level, interaction) {
            (None, None) if same(rows, self.rows) => {
                let mut merged = Vec::with_capacity(arms);
                let mut first = Vec::with_capacity(arms);
                for a in 0..arms {
                    let cells = a * self.levels..(a + 1) * self.levels;
                    let mut m = Moments::new(index.len());
                    for c in cells.clone() {
                        m.merge(&pick(&self.moments[c]));
                    }
                    merged.push(m);
                    first.push(self.first[cells].iter().flatten().min().copied());
                }
                Some((merged, first))
            }
            // A level's positions differ from everyone's; without an interaction `first` is
            // not read.
            (Some(l), None) if l < self.levels => Some((
                (0..arms)
                    .map(|a| pick(&self.moments[a * self.levels + l]))
                    .collect(),
                vec![None; arms],
            )),
            (None, Some(f)) if std::ptr::eq(f, self.factor) && same(rows, self.rows) => {
                Some((self.moments.iter().map(pick).collect(), self.first.clone()))
            }
            _ => None,
        }
    }
}

/// One design column within a cell: a constant, plus `slope` times covariate `covariate` minus
/// its centre (Lin) where it has one.
#[derive(Debug, Clone, Copy)]
struct Column {
    constant: f64,
    slope: f64,
    covariate: Option<usize>,
    centre: f64,
}

impl Column {
    fn constant(value: f64) -> Column {
        Column {
            constant: value,
            slope: 0.0,
            covariate: None,
            centre: 0.0,
        }
    }
}

/// A model's design: column names, and each cell's columns.
struct Design {
    names: Vec<String>,
    /// Per cell present in the model: (cell, its columns).
    cells: Vec<(usize, Vec<Column>)>,
}

/// The design `super::model_design` builds for `lin` and `ols` (same names, same order), cell
/// by cell. `indicator(c, k)` is the k-th level indicator's value in cell c.
#[allow(clippy::too_many_arguments)]
fn design(
    estimator: Estimator,
    data: &AnalysisData,
    covariates: &[(String, usize)],
    present: &[(usize, usize, f64)],
    moments: &[Moments],
    indicators: &[(String, Vec<f64>)],
) -> Design {
    let arms = data.treatment.arms.len();
    let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
    let n: f64 = present.iter().map(|&(_, _, n)| n).sum();
    // The model's means of the indicators and covariates (Lin centres at them).
    let indicator_means: Vec<f64> = indicators
        .iter()
        .map(|(_, by_cell)| {
            present
                .iter()
                .map(|&(c, _, nc)| nc * by_cell[c])
                .sum::<f64>()
                / n
        })
        .collect();
    let covariate_means: Vec<f64> = (0..covariates.len())
        .map(|j| {
            present
                .iter()
                .map(|&(c, _, nc)| nc * moments[c].mean[j])
                .sum::<f64>()
                / n
        })
        .collect();
    let mut names = vec!["(Intercept)".to_string()];
    names.extend(terms.iter().cloned());
    match estimator {
        Estimator::Lin => {
            let centred: Vec<String> = indicators
                .iter()
                .map(|(name, _)| name)
                .chain(covariates.iter().map(|(name, _)| name))
                .map(|name| format!("{name}_c"))
                .collect();
            names.extend(centred.iter().cloned());
            for c in &centred {
                for t in &terms {
                    names.push(format!("{t}:{c}"));
                }
            }
        }
        _ => {
            names.extend(indicators.iter().map(|(name, _)| name.clone()));
            for (g, _) in indicators {
                for t in &terms {
                    names.push(format!("{t}:{g}"));
                }
            }
            names.extend(covariates.iter().map(|(name, _)| name.clone()));
        }
    }
    let cells = present
        .iter()
        .map(|&(c, arm, _)| {
            let t = |a: usize| f64::from(u8::from(arm == a));
            let mut columns = vec![Column::constant(1.0)];
            columns.extend((1..arms).map(|a| Column::constant(t(a))));
            let covariate = |j: usize, slope: f64, centre: f64| Column {
                constant: 0.0,
                slope,
                covariate: Some(j),
                centre,
            };
            match estimator {
                Estimator::Lin => {
                    let mut centred: Vec<Column> = indicators
                        .iter()
                        .zip(&indicator_means)
                        .map(|((_, by_cell), mean)| Column::constant(by_cell[c] - mean))
                        .collect();
                    centred.extend(
                        covariate_means
                            .iter()
                            .enumerate()
                            .map(|(j, &mean)| covariate(j, 1.0, mean)),
                    );
                    columns.extend(centred.iter().copied());
                    for col in &centred {
                        for a in 1..arms {
                            columns.push(Column {
                                constant: col.constant * t(a),
                                slope: col.slope * t(a),
                                ..*col
                            });
                        }
                    }
                }
                _ => {
                    columns.extend(indicators.iter().map(|(_, v)| Column::constant(v[c])));
                    for (_, v) in indicators {
                        for a in 1..arms {
                            columns.push(Column::constant(v[c] * t(a)));
                        }
                    }
                    columns.extend((0..covariates.len()).map(|j| covariate(j, 1.0, 0.0)));
                }
            }
            (c, columns)
        })
        .collect();
    Design { names, cells }
}

/// The effects of `wanted` (terms of the model) and their joint variance, for a fit of `y` on
/// the `lin` or `ols` design over `rows` (with the level indicators of `interaction`); None
/// when this route does not apply or gives up (the caller then fits as before).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit(
    data: &AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &[usize],
    y: &[f64],
    rows: &[usize],
    interaction: Option<&Interaction<'_>>,
    wanted: &[String],
    shared: Option<Shared<'_>>,
) -> Option<(Vec<Effect>, TermsVcov)> {
    if !matches!(options.estimator, Estimator::Lin | Estimator::Ols)
        || se.is_cluster()
        || data.weights.is_some()
        || data.cluster.is_some()
    {
        return None;
    }
    let skip: &[String] = interaction.map_or(&[], |m| m.own_columns);
    let mut x: Vec<&[f64]> = Vec::new();
    let mut covariates: Vec<(String, usize)> = Vec::new();
    let mut keep: Vec<usize> = Vec::new();
    for (j, c) in data
        .covariates
        .iter()
        .enumerate()
        .filter(|(_, c)| !skip.contains(&c.name))
    {
        match &c.values {
            CovariateValues::Number(v) if v.len() == y.len() => {
                covariates.push((c.name.clone(), x.len()));
                keep.push(j);
                x.push(v);
            }
            _ => return None,
        }
    }
    let p = x.len();
    let q = p + 1;
    let arms = data.treatment.arms.len();
    let (partition, levels) = match interaction {
        Some(m) => (
            Some(m.factor.codes.as_slice()),
            m.factor.levels.len().max(1),
        ),
        None => (None, 1),
    };
    let cells = Cells {
        codes,
        partition,
        levels,
        count: arms * levels,
    };
    let values = RowValues { x, y };
    let from_shared = shared.and_then(|s| {
        s.moments
            .model(s, codes, y, rows, interaction.map(|m| m.factor), &keep)
    });
    let (moments, first) = match from_shared {
        Some(shared) => shared,
        None => moments(rows, &values, &cells)?,
    };
    // The cells present, with their arm and count.
    let present: Vec<(usize, usize, f64)> = (0..cells.count)
        .filter(|&c| moments[c].n > 0.0)
        .map(|c| (c, c / levels, moments[c].n))
        .collect();
    // Each level indicator's value in each cell (constant there: a function of the level).
    let mut indicators: Vec<(String, Vec<f64>)> = Vec::new();
    if let Some(m) = interaction
        && let Some(by_level) = m.by_level
    {
        // A function of the level by construction, and the cells are arm × level.
        for (name, values) in m.indicators.names.iter().zip(by_level) {
            let mut by_cell = vec![0.0; cells.count];
            for &(c, _, _) in &present {
                by_cell[c] = *values.get(c % levels)?;
            }
            indicators.push((name.clone(), by_cell));
        }
        if indicators.len() != m.indicators.names.len() {
            return None;
        }
    } else if let Some(m) = interaction {
        for (name, column) in m.indicators.names.iter().zip(&m.indicators.columns) {
            let mut by_cell = vec![0.0; cells.count];
            for &(c, _, _) in &present {
                by_cell[c] = *column.get(first[c]?)?;
            }
            // Constant in each cell, as a function of the level is: checked on every row.
            let constant = rows.par_iter().enumerate().all(|(position, &i)| {
                cells
                    .of(i)
                    .is_some_and(|c| column.get(position) == Some(&by_cell[c]))
            });
            if !constant {
                return None;
            }
            indicators.push((name.clone(), by_cell));
        }
    }
    let design = design(
        options.estimator,
        data,
        &covariates,
        &present,
        &moments,
        &indicators,
    );
    let k = design.names.len();
    let n: f64 = present.iter().map(|&(_, _, n)| n).sum();
    if n <= k as f64 {
        return None;
    }
    // μ_c and B_c of each cell.
    let maps: Vec<(usize, DVector<f64>, DMatrix<f64>)> = design
        .cells
        .iter()
        .map(|(c, columns)| {
            let m = &moments[*c];
            let mu = DVector::from_iterator(
                k,
                columns.iter().map(|col| {
                    col.constant
                        + col
                            .covariate
                            .map_or(0.0, |j| col.slope * (m.mean[j] - col.centre))
                }),
            );
            let mut b = DMatrix::zeros(k, p);
            for (r, col) in columns.iter().enumerate() {
                if let Some(j) = col.covariate {
                    b[(r, j)] = col.slope;
                }
            }
            (*c, mu, b)
        })
        .collect();
    // The column means (the shift s; none for the intercept), and the cross-products.
    let mut shift = DVector::zeros(k);
    for (c, mu, _) in &maps {
        shift += mu * moments[*c].n;
    }
    shift /= n;
    shift[0] = 0.0;
    let mut a_mat = DMatrix::<f64>::zeros(k, k);
    let mut a_y = DMatrix::<f64>::zeros(k, 1);
    let mut squares = vec![0.0; k];
    for (c, mu, b) in &maps {
        let m = &moments[*c];
        let s = DMatrix::from_row_slice(q, q, &m.scatter);
        let s_xx = s.view((0, 0), (p, p));
        let s_xy = s.view((0, p), (p, 1));
        let centred = mu - &shift;
        let bsb = b * s_xx * b.transpose();
        a_mat += &centred * centred.transpose() * m.n + &bsb;
        a_y += &centred * m.mean[p] * m.n + b * s_xy;
        for j in 0..k {
            squares[j] += m.n * mu[j] * mu[j] + bsb[(j, j)];
        }
    }
    let normal = solve_normal(&a_mat, &a_y, &squares)?;
    let gamma = DVector::from_column_slice(&normal.gamma);
    let a_inv = &normal.a_inv;
    // Per cell: the residual at the cell mean, its slope in d, and the leverage's pieces.
    struct CellFit {
        residual: f64,
        slope: Vec<f64>,
        h0: f64,
        h1: Vec<f64>,
        h2: Vec<f64>,
    }
    let mut per_cell: Vec<Option<CellFit>> = (0..cells.count).map(|_| None).collect();
    for (c, mu, b) in &maps {
        let centred = mu - &shift;
        let a_mu = a_inv * &centred;
        let bt_a_b = b.transpose() * a_inv * b;
        per_cell[*c] = Some(CellFit {
            residual: moments[*c].mean[p] - centred.dot(&gamma),
            slope: (b.transpose() * &gamma).iter().copied().collect(),
            h0: centred.dot(&a_mu),
            h1: (b.transpose() * &a_mu).iter().copied().collect(),
            h2: bt_a_b.transpose().as_slice().to_vec(),
        });
    }
    // Second pass: each row's weight ω, summed per cell as W0, W1, W2.
    type Weights = Vec<(f64, Vec<f64>, Vec<f64>)>;
    let empty = || -> Weights { vec![(0.0, vec![0.0; p], vec![0.0; p * p]); cells.count] };
    let parts: Vec<Option<Weights>> = row_blocks(rows.len())
        .par_iter()
        .map(|&(a, b)| {
            let mut w = empty();
            let mut v = vec![0.0; q];
            for &i in &rows[a..b] {
                let c = cells.of(i)?;
                let fit = per_cell[c].as_ref()?;
                values.fill(i, &mut v);
                let mean = &moments[c].mean;
                for (x, m) in v.iter_mut().zip(mean) {
                    *x -= m;
                }
                let d = &v[..p];
                let mut e = fit.residual + v[p];
                let mut h = fit.h0;
                for r in 0..p {
                    e -= fit.slope[r] * d[r];
                    let row = &fit.h2[r * p..(r + 1) * p];
                    let quad: f64 = row.iter().zip(d).map(|(x, y)| x * y).sum();
                    h += d[r] * (2.0 * fit.h1[r] + quad);
                }
                let omega = hc_weight(se, e, h)?;
                let (w0, w1, w2) = &mut w[c];
                *w0 += omega;
                for r in 0..p {
                    let od = omega * d[r];
                    w1[r] += od;
                    for col in r..p {
                        w2[r * p + col] += od * d[col];
                    }
                }
            }
            Some(w)
        })
        .collect();
    let mut weights = empty();
    for part in parts {
        for (total, w) in weights.iter_mut().zip(part?) {
            total.0 += w.0;
            for (t, x) in total.1.iter_mut().zip(&w.1) {
                *t += x;
            }
            for (t, x) in total.2.iter_mut().zip(&w.2) {
                *t += x;
            }
        }
    }
    let mut meat = DMatrix::<f64>::zeros(k, k);
    for (c, mu, b) in &maps {
        let (w0, w1, w2) = &weights[*c];
        let mut w2 = DMatrix::from_row_slice(p, p, w2);
        for r in 0..p {
            for col in 0..r {
                w2[(r, col)] = w2[(col, r)];
            }
        }
        let centred = mu - &shift;
        let bw1 = b * DVector::from_column_slice(w1);
        meat += &centred * centred.transpose() * *w0
            + &centred * bw1.transpose()
            + &bw1 * centred.transpose()
            + b * w2 * b.transpose();
    }
    let mut vcov = a_inv * meat * a_inv;
    if se == SeType::Hc1 {
        vcov *= n / (n - k as f64);
    }
    let vcov = (&vcov + vcov.transpose()) * 0.5;
    let df = n - k as f64;
    let mut effects = Vec::with_capacity(wanted.len());
    let mut index = Vec::with_capacity(wanted.len());
    for term in wanted {
        // The intercept's row changes with the shift: never a reported term.
        let j = design
            .names
            .iter()
            .position(|name| name == term)
            .filter(|&j| j > 0)?;
        let (estimate, variance) = (normal.gamma[j], vcov[(j, j)]);
        if !(estimate.is_finite() && variance.is_finite()) {
            return None;
        }
        effects.push(Effect::plain(
            estimate,
            variance.sqrt(),
            df,
            SeRule::Robust(se),
        ));
        index.push(j);
    }
    let matrix = DMatrix::from_fn(index.len(), index.len(), |r, c| vcov[(index[r], index[c])]);
    Some((effects, TermsVcov { matrix, df_den: df }))
}

#[cfg(test)]
mod tests {
    //! The per-cell route against the QR route it stands in for (`group_effects` and
    //! `interaction_effects` below [`super::super::crossproducts::MIN_ROWS`] rows, which fit the
    //! materialized design by pivoted QR): every estimate, standard error, degrees of freedom
    //! and joint variance, for `lin` and `ols`, HC0–HC3, two and three arms, a three-level
    //! subgroup variable (a crossing too) and a covariate on the scale of a birth year.
    use super::super::subgroups::{
        InteractionModel, interaction_models, interaction_models_deferred,
    };
    use super::super::{Covariate, Extras, Treatment, group_effects, interaction_effects};
    use super::*;

    /// Relative agreement with the QR: normal equations of centred sums, far inside the 1e-10
    /// to which lotta matches estimatr.
    const AGREE: f64 = 1e-11;

    fn close(got: f64, want: f64, what: &str) {
        assert!(
            (got - want).abs() <= AGREE * want.abs().max(1e-300),
            "{what}: {got} against {want}"
        );
    }

    /// Whether the model gives its indicators' values at each level (not a crossing's contrast).
    fn by_level_known(model: &InteractionModel) -> bool {
        model.by_level.is_some()
    }

    fn data(n: usize, arms: usize) -> AnalysisData {
        // A deterministic scramble of (row, salt) into [0, 1) (SplitMix64's finalizer; no
        // random stream is needed for a fixture).
        let u = |i: usize, salt: u64| {
            let mut z = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z ^= z >> 31;
            z = z.wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 29;
            (z >> 11) as f64 / (1u64 << 53) as f64
        };
        let codes: Vec<usize> = (0..n).map(|i| (u(i, 1) * arms as f64) as usize).collect();
        let level: Vec<usize> = (0..n).map(|i| (u(i, 2) * 3.0) as usize).collect();
        let age: Vec<f64> = (0..n).map(|i| 20.0 + (u(i, 3) * 45.0).floor()).collect();
        let born: Vec<f64> = (0..n).map(|i| 1950.0 + (u(i, 4) * 50.0).floor()).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                0.3 * codes[i] as f64 + 0.02 * age[i] - 0.5 * level[i] as f64 * codes[i] as f64
                    + u(i, 5)
            })
            .collect();
        AnalysisData {
            treatment: Treatment {
                name: "z".into(),
                arms: (0..arms).map(|a| a.to_string()).collect(),
                codes,
            },
            outcomes: vec![("y".into(), y)],
            covariates: vec![
                Covariate {
                    name: "age".into(),
                    values: CovariateValues::Number(age),
                },
                Covariate {
                    name: "born".into(),
                    values: CovariateValues::Number(born),
                },
            ],
            by: vec![Factor::new(
                "site",
                vec!["a".into(), "b".into(), "c".into()],
                level,
            )],
            strata: None,
            cluster: None,
            weights: None,
            participation: None,
            ids: None,
        }
    }

    #[test]
    fn every_model_agrees_with_the_qr_fit() {
        let extras = Extras {
            wild: None,
            diagnostics: false,
        };
        for arms in [2, 3] {
            let data = data(3000, arms);
            let y = &data.outcomes[0].1;
            let codes = &data.treatment.codes;
            let by = &data.by[0];
            let all: Vec<usize> = (0..data.n_rows()).collect();
            for estimator in [Estimator::Lin, Estimator::Ols] {
                for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                    let options = EstimateOptions {
                        estimator,
                        se: Some(se),
                        ..Default::default()
                    };
                    let what = format!("{arms} arms, {estimator:?}, {se:?}");
                    let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
                    let level_b: Vec<usize> =
                        all.iter().copied().filter(|&i| by.codes[i] == 1).collect();
                    for rows in [&all, &level_b] {
                        let mut w = Vec::new();
                        let qr = group_effects(
                            &data, &options, se, codes, y, rows, "t", &extras, &mut w, None,
                        )
                        .unwrap();
                        let (cells, _) =
                            fit(&data, &options, se, codes, y, rows, None, &terms, None).unwrap();
                        for ((_, q), c) in qr.iter().zip(&cells) {
                            close(c.estimate, q.estimate, &what);
                            close(c.std_error, q.std_error, &what);
                            close(c.df, q.df, &what);
                        }
                    }
                    for model in interaction_models(by, &all, true) {
                        let mut w = Vec::new();
                        let (qr, qr_vcov) = interaction_effects(
                            &data, &options, se, codes, y, &all, by, &model, "t", &extras, &mut w,
                            None,
                        )
                        .unwrap();
                        let wanted: Vec<String> = qr
                            .iter()
                            .map(|((k, _, _), a, _)| {
                                let g = &model.indicators.names[*k];
                                let t = data.treatment.term(*a);
                                match estimator {
                                    Estimator::Lin => format!("{t}:{g}_c"),
                                    _ => format!("{t}:{g}"),
                                }
                            })
                            .collect();
                        // The indicators read from their columns, and from their values at
                        // each level (a crossing's contrasts have only their columns).
                        let routes = [None, model.by_level.as_deref()];
                        for by_level in routes.iter().take(1 + usize::from(by_level_known(&model)))
                        {
                            let interaction = Interaction {
                                factor: by,
                                indicators: &model.indicators,
                                by_level: *by_level,
                                own_columns: &model.own_columns,
                            };
                            let (cells, vcov) = fit(
                                &data,
                                &options,
                                se,
                                codes,
                                y,
                                &all,
                                Some(&interaction),
                                &wanted,
                                None,
                            )
                            .unwrap();
                            for ((_, _, q), c) in qr.iter().zip(&cells) {
                                close(c.estimate, q.estimate, &what);
                                close(c.std_error, q.std_error, &what);
                            }
                            for (c, q) in vcov.matrix.iter().zip(qr_vcov.matrix.iter()) {
                                close(*c, *q, &what);
                            }
                            assert_eq!(vcov.df_den, qr_vcov.df_den);
                        }
                    }
                    // The QR route of a model made without its indicators' columns makes them
                    // itself: the same fit to the bit.
                    let materialized = interaction_models(by, &all, true);
                    let deferred = interaction_models_deferred(by, &all, true);
                    assert_eq!(materialized.len(), deferred.len());
                    for (m, d) in materialized.iter().zip(&deferred) {
                        let made = d.indicator_columns(by, &all);
                        assert_eq!(made.names, m.indicators.names);
                        assert_eq!(made.columns, m.indicators.columns);
                        let qr = |model| {
                            interaction_effects(
                                &data,
                                &options,
                                se,
                                codes,
                                y,
                                &all,
                                by,
                                model,
                                "t",
                                &extras,
                                &mut Vec::new(),
                                None,
                            )
                            .unwrap()
                        };
                        let (a, va) = qr(m);
                        let (b, vb) = qr(d);
                        for ((_, _, x), (_, _, z)) in a.iter().zip(&b) {
                            assert_eq!(x.estimate.to_bits(), z.estimate.to_bits(), "{what}");
                            assert_eq!(x.std_error.to_bits(), z.std_error.to_bits(), "{what}");
                        }
                        assert_eq!(va.matrix, vb.matrix, "{what}");
                    }
                }
            }
        }
    }

    /// The fits from one shared moments pass (everyone's model from merged cells, a level's
    /// model from its cells, the interaction models from all cells) against the fits that take
    /// their own pass: the same up to the order of the sums.
    #[test]
    fn shared_moments_give_each_models_fit() {
        for arms in [2, 3] {
            let data = data(3000, arms);
            let y = &data.outcomes[0].1;
            let codes = &data.treatment.codes;
            let by = &data.by[0];
            let all: Vec<usize> = (0..data.n_rows()).collect();
            let level_b: Vec<usize> = all.iter().copied().filter(|&i| by.codes[i] == 1).collect();
            let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
            for estimator in [Estimator::Lin, Estimator::Ols] {
                for se in [SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                    let options = EstimateOptions {
                        estimator,
                        se: Some(se),
                        ..Default::default()
                    };
                    let what = format!("{arms} arms, {estimator:?}, {se:?}");
                    let moments = shared(&data, &options, se, codes, y, &all, by).unwrap();
                    for (rows, level) in [(&all, None), (&level_b, Some(1))] {
                        let own = fit(&data, &options, se, codes, y, rows, None, &terms, None);
                        let part = Shared {
                            moments: &moments,
                            level,
                        };
                        let from = fit(
                            &data,
                            &options,
                            se,
                            codes,
                            y,
                            rows,
                            None,
                            &terms,
                            Some(part),
                        );
                        for (a, b) in from.unwrap().0.iter().zip(&own.unwrap().0) {
                            close(a.estimate, b.estimate, &what);
                            close(a.std_error, b.std_error, &what);
                            assert_eq!(a.df, b.df);
                        }
                    }
                    for model in interaction_models(by, &all, true) {
                        let interaction = Interaction {
                            factor: by,
                            indicators: &model.indicators,
                            by_level: None,
                            own_columns: &model.own_columns,
                        };
                        let wanted: Vec<String> = model
                            .indicators
                            .names
                            .iter()
                            .skip(1)
                            .flat_map(|g| {
                                terms.iter().map(move |t| match estimator {
                                    Estimator::Lin => format!("{t}:{g}_c"),
                                    _ => format!("{t}:{g}"),
                                })
                            })
                            .collect();
                        let part = Shared {
                            moments: &moments,
                            level: None,
                        };
                        let run = |part| {
                            fit(
                                &data,
                                &options,
                                se,
                                codes,
                                y,
                                &all,
                                Some(&interaction),
                                &wanted,
                                part,
                            )
                            .unwrap()
                        };
                        let (own, own_vcov) = run(None);
                        let (from, from_vcov) = run(Some(part));
                        for (a, b) in from.iter().zip(&own) {
                            close(a.estimate, b.estimate, &what);
                            close(a.std_error, b.std_error, &what);
                        }
                        for (a, b) in from_vcov.matrix.iter().zip(own_vcov.matrix.iter()) {
                            close(*a, *b, &what);
                        }
                    }
                    // Another outcome's or assignment's fit does not take these moments.
                    let other: Vec<f64> = y.iter().map(|v| v + 1.0).collect();
                    let part = Shared {
                        moments: &moments,
                        level: None,
                    };
                    let with = fit(
                        &data,
                        &options,
                        se,
                        codes,
                        &other,
                        &all,
                        None,
                        &terms,
                        Some(part),
                    );
                    let own = fit(&data, &options, se, codes, &other, &all, None, &terms, None);
                    assert_eq!(with.unwrap().0[0].estimate, own.unwrap().0[0].estimate);
                }
            }
        }
    }

    #[test]
    fn gives_up_where_the_qr_must_decide() {
        let mut data = data(2000, 2);
        let y = data.outcomes[0].1.clone();
        let codes = data.treatment.codes.clone();
        let all: Vec<usize> = (0..data.n_rows()).collect();
        let options = EstimateOptions::default();
        let terms = vec!["z".to_string()];
        let applies = |data: &AnalysisData, y: &[f64]| {
            fit(
                data,
                &options,
                SeType::Hc2,
                &codes,
                y,
                &all,
                None,
                &terms,
                None,
            )
            .is_some()
        };
        // A covariate that is another one shifted: collinear, R drops it.
        let age = match &data.covariates[0].values {
            CovariateValues::Number(v) => v.iter().map(|a| a + 3.0).collect(),
            _ => unreachable!(),
        };
        data.covariates.push(Covariate {
            name: "age3".into(),
            values: CovariateValues::Number(age),
        });
        assert!(!applies(&data, &y));
        data.covariates.pop();
        // A text covariate, weights, a missing outcome: the caller's route.
        let mut with_text = data.clone();
        with_text.covariates[0].values = CovariateValues::Text(vec![Some("x".into()); 2000]);
        assert!(!applies(&with_text, &y));
        let mut weighted = data.clone();
        weighted.weights = Some(vec![1.0; 2000]);
        assert!(!applies(&weighted, &y));
        let mut gap = y.clone();
        gap[7] = f64::NAN;
        assert!(!applies(&data, &gap));
        // And applies otherwise.
        assert!(applies(&data, &y));
    }
}
