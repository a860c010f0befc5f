#!/usr/bin/env python3
"""Is a frame passed to kokyaku copied? Peak resident memory against the frame's size.

Usage: python benches/python/frame_memory.py [--rows 5000000] [--customers 1000000]

For each of pandas, Polars and pyarrow, a fresh subprocess builds a seeded order-log frame of
``--rows`` rows with int64 ``customer_id`` and ``order_id``, a ``timestamp[ns, UTC]`` ``ordered_at``
and a float64 ``amount`` (32 bytes a row), drops everything but the frame, and then measures
around one call:

* ``kokyaku.from_frame(frame, ...)`` (the order log), and
* ``BgNbd.predict(summary, horizon=52)`` (published CDNOW parameters) on a float64 summary frame
  of ``--customers`` rows (``x``, ``t_x``, ``T``; 24 bytes a row), which returns a frame of
  the caller's kind with four float64 columns (32 bytes a row, retained).

The children run with ``MALLOC_MMAP_THRESHOLD_=65536`` (glibc) and pyarrow on the system
allocator (``ARROW_DEFAULT_MEMORY_POOL=system``): every block of 64 KiB or more is its own
mapping, returned to the kernel when freed, so a temporary copy of a column shows in
``transient`` instead of hiding as freed-but-resident heap in ``retained``.

Memory is the kernel's: ``VmRSS`` / ``VmHWM`` from ``/proc/self/status`` (tracemalloc does not
see Arrow or Rust allocations). The peak is reset (``/proc/self/clear_refs`` = 5) right before the
call, so ``peak_extra`` = VmHWM after the call − VmRSS before it: everything the call allocated
at its high point, the frame excluded. ``retained`` = VmRSS after − before (what the result keeps:
the log's own columns), ``transient`` = peak_extra − retained. A copy of the frame's columns on
the way in would show as ``transient`` ≥ ``frame_bytes`` (conversions are freed after the read);
the LTV call copies its three float columns once into the core's ``Vec<f64>`` (24 bytes a row),
and its result is built in Rust and handed over as Arrow (pandas: then converted by pyarrow).

Prints one JSON line per measurement. Linux only.
"""

import argparse
import gc
import json
import os
import re
import subprocess
import sys


def status():
    s = open("/proc/self/status").read()
    return {k: int(re.search(k + r":\s+(\d+)", s).group(1)) * 1024 for k in ("VmRSS", "VmHWM")}


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measure(call):
    gc.collect()
    before = status()["VmRSS"]
    reset_peak()
    out = call()
    after = status()
    return out, {
        "peak_extra": after["VmHWM"] - before,
        "retained": after["VmRSS"] - before,
        "transient": after["VmHWM"] - after["VmRSS"],
    }


def child(kind, rows, customers):
    import numpy as np

    import kokyaku

    rng = np.random.default_rng(42)
    cols = {
        "customer_id": rng.integers(0, max(rows // 5, 1), rows, dtype=np.int64),
        "order_id": np.arange(rows, dtype=np.int64),
        "ordered_at": np.datetime64("2020-01-01T00:00:00", "ns") + rng.integers(0, 4 * 365 * 86400, rows).astype("timedelta64[s]"),
        "amount": np.round(rng.gamma(2.0, 20.0, rows), 2),  # cents: finer amounts are rejected
    }
    n = customers
    x = rng.poisson(2.0, n).astype(np.float64)
    big_t = np.full(n, 52.0)
    summary = {"x": x, "t_x": np.where(x > 0, rng.uniform(0, 52, n), 0.0), "T": big_t}
    if kind == "pandas":
        import pandas as pd

        frame = pd.DataFrame(cols)
        frame["ordered_at"] = frame["ordered_at"].dt.tz_localize("UTC")
        sframe = pd.DataFrame(summary)
        size = lambda f: int(f.memory_usage(index=False, deep=True).sum())  # noqa: E731
    elif kind == "polars":
        import polars as pl

        frame = pl.DataFrame(cols).with_columns(pl.col("ordered_at").dt.replace_time_zone("UTC"))
        sframe = pl.DataFrame(summary)
        size = lambda f: int(f.estimated_size())  # noqa: E731
    else:
        import pyarrow as pa

        frame = pa.table(cols)
        frame = frame.set_column(2, "ordered_at", frame.column("ordered_at").cast(pa.timestamp("ns", tz="UTC")))
        sframe = pa.table(summary)
        size = lambda f: int(f.nbytes)  # noqa: E731
    del cols, summary, x, big_t
    gc.collect()
    opts = dict(customer_col="customer_id", order_col="order_id", time_col="ordered_at", amount_col="amount", currency="USD")
    def read_log():
        log = kokyaku.from_frame(frame, **opts)
        log.n_orders  # noqa: B018 - from_frame reads the log when first needed: read it here
        return log

    log, m = measure(read_log)
    print(json.dumps({"kind": kind, "call": "from_frame", "rows": rows, "orders_read": log.n_orders, "frame_bytes": size(frame), **m}), flush=True)
    del log
    model = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    pred, m = measure(lambda: model.predict(sframe, horizon=52.0))
    print(json.dumps({"kind": kind, "call": "BgNbd.predict", "rows": customers, "result_rows": len(pred), "frame_bytes": size(sframe), **m}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--child", choices=["pandas", "polars", "pyarrow"])
    a = ap.parse_args()
    if a.child:
        child(a.child, a.rows, a.customers)
        return
    for kind in ("pandas", "polars", "pyarrow"):
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "ARROW_DEFAULT_MEMORY_POOL": "system"}
        r = subprocess.run([sys.executable, __file__, "--child", kind, "--rows", str(a.rows), "--customers", str(a.customers)], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print(json.dumps({"kind": kind, "error": r.stderr.strip().splitlines()[-1:]}))
            continue
        for line in r.stdout.splitlines():
            d = json.loads(line)
            d["peak_extra_over_frame"] = round(d["peak_extra"] / d["frame_bytes"], 3)
            d["transient_over_frame"] = round(d["transient"] / d["frame_bytes"], 3)
            print(json.dumps(d))


if __name__ == "__main__":
    main()
