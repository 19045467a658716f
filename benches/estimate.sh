#!/usr/bin/env bash
# Benchmark of `lotta estimate` end to end (reading the CSV included), beside its peers in the
# same run: R estimatr (when R is installed) and Python pyfixest (when it imports; warm in one
# process, and as a fresh process with its import). Usage:
#   benches/estimate.sh [ROWS] [BIG_ROWS]   (defaults 1,000,000 and 10,000,000; BIG_ROWS 0 skips)
# Cases: issue 19's job (Lin with 3 covariates + HC2, overall, women, men and the difference);
# BIG_ROWS × 10 covariates, the same job; Lin + HC2 by gender with 5 covariates; OLS + CR2 with
# 16 clusters by gender; randomization inference. Data go to $BENCH_DIR (default
# target/bench-estimate); LOTTA names a built binary (else the release build is made); JOB_ONLY=1
# stops after issue 19's two jobs.
set -euo pipefail
ROWS="${1:-1000000}"
BIG_ROWS="${2:-10000000}"
cd "$(dirname "$0")/.."
WORK="${BENCH_DIR:-target/bench-estimate}"
mkdir -p "$WORK"
if [ -z "${LOTTA:-}" ]; then
  cargo build --release --quiet
  LOTTA="${CARGO_TARGET_DIR:-target}/release/lotta"
fi
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
# id, z (2:1), gender, site, K covariates N(0, 1) with 4 decimals, binary y. Written by R's
# data.table::fwrite (seconds for 10,000,000 rows), else by numpy (minutes).
make_data() {
  if Rscript -e 'quit(status = !requireNamespace("data.table", quietly = TRUE))' 2> /dev/null; then
    Rscript - "$1" "$2" "$3" <<'R'
a <- commandArgs(TRUE); n <- as.numeric(a[1]); k <- as.integer(a[2])
set.seed(20261122)
z <- as.integer(runif(n) < 2 / 3); female <- runif(n) < 0.45; site <- sample.int(16, n, TRUE) - 1L
d <- data.table::data.table(id = paste0("p", seq_len(n) - 1), z = z,
  gender = ifelse(female, "F", "M"), site = sprintf("s%02d", site))
for (j in seq_len(k)) data.table::set(d, j = paste0("x", j), value = round(rnorm(n), 4))
p <- 0.35 + 0.08 * z + 0.03 * d$x1 - 0.02 * d[[paste0("x", min(2, k))]] + 0.01 * site / 16 + 0.02 * female
d$y <- as.integer(runif(n) < p)
data.table::fwrite(d, a[3])
R
    return
  fi
  python3 - "$1" "$2" "$3" <<'PY2'
import sys
import numpy as np
n, k, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(20261122)
with open(path, "w") as f:
    f.write("id,z,gender,site," + ",".join(f"x{j + 1}" for j in range(k)) + ",y\n")
    for start in range(0, n, 500_000):
        m = min(500_000, n - start)
        z = (rng.random(m) < 2 / 3).astype(int)
        female = rng.random(m) < 0.45
        site = rng.integers(0, 16, m)
        x = np.round(rng.standard_normal((m, k)), 4)
        p = 0.35 + 0.08 * z + 0.03 * x[:, 0] - 0.02 * x[:, 1 % k] + 0.01 * site / 16 + 0.02 * female
        y = (rng.random(m) < p).astype(int)
        cells = [np.char.add("p", np.arange(start, start + m).astype(str)), z.astype(str),
                 np.where(female, "F", "M"), np.char.add("s", np.char.zfill(site.astype(str), 2))]
        cells += [x[:, j].astype(str) for j in range(k)] + [y.astype(str)]
        rows = cells[0]
        for c in cells[1:]:
            rows = np.char.add(np.char.add(rows, ","), c)
        f.write("\n".join(rows.tolist()) + "\n")
PY2
}
JOB="$WORK/job_$ROWS.csv"
[ -f "$JOB" ] || make_data "$ROWS" 3 "$JOB"
# Peak memory of one run (GNU time's maximum resident set, which counts the mapped file).
peak() {
  /usr/bin/time -f "%M" "$@" 2>&1 > /dev/null | tail -1
}
# Wall, user and system CPU seconds and peak memory of one run: on a shared machine the CPU
# seconds are the steadier figure.
usage() {
  /usr/bin/time -f "%e s wall, %U s user CPU, %S s system CPU, peak %M KB" "$@" 2>&1 > /dev/null | tail -1
}
secs() { date +%s.%N; }
run() {
  local label="$1"; shift
  local t0 t1
  t0=$(secs); "$@" > "$WORK/out.csv"; t1=$(secs)
  python3 -c "print(f'$label: {($t1 - $t0):.3f} s')"
  echo "$t0 $t1" > "$WORK/last"
}
# lotta cases run three times: the first run after other work pays for fresh memory pages (on a
# virtual machine that alone can double the time), the later ones show the steady state.
run3() {
  local label="$1"; shift
  local times=()
  for _ in 1 2 3; do
    local t0 t1
    t0=$(secs); "$@" > "$WORK/out.csv"; t1=$(secs)
    times+=("$(python3 -c "print(f'{($t1 - $t0):.3f}')")")
    echo "$t0 $t1" > "$WORK/last"
  done
  local best
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  echo "$label: ${times[*]} s (best $best s)"
  echo "0 $best" > "$WORK/last"
}
echo "rows: $ROWS, threads: ${RAYON_NUM_THREADS:-all cores}"
JOB_ARGS=(estimate --data "$JOB" --outcome y --treatment z --by gender --covariates x1,x2,x3 --estimator lin --se hc2 --format csv)
run3 "lotta issue-19 job (lin+HC2, 3 covariates, all/F/M/difference)" $LOTTA "${JOB_ARGS[@]}"
JOB_SECS=$(awk '{print $2 - $1}' "$WORK/last")
echo "lotta issue-19 job: $(usage $LOTTA "${JOB_ARGS[@]}") (file $(( $(stat -c %s "$JOB") / 1024 )) KB)"
if command -v Rscript > /dev/null; then
  Rscript - "$JOB" "$JOB_SECS" <<'R'
