//! Analysis-ready columns for `estimate`: from one CSV file (ad hoc), or joined by id from a
//! study's assignment ledger (one row per assigned person), participants and outcome files.
//! Every cell is checked here, where its file, line and column are known, so the estimators get
//! clean values: covariates and subgroups complete, outcomes numeric (empty = missing), the
//! participation column 0/1, ids in outcome files present in the ledger.

use crate::error::{Error, Location, Result, nearest};
use crate::estimate::{AnalysisData, Assignment, Covariate, CovariateValues, Factor};
use crate::io::table::{ColumnRequest, Table, is_missing, read_headers};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The ledger's column names (written by `lotta assign`).
pub const LEDGER_ID: &str = "id";
pub const LEDGER_ARM: &str = "arm";
pub const LEDGER_PROBABILITY: &str = "probability";
pub const LEDGER_STRATUM: &str = "stratum";

/// Which columns the analysis uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    pub outcomes: Vec<String>,
    /// The treatment column: 0/1, or arms (then `control` names the control arm).
    pub treatment: String,
    pub control: Option<String>,
    pub covariates: Vec<String>,
    pub by: Option<String>,
    /// Columns whose combinations are the strata.
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    /// A column of weights (ad hoc; with a study, IPW weights come from the ledger).
    pub weights: Option<String>,
    pub participation: Option<String>,
}

/// Whether to weight by inverse assignment probabilities from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ipw {
    /// Weight when the ledger's probabilities of an arm differ between people.
    #[default]
    Auto,
    On,
    Off,
}

/// A source of cells: one table, and for every analysis row the table row (None: absent).
struct Source<'a> {
    table: &'a Table,
    rows: Vec<Option<usize>>,
}

impl Source<'_> {
    fn cell(&self, name: &str, row: usize) -> Result<Option<(&str, Location)>> {
        let column = self.table.text(name)?;
        Ok(match self.rows.get(row).copied().flatten() {
            Some(r) => Some((column[r].as_str(), self.table.location(r, name))),
            None => None,
        })
    }
}

/// Read every column the request names from one CSV file.
pub fn load_file(path: &Path, request: &Request) -> Result<AnalysisData> {
    let headers = read_headers(path)?;
    let mut names = request_columns(request);
    names.dedup();
    for name in &names {
        check_header(path, &headers, name)?;
    }
    let table = Table::read(path, &text_requests(&names))?;
    let source = Source {
        table: &table,
        rows: (0..table.n_rows()).map(Some).collect(),
    };
    let mut sources = HashMap::new();
    for name in &names {
        sources.insert(name.clone(), &source);
    }
    build(request, &sources, table.n_rows(), None)
}

