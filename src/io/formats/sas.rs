//! SAS `.sas7bdat` files (through the `sas7bdat` crate: uncompressed, RLE- and RDC-compressed,
//! 32- and 64-bit, UTF-8 and Windows-1252 files). Numeric variables are numbers and SAS's
//! missing values (`.`, `.A`–`.Z`, `._`) missing cells; character variables text (blank is
//! missing); dates `YYYY-MM-DD` text, date-times `YYYY-MM-DDTHH:MM:SS` text.

use super::{Cell, InputKind, Sheet, SheetColumn, date_text, unreadable};
use crate::error::Result;
use sas7bdat::{CellValue, Dataset};
use std::ops::ControlFlow;
use std::path::Path;

/// Seconds from 1960-01-01 (SAS's origin) to 1970-01-01.
const SAS_EPOCH_SECONDS: i64 = 3653 * 86_400;

/// The whole file.
pub fn read(path: &Path, bytes: &[u8]) -> Result<Sheet> {
    let failed = |e: sas7bdat::Error| unreadable(path, InputKind::Sas, e);
    let dataset = Dataset::from_bytes(bytes.to_vec()).map_err(failed)?;
    let names: Vec<String> = dataset
        .columns()
        .iter()
        .map(|c| c.name.trim().to_string())
        .collect();
    let n = usize::try_from(dataset.metadata().row_count).unwrap_or(0);
    let mut cells: Vec<Vec<Cell>> = names.iter().map(|_| Vec::with_capacity(n)).collect();
    dataset
        .visit_rows(|row| {
            for (column, value) in cells.iter_mut().zip(row.iter()) {
                column.push(cell(value));
            }
            Ok(ControlFlow::Continue(()))
        })
        .map_err(failed)?;
    Ok(Sheet {
        names,
        columns: cells.into_iter().map(SheetColumn::from_cells).collect(),
        first_line: 2,
    })
}

fn cell(value: &CellValue<'_>) -> Cell {
    match value {
        CellValue::Null => Cell::Missing,
        CellValue::Int32(x) => Cell::Number(f64::from(*x)),
        CellValue::Int64(x) => Cell::Number(*x as f64),
        CellValue::Float64(x) if x.is_nan() => Cell::Missing,
        CellValue::Float64(x) => Cell::Number(*x),
        CellValue::Str(s) if s.trim().is_empty() => Cell::Missing,
        CellValue::Str(s) => Cell::Text(s.trim_end().to_string()),
        CellValue::Bytes(b) => Cell::Text(String::from_utf8_lossy(b).trim_end().to_string()),
        CellValue::Date(d) => Cell::Text(date_text(i64::from(d.unix_days()))),
        CellValue::DateTime(t) => {
            let seconds = t.seconds_since_sas_epoch - SAS_EPOCH_SECONDS;
            let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
            Cell::Text(format!(
                "{}T{:02}:{:02}:{:02}",
                date_text(days),
                in_day / 3600,
                in_day % 3600 / 60,
                in_day % 60
            ))
        }
        CellValue::Time(t) => Cell::Number(f64::from(t.seconds_since_midnight)),
    }
}
