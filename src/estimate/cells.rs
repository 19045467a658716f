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
//! The models of one subgroup variable (everyone's, each level's, the interaction models) take
//! their second passes together ([`shared_second_pass`]): each block of everyone's rows is
//! sorted by (arm × level) cell once and every model takes its rows of it while they are in
//! the cache, each model's sums the same bits as its own pass would give.
//!
//! The guards are [`super::crossproducts`]'s ([`solve_normal`]; a leverage near one): where
//! this route could disagree with R's pivoted QR it gives up (None) and the caller fits as
//! before. Weights, clusters, fixed effects, text covariates and the difference in means take
//! the caller's route.

use super::Code;
use super::crossproducts::{hc_weights, solve_normal};
use super::ols::DesignMatrix;
use super::rows::SeRule;
use super::vcov::SeType;
use super::{AnalysisData, CovariateValues, Effect, EstimateOptions, Estimator, Factor, TermsVcov};
use crate::linalg::{BLOCK_ROWS, row_blocks};
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
    /// Row i's values (the row-by-row reference pass of the tests).
    #[cfg(test)]
    fn fill(&self, i: usize, v: &mut [f64]) {
        for (slot, column) in v.iter_mut().zip(&self.x) {
            *slot = column[i];
        }
        v[self.x.len()] = self.y[i];
    }
}

/// The cell of each row: arm × level of the partition (arm alone without one).
struct Cells<'a> {
    codes: &'a [Code],
    partition: Option<&'a [Code]>,
    levels: usize,
    count: usize,
}

impl Cells<'_> {
    fn of(&self, i: usize) -> Option<usize> {
        let level = self.partition.map_or(Some(0), |p| p.get(i).copied())? as usize;
        let cell = *self.codes.get(i)? as usize * self.levels + level;
        (cell < self.count).then_some(cell)
    }
}

/// Each cell's moments, and the first position in `rows` of each cell.
type CellMoments = (Vec<Moments>, Vec<Option<usize>>);

