//! A fast statistic for randomization inference: the same estimates as [`super::estimate_all`]
//! for a re-drawn assignment, without refitting.
//!
//! By Frisch–Waugh–Lovell, the treatment coefficients of y = Wγ + Tτ + e are
//! τ̂ = (T'M_W T)⁻¹ T'M_W y. W (intercept, covariates, subgroup indicators, strata dummies;
//! Lin's centred covariates) does not depend on the assignment, so its QR factor R and
//! ỹ = M_W y are computed once. T holds, for each arm a, the columns t_a·z with
//! z = (1, covariates interacted with the treatment) — again fixed. So a draw needs only
//! T'W, T'T and T'ỹ: sums over each arm's rows of z ⊗ (w, z, ỹ); then
//! T'M_W T = T'T − (R⁻ᵀW'T)'(R⁻ᵀW'T) and an m × m solve.
//!
//! Those sums are not formed row by row for every model. Each model (the overall one, one per
//! subgroup, the interaction model) is a union of cells — subgroup levels, and strata when the
//! model has strata fixed effects — and within a cell every column of w, z and ỹ is a fixed
//! linear function of one short vector per row, v = (1, the expanded covariates, y), centred
//! within the cell. So a draw sums v v' over one arm's rows of each cell once (the upper
//! triangle: q(q+1)/2 products per row, q = 2 + covariate columns; with two arms over the arm
//! that was the smaller, the other by subtraction), and every model's sums follow by small matrix
//! products with the cell's linear maps. The maps are found by least squares on the cell's rows
//! and checked to reproduce every column to 1e-9 of its scale; where one does not (a model this
//! reasoning does not cover), `fast_statistic` returns None and the caller refits.
//!
//! The blocked difference in means (`dim` with strata) is a ratio of the same sums: per stratum
//! and arm, the count and the sum of y.
//!
//! Used for `ols`, `fe`, `lin`, `dim` and blocked `dim`, unweighted, without a participation
//! column; the caller refits the model for draws that leave an analysed person in no arm.

use super::Code;
use super::ols::{CovariateView, DesignMatrix, expand_covariates};
use super::subgroups;
use super::{
    AnalysisData, EstimateOptions, Estimator, covariate_views, model_design, treatment_design,
};
use crate::error::Result;
use crate::linalg::{self, Columns};
use nalgebra::{DMatrix, DVector};

mod by_type;
pub use by_type::TypeStatistic;

/// Relative accuracy to which a cell's linear maps must reproduce the model's columns.
const MAP_TOLERANCE: f64 = 1e-9;

/// One model of one outcome: a subgroup's ITT model or the interaction model.
struct Part {
    /// W's kept columns.
    k: usize,
    /// Columns of z: 1 and the columns interacted with the treatment.
    m: usize,
    /// R⁻¹ of W's QR (k × k).
    r_inv: DMatrix<f64>,
    /// Per cell of this model: the cell and the map (t × q, t = k + m + 1) from v to the
    /// targets (w, z, ỹ).
    cells: Vec<(usize, DMatrix<f64>)>,
    /// Which coefficients of T (column j·arms + a for arm a, z-column j) are the statistic.
    wanted: Vec<usize>,
}

/// The statistic of one subgroup (or of the interaction model).
enum Model {
    /// A least-squares model (Frisch–Waugh–Lovell).
    Regression(Part),
    /// estimatr's blocked difference in means: per stratum the difference of the arms' means,
    /// averaged with the stratum's number of rows (of the two arms compared) as weight. Each
    /// block is the list of its cells.
    Blocked(Vec<Vec<usize>>),
}

/// One outcome: its complete rows, their cells and base vectors, and its models.
struct OutcomeMoments {
    /// Analysis rows with the outcome observed.
    rows: Vec<usize>,
    /// Cell of each row of `rows`.
    cell: Vec<u32>,
    /// Base vectors v, row-major, q per row.
    v: Vec<f64>,
    q: usize,
    n_cells: usize,
    /// Per cell: Σ v v' over all its rows (q × q, row-major).
    totals: Vec<Vec<f64>>,
    /// Per cell: the mean of y subtracted from v's last column.
    y_means: Vec<f64>,
    /// Whether each row was in arm 1 under the observed assignment (for the interval pieces).
    observed_treated: Vec<bool>,
    /// How many of `rows` were in arm 1 under the observed assignment (counted once, not per
    /// draw: a draw over clusters must not cost O(n)).
    observed_treated_count: usize,
    /// Two arms: whether arm 1 was the larger one, so that the other rows are summed.
    complement: bool,
    /// Whether the control arm's sums are needed (blocked differences in means): then the sums
    /// are kept for every arm, the control arm (code 0) included.
    with_control: bool,
    parts: Vec<Model>,
}

/// The sums of v v' of one draw, per cell and arm.
struct Moments<'a> {
    all: &'a [DMatrix<f64>],
    /// Arms kept per cell.
    slots: usize,
    /// 1 when the control arm (code 0) is kept, else 0.
    offset: usize,
}

impl Moments<'_> {
    /// Σ v v' over the rows of the cell with arm code `code` (1.. for the treatment arms, 0 for
    /// the control arm when kept).
    fn get(&self, cell: usize, code: usize) -> &DMatrix<f64> {
        &self.all[cell * self.slots + code + self.offset - 1]
    }
}

