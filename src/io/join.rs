//! Analysis-ready columns for `estimate`: from one CSV file (ad hoc), or joined by id from a
//! study's assignment ledger (one row per assigned person), participants and outcome files.
//! Every cell is checked here, where its file, line and column are known, so the estimators get
//! clean values: covariates and subgroups complete, outcomes numeric (empty = missing), the
//! participation column 0/1, ids in outcome files present in the ledger.

use crate::categorical::{Coder, Codes};
use crate::error::{Error, Location, Result, nearest};
use crate::estimate::weights;
use crate::estimate::{AnalysisData, Covariate, CovariateValues, Factor, Treatment};
use crate::io::source::InputFile;
use crate::io::table::{ColumnRequest, CsvFormat, Table, is_missing, numbers_or_categories};
use std::collections::HashMap;
use std::path::Path;

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
    /// Covariates declared categorical: read as text (each level an indicator) even when their
    /// cells are numbers (codes).
    pub categorical: Vec<String>,
}

impl Request {
    /// The covariates that must hold numbers (those not declared categorical).
    fn numeric_covariates(&self) -> Vec<String> {
        self.covariates
            .iter()
            .filter(|c| !self.categorical.contains(c))
            .cloned()
            .collect()
    }
}

pub use crate::estimate::weights::Ipw;

/// A source of cells: one table, and for every analysis row the table row (None: absent).
struct Source<'a> {
    table: &'a Table,
    /// The table row of each analysis row; None: the same row (a single file).
    rows: Option<Vec<Option<usize>>>,
    /// Number columns handed over whole instead of copied (a single file, a column needed once).
    taken: std::sync::Mutex<HashMap<String, Vec<f64>>>,
}

impl<'a> Source<'a> {
    fn new(table: &'a Table, rows: Option<Vec<Option<usize>>>) -> Source<'a> {
        Source {
            table,
            rows,
            taken: Default::default(),
        }
    }

    fn row(&self, i: usize) -> Option<usize> {
        match &self.rows {
            Some(rows) => rows.get(i).copied().flatten(),
            None => (i < self.table.n_rows()).then_some(i),
        }
    }

    /// Where analysis row `i` of column `name` is, for a message.
    fn location(&self, name: &str, i: usize) -> Location {
        match self.row(i) {
            Some(r) => self.table.location(r, name),
            None => Location::file(self.table.path()).with_field(name),
        }
    }
}

/// Read `names` from `path`: text for `text`, numbers for the rest; a covariate that turns out to
/// hold text is read again as text (it then enters as indicators).
fn read_typed(
    input: &InputFile,
    names: &[String],
    text: &[String],
    covariates: &[String],
    numeric_role: &[String],
) -> Result<Table> {
    let mut as_text: Vec<String> = text.to_vec();
    let path = input.path();
    let bytes = input.bytes();
    // Find the text columns on the first stretch of the file before parsing all of it (a
    // failed attempt on a register extract would cost a full parse). A column that turns to
    // text only further down is still caught by the full parse.
    let probe_end = bytes
        .iter()
        .skip(1 << 16)
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| (1 << 16) + p + 1);
    if probe_end < bytes.len() {
        parse_typed(
            path,
            &bytes[..probe_end],
            input.format(),
            names,
            &mut as_text,
            covariates,
            numeric_role,
        )?;
    }
    parse_typed(
        path,
        bytes,
        input.format(),
        names,
        &mut as_text,
        covariates,
        numeric_role,
    )
}

