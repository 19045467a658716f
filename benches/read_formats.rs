//! Benchmark of reading a register extract: the same 1,000,000 rows (id, gender, age, five
//! covariates, an outcome with missing values) as CSV and as Parquet (snappy), each opened and
//! its columns read and typed through `InputFile` as a study does. Prints the best of three
//! runs of each and fails (exit 1) when Parquet is not the faster.
//! Run: `cargo bench --bench read_formats [-- ROWS]`.

use lotta::io::source::InputFile;
use lotta::io::table::ColumnRequest;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const COVARIATES: usize = 5;

struct Data {
    ids: Vec<String>,
    gender: Vec<&'static str>,
    age: Vec<f64>,
    x: Vec<Vec<f64>>,
    /// The outcome; NaN where missing (every 50th person).
    y: Vec<f64>,
}

fn data(n: usize) -> Data {
    // A small multiplicative generator: the data need only look like a register extract.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let ids = (0..n).map(|i| format!("P{i:07}")).collect();
    let gender = (0..n).map(|i| if i % 9 < 4 { "F" } else { "M" }).collect();
    let age = (0..n).map(|_| (18.0 + 47.0 * next()).floor()).collect();
    let x = (0..COVARIATES)
        .map(|_| {
            (0..n)
                .map(|_| (next() * 10_000.0).round() / 1000.0)
                .collect()
        })
        .collect();
    let y = (0..n)
        .map(|i| {
            if i % 50 == 0 {
                f64::NAN
            } else {
                f64::from(u8::from(next() < 0.4))
            }
        })
        .collect();
    Data {
        ids,
        gender,
        age,
        x,
        y,
    }
}

fn write_csv(path: &Path, d: &Data) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create csv"));
    write!(out, "person_id,gender,age").unwrap();
    for j in 0..COVARIATES {
        write!(out, ",x{j}").unwrap();
    }
    writeln!(out, ",y").unwrap();
    for i in 0..d.ids.len() {
        write!(out, "{},{},{}", d.ids[i], d.gender[i], d.age[i]).unwrap();
        for x in &d.x {
            write!(out, ",{}", x[i]).unwrap();
        }
        if d.y[i].is_nan() {
            writeln!(out, ",").unwrap();
        } else {
            writeln!(out, ",{}", d.y[i]).unwrap();
        }
    }
    out.flush().unwrap();
}

fn write_parquet(path: &Path, d: &Data) -> parquet::errors::Result<()> {
    let mut message = String::from(
        "message register { required binary person_id (STRING); required binary gender (STRING); required double age;",
    );
    for j in 0..COVARIATES {
        message.push_str(&format!(" required double x{j};"));
    }
    message.push_str(" optional double y; }");
    let schema = Arc::new(parse_message_type(&message)?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path).expect("create parquet");
    let mut writer = SerializedFileWriter::new(file, schema, properties)?;
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 | 1 => {
                let values: Vec<ByteArray> = if index == 0 {
                    d.ids.iter().map(|s| ByteArray::from(s.as_str())).collect()
                } else {
                    d.gender.iter().map(|s| ByteArray::from(*s)).collect()
                };
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            2 => {
                column
                    .typed::<DoubleType>()
                    .write_batch(&d.age, None, None)?;
            }
            i if i < 3 + COVARIATES => {
                column
                    .typed::<DoubleType>()
                    .write_batch(&d.x[i - 3], None, None)?;
            }
            _ => {
                let present: Vec<f64> = d.y.iter().copied().filter(|v| !v.is_nan()).collect();
                let levels: Vec<i16> = d.y.iter().map(|v| i16::from(!v.is_nan())).collect();
                column
                    .typed::<DoubleType>()
                    .write_batch(&present, Some(&levels), None)?;
            }
        }
        column.close()?;
        index += 1;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

/// The best of three reads of `path`: open, then the columns a study's analysis reads.
fn best_read(path: &Path, requests: &[ColumnRequest]) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let table = InputFile::open(path)
            .and_then(|f| f.table(requests))
            .expect("read");
        best = best.min(start.elapsed());
        rows = table.n_rows();
    }
    (best, rows)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(n);
    let csv = dir.path().join("register.csv");
    let parquet = dir.path().join("register.parquet");
    write_csv(&csv, &d);
    write_parquet(&parquet, &d).expect("write parquet");
    let mut requests = vec![
        ColumnRequest::text("person_id"),
        ColumnRequest::text("gender"),
        ColumnRequest::number("age"),
        ColumnRequest::optional_number("y"),
    ];
    requests.extend((0..COVARIATES).map(|j| ColumnRequest::number(format!("x{j}"))));
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / 1e6;
    let (csv_time, csv_rows) = best_read(&csv, &requests);
    let (parquet_time, parquet_rows) = best_read(&parquet, &requests);
    assert_eq!(csv_rows, n);
    assert_eq!(parquet_rows, n);
    println!(
        "{n} rows, 9 columns read: CSV {:.1} MB {:.0} ms; Parquet {:.1} MB {:.0} ms ({:.1}× faster)",
        size(&csv),
        csv_time.as_secs_f64() * 1e3,
        size(&parquet),
        parquet_time.as_secs_f64() * 1e3,
        csv_time.as_secs_f64() / parquet_time.as_secs_f64()
    );
    if parquet_time >= csv_time {
        eprintln!("Parquet was not faster to read than CSV");
        std::process::exit(1);
    }
}
