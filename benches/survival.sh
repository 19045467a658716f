#!/usr/bin/env bash
# Benchmark of `lotta survival` end to end (reading the CSV included) beside R's survival doing
# the same analysis in one run. Usage: benches/survival.sh [ROWS]   (default 1,000,000)
# The analysis: time to first job by arm (2:1), overall and for women and men: Kaplan–Meier at
# 90/180/365/540 days, the log-rank test and the RMST to 540 days with survRM2's variance
# (lotta also fits the Cox model with robust SE on every group; R is timed without and with it,
# the Cox fits in their own R process under `timeout` (R_COX_TIMEOUT seconds, default 300):
# coxph(robust = TRUE) on a million persons did not finish in 11 minutes once).
# Then 10,000 randomization draws of the log-rank statistic and the RMST difference on 100,000
# persons (permutation within 16 sites) by draw algorithm v2 (the default) and v1, beside R's
# survdiff in a plain permutation loop (timed on 20 draws and scaled to 10,000).
# Data and outputs go to BENCH_DIR (default /tmp/lotta-bench-survival).
set -euo pipefail
ROWS="${1:-1000000}"
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
WORK="${BENCH_DIR:-/tmp/lotta-bench-survival}"
mkdir -p "$WORK"
if [ -z "${LOTTA:-}" ]; then
  cargo build --release --quiet
  LOTTA="$TARGET/release/lotta"
fi
DATA="$WORK/data_$ROWS.csv"
if [ ! -f "$DATA" ]; then
  python3 - "$ROWS" "$DATA" <<'PY'
import math, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20260613)
with open(path, "w") as f:
    f.write("id,arm,gender,site,days,job\n")
    for i in range(n):
        arm = "md1" if rng.random() < 2 / 3 else "standard"
        g = "F" if rng.random() < 0.45 else "M"
        rate = 0.0012 * (0.7 if g == "F" else 1.0) * (1.25 if arm == "md1" else 1.0)
        t_job = rng.expovariate(rate)
        t_move = rng.expovariate(0.0004)
        end = 540
        t = min(t_job, t_move, end)
        days = max(1, math.ceil(t))
        job = 1 if t == t_job else 0
        f.write(f"p{i},{arm},{g},s{rng.randrange(16):02d},{days},{job}\n")
PY
fi
secs() { date +%s.%N; }
best_of3() {
  local label="$1"; shift
  local times=()
  for _ in 1 2 3; do
    local t0 t1
    t0=$(secs); "$@" > "$WORK/out.csv" 2> /dev/null; t1=$(secs)
    times+=("$(python3 -c "print(f'{($t1 - $t0):.3f}')")")
  done
  local best
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  echo "$label: ${times[*]} s (best $best s)" >&2
  echo "$best"
}
echo "rows: $ROWS, threads: ${RAYON_NUM_THREADS:-all cores}, cores: $(nproc), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
LOTTA_T=$(best_of3 "lotta KM + log-rank + RMST + Cox by gender" \
  $LOTTA survival --data "$DATA" --time days --event job --treatment arm --control standard \
  --by gender --tau 540 --at 90,180,365,540 --format csv)
if command -v Rscript > /dev/null; then
  Rscript - "$DATA" "$LOTTA_T" <<'R'
suppressPackageStartupMessages(library(survival))
a <- commandArgs(TRUE)
t0 <- Sys.time()
d <- if (requireNamespace("data.table", quietly = TRUE)) data.table::fread(a[1], data.table = FALSE) else read.csv(a[1])
t_read <- as.numeric(Sys.time() - t0, units = "secs")
t0 <- Sys.time()
subs <- list(d, d[d$gender == "F", ], d[d$gender == "M", ])
for (sub in subs) {
  fit <- survfit(Surv(days, job) ~ arm, data = sub)
  s <- summary(fit, times = c(90, 180, 365, 540))
  r <- summary(fit, rmean = 540)$table   # RMST to 540 and its SE (survRM2's variance)
  lr <- survdiff(Surv(days, job) ~ arm, data = sub)
}
t_fit <- as.numeric(Sys.time() - t0, units = "secs")
t_all <- t_read + t_fit
cat(sprintf("R survival KM + log-rank + RMST by gender: %.3f s (reading %.3f s, analysis %.3f s) — lotta (with Cox too) is %.1fx faster\n",
            t_all, t_read, t_fit, t_all / as.numeric(a[2])))
