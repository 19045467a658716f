"""Parquet (pyarrow, snappy) and Excel (.xlsx, openpyxl) copies of the demo data. The CSV is read
with the person id and every text column as text and numbers as float64, so each value is the
binary64 number lotta's CSV reader makes; empty cells stay missing."""
import sys
import pandas as pd

src, out = sys.argv[1], sys.argv[2]
for name in ["participants", "outcomes", "costs"]:
    d = pd.read_csv(f"{src}/{name}.csv", dtype={"person_id": str}, keep_default_na=False,
                    na_values=[""], encoding="utf-8")
    for c in d.columns:
        if d[c].dtype == object:
            d[c] = d[c].fillna("")
    p = d.copy()
    if "gender" in p.columns:
        p["gender"] = p["gender"].astype("category")
    p.to_parquet(f"{out}/{name}.parquet", engine="pyarrow", compression="snappy", index=False)
    d.to_excel(f"{out}/{name}.xlsx", index=False, sheet_name=name)

# A small participants file whose `age` holds a word in its fifth person's row, for the error
# messages: Excel names the sheet's row (6: the header is row 1), Parquet the observation (5).
d = pd.read_csv(f"{src}/participants.csv", dtype=str, keep_default_na=False).head(8)
d.loc[4, "age"] = "old"
d.to_excel(f"{out}/bad_age.xlsx", index=False)
d.to_parquet(f"{out}/bad_age.parquet", engine="pyarrow", index=False)
