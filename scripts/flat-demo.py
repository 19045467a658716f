#!/usr/bin/env python3
"""Write data/md1-demo/trial.csv: the demo study's files joined by person_id into the one flat
file the help examples of the ad-hoc commands (`--data FILE`) use, as an evaluator's own
export would look. Only the standard library; rerun after `lotta simulate` rewrites the demo.

    python3 scripts/flat-demo.py
"""
import csv
import pathlib

DEMO = pathlib.Path(__file__).resolve().parent.parent / "data" / "md1-demo"
COLUMNS = [
    ("participants.csv", ["site", "gender", "age", "education_years", "distance"]),
    ("outcomes.csv", ["took_part", "work_or_study_365", "work_or_study_540", "exit_day", "exit"]),
    ("costs.csv", ["cost_sek"]),
]


def rows_by_id(name):
    with open(DEMO / name, newline="", encoding="utf-8") as f:
        return {row["person_id"]: row for row in csv.DictReader(f)}


def main():
    tables = [(rows_by_id(name), cols) for name, cols in COLUMNS]
    with open(DEMO / "ledger.csv", newline="", encoding="utf-8") as f:
        ledger = [row for row in csv.DictReader(f) if row["arm"]]
    with open(DEMO / "trial.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["person_id", "arm"] + [c for _, cols in COLUMNS for c in cols])
        for person in ledger:
            row = [person["id"], person["arm"]]
            for table, cols in tables:
                found = table.get(person["id"], {})
                row += [found.get(c, "") for c in cols]
            out.writerow(row)


if __name__ == "__main__":
    main()
