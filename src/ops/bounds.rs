//! Lee (2009) attrition bounds of a study or of one data file (`lotta bounds`, and the "Attrition
//! bounds" part of `lotta run`): the settings' columns read and joined by id ([`Joined`]), every
//! observed-when cell checked where its file, line and column are known, then for every compared
//! arm against control, every bounded outcome, overall and in each subgroup: the plain bounds
//! and, with cells, the bounds tightened within them (`crate::estimate::bounds`).

use crate::error::{Error, Result};
use crate::estimate::bounds::{BoundsSample, lee_bounds};
use crate::io::join::Joined;
use crate::io::manifest::FileHash;
use crate::io::source::{InputFile, StudyInputs};
use crate::io::table::ColumnRequest;
use crate::settings::bounds::BoundsSettings;
use crate::spec::Study;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::tidy::bounds::{BoundsRow, bounds_frame};

/// Everything `bounds` computed.
#[derive(Debug, Clone)]
pub struct BoundsResults {
    pub rows: Vec<BoundsRow>,
    pub control_arm: String,
    pub inputs: Vec<FileHash>,
}

/// The bounds of a study (files opened once in `inputs`): arms from the ledger.
pub fn study_bounds(
    study: &Study,
    inputs: &StudyInputs,
    settings: &BoundsSettings,
) -> Result<BoundsResults> {
    let requests = requests(settings);
    let joined = Joined::study_columns(inputs.files(study)?, &requests)?;
    analyse(settings, &joined)
}

/// The bounds in one data file (ad hoc).
pub fn file_bounds(input: &InputFile, settings: &BoundsSettings) -> Result<BoundsResults> {
    let requests = requests(settings);
    let joined = Joined::file_columns(input, &requests)?;
    analyse(settings, &joined)
}

/// The columns the settings use, each once: arm, outcomes, observed-when columns, cells, subgroup.
fn requests(s: &BoundsSettings) -> Vec<ColumnRequest> {
    let mut requests = vec![ColumnRequest::text(s.treatment.value.clone())];
    for o in &s.outcomes.value {
        requests.push(ColumnRequest::optional_number(o.clone()));
    }
    for c in s.observed_when.value.values() {
        requests.push(ColumnRequest::optional_number(c.clone()));
    }
    for c in s.cells.value.iter().chain(s.by.iter().map(|b| &b.value)) {
        requests.push(ColumnRequest::text(c.clone()));
    }
    let mut seen = BTreeSet::new();
    requests.retain(|r| seen.insert(r.name.clone()));
    requests
}

/// Who is observed for `outcome`: its observed-when column is 1 (0: not observed; anything else
/// is an error at the cell), else the outcome is given. An observed person without the outcome
/// is an error.
fn observed(s: &BoundsSettings, joined: &Joined, outcome: &str, y: &[f64]) -> Result<Vec<bool>> {
    let Some(column) = s.observed_when.value.get(outcome) else {
        return Ok(y.iter().map(|v| !v.is_nan()).collect());
    };
    let flag = joined.number(column)?;
    let mut out = Vec::with_capacity(flag.len());
    for (i, &f) in flag.iter().enumerate() {
        let seen = match f {
            1.0 => true,
            0.0 => false,
            _ => {
                return Err(Error::data(
                    joined.location(column, i),
                    format!(
                        "`{column}` says whether `{outcome}` is observed and must be 0 or 1, not {}",
                        if f.is_nan() { "missing".to_string() } else { f.to_string() }
                    ),
                )
                .with_hint("code the person as 0 (not observed) or 1 (observed)"));
            }
        };
        if seen && y[i].is_nan() {
            return Err(Error::data(
                joined.location(outcome, i),
                format!("`{column}` = 1 says `{outcome}` is observed here, but it is missing"),
            )
            .with_hint(format!("give the value, or set `{column}` to 0")));
        }
        out.push(seen);
    }
    Ok(out)
}

