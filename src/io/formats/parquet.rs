//! Apache Parquet files (the `parquet` crate's column readers, without Arrow): only the
//! requested columns are decoded, each straight into numbers or text, so a register extract in
//! Parquet reads faster than the same CSV. Flat schemas only (one value per row and column).
//!
//! Types: booleans are 0/1; integers, floats and decimals (scaled) are numbers; strings (and
//! enums) text; dates `YYYY-MM-DD` text; timestamps `YYYY-MM-DDTHH:MM:SS` text (UTC). A null is
//! a missing cell.

use super::{InputKind, SheetColumn, date_text, typed, unreadable};
use crate::error::{Error, Location, Result};
use crate::io::table::{
    CategoryBuilder, ColumnData, ColumnKind, ColumnRequest, CsvFormat, Table, column_positions,
};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArrayType, DataType};
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
            let descriptor = schema.column(pos);
            if request.kind == ColumnKind::Category
                && let Some(codes) = read_category(path, &reader, pos, &descriptor, n_rows)?
            {
                return Ok(codes);
            }
            let column = read_column(path, &reader, pos, &descriptor, n_rows)?;
            typed(path, Cow::Owned(column), request, pos, 2, format)
        })
        .collect();
    let columns = decoded.into_iter().collect::<Result<Vec<_>>>()?;
    // Row r is the file's observation r + 1, shown as line r + 2 (the header's line is 1), kept
    // as one run of lines without a number per row.
    let lines = (0..n_rows as u64).map(|i| i + 2);
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
                let first_row = text.len();
                let bad_row = each_text(r, max_def, first_row, |v| {
                    text.push(v.map_or_else(String::new, str::to_string))
                })
                .map_err(failed)?;
                if let Some(row) = bad_row {
                    return Err(not_utf8(path, row, position, &name));
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

/// A category column of strings, coded as the pages are decoded, without a `String` per row
/// (the arm and the subgroup of a million-row extract would be two million of them): the
/// codes and levels [`typed`] gives the same column read as text, and the same error for text
/// that is not UTF-8. None when the column is not a plain string column (the general route
/// reads it, with its messages).
fn read_category(
    path: &Path,
    reader: &SerializedFileReader<bytes::Bytes>,
    position: usize,
    descriptor: &ColumnDescriptor,
    n_rows: usize,
) -> Result<Option<ColumnData>> {
    let decimal = matches!(descriptor.logical_type_ref(), Some(LogicalType::Decimal(_)))
        || descriptor.converted_type() == ConvertedType::DECIMAL;
    if descriptor.physical_type() != PhysicalType::BYTE_ARRAY
        || descriptor.max_rep_level() > 0
        || decimal
    {
        return Ok(None);
    }
    let failed = |e: parquet::errors::ParquetError| unreadable(path, InputKind::Parquet, e);
    let max_def = descriptor.max_def_level();
    let mut category = CategoryBuilder::with_capacity(n_rows);
    let mut rows = 0;
    for group in 0..reader.metadata().num_row_groups() {
        let column_reader = reader
            .get_row_group(group)
            .and_then(|g| g.get_column_reader(position))
            .map_err(failed)?;
        let ColumnReader::ByteArrayColumnReader(r) = column_reader else {
            return Ok(None);
        };
        let bad_row = each_text(r, max_def, rows, |v| {
            category.push(v.map_or("", str::trim));
            rows += 1;
        })
        .map_err(failed)?;
        if let Some(row) = bad_row {
            return Err(not_utf8(path, row, position, descriptor.name()));
        }
    }
    category.finish().map(Some)
}

/// The error for a string that is not UTF-8, at 0-based data row `row`.
fn not_utf8(path: &Path, row: usize, position: usize, name: &str) -> Error {
    Error::data(
        Location::file(path)
            .with_line(row as u64 + 2)
            .with_column(position + 1)
            .with_field(name.to_string()),
        "the text is not valid UTF-8 (Parquet strings are UTF-8)",
    )
}

/// Calls `f` with every string of a byte-array column chunk in row order (`None` for a null and
/// for bytes that are not UTF-8), and returns the first row, counted from `first_row`, whose
/// bytes are not UTF-8.
fn each_text(
    reader: ColumnReaderImpl<ByteArrayType>,
    max_def: i16,
    first_row: usize,
    mut f: impl FnMut(Option<&str>),
) -> parquet::errors::Result<Option<usize>> {
    let mut bad_row = None;
    let mut row = first_row;
    each_value(reader, max_def, |v| {
        let text = v.and_then(|bytes| match std::str::from_utf8(bytes.data()) {
            Ok(text) => Some(text),
            Err(_) => {
                bad_row.get_or_insert(row);
                None
            }
        });
        f(text);
        row += 1;
    })?;
    Ok(bad_row)
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

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::data_type::ByteArray;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// A Parquet file of one optional string column `g`, in row groups of the given cells (None:
    /// null), as raw bytes (not UTF-8 where asked).
    fn strings_file(groups: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let schema =
            Arc::new(parse_message_type("message m { optional binary g (UTF8); }").unwrap());
        let mut out = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut out, schema, Arc::new(WriterProperties::default()))
                .unwrap();
        for cells in groups {
            let mut group = writer.next_row_group().unwrap();
            let mut column = group.next_column().unwrap().unwrap();
            let values: Vec<ByteArray> = cells
                .iter()
                .flatten()
                .map(|v| ByteArray::from(v.to_vec()))
                .collect();
            let levels: Vec<i16> = cells.iter().map(|v| i16::from(v.is_some())).collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&values, Some(&levels), None)
                .unwrap();
            column.close().unwrap();
            group.close().unwrap();
        }
        writer.close().unwrap();
        out
    }

    fn read(bytes: &[u8], request: ColumnRequest) -> Result<Table> {
        table(
            Path::new("p.parquet"),
            bytes,
            &[request],
            CsvFormat::default(),
        )
    }

    /// The category route codes the cells exactly as the text route's cells would be coded:
    /// trimmed, nulls and missing-value codes missing, codes in order of first appearance across
    /// row groups.
    #[test]
    fn a_category_read_from_the_pages_equals_its_text_coded() {
        let first: &[Option<&[u8]>] = &[
            Some(b"M"),
            None,
            Some(b" F "),
            Some(b"NA"),
            Some(b"M"),
            Some(b""),
        ];
        let second: &[Option<&[u8]>] = &[Some(b"x"), Some(b"F"), None, Some(b"."), Some(b"M ")];
        let bytes = strings_file(&[first, second]);
        let coded = read(&bytes, ColumnRequest::category("g")).unwrap();
        let text = read(&bytes, ColumnRequest::text("g")).unwrap();
        let expected = ColumnData::coded(text.text("g").unwrap()).unwrap();
        let ColumnData::Codes { levels, codes } = expected else {
            panic!("coded text is codes")
        };
        let (got_levels, got_codes) = coded.categories("g").expect("read as codes");
        assert_eq!(got_levels, levels.as_slice());
        assert_eq!(got_codes, codes.as_slice());
        assert_eq!(got_levels, ["M", "F", "x"]);
        let m = crate::io::table::MISSING_CODE;
        assert_eq!(got_codes, [0, m, 1, m, 0, m, 2, 1, m, m, 0]);
    }

    /// Bytes that are not UTF-8 get the text route's message, naming the row (the fourth).
    #[test]
    fn text_that_is_not_utf8_names_its_row_read_as_a_category_too() {
        let first: &[Option<&[u8]>] = &[Some(b"M"), Some(b"F")];
        let second: &[Option<&[u8]>] = &[Some(b"M"), Some(&[0xff, 0x41])];
        let bytes = strings_file(&[first, second]);
        for request in [ColumnRequest::category("g"), ColumnRequest::text("g")] {
            let message = read(&bytes, request).unwrap_err().to_string();
            assert!(
                message.contains("row 4, column 1 (`g`)") && message.contains("not valid UTF-8"),
                "{message}"
            );
        }
    }
}
