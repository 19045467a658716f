//! Randomization-inference draw algorithm **v3**: type counts. Complete randomization within
//! strata drawn as, per stratum, how many units of each *type* get each label: a multivariate
//! hypergeometric table, not a list of units.
//!
//! Rows of one stratum that are identical in everything a statistic depends on (for every
//! outcome: whether the row is analysed, its cell, its vector v = (1, covariates, y) of
//! `estimate::fast`; and its observed label) are exchangeable: swapping the labels of two of them
//! changes no statistic lotta computes from per-cell sums. So the statistic of a permutation of
//! the labels within strata depends on it only through the counts n_{t,l} (units of type t with
//! label l), and under complete randomization with the observed counts (a uniformly random
//! assignment of the stratum's labels to its units, as v1 and v2 draw) those counts follow the
//! multivariate hypergeometric distribution with the types' sizes and the labels' counts as
//! margins. A draw of v3 draws that table directly; the per-cell sums are then
//! Σ_t n_{t,l} · v_t v_t' (`fast::types`), so a draw costs O(types), not O(rows).
//!
//! **The algorithm** (pinned by golden vectors in the tests; never edit it, add a v4):
//! - Strata in ascending order of their code. Within a stratum, types in order of their first
//!   row (rows in ascending order). The stratum's *majority* label is the label with the most
//!   units (ties: the smallest label), as in v2; the other labels, in ascending order, are drawn
//!   one after the other, and the majority takes what is left.
//! - Draw r uses one stream, `ri/v3/draw=<r>` of the seed ([`draw_stream_name`]), for all strata
//!   in order. For each drawn label l with c_l units: with R_t the units of type t not yet
//!   labelled and P = Σ_t R_t, for every type but the stratum's last, in order,
//!   x = `hypergeometric(P, R_t, c)` (`rng::Stream::hypergeometric`: exact inversion from the
//!   mode, one 64-bit word unless only one value is possible) units of type t get label l; then
//!   c ← c − x, P ← P − R_t, R_t ← R_t − x. The last type gets the remaining c. After every
//!   drawn label, each type's remaining units get the majority label.
//! - Sequential conditional draws give the multivariate hypergeometric table exactly: the number
//!   of type-t units among a uniformly random c-subset of the pool is hypergeometric, and given
//!   it the rest of the subset is a uniformly random subset of the other types (Johnson, Kotz &
//!   Balakrishnan 1997, *Discrete Multivariate Distributions*, ch. 39, §1; the "conditional
//!   distribution method", Devroye 1986, §XI.1). Labels in turn: given the first label's units,
//!   the next label's are a uniformly random subset of the rest.
//!
//! So the statistic of a v3 draw has the distribution of v1's and v2's, from other random
//! numbers (a p-value differs by Monte Carlo error only). A draw costs (labels − 1)·(types − 1)
//! hypergeometric draws per stratum: on a blocked difference in means of a binary outcome at
//! most 3 per stratum (types y × observed arm), against v2's one 32-bit word per moved row.
//! Where types are nearly as many as rows (a continuous covariate or outcome), nothing is gained
//! and v2 draws instead (`estimate::inference`, which says so in the note).

use crate::error::{Error, Result};
use crate::rng::{LnFactorials, Stream};

/// The stream name of draw `r` under algorithm v3.
pub fn draw_stream_name(r: usize) -> String {
    format!("ri/v3/draw={r}")
}

/// The largest share of rows the types may reach for v3 to be used: beyond a quarter of the rows
/// a draw is about as costly as v2's (which moves about a third of the rows at 2:1).
pub const MAX_TYPES_PER_ROW: f64 = 0.25;

/// Labels (codes 0..) v3 handles; far more than any trial's arms.
const MAX_LABELS: usize = 64;

/// One stratum: its types, the labels drawn in turn with their counts, and the majority label.
#[derive(Debug, Clone)]
struct StratumTypes {
    types: std::ops::Range<usize>,
    drawn: Vec<(usize, u64)>,
    majority: usize,
}