/// Each person's cell: the combination of the cells' columns, numbered in sorted order.
fn cells_of(s: &BoundsSettings, joined: &Joined) -> Result<Vec<u32>> {
    let columns: Vec<Vec<&str>> = s
        .cells
        .value
        .iter()
        .map(|c| joined.text_refs(c))
        .collect::<Result<_>>()?;
    let keys: Vec<Vec<&str>> = (0..joined.len())
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect();
    let numbers: BTreeMap<&Vec<&str>, u32> = keys
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(k, key)| (key, k as u32))
        .collect();
    Ok(keys.iter().map(|k| numbers[k]).collect())
}

fn analyse(s: &BoundsSettings, joined: &Joined) -> Result<BoundsResults> {
    let arm = joined.text_refs(&s.treatment.value)?;
    let assigned: Vec<usize> = (0..joined.len())
        .filter(|&i| !arm[i].trim().is_empty())
        .collect();
    let levels: BTreeSet<&str> = assigned.iter().map(|&i| arm[i]).collect();
    let (control, compared) =
        crate::ops::arms::control_and_compared(&levels, s.control.as_ref(), || {
            joined.location(&s.treatment.value, 0).with_line(1)
        })?;
    let cell = cells_of(s, joined)?;
    let plain = vec![0u32; joined.len()];
    let by =
        s.by.as_ref()
            .map(|b| joined.text_refs(&b.value))
            .transpose()?;
    let mut groups: Vec<(String, Vec<usize>)> = vec![("all".to_string(), assigned.clone())];
    if let (Some(b), Some(values)) = (&s.by, &by) {
        let mut levels: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &assigned {
            levels.entry(values[i]).or_default().push(i);
        }
        for (level, rows) in levels {
            groups.push((format!("{}={level}", b.value), rows));
        }
    }
    let cells_label = if s.cells.value.is_empty() {
        None
    } else {
        Some(s.cells.value.join(" × "))
    };
    let mut rows = Vec::new();
    for outcome in &s.outcomes.value {
        let y = joined.number(outcome)?;
        let seen = observed(s, joined, outcome, &y)?;
        for treated in &compared {
            for (label, members) in &groups {
                let pair: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| arm[i] == control || arm[i] == treated.as_str())
                    .collect();
                let pick_f = |v: &[f64]| pair.iter().map(|&i| v[i]).collect::<Vec<f64>>();
                let outcome_values = pick_f(&y);
                let observed_values: Vec<bool> = pair.iter().map(|&i| seen[i]).collect();
                let is_treated: Vec<bool> =
                    pair.iter().map(|&i| arm[i] == treated.as_str()).collect();
                let variants = std::iter::once(("none".to_string(), &plain))
                    .chain(cells_label.clone().map(|l| (l, &cell)));
                for (cells_name, cell_of) in variants {
                    let cell_values: Vec<u32> = renumber(pair.iter().map(|&i| cell_of[i]));
                    let bounds = lee_bounds(
                        BoundsSample {
                            outcome: &outcome_values,
                            observed: &observed_values,
                            treated: &is_treated,
                            cell: &cell_values,
                        },
                        s.level,
                    )
                    .map_err(|e| e.to_string());
                    let mut notes = Vec::new();
                    if let Ok(b) = &bounds
                        && b.n_observed == b.n
                    {
                        notes.push(
                            "no outcome is missing: the bounds are the difference in means"
                                .to_string(),
                        );
                    }
                    rows.push(BoundsRow {
                        outcome: outcome.clone(),
                        observed_when: s.observed_when.value.get(outcome).cloned(),
                        subgroup: label.clone(),
                        arm: treated.clone(),
                        control_arm: control.clone(),
                        cells: cells_name,
                        bounds,
                        incremental_cost: None,
                        notes,
                    });
                }
            }
        }
    }
    Ok(BoundsResults {
        rows,
        control_arm: control,
        inputs: joined.inputs().to_vec(),
    })
}

/// Cell numbers made dense (0..k) within one comparison's persons.
fn renumber(cells: impl Iterator<Item = u32>) -> Vec<u32> {
    let cells: Vec<u32> = cells.collect();
    let dense: BTreeMap<u32, u32> = cells
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(k, c)| (c, k as u32))
        .collect();
    cells.iter().map(|c| dense[c]).collect()
}
