//! Benchmark of re-drawing an assignment (randomization inference, simulation-based power):
//! a plan of 100,000 units in 32 strata (16 sites × gender) built once, then drawn repeatedly
//! with streams `ri/draw=r`. Prints milliseconds per draw. Run: `cargo bench --bench draw`.

use lotta::design::{AssignmentMethod, AssignmentPlan, Design, DesignInput, Misfits, strata_codes};
use std::time::Instant;

fn main() {
    let n = 100_000;
    let ids: Vec<String> = (0..n).map(|i| format!("P{:07}", (i * 7919) % n)).collect();
    let site: Vec<String> = (0..n).map(|i| format!("site{:02}", i % 16)).collect();
    let gender: Vec<String> = (0..n)
        .map(|i| if (i / 16) % 2 == 0 { "F" } else { "M" }.to_string())
        .collect();
    let (codes, keys) = strata_codes(&[("site", &site), ("gender", &gender)], n);
    let batch = vec![1u32; n];
    for (method, misfits) in [
        (AssignmentMethod::Complete, Some(Misfits::Global)),
        (AssignmentMethod::Blocks, None),
    ] {
        let design = Design::new(DesignInput {
            arms: vec![("md1".into(), 2), ("standard".into(), 1)],
            method: Some(method),
            misfits,
            seed: 20190901,
            id: "person_id".into(),
            ..Default::default()
        })
        .expect("design");
        let start = Instant::now();
        let plan = AssignmentPlan::new(&design, &ids, (&codes, &keys), None, &batch).expect("plan");
        let built = start.elapsed();
        let draws = 500;
        let start = Instant::now();
        let mut checksum = 0u64;
        for r in 0..draws {
            let arms = plan.draw(design.seed, &format!("ri/draw={r}"));
            checksum += arms.iter().map(|&a| a as u64).sum::<u64>();
        }
        let per = start.elapsed().as_secs_f64() * 1000.0 / draws as f64;
        println!(
            "{method}: plan of {n} units built in {:.1} ms; {per:.2} ms per draw ({draws} draws; checksum {checksum})",
            built.as_secs_f64() * 1000.0
        );
    }
}