/// Precomputed pieces; [`FastStatistic::eval`] gives the estimates for an assignment.
pub struct FastStatistic {
    outcomes: Vec<OutcomeMoments>,
    arms: usize,
}

/// The upper triangle of v v' added to `acc` (q × q, row-major).
fn add_outer(acc: &mut [f64], v: &[f64]) {
    for (a, (row, &va)) in acc.chunks_exact_mut(v.len()).zip(v).enumerate() {
        for (t, &vb) in row[a..].iter_mut().zip(&v[a..]) {
            *t += va * vb;
        }
    }
}

/// The symmetric q × q matrix whose upper triangle is held row-major in `upper`.
fn symmetric(upper: &[f64], q: usize) -> DMatrix<f64> {
    DMatrix::from_fn(q, q, |i, j| {
        if i <= j {
            upper[i * q + j]
        } else {
            upper[j * q + i]
        }
    })
}

/// Σ v v' over the rows r of `selected`, into `sums[slot(r)]` (q × q each, row-major); Q = q
/// known at compile time, so the products unroll and vectorise.
fn accumulate_fixed<const Q: usize>(
    v: &[f64],
    sums: &mut [f64],
    selected: &[u32],
    slot: impl Fn(usize) -> usize,
) {
    for &r in selected {
        let r = r as usize;
        let s = slot(r);
        {
            let row: &[f64; Q] = v[r * Q..(r + 1) * Q].try_into().expect("rows of Q");
            let acc: &mut [f64] = &mut sums[s * Q * Q..(s + 1) * Q * Q];
            // The upper triangle only (the sums are symmetric; see `symmetric`).
            for (a, target) in acc.chunks_exact_mut(Q).enumerate() {
                let target: &mut [f64; Q] = target.try_into().expect("rows of Q");
                let va = row[a];
                for b in a..Q {
                    target[b] += va * row[b];
                }
            }
        }
    }
}

/// [`accumulate_fixed`] for any q.
fn accumulate(
    v: &[f64],
    q: usize,
    sums: &mut [f64],
    selected: &[u32],
    slot: impl Fn(usize) -> usize,
) {
    match q {
        2 => accumulate_fixed::<2>(v, sums, selected, slot),
        3 => accumulate_fixed::<3>(v, sums, selected, slot),
        4 => accumulate_fixed::<4>(v, sums, selected, slot),
        5 => accumulate_fixed::<5>(v, sums, selected, slot),
        6 => accumulate_fixed::<6>(v, sums, selected, slot),
        7 => accumulate_fixed::<7>(v, sums, selected, slot),
        8 => accumulate_fixed::<8>(v, sums, selected, slot),
        9 => accumulate_fixed::<9>(v, sums, selected, slot),
        10 => accumulate_fixed::<10>(v, sums, selected, slot),
        11 => accumulate_fixed::<11>(v, sums, selected, slot),
        12 => accumulate_fixed::<12>(v, sums, selected, slot),
        _ => {
            for &r in selected {
                let (r, s) = (r as usize, slot(r as usize));
                add_outer(
                    &mut sums[s * q * q..(s + 1) * q * q],
                    &v[r * q..(r + 1) * q],
                );
            }
        }
    }
}

impl FastStatistic {
    /// The estimates of every row of `estimate_all`, in its order, for the assignment `codes`
    /// (arm index per row, 0 = control; other values are in no arm). NaN where the treatment
    /// is not identified.
    pub fn eval(&self, codes: &[usize]) -> Vec<f64> {
        self.eval_with_pieces(codes).0
    }

    /// [`FastStatistic::eval`], and per outcome the two numbers of the randomization interval
    /// of its overall effect (`ri::interval_from_draws`): a = DiM(z_r, y) and b = DiM(z_r, z)
    /// with z_r = 1 for arm 1 and z the observed assignment, from the same sums.
    pub fn eval_with_pieces(&self, codes: &[usize]) -> (Vec<f64>, Vec<(f64, f64)>) {
        let mut estimates = Vec::new();
        let mut pieces = Vec::with_capacity(self.outcomes.len());
        for o in &self.outcomes {
            let (e, p) = o.eval(codes, self.arms);
            estimates.extend(e);
            pieces.push(p);
        }
        (estimates, pieces)
    }

    /// The sums of v v' of every randomization unit (a cluster, or a person when persons are
    /// randomized), per outcome and cell, computed once. `member_of[i]` is the unit of analysis
    /// row i; every assignment the caller evaluates with [`FastStatistic::eval_members`] must
    /// give all rows of a unit the same arm. Then a draw adds G unit sums instead of n row
    /// products: the cost of one assignment is O(G), not O(n) (the per-cluster precomputation
    /// of fwildclusterboot's fast algorithm, Roodman et al. 2019, §5, applied to the
    /// randomization distribution).
    pub fn by_member(&self, member_of: &[usize]) -> MemberSums {
        let outcomes = self
            .outcomes
            .iter()
            .map(|o| {
                let square = o.q * o.q;
                let mut index: std::collections::BTreeMap<(usize, u32), usize> = Default::default();
                let mut counts: std::collections::BTreeMap<usize, (usize, usize)> =
                    Default::default();
                let mut sums: Vec<f64> = Vec::new();
                for (r, (&i, &observed)) in o.rows.iter().zip(&o.observed_treated).enumerate() {
                    let member = member_of.get(i).copied().unwrap_or(usize::MAX);
                    let cell = o.cell[r];
                    let next = index.len();
                    let block = *index.entry((member, cell)).or_insert(next);
                    if block == sums.len() / square {
                        sums.resize(sums.len() + square, 0.0);
                    }
                    add_outer(
                        &mut sums[block * square..(block + 1) * square],
                        &o.v[r * o.q..(r + 1) * o.q],
                    );
                    let count = counts.entry(member).or_default();
                    count.0 += 1;
                    count.1 += usize::from(observed);
                }
                let mut blocks = vec![(0, 0); index.len()];
                for (&(member, cell), &b) in &index {
                    blocks[b] = (member, cell as usize);
                }
                OutcomeMemberSums {
                    blocks,
                    sums,
                    counts: counts.into_iter().map(|(m, (n, t))| (m, n, t)).collect(),
                }
            })
            .collect();
        MemberSums { outcomes }
    }

