//! Input files that are not CSV: Parquet, Stata `.dta`, SAS `.sas7bdat` and Excel `.xlsx`,
//! chosen by the file's extension. Each reader turns its file into typed columns ([`Sheet`]);
//! [`table_of`] then applies the CSV reader's rules to them (the same missing cells, the same
//! numbers, the same errors naming file, row and column), so a study reads the same from any
//! format. docs/input-files.md says what each format maps to and why each crate was chosen.

pub mod excel;
pub mod parquet;
pub mod sas;
pub mod stata;

use crate::error::{Error, Location, Problem, Result};
use crate::io::table::{
    ColumnData, ColumnKind, ColumnRequest, CsvFormat, Table, column_positions, is_missing,
};
use std::borrow::Cow;
use std::path::Path;

/// The format of an input file, from its extension (case does not matter); anything else is
/// CSV (or `;`-separated text, detected from its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Csv,
    Parquet,
    Stata,
    Sas,
    Excel,
}

impl InputKind {
    pub fn of(path: &Path) -> InputKind {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("parquet" | "pq") => InputKind::Parquet,
            Some("dta") => InputKind::Stata,
            Some("sas7bdat") => InputKind::Sas,
            Some("xlsx" | "xlsm") => InputKind::Excel,
            _ => InputKind::Csv,
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Csv => "CSV",
            InputKind::Parquet => "Parquet",
            InputKind::Stata => "Stata",
            InputKind::Sas => "SAS",
            InputKind::Excel => "Excel",
        }
    }

    /// How a row of a file of this kind is named in messages, given its line number in lotta's
    /// count (the header is line 1, the first row line 2): a CSV file's line; an Excel sheet's
    /// row (the same number when the header is on the sheet's first row); for Stata, SAS and
    /// Parquet, which have no lines, the observation's number (Stata's `list in 17`), the
    /// header being "the column names".
    pub fn row_name(self, line: u64) -> String {
        match self {
            InputKind::Csv => format!("line {line}"),
            InputKind::Excel => format!("row {line}"),
            InputKind::Parquet | InputKind::Stata | InputKind::Sas => {
                if line <= 1 {
                    "the column names".to_string()
                } else {
                    format!("row {}", line - 1)
                }
            }
        }
    }
}

/// One cell of a column whose cells may differ in type (an Excel column, a SAS or Parquet
/// column read cell by cell).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Missing,
    Number(f64),
    Text(String),
}

/// One column of a non-CSV file, as its format stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetColumn {
    /// Numbers; NaN where missing.
    Numbers(Vec<f64>),
    /// Text; an empty string where missing (Stata's and SAS's missing text).
    Text(Vec<String>),
    /// Cells of either type.
    Cells(Vec<Cell>),
    /// Numeric codes with labels (Stata's value labels): read as text, a code is its label (or
    /// the number, when it has none); read as numbers, the codes.
    Labelled {
        codes: Vec<f64>,
        labels: Vec<Option<String>>,
    },
}

impl SheetColumn {
    /// The narrowest column holding `cells`: numbers when no cell is text, text when no cell is
    /// a number, else cells.
    pub fn from_cells(cells: Vec<Cell>) -> SheetColumn {
        if cells.iter().all(|c| !matches!(c, Cell::Text(_))) {
            SheetColumn::Numbers(
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::Number(v) => *v,
                        _ => f64::NAN,
                    })
                    .collect(),
            )
        } else if cells.iter().all(|c| !matches!(c, Cell::Number(_))) {
            SheetColumn::Text(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Text(t) => t,
                        _ => String::new(),
                    })
                    .collect(),
            )
        } else {
            SheetColumn::Cells(cells)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SheetColumn::Numbers(v) => v.len(),
            SheetColumn::Text(v) => v.len(),
            SheetColumn::Cells(v) => v.len(),
            SheetColumn::Labelled { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The whole of a non-CSV file: its column names and columns, all of one length.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub names: Vec<String>,
    pub columns: Vec<SheetColumn>,
    /// The line number (in lotta's count, the header being line 1) of the first row: 2, or
    /// more for an Excel sheet whose table starts further down.
    pub first_line: u64,
}

impl Sheet {
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, SheetColumn::len)
    }

    /// The names of the columns that carry value labels (categorical by declaration).
    pub fn labelled(&self) -> Vec<String> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter(|(_, c)| matches!(c, SheetColumn::Labelled { .. }))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// The requested columns of `sheet`, typed by the CSV reader's rules.
