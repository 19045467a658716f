//! The statistics randomization inference recomputes for every re-drawn assignment: the
//! (stratified) log-rank χ² and the RMST difference at a fixed τ, for every comparison (an arm
//! against control) and every subgroup. The assignment is re-drawn by the caller (the study's
//! own design from its ledger, `estimate::inference::LedgerReplay`, or permutation within
//! strata); draw r uses the stream `ri/draw=<r>`, draws run in parallel and are collected in
//! draw order, and p-values are counted by `estimate::ri::count`, so results do not depend on
//! the number of threads. A person drawn into an arm outside the comparison is not in it.

use super::EVENT;
use super::ri_cells::{Cells, Scratch as CellScratch};
use crate::estimate::subsets::SubsetPlan;
use rayon::prelude::*;

/// The persons of one subgroup as positions in time order (increasing), overall and within
/// each stratum.
#[derive(Debug, Clone)]
pub struct Members {
    pub all: Vec<usize>,
    pub by_stratum: Vec<Vec<usize>>,
}

/// Everything the statistics need that does not change between draws, in time order: the
/// statistics then read memory in order, and each draw gathers its arm codes once.
#[derive(Debug, Clone)]
pub struct RiData<'a> {
    /// Times and event codes sorted by time.
    pub time: &'a [f64],
    pub status: &'a [u8],
    /// The person at each sorted position (an index into the arm codes of a draw).
    pub order: &'a [usize],
    /// Per subgroup (`all` first).
    pub members: Vec<Members>,
    /// Per comparison: the arm code compared with code 0 and its τ.
    pub comparisons: Vec<(usize, f64)>,
}

impl RiData<'_> {
    /// The statistics for arm codes `codes` (one per person): per comparison, per subgroup,
    /// the log-rank χ² then the RMST difference.
    pub fn statistics(&self, codes: &[usize]) -> Vec<f64> {
        Layout::new(self).statistics(self, codes, &mut Scratch::default())
    }

    /// The statistics of `draws` re-drawn assignments (`draw(r)`: an arm code per person,
    /// e.g. the study's design replayed from its ledger), in draw order.
    pub fn simulate(
        &self,
        draws: usize,
        draw: &(dyn Fn(usize) -> Vec<usize> + Sync),
    ) -> Vec<Vec<f64>> {
        let layout = Layout::new(self);
        let cells = Cells::new(
            &layout,
            self.order.len(),
            (self.arms(), true),
            &|_| 0,
            &|_| 0,
        );
        self.run_draws(draws, &|r, scratch| {
            cells.count_codes(&draw(r), scratch);
            cells.statistics(&layout, &self.comparisons, scratch)
        })
    }

    /// The statistics of `draws` assignments drawn by algorithm v1 (a full shuffle of every
    /// stratum's labels, `SubsetPlan::shuffle_v1_into`, the draws of
    /// `estimate::inference::permutation_draws`) from `plan`, built on `codes` (the persons'
    /// arm codes) and their strata, in draw order.
    pub fn simulate_permutations(
        &self,
        draws: usize,
        plan: &SubsetPlan,
        codes: &[usize],
        seed: u64,
    ) -> Vec<Vec<f64>> {
        let layout = Layout::new(self);
        let cells = Cells::new(&layout, self.order.len(), self.slots(codes), &|_| 0, &|_| 0);
        let plan_index = cells.plan_index(plan);
        let plan_slots = cells.plan_slots(plan, codes);
        self.run_draws(draws, &|r, scratch| {
            cells.count_v1(plan, &plan_index, &plan_slots, seed, r, scratch);
            cells.statistics(&layout, &self.comparisons, scratch)
        })
    }

    /// The statistics of `draws` assignments drawn by algorithm v2 (`estimate::subsets`) from
    /// `plan` (built on `codes`, the persons' arm codes, and their strata), in draw order: a
    /// draw counts only the persons it moves out of their stratum's majority arm (`ri_cells`).
    pub fn simulate_subsets(
        &self,
        draws: usize,
        plan: &SubsetPlan,
        codes: &[usize],
        seed: u64,
    ) -> Vec<Vec<f64>> {
        let layout = Layout::new(self);
        let cells = Cells::new(
            &layout,
            self.order.len().max(plan.len()),
            self.slots(codes),
            &|p| {
                if p < plan.len() {
                    plan.stratum_of(p)
                } else {
                    usize::MAX
                }
            },
            &|p| {
                if p < plan.len() {
                    plan.majority_of(p)
                } else {
                    usize::MAX
                }
            },
        );
        let plan_index = cells.plan_index(plan);
        self.run_draws(draws, &|r, scratch| {
            cells.count_v2(plan, &plan_index, seed, r, scratch);
            cells.statistics(&layout, &self.comparisons, scratch)
        })
    }

    /// The number of arm codes compared: control (0) and every compared arm are below it.
    fn arms(&self) -> usize {
        self.comparisons.iter().map(|c| c.0 + 1).max().unwrap_or(1)
    }

    /// The arm codes compared and whether `codes` (permuted by a draw) hold any other.
    fn slots(&self, codes: &[usize]) -> (usize, bool) {
        let arms = self.arms();
        (arms, codes.iter().any(|&c| c >= arms))
    }

    /// `draws` draws of `one` in parallel, collected in draw order (so the thread count never
    /// changes a result), with per-thread buffers.
    fn run_draws(
        &self,
        draws: usize,
        one: &(dyn Fn(usize, &mut CellScratch) -> Vec<f64> + Sync),
    ) -> Vec<Vec<f64>> {
        (0..draws)
            .into_par_iter()
            .with_min_len(16)
            .map_init(CellScratch::default, |scratch, r| one(r, scratch))
            .collect()
    }
}