/// Join a study's ledger, participants and outcome files by id. Returns the data and notes for
/// the user (e.g. that IPW weights are used).
pub fn load_study(
    ledger: &Path,
    participants: Option<&Path>,
    outcomes: &[PathBuf],
    id: &str,
    request: &Request,
    ipw: Ipw,
) -> Result<(AnalysisData, Vec<String>)> {
    let mut notes = Vec::new();
    let mut request = request.clone();
    request.treatment = LEDGER_ARM.to_string();
    let request = &request;
    let ledger_headers = read_headers(ledger)?;
    for name in [LEDGER_ID, LEDGER_ARM] {
        check_header(ledger, &ledger_headers, name)?;
    }
    let has_probability = ledger_headers.iter().any(|h| h == LEDGER_PROBABILITY);
    let ledger_cols: Vec<String> = ledger_headers
        .iter()
        .filter(|h| {
            [LEDGER_ID, LEDGER_ARM, LEDGER_PROBABILITY, LEDGER_STRATUM].contains(&h.as_str())
        })
        .cloned()
        .collect();
    let ledger_table = Table::read(ledger, &text_requests(&ledger_cols))?;
    let ids = ledger_table.text(LEDGER_ID)?;
    let n = ids.len();
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, value) in ids.iter().enumerate() {
        if position.insert(value.as_str(), i).is_some() {
            return Err(Error::ledger(
                ledger_table.location(i, LEDGER_ID),
                format!("id `{value}` appears twice in the ledger"),
            ));
        }
    }
    // Which file holds each requested column: participants, then outcome files, then the ledger.
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(p) = participants {
        files.push(p.to_path_buf());
    }
    files.extend(outcomes.iter().cloned());
    let headers: Vec<Vec<String>> = files
        .iter()
        .map(|f| read_headers(f))
        .collect::<Result<_>>()?;
    let wanted = request_columns(request);
    let mut per_file: Vec<Vec<String>> = vec![Vec::new(); files.len()];
    let mut in_ledger: Vec<String> = Vec::new();
    for name in &wanted {
        if name == LEDGER_ARM {
            continue; // the assignment always comes from the ledger
        }
        if let Some(f) = headers.iter().position(|h| h.contains(name)) {
            if !per_file[f].contains(name) {
                per_file[f].push(name.clone());
            }
        } else if ledger_cols.contains(name) {
            in_ledger.push(name.clone());
        } else {
            let all: Vec<&str> = headers
                .iter()
                .flatten()
                .chain(ledger_headers.iter())
                .map(String::as_str)
                .collect();
            let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            let mut err = Error::data(
                Location::file(files.first().map_or(ledger, PathBuf::as_path)).with_line(1),
                format!("no column `{name}` in {} or the ledger", list.join(", ")),
            );
            if let Some(s) = nearest(name, all) {
                err = err.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(err);
        }
    }
    let mut tables = Vec::new();
    for (f, file) in files.iter().enumerate() {
        let mut cols = vec![id.to_string()];
        cols.extend(per_file[f].iter().filter(|c| *c != id).cloned());
        check_header(file, &headers[f], id)?;
        tables.push(Table::read(file, &text_requests(&cols))?);
    }
    let mut sources_owned: Vec<Source<'_>> = Vec::new();
    for (f, table) in tables.iter().enumerate() {
        let is_participants = participants.is_some() && f == 0;
        let mut rows = vec![None; n];
        for (r, value) in table.text(id)?.iter().enumerate() {
            match position.get(value.as_str()) {
                Some(&i) => {
                    if rows[i].is_some() {
                        return Err(Error::data(
                            table.location(r, id),
                            format!("id `{value}` appears twice"),
                        ));
                    }
                    rows[i] = Some(r);
                }
                None if is_participants => {} // not (yet) assigned: not analysed
                None => {
                    return Err(Error::data(
                        table.location(r, id),
                        format!("id `{value}` is not in the assignment ledger {}", ledger.display()),
                    )
                    .with_hint("outcomes can only be analysed for assigned people; check the id or the ledger"));
                }
            }
        }
        if is_participants
            && !per_file[f].is_empty()
            && let Some(i) = rows.iter().position(Option::is_none)
        {
            return Err(Error::ledger(
                ledger_table.location(i, LEDGER_ID),
                format!(
                    "id `{}` is in the ledger but not in {}",
                    ids[i],
                    table.path().display()
                ),
            ));
        }
        sources_owned.push(Source { table, rows });
    }
    let ledger_source = Source {
        table: &ledger_table,
        rows: (0..n).map(Some).collect(),
    };
    let mut sources: HashMap<String, &Source<'_>> = HashMap::new();
    for (f, names) in per_file.iter().enumerate() {
        for name in names {
            sources.insert(name.clone(), &sources_owned[f]);
        }
    }
    for name in &in_ledger {
        sources.insert(name.clone(), &ledger_source);
    }
    sources.insert(LEDGER_ARM.to_string(), &ledger_source);
    let probability = if has_probability && ipw != Ipw::Off {
        Some(number_column(&ledger_source, LEDGER_PROBABILITY, n)?)
    } else {
        if ipw == Ipw::On {
            return Err(Error::ledger(
                Location::file(ledger).with_line(1),
                format!("--ipw on needs the ledger's `{LEDGER_PROBABILITY}` column"),
            ));
        }
        None
    };
    let mut data = build(request, &sources, n, None)?;
    if let Some(p) = probability {
        for (i, &v) in p.iter().enumerate() {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::ledger(
                    ledger_table.location(i, LEDGER_PROBABILITY),
                    format!("assignment probability {v} is not in (0, 1]"),
                ));
            }
        }
        let varies = (0..data.treatment.arms.len()).any(|a| {
            let mut ps = data
                .treatment
                .codes
                .iter()
                .zip(&p)
                .filter(|(c, _)| **c == a)
                .map(|(_, v)| *v);
            ps.next()
                .is_some_and(|first| ps.any(|v| (v - first).abs() > 1e-12))
        });
        if ipw == Ipw::On || varies {
            notes.push(
                "assignment probabilities differ between people: effects are weighted by inverse probabilities (--ipw off to disable)"
                    .to_string(),
            );
            data.weights = Some(p.iter().map(|v| 1.0 / v).collect());
        }
    }
    Ok((data, notes))
}

