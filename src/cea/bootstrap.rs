//! The nonparametric bootstrap of a two-arm comparison: resampling within strata (and whole
//! clusters when given), keeping each person's cost and effect together, seeded per replicate,
//! and percentile intervals computed as R's `boot.ci(type = "perc")` does.
//!
//! Scheme (Efron & Tibshirani 1993, ch. 6 and 8; Glick et al. 2014, Economic Evaluation in
//! Clinical Trials, ch. 7): the units are persons, or clusters when a cluster column is given.
//! Units are grouped into cells by (stratum, arm), in the order of the cell keys; a cluster whose
//! members are in both arms forms cells by stratum only. Replicate b draws, cell by cell, as many
//! units as the cell holds, uniformly with replacement, from the stream `bootstrap/rep=<b>`
//! (32-bit indices, two per 64-bit word, by [`IndexSampler`]), and returns the mean of every variable in each arm. This is the scheme of
//! R's `boot(..., strata = interaction(stratum, arm))`. Replicates run in parallel with rayon and
//! are collected in replicate order, so results do not depend on the number of threads.

use crate::dist::qnorm;
use crate::rng::Stream;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The stream name of replicate `b`.
pub fn replicate_stream_name(b: usize) -> String {
    format!("bootstrap/rep={b}")
}

/// Uniform indices in `0..m` for m < 2³², two per 64-bit stream word (low 32 bits first, then
/// high), by Lemire's multiply-and-reject method without bias (Lemire 2019, "Fast random integer
/// generation in an interval", ACM TOMACS 29(1), algorithm 5): with a 32-bit word x, let
/// p = x·m (64-bit) and l = p mod 2³²; if l < (2³² − m) mod m, reject x and take the next word;
/// else return ⌊p / 2³²⌋. It needs a division only in the rare case l < m, so it is several
/// times faster than `Stream::below` on a 64-bit word, which the bootstrap's 10⁹ draws need.
pub struct IndexSampler<'a> {
    stream: &'a mut Stream,
    spare: Option<u32>,
}

impl<'a> IndexSampler<'a> {
    pub fn new(stream: &'a mut Stream) -> Self {
        IndexSampler {
            stream,
            spare: None,
        }
    }

    fn next_u32(&mut self) -> u32 {
        match self.spare.take() {
            Some(x) => x,
            None => {
                let w = self.stream.next_u64();
                self.spare = Some((w >> 32) as u32);
                w as u32
            }
        }
    }

    /// A uniform index in `0..m` (m ≥ 1); for m ≥ 2³² falls back to `Stream::below`.
    pub fn below(&mut self, m: usize) -> usize {
        if m <= 1 {
            return 0;
        }
        let Ok(m32) = u32::try_from(m) else {
            return self.stream.below(m as u64) as usize;
        };
        let mut p = u64::from(self.next_u32()) * u64::from(m32);
        if (p as u32) < m32 {
            let threshold = m32.wrapping_neg() % m32;
            while (p as u32) < threshold {
                p = u64::from(self.next_u32()) * u64::from(m32);
            }
        }
        (p >> 32) as usize
    }
}

/// How the units of one cell are stored.
#[derive(Debug, Clone)]
enum Cell {
    /// Persons of one arm (0 = treated, 1 = control): `values` holds V numbers per person.
    Persons { arm: usize, values: Vec<f64> },
    /// Clusters: per cluster, the sums of the V variables and the count in the treated arm,
    /// then the same for the control arm (2(V + 1) numbers per cluster).
    Clusters { values: Vec<f64> },
}

impl Cell {
    fn units(&self, v: usize) -> usize {
        match self {
            Cell::Persons { values, .. } => values.len() / v.max(1),
            Cell::Clusters { values } => values.len() / (2 * (v + 1)),
        }
    }
}