/// Each cell's moments over `rows` (positions into the data), and the first position of each
/// cell; None when a row has no cell or a value is not finite.
fn moments(
    kernels: Kernels,
    rows: &[usize],
    values: &RowValues<'_>,
    cells: &Cells<'_>,
) -> Option<CellMoments> {
    let q = values.x.len() + 1;
    // Each worker's buffers, reused from block to block (fresh ones per block were 0.6 MB of
    // new memory each, 40 MB over a million rows).
    let buffers = || (ByCell::default(), Vec::<[f64; LANES]>::new());
    let parts: Vec<Option<CellMoments>> = row_blocks(rows.len())
        .par_iter()
        .map_init(buffers, |(by_cell, lanes), &(a, b)| {
            // The block's rows by cell, column by column; then per cell its means and the
            // cross-products about them over CHUNK_ROWS rows at a time (the upper triangle,
            // in LANES partial sums, as in [`second_pass`]).
            by_cell.gather(&rows[a..b], values, cells, None)?;
            if !by_cell.values.iter().all(|x| x.is_finite()) {
                return None;
            }
            let mut sums = vec![Moments::new(q); cells.count];
            let mut first = vec![None; cells.count];
            for (p, &c) in by_cell.cell.iter().enumerate() {
                first[c].get_or_insert(a + p);
            }
            for (c, m) in sums.iter_mut().enumerate() {
                let range = by_cell.of(c);
                if !range.is_empty() {
                    kernels.cell_moments(by_cell, range, lanes, m)?;
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
    codes: &'a [Code],
    y: &'a [f64],
    rows: &'a [usize],
    factor: &'a Factor,
    levels: usize,
    moments: Vec<Moments>,
    first: Vec<Option<usize>>,
    /// The shared second pass, taken at the first fit that asks for it ([`SharedMoments::weights`]).
    pass: std::sync::OnceLock<Option<SharedPass>>,
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
    codes: &'a [Code],
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
    let (moments, first) = moments(Kernels::detect(), rows, &RowValues { x, y }, &cells)?;
    Some(SharedMoments {
        codes,
        y,
        rows,
        factor,
        levels,
        moments,
        first,
        pass: std::sync::OnceLock::new(),
    })
}

impl SharedMoments<'_> {
    /// The moments of one model's cells (as [`moments`] would give them over `rows`, up to the
    /// order of the sums) over the covariates `keep` (indices into the data's covariates) and
    /// the outcome; None when the model is not one of the shared rows'.
    fn model(
        &self,
        shared: Shared<'_>,
        codes: &[Code],
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

/// One cell's pieces of the second pass ([`fit`]): the residual at the cell mean and its slope
/// in d (e = residual + (y − ȳ_c) − slope'd), and the leverage h = h0 + 2 h1'd + d'H2 d with H2
/// packed as [`packed_symmetric`] gives it.
struct CellFit {
    residual: f64,
    slope: Vec<f64>,
    h0: f64,
    h1: Vec<f64>,
    h2: Vec<f64>,
}

/// The upper triangle of a p × p matrix m, row by row (r ≤ c), with each off-diagonal entry
/// m_rc + m_cr: then d'md = Σ_{r ≤ c} packed_rc d_r d_c, p(p + 1)/2 products instead of p².
fn packed_symmetric(p: usize, m: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    (0..p)
        .flat_map(|r| (r..p).map(move |c| (r, c)))
        .map(|(r, c)| if r == c { m(r, r) } else { m(r, c) + m(c, r) })
        .collect()
}

/// One cell's sums of the second pass: W0 = Σ ω_i, W1 = Σ ω_i d_i and the upper triangle of
/// W2 = Σ ω_i d_i d_i', row by row (r ≤ c).
#[derive(Debug, Clone, PartialEq)]
struct CellWeights {
    w0: f64,
    w1: Vec<f64>,
    w2: Vec<f64>,
}

impl CellWeights {
    fn zero(p: usize) -> CellWeights {
        CellWeights {
            w0: 0.0,
            w1: vec![0.0; p],
            w2: vec![0.0; p * (p + 1) / 2],
        }
    }

    fn add(&mut self, other: &CellWeights) {
        self.w0 += other.w0;
        for (t, x) in self.w1.iter_mut().zip(&other.w1) {
            *t += x;
        }
        for (t, x) in self.w2.iter_mut().zip(&other.w2) {
            *t += x;
        }
    }

    /// W2 whole (symmetric), from its upper triangle.
    fn w2_matrix(&self, p: usize) -> DMatrix<f64> {
        let mut w2 = DMatrix::zeros(p, p);
        let mut packed = self.w2.iter();
        for r in 0..p {
            for c in r..p {
                let v = packed.next().copied().unwrap_or(0.0);
                w2[(r, c)] = v;
                w2[(c, r)] = v;
            }
        }
        w2
    }
}

/// Rows of one cell taken together in the second pass: their centred values (a few kB per
/// column) stay in the first-level cache while every product of the leverage and of W2 runs
/// over them.
const CHUNK_ROWS: usize = 256;

/// Independent partial sums per total in the second pass: the loops over a chunk's rows then
/// have no dependence from one row to the next and the compiler vectorises them (a single
/// running sum must be taken in row order, one addition at a time). Fixed, so the digits do
/// not depend on the machine or the thread count.
const LANES: usize = 8;

/// acc_l += Σ_{i ≡ l (mod LANES)} a_i b_i. The sums are copied to locals and back: in a slice's
/// element they were stored and reloaded on every step when the caller walks a slice of them.
#[inline(always)]
fn add_products(acc: &mut [f64; LANES], a: &[f64], b: &[f64]) {
    let mut sums = *acc;
    let mut a = a.chunks_exact(LANES);
    let mut b = b.chunks_exact(LANES);
    for (x, y) in (&mut a).zip(&mut b) {
        for l in 0..LANES {
            sums[l] += x[l] * y[l];
        }
    }
    for ((s, x), y) in sums.iter_mut().zip(a.remainder()).zip(b.remainder()) {
        *s += x * y;
    }
    *acc = sums;
}

/// Products taken together by [`add_row_products`].
const PAIRS: usize = 4;

/// [`add_products`] of `a` with each of four columns `b`, in one loop: each sum gets the same
/// products in the same order as from [`add_products`] (the same bits), but the loop has
/// 4 × LANES independent sums instead of LANES, so it is no longer held up by each addition
/// waiting for the one before (one pair at a time, the W2 and moments sums were).
#[inline(always)]
fn add_products4(acc: &mut [[f64; LANES]], a: &[f64], b: [&[f64]; PAIRS]) {
    let [s0, s1, s2, s3] = acc else {
        for (acc, b) in acc.iter_mut().zip(b) {
            add_products(acc, a, b);
        }
        return;
    };
    let [b0, b1, b2, b3] = b;
    let (mut t0, mut t1, mut t2, mut t3) = (*s0, *s1, *s2, *s3);
    let mut x = a.chunks_exact(LANES);
    let mut y0 = b0.chunks_exact(LANES);
    let mut y1 = b1.chunks_exact(LANES);
    let mut y2 = b2.chunks_exact(LANES);
    let mut y3 = b3.chunks_exact(LANES);
    for ((((x, y0), y1), y2), y3) in (&mut x).zip(&mut y0).zip(&mut y1).zip(&mut y2).zip(&mut y3) {
        for l in 0..LANES {
            t0[l] += x[l] * y0[l];
            t1[l] += x[l] * y1[l];
            t2[l] += x[l] * y2[l];
            t3[l] += x[l] * y3[l];
        }
    }
    for (t, y) in [
        (&mut t0, &y0),
        (&mut t1, &y1),
        (&mut t2, &y2),
        (&mut t3, &y3),
    ] {
        for ((s, x), y) in t.iter_mut().zip(x.remainder()).zip(y.remainder()) {
            *s += x * y;
        }
    }
    (*s0, *s1, *s2, *s3) = (t0, t1, t2, t3);
}

/// acc_k = [`add_products`](acc_k, a, b(first + k)) for each k, PAIRS sums at a time
/// ([`add_products4`]).
#[inline(always)]
fn add_row_products<'a>(
    acc: &mut [[f64; LANES]],
    a: &[f64],
    b: impl Fn(usize) -> &'a [f64],
    first: usize,
) {
    let mut groups = acc.chunks_exact_mut(PAIRS);
    let mut col = first;
    for group in &mut groups {
        add_products4(group, a, [b(col), b(col + 1), b(col + 2), b(col + 3)]);
        col += PAIRS;
    }
    for sums in groups.into_remainder() {
        add_products(sums, a, b(col));
        col += 1;
    }
}

/// acc_l += Σ_{i ≡ l (mod LANES)} a_i.
#[inline(always)]
fn add_values(acc: &mut [f64; LANES], a: &[f64]) {
    let mut a = a.chunks_exact(LANES);
    for x in &mut a {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    for (s, x) in acc.iter_mut().zip(a.remainder()) {
        *s += x;
    }
}

/// The partial sums added up, in a fixed order.
#[inline(always)]
fn lanes_total(acc: &[f64; LANES]) -> f64 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// A block's rows sorted by cell ([`ByCell::gather`]), in buffers a worker reuses from block to
/// block.
#[derive(Default)]
struct ByCell {
    /// Each row's cell, and its place in the block's rows sorted by cell.
    cell: Vec<usize>,
    slot: Vec<usize>,
    /// Where each cell's rows start in the sorted order (cell c: start[c]..start[c + 1]), and
    /// the next free place of each while sorting.
    start: Vec<usize>,
    next: Vec<usize>,
    /// The block's values column by column (x_1 … x_p, then y), each column's rows sorted by
    /// cell: `rows` entries per column.
    values: Vec<f64>,
    rows: usize,
}

impl ByCell {
    /// The rows of `block` sorted by cell (a counting sort: stable, so each cell's rows keep
    /// their order), with their values less `centre` (q per cell, flat) where given; None when
    /// a row has no cell.
    fn gather(
        &mut self,
        block: &[usize],
        values: &RowValues<'_>,
        cells: &Cells<'_>,
        centre: Option<&[f64]>,
    ) -> Option<()> {
        let q = values.x.len() + 1;
        let m = block.len();
        self.rows = m;
        self.cell.clear();
        self.start.clear();
        self.start.resize(cells.count + 1, 0);
        for &i in block {
            let c = cells.of(i)?;
            self.cell.push(c);
            self.start[c + 1] += 1;
        }
        for c in 0..cells.count {
            self.start[c + 1] += self.start[c];
        }
        self.next.clear();
        self.next.extend_from_slice(&self.start[..cells.count]);
        self.slot.clear();
        for &c in &self.cell {
            self.slot.push(self.next[c]);
            self.next[c] += 1;
        }
        // Not cleared first: the places of each column are a permutation of 0..m, so every
        // value is written below, and zeroing the buffer before was 2% of a 10M-row run.
        self.values.resize(q * m, 0.0);
        let columns = values.x.iter().copied().chain([values.y]);
        for (j, (column, out)) in columns
            .zip(self.values.chunks_exact_mut(m.max(1)))
            .enumerate()
        {
            match centre {
                Some(means) => {
                    for ((&i, &c), &s) in block.iter().zip(&self.cell).zip(&self.slot) {
                        out[s] = column[i] - means[c * q + j];
                    }
                }
                None => {
                    for (&i, &s) in block.iter().zip(&self.slot) {
                        out[s] = column[i];
                    }
                }
            }
        }
        Some(())
    }

    /// Cell c's rows: a range of the sorted order.
    fn of(&self, c: usize) -> std::ops::Range<usize> {
        self.start[c]..self.start[c + 1]
    }

    /// Column j's values at places `from..from + len` of the sorted order.
    fn column(&self, j: usize, from: usize, len: usize) -> &[f64] {
        let at = j * self.rows + from;
        &self.values[at..at + len]
    }
}

/// Per row of a chunk in [`second_pass`]: residual, leverage, the leverage's inner sum, ω, and
/// ω d_r; CHUNK_ROWS entries each, reused from chunk to chunk.
#[derive(Default)]
struct ChunkScratch {
    e: Vec<f64>,
    h: Vec<f64>,
    inner: Vec<f64>,
    omega: Vec<f64>,
    weighted: Vec<f64>,
}

/// Each worker's buffers for [`second_pass`], reused from block to block.
#[derive(Default)]
struct PassBuffers {
    /// The block's rows by cell, their values centred at their cell's means.
    by_cell: ByCell,
    scratch: ChunkScratch,
    /// Partial sums of one cell: W0, W1 (p), W2 (p(p + 1)/2).
    lanes: Vec<[f64; LANES]>,
}

/// The second pass of [`fit`]: each row's residual e, leverage h and weight ω (`hc_weight`),
/// summed per cell as W0, W1, W2 ([`CellWeights`]); None when a row has no cell or fit, or a
/// weight gives up. A block's rows are gathered by cell into columns of centred values, then
/// each cell's rows are taken CHUNK_ROWS at a time with every product over the chunk's rows
/// (vectorised; the leverage's quadratic form and W2 over the upper triangle only). The blocks
/// are fixed ([`row_blocks`]) and merged in order, so the sums never depend on the thread count.
fn second_pass(
    kernels: Kernels,
    se: SeType,
    rows: &[usize],
    values: &RowValues<'_>,
    cells: &Cells<'_>,
    moments: &[Moments],
    per_cell: &[Option<CellFit>],
) -> Option<Vec<CellWeights>> {
    let p = values.x.len();
    let q = p + 1;
    let triangle = p * (p + 1) / 2;
    // The cells' means, flat: cell c's at c·q.
    let means: Vec<f64> = moments
        .iter()
        .flat_map(|m| m.mean.iter().copied().chain(std::iter::repeat(0.0)).take(q))
        .collect();
    let parts: Vec<Option<Vec<CellWeights>>> = row_blocks(rows.len())
        .par_iter()
        .map_init(PassBuffers::default, |buffers, &(a, b)| {
            let PassBuffers {
                by_cell,
                scratch,
                lanes,
            } = buffers;
            by_cell.gather(&rows[a..b], values, cells, Some(&means))?;
            let mut sums = vec![CellWeights::zero(p); cells.count];
            for (c, total) in sums.iter_mut().enumerate() {
                let range = by_cell.of(c);
                if range.is_empty() {
                    continue;
                }
                let fit = per_cell.get(c)?.as_ref()?;
                lanes.clear();
                lanes.resize(1 + p + triangle, [0.0; LANES]);
                for from in range.clone().step_by(CHUNK_ROWS) {
                    let chunk = Chunk {
                        values: &by_cell.values,
                        stride: by_cell.rows,
                        from,
                        len: CHUNK_ROWS.min(range.end - from),
                    };
                    kernels.chunk_weights(se, fit, chunk, scratch, lanes)?;
                }
                let mut totals = lanes.iter().map(lanes_total);
                total.w0 = totals.next()?;
                for (t, v) in total.w1.iter_mut().chain(total.w2.iter_mut()).zip(totals) {
                    *t = v;
                }
            }
            Some(sums)
        })
        .collect();
    let mut weights = vec![CellWeights::zero(p); cells.count];
    for part in parts {
        for (total, w) in weights.iter_mut().zip(&part?) {
            total.add(w);
        }
    }
    Some(weights)
}

/// Which of the shared rows' models a fit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelKind {
    /// Everyone's model: its cells are the arms.
    Everyone,
    /// One level's model (its rows: that level's rows among everyone's, in their order).
    Level(usize),
    /// An interaction model of the shared factor: its cells are the (arm × level) cells.
    Interaction,
}

/// One model's sums from the shared second pass, with what they were taken for.
struct PassResult {
    kind: ModelKind,
    keep: Vec<usize>,
    means: Vec<f64>,
    per_cell: Vec<Option<CellFit>>,
    weights: Option<Vec<CellWeights>>,
}

/// The second pass shared by the models of one subgroup variable ([`shared_second_pass`]).
struct SharedPass {
    se: SeType,
    results: Vec<PassResult>,
}

/// The same numbers, bit for bit.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The same pieces of the second pass, bit for bit.
fn same_pieces(a: &[Option<CellFit>], b: &[Option<CellFit>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.residual.to_bits() == b.residual.to_bits()
                    && a.h0.to_bits() == b.h0.to_bits()
                    && same_bits(&a.slope, &b.slope)
                    && same_bits(&a.h1, &b.h1)
                    && same_bits(&a.h2, &b.h2)
            }
            _ => false,
        })
}

/// The cells' means, flat: cell c's q values at c·q (the outcome's last).
fn flat_means(moments: &[Moments], q: usize) -> Vec<f64> {
    moments
        .iter()
        .flat_map(|m| m.mean.iter().copied().chain(std::iter::repeat(0.0)).take(q))
        .collect()
}

impl SharedMoments<'_> {
    /// The second pass's sums of the model `prepared` (as [`second_pass`] gives them over its
    /// rows, the same bits), from the pass shared by the models of these rows, taken at the
    /// first call; None when the model is not one of them or its pieces differ from those
    /// the shared pass was given (then the caller takes its own pass).
    #[allow(clippy::too_many_arguments)]
    fn weights(
        &self,
        shared: Shared<'_>,
        data: &AnalysisData,
        options: &EstimateOptions,
        se: SeType,
        rows: &[usize],
        interaction: Option<&Interaction<'_>>,
        prepared: &Prepared<'_>,
    ) -> Option<Vec<CellWeights>> {
        // The model's assignment and outcome, as `prepare` was given them.
        if !(same(prepared.cells.codes, self.codes) && same(prepared.values.y, self.y)) {
            return None;
        }
        let kind = match (shared.level, interaction) {
            (None, None) if same(rows, self.rows) => ModelKind::Everyone,
            (Some(l), None) if l < self.levels && rows.len() == self.level_count(l) => {
                ModelKind::Level(l)
            }
            (None, Some(m)) if std::ptr::eq(m.factor, self.factor) && same(rows, self.rows) => {
                ModelKind::Interaction
            }
            _ => return None,
        };
        let pass = self
            .pass
            .get_or_init(|| self.second_pass(data, options, se, kind == ModelKind::Everyone))
            .as_ref()?;
        if pass.se != se {
            return None;
        }
        let means = flat_means(&prepared.moments, prepared.values.x.len() + 1);
        pass.results
            .iter()
            .find(|r| {
                r.kind == kind
                    && r.keep == prepared.keep
                    && same_bits(&r.means, &means)
                    && same_pieces(&r.per_cell, &prepared.per_cell)
            })?
            .weights
            .clone()
    }

    /// The number of rows of level `l`.
    fn level_count(&self, l: usize) -> usize {
        let arms = self.moments.len() / self.levels;
        (0..arms)
            .map(|a| self.moments[a * self.levels + l].n as usize)
            .sum()
    }

    /// Every model of these rows prepared ([`prepare`]; everyone's with `everyone`, each
    /// level's of at least [`super::crossproducts::MIN_ROWS`] rows, the interaction models of
    /// level indicators) and their second passes taken together ([`shared_second_pass`]).
    fn second_pass(
        &self,
        data: &AnalysisData,
        options: &EstimateOptions,
        se: SeType,
        everyone: bool,
    ) -> Option<SharedPass> {
        // Before the models, which borrow from them.
        let interactions = super::subgroups::interaction_models_of_levels(
            self.factor,
            self.rows,
            options.all_pairs,
        );
        let mut models: Vec<(ModelKind, Prepared<'_>)> = Vec::new();
        let at = |level| {
            Some(Shared {
                moments: self,
                level,
            })
        };
        if everyone
            && let Some(m) = prepare(
                data,
                options,
                se,
                self.codes,
                self.y,
                self.rows,
                None,
                at(None),
            )
        {
            models.push((ModelKind::Everyone, m));
        }
        for l in 0..self.levels {
            if self.level_count(l) < super::crossproducts::MIN_ROWS {
                continue;
            }
            // A level's rows are not read by `prepare` with shared moments.
            if let Some(m) = prepare(
                data,
                options,
                se,
                self.codes,
                self.y,
                &[],
                None,
                at(Some(l)),
            ) {
                models.push((ModelKind::Level(l), m));
            }
        }
        for model in &interactions {
            let interaction = Interaction {
                factor: self.factor,
                indicators: &model.indicators,
                by_level: model.by_level.as_deref(),
                own_columns: &model.own_columns,
            };
            if let Some(m) = prepare(
                data,
                options,
                se,
                self.codes,
                self.y,
                self.rows,
                Some(&interaction),
                at(None),
            ) {
                models.push((ModelKind::Interaction, m));
            }
        }
        let fine = Cells {
            codes: self.codes,
            partition: Some(self.factor.codes.as_slice()),
            levels: self.levels,
            count: self.moments.len(),
        };
        let weights = shared_second_pass(Kernels::detect(), se, self.rows, &fine, &models);
        Some(SharedPass {
            se,
            results: models
                .into_iter()
                .zip(weights)
                .map(|((kind, m), weights)| PassResult {
                    kind,
                    means: flat_means(&m.moments, m.values.x.len() + 1),
                    keep: m.keep,
                    per_cell: m.per_cell,
                    weights,
                })
                .collect(),
        })
    }
}

/// A block of everyone's rows sorted by (arm × level) cell, and by arm, for
/// [`shared_second_pass`]: row numbers, not values (each model reads its own columns at them,
/// in the cache after the first model).
#[derive(Default)]
struct BlockCells {
    /// The rows by (arm × level) cell (stable), each one's rank among its level's rows of
    /// the block, and where each cell's start.
    by_cell: Vec<usize>,
    rank: Vec<usize>,
    start: Vec<usize>,
    /// The rows by arm (stable), and where each arm's start.
    by_arm: Vec<usize>,
    arm_start: Vec<usize>,
    /// Each level's number of rows in the block.
    level_rows: Vec<usize>,
    /// Scratch: each row's cell.
    cell: Vec<usize>,
}

impl BlockCells {
    /// `block`'s rows sorted; None when a row has no cell.
    fn sort(&mut self, block: &[usize], cells: &Cells<'_>) -> Option<()> {
        let arms = cells.count / cells.levels;
        self.cell.clear();
        self.start.clear();
        self.start.resize(cells.count + 1, 0);
        self.arm_start.clear();
        self.arm_start.resize(arms + 1, 0);
        self.level_rows.clear();
        self.level_rows.resize(cells.levels, 0);
        for &i in block {
            let c = cells.of(i)?;
            self.cell.push(c);
            self.start[c + 1] += 1;
            self.arm_start[c / cells.levels + 1] += 1;
        }
        for c in 0..cells.count {
            self.start[c + 1] += self.start[c];
        }
        for a in 0..arms {
            self.arm_start[a + 1] += self.arm_start[a];
        }
        let mut next = self.start[..cells.count].to_vec();
        let mut next_arm = self.arm_start[..arms].to_vec();
        self.by_cell.resize(block.len(), 0);
        self.rank.resize(block.len(), 0);
        self.by_arm.resize(block.len(), 0);
        for (&i, &c) in block.iter().zip(&self.cell) {
            let level = c % cells.levels;
            self.by_cell[next[c]] = i;
            self.rank[next[c]] = self.level_rows[level];
            self.level_rows[level] += 1;
            next[c] += 1;
            self.by_arm[next_arm[c / cells.levels]] = i;
            next_arm[c / cells.levels] += 1;
        }
        Some(())
    }
}

/// One model's running sums in [`shared_second_pass`].
struct PassState {
    /// Per cell of the model: the partial sums of its rows in the model's current block, that
    /// block's index (None before its first row), the rows added to them, and the totals of
    /// the blocks before.
    lanes: Vec<Vec<[f64; LANES]>>,
    block: Vec<Option<usize>>,
    filled: Vec<usize>,
    totals: Vec<CellWeights>,
    /// The level's rows in the blocks of everyone's rows before (a level's model).
    seen: usize,
    failed: bool,
    /// One chunk's values, centred (q columns of CHUNK_ROWS), and the kernel's scratch.
    chunk: Vec<f64>,
    scratch: ChunkScratch,
}

impl PassState {
    fn new(model: &Prepared<'_>) -> PassState {
        let p = model.values.x.len();
        let count = model.cells.count;
        PassState {
            lanes: vec![vec![[0.0; LANES]; 1 + p + p * (p + 1) / 2]; count],
            block: vec![None; count],
            filled: vec![0; count],
            totals: vec![CellWeights::zero(p); count],
            seen: 0,
            failed: false,
            chunk: vec![0.0; (p + 1) * CHUNK_ROWS],
            scratch: ChunkScratch::default(),
        }
    }

    /// Cell c's partial sums added to its totals (as [`second_pass`] adds a block's sums).
    fn close(&mut self, c: usize) {
        if self.block[c].take().is_none() {
            return;
        }
        let lanes = &mut self.lanes[c];
        let total = &mut self.totals[c];
        let mut sums = lanes.iter().map(lanes_total);
        total.w0 += sums.next().unwrap_or(0.0);
        for (t, v) in total.w1.iter_mut().chain(total.w2.iter_mut()).zip(sums) {
            *t += v;
        }
        lanes.fill([0.0; LANES]);
        self.filled[c] = 0;
    }

    /// The rows `run` (row numbers, in the model's order) of the model's cell `c`, all in the
    /// model's block `block`: each row's values centred at the cell's means, then its weight
    /// added to the cell's partial sums, row k of the block's rows of the cell to lane
    /// k mod LANES as in [`second_pass`].
    ///
    /// With `centred` ([`SharedCentred`]'s values of the block and the place of the run's first
    /// row in them) the values are read there, already centred at the same means (the same
    /// bits), instead of gathered here.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        kernels: Kernels,
        se: SeType,
        model: &Prepared<'_>,
        means: &[f64],
        c: usize,
        block: usize,
        run: &[usize],
        centred: Option<Centred<'_>>,
    ) {
        if self.failed || run.is_empty() {
            return;
        }
        let Some(Some(fit)) = model.per_cell.get(c) else {
            self.failed = true;
            return;
        };
        if self.block[c] != Some(block) {
            self.close(c);
            self.block[c] = Some(block);
        }
        let q = model.values.x.len() + 1;
        // Lane `offset` is the next one: turned to the front, so that the chunks below start
        // at lane 0, and back after.
        let offset = self.filled[c] % LANES;
        for lane in self.lanes[c].iter_mut() {
            lane.rotate_left(offset);
        }
        let columns = model.values.x.iter().copied().chain([model.values.y]);
        for (k, part) in run.chunks(CHUNK_ROWS).enumerate() {
            let len = part.len();
            let chunk = match centred {
                Some(Centred { values, stride, at }) => Chunk {
                    values,
                    stride,
                    from: at + k * CHUNK_ROWS,
                    len,
                },
                None => {
                    for (j, column) in columns.clone().enumerate() {
                        let mean = means[c * q + j];
                        let out = &mut self.chunk[j * CHUNK_ROWS..j * CHUNK_ROWS + len];
                        for (o, &i) in out.iter_mut().zip(part) {
                            *o = column[i] - mean;
                        }
                    }
                    Chunk {
                        values: &self.chunk,
                        stride: CHUNK_ROWS,
                        from: 0,
                        len,
                    }
                }
            };
            if kernels
                .chunk_weights(se, fit, chunk, &mut self.scratch, &mut self.lanes[c])
                .is_none()
            {
                self.failed = true;
                return;
            }
        }
        for lane in self.lanes[c].iter_mut() {
            lane.rotate_right(offset);
        }
        self.filled[c] += run.len();
    }

    /// The model's sums: None when a weight gave up or a row had no piece.
    fn finish(mut self) -> Option<Vec<CellWeights>> {
        for c in 0..self.block.len() {
            self.close(c);
        }
        (!self.failed).then_some(self.totals)
    }
}

/// The second passes of several models of the same rows (everyone's model, the levels' and the
/// interaction models of one subgroup variable) in one sweep: each block of everyone's rows
/// is sorted by (arm × level) cell once, and every model then takes its rows of the block
/// while they are in the cache (in parallel over the models). Each model's sums are those of
/// its own [`second_pass`], bit for bit: its rows in the same order, the same blocks (for a
/// level's model, blocks of that level's rows, whose partial sums are carried from one block of
/// everyone's rows to the next: so the blocks of everyone's rows go in order), the same lanes
/// and the same sums of them. None for a model whose weight gives up; all None when a row has
/// no cell.
fn shared_second_pass(
    kernels: Kernels,
    se: SeType,
    rows: &[usize],
    fine: &Cells<'_>,
    models: &[(ModelKind, Prepared<'_>)],
) -> Vec<Option<Vec<CellWeights>>> {
    let means: Vec<Vec<f64>> = models
        .iter()
        .map(|(_, m)| flat_means(&m.moments, m.values.x.len() + 1))
        .collect();
    let mut states: Vec<PassState> = models.iter().map(|(_, m)| PassState::new(m)).collect();
    let levels = fine.levels;
    let arms = fine.count / levels;
    let mut centred = SharedCentred::new(fine, models, &means);
    let blocks = row_blocks(rows.len());
    let sort = |cells: &mut BlockCells, b: usize| {
        let (from, to) = blocks[b];
        cells.sort(&rows[from..to], fine)
    };
    // Block b + 1 is sorted (on one core) while block b's values are centred and its models
    // run (on the other cores, and on this one once the sort is done): sorted between the
    // blocks, the sort left a core idle for a tenth of the pass. The sums do not depend on
    // which core does what.
    let (mut block_cells, mut next_cells) = (BlockCells::default(), BlockCells::default());
    if !blocks.is_empty() && sort(&mut block_cells, 0).is_none() {
        return models.iter().map(|_| None).collect();
    }
    // Block b's values centred (shared by the models that read the same), then each model's
    // rows of the block added to its sums, in parallel over the models.
    let block_pass = |b: usize,
                      block_cells: &BlockCells,
                      centred: &mut SharedCentred<'_>,
                      states: &mut [PassState]| {
        centred.fill(block_cells);
        let centred = &*centred;
        states
            .par_iter_mut()
            .zip(models.par_iter().zip(&means).zip(&centred.reads))
            .for_each(|(state, (((kind, model), means), reads))| match *kind {
                ModelKind::Everyone => {
                    for a in 0..arms {
                        let at = block_cells.arm_start[a];
                        let run = &block_cells.by_arm[at..block_cells.arm_start[a + 1]];
                        let shared = centred.by_arm(reads, a, at);
                        state.add(kernels, se, model, means, a, b, run, shared);
                    }
                }
                ModelKind::Interaction => {
                    for c in 0..fine.count {
                        let at = block_cells.start[c];
                        let run = &block_cells.by_cell[at..block_cells.start[c + 1]];
                        let shared = centred.by_cell(reads, c, at);
                        state.add(kernels, se, model, means, c, b, run, shared);
                    }
                }
                ModelKind::Level(l) => {
                    // The level's blocks: its rows' positions among the level's rows, in
                    // blocks of BLOCK_ROWS as `row_blocks` cuts them.
                    let seen = state.seen;
                    for a in 0..arms {
                        let c = a * levels + l;
                        let (start, end) = (block_cells.start[c], block_cells.start[c + 1]);
                        let mut at = start;
                        while at < end {
                            let level_block = (seen + block_cells.rank[at]) / BLOCK_ROWS;
                            let next_block = (level_block + 1) * BLOCK_ROWS - seen;
                            let until =
                                at + block_cells.rank[at..end].partition_point(|&r| r < next_block);
                            let shared = centred.by_cell(reads, a, at);
                            state.add(
                                kernels,
                                se,
                                model,
                                means,
                                a,
                                level_block,
                                &block_cells.by_cell[at..until],
                                shared,
                            );
                            at = until;
                        }
                    }
                    state.seen += block_cells.level_rows[l];
                }
            });
    };
    for b in 0..blocks.len() {
        let (sorted, ()) = rayon::join(
            || (b + 1 < blocks.len()).then(|| sort(&mut next_cells, b + 1)),
            || block_pass(b, &block_cells, &mut centred, &mut states),
        );
        if sorted == Some(None) {
            return models.iter().map(|_| None).collect();
        }
        std::mem::swap(&mut block_cells, &mut next_cells);
    }
    states.into_iter().map(PassState::finish).collect()
}

/// A block's values centred, gathered in [`shared_second_pass`] before the models run (a column
/// per task), for every model that would gather them itself with the same bits. A level's
/// model and the interaction models take a fine (arm × level) cell's rows of a block in the same
/// order (`BlockCells::by_cell`), and where they centre them at the same means (the shared
/// moments', bit for bit) from the same columns, their centred values are the same numbers:
/// gathered once here. Everyone's model centres an arm's rows (`by_arm`) at the arm's means:
/// gathered here too, so that the models then run only their kernels, of about equal work on
/// each core (everyone's gather was the one left in the models' part).
struct SharedCentred<'a> {
    /// The columns (x_1 … x_p, then y) of the first model.
    columns: Vec<&'a [f64]>,
    /// Each fine cell's means where two models or more read its values here, and each arm's
    /// where everyone's model does.
    cell_means: Vec<Option<&'a [f64]>>,
    arm_means: Vec<Option<&'a [f64]>>,
    /// Per model, per cell of the model: whether it reads its values here.
    reads: Vec<Vec<bool>>,
    /// The block's centred values by fine cell (each cell's rows at their places in `by_cell`)
    /// and by arm (at their places in `by_arm`), column j at `j · stride`.
    by_cell: Vec<f64>,
    by_arm: Vec<f64>,
    stride: usize,
}

/// A model's values of a block read from [`SharedCentred`]: column j of the run's rows at
/// `values[j · stride + at..]`.
#[derive(Clone, Copy)]
struct Centred<'a> {
    values: &'a [f64],
    stride: usize,
    at: usize,
}

impl<'a> SharedCentred<'a> {
    fn new(
        fine: &Cells<'_>,
        models: &'a [(ModelKind, Prepared<'a>)],
        means: &'a [Vec<f64>],
    ) -> SharedCentred<'a> {
        let columns_of = |m: &'a Prepared<'a>| -> Vec<&'a [f64]> {
            m.values.x.iter().copied().chain([m.values.y]).collect()
        };
        let reference = models
            .first()
            .map(|(_, m)| columns_of(m))
            .unwrap_or_default();
        let q = reference.len();
        let arms = fine.count / fine.levels.max(1);
        let mut cell_means: Vec<Option<&'a [f64]>> = vec![None; fine.count];
        let mut arm_means: Vec<Option<&'a [f64]>> = vec![None; arms];
        let mut takers = vec![0usize; fine.count];
        let mut reads: Vec<Vec<bool>> = models
            .iter()
            .zip(means)
            .map(|((kind, model), means)| {
                let columns = columns_of(model);
                let same_columns =
                    columns.len() == q && columns.iter().zip(&reference).all(|(a, b)| same(a, b));
                (0..model.cells.count)
                    .map(|cell| {
                        let mine = means.get(cell * q..(cell + 1) * q);
                        let (Some(mine), true) = (mine, same_columns) else {
                            return false;
                        };
                        // The fine cell c of the model's cell, or everyone's arm.
                        let c = match *kind {
                            ModelKind::Everyone => {
                                if let Some(slot) = arm_means.get_mut(cell) {
                                    *slot = Some(mine);
                                    return true;
                                }
                                return false;
                            }
                            ModelKind::Interaction => cell,
                            ModelKind::Level(l) => cell * fine.levels + l,
                        };
                        let Some(slot) = cell_means.get_mut(c) else {
                            return false;
                        };
                        let donor = *slot.get_or_insert(mine);
                        let shares = same_bits(donor, mine);
                        takers[c] += usize::from(shares);
                        shares
                    })
                    .collect()
            })
            .collect();
        // A fine cell one model reads alone is gathered by that model, in the models' part.
        for ((kind, _), reads) in models.iter().zip(&mut reads) {
            for (cell, read) in reads.iter_mut().enumerate() {
                let c = match *kind {
                    ModelKind::Everyone => continue,
                    ModelKind::Interaction => cell,
                    ModelKind::Level(l) => cell * fine.levels + l,
                };
                *read &= takers.get(c).is_some_and(|&t| t >= 2);
            }
        }
        for (m, &t) in cell_means.iter_mut().zip(&takers) {
            if t < 2 {
                *m = None;
            }
        }
        SharedCentred {
            columns: reference,
            cell_means,
            arm_means,
            reads,
            by_cell: Vec::new(),
            by_arm: Vec::new(),
            stride: 0,
        }
    }

    /// The block's values of the cells and arms read here, centred (as [`PassState::add`]
    /// centres them), a column per task.
    fn fill(&mut self, block: &BlockCells) {
        let m = block.by_cell.len();
        // Columns a few cache lines apart in the first-level cache's sets: at a stride of
        // 16,384 rows (128 kB) a chunk's columns would all fall into the same sets.
        self.stride = m.div_ceil(512) * 512 + 48;
        let q = self.columns.len();
        let any = |means: &[Option<&[f64]>]| means.iter().any(Option::is_some);
        let (cells, arms) = (any(&self.cell_means), any(&self.arm_means));
        self.by_cell
            .resize(if cells { q * self.stride } else { 0 }, 0.0);
        self.by_arm
            .resize(if arms { q * self.stride } else { 0 }, 0.0);
        let (cell_means, arm_means) = (&self.cell_means, &self.arm_means);
        let centre = |out: &mut [f64],
                      column: &[f64],
                      j: usize,
                      means: &[Option<&[f64]>],
                      order: &[usize],
                      start: &[usize]| {
            for (c, cell_means) in means.iter().enumerate() {
                let Some(&mean) = cell_means.and_then(|m| m.get(j)) else {
                    continue;
                };
                let (from, to) = (start[c], start[c + 1]);
                for (o, &i) in out[from..to].iter_mut().zip(&order[from..to]) {
                    *o = column[i] - mean;
                }
            }
        };
        // A column of both orders per task (an order alone where the other is not read).
        let stride = self.stride.max(1);
        let mut cell_columns = self.by_cell.chunks_mut(stride);
        let mut arm_columns = self.by_arm.chunks_mut(stride);
        let tasks: Vec<_> = self
            .columns
            .iter()
            .enumerate()
            .map(|(j, &column)| (j, column, cell_columns.next(), arm_columns.next()))
            .collect();
        tasks
            .into_par_iter()
            .for_each(|(j, column, by_cell, by_arm)| {
                if let Some(out) = by_cell {
                    centre(out, column, j, cell_means, &block.by_cell, &block.start);
                }
                if let Some(out) = by_arm {
                    centre(out, column, j, arm_means, &block.by_arm, &block.arm_start);
                }
            });
    }

    /// The values of `model`'s fine cell `cell`'s rows from place `at` of `by_cell`, where the
    /// model reads them here.
    fn by_cell(&self, reads: &[bool], cell: usize, at: usize) -> Option<Centred<'_>> {
        reads.get(cell).is_some_and(|&r| r).then_some(Centred {
            values: &self.by_cell,
            stride: self.stride,
            at,
        })
    }

    /// The values of arm `arm`'s rows from place `at` of `by_arm`, where everyone's model reads
    /// them here.
    fn by_arm(&self, reads: &[bool], arm: usize, at: usize) -> Option<Centred<'_>> {
        reads.get(arm).is_some_and(|&r| r).then_some(Centred {
            values: &self.by_arm,
            stride: self.stride,
            at,
        })
    }
}