suppressPackageStartupMessages(library(estimatr))
a <- commandArgs(TRUE)
t0 <- Sys.time()
d <- if (requireNamespace("data.table", quietly = TRUE)) data.table::fread(a[1], data.table = FALSE) else read.csv(a[1])
lin <- function(sub) lm_lin(y ~ z, covariates = ~ x1 + x2 + x3, data = sub, se_type = "HC2")
invisible(lin(d)); for (g in c("F", "M")) invisible(lin(d[d$gender == g, ]))
d$gM <- as.numeric(d$gender == "M")
invisible(lm_lin(y ~ z, covariates = ~ gM + x1 + x2 + x3, data = d, se_type = "HC2"))
t <- as.numeric(Sys.time() - t0, units = "secs")
cat(sprintf("R estimatr issue-19 job (fread + 4 fits): %.3f s — lotta is %.1fx faster\n", t, t / as.numeric(a[2])))
R
fi
if python3 -c "import pyfixest" 2> /dev/null; then
  PEER=$(mktemp --suffix=.py)
  cat > "$PEER" <<'PY3'
import sys, time
t_start = time.time()
import pandas as pd
import pyfixest as pf
t_import = time.time() - t_start

def job(path):
    d = pd.read_csv(path, usecols=["z", "gender", "x1", "x2", "x3", "y"])
    def lin(sub, covs):
        sub = sub.copy()
        terms = []
        for c in covs:
            sub[c + "_c"] = sub[c] - sub[c].mean()
            terms.append(c + "_c")
        formula = "y ~ z + " + " + ".join(terms) + " + " + " + ".join("z:" + t for t in terms)
        return pf.feols(formula, data=sub, vcov="HC2").coef()["z"]
    lin(d, ["x1", "x2", "x3"])
    for g in ["F", "M"]:
        lin(d[d["gender"] == g], ["x1", "x2", "x3"])
    d["gM"] = (d["gender"] == "M").astype(float)
    lin(d, ["gM", "x1", "x2", "x3"])

t0 = time.time(); job(sys.argv[1]); first = time.time() - t0
t0 = time.time(); job(sys.argv[1]); warm = time.time() - t0
print(f"{first:.3f} {warm:.3f} {t_import:.3f}")
PY3
  t0=$(secs); OUT=$(python3 "$PEER" "$JOB" 2> /dev/null | tail -1); t1=$(secs)
  read -r FIRST WARM IMPORT <<< "$OUT"
  python3 -c "
w, fresh, first, imp, lotta = $WARM, $t1 - $t0 - $WARM, $FIRST, $IMPORT, $JOB_SECS
print(f'pyfixest issue-19 job warm in-process: {w:.3f} s — lotta is {w / lotta:.1f}x faster')
print(f'pyfixest issue-19 job as a fresh process (import {imp:.1f} s + first run {first:.1f} s): {fresh:.3f} s — lotta is {fresh / lotta:.1f}x faster')"
  echo "pyfixest issue-19 job peak memory (fresh process, both runs): $(peak python3 "$PEER" "$JOB") KB"
  rm -f "$PEER"
else
  echo "pyfixest not installed (pip install pyfixest): no Python comparison"
fi
if [ "$BIG_ROWS" != 0 ]; then
  BIG="$WORK/big_${BIG_ROWS}.csv"
  [ -f "$BIG" ] || make_data "$BIG_ROWS" 10 "$BIG"
  BIG_ARGS=(estimate --data "$BIG" --outcome y --treatment z --by gender --covariates x1,x2,x3,x4,x5,x6,x7,x8,x9,x10 --estimator lin --se hc2 --format csv)
  run3 "lotta $BIG_ROWS rows x 10 covariates (lin+HC2, all/F/M/difference)" $LOTTA "${BIG_ARGS[@]}"
  echo "lotta $BIG_ROWS rows x 10 covariates: $(usage $LOTTA "${BIG_ARGS[@]}") (file $(( $(stat -c %s "$BIG") / 1024 )) KB)"
