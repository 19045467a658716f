//! Randomization-inference draw algorithm **v2**: complete randomization within strata drawn as
//! one random subset per stratum, with few random words, for statistics computed from per-cell
//! sums.
//!
//! Permuting the observed arm labels within each stratum (algorithm v1, a full Fisher–Yates
//! shuffle of every stratum, `estimate::inference::permutation_draws`) draws a uniformly random
//! partition of each stratum's units into arms of the observed sizes. Every statistic lotta
//! recomputes (differences in means, least-squares coefficients, log-rank and RMST) depends on a
//! draw only through which units are in which arm, so the same distribution can be drawn with
//! far less work: in each stratum only the units *not* in its largest arm need to be chosen.
//!
//! **The algorithm** (pinned by golden vectors in the tests; never edit it, add a v3):
//! - Strata in ascending order of their code; within a stratum its units in ascending row order
//!   (the order of the data). The stratum's *majority* label is the label with the most units
//!   (ties: the smallest label); the other labels, in ascending order, with their counts
//!   c₁, c₂, …, and m = c₁ + c₂ + … units to move.
//! - Draw r uses one stream, `ri/v2/draw=<r>` of the seed ([`draw_stream_name`]), for all
//!   strata in order. In a stratum of n units held in a list u[0..n], a partial Fisher–Yates
//!   shuffle: for i = 0, 1, …, m − 1, j = i + `below_u32(n − i)` (Lemire's method on 32-bit
//!   ChaCha20 words, `rng::Stream::below_u32`) and swap u[i] with u[j]. The first c₁ of
//!   u[0..m] get the first other label, the next c₂ the second, and so on; every other unit of
//!   the stratum keeps the majority label.
//! - So a draw costs about m 32-bit words (v1: n 64-bit words), e.g. 33,000 words instead of
//!   100,000 double words for 100,000 units at 2:1, and it names only the units moved, from
//!   which per-cell sums are updated (`estimate::fast`, `survival::ri`).
//!
//! The partial shuffle makes u[0..m] a uniformly random ordered sample of m distinct units
//! (Knuth, TAOCP vol. 2, §3.4.2, Algorithm P stopped after m steps; Durstenfeld 1964), so the
//! labels it hands out form a uniformly random partition with the observed counts: the same
//! distribution as v1, from other random numbers. A p-value from v1 is reproduced by asking for
//! v1 (`--ri-algorithm v1`); both are documented in docs/randomization-inference.md.

use crate::error::{Error, Result};
use crate::rng::Stream;

/// The draw algorithms of randomization inference without a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiAlgorithm {
    /// A full Fisher–Yates shuffle of the labels of every stratum (`rng::Stream::shuffle`,
    /// 64-bit words), streams `ri/draw=<r>`: the algorithm of every release before v2 existed,
    /// and what an output that names no algorithm used.
    V1,
    /// One random subset per stratum (this module), streams `ri/v2/draw=<r>`: the default.
    #[default]
    V2,
    /// Counts per type of exchangeable rows and label (`estimate::types`), streams
    /// `ri/v3/draw=<r>`, where the statistic is computed from per-cell sums and the rows form few
    /// types; elsewhere v2 draws, and the output says so.
    V3,
}

impl RiAlgorithm {
    /// The word written in outputs and accepted by `--ri-algorithm`.
    pub fn word(self) -> &'static str {
        match self {
            RiAlgorithm::V1 => "v1",
            RiAlgorithm::V2 => "v2",
            RiAlgorithm::V3 => "v3",
        }
    }
}

/// The stream name of draw `r` under algorithm v2.
pub fn draw_stream_name(r: usize) -> String {
    format!("ri/v2/draw={r}")
}

/// One stratum: its units, its majority label and the other labels with their counts.
#[derive(Debug, Clone)]
struct Group {
    /// Offset of the stratum's units in [`SubsetPlan::units`].
    start: usize,
    len: usize,
    majority: usize,
    /// The other labels (ascending) and how many units get each.
    others: Vec<(usize, u32)>,
    /// Σ of the counts in `others`.
    moved: u32,
}

/// Complete randomization within strata with the observed counts, built once and drawn many
/// times by algorithm v2.
#[derive(Debug, Clone)]
pub struct SubsetPlan {
    n: usize,
    /// The units of every stratum, stratum after stratum (ascending row order within).
    units: Vec<u32>,
    groups: Vec<Group>,
    /// Per row: its stratum's majority label (what a row not named by a draw has).
    base: Vec<usize>,
    /// Per row: the index of its stratum in the plan.
    stratum_of: Vec<u32>,
}

/// The units one draw moves out of their stratum's majority label, stratum after stratum, as
/// positions in the plan (its units stratum after stratum, [`SubsetPlan::row_of`] gives the
/// row): statistics that lay their per-row data out in the plan's order then read each
/// stratum's data from one short stretch of memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubsetDraw {
    /// The plan positions moved.
    pub positions: Vec<u32>,
    /// The label each of them gets.
    pub labels: Vec<usize>,
}