/// Up to CHUNK_ROWS rows of one cell, centred at the cell's means: column j (x_1 … x_p, then
/// y) at `values[j · stride + from..][..len]`.
#[derive(Clone, Copy)]
struct Chunk<'a> {
    values: &'a [f64],
    stride: usize,
    from: usize,
    len: usize,
}

impl Chunk<'_> {
    #[inline(always)]
    fn column(&self, j: usize) -> &[f64] {
        let at = j * self.stride + self.from;
        &self.values[at..at + self.len]
    }
}

/// One chunk of a cell's rows: each row's residual e = residual + (y − ȳ_c) − slope'd,
/// leverage h = h0 + Σ_r d_r (2 h1_r + Σ_{c ≥ r} H2_rc d_c) (H2 packed) and weight ω, added to
/// the cell's partial sums `lanes` (W0, then W1's p, then W2's upper triangle row by row), row
/// k of the chunk to lane k mod LANES. None when a weight gives up. Every loop runs over the
/// chunk's rows with no dependence from one row to the next; [`Kernels`] compiles it twice.
#[inline(always)]
fn chunk_weights(
    se: SeType,
    fit: &CellFit,
    chunk: Chunk<'_>,
    scratch: &mut ChunkScratch,
    lanes: &mut [[f64; LANES]],
) -> Option<()> {
    let p = fit.slope.len();
    let len = chunk.len;
    let (w0_lanes, rest) = lanes.split_first_mut()?;
    let (w1_lanes, w2_lanes) = rest.split_at_mut(p);
    for buffer in [
        &mut scratch.e,
        &mut scratch.h,
        &mut scratch.inner,
        &mut scratch.omega,
        &mut scratch.weighted,
    ] {
        buffer.resize(CHUNK_ROWS.max(len), 0.0);
    }
    let column = |j: usize| chunk.column(j);
    let e = &mut scratch.e[..len];
    let h = &mut scratch.h[..len];
    let inner = &mut scratch.inner[..len];
    let omega = &mut scratch.omega[..len];
    let weighted = &mut scratch.weighted[..len];
    for (e, y) in e.iter_mut().zip(column(p)) {
        *e = fit.residual + y;
    }
    for (r, &slope) in fit.slope.iter().enumerate() {
        for (e, d) in e.iter_mut().zip(column(r)) {
            *e -= slope * d;
        }
    }
    leverages(fit, column, h, inner)?;
    hc_weights(se, e, h, omega)?;
    add_values(w0_lanes, omega);
    let mut w2_rest = w2_lanes;
    for (r, w1) in w1_lanes.iter_mut().enumerate() {
        for ((o, w), d) in weighted.iter_mut().zip(omega.iter()).zip(column(r)) {
            *o = w * d;
        }
        add_values(w1, weighted);
        // W2's row r: its sums with columns r..p.
        let (w2_row, rest) = w2_rest.split_at_mut_checked(p - r)?;
        add_row_products(w2_row, weighted, column, r);
        w2_rest = rest;
    }
    Some(())
}

