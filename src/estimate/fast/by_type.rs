//! The fast statistic for draws of algorithm v3 (`estimate::types`): the per-cell sums of v v'
//! from counts per type and label instead of rows. Every row of a type has the same v (for every
//! outcome), the same cell and the same observed arm, so the sum over a label's rows of a cell is
//! Σ_t n_{t,l} · v_t v_t' over the cell's types: O(types · q²) a draw, whatever the number of
//! rows. The estimates are then those of [`FastStatistic::eval`] for any assignment with the
//! draw's counts (the sums taken in another order, so equal to rounding; checked to 1e-12 in
//! `tests/estimate.rs`).

use super::{FastStatistic, WithPieces, add_outer};
use crate::estimate::types::{TypeDraw, TypePlan};

/// Per-type sums for draws of a [`TypePlan`].
pub struct TypeStatistic<'a> {
    fast: &'a FastStatistic,
    /// Label codes 0..labels of the plan.
    labels: usize,
    types: usize,
    outcomes: Vec<TypeMoments>,
}

/// One outcome's per-type pieces.
struct TypeMoments {
    /// Per type: its cell for this outcome (u32::MAX: its rows are not analysed).
    cell: Vec<u32>,
    /// Per type: the upper triangle of v v' (q × q, row-major) of one of its rows.
    products: Vec<f64>,
    /// Per type: whether its rows are in arm 1 as observed.
    observed: Vec<bool>,
}

impl FastStatistic {
    /// A kind for each of the `n` data rows: rows with equal kinds are identical for every
    /// statistic this fast statistic computes (for every outcome: analysed or not, the cell, the
    /// bits of v). Kinds are numbered in order of first appearance. None when a row index of the
    /// statistic is outside `0..n`.
    pub fn row_kinds(&self, n: usize) -> Option<Vec<u32>> {
        let width: usize = self.outcomes.iter().map(|o| 1 + o.q).sum();
        let mut keys = vec![0u64; n * width];
        let mut offset = 0;
        for o in &self.outcomes {
            // Not analysed: cell u64::MAX and v all zero bits.
            for i in 0..n {
                keys[i * width + offset] = u64::MAX;
            }
            for (r, &i) in o.rows.iter().enumerate() {
                if i >= n {
                    return None;
                }
                let key = &mut keys[i * width + offset..i * width + offset + 1 + o.q];
                key[0] = u64::from(o.cell[r]);
                for (k, v) in key[1..].iter_mut().zip(&o.v[r * o.q..(r + 1) * o.q]) {
                    *k = v.to_bits();
                }
            }
            offset += 1 + o.q;
        }
        let mut index: std::collections::HashMap<&[u64], u32> = Default::default();
        let kinds = (0..n)
            .map(|i| {
                let next = index.len() as u32;
                *index
                    .entry(&keys[i * width..(i + 1) * width])
                    .or_insert(next)
            })
            .collect();
        Some(kinds)
    }

    /// The statistic for draws of `plan`, whose kinds must come from [`FastStatistic::row_kinds`]
    /// (so every row of a type has the same pieces); None when a row of the plan is outside the
    /// data of this statistic.
    pub fn for_types(&self, plan: &TypePlan) -> Option<TypeStatistic<'_>> {
        let n = plan.len();
        let types = plan.type_count();
        let mut outcomes = Vec::with_capacity(self.outcomes.len());
        for o in &self.outcomes {
            let (q, square) = (o.q, o.q * o.q);
            let mut position = vec![u32::MAX; n];
            for (r, &i) in o.rows.iter().enumerate() {
                *position.get_mut(i)? = r as u32;
            }
            let mut m = TypeMoments {
                cell: vec![u32::MAX; types],
                products: vec![0.0; types * square],
                observed: vec![false; types],
            };
            for t in 0..types {
                let r = position[plan.first_row(t)];
                if r == u32::MAX {
                    continue;
                }
                let r = r as usize;
                m.cell[t] = o.cell[r];
                m.observed[t] = o.observed_treated[r];
                add_outer(
                    &mut m.products[t * square..(t + 1) * square],
                    &o.v[r * q..(r + 1) * q],
                );
            }
            outcomes.push(m);
        }
        Some(TypeStatistic {
            fast: self,
            labels: plan.label_count(),
            types,
            outcomes,
        })
    }
}

impl TypeStatistic<'_> {
    /// The estimates and interval pieces of [`FastStatistic::eval_with_pieces`] for an
    /// assignment with the counts of `draw` (`sums`: a reused buffer), or None when the draw
    /// gives analysed rows a label outside the analysed arms (then the caller forms the draw's
    /// codes, `TypePlan::codes`, and refits).
    pub fn eval_with_pieces(&self, draw: &TypeDraw, sums: &mut Vec<f64>) -> Option<WithPieces> {
        let labels = self.labels;
        let arms = self.fast.arms;
        let mut estimates = Vec::new();
        let mut pieces = Vec::with_capacity(self.outcomes.len());
        for (o, m) in self.fast.outcomes.iter().zip(&self.outcomes) {
            let square = o.q * o.q;
            let slots = arms + usize::from(o.with_control);
            let offset = usize::from(o.with_control);
            sums.clear();
            sums.resize(o.n_cells * slots * square, 0.0);
            let (mut treated, mut both) = (0usize, 0usize);
            for t in 0..self.types {
                let cell = m.cell[t];
                if cell == u32::MAX {
                    continue;
                }
                let counts = draw.counts.get(t * labels..(t + 1) * labels)?;
                let product = &m.products[t * square..(t + 1) * square];
                for (label, &count) in counts.iter().enumerate() {
                    if count == 0 {
                        continue;
                    }
                    if label > arms {
                        return None;
                    }
                    if label == 1 {
                        treated += count as usize;
                        if m.observed[t] {
                            both += count as usize;
                        }
                    }
                    if label + offset == 0 {
                        continue;
                    }
                    let slot = cell as usize * slots + label + offset - 1;
                    let weight = count as f64;
                    for (s, p) in sums[slot * square..(slot + 1) * square]
                        .iter_mut()
                        .zip(product)
                    {
                        *s += weight * p;
                    }
                }
            }
            let (e, p) = o.finish(sums, arms, treated, both);
            estimates.extend(e);
            pieces.push(p);
        }
        Some((estimates, pieces))
    }
}
