//! Indicators with targets for `lotta run` (`[[indicators]]`, `[targets]`): checks that every
//! column the indicators name is in the study's files (blaming the spec key, with the nearest
//! column), reads them through the one id join, bands numeric columns, and calls the core
//! (`targets`) for the indicator, category and monitoring rows.

use crate::categorical::Codes;
use crate::error::{Error, Result, nearest};
use crate::io::join::{Joined, by_requests};
use crate::io::source::StudyInputs;
use crate::io::table::is_missing;
use crate::settings::targets::{Kind, TargetSettings};
use crate::settings::{Origin, Setting};
use crate::spec::Study;
use crate::targets::{
    CategoryRow, CategoryTest, IndicatorRow, MonitoringRow, Persons, band, category_rows,
    cells_with_all, crossing_cells, monitoring_rows, share_rows,
};

/// Everything the indicators computed.
#[derive(Debug, Clone, Default)]
pub struct TargetResults {
    pub indicators: Vec<IndicatorRow>,
    pub categories: Vec<CategoryRow>,
    pub tests: Vec<CategoryTest>,
    pub monitoring: Vec<MonitoringRow>,
    /// The cluster column behind the cluster-robust columns (None: no clusters).
    pub cluster: Option<String>,
    pub notes: Vec<String>,
}

/// The column `name` must be one of `columns` (a band declared in `[targets]` counts too).
fn check_column(name: &str, origin: &Origin, columns: &[String], what: &str) -> Result<()> {
    if columns.iter().any(|c| c == name) {
        return Ok(());
    }
    let mut err = origin.error(format!(
        "{what} `{name}` is not a column of the ledger, participants, outcome or cost files"
    ));
    if let Some(near) = nearest(name, columns.iter().map(String::as_str)) {
        err = err.with_hint(format!("did you mean `{near}`?"));
    }
    Err(err)
}

/// Check, before any work, that every column the indicators name is in the study's files
/// (blaming the spec key, with the nearest column); returns the columns to read, and the
/// cluster column when the files have it.
pub fn check_columns<'s>(
    study: &Study,
    inputs: &StudyInputs,
    settings: &TargetSettings,
    cluster: Option<&'s Setting<String>>,
) -> Result<(Vec<String>, Option<&'s Setting<String>>)> {
    let files = inputs.files(study)?;
    let mut columns: Vec<String> = files.ledger.headers()?;
    for input in files
        .participants
        .into_iter()
        .chain(files.outcomes.iter())
        .chain(files.costs)
    {
        columns.extend(input.headers()?);
    }
    let mut with_bands = columns.clone();
    with_bands.extend(settings.bands.iter().map(|b| b.name.clone()));

    let mut names: Vec<String> = Vec::new();
    let need = |name: &str, names: &mut Vec<String>| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for b in &settings.bands {
        check_column(
            &b.from.value,
            &b.from.origin,
            &columns,
            "band source column",
        )?;
        need(&b.from.value, &mut names);
    }
    let mut subgroup_columns: Vec<(&str, &Origin)> = Vec::new();
    for indicator in &settings.indicators {
        check_column(
            &indicator.outcome.value,
            &indicator.outcome.origin,
            &columns,
            "outcome",
        )?;
        need(&indicator.outcome.value, &mut names);
        for by in &indicator.by {
            subgroup_columns.extend(by.value.iter().map(|c| (c.as_str(), &by.origin)));
        }
    }
    if let Some(m) = &settings.monitoring {
        subgroup_columns.extend(m.value.iter().map(|c| (c.as_str(), &m.origin)));
    }
    for (column, origin) in &subgroup_columns {
        check_column(column, origin, &with_bands, "subgroup column")?;
        if settings.band(column).is_none() {
            need(column, &mut names);
        }
    }
    let cluster = cluster.filter(|c| columns.contains(&c.value));
    if let Some(c) = cluster {
        need(&c.value, &mut names);
    }
    Ok((names, cluster))
}