/// Rows of a chunk whose leverages [`leverages`] takes together: 32 sums, 8 registers of AVX2.
const TILE: usize = 32;

/// Each row's leverage h = h0 + Σ_r d_r (2 h1_r + Σ_{c ≥ r} H2_rc d_c) (H2 packed) into `h`,
/// `inner` scratch. Each row's operations are the same, in the same order, as one row's pass
/// over the whole chunk column by column (which the remainder of fewer than TILE rows takes);
/// but TILE rows at a time, their inner sums held in registers across the columns, where the
/// whole chunk's sums were stored and reloaded for each of the p(p + 1)/2 products.
#[inline(always)]
fn leverages<'a>(
    fit: &CellFit,
    column: impl Fn(usize) -> &'a [f64],
    h: &mut [f64],
    inner: &mut [f64],
) -> Option<()> {
    let p = fit.slope.len();
    let len = h.len();
    let full = len / TILE * TILE;
    // H2's packed row r: H2_rc for c = r..p, after the p + (p − 1) + … + (p − r + 1) of the
    // rows before.
    let h2_row = |r: usize| {
        fit.h2
            .get(r * p - r * r.saturating_sub(1) / 2..)?
            .get(..p - r)
    };
    for from in (0..full).step_by(TILE) {
        let tile = |j: usize| -> Option<&[f64; TILE]> {
            column(j).get(from..from + TILE)?.try_into().ok()
        };
        let mut leverage = [fit.h0; TILE];
        for (r, &h1) in fit.h1.iter().enumerate() {
            let mut sums = [2.0 * h1; TILE];
            for (k, &coefficient) in h2_row(r)?.iter().enumerate() {
                let d = tile(r + k)?;
                for t in 0..TILE {
                    sums[t] += coefficient * d[t];
                }
            }
            let d = tile(r)?;
            for t in 0..TILE {
                leverage[t] += d[t] * sums[t];
            }
        }
        h.get_mut(from..from + TILE)?.copy_from_slice(&leverage);
    }
    // The rows after the last whole tile, as the whole chunk was taken before.
    let (h, inner) = (h.get_mut(full..)?, inner.get_mut(full..len)?);
    h.fill(fit.h0);
    for (r, &h1) in fit.h1.iter().enumerate() {
        inner.fill(2.0 * h1);
        for (k, &coefficient) in h2_row(r)?.iter().enumerate() {
            for (s, d) in inner.iter_mut().zip(column(r + k).get(full..)?) {
                *s += coefficient * d;
            }
        }
        for ((h, s), d) in h.iter_mut().zip(inner.iter()).zip(column(r).get(full..)?) {
            *h += d * s;
        }
    }
    Some(())
}