    /// [`FastStatistic::eval_with_pieces`] for an assignment given per unit: `member_codes[m]`
    /// is the arm code of unit m (as `member_of` of [`FastStatistic::by_member`] numbers them).
    /// Every unit with analysed rows must have an analysed arm (the caller refits otherwise).
    pub fn eval_members(
        &self,
        member_sums: &MemberSums,
        member_codes: &[usize],
    ) -> (Vec<f64>, Vec<(f64, f64)>) {
        let mut estimates = Vec::new();
        let mut pieces = Vec::with_capacity(self.outcomes.len());
        for (o, m) in self.outcomes.iter().zip(&member_sums.outcomes) {
            let square = o.q * o.q;
            let slots = self.arms + usize::from(o.with_control);
            let offset = usize::from(o.with_control);
            let mut sums = vec![0.0; o.n_cells * slots * square];
            let code = |member: usize| member_codes.get(member).copied().unwrap_or(usize::MAX);
            for (b, &(member, cell)) in m.blocks.iter().enumerate() {
                let c = code(member);
                // Codes 1..=arms, and the control arm 0 when its sums are kept.
                if c > self.arms || (c == 0 && offset == 0) {
                    continue;
                }
                let slot = cell * slots + c + offset - 1;
                for (t, v) in sums[slot * square..(slot + 1) * square]
                    .iter_mut()
                    .zip(&m.sums[b * square..(b + 1) * square])
                {
                    *t += v;
                }
            }
            let (mut treated, mut both) = (0, 0);
            for &(member, n, observed) in &m.counts {
                if code(member) == 1 {
                    treated += n;
                    both += observed;
                }
            }
            let (e, p) = o.finish(&sums, self.arms, treated, both);
            estimates.extend(e);
            pieces.push(p);
        }
        (estimates, pieces)
    }
}

/// The sums of v v' per randomization unit (see [`FastStatistic::by_member`]).
pub struct MemberSums {
    outcomes: Vec<OutcomeMemberSums>,
}

/// One outcome's unit sums: blocks of (unit, cell) with their q × q upper-triangle sums, and
/// per unit its analysed rows and those treated under the observed assignment.
struct OutcomeMemberSums {
    blocks: Vec<(usize, usize)>,
    sums: Vec<f64>,
    counts: Vec<(usize, usize, usize)>,
}

impl OutcomeMoments {
    fn eval(&self, codes: &[usize], arms: usize) -> (Vec<f64>, (f64, f64)) {
        let q = self.q;
        let square = q * q;
        // Σ v v' per cell and arm. With two arms, sum over the smaller of (treated, the rest)
        // and take the other from the totals.
        // Slots per cell: arms 1..=arms, or 0..=arms with the control arm.
        let slots = arms + usize::from(self.with_control);
        let offset = usize::from(self.with_control);
        let mut sums = vec![0.0; self.n_cells * slots * square];
        // The rows to sum, gathered without a branch per row (which arm a row is in is a coin
        // flip for the branch predictor).
        let mut selected = vec![0u32; self.rows.len()];
        let mut count = 0;
        // Rows in arm 1, and of those the rows in arm 1 under the observed assignment.
        let (mut treated, mut both) = (0usize, 0usize);
        // With two arms, the rows of the arm that was the smaller one under the observed
        // assignment are summed (the draws keep its size, or nearly), the other by subtraction;
        // one pass selects the rows and counts what the interval pieces need.
        let complement = arms == 1 && !self.with_control && self.complement;
        if arms == 1 && !self.with_control {
            for ((r, &i), &observed) in self.rows.iter().enumerate().zip(&self.observed_treated) {
                let t = codes[i] == 1;
                treated += usize::from(t);
                both += usize::from(t && observed);
                selected[count] = r as u32;
                count += usize::from(t != complement);
            }
            accumulate(&self.v, q, &mut sums, &selected[..count], |r| {
                self.cell[r] as usize
            });
            if complement {
                for (c, total) in self.totals.iter().enumerate() {
                    for (s, t) in sums[c * square..(c + 1) * square].iter_mut().zip(total) {
                        *s = t - *s;
                    }
                }
            }
        } else {
            let first = 1 - offset;
            for ((r, &i), &observed) in self.rows.iter().enumerate().zip(&self.observed_treated) {
                let t = codes[i] == 1;
                treated += usize::from(t);
                both += usize::from(t && observed);
                selected[count] = r as u32;
                count += usize::from((first..=arms).contains(&codes[i]));
            }
            accumulate(&self.v, q, &mut sums, &selected[..count], |r| {
                self.cell[r] as usize * slots + (codes[self.rows[r]] + offset - 1)
            });
        }
        self.finish(&sums, arms, treated, both)
    }

