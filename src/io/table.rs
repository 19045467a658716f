//! Typed columns from CSV files. Only the requested columns are parsed, straight into their
//! types, so a register extract of millions of rows reads fast; every value that does not fit
//! is reported with the file, line, column and what was expected.

use crate::error::{Error, Location, Result, nearest};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a requested column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Any text (identifiers, arms, strata, categories). Leading and trailing space is removed.
    Text,
    /// A number in every row; an empty cell is an error.
    Number,
    /// A number, or missing: an empty cell, `NA` or `.` (Stata) becomes NaN.
    OptionalNumber,
}

/// One column to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRequest {
    pub name: String,
    pub kind: ColumnKind,
}

impl ColumnRequest {
    pub fn text(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::Text,
        }
    }
    pub fn number(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::Number,
        }
    }
    pub fn optional_number(name: impl Into<String>) -> Self {
        ColumnRequest {
            name: name.into(),
            kind: ColumnKind::OptionalNumber,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum ColumnData {
    Text(Vec<String>),
    Number(Vec<f64>),
}

/// Requested columns of one CSV file, with the line number of every row for later messages.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    names: Vec<String>,
    /// 1-based position of each requested column in the file.
    positions: Vec<usize>,
    columns: Vec<ColumnData>,
    lines: Vec<u64>,
}

/// True for the cells lotta reads as a missing number.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "." | "NaN" | "nan")
}

/// The header names of a CSV file, in order.
pub fn read_headers(path: &Path) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv_reader(path, file)?;
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(headers)
}

fn csv_reader<R: Read>(
    path: &Path,
    mut input: R,
) -> Result<csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>> {
    // Peek at the first line to choose the delimiter: Swedish spreadsheets save CSV with `;`.
    let mut head = vec![0u8; 4096];
    let mut filled = 0;
    while filled < head.len() {
        let n = input
            .read(&mut head[filled..])
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
        if head[..filled].contains(&b'\n') {
            break;
        }
    }
    head.truncate(filled);
    let first_line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let first_line = &head[..first_line_end];
    let commas = first_line.iter().filter(|&&b| b == b',').count();
    let semicolons = first_line.iter().filter(|&&b| b == b';').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let chained = std::io::Cursor::new(head).chain(input);
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(chained))
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let mut location = Location::file(path);
    if let Some(pos) = e.position() {
        location = location.with_line(pos.line());
    }
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields like the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            location = location.with_column(err.field() + 1);
            "the text is not valid UTF-8; save the file as UTF-8".to_string()
        }
        _ => format!("cannot read CSV: {e}"),
    };
    Error::data(location, message)
}

