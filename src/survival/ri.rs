//! The statistics randomization inference recomputes for every re-drawn assignment: the
//! (stratified) log-rank χ² and the RMST difference at a fixed τ, for every comparison (an arm
//! against control) and every subgroup. The assignment is re-drawn by the caller (the study's
//! own design from its ledger, `estimate::inference::LedgerReplay`, or permutation within
//! strata); draw r uses the stream `ri/draw=<r>`, draws run in parallel and are collected in
//! draw order, and p-values are counted by `estimate::ri::count`, so results do not depend on
//! the number of threads. A person drawn into an arm outside the comparison is not in it.

use super::EVENT;
use crate::estimate::subsets::{Scratch as DrawScratch, SubsetDraw, SubsetPlan};
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

    /// The statistics of `draws` re-drawn assignments, in draw order.
    pub fn simulate(
        &self,
        draws: usize,
        draw: &(dyn Fn(usize) -> Vec<usize> + Sync),
    ) -> Vec<Vec<f64>> {
        let layout = Layout::new(self);
        (0..draws)
            .into_par_iter()
            .map_init(Scratch::default, |scratch, r| {
                layout.statistics(self, &draw(r), scratch)
            })
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
struct Layout {
    subgroups: Vec<SubgroupLayout>,
}

struct SubgroupLayout {
    /// Per member in time order: the person, its log-rank run, its RMST run, an event?
    person: Vec<u32>,
    logrank_run: Vec<u32>,
    rmst_run: Vec<u32>,
    event: Vec<bool>,
    /// The log-rank runs of each stratum: a range of run indices, in time order.
    strata: Vec<std::ops::Range<usize>>,
    logrank_runs: usize,
    /// The time of each RMST run.
    rmst_times: Vec<f64>,
}

/// Per run: persons leaving in [control, treated, outside the comparison], then events in the
/// same three (the third of each only absorbs persons outside, so that counting needs no
/// branch on a person's arm, which a random assignment makes unpredictable).
type Counts = [u32; 6];

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
    fn statistics(&self, logrank: &[Counts], rmst: &[Counts], tau: f64) -> [f64; 2] {
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

/// The side of a label in the comparison of `arm` with control (0): 0 control, 1 the arm, 2
/// outside.
fn side_of(label: usize, arm: usize) -> usize {
    if label == 0 {
        0
    } else if label == arm {
        1
    } else {
        2
    }
}

/// Per subgroup, for every plan position (`estimate::subsets::SubsetPlan::row_of`): the
/// person's runs (u32::MAX: not a member) and whether it had the event; laid out in the plan's
/// order, so that a draw reads each stratum's persons from one stretch of memory.
struct PersonRuns {
    logrank: Vec<u32>,
    rmst: Vec<u32>,
    event: Vec<bool>,
}

impl RiData<'_> {
    /// The statistics of `draws` assignments drawn by algorithm v2 (`estimate::subsets`) from
    /// `plan` (built on the persons' arm codes and strata), in draw order. The counts of every
    /// run with every person at its stratum's majority arm are formed once; a draw moves only
    /// the persons it names between the sides of each comparison, the statistics are computed
    /// from the counts by the same arithmetic as [`RiData::statistics`], and the moves are
    /// undone (the counts are integers, so exactly).
    pub fn simulate_subsets(&self, draws: usize, plan: &SubsetPlan, seed: u64) -> Vec<Vec<f64>> {
        let layout = Layout::new(self);
        let n = plan.len();
        // The majority label of every plan position.
        let majority: Vec<usize> = plan
            .rows_in_order()
            .iter()
            .map(|&row| plan.base()[row as usize])
            .collect();
        let runs: Vec<PersonRuns> = layout
            .subgroups
            .iter()
            .map(|g| {
                let mut by_person = vec![usize::MAX; self.order.len().max(n)];
                for (k, &p) in g.person.iter().enumerate() {
                    by_person[p as usize] = k;
                }
                let mut r = PersonRuns {
                    logrank: vec![u32::MAX; n],
                    rmst: vec![u32::MAX; n],
                    event: vec![false; n],
                };
                for (position, &row) in plan.rows_in_order().iter().enumerate() {
                    if let Some(&k) = by_person.get(row as usize).filter(|&&k| k != usize::MAX) {
                        r.logrank[position] = g.logrank_run[k];
                        r.rmst[position] = g.rmst_run[k];
                        r.event[position] = g.event[k];
                    }
                }
                r
            })
            .collect();
        // Per comparison and subgroup: the counts with every person at its majority label.
        let mut base: Vec<(Vec<Counts>, Vec<Counts>)> = Vec::new();
        for &(arm, _) in &self.comparisons {
            for (g, who) in layout.subgroups.iter().zip(&runs) {
                let mut lr = vec![[0u32; 6]; g.logrank_runs];
                let mut rm = vec![[0u32; 6]; g.rmst_times.len()];
                for position in 0..n {
                    if who.logrank[position] == u32::MAX {
                        continue;
                    }
                    let side = side_of(majority[position], arm);
                    let e = u32::from(who.event[position]);
                    for counts in [
                        &mut lr[who.logrank[position] as usize],
                        &mut rm[who.rmst[position] as usize],
                    ] {
                        counts[side] += 1;
                        counts[3 + side] += e;
                    }
                }
                base.push((lr, rm));
            }
        }
        let groups = layout.subgroups.len();
        (0..draws)
            .into_par_iter()
            .with_min_len(64)
            .map_init(
                || (base.clone(), DrawScratch::default(), SubsetDraw::default()),
                |(counts, scratch, drawn), r| {
                    plan.draw_into(seed, r, scratch, drawn);
                    let mut out = Vec::with_capacity(self.comparisons.len() * groups * 2);
                    for (c, &(arm, tau)) in self.comparisons.iter().enumerate() {
                        for (gi, g) in layout.subgroups.iter().enumerate() {
                            let (lr, rm) = &mut counts[c * groups + gi];
                            let who = &runs[gi];
                            move_persons(drawn, &majority, who, arm, lr, rm, false);
                            out.extend(g.statistics(lr, rm, tau));
                            move_persons(drawn, &majority, who, arm, lr, rm, true);
                        }
                    }
                    out
                },
            )
            .collect()
    }
}

/// Move the persons of a draw from the side of their majority label to the side of their drawn
/// label (`back`: the other way) in the counts of every run.
fn move_persons(
    drawn: &SubsetDraw,
    majority: &[usize],
    who: &PersonRuns,
    arm: usize,
    logrank: &mut [Counts],
    rmst: &mut [Counts],
    back: bool,
) {
    for (&position, &label) in drawn.positions.iter().zip(&drawn.labels) {
        let k = position as usize;
        let lr = who.logrank[k];
        if lr == u32::MAX {
            continue;
        }
        let (mut from, mut to) = (side_of(majority[k], arm), side_of(label, arm));
        if from == to {
            continue;
        }
        if back {
            std::mem::swap(&mut from, &mut to);
        }
        let e = u32::from(who.event[k]);
        for counts in [&mut logrank[lr as usize], &mut rmst[who.rmst[k] as usize]] {
            counts[from] -= 1;
            counts[to] += 1;
            counts[3 + from] -= e;
            counts[3 + to] += e;
        }
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

    /// Algorithm v2 (issue 19): the counts moved person by person give exactly (to the last
    /// bit) the statistics of the draw's whole assignment, for 2 comparisons, a subgroup and
    /// strata.
    #[test]
    fn v2_draws_give_the_statistics_of_their_whole_assignment() {
        let n = 300;
        let mut s = crate::rng::Stream::new(3, "toy");
        let mut time: Vec<f64> = (0..n).map(|_| (1 + s.below(40)) as f64).collect();
        let status: Vec<u8> = (0..n).map(|_| u8::from(s.bernoulli(0.7))).collect();
        let codes: Vec<usize> = (0..n).map(|_| s.below(3) as usize).collect();
        let stratum: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let women: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
        let sorted_status: Vec<u8> = order.iter().map(|&i| status[i]).collect();
        time = order.iter().map(|&i| time[i]).collect();
        let members_of = |keep: &dyn Fn(usize) -> bool| {
            let all: Vec<usize> = (0..n).filter(|&j| keep(order[j])).collect();
            let mut by = vec![Vec::new(); 4];
            for &j in &all {
                by[stratum[order[j]]].push(j);
            }
            Members {
                all,
                by_stratum: by,
            }
        };
        let data = RiData {
            time: &time,
            status: &sorted_status,
            order: &order,
            members: vec![members_of(&|_| true), members_of(&|i| women[i])],
            comparisons: vec![(1, 30.0), (2, 25.0)],
        };
        let plan = SubsetPlan::new(&codes, &stratum).unwrap();
        let fast = data.simulate_subsets(40, &plan, 9);
        let whole = data.simulate(40, &|r| plan.codes(&plan.draw(9, r)));
        assert_eq!(fast.len(), 40);
        for (a, b) in fast.iter().zip(&whole) {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b));
        }
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