    /// The estimates and interval pieces from the sums of v v' per cell and arm slot (upper
    /// triangles, `n_cells × slots` blocks of q × q, slot = code + offset − 1), the number of
    /// rows in arm 1 and of those the rows in arm 1 under the observed assignment.
    fn finish(
        &self,
        sums: &[f64],
        arms: usize,
        treated: usize,
        both: usize,
    ) -> (Vec<f64>, (f64, f64)) {
        let q = self.q;
        let square = q * q;
        let slots = arms + usize::from(self.with_control);
        let offset = usize::from(self.with_control);
        let moments: Vec<DMatrix<f64>> =
            sums.chunks_exact(square).map(|p| symmetric(p, q)).collect();
        let moments = Moments {
            all: &moments,
            slots,
            offset,
        };
        let estimates = self
            .parts
            .iter()
            .flat_map(|model| match model {
                Model::Regression(p) => p.eval(&moments, arms),
                Model::Blocked(blocks) => (1..=arms)
                    .map(|a| self.blocked_difference(blocks, &moments, a))
                    .collect(),
            })
            .collect();
        (estimates, self.interval_pieces(&moments, treated, both))
    }

    /// DiM(z_r, y) and DiM(z_r, z) (see [`FastStatistic::eval_with_pieces`]); the sums of y
    /// over arm 1 and over everyone are recovered from the cell-centred sums.
    fn interval_pieces(&self, moments: &Moments<'_>, treated: usize, both: usize) -> (f64, f64) {
        let n = self.rows.len();
        if treated == 0 || treated == n {
            return (f64::NAN, f64::NAN);
        }
        let last = self.q - 1;
        let (mut sum_treated, mut sum_all) = (0.0, 0.0);
        for c in 0..self.n_cells {
            let m = moments.get(c, 1);
            sum_treated += m[(0, last)] + m[(0, 0)] * self.y_means[c];
            let t = &self.totals[c];
            sum_all += t[last] + t[0] * self.y_means[c];
        }
        let observed_treated = self.observed_treated_count;
        let (n1, n0) = (treated as f64, (n - treated) as f64);
        (
            sum_treated / n1 - (sum_all - sum_treated) / n0,
            both as f64 / n1 - (observed_treated - both) as f64 / n0,
        )
    }

    /// The blocked difference in means of arm `a` against the control arm, as
    /// `dim::difference_in_means` with blocks: Σ_b (n_b / N)(ȳ_{b,a} − ȳ_{b,0}); NaN when a
    /// block lacks one of the two arms. Sums of y are recovered from the cell-centred ones.
    fn blocked_difference(&self, blocks: &[Vec<usize>], moments: &Moments<'_>, a: usize) -> f64 {
        let last = self.q - 1;
        let arm_sums = |cells: &[usize], code: usize| {
            cells.iter().fold((0.0, 0.0), |(n, s), &c| {
                let m = moments.get(c, code);
                let count = m[(0, 0)];
                (n + count, s + m[(0, last)] + count * self.y_means[c])
            })
        };
        let mut parts = Vec::with_capacity(blocks.len());
        for cells in blocks {
            let (n1, s1) = arm_sums(cells, a);
            let (n0, s0) = arm_sums(cells, 0);
            if n1 + n0 == 0.0 {
                continue;
            }
            if n1 == 0.0 || n0 == 0.0 {
                return f64::NAN;
            }
            parts.push((s1 / n1 - s0 / n0, n1 + n0));
        }
        let total: f64 = parts.iter().map(|p| p.1).sum();
        parts.iter().map(|(e, w)| e * w / total).sum()
    }
}

impl Part {
    fn eval(&self, moments: &Moments<'_>, arms: usize) -> Vec<f64> {
        let (k, m) = (self.k, self.m);
        let t = k + m + 1;
        let size = arms * m;
        let mut wt = DMatrix::<f64>::zeros(k, size);
        let mut tt = DMatrix::<f64>::zeros(size, size);
        let mut ty = DVector::<f64>::zeros(size);
        for a in 0..arms {
            // H = Σ over the cells of M_c S_{c,a} M_c': the cross-moments of (w, z, ỹ) over
            // arm a's rows of this model.
            let mut h = DMatrix::<f64>::zeros(t, t);
            for (cell, map) in &self.cells {
                h += map * moments.get(*cell, a + 1) * map.transpose();
            }
            for j in 0..m {
                let col = j * arms + a;
                for i in 0..k {
                    wt[(i, col)] = h[(i, k + j)];
                }
                for l in 0..m {
                    tt[(col, l * arms + a)] = h[(k + j, k + l)];
                }
                ty[col] = h[(k + j, t - 1)];
            }
        }
        let b = self.r_inv.transpose() * wt;
        let ttt = tt - b.transpose() * &b;
        let tau = ttt
            .lu()
            .solve(&ty)
            .unwrap_or_else(|| DVector::from_element(size, f64::NAN));
        self.wanted.iter().map(|&j| tau[j]).collect()
    }
}

