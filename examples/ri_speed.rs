//! Benchmark (run by benches/estimate.sh): how fast the estimate of a re-drawn assignment is
//! recomputed for randomization inference — 100,000 rows, 5 covariates, Lin by gender, draws in
//! parallel with one named stream each. Usage: cargo run --release --example ri_speed [DRAWS]

use lotta::estimate::fast::fast_statistic;
use lotta::estimate::{
    AnalysisData, Covariate, CovariateValues, EstimateOptions, Estimator, Factor, Treatment,
};
use lotta::rng::Stream;
use rayon::prelude::*;
use std::time::Instant;

fn main() {
    let draws: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let n = 100_000;
    let mut s = Stream::new(1, "ri_speed/data");
    let codes: Vec<usize> = (0..n)
        .map(|_| usize::from(s.bernoulli(2.0 / 3.0)))
        .collect();
    let gender: Vec<String> = (0..n)
        .map(|_| if s.bernoulli(0.45) { "F" } else { "M" }.to_string())
        .collect();
    let covariates: Vec<Covariate> = (1..=5)
        .map(|j| Covariate {
            name: format!("x{j}"),
            values: CovariateValues::Number((0..n).map(|_| s.normal()).collect()),
        })
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 0.1 * codes[i] as f64 + f64::from(u8::from(s.bernoulli(0.4))))
        .collect();
    let data = AnalysisData {
        treatment: Treatment {
            name: "z".into(),
            arms: vec!["0".into(), "1".into()],
            codes: lotta::estimate::narrow(codes.iter().copied()),
        },
        outcomes: vec![("y".into(), y)],
        covariates,
        by: vec![Factor::from_labels("gender", &gender)],
        strata: None,
        cluster: None,
        weights: None,
        participation: None,
        ids: None,
    };
    let options = EstimateOptions {
        estimator: Estimator::Lin,
        se: None,
        alpha: 0.05,
        missing_covariates: Default::default(),
        all_pairs: false,
    };
    let start = Instant::now();
    let fast = fast_statistic(&data, &options)
        .expect("valid data")
        .expect("Lin is supported");
    let setup = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let stats: Vec<Vec<f64>> = (0..draws)
        .into_par_iter()
        .map(|d| {
            let mut c = codes.clone();
            Stream::new(1, &format!("ri/draw={d}")).shuffle(&mut c);
            fast.eval(&c)
        })
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    let finite = stats.iter().flatten().filter(|v| v.is_finite()).count();
    println!(
        "RI statistic, Lin by gender, {n} rows: setup {setup:.3} s, {draws} draws {elapsed:.2} s ({:.2} ms/draw, {finite} finite estimates)",
        1000.0 * elapsed / draws as f64
    );
}