fn request_columns(request: &Request) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |n: &String| {
        if !names.contains(n) {
            names.push(n.clone());
        }
    };
    add(&request.treatment);
    request.outcomes.iter().for_each(&mut add);
    request.covariates.iter().for_each(&mut add);
    request.by.iter().for_each(&mut add);
    request.strata.iter().for_each(&mut add);
    request.cluster.iter().for_each(&mut add);
    request.weights.iter().for_each(&mut add);
    request.participation.iter().for_each(&mut add);
    names
}

fn text_requests(names: &[String]) -> Vec<ColumnRequest> {
    names
        .iter()
        .map(|n| ColumnRequest::text(n.clone()))
        .collect()
}

fn check_header(path: &Path, headers: &[String], name: &str) -> Result<()> {
    if headers.iter().any(|h| h == name) {
        return Ok(());
    }
    let mut err = Error::data(
        Location::file(path).with_line(1),
        format!("no column `{name}`; the header has: {}", headers.join(", ")),
    );
    if let Some(s) = nearest(name, headers.iter().map(String::as_str)) {
        err = err.with_hint(format!("did you mean `{s}`?"));
    }
    Err(err)
}

type Sources<'a, 'b> = HashMap<String, &'b Source<'a>>;

fn source<'a, 'b>(sources: &Sources<'a, 'b>, name: &str) -> Result<&'b Source<'a>> {
    sources
        .get(name)
        .copied()
        .ok_or_else(|| Error::compute(format!("column `{name}` was not read")))
}

/// Complete text cells (empty is an error naming the cell).
fn text_column(s: &Source<'_>, name: &str, n: usize, role: &str) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        match s.cell(name, i)? {
            Some((v, loc)) if is_missing(v) => {
                return Err(Error::data(
                    loc,
                    format!("empty cell; the {role} `{name}` must be given for everyone analysed"),
                )
                .with_hint("fill in the value, or leave this column out"));
            }
            Some((v, _)) => out.push(v.to_string()),
            None => {
                return Err(Error::data(
                    Location::file(s.table.path()).with_field(name),
                    format!(
                        "a person in the ledger has no row here; the {role} `{name}` is needed for everyone"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Numbers, NaN where empty or absent.
fn optional_numbers(s: &Source<'_>, name: &str, n: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(match s.cell(name, i)? {
            None => f64::NAN,
            Some((v, _)) if is_missing(v) => f64::NAN,
            Some((v, loc)) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ => {
                    return Err(Error::data(
                        loc,
                        format!("expected a number (or an empty cell for a missing outcome), found `{v}`"),
                    ));
                }
            },
        });
    }
    Ok(out)
}

fn number_column(s: &Source<'_>, name: &str, n: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        match s.cell(name, i)? {
            Some((v, loc)) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => out.push(x),
                _ => {
                    return Err(Error::data(loc, format!("expected a number, found `{v}`"))
                        .with_hint("every row needs a number here"));
                }
            },
            None => {
                return Err(Error::data(
                    Location::file(s.table.path()).with_field(name),
                    "a person in the ledger has no row here",
                ));
            }
        }
    }
    Ok(out)
}