pub fn table_of(
    path: &Path,
    sheet: &Sheet,
    requests: &[ColumnRequest],
    format: CsvFormat,
) -> Result<Table> {
    let positions = column_positions(path, &sheet.names, requests)?;
    let columns = requests
        .iter()
        .zip(&positions)
        .map(|(request, &pos)| {
            typed(
                path,
                Cow::Borrowed(&sheet.columns[pos]),
                request,
                pos,
                sheet.first_line,
                format,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let lines = (0..sheet.n_rows() as u64).map(|i| sheet.first_line + i);
    Ok(Table::from_columns(
        path, format, requests, positions, columns, lines,
    ))
}

/// A number as the CSV reader would give it as text: whole numbers without a decimal part
/// (`3`, not `3.0`), others in the shortest form that reads back to the same number.
pub fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// One column as `request` asks, every cell checked as the CSV reader checks it. An owned
/// column (a Parquet column decoded for this request alone) gives up its text and numbers
/// instead of having them copied: on a register extract that is a million allocations fewer.
pub(crate) fn typed(
    path: &Path,
    column: Cow<'_, SheetColumn>,
    request: &ColumnRequest,
    position: usize,
    first_line: u64,
    format: CsvFormat,
) -> Result<ColumnData> {
    // A category column is its text, coded.
    if request.kind == ColumnKind::Category {
        let text = ColumnRequest::text(request.name.clone());
        return match typed(path, column, &text, position, first_line, format)? {
            ColumnData::Text(cells) => ColumnData::coded(&cells),
            other => Ok(other),
        };
    }
    let cell_location = |row: usize| {
        Location::file(path)
            .with_line(first_line + row as u64)
            .with_column(position + 1)
            .with_field(request.name.clone())
    };
    // A missing cell in a number column: NaN, or an error when the column must be complete.
    let missing = |row: usize, shown: &str| -> Result<f64> {
        if request.kind == ColumnKind::Number {
            Err(Error::data(
                cell_location(row),
                format!("missing value (`{shown}`); expected a number"),
            ))
        } else {
            Ok(f64::NAN)
        }
    };
    let number = |row: usize, value: f64| -> Result<f64> {
        if value.is_nan() {
            missing(row, "")
        } else if value.is_finite() {
            Ok(value)
        } else {
            Err(not_a_number(cell_location(row), &number_text(value)))
        }
    };
    let text_number = |row: usize, cell: &str| -> Result<f64> {
        let cell = cell.trim();
        if is_missing(cell) {
            return missing(row, cell);
        }
        format
            .number(cell)
            .ok_or_else(|| not_a_number(cell_location(row), cell))
    };
    let number_as_text = |value: f64| {
        if value.is_nan() {
            String::new()
        } else {
            number_text(value)
        }
    };
    let column = match (column, request.kind) {
        (Cow::Owned(SheetColumn::Text(cells)), ColumnKind::Text) => {
            return Ok(ColumnData::Text(cells.into_iter().map(trimmed).collect()));
        }
        (
            Cow::Owned(SheetColumn::Numbers(values)),
            ColumnKind::Number | ColumnKind::OptionalNumber,
        ) => {
            // `number` leaves every value it accepts as it is (a missing optional stays NaN).
            for (row, &value) in values.iter().enumerate() {
                number(row, value)?;
            }
            return Ok(ColumnData::Number(values));
        }
        (column, _) => column,
    };
    let column: &SheetColumn = &column;
    Ok(match request.kind {
        ColumnKind::Text | ColumnKind::Category => ColumnData::Text(match column {
            SheetColumn::Numbers(v) => v.iter().map(|&x| number_as_text(x)).collect(),
            SheetColumn::Text(v) => v.iter().map(|t| t.trim().to_string()).collect(),
            SheetColumn::Cells(v) => v
                .iter()
                .map(|c| match c {
                    Cell::Missing => String::new(),
                    Cell::Number(x) => number_as_text(*x),
                    Cell::Text(t) => t.trim().to_string(),
                })
                .collect(),
            SheetColumn::Labelled { codes, labels } => codes
                .iter()
                .zip(labels)
                .map(|(&x, label)| match label {
                    Some(l) => l.trim().to_string(),
                    None => number_as_text(x),
                })
                .collect(),
        }),
        ColumnKind::Number | ColumnKind::OptionalNumber => ColumnData::Number(match column {
            SheetColumn::Numbers(v) | SheetColumn::Labelled { codes: v, .. } => v
                .iter()
                .enumerate()
                .map(|(row, &x)| number(row, x))
                .collect::<Result<_>>()?,
            SheetColumn::Text(v) => v
                .iter()
                .enumerate()
                .map(|(row, t)| text_number(row, t))
                .collect::<Result<_>>()?,
            SheetColumn::Cells(v) => v
                .iter()
                .enumerate()
                .map(|(row, c)| match c {
                    Cell::Missing => missing(row, ""),
                    Cell::Number(x) => number(row, *x),
                    Cell::Text(t) => text_number(row, t),
                })
                .collect::<Result<_>>()?,
        }),
    })
}

/// `text` without the spaces around it, in place (no new allocation).
fn trimmed(mut text: String) -> String {
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    if start > 0 {
        text.drain(..start);
    }
    text
}

/// The error the CSV reader gives for a cell that is not a number (the loader reads a covariate
/// whose cells are text as categories on seeing it).
fn not_a_number(location: Location, cell: &str) -> Error {
    Error::NotANumber(Box::new(Problem {
        location,
        message: format!("expected a number, found `{cell}`"),
        hint: None,
    }))
}

/// An error reading a file of `kind` that its reader reports without a place in the file.
pub(crate) fn unreadable(path: &Path, kind: InputKind, detail: impl std::fmt::Display) -> Error {
    Error::data(
        Location::file(path),
        format!("cannot read this {} file: {detail}", kind.name()),
    )
    .with_hint(format!(
        "check that the file is a complete {} file (open it in the program that wrote it), or save it as CSV",
        kind.name()
    ))
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (dates in Stata, SAS, Parquet and Excel are
/// day counts from their own origins).
pub fn date_text(days_since_1970: i64) -> String {
    crate::simulate::dates::format_date(days_since_1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            names: vec!["id".into(), "age".into(), "gender".into(), "y".into()],
            columns: vec![
                SheetColumn::Numbers(vec![1.0, 2.0, 3.0]),
                SheetColumn::Cells(vec![
                    Cell::Number(30.5),
                    Cell::Text(" 41 ".into()),
                    Cell::Text("old".into()),
                ]),
                SheetColumn::Labelled {
                    codes: vec![1.0, 2.0, 9.0],
                    labels: vec![Some("F".into()), Some("M".into()), None],
                },
                SheetColumn::Numbers(vec![1.0, f64::NAN, 0.0]),
            ],
            first_line: 2,
        }
    }

    #[test]
    fn columns_are_typed_as_csv_columns_are() {
        let path = Path::new("p.dta");
        let s = sheet();
        let t = table_of(
            path,
            &s,
            &[
                ColumnRequest::text("id"),
                ColumnRequest::text("gender"),
                ColumnRequest::optional_number("y"),
            ],
            CsvFormat::default(),
        )
        .unwrap();
        assert_eq!(t.text("id").unwrap(), ["1", "2", "3"]);
        assert_eq!(t.text("gender").unwrap(), ["F", "M", "9"]);
        let y = t.number("y").unwrap();
        assert!(y[0] == 1.0 && y[1].is_nan() && y[2] == 0.0);
        assert_eq!(s.labelled(), ["gender"]);
        // A text cell that is no number names its row and column (the third observation).
        let e = table_of(
            path,
            &s,
            &[ColumnRequest::number("age")],
            CsvFormat::default(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::NotANumber(_)));
        assert_eq!(
            e.to_string(),
            "p.dta: row 3, column 2 (`age`): expected a number, found `old`"
        );
        // A required number that is missing.
        let e = table_of(
            path,
            &s,
            &[ColumnRequest::number("y")],
            CsvFormat::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("row 2, column 4") && e.contains("missing value"),
            "{e}"
        );
        // A missing column suggests the nearest.
        let e = table_of(
            path,
            &s,
            &[ColumnRequest::text("gendr")],
            CsvFormat::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("did you mean `gender`?"), "{e}");
    }

    #[test]
    fn kinds_come_from_the_extension_and_name_their_rows() {
        assert_eq!(InputKind::of(Path::new("a/b.PARQUET")), InputKind::Parquet);
        assert_eq!(InputKind::of(Path::new("b.dta")), InputKind::Stata);
        assert_eq!(InputKind::of(Path::new("b.sas7bdat")), InputKind::Sas);
        assert_eq!(InputKind::of(Path::new("b.xlsx")), InputKind::Excel);
        assert_eq!(InputKind::of(Path::new("b.txt")), InputKind::Csv);
        assert_eq!(InputKind::Stata.row_name(1), "the column names");
        assert_eq!(InputKind::Stata.row_name(18), "row 17");
        assert_eq!(InputKind::Excel.row_name(18), "row 18");
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(28.5), "28.5");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(date_text(0), "1970-01-01");
    }
}
