//! Apache Parquet files (the `parquet` crate's column readers, without Arrow): only the
//! requested columns are decoded, each straight into numbers or text, so a register extract in
//! Parquet reads faster than the same CSV. Flat schemas only (one value per row and column).
//!
//! Types: booleans are 0/1; integers, floats and decimals (scaled) are numbers; strings (and
//! enums) text; dates `YYYY-MM-DD` text; timestamps `YYYY-MM-DDTHH:MM:SS` text (UTC). A null is
//! a missing cell.

use super::{InputKind, SheetColumn, date_text, typed, unreadable};
use crate::error::{Error, Location, Result};
use crate::io::table::{ColumnData, ColumnRequest, CsvFormat, Table, column_positions};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::Path;

/// Rows decoded per call of a column reader.
const BATCH: usize = 64 * 1024;

fn open(path: &Path, bytes: &[u8]) -> Result<SerializedFileReader<bytes::Bytes>> {
    SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| unreadable(path, InputKind::Parquet, e))
}

/// The column names, in order.
pub fn headers(path: &Path, bytes: &[u8]) -> Result<Vec<String>> {
    let reader = open(path, bytes)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    Ok((0..schema.num_columns())
        .map(|i| schema.column(i).name().to_string())
        .collect())
}

/// The requested columns, typed by the CSV reader's rules.
pub fn table(
    path: &Path,
    bytes: &[u8],
    requests: &[ColumnRequest],
    format: CsvFormat,
) -> Result<Table> {
    let reader = open(path, bytes)?;
    let metadata = reader.metadata();
    let schema = metadata.file_metadata().schema_descr();
    let names: Vec<String> = (0..schema.num_columns())
        .map(|i| schema.column(i).name().to_string())
        .collect();
    let positions = column_positions(path, &names, requests)?;
    let n_rows = usize::try_from(metadata.file_metadata().num_rows()).unwrap_or(0);
    // Columns are stored apart, so each is decoded on its own thread; the first error in the
    // requests' order is the one reported, whatever thread finishes first.
    let decoded: Vec<Result<ColumnData>> = requests
        .par_iter()
        .zip(&positions)
        .map(|(request, &pos)| {
            let column = read_column(path, &reader, pos, &schema.column(pos), n_rows)?;
            typed(path, Cow::Owned(column), request, pos, 2, format)
        })
        .collect();
    let columns = decoded.into_iter().collect::<Result<Vec<_>>>()?;
    let lines = (0..n_rows as u64).map(|i| i + 2).collect();
    Ok(Table::from_columns(
        path, format, requests, positions, columns, lines,
    ))
}