/// Complete randomization within strata with the observed counts, drawn by algorithm v3 as
/// counts per type and label. Built once, drawn many times.
#[derive(Debug, Clone)]
pub struct TypePlan {
    n: usize,
    /// Label codes are 0..labels.
    labels: usize,
    /// Per type: its size, its observed label and its first row.
    size: Vec<u64>,
    observed: Vec<usize>,
    first_row: Vec<usize>,
    /// The rows of every type, type after type (ascending within), from `row_start[t]`.
    rows: Vec<u32>,
    row_start: Vec<usize>,
    strata: Vec<StratumTypes>,
    ln_factorial: LnFactorials,
}

/// One draw: `counts[t · labels + l]` units of type t get label l.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeDraw {
    pub counts: Vec<u64>,
}

impl TypePlan {
    /// The plan of `labels` (one per row) permuted within `strata` (one code per row), with
    /// `kinds[i]` a class of row i such that rows of one stratum with the same kind and the same
    /// label are exchangeable for the statistics to be computed.
    pub fn new(labels: &[usize], strata: &[usize], kinds: &[u32]) -> Result<TypePlan> {
        let n = labels.len();
        if strata.len() != n || kinds.len() != n {
            return Err(Error::compute(format!(
                "{n} treatment labels but {} strata codes and {} row kinds",
                strata.len(),
                kinds.len()
            )));
        }
        if u32::try_from(n).is_err() {
            return Err(Error::compute(format!(
                "randomization inference by algorithm v3 handles at most {} rows; the data have {n}",
                u32::MAX
            )));
        }
        let label_count = labels.iter().max().map_or(1, |m| m + 1);
        if label_count > MAX_LABELS {
            return Err(Error::compute(format!(
                "randomization inference by algorithm v3 handles at most {MAX_LABELS} arms"
            )));
        }
        let mut members: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
        for (i, &s) in strata.iter().enumerate() {
            members.entry(s).or_default().push(i as u32);
        }
        let mut plan = TypePlan {
            n,
            labels: label_count,
            size: Vec::new(),
            observed: Vec::new(),
            first_row: Vec::new(),
            rows: Vec::with_capacity(n),
            row_start: Vec::new(),
            strata: Vec::with_capacity(members.len()),
            ln_factorial: LnFactorials::new(members.values().map(Vec::len).max().unwrap_or(0)),
        };
        let mut largest = 0;
        for rows in members.into_values() {
            largest = largest.max(rows.len());
            // Types in order of their first row.
            let mut index: std::collections::HashMap<(u32, usize), usize> = Default::default();
            let mut of_type: Vec<Vec<u32>> = Vec::new();
            let mut counts = vec![0u64; label_count];
            for &i in &rows {
                let key = (kinds[i as usize], labels[i as usize]);
                let t = *index.entry(key).or_insert_with(|| {
                    of_type.push(Vec::new());
                    of_type.len() - 1
                });
                of_type[t].push(i);
                counts[labels[i as usize]] += 1;
            }
            // The largest count; ties go to the smallest label (as v2).
            let majority =
                (0..label_count).fold(0, |best, l| if counts[l] > counts[best] { l } else { best });
            let drawn = (0..label_count)
                .filter(|&l| l != majority && counts[l] > 0)
                .map(|l| (l, counts[l]))
                .collect();
            let first = plan.size.len();
            for members in of_type {
                let i = members[0] as usize;
                plan.size.push(members.len() as u64);
                plan.observed.push(labels[i]);
                plan.first_row.push(i);
                plan.row_start.push(plan.rows.len());
                plan.rows.extend_from_slice(&members);
            }
            plan.strata.push(StratumTypes {
                types: first..plan.size.len(),
                drawn,
                majority,
            });
        }
        plan.row_start.push(plan.rows.len());
        debug_assert!(largest <= n);
        Ok(plan)
    }

    /// Rows in the plan.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The number of types (over all strata).
    pub fn type_count(&self) -> usize {
        self.size.len()
    }

