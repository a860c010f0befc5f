#!/usr/bin/env python3
"""The Python LTV API on frames vs the Rust CLI and Polars doing the same work, and BG/NBD /
Gamma-Gamma fits vs lifetimes, in one run, interleaved.

Usage: python benches/python/ltv_python.py [--copies 15] [--repeat 3] [--fit-calls 3] [--kokyaku-bin PATH]

Data: the CDNOW master log (69,659 orders, 23,570 customers; ../shared/data or $KOKYAKU_CDNOW),
copied `--copies` times with distinct customer ids (15 copies = 1.04M orders), as a pandas and a
Polars frame (customer id text, order id int, timestamp, amount float), and the same table as a
Parquet file for the CLI.

1. calibration summary to 1997-09-30 in weeks, returned as the caller's kind of frame:
   `kokyaku.from_frame(df)` + `kokyaku.calibration_summary(...)` (pandas in → pandas out, Polars
   in → Polars out) vs `kokyaku ltv summary FILE.parquet -o OUT.parquet` (the release CLI on the
   same table: read, summarise, write) vs the same group-by in Polars (purchase days per
   customer: x = days - 1, t_x, T in weeks, mean repeat spend);
2. BG/NBD and Gamma-Gamma fits on the pandas summary (kokyaku `BgNbd().fit(df)`,
   `GammaGamma().fit(df)`, the Arrow hand-over included; both tools get the same frames: all
   customers for BG/NBD, the repeat buyers with a positive mean spend for Gamma-Gamma) vs lifetimes' `BetaGeoFitter().fit`,
   `GammaGammaFitter().fit` when lifetimes is importable (run with a venv that has it; see
   benches/ltv_vs_lifetimes.py).

Each round runs every side once (interleaved, so a load spike hits all sides); `--repeat`
rounds. A fit is a few milliseconds on kokyaku's side, where one call's time depends on what ran
just before (caches, the allocator's pages): each fit (both tools alike) is called `--fit-calls`
times in a row per round and the best of those is the round's figure, as `timeit` does and as
benches/ltv_vs_lifetimes.py times both sides. For each side the best and worst wall time and the best CPU time (this process's, or the
CLI child's, user + sys) are printed; ratios are given per round and the worst round is the
quoted one. The machine is shared and loaded: figures are indicative.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import tempfile
import time

import kokyaku

ROOT = pathlib.Path(__file__).resolve().parents[2]
CDNOW = pathlib.Path(os.environ.get("KOKYAKU_CDNOW", ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"))
END = "1997-09-30"


def timed(f):
    c0, t0 = time.process_time(), time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0, time.process_time() - c0


def best_of(k, f):
    """`timed(f)` `k` times in a row: the last result, the best wall and the best CPU time (as
    timeit does; the same `k` for both tools of a fit)."""
    runs = [timed(f) for _ in range(max(1, k))]
    return runs[-1][0], min(r[1] for r in runs), min(r[2] for r in runs)


def timed_cli(args):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return None, wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def frames(copies):
    import pandas as pd
    import polars as pl

    base = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    parts = []
    for k in range(copies):
        p = base.copy()
        p["customer_id"] = f"{k}-" + p["customer_id"]
        parts.append(p)
    df = pd.concat(parts, ignore_index=True)
    df["ordered_at"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["order_id"] = range(len(df))
    df = df.rename(columns={"dollar_value": "amount"})[["customer_id", "order_id", "ordered_at", "amount"]]
    return df, pl.from_pandas(df)


def polars_summary(pl_df, end=END):
    import datetime

    import polars as pl

    e = datetime.date.fromisoformat(end)
    return (
        pl_df.lazy()
        .with_columns(pl.col("ordered_at").dt.date().alias("day"))
        .filter(pl.col("day") <= e)
        .group_by("customer_id", "day")
        .agg(pl.col("amount").sum())
        .sort("customer_id", "day")
        .group_by("customer_id")
        .agg(
            (pl.len() - 1).cast(pl.Float64).alias("x"),
            ((pl.col("day").max() - pl.col("day").min()).dt.total_days() / 7).alias("t_x"),
            ((pl.lit(e) - pl.col("day").min()).dt.total_days() / 7 + 1 / 7).alias("T"),
            pl.col("amount").slice(1).mean().fill_null(0).alias("monetary"),
        )
        .sort("customer_id")
        .collect()
    )


def kokyaku_summary(df):
    log = kokyaku.from_frame(df, customer_col="customer_id", order_col="order_id", time_col="ordered_at", amount_col="amount", currency="USD")
    return kokyaku.calibration_summary(log, calibration_end=END, time_unit="weeks")


class Sides:
    """Per side: wall and CPU seconds of every round."""

    def __init__(self):
        self.runs = {}

    def add(self, side, wall, cpu):
        self.runs.setdefault(side, []).append((wall, cpu))

    def row(self, what, side, **extra):
        w = [r[0] for r in self.runs[side]]
        c = [r[1] for r in self.runs[side]]
        return {"what": what, "tool": side, "best_s": round(min(w), 3), "worst_s": round(max(w), 3), "best_cpu_s": round(min(c), 3), "rounds": len(w), **extra}

    def worst_ratio(self, a, b):
        """max over rounds of a / b (wall), and of CPU."""
        ra, rb = self.runs[a], self.runs[b]
        return max(x[0] / y[0] for x, y in zip(ra, rb)), max(x[1] / y[1] for x, y in zip(ra, rb) if y[1] > 0)

    def round_ratios(self, a, b):
        """Per round: (wall a / b, CPU a / b)."""
        return [(round(x[0] / y[0], 3), round(x[1] / y[1], 3) if y[1] > 0 else None) for x, y in zip(self.runs[a], self.runs[b])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kokyaku-bin", default=os.environ.get("KOKYAKU_BIN"))
    ap.add_argument("--fit-calls", type=int, default=3, help="calls per round of each fit, best kept (both tools)")
    a = ap.parse_args()
    pd_df, pl_df = frames(a.copies)
    n = len(pd_df)
    out = []
    s = Sides()
    tmp = tempfile.mkdtemp()
    parquet = os.path.join(tmp, "orders.parquet")
    pl_df.write_parquet(parquet)
    cli = None
    if a.kokyaku_bin:
        cli = [a.kokyaku_bin, "ltv", "summary", parquet, "--customer-col", "customer_id", "--order-col", "order_id", "--time-col", "ordered_at",
               "--amount-col", "amount", "--currency", "USD", "--calibration-end", END, "--time-unit", "weeks", "--quiet", "-o", os.path.join(tmp, "summary.parquet")]
    summaries = {}
    for _ in range(a.repeat):
        summaries["pandas"], w, c = timed(lambda: kokyaku_summary(pd_df))
        s.add("kokyaku (pandas in, pandas out)", w, c)
        summaries["polars"], w, c = timed(lambda: kokyaku_summary(pl_df))
        s.add("kokyaku (Polars in, Polars out)", w, c)
        if cli:
            _, w, c = timed_cli(cli)
            s.add("kokyaku CLI (Parquet in and out)", w, c)
        summaries["ref"], w, c = timed(lambda: polars_summary(pl_df))
        s.add("Polars group-by", w, c)
    customers = summaries["ref"].height
    assert len(summaries["pandas"]) == customers == summaries["polars"].height, (len(summaries["pandas"]), customers)
    sides = ["kokyaku (pandas in, pandas out)", "kokyaku (Polars in, Polars out)"] + (["kokyaku CLI (Parquet in and out)"] if cli else []) + ["Polars group-by"]
    out += [s.row("calibration summary", t, orders=n, customers=customers) for t in sides]
    ratios = []
    for py in sides[:2]:
        if cli:
            ratios.append((f"{py} / CLI", *s.worst_ratio(py, sides[2])))
        ratios.append((f"{py} / Polars", *s.worst_ratio(py, "Polars group-by")))
        print(json.dumps({"per_round": f"{py} / Polars group-by (wall, CPU)", "rounds": s.round_ratios(py, "Polars group-by")}))

    summary = summaries["pandas"][["x", "t_x", "T", "monetary"]]
    # Gamma-Gamma needs a positive mean repeat spend: CDNOW has some $0 orders.
    spend = summary[(summary["x"] == 0) | (summary["monetary"] > 0)]
    rep = spend[spend["x"] > 0]
    try:
        import lifetimes
    except ImportError:
        lifetimes = None
    f = s2 = Sides()  # one table for the fit sides
    fits = {}
    for _ in range(a.repeat):
        fits["bg"], w, c = best_of(a.fit_calls, lambda: kokyaku.BgNbd().fit(summary, progress=False))
        f.add("BG/NBD kokyaku", w, c)
        fits["gg"], w, c = best_of(a.fit_calls, lambda: kokyaku.GammaGamma().fit(rep, progress=False))
        f.add("Gamma-Gamma kokyaku", w, c)
        if lifetimes is not None:
            fits["lbg"], w, c = best_of(a.fit_calls, lambda: lifetimes.BetaGeoFitter().fit(summary["x"], summary["t_x"], summary["T"]))
            f.add("BG/NBD lifetimes", w, c)
            fits["lgg"], w, c = best_of(a.fit_calls, lambda: lifetimes.GammaGammaFitter().fit(rep["x"], rep["monetary"]))
            f.add("Gamma-Gamma lifetimes", w, c)
    out += [
        s2.row("BG/NBD fit", "BG/NBD kokyaku", customers=len(summary), log_likelihood=fits["bg"].log_likelihood),
        s2.row("Gamma-Gamma fit", "Gamma-Gamma kokyaku", customers=len(rep), log_likelihood=fits["gg"].log_likelihood),
    ]
    if lifetimes is not None:
        out += [
            s2.row("BG/NBD fit", "BG/NBD lifetimes", customers=len(summary), params=dict(zip(["r", "alpha", "a", "b"], map(float, fits["lbg"].params_)))),
            s2.row("Gamma-Gamma fit", "Gamma-Gamma lifetimes", customers=len(rep), params=dict(zip(["p", "q", "v"], map(float, fits["lgg"].params_)))),
        ]
        ratios.append(("lifetimes / kokyaku BG/NBD (min over rounds)", *[1 / r for r in s2.worst_ratio("BG/NBD kokyaku", "BG/NBD lifetimes")]))
        ratios.append(("lifetimes / kokyaku Gamma-Gamma (min over rounds)", *[1 / r for r in s2.worst_ratio("Gamma-Gamma kokyaku", "Gamma-Gamma lifetimes")]))
        for m in ("BG/NBD", "Gamma-Gamma"):
            print(json.dumps({"per_round": f"lifetimes / kokyaku {m} (wall, CPU)", "rounds": s2.round_ratios(f"{m} lifetimes", f"{m} kokyaku")}))
    for r in out:
        print(json.dumps(r))
    for name, wall, cpu in ratios:
        print(json.dumps({"ratio": name, "worst_round_wall": round(wall, 3), "worst_round_cpu": round(cpu, 3)}))
    print(json.dumps({"kokyaku_params": {"bg": fits["bg"].params, "gg": fits["gg"].params}}))
    if lifetimes is None:
        print("fits: lifetimes is not importable here; no fit ratio")


if __name__ == "__main__":
    main()
