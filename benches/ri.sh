#!/usr/bin/env bash
# Benchmark of randomization inference (issue 19): the blocked difference in means in 32 strata
# (16 sites × gender) on 100,000 rows, 10,000 draws, `lotta estimate` end to end (reading the CSV,
# the estimate, the p-value and the randomization interval), by draw algorithm v2 (the default)
# and v1 (a full shuffle per stratum, as releases before v2), beside a base-R permutation loop
# doing the same statistic (timed on 200 draws and scaled; it never reads the file twice).
# Prints ms per draw and the ratio. Usage: benches/ri.sh [ROWS] [DRAWS]
# LOTTA=path/to/lotta uses that binary instead of building the release one.
set -euo pipefail
ROWS="${1:-100000}"
DRAWS="${2:-10000}"
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
WORK="${BENCH_DIR:-/tmp/lotta-bench-ri}"
mkdir -p "$WORK"
if [ -z "${LOTTA:-}" ]; then
  cargo build --release --quiet
  LOTTA="$TARGET/release/lotta"
fi
DATA="$WORK/data_$ROWS.csv"
if [ ! -f "$DATA" ]; then
  python3 - "$ROWS" "$DATA" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20261129)
with open(path, "w") as f:
    f.write("id,z,gender,site,x1,y\n")
    for i in range(n):
        z = 1 if rng.random() < 2 / 3 else 0
        g = "F" if rng.random() < 0.45 else "M"
        s = rng.randrange(16)
        x = round(rng.gauss(0, 1), 4)
        y = 1 if rng.random() < 0.35 + 0.03 * z + 0.03 * x + 0.01 * s / 16 else 0
        f.write(f"p{i},{z},{g},s{s:02d},{x},{y}\n")
PY
fi
# The same rows with two discrete covariates added (their own random stream, so the columns
# above are unchanged).
DATA2="$WORK/data_discrete_$ROWS.csv"
if [ ! -f "$DATA2" ]; then
  python3 - "$DATA" "$DATA2" <<'PY'
import random, sys
rng = random.Random(7)
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    out.write(next(src).rstrip("\n") + ",educ,age_band\n")
    for line in src:
        educ = rng.choice(["primary", "secondary", "tertiary"])
        band = rng.choice(["16-24", "25-34", "35-44", "45-54"])
        out.write(f"{line.rstrip()},{educ},{band}\n")