/// One cell's moments from its rows of a block (places `range` of `by_cell`'s order): its
/// count, its means, and the upper triangle of the cross-products about them in LANES partial
/// sums over CHUNK_ROWS rows at a time (the cell's values are left centred). [`Kernels`]
/// compiles it twice.
#[inline(always)]
fn cell_moments(
    by_cell: &mut ByCell,
    range: std::ops::Range<usize>,
    lanes: &mut Vec<[f64; LANES]>,
    m: &mut Moments,
) -> Option<()> {
    let q = m.mean.len();
    let (from, to) = (range.start, range.end);
    m.n = (to - from) as f64;
    for (j, mean) in m.mean.iter_mut().enumerate() {
        let mut acc = [0.0; LANES];
        add_values(&mut acc, by_cell.column(j, from, to - from));
        *mean = lanes_total(&acc) / m.n;
    }
    let at = |j: usize| j * by_cell.rows;
    for (j, &mean) in m.mean.iter().enumerate() {
        for x in &mut by_cell.values[at(j) + from..at(j) + to] {
            *x -= mean;
        }
    }
    lanes.clear();
    lanes.resize(q * (q + 1) / 2, [0.0; LANES]);
    for chunk_from in (from..to).step_by(CHUNK_ROWS) {
        let len = CHUNK_ROWS.min(to - chunk_from);
        let column = |j: usize| by_cell.column(j, chunk_from, len);
        let mut rest = lanes.as_mut_slice();
        for r in 0..q {
            let (row, after) = rest.split_at_mut_checked(q - r)?;
            add_row_products(row, column(r), column, r);
            rest = after;
        }
    }
    let mut totals = lanes.iter();
    for r in 0..q {
        for col in r..q {
            let v = lanes_total(totals.next()?);
            m.scatter[r * q + col] = v;
            m.scatter[col * q + r] = v;
        }
    }
    Some(())
}

/// Which instructions the per-cell kernels ([`cell_moments`], [`chunk_weights`]) run with:
/// the crate is built for baseline x86-64 (SSE2, two doubles an instruction), and where the
/// processor has AVX2 the same kernels compiled for it take four. Without FMA, which would
/// round a·b + c once instead of twice: Rust never contracts a multiplication and an addition
/// by itself, and with the LANES partial sums fixed both versions do the same operations in
/// the same order, so their sums are the same bits
/// (`tests::avx2_kernels_give_the_portable_bits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernels {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernels {
    /// AVX2 where the processor has it (asked once per pass, not per chunk).
    fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernels::Avx2;
        }
        Kernels::Portable
    }

    fn cell_moments(
        self,
        by_cell: &mut ByCell,
        range: std::ops::Range<usize>,
        lanes: &mut Vec<[f64; LANES]>,
        m: &mut Moments,
    ) -> Option<()> {
        match self {
            Kernels::Portable => cell_moments(by_cell, range, lanes, m),
            // SAFETY: `Kernels::Avx2` is made only by `detect`, after the processor said it
            // has AVX2 (or by a test that checked the same).
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::cell_moments(by_cell, range, lanes, m) },
        }
    }

    fn chunk_weights(
        self,
        se: SeType,
        fit: &CellFit,
        chunk: Chunk<'_>,
        scratch: &mut ChunkScratch,
        lanes: &mut [[f64; LANES]],
    ) -> Option<()> {
        match self {
            Kernels::Portable => chunk_weights(se, fit, chunk, scratch, lanes),
            // SAFETY: as in `cell_moments` above.
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::chunk_weights(se, fit, chunk, scratch, lanes) },
        }
    }
}

/// The per-cell kernels compiled for AVX2 (the same source, inlined: `#[inline(always)]` on
/// them and on the loops they call).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{ByCell, CellFit, Chunk, ChunkScratch, LANES, Moments, SeType};

    #[target_feature(enable = "avx2")]
    pub(super) fn cell_moments(
        by_cell: &mut ByCell,
        range: std::ops::Range<usize>,
        lanes: &mut Vec<[f64; LANES]>,
        m: &mut Moments,
    ) -> Option<()> {
        super::cell_moments(by_cell, range, lanes, m)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn chunk_weights(
        se: SeType,
        fit: &CellFit,
        chunk: Chunk<'_>,
        scratch: &mut ChunkScratch,
        lanes: &mut [[f64; LANES]],
    ) -> Option<()> {
        super::chunk_weights(se, fit, chunk, scratch, lanes)
    }
}

/// The effects of `wanted` (terms of the model) and their joint variance, for a fit of `y` on
/// the `lin` or `ols` design over `rows` (with the level indicators of `interaction`); None
/// when this route does not apply or gives up (the caller then fits as before). With `shared`,
/// the moments and the second pass's sums come from the shared passes over everyone's rows
/// where they are this model's ([`SharedMoments`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit(
    data: &AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &[Code],
    y: &[f64],
    rows: &[usize],
    interaction: Option<&Interaction<'_>>,
    wanted: &[String],
    shared: Option<Shared<'_>>,
) -> Option<(Vec<Effect>, TermsVcov)> {
    let model = prepare(data, options, se, codes, y, rows, interaction, shared)?;
    let from_shared = shared.and_then(|s| {
        s.moments
            .weights(s, data, options, se, rows, interaction, &model)
    });
    let weights = match from_shared {
        Some(weights) => weights,
        None => second_pass(
            Kernels::detect(),
            se,
            rows,
            &model.values,
            &model.cells,
            &model.moments,
            &model.per_cell,
        )?,
    };
    finish(se, &model, &weights, wanted)
}

/// A model's fit up to its second pass: its columns and cells, its moments, the solved normal
/// equations and each cell's pieces of the second pass.
struct Prepared<'a> {
    values: RowValues<'a>,
    cells: Cells<'a>,
    /// The data's covariates the model has (indices), in its order.
    keep: Vec<usize>,
    moments: Vec<Moments>,
    names: Vec<String>,
    /// μ_c and B_c of each cell present.
    maps: Vec<(usize, DVector<f64>, DMatrix<f64>)>,
    shift: DVector<f64>,
    normal: super::crossproducts::Normal,
    per_cell: Vec<Option<CellFit>>,
    n: f64,
}

/// [`fit`] up to its second pass; None when the route does not apply or gives up.
#[allow(clippy::too_many_arguments)]
fn prepare<'a>(
    data: &'a AnalysisData,
    options: &EstimateOptions,
    se: SeType,
    codes: &'a [Code],
    y: &'a [f64],
    rows: &[usize],
    interaction: Option<&Interaction<'a>>,
    shared: Option<Shared<'_>>,
) -> Option<Prepared<'a>> {
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
        None => moments(Kernels::detect(), rows, &values, &cells)?,
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
            h2: packed_symmetric(p, |r, col| bt_a_b[(r, col)]),
        });
    }
    Some(Prepared {
        values,
        cells,
        keep,
        moments,
        names: design.names,
        maps,
        shift,
        normal,
        per_cell,
        n,
    })
}