/// Parse `bytes` with the covariates in `as_text` read as text; a covariate that holds text is
/// added to `as_text` and parsed again.
fn parse_typed(
    path: &Path,
    bytes: &[u8],
    format: CsvFormat,
    names: &[String],
    as_text: &mut Vec<String>,
    covariates: &[String],
    numeric_role: &[String],
) -> Result<Table> {
    loop {
        let requests: Vec<ColumnRequest> = names
            .iter()
            .map(|n| {
                if as_text.contains(n) {
                    ColumnRequest::text(n.clone())
                } else {
                    ColumnRequest::optional_number(n.clone())
                }
            })
            .collect();
        match Table::from_bytes_as(path, bytes, &requests, format) {
            Ok(t) => return Ok(t),
            Err(Error::NotANumber(problem))
                if problem
                    .location
                    .field
                    .as_ref()
                    .is_some_and(|f| covariates.contains(f) && !as_text.contains(f)) =>
            {
                if let Some(f) = problem.location.field.clone() {
                    // A covariate is text only when most of its cells are: a numeric column
                    // with a stray cell is an error naming the cell.
                    if numeric_role.contains(&f) {
                        let cells =
                            Table::from_bytes_as(path, bytes, &[ColumnRequest::text(&f)], format)?;
                        numbers_or_categories(&cells, &f)?;
                    }
                    as_text.push(f);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Columns read as numbers when they hold numbers and as text otherwise: covariates and the
/// categorical columns (arms, subgroups, strata, clusters), whose numbers become labels.
fn fallback_columns(request: &Request) -> Vec<String> {
    let mut t = request.covariates.clone();
    t.push(request.treatment.clone());
    t.extend(request.by.iter().cloned());
    t.extend(request.strata.iter().cloned());
    t.extend(request.cluster.iter().cloned());
    t
}

/// Read every column the request names from one CSV file.
pub fn load_file(path: &Path, request: &Request) -> Result<AnalysisData> {
    load_input(&InputFile::open(path)?, request)
}

/// Read every column the request names from one file already read.
pub fn load_input(input: &InputFile, request: &Request) -> Result<AnalysisData> {
    let path = input.path();
    let headers = input.headers()?;
    let mut names = request_columns(request);
    names.dedup();
    for name in &names {
        check_header(path, &headers, name)?;
    }
    let mut table = read_typed(
        input,
        &names,
        &request.categorical,
        &fallback_columns(request),
        &request.numeric_covariates(),
    )?;
    // Outcome, covariate, weight and participation columns are moved into the analysis data
    // rather than copied when no other role reads them (a million rows: 8 MB each).
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for name in request_roles(request) {
        *uses.entry(name).or_default() += 1;
    }
    let mut taken = HashMap::new();
    for name in request
        .outcomes
        .iter()
        .chain(&request.covariates)
        .chain(&request.weights)
        .chain(&request.participation)
    {
        if uses.get(name.as_str()) == Some(&1)
            && let Some(values) = table.take_number(name)
        {
            taken.insert(name.clone(), values);
        }
    }
    let source = Source::new(&table, None);
    *source.taken.lock().unwrap_or_else(|e| e.into_inner()) = taken;
    let mut sources = HashMap::new();
    for name in &names {
        sources.insert(name.clone(), &source);
    }
    build(request, &sources, table.n_rows())
}

/// Join a study's ledger, participants and outcome files by id. Returns the data and notes for
/// the user (e.g. that IPW weights are used).
pub fn load_study(
    ledger_file: &InputFile,
    participants: Option<&InputFile>,
    outcomes: &[InputFile],
    id: &str,
    request: &Request,
    ipw: Ipw,
) -> Result<(AnalysisData, Vec<String>)> {
    let mut notes = Vec::new();
    let mut request = request.clone();
    request.treatment = LEDGER_ARM.to_string();
    let request = &request;
    let ledger = ledger_file.path();
    let ledger_headers = ledger_file.headers()?;
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
    let ledger_text: Vec<String> = ledger_cols
        .iter()
        .filter(|c| *c != LEDGER_PROBABILITY)
        .cloned()
        .collect();
    let ledger_table = read_typed(ledger_file, &ledger_cols, &ledger_text, &[], &[])?;
    let ids = ledger_table.text(LEDGER_ID)?;
    // The people analysed: every ledger row with an arm. A misfit the design left unassigned
    // (misfits = "missing") has no arm and is in no comparison.
    let arm_cells = ledger_table.text(LEDGER_ARM)?;
    let kept: Vec<usize> = (0..ids.len())
        .filter(|&r| !arm_cells[r].trim().is_empty())
        .collect();
    let n = kept.len();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (r, value) in ids.iter().enumerate() {
        if seen.insert(value.as_str(), r).is_some() {
            return Err(Error::ledger(
                ledger_table.location(r, LEDGER_ID),
                format!("id `{value}` appears twice in the ledger"),
            ));
        }
    }
    // Ledger id → analysis row.
    let position: HashMap<&str, usize> = kept
        .iter()
        .enumerate()
        .map(|(i, &r)| (ids[r].as_str(), i))
        .collect();
    if n < ids.len() {
        notes.push(format!(
            "{} of {} people in the ledger were left unassigned by the design (misfits) and are not analysed",
            ids.len() - n,
            ids.len()
        ));
    }
    // Which file holds each requested column: participants, then outcome files, then the ledger.
    let mut files: Vec<&InputFile> = Vec::new();
    files.extend(participants);
    files.extend(outcomes.iter());
    let headers: Vec<Vec<String>> = files.iter().map(|f| f.headers()).collect::<Result<_>>()?;
    let wanted = request_columns(request);
    let mut per_file: Vec<Vec<String>> = vec![Vec::new(); files.len()];
    let mut in_ledger: Vec<String> = Vec::new();
    for name in &wanted {
        if name == LEDGER_ARM {
            continue; // the assignment always comes from the ledger
        }
        // The join rule (docs/architecture.md): the ledger's own columns from the ledger, every
        // other column from the first of participants, outcome files, and the ledger last.
        let ledger_owned = [LEDGER_PROBABILITY, LEDGER_STRATUM].contains(&name.as_str())
            && ledger_cols.contains(name);
        if ledger_owned {
            in_ledger.push(name.clone());
        } else if let Some(f) = headers.iter().position(|h| h.contains(name)) {
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
            let list: Vec<String> = files
                .iter()
                .map(|f| f.path().display().to_string())
                .collect();
            let mut err = Error::data(
                Location::file(files.first().map_or(ledger, |f| f.path())).with_line(1),
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
        check_header(file.path(), &headers[f], id)?;
        let mut text = vec![id.to_string()];
        text.extend(request.categorical.iter().cloned());
        tables.push(read_typed(
            file,
            &cols,
            &text,
            &fallback_columns(request),
            &request.numeric_covariates(),
        )?);
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
                None if seen.contains_key(value.as_str()) => {} // left unassigned: not analysed
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
                ledger_table.location(kept[i], LEDGER_ID),
                format!(
                    "id `{}` is in the ledger but not in {}",
                    ids[kept[i]],
                    table.path().display()
                ),
            ));
        }
        sources_owned.push(Source::new(table, Some(rows)));
    }
    let ledger_source = Source::new(&ledger_table, Some(kept.iter().map(|&r| Some(r)).collect()));
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
        Some(number_column(
            &ledger_source,
            LEDGER_PROBABILITY,
            n,
            "assignment probability",
        )?)
    } else {
        if ipw == Ipw::On {
            return Err(Error::ledger(
                Location::file(ledger).with_line(1),
                format!("--ipw on needs the ledger's `{LEDGER_PROBABILITY}` column"),
            ));
        }
        None
    };
    let mut data = build(request, &sources, n)?;
    data.ids = Some(kept.iter().map(|&r| ids[r].clone()).collect());
    if let Some(p) = probability {
        for (i, &v) in p.iter().enumerate() {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::ledger(
                    ledger_table.location(kept[i], LEDGER_PROBABILITY),
                    format!("assignment probability {v} is not in (0, 1]"),
                ));
            }
        }
        let varies =
            weights::probabilities_vary(&data.treatment.codes, &p, data.treatment.arms.len());
        if ipw == Ipw::On || varies {
            notes.push(
                "assignment probabilities differ between people: effects are weighted by inverse probabilities (--ipw off to disable)"
                    .to_string(),
            );
            data.weights = Some(weights::inverse_probability_weights(&p));
        }
    }
    Ok((data, notes))
}

/// Every role's column names, with repeats (a column may serve two roles).
fn request_roles(request: &Request) -> Vec<&str> {
    std::iter::once(&request.treatment)
        .chain(&request.outcomes)
        .chain(&request.covariates)
        .chain(&request.by)
        .chain(&request.strata)
        .chain(&request.cluster)
        .chain(&request.weights)
        .chain(&request.participation)
        .map(String::as_str)
        .collect()
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

/// The levels (sorted, byte order: [`crate::categorical`]) and each row's level of a complete
/// text column; an empty cell or a person without a row is an error naming the place.
fn text_codes(
    s: &Source<'_>,
    name: &str,
    n: usize,
    role: &str,
) -> Result<(Vec<String>, Vec<usize>)> {
    if let Ok(numbers) = s.table.number(name) {
        return number_codes(s, numbers, name, n, role);
    }
    let column = s.table.text(name)?;
    let mut coder: Coder<&str> = Coder::new();
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let Some(r) = s.row(i) else {
            return Err(Error::data(
                s.location(name, i),
                format!(
                    "a person in the ledger has no row here; the {role} `{name}` is needed for everyone"
                ),
            ));
        };
        let v = column[r].as_str();
        if is_missing(v) {
            return Err(Error::data(
                s.location(name, i),
                format!("empty cell; the {role} `{name}` must be given for everyone analysed"),
            )
            .with_hint("fill in the value, or leave this column out"));
        }
        codes.push(coder.code(v));
    }
    let sorted = Codes {
        codes,
        levels: coder.into_levels(),
    }
    .into_sorted();
    Ok((
        sorted.levels.into_iter().map(str::to_string).collect(),
        sorted.codes,
    ))
}

/// A categorical column that holds numbers: its distinct values, labelled as written by `{}`
/// (so `1` and `1.0` are the same level), sorted as text like every other level.
fn number_codes(
    s: &Source<'_>,
    column: &[f64],
    name: &str,
    n: usize,
    role: &str,
) -> Result<(Vec<String>, Vec<usize>)> {
    // Coded by value (−0 and 0 alike), labelled by the first value seen.
    let mut coder: Coder<u64> = Coder::new();
    let mut labels: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let value = s.row(i).map_or(f64::NAN, |r| column[r]);
        if value.is_nan() {
            let message = if s.row(i).is_some() {
                format!("empty cell; the {role} `{name}` must be given for everyone analysed")
            } else {
                format!(
                    "a person in the ledger has no row here; the {role} `{name}` is needed for everyone"
                )
            };
            return Err(Error::data(s.location(name, i), message)
                .with_hint("fill in the value, or leave this column out"));
        }
        let code = coder.code((value + 0.0).to_bits());
        if code == labels.len() {
            labels.push(format!("{value}"));
        }
        codes.push(code);
    }
    let sorted = Codes {
        codes,
        levels: labels,
    }
    .into_sorted();
    Ok((sorted.levels, sorted.codes))
}