/// A ready resampling plan for V variables.
#[derive(Debug, Clone)]
pub struct ResamplingPlan {
    vars: usize,
    cells: Vec<Cell>,
    /// The strata are the resampled units (a matched-pair cluster design), see
    /// [`ResamplingPlan::new`].
    strata_as_units: bool,
    /// With clusters: the persons of each unit of each cell, in the cells' order (empty
    /// without clusters), for [`ResamplingPlan::drawn_members`].
    members: Vec<Vec<Vec<usize>>>,
}

impl ResamplingPlan {
    /// Build the plan. `vars[k][i]` is variable k of person i; `strata[i]` the stratum;
    /// `clusters`, when given, the cluster of each person. All slices have the same length
    /// (the caller has validated it).
    pub fn new(
        treated: &[bool],
        vars: &[&[f64]],
        strata: &[usize],
        clusters: Option<&[usize]>,
    ) -> ResamplingPlan {
        let v = vars.len();
        let value = |k: usize, i: usize| vars[k].get(i).copied().unwrap_or(f64::NAN);
        let mut cells = Vec::new();
        match clusters {
            None => {
                let mut groups: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
                for (i, &t) in treated.iter().enumerate() {
                    let arm = if t { 0 } else { 1 };
                    let entry = groups
                        .entry((strata.get(i).copied().unwrap_or(0), arm))
                        .or_default();
                    for k in 0..v {
                        entry.push(value(k, i));
                    }
                }
                for ((_, arm), values) in groups {
                    cells.push(Cell::Persons { arm, values });
                }
            }
            Some(cl) => {
                // Per cluster: stratum (of its first member), arm pattern, sums; and members.
                let w = 2 * (v + 1);
                let mut sums: BTreeMap<usize, (usize, [bool; 2], Vec<f64>)> = BTreeMap::new();
                let mut persons: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                for (i, &t) in treated.iter().enumerate() {
                    let c = cl.get(i).copied().unwrap_or(0);
                    persons.entry(c).or_default().push(i);
                    let entry = sums.entry(c).or_insert_with(|| {
                        (
                            strata.get(i).copied().unwrap_or(0),
                            [false; 2],
                            vec![0.0; w],
                        )
                    });
                    let arm = if t { 0 } else { 1 };
                    entry.1[arm] = true;
                    let base = arm * (v + 1);
                    for k in 0..v {
                        entry.2[base + k] += value(k, i);
                    }
                    entry.2[base + v] += 1.0;
                }
                // A matched-pair (or matched-set) cluster design: a stratum's arm holds a single
                // cluster, so resampling clusters within (stratum, arm) would draw that cluster
                // every time and every replicate would be the same point. The pairs are then the
                // independent units: each stratum is one unit (the sums of its clusters) and the
                // S strata are drawn with replacement as one cell (the pairs bootstrap of
                // Cameron, Gelbach & Miller 2008, Rev Econ Stat 90:414–427, with pairs as
                // clusters; R `boot()` on the pair-level data).
                let mut per_cell: BTreeMap<(usize, [bool; 2]), usize> = BTreeMap::new();
                for (stratum, arms, _) in sums.values() {
                    *per_cell.entry((*stratum, *arms)).or_default() += 1;
                }
                let pairs = per_cell.values().any(|&count| count == 1)
                    && per_cell
                        .keys()
                        .map(|(stratum, _)| stratum)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                        > 1;
                if pairs {
                    let mut strata_sums: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
                    let mut strata_members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                    for (c, (stratum, _, values)) in &sums {
                        let entry = strata_sums.entry(*stratum).or_insert_with(|| vec![0.0; w]);
                        for (e, x) in entry.iter_mut().zip(values) {
                            *e += x;
                        }
                        strata_members
                            .entry(*stratum)
                            .or_default()
                            .extend(persons.get(c).into_iter().flatten());
                    }
                    let values = strata_sums.into_values().flatten().collect();
                    return ResamplingPlan {
                        vars: v,
                        cells: vec![Cell::Clusters { values }],
                        strata_as_units: true,
                        members: vec![strata_members.into_values().collect()],
                    };
                }
                // Cell key: (stratum, 0 = all treated, 1 = all control, 2 = mixed).
                // Per cell: the clusters' sums, and their members.
                type CellUnits = (Vec<f64>, Vec<Vec<usize>>);
                let mut groups: BTreeMap<(usize, usize), CellUnits> = BTreeMap::new();
                for (c, (stratum, arms, values)) in sums {
                    let kind = match arms {
                        [true, false] => 0,
                        [false, true] => 1,
                        _ => 2,
                    };
                    let entry = groups.entry((stratum, kind)).or_default();
                    entry.0.extend_from_slice(&values);
                    entry.1.push(persons.remove(&c).unwrap_or_default());
                }
                let mut members = Vec::with_capacity(groups.len());
                for (_, (values, who)) in groups {
                    cells.push(Cell::Clusters { values });
                    members.push(who);
                }
                return ResamplingPlan {
                    vars: v,
                    cells,
                    strata_as_units: false,
                    members,
                };
            }
        }
        ResamplingPlan {
            vars: v,
            cells,
            strata_as_units: false,
            members: Vec::new(),
        }
    }

