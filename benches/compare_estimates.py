#!/usr/bin/env python3
"""Compare two `lotta estimate --format csv` outputs cell by cell: text cells must be equal,
number cells equal to a relative tolerance (default 1e-12; absolute below 1e-300). Used to check
that a speed change moved no estimate, standard error, df or p-value (issue 19):

    benches/compare_estimates.py before.csv after.csv [TOLERANCE]

Prints the largest relative difference and exits 1 when any cell differs by more."""
import csv
import sys


def number(cell):
    try:
        return float(cell)
    except ValueError:
        return None


def main():
    before, after = sys.argv[1], sys.argv[2]
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-12
    with open(before, newline="") as f:
        a = list(csv.reader(f))
    with open(after, newline="") as f:
        b = list(csv.reader(f))
    if len(a) != len(b) or a[0] != b[0]:
        print(f"different shape or header: {len(a)} vs {len(b)} rows")
        return 1
    worst, where, bad = 0.0, None, 0
    for r, (ra, rb) in enumerate(zip(a, b)):
        if len(ra) != len(rb):
            print(f"row {r + 1}: {len(ra)} vs {len(rb)} cells")
            return 1
        for c, (x, y) in enumerate(zip(ra, rb)):
            if x == y:
                continue
            u, v = number(x), number(y)
            if u is None or v is None:
                print(f"row {r + 1}, {a[0][c]}: `{x}` vs `{y}`")
                bad += 1
                continue
            scale = max(abs(u), abs(v), 1e-300)
            rel = abs(u - v) / scale
            if rel > worst:
                worst, where = rel, (r + 1, a[0][c], x, y)
            if rel > tolerance:
                bad += 1
    print(f"{len(a) - 1} rows; largest relative difference {worst:.3g}"
          + (f" (row {where[0]}, {where[1]}: {where[2]} vs {where[3]})" if where else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