impl Table {
    /// Read the requested columns of the CSV file at `path`.
    pub fn read(path: &Path, requests: &[ColumnRequest]) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Self::from_reader(
            path,
            std::io::BufReader::with_capacity(1 << 16, file),
            requests,
        )
    }

    /// Read the requested columns from any reader; `path` names the source in messages.
    pub fn from_reader<R: Read>(
        path: &Path,
        input: R,
        requests: &[ColumnRequest],
    ) -> Result<Table> {
        let mut reader = csv_reader(path, input)?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(Error::data(
                Location::file(path).with_line(1),
                "the file is empty; expected a header line with column names",
            ));
        }
        for (i, h) in headers.iter().enumerate() {
            if let Some(j) = headers[..i].iter().position(|other| other == h) {
                return Err(Error::data(
                    Location::file(path)
                        .with_line(1)
                        .with_column(i + 1)
                        .with_field(h),
                    format!("column name `{h}` appears twice (also column {})", j + 1),
                ));
            }
        }
        let mut positions = Vec::with_capacity(requests.len());
        for request in requests {
            match headers.iter().position(|h| *h == request.name) {
                Some(p) => positions.push(p),
                None => {
                    let mut err = Error::data(
                        Location::file(path).with_line(1),
                        format!(
                            "no column `{}`; the header has: {}",
                            request.name,
                            headers.join(", ")
                        ),
                    );
                    if let Some(s) = nearest(&request.name, headers.iter().map(String::as_str)) {
                        err = err.with_hint(format!("did you mean `{s}`?"));
                    }
                    return Err(err);
                }
            }
        }
        let mut columns: Vec<ColumnData> = requests
            .iter()
            .map(|r| match r.kind {
                ColumnKind::Text => ColumnData::Text(Vec::new()),
                _ => ColumnData::Number(Vec::new()),
            })
            .collect();
        let mut lines = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(path, e)),
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                continue; // a blank line
            }
            lines.push(line);
            for ((request, &pos), column) in requests.iter().zip(&positions).zip(columns.iter_mut())
            {
                let raw = record.get(pos).unwrap_or(b"");
                let cell = std::str::from_utf8(raw)
                    .map_err(|_| {
                        Error::data(
                            Location::file(path)
                                .with_line(line)
                                .with_column(pos + 1)
                                .with_field(&request.name),
                            "the text is not valid UTF-8; save the file as UTF-8",
                        )
                    })?
                    .trim();
                match column {
                    ColumnData::Text(values) => values.push(cell.to_string()),
                    ColumnData::Number(values) => {
                        let value = if is_missing(cell) {
                            if request.kind == ColumnKind::Number {
                                return Err(Error::data(
                                    Location::file(path)
                                        .with_line(line)
                                        .with_column(pos + 1)
                                        .with_field(&request.name),
                                    format!("missing value (`{cell}`); expected a number"),
                                ));
                            }
                            f64::NAN
                        } else {
                            match cell.parse::<f64>() {
                                Ok(v) if v.is_finite() => v,
                                _ => {
                                    return Err(Error::data(
                                        Location::file(path)
                                            .with_line(line)
                                            .with_column(pos + 1)
                                            .with_field(&request.name),
                                        format!("expected a number, found `{cell}`"),
                                    ));
                                }
                            }
                        };
                        values.push(value);
                    }
                }
            }
        }
        Ok(Table {
            path: path.to_path_buf(),
            names: requests.iter().map(|r| r.name.clone()).collect(),
            positions,
            columns,
            lines,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    /// The 1-based line in the file of data row `row` (0-based).
    pub fn line(&self, row: usize) -> u64 {
        self.lines.get(row).copied().unwrap_or(0)
    }

    /// Where data row `row` of column `name` is, for a message.
    pub fn location(&self, row: usize, name: &str) -> Location {
        let mut loc = Location::file(&self.path).with_line(self.line(row));
        if let Some(i) = self.names.iter().position(|n| n == name) {
            loc = loc.with_column(self.positions[i] + 1);
        }
        loc.with_field(name)
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            Error::data(
                Location::file(&self.path),
                format!("column `{name}` was not read"),
            )
        })
    }

    /// The values of a text column.
    pub fn text(&self, name: &str) -> Result<&[String]> {
        match &self.columns[self.index(name)?] {
            ColumnData::Text(v) => Ok(v),
            ColumnData::Number(_) => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as numbers, not text",
            )),
        }
    }

    /// The values of a numeric column (NaN where missing, for optional columns).
    pub fn number(&self, name: &str) -> Result<&[f64]> {
        match &self.columns[self.index(name)?] {
            ColumnData::Number(v) => Ok(v),
            ColumnData::Text(_) => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as text, not numbers",
            )),
        }
    }

    /// Take a text column out of the table (to avoid a copy).
    pub fn take_text(&mut self, name: &str) -> Result<Vec<String>> {
        let i = self.index(name)?;
        match &mut self.columns[i] {
            ColumnData::Text(v) => Ok(std::mem::take(v)),
            ColumnData::Number(_) => Err(Error::data(
                Location::file(&self.path).with_field(name),
                "column was read as numbers, not text",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, requests: &[ColumnRequest]) -> Result<Table> {
        Table::from_reader(Path::new("t.csv"), text.as_bytes(), requests)
    }

    #[test]
    fn reads_requested_columns_in_their_types() {
        let t = read(
            "id,age,site,y\na,30,north,1\nb,41,south,\n",
            &[
                ColumnRequest::text("id"),
                ColumnRequest::number("age"),
                ColumnRequest::optional_number("y"),
            ],
        )
        .unwrap();
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.text("id").unwrap(), ["a", "b"]);
        assert_eq!(t.number("age").unwrap(), [30.0, 41.0]);
        let y = t.number("y").unwrap();
        assert_eq!(y[0], 1.0);
        assert!(y[1].is_nan());
        assert_eq!(t.line(1), 3);
    }

    #[test]
    fn semicolon_files_are_read() {
        let t = read("id;x\na;1.5\n", &[ColumnRequest::number("x")]).unwrap();
        assert_eq!(t.number("x").unwrap(), [1.5]);
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let err = read("id,age\na,30\nb,old\n", &[ColumnRequest::number("age")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 3, column 2 (`age`): expected a number, found `old`"
        );
    }

    #[test]
    fn missing_required_number_is_an_error() {
        let err = read("id,age\na,\n", &[ColumnRequest::number("age")]).unwrap_err();
        assert!(err.to_string().contains("line 2, column 2"), "{err}");
    }

    #[test]
    fn missing_column_suggests_nearest() {
        let err = read("id,gender\na,F\n", &[ColumnRequest::text("gendr")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no column `gendr`"), "{msg}");
        assert!(msg.contains("did you mean `gender`?"), "{msg}");
    }

    #[test]
    fn ragged_row_is_an_error_with_line() {
        let err = read("id,x\na,1\nb,2,3\n", &[ColumnRequest::text("id")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("expected 2 fields"), "{msg}");
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = read("id,x,x\n", &[ColumnRequest::text("id")]).unwrap_err();
        assert!(err.to_string().contains("appears twice"));
    }

    #[test]
    fn empty_file_is_an_error() {
        let err = read("", &[ColumnRequest::text("id")]).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
