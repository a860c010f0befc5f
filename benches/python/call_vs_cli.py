"""The Python call by itself against the CLI on the same data (issue 18: "the Python call within
10 % of the Rust CLI's time").

For each cell of benches/export_matrix.py, in one process per frame kind: read the bench file
into a pandas or Polars frame (not timed), then time `kokyaku.from_frame(df, **opts).customers(
frame=kind)` (the call: frame in, frame out), the call plus writing `customers.parquet` with
the frame library, and `from_frame(df, **opts).write_customers("customers.parquet")` (the call
writing the file itself, as the CLI does). The CLI is `kokyaku summary FILE … -o customers.parquet` as a whole process
(it reads the file too, which the call does not). Interleaved, median of N runs.

    python benches/python/call_vs_cli.py 1000000 3 base,shuffled,csv target/release/kokyaku
"""
import json, os, statistics, subprocess, sys, time

M = os.path.expanduser("~/.cache/kokyaku-bench/matrix")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import export_matrix as em  # noqa: E402

CALL = r'''
import json, sys, time, kokyaku
src, out, kind, fmt, opts, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5]), sys.argv[6]
if kind == "pandas":
    import pandas as pd
    df = pd.read_parquet(src) if fmt == "parquet" else pd.read_csv(src, dtype={"customer_id": str, "order_id": str, "amount": str})
else:
    import polars as pl
    df = pl.read_parquet(src) if fmt == "parquet" else pl.read_csv(src, schema_overrides={"customer_id": pl.String, "order_id": pl.String, "amount": pl.String})
t0 = time.perf_counter()
if mode == "write":
    kokyaku.from_frame(df, **opts).write_customers(out)
    print(json.dumps([time.perf_counter() - t0]))
else:
    t = kokyaku.from_frame(df, **opts).customers(frame=kind)
    t1 = time.perf_counter()
    t.to_parquet(out) if kind == "pandas" else t.write_parquet(out)
    print(json.dumps([t1 - t0, time.perf_counter() - t0]))
'''


def main():
    n, runs, cells, kbin = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
    work = f"/tmp/call-vs-cli-{os.getpid()}"
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    for cell in cells:
        s = em.spec(cell)
        src = os.path.join(M, f"{cell}_{n}.{s['fmt']}")
        opts = json.dumps(em.py_opts(s))
        cli = [kbin, "summary", src, *em.flags(s), "-o", f"{work}/cli.parquet", "--quiet"]
        res = {"cli": [], "pandas": [], "polars": []}
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cli, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            res["cli"].append((time.perf_counter() - t, None, None))
            for kind in ("pandas", "polars"):
                got = []
                for mode in ("table", "write"):
                    r = subprocess.run([py, "-c", CALL, src, f"{work}/{kind}.parquet", kind, s["fmt"], opts, mode],
                                       check=True, capture_output=True, text=True)
                    got += json.loads(r.stdout.strip().splitlines()[-1])
                res[kind].append(tuple(got))
        cli_s = statistics.median(w for w, _, _ in res["cli"])
        line = {"cell": cell, "orders": n, "cli_s": round(cli_s, 3)}
        for kind in ("pandas", "polars"):
            call = statistics.median(c for c, _, _ in res[kind])
            write = statistics.median(w for _, w, _ in res[kind])
            direct = statistics.median(d for _, _, d in res[kind])
            line[kind] = {"call_s": round(call, 3), "call_write_s": round(write, 3), "write_customers_s": round(direct, 3),
                          "call_over_cli": round(call / cli_s, 2), "call_write_over_cli": round(write / cli_s, 2),
                          "write_customers_over_cli": round(direct / cli_s, 2)}
        print(json.dumps(line), flush=True)


main()
