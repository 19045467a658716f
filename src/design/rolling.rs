//! Rolling enrolment and verification: given the participants and the rows already in a
//! ledger, re-derive every earlier row batch by batch and assign the new ids as the next batch.
//! Pure: the caller reads the files and maps the unit/row indices of errors to lines.

use super::found::FoundRows;
use super::ids::{Cursor, IdList, SortedIds};
use super::ledger::{Ledger, LedgerRow, RowView, format_probability};
use super::plan::{AssignmentPlan, MemberAssignment, PlanError, strata_from_codes};
use super::prefetch::prefetch;
use super::{Design, UNASSIGNED};
use crate::categorical::Codes;

/// A coded column: a code per participant and the value of each code.
#[derive(Debug, Clone, Copy)]
pub struct Coded<'a> {
    pub name: &'a str,
    pub codes: &'a [u32],
    pub values: &'a [String],
}

impl<'a> Coded<'a> {
    fn value(&self, i: usize) -> &'a str {
        self.codes
            .get(i)
            .and_then(|&c| self.values.get(c as usize))
            .map_or("", String::as_str)
    }
}

/// The participants' columns the design needs (input order).
#[derive(Debug, Clone, Copy)]
pub struct DesignColumns<'a> {
    /// The ids: a list, or one buffer read in place ([`super::ids::TextIds`]).
    pub ids: &'a dyn IdList,
    /// The strata columns, in the design's order.
    pub strata: &'a [Coded<'a>],
    pub cluster: Option<Coded<'a>>,
}

/// Why the ledger and the participants do not fit together.
#[derive(Debug, Clone, PartialEq)]
pub enum RollingError {
    /// A participants row cannot be planned (index into the participants).
    Plan(PlanError),
    /// Ledger row `row` (index into the ledger rows) has an id not in the participants.
    MissingId { row: usize },
    /// Ledger row `row` has an id that appears twice in the ledger.
    DuplicateLedgerId { row: usize, first: usize },
    /// Ledger row `row` differs from its re-derivation in `field`.
    Differs {
        row: usize,
        field: &'static str,
        expected: String,
        found: String,
    },
}

/// Where the participants stand in the ledger, built one ledger row at a time in file order:
/// from rows held in memory ([`reconcile`]) or from a ledger streamed from its file, which is
/// never held whole (`ops::verify` at ten million rows).
#[derive(Debug, Clone)]
pub struct Membership {
    n_participants: usize,
    /// Per participant, a bit: whether it has a ledger row; empty until the first row (a first
    /// assign keeps no vector for ten million participants). A bit instead of the row's number
    /// (1.25 MB instead of 40 at ten million): checked for every row read, in ledger (id) order,
    /// so at random among the participants, and a table that fits in the processor's cache
    /// costs no wait on memory (two random writes a row, into the row and batch of each
    /// participant, were a tenth of `verify`, docs/scale.md).
    in_ledger: Vec<u64>,
    /// Per ledger row: its participant.
    participant_of_row: Vec<u32>,
    /// (first row, batch) of each run of ledger rows of one batch, rows ascending (a ledger is
    /// in batch order: one run per batch).
    batch_runs: Vec<(u32, u32)>,
    max_batch: u32,
}

impl Membership {
    const NONE: u32 = u32::MAX;

    /// No ledger rows yet, for `n_participants` participants.
    pub fn new(n_participants: usize) -> Membership {
        Membership {
            n_participants,
            in_ledger: Vec::new(),
            participant_of_row: Vec::new(),
            batch_runs: Vec::new(),
            max_batch: 0,
        }
    }

