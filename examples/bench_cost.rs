//! Benchmark for `lotta cost` and randomization inference (run with
//! `scripts/bench-cost.sh` or `cargo run --release --example bench_cost -- [N] [REPS]`):
//! 1. 10,000 stratified bootstrap replications of ΔC and ΔE on 100,000 participants (16 strata,
//!    2:1), the resampling engine alone and the whole `cea::analyse` with participation;
//! 2. 10,000 randomization-inference draws of a difference in means on 100,000 rows.
//!
//! Wall-clock figures from `std::time::Instant` (this is a benchmark, not a test).

use lotta::cea::bootstrap::ResamplingPlan;
use lotta::cea::{CostOptions, Sample, analyse};
use lotta::estimate::ri::{StrataPermuter, difference_in_means, randomization_test};
use lotta::rng::Stream;
use std::time::Instant;

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<usize> = raw.iter().filter_map(|a| a.parse().ok()).collect();
    // An optional word selects one part: `engine`, `analyse` or `ri` (default: all three).
    let only = raw.iter().find(|a| a.parse::<usize>().is_err()).cloned();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let n = args.first().copied().unwrap_or(100_000);
    let reps = args.get(1).copied().unwrap_or(10_000);
    let threads = rayon::current_num_threads();
    println!("n = {n}, replications/draws = {reps}, rayon threads = {threads}");

    let mut s = Stream::new(1, "bench/data");
    let strata: Vec<usize> = (0..n).map(|i| i % 16).collect();
    let treated: Vec<bool> = (0..n).map(|i| (i / 16) % 3 != 2).collect();
    let took: Vec<f64> = treated
        .iter()
        .map(|&t| if t && s.bernoulli(0.85) { 1.0 } else { 0.0 })
        .collect();
    let effect: Vec<f64> = (0..n)
        .map(|i| f64::from(s.bernoulli(0.36 + 0.08 * took[i])))
        .collect();
    let cost: Vec<f64> = (0..n)
        .map(|i| 12_000.0 * s.open_unit() + 30_000.0 * took[i])
        .collect();

    if run("engine") {
        let t0 = Instant::now();
        let plan = ResamplingPlan::new(&treated, &[&cost, &effect], &strata, None);
        let out = plan.run(reps, 7);
        let dt = t0.elapsed().as_secs_f64();
        println!(
            "bootstrap engine: {reps} replications × {n} persons (2 variables): {dt:.2} s \
         ({:.1} ns per resampled person)",
            dt * 1e9 / (reps as f64 * n as f64)
        );
        std::hint::black_box(out);
    }

    let sample = Sample {
        treated: treated.clone(),
        cost,
        effect: effect.clone(),
        participation: Some(took),
        offsets: vec![],
        strata: strata.clone(),
        clusters: None,
    };
    let options = CostOptions {
        bootstrap: reps,
        seed: 7,
        wtp: (0..=50).map(|k| k as f64 * 10_000.0).collect(),
        per_participant: true,
        ..CostOptions::default()
    };
    if run("analyse") {
        let t0 = Instant::now();
        let a = analyse(&sample, &options).expect("analysis");
        println!(
            "cea::analyse with {reps} replications, participation, 51-point λ grid: {:.2} s \
         (ICER {:.0}, bootstrap {:.0}–{:.0})",
            t0.elapsed().as_secs_f64(),
            a.gross.icer,
            a.gross.boot.as_ref().map_or(f64::NAN, |b| b.icer_low),
            a.gross.boot.as_ref().map_or(f64::NAN, |b| b.icer_high)
        );
    }
    if !run("ri") {
        return;
    }

    let z: Vec<f64> = treated.iter().map(|&t| f64::from(u8::from(t))).collect();
    let permuter = StrataPermuter::new(&z, &strata);
    let assign = |st: &mut Stream| permuter.draw(st);
    let stats = |zr: &[f64]| vec![difference_in_means(zr, &effect)];
    let observed = stats(&z);
    let t0 = Instant::now();
    let test = randomization_test(&observed, reps, 7, &assign, &stats).expect("ri");
    println!(
        "randomization inference: {reps} draws × {n} rows, difference in means within 16 strata: \
         {:.2} s (p = {:.4})",
        t0.elapsed().as_secs_f64(),
        test.p_values[0]
    );
}
