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
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::Path;

mod pages;

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

/// The columns of strings (one per row: not lists, not decimals stored as bytes), in order.
pub fn text_columns(path: &Path, bytes: &[u8]) -> Result<Vec<String>> {
    let reader = open(path, bytes)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    Ok((0..schema.num_columns())
        .map(|i| schema.column(i))
        .filter(|c| is_flat_string(c))
        .map(|c| c.name().to_string())
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
            if matches!(
                request.kind,
                ColumnKind::Number | ColumnKind::OptionalNumber
            ) && let Some(numbers) =
                read_number_strings(path, &reader, pos, &descriptor, request, format)?
            {
                return Ok(numbers);
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
    // A number column's entry as read by the column reader's arms below.
    let entry_number = |bytes: &[u8], entries: usize| match descriptor.physical_type() {
        PhysicalType::DOUBLE => pages::fixed_entries::<8>(bytes, entries, f64::from_le_bytes),
        PhysicalType::FLOAT => {
            pages::fixed_entries::<4>(bytes, entries, |b| f64::from(f32::from_le_bytes(b)))
        }
        PhysicalType::INT32 => pages::fixed_entries::<4>(bytes, entries, |b| {
            let x = i32::from_le_bytes(b);
            scaled(if unsigned {
                f64::from(x as u32)
            } else {
                f64::from(x)
            })
        }),
        PhysicalType::INT64 => pages::fixed_entries::<8>(bytes, entries, |b| {
            let x = i64::from_le_bytes(b);
            scaled(if unsigned { x as u64 as f64 } else { x as f64 })
        }),
        _ => None,
    };
    for group in 0..metadata.num_row_groups() {
        let row_group = reader.get_row_group(group).map_err(failed)?;
        if !as_text
            && let Some(chunk) =
                dictionary_chunk(row_group.as_ref(), position, max_def).map_err(failed)?
            && let Some(entries) = entry_number(&chunk.dictionary, chunk.entries)
        {
            numbers.extend(chunk.rows.iter().map(|&i| match i {
                pages::NULL_ROW => f64::NAN,
                i => entries[i as usize],
            }));
            continue;
        }
        let column_reader = row_group.get_column_reader(position).map_err(failed)?;
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
    if !is_flat_string(descriptor) {
        return Ok(None);
    }
    let failed = |e: parquet::errors::ParquetError| unreadable(path, InputKind::Parquet, e);
    let max_def = descriptor.max_def_level();
    let mut category = CategoryBuilder::with_capacity(n_rows);
    let mut rows = 0;
    for group in 0..reader.metadata().num_row_groups() {
        let row_group = reader.get_row_group(group).map_err(failed)?;
        if let Some((chunk, entries)) =
            string_chunk(row_group.as_ref(), position, max_def).map_err(failed)?
        {
            // Each entry is coded at the first row that has it, as the rows would code it one
            // by one, so the codes are in order of first appearance all the same.
            let mut entry_codes: Vec<Option<u32>> = vec![None; entries.len()];
            for &index in &chunk.rows {
                if index == pages::NULL_ROW {
                    category.push("");
                } else if let Some(code) = entry_codes[index as usize] {
                    category.push_code(code);
                } else {
                    let (start, end) = entries[index as usize];
                    let Ok(text) = std::str::from_utf8(&chunk.dictionary[start..end]) else {
                        return Err(not_utf8(path, rows, position, descriptor.name()));
                    };
                    entry_codes[index as usize] = Some(category.push(text.trim()));
                }
                rows += 1;
            }
            continue;
        }
        let column_reader = row_group.get_column_reader(position).map_err(failed)?;
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

/// A string column asked for as numbers (the arm and the subgroups are tried as numbers first,
/// and are read as categories when that fails, at their first row of text), its dictionary's
/// entries read by [`typed`]'s rules once each, at the first row that has them, so the numbers
/// and the first error are those of the text route. None when a chunk is not dictionary-encoded
/// (the text route reads it).
fn read_number_strings(
    path: &Path,
    reader: &SerializedFileReader<bytes::Bytes>,
    position: usize,
    descriptor: &ColumnDescriptor,
    request: &ColumnRequest,
    format: CsvFormat,
) -> Result<Option<ColumnData>> {
    if !is_flat_string(descriptor) {
        return Ok(None);
    }
    let failed = |e: parquet::errors::ParquetError| unreadable(path, InputKind::Parquet, e);
    let max_def = descriptor.max_def_level();
    let mut chunks = Vec::new();
    for group in 0..reader.metadata().num_row_groups() {
        let row_group = reader.get_row_group(group).map_err(failed)?;
        let Some(chunk) = string_chunk(row_group.as_ref(), position, max_def).map_err(failed)?
        else {
            return Ok(None);
        };
        chunks.push(chunk);
    }
    // Text that is not UTF-8 is named before any number: the text route reads every row group
    // before it converts a cell.
    let mut first_row = 0;
    for (chunk, entries) in &chunks {
        let not_text: Vec<bool> = entries
            .iter()
            .map(|&(start, end)| std::str::from_utf8(&chunk.dictionary[start..end]).is_err())
            .collect();
        let bad = chunk
            .rows
            .iter()
            .position(|&i| i != pages::NULL_ROW && not_text[i as usize]);
        if let Some(row) = bad {
            return Err(not_utf8(path, first_row + row, position, descriptor.name()));
        }
        first_row += chunk.rows.len();
    }
    // One cell as the text route converts it at its row (a null is an empty cell there).
    let cell = |row: usize, text: &str| -> Result<Option<f64>> {
        let one = SheetColumn::Text(vec![text.to_string()]);
        Ok(
            match typed(
                path,
                Cow::Owned(one),
                request,
                position,
                row as u64 + 2,
                format,
            )? {
                ColumnData::Number(values) => values.first().copied(),
                _ => None,
            },
        )
    };
    let mut values = Vec::with_capacity(first_row);
    let mut null_value = None;
    let mut row = 0;
    for (chunk, entries) in &chunks {
        let mut entry_values: Vec<Option<f64>> = vec![None; entries.len()];
        for &index in &chunk.rows {
            let known = if index == pages::NULL_ROW {
                &mut null_value
            } else {
                &mut entry_values[index as usize]
            };
            let value = match *known {
                Some(value) => value,
                None => {
                    let text = match index {
                        pages::NULL_ROW => "",
                        i => {
                            let (start, end) = entries[i as usize];
                            std::str::from_utf8(&chunk.dictionary[start..end]).unwrap_or("")
                        }
                    };
                    let Some(value) = cell(row, text)? else {
                        return Ok(None);
                    };
                    *known = Some(value);
                    value
                }
            };
            values.push(value);
            row += 1;
        }
    }
    Ok(Some(ColumnData::Number(values)))
}

/// Whether a column is one string per row (not a decimal stored as bytes, not a list).
fn is_flat_string(descriptor: &ColumnDescriptor) -> bool {
    let decimal = matches!(descriptor.logical_type_ref(), Some(LogicalType::Decimal(_)))
        || descriptor.converted_type() == ConvertedType::DECIMAL;
    descriptor.physical_type() == PhysicalType::BYTE_ARRAY
        && descriptor.max_rep_level() == 0
        && !decimal
}

/// A row group's chunk of one column read from its pages by [`pages::dictionary_chunk`], when it
/// is dictionary-encoded throughout.
fn dictionary_chunk(
    row_group: &dyn RowGroupReader,
    position: usize,
    max_def: i16,
) -> parquet::errors::Result<Option<pages::DictionaryChunk>> {
    let rows = usize::try_from(row_group.metadata().num_rows()).unwrap_or(0);
    let mut page_reader = row_group.get_column_page_reader(position)?;
    pages::dictionary_chunk(page_reader.as_mut(), max_def, rows)
}

/// A string column's chunk and its dictionary's entries, as ranges of the dictionary page.
type StringChunk = (pages::DictionaryChunk, Vec<(usize, usize)>);

/// A string column's chunk read from its pages, with its dictionary's entries as ranges of the
/// dictionary page, when it is dictionary-encoded throughout.
fn string_chunk(
    row_group: &dyn RowGroupReader,
    position: usize,
    max_def: i16,
) -> parquet::errors::Result<Option<StringChunk>> {
    Ok(
        dictionary_chunk(row_group, position, max_def)?.and_then(|chunk| {
            let entries = pages::byte_array_entries(&chunk.dictionary, chunk.entries)?;
            Some((chunk, entries))
        }),
    )
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
    use parquet::data_type::{ByteArray, DoubleType, FloatType, Int32Type, Int64Type};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// A Parquet file of one optional string column `g`, in row groups of the given cells (None:
    /// null), as raw bytes (not UTF-8 where asked).
    fn strings_file(groups: &[&[Option<&[u8]>]]) -> Vec<u8> {
        strings_file_as(groups, WriterProperties::default())
    }

    fn strings_file_as(groups: &[&[Option<&[u8]>]], settings: WriterProperties) -> Vec<u8> {
        let schema =
            Arc::new(parse_message_type("message m { optional binary g (UTF8); }").unwrap());
        let mut out = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut out, schema, Arc::new(settings)).unwrap();
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

    /// Writer settings that store a column's chunks in each way a reader meets: without a
    /// dictionary (the column reader's route), with one in data pages v1 and v2, in many small
    /// pages, and with a dictionary that overflows into plain pages within the chunk (the column
    /// reader's route again, where the values outgrow it: see
    /// `a_dictionary_that_overflows_into_plain_pages_is_read_by_the_column_reader`). Each with
    /// whether its chunks are read from their pages, where that does not depend on the values.
    fn settings() -> Vec<(&'static str, WriterProperties, Option<bool>)> {
        let builder = WriterProperties::builder;
        vec![
            (
                "plain",
                builder().set_dictionary_enabled(false).build(),
                Some(false),
            ),
            ("dictionary, pages v1", builder().build(), Some(true)),
            (
                "dictionary, pages v2",
                builder()
                    .set_writer_version(WriterVersion::PARQUET_2_0)
                    .build(),
                Some(true),
            ),
            (
                "dictionary, small pages v1",
                builder()
                    .set_write_batch_size(2)
                    .set_data_page_row_count_limit(2)
                    .build(),
                Some(true),
            ),
            (
                "dictionary, small pages v2",
                builder()
                    .set_writer_version(WriterVersion::PARQUET_2_0)
                    .set_write_batch_size(3)
                    .set_data_page_row_count_limit(3)
                    .build(),
                Some(true),
            ),
            (
                "overflowing dictionary",
                builder()
                    .set_write_batch_size(1)
                    .set_dictionary_page_size_limit(8)
                    .build(),
                None,
            ),
        ]
    }

    /// Whether every row group of column 0 is read from its pages.
    fn read_from_pages(bytes: &[u8], max_def: i16) -> bool {
        let reader = open(Path::new("p.parquet"), bytes).unwrap();
        (0..reader.metadata().num_row_groups()).all(|g| {
            let group = reader.get_row_group(g).unwrap();
            dictionary_chunk(group.as_ref(), 0, max_def)
                .unwrap()
                .is_some()
        })
    }

    /// The table's column `g` as comparable text: its numbers, codes and levels, or the error.
    fn shown(result: Result<Table>, request: &ColumnRequest) -> String {
        match result {
            Err(e) => format!("error: {e}"),
            Ok(table) => match request.kind {
                ColumnKind::Category => format!("{:?}", table.categories(&request.name)),
                ColumnKind::Text => format!("{:?}", table.text(&request.name)),
                _ => format!("{:?}", table.number(&request.name)),
            },
        }
    }

    /// A string column read from its dictionary gives what the column reader gives, as a
    /// category, as numbers and as text: values, codes in order of first appearance, nulls and
    /// missing-value codes, and the same error at the same row for a cell that is not a
    /// number, a missing cell where one is required, and bytes that are not UTF-8.
    #[test]
    fn strings_read_from_their_dictionary_equal_the_column_readers() {
        let numbers: &[&[Option<&[u8]>]] = &[
            &[
                Some(b" 1"),
                Some(b"2.5"),
                None,
                Some(b"NA"),
                Some(b"1"),
                Some(b"-3"),
            ],
            &[Some(b"2.5"), Some(b"7"), Some(b"1 ")],
        ];
        let labels: &[&[Option<&[u8]>]] = &[
            &[
                Some(b"M"),
                None,
                Some(b" F "),
                Some(b"NA"),
                Some(b"M"),
                Some(b""),
            ],
            &[Some(b"x"), Some(b"F"), None, Some(b"."), Some(b"M ")],
        ];
        let stray: &[&[Option<&[u8]>]] = &[&[Some(b"1"), Some(b"2")], &[Some(b"1"), Some(b"two")]];
        let not_utf8: &[&[Option<&[u8]>]] = &[
            &[Some(b"1"), Some(b"x")],
            &[Some(b"1"), Some(&[0xff, 0x41])],
        ];
        let requests = [
            ColumnRequest::category("g"),
            ColumnRequest::optional_number("g"),
            ColumnRequest::number("g"),
            ColumnRequest::text("g"),
        ];
        for cells in [numbers, labels, stray, not_utf8] {
            let plain = strings_file_as(
                cells,
                WriterProperties::builder()
                    .set_dictionary_enabled(false)
                    .build(),
            );
            for (name, settings, from_pages) in settings() {
                let bytes = strings_file_as(cells, settings);
                if let Some(from_pages) = from_pages {
                    assert_eq!(read_from_pages(&bytes, 1), from_pages, "{name}");
                }
                for request in &requests {
                    assert_eq!(
                        shown(read(&bytes, request.clone()), request),
                        shown(read(&plain, request.clone()), request),
                        "{name}, {request:?}, {cells:?}"
                    );
                }
            }
        }
        // What the comparisons above compared.
        let bytes = strings_file(numbers);
        let optional = read(&bytes, ColumnRequest::optional_number("g")).unwrap();
        let got: Vec<String> = optional
            .number("g")
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(got, ["1", "2.5", "NaN", "NaN", "1", "-3", "2.5", "7", "1"]);
        let required = read(&bytes, ColumnRequest::number("g"))
            .unwrap_err()
            .to_string();
        assert!(required.contains("missing value"), "{required}");
        let stray = read(&strings_file(stray), ColumnRequest::optional_number("g"));
        let stray = stray.unwrap_err().to_string();
        assert!(
            stray.contains("`two`") && stray.contains("row 4"),
            "{stray}"
        );
        let bad = read(&strings_file(not_utf8), ColumnRequest::optional_number("g"));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("row 4, column 1 (`g`)")
        );
    }

    /// Number columns read from their dictionary give what the column reader gives: doubles,
    /// floats, unsigned 32-bit integers above `i32::MAX`, scaled decimals and 64-bit integers,
    /// with nulls, over two row groups.
    #[test]
    fn numbers_read_from_their_dictionary_equal_the_column_readers() {
        let schema = "message m { optional double d; optional float f; \
                      optional int32 u (UINT_32); optional int32 c (DECIMAL(9,2)); \
                      optional int64 l; }";
        let file = |settings: WriterProperties| {
            let schema = Arc::new(parse_message_type(schema).unwrap());
            let mut out = Vec::new();
            let mut writer =
                SerializedFileWriter::new(&mut out, schema, Arc::new(settings)).unwrap();
            for group in 0..2 {
                let levels: Vec<i16> = (0..7).map(|i| i16::from(i != 3)).collect();
                let base = [1, 2, 1, 5, 2, 1, 9].map(|v| v + group);
                let mut rows = writer.next_row_group().unwrap();
                for column in 0..5 {
                    let mut writer = rows.next_column().unwrap().unwrap();
                    let present = || base.iter().zip(&levels).filter(|(_, l)| **l == 1);
                    let lv = Some(levels.as_slice());
                    match column {
                        0 => writer.typed::<DoubleType>().write_batch(
                            &present()
                                .map(|(v, _)| f64::from(*v) / 4.0)
                                .collect::<Vec<_>>(),
                            lv,
                            None,
                        ),
                        1 => writer.typed::<FloatType>().write_batch(
                            &present().map(|(v, _)| *v as f32 / 8.0).collect::<Vec<_>>(),
                            lv,
                            None,
                        ),
                        2 => writer.typed::<Int32Type>().write_batch(
                            &present()
                                .map(|(v, _)| (u32::MAX - *v as u32) as i32)
                                .collect::<Vec<_>>(),
                            lv,
                            None,
                        ),
                        3 => writer.typed::<Int32Type>().write_batch(
                            &present().map(|(v, _)| -12_345 * v).collect::<Vec<_>>(),
                            lv,
                            None,
                        ),
                        _ => writer.typed::<Int64Type>().write_batch(
                            &present()
                                .map(|(v, _)| i64::from(*v) << 40)
                                .collect::<Vec<_>>(),
                            lv,
                            None,
                        ),
                    }
                    .unwrap();
                    writer.close().unwrap();
                }
                rows.close().unwrap();
            }
            writer.close().unwrap();
            out
        };
        let plain = file(
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .build(),
        );
        for (name, settings, from_pages) in settings() {
            let bytes = file(settings);
            if let Some(from_pages) = from_pages {
                assert_eq!(read_from_pages(&bytes, 1), from_pages, "{name}");
            }
            for column in ["d", "f", "u", "c", "l"] {
                let request = ColumnRequest::optional_number(column);
                assert_eq!(
                    shown(read(&bytes, request.clone()), &request),
                    shown(read(&plain, request.clone()), &request),
                    "{name}, {column}"
                );
            }
        }
        let table = read(&plain, ColumnRequest::optional_number("u")).unwrap();
        assert_eq!(table.number("u").unwrap()[0], f64::from(u32::MAX - 1));
        let table = read(&plain, ColumnRequest::optional_number("c")).unwrap();
        assert_eq!(table.number("c").unwrap()[1], -246.9);
        assert!(table.number("c").unwrap()[3].is_nan());
    }

    /// A writer whose dictionary outgrows its limit writes the rest of the chunk in plain pages:
    /// such a chunk is read by the column reader, with the same values and codes.
    #[test]
    fn a_dictionary_that_overflows_into_plain_pages_is_read_by_the_column_reader() {
        let texts: Vec<Vec<u8>> = (0..400)
            .map(|i| format!("level {}", i % 150).into_bytes())
            .collect();
        let cells: Vec<Option<&[u8]>> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i % 7 != 3).then_some(t.as_slice()))
            .collect();
        let overflowing = WriterProperties::builder()
            .set_write_batch_size(10)
            .set_data_page_row_count_limit(10)
            .set_dictionary_page_size_limit(256)
            .build();
        let bytes = strings_file_as(&[&cells], overflowing);
        assert!(!read_from_pages(&bytes, 1));
        let plain = strings_file_as(
            &[&cells],
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .build(),
        );
        for request in [ColumnRequest::category("g"), ColumnRequest::text("g")] {
            assert_eq!(
                shown(read(&bytes, request.clone()), &request),
                shown(read(&plain, request.clone()), &request)
            );
        }
        // The first pages hold a dictionary: the reader meets both kinds in one chunk.
        let reader = open(Path::new("p.parquet"), &bytes).unwrap();
        let group = reader.get_row_group(0).unwrap();
        let mut pages = group.get_column_page_reader(0).unwrap();
        let mut kinds = Vec::new();
        while let Some(page) = pages.get_next_page().unwrap() {
            kinds.push(page.encoding());
        }
        assert!(
            kinds.contains(&parquet::basic::Encoding::RLE_DICTIONARY),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&parquet::basic::Encoding::PLAIN),
            "{kinds:?}"
        );
    }
}
