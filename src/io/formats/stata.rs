//! Stata `.dta` files (every release, 102–119, through the `dta` crate). Numeric variables are
//! numbers and Stata's missing values (`.`, `.a`–`.z`) missing cells; a variable with value
//! labels is categorical: read as text its levels are the labels (a code without a label is
//! its number), read as numbers its codes. `str#` and `strL` variables are text; a numeric
//! variable with a daily date format (`%td`, `%d`) is `YYYY-MM-DD` text.

use super::{InputKind, Sheet, SheetColumn, date_text, number_text, unreadable};
use crate::error::Result;
use dta::stata::dta::dta_reader::DtaReader;
use dta::stata::dta::long_string_table::LongStringTable;
use dta::stata::dta::value::Value;
use dta::stata::dta::value_label_table::ValueLabelTable;
use std::path::Path;

/// Days from 1960-01-01 (Stata's day 0) back to 1970-01-01.
const STATA_EPOCH_DAYS: i64 = -3653;

/// What one variable's cells are collected as while the data section is read.
enum Collected {
    Numbers(Vec<f64>),
    Text(Vec<String>),
    /// strL cells: the reference of each, resolved once the strL section is read.
    LongText(Vec<Option<dta::stata::dta::long_string_ref::LongStringRef>>),
}

/// The whole file. `encoding` overrides the file's own for text (pre-118 files are Latin-1).
pub fn read(
    path: &Path,
    bytes: &[u8],
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Result<Sheet> {
    let failed = |e: dta::stata::dta::dta_error::DtaError| unreadable(path, InputKind::Stata, e);
    let mut reader = DtaReader::new();
    if let Some(e) = encoding {
        reader = reader.encoding(e);
    }
    let mut characteristics = reader
        .from_reader(std::io::Cursor::new(bytes))
        .read_header()
        .and_then(|h| h.read_schema())
        .map_err(failed)?;
    characteristics.skip_to_end().map_err(failed)?;
    let mut records = characteristics.into_record_reader().map_err(failed)?;
    let schema = records.schema().clone();
    let n = usize::try_from(records.header().observation_count()).unwrap_or(0);
    let mut collected: Vec<Collected> = schema
        .variables()
        .iter()
        .map(|v| {
            use dta::stata::dta::variable_type::VariableType as T;
            match v.variable_type() {
                T::FixedString(_) => Collected::Text(Vec::with_capacity(n)),
                T::LongString => Collected::LongText(Vec::with_capacity(n)),
                _ => Collected::Numbers(Vec::with_capacity(n)),
            }
        })
        .collect();
    while let Some(record) = records.read_record().map_err(failed)? {
        for (value, column) in record.values().iter().zip(collected.iter_mut()) {
            match (value, column) {
                (Value::String(s), Collected::Text(v)) => v.push(s.to_string()),
                (Value::LongStringRef(r), Collected::LongText(v)) => v.push(Some(*r)),
                (value, Collected::Numbers(v)) => v.push(number(value)),
                (_, Collected::Text(v)) => v.push(String::new()),
                (_, Collected::LongText(v)) => v.push(None),
            }
        }
    }
    let mut long_strings = records.into_long_string_reader().map_err(failed)?;
    let mut long_table = LongStringTable::for_reading();
    long_strings
        .read_remaining_into(&mut long_table)
        .map_err(failed)?;
    let text_encoding = long_strings.encoding();
    let mut labels_reader = long_strings.into_value_label_reader().map_err(failed)?;
    let mut labels = ValueLabelTable::new();
    labels_reader
        .read_remaining_into(&mut labels)
        .map_err(failed)?;

    let mut columns = Vec::with_capacity(collected.len());
    for (variable, column) in schema.variables().iter().zip(collected) {
        columns.push(match column {
            Collected::Text(v) => SheetColumn::Text(v),
            Collected::LongText(refs) => SheetColumn::Text(
                refs.iter()
                    .map(|r| {
                        r.and_then(|r| long_table.get(&r))
                            .and_then(|s| s.data_str(text_encoding).map(|t| t.into_owned()))
                            .unwrap_or_default()
                    })
                    .collect(),
            ),
            Collected::Numbers(codes) => {
                let labelled = !variable.value_label_name().is_empty()
                    && labels.get(variable.value_label_name()).is_some();
                if labelled {
                    let labels = codes
                        .iter()
                        .map(|&x| {
                            (x.is_finite() && x.fract() == 0.0 && x.abs() < 2_147_483_648.0)
                                .then(|| labels.label_for(variable, x as i32))
                                .flatten()
                                .map(str::to_string)
                        })
                        .collect();
                    SheetColumn::Labelled { codes, labels }
                } else if is_daily_date(variable.format()) {
                    SheetColumn::Text(
                        codes
                            .iter()
                            .map(|&x| {
                                if x.is_finite() {
                                    date_text(x as i64 + STATA_EPOCH_DAYS)
                                } else if x.is_nan() {
                                    String::new()
                                } else {
                                    number_text(x)
                                }
                            })
                            .collect(),
                    )
                } else {
                    SheetColumn::Numbers(codes)
                }
            }
        });
    }
    Ok(Sheet {
        names: schema
            .variables()
            .iter()
            .map(|v| v.name().to_string())
            .collect(),
        columns,
        first_line: 2,
    })
}

/// A numeric cell as a number, NaN for every one of Stata's missing values.
fn number(value: &Value<'_>) -> f64 {
    match value {
        Value::Byte(b) => b.present().map_or(f64::NAN, f64::from),
        Value::Int(i) => i.present().map_or(f64::NAN, f64::from),
        Value::Long(l) => l.present().map_or(f64::NAN, f64::from),
        Value::Float(f) => f.present().map_or(f64::NAN, f64::from),
        Value::Double(d) => d.present().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// Stata's daily date formats: `%td…` and the old `%d…`.
fn is_daily_date(format: &str) -> bool {
    let f = format.trim_start_matches('%').trim_start_matches('-');
    f.starts_with("td") || (f.starts_with('d') && !f.starts_with("dc"))
}
