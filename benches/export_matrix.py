#!/usr/bin/env python3
"""What users run, on the export schemas shops have: kokyaku vs Polars, whole processes.

Usage:
    python benches/export_matrix.py [--orders 1000000] [--runs 3] [--cells base,shuffled,...]
                                    [--tools ...] [--json out.json] [--no-build]

Inputs come from the generator below (numpy + pyarrow; independent of `kokyaku simulate`): a
shop's order log of `--orders` orders by about 0.38 x that many customers (geometric orders per
customer, mean 2.6; first orders spread over three years, later ones after them; amounts in
cents, log-normal around $40). One base schema -- the common export: `customer_id` int64,
`order_id` int64, `ts` timestamp[ms] without zone, `amount` float64 with cents, time-ordered,
Parquet in 10 row groups -- and one cell per change of one dimension (see CELLS).

Per cell, each command runs `--runs` times as a fresh process (median wall time; peak RSS of the
process from wait4), in this order, side by side:
  summary        `kokyaku summary FILE ... -o customers.parquet --quiet`
  report         `kokyaku report FILE ... --format json`
  py-pandas      Python: read FILE into pandas, `kokyaku.from_frame(df).customers(frame="pandas")`,
                 write customers.parquet
  py-polars      the same from a Polars frame
  polars         Polars: read FILE, the same per-customer table as kokyaku's, column for column
                 (first/last day, orders, distinct purchase days, subscription and cancelled
                 orders, recency, tenure, age, gross, refunds, net, AOV, subscription state,
                 dormant, NTILE(5) R/F/M, the R x F segment, CPM class and name), write
                 customers.parquet
  polars-report  Polars: the summary as above plus segment counts, repeat rate and the monthly
                 cohort retention matrix (what `kokyaku report` prints), no file
Ratios are Polars' median / kokyaku's median from the same run (>1: kokyaku is faster). After the
first `summary` run of each cell the script checks that kokyaku's gross per customer equals
Polars' sum of the same orders to the cent (the amounts are exact cents, so Polars sums integer
cents), that both find the same customers, and that every other column but R/F/M and the
segment is equal per customer (the peer did the same work).

The machine is shared: state the load (printed) with any figure.
"""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.environ.get("KOKYAKU_CACHE", os.path.expanduser("~/.cache")), "kokyaku-bench", "matrix")
START = dt.datetime(2022, 1, 1)
SPAN_S = 3 * 365 * 86_400

# name -> changes from the base schema.
BASE = dict(cust="int64", order="int64", time="ms", amount="float", order_by="time", fmt="parquet", groups=10)
CELLS = {
    "base": {},
    "cust-member-text": dict(cust="member"),
    "cust-uuid-text": dict(cust="uuid"),
    "cust-dict-text": dict(cust="dict"),
    "order-prefixed-text": dict(order="text"),
    "order-line-items": dict(order="lines"),
    "time-us": dict(time="us"),
    "time-ns": dict(time="ns"),
    "time-ms-tz": dict(time="ms-tz"),
    "time-epoch-s": dict(time="epoch"),
    "time-iso-text": dict(time="iso"),
    "amount-int-minor": dict(amount="int"),
    "amount-decimal": dict(amount="decimal"),
    "shuffled": dict(order_by="shuffled"),
    "rowgroup-1": dict(groups=1),
    "rowgroup-64k": dict(groups=-65536),
    "csv": dict(fmt="csv", cust="member", order="text", time="text", amount="text"),
    "csv-shuffled": dict(fmt="csv", cust="member", order="text", time="text", amount="text", order_by="shuffled"),
}
TOOLS = ["summary", "report", "py-pandas", "py-polars", "polars", "polars-report"]


def spec(cell):
    s = dict(BASE)
    s.update(CELLS[cell])
    return s


