#!/usr/bin/env bash
# Run every benchmark in benches/ and print one Markdown table of their result lines (each line a
# benchmark's own "label: time" output, lotta and its peer from the same run), to compare with
# the table of the last release: when benches/last.md exists (the table of the last release, made by
# `benches/all.sh > benches/last.md` and committed), a second table sets each result beside it.
# Usage: benches/all.sh [--quick | --table DIR]   (--quick: 100,000 rows instead of the default
# sizes, and the assignment benchmark at 1,000,000 participants; --table DIR: only print the
# tables again from the logs of an earlier run, kept in DIR). Builds the release binary once.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-}
if [ "$MODE" = "--table" ]; then
  LOG=${2:?"--table needs the folder of an earlier run's logs"}
  QUICK=$(cat "$LOG/sizes" 2>/dev/null || echo full)
else
  QUICK=${MODE#--}
  TARGET="${CARGO_TARGET_DIR:-target}"
  cargo build --release --quiet
  cargo build --release --quiet --examples
  export LOTTA="${LOTTA:-$TARGET/release/lotta}"
  LOG=$(mktemp -d)
  echo "${QUICK:-full}" > "$LOG/sizes"
  started="$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  run() {
    local name=$1; shift
    echo "running $name …" >&2
    if "$@" > "$LOG/$name.txt" 2>&1; then :; else
      echo "$name failed (see $LOG/$name.txt)" >&2
      echo "$name" >> "$LOG/failed"
    fi
  }
  if [ "$QUICK" = "quick" ]; then
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
  echo "$(nproc) cores; commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); started $started; ended $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" > "$LOG/machine"
fi
TABLE="$LOG/table.md"
{
  echo "| benchmark | result (lotta and peer, one run) |"
  echo "|---|---|"
  for f in "$LOG"/*.txt; do
    name=$(basename "$f" .txt)
    { grep -E '[0-9] s|ms per draw|KB|faster' "$f" || true; } | { grep -vE '^(warning|note|error)' || true; } | while IFS= read -r line; do
      echo "| $name | ${line//|/\\|} |"
    done
  done
  if [ -f "$LOG/failed" ]; then
    while IFS= read -r name; do echo "| $name | exited with an error (its log: $LOG/$name.txt) |"; done < "$LOG/failed"
  fi
  echo
  echo "machine: $(cat "$LOG/machine" 2>/dev/null || echo unknown); sizes $(cat "$LOG/sizes" 2>/dev/null || echo unknown)"
} > "$TABLE"
cat "$TABLE"
echo "logs in $LOG" >&2
# Beside the last release's table (benches/last.md, written by this script and committed with the
# release): each result line is matched by its benchmark and the words before its first colon.
LAST="${LAST:-benches/last.md}"
if [ -f "$LAST" ]; then
  echo
  echo "Against $LAST ($(grep -m1 '^machine:' "$LAST" | sed 's/^machine: //')):"
  echo
  awk -F' \\| ' '
    function key(name, line) { sub(/:.*/, "", line); return name "\t" line }
    function value(line) { if (index(line, ":") == 0) return line; sub(/^[^:]*: */, "", line); return line }
    FNR == 1 { file++; ended = 0 }
    /^$/ { ended = 1 }
    /^\| / && !/^\| benchmark \|/ && !/^\|---/ && !ended {
      name = $1; sub(/^\| /, "", name); line = $2; sub(/ \|$/, "", line)
      k = key(name, line)
      if (file == 1) { last[k] = value(line) } else { order[++n] = k; now[k] = value(line) }
    }
    END {
      print "| benchmark | measure | last release | this run |"
      print "|---|---|---|---|"
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, part, "\t")
        print "| " part[1] " | " part[2] " | " (k in last ? last[k] : "(new)") " | " now[k] " |"
      }
    }' "$LAST" "$TABLE"
fi