/// What a draw changes is only who is in which arm; everything else is laid out once, in time
/// order. Per subgroup, every member once in time order with its run of equal times within its
/// stratum (the log-rank's risk sets) and its run of equal times overall (the RMST's steps).
/// A draw then makes one pass over the members counting, per run, those leaving and those with
/// the event in each arm (integers), and one pass over the runs doing the arithmetic of
/// `logrank::test` and `rmst::rmst` in the same order on the same exact counts, so every
/// statistic is the same to the last bit as when computed from the sorted data of the draw
/// (`the_statistics_agree_with_the_estimators`). No sort and no allocation per draw beyond
/// the result (buffers are reused per thread).
pub(super) struct Layout {
    pub(super) subgroups: Vec<SubgroupLayout>,
}

pub(super) struct SubgroupLayout {
    /// Per member in time order: the person, its log-rank run, its RMST run, an event?
    pub(super) person: Vec<u32>,
    pub(super) logrank_run: Vec<u32>,
    pub(super) rmst_run: Vec<u32>,
    pub(super) event: Vec<bool>,
    /// The log-rank runs of each stratum: a range of run indices, in time order.
    pub(super) strata: Vec<std::ops::Range<usize>>,
    pub(super) logrank_runs: usize,
    /// The time of each RMST run.
    pub(super) rmst_times: Vec<f64>,
}

/// Per run: persons leaving in [control, treated, outside the comparison], then events in the
/// same three (the third of each only absorbs persons outside, so that counting needs no
/// branch on a person's arm, which a random assignment makes unpredictable).
pub(super) type Counts = [u32; 6];

/// Per-thread buffers reused from draw to draw.
#[derive(Default)]
struct Scratch {
    /// Per person: 0 control, 1 the compared arm, 2 outside the comparison.
    side: Vec<u8>,
    logrank: Vec<Counts>,
    rmst: Vec<Counts>,
}

impl Layout {
    fn new(data: &RiData<'_>) -> Layout {
        let subgroups = data
            .members
            .iter()
            .map(|m| {
                // Log-rank runs: equal times within a stratum.
                let mut run_of = vec![0u32; data.time.len()];
                let mut strata = Vec::with_capacity(m.by_stratum.len());
                let mut runs = 0usize;
                for rows in &m.by_stratum {
                    let first = runs;
                    let mut last_time = None;
                    for &j in rows {
                        if last_time != Some(data.time[j]) {
                            runs += 1;
                            last_time = Some(data.time[j]);
                        }
                        run_of[j] = (runs - 1) as u32;
                    }
                    strata.push(first..runs);
                }
                // RMST runs: equal times among all members.
                let mut rmst_times: Vec<f64> = Vec::new();
                let mut rmst_run = Vec::with_capacity(m.all.len());
                for &j in &m.all {
                    if rmst_times.last() != Some(&data.time[j]) {
                        rmst_times.push(data.time[j]);
                    }
                    rmst_run.push((rmst_times.len() - 1) as u32);
                }
                SubgroupLayout {
                    person: m.all.iter().map(|&j| data.order[j] as u32).collect(),
                    logrank_run: m.all.iter().map(|&j| run_of[j]).collect(),
                    rmst_run,
                    event: m.all.iter().map(|&j| data.status[j] == EVENT).collect(),
                    strata,
                    logrank_runs: runs,
                    rmst_times,
                }
            })
            .collect();
        Layout { subgroups }
    }

