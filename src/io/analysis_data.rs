//! Analysis-ready columns for `estimate`: from one CSV file (ad hoc), or from a study's files
//! joined by id ([`crate::io::join`]: one row per assigned person).
//! Every cell is checked here, where its file, line and column are known, so the estimators get
//! clean values: subgroups complete, outcomes and covariates numeric or categorical (empty =
//! missing, handled by the estimators), the participation column 0/1, ids in outcome files
//! present in the ledger.

use crate::categorical::{Coder, Codes};
use crate::error::{Error, Location, Result};
use crate::estimate::weights;
use crate::estimate::{
    AnalysisData, Code, Covariate, CovariateValues, Factor, MAX_ROWS, Treatment, narrow,
};
use crate::io::formats::InputKind;
use crate::io::join::{Joined, StudyFiles, check_header};
use crate::io::source::InputFile;
use crate::io::table::{ColumnRequest, MISSING_CODE, Table, is_missing, numbers_or_categories};
use std::collections::HashMap;
use std::path::Path;

use crate::io::join::{LEDGER_ARM, LEDGER_PROBABILITY};

pub use crate::estimate::AnalysisColumns;
pub use crate::estimate::weights::Ipw;

/// A source of cells: one table, and for every analysis row the table row (None: absent).
struct Source<'a> {
    table: &'a Table,
    /// The table row of each analysis row; None: the same row (a single file).
    rows: Option<&'a [Option<usize>]>,
    /// Number columns handed over whole instead of copied (a single file, a column needed once).
    taken: std::sync::Mutex<HashMap<String, Vec<f64>>>,
}

impl<'a> Source<'a> {
    fn new(table: &'a Table, rows: Option<&'a [Option<usize>]>) -> Source<'a> {
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

/// Read `names` from `path`: text for `text` (the join's ids and the ledger's own columns),
/// categories for `categorical`, numbers for the rest; a covariate that turns out to hold text
/// is read again as a category (it then enters as indicators).
fn read_typed(
    input: &InputFile,
    names: &[String],
    text: &[String],
    categorical: &[String],
    covariates: &[String],
    numeric_role: &[String],
) -> Result<Table> {
    let keep_text = text;
    let mut as_text: Vec<String> = categorical.to_vec();
    // A covariate with value labels (Stata) is categorical, whatever its codes.
    for labelled in input.labelled_columns()? {
        if covariates.contains(&labelled) && !as_text.contains(&labelled) {
            as_text.push(labelled);
        }
    }
    let path = input.path();
    if input.kind() != InputKind::Csv {
        // A column of text is tried as numbers on its own first (a Parquet file is decoded
        // again at every try, and a failed try of the whole table would decode every column).
        // An error here is left for the whole table's read to report, as it would have.
        for name in input.text_columns()? {
            if names.contains(&name) && !keep_text.contains(&name) && !as_text.contains(&name) {
                let _ = parse_typed(
                    &|requests| input.table(requests),
                    std::slice::from_ref(&name),
                    keep_text,
                    &mut as_text,
                    covariates,
                    numeric_role,
                );
            }
        }
        return parse_typed(
            &|requests| input.table(requests),
            names,
            keep_text,
            &mut as_text,
            covariates,
            numeric_role,
        );
    }
    let bytes = input.bytes();
    // Find the text columns on the first stretch of the file before parsing all of it (a
    // failed attempt on a register extract would cost a full parse). A column that turns to
    // text only further down is still caught by the full parse.
    let probe_end = bytes
        .iter()
        .skip(1 << 16)
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| (1 << 16) + p + 1);
    let format = input.format();
    if probe_end < bytes.len() {
        parse_typed(
            &|requests| Table::from_bytes_as(path, &bytes[..probe_end], requests, format),
            names,
            keep_text,
            &mut as_text,
            covariates,
            numeric_role,
        )?;
    }
    parse_typed(
        &|requests| input.table(requests),
        names,
        keep_text,
        &mut as_text,
        covariates,
        numeric_role,
    )
}