/// Per-thread buffers of [`SubsetPlan::draw_into`]: the working list of plan positions
/// (restored after every draw, so a draw never depends on the draws made before it on the same
/// thread).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    positions: Vec<u32>,
    swaps: Vec<u32>,
}

impl SubsetPlan {
    /// The plan of `labels` (one per row; any usize, e.g. an arm code or a code outside the
    /// comparison) permuted within `strata` (one code per row).
    pub fn new(labels: &[usize], strata: &[usize]) -> Result<SubsetPlan> {
        if labels.len() != strata.len() {
            return Err(Error::compute(format!(
                "{} treatment labels but {} strata codes",
                labels.len(),
                strata.len()
            )));
        }
        let n = labels.len();
        if u32::try_from(n).is_err() {
            return Err(Error::compute(format!(
                "randomization inference by algorithm v2 handles at most {} rows; the data have {n} (use --ri-algorithm v1)",
                u32::MAX
            )));
        }
        let mut members: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
        for (i, &s) in strata.iter().enumerate() {
            members.entry(s).or_default().push(i as u32);
        }
        let mut units = Vec::with_capacity(n);
        let mut groups = Vec::with_capacity(members.len());
        let mut base = vec![0usize; n];
        let mut stratum_of = vec![0u32; n];
        for (g, rows) in members.into_values().enumerate() {
            let mut counts: std::collections::BTreeMap<usize, u32> = Default::default();
            for &i in &rows {
                *counts.entry(labels[i as usize]).or_default() += 1;
            }
            // The largest count; ties go to the smallest label (the first met in ascending order).
            let (&majority, _) = counts
                .iter()
                .fold(None::<(&usize, &u32)>, |best, (l, c)| match best {
                    Some((_, bc)) if bc >= c => best,
                    _ => Some((l, c)),
                })
                .unwrap_or((&0, &0));
            let others: Vec<(usize, u32)> = counts
                .iter()
                .filter(|(l, _)| **l != majority)
                .map(|(&l, &c)| (l, c))
                .collect();
            let moved = others.iter().map(|(_, c)| c).sum();
            for &i in &rows {
                base[i as usize] = majority;
                stratum_of[i as usize] = g as u32;
            }
            groups.push(Group {
                start: units.len(),
                len: rows.len(),
                majority,
                others,
                moved,
            });
            units.extend_from_slice(&rows);
        }
        Ok(SubsetPlan {
            n,
            units,
            groups,
            base,
            stratum_of,
        })
    }

    /// Rows in the plan.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Per row: the label it has when a draw does not move it (its stratum's majority label).
    pub fn base(&self) -> &[usize] {
        &self.base
    }

    /// The majority label of the stratum of `row`.
    pub fn majority_of(&self, row: usize) -> usize {
        self.groups[self.stratum_of[row] as usize].majority
    }

    /// The row at plan position `position` (positions run stratum after stratum, rows in
    /// ascending order within a stratum).
    pub fn row_of(&self, position: usize) -> usize {
        self.units[position] as usize
    }

    /// The rows in plan order.
    pub fn rows_in_order(&self) -> &[u32] {
        &self.units
    }

    /// The index (0, 1, …, in ascending order of the strata codes) of the stratum of `row`.
    pub fn stratum_of(&self, row: usize) -> usize {
        self.stratum_of[row] as usize
    }