    /// The next ledger row (number [`Membership::rows`]) belongs to `participant` (None: its id
    /// is not among the participants) and is in batch `batch`.
    pub fn push(&mut self, participant: Option<usize>, batch: u32) -> Result<(), RollingError> {
        let row = self.participant_of_row.len();
        let Some(p) = participant else {
            return Err(RollingError::MissingId { row });
        };
        if self.in_ledger.is_empty() {
            self.in_ledger = vec![0; self.n_participants.div_ceil(64).max(1)];
            // A ledger has at most a row per participant (a longer one fails on a repeat):
            // room for all at once, not copies of a growing vector.
            self.participant_of_row.reserve(self.n_participants);
        }
        if p >= self.n_participants {
            return Err(RollingError::Plan(PlanError::Lengths));
        }
        let (word, bit) = (p / 64, 1u64 << (p % 64));
        if self.in_ledger[word] & bit != 0 {
            // A repeat (rare: an edited ledger): the earlier row is looked for.
            let first = self
                .participant_of_row
                .iter()
                .position(|&q| q as usize == p)
                .unwrap_or(0);
            return Err(RollingError::DuplicateLedgerId { row, first });
        }
        self.in_ledger[word] |= bit;
        if self.batch_runs.last().is_none_or(|&(_, b)| b != batch) {
            self.batch_runs.push((row as u32, batch));
        }
        self.participant_of_row.push(p as u32);
        self.max_batch = self.max_batch.max(batch);
        Ok(())
    }

    /// Ledger rows pushed so far.
    pub fn rows(&self) -> usize {
        self.participant_of_row.len()
    }

    /// The highest batch in the ledger (0 without rows).
    pub fn max_batch(&self) -> u32 {
        self.max_batch
    }

    /// Whether participant `p` has a ledger row.
    fn has_row(&self, p: usize) -> bool {
        self.in_ledger
            .get(p / 64)
            .is_some_and(|&w| w & (1u64 << (p % 64)) != 0)
    }

    /// Each participant's batch: its ledger row's, else `otherwise`. Made after the rows are
    /// read, in one loop of writes that the processor overlaps.
    fn batches(&self, otherwise: u32) -> Vec<u32> {
        let mut batch = vec![otherwise; self.n_participants];
        let rows = self.participant_of_row.len();
        for (i, &(first, b)) in self.batch_runs.iter().enumerate() {
            let end = self
                .batch_runs
                .get(i + 1)
                .map_or(rows, |&(next, _)| next as usize);
            for &p in &self.participant_of_row[first as usize..end] {
                batch[p as usize] = b;
            }
        }
        batch
    }
}

/// How many rows ahead [`Reconciled::views`] starts a row's first reads (the second half as
/// far ahead): enough rows of making and writing to cover a read from memory.
const AHEAD: usize = 32;

/// The outcome of [`reconcile`].
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// Planned units newly assigned (the next batch), in id order.
    new_units: Vec<u32>,
    /// Participant index of each planned unit (None: the identity).
    take: Option<Vec<u32>>,
    /// Planned unit of each participant, when `take` is not the identity
    /// ([`Membership::NONE`]: not planned).
    unit_of: Option<Vec<u32>>,
    assignment: MemberAssignment,
    plan: AssignmentPlan,
    /// The batch of each planned unit.
    unit_batch: Vec<u32>,
    /// The batch number of the new rows.
    pub batch: u32,
    /// Participants not in the ledger (assigned now when `assign_new`, else left out).
    pub not_in_ledger: usize,
}

impl Reconciled {
    /// Number of new rows.
    pub fn len(&self) -> usize {
        self.new_units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.new_units.is_empty()
    }

    /// The row that planned unit `u` re-derives to, without its id (`""`): a ledger row was
    /// matched to its participant by its id, so checking it needs no id, and not fetching it
    /// saves two random reads a row at ten million rows (docs/scale.md).
    fn derived_fields<'a>(&'a self, u: usize, participants: &DesignColumns<'a>) -> RowView<'a> {
        let p = self.participant_of(u);
        let member = self.plan.member_of(u);
        let slot = self.assignment.slot(member);
        RowView {
            id: "",
            arm: slot.arm,
            stratum: self.plan.stratum_of(u),
            cluster: participants.cluster.map(|c| c.value(p)),
            probability: self.assignment.probability(member),
            block: slot.block,
            position: slot.position,
            batch: self.unit_batch[u],
        }
    }

    /// The row that planned unit `u` re-derives to.
    fn derived<'a>(&'a self, u: usize, participants: &DesignColumns<'a>) -> RowView<'a> {
        let p = self.participant_of(u);
        RowView {
            id: participants.ids.id(p),
            ..self.derived_fields(u, participants)
        }
    }

