"""Interleaved whole processes: the Python call before (the grouped log: `_kokyaku.read_arrow`,
pandas' own Decimal conversion) and after (from_frame streamed), the CLI and Polars' script of
benches/export_matrix.py, on the bench files of export_matrix. Median of N; wall and user+sys."""
import json, os, resource, statistics, subprocess, sys, time
M = os.path.expanduser("~/.cache/kokyaku-bench/matrix")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import export_matrix as em  # noqa: E402

BEFORE = r'''
import json, sys, kokyaku
from kokyaku import _kokyaku
from kokyaku._log import OrderLog
src, out, kind, fmt, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
if kind == "pandas":
    import pandas as pd
    df = pd.read_parquet(src)
else:
    import polars as pl
    df = pl.read_parquet(src)
t = OrderLog(_kokyaku.read_arrow(df, json.dumps(opts)), kind).customers(frame=kind)
t.to_parquet(out) if kind == "pandas" else t.write_parquet(out)
'''

def run(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

def main():
    n, runs, cells, kbin = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
    work = f"/tmp/py18/route-{os.getpid()}"
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    for cell in cells:
        s = em.spec(cell)
        src = os.path.join(M, f"{cell}_{n}.parquet")
        o = json.dumps(em.py_opts(s))
        tools = {
            "cli": [kbin, "summary", src, *em.flags(s), "-o", f"{work}/cli.parquet", "--quiet"],
            "polars": [py, "-c", em.POLARS, src, f"{work}/pl.parquet", "summary", json.dumps(s)],
        }
        for kind in ("pandas", "polars"):
            tools[f"before-{kind}"] = [py, "-c", BEFORE, src, f"{work}/b.parquet", kind, "parquet", o]
            tools[f"after-{kind}"] = [py, "-c", em.PY_KOKYAKU, src, f"{work}/a.parquet", kind, "parquet", o]
        res = {k: [] for k in tools}
        for _ in range(runs):
            for k, c in tools.items():
                res[k].append(run(c))
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in res.items()}
        print(json.dumps({"cell": cell, "orders": n, **{k: [round(a, 2), round(b, 2)] for k, (a, b) in med.items()}}), flush=True)

main()