    fn statistics(&self, data: &RiData<'_>, codes: &[usize], scratch: &mut Scratch) -> Vec<f64> {
        let mut out = Vec::with_capacity(data.comparisons.len() * self.subgroups.len() * 2);
        for &(arm, tau) in &data.comparisons {
            let side_of = |code: usize| -> u8 {
                if code == 0 {
                    0
                } else if code == arm {
                    1
                } else {
                    2
                }
            };
            scratch.side.clear();
            scratch
                .side
                .extend((0..data.order.len()).map(|i| codes.get(i).map_or(2, |&c| side_of(c))));
            for g in &self.subgroups {
                scratch.logrank.clear();
                scratch.logrank.resize(g.logrank_runs, [0; 6]);
                scratch.rmst.clear();
                scratch.rmst.resize(g.rmst_times.len(), [0; 6]);
                let members = g
                    .person
                    .iter()
                    .zip(&g.logrank_run)
                    .zip(&g.rmst_run)
                    .zip(&g.event);
                for (((&person, &lr), &rm), &event) in members {
                    let side = usize::from(scratch.side[person as usize]);
                    let event = u32::from(event);
                    let lr = &mut scratch.logrank[lr as usize];
                    lr[side] += 1;
                    lr[3 + side] += event;
                    let rm = &mut scratch.rmst[rm as usize];
                    rm[side] += 1;
                    rm[3 + side] += event;
                }
                out.extend(g.statistics(&scratch.logrank, &scratch.rmst, tau));
            }
        }
        out
    }
}

impl SubgroupLayout {
    /// The log-rank χ² and the RMST difference from the counts of every run.
    pub(super) fn statistics(&self, logrank: &[Counts], rmst: &[Counts], tau: f64) -> [f64; 2] {
        let (mut oe, mut v) = (0.0, 0.0);
        for range in &self.strata {
            let (a, b) = logrank_sums(&logrank[range.clone()]);
            oe += a;
            v += b;
        }
        [
            if v > 0.0 { oe * oe / v } else { f64::NAN },
            rmst_difference(&self.rmst_times, rmst, tau),
        ]
    }
}

/// O − E of group 1 and V over the runs of equal times of one stratum (time order), from each
/// run's counts (Mantel 1966, as `logrank::test`).
fn logrank_sums(runs: &[Counts]) -> (f64, f64) {
    let (mut n, mut n1) = (0.0, 0.0);
    for c in runs {
        n += f64::from(c[0] + c[1]);
        n1 += f64::from(c[1]);
    }
    let (mut oe, mut v) = (0.0, 0.0);
    for c in runs {
        let d = f64::from(c[3] + c[4]);
        let d1 = f64::from(c[4]);
        if d > 0.0 {
            oe += d1 - d * n1 / n;
            if n > 1.0 {
                v += d * (n - d) * n1 * (n - n1) / (n * n * (n - 1.0));
            }
        }
        n -= f64::from(c[0] + c[1]);
        n1 -= f64::from(c[1]);
    }
    (oe, v)
}

