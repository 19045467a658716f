#!/usr/bin/env bash
# Benchmark of `lotta simulate` and `lotta power` (analytic and by simulation), release build.
# Usage: benches/simulate_power.sh   (from the repository root; prints wall and user seconds)
set -euo pipefail
# LOTTA=path/to/lotta times that binary (benches/all.sh passes its build).
[ -n "${LOTTA:-}" ] || cargo build --release --quiet
bin=${LOTTA:-${CARGO_TARGET_DIR:-target}/release/lotta}
out=$(mktemp -d)
run() { local label=$1; shift; /usr/bin/time -f "$label: %e s wall, %U s user, %M KB" "$@" > /dev/null; }
run "simulate n=5400" "$bin" simulate --study studies/md1-demo --n 5400 --seed 1 --out "$out/a"
run "simulate n=100000" "$bin" simulate --study studies/md1-demo --n 100000 --seed 1 --out "$out/b"
run "power analytic (normal)" "$bin" power --study studies/md1-demo
run "power analytic (t, solve n, clusters)" "$bin" power --baseline 0.3 --mde 0.05 --ratio 2:1 --icc 0.05 --cluster-size 150
run "power by simulation 500 x 5400 (all threads)" "$bin" power --study studies/md1-demo --simulate 500 --n 5400 --quiet
RAYON_NUM_THREADS=1 run "power by simulation 500 x 5400 (1 thread)" "$bin" power --study studies/md1-demo --simulate 500 --n 5400 --quiet
rm -rf "$out"
