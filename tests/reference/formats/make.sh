#!/usr/bin/env bash
# Writes the demo data (data/md1-demo/{participants,outcomes,costs}.csv) in every input format
# lotta reads besides CSV, for tests/formats.rs: Stata .dta and SAS .sas7bdat with R's haven
# (gender and education_level as labelled integers, so the Stata files carry value labels),
# Parquet (snappy, gender as a dictionary-encoded category) and Excel .xlsx with pandas.
#
#   bash tests/reference/formats/make.sh     # from the repository root; needs R + haven,
#                                            # python3 + pandas, pyarrow, openpyxl
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/tests/fixtures/formats"
mkdir -p "$out"
Rscript "$here/make.R" "$root/data/md1-demo" "$out"
python3 "$here/make.py" "$root/data/md1-demo" "$out"
ls -l "$out"
