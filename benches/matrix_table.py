#!/usr/bin/env python3
"""The docs/benchmarks.md table of the export matrix at two sizes, from export_matrix.py's JSON.

Usage:
    python benches/matrix_table.py SMALL.json LARGE.json

Each file holds the lines `export_matrix.py --json FILE` appended (one per cell and run of the
script; the last line of a cell wins), e.g. `--orders 1e6 --runs 3` into SMALL and `--orders
1e7 --runs 1` into LARGE, tools `summary,report,polars,polars-report`. Prints one markdown row
per cell of LARGE, in its order: wall times and ratios (Polars' time over kokyaku's, from the
same run) at both sizes, time per order at LARGE over that at SMALL (1.00x: linear), and peak
RSS at LARGE. Then the range of each ratio, with the cell of its worst. A tool a file does
not hold (e.g. LARGE run with `--tools summary,polars` only) is a dash.
"""
import json
import sys


def load(path):
    cells = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                cells.pop(d["cell"], None)
                cells[d["cell"]] = d
    return cells


def main():
    small, large = (load(p) for p in sys.argv[1:3])
    n_small = next(iter(small.values()))["orders"]
    n_large = next(iter(large.values()))["orders"]

    def size(n):
        return f"1e{len(str(n)) - 1}"

    s, l = size(n_small), size(n_large)
    print(f"| cell | {s} summary / Polars | ratio | {s} report / Polars | ratio | {l} summary / Polars | ratio "
          f"| {l} report / Polars | ratio | per order {l} ÷ {s}: summary / Polars "
          f"| peak MiB at {l} summary / report / Polars |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratios = {}
    for cell, d in large.items():
        e = small.get(cell)
        w = lambda x, t: x[t]["wall_s"]
        row = [cell]
        for x, n in ((e, n_small), (d, n_large)):
            for k, p in (("summary", "polars"), ("report", "polars-report")):
                if x is None or k not in x or p not in x:
                    row += ["-", "-"]
                    continue
                r = w(x, p) / w(x, k)
                ratios.setdefault((n, k), []).append((r, cell))
                row += [f"{w(x, k):.2f} s / {w(x, p):.2f} s", f"{r:.2f}×"]
        if e is None:
            row.append("-")
        else:
            per = lambda t: (w(d, t) / n_large) / (w(e, t) / n_small)
            row.append(f"{per('summary'):.2f}× / {per('polars'):.2f}×")
        row.append(" / ".join(f"{d[t]['peak_mib']:.0f}" if t in d else "-" for t in ("summary", "report", "polars")))
        print("| " + " | ".join(row) + " |")
    print()
    for (n, k), v in sorted(ratios.items()):
        lo, hi = min(v), max(v)
        print(f"- {size(n)} {k}: {lo[0]:.2f}-{hi[0]:.2f}× (worst {lo[1]})")
    mem = [(d[t]["peak_mib"] / d["polars"]["peak_mib"], t)
           for d in large.values() for t in ("summary", "report") if t in d]
    for t in ("summary", "report"):
        m = [x for x, u in mem if u == t]
        if not m:
            continue
        print(f"- {l} peak {t} / Polars: {min(m):.2f}-{max(m):.2f}")


if __name__ == "__main__":
    main()
