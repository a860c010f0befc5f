"""Categorical customer ids (pandas ``category``, Polars ``Categorical``) give the same per-customer
tables as the same ids as plain strings: unused and padded categories, missing ids, and frames
longer than one slice of the streamed read (slices share one dictionary)."""

import datetime as dt

import pytest

import kokyaku

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

OPTS = {"customer_col": "customer_id", "order_col": "order_id", "time_col": "ordered_at", "amount_col": "amount", "currency": "USD"}


def ids(n, missing):
    """Customer ids of `n` orders: a few hundred customers in a scrambled order, one padded
    form of an id, and (with `missing`) blank and missing ids."""
    out = [f"c-{(k * 7919) % 613:04d}x" for k in range(n)]
    out[5] = "  c-0042x "
    if missing:
        out[7] = None
        out[11] = "   "
        out[n - 3] = None
    return out


def frame(n, missing):
    start = dt.datetime(2023, 1, 1)
    return pd.DataFrame(
        {
            "customer_id": ids(n, missing),
            "order_id": list(range(1, n + 1)),
            "ordered_at": [start + dt.timedelta(minutes=17 * k) for k in range(n)],
            "amount": [float(100 + (k * 37) % 5000) / 100 for k in range(n)],
        }
    )


def tables(frame):
    log = kokyaku.from_frame(frame, **OPTS)
    return log.customers(frame="pyarrow", as_of="2026-01-01")


@pytest.mark.parametrize("n, missing", [(40, False), (40, True), (70_000, False), (70_000, True)])
def test_pandas_category_ids_summarise_as_strings(n, missing):
    plain = frame(n, missing)
    cat = plain.copy()
    # Unused categories, in an order of their own.
    extra = ["zz-unused", "c-9999x", "  "]
    cats = sorted(set(plain["customer_id"].dropna()) | set(extra), reverse=True)
    cat["customer_id"] = pd.Categorical(plain["customer_id"], categories=cats)
    assert isinstance(cat["customer_id"].dtype, pd.CategoricalDtype)
    want = tables(plain)
    got = tables(cat)
    assert got.equals(want)
    assert got.num_rows > 0


@pytest.mark.parametrize("n, missing", [(40, False), (40, True), (70_000, False), (70_000, True)])
def test_polars_categorical_ids_summarise_as_strings(n, missing):
    pl = pytest.importorskip("polars")
    plain = pl.from_pandas(frame(n, missing))
    cat = plain.with_columns(pl.col("customer_id").cast(pl.Categorical))
    assert cat.schema["customer_id"] == pl.Categorical
    want = tables(plain)
    got = tables(cat)
    assert got.equals(want)
    # In several chunks (each its own exported dictionary, or one shared).
    chunked = pl.concat([cat.slice(0, n // 3), cat.slice(n // 3)], rechunk=False)
    assert tables(chunked).equals(want)


def test_pyarrow_dictionaries_that_change_between_batches():
    """Batches with different dictionaries (as Parquet row groups have) summarise as strings."""
    plain = pa.Table.from_pandas(frame(600, True), preserve_index=False)
    batches = []
    for k, b in enumerate(plain.to_batches(max_chunksize=150)):
        col = b.column(0).dictionary_encode()
        if k % 2:  # the same values in another order, with unused ones
            values = pa.array(list(reversed(col.dictionary.to_pylist())) + ["unused"], col.dictionary.type)
            col = pa.DictionaryArray.from_arrays(
                pa.array([None if i is None else len(col.dictionary) - 1 - i for i in col.indices.to_pylist()], pa.int32()),
                values,
            )
        batches.append(pa.RecordBatch.from_arrays([col] + b.columns[1:], names=b.schema.names))
    cat = pa.Table.from_batches(batches)
    assert pa.types.is_dictionary(cat.schema.field("customer_id").type)
    assert tables(cat).equals(tables(plain))


@pytest.mark.parametrize("missing_customer", ["anonymous", "reject"])
def test_a_categorical_of_only_missing_ids_is_read(missing_customer):
    # pandas gives a category column of nulls no categories: an empty Arrow dictionary, on which
    # arrow-rs asserts (this was a PanicError). Its orders are anonymous or rejected, as missing
    # ids are in a plain column.
    plain = frame(40, False)
    plain["customer_id"] = None
    cat = plain.copy()
    cat["customer_id"] = pd.Categorical([None] * len(cat), categories=[])
    opts = dict(OPTS, missing_customer=missing_customer)
    got = kokyaku.from_frame(cat, **opts)
    want = kokyaku.from_frame(plain, **opts)  # Arrow's null type: every id missing
    assert repr(got) == repr(want)
    assert got.customers(frame="pyarrow", as_of="2026-01-01").equals(want.customers(frame="pyarrow", as_of="2026-01-01"))
    # Anonymous: one customer holding the 40 orders; reject: none.
    assert repr(got) == ("OrderLog(customers=1, orders=40)" if missing_customer == "anonymous" else "OrderLog(customers=0, orders=0)")