    /// The plan positions of each stratum, in the plan's order of strata.
    pub fn stratum_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.groups.iter().map(|g| g.start..g.start + g.len)
    }

    /// Draw `r` of algorithm **v1** into `labels`, which holds on entry the observed label of
    /// every plan position (any small code, e.g. a slot index) and on return the permuted ones:
    /// one stream `ri/draw=<r>` (`estimate::ri::draw_stream_name`) for all strata in ascending
    /// order of their codes, each stratum's labels (its rows in ascending order) shuffled by
    /// `rng::Stream::shuffle`. These are exactly the draws of
    /// `estimate::inference::permutation_draws` (same streams, same strata and row order, the
    /// same swaps), written in place so that a draw allocates nothing.
    pub fn shuffle_v1_into<T>(&self, seed: u64, r: usize, labels: &mut [T]) {
        let mut stream = Stream::new(seed, &super::ri::draw_stream_name(r));
        for g in &self.groups {
            if let Some(part) = labels.get_mut(g.start..g.start + g.len) {
                stream.shuffle(part);
            }
        }
    }

    /// Units moved by every draw (the same for all draws).
    pub fn moved(&self) -> usize {
        self.groups.iter().map(|g| g.moved as usize).sum()
    }

    /// Draw `r` of `seed` (see the module notes).
    pub fn draw(&self, seed: u64, r: usize) -> SubsetDraw {
        let mut out = SubsetDraw::default();
        self.draw_into(seed, r, &mut Scratch::default(), &mut out);
        out
    }

    /// [`SubsetPlan::draw`] into reused buffers.
    pub fn draw_into(&self, seed: u64, r: usize, scratch: &mut Scratch, out: &mut SubsetDraw) {
        if scratch.positions.len() != self.units.len() {
            scratch.positions.clear();
            scratch.positions.extend(0..self.units.len() as u32);
        }
        out.positions.clear();
        out.labels.clear();
        let mut stream = Stream::new(seed, &draw_stream_name(r));
        for g in &self.groups {
            if g.moved == 0 {
                continue;
            }
            let u = &mut scratch.positions[g.start..g.start + g.len];
            let n = g.len as u32;
            scratch.swaps.clear();
            for i in 0..g.moved {
                let j = i + stream.below_u32(n - i);
                u.swap(i as usize, j as usize);
                scratch.swaps.push(j);
            }
            let mut next = 0usize;
            for &(label, count) in &g.others {
                let chosen = &u[next..next + count as usize];
                out.positions.extend_from_slice(chosen);
                out.labels
                    .extend(std::iter::repeat_n(label, count as usize));
                next += count as usize;
            }
            // Undo the swaps in reverse order: the working copy is the plan's order again.
            for (i, &j) in scratch.swaps.iter().enumerate().rev() {
                u.swap(i, j as usize);
            }
        }
    }

    /// The label of every row under a draw (the base labels with the moved rows changed).
    pub fn codes(&self, draw: &SubsetDraw) -> Vec<usize> {
        let mut codes = self.base.clone();
        for (&position, &label) in draw.positions.iter().zip(&draw.labels) {
            codes[self.units[position as usize] as usize] = label;
        }
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<usize>, Vec<usize>) {
        // 3 strata; labels 0/1/2 with a 2:1 or 1:1:1 mix.
        let strata: Vec<usize> = (0..30).map(|i| [5, 2, 9][i % 3]).collect();
        let labels: Vec<usize> = (0..30)
            .map(|i| match i % 3 {
                0 => usize::from(i % 2 == 0),
                1 => [0, 1, 1][(i / 3) % 3],
                _ => [0, 1, 2][(i / 3) % 3],
            })
            .collect();
        (labels, strata)
    }

    #[test]
    fn a_draw_keeps_the_counts_of_every_label_in_every_stratum() {
        let (labels, strata) = toy();
        let plan = SubsetPlan::new(&labels, &strata).unwrap();
        for r in 0..50 {
            let codes = plan.codes(&plan.draw(7, r));
            for s in [5, 2, 9] {
                for l in 0..3 {
                    let count =
                        |v: &[usize]| (0..30).filter(|&i| strata[i] == s && v[i] == l).count();
                    assert_eq!(count(&codes), count(&labels), "draw {r} stratum {s}");
                }
            }
        }
    }

    #[test]
    fn draws_are_reproducible_and_independent_of_earlier_draws() {
        let (labels, strata) = toy();
        let plan = SubsetPlan::new(&labels, &strata).unwrap();
        let mut scratch = Scratch::default();
        let mut out = SubsetDraw::default();
        for r in 0..20 {
            plan.draw_into(3, r, &mut scratch, &mut out);
        }
        plan.draw_into(3, 4, &mut scratch, &mut out);
        assert_eq!(out, plan.draw(3, 4));
        assert_ne!(plan.draw(3, 4), plan.draw(3, 5));
    }

    /// Every subset is equally likely: 2 of 5 units moved, C(5,2) = 10 subsets, 20,000 draws.
    #[test]
    fn subsets_are_uniform() {
        let labels = [0, 0, 0, 1, 1];
        let plan = SubsetPlan::new(&labels, &[0; 5]).unwrap();
        let mut counts = std::collections::BTreeMap::<Vec<usize>, u32>::new();
        for r in 0..20_000 {
            let mut rows: Vec<usize> = plan
                .draw(11, r)
                .positions
                .iter()
                .map(|&p| plan.row_of(p as usize))
                .collect();
            rows.sort_unstable();
            *counts.entry(rows).or_default() += 1;
        }
        assert_eq!(counts.len(), 10);
        for c in counts.values() {
            assert!((1_800..2_200).contains(c), "{counts:?}");
        }
    }

    /// Golden vector: the rows moved by draws 0 and 1 of seed 20190901 on the toy design. These
    /// values must never change (see the module notes).
    #[test]
    fn golden_draws() {
        let (labels, strata) = toy();
        let plan = SubsetPlan::new(&labels, &strata).unwrap();
        let rows = |d: &SubsetDraw| -> Vec<usize> {
            d.positions
                .iter()
                .map(|&p| plan.row_of(p as usize))
                .collect()
        };
        let d0 = plan.draw(20190901, 0);
        let d1 = plan.draw(20190901, 1);
        assert_eq!(
            (rows(&d0), d0.labels),
            (GOLDEN_ROWS_0.to_vec(), GOLDEN_LABELS_0.to_vec())
        );
        assert_eq!(rows(&d1), GOLDEN_ROWS_1.to_vec());
    }

    const GOLDEN_ROWS_0: [usize; 15] = [19, 4, 10, 16, 3, 15, 6, 21, 18, 26, 23, 11, 20, 2, 17];
    const GOLDEN_LABELS_0: [usize; 15] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2];
    const GOLDEN_ROWS_1: [usize; 15] = [28, 25, 16, 19, 27, 9, 12, 18, 15, 14, 11, 29, 20, 2, 17];
}
