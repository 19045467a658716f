#!/usr/bin/env bash
# Benchmark of exact randomization inference (issue 14): all C(16, 8) = 12,870 assignments of 16
# clusters (8 treated) listed on 100,000 rows, the OLS coefficient of y on z (the difference in
# means) recomputed under each, the exact p-value k/N and the interval by test inversion.
# Prints lotta's time for `lotta estimate` with and without --ri (the difference is the
# enumeration) and, beside it, an R loop doing the same enumeration (combn, then the difference
# in means over the 100,000 rows for every assignment), timed from the data in memory.
# Usage: benches/exact_ri.sh [ROWS]   (default 100,000; RAYON_NUM_THREADS to limit).
set -euo pipefail
ROWS="${1:-100000}"
cd "$(dirname "$0")/.."
WORK="${BENCH_DIR:-target/bench-exact-ri}"
mkdir -p "$WORK"
# LOTTA=path/to/lotta uses that binary instead of a release build.
if [ -z "${LOTTA:-}" ]; then
  cargo build --release --quiet
  LOTTA="${CARGO_TARGET_DIR:-target}/release/lotta"
fi
DATA="$WORK/data_$ROWS.csv"
if [ ! -f "$DATA" ]; then
  python3 - "$ROWS" "$DATA" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20260114)
effect = [rng.gauss(0, 0.3) for _ in range(16)]
with open(path, "w") as f:
    f.write("id,z,site,y\n")
    for i in range(n):
        s = rng.randrange(16)
        z = 1 if s % 2 == 0 else 0
        y = round(1 + 0.2 * z + effect[s] + rng.gauss(0, 1), 4)
        f.write(f"p{i},{z},s{s:02d},{y}\n")
PY
fi
secs() { date +%s.%N; }
best_of_3() {
  local best=""
  for _ in 1 2 3; do
    local t0 t1 t
    t0=$(secs); "$@" > "$WORK/out.csv" 2> "$WORK/err.txt"; t1=$(secs)
    t=$(python3 -c "print(f'{($t1 - $t0):.3f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; fi
  done
  echo "$best"
}
ARGS=(estimate --data "$DATA" --outcome y --treatment z --estimator ols --cluster site --seed 1 --format csv)
echo "rows: $ROWS, clusters: 16 (8 treated), C(16,8) = 12,870 assignments, threads: ${RAYON_NUM_THREADS:-all cores}"
PLAIN=$(best_of_3 $LOTTA "${ARGS[@]}")
EXACT=$(best_of_3 $LOTTA "${ARGS[@]}" --ri 1000)
echo "lotta estimate without randomization inference: $PLAIN s (best of 3)"
echo "lotta estimate with exact randomization inference: $EXACT s (best of 3)"
python3 -c "print(f'lotta exact RI (12,870 assignments, p-value, interval): {($EXACT - $PLAIN):.3f} s')"
grep -o "p = [0-9]*/[0-9]*[^,;]*" "$WORK/err.txt" | head -1
if command -v Rscript > /dev/null; then
  Rscript - "$DATA" <<'R'
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
clusters <- sort(unique(d$site))
elapsed <- system.time({
  sets <- combn(clusters, 8, simplify = FALSE)
  dim_of <- function(z) mean(d$y[z]) - mean(d$y[!z])
  stats <- vapply(sets, function(s) dim_of(d$site %in% s), numeric(1))
  observed <- dim_of(d$z == 1)
  k <- sum(abs(stats) >= abs(observed) - 1e-10 * max(1, abs(observed)))
})[["elapsed"]]
cat(sprintf("R loop over all %d assignments (combn, difference in means on every row): %.3f s; p = %d/%d\n",
            length(sets), elapsed, k, length(sets)))
R
fi