fi
# JOB_ONLY=1: issue 19's two jobs (and their peers) only, without the cases below (the last
# of which builds an example with cargo).
if [ -n "${JOB_ONLY:-}" ]; then
  exit 0
fi
DATA="$WORK/data_$ROWS.csv"
[ -f "$DATA" ] || make_data "$ROWS" 5 "$DATA"
COV=x1,x2,x3,x4,x5
run3 "lotta lin+HC2 by gender" $LOTTA estimate --data "$DATA" --outcome y --treatment z --by gender --covariates $COV --estimator lin --se hc2 --format csv
LIN=$(awk '{print $2 - $1}' "$WORK/last")
run3 "lotta ols+CR2 16 clusters by gender" $LOTTA estimate --data "$DATA" --outcome y --treatment z --by gender --covariates $COV --estimator ols --cluster site --format csv
SMALL_ROWS=20000
SMALL="$WORK/data_small.csv"
head -n $((SMALL_ROWS + 1)) "$DATA" > "$SMALL"
run "lotta ols+CR2 16 clusters by gender, $SMALL_ROWS rows" $LOTTA estimate --data "$SMALL" --outcome y --treatment z --by gender --covariates $COV --estimator ols --cluster site --format csv
CR2=$(awk '{print $2 - $1}' "$WORK/last")
if command -v Rscript > /dev/null; then
  # estimatr's CR2 builds n_g × n_g matrices per cluster (62,500² doubles = 31 GB per cluster at
  # 1M rows / 16 clusters), so the CR2 comparison runs on the first 20,000 rows.
  Rscript - "$DATA" "$LIN" "$CR2" "$SMALL" <<'R'
suppressPackageStartupMessages(library(estimatr))
a <- commandArgs(TRUE)
t0 <- Sys.time()
d <- if (requireNamespace("data.table", quietly = TRUE)) data.table::fread(a[1], data.table = FALSE) else read.csv(a[1])
t_read <- as.numeric(Sys.time() - t0, units = "secs")
lin <- function(sub) lm_lin(y ~ z, covariates = ~ x1 + x2 + x3 + x4 + x5, data = sub, se_type = "HC2")
t0 <- Sys.time()
for (g in c("F", "M")) lin(d[d$gender == g, ])
invisible(lin(d)); d$gF <- as.numeric(d$gender == "F")
invisible(lm_lin(y ~ z, covariates = ~ gF + x1 + x2 + x3 + x4 + x5, data = d, se_type = "HC2"))
t_lin <- as.numeric(Sys.time() - t0, units = "secs") + t_read
cat(sprintf("R estimatr lin+HC2 by gender: %.3f s (reading %.3f s) — lotta is %.1fx faster\n", t_lin, t_read, t_lin / as.numeric(a[2])))
d <- read.csv(a[4]); d$gF <- as.numeric(d$gender == "F")
t0 <- Sys.time()
ols <- function(sub) lm_robust(y ~ z + x1 + x2 + x3 + x4 + x5, data = sub, clusters = site, se_type = "CR2")
for (g in c("F", "M")) ols(d[d$gender == g, ])
invisible(ols(d)); invisible(lm_robust(y ~ z * gF + x1 + x2 + x3 + x4 + x5, data = d, clusters = site, se_type = "CR2"))
t_cr2 <- as.numeric(Sys.time() - t0, units = "secs")
cat(sprintf("R estimatr ols+CR2 by gender, 20,000 rows (fits only): %.3f s — lotta (end to end) is %.1fx faster\n", t_cr2, t_cr2 / as.numeric(a[3])))
R
else
  echo "R not installed: no comparison"
fi
# Randomization inference: the statistic for re-drawn assignments (100,000 rows, Lin by gender).
cargo run --release --quiet --example ri_speed 10000
# And end to end: 10,000 draws on 100,000 rows, permutation within 16 strata, p-values for every
# row and the interval for the overall effect.
RI_ROWS=100000
RI_DATA="$WORK/data_ri.csv"
head -n $((RI_ROWS + 1)) "$DATA" > "$RI_DATA"
run "lotta lin by gender, 10,000 RI draws, $RI_ROWS rows" $LOTTA estimate --data "$RI_DATA" --outcome y --treatment z --by gender --covariates $COV --estimator lin --strata site --ri 10000 --seed 1 --format csv
run "lotta blocked dim by gender, 10,000 RI draws, $RI_ROWS rows" $LOTTA estimate --data "$RI_DATA" --outcome y --treatment z --by gender --strata site --ri 10000 --seed 1 --format csv