    /// The new rows in id order, as ledger rows, each made as it is taken. The units are in
    /// input order, so each row reads its unit's member, stratum, batch, slot and id at random;
    /// an id takes two reads, one after the other (where it ends, then its text). So the reads
    /// are started ahead ([`prefetch`]: hints that do not hold up the row being made) in two
    /// stages: [`AHEAD`] rows ahead what each row reads first (member, stratum, batch, where the
    /// id is), half as far ahead what those point to (the slot, the id's text), which have
    /// arrived by then. The reads of the rows to come are then in flight while the rows before
    /// are made and written, a few at a time (reading the ids at random was 15% of assigning
    /// ten million, docs/scale.md; started a chunk of 256 rows at a time, the reads queued
    /// behind each other as the plain reads before each chunk had).
    pub fn views<'a>(
        &'a self,
        participants: DesignColumns<'a>,
    ) -> impl Iterator<Item = RowView<'a>> + 'a {
        let units = &self.new_units;
        units.iter().enumerate().map(move |(i, &u)| {
            if i == 0 {
                for &first in units.iter().take(AHEAD) {
                    self.prefetch_first(first, &participants);
                }
                for &first in units.iter().take(AHEAD / 2) {
                    self.prefetch_second(first, &participants);
                }
            }
            if let Some(&later) = units.get(i + AHEAD) {
                self.prefetch_first(later, &participants);
            }
            if let Some(&later) = units.get(i + AHEAD / 2) {
                self.prefetch_second(later, &participants);
            }
            self.derived(u as usize, &participants)
        })
    }

    /// The participant (row of the participants file) of planned unit `u`.
    fn participant_of(&self, u: usize) -> usize {
        self.take.as_ref().map_or(u, |t| t[u] as usize)
    }

    /// Start reading what making unit `u`'s row reads first ([`Reconciled::views`]).
    fn prefetch_first(&self, u: u32, participants: &DesignColumns<'_>) {
        let u = u as usize;
        self.plan.prefetch_unit(u);
        prefetch(self.unit_batch.get(u));
        match &self.take {
            // The participant is read first; where its id is, a stage later.
            Some(take) => prefetch(take.get(u)),
            None => participants.ids.prefetch_place(u),
        }
    }

    /// Start reading what unit `u`'s first reads point to ([`Reconciled::views`]).
    fn prefetch_second(&self, u: u32, participants: &DesignColumns<'_>) {
        let u = u as usize;
        self.assignment.prefetch_slot(self.plan.member_of(u));
        let p = self.participant_of(u);
        if self.take.is_some() {
            participants.ids.prefetch_place(p);
        }
        participants.ids.prefetch_text(p);
    }

    /// The planned unit of ledger row `row`.
    fn unit_of_row(&self, membership: &Membership, row: usize) -> Result<usize, RollingError> {
        let p = membership
            .participant_of_row
            .get(row)
            .map(|&p| p as usize)
            .ok_or(RollingError::Plan(PlanError::Lengths))?;
        Ok(match &self.unit_of {
            None => p,
            Some(unit_of) => unit_of[p] as usize,
        })
    }

    /// The re-derivation of ledger row `row`.
    pub fn derived_row<'a>(
        &'a self,
        participants: &DesignColumns<'a>,
        membership: &Membership,
        row: usize,
    ) -> Result<RowView<'a>, RollingError> {
        let u = self.unit_of_row(membership, row)?;
        Ok(self.derived(u, participants))
    }

    /// Check ledger row `row` (`found`, as read) against its re-derivation.
    pub fn check_row(
        &self,
        design: &Design,
        participants: &DesignColumns,
        membership: &Membership,
        row: usize,
        found: &RowView,
    ) -> Result<(), RollingError> {
        let u = self.unit_of_row(membership, row)?;
        let expected = self.derived_fields(u, participants);
        match first_field_difference(design, &expected, found) {
            None => Ok(()),
            Some((field, expected, found)) => Err(RollingError::Differs {
                row,
                field,
                expected,
                found,
            }),
        }
    }

    /// Whether every row of `found` (the ledger's rows, kept as read) equals its re-derivation:
    /// [`Reconciled::check_row`] of each, in parallel. False also when the rows were not all kept
    /// or there are not `rows` of them; the caller then reads the ledger again and names the
    /// first row that differs, with its line and cells as written.
    pub fn rows_match(
        &self,
        design: &Design,
        participants: &DesignColumns,
        membership: &Membership,
        found: &FoundRows,
        rows: usize,
    ) -> bool {
        use rayon::prelude::*;
        // Rows a chunk at a time, their reads made first as in [`Reconciled::views`]: the rows
        // are in id order and their units in input order, so each row reads its unit's member,
        // stratum and batch, then the member's slot, at random; checked row by row the
        // processor waited for each row's reads in turn (the largest item of `verify` at ten
        // million rows, docs/scale.md).
        const CHUNK: usize = 256;
        found.kept()
            && found.len() == rows
            && membership.rows() == rows
            && (0..rows.div_ceil(CHUNK))
                .into_par_iter()
                .with_min_len(1 << 6)
                .all(|chunk| {
                    let chunk = chunk * CHUNK..rows.min((chunk + 1) * CHUNK);
                    self.read_ahead_rows(membership, chunk.clone());
                    chunk.into_iter().all(|r| {
                        self.check_row(design, participants, membership, r, &found.view(r))
                            .is_ok()
                    })
                })
    }

    /// Read what the re-derivations of ledger rows `rows` read at random, in two short loops
    /// (each unit's member, stratum and batch; then each member's slot), so that the reads of
    /// a chunk are in flight at once and the rows' checks then find them in the cache.
    fn read_ahead_rows(&self, membership: &Membership, rows: std::ops::Range<usize>) {
        let unit = |r: usize| self.unit_of_row(membership, r).unwrap_or(0);
        let first_reads = rows.clone().fold(0usize, |x, r| {
            let u = unit(r);
            x ^ self.plan.member_of(u)
                ^ self.plan.stratum_index(u) as usize
                ^ self.unit_batch.get(u).map_or(0, |&b| b as usize)
        });
        std::hint::black_box(first_reads);
        let second_reads = rows.fold(0u32, |x, r| {
            x ^ self.assignment.slot(self.plan.member_of(unit(r))).arm
        });
        std::hint::black_box(second_reads);
    }

    /// The arm of every new row, in order.
    pub fn arms(&self) -> impl Iterator<Item = u32> + '_ {
        self.new_units
            .iter()
            .map(|&u| self.assignment.slot(self.plan.member_of(u as usize)).arm)
    }
}

