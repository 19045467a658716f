//! The per-draw kernel of survival randomization inference (issue 13's speed target), by
//! sufficient statistics: the log-rank χ² and the RMST difference of a re-drawn assignment
//! depend on it only through, per run of equal times (within a stratum for the log-rank, overall
//! for the RMST), the number of persons of each arm leaving and having the event there.
//!
//! So the persons are grouped once into **cells**: persons in the same stratum of the plan, in
//! the same subgroups and in the same run of every subgroup they belong to (so with the same
//! time), split by event. A draw only scatters each person's arm into a small per-cell count
//! table (one increment per person, or, by algorithm v2, per moved person), and the counts of
//! every run of every subgroup are the sums of their cells' counts — women and men partition
//! "all", so "all" costs no third pass over the persons. The counts are integers, so they are
//! exactly those `ri::Layout` counts person by person, and the statistics are computed from them
//! by the same functions (`SubgroupLayout::statistics`): every statistic is the same to the last
//! bit (`the_cell_kernel_gives_the_statistics_of_the_person_kernel` in `ri`).

use super::ri::{Counts, Layout};
use crate::estimate::subsets::{Scratch as DrawScratch, SubsetDraw, SubsetPlan};
use std::collections::HashMap;

/// The cells of a study's persons and, per subgroup, the run of each of its cells.
pub(super) struct Cells {
    /// Per person (an index into a draw's arm codes): `(cell · slots + 0) · 2 + event`, the
    /// index of its count when its arm is slot 0; slot s adds 2s.
    index_of_person: Vec<u32>,
    /// Number of cells.
    cells: usize,
    /// Count slots per cell: one per arm code compared (0 … the largest), then, when a draw can
    /// give one, one for everything else (arms outside every comparison, persons without an
    /// arm).
    slots: usize,
    /// Per subgroup: (cell, log-rank run, RMST run) of each of its cells, in cell order.
    members: Vec<Vec<(u32, u32, u32)>>,
    /// Per cell and event: the number of persons (whatever their arm).
    total: Vec<u32>,
    /// Per cell: the slot of its stratum's majority label in the plan (algorithm v2).
    majority: Vec<u32>,
}

/// Per-thread buffers reused from draw to draw.
#[derive(Default)]
pub(super) struct Scratch {
    /// Per cell, slot and event: persons.
    counts: Vec<u32>,
    logrank: Vec<Counts>,
    rmst: Vec<Counts>,
    /// Algorithm v1: the slot of every plan position, shuffled in place.
    labels: Vec<u16>,
    draw: DrawScratch,
    drawn: SubsetDraw,
}

