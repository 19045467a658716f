#!/usr/bin/env bash
# Benchmark of `lotta assign` / `lotta verify` at scale: N participants (default 10 million) in
# S strata (default 1,000; site × gender), complete randomization 2:1 with global misfits, and
# permuted blocks, beside its peer in base R (complete randomization per stratum by `sample`,
# read and written with data.table; randomizr is not packaged for this machine). Prints wall
# time, CPU time and peak memory (GNU time) and the load average. Not a test: run by hand.
# Usage: BENCH_DIR=/tmp/bench-assign [FORMATS="v2 v1"] [LOTTA=binary] benches/assign.sh [N] [S]   (builds the
# release binary; 10M rows take 250 MB of input and 0.6 GB of ledger (1.2 GB in v1): keep them
# out of the worktree, delete after)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
s=${2:-1000}
work=${BENCH_DIR:-target/bench-assign}
mkdir -p "$work"
# LOTTA=/path/to/lotta measures that binary (e.g. a copy of the last release's) instead of
# building this tree's.
if [ -z "${LOTTA:-}" ]; then cargo build --release --quiet; fi
lotta=${LOTTA:-${CARGO_TARGET_DIR:-target}/release/lotta}
data="$work/participants-$n-$s.csv"
if [ ! -f "$data" ]; then
  # Ids in a scrambled order (input order must not matter); strata = site (s/2) × gender.
  awk -v n="$n" -v s="$s" 'BEGIN {
    print "person_id,site,gender,age";
    sites = s / 2;
    for (i = 0; i < n; i++) {
      j = (i * 7919) % n;
      printf "P%09d,site%04d,%s,%d\n", j, j % sites, (int(j / sites) % 2 ? "F" : "M"), 18 + j % 47;
    }
  }' > "$data"
fi
echo "input: $data ($(du -h "$data" | cut -f1), $n rows, $s strata)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run() {
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB peak RSS" "$@" >/dev/null
}
# Ledger formats to measure (v2, the default: a hash per block of 1,024 rows; v1: a hash on
# every row, as before v2), e.g. FORMATS="v2 v1".
for format in ${FORMATS:-v2}; do
  for method in complete blocks; do
    rm -f "$work"/ledger.csv "$work"/ledger.csv.design.json "$work"/manifest.json
    extra=(--misfits global)
    [ "$method" = blocks ] && extra=(--block-sizes 3,6)
    run "assign ($method, ledger $format)" "$lotta" assign --participants "$data" --id person_id \
      --arms md1:2,standard:1 --strata site,gender --method "$method" "${extra[@]}" \
      --seed 20190901 --ledger "$work/ledger.csv" --ledger-format "$format"
    run "verify ($method, ledger $format)" "$lotta" verify --ledger "$work/ledger.csv" \
      --participants "$data"
  done
  echo "ledger ($format): $(du -h "$work/ledger.csv" | cut -f1)"
done
if command -v Rscript >/dev/null; then
  cat > "$work/peer.R" <<EOF
p <- data.table::fread("$data", showProgress = FALSE)
set.seed(20190901)
stratum <- paste(p\$site, p\$gender, sep = "|")
arm <- character(nrow(p))
for (i in split(seq_len(nrow(p)), stratum)) arm[i] <- sample(rep_len(c("md1", "md1", "standard"), length(i)))
data.table::fwrite(data.frame(id = p\$person_id, arm = arm, stratum = stratum), "$work/r-ledger.csv")
EOF
  run "base R peer (complete per stratum, no misfit policy, no hashes)" Rscript "$work/peer.R"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