cat(t_all, file = file.path(dirname(a[1]), "r_km_seconds.txt"))
R
  # lotta's output also holds the Cox hazard ratio (Efron ties, robust SE) of every group: R's
  # coxph(robust = TRUE) on the same three groups, in its own process with a time limit.
  COX_LIMIT="${R_COX_TIMEOUT:-300}"
  if ! timeout "$COX_LIMIT" Rscript - "$DATA" "$LOTTA_T" "$(cat "$WORK/r_km_seconds.txt")" <<'R'
suppressPackageStartupMessages(library(survival))
a <- commandArgs(TRUE)
d <- if (requireNamespace("data.table", quietly = TRUE)) data.table::fread(a[1], data.table = FALSE) else read.csv(a[1])
t0 <- Sys.time()
for (sub in list(d, d[d$gender == "F", ], d[d$gender == "M", ]))
  cox <- coxph(Surv(days, job) ~ arm, data = sub, ties = "efron", robust = TRUE)
t_cox <- as.numeric(Sys.time() - t0, units = "secs")
t_all <- as.numeric(a[3]) + t_cox
cat(sprintf("R the same with coxph(robust = TRUE) too, as lotta's output has: %.3f s (Cox %.3f s) — lotta is %.1fx faster\n",
            t_all, t_cox, t_all / as.numeric(a[2])))
R
  then
    echo "R coxph(robust = TRUE) on the three groups did not finish within ${COX_LIMIT} s (R_COX_TIMEOUT)"
  fi
else
  echo "R not installed: no comparison"
fi
RI_ROWS=100000
RI_DATA="$WORK/data_ri.csv"
head -n $((RI_ROWS + 1)) "$DATA" > "$RI_DATA"
for ALGORITHM in v2 v1; do
  t0=$(secs)
  $LOTTA survival --data "$RI_DATA" --time days --event job --treatment arm --control standard \
    --by gender --strata site --tau 540 --ri 10000 --seed 1 --ri-algorithm "$ALGORITHM" \
    --format csv > "$WORK/out_ri_$ALGORITHM.csv" 2> /dev/null
  t1=$(secs)
  T=$(python3 -c "print(f'{($t1 - $t0):.1f}')")
  echo "lotta 10,000 RI draws ($ALGORITHM) of log-rank and RMST difference (all, women, men; 16 strata), $RI_ROWS rows: $T s"
  if [ "$ALGORITHM" = v2 ]; then RI_T="$T"; fi
done
if command -v Rscript > /dev/null; then
  # R has no randomization-inference routine for survdiff; the same loop written plainly
  # (permute arms within sites, survdiff for all, women and men), timed on 20 draws and scaled.
  Rscript - "$RI_DATA" "$RI_T" <<'R'
suppressPackageStartupMessages(library(survival))
a <- commandArgs(TRUE)
d <- read.csv(a[1])
set.seed(1)
draws <- 20
t0 <- Sys.time()
for (r in seq_len(draws)) {
  arm <- ave(d$arm, d$site, FUN = sample)
  for (sel in list(rep(TRUE, nrow(d)), d$gender == "F", d$gender == "M"))
    survdiff(Surv(days, job) ~ arm[sel] + strata(site), data = d[sel, ])
}
per <- as.numeric(Sys.time() - t0, units = "secs") / draws
cat(sprintf("R survdiff in a permutation loop (log-rank only): %.3f s per draw, %.0f s for 10,000 draws — lotta (log-rank and RMST) is %.0fx faster\n",
            per, per * 10000, per * 10000 / as.numeric(a[2])))
R
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores)"
