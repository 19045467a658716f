//! Benchmark of the CSV reader alone: the columns `estimate` asks of the 10M × 10 file
//! (z, gender, y, x1..x10) read from the first BYTES of FILE, REPS times, on the threads rayon
//! is given; prints the best wall time and the CPU time per number cell.
//! Usage: cargo run --release --example parse_speed FILE [MEGABYTES] [REPS]

use lotta::io::{ColumnRequest, Table};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: parse_speed FILE [MEGABYTES] [REPS]");
        return;
    };
    let megabytes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut bytes = Vec::new();
    let opened = std::fs::File::open(&file)
        .and_then(|f| f.take((megabytes as u64) << 20).read_to_end(&mut bytes));
    if let Err(e) = opened {
        eprintln!("{file}: {e}");
        return;
    }
    // Whole lines only.
    if let Some(p) = bytes.iter().rposition(|&b| b == b'\n') {
        bytes.truncate(p + 1);
    }
    let mut requests = vec![
        ColumnRequest::optional_number("z"),
        ColumnRequest::category("gender"),
        ColumnRequest::optional_number("y"),
    ];
    requests.extend((1..=10).map(|j| ColumnRequest::optional_number(format!("x{j}"))));
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let started = Instant::now();
        match Table::from_bytes(Path::new(&file), &bytes, &requests) {
            Ok(table) => {
                let seconds = started.elapsed().as_secs_f64();
                best = best.min(seconds);
                let rows = table.n_rows();
                println!(
                    "{rows} rows in {seconds:.3} s: {:.1} ns a number cell",
                    seconds * 1e9 / (rows as f64 * 12.0)
                );
            }
            Err(e) => {
                eprintln!("{e}");
                return;
            }
        }
    }
    println!("best {best:.3} s");
}