    /// True when the strata (pairs of clusters) are the resampled units: some stratum's arm
    /// holds a single cluster.
    pub fn strata_as_units(&self) -> bool {
        self.strata_as_units
    }

    /// Number of variables.
    pub fn vars(&self) -> usize {
        self.vars
    }

    /// One replicate: the means of the V variables in the treated arm, then in the control arm
    /// (2V numbers; NaN for an arm that received no units).
    pub fn replicate(&self, stream: &mut Stream) -> Vec<f64> {
        let v = self.vars;
        let mut sums = vec![0.0; 2 * v];
        let mut counts = [0.0f64; 2];
        let mut sampler = IndexSampler::new(stream);
        for cell in &self.cells {
            let m = cell.units(v);
            if m == 0 {
                continue;
            }
            match cell {
                Cell::Persons { arm, values } => {
                    let local = &mut sums[arm * v..(arm + 1) * v];
                    match v {
                        1 => sum_draws::<1>(values, m, &mut sampler, local),
                        2 => sum_draws::<2>(values, m, &mut sampler, local),
                        3 => sum_draws::<3>(values, m, &mut sampler, local),
                        4 => sum_draws::<4>(values, m, &mut sampler, local),
                        _ => {
                            for _ in 0..m {
                                let j = sampler.below(m);
                                let row = &values[j * v..(j + 1) * v];
                                for (s, x) in local.iter_mut().zip(row) {
                                    *s += x;
                                }
                            }
                        }
                    }
                    counts[*arm] += m as f64;
                }
                Cell::Clusters { values } => {
                    let w = 2 * (v + 1);
                    for _ in 0..m {
                        let j = sampler.below(m);
                        let row = &values[j * w..(j + 1) * w];
                        for arm in 0..2 {
                            let base = arm * (v + 1);
                            for k in 0..v {
                                sums[arm * v + k] += row[base + k];
                            }
                            counts[arm] += row[base + v];
                        }
                    }
                }
            }
        }
        means(&sums, &counts, v)
    }

    /// The units [`ResamplingPlan::replicate`] draws from `stream`, cell by cell in the plan's
    /// order, as 0-based positions within each cell (in a matched-pair cluster design one cell:
    /// the pairs, in ascending order of their stratum): the same calls of the same sampler, so
    /// the resample can be exported and the replicate recomputed elsewhere (R's `boot` in
    /// tests/reference/cost/pairs.R).
    pub fn resampled_units(&self, stream: &mut Stream) -> Vec<Vec<usize>> {
        let mut sampler = IndexSampler::new(stream);
        self.cells
            .iter()
            .map(|cell| {
                let m = cell.units(self.vars);
                (0..m).map(|_| sampler.below(m)).collect()
            })
            .collect()
    }

