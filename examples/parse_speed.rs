//! Benchmark of the CSV reader alone: the columns `estimate` asks of the 10M × 10 file
//! (z, gender, y, x1..x10) read from the first BYTES of FILE, REPS times, on the threads rayon
//! is given; prints each run's wall time and time on a CPU, and the best of each.
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
    let mut best_cpu = f64::INFINITY;
    for _ in 0..reps {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        match Table::from_bytes(Path::new(&file), &bytes, &requests) {
            Ok(table) => {
                let seconds = started.elapsed().as_secs_f64();
                let cpu = cpu_seconds() - cpu_before;
                best = best.min(seconds);
                best_cpu = best_cpu.min(cpu);
                let rows = table.n_rows();
                println!(
                    "{rows} rows in {seconds:.3} s ({cpu:.4} s on a CPU): {:.1} ns a number cell",
                    cpu * 1e9 / (rows as f64 * 12.0)
                );
            }
            Err(e) => {
                eprintln!("{e}");
                return;
            }
        }
    }
    println!("best {best:.3} s, {best_cpu:.4} s on a CPU");
}

/// The time this process's threads have run on a CPU, from the scheduler's own count in
/// nanoseconds (`/proc/self/task/*/schedstat`, Linux); on a shared machine it moves far less
/// than the wall time. 0 where it cannot be read.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let nanoseconds: u64 = tasks
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum();
    nanoseconds as f64 * 1e-9
}