def generate(s, n_orders, path, seed=7):
    """Writes the log of schema `s` with `n_orders` orders to `path`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401 (pa.compute)
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_cust = int(n_orders * 0.42) + 100  # mean 2.63 orders each: enough, cut at n_orders
    counts = rng.geometric(0.38, size=n_cust)
    cust = np.repeat(np.arange(n_cust, dtype=np.int64), counts)[:n_orders]
    n = len(cust)
    assert n == n_orders, "generator made too few orders"
    # First order uniform over the span; later ones uniform between it and the end.
    first = rng.integers(0, SPAN_S, size=n_cust)
    f = first[cust]
    is_first = np.r_[True, cust[1:] != cust[:-1]]
    secs = np.where(is_first, f, f + (rng.random(n) * (SPAN_S - f)).astype(np.int64))
    cents = np.round(np.exp(rng.normal(np.log(4000), 0.7, size=n))).astype(np.int64) + 1
    if s["order_by"] == "time":
        perm = np.argsort(secs, kind="stable")
    else:
        perm = rng.permutation(n)
    cust, secs, cents = cust[perm], secs[perm], cents[perm]
    # Order numbers rise with time (shops number orders as they come in), whatever the row order.
    order_no = np.empty(n, dtype=np.int64)
    order_no[np.argsort(secs, kind="stable")] = np.arange(n, dtype=np.int64)
    order_no += 100_000_001
    # Customer ids: a scrambled number per customer (not the row index).
    cid = (cust * 7_919 + 1_000_003) % 100_000_007 + 10_000_000
    cols = {}
    if s["cust"] == "int64":
        cols["customer_id"] = pa.array(cid)
    elif s["cust"] == "member":
        cols["customer_id"] = pa.array(np.char.zfill(cid.astype(str), 10))
    elif s["cust"] in ("uuid", "dict"):
        h = cid.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # wraps mod 2^64
        hx = np.char.zfill(np.char.mod("%x", h), 16)
        u = np.char.add(np.char.add(hx, "-4a1b-"), np.char.zfill(np.char.mod("%x", cid), 12))
        arr = pa.array(u.astype(str))
        cols["customer_id"] = arr.dictionary_encode() if s["cust"] == "dict" else arr
    # Order ids and amounts; line items split an order into 1-3 rows of quantity x unit price.
    if s["order"] == "lines":
        k = rng.integers(1, 4, size=n)
        rows = np.repeat(np.arange(n), k)
        qty = rng.integers(1, 4, size=len(rows))
        # Each line's unit price: the order's cents split over its lines and quantities, kept
        # whole cents (the order total is then the sum of the lines, whatever it is).
        price = np.maximum(cents[rows] // (k[rows] * qty), 1)
        cols["customer_id"] = cols["customer_id"].take(pa.array(rows))
        cols["order_id"] = pa.array(order_no[rows])
        tsecs = secs[rows]
        cols["quantity"] = pa.array(qty)
        cols["unit_price"] = pa.array(price / 100.0)
        line_cents = qty * price
    else:
        if s["order"] == "int64":
            cols["order_id"] = pa.array(order_no)
        else:
            cols["order_id"] = pa.array(np.char.add("ORD-", np.char.zfill(order_no.astype(str), 10)).astype(str))
        tsecs = secs
        line_cents = cents
    t = (START - dt.datetime(1970, 1, 1)).total_seconds()
    epoch = tsecs + int(t)
    tm = s["time"]
    if tm in ("ms", "us", "ns", "ms-tz"):
        unit = tm.split("-")[0]
        mult = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
        tz = "UTC" if tm.endswith("tz") else None
        cols["ts"] = pa.array(epoch * mult, type=pa.timestamp(unit, tz=tz))
    elif tm == "epoch":
        cols["ts"] = pa.array(epoch)
    elif tm == "iso":
        a = pa.array(epoch, type=pa.timestamp("s"))
        cols["ts"] = pa.compute.strftime(a, format="%Y-%m-%dT%H:%M:%SZ")
    elif tm == "text":
        a = pa.array(epoch, type=pa.timestamp("s"))
        cols["ts"] = pa.compute.strftime(a, format="%Y-%m-%d %H:%M:%S")
    if "quantity" not in cols:
        am = s["amount"]
        if am == "float":
            cols["amount"] = pa.array(line_cents / 100.0)
        elif am == "int":
            cols["amount"] = pa.array(line_cents)
        elif am == "decimal":
            # Float cents / 100 rounded to 2 places by Arrow's cast: the exact cents.
            cols["amount"] = pa.array(line_cents / 100.0).cast(pa.decimal128(12, 2))
        elif am == "text":
            w = np.char.zfill((line_cents % 100).astype(str), 2)
            cols["amount"] = pa.array(np.char.add(np.char.add((line_cents // 100).astype(str), "."), w).astype(str))
    table = pa.table(cols)
    tmp = path + ".tmp"
    if s["fmt"] == "csv":
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="none"))
    else:
        g = s["groups"]
        rg = (-g) if g < 0 else -(-table.num_rows // g)
        pq.write_table(table, tmp, row_group_size=rg, compression="snappy")
    os.replace(tmp, path)


def flags(s):
    f = ["--customer-col", "customer_id", "--order-col", "order_id", "--time-col", "ts", "--currency", "USD"]
    if s["order"] == "lines":
        f += ["--quantity-col", "quantity", "--unit-price-col", "unit_price", "--amount-col", "-"]
    else:
        f += ["--amount-col", "amount"]
    if s["time"] == "epoch":
        f += ["--time-format", "epoch"]
    return f


def py_opts(s):
    o = dict(customer_col="customer_id", order_col="order_id", time_col="ts", currency="USD")
    if s["order"] == "lines":
        o.update(quantity_col="quantity", unit_price_col="unit_price", amount_col="-")
    else:
        o["amount_col"] = "amount"
    if s["time"] == "epoch":
        o["time_format"] = "epoch"
    return o


PY_KOKYAKU = r'''
import json, sys, kokyaku
src, out, kind, fmt, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
if kind == "pandas":
    import pandas as pd
    df = pd.read_parquet(src) if fmt == "parquet" else pd.read_csv(src, dtype={"customer_id": str, "order_id": str, "amount": str})
else:
    import polars as pl
    df = pl.read_parquet(src) if fmt == "parquet" else pl.read_csv(src, schema_overrides={"customer_id": pl.String, "order_id": pl.String, "amount": pl.String})
t = kokyaku.from_frame(df, **opts).customers(frame=kind)
if kind == "pandas":
    t.to_parquet(out)
else:
    t.write_parquet(out)
'''

POLARS = r'''
import json, sys, datetime
COLUMNS = ["customer_id", "first_order", "last_order", "orders", "purchase_days", "subscription_orders",
           "cancelled_orders", "recency_days", "tenure_days", "age_days", "gross", "refunds", "net",
           "average_order_value", "subscription", "dormant", "r", "f", "m", "rfm_segment", "cpm_class", "cpm_name"]
import polars as pl
src, out, mode, s = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
lf = pl.scan_parquet(src) if s["fmt"] == "parquet" else pl.scan_csv(src, schema_overrides={"customer_id": pl.String, "order_id": pl.String, "amount": pl.String})
ts = pl.col("ts")
if s["time"] == "epoch":
    ts = pl.from_epoch(ts, time_unit="s")
elif s["time"] == "iso":
    ts = ts.str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
elif s["time"] == "text":
    ts = ts.str.to_datetime("%Y-%m-%d %H:%M:%S")
if s["order"] == "lines":
    cents = (pl.col("quantity") * (pl.col("unit_price") * 100).round(0).cast(pl.Int64))
elif s["amount"] == "float":
    cents = (pl.col("amount") * 100).round(0).cast(pl.Int64)
elif s["amount"] == "int":
    cents = pl.col("amount")
elif s["amount"] == "decimal":
    cents = (pl.col("amount") * 100).cast(pl.Int64)
else:
    cents = (pl.col("amount").cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)
orders = (lf.select(pl.col("customer_id").cast(pl.String), pl.col("order_id"), ts.dt.date().alias("day"), cents.alias("cents"))
          .group_by("order_id").agg(pl.col("customer_id").first(), pl.col("day").first(), pl.col("cents").sum()))
g = (orders.group_by("customer_id")
     .agg(pl.col("day").min().alias("first_order"), pl.col("day").max().alias("last_order"),
          pl.len().alias("orders"), pl.col("day").n_unique().alias("purchase_days"),
          pl.col("cents").sum().alias("gross_cents")))
g = g.collect()
as_of = g.select(pl.col("last_order").max()).item() + datetime.timedelta(days=1)
n = g.height
# kokyaku reads integer amounts as whole currency units (no scaling), others as dollars.
per_unit = 1 if s["amount"] == "int" and s["order"] != "lines" else 100
def ntile(expr, descending):
    r = expr.rank("ordinal", descending=descending)
    return ((r - 1) * 5 // n + 1).cast(pl.Int8)
g = (g.with_columns((pl.lit(as_of) - pl.col("last_order")).dt.total_days().alias("recency_days"),
                    (pl.col("last_order") - pl.col("first_order")).dt.total_days().alias("tenure_days"),
                    (pl.col("gross_cents").cast(pl.Decimal(20, 2)) / per_unit).alias("gross"),
                    (pl.col("gross_cents") / pl.col("orders") / per_unit).alias("average_order_value"))
     .sort("customer_id"))
g = g.with_columns(ntile(pl.col("recency_days"), True).alias("r"), ntile(pl.col("orders"), False).alias("f"),
                   ntile(pl.col("gross_cents"), False).alias("m"))
seg = (pl.when((pl.col("r") == 5) & (pl.col("f") >= 4)).then(pl.lit("Champions"))
       .when(pl.col("r").is_between(3, 4) & (pl.col("f") >= 4)).then(pl.lit("Loyal customers"))
       .when((pl.col("r") >= 4) & pl.col("f").is_between(2, 3)).then(pl.lit("Potential loyalists"))
       .when((pl.col("r") == 5) & (pl.col("f") == 1)).then(pl.lit("New customers"))
       .when((pl.col("r") == 4) & (pl.col("f") == 1)).then(pl.lit("Promising"))
       .when((pl.col("r") == 3) & (pl.col("f") == 3)).then(pl.lit("Need attention"))
       .when((pl.col("r") == 3) & (pl.col("f") <= 2)).then(pl.lit("About to sleep"))
       .when((pl.col("r") <= 2) & pl.col("f").is_between(3, 4)).then(pl.lit("At risk"))
       .when((pl.col("r") <= 2) & (pl.col("f") == 5)).then(pl.lit("Cannot lose them"))
       .otherwise(pl.lit("Hibernating")))
g = g.with_columns(seg.alias("rfm_segment"))
if mode == "summary":
    # The rest of kokyaku's table: the logs have no order kind, status or refund columns, so
    # every order is a completed one-time order; CPM with kokyaku's default thresholds (tenure
    # 90 / 210 days, spend 70,000 of the log's units inclusive, churned from 240 days).
    stage = (pl.when(pl.col("orders") == 1).then(pl.lit("first_timer"))
             .when(pl.col("tenure_days") < 90).then(pl.lit("fledgling"))
             .when(pl.col("gross_cents") < 70_000 * per_unit).then(pl.lit("steady"))
             .when(pl.col("tenure_days") >= 210).then(pl.lit("excellent"))
             .otherwise(pl.lit("trendy")))
    ja = {"first_timer": "初回客", "fledgling": "よちよち客", "steady": "コツコツ客", "trendy": "流行客", "excellent": "優良客"}
    churned = pl.col("recency_days") >= 240
    g = g.with_columns(pl.lit(0, dtype=pl.Int64).alias("subscription_orders"), pl.lit(0, dtype=pl.Int64).alias("cancelled_orders"),
                       (pl.lit(as_of) - pl.col("first_order")).dt.total_days().alias("age_days"),
                       pl.lit(0).cast(pl.Decimal(20, 2)).alias("refunds"), pl.col("gross").alias("net"),
                       pl.lit("none").alias("subscription"), (pl.col("recency_days") >= 120).alias("dormant"),
                       (stage + pl.when(churned).then(pl.lit("_churned")).otherwise(pl.lit("_active"))).alias("cpm_class"),
                       (stage.replace_strict(ja) + pl.when(churned).then(pl.lit("（離脱）")).otherwise(pl.lit("（現役）"))).alias("cpm_name"))
    g.select(*COLUMNS).write_parquet(out)
else:
    segs = g.group_by("rfm_segment").len().sort("rfm_segment")
    repeat = g.select((pl.col("orders") >= 2).mean()).item()
    co = (orders.join(g.lazy().select("customer_id", pl.col("first_order").dt.truncate("1mo").alias("cohort")), on="customer_id")
          .with_columns(pl.col("day").dt.truncate("1mo").alias("month"))
          .group_by("cohort", "month").agg(pl.col("customer_id").n_unique().alias("active")).sort("cohort", "month").collect())
    print(json.dumps({"segments": segs.height, "repeat_rate": repeat, "cohort_cells": co.height}))
'''


def run_one(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read the pipes while it runs (large JSON on stdout), then reap with wait4 for its rusage.
    import threading

    bufs = {}

    def drain(name, f):
        bufs[name] = f.read()

    th = [threading.Thread(target=drain, args=(k, f)) for k, f in (("out", p.stdout), ("err", p.stderr))]
    for x in th:
        x.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    for x in th:
        x.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{bufs['err'].decode()[-2000:]}")
    return wall, ru.ru_maxrss / 1024.0, bufs["out"]


def check_sums(kokyaku_out, polars_out, src, cell):
    """kokyaku's gross per customer equals Polars' to the cent; the same customers."""
    import polars as pl

    s = spec(cell)
    # Integer amounts are minor units: kokyaku reads them as whole amounts (no currency
    # scaling), so its gross is Polars' sum of cents.
    per_unit = 1 if s["amount"] == "int" and s["order"] != "lines" else 100

    k = pl.read_parquet(kokyaku_out, columns=["customer_id", "gross"])
    p = pl.read_parquet(polars_out, columns=["customer_id", "gross"])
    k = k.with_columns((pl.col("gross").cast(pl.Decimal(20, 2)) * per_unit).cast(pl.Int64).alias("k_cents"))
    p = p.select("customer_id", (pl.col("gross") * per_unit).cast(pl.Int64).alias("gross_cents"))
    j = k.join(p, on="customer_id", how="full", coalesce=True)
    bad = j.filter(pl.col("k_cents").is_null() | pl.col("gross_cents").is_null() | (pl.col("k_cents") != pl.col("gross_cents")))
    total_k, total_p = k["k_cents"].sum(), p["gross_cents"].sum()
    if bad.height or total_k != total_p:
        raise SystemExit(f"sums differ: {bad.height} customers, totals {total_k} vs {total_p}\n{bad.head()}")
    # The same work: every column but R/F/M and the segment is equal per customer. Those split
    # tied customers differently: the peer ranks them by id text ("10" < "9") and bins rank r
    # as 1 + 5(r - 1) // n; kokyaku's NTILE orders them by natural id order and gives the
    # first n % 5 bins one more, as SQL's NTILE does.
    same = ["first_order", "last_order", "orders", "purchase_days", "subscription_orders", "cancelled_orders",
            "recency_days", "tenure_days", "age_days", "refunds", "net", "subscription", "dormant", "cpm_class", "cpm_name"]
    money = {"refunds": pl.Decimal(20, 2), "net": pl.Decimal(20, 2)}
    kt = pl.read_parquet(kokyaku_out, columns=["customer_id", *same]).cast(money)
    pt = pl.read_parquet(polars_out, columns=["customer_id", *same]).cast({c: kt.schema[c] for c in same})
    j = kt.join(pt, on="customer_id", suffix="_p")
    differ = {c: int((j[c] != j[c + "_p"]).sum()) for c in same}
    if any(differ.values()) or j.height != kt.height:
        raise SystemExit(f"columns differ from Polars': {differ}")
    rows = pl.scan_parquet(src).select(pl.len()).collect().item() if src.endswith("parquet") else None
    return k.height, total_k, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=float, default=1e6)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--json", help="append one JSON line per cell to this file")
    ap.add_argument("--no-build", action="store_true", help="use the built kokyaku binary and installed wheel")
    ap.add_argument("--kokyaku", help="the kokyaku binary (default: the release build)")
    a = ap.parse_args()
    n = int(a.orders)
    tools = a.tools.split(",")
    os.makedirs(CACHE, exist_ok=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kokyaku-cli"], cwd=ROOT, check=True)
        if any(t.startswith("py-") for t in tools):
            wheels = os.path.join(target, "wheels-release")
            subprocess.run([os.path.join(os.path.dirname(sys.executable), "maturin"), "build", "--release", "--quiet",
                            "-m", os.path.join(ROOT, "bindings/python/Cargo.toml"), "-i", sys.executable, "-o", wheels],
                           check=True)
            whl = sorted(f for f in os.listdir(wheels) if f.endswith(".whl"))[-1]
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                            os.path.join(wheels, whl)], check=True)
    kbin = a.kokyaku or os.path.join(target, "release", "kokyaku")
    # The parent imports no numpy / Polars: a child's peak RSS (wait4) includes its parent's
    # resident pages at the fork, so the parent stays small and helpers run as children.
    me = [sys.executable, "-W", "ignore", os.path.abspath(__file__)]
    polars_version = subprocess.run([sys.executable, "-c", "import polars; print(polars.__version__)"],
                                    capture_output=True, text=True, check=True).stdout.strip()
    print(f"# {n:,} orders, {a.runs} runs, Polars {polars_version}, load average {os.getloadavg()}", flush=True)
    print("| cell | rows | customers | kokyaku summary | Polars summary+write | ratio | kokyaku report | Polars report | ratio "
          "| py pandas | py polars | peak MiB summary / report / Polars |", flush=True)
    work = os.path.join(CACHE, f"out-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    for cell in a.cells.split(","):
        s = spec(cell)
        ext = "csv" if s["fmt"] == "csv" else "parquet"
        src = os.path.join(CACHE, f"{cell}_{n}.{ext}")
        if not os.path.exists(src):
            t0 = time.perf_counter()
            subprocess.run([*me, "--generate", cell, str(n), src], check=True)
            print(f"#   generated {src} in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        kout = os.path.join(work, "kokyaku_customers.parquet")
        pout = os.path.join(work, "polars_customers.parquet")
        cmds = {
            "summary": [kbin, "summary", src, *flags(s), "-o", kout, "--quiet"],
            "report": [kbin, "report", src, *flags(s), "--format", "json", "--quiet"],
            "py-pandas": [sys.executable, "-c", PY_KOKYAKU, src, os.path.join(work, "py_pandas.parquet"), "pandas", s["fmt"], json.dumps(py_opts(s))],
            "py-polars": [sys.executable, "-c", PY_KOKYAKU, src, os.path.join(work, "py_polars.parquet"), "polars", s["fmt"], json.dumps(py_opts(s))],
            "polars": [sys.executable, "-c", POLARS, src, pout, "summary", json.dumps(s)],
            "polars-report": [sys.executable, "-c", POLARS, src, "", "report", json.dumps(s)],
        }
        res = {t: [] for t in tools}
        checked = None
        for r in range(a.runs):
            for t in tools:
                res[t].append(run_one(cmds[t])[:2])
            if r == 0 and "summary" in tools and "polars" in tools:
                checked = json.loads(subprocess.run([*me, "--check", kout, pout, src, cell], check=True,
                                                    capture_output=True, text=True).stdout)
        med = {t: (statistics.median(w for w, _ in v), max(m for _, m in v)) for t, v in res.items()}
        rows = checked and checked[2]
        line = {"cell": cell, "orders": n, "rows": rows, "schema": s, "customers": checked and checked[0],
                "gross_cents": checked and checked[1], "load": os.getloadavg(),
                **{t: {"wall_s": round(w, 3), "peak_mib": round(m, 1)} for t, (w, m) in med.items()}}
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(line) + "\n")
        g = lambda t: med.get(t, (float("nan"), float("nan")))
        ratio = lambda p, k: g(p)[0] / g(k)[0]
        print(f"| {cell} | {rows or n:,} | {f'{checked[0]:,}' if checked else '-'} | {g('summary')[0]:.2f} s | {g('polars')[0]:.2f} s "
              f"| {ratio('polars', 'summary'):.2f}x | {g('report')[0]:.2f} s | {g('polars-report')[0]:.2f} s "
              f"| {ratio('polars-report', 'report'):.2f}x | {g('py-pandas')[0]:.2f} s | {g('py-polars')[0]:.2f} s "
              f"| {g('summary')[1]:.0f} / {g('report')[1]:.0f} / {g('polars')[1]:.0f} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        generate(spec(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1:2] == ["--check"]:
        print(json.dumps(check_sums(*sys.argv[2:6])))
    else:
        main()