    /// Label codes are 0..label_count().
    pub fn label_count(&self) -> usize {
        self.labels
    }

    /// The first row of type `t` (any row of it stands for all).
    pub fn first_row(&self, t: usize) -> usize {
        self.first_row[t]
    }

    /// The observed label of type `t`.
    pub fn observed_label(&self, t: usize) -> usize {
        self.observed[t]
    }

    /// The rows of type `t`, ascending.
    pub fn rows_of(&self, t: usize) -> &[u32] {
        &self.rows[self.row_start[t]..self.row_start[t + 1]]
    }

    /// Draw `r` of `seed` (see the module notes).
    pub fn draw(&self, seed: u64, r: usize) -> TypeDraw {
        let mut out = TypeDraw::default();
        self.draw_into(seed, r, &mut Vec::new(), &mut out);
        out
    }

    /// [`TypePlan::draw`] into reused buffers (`remaining`: per type, its units not yet
    /// labelled; overwritten, so a draw never depends on the draws made before it).
    pub fn draw_into(&self, seed: u64, r: usize, remaining: &mut Vec<u64>, out: &mut TypeDraw) {
        let labels = self.labels;
        out.counts.clear();
        out.counts.resize(self.size.len() * labels, 0);
        remaining.clear();
        remaining.extend_from_slice(&self.size);
        let mut stream = Stream::new(seed, &draw_stream_name(r));
        for s in &self.strata {
            let types = s.types.clone();
            let Some(last) = types.end.checked_sub(1) else {
                continue;
            };
            for &(label, count) in &s.drawn {
                let mut need = count;
                let mut pool: u64 = remaining[types.clone()].iter().sum();
                for (t, left) in remaining
                    .iter_mut()
                    .enumerate()
                    .take(last)
                    .skip(types.start)
                {
                    if need == 0 {
                        break;
                    }
                    let here = *left;
                    let x = stream.hypergeometric(&self.ln_factorial, pool, here, need);
                    out.counts[t * labels + label] = x;
                    need -= x;
                    pool -= here;
                    *left = here - x;
                }
                // The last type takes the rest (its remaining units are exactly `pool` ≥ need).
                if need > 0 {
                    out.counts[last * labels + label] = need;
                    remaining[last] -= need.min(remaining[last]);
                }
            }
            for t in types {
                out.counts[t * labels + s.majority] = remaining[t];
            }
        }
    }

