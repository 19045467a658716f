#!/usr/bin/env bash
# Golden output of randomization inference by draw algorithm v3 (type counts; tests/ri_v3.rs).
# data.csv: 600 persons in 4 sites, 2:1 complete randomization within site, gender, a binary
# outcome and a continuous covariate x (for the fallback test), from Python's seeded Mersenne
# Twister. estimate_v3.csv: `lotta estimate … --ri-algorithm v3` on it, written by the binary of
# the commit that introduced v3 after its unit tests had checked the statistic (against the
# row-wise statistic) and the distribution (against R's dhyper and exact enumeration). These
# files pin the streams `ri/v3/draw=<r>`: never regenerate them to make a test pass.
# Usage (from the repository root): LOTTA=path/to/lotta tests/golden/ri_v3/make.sh
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import random
rng = random.Random(20261129)
rows = ["id,z,gender,site,x,y"]
for site in range(4):
    n = 150
    z = [1] * 100 + [0] * 50
    rng.shuffle(z)
    for i in range(n):
        g = "F" if rng.random() < 0.45 else "M"
        x = round(rng.gauss(0, 1), 2)
        y = 1 if rng.random() < 0.35 + 0.08 * z[i] + 0.04 * site else 0
        rows.append(f"p{site}{i:03d},{z[i]},{g},s{site},{x},{y}")
open("data.csv", "w").write("\n".join(rows) + "\n")
PY
"${LOTTA:?set LOTTA to the lotta binary}" estimate --data data.csv --outcome y --treatment z \
  --strata site --by gender --ri 500 --ri-exact-max 0 --seed 7 --format csv \
  --ri-algorithm v3 > estimate_v3.csv
