#!/usr/bin/env bash
# kill -9 during `lotta assign` at random instants, then check that the study reads as "before" or
# "after" the assignment and never as tampering (issue 10).
#
# Each try: a ledger of FIRST participants is extended to SECOND participants by `lotta assign`,
# killed with SIGKILL after a random delay drawn uniformly over the time a whole assign takes.
# Then `lotta verify` must exit 0 (it may note an interrupted assign or a stale temporary file),
# the same `lotta assign` run again must exit 0, and afterwards the ledger and manifest must be
# byte for byte those of an assign that was never interrupted, with no temporary file left.
#
#   scripts/kill-assign.sh [TRIES] [FIRST] [SECOND]      (defaults 100 50000 70000)
#   LOTTA=path/to/lotta scripts/kill-assign.sh           (default: target/release/lotta, else debug)
#
# Prints one line per try and a summary; exits 1 if any try failed.
set -euo pipefail

TRIES=${1:-100}
FIRST=${2:-50000}
SECOND=${3:-70000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LOTTA=${LOTTA:-}
if [[ -z $LOTTA ]]; then
    if [[ -x $TARGET/release/lotta ]]; then LOTTA=$TARGET/release/lotta; else LOTTA=$TARGET/debug/lotta; fi
fi
[[ -x $LOTTA ]] || { echo "no lotta binary at $LOTTA (cargo build first, or set LOTTA)" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

participants() {
    awk -v n="$1" 'BEGIN {
        print "person_id,site,gender"
        for (i = 1; i <= n; i++) printf "p%07d,s%02d,%s\n", i, (i * 7) % 16, (i % 3 ? "F" : "M")
    }'
}

ASSIGN=(assign --participants p.csv --id person_id --arms md1:2,standard:1 --strata site,gender
        --method blocks --block-sizes 3,6 --seed 20190401 --ledger ledger.csv)
VERIFY=(verify --participants p.csv --ledger ledger.csv)

# The state before (FIRST assigned, SECOND in the participants file) and the reference after.
mkdir "$WORK/before" "$WORK/after"
participants "$FIRST" > "$WORK/before/p.csv"
(cd "$WORK/before" && "$LOTTA" "${ASSIGN[@]}" 2>/dev/null)
participants "$SECOND" > "$WORK/before/p.csv"
cp -a "$WORK/before/." "$WORK/after/"
start=$(date +%s%N)
(cd "$WORK/after" && "$LOTTA" "${ASSIGN[@]}" 2>/dev/null)
took_ns=$(( $(date +%s%N) - start ))
# Delays up to 1.2 times a whole assign, so some kills come after it finished.
max_us=$(( took_ns / 1000 * 12 / 10 + 1 ))
echo "lotta: $LOTTA"
echo "an uninterrupted assign of $FIRST -> $SECOND takes $(( took_ns / 1000000 )) ms; kills at 0-$(( max_us / 1000 )) ms"

fingerprint() { (cd "$1" && sha256sum ledger.csv ledger.csv.design.json manifest.json p.csv && ls -A); }
want=$(fingerprint "$WORK/after")

failed=0; before=0; stale=0; interrupted=0; finished=0
for try in $(seq 1 "$TRIES"); do
    dir="$WORK/try"
    rm -rf "$dir"; cp -a "$WORK/before" "$dir"
    delay_us=$(( (RANDOM * 32768 + RANDOM) % max_us ))
    (cd "$dir" && exec "$LOTTA" "${ASSIGN[@]}" 2>/dev/null) &
    pid=$!
    sleep "$(printf '%d.%06d' $(( delay_us / 1000000 )) $(( delay_us % 1000000 )))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true

    state=before
    if ! out=$(cd "$dir" && "$LOTTA" "${VERIFY[@]}" 2>&1); then
        echo "try $try (${delay_us} us): verify FAILED after the kill:"; echo "$out"; failed=$((failed + 1)); continue
    fi
    if grep -q "was stopped after it wrote" <<<"$out"; then state=interrupted; interrupted=$((interrupted + 1))
    elif grep -q "temporary file left" <<<"$out"; then state=stale-temporary; stale=$((stale + 1))
    elif [[ $(fingerprint "$dir") == "$want" ]]; then state=finished; finished=$((finished + 1))
    else before=$((before + 1)); fi
    if ! out=$(cd "$dir" && "$LOTTA" "${ASSIGN[@]}" 2>&1); then
        echo "try $try (${delay_us} us, $state): assign FAILED after the kill:"; echo "$out"; failed=$((failed + 1)); continue
    fi
    if [[ $(fingerprint "$dir") != "$want" ]]; then
        echo "try $try (${delay_us} us, $state): the study differs from an uninterrupted assign"; failed=$((failed + 1)); continue
    fi
    if ! out=$(cd "$dir" && "$LOTTA" "${VERIFY[@]}" 2>&1) || grep -q "note:" <<<"$out"; then
        echo "try $try (${delay_us} us, $state): verify after recovery: $out"; failed=$((failed + 1)); continue
    fi
    echo "try $try: killed after ${delay_us} us: $state -> recovered"
done
echo "summary: $TRIES kills; left as before $before, with a stale temporary file $stale, written but not recorded $interrupted, finished $finished; failed $failed"
[[ $failed -eq 0 ]]
