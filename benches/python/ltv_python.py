#!/usr/bin/env python3
"""The Python LTV API on frames vs Polars doing the same work, and BG/NBD / Gamma-Gamma fits vs
lifetimes, in one run.

Usage: python benches/python/ltv_python.py [--copies 15] [--repeat 3]

Data: the CDNOW master log (69,659 orders, 23,570 customers; ../shared/data or $KOKYAKU_CDNOW),
copied `--copies` times with distinct customer ids (15 copies = 1.04M orders), as a pandas and a
Polars frame (customer id text, date, amount float).

1. calibration summary to 1997-09-30 in weeks: `kokyaku.from_frame(df)` +
   `kokyaku.calibration_summary(...)` (pandas and Polars input) vs the same group-by in Polars
   (purchase days per customer: x = days - 1, t_x, T in weeks, mean repeat spend);
2. BG/NBD and Gamma-Gamma fits on that summary: `kokyaku.BgNbd().fit`, `GammaGamma().fit`
   (including the conversion of the summary columns) vs lifetimes' `BetaGeoFitter().fit`,
   `GammaGammaFitter().fit` when lifetimes is importable (run this script with a venv that has
   it for that column; see benches/ltv_vs_lifetimes.py for one).

Prints one JSON line per measurement (best of --repeat, wall clock) and the ratios. The machine
is shared and loaded: figures are indicative.
"""

import argparse
import json
import os
import pathlib
import time

import kokyaku

ROOT = pathlib.Path(__file__).resolve().parents[2]
CDNOW = pathlib.Path(os.environ.get("KOKYAKU_CDNOW", ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"))


def best(f, repeat):
    out, secs = None, float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        secs = min(secs, time.perf_counter() - t0)
    return out, secs


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


def polars_summary(pl_df, end="1997-09-30"):
    import datetime

    import polars as pl

    e = datetime.date.fromisoformat(end)
    d = (
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
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    pd_df, pl_df = frames(a.copies)
    n = len(pd_df)
    rows = []

    def kokyaku_summary(df):
        log = kokyaku.from_frame(df, customer_col="customer_id", order_col="order_id", time_col="ordered_at", amount_col="amount", currency="USD")
        return kokyaku.calibration_summary(log, calibration_end="1997-09-30", time_unit="weeks", frame="dict")

    s_pd, t_pd = best(lambda: kokyaku_summary(pd_df), a.repeat)
    _, t_pl = best(lambda: kokyaku_summary(pl_df), a.repeat)
    s_polars, t_polars = best(lambda: polars_summary(pl_df), a.repeat)
    assert len(s_pd["x"]) == s_polars.height, (len(s_pd["x"]), s_polars.height)
    rows += [
        {"what": "calibration summary", "tool": "kokyaku (pandas in)", "orders": n, "seconds": t_pd},
        {"what": "calibration summary", "tool": "kokyaku (Polars in)", "orders": n, "seconds": t_pl},
        {"what": "calibration summary", "tool": "Polars group-by", "orders": n, "seconds": t_polars},
    ]
    summary = {k: s_pd[k] for k in ("x", "t_x", "T", "monetary")}
    bg, t_bg = best(lambda: kokyaku.BgNbd().fit(summary, progress=False), a.repeat)
    # Gamma-Gamma needs a positive mean repeat spend: CDNOW has some $0 orders.
    keep = [i for i, (x, m) in enumerate(zip(summary["x"], summary["monetary"])) if x == 0 or m > 0]
    spend = {k: [v[i] for i in keep] for k, v in summary.items()}
    gg, t_gg = best(lambda: kokyaku.GammaGamma().fit(spend, progress=False), a.repeat)
    customers = len(summary["x"])
    rows += [
        {"what": "BG/NBD fit", "tool": "kokyaku (Python)", "customers": customers, "seconds": t_bg, "log_likelihood": bg.log_likelihood},
        {"what": "Gamma-Gamma fit", "tool": "kokyaku (Python)", "customers": customers, "seconds": t_gg, "log_likelihood": gg.log_likelihood},
    ]
    try:
        import lifetimes
        import pandas as pd
    except ImportError:
        lifetimes = None
    if lifetimes is not None:
        f = pd.DataFrame(summary)
        _, t_lbg = best(lambda: lifetimes.BetaGeoFitter().fit(f["x"], f["t_x"], f["T"]), 1)
        rep = pd.DataFrame(spend)
        rep = rep[rep["x"] > 0]
        _, t_lgg = best(lambda: lifetimes.GammaGammaFitter().fit(rep["x"], rep["monetary"]), 1)
        rows += [
            {"what": "BG/NBD fit", "tool": "lifetimes", "customers": customers, "seconds": t_lbg},
            {"what": "Gamma-Gamma fit", "tool": "lifetimes", "customers": customers, "seconds": t_lgg},
        ]
    for r in rows:
        print(json.dumps(r))
    print(f"summary: kokyaku (pandas in) / Polars = {t_pd / t_polars:.2f}, (Polars in) / Polars = {t_pl / t_polars:.2f}")
    if lifetimes is not None:
        print(f"fits: lifetimes / kokyaku BG/NBD = {t_lbg / t_bg:.0f}x, Gamma-Gamma = {t_lgg / t_gg:.0f}x")
    else:
        print("fits: lifetimes is not importable here; no fit ratio")


if __name__ == "__main__":
    main()