/// Σ v v' (upper triangle) of the rows `r` of `pairs` into `sums[slot]` for each (r, slot).
fn accumulate_pairs_fixed<const Q: usize>(v: &[f64], sums: &mut [f64], pairs: &[(u32, u32)]) {
    for &(r, s) in pairs {
        let (r, s) = (r as usize, s as usize);
        let row: &[f64; Q] = v[r * Q..(r + 1) * Q].try_into().expect("rows of Q");
        let acc: &mut [f64] = &mut sums[s * Q * Q..(s + 1) * Q * Q];
        for (a, target) in acc.chunks_exact_mut(Q).enumerate() {
            let target: &mut [f64; Q] = target.try_into().expect("rows of Q");
            let va = row[a];
            for b in a..Q {
                target[b] += va * row[b];
            }
        }
    }
}

/// [`accumulate_pairs_fixed`] for any q.
fn accumulate_pairs(v: &[f64], q: usize, sums: &mut [f64], pairs: &[(u32, u32)]) {
    match q {
        2 => accumulate_pairs_fixed::<2>(v, sums, pairs),
        3 => accumulate_pairs_fixed::<3>(v, sums, pairs),
        4 => accumulate_pairs_fixed::<4>(v, sums, pairs),
        5 => accumulate_pairs_fixed::<5>(v, sums, pairs),
        6 => accumulate_pairs_fixed::<6>(v, sums, pairs),
        7 => accumulate_pairs_fixed::<7>(v, sums, pairs),
        8 => accumulate_pairs_fixed::<8>(v, sums, pairs),
        9 => accumulate_pairs_fixed::<9>(v, sums, pairs),
        10 => accumulate_pairs_fixed::<10>(v, sums, pairs),
        11 => accumulate_pairs_fixed::<11>(v, sums, pairs),
        12 => accumulate_pairs_fixed::<12>(v, sums, pairs),
        _ => {
            for &(r, s) in pairs {
                let (r, s) = (r as usize, s as usize);
                add_outer(
                    &mut sums[s * q * q..(s + 1) * q * q],
                    &v[r * q..(r + 1) * q],
                );
            }
        }
    }
}

/// The fast statistic for draws of algorithm v2 (`estimate::subsets`): a draw names only the
/// rows it moves out of their stratum's majority label, so every sum is the sum with every row
/// at its majority label (computed once) corrected by the moved rows. A moved row with label l
/// in a stratum whose majority is m adds its v v' to arm l's sums and takes it from arm m's;
/// both corrections are accumulated once, into a slot per (cell, l, m), and combined per arm.
/// The estimates are then those of [`FastStatistic::eval`] for the same assignment (the sums
/// taken in another order, so equal to rounding).
pub struct SubsetStatistic<'a> {
    fast: &'a FastStatistic,
    outcomes: Vec<SubsetMoments>,
    /// Labels 0..=arms.
    labels: usize,
}

struct SubsetMoments {
    /// Per plan position: v of its row (q values; zeros when the row is not analysed for this
    /// outcome), so that a stratum's rows are read from one stretch of memory.
    v: Vec<f64>,
    /// Per plan position: the cell of its row times the number of labels (u32::MAX: not
    /// analysed).
    cell: Vec<u32>,
    /// Per plan position: its stratum's majority label.
    majority: Vec<u8>,
    /// Per plan position: whether its row is in arm 1 as observed.
    observed: Vec<bool>,
    /// Per cell and label: Σ v v' over the cell's rows whose majority is that label.
    base: Vec<f64>,
    /// Rows whose majority label is 1, and of those the rows treated (arm 1) as observed.
    base_treated: usize,
    base_both: usize,
}

/// Every estimate, and per outcome the two pieces of its randomization interval.
pub type WithPieces = (Vec<f64>, Vec<(f64, f64)>);

/// Per-thread buffers of [`SubsetStatistic::eval_with_pieces`].
#[derive(Default)]
pub struct SubsetScratch {
    pairs: Vec<(u32, u32)>,
    corrections: Vec<f64>,
    sums: Vec<f64>,
}

impl FastStatistic {
    /// The statistic for draws of `plan`, or None when a label of the plan is not an analysed
    /// arm (then the caller forms each draw's codes and uses [`FastStatistic::eval`]).
    pub fn for_subsets(&self, plan: &super::subsets::SubsetPlan) -> Option<SubsetStatistic<'_>> {
        let labels = self.arms + 1;
        if labels > usize::from(u8::MAX) {
            return None;
        }
        let n = plan.len();
        let mut outcomes = Vec::with_capacity(self.outcomes.len());
        for o in &self.outcomes {
            let (q, square) = (o.q, o.q * o.q);
            let mut position = vec![u32::MAX; n];
            for (r, &i) in o.rows.iter().enumerate() {
                if i >= n {
                    return None;
                }
                position[i] = r as u32;
            }
            let mut m = SubsetMoments {
                v: vec![0.0; n * q],
                cell: vec![u32::MAX; n],
                majority: vec![0; n],
                observed: vec![false; n],
                base: vec![0.0; o.n_cells * labels * square],
                base_treated: 0,
                base_both: 0,
            };
            for (k, &row) in plan.rows_in_order().iter().enumerate() {
                let r = position[row as usize];
                if r == u32::MAX {
                    continue;
                }
                let r = r as usize;
                let major = plan.majority_of(row as usize);
                if major >= labels {
                    return None;
                }
                let v = &o.v[r * q..(r + 1) * q];
                m.v[k * q..(k + 1) * q].copy_from_slice(v);
                m.cell[k] = o.cell[r] * labels as u32;
                m.majority[k] = major as u8;
                m.observed[k] = o.observed_treated[r];
                let slot = o.cell[r] as usize * labels + major;
                add_outer(&mut m.base[slot * square..(slot + 1) * square], v);
                m.base_treated += usize::from(major == 1);
                m.base_both += usize::from(major == 1 && o.observed_treated[r]);
            }
            outcomes.push(m);
        }
        Some(SubsetStatistic {
            fast: self,
            outcomes,
            labels,
        })
    }
}