PY
fi
secs() { date +%s.%N; }
# min and median of 3 runs, in seconds
best3() {
  local times=()
  for _ in 1 2 3; do
    local t0 t1
    t0=$(secs); "$@" > "$WORK/out.csv" 2> /dev/null; t1=$(secs)
    times+=("$(python3 -c "print(f'{($t1 - $t0):.3f}')")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[1], a[2]}'
}
echo "rows: $ROWS, draws: $DRAWS, strata: 32, threads: ${RAYON_NUM_THREADS:-all cores}, cores: $(nproc)"
base=$(best3 "$LOTTA" estimate --data "$DATA" --outcome y --treatment z --strata site,gender --format csv)
v3=$(best3 "$LOTTA" estimate --data "$DATA" --outcome y --treatment z --strata site,gender --ri "$DRAWS" --seed 1 --ri-algorithm v3 --format csv)
v2=$(best3 "$LOTTA" estimate --data "$DATA" --outcome y --treatment z --strata site,gender --ri "$DRAWS" --seed 1 --format csv)
v1=$(best3 "$LOTTA" estimate --data "$DATA" --outcome y --treatment z --strata site,gender --ri "$DRAWS" --seed 1 --ri-algorithm v1 --format csv)
read -r b0 _ <<< "$base"
per() { python3 -c "print(f'{(($1 - $b0) * 1000 / $DRAWS):.4f}')"; }
read -r v3min v3med <<< "$v3"
read -r v2min v2med <<< "$v2"
read -r v1min v1med <<< "$v1"
echo "lotta estimate without RI: min $b0 s"
echo "lotta RI v3: min $v3min s, median $v3med s; $(per "$v3min") ms per draw (min, the estimate without RI subtracted)"
echo "lotta RI v2: min $v2min s, median $v2med s; $(per "$v2min") ms per draw (min, the estimate without RI subtracted)"
echo "lotta RI v1: min $v1min s, median $v1med s; $(per "$v1min") ms per draw"
V2_PER=$(per "$v2min")
V3_PER=$(per "$v3min")
LIN=(estimate --data "$DATA2" --outcome y --treatment z --strata site,gender --estimator lin --covariates educ,age_band --format csv)
lin0=$(best3 "$LOTTA" "${LIN[@]}")
lin3=$(best3 "$LOTTA" "${LIN[@]}" --ri "$DRAWS" --seed 1 --ri-algorithm v3)
lin2=$(best3 "$LOTTA" "${LIN[@]}" --ri "$DRAWS" --seed 1 --ri-algorithm v2)
read -r l0 _ <<< "$lin0"
read -r l3 l3med <<< "$lin3"
read -r l2 l2med <<< "$lin2"
lper() { python3 -c "print(f'{(($1 - $l0) * 1000 / $DRAWS):.4f}')"; }
LIN3_PER=$(lper "$l3")
echo "lotta Lin + educ + age_band without RI: min $l0 s"
echo "lotta Lin RI v3: min $l3 s, median $l3med s; $LIN3_PER ms per draw"
echo "lotta Lin RI v2: min $l2 s, median $l2med s; $(lper "$l2") ms per draw"
if command -v Rscript > /dev/null; then
  Rscript - "$DATA" "$V3_PER" "$V2_PER" <<'R'
a <- commandArgs(TRUE)
d <- read.csv(a[1])
s <- interaction(d$site, d$gender, drop = TRUE)
blocked <- function(z, y) {
  n1 <- rowsum(z, s)[, 1]; n <- tabulate(s)
  s1 <- rowsum(z * y, s)[, 1]; sy <- rowsum(y, s)[, 1]
  sum((s1 / n1 - (sy - s1) / (n - n1)) * n / sum(n))
}
obs <- blocked(d$z, d$y)
set.seed(1)
draws <- 200
t0 <- Sys.time()
sims <- numeric(draws)
for (r in seq_len(draws)) sims[r] <- blocked(ave(d$z, s, FUN = sample), d$y)
per <- as.numeric(Sys.time() - t0, units = "secs") / draws * 1000
cat(sprintf("base R permutation loop (ave(sample) + rowsum): %.3f ms per draw — lotta v3 is %.0fx, v2 %.0fx faster per draw\n",
            per, per / as.numeric(a[2]), per / as.numeric(a[3])))
R
  Rscript - "$DATA2" "$LIN3_PER" <<'R'
a <- commandArgs(TRUE)
d <- read.csv(a[1])
s <- interaction(d$site, d$gender, drop = TRUE)
# Lin (2013): y on z, the centred covariates and their interactions with z, strata dummies.
X <- model.matrix(~ educ + age_band, d)[, -1]
X <- sweep(X, 2, colMeans(X))
S <- model.matrix(~ s)
lin <- function(z) lm.fit(cbind(S, z, X, z * X), d$y)$coefficients[ncol(S) + 1]
obs <- lin(d$z)
set.seed(1)
draws <- 20
t0 <- Sys.time()
sims <- numeric(draws)
for (r in seq_len(draws)) sims[r] <- lin(ave(d$z, s, FUN = sample))
per <- as.numeric(Sys.time() - t0, units = "secs") / draws * 1000
cat(sprintf("base R Lin loop (ave(sample) + lm.fit): %.3f ms per draw — lotta v3 is %.0fx faster per draw\n",
            per, per / as.numeric(a[2])))
R
else
  echo "R not installed: no comparison"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores)"
