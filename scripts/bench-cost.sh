#!/bin/sh
# Benchmark of `lotta cost` (stratified bootstrap) and randomization inference:
# 10,000 replications/draws on 100,000 persons, on all cores and on one.
# Usage: scripts/bench-cost.sh [N] [REPS]
set -eu
cd "$(dirname "$0")/.."
cargo build --release --example bench_cost
for threads in 2 1; do
  echo "== RAYON_NUM_THREADS=$threads"
  RAYON_NUM_THREADS=$threads target/release/examples/bench_cost "${1:-100000}" "${2:-10000}"
done
