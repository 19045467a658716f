//! The draw itself: units grouped once into strata, clusters and enrolment batches (an
//! [`AssignmentPlan`]), then assigned by the exact procedures of docs/randomization.md — complete
//! randomization with misfit policies, or permuted blocks of random sizes continued across
//! batches — each from its own named stream. A plan is built once and can be drawn again cheaply
//! with other streams (randomization inference, simulation-based power).

use super::ids::{IdList, SortedIds};
use super::prefetch::prefetch;
use super::{AssignmentMethod, Design, Misfits};
use crate::categorical::{Coder, Codes};
use crate::rng::Stream;
use rayon::prelude::*;

/// The arm of a unit left unassigned (a misfit under policy `missing`).
pub const UNASSIGNED: u32 = u32::MAX;

/// Where a randomization unit landed: arm index (or [`UNASSIGNED`]), block (1-based; 0 for
/// method `complete`, which has one implicit block per stratum and batch) and 1-based position
/// within the block (for `complete`: rank by id within the stratum and batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Slot {
    pub arm: u32,
    pub block: u32,
    pub position: u32,
}

/// A whole assignment, one entry per unit in the order the units were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub slots: Vec<Slot>,
    /// Probability of the arm the unit got (NaN when unassigned).
    pub probability: Vec<f64>,
}

/// The study's own assignment per randomization unit ([`AssignmentPlan::assign_members`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberAssignment {
    /// One slot per member, in member order.
    pub slots: Vec<Slot>,
    /// The first member of each (stratum, batch) segment, ascending.
    segment_starts: Vec<usize>,
    /// The probability of each arm in each segment.
    segment_probabilities: Vec<Vec<f64>>,
}

impl MemberAssignment {
    /// The slot of member `member`.
    pub fn slot(&self, member: usize) -> Slot {
        self.slots.get(member).copied().unwrap_or_default()
    }

    /// Start reading member `member`'s slot ([`prefetch`]).
    pub fn prefetch_slot(&self, member: usize) {
        prefetch(self.slots.get(member));
    }