    /// The first variable of each unit drawn from `stream`, in draw order: with a person's
    /// index as that variable, the persons of the resample that [`ResamplingPlan::replicate`]
    /// draws from the same stream (the same cells, the same calls of the sampler). None for a
    /// plan of clusters.
    pub fn drawn(&self, stream: &mut Stream) -> Option<Vec<f64>> {
        let v = self.vars;
        let mut out = Vec::new();
        let mut sampler = IndexSampler::new(stream);
        for cell in &self.cells {
            let Cell::Persons { values, .. } = cell else {
                return None;
            };
            let m = cell.units(v);
            for _ in 0..m {
                let j = sampler.below(m);
                out.push(values.get(j * v).copied().unwrap_or(f64::NAN));
            }
        }
        Some(out)
    }

    /// The persons of the clusters (or pairs) [`ResamplingPlan::replicate`] draws from `stream`,
    /// in draw order: the same cells and the same calls of the sampler, so a statistic that is
    /// not a mean of the variables (a survival curve refitted on the resample) is computed on the
    /// same resample as the means. None for a plan of persons (use [`ResamplingPlan::drawn`]).
    pub fn drawn_members(&self, stream: &mut Stream) -> Option<Vec<usize>> {
        if self.members.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        let mut sampler = IndexSampler::new(stream);
        for (cell, who) in self.cells.iter().zip(&self.members) {
            let m = cell.units(self.vars);
            for _ in 0..m {
                let j = sampler.below(m);
                out.extend(who.get(j).into_iter().flatten());
            }
        }
        Some(out)
    }

    /// `reps` replicates in replicate order (replicate b from the stream `bootstrap/rep=<b>`).
    pub fn run(&self, reps: usize, seed: u64) -> Vec<Vec<f64>> {
        self.run_with(reps, seed, &crate::progress::Silent)
            .unwrap_or_default()
    }

    /// [`ResamplingPlan::run`] reporting to `progress`; None when it asked to stop.
    pub fn run_with(
        &self,
        reps: usize,
        seed: u64,
        progress: &dyn crate::progress::Progress,
    ) -> Option<Vec<Vec<f64>>> {
        progress.start("bootstrap", reps as u64);
        let reps = (0..reps)
            .into_par_iter()
            .map(|b| {
                if progress.cancelled() {
                    return None;
                }
                progress.advance(1);
                let mut stream = Stream::new(seed, &replicate_stream_name(b));
                Some(self.replicate(&mut stream))
            })
            .collect();
        progress.finish();
        reps
    }
}

