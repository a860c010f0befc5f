"""The common export dtypes of order frames give the same results as plain records: int, text
and categorical ids; datetime64 in ns / us / ms, with and without a time zone; float and
Decimal amounts; nullable columns; pandas, Polars and pyarrow alike."""

import datetime as dt
import decimal

import pytest

import kokyaku

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

ROWS = [
    (1, "o1", dt.datetime(2024, 1, 2, 10), "12.50"),
    (1, "o2", dt.datetime(2024, 2, 3, 11), "7.25"),
    (2, "o3", dt.datetime(2024, 1, 20, 9), "30.00"),
    (3, "o4", dt.datetime(2024, 3, 1, 8), "5.00"),
    (3, "o5", dt.datetime(2024, 3, 15, 8), "6.00"),
]
OPTS = {"customer_col": "customer_id", "order_col": "order_id", "time_col": "ordered_at", "amount_col": "amount", "currency": "USD"}


def reference():
    recs = [
        {"customer_id": str(c), "order_id": o, "ordered_at": t.isoformat(), "amount": a}
        for c, o, t, a in ROWS
    ]
    return summary(kokyaku.from_records(recs, **OPTS))


def summary(log):
    rows = log.summary(frame="records", as_of="2024-04-01")
    return {str(r["customer_id"]): (r["orders"], str(r["first_order"])[:10], decimal.Decimal(str(r["net"]))) for r in rows}


def base():
    return pd.DataFrame(
        {
            "customer_id": [c for c, *_ in ROWS],
            "order_id": [o for _, o, *_ in ROWS],
            "ordered_at": [t for _, _, t, _ in ROWS],
            "amount": [float(a) for *_, a in ROWS],
        }
    )


VARIANTS = {
    "int ids, ns": lambda df: df,
    "text ids": lambda df: df.assign(customer_id=df["customer_id"].astype(str)),
    "categorical ids": lambda df: df.assign(customer_id=df["customer_id"].astype(str).astype("category")),
    "nullable Int64 ids": lambda df: df.assign(customer_id=df["customer_id"].astype("Int64")),
    "datetime us": lambda df: df.assign(ordered_at=df["ordered_at"].astype("datetime64[us]")),
    "datetime ms": lambda df: df.assign(ordered_at=df["ordered_at"].astype("datetime64[ms]")),
    "datetime ns UTC": lambda df: df.assign(ordered_at=df["ordered_at"].dt.tz_localize("UTC")),
    "Decimal amounts": lambda df: df.assign(amount=[decimal.Decimal(a) for *_, a in ROWS]),
    "nullable Float64 amounts": lambda df: df.assign(amount=df["amount"].astype("Float64")),
}


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "polars"])
def test_export_dtypes_read_like_records(name, kind):
    df = VARIANTS[name](base())
    if kind == "pyarrow":
        frame = pa.Table.from_pandas(df, preserve_index=False)
    elif kind == "polars":
        pl = pytest.importorskip("polars")
        if name == "Decimal amounts":
            frame = pl.from_arrow(pa.Table.from_pandas(df, preserve_index=False))
        else:
            frame = pl.from_pandas(df)
    else:
        frame = df
    got = summary(kokyaku.from_frame(frame, **OPTS))
    assert got == reference(), name


@pytest.mark.parametrize("dtype", ["bool", "boolean"])
@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "polars"])
def test_a_boolean_is_subscription_column_is_the_order_kind(dtype, kind):
    flags = [True, False, True, False, True]
    if dtype == "boolean":
        flags[1] = None  # pandas' nullable boolean: a missing flag is a blank kind (one-off)
    df = base().assign(is_subscription=pd.array(flags, dtype=dtype))
    if kind == "pyarrow":
        frame = pa.Table.from_pandas(df, preserve_index=False)
    elif kind == "polars":
        frame = pytest.importorskip("polars").from_pandas(df)
    else:
        frame = df
    recs = [
        {"customer_id": str(c), "order_id": o, "ordered_at": t.isoformat(), "amount": a,
         "kind": "subscription" if f else "one_off"}
        for (c, o, t, a), f in zip(ROWS, flags)
    ]
    want = kokyaku.from_records(recs, **OPTS, kind_col="kind").summary(frame="records", as_of="2024-04-01")
    got = kokyaku.from_frame(frame, **OPTS).summary(frame="records", as_of="2024-04-01")
    assert [r["subscription_orders"] for r in got] == [r["subscription_orders"] for r in want] == [1, 1, 1]


def test_a_boolean_column_elsewhere_is_named():
    df = base().assign(customer_id=[True, False, True, False, True])
    with pytest.raises(kokyaku.UnsupportedError, match="'customer_id' has type Boolean"):
        kokyaku.from_frame(df, **OPTS).summary()


def test_a_column_of_only_missing_values_reads_as_blank():
    # pandas gives an object column of Nones Arrow's null type: a missing kind in every row.
    df = base().assign(kind=[None] * len(ROWS))
    got = summary(kokyaku.from_frame(df, **OPTS, kind_col="kind"))
    assert got == reference()