impl SubsetStatistic<'_> {
    /// The estimates and interval pieces of [`FastStatistic::eval_with_pieces`] for a draw of
    /// the plan, or None when the draw gives a row a label outside the analysed arms.
    pub fn eval_with_pieces(
        &self,
        draw: &super::subsets::SubsetDraw,
        scratch: &mut SubsetScratch,
    ) -> Option<WithPieces> {
        let labels = self.labels;
        let arms = self.fast.arms;
        let mut estimates = Vec::new();
        let mut pieces = Vec::with_capacity(self.outcomes.len());
        for (o, s) in self.fast.outcomes.iter().zip(&self.outcomes) {
            let q = o.q;
            let square = q * q;
            let (mut treated, mut both) = (s.base_treated, s.base_both);
            scratch.pairs.clear();
            for (&k, &label) in draw.positions.iter().zip(&draw.labels) {
                let k = k as usize;
                let cell = s.cell[k];
                if cell == u32::MAX {
                    continue;
                }
                if label >= labels {
                    return None;
                }
                let m = usize::from(s.majority[k]);
                let observed = s.observed[k];
                treated = treated + usize::from(label == 1) - usize::from(m == 1);
                both = both + usize::from(label == 1 && observed) - usize::from(m == 1 && observed);
                let slot = (cell as usize + label) * labels + m;
                scratch.pairs.push((k as u32, slot as u32));
            }
            scratch.corrections.clear();
            scratch
                .corrections
                .resize(o.n_cells * labels * labels * square, 0.0);
            accumulate_pairs(&s.v, q, &mut scratch.corrections, &scratch.pairs);
            // Per cell and kept arm: the base sums, plus the rows moved into the arm, minus the
            // rows moved out of it.
            let slots = arms + usize::from(o.with_control);
            let offset = usize::from(o.with_control);
            scratch.sums.clear();
            scratch.sums.resize(o.n_cells * slots * square, 0.0);
            for c in 0..o.n_cells {
                for code in (1 - offset)..=arms {
                    let target = (c * slots + code + offset - 1) * square;
                    let out = &mut scratch.sums[target..target + square];
                    let b = (c * labels + code) * square;
                    out.copy_from_slice(&s.base[b..b + square]);
                    for other in 0..labels {
                        if other == code {
                            continue;
                        }
                        let into = ((c * labels + code) * labels + other) * square;
                        let from = ((c * labels + other) * labels + code) * square;
                        for (t, (add, sub)) in out.iter_mut().zip(
                            scratch.corrections[into..into + square]
                                .iter()
                                .zip(&scratch.corrections[from..from + square]),
                        ) {
                            *t += add - sub;
                        }
                    }
                }
            }
            let (e, p) = o.finish(&scratch.sums, arms, treated, both);
            estimates.extend(e);
            pieces.push(p);
        }
        Some((estimates, pieces))
    }
}

