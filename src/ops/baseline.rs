//! Baseline balance as a library operation: the participants' covariates (from a file read
//! once) by the ledger's arms, overall and by a subgroup, with the joint F test.

use crate::balance::{Balance, CovariateColumn, balance};
use crate::design::UNASSIGNED;
use crate::design::ledger::Ledger;
use crate::error::Result;
use crate::io::source::InputFile;
use crate::io::table::{ColumnRequest, numbers_or_categories};
use std::collections::HashMap;

/// The balance of a trial, and how many participants were left out (not in the ledger, or
/// left unassigned as misfits).
#[derive(Debug)]
pub struct BalanceOutcome {
    pub balance: Balance,
    pub left_out: usize,
}

/// The balance of `covariates` by the ledger's arms, overall and by `by`. Inference is
/// cluster-robust when `cluster` names a participants column, or else when the ledger records
/// clusters (a cluster design).
pub fn balance_of(
    participants: &InputFile,
    ledger: &Ledger,
    covariates: &[String],
    by: Option<&str>,
    cluster: Option<&str>,
) -> Result<BalanceOutcome> {
    let design = &ledger.design;
    let mut requests = vec![ColumnRequest::text(&design.id)];
    for c in covariates {
        requests.push(ColumnRequest::text(c));
    }
    if let Some(b) = by {
        requests.push(ColumnRequest::text(b));
    }
    if let Some(c) = cluster {
        requests.push(ColumnRequest::text(c));
    }
    let table = participants.table(&requests)?;
    let ids = table.text(&design.id)?;
    let arm_of: HashMap<&str, u32> = ledger.rows.iter().map(|r| (r.id.as_str(), r.arm)).collect();
    let arm: Vec<u32> = ids
        .iter()
        .map(|id| arm_of.get(id.as_str()).copied().unwrap_or(UNASSIGNED))
        .collect();
    let left_out = arm.iter().filter(|&&a| a == UNASSIGNED).count();
    // A column of numbers is numeric, a column of text categorical; a numeric column with a
    // stray cell is an error naming it (io::table::numbers_or_categories).
    let mut numeric: Vec<Option<Vec<f64>>> = Vec::new();
    for c in covariates {
        let parsed = if numbers_or_categories(&table, c)? {
            Some(
                table
                    .text(c)?
                    .iter()
                    .map(|v| table.format().number(v).unwrap_or(f64::NAN))
                    .collect(),
            )
        } else {
            None
        };
        numeric.push(parsed);
    }
    let mut covs: Vec<CovariateColumn> = Vec::new();
    for (c, parsed) in covariates.iter().zip(&numeric) {
        covs.push(match parsed {
            Some(values) => CovariateColumn::Numeric { name: c, values },
            None => CovariateColumn::Categorical {
                name: c,
                values: table.text(c)?,
            },
        });
    }
    let arm_names: Vec<String> = design.arms.iter().map(|a| a.name.clone()).collect();
    let by_values = match by {
        Some(b) => Some((b, table.text(b)?)),
        None => None,
    };
    // Cluster-robust inference when the design assigned clusters (the ledger records each
    // person's cluster).
    let cluster_of: HashMap<&str, &str> = ledger
        .rows
        .iter()
        .filter_map(|r| r.cluster.as_deref().map(|c| (r.id.as_str(), c)))
        .collect();
    let clusters: Option<Vec<String>> = match cluster {
        Some(c) => Some(table.text(c)?.to_vec()),
        None => (!cluster_of.is_empty()).then(|| {
            ids.iter()
                .map(|id| {
                    cluster_of
                        .get(id.as_str())
                        .copied()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        }),
    };
    let balance = balance(
        &covs,
        &arm,
        &arm_names,
        design.control_index(),
        by_values,
        clusters.as_deref(),
    )?;
    Ok(BalanceOutcome { balance, left_out })
}
