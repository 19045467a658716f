#!/usr/bin/env bash
# Run every benchmark in benches/ and print one Markdown table of their result lines (each line a
# benchmark's own "label: time" output, lotta and its peer from the same run), to compare with
# the table of the last release (keep it, e.g. `benches/all.sh > benches/last.md`, and diff).
# Usage: benches/all.sh [--quick]   (--quick: 100,000 rows instead of the default sizes, and the
# assignment benchmark at 1,000,000 participants). Builds the release binary once.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${1:-}
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet
cargo build --release --quiet --examples
export LOTTA="${LOTTA:-$TARGET/release/lotta}"
LOG=$(mktemp -d)
run() {
  local name=$1; shift
  echo "running $name …" >&2
  if "$@" > "$LOG/$name.txt" 2>&1; then :; else echo "$name failed (see $LOG/$name.txt)" >&2; fi
}
if [ "$QUICK" = "--quick" ]; then
  run estimate benches/estimate.sh 100000
  run survival benches/survival.sh 100000
  run ri benches/ri.sh 100000 2000
  run wild benches/wild.sh 100000
  run assign benches/assign.sh 1000000 1000
  run exact_ri benches/exact_ri.sh 100000
  LOTTA_BIN="$LOTTA" run formats benches/formats.sh 100000
else
  run estimate benches/estimate.sh
  run survival benches/survival.sh
  run ri benches/ri.sh
  run wild benches/wild.sh
  run assign benches/assign.sh
  run exact_ri benches/exact_ri.sh
  LOTTA_BIN="$LOTTA" run formats benches/formats.sh
fi
run simulate_power benches/simulate_power.sh
run draw cargo bench --quiet --bench draw
run read_formats cargo bench --quiet --bench read_formats
echo "| benchmark | result (lotta and peer, one run) |"
echo "|---|---|"
for f in "$LOG"/*.txt; do
  name=$(basename "$f" .txt)
  grep -E '[0-9] s|ms per draw|KB|faster' "$f" | grep -vE '^(warning|note|error)' | while IFS= read -r line; do
    echo "| $name | ${line//|/\\|} |"
  done
done
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); logs in $LOG"