/// Read the columns with `read` (a file's parser): those in `keep_text` as text, those in
/// `as_text` as categories (coded as they are read), the rest as numbers; a covariate that
/// holds text is added to `as_text` and read again.
fn parse_typed(
    read: &dyn Fn(&[ColumnRequest]) -> Result<Table>,
    names: &[String],
    keep_text: &[String],
    as_text: &mut Vec<String>,
    covariates: &[String],
    numeric_role: &[String],
) -> Result<Table> {
    loop {
        let requests: Vec<ColumnRequest> = names
            .iter()
            .map(|n| {
                if keep_text.contains(n) {
                    ColumnRequest::text(n.clone())
                } else if as_text.contains(n) {
                    ColumnRequest::category(n.clone())
                } else {
                    ColumnRequest::optional_number(n.clone())
                }
            })
            .collect();
        match read(&requests) {
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
                        let cells = read(&[ColumnRequest::text(&f)])?;
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
fn fallback_columns(request: &AnalysisColumns) -> Vec<String> {
    let mut t = request.covariates.clone();
    t.push(request.treatment.clone());
    t.extend(request.subgroup_columns());
    t.extend(request.strata.iter().cloned());
    t.extend(request.cluster.iter().cloned());
    t
}

/// Read every column the request names from one CSV file.
pub fn load_file(path: &Path, request: &AnalysisColumns) -> Result<AnalysisData> {
    load_input(&InputFile::open(path)?, request)
}

/// Read every column the request names from one file already read.
pub fn load_input(input: &InputFile, request: &AnalysisColumns) -> Result<AnalysisData> {
    let headers = input.headers()?;
    let mut names = request_columns(request);
    names.dedup();
    for name in &names {
        check_header(input, &headers, name)?;
    }
    let mut table = read_typed(
        input,
        &names,
        &[],
        &request.categorical,
        &fallback_columns(request),
        &request.numeric_covariates(),
    )?;
    // Outcome, covariate, weight and participation columns are moved into the analysis data
    // rather than copied when no other role reads them (a million rows: 8 MB each).
    let mut uses: HashMap<&str, usize> = HashMap::new();
    let subgroup_columns = request.subgroup_columns();
    for name in request_roles(request, &subgroup_columns) {
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

/// Join a study's files by id ([`crate::io::join`]) and read the request's columns. Returns the
/// data and notes for the user (persons left out, IPW weighting).
pub fn load_study(
    files: StudyFiles<'_>,
    request: &AnalysisColumns,
    ipw: Ipw,
) -> Result<(AnalysisData, Vec<String>)> {
    let mut request = request.clone();
    request.treatment = LEDGER_ARM.to_string();
    let request = &request;
    let ledger_headers = files.ledger.headers()?;
    let has_probability = ledger_headers.iter().any(|h| h == LEDGER_PROBABILITY);
    let mut names = request_columns(request);
    if has_probability && ipw != Ipw::Off {
        names.push(LEDGER_PROBABILITY.to_string());
    }
    let fallback = fallback_columns(request);
    let numeric = request.numeric_covariates();
    let read = |input: &InputFile, columns: &[String], text: &[String]| {
        read_typed(
            input,
            columns,
            text,
            &request.categorical,
            &fallback,
            &numeric,
        )
    };
    let joined = Joined::study(files, &names, &read)?;
    let mut notes = joined.notes().to_vec();
    let n = joined.len();
    let mut sources_owned: HashMap<String, Source<'_>> = HashMap::new();
    for name in &names {
        let (table, rows) = joined.column(name);
        sources_owned.insert(name.clone(), Source::new(table, Some(rows)));
    }
    let sources: Sources<'_, '_> = sources_owned.iter().map(|(k, v)| (k.clone(), v)).collect();
    let probability = if has_probability && ipw != Ipw::Off {
        Some(number_column(
            source(&sources, LEDGER_PROBABILITY)?,
            LEDGER_PROBABILITY,
            n,
            "assignment probability",
        )?)
    } else {
        if ipw == Ipw::On {
            return Err(Error::ledger(
                Location::file(files.ledger.path()).with_line(1),
                format!("--ipw on needs the ledger's `{LEDGER_PROBABILITY}` column"),
            ));
        }
        None
    };
    let mut data = build(request, &sources, n)?;
    data.ids = joined.ids().map(<[String]>::to_vec);
    if let Some(p) = probability {
        for (i, &v) in p.iter().enumerate() {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::ledger(
                    joined.location(LEDGER_PROBABILITY, i),
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
fn request_roles<'a>(request: &'a AnalysisColumns, subgroups: &'a [String]) -> Vec<&'a str> {
    std::iter::once(&request.treatment)
        .chain(&request.outcomes)
        .chain(&request.covariates)
        .chain(subgroups)
        .chain(&request.strata)
        .chain(&request.cluster)
        .chain(&request.weights)
        .chain(&request.participation)
        .map(String::as_str)
        .collect()
}

fn request_columns(request: &AnalysisColumns) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |n: &String| {
        if !names.contains(n) {
            names.push(n.clone());
        }
    };
    add(&request.treatment);
    request.outcomes.iter().for_each(&mut add);
    request.covariates.iter().for_each(&mut add);
    request.subgroup_columns().iter().for_each(&mut add);
    request.strata.iter().for_each(&mut add);
    request.cluster.iter().for_each(&mut add);
    request.weights.iter().for_each(&mut add);
    request.participation.iter().for_each(&mut add);
    names
}

type Sources<'a, 'b> = HashMap<String, &'b Source<'a>>;

fn source<'a, 'b>(sources: &Sources<'a, 'b>, name: &str) -> Result<&'b Source<'a>> {
    sources
        .get(name)
        .copied()
        .ok_or_else(|| Error::compute(format!("column `{name}` was not read")))
}

/// The levels (in level order, [`crate::categorical`]) and each row's level of a complete
/// text column; an empty cell or a person without a row is an error naming the place.
fn text_codes(
    s: &Source<'_>,
    name: &str,
    n: usize,
    role: &str,
) -> Result<(Vec<String>, Vec<Code>)> {
    // A single file's category column: its levels are in the order the rows first have them
    // already, so the codes are sorted into level order in one parallel pass.
    if let (None, Some((file_levels, file_codes))) = (s.rows, s.table.categories(name))
        && file_codes.len() == n
        && !file_codes.contains(&MISSING_CODE)
    {
        use rayon::prelude::*;
        let (levels, rank) = sorted_codes(
            file_levels.to_vec(),
            (0..file_levels.len()).map(Some).collect(),
        );
        let rank: Vec<Code> = narrow(rank.into_iter().flatten());
        let codes = file_codes.par_iter().map(|&c| rank[c as usize]).collect();
        return Ok((levels, codes));
    }
    if let Some(coded) = complete_number_codes(s, name, n) {
        return Ok(coded);
    }
    let (levels, codes) = optional_text_codes(s, name, n)?;
    let codes = codes
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            c.map(|c| c as Code).ok_or_else(|| {
                let message = if s.row(i).is_some() {
                    format!("empty cell; the {role} `{name}` must be given for everyone analysed")
                } else {
                    format!(
                        "a person in the ledger has no row here; the {role} `{name}` is needed for everyone"
                    )
                };
                Error::data(s.location(name, i), message)
                    .with_hint("fill in the value, or leave this column out")
            })
        })
        .collect::<Result<_>>()?;
    Ok((levels, codes))
}

/// The most distinct values [`complete_number_codes`] codes (by a scan of the values, not a
/// hash); more take the general route.
const ARMS_CODED_DIRECTLY: usize = 16;

/// [`number_codes`] of a single file's complete number column (an arm coded 0/1, the usual
/// case), straight into codes: the distinct values in the order the rows first have them are
/// found stretch by stretch on every core and joined in file order, then each row is coded in
/// one parallel pass — the same levels and codes as [`number_codes`] and [`sorted_codes`],
/// without their two n-length vectors of `Option<usize>`. None when a value is missing (the
/// caller's route reports it) or the column is not numbers.
fn complete_number_codes(s: &Source<'_>, name: &str, n: usize) -> Option<(Vec<String>, Vec<Code>)> {
    use rayon::prelude::*;
    let column = s.table.number(name).ok()?;
    if s.rows.is_some() || column.len() != n {
        return None;
    }
    // Coded by value (−0 and 0 alike), as in `number_codes`.
    let key = |v: f64| (v + 0.0).to_bits();
    let firsts: Vec<Option<Vec<u64>>> = crate::linalg::row_blocks(n)
        .par_iter()
        .map(|&(a, b)| {
            let stretch = &column[a..b];
            if let Some(two) = at_most_two_values(stretch, key) {
                return Some(two);
            }
            // A list searched in order, not a hash map: at most ARMS_CODED_DIRECTLY values,
            // usually two, and a hash of every row was most of this pass.
            let mut seen: Vec<u64> = Vec::new();
            for &v in stretch {
                if v.is_nan() {
                    return None;
                }
                let k = key(v);
                if !seen.contains(&k) {
                    if seen.len() == ARMS_CODED_DIRECTLY {
                        return None;
                    }
                    seen.push(k);
                }
            }
            Some(seen)
        })
        .collect();
    let mut coder: Coder<u64> = Coder::new();
    for part in firsts {
        for bits in part? {
            coder.code(bits);
        }
    }
    let values = coder.into_levels();
    // An arm column has a few values; many (a mistyped column) take the general route.
    if values.len() > ARMS_CODED_DIRECTLY {
        return None;
    }
    // Each value labelled by `{}` of the first row with it: values equal as keys print alike
    // except −0, whose key is +0's, so the label is of the value as the file first has it.
    let labels: Vec<String> = values
        .iter()
        .map(|&bits| {
            let first = column.iter().find(|&&v| key(v) == bits)?;
            Some(format!("{first}"))
        })
        .collect::<Option<_>>()?;
    let (levels, rank) = sorted_codes(labels, (0..values.len()).map(Some).collect());
    let rank: Vec<Code> = narrow(rank.into_iter().flatten());
    // Every value is one of `values` (the pass above saw each): with two, a row's code is the
    // second's rank where its key is the second value, else the first's, a choice without a
    // branch on a column whose arms alternate at random.
    if let ([_, second], [first_rank, second_rank]) = (values.as_slice(), rank.as_slice()) {
        let codes = column
            .par_iter()
            .map(|&v| {
                if key(v) == *second {
                    *second_rank
                } else {
                    *first_rank
                }
            })
            .collect();
        return Some((levels, codes));
    }
    let codes = column
        .par_iter()
        .map(|&v| {
            let k = key(v);
            values
                .iter()
                .position(|&bits| bits == k)
                .map_or(Code::MAX, |p| rank[p])
        })
        .collect();
    Some((levels, codes))
}

/// The levels (sorted, [`crate::categorical`]) and each row's level of a text column; None where
/// the cell is empty or the person has no row.
fn optional_text_codes(
    s: &Source<'_>,
    name: &str,
    n: usize,
) -> Result<(Vec<String>, Vec<Option<usize>>)> {
    if let Ok(numbers) = s.table.number(name) {
        return number_codes(s, numbers, n);
    }
    if let Some((file_levels, file_codes)) = s.table.categories(name) {
        // The file's codes renumbered in the order the analysed rows first have them, as the
        // text is coded below.
        let mut renumber = vec![usize::MAX; file_levels.len()];
        let mut levels: Vec<String> = Vec::new();
        let codes: Vec<Option<usize>> = (0..n)
            .map(|i| {
                let code = *file_codes.get(s.row(i)?)?;
                let slot = renumber.get_mut(code as usize)?;
                if *slot == usize::MAX {
                    *slot = levels.len();
                    levels.push(file_levels[code as usize].clone());
                }
                Some(*slot)
            })
            .collect();
        return Ok(sorted_codes(levels, codes));
    }
    let column = s.table.text(name)?;
    let mut coder: Coder<&str> = Coder::new();
    let codes: Vec<Option<usize>> = (0..n)
        .map(|i| {
            let v = column[s.row(i)?].as_str();
            (!is_missing(v)).then(|| coder.code(v))
        })
        .collect();
    let levels = coder
        .into_levels()
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(sorted_codes(levels, codes))
}

/// `levels` in level order ([`crate::categorical`]: numbers as numbers when every level is one,
/// else byte order) and `codes` renumbered to match.
fn sorted_codes(
    levels: Vec<String>,
    codes: Vec<Option<usize>>,
) -> (Vec<String>, Vec<Option<usize>>) {
    // Coding the levels themselves: after sorting, `rank[old]` is the new code.
    let Codes {
        codes: rank,
        levels,
    } = Codes {
        codes: (0..levels.len()).collect(),
        levels,
    }
    .into_level_order();
    let codes = codes.into_iter().map(|c| c.map(|c| rank[c])).collect();
    (levels, codes)
}

/// A categorical column that holds numbers: its distinct values, labelled as written by `{}`
/// (so `1` and `1.0` are the same level), sorted like every other level; None where missing.
fn number_codes(
    s: &Source<'_>,
    column: &[f64],
    n: usize,
) -> Result<(Vec<String>, Vec<Option<usize>>)> {
    // Coded by value (−0 and 0 alike), labelled by the first value seen.
    let mut coder: Coder<u64> = Coder::new();
    let mut labels: Vec<String> = Vec::new();
    let codes: Vec<Option<usize>> = (0..n)
        .map(|i| {
            let value = s.row(i).map_or(f64::NAN, |r| column[r]);
            if value.is_nan() {
                return None;
            }
            let code = coder.code((value + 0.0).to_bits());
            if code == labels.len() {
                labels.push(format!("{value}"));
            }
            Some(code)
        })
        .collect();
    Ok(sorted_codes(labels, codes))
}

/// The distinct keys of `stretch`'s values in the order they first occur, when there are at
/// most two and none is NaN (an arm column coded 0/1): found by two loops without an early
/// exit, which the compiler vectorises, where [`complete_number_codes`]'s general loop searched
/// its list of values once a row. None otherwise (the general loop then decides).
fn at_most_two_values(stretch: &[f64], key: impl Fn(f64) -> u64) -> Option<Vec<u64>> {
    let first = key(*stretch.first()?);
    let second = stretch
        .iter()
        .map(|&v| key(v))
        .find(|&k| k != first)
        .unwrap_or(first);
    let only_these = stretch.iter().fold(true, |all, &v| {
        let k = key(v);
        all & ((k == first) | (k == second))
    });
    let nan = f64::from_bits(first).is_nan() || f64::from_bits(second).is_nan();
    (only_these && !nan).then(|| {
        if second == first {
            vec![first]
        } else {
            vec![first, second]
        }
    })
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

fn build(request: &AnalysisColumns, sources: &Sources<'_, '_>, n: usize) -> Result<AnalysisData> {
    if n == 0 {
        return Err(Error::compute("no rows to analyse"));
    }
    if n > MAX_ROWS {
        return Err(Error::compute(format!(
            "{n} rows to analyse; lotta analyses at most {MAX_ROWS} rows at once"
        ))
        .with_hint("analyse a sample, or split the data by a subgroup or stratum"));
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
            let is_bad = |c: Code| levels[c as usize] != "0" && levels[c as usize] != "1";
            if let Some(i) = level_codes.iter().position(|&c| is_bad(c)) {
                let bad = level_codes[i];
                return Err(Error::data(
                    ts.location(&request.treatment, i),
                    format!(
                        "expected a 0/1 treatment, found `{}` (the column has: {})",
                        levels[bad as usize],
                        levels.join(", ")
                    ),
                )
                .with_hint("name the control arm with --control ARM"));
            }
            vec!["0".to_string(), "1".to_string()]
        }
    };
    let remap: Vec<Code> = levels
        .iter()
        .map(|l| arms.iter().position(|a| a == l).unwrap_or(0) as Code)
        .collect();
    // Renumbered in place (a million rows: no second 8 MB list); usually the levels are the
    // arms in order already and nothing changes.
    let mut codes = level_codes;
    if remap.iter().enumerate().any(|(l, &a)| l != a as usize) {
        use rayon::prelude::*;
        codes.par_iter_mut().for_each(|c| *c = remap[*c as usize]);
    }
    let treatment = Treatment {
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
    // Covariates may be missing (empty cell, or no row in an outcome file): the estimators
    // leave such persons out or use the indicator method (`estimate::missing`).
    let mut covariates = Vec::new();
    for name in &request.covariates {
        let s = source(sources, name)?;
        let values = if s.table.number(name).is_ok() {
            CovariateValues::Number(optional_numbers(s, name, n)?)
        } else {
            let (levels, codes) = optional_text_codes(s, name, n)?;
            CovariateValues::Text(
                codes
                    .into_iter()
                    .map(|c| c.map(|c| levels[c].clone()))
                    .collect(),
            )
        };
        covariates.push(Covariate {
            name: name.clone(),
            values,
        });
    }
    let factor = |name: &str, role: &str| -> Result<Factor> {
        let (levels, codes) = text_codes(source(sources, name)?, name, n, role)?;
        Ok(Factor::new(name, levels, codes))
    };
    // Each subgroup variable: a column, or the crossing of its columns; its reference level as
    // chosen (else the first level), checked against the data.
    let mut by = Vec::with_capacity(request.by.len());
    for spec in &request.by {
        let columns: Vec<&str> = spec
            .split(crate::estimate::subgroups::CROSSING)
            .map(str::trim)
            .collect();
        let mut parts = columns
            .iter()
            .map(|c| factor(c, "subgroup"))
            .collect::<Result<Vec<Factor>>>()?;
        for part in &mut parts {
            part.choose_reference(&request.references)?;
        }
        let mut variable = if parts.len() == 1 {
            parts.remove(0)
        } else {
            Factor::crossing(parts)?
        };
        // A crossing's reference may also be named as a whole cell.
        variable.choose_reference(&request.references)?;
        by.push(variable);
    }
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
                        .map(|f| f.levels[f.codes[i] as usize].as_str())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::table::ColumnRequest;
    use std::path::Path;

    /// A one-column table `z` of these cells.
    fn table_of(cells: &[String]) -> Table {
        let text = format!("z\n{}\n", cells.join("\n"));
        Table::from_bytes(
            Path::new("z.csv"),
            text.as_bytes(),
            &[ColumnRequest::number("z")],
        )
        .unwrap()
    }

    #[test]
    fn complete_number_codes_are_the_general_routes_codes() {
        // Pieces of `row_blocks` size and more: 200,003 rows; 2, 3 and 16 values, −0 beside 0
        // (one level, labelled as the file first has it), values first seen late.
        let n = 200_003;
        let cases: Vec<Vec<String>> = vec![
            (0..n).map(|i| ((i * 7919) % 2).to_string()).collect(),
            (0..n)
                .map(|i| ["-0", "0", "1", "2.5"][(i * 7919) % 4].to_string())
                .collect(),
            (0..n)
                .map(|i| if i < 150_000 { "1" } else { ["3", "-2"][i % 2] }.to_string())
                .collect(),
            (0..n).map(|i| ((i * 31) % 16).to_string()).collect(),
            // Two values read by `at_most_two_values`: −0 and 0 as one value beside 1; one
            // value in all; a piece of one value, then pieces whose first value is the other.
            (0..n)
                .map(|i| ["-0", "1", "0"][(i * 7919) % 3].to_string())
                .collect(),
            (0..n).map(|_| "7".to_string()).collect(),
            (0..n)
                .map(|i| if i < 20_000 { "0" } else { ["1", "0"][i % 2] }.to_string())
                .collect(),
        ];
        for cells in &cases {
            let table = table_of(cells);
            let s = Source::new(&table, None);
            let (levels, codes) = complete_number_codes(&s, "z", n).expect("coded directly");
            let column = table.number("z").unwrap();
            let (general_levels, general_codes) = number_codes(&s, column, n).unwrap();
            assert_eq!(levels, general_levels);
            let general: Vec<Code> = general_codes.iter().map(|c| c.unwrap() as Code).collect();
            assert_eq!(codes, general);
        }
        // Seventeen values, or one missing, take the general route.
        let many: Vec<String> = (0..n).map(|i| (i % 17).to_string()).collect();
        let table = table_of(&many);
        assert!(complete_number_codes(&Source::new(&table, None), "z", n).is_none());
        let mut gap: Vec<String> = (0..n).map(|i| (i % 2).to_string()).collect();
        gap[n - 1] = String::new();
        let table = table_of(&gap);
        assert!(complete_number_codes(&Source::new(&table, None), "z", n).is_none());
        // A missing value (an empty cell of an optional column: NaN) in a piece of one value
        // or of two, first, second or later in its piece, or the only value of a piece.
        let cases: [(usize, &dyn Fn(usize) -> &'static str); 5] = [
            (0, &|_| "1"),
            (1, &|_| "1"),
            (70_000, &|_| "1"),
            (70_001, &|i| ["0", "1"][i % 2]),
            (70_000, &|i| {
                if i / crate::linalg::BLOCK_ROWS == 70_000 / crate::linalg::BLOCK_ROWS {
                    ""
                } else {
                    "1"
                }
            }),
        ];
        for (at, value) in cases {
            let text: String = (0..n)
                .map(|i| format!("{},0\n", if i == at { "" } else { value(i) }))
                .collect();
            let table = Table::from_bytes(
                Path::new("z.csv"),
                format!("z,w\n{text}").as_bytes(),
                &[ColumnRequest::optional_number("z")],
            )
            .unwrap();
            assert_eq!(table.number("z").unwrap().len(), n);
            let s = Source::new(&table, None);
            assert!(
                complete_number_codes(&s, "z", n).is_none(),
                "missing at {at}"
            );
        }
    }
}