/// The fast statistic for `data` and `options`, or None where it does not apply (blocked or
/// weighted estimators, a participation column, a model its linear maps do not reproduce).
pub fn fast_statistic(
    data: &AnalysisData,
    options: &EstimateOptions,
) -> Result<Option<FastStatistic>> {
    if data.weights.is_some() || data.participation.is_some() {
        return Ok(None);
    }
    // The same data and rows as `estimate_all` (missing covariates filled or left out).
    let (data, _) = super::missing::prepare(data, options.missing_covariates);
    let data: &AnalysisData = &data;
    // The difference in means within strata: blocked differences for the subgroups, and an
    // interaction model with strata fixed effects (as `estimate_all`).
    let blocked = options.estimator == Estimator::Dim && data.strata.is_some();
    let codes = &data.treatment.codes;
    let arms = data.treatment.arms.len() - 1;
    let n = data.n_rows();
    let fixed_effects =
        matches!(options.estimator, Estimator::Fe | Estimator::Dim) && data.strata.is_some();
    let mut outcomes = Vec::new();
    for (_, y) in &data.outcomes {
        let complete = super::missing::analysed_rows(data, y);
        // Cells: the combination of every subgroup variable's level × stratum (when the model
        // has strata dummies), numbered in the order of their keys; every model below is a union
        // of cells and its columns are fixed within each.
        let stratum = |i: usize| match (&data.strata, fixed_effects) {
            (Some(s), true) => s.codes[i] as usize,
            _ => 0,
        };
        let n_strata = match (&data.strata, fixed_effects) {
            (Some(s), true) => s.levels.len(),
            _ => 1,
        };
        let key_of = |i: usize| -> (Vec<usize>, usize) {
            (
                data.by.iter().map(|b| b.codes[i] as usize).collect(),
                stratum(i),
            )
        };
        let mut keys: std::collections::BTreeMap<(Vec<usize>, usize), u32> = Default::default();
        for &i in &complete {
            keys.insert(key_of(i), 0);
        }
        for (c, slot) in keys.values_mut().enumerate() {
            *slot = c as u32;
        }
        let cell: Vec<u32> = complete.iter().map(|&i| keys[&key_of(i)]).collect();
        let n_cells = keys.len();
        // The cells of a subgroup level (or of everyone) within a stratum.
        let cells_of = |level: Option<(usize, usize)>, st: usize| -> Vec<usize> {
            keys.iter()
                .filter(|((levels, s), _)| *s == st && level.is_none_or(|(f, l)| levels[f] == l))
                .map(|(_, &c)| c as usize)
                .collect()
        };
        let Some((base, y_means)) = base_vectors(data, options, y, &complete, &cell, n_cells)
        else {
            return Ok(None);
        };
        let q = base.ncols();
        let mut position = vec![usize::MAX; n];
        for (r, &i) in complete.iter().enumerate() {
            position[i] = r;
        }
        // The models in `estimate_all`'s row order: everyone; then per subgroup variable each
        // level, and its interaction models (`subgroups::interaction_models`).
        enum Spec {
            Group(Vec<usize>, Option<(usize, usize)>),
            Interaction(subgroups::InteractionModel),
        }
        let mut specs = vec![Spec::Group(complete.clone(), None)];
        for (f, by) in data.by.iter().enumerate() {
            for l in 0..by.levels.len() {
                let rows: Vec<usize> = complete
                    .iter()
                    .copied()
                    .filter(|&i| by.codes[i] as usize == l)
                    .collect();
                specs.push(Spec::Group(rows, Some((f, l))));
            }
            if by.levels.len() >= 2 {
                for model in subgroups::interaction_models(by, &complete, options.all_pairs) {
                    specs.push(Spec::Interaction(model));
                }
            }
        }
        let mut parts = Vec::new();
        for spec in specs {
            let (rows, indicators, wanted, skip) = match spec {
                Spec::Group(_, level) if blocked => {
                    let blocks = (0..n_strata).map(|st| cells_of(level, st)).collect();
                    parts.push(Model::Blocked(blocks));
                    continue;
                }
                Spec::Group(rows, _) => (rows, None, Vec::new(), Vec::new()),
                Spec::Interaction(model) => {
                    let wanted = model.wanted.iter().map(|w| w.0).collect();
                    (
                        complete.clone(),
                        Some(model.indicators),
                        wanted,
                        model.own_columns,
                    )
                }
            };
            let Some(part) = fit_part(
                data,
                options,
                codes,
                y,
                &rows,
                (indicators, &skip),
                &wanted,
                arms,
                &base,
                &position,
                &cell,
                n_cells,
            )?
            else {
                return Ok(None);
            };
            parts.push(Model::Regression(part));
        }
        let complete_rows_treated: Vec<bool> = complete.iter().map(|&i| codes[i] == 1).collect();
        let mut totals = vec![vec![0.0; q * q]; n_cells];
        let mut v = Vec::with_capacity(complete.len() * q);
        for r in 0..complete.len() {
            let row: Vec<f64> = base.row(r).iter().copied().collect();
            add_outer(&mut totals[cell[r] as usize], &row);
            v.extend_from_slice(&row);
        }
        outcomes.push(OutcomeMoments {
            rows: complete,
            cell,
            v,
            q,
            n_cells,
            totals,
            y_means,
            complement: 2 * complete_rows_treated.iter().filter(|&&t| t).count()
                > complete_rows_treated.len(),
            observed_treated_count: complete_rows_treated.iter().filter(|&&t| t).count(),
            observed_treated: complete_rows_treated,
            with_control: blocked,
            parts,
        });
    }
    Ok(Some(FastStatistic { outcomes, arms }))
}

/// v = (1, expanded covariates, y) for every complete row, each column but the first centred at
/// its cell's mean (which keeps the sums of v v' well conditioned), and the cell means of y.
/// None when a value is not finite.
fn base_vectors(
    data: &AnalysisData,
    options: &EstimateOptions,
    y: &[f64],
    complete: &[usize],
    cell: &[u32],
    n_cells: usize,
) -> Option<(DMatrix<f64>, Vec<f64>)> {
    let views: Vec<(String, CovariateView<'_>)> = if options.estimator == Estimator::Dim {
        Vec::new()
    } else {
        covariate_views(data)
    };
    let covariates = expand_covariates(&views, complete);
    let n = complete.len();
    let q = 2 + covariates.columns.len();
    let mut base = DMatrix::<f64>::zeros(n, q);
    for r in 0..n {
        base[(r, 0)] = 1.0;
        for (j, column) in covariates.columns.iter().enumerate() {
            base[(r, 1 + j)] = column[r];
        }
        base[(r, q - 1)] = y[complete[r]];
    }
    let mut y_means = vec![0.0; n_cells];
    let mut count = vec![0.0; n_cells];
    for &c in cell {
        count[c as usize] += 1.0;
    }
    for j in 1..q {
        let mut mean = vec![0.0; n_cells];
        for r in 0..n {
            mean[cell[r] as usize] += base[(r, j)];
        }
        for (m, c) in mean.iter_mut().zip(&count) {
            if *c > 0.0 {
                *m /= c;
            }
        }
        if j == q - 1 {
            y_means.clone_from(&mean);
        }
        let mut spread = vec![0.0f64; n_cells];
        for r in 0..n {
            let c = cell[r] as usize;
            base[(r, j)] -= mean[c];
            spread[c] = spread[c].max(base[(r, j)].abs());
        }
        // A column constant within a cell is left with rounding noise: make it exactly zero,
        // so that it is recognised as carrying nothing there.
        for r in 0..n {
            let c = cell[r] as usize;
            if spread[c] <= 1e-12 * mean[c].abs().max(1.0) {
                base[(r, j)] = 0.0;
            }
        }
    }
    base.iter()
        .all(|v| v.is_finite())
        .then_some((base, y_means))
}