/// Re-derive the ledger `rows` from `participants` and `design`, and (when `assign_new`) assign
/// the participants not yet in the ledger as batch max+1. Every ledger row must re-derive
/// exactly; the first that does not (in file order) is the error.
pub fn reconcile(
    design: &Design,
    participants: &DesignColumns,
    rows: &[LedgerRow],
    assign_new: bool,
) -> Result<Reconciled, RollingError> {
    let sorted = SortedIds::new(participants.ids).map_err(RollingError::Plan)?;
    let mut membership = Membership::new(participants.ids.count());
    let mut cursor = Cursor::default();
    for row in rows {
        membership.push(
            sorted.find(participants.ids, &row.id, &mut cursor),
            row.batch,
        )?;
    }
    let reconciled = plan_members(design, participants, &mut membership, sorted, assign_new)?;
    for (r, row) in rows.iter().enumerate() {
        reconciled.check_row(design, participants, &membership, r, &row.view())?;
    }
    Ok(reconciled)
}

/// Plan and draw the participants in the ledger (with their batches) and, when `assign_new`,
/// those not in it yet (as batch max+1): the draw every ledger row must re-derive to
/// ([`Reconciled::check_row`]), and the new rows. `sorted` are the participants' ids sorted
/// (which matched the ledger's rows to them): the plan takes its id order from them instead of
/// sorting again, and the participants' batches from `membership`, which keeps only the rows.
pub fn plan_members(
    design: &Design,
    participants: &DesignColumns,
    membership: &mut Membership,
    sorted: SortedIds,
    assign_new: bool,
) -> Result<Reconciled, RollingError> {
    let next_batch = membership.max_batch + 1;
    let n = participants.ids.count();
    // Each participant's batch: its ledger row's, else the next.
    let mut batch = membership.batches(next_batch);
    let not_in_ledger = (0..n).filter(|&p| !membership.has_row(p)).count();
    // Which participants take part in the plan: all (the usual case: the columns are used as
    // they are), or those in the ledger.
    let take: Option<Vec<u32>> = (!assign_new && not_in_ledger > 0).then(|| {
        (0..n as u32)
            .filter(|&p| membership.has_row(p as usize))
            .collect()
    });
    let unit_of = take.as_ref().map(|t| {
        let mut unit_of = vec![Membership::NONE; n];
        for (u, &p) in t.iter().enumerate() {
            unit_of[p as usize] = u as u32;
        }
        unit_of
    });
    let order: Vec<u32> = match &unit_of {
        None => sorted.into_order(),
        Some(unit_of) => sorted
            .into_order()
            .into_iter()
            .map(|p| unit_of[p as usize])
            .filter(|&u| u != Membership::NONE)
            .collect(),
    };
    if let Some(t) = &take {
        batch = t.iter().map(|&p| batch[p as usize]).collect();
    }
    let part = |i: usize| take.as_ref().map_or(i, |t| t[i] as usize);
    let subset = |codes: &'_ [u32]| -> Vec<u32> {
        match &take {
            None => Vec::new(),
            Some(t) => t.iter().map(|&i| codes[i as usize]).collect(),
        }
    };
    let strata_codes: Vec<Vec<u32>> = participants
        .strata
        .iter()
        .map(|c| subset(c.codes))
        .collect();
    let strata_columns: Vec<(&str, &[u32], &[String])> = participants
        .strata
        .iter()
        .zip(&strata_codes)
        .map(|(c, codes)| {
            let codes = if take.is_some() {
                codes.as_slice()
            } else {
                c.codes
            };
            (c.name, codes, c.values)
        })
        .collect();
    let (s_codes, s_keys) = strata_from_codes(&strata_columns, order.len());
    drop(strata_codes);
    let cluster_codes = participants.cluster.map(|c| subset(c.codes));
    let plan = AssignmentPlan::with_order(
        design,
        (&s_codes, &s_keys),
        participants
            .cluster
            .zip(cluster_codes.as_ref())
            .map(|(c, codes)| {
                let codes = if take.is_some() {
                    codes.as_slice()
                } else {
                    c.codes
                };
                (codes, c.values)
            }),
        &batch,
        order,
    )
    .map_err(|e| {
        RollingError::Plan(match e {
            PlanError::EmptyId { unit } => PlanError::EmptyId { unit: part(unit) },
            PlanError::DuplicateId { unit, first } => PlanError::DuplicateId {
                unit: part(unit),
                first: part(first),
            },
            PlanError::ClusterSpansStrata { unit, first } => PlanError::ClusterSpansStrata {
                unit: part(unit),
                first: part(first),
            },
            PlanError::BatchZero { unit } => PlanError::BatchZero { unit: part(unit) },
            PlanError::Lengths => PlanError::Lengths,
        })
    })?;
    drop(s_codes);
    let assignment = plan.assign_members(design.seed);
    // New rows in id order (the plan already sorted the units by id).
    let new_units: Vec<u32> = plan
        .units_by_id()
        .iter()
        .copied()
        .filter(|&u| !membership.has_row(part(u as usize)))
        .collect();
    Ok(Reconciled {
        new_units,
        take,
        unit_of,
        assignment,
        plan,
        unit_batch: batch,
        batch: next_batch,
        not_in_ledger,
    })
}

