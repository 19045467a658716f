//! Rolling enrolment and verification: given the participants and the rows already in a
//! ledger, re-derive every earlier row batch by batch and assign the new ids as the next batch.
//! Pure: the caller reads the files and maps the unit/row indices of errors to lines.

use super::ledger::{Ledger, LedgerRow, RowView, format_probability};
use super::plan::{Assignment, AssignmentPlan, PlanError, strata_from_codes};
use super::{Design, UNASSIGNED};
use crate::categorical::Codes;
use std::borrow::Cow;
use std::collections::HashMap;

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
    pub ids: &'a [&'a str],
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

/// The outcome of [`reconcile`].
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// Planned units newly assigned (the next batch), in id order.
    new_units: Vec<u32>,
    /// Participant index of each planned unit (None: the identity).
    take: Option<Vec<u32>>,
    assignment: Assignment,
    plan: AssignmentPlan,
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

    /// New row `i` (in id order) as a ledger row view.
    pub fn view<'a>(&'a self, i: usize, participants: &DesignColumns<'a>) -> RowView<'a> {
        let u = self.new_units[i] as usize;
        let p = self.take.as_ref().map_or(u, |t| t[u] as usize);
        let slot = self.assignment.slots[u];
        RowView {
            id: participants.ids[p],
            arm: slot.arm,
            stratum: self.plan.stratum_of(u),
            cluster: participants.cluster.map(|c| c.value(p)),
            probability: self.assignment.probability[u],
            block: slot.block,
            position: slot.position,
            batch: self.batch,
        }
    }

    /// The arm of every new row, in order.
    pub fn arms(&self) -> impl Iterator<Item = u32> + '_ {
        self.new_units
            .iter()
            .map(|&u| self.assignment.slots[u as usize].arm)
    }
}

/// Re-derive the ledger `rows` from `participants` and `design`, and (when `assign_new`) assign
/// the participants not yet in the ledger as batch max+1. Every ledger row must re-derive
/// exactly; the first that does not (in file order) is the error.
pub fn reconcile<'a>(
    design: &Design,
    participants: &DesignColumns<'a>,
    rows: &[LedgerRow],
    assign_new: bool,
) -> Result<Reconciled, RollingError> {
    let mut ledger_index: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        if let Some(&first) = ledger_index.get(row.id.as_str()) {
            return Err(RollingError::DuplicateLedgerId { row: r, first });
        }
        ledger_index.insert(row.id.as_str(), r);
    }
    let next_batch = rows.iter().map(|r| r.batch).max().unwrap_or(0) + 1;
    // Which participants take part in the plan, and their batch.
    let n = participants.ids.len();
    let mut take: Vec<u32> = Vec::with_capacity(n);
    let mut batch: Vec<u32> = Vec::with_capacity(n);
    // The ledger row of each planned unit (NONE: a new participant).
    const NONE: u32 = u32::MAX;
    let mut row_of_unit: Vec<u32> = Vec::with_capacity(n);
    let mut seen = vec![false; rows.len()];
    let mut not_in_ledger = 0;
    for (i, id) in participants.ids.iter().enumerate() {
        match ledger_index.get(id) {
            Some(&r) => {
                take.push(i as u32);
                batch.push(rows[r].batch);
                row_of_unit.push(r as u32);
                seen[r] = true;
            }
            None => {
                not_in_ledger += 1;
                if assign_new {
                    take.push(i as u32);
                    batch.push(next_batch);
                    row_of_unit.push(NONE);
                }
            }
        }
    }
    if let Some(row) = seen.iter().position(|s| !s) {
        return Err(RollingError::MissingId { row });
    }
    // Use the columns as they are when every participant takes part (the usual case), else the
    // subset.
    let take = (take.len() != n).then_some(take);
    let part = |i: usize| take.as_ref().map_or(i, |t| t[i] as usize);
    let subset_ids: Vec<&str>;
    let ids: &[&str] = match &take {
        None => participants.ids,
        Some(t) => {
            subset_ids = t.iter().map(|&i| participants.ids[i as usize]).collect();
            &subset_ids
        }
    };
    let subset = |codes: &'a [u32]| -> Cow<'a, [u32]> {
        match &take {
            None => Cow::Borrowed(codes),
            Some(t) => Cow::Owned(t.iter().map(|&i| codes[i as usize]).collect()),
        }
    };
    let strata_codes: Vec<Cow<[u32]>> = participants
        .strata
        .iter()
        .map(|c| subset(c.codes))
        .collect();
    let strata_columns: Vec<(&str, &[u32], &[String])> = participants
        .strata
        .iter()
        .zip(&strata_codes)
        .map(|(c, codes)| (c.name, codes.as_ref(), c.values))
        .collect();
    let (s_codes, s_keys) = strata_from_codes(&strata_columns, ids.len());
    let cluster_codes = participants.cluster.map(|c| subset(c.codes));
    let plan = AssignmentPlan::new(
        design,
        ids,
        (&s_codes, &s_keys),
        participants
            .cluster
            .zip(cluster_codes.as_ref())
            .map(|(c, codes)| (codes.as_ref(), c.values)),
        &batch,
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
    let assignment = plan.assign(design.seed);
    let derived = |u: usize| -> RowView {
        let slot = assignment.slots[u];
        RowView {
            id: ids[u],
            arm: slot.arm,
            stratum: plan.stratum_of(u),
            cluster: participants.cluster.map(|c| c.value(part(u))),
            probability: assignment.probability[u],
            block: slot.block,
            position: slot.position,
            batch: batch[u],
        }
    };
    // Compare in ledger file order, so the first difference reported is the first in the file.
    let mut unit_of_row = vec![0usize; rows.len()];
    for (u, &r) in row_of_unit.iter().enumerate() {
        if r != NONE {
            unit_of_row[r as usize] = u;
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let d = derived(unit_of_row[r]);
        if let Some((field, expected, found)) = first_field_difference(design, &d, row) {
            return Err(RollingError::Differs {
                row: r,
                field,
                expected,
                found,
            });
        }
    }
    // New rows in id order (the plan already sorted the units by id).
    let new_units: Vec<u32> = plan
        .units_by_id()
        .iter()
        .copied()
        .filter(|&u| row_of_unit[u as usize] == NONE)
        .collect();
    Ok(Reconciled {
        new_units,
        take,
        assignment,
        plan,
        batch: next_batch,
        not_in_ledger,
    })
}

/// The first field in which a ledger row differs from its re-derivation (cheap when equal:
/// text is only made for a difference).
fn first_field_difference(
    design: &Design,
    expected: &RowView,
    found: &LedgerRow,
) -> Option<(&'static str, String, String)> {
    let same_prob = (expected.probability.is_nan() && found.probability.is_nan())
        || expected.probability.to_bits() == found.probability.to_bits();
    if expected.arm == found.arm
        && expected.stratum == &*found.stratum
        && expected.cluster == found.cluster.as_deref()
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
            expected.stratum == &*found.stratum,
            expected.stratum.to_string(),
            found.stratum.to_string(),
        ),
        (
            "cluster",
            expected.cluster == found.cluster.as_deref(),
            expected.cluster.unwrap_or_default().to_string(),
            found.cluster.as_deref().unwrap_or_default().to_string(),
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