/// Fit one model once (W's QR, ỹ) and find, for each of its cells, the linear map from v to
/// (w, z, ỹ). None when a map does not reproduce the columns.
#[allow(clippy::too_many_arguments)]
fn fit_part(
    data: &AnalysisData,
    options: &EstimateOptions,
    codes: &[Code],
    y: &[f64],
    rows: &[usize],
    (indicators, skip): (Option<DesignMatrix>, &[String]),
    wanted_indicators: &[usize],
    arms: usize,
    base: &DMatrix<f64>,
    position: &[usize],
    cell: &[u32],
    n_cells: usize,
) -> Result<Option<Part>> {
    let interaction = indicators.is_some();
    let extra = indicators.unwrap_or_default();
    let design = model_design(
        data,
        options,
        codes,
        rows,
        &extra,
        &DesignMatrix::new(),
        skip,
    )
    .materialize();
    let terms = treatment_design(data, codes, rows).names;
    let is_treatment = |name: &str| {
        terms
            .iter()
            .any(|t| name == t || name.starts_with(&format!("{t}:")))
    };
    let keep: Vec<usize> = (0..design.names.len())
        .filter(|&j| !is_treatment(&design.names[j]))
        .collect();
    // Interacted with the treatment: Lin's centred covariates (subgroup indicators first); in
    // the other models, the subgroup indicators of the interaction model.
    let interact: Vec<&[f64]> = if options.estimator == Estimator::Lin {
        design
            .names
            .iter()
            .zip(&design.columns)
            .filter(|(name, _)| name.ends_with("_c") && !is_treatment(name))
            .map(|(_, c)| c.as_slice())
            .collect()
    } else {
        extra.columns.iter().map(Vec::as_slice).collect()
    };
    // T's column j·arms + a is arm a's column times z_j, z = (1, indicators, …): the wanted
    // interaction with indicator k is z-column 1 + k, for every arm in turn.
    let wanted: Vec<usize> = if interaction {
        wanted_indicators
            .iter()
            .flat_map(|&k| (0..arms).map(move |a| (1 + k) * arms + a))
            .collect()
    } else {
        (0..arms).collect()
    };
    let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let columns: Vec<&[f64]> = keep.iter().map(|&j| design.columns[j].as_slice()).collect();
    let fit = linalg::least_squares_blocked(&Columns::new(columns, None, rows.len())?, &ys)?;
    let k = fit.kept.len();
    let r_inv = fit.r_inverse();
    let m = 1 + interact.len();
    let ones = vec![1.0; rows.len()];
    // The targets (w, z, ỹ) over the model's rows.
    let mut targets: Vec<&[f64]> = fit
        .kept
        .iter()
        .map(|&j| design.columns[keep[j]].as_slice())
        .collect();
    targets.push(&ones);
    targets.extend(interact.iter().copied());
    targets.push(&fit.residuals);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_cells];
    for (local, &i) in rows.iter().enumerate() {
        members[cell[position[i]] as usize].push(local);
    }
    let mut cells = Vec::new();
    for (c, locals) in members.iter().enumerate() {
        if locals.is_empty() {
            continue;
        }
        match cell_map(base, position, rows, locals, &targets) {
            Some(map) => cells.push((c, map)),
            None => return Ok(None),
        }
    }
    Ok(Some(Part {
        k,
        m,
        r_inv,
        cells,
        wanted,
    }))
}

/// The map (targets × q) with target_j(row) = map_j · v(row) on the cell's rows `locals`
/// (positions in the model's `rows`), by least squares on v; None unless it reproduces every
/// target to [`MAP_TOLERANCE`] of the target's scale.
fn cell_map(
    base: &DMatrix<f64>,
    position: &[usize],
    rows: &[usize],
    locals: &[usize],
    targets: &[&[f64]],
) -> Option<DMatrix<f64>> {
    let q = base.ncols();
    let nc = locals.len();
    let v = DMatrix::from_fn(nc, q, |r, j| base[(position[rows[locals[r]]], j)]);
    let y = DMatrix::from_fn(nc, targets.len(), |r, j| targets[j][locals[r]]);
    // Which columns of v are independent on this cell (a constant is already the intercept).
    let basis = linalg::least_squares(&v, &vec![0.0; nc]).ok()?;
    let vk = v.select_columns(&basis.kept);
    let qr = vk.clone().qr();
    let mut qty = y.clone();
    qr.q_tr_mul(&mut qty);
    let kk = basis.kept.len();
    let coef = qr
        .r()
        .solve_upper_triangular(&qty.rows(0, kk).into_owned())?;
    let residual = &y - &vk * &coef;
    for j in 0..targets.len() {
        let scale = y.column(j).amax().max(1.0);
        if residual.column(j).amax() > MAP_TOLERANCE * scale {
            return None;
        }
    }
    let mut map = DMatrix::zeros(targets.len(), q);
    for (slot, &col) in basis.kept.iter().enumerate() {
        for j in 0..targets.len() {
            map[(j, col)] = coef[(slot, j)];
        }
    }
    Some(map)
}