/// Add the rows of `m` units drawn with replacement from `values` (V numbers per unit) to `out`;
/// V fixed at compile time so the inner loop is unrolled.
fn sum_draws<const V: usize>(
    values: &[f64],
    m: usize,
    sampler: &mut IndexSampler,
    out: &mut [f64],
) {
    let mut acc = [0.0f64; V];
    for _ in 0..m {
        let j = sampler.below(m) * V;
        if let Some(row) = values.get(j..j + V) {
            for k in 0..V {
                acc[k] += row[k];
            }
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o += a;
    }
}

fn means(sums: &[f64], counts: &[f64; 2], v: usize) -> Vec<f64> {
    (0..2 * v)
        .map(|j| {
            let c = counts[j / v.max(1)];
            if c > 0.0 { sums[j] / c } else { f64::NAN }
        })
        .collect()
}

/// The arm means (as [`ResamplingPlan::replicate`]) of the resample given by 0-based `indices`
/// into the persons: for checking the scheme against R's `boot` on the same resampling indices.
pub fn replicate_from_indices(treated: &[bool], vars: &[&[f64]], indices: &[usize]) -> Vec<f64> {
    let v = vars.len();
    let mut sums = vec![0.0; 2 * v];
    let mut counts = [0.0f64; 2];
    for &i in indices {
        let arm = if treated.get(i).copied().unwrap_or(false) {
            0
        } else {
            1
        };
        for k in 0..v {
            sums[arm * v + k] += vars[k].get(i).copied().unwrap_or(f64::NAN);
        }
        counts[arm] += 1.0;
    }
    means(&sums, &counts, v)
}

/// The percentile interval of level `level` from bootstrap values, exactly as R's
/// `boot.ci(type = "perc")` (boot's `norm.inter`, Davison & Hinkley 1997, eq. 5.8): non-finite
/// values are dropped; with R values sorted, for each tail α ∈ {(1−level)/2, (1+level)/2} let
/// r = (R + 1)α and k = ⌊r⌋; if r is an integer the limit is t₍ₖ₎; otherwise it is interpolated
/// on the normal scale between t₍ₖ₎ and t₍ₖ₊₁₎:
/// t₍ₖ₎ + (Φ⁻¹(α) − Φ⁻¹(k/(R+1))) / (Φ⁻¹((k+1)/(R+1)) − Φ⁻¹(k/(R+1))) · (t₍ₖ₊₁₎ − t₍ₖ₎);
/// k = 0 gives t₍₁₎ and k = R gives t₍R₎.
pub fn percentile_interval(values: &[f64], level: f64) -> (f64, f64) {
    let mut t: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if t.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    t.sort_by(f64::total_cmp);
    let alpha_low = (1.0 - level) / 2.0;
    let alpha_high = (1.0 + level) / 2.0;
    (norm_inter(&t, alpha_low), norm_inter(&t, alpha_high))
}

fn norm_inter(sorted: &[f64], alpha: f64) -> f64 {
    let r = sorted.len();
    let rk = (r as f64 + 1.0) * alpha;
    let k = rk.trunc() as usize;
    let at = |i: usize| sorted[i.clamp(1, r) - 1]; // 1-based order statistic
    if k == 0 {
        return at(1);
    }
    if k >= r {
        return at(r);
    }
    if (k as f64) == rk {
        return at(k);
    }
    let q = qnorm;
    let n1 = r as f64 + 1.0;
    let (t1, t2, t3) = (q(alpha), q(k as f64 / n1), q((k as f64 + 1.0) / n1));
    let (tk, tk1) = (at(k), at(k + 1));
    tk + (t1 - t2) / (t3 - t2) * (tk1 - tk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<bool>, Vec<f64>, Vec<f64>, Vec<usize>) {
        let n = 40;
        let treated: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        let cost: Vec<f64> = (0..n).map(|i| 1000.0 + 10.0 * i as f64).collect();
        let effect: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let strata: Vec<usize> = (0..n).map(|i| i % 4).collect();
        (treated, cost, effect, strata)
    }

    #[test]
    fn same_results_on_any_thread_count() {
        let (t, c, e, s) = data();
        let plan = ResamplingPlan::new(&t, &[&c, &e], &s, None);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| plan.run(200, 9))
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn clusters_are_resampled_whole() {
        let (t, c, e, s) = data();
        // Each cluster has one arm: a cluster is i / 4 and arm by cluster.
        let clusters: Vec<usize> = (0..t.len()).map(|i| i / 4).collect();
        let t2: Vec<bool> = clusters.iter().map(|c| c % 2 == 0).collect();
        let s2: Vec<usize> = vec![0; t.len()];
        let plan = ResamplingPlan::new(&t2, &[&c, &e], &s2, Some(&clusters));
        let reps = plan.run(50, 1);
        assert!(reps.iter().all(|r| r.iter().all(|x| x.is_finite())));
        let _ = s;
        // The members of the drawn clusters give the replicate's means.
        assert!(
            ResamplingPlan::new(&t2, &[&c], &s2, None)
                .drawn_members(&mut Stream::new(1, "x"))
                .is_none()
        );
        for b in 0..20 {
            let name = replicate_stream_name(b);
            let rep = plan.replicate(&mut Stream::new(1, &name));
            let who = plan.drawn_members(&mut Stream::new(1, &name)).unwrap();
            let again = replicate_from_indices(&t2, &[&c, &e], &who);
            for (a, b) in rep.iter().zip(&again) {
                assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{a} {b}");
            }
        }
    }

    // Golden vector: the first indices of a bootstrap stream. Changing the sampler changes every
    // published bootstrap interval; do it only deliberately.
    #[test]
    fn index_sampler_golden_and_uniform() {
        let mut st = Stream::new(2019, "bootstrap/rep=0");
        let mut s = IndexSampler::new(&mut st);
        let first: Vec<usize> = (0..6).map(|_| s.below(1000)).collect();
        assert_eq!(first, GOLDEN_INDICES);
        // The first two come from the low and high halves of the stream's first word.
        let w = Stream::new(2019, "bootstrap/rep=0").next_u64();
        assert_eq!(first[0] as u64, ((w & 0xffff_ffff) * 1000) >> 32);
        assert_eq!(first[1] as u64, ((w >> 32) * 1000) >> 32);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[s.below(7)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(s.below(1), 0);
    }

    const GOLDEN_INDICES: [usize; 6] = [151, 807, 349, 275, 939, 249];

    #[test]
    fn percentile_matches_order_statistic_when_integer() {
        let values: Vec<f64> = (1..=999).map(|i| i as f64).collect();
        let (lo, hi) = percentile_interval(&values, 0.95);
        // (R + 1)α is 25.00000000000002 in binary, as in R, so boot.ci interpolates too.
        assert!(
            (lo - 25.0).abs() < 1e-9 && (hi - 975.0).abs() < 1e-9,
            "{lo} {hi}"
        );
    }

    /// Four matched pairs of municipalities (one treated, one control in each stratum): the
    /// pairs are resampled as units, so replicates vary (within-cell resampling gave one point),
    /// and every replicate is the means over a multiset of whole pairs.
    #[test]
    fn matched_pairs_of_clusters_resample_the_pairs() {
        let mut treated = Vec::new();
        let mut cost = Vec::new();
        let mut effect = Vec::new();
        let mut strata = Vec::new();
        let mut clusters = Vec::new();
        for pair in 0..4usize {
            for (arm, t) in [true, false].into_iter().enumerate() {
                for person in 0..3 {
                    treated.push(t);
                    cost.push(1000.0 * (pair + 1) as f64 + 100.0 * arm as f64 + person as f64);
                    effect.push(((pair + person + arm) % 2) as f64);
                    strata.push(pair);
                    clusters.push(2 * pair + arm);
                }
            }
        }
        let plan = ResamplingPlan::new(&treated, &[&cost, &effect], &strata, Some(&clusters));
        assert!(plan.strata_as_units());
        let who = plan
            .drawn_members(&mut Stream::new(7, "bootstrap/rep=0"))
            .unwrap();
        let again = replicate_from_indices(&treated, &[&cost, &effect], &who);
        let rep = plan.replicate(&mut Stream::new(7, "bootstrap/rep=0"));
        assert!(
            rep.iter()
                .zip(&again)
                .all(|(a, b)| (a - b).abs() < 1e-9 * a.abs().max(1.0))
        );
        let reps = plan.run(200, 7);
        let first_cost = reps[0][0];
        assert!(reps.iter().any(|r| r[0] != first_cost), "one point");
        // Every replicate's treated mean cost is the mean over whole pairs: sums of 3 persons
        // per drawn pair, so 3 × mean is a sum of 4 pair totals (each drawn pair counted).
        let totals: Vec<f64> = (0..4)
            .map(|p| (0..3).map(|k| cost[6 * p + k]).sum())
            .collect();
        for r in &reps {
            let sum = r[0] * 12.0;
            let found = (0..4usize.pow(4)).any(|code| {
                let s: f64 = (0..4).map(|d| totals[(code / 4usize.pow(d)) % 4]).sum();
                (s - sum).abs() < 1e-6
            });
            assert!(found, "{r:?}");
        }
        // Clusters spanning both arms, many per stratum: unchanged, within-cell resampling.
        let spanning: Vec<usize> = (0..treated.len()).map(|i| i % 6).collect();
        let plan = ResamplingPlan::new(
            &treated,
            &[&cost, &effect],
            &vec![0; treated.len()],
            Some(&spanning),
        );
        assert!(!plan.strata_as_units());
    }
}
