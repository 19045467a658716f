#!/usr/bin/env bash
# Parquet against CSV (issue 16): the same 1,000,000-row demo-like extract (id, arm, gender,
# site, age, education_years, months_in_sweden, distance, took_part, an outcome with missing
# values, cost_sek) written by pyarrow as CSV and as Parquet (snappy), then `lotta estimate`
# end to end on each (Lin + HC2 by gender, three covariates; best of three runs), side by side
# with pandas and pyarrow reading the same files. Fails (exit 1) when lotta reads Parquet no
# faster than CSV.
# Usage: benches/formats.sh [ROWS]   (default 1,000,000; needs python3 with pandas and pyarrow;
# LOTTA_BIN=path times another lotta binary instead of building the release one)
set -euo pipefail
ROWS="${1:-1000000}"
cd "$(dirname "$0")/.."
WORK="${BENCH_DIR:-target/bench-formats}"
mkdir -p "$WORK"
[ -n "${LOTTA_BIN:-}" ] || cargo build --release --quiet
LOTTA="${LOTTA_BIN:-${CARGO_TARGET_DIR:-target}/release/lotta}"
CSV="$WORK/extract_$ROWS.csv"
PARQUET="$WORK/extract_$ROWS.parquet"
if [ ! -f "$CSV" ] || [ ! -f "$PARQUET" ]; then
  python3 - "$ROWS" "$CSV" "$PARQUET" <<'PY'
import sys
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

n, csv_path, parquet_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(20190401)
arm = np.where(rng.random(n) < 2 / 3, "md1", "standard")
women = rng.random(n) < 0.45
site = rng.integers(0, 16, n)
age = rng.integers(18, 65, n)
education = rng.integers(0, 19, n)
months = rng.integers(3, 49, n)
far = rng.random(n) < np.where(women, 0.6, 0.4)
took_part = (arm == "md1") & (rng.random(n) < 0.85)
p = np.where(women, 0.30, 0.46) + 0.08 * (arm == "md1") - 0.1 * far + 0.003 * (education - 9)
y = (rng.random(n) < np.clip(p, 0, 1)).astype(float)
y[rng.random(n) < 0.03] = np.nan
cost = np.round(np.where(took_part, 38600, 24000) * rng.lognormal(0, 0.35, n))
table = pa.table({
    "person_id": [f"P{i:07d}" for i in range(n)],
    "arm": arm,
    "gender": np.where(women, "F", "M"),
    "site": [f"site{s:02d}" for s in site],
    "age": age.astype(float),
    "education_years": education.astype(float),
    "months_in_sweden": months.astype(float),
    "distance": np.where(far, "far", "near"),
    "took_part": took_part.astype(float),
    "work_or_study_540": y,
    "cost_sek": cost,
})
pacsv.write_csv(table, csv_path, pacsv.WriteOptions(quoting_style="none"))
pq.write_table(table, parquet_path, compression="snappy")
PY
fi
secs() { date +%s.%N; }
# Best of three: the first run after other work pays for fresh memory pages.
best3() {
  local times=() t0 t1
  for _ in 1 2 3; do
    t0=$(secs); "$@" > "$WORK/out.txt"; t1=$(secs)
    times+=("$(python3 -c "print(f'{($t1 - $t0):.3f}')")")
  done
  printf '%s\n' "${times[@]}" | sort -n | head -1
}
ARGS=(--outcome work_or_study_540 --treatment arm --control standard --by gender
      --covariates age,education_years,months_in_sweden --estimator lin --se hc2 --format csv)
echo "rows: $ROWS; CSV $(du -h "$CSV" | cut -f1), Parquet $(du -h "$PARQUET" | cut -f1); best of 3, seconds"
LOTTA_CSV=$(best3 "$LOTTA" estimate --data "$CSV" "${ARGS[@]}")
LOTTA_PQ=$(best3 "$LOTTA" estimate --data "$PARQUET" "${ARGS[@]}")
python3 - "$CSV" "$PARQUET" "$LOTTA_CSV" "$LOTTA_PQ" <<'PY'
import sys, time
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

csv_path, parquet_path, lotta_csv, lotta_pq = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])

def best(f):
    times = []
    for _ in range(3):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    return min(times)

rows = [
    ("lotta estimate (read + Lin/HC2 by gender)", lotta_csv, lotta_pq),
    ("pandas.read_csv / pandas.read_parquet (read only)", best(lambda: pd.read_csv(csv_path)), best(lambda: pd.read_parquet(parquet_path))),
    ("pyarrow.csv.read_csv / pyarrow.parquet.read_table (read only)", best(lambda: pacsv.read_csv(csv_path)), best(lambda: pq.read_table(parquet_path))),
]
for label, c, p in rows:
    print(f"{label}: CSV {c:.3f} s, Parquet {p:.3f} s (Parquet {c / p:.2f}x as fast)")
PY
if python3 -c "import sys; sys.exit(0 if $LOTTA_PQ < $LOTTA_CSV else 1)"; then
  echo "ok: lotta reads Parquet faster than CSV"
else
  echo "FAIL: lotta estimate on Parquet ($LOTTA_PQ s) is not faster than on CSV ($LOTTA_CSV s)"
  exit 1
fi
