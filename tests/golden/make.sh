#!/usr/bin/env bash
# Golden vectors: seed → exact ledger, for each method and misfit policy. Made ONCE with the
# algorithm `lotta/assign/v1` (the cases `cluster_randomizr*`, added later, with `lotta/assign/v2`:
# the misfit policy `randomizr`, the cluster default; docs/randomization.md), in ledger format
# `lotta-ledger/1` (this folder; asked for with --ledger-format v1 since v2 became the default).
# When `lotta-ledger/2` came, the same cases were written in v2 into v2/ (`make.sh LOTTA v2`);
# v2/check.py checks them against the v1 files (same rows) and recomputes their hash chain.
# Never regenerate them to make a test pass: a difference means randomization drifted and every
# earlier ledger would stop verifying.
# Usage (from the repository root): tests/golden/make.sh target/debug/lotta [v1|v2]
set -euo pipefail
lotta=${1:-target/debug/lotta}
format=${2:-v1}
dir=$(dirname "$0")
out=$dir
[ "$format" = v2 ] && out=$dir/v2
tmp=$(mktemp -d)
while IFS='|' read -r name input args; do
  [ -z "$name" ] && continue
  rm -f "$tmp"/ledger.csv*
  # shellcheck disable=SC2086
  "$lotta" assign --participants "$dir/participants.csv" --id person_id --seed 20190901 \
    --ledger "$tmp/ledger.csv" --ledger-format "$format" $args 2>/dev/null
  if [ "$input" = "more" ]; then
    # shellcheck disable=SC2086
    "$lotta" assign --participants "$dir/participants_more.csv" --id person_id --seed 20190901 \
      --ledger "$tmp/ledger.csv" --ledger-format "$format" $args 2>/dev/null
  fi
  cp "$tmp/ledger.csv" "$out/$name.csv"
  if [ "$format" = v2 ]; then cp "$tmp/ledger.csv.design.json" "$out/$name.csv.design.json"; fi
done < "$dir/cases.txt"
rm -rf "$tmp"
