//! Rolling enrolment and verification: given the participants and the rows already in a
//! ledger, re-derive every earlier row batch by batch and assign the new ids as the next batch.
//! Pure: the caller reads the files and maps the unit/row indices of errors to lines.

use super::plan::{Plan, PlanError, intern, strata_codes};
use super::{Design, UNASSIGNED};
use crate::io::ledger::{LedgerRow, RowView};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;

/// The participants' columns the design needs (input order).
#[derive(Debug, Clone, Copy)]
pub struct Participants<'a> {
    pub ids: &'a [String],
    /// (column name, values) per strata column, in the design's order.
    pub strata: &'a [(&'a str, &'a [String])],
    pub cluster: Option<&'a [String]>,
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

/// A newly assigned unit; its text comes from the participants (kept compact for millions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewRow {
    /// Index into the participants.
    pub participant: usize,
    pub arm: u32,
    pub probability: f64,
    pub block: u32,
    pub position: u32,
    /// Index into [`Reconciled::stratum_keys`].
    pub stratum: u32,
}

/// The outcome of [`reconcile`].
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// New rows (the next batch), sorted by id.
    pub new_rows: Vec<NewRow>,
    pub stratum_keys: Vec<String>,
    /// The batch number of the new rows.
    pub batch: u32,
    /// Participants not in the ledger (assigned now when `assign_new`, else left out).
    pub not_in_ledger: usize,
}

impl Reconciled {
    /// New row `i` as a ledger row view.
    pub fn view<'a>(&'a self, i: usize, participants: &Participants<'a>) -> RowView<'a> {
        let r = &self.new_rows[i];
        RowView {
            id: &participants.ids[r.participant],
            arm: r.arm,
            stratum: self
                .stratum_keys
                .get(r.stratum as usize)
                .map_or("", String::as_str),
            cluster: participants.cluster.map(|c| c[r.participant].as_str()),
            probability: r.probability,
            block: r.block,
            position: r.position,
            batch: self.batch,
        }
    }
}

/// Re-derive the ledger `rows` from `participants` and `design`, and (when `assign_new`) assign
/// the participants not yet in the ledger as batch max+1. Every ledger row must re-derive
/// exactly; the first that does not (in file order) is the error.
pub fn reconcile<'a>(
    design: &Design,
    participants: &Participants<'a>,
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
    let mut take: Vec<usize> = Vec::with_capacity(n);
    let mut batch: Vec<u32> = Vec::with_capacity(n);
    // The ledger row of each planned unit (NONE: a new participant).
    const NONE: u32 = u32::MAX;
    let mut row_of_unit: Vec<u32> = Vec::with_capacity(n);
    let mut seen = vec![false; rows.len()];
    let mut not_in_ledger = 0;
    for (i, id) in participants.ids.iter().enumerate() {
        match ledger_index.get(id.as_str()) {
            Some(&r) => {
                take.push(i);
                batch.push(rows[r].batch);
                row_of_unit.push(r as u32);
                seen[r] = true;
            }
            None => {
                not_in_ledger += 1;
                if assign_new {
                    take.push(i);
                    batch.push(next_batch);
                    row_of_unit.push(NONE);
                }
            }
        }
    }
    if let Some(row) = seen.iter().position(|s| !s) {
        return Err(RollingError::MissingId { row });
    }
    let all = take.len() == n;
    // Borrow the columns when every participant takes part (the usual case), else copy the subset.
    let pick = |v: &'a [String]| -> Cow<'a, [String]> {
        if all {
            Cow::Borrowed(v)
        } else {
            Cow::Owned(take.iter().map(|&i| v[i].clone()).collect())
        }
    };
    let ids = pick(participants.ids);
    let strata_values: Vec<Cow<[String]>> =
        participants.strata.iter().map(|(_, v)| pick(v)).collect();
    let strata_columns: Vec<(&str, &[String])> = participants
        .strata
        .iter()
        .zip(&strata_values)
        .map(|((name, _), v)| (*name, v.as_ref()))
        .collect();
    let (s_codes, s_keys) = strata_codes(&strata_columns, ids.len());
    let cluster_values = participants.cluster.map(pick);
    let clusters = cluster_values.as_ref().map(|v| intern(v.as_ref()));
    let plan = Plan::new(
        design,
        &ids,
        (&s_codes, &s_keys),
        clusters.as_ref().map(|(c, n)| (c.as_slice(), n.as_slice())),
        &batch,
    )
    .map_err(|e| {
        RollingError::Plan(match e {
            PlanError::EmptyId { unit } => PlanError::EmptyId { unit: take[unit] },
            PlanError::DuplicateId { unit, first } => PlanError::DuplicateId {
                unit: take[unit],
                first: take[first],
            },
            PlanError::ClusterSpansStrata { unit, first } => PlanError::ClusterSpansStrata {
                unit: take[unit],
                first: take[first],
            },
            PlanError::BatchZero { unit } => PlanError::BatchZero { unit: take[unit] },
        })
    })?;
    let assignment = plan.assign(design.seed);
    let derived = |u: usize| -> LedgerRow {
        let slot = assignment.slots[u];
        LedgerRow {
            id: ids[u].clone(),
            arm: slot.arm,
            stratum: plan.stratum_of(u).to_string(),
            cluster: cluster_values.as_ref().map(|c| c[u].clone()),
            probability: assignment.probability[u],
            block: slot.block,
            position: slot.position,
            batch: batch[u],
            line: 0,
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
    let mut new_rows: Vec<NewRow> = row_of_unit
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == NONE)
        .map(|(u, _)| {
            let slot = assignment.slots[u];
            NewRow {
                participant: take[u],
                arm: slot.arm,
                probability: assignment.probability[u],
                block: slot.block,
                position: slot.position,
                stratum: plan.stratum_index(u),
            }
        })
        .collect();
    new_rows.par_sort_unstable_by(|a, b| {
        participants.ids[a.participant].cmp(&participants.ids[b.participant])
    });
    Ok(Reconciled {
        new_rows,
        stratum_keys: plan.stratum_keys().to_vec(),
        batch: next_batch,
        not_in_ledger,
    })
}

fn first_field_difference(
    design: &Design,
    expected: &LedgerRow,
    found: &LedgerRow,
) -> Option<(&'static str, String, String)> {
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
    let prob = |p: f64| crate::io::ledger::format_probability(p);
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
            expected.stratum.clone(),
            found.stratum.clone(),
        ),
        (
            "cluster",
            expected.cluster == found.cluster,
            expected.cluster.clone().unwrap_or_default(),
            found.cluster.clone().unwrap_or_default(),
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