impl Cells {
    /// The cells of `layout`'s persons (`persons` of them). `stratum_of`/`majority_of` give a
    /// person's stratum in the plan and its majority label there (for algorithm v2; a constant
    /// otherwise); `arms` is the number of arm codes compared (the control's 0 and every
    /// compared arm are below it) and `outside` whether a draw can give a person a code not
    /// below it (then those persons get a slot of their own, which no statistic reads).
    pub(super) fn new(
        layout: &Layout,
        persons: usize,
        (arms, outside): (usize, bool),
        stratum_of: &dyn Fn(usize) -> usize,
        majority_of: &dyn Fn(usize) -> usize,
    ) -> Cells {
        let slots = arms + usize::from(outside);
        let groups = layout.subgroups.len();
        // Per person: its runs in every subgroup (u32::MAX: not a member) and its event.
        let mut runs = vec![(u32::MAX, u32::MAX); persons * groups];
        let mut event = vec![0u32; persons];
        for (g, sub) in layout.subgroups.iter().enumerate() {
            for (k, &p) in sub.person.iter().enumerate() {
                runs[p as usize * groups + g] = (sub.logrank_run[k], sub.rmst_run[k]);
                event[p as usize] = u32::from(sub.event[k]);
            }
        }
        // The key of a person's cell: its stratum, then its log-rank run in every subgroup
        // (which fixes its time, hence its RMST runs). Cells are numbered in key order, so the
        // cells of one stratum are together and a draw's increments stay in a small region.
        let key = |p: usize| -> Vec<u32> {
            let mut k = Vec::with_capacity(groups + 1);
            k.push(stratum_of(p) as u32);
            k.extend(runs[p * groups..(p + 1) * groups].iter().map(|r| r.0));
            k
        };
        let mut keys: Vec<Vec<u32>> = {
            let mut seen: HashMap<Vec<u32>, ()> = HashMap::new();
            for p in 0..persons {
                seen.entry(key(p)).or_default();
            }
            seen.into_keys().collect()
        };
        keys.sort_unstable();
        let number: HashMap<&[u32], u32> = keys
            .iter()
            .enumerate()
            .map(|(c, k)| (k.as_slice(), c as u32))
            .collect();
        let cells = keys.len();
        let mut cell_of = vec![0u32; persons];
        let mut total = vec![0u32; cells * 2];
        let mut majority = vec![0u32; cells];
        let mut members: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); groups];
        let mut first = vec![true; cells];
        for p in 0..persons {
            let c = number[key(p).as_slice()];
            cell_of[p] = c;
            total[c as usize * 2 + event[p] as usize] += 1;
            majority[c as usize] = majority_of(p).min(slots - 1) as u32;
            if std::mem::take(&mut first[c as usize]) {
                for (g, &(lr, rm)) in runs[p * groups..(p + 1) * groups].iter().enumerate() {
                    if lr != u32::MAX {
                        members[g].push((c, lr, rm));
                    }
                }
            }
        }
        for m in &mut members {
            m.sort_unstable();
        }
        let index_of_person = (0..persons)
            .map(|p| cell_of[p] * (slots as u32) * 2 + event[p])
            .collect();
        Cells {
            index_of_person,
            cells,
            slots,
            members,
            total,
            majority,
        }
    }

    /// The slot of an arm code.
    fn slot(&self, code: usize) -> usize {
        code.min(self.slots - 1)
    }

    fn clear(&self, scratch: &mut Scratch) {
        scratch.counts.clear();
        scratch.counts.resize(self.cells * self.slots * 2, 0);
    }

    /// Counts of the assignment `codes` (one arm code per person).
    pub(super) fn count_codes(&self, codes: &[usize], scratch: &mut Scratch) {
        self.clear(scratch);
        for (&i, &code) in self.index_of_person.iter().zip(codes) {
            scratch.counts[i as usize + 2 * self.slot(code)] += 1;
        }
    }

    /// Counts of draw `r` of algorithm v1 (`SubsetPlan::shuffle_v1_into`): `plan_index` holds
    /// the count index of every plan position and `plan_slots` its observed slot.
    pub(super) fn count_v1(
        &self,
        plan: &SubsetPlan,
        plan_index: &[u32],
        plan_slots: &[u16],
        seed: u64,
        r: usize,
        scratch: &mut Scratch,
    ) {
        self.clear(scratch);
        scratch.labels.clear();
        scratch.labels.extend_from_slice(plan_slots);
        plan.shuffle_v1_into(seed, r, &mut scratch.labels);
        for (&i, &slot) in plan_index.iter().zip(&scratch.labels) {
            scratch.counts[i as usize + 2 * usize::from(slot)] += 1;
        }
    }

    /// Counts of draw `r` of algorithm v2 (`SubsetPlan::draw_into`): only the moved persons
    /// are counted; every other person of a cell has its stratum's majority label, so the
    /// majority's count is the cell's total less the moved.
    pub(super) fn count_v2(
        &self,
        plan: &SubsetPlan,
        plan_index: &[u32],
        seed: u64,
        r: usize,
        scratch: &mut Scratch,
    ) {
        self.clear(scratch);
        plan.draw_into(seed, r, &mut scratch.draw, &mut scratch.drawn);
        for (&position, &label) in scratch.drawn.positions.iter().zip(&scratch.drawn.labels) {
            if let Some(&i) = plan_index.get(position as usize) {
                scratch.counts[i as usize + 2 * self.slot(label)] += 1;
            }
        }
        let width = self.slots * 2;
        for (c, cell) in scratch.counts.chunks_exact_mut(width).enumerate() {
            let m = self.majority[c] as usize;
            for e in 0..2 {
                let moved: u32 = (0..self.slots).map(|s| cell[s * 2 + e]).sum();
                cell[m * 2 + e] = self.total[c * 2 + e] - moved;
            }
        }
    }

    /// The statistics of the counted assignment: per comparison (arm code, τ), per subgroup,
    /// the log-rank χ² then the RMST difference (the order of `RiData::statistics`).
    pub(super) fn statistics(
        &self,
        layout: &Layout,
        comparisons: &[(usize, f64)],
        scratch: &mut Scratch,
    ) -> Vec<f64> {
        let mut out = Vec::with_capacity(comparisons.len() * layout.subgroups.len() * 2);
        let width = self.slots * 2;
        for &(arm, tau) in comparisons {
            let treated = self.slot(arm) * 2;
            for (g, members) in layout.subgroups.iter().zip(&self.members) {
                scratch.logrank.clear();
                scratch.logrank.resize(g.logrank_runs, [0; 6]);
                scratch.rmst.clear();
                scratch.rmst.resize(g.rmst_times.len(), [0; 6]);
                for &(c, lr, rm) in members {
                    let at = c as usize * width;
                    let cell = &scratch.counts[at..at + width];
                    let (c0, e0) = (cell[0] + cell[1], cell[1]);
                    let (c1, e1) = (cell[treated] + cell[treated + 1], cell[treated + 1]);
                    for run in [
                        &mut scratch.logrank[lr as usize],
                        &mut scratch.rmst[rm as usize],
                    ] {
                        run[0] += c0;
                        run[1] += c1;
                        run[3] += e0;
                        run[4] += e1;
                    }
                }
                out.extend(g.statistics(&scratch.logrank, &scratch.rmst, tau));
            }
        }
        out
    }

    /// The count index of every plan position.
    pub(super) fn plan_index(&self, plan: &SubsetPlan) -> Vec<u32> {
        plan.rows_in_order()
            .iter()
            .map(|&row| self.index_of_person[row as usize])
            .collect()
    }

    /// The slot of every plan position's label in `codes`.
    pub(super) fn plan_slots(&self, plan: &SubsetPlan, codes: &[usize]) -> Vec<u16> {
        plan.rows_in_order()
            .iter()
            .map(|&row| self.slot(codes.get(row as usize).copied().unwrap_or(usize::MAX)) as u16)
            .collect()
    }
}