fn build(
    request: &Request,
    sources: &Sources<'_, '_>,
    n: usize,
    _weights: Option<Vec<f64>>,
) -> Result<AnalysisData> {
    if n == 0 {
        return Err(Error::compute("no rows to analyse"));
    }
    // Treatment.
    let ts = source(sources, &request.treatment)?;
    let labels = text_column(ts, &request.treatment, n, "treatment")?;
    let mut levels: Vec<String> = labels.clone();
    levels.sort_unstable();
    levels.dedup();
    let arms: Vec<String> = match &request.control {
        Some(control) => {
            if !levels.contains(control) {
                return Err(Error::data(
                    Location::file(ts.table.path()).with_field(&request.treatment),
                    format!(
                        "the control arm `{control}` does not occur; the column has: {}",
                        levels.join(", ")
                    ),
                )
                .with_hint("give --control with one of these values"));
            }
            std::iter::once(control.clone())
                .chain(levels.iter().filter(|l| *l != control).cloned())
                .collect()
        }
        None => {
            if levels.iter().all(|l| l == "0" || l == "1") {
                vec!["0".to_string(), "1".to_string()]
            } else {
                let (i, v) = labels
                    .iter()
                    .enumerate()
                    .find(|(_, v)| *v != "0" && *v != "1")
                    .map_or((0, ""), |(i, v)| (i, v.as_str()));
                let loc = ts.cell(&request.treatment, i)?.map(|c| c.1);
                return Err(Error::data(
                    loc.unwrap_or_else(|| Location::file(ts.table.path())),
                    format!(
                        "expected a 0/1 treatment, found `{v}` (the column has: {})",
                        levels.join(", ")
                    ),
                )
                .with_hint("name the control arm with --control ARM"));
            }
        }
    };
    let codes: Vec<usize> = labels
        .iter()
        .map(|l| arms.iter().position(|a| a == l).unwrap_or(0))
        .collect();
    let treatment = Assignment {
        name: request.treatment.clone(),
        arms,
        codes,
    };
    let mut outcomes = Vec::new();
    for name in &request.outcomes {
        outcomes.push((
            name.clone(),
            optional_numbers(source(sources, name)?, name, n)?,
        ));
    }
    let mut covariates = Vec::new();
    for name in &request.covariates {
        let s = source(sources, name)?;
        let cells = text_column(s, name, n, "covariate")?;
        let numbers: Option<Vec<f64>> = cells
            .iter()
            .map(|c| c.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect();
        covariates.push(Covariate {
            name: name.clone(),
            values: match numbers {
                Some(v) => CovariateValues::Number(v),
                None => CovariateValues::Text(cells),
            },
        });
    }
    let factor = |name: &str, role: &str| -> Result<Factor> {
        let cells = text_column(source(sources, name)?, name, n, role)?;
        Ok(Factor::from_labels(name, &cells))
    };
    let by = request
        .by
        .as_deref()
        .map(|b| factor(b, "subgroup"))
        .transpose()?;
    let strata = if request.strata.is_empty() {
        None
    } else {
        let mut combined = vec![String::new(); n];
        for (k, name) in request.strata.iter().enumerate() {
            let cells = text_column(source(sources, name)?, name, n, "stratum")?;
            for (c, v) in combined.iter_mut().zip(cells) {
                if k > 0 {
                    c.push('|');
                }
                c.push_str(&v);
            }
        }
        Some(Factor::from_labels(request.strata.join("|"), &combined))
    };
    let cluster = request
        .cluster
        .as_deref()
        .map(|c| factor(c, "cluster"))
        .transpose()?;
    let weights = match &request.weights {
        None => None,
        Some(name) => {
            let s = source(sources, name)?;
            let w = number_column(s, name, n)?;
            if let Some(i) = w.iter().position(|v| *v <= 0.0) {
                let loc = s.cell(name, i)?.map(|c| c.1);
                return Err(Error::data(
                    loc.unwrap_or_else(|| Location::file(s.table.path())),
                    format!("weight {} is not positive", w[i]),
                ));
            }
            Some(w)
        }
    };
    let participation = match &request.participation {
        None => None,
        Some(name) => {
            let s = source(sources, name)?;
            let v = optional_numbers(s, name, n)?;
            for (i, x) in v.iter().enumerate() {
                if !(x.is_nan() || *x == 0.0 || *x == 1.0) {
                    let loc = s.cell(name, i)?.map(|c| c.1);
                    return Err(Error::data(
                        loc.unwrap_or_else(|| Location::file(s.table.path())),
                        format!("expected 0 or 1 (took part or not), found {x}"),
                    ));
                }
            }
            Some((name.clone(), v))
        }
    };
    Ok(AnalysisData {
        treatment,
        outcomes,
        covariates,
        by,
        strata,
        cluster,
        weights,
        participation,
    })
}