/// Every value of one leaf column, over all row groups, nulls as missing.
fn read_column(
    path: &Path,
    reader: &SerializedFileReader<bytes::Bytes>,
    position: usize,
    descriptor: &ColumnDescriptor,
    n_rows: usize,
) -> Result<SheetColumn> {
    let name = descriptor.name().to_string();
    let at = || {
        Location::file(path)
            .with_line(1)
            .with_column(position + 1)
            .with_field(name.clone())
    };
    if descriptor.max_rep_level() > 0 {
        return Err(Error::data(
            at(),
            "the column holds lists (a nested Parquet column); lotta reads one value per row and column",
        )
        .with_hint("flatten the column (one value per person) before saving the file"));
    }
    let unsupported = |what: &str| {
        Error::data(
            at(),
            format!("lotta cannot read Parquet columns of type {what}"),
        )
        .with_hint("cast the column to a number (double) or to text (string) before saving")
    };
    let logical = descriptor.logical_type_ref().cloned();
    let scale = match (&logical, descriptor.converted_type()) {
        (Some(LogicalType::Decimal(d)), _) => Some(d.scale),
        (None, ConvertedType::DECIMAL) => Some(descriptor.type_scale()),
        _ => None,
    };
    let is_date = matches!(logical, Some(LogicalType::Date))
        || descriptor.converted_type() == ConvertedType::DATE;
    let unsigned = matches!(&logical, Some(LogicalType::Integer(i)) if !i.is_signed)
        || matches!(
            descriptor.converted_type(),
            ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        );
    let timestamp_unit = match &logical {
        Some(LogicalType::Timestamp(t)) => Some(t.unit),
        _ => match descriptor.converted_type() {
            ConvertedType::TIMESTAMP_MILLIS => Some(TimeUnit::MILLIS),
            ConvertedType::TIMESTAMP_MICROS => Some(TimeUnit::MICROS),
            _ => None,
        },
    };
    let scaled = |v: f64| scale.map_or(v, |s| v / 10f64.powi(s));
    let max_def = descriptor.max_def_level();
    let failed = |e: parquet::errors::ParquetError| unreadable(path, InputKind::Parquet, e);
    let metadata = reader.metadata();
    let mut numbers: Vec<f64> = Vec::new();
    let mut text: Vec<String> = Vec::new();
    let as_text = is_date
        || timestamp_unit.is_some()
        || descriptor.physical_type() == PhysicalType::BYTE_ARRAY;
    if as_text {
        text.reserve(n_rows);
    } else {
        numbers.reserve(n_rows);
    }
    for group in 0..metadata.num_row_groups() {
        let column_reader = reader
            .get_row_group(group)
            .and_then(|g| g.get_column_reader(position))
            .map_err(failed)?;
        match column_reader {
            ColumnReader::BoolColumnReader(r) => {
                each_value(r, max_def, |v| {
                    numbers.push(v.map_or(f64::NAN, |&b| f64::from(u8::from(b))))
                })
                .map_err(failed)?;
            }
            ColumnReader::Int32ColumnReader(r) => each_value(r, max_def, |v| match v {
                None if is_date => text.push(String::new()),
                None => numbers.push(f64::NAN),
                Some(&x) if is_date => text.push(date_text(i64::from(x))),
                Some(&x) if unsigned => numbers.push(scaled(f64::from(x as u32))),
                Some(&x) => numbers.push(scaled(f64::from(x))),
            })
            .map_err(failed)?,
            ColumnReader::Int64ColumnReader(r) => {
                each_value(r, max_def, |v| match (v, &timestamp_unit) {
                    (None, Some(_)) => text.push(String::new()),
                    (None, None) => numbers.push(f64::NAN),
                    (Some(&x), Some(unit)) => text.push(timestamp_text(x, unit)),
                    (Some(&x), None) if unsigned => numbers.push(scaled(x as u64 as f64)),
                    (Some(&x), None) => numbers.push(scaled(x as f64)),
                })
                .map_err(failed)?
            }
            ColumnReader::FloatColumnReader(r) => each_value(r, max_def, |v| {
                numbers.push(v.map_or(f64::NAN, |&x| f64::from(x)))
            })
            .map_err(failed)?,
            ColumnReader::DoubleColumnReader(r) => {
                each_value(r, max_def, |v| numbers.push(v.copied().unwrap_or(f64::NAN)))
                    .map_err(failed)?
            }
            ColumnReader::ByteArrayColumnReader(r) => {
                if scale.is_some() {
                    return Err(unsupported("decimal stored as bytes"));
                }
                let mut bad_row = None;
                let mut row = text.len();
                each_value(r, max_def, |v| {
                    match v {
                        None => text.push(String::new()),
                        Some(bytes) => match std::str::from_utf8(bytes.data()) {
                            Ok(s) => text.push(s.to_string()),
                            Err(_) => {
                                bad_row.get_or_insert(row);
                                text.push(String::new());
                            }
                        },
                    }
                    row += 1;
                })
                .map_err(failed)?;
                if let Some(row) = bad_row {
                    return Err(Error::data(
                        Location::file(path)
                            .with_line(row as u64 + 2)
                            .with_column(position + 1)
                            .with_field(name.clone()),
                        "the text is not valid UTF-8 (Parquet strings are UTF-8)",
                    ));
                }
            }
            ColumnReader::Int96ColumnReader(_) => {
                return Err(unsupported("INT96 (legacy timestamps)"));
            }
            ColumnReader::FixedLenByteArrayColumnReader(_) => {
                return Err(unsupported("fixed-length bytes (decimal, float16 or UUID)"));
            }
        }
    }
    Ok(if as_text {
        SheetColumn::Text(text)
    } else {
        SheetColumn::Numbers(numbers)
    })
}

/// Calls `f` with every value of a column chunk in row order, `None` for a null (by reference:
/// a string value is a slice of the page, and a clone would count a reference up and down).
fn each_value<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    max_def: i16,
    mut f: impl FnMut(Option<&T::T>),
) -> parquet::errors::Result<()> {
    let mut values: Vec<T::T> = Vec::with_capacity(BATCH);
    let mut levels: Vec<i16> = Vec::with_capacity(BATCH);
    loop {
        values.clear();
        levels.clear();
        let (records, _, _) = if max_def > 0 {
            reader.read_records(BATCH, Some(&mut levels), None, &mut values)?
        } else {
            reader.read_records(BATCH, None, None, &mut values)?
        };
        if records == 0 {
            return Ok(());
        }
        if max_def > 0 {
            let mut next = values.iter();
            for &level in &levels {
                if level == max_def {
                    f(next.next());
                } else {
                    f(None);
                }
            }
        } else {
            values.iter().for_each(|v| f(Some(v)));
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a timestamp in `unit` since 1970-01-01.
fn timestamp_text(value: i64, unit: &TimeUnit) -> String {
    let per_second: i64 = match unit {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    };
    let seconds = value.div_euclid(per_second);
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    format!(
        "{}T{:02}:{:02}:{:02}",
        date_text(days),
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}