    /// The probability of the arm member `member` got (NaN when unassigned): the same number
    /// as [`Assignment::probability`] of its units.
    pub fn probability(&self, member: usize) -> f64 {
        let segment = self
            .segment_starts
            .partition_point(|&start| start <= member)
            .saturating_sub(1);
        let arm = self.slot(member).arm;
        self.segment_probabilities
            .get(segment)
            .and_then(|row| row.get(arm as usize))
            .filter(|_| arm != UNASSIGNED)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Units that cannot be planned; indices are positions in the input (the CLI maps them to lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    EmptyId {
        unit: usize,
    },
    DuplicateId {
        unit: usize,
        first: usize,
    },
    /// Two members of one cluster are in different strata.
    ClusterSpansStrata {
        unit: usize,
        first: usize,
    },
    /// Batch numbers start at 1.
    BatchZero {
        unit: usize,
    },
    /// The strata, cluster or batch slices do not have one entry per id (a caller's mistake).
    Lengths,
}

#[derive(Debug, Clone)]
struct Segment {
    stratum: u32,
    batch: u32,
    start: usize,
    end: usize,
}

/// The precomputed structure of an assignment: which randomization units (individuals, or
/// clusters) are in which stratum and batch, in id order. Built once, drawn many times.
#[derive(Debug, Clone)]
pub struct AssignmentPlan {
    method: AssignmentMethod,
    misfits: Misfits,
    ratios: Vec<u32>,
    total: u32,
    block_sizes: Vec<u32>,
    stratum_keys: Vec<String>,
    /// Number of randomization units, in (stratum, batch, id) order ("members").
    n_members: usize,
    segments: Vec<Segment>,
    /// For each unit (input order): its member index.
    unit_member: Vec<u32>,
    /// For each unit: its stratum (index into the sorted `stratum_keys`).
    unit_stratum: Vec<u32>,
    /// Units (input indices) in id order.
    id_order: Vec<u32>,
}

/// Codes for text values, in order of first appearance ([`crate::categorical`]), and the
/// distinct values. [`AssignmentPlan::new`] sorts strata by key and clusters by name itself, so
/// this numbering never reaches a draw.
pub fn intern(values: &[String]) -> (Vec<u32>, Vec<String>) {
    let coded = Codes::first_seen(values.iter().map(String::as_str));
    (
        coded.codes_u32(),
        coded.levels.into_iter().map(str::to_string).collect(),
    )
}

/// Stratum codes and keys from strata columns: the key of a stratum is `col=value` for each
/// column, joined by `|` (e.g. `site=03|gender=F`); with no columns every unit is in `all`.
pub fn strata_codes(columns: &[(&str, &[String])], n: usize) -> (Vec<u32>, Vec<String>) {
    let interned: Vec<(Vec<u32>, Vec<String>)> = columns.iter().map(|(_, v)| intern(v)).collect();
    let coded: Vec<(&str, &[u32], &[String])> = columns
        .iter()
        .zip(&interned)
        .map(|((name, _), (codes, values))| (*name, codes.as_slice(), values.as_slice()))
        .collect();
    strata_from_codes(&coded, n)
}

/// [`strata_codes`] from columns already coded: (column name, code per unit, value per code).
pub fn strata_from_codes(
    columns: &[(&str, &[u32], &[String])],
    n: usize,
) -> (Vec<u32>, Vec<String>) {
    if columns.is_empty() {
        return (vec![0; n], vec!["all".to_string()]);
    }
    if let [(name, codes, values)] = columns {
        let keys = values.iter().map(|v| format!("{name}={v}")).collect();
        return (codes.to_vec(), keys);
    }
    // Combinations numbered in first-seen order, like the single columns. While the columns'
    // level counts multiply to a small number (site × gender: 1,000), a combination's place
    // in a table of them (mixed radix) finds its code: no hashing of a tuple per participant
    // (SipHash of a `Vec<u32>` was 4% of assigning ten million, docs/scale.md); beyond, a
    // `Coder` of the tuples. Both number the combinations alike.
    let combinations = columns.iter().try_fold(1usize, |product, (_, _, values)| {
        product.checked_mul(values.len())
    });
    let mut keys = Vec::new();
    let key_of = |tuple: &mut dyn Iterator<Item = u32>| {
        columns
            .iter()
            .zip(tuple)
            .map(|((name, _, values), t)| {
                format!(
                    "{name}={}",
                    values.get(t as usize).map_or("", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join("|")
    };
    let codes_fit = columns
        .iter()
        .all(|(_, c, values)| c.len() >= n && c[..n].iter().all(|&x| (x as usize) < values.len()));
    if let Some(size) = combinations.filter(|&size| codes_fit && size <= n.max(1 << 16)) {
        const NEW: u32 = u32::MAX;
        let mut table = vec![NEW; size];
        let mut codes = Vec::with_capacity(n);
        for i in 0..n {
            let place = columns.iter().fold(0usize, |place, (_, c, values)| {
                place * values.len() + c[i] as usize
            });
            let slot = &mut table[place];
            if *slot == NEW {
                *slot = keys.len() as u32;
                keys.push(key_of(&mut columns.iter().map(|(_, c, _)| c[i])));
            }
            codes.push(*slot);
        }
        return (codes, keys);
    }
    let mut coder: Coder<Vec<u32>> = Coder::new();
    let mut codes = Vec::with_capacity(n);
    let mut tuple = vec![0u32; columns.len()];
    for i in 0..n {
        for (t, (_, c, _)) in tuple.iter_mut().zip(columns) {
            *t = c[i];
        }
        let code = coder.code_ref(tuple.as_slice());
        if code == keys.len() {
            keys.push(key_of(&mut tuple.iter().copied()));
        }
        codes.push(code as u32);
    }
    (codes, keys)
}

impl AssignmentPlan {
    /// Group units for drawing. `ids` identify units; `strata` gives each unit's stratum code
    /// and the key of every code; `cluster` (optional) each unit's cluster code and names;
    /// `batch` each unit's enrolment batch (1, 2, …). Input order does not matter: units are
    /// ordered by id (byte order), clusters by name.
    pub fn new<I: IdList + ?Sized>(
        design: &Design,
        ids: &I,
        strata: (&[u32], &[String]),
        cluster: Option<(&[u32], &[String])>,
        batch: &[u32],
    ) -> Result<AssignmentPlan, PlanError> {
        let n = ids.count();
        check_lengths(n, strata, cluster, batch)?;
        if let Some(unit) = (0..n).find(|&u| ids.id(u).is_empty()) {
            return Err(PlanError::EmptyId { unit });
        }
        if let Some(unit) = batch.iter().position(|&b| b == 0) {
            return Err(PlanError::BatchZero { unit });
        }
        let order = SortedIds::new(ids)?.into_order();
        AssignmentPlan::with_order(design, strata, cluster, batch, order)
    }

    /// [`AssignmentPlan::new`] for units already sorted by id: `order` lists every unit once, in
    /// the order of their ids (from [`SortedIds`], which also refused empty and repeated ids).
    /// For a caller that sorted the ids already (`rolling`, which matches a ledger's rows to
    /// the participants with the same sort), so that ten million ids are sorted once.
    pub fn with_order(
        design: &Design,
        strata: (&[u32], &[String]),
        cluster: Option<(&[u32], &[String])>,
        batch: &[u32],
        order: Vec<u32>,
    ) -> Result<AssignmentPlan, PlanError> {
        let n = order.len();
        check_lengths(n, strata, cluster, batch)?;
        if let Some(unit) = batch.iter().position(|&b| b == 0) {
            return Err(PlanError::BatchZero { unit });
        }
        // Strata sorted by key, so their order never depends on the input: the keys are sorted
        // and the units' codes renumbered through a table (not a sorted copy of n codes).
        let (codes, keys) = strata;
        let sorted = Codes {
            codes: (0..keys.len()).collect(),
            levels: keys.iter().collect(),
        }
        .into_sorted();
        let renumber = sorted.codes_u32();
        let unit_stratum: Vec<u32> = codes.iter().map(|&c| renumber[c as usize]).collect();
        let stratum_keys: Vec<String> = sorted.levels.into_iter().cloned().collect();

        // Randomization units ("members"): individuals, or clusters, in (stratum, batch) order
        // and within that by id or cluster name; consecutive members of one stratum and batch
        // form a segment.
        let (segments, n_members, unit_member) = match cluster {
            None => {
                let (members, segments) =
                    bucket_by_stratum_and_batch(&order, &unit_stratum, batch, keys.len());
                let mut unit_member = vec![0u32; n];
                for (p, &u) in members.iter().enumerate() {
                    unit_member[u as usize] = p as u32;
                }
                (segments, members.len(), unit_member)
            }
            Some((ccodes, cnames)) => {
                let nc = cnames.len();
                let mut first = vec![u32::MAX; nc];
                let mut c_batch = vec![u32::MAX; nc];
                for i in 0..n {
                    let c = ccodes[i] as usize;
                    if first[c] == u32::MAX {
                        first[c] = i as u32;
                    } else if unit_stratum[first[c] as usize] != unit_stratum[i] {
                        return Err(PlanError::ClusterSpansStrata {
                            unit: i,
                            first: first[c] as usize,
                        });
                    }
                    c_batch[c] = c_batch[c].min(batch[i]);
                }
                let mut members: Vec<u32> = (0..nc as u32)
                    .filter(|&c| first[c as usize] != u32::MAX)
                    .collect();
                members.sort_by(|&a, &b| cnames[a as usize].cmp(&cnames[b as usize]));
                let c_stratum = |c: u32| unit_stratum[first[c as usize] as usize];
                members.sort_by_key(|&c| (c_stratum(c), c_batch[c as usize]));
                let mut pos = vec![0u32; nc];
                for (p, &c) in members.iter().enumerate() {
                    pos[c as usize] = p as u32;
                }
                let unit_member = ccodes.iter().map(|&c| pos[c as usize]).collect();
                let segments = segments_of(members.len(), |p| {
                    let c = members[p];
                    (c_stratum(c), c_batch[c as usize])
                });
                (segments, members.len(), unit_member)
            }
        };
        let ratios = design.reduced_ratios();
        Ok(AssignmentPlan {
            method: design.method,
            misfits: design.misfits,
            total: ratios.iter().sum(),
            ratios,
            block_sizes: design.block_sizes.clone(),
            stratum_keys,
            n_members,
            segments,
            unit_member,
            unit_stratum,
            id_order: order,
        })
    }

    pub fn n_units(&self) -> usize {
        self.unit_member.len()
    }

    /// Number of randomization units (individuals, or clusters).
    pub fn n_randomization_units(&self) -> usize {
        self.n_members
    }

    /// The sorted stratum keys.
    pub fn stratum_keys(&self) -> &[String] {
        &self.stratum_keys
    }

    /// The stratum key of unit `unit` (input order).
    pub fn stratum_of(&self, unit: usize) -> &str {
        self.unit_stratum
            .get(unit)
            .and_then(|&s| self.stratum_keys.get(s as usize))
            .map_or("", String::as_str)
    }

    /// Unit indices (input order positions) sorted by id.
    pub fn units_by_id(&self) -> &[u32] {
        &self.id_order
    }

    /// The stratum of unit `unit` as an index into [`AssignmentPlan::stratum_keys`].
    pub fn stratum_index(&self, unit: usize) -> u32 {
        self.unit_stratum.get(unit).copied().unwrap_or(0)
    }

    /// The randomization unit (member index) of unit `unit`: equal for members of one cluster.
    pub fn member_of(&self, unit: usize) -> usize {
        self.unit_member.get(unit).map_or(0, |&m| m as usize)
    }

    /// Start reading unit `unit`'s member and stratum ([`prefetch`]).
    pub fn prefetch_unit(&self, unit: usize) {
        prefetch(self.unit_member.get(unit));
        prefetch(self.unit_stratum.get(unit));
    }

    /// The study's own assignment: streams `assign/…` of `seed`.
    pub fn assign(&self, seed: u64) -> Assignment {
        let slots = self.run(seed, "assign");
        let k = self.ratios.len();
        let mut member_probability = vec![f64::NAN; self.n_members];
        for seg in &self.segments {
            let row = self.segment_probabilities(seg.end - seg.start);
            for p in seg.start..seg.end {
                if let Some(&q) = row
                    .get(slots[p].arm as usize)
                    .filter(|_| slots[p].arm < k as u32)
                {
                    member_probability[p] = q;
                }
            }
        }
        let mut out_slots = Vec::with_capacity(self.n_units());
        let mut probability = Vec::with_capacity(self.n_units());
        for &m in &self.unit_member {
            out_slots.push(slots[m as usize]);
            probability.push(member_probability[m as usize]);
        }
        Assignment {
            slots: out_slots,
            probability,
        }
    }

    /// [`AssignmentPlan::assign`] per randomization unit (member), without the per-unit copies
    /// (a slot and a probability per person: 200 MB at ten million, docs/scale.md): a unit's
    /// slot is that of member [`AssignmentPlan::member_of`], its probability
    /// [`MemberAssignment::probability`].
    pub fn assign_members(&self, seed: u64) -> MemberAssignment {
        MemberAssignment {
            slots: self.run(seed, "assign"),
            segment_starts: self.segments.iter().map(|s| s.start).collect(),
            segment_probabilities: self
                .segments
                .iter()
                .map(|s| self.segment_probabilities(s.end - s.start))
                .collect(),
        }
    }

    /// A hypothetical re-run of the same procedure on the same units with the streams
    /// `{prefix}/…` of `seed` (e.g. prefix `ri/draw=17`): the arm index of every unit (input
    /// order), [`UNASSIGNED`] for misfits left out. `draw(seed, "assign")` reproduces
    /// [`AssignmentPlan::assign`] exactly.
    pub fn draw(&self, seed: u64, prefix: &str) -> Vec<u32> {
        let slots = self.run(seed, prefix);
        self.unit_member
            .iter()
            .map(|&m| slots[m as usize].arm)
            .collect()
    }

    /// [`AssignmentPlan::draw`] per member (randomization unit, cluster or person): the arm
    /// index of every member; `draw` gives unit u the arm of member `member_of(u)`.
    pub fn draw_members(&self, seed: u64, prefix: &str) -> Vec<u32> {
        self.run(seed, prefix).iter().map(|s| s.arm).collect()
    }

    /// Every assignment this procedure can make, when they are equally likely and can be listed
    /// (`design::enumerate`): complete randomization in every stratum and batch, where the
    /// leftover units (misfits) are left unassigned, absent, or (policy `strata` with equal
    /// ratios) given to a uniformly chosen set of arms. None for permuted blocks and for weighted
    /// or pooled misfits, whose assignments are not equally likely or not independent by
    /// segment. The members are the randomization units ([`AssignmentPlan::member_of`]).
    pub fn enumeration(&self) -> Option<super::enumerate::Enumeration> {
        use super::enumerate::{Enumeration, Segment};
        if self.method != AssignmentMethod::Complete {
            return None;
        }
        let k = self.ratios.len();
        let equal_ratios = self.total as usize == k;
        let mut segments = Vec::with_capacity(self.segments.len());
        for seg in &self.segments {
            let n = seg.end - seg.start;
            let full = n / self.total as usize;
            let misfits = n - full * self.total as usize;
            let base: Vec<usize> = self.ratios.iter().map(|&r| full * r as usize).collect();
            let mut labels: Vec<u32> = (0..k as u32).collect();
            let options = match (misfits, self.misfits) {
                (0, _) => vec![base],
                (m, Misfits::Missing) => {
                    labels.push(UNASSIGNED);
                    let mut counts = base;
                    counts.push(m);
                    vec![counts]
                }
                // Each set of `m` arms (one more unit each) is equally likely (`equal_split`).
                // randomizr's systematic draw (`randomizr_counts`) makes every set of m arms
                // equally likely only with equal ratios and at most three arms (with four arms
                // and m = 2 it reaches 4 of the 6 sets); with unequal ratios the assignments
                // are not equally likely at all. Those designs are sampled, not listed.
                (m, Misfits::Strata | Misfits::Randomizr)
                    if equal_ratios && (self.misfits == Misfits::Strata || k <= 3) =>
                {
                    combinations(k, m)
                        .into_iter()
                        .map(|set| {
                            let mut counts = base.clone();
                            for a in set {
                                counts[a] += 1;
                            }
                            counts
                        })
                        .collect()
                }
                _ => return None,
            };
            segments.push(Segment {
                members: (seg.start..seg.end).collect(),
                labels,
                options,
            });
        }
        Enumeration::new(self.n_members, segments)
    }

    /// Assignment number `index` of `enumeration` (from [`AssignmentPlan::enumeration`]): the
    /// arm index of every unit (input order), [`UNASSIGNED`] for units left out.
    pub fn enumerated(&self, enumeration: &super::enumerate::Enumeration, index: u128) -> Vec<u32> {
        let members = enumeration.assignment(index);
        self.unit_member
            .iter()
            .map(|&m| members.get(m as usize).copied().unwrap_or(UNASSIGNED))
            .collect()
    }

    /// The twin of [`AssignmentPlan::assign`]: for every unit (input order) and arm, the
    /// probability of that arm, row-major (`units × arms`). Under misfit policy `missing` a row
    /// sums to one minus the probability of being left unassigned; otherwise to 1.
    pub fn probabilities(&self) -> Vec<f64> {
        let k = self.ratios.len();
        let mut member_row = vec![0u32; self.n_members];
        let rows: Vec<Vec<f64>> = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                member_row[seg.start..seg.end].fill(i as u32);
                self.segment_probabilities(seg.end - seg.start)
            })
            .collect();
        let mut out = Vec::with_capacity(self.n_units() * k);
        for &m in &self.unit_member {
            out.extend_from_slice(&rows[member_row[m as usize] as usize]);
        }
        out
    }

    /// The probabilities of each arm for a unit of a stratum-batch of n units. Complete
    /// randomization of n units with k = ⌊n/R⌋ full sets and m = n mod R misfits gives arm a
    /// (ratio rₐ) to k·rₐ units, chosen uniformly, plus each misfit with probability wₐ:
    /// 0 (missing), 1/K (strata, global; by symmetry of the equal split), rₐ/R (wstrata,
    /// wglobal). So P(a) = (k·rₐ + m·wₐ)/n. Permuted blocks: every position of a block of size
    /// s holds arm a with probability (s/R)·rₐ/s = rₐ/R.
    fn segment_probabilities(&self, n: usize) -> Vec<f64> {
        let k_arms = self.ratios.len();
        let total = self.total as f64;
        match self.method {
            AssignmentMethod::Blocks => self.ratios.iter().map(|&r| r as f64 / total).collect(),
            AssignmentMethod::Complete if self.misfits == Misfits::Randomizr => {
                self.ratios.iter().map(|&r| r as f64 / total).collect()
            }
            AssignmentMethod::Complete => {
                let full = (n / self.total as usize) as f64;
                let m = (n % self.total as usize) as f64;
                self.ratios
                    .iter()
                    .map(|&r| {
                        let w = match self.misfits {
                            Misfits::Missing => 0.0,
                            Misfits::Strata | Misfits::Global => 1.0 / k_arms as f64,
                            Misfits::Wstrata | Misfits::Wglobal | Misfits::Randomizr => {
                                r as f64 / total
                            }
                        };
                        (full * r as f64 + m * w) / n as f64
                    })
                    .collect()
            }
        }
    }

    /// Run the procedure with streams `{prefix}/…`; one slot per member.
    fn run(&self, seed: u64, prefix: &str) -> Vec<Slot> {
        let mut slots = vec![Slot::default(); self.n_members];
        match self.method {
            AssignmentMethod::Complete => {
                let lengths = self.segments.iter().map(|seg| seg.end - seg.start);
                let chunks = crate::parts::split_lengths(&mut slots, lengths);
                self.segments
                    .par_iter()
                    .zip(chunks.into_par_iter())
                    .for_each(|(seg, chunk)| self.complete_segment(seed, prefix, seg, chunk));
                if matches!(self.misfits, Misfits::Global | Misfits::Wglobal) {
                    self.pooled_misfits(seed, prefix, &mut slots);
                }
            }
            AssignmentMethod::Blocks => {
                // All segments of a stratum are contiguous and in batch order.
                let mut ranges: Vec<(u32, usize, usize)> = Vec::new();
                for seg in &self.segments {
                    match ranges.last_mut() {
                        Some(r) if r.0 == seg.stratum => r.2 = seg.end,
                        _ => ranges.push((seg.stratum, seg.start, seg.end)),
                    }
                }
                let chunks =
                    crate::parts::split_lengths(&mut slots, ranges.iter().map(|r| r.2 - r.1));
                ranges
                    .par_iter()
                    .zip(chunks.into_par_iter())
                    .for_each(|(r, chunk)| self.blocks_stratum(seed, prefix, r.0, chunk));
            }
        }
        slots
    }

    fn key(&self, stratum: u32) -> &str {
        self.stratum_keys
            .get(stratum as usize)
            .map_or("", String::as_str)
    }

    /// Complete randomization of one stratum within one batch (docs/randomization.md §3).
    fn complete_segment(&self, seed: u64, prefix: &str, seg: &Segment, chunk: &mut [Slot]) {
        let n = chunk.len();
        let mut stream = Stream::new(
            seed,
            &format!(
                "{prefix}/stratum={}/batch={}",
                self.key(seg.stratum),
                seg.batch
            ),
        );
        if self.misfits == Misfits::Randomizr {
            let mut labels = randomizr_counts(n, &self.ratios, &mut stream);
            stream.shuffle(&mut labels);
            for (i, (slot, &arm)) in chunk.iter_mut().zip(&labels).enumerate() {
                *slot = Slot {
                    arm,
                    block: 0,
                    position: i as u32 + 1,
                };
            }
            return;
        }
        let full = n / self.total as usize;
        let mut labels: Vec<u32> = Vec::with_capacity(n);
        for (a, &r) in self.ratios.iter().enumerate() {
            labels.extend(std::iter::repeat_n(a as u32, full * r as usize));
        }
        labels.resize(n, UNASSIGNED);
        stream.shuffle(&mut labels);
        for (i, (slot, &arm)) in chunk.iter_mut().zip(&labels).enumerate() {
            *slot = Slot {
                arm,
                block: 0,
                position: i as u32 + 1,
            };
        }
        let misfits = n - full * self.total as usize;
        if misfits == 0 {
            return;
        }
        match self.misfits {
            Misfits::Strata => {
                let arms = equal_split(misfits, self.ratios.len(), &mut stream);
                for (slot, arm) in chunk.iter_mut().filter(|s| s.arm == UNASSIGNED).zip(arms) {
                    slot.arm = arm;
                }
            }
            Misfits::Wstrata => {
                for slot in chunk.iter_mut().filter(|s| s.arm == UNASSIGNED) {
                    slot.arm = weighted(&self.ratios, self.total, &mut stream);
                }
            }
            Misfits::Missing | Misfits::Global | Misfits::Wglobal | Misfits::Randomizr => {}
        }
    }

    /// Misfits of all strata of a batch, pooled in (stratum key, id) order (§4).
    fn pooled_misfits(&self, seed: u64, prefix: &str, slots: &mut [Slot]) {
        let mut by_batch: Vec<&Segment> = self.segments.iter().collect();
        by_batch.sort_by_key(|s| (s.batch, s.stratum));
        let mut i = 0;
        while i < by_batch.len() {
            let batch = by_batch[i].batch;
            let mut pool: Vec<usize> = Vec::new();
            while i < by_batch.len() && by_batch[i].batch == batch {
                let seg = by_batch[i];
                pool.extend((seg.start..seg.end).filter(|&p| slots[p].arm == UNASSIGNED));
                i += 1;
            }
            if pool.is_empty() {
                continue;
            }
            let mut stream = Stream::new(seed, &format!("{prefix}/misfits/batch={batch}"));
            let arms = match self.misfits {
                Misfits::Global => equal_split(pool.len(), self.ratios.len(), &mut stream),
                _ => {
                    let full = pool.len() / self.total as usize;
                    let mut labels: Vec<u32> = Vec::with_capacity(pool.len());
                    for (a, &r) in self.ratios.iter().enumerate() {
                        labels.extend(std::iter::repeat_n(a as u32, full * r as usize));
                    }
                    while labels.len() < pool.len() {
                        labels.push(weighted(&self.ratios, self.total, &mut stream));
                    }
                    stream.shuffle(&mut labels);
                    labels
                }
            };
            for (&p, arm) in pool.iter().zip(arms) {
                slots[p].arm = arm;
            }
        }
    }

    /// Permuted blocks of one stratum, all batches in order (§5).
    fn blocks_stratum(&self, seed: u64, prefix: &str, stratum: u32, chunk: &mut [Slot]) {
        let mut stream = Stream::new(
            seed,
            &format!("{prefix}/stratum={}/blocks", self.key(stratum)),
        );
        let mut labels: Vec<u32> = Vec::new();
        let mut next = 0usize;
        let mut block = 0u32;
        for slot in chunk.iter_mut() {
            if next == labels.len() {
                block += 1;
                let draw = stream.below(self.block_sizes.len() as u64) as usize;
                let size = self.block_sizes.get(draw).copied().unwrap_or(self.total);
                let sets = (size / self.total) as usize;
                labels.clear();
                for (a, &r) in self.ratios.iter().enumerate() {
                    labels.extend(std::iter::repeat_n(a as u32, sets * r as usize));
                }
                stream.shuffle(&mut labels);
                next = 0;
            }
            *slot = Slot {
                arm: labels[next],
                block,
                position: next as u32 + 1,
            };
            next += 1;
        }
    }
}

/// The strata, clusters and batches fit `n` units: a code per unit, each naming a key or name.
fn check_lengths(
    n: usize,
    strata: (&[u32], &[String]),
    cluster: Option<(&[u32], &[String])>,
    batch: &[u32],
) -> Result<(), PlanError> {
    let codes_fit = |codes: &[u32], names: usize| {
        codes.len() == n && codes.iter().all(|&c| (c as usize) < names)
    };
    if !codes_fit(strata.0, strata.1.len())
        || cluster.is_some_and(|(c, names)| !codes_fit(c, names.len()))
        || batch.len() != n
    {
        return Err(PlanError::Lengths);
    }
    Ok(())
}

/// The segments of `n` members in (stratum, batch) order, `of(p)` the stratum and batch of
/// member p: each run of one stratum and batch.
fn segments_of(n: usize, of: impl Fn(usize) -> (u32, u32)) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for p in 0..n {
        let (stratum, batch) = of(p);
        match segments.last_mut() {
            Some(s) if s.stratum == stratum && s.batch == batch => s.end = p + 1,
            _ => segments.push(Segment {
                stratum,
                batch,
                start: p,
                end: p + 1,
            }),
        }
    }
    segments
}

/// The units (`order`: every unit once, in id order) stably grouped by (stratum, batch), and
/// the segments of that order: a counting sort, O(n), whose counts are the segments (no pass
/// reading each member's stratum and batch again, at random); a stable comparison sort when
/// the number of (stratum, batch) pairs is very large.
fn bucket_by_stratum_and_batch(
    order: &[u32],
    stratum: &[u32],
    batch: &[u32],
    n_strata: usize,
) -> (Vec<u32>, Vec<Segment>) {
    let max_batch = batch.iter().copied().max().unwrap_or(0) as usize;
    let n_keys = n_strata.saturating_mul(max_batch + 1);
    if n_keys > 1 << 24 || stratum.len() != order.len() || batch.len() != order.len() {
        let mut members = order.to_vec();
        members.par_sort_by_key(|&u| (stratum[u as usize], batch[u as usize]));
        let segments = segments_of(members.len(), |p| {
            let u = members[p] as usize;
            (stratum[u], batch[u])
        });
        return (members, segments);
    }
    let key = |s: u32, b: u32| s as usize * (max_batch + 1) + b as usize;
    // Counted in input order (every unit is in `order` once), reading both columns in order.
    let mut start = vec![0usize; n_keys + 1];
    for (&s, &b) in stratum.iter().zip(batch) {
        start[key(s, b) + 1] += 1;
    }
    for k in 0..n_keys {
        start[k + 1] += start[k];
    }
    let segments: Vec<Segment> = (0..n_keys)
        .filter(|&k| start[k + 1] > start[k])
        .map(|k| Segment {
            stratum: (k / (max_batch + 1)) as u32,
            batch: (k % (max_batch + 1)) as u32,
            start: start[k],
            end: start[k + 1],
        })
        .collect();
    let mut members = vec![0u32; order.len()];
    for &u in order {
        let k = key(stratum[u as usize], batch[u as usize]);
        members[start[k]] = u;
        start[k] += 1;
    }
    (members, segments)
}

/// m labels over K arms with equal weights: each arm ⌊m/K⌋ times; the m mod K arms that get
/// one more are the first of a Fisher–Yates shuffle of 0..K; then the labels are shuffled.
fn equal_split(m: usize, k: usize, stream: &mut Stream) -> Vec<u32> {
    let mut order: Vec<u32> = (0..k as u32).collect();
    stream.shuffle(&mut order);
    let extra = &order[..m % k];
    let mut labels = Vec::with_capacity(m);
    for a in 0..k as u32 {
        let count = m / k + usize::from(extra.contains(&a));
        labels.extend(std::iter::repeat_n(a, count));
    }
    stream.shuffle(&mut labels);
    labels
}

/// The subsets of size `m` of 0..k, in lexicographic order.
fn combinations(k: usize, m: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut set: Vec<usize> = (0..m).collect();
    if m > k {
        return out;
    }
    loop {
        out.push(set.clone());
        // The rightmost element that can still move right.
        let Some(i) = (0..m).rev().find(|&i| set[i] < k - m + i) else {
            return out;
        };
        set[i] += 1;
        for j in i + 1..m {
            set[j] = set[j - 1] + 1;
        }
    }
}

/// The labels of a stratum-batch of n units under randomizr's `complete_ra` rule
/// (docs/randomization.md §4a; randomizr's R/complete_ra.R, "prob_each"), listed arm by arm
/// before the shuffle. Arm a's target is n·rₐ/R; it first gets ⌊n·rₐ/R⌋ labels. The remaining
/// M = n − Σ⌊n·rₐ/R⌋ labels go to M distinct arms, arm a with probability fₐ = frac(n·rₐ/R)
/// (these sum to M and each is below 1), so arm a's count is its target's floor or ceiling and
/// its expected count is exactly n·rₐ/R: every unit has probability rₐ/R. The M arms are chosen
/// by systematic sampling (Madow 1949), whose inclusion probabilities are exactly the fₐ, in
/// integers: with cₐ = (n·rₐ) mod R and Cₐ = c₁ + … + cₐ, draw u = below(R) (no draw when
/// M = 0) and take each arm whose interval [Cₐ₋₁, Cₐ) holds one of u, u + R, …, u + (M−1)R.
/// With two arms this is randomizr's two-arm rule exactly (the treated count is the floor or
/// the ceiling, the ceiling with probability frac). With more arms randomizr draws the M arms
/// by R's sequential `sample(replace = FALSE, prob = …)`, whose inclusion probabilities are not
/// exactly the fₐ; the systematic draw keeps randomizr's stated guarantee exactly.
fn randomizr_counts(n: usize, ratios: &[u32], stream: &mut Stream) -> Vec<u32> {
    let total: u64 = ratios.iter().map(|&r| u64::from(r)).sum();
    let floors: u64 = ratios
        .iter()
        .map(|&r| n as u64 * u64::from(r) / total)
        .sum();
    let start = if floors < n as u64 {
        stream.below(total)
    } else {
        0
    };
    randomizr_labels(n, ratios, start)
}

/// The labels of [`randomizr_counts`] for the systematic start `start` in `0..R`: each of the
/// R starts is equally likely, and over them arm a gets its ceiling in exactly (n·rₐ) mod R.
pub(super) fn randomizr_labels(n: usize, ratios: &[u32], start: u64) -> Vec<u32> {
    let total: u64 = ratios.iter().map(|&r| u64::from(r)).sum();
    let targets: Vec<(u64, u64)> = ratios
        .iter()
        .map(|&r| {
            let scaled = n as u64 * u64::from(r);
            (scaled / total, scaled % total)
        })
        .collect();
    let floors: u64 = targets.iter().map(|t| t.0).sum();
    let remainder = n as u64 - floors;
    let mut labels = Vec::with_capacity(n);
    let mut cumulative = 0u64;
    for (a, &(floor, fraction)) in targets.iter().enumerate() {
        // Points u + jR (j < M) in [cumulative, cumulative + fraction): at most one, as
        // fraction < R.
        let low = cumulative;
        cumulative += fraction;
        let hit = (0..remainder)
            .map(|j| start + j * total)
            .any(|point| point >= low && point < cumulative);
        let count = floor + u64::from(hit);
        labels.extend(std::iter::repeat_n(a as u32, count as usize));
    }
    labels
}

/// One arm drawn with the ratios as weights: x = below(R); the first arm whose cumulative
/// ratio exceeds x.
fn weighted(ratios: &[u32], total: u32, stream: &mut Stream) -> u32 {
    let x = stream.below(total as u64) as u32;
    let mut cumulative = 0;
    for (a, &r) in ratios.iter().enumerate() {
        cumulative += r;
        if x < cumulative {
            return a as u32;
        }
    }
    ratios.len() as u32 - 1
}

#[cfg(test)]
mod strata_tests {
    use super::*;

    /// Combined strata are numbered in first-seen order with their keys, by the table of
    /// combinations (few levels) and by the coder of tuples (many) alike.
    #[test]
    fn combined_strata_are_numbered_as_first_seen() {
        for levels in [[3usize, 2, 1], [120, 100, 90]] {
            let n = 5000;
            let mut stream = crate::rng::Stream::new(3, "test/strata");
            let columns: Vec<Vec<String>> = levels
                .iter()
                .map(|&k| {
                    (0..n)
                        .map(|_| format!("v{}", stream.below(k as u64)))
                        .collect()
                })
                .collect();
            let named: Vec<(&str, &[String])> = ["site", "gender", "age"]
                .iter()
                .zip(&columns)
                .map(|(name, c)| (*name, c.as_slice()))
                .collect();
            let (codes, keys) = strata_codes(&named, n);
            let tuples: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        "site={}|gender={}|age={}",
                        columns[0][i], columns[1][i], columns[2][i]
                    )
                })
                .collect();
            let want = Codes::first_seen(tuples.iter().map(String::as_str));
            assert_eq!(codes, want.codes_u32(), "{levels:?}");
            assert_eq!(keys, want.levels, "{levels:?}");
        }
    }
}
