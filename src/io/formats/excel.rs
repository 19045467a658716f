//! Excel `.xlsx` workbooks (through `calamine`): the first sheet, its first used row the column
//! names, every later row a record. Number cells are numbers (TRUE/FALSE are 1/0), text cells
//! text (a cell `NA` or `.` is missing, as in CSV), empty cells missing, date cells
//! `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM:SS` with a time) text, error cells (`#N/A`, `#DIV/0!`)
//! their text, which no number column accepts. Rows are named by the sheet's row numbers.

use super::{Cell, InputKind, Sheet, SheetColumn, unreadable};
use crate::error::{Error, Location, Result};
use calamine::{Data, Reader, Xlsx};
use std::path::Path;

/// The first sheet of the workbook.
pub fn read(path: &Path, bytes: &[u8]) -> Result<Sheet> {
    let failed = |e: calamine::XlsxError| unreadable(path, InputKind::Excel, e);
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).map_err(failed)?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(failed)?,
        None => {
            return Err(Error::data(
                Location::file(path),
                "the workbook has no sheet; expected the data on its first sheet",
            ));
        }
    };
    // The sheet's row number of the first used row (the header), 1-based.
    let header_row = u64::from(range.start().map_or(0, |(row, _)| row)) + 1;
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(Error::data(
            Location::file(path).with_line(1),
            "the first sheet is empty; expected a row of column names",
        ));
    };
    let names: Vec<String> = header.iter().map(|c| text(c).trim().to_string()).collect();
    let mut cells: Vec<Vec<Cell>> = names.iter().map(|_| Vec::new()).collect();
    for row in rows {
        for (column, value) in cells.iter_mut().zip(row) {
            column.push(cell(value));
        }
    }
    Ok(Sheet {
        names,
        columns: cells.into_iter().map(SheetColumn::from_cells).collect(),
        first_line: header_row + 1,
    })
}

fn cell(value: &Data) -> Cell {
    match value {
        Data::Empty => Cell::Missing,
        Data::Int(x) => Cell::Number(*x as f64),
        Data::Float(x) => Cell::Number(*x),
        Data::Bool(b) => Cell::Number(f64::from(u8::from(*b))),
        Data::String(_)
        | Data::DateTime(_)
        | Data::DateTimeIso(_)
        | Data::DurationIso(_)
        | Data::Error(_) => Cell::Text(text(value)),
    }
}

/// A cell as text: dates as `YYYY-MM-DD`, with the time when it has one.
fn text(value: &Data) -> String {
    match value {
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            let date = format!("{y:04}-{m:02}-{day:02}");
            if (h, min, s) == (0, 0, 0) {
                date
            } else {
                format!("{date}T{h:02}:{min:02}:{s:02}")
            }
        }
        Data::DateTime(d) => format!("{}", d.as_f64()),
        Data::Int(x) => x.to_string(),
        Data::Float(x) => super::number_text(*x),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_map_as_documented() {
        assert_eq!(cell(&Data::Empty), Cell::Missing);
        assert_eq!(cell(&Data::Bool(true)), Cell::Number(1.0));
        assert_eq!(cell(&Data::Int(3)), Cell::Number(3.0));
        assert_eq!(cell(&Data::String("F".into())), Cell::Text("F".into()));
        assert_eq!(text(&Data::Float(2.0)), "2");
    }
}
