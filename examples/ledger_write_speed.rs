//! Benchmark of the ledger writer alone (`design::ledger::write_rows`): ROWS synthetic rows of
//! ten-character ids in 1,000 strata, as `assign` of ten million writes them in format v2 (or
//! v1), into a sink, REPS times on one thread; prints the best time and the time per row. The
//! rows are made beforehand, so what is timed is the formatting and the hash chain, without the
//! random reads of the rows' fields or the writes to a file.
//! Usage: cargo run --release --example ledger_write_speed [ROWS] [REPS] [v1|v2]

use lotta::design::ledger::{LedgerFormat, RowView, chain_start, sidecar_bytes_as, write_rows};
use lotta::design::{AssignmentMethod, Design, DesignInput};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let format = match args.next().as_deref() {
        Some("v1") => LedgerFormat::V1,
        _ => LedgerFormat::V2,
    };
    let design = match Design::new(DesignInput {
        arms: vec![("md1".into(), 2), ("standard".into(), 1)],
        method: Some(AssignmentMethod::Complete),
        seed: 20190901,
        id: "person_id".into(),
        ..Default::default()
    }) {
        Ok(design) => design,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let ids: Vec<String> = (0..rows)
        .map(|i| format!("P{:09}", (i * 7919) % rows))
        .collect();
    let strata: Vec<String> = (0..1000)
        .map(|s| {
            format!(
                "site=site{:04}|gender={}",
                s % 500,
                if s < 500 { "M" } else { "F" }
            )
        })
        .collect();
    let views: Vec<RowView> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| RowView {
            id,
            arm: (i % 3 == 2) as u32,
            stratum: &strata[(i * 31) % strata.len()],
            cluster: None,
            probability: if i % 3 == 2 { 1.0 / 3.0 } else { 2.0 / 3.0 },
            block: 1 + (i / 6) as u32,
            position: 1 + (i % 6) as u32,
            batch: 1,
        })
        .collect();
    let start = chain_start(&sidecar_bytes_as(&design, format));
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let started = Instant::now();
        let written = write_rows(
            std::io::sink(),
            &design,
            format,
            start.clone(),
            true,
            views.iter().copied(),
        );
        let seconds = started.elapsed().as_secs_f64();
        if let Err(e) = written {
            eprintln!("{e}");
            return;
        }
        best = best.min(seconds);
    }
    println!(
        "{rows} rows ({format:?}): best of {reps} {best:.3} s, {:.1} ns a row",
        best * 1e9 / rows as f64
    );
}