/// RMST₁ − RMST₀ to τ from the counts of each run of equal times (time order), both arms in
/// one pass: each arm's Kaplan–Meier step holds between the times of either arm, so the areas
/// are summed over the union of their times (a run in which nobody of the comparison leaves
/// changes neither curve and is skipped).
fn rmst_difference(times: &[f64], runs: &[Counts], tau: f64) -> f64 {
    let mut n = [0.0f64; 2];
    for c in runs {
        n[0] += f64::from(c[0]);
        n[1] += f64::from(c[1]);
    }
    if n[0] == 0.0 || n[1] == 0.0 {
        return f64::NAN;
    }
    let (mut s, mut area, mut prev) = ([1.0f64; 2], [0.0f64; 2], 0.0);
    for (&t, c) in times.iter().zip(runs) {
        if t > tau {
            break;
        }
        if c[0] + c[1] > 0 {
            for g in 0..2 {
                area[g] += s[g] * (t - prev);
                let d = f64::from(c[3 + g]);
                if d > 0.0 {
                    s[g] *= 1.0 - d / n[g];
                }
                n[g] -= f64::from(c[g]);
            }
            prev = t;
        }
    }
    (area[1] + s[1] * (tau - prev)) - (area[0] + s[0] * (tau - prev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survival::{Sorted, km::Curve, logrank, rmst};

    /// A toy study: 300 persons, times with many ties, 4 strata, arm codes 0–3 (3 is an arm
    /// outside both comparisons) and one person without an arm; subgroups all, women, men.
    fn toy(test: impl FnOnce(&RiData<'_>, &[usize], &[usize])) {
        let n = 300;
        let mut s = crate::rng::Stream::new(3, "toy");
        let mut time: Vec<f64> = (0..n).map(|_| (1 + s.below(40)) as f64).collect();
        let status: Vec<u8> = (0..n).map(|_| u8::from(s.bernoulli(0.7))).collect();
        let mut codes: Vec<usize> = (0..n).map(|_| s.below(4) as usize).collect();
        codes[17] = usize::MAX;
        let stratum: Vec<usize> = (0..n).map(|i| [3, 0, 7, 1][i % 4]).collect();
        let women: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
        let sorted_status: Vec<u8> = order.iter().map(|&i| status[i]).collect();
        time = order.iter().map(|&i| time[i]).collect();
        let members_of = |keep: &dyn Fn(usize) -> bool| {
            let all: Vec<usize> = (0..n).filter(|&j| keep(order[j])).collect();
            let mut by = std::collections::BTreeMap::<usize, Vec<usize>>::new();
            for &j in &all {
                by.entry(stratum[order[j]]).or_default().push(j);
            }
            Members {
                all,
                by_stratum: by.into_values().collect(),
            }
        };
        let data = RiData {
            time: &time,
            status: &sorted_status,
            order: &order,
            members: vec![
                members_of(&|_| true),
                members_of(&|i| women[i]),
                members_of(&|i| !women[i]),
            ],
            comparisons: vec![(1, 30.0), (2, 25.0)],
        };
        test(&data, &codes, &stratum);
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Algorithm v2 (issue 19): the cell counts of the moved persons give exactly (to the last
    /// bit) the statistics of the draw's whole assignment counted person by person.
    #[test]
    fn v2_draws_give_the_statistics_of_their_whole_assignment() {
        toy(|data, codes, stratum| {
            let plan = SubsetPlan::new(codes, stratum).unwrap();
            let fast = data.simulate_subsets(40, &plan, codes, 9);
            assert_eq!(fast.len(), 40);
            for (r, a) in fast.iter().enumerate() {
                assert_eq!(
                    bits(a),
                    bits(&data.statistics(&plan.codes(&plan.draw(9, r))))
                );
            }
        });
    }

    /// Algorithm v1: the in-place shuffle of the cell kernel draws what a full shuffle of each
    /// stratum's labels (strata in ascending order of their codes, one stream `ri/draw=<r>`,
    /// the draws of `estimate::inference::permutation_draws`) draws, and its statistics are
    /// those of that assignment counted person by person, to the last bit.
    #[test]
    fn v1_draws_give_the_statistics_of_a_full_shuffle_per_stratum() {
        toy(|data, codes, stratum| {
            let plan = SubsetPlan::new(codes, stratum).unwrap();
            let fast = data.simulate_permutations(30, &plan, codes, 5);
            for (r, a) in fast.iter().enumerate() {
                let mut stream = crate::rng::Stream::new(5, &format!("ri/draw={r}"));
                let mut drawn = codes.to_vec();
                for s in [0, 1, 3, 7] {
                    let rows: Vec<usize> = (0..codes.len()).filter(|&i| stratum[i] == s).collect();
                    let mut labels: Vec<usize> = rows.iter().map(|&i| codes[i]).collect();
                    stream.shuffle(&mut labels);
                    for (&i, l) in rows.iter().zip(labels) {
                        drawn[i] = l;
                    }
                }
                assert_eq!(bits(a), bits(&data.statistics(&drawn)), "draw {r}");
            }
        });
    }

    /// Assignments given whole (the ledger's replay): the cell counts give the statistics
    /// counted person by person, to the last bit.
    #[test]
    fn whole_assignments_give_the_statistics_counted_person_by_person() {
        toy(|data, codes, _| {
            let draw = |r: usize| {
                let mut c = codes.to_vec();
                crate::rng::Stream::new(r as u64, "whole").shuffle(&mut c);
                c
            };
            let fast = data.simulate(25, &draw);
            for (r, a) in fast.iter().enumerate() {
                assert_eq!(bits(a), bits(&data.statistics(&draw(r))), "draw {r}");
            }
        });
    }

    #[test]
    fn the_statistics_agree_with_the_estimators() {
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let status = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0];
        let codes = [1, 0, 1, 1, 0, 1, 0, 0, 1, 2];
        let members = Members {
            all: (0..10).collect(),
            by_stratum: vec![(0..10).collect()],
        };
        let order: Vec<usize> = (0..10).collect();
        let data = RiData {
            time: &time,
            status: &status,
            order: &order,
            members: vec![members],
            comparisons: vec![(1, 6.5)],
        };
        let stats = data.statistics(&codes);
        let keep: Vec<usize> = (0..9).collect();
        let t: Vec<f64> = keep.iter().map(|&i| time[i]).collect();
        let s: Vec<u8> = keep.iter().map(|&i| status[i]).collect();
        let g: Vec<u8> = keep.iter().map(|&i| codes[i] as u8).collect();
        let sorted = Sorted::new(&t, &s, &g, None, None).unwrap();
        assert!((stats[0] - logrank::test(&sorted).chisq).abs() < 1e-12);
        let (t1, s1) = sorted.group_of(1);
        let (t0, s0) = sorted.group_of(0);
        let d = rmst::rmst(&Curve::fit(&t1, &s1), 6.5).estimate
            - rmst::rmst(&Curve::fit(&t0, &s0), 6.5).estimate;
        assert!((stats[1] - d).abs() < 1e-12);
    }
}
