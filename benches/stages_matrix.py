#!/usr/bin/env python3
"""Loyalty stages as users run them, against the summary of the same log: whole processes.

Usage:
    python benches/stages_matrix.py [--orders 1000000] [--runs 3] [--cells base,shuffled,...]
                                    [--kokyaku BIN] [--json out.json]

The logs are the export-matrix logs of `benches/export_matrix.py` (its generator, independent of
`kokyaku simulate`; generated into the same cache when missing): int and text ids, every
timestamp unit, float / integer / decimal amounts, line items, shuffled rows, CSV and Parquet.
The programme is the rolling-12-month rank programme of `docs/loyalty.md` in dollars for these
logs' amounts (mean order about $40, 2.6 orders a customer): silver from $200, gold from $500
(x1.5 points), platinum from $1,500 (x2) of net spend in the last 365 days, monthly reviews,
full recompute, 1 point per dollar, a 100-point first-order bonus, 12-month expiry. About 9 % of
the customers reach a stage above the base.

Per cell, in each of `--runs` rounds, side by side as fresh processes (median wall time; peak
RSS from wait4):
  summary   `kokyaku summary FILE ... -o customers.parquet --quiet` (read, summary, RFM, CPM, write)
  stages    `kokyaku stages FILE ... --program program.json -o stages.parquet --quiet` (read,
            stages, points and progress of every customer, write)
The ratio is stages / summary (issue 15's target: at most 2). After the first round the script
checks that both files have the same number of customers.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_matrix as em  # noqa: E402

PROGRAM = {
    "name": "rolling 12-month rank, USD",
    "stages": [
        {"id": "regular"},
        {"id": "silver", "spend": 200},
        {"id": "gold", "spend": 500, "multiplier": "1.5"},
        {"id": "platinum", "spend": 1500, "multiplier": 2},
    ],
    "window": {"kind": "rolling", "days": 365},
    "upgrade": "period_end",
    "review": "month",
    "downgrade": "recompute",
    "points": {
        "per": 1,
        "earn": 1,
        "expiry": {"kind": "months", "months": 12},
        "bonuses": [{"kind": "first_order", "points": 100}, {"kind": "subscription", "multiplier": 2}],
    },
}


def rows_of(path):
    """Rows of a Parquet or CSV output file (pyarrow, in a child so the parent stays small)."""
    code = (
        "import sys, pyarrow.parquet as pq, pyarrow.csv as pc\n"
        "p = sys.argv[1]\n"
        "print(pq.ParquetFile(p).metadata.num_rows if p.endswith('.parquet') else pc.read_csv(p).num_rows)\n"
    )
    return int(subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=float, default=1e6)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cells", default=",".join(em.CELLS))
    ap.add_argument("--json", help="append one JSON line per cell to this file")
    ap.add_argument("--kokyaku", help="the kokyaku binary (default: the release build)")
    a = ap.parse_args()
    n = int(a.orders)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(em.ROOT, "target"))
    kbin = a.kokyaku or os.path.join(target, "release", "kokyaku")
    os.makedirs(em.CACHE, exist_ok=True)
    work = os.path.join(em.CACHE, f"stages-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    program = os.path.join(work, "program.json")
    with open(program, "w") as f:
        json.dump(PROGRAM, f)
    me = [sys.executable, "-W", "ignore", os.path.abspath(em.__file__)]
    print(f"# {n:,} orders, {a.runs} runs, load average {os.getloadavg()}", flush=True)
    print("| cell | customers | kokyaku summary | kokyaku stages | stages / summary | peak MiB summary / stages |", flush=True)
    worst = None
    for cell in a.cells.split(","):
        s = em.spec(cell)
        ext = "csv" if s["fmt"] == "csv" else "parquet"
        src = os.path.join(em.CACHE, f"{cell}_{n}.{ext}")
        if not os.path.exists(src):
            subprocess.run([*me, "--generate", cell, str(n), src], check=True)
        sout = os.path.join(work, "customers.parquet")
        tout = os.path.join(work, "stages.parquet")
        cmds = {
            "summary": [kbin, "summary", src, *em.flags(s), "-o", sout, "--quiet"],
            "stages": [kbin, "stages", src, *em.flags(s), "--program", program, "-o", tout, "--quiet"],
        }
        res = {t: [] for t in cmds}
        customers = None
        for r in range(a.runs):
            for t, cmd in cmds.items():
                res[t].append(em.run_one(cmd)[:2])
            if r == 0:
                customers = rows_of(sout)
                if rows_of(tout) != customers:
                    raise SystemExit(f"{cell}: stages has {rows_of(tout)} customers, the summary {customers}")
        med = {t: (statistics.median(w for w, _ in v), max(m for _, m in v)) for t, v in res.items()}
        ratio = med["stages"][0] / med["summary"][0]
        worst = max(worst or (0, ""), (ratio, cell))
        line = {"cell": cell, "orders": n, "customers": customers, "load": os.getloadavg(), "ratio": round(ratio, 3),
                **{t: {"wall_s": round(w, 3), "peak_mib": round(m, 1)} for t, (w, m) in med.items()}}
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(line) + "\n")
        print(f"| {cell} | {customers:,} | {med['summary'][0]:.2f} s | {med['stages'][0]:.2f} s | {ratio:.2f}x "
              f"| {med['summary'][1]:.0f} / {med['stages'][1]:.0f} |", flush=True)
    if worst:
        print(f"# worst: {worst[1]} {worst[0]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