/// Numbers, NaN where empty or absent.
fn optional_numbers(s: &Source<'_>, name: &str, n: usize) -> Result<Vec<f64>> {
    if let Some(values) = s
        .taken
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(name)
    {
        return Ok(values);
    }
    use rayon::prelude::*;
    let column = s.table.number(name)?;
    Ok((0..n)
        .into_par_iter()
        .map(|i| s.row(i).map_or(f64::NAN, |r| column[r]))
        .collect())
}

/// Numbers that must be present.
fn number_column(s: &Source<'_>, name: &str, n: usize, role: &str) -> Result<Vec<f64>> {
    let values = optional_numbers(s, name, n)?;
    if let Some(i) = values.iter().position(|v| v.is_nan()) {
        return Err(Error::data(
            s.location(name, i),
            format!("empty cell; the {role} `{name}` must be given for everyone analysed"),
        )
        .with_hint("fill in the value, or leave this column out"));
    }
    Ok(values)
}

fn build(request: &Request, sources: &Sources<'_, '_>, n: usize) -> Result<AnalysisData> {
    if n == 0 {
        return Err(Error::compute("no rows to analyse"));
    }
    // Treatment.
    let ts = source(sources, &request.treatment)?;
    let (levels, level_codes) = text_codes(ts, &request.treatment, n, "treatment")?;
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
            let is_bad = |c: usize| levels[c] != "0" && levels[c] != "1";
            if let Some(i) = level_codes.iter().position(|&c| is_bad(c)) {
                let bad = level_codes[i];
                return Err(Error::data(
                    ts.location(&request.treatment, i),
                    format!(
                        "expected a 0/1 treatment, found `{}` (the column has: {})",
                        levels[bad],
                        levels.join(", ")
                    ),
                )
                .with_hint("name the control arm with --control ARM"));
            }
            vec!["0".to_string(), "1".to_string()]
        }
    };
    let remap: Vec<usize> = levels
        .iter()
        .map(|l| arms.iter().position(|a| a == l).unwrap_or(0))
        .collect();
    let treatment = Treatment {
        name: request.treatment.clone(),
        arms,
        codes: level_codes.iter().map(|&c| remap[c]).collect(),
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
        let values = if s.table.number(name).is_ok() {
            CovariateValues::Number(number_column(s, name, n, "covariate")?)
        } else {
            let (levels, codes) = text_codes(s, name, n, "covariate")?;
            CovariateValues::Text(codes.into_iter().map(|c| levels[c].clone()).collect())
        };
        covariates.push(Covariate {
            name: name.clone(),
            values,
        });
    }
    let factor = |name: &str, role: &str| -> Result<Factor> {
        let (levels, codes) = text_codes(source(sources, name)?, name, n, role)?;
        Ok(Factor {
            name: name.to_string(),
            levels,
            codes,
        })
    };
    let by = request
        .by
        .as_deref()
        .map(|b| factor(b, "subgroup"))
        .transpose()?;
    let strata = match request.strata.as_slice() {
        [] => None,
        [one] => Some(factor(one, "stratum")?),
        several => {
            // Combinations of the columns: level indices combined, then labelled `a|b`.
            let parts: Vec<Factor> = several
                .iter()
                .map(|c| factor(c, "stratum"))
                .collect::<Result<_>>()?;
            let labels: Vec<String> = (0..n)
                .map(|i| {
                    parts
                        .iter()
                        .map(|f| f.levels[f.codes[i]].as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect();
            Some(Factor::from_labels(several.join("|"), &labels))
        }
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
            let w = number_column(s, name, n, "weight")?;
            if let Some(i) = w.iter().position(|v| *v <= 0.0) {
                return Err(Error::data(
                    s.location(name, i),
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
            if let Some(i) = v
                .iter()
                .position(|x| !(x.is_nan() || *x == 0.0 || *x == 1.0))
            {
                return Err(Error::data(
                    s.location(name, i),
                    format!("expected 0 or 1 (took part or not), found {}", v[i]),
                ));
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
        ids: None,
    })
}