/// Compute the study's indicators. `arms` are the study's arms in spec order; `cluster` the
/// analysis's cluster column, if any.
pub fn study_targets(
    study: &Study,
    inputs: &StudyInputs,
    settings: &TargetSettings,
    arms: &[String],
    cluster: Option<&Setting<String>>,
) -> Result<TargetResults> {
    let (names, cluster) = check_columns(study, inputs, settings, cluster)?;
    let files = inputs.files(study)?;
    let joined = Joined::study(files, &names, &by_requests(&[]))?;
    let n = joined.len();
    let arm_of: Vec<String> = joined.text(crate::io::join::LEDGER_ARM)?;

    // Numbers of a column read as text (NaN: missing), blaming the cell that is not a number.
    let numbers = |name: &str, what: &str| -> Result<Vec<f64>> {
        let (table, _) = joined.column(name);
        let format = table.format();
        let text = joined.text(name)?;
        text.iter()
            .enumerate()
            .map(|(i, cell)| {
                let cell = cell.trim();
                if is_missing(cell) {
                    return Ok(f64::NAN);
                }
                format.number(cell).ok_or_else(|| {
                    Error::data(
                        joined.location(name, i),
                        format!("`{cell}` in column `{name}` is not a number ({what})"),
                    )
                })
            })
            .collect()
    };
    let column_text = |name: &str| -> Result<Vec<String>> {
        match settings.band(name) {
            Some(b) => Ok(band(&numbers(&b.from.value, "banded")?, &b.breaks)),
            None => Ok(joined
                .text(name)?
                .into_iter()
                .map(|v| {
                    let v = v.trim();
                    if is_missing(v) {
                        String::new()
                    } else {
                        v.to_string()
                    }
                })
                .collect()),
        }
    };
    let clusters: Option<Vec<usize>> = match cluster {
        Some(c) => {
            let text = joined.text(&c.value)?;
            if let Some(i) = text.iter().position(|v| is_missing(v.trim())) {
                return Err(Error::data(
                    joined.location(&c.value, i),
                    format!(
                        "a person{} has no cluster in column `{}`; the cluster-robust indicators need every person's cluster",
                        joined.absent(&c.value, i),
                        c.value
                    ),
                ));
            }
            Some(Codes::sorted(text.iter().map(|v| v.trim().to_string())).codes)
        }
        None => None,
    };

    let mut results = TargetResults {
        cluster: cluster.map(|c| c.value.clone()),
        ..TargetResults::default()
    };
    let crossing = |columns: &[String]| -> Result<Vec<crate::targets::Cell>> {
        let named: Vec<(&str, Vec<String>)> = columns
            .iter()
            .map(|c| column_text(c).map(|v| (c.as_str(), v)))
            .collect::<Result<_>>()?;
        Ok(crossing_cells(&named))
    };

    for indicator in &settings.indicators {
        let chosen: Vec<String> = if indicator.arms.value.is_empty() {
            arms.to_vec()
        } else {
            arms.iter()
                .filter(|a| indicator.arms.value.contains(a))
                .cloned()
                .collect()
        };
        let arm: Vec<Option<usize>> = arm_of
            .iter()
            .map(|a| chosen.iter().position(|c| c == a))
            .collect();
        let persons = Persons {
            arm: &arm,
            arms: &chosen,
            clusters: clusters.as_deref(),
        };
        let crossings = indicator
            .by
            .iter()
            .map(|b| crossing(&b.value))
            .collect::<Result<Vec<_>>>()?;
        let cells = cells_with_all(n, &crossings);
        let outcome = &indicator.outcome.value;
        match indicator.kind {
            Kind::Share => {
                let values = numbers(outcome, "a share indicator's outcome is 0 or 1")?;
                if let Some(i) = values
                    .iter()
                    .position(|v| v.is_finite() && *v != 0.0 && *v != 1.0)
                {
                    return Err(Error::data(
                        joined.location(outcome, i),
                        format!(
                            "`{}` in column `{outcome}` is not 0 or 1; indicator `{}` is the share of persons with the outcome",
                            values[i], indicator.name
                        ),
                    )
                    .with_hint(format!(
                        "recode `{outcome}` to 0/1, or tabulate it with `kind = \"categories\"` ({})",
                        indicator.outcome.origin
                    )));
                }
                results.indicators.extend(share_rows(
                    &indicator.name,
                    indicator.label.as_deref(),
                    outcome,
                    &values,
                    persons,
                    &cells,
                    indicator.target.as_ref().map(|t| t.value),
                    settings.level,
                ));
            }
            Kind::Categories => {
                let values: Vec<String> = column_text(outcome)?
                    .into_iter()
                    .map(|v| {
                        if indicator.exclude.contains(&v) {
                            String::new()
                        } else {
                            v
                        }
                    })
                    .collect();
                let (rows, tests) =
                    category_rows(&indicator.name, outcome, &values, persons, &cells);
                results.categories.extend(rows);
                results.tests.extend(tests);
            }
        }
    }
    if let Some(m) = &settings.monitoring {
        let arm: Vec<Option<usize>> = arm_of
            .iter()
            .map(|a| arms.iter().position(|c| c == a))
            .collect();
        let persons = Persons {
            arm: &arm,
            arms,
            clusters: None,
        };
        let cells = crossing(&m.value)?;
        let missing = (0..n)
            .filter(|&i| !cells.iter().any(|c| c.members[i]))
            .count();
        if missing > 0 {
            results.notes.push(format!(
                "{missing} persons are in no cell of the monitoring table ({}): a value is missing or outside the declared bands",
                m.value.join(" × ")
            ));
        }
        results.monitoring = monitoring_rows(persons, &cells_with_all(n, &[cells]));
    }
    Ok(results)
}