    /// The label of every row under a draw: within each type, its first rows (ascending) get
    /// label 0 as often as the draw says, the next label 1, and so on. Any such choice is an
    /// assignment with the draw's counts; every statistic v3 serves is the same for all of them.
    pub fn codes(&self, draw: &TypeDraw) -> Vec<usize> {
        let mut codes = vec![0usize; self.n];
        for t in 0..self.size.len() {
            let mut rows = self.rows_of(t).iter();
            for l in 0..self.labels {
                let count = draw.counts.get(t * self.labels + l).copied().unwrap_or(0);
                for &i in rows.by_ref().take(count as usize) {
                    codes[i as usize] = l;
                }
            }
        }
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 strata of 30 rows each, two kinds (y = 0/1), labels 0/1 at 2:1 or 0/1/2.
    fn toy() -> (Vec<usize>, Vec<usize>, Vec<u32>) {
        let n = 90;
        let strata: Vec<usize> = (0..n).map(|i| [5, 2, 9][i % 3]).collect();
        let labels: Vec<usize> = (0..n)
            .map(|i| match i % 3 {
                0 => usize::from(i % 2 == 0),
                1 => [0, 1, 1][(i / 3) % 3],
                _ => [0, 1, 2][(i / 3) % 3],
            })
            .collect();
        let kinds: Vec<u32> = (0..n).map(|i| u32::from((i * 7) % 5 < 2)).collect();
        (labels, strata, kinds)
    }

    #[test]
    fn a_draw_keeps_every_margin() {
        let (labels, strata, kinds) = toy();
        let plan = TypePlan::new(&labels, &strata, &kinds).unwrap();
        for r in 0..200 {
            let draw = plan.draw(3, r);
            let codes = plan.codes(&draw);
            for s in [5, 2, 9] {
                for l in 0..3 {
                    let count =
                        |v: &[usize]| (0..90).filter(|&i| strata[i] == s && v[i] == l).count();
                    assert_eq!(count(&codes), count(&labels), "draw {r} stratum {s}");
                }
            }
            for t in 0..plan.type_count() {
                let total: u64 = (0..3).map(|l| draw.counts[t * 3 + l]).sum();
                assert_eq!(total as usize, plan.rows_of(t).len());
            }
        }
    }

    #[test]
    fn draws_are_reproducible_and_independent_of_earlier_draws() {
        let (labels, strata, kinds) = toy();
        let plan = TypePlan::new(&labels, &strata, &kinds).unwrap();
        let mut remaining = Vec::new();
        let mut out = TypeDraw::default();
        for r in 0..20 {
            plan.draw_into(3, r, &mut remaining, &mut out);
        }
        plan.draw_into(3, 4, &mut remaining, &mut out);
        assert_eq!(out, plan.draw(3, 4));
        assert_ne!(plan.draw(3, 4), plan.draw(3, 5));
    }

    /// The joint distribution of the counts: one stratum of 4 rows of kind A and 6 of kind B,
    /// 3 treated. The number of treated A rows is hypergeometric(10, 4, 3):
    /// P(k) = C(4,k)C(6,3−k)/C(10,3) = 20/120, 60/120, 36/120, 4/120 for k = 0..3.
    #[test]
    fn counts_follow_the_multivariate_hypergeometric_distribution() {
        let labels = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0];
        let kinds = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
        let plan = TypePlan::new(&labels, &[0; 10], &kinds).unwrap();
        let draws = 60_000;
        let mut seen = [0u32; 4];
        for r in 0..draws {
            let d = plan.draw(17, r);
            // Types in order of first row: (A, 1), (A, 0), (B, 0), (B, 1).
            let a = d.counts[1] + d.counts[2 + 1];
            seen[a as usize] += 1;
        }
        let expected = [20.0, 60.0, 36.0, 4.0].map(|c| c / 120.0 * draws as f64);
        let chi2: f64 = seen
            .iter()
            .zip(expected)
            .map(|(&o, e)| (f64::from(o) - e).powi(2) / e)
            .sum();
        // 3 degrees of freedom: P(χ² > 16.27) = 0.001.
        assert!(chi2 < 16.27, "{seen:?} vs {expected:?}: χ² = {chi2}");
    }

    /// Golden vector: the counts of draws 0 and 1 of seed 20190901 on the toy design. These
    /// values must never change (see the module notes).
    #[test]
    fn golden_draws() {
        let (labels, strata, kinds) = toy();
        let plan = TypePlan::new(&labels, &strata, &kinds).unwrap();
        assert_eq!(plan.type_count(), GOLDEN_TYPES);
        assert_eq!(plan.draw(20190901, 0).counts, GOLDEN_COUNTS_0.to_vec());
        assert_eq!(plan.draw(20190901, 1).counts, GOLDEN_COUNTS_1.to_vec());
    }

    const GOLDEN_TYPES: usize = 14;
    const GOLDEN_COUNTS_0: [u64; 42] = [
        2, 4, 0, 4, 8, 0, 2, 2, 0, 2, 6, 0, 2, 4, 0, 5, 1, 0, 3, 6, 0, 5, 4, 0, 3, 0, 3, 0, 1, 3,
        0, 3, 1, 3, 2, 1, 4, 0, 2, 0, 4, 0,
    ];
    const GOLDEN_COUNTS_1: [u64; 42] = [
        2, 4, 0, 4, 8, 0, 0, 4, 0, 4, 4, 0, 3, 3, 0, 2, 4, 0, 5, 4, 0, 5, 4, 0, 1, 3, 2, 1, 1, 2,
        2, 1, 1, 3, 1, 2, 3, 2, 1, 0, 2, 2,
    ];
}