/// The first field in which a ledger row differs from its re-derivation (cheap when equal:
/// text is only made for a difference).
fn first_field_difference(
    design: &Design,
    expected: &RowView,
    found: &RowView,
) -> Option<(&'static str, String, String)> {
    let same_prob = (expected.probability.is_nan() && found.probability.is_nan())
        || expected.probability.to_bits() == found.probability.to_bits();
    if expected.arm == found.arm
        && expected.stratum == found.stratum
        && expected.cluster == found.cluster
        && same_prob
        && expected.block == found.block
        && expected.position == found.position
        && expected.batch == found.batch
    {
        return None;
    }
    let arm = |a: u32| {
        if a == UNASSIGNED {
            "(unassigned)".to_string()
        } else {
            design
                .arms
                .get(a as usize)
                .map_or(String::new(), |x| x.name.clone())
        }
    };
    let prob = |p: f64| format_probability(p);
    let same_prob = (expected.probability.is_nan() && found.probability.is_nan())
        || expected.probability.to_bits() == found.probability.to_bits();
    let checks: [(&'static str, bool, String, String); 7] = [
        (
            "arm",
            expected.arm == found.arm,
            arm(expected.arm),
            arm(found.arm),
        ),
        (
            "stratum",
            expected.stratum == found.stratum,
            expected.stratum.to_string(),
            found.stratum.to_string(),
        ),
        (
            "cluster",
            expected.cluster == found.cluster,
            expected.cluster.unwrap_or_default().to_string(),
            found.cluster.unwrap_or_default().to_string(),
        ),
        (
            "probability",
            same_prob,
            prob(expected.probability),
            prob(found.probability),
        ),
        (
            "block",
            expected.block == found.block,
            expected.block.to_string(),
            found.block.to_string(),
        ),
        (
            "position",
            expected.position == found.position,
            expected.position.to_string(),
            found.position.to_string(),
        ),
        (
            "batch",
            expected.batch == found.batch,
            expected.batch.to_string(),
            found.batch.to_string(),
        ),
    ];
    checks
        .into_iter()
        .find(|(_, same, _, _)| !same)
        .map(|(f, _, e, g)| (f, e, g))
}

/// The plan of a ledger's units, from the ledger alone (ids, stratum keys, clusters, batches):
/// `plan.draw(design.seed, "assign")` reproduces the ledger's arms, and
/// `plan.draw(seed, "ri/draw=17")` is a re-run of the study's own procedure for randomization
/// inference. Arms come back in ledger row order.
pub fn plan_from_ledger(ledger: &Ledger) -> Result<AssignmentPlan, PlanError> {
    let ids: Vec<&str> = ledger.rows.iter().map(|r| r.id.as_str()).collect();
    // Strata and clusters numbered in first-seen order (the plan sorts them by key and name).
    let interned = |coded: Codes<&str>| -> (Vec<u32>, Vec<String>) {
        (
            coded.codes_u32(),
            coded.levels.into_iter().map(str::to_string).collect(),
        )
    };
    let (codes, keys) = interned(Codes::first_seen(
        ledger.rows.iter().map(|r| r.stratum.as_ref()),
    ));
    let clusters: Option<(Vec<u32>, Vec<String>)> = ledger.design.cluster.as_ref().map(|_| {
        interned(Codes::first_seen(
            ledger
                .rows
                .iter()
                .map(|r| r.cluster.as_deref().unwrap_or("")),
        ))
    });
    let batch: Vec<u32> = ledger.rows.iter().map(|r| r.batch).collect();
    AssignmentPlan::new(
        &ledger.design,
        &ids,
        (&codes, &keys),
        clusters.as_ref().map(|(c, n)| (c.as_slice(), n.as_slice())),
        &batch,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Membership by bits: rows at the words' edges, a repeat named with its first row, an id
    /// not among the participants, a participant past the end, and each participant's batch
    /// from runs of rows (batches out of order too, as in an edited ledger).
    #[test]
    fn membership_finds_repeats_and_gives_each_participant_its_batch() {
        let n = 130;
        let mut m = Membership::new(n);
        let rows = [
            (63, 1),
            (64, 1),
            (0, 1),
            (129, 2),
            (65, 2),
            (1, 1),
            (127, 3),
        ];
        for &(p, b) in &rows {
            m.push(Some(p), b).unwrap();
        }
        assert_eq!(m.rows(), rows.len());
        assert_eq!(m.max_batch(), 3);
        for p in 0..n {
            assert_eq!(m.has_row(p), rows.iter().any(|&(q, _)| q == p), "{p}");
        }
        let batch = m.batches(9);
        for (p, &b) in batch.iter().enumerate() {
            let want = rows.iter().find(|&&(q, _)| q == p).map_or(9, |&(_, b)| b);
            assert_eq!(b, want, "{p}");
        }
        assert_eq!(
            m.clone().push(Some(129), 2),
            Err(RollingError::DuplicateLedgerId { row: 7, first: 3 })
        );
        assert_eq!(
            m.clone().push(Some(63), 1),
            Err(RollingError::DuplicateLedgerId { row: 7, first: 0 })
        );
        assert_eq!(
            m.clone().push(None, 1),
            Err(RollingError::MissingId { row: 7 })
        );
        assert_eq!(
            m.clone().push(Some(n), 1),
            Err(RollingError::Plan(PlanError::Lengths))
        );
        let empty = Membership::new(3);
        assert!(!empty.has_row(0));
        assert_eq!(empty.batches(1), vec![1, 1, 1]);
    }
}
