#!/usr/bin/env bash
# Golden vectors: seed → exact ledger, for each method and misfit policy. Made ONCE with the
# algorithm `lotta/assign/v1` (the cases `cluster_randomizr*`, added later, with `lotta/assign/v2`:
# the misfit policy `randomizr`, the cluster default; docs/randomization.md). Never regenerate them to make a test pass:
# a difference means randomization drifted and every earlier ledger would stop verifying.
# Usage (from the repository root): tests/golden/make.sh target/debug/lotta
set -euo pipefail
lotta=${1:-target/debug/lotta}
dir=$(dirname "$0")
tmp=$(mktemp -d)
while IFS='|' read -r name input args; do
  [ -z "$name" ] && continue
  rm -f "$tmp"/ledger.csv*
  # shellcheck disable=SC2086
  "$lotta" assign --participants "$dir/participants.csv" --id person_id --seed 20190901 \
    --ledger "$tmp/ledger.csv" $args 2>/dev/null
  if [ "$input" = "more" ]; then
    # shellcheck disable=SC2086
    "$lotta" assign --participants "$dir/participants_more.csv" --id person_id --seed 20190901 \
      --ledger "$tmp/ledger.csv" $args 2>/dev/null
  fi
  cp "$tmp/ledger.csv" "$dir/$name.csv"
done < "$dir/cases.txt"
rm -rf "$tmp"
