"""Cross-check of reference.R's enumerated Rademacher wild cluster bootstrap p-values (WCR and
WCU, ols) with Python's wildboottest (pip install wildboottest; not needed by the tests).
wildboottest counts |t*| > |t| without a tolerance, so the exact ties of the identity draw and
its negation count or not as rounding falls: its p-value must be reference.R's p-value (ties
not counted, lotta's rule) or the p-value with ties counted, nothing else.
Run from this folder: python3 cross_check.py (prints both and fails on a difference)."""
import csv

import pandas as pd
import statsmodels.formula.api as smf
from wildboottest.wildboottest import wildboottest

expected = {
    (r["data"], r["null"]): (float(r["p_value"]), float(r["p_value_with_ties"]))
    for r in csv.DictReader(open("wild.csv"))
    if r["estimator"] == "ols" and r["weights"] == "rademacher"
}
for name in ["g8", "g6", "g5"]:
    df = pd.read_csv(f"data_{name}.csv")
    model = smf.ols("y ~ z + x", data=df)
    for null in ["impose", "free"]:
        out = wildboottest(model, param="z", cluster=pd.Series(pd.factorize(df["cluster"], sort=True)[0]), B=99999,
                           weights_type="rademacher", impose_null=(null == "impose"),
                           seed=1, show=False)
        p = float(out["p-value"].iloc[0])
        print(name, null, "wildboottest", p, "reference.R", expected[(name, null)])
        assert min(abs(p - e) for e in expected[(name, null)]) < 1e-12, (name, null)