/// The rest of [`fit`] from the second pass's sums: the meat, the variance, the effects.
fn finish(
    se: SeType,
    model: &Prepared<'_>,
    weights: &[CellWeights],
    wanted: &[String],
) -> Option<(Vec<Effect>, TermsVcov)> {
    let Prepared {
        maps,
        shift,
        normal,
        n,
        ..
    } = model;
    let n = *n;
    let k = model.names.len();
    let p = model.values.x.len();
    let a_inv = &normal.a_inv;
    let mut meat = DMatrix::<f64>::zeros(k, k);
    for (c, mu, b) in maps {
        let w = weights.get(*c)?;
        let centred = mu - shift;
        let bw1 = b * DVector::from_column_slice(&w.w1);
        meat += &centred * centred.transpose() * w.w0
            + &centred * bw1.transpose()
            + &bw1 * centred.transpose()
            + b * w.w2_matrix(p) * b.transpose();
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
        let j = model
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
    use super::super::crossproducts::hc_weight;
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

    /// An interaction model's QR fit over every row (the first subgroup variable, the first
    /// outcome).
    fn qr_fit(
        data: &AnalysisData,
        options: &EstimateOptions,
        se: SeType,
        model: &InteractionModel,
    ) -> (Vec<super::super::InteractionEffect>, TermsVcov) {
        let extras = Extras {
            wild: None,
            diagnostics: false,
        };
        let all: Vec<usize> = (0..data.n_rows()).collect();
        let (y, codes) = (&data.outcomes[0].1, &data.treatment.codes);
        interaction_effects(
            data,
            options,
            se,
            codes,
            y,
            &all,
            &data.by[0],
            model,
            "t",
            &extras,
            &mut Vec::new(),
            None,
        )
        .unwrap()
    }

    /// [`qr_fit`], and the names of the model's interaction terms as [`fit`] is asked for them.
    fn qr_interaction(
        data: &AnalysisData,
        options: &EstimateOptions,
        se: SeType,
        model: &InteractionModel,
    ) -> (Vec<super::super::InteractionEffect>, TermsVcov, Vec<String>) {
        let (qr, vcov) = qr_fit(data, options, se, model);
        let wanted = qr
            .iter()
            .map(|((k, _, _), a, _)| {
                let g = &model.indicators.names[*k];
                let t = data.treatment.term(*a);
                match options.estimator {
                    Estimator::Lin => format!("{t}:{g}_c"),
                    _ => format!("{t}:{g}"),
                }
            })
            .collect();
        (qr, vcov, wanted)
    }

    /// A per-cell interaction fit against the QR's: estimates, standard errors, joint variance.
    fn close_to_qr(
        fitted: &(Vec<Effect>, TermsVcov),
        qr: &(Vec<super::super::InteractionEffect>, TermsVcov),
        what: &str,
    ) {
        for ((_, _, q), c) in qr.0.iter().zip(&fitted.0) {
            close(c.estimate, q.estimate, what);
            close(c.std_error, q.std_error, what);
        }
        for (c, q) in fitted.1.matrix.iter().zip(qr.1.matrix.iter()) {
            close(*c, *q, what);
        }
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
        let codes: Vec<Code> = (0..n).map(|i| (u(i, 1) * arms as f64) as Code).collect();
        let level: Vec<Code> = (0..n).map(|i| (u(i, 2) * 3.0) as Code).collect();
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
                        let (qr, qr_vcov, wanted) = qr_interaction(&data, &options, se, &model);
                        let qr = (qr, qr_vcov);
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
                            let fitted = fit(
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
                            close_to_qr(&fitted, &qr, &what);
                            assert_eq!(fitted.1.df_den, qr.1.df_den);
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
                        let (a, va) = qr_fit(&data, &options, se, m);
                        let (b, vb) = qr_fit(&data, &options, se, d);
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

    /// A cell's residual, slope, h0, h1 and the whole p × p H2, row-major.
    type FullPieces = (f64, Vec<f64>, f64, Vec<f64>, Vec<f64>);

    /// The second pass as it was before the blocked one: row by row, the whole p × p quadratic
    /// form, one running sum per total; with Σ|ω d_r d_c| (and Σ|ω|, Σ|ω d_r|) beside each sum
    /// to scale the tolerance.
    fn second_pass_by_row(
        se: SeType,
        rows: &[usize],
        values: &RowValues<'_>,
        cells: &Cells<'_>,
        moments: &[Moments],
        per_cell: &[Option<FullPieces>],
    ) -> Option<(Vec<CellWeights>, Vec<CellWeights>)> {
        let p = values.x.len();
        let mut sums = vec![CellWeights::zero(p); cells.count];
        let mut scale = vec![CellWeights::zero(p); cells.count];
        let mut v = vec![0.0; p + 1];
        for &i in rows {
            let c = cells.of(i)?;
            let (residual, slope, h0, h1, h2) = per_cell[c].as_ref()?;
            values.fill(i, &mut v);
            for (x, m) in v.iter_mut().zip(&moments[c].mean) {
                *x -= m;
            }
            let d = &v[..p];
            let mut e = residual + v[p];
            let mut h = *h0;
            for r in 0..p {
                e -= slope[r] * d[r];
                let quad: f64 = (0..p).map(|col| h2[r * p + col] * d[col]).sum();
                h += d[r] * (2.0 * h1[r] + quad);
            }
            let omega = hc_weight(se, e, h)?;
            let (w, a) = (&mut sums[c], &mut scale[c]);
            w.w0 += omega;
            a.w0 += omega.abs();
            let mut packed = 0;
            for r in 0..p {
                w.w1[r] += omega * d[r];
                a.w1[r] += (omega * d[r]).abs();
                for col in r..p {
                    w.w2[packed] += omega * d[r] * d[col];
                    a.w2[packed] += (omega * d[r] * d[col]).abs();
                    packed += 1;
                }
            }
        }
        Some((sums, scale))
    }

    /// `data` with a covariate constant in a cell (age 40 in arm 1 at level b) and, with
    /// `one_row`, cells of one row (the first row of level c is the only one of arm 1 there,
    /// the second the only one of arm 2, the rest arm 0).
    fn edge_data(n: usize, arms: usize, one_row: bool) -> AnalysisData {
        let mut data = data(n, arms);
        let level = data.by[0].codes.clone();
        let mut seen = 0;
        for (i, &l) in level.iter().enumerate() {
            if l == 2 && one_row {
                data.treatment.codes[i] = if seen < arms - 1 { seen as Code + 1 } else { 0 };
                seen += 1;
            }
        }
        if let CovariateValues::Number(age) = &mut data.covariates[0].values {
            for (i, a) in age.iter_mut().enumerate() {
                if data.treatment.codes[i] == 1 && level[i] == 1 {
                    *a = 40.0;
                }
            }
        }
        data
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// The covariates' columns (the test data's are all numbers).
    fn number_columns(data: &AnalysisData) -> Vec<&[f64]> {
        data.covariates
            .iter()
            .map(|c| match &c.values {
                CovariateValues::Number(v) => v.as_slice(),
                _ => unreachable!(),
            })
            .collect()
    }

    /// The blocked second pass (chunks of rows by cell, partial sums in lanes, the upper
    /// triangle only) against the row-by-row pass it replaced: the same sums up to their
    /// order, over several blocks, with a cell of one row and a covariate constant in a cell,
    /// two and three arms, by arm and by arm × level, everyone's rows and one level's, HC0–HC3;
    /// and the same bits on one thread and on two.
    #[test]
    fn blocked_second_pass_agrees_with_the_row_by_row_pass() {
        let (one, two) = (pool(1), pool(2));
        for arms in [2, 3] {
            let data = edge_data(40_000, arms, true);
            let y = &data.outcomes[0].1;
            let codes = &data.treatment.codes;
            let by = &data.by[0];
            let all: Vec<usize> = (0..data.n_rows()).collect();
            let level_b: Vec<usize> = all.iter().copied().filter(|&i| by.codes[i] == 1).collect();
            let x = number_columns(&data);
            let p = x.len();
            let values = RowValues { x, y };
            for levels in [1, 3] {
                let cells = Cells {
                    codes,
                    partition: (levels > 1).then_some(by.codes.as_slice()),
                    levels,
                    count: arms * levels,
                };
                for rows in [&all, &level_b] {
                    let (moments, _) = moments(Kernels::detect(), rows, &values, &cells).unwrap();
                    if levels > 1 {
                        let one_row = (1..arms).map(|a| moments[a * levels + 2].n);
                        assert!(one_row.into_iter().all(|n| n == 0.0 || n == 1.0));
                    }
                    // Made-up pieces, small enough that every leverage stays below one.
                    let pieces: Vec<_> = (0..cells.count)
                        .map(|c| {
                            let f = c as f64 + 1.0;
                            let h2: Vec<f64> = (0..p * p)
                                .map(|rc| {
                                    let (r, col) = (rc / p, rc % p);
                                    1e-6 / f
                                        * (1.0 + (r + col) as f64)
                                        * if r == col { 2.0 } else { 0.5 }
                                })
                                .collect();
                            let h1: Vec<f64> =
                                (0..p).map(|r| 1e-5 * f * (r as f64 - 0.5)).collect();
                            let slope: Vec<f64> =
                                (0..p).map(|r| 0.01 * f * (1.0 - r as f64)).collect();
                            (0.1 * f, slope, 1e-3 * f, h1, h2)
                        })
                        .collect();
                    let per_cell: Vec<Option<CellFit>> = pieces
                        .iter()
                        .map(|(residual, slope, h0, h1, h2)| {
                            Some(CellFit {
                                residual: *residual,
                                slope: slope.clone(),
                                h0: *h0,
                                h1: h1.clone(),
                                h2: packed_symmetric(p, |r, col| h2[r * p + col]),
                            })
                        })
                        .collect();
                    let pieces: Vec<_> = pieces.into_iter().map(Some).collect();
                    for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                        let what = format!("{arms} arms, {levels} levels, {se:?}");
                        let run = |pool: &rayon::ThreadPool| {
                            pool.install(|| {
                                second_pass(
                                    Kernels::detect(),
                                    se,
                                    rows,
                                    &values,
                                    &cells,
                                    &moments,
                                    &per_cell,
                                )
                            })
                            .unwrap()
                        };
                        let blocked = run(&one);
                        assert_eq!(blocked, run(&two), "{what}: thread count");
                        let (want, scale) =
                            second_pass_by_row(se, rows, &values, &cells, &moments, &pieces)
                                .unwrap();
                        for ((got, want), scale) in blocked.iter().zip(&want).zip(&scale) {
                            let near = |g: f64, w: f64, s: f64| {
                                assert!((g - w).abs() <= 1e-13 * s, "{what}: {g} against {w}")
                            };
                            near(got.w0, want.w0, scale.w0);
                            for ((g, w), s) in got.w1.iter().zip(&want.w1).zip(&scale.w1) {
                                near(*g, *w, *s);
                            }
                            for ((g, w), s) in got.w2.iter().zip(&want.w2).zip(&scale.w2) {
                                near(*g, *w, *s);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The AVX2 kernels against the portable ones on random values: the moments and the
    /// second pass's sums the same bits (seven covariates, so the triangles and the chunks
    /// have remainders; cells of 1 to several thousand rows; HC0–HC3). Where the processor has
    /// no AVX2 there is nothing to compare.
    #[test]
    fn avx2_kernels_give_the_portable_bits() {
        let fast = Kernels::detect();
        if fast == Kernels::Portable {
            return;
        }
        let mut rng = crate::rng::Stream::new(20261130, "avx2-kernels-test");
        let mut next = move || rng.unit();
        let n = 50_000;
        let p = 7;
        let columns: Vec<Vec<f64>> = (0..p)
            .map(|j| {
                (0..n)
                    .map(|_| (next() - 0.3) * 1.5f64.powi(j as i32))
                    .collect()
            })
            .collect();
        let y: Vec<f64> = (0..n).map(|_| next() * 5.0 - 1.0).collect();
        // Five cells of very different sizes, one of a single row.
        let codes: Vec<Code> = (0..n)
            .map(|i| match next() {
                _ if i == 777 => 4,
                u if u < 0.6 => 0,
                u if u < 0.9 => 1,
                u if u < 0.99 => 2,
                _ => 3,
            })
            .collect();
        let x: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let values = RowValues { x, y: &y };
        let cells = Cells {
            codes: &codes,
            partition: None,
            levels: 1,
            count: 5,
        };
        let rows: Vec<usize> = (0..n).filter(|&i| i == 777 || codes[i] != 4).collect();
        let (portable, first) = moments(Kernels::Portable, &rows, &values, &cells).unwrap();
        let (avx2, first_avx2) = moments(fast, &rows, &values, &cells).unwrap();
        assert_eq!(first, first_avx2);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        for (a, b) in portable.iter().zip(&avx2) {
            assert_eq!(a.n, b.n);
            assert_eq!(bits(&a.mean), bits(&b.mean));
            assert_eq!(bits(&a.scatter), bits(&b.scatter));
        }
        let per_cell: Vec<Option<CellFit>> = (0..cells.count)
            .map(|_| {
                let h2: Vec<f64> = (0..p * p).map(|_| next() * 1e-6).collect();
                Some(CellFit {
                    residual: next() - 0.5,
                    slope: (0..p).map(|_| next() - 0.5).collect(),
                    h0: next() * 1e-3,
                    h1: (0..p).map(|_| (next() - 0.5) * 1e-5).collect(),
                    h2: packed_symmetric(p, |r, c| h2[r * p + c]),
                })
            })
            .collect();
        for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
            let run = |kernels| {
                second_pass(kernels, se, &rows, &values, &cells, &portable, &per_cell).unwrap()
            };
            for (a, b) in run(Kernels::Portable).iter().zip(&run(fast)) {
                assert_eq!(a.w0.to_bits(), b.w0.to_bits(), "{se:?}");
                assert_eq!(bits(&a.w1), bits(&b.w1), "{se:?}");
                assert_eq!(bits(&a.w2), bits(&b.w2), "{se:?}");
            }
        }
    }

    /// The chunk kernel as it was before the leverages were taken by tiles and the W2 sums by
    /// groups ([`leverages`], [`add_row_products`]): every step over the whole chunk, one sum
    /// at a time.
    fn chunk_weights_by_columns(
        se: SeType,
        fit: &CellFit,
        chunk: Chunk<'_>,
        lanes: &mut [[f64; LANES]],
    ) -> Option<()> {
        let p = fit.slope.len();
        let len = chunk.len;
        let (w0_lanes, rest) = lanes.split_first_mut()?;
        let (w1_lanes, w2_lanes) = rest.split_at_mut(p);
        let column = |j: usize| chunk.column(j);
        let (mut e, mut h, mut inner) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        let (mut omega, mut weighted) = (vec![0.0; len], vec![0.0; len]);
        for (e, y) in e.iter_mut().zip(column(p)) {
            *e = fit.residual + y;
        }
        for (r, &slope) in fit.slope.iter().enumerate() {
            for (e, d) in e.iter_mut().zip(column(r)) {
                *e -= slope * d;
            }
        }
        h.fill(fit.h0);
        let mut packed = fit.h2.iter();
        for (r, &h1) in fit.h1.iter().enumerate() {
            inner.fill(2.0 * h1);
            for col in r..p {
                let coefficient = *packed.next()?;
                for (s, d) in inner.iter_mut().zip(column(col)) {
                    *s += coefficient * d;
                }
            }
            for ((h, s), d) in h.iter_mut().zip(inner.iter()).zip(column(r)) {
                *h += d * s;
            }
        }
        hc_weights(se, &e, &h, &mut omega)?;
        add_values(w0_lanes, &omega);
        let mut w2_next = w2_lanes.iter_mut();
        for (r, w1) in w1_lanes.iter_mut().enumerate() {
            for ((o, w), d) in weighted.iter_mut().zip(omega.iter()).zip(column(r)) {
                *o = w * d;
            }
            add_values(w1, &weighted);
            for col in r..p {
                let acc = w2_next.next()?;
                for (i, (x, y)) in weighted.iter().zip(column(col)).enumerate() {
                    acc[i % LANES] += x * y;
                }
            }
        }
        Some(())
    }

    /// The chunk kernel (portable and AVX2) against the column-by-column one it replaced: the
    /// same sums, bit for bit, and the same giving up, for 0 to 12 covariates, every chunk
    /// length from 1 to CHUNK_ROWS (tiles and groups of products with every remainder),
    /// partial sums carried in from earlier chunks, HC0–HC3, and a leverage near one.
    #[test]
    fn tiled_chunk_kernel_gives_the_column_by_column_bits() {
        let mut rng = crate::rng::Stream::new(20261130, "tiled-kernel-test");
        let mut next = move || rng.unit();
        let kernels: Vec<Kernels> = [Kernels::Portable, Kernels::detect()].into();
        for p in 0..=12 {
            let stride = CHUNK_ROWS + 5;
            let values: Vec<f64> = (0..(p + 1) * stride)
                .map(|i| (next() - 0.4) * (1 + i % 7) as f64)
                .collect();
            let h2: Vec<f64> = (0..p * p).map(|_| next() * 1e-5).collect();
            let mut fit = CellFit {
                residual: next() - 0.5,
                slope: (0..p).map(|_| next() - 0.5).collect(),
                h0: next() * 1e-3,
                h1: (0..p).map(|_| (next() - 0.5) * 1e-4).collect(),
                h2: packed_symmetric(p, |r, c| h2[r * p + c]),
            };
            let start: Vec<[f64; LANES]> = (0..1 + p + p * (p + 1) / 2)
                .map(|_| std::array::from_fn(|_| next() * 3.0))
                .collect();
            for (case, len) in (1..=CHUNK_ROWS).enumerate() {
                // Now and then a leverage of about one: every kernel gives up.
                let near_one = p > 0 && case % 97 == 13;
                fit.h0 = if near_one { 1.0 } else { next() * 1e-3 };
                let chunk = Chunk {
                    values: &values,
                    stride,
                    from: case % 5,
                    len,
                };
                for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                    let mut want = start.clone();
                    let want_ok = chunk_weights_by_columns(se, &fit, chunk, &mut want);
                    for &k in &kernels {
                        let mut got = start.clone();
                        let mut scratch = ChunkScratch::default();
                        let got_ok = k.chunk_weights(se, &fit, chunk, &mut scratch, &mut got);
                        assert_eq!(got_ok, want_ok, "p {p}, {len} rows, {se:?}, {k:?}");
                        if want_ok.is_some() {
                            assert_eq!(
                                lane_bits(&got),
                                lane_bits(&want),
                                "p {p}, {len} rows, {se:?}, {k:?}"
                            );
                        }
                    }
                    if near_one {
                        assert!(want_ok.is_none());
                    }
                }
            }
        }
    }

    /// Partial sums in lanes as their bits, to compare bit for bit.
    fn lane_bits(v: &[[f64; LANES]]) -> Vec<u64> {
        v.iter().flatten().map(|x| x.to_bits()).collect()
    }

    /// A row's products taken PAIRS at a time (the W2 and the moments sums) against each
    /// product's sums on its own, bit for bit: 1 to 13 products, every length to 70 rows.
    #[test]
    fn products_by_groups_are_each_products_sums() {
        let mut rng = crate::rng::Stream::new(20261130, "grouped-products-test");
        let mut next = move || rng.unit() - 0.3;
        for count in 1..=13 {
            for len in 0..=70 {
                let a: Vec<f64> = (0..len).map(|_| next()).collect();
                let b: Vec<Vec<f64>> = (0..count + 2)
                    .map(|_| (0..len).map(|_| next() * 1e3).collect())
                    .collect();
                let start: Vec<[f64; LANES]> = (0..count)
                    .map(|_| std::array::from_fn(|_| next()))
                    .collect();
                let mut want = start.clone();
                for (k, acc) in want.iter_mut().enumerate() {
                    for (i, (x, y)) in a.iter().zip(&b[k + 2]).enumerate() {
                        acc[i % LANES] += x * y;
                    }
                }
                let mut got = start;
                add_row_products(&mut got, &a, |j| b[j].as_slice(), 2);
                assert_eq!(
                    lane_bits(&got),
                    lane_bits(&want),
                    "{count} products of {len} rows"
                );
            }
        }
    }

    /// The second pass shared by the models of one subgroup variable against each model's own
    /// [`second_pass`] over its own rows: the same sums, bit for bit (or both giving up), for
    /// everyone's model, each level's and the interaction models (every base level), Lin and
    /// OLS, HC0–HC3, two and three arms, a covariate constant in a cell, a cell of one row
    /// (whose leverage of one makes the interaction models give up), a level with one arm
    /// absent, everyone's rows and a subset of them; over 50,000 rows, so that a level's blocks
    /// of rows straddle everyone's; on one thread and on two.
    #[test]
    fn shared_second_pass_gives_each_models_own_sums() {
        let (one, two) = (pool(1), pool(2));
        for (arms, one_row, absent) in [(2, false, false), (3, true, false), (2, false, true)] {
            let mut data = edge_data(50_000, arms, one_row);
            if absent {
                // Level c: arm 0 only.
                for (code, &level) in data.treatment.codes.iter_mut().zip(&data.by[0].codes) {
                    if level == 2 {
                        *code = 0;
                    }
                }
            }
            let data = data;
            let y = &data.outcomes[0].1;
            let codes = &data.treatment.codes;
            let by = &data.by[0];
            let all: Vec<usize> = (0..data.n_rows()).collect();
            let subset: Vec<usize> = all.iter().copied().filter(|i| i % 5 != 3).collect();
            for rows in [&all, &subset] {
                for estimator in [Estimator::Lin, Estimator::Ols] {
                    for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                        let what = format!(
                            "{arms} arms, one row {one_row}, absent {absent}, {} rows, {estimator:?}, {se:?}",
                            rows.len()
                        );
                        let options = EstimateOptions {
                            estimator,
                            se: Some(se),
                            all_pairs: true,
                            ..Default::default()
                        };
                        let moments = shared(&data, &options, se, codes, y, rows, by).unwrap();
                        let at = |level| {
                            Some(Shared {
                                moments: &moments,
                                level,
                            })
                        };
                        let models_of_levels = interaction_models_deferred(by, rows, true);
                        let mut models = Vec::new();
                        let mut own_rows = Vec::new();
                        if let Some(m) =
                            prepare(&data, &options, se, codes, y, rows, None, at(None))
                        {
                            models.push((ModelKind::Everyone, m));
                            own_rows.push(rows.to_vec());
                        }
                        for l in 0..3 {
                            let level_rows: Vec<usize> = rows
                                .iter()
                                .copied()
                                .filter(|&i| by.codes[i] as usize == l)
                                .collect();
                            let m = prepare(&data, &options, se, codes, y, &[], None, at(Some(l)));
                            if let Some(m) = m {
                                models.push((ModelKind::Level(l), m));
                                own_rows.push(level_rows);
                            }
                        }
                        let interactions: Vec<Interaction<'_>> = models_of_levels
                            .iter()
                            .map(|model| Interaction {
                                factor: by,
                                indicators: &model.indicators,
                                by_level: model.by_level.as_deref(),
                                own_columns: &model.own_columns,
                            })
                            .collect();
                        for interaction in &interactions {
                            let m = prepare(
                                &data,
                                &options,
                                se,
                                codes,
                                y,
                                rows,
                                Some(interaction),
                                at(None),
                            );
                            if let Some(m) = m {
                                models.push((ModelKind::Interaction, m));
                                own_rows.push(rows.to_vec());
                            }
                        }
                        let kinds: Vec<ModelKind> = models.iter().map(|(k, _)| *k).collect();
                        let levels_in = kinds
                            .iter()
                            .filter(|k| matches!(k, ModelKind::Level(_)))
                            .count();
                        // Level b's model gives up before its pass (its covariate constant in
                        // arm 1 makes T:age_c a multiple of T), and so does level c's when an
                        // arm is absent there.
                        assert!(levels_in >= 1, "{what}");
                        assert!(kinds.contains(&ModelKind::Everyone), "{what}");
                        let fine = Cells {
                            codes,
                            partition: Some(by.codes.as_slice()),
                            levels: 3,
                            count: arms * 3,
                        };
                        // The values gathered once are taken: everyone's arms, and the fine
                        // cells of the levels' and the interaction models.
                        let means: Vec<Vec<f64>> = models
                            .iter()
                            .map(|(_, m)| flat_means(&m.moments, m.values.x.len() + 1))
                            .collect();
                        let centred = SharedCentred::new(&fine, &models, &means);
                        let reading = |kind: ModelKind| {
                            models
                                .iter()
                                .zip(&centred.reads)
                                .filter(|((k, _), _)| *k == kind)
                                .map(|(_, reads)| reads.iter().filter(|&&r| r).count())
                                .sum::<usize>()
                        };
                        assert_eq!(reading(ModelKind::Everyone), arms, "{what}");
                        let interactions_in = kinds
                            .iter()
                            .filter(|k| **k == ModelKind::Interaction)
                            .count();
                        if interactions_in >= 2 {
                            assert!(reading(ModelKind::Interaction) >= 2 * arms, "{what}");
                        }
                        let run = |pool: &rayon::ThreadPool| {
                            pool.install(|| {
                                shared_second_pass(Kernels::detect(), se, rows, &fine, &models)
                            })
                        };
                        let together = run(&two);
                        assert_eq!(together, run(&one), "{what}: thread count");
                        let mut compared = 0;
                        for (((kind, m), own_rows), got) in
                            models.iter().zip(&own_rows).zip(&together)
                        {
                            let own = second_pass(
                                Kernels::detect(),
                                se,
                                own_rows,
                                &m.values,
                                &m.cells,
                                &m.moments,
                                &m.per_cell,
                            );
                            assert_eq!(got.is_some(), own.is_some(), "{what}, {kind:?}");
                            if let (Some(got), Some(own)) = (got, &own) {
                                let bits = |w: &[CellWeights]| -> Vec<u64> {
                                    w.iter()
                                        .flat_map(|w| {
                                            std::iter::once(w.w0)
                                                .chain(w.w1.iter().copied())
                                                .chain(w.w2.iter().copied())
                                        })
                                        .map(f64::to_bits)
                                        .collect()
                                };
                                assert_eq!(bits(got), bits(own), "{what}, {kind:?}");
                                compared += 1;
                            }
                        }
                        // Everyone's model and a level's at least.
                        assert!(compared >= 2, "{what}");
                    }
                }
            }
        }
    }

    /// The blocked moments pass (rows gathered by cell, partial sums in lanes, the upper
    /// triangle) against each cell's means and centred cross-products taken row by row: the
    /// same up to the order of the sums, with a cell of one row and a covariate constant in a
    /// cell, over several blocks; the same bits on one thread and on two.
    #[test]
    fn blocked_moments_agree_with_the_row_by_row_sums() {
        let (one, two) = (pool(1), pool(2));
        for arms in [2, 3] {
            let data = edge_data(40_000, arms, true);
            let y = &data.outcomes[0].1;
            let by = &data.by[0];
            let x = number_columns(&data);
            let q = x.len() + 1;
            let values = RowValues { x, y };
            let cells = Cells {
                codes: &data.treatment.codes,
                partition: Some(by.codes.as_slice()),
                levels: 3,
                count: arms * 3,
            };
            let all: Vec<usize> = (0..data.n_rows()).collect();
            let run = |pool: &rayon::ThreadPool| {
                pool.install(|| moments(Kernels::detect(), &all, &values, &cells))
            };
            let (blocked, first) = run(&one).unwrap();
            let (again, first_again) = run(&two).unwrap();
            assert_eq!(first, first_again);
            for (a, b) in blocked.iter().zip(&again) {
                assert_eq!((a.n, &a.mean, &a.scatter), (b.n, &b.mean, &b.scatter));
            }
            let mut v = vec![0.0; q];
            for (c, got) in blocked.iter().enumerate() {
                let members: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|&i| cells.of(i) == Some(c))
                    .collect();
                assert_eq!(got.n, members.len() as f64);
                assert_eq!(first[c], members.first().copied());
                let mut mean = vec![0.0; q];
                let mut size = vec![0.0; q];
                for &i in &members {
                    values.fill(i, &mut v);
                    for j in 0..q {
                        mean[j] += v[j] / got.n;
                        size[j] += v[j].abs() / got.n;
                    }
                }
                let mut scatter = vec![0.0; q * q];
                let mut scale = vec![0.0; q * q];
                for &i in &members {
                    values.fill(i, &mut v);
                    for r in 0..q {
                        for col in 0..q {
                            let product = (v[r] - mean[r]) * (v[col] - mean[col]);
                            scatter[r * q + col] += product;
                            scale[r * q + col] += product.abs() + size[r] * size[col] * 1e-3;
                        }
                    }
                }
                for j in 0..q {
                    assert!(
                        (got.mean[j] - mean[j]).abs() <= 1e-13 * size[j],
                        "{arms} arms, cell {c}"
                    );
                }
                for ((g, w), s) in got.scatter.iter().zip(&scatter).zip(&scale) {
                    assert!(
                        (g - w).abs() <= 1e-12 * s,
                        "{arms} arms, cell {c}: {g} against {w}"
                    );
                }
            }
        }
    }

    /// The per-cell fits on the edge cases of [`edge_data`] against the QR: everyone's model
    /// and the interaction models, Lin and OLS, HC0–HC3, two and three arms. A cell of one row
    /// has leverage one in an interaction model, where every HC type gives up (`hc_weight`'s
    /// guard; the caller fits by QR); everyone's model agrees with the QR.
    #[test]
    fn edge_cells_agree_with_the_qr_fit() {
        let extras = Extras {
            wild: None,
            diagnostics: false,
        };
        for (arms, one_row) in [(2, false), (3, false), (2, true), (3, true)] {
            let data = edge_data(3000, arms, one_row);
            let y = &data.outcomes[0].1;
            let codes = &data.treatment.codes;
            let by = &data.by[0];
            let all: Vec<usize> = (0..data.n_rows()).collect();
            let terms: Vec<String> = (1..arms).map(|a| data.treatment.term(a)).collect();
            for estimator in [Estimator::Lin, Estimator::Ols] {
                for se in [SeType::Hc0, SeType::Hc1, SeType::Hc2, SeType::Hc3] {
                    let options = EstimateOptions {
                        estimator,
                        se: Some(se),
                        ..Default::default()
                    };
                    let what = format!("{arms} arms, one row {one_row}, {estimator:?}, {se:?}");
                    let qr = group_effects(
                        &data,
                        &options,
                        se,
                        codes,
                        y,
                        &all,
                        "t",
                        &extras,
                        &mut Vec::new(),
                        None,
                    )
                    .unwrap();
                    let (fitted, _) =
                        fit(&data, &options, se, codes, y, &all, None, &terms, None).unwrap();
                    for ((_, q), c) in qr.iter().zip(&fitted) {
                        close(c.estimate, q.estimate, &what);
                        close(c.std_error, q.std_error, &what);
                    }
                    for model in interaction_models(by, &all, true) {
                        let interaction = Interaction {
                            factor: by,
                            indicators: &model.indicators,
                            by_level: None,
                            own_columns: &model.own_columns,
                        };
                        let (qr, qr_vcov, wanted) = qr_interaction(&data, &options, se, &model);
                        let fitted = fit(
                            &data,
                            &options,
                            se,
                            codes,
                            y,
                            &all,
                            Some(&interaction),
                            &wanted,
                            None,
                        );
                        if one_row {
                            assert!(fitted.is_none(), "{what}: a leverage of one");
                            continue;
                        }
                        close_to_qr(&fitted.unwrap(), &(qr, qr_vcov), &what);
                    }
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
