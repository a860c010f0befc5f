"""``from_frame(...).summary() / rfm() / cpm() / customers()`` stream the frame's Arrow batches
(``kokyaku::io::summarize_record_batches``, the route of ``kokyaku summary FILE``) instead of
reading the grouped log: the tables, the errors and the ingestion report are those of the read
log, for pandas, Polars and pyarrow frames."""

import datetime as dt
import decimal

import pytest

import kokyaku

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

OPTS = {"customer_col": "customer_id", "order_col": "order_id", "time_col": "ordered_at", "amount_col": "amount", "currency": "USD"}
# Out-of-order days, a repeated order id (two lines of one order), a refund (negative amount),
# a row without a customer (rejected), a subscription-free log of four customers.
ROWS = [
    ("c2", "o3", dt.datetime(2024, 3, 1, 9), "30.00"),
    ("c1", "o1", dt.datetime(2024, 1, 2, 10), "12.50"),
    ("c1", "o2", dt.datetime(2024, 2, 3, 11), "7.25"),
    ("c1", "o2", dt.datetime(2024, 2, 3, 11), "2.75"),
    ("c2", "o4", dt.datetime(2024, 1, 20, 9), "5.00"),
    ("c3", "o5", dt.datetime(2024, 3, 15, 8), "-6.00"),
    ("c3", "o6", dt.datetime(2024, 3, 10, 8), "16.10"),
    (None, "o7", dt.datetime(2024, 3, 11, 8), "4.00"),
    ("c4", "o8", dt.datetime(2024, 4, 2, 8), "99.99"),
]


def frames():
    df = pd.DataFrame(
        {
            "customer_id": [r[0] for r in ROWS],
            "order_id": [r[1] for r in ROWS],
            "ordered_at": pd.to_datetime([r[2] for r in ROWS]),
            "amount": [float(r[3]) for r in ROWS],
        }
    )
    out = {"pandas": df, "pyarrow": pa.Table.from_pandas(df, preserve_index=False)}
    try:
        import polars as pl

        out["polars"] = pl.from_pandas(df)
    except ImportError:
        pass
    return out


def read(frame, **opts):
    """The same frame, its log read first (the grouped-log route of before)."""
    log = kokyaku.from_frame(frame, **opts)
    assert log.n_orders > 0  # reads the log
    return log


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
@pytest.mark.parametrize("call", ["summary", "rfm", "cpm", "customers"])
@pytest.mark.parametrize("as_of", [None, "2024-03-05"])
def test_streamed_tables_equal_the_read_logs(kind, call, as_of):
    frame = frames().get(kind)
    if frame is None:
        pytest.skip("polars is not installed")
    opts = {} if as_of is None else {"as_of": as_of}
    streamed = getattr(kokyaku.from_frame(frame, **OPTS), call)(frame="pyarrow", **opts)
    grouped = getattr(read(frame, **OPTS), call)(frame="pyarrow", **opts)
    assert streamed.num_rows == 4
    assert streamed.equals(grouped)
    assert streamed.schema.equals(grouped.schema)


@pytest.mark.parametrize("call", ["summary", "customers"])
def test_polars_frames_out_equal_their_arrow_tables(call):
    """A Polars frame out is built with its text columns as string views by the core
    (`TextLayout::Views`: money and labels gathered from a view per distinct text): the same
    frame, `String` columns included, as Polars makes from the pyarrow (`Utf8`) table."""
    pl = pytest.importorskip("polars")
    for frame in frames().values():
        for log in (kokyaku.from_frame(frame, **OPTS), read(frame, **OPTS)):
            got = getattr(log, call)(frame="polars")
            want = pl.from_arrow(getattr(log, call)(frame="pyarrow"))
            assert got.schema == want.schema and got.equals(want)
            assert got.schema["customer_id"] == pl.String


@pytest.mark.parametrize("call", ["summary", "customers"])
def test_pandas_frames_out_equal_their_arrow_tables(call):
    """A pandas frame out is built with 64-bit text offsets by the core (`TextLayout::LargeUtf8`,
    what pandas' Arrow-backed strings hold): the same frame, dtypes included, as pandas makes
    from the pyarrow (`string`) table."""
    for frame in frames().values():
        for log in (kokyaku.from_frame(frame, **OPTS), read(frame, **OPTS)):
            got = getattr(log, call)(frame="pandas")
            want = getattr(log, call)(frame="pyarrow").to_pandas(split_blocks=True)
            assert got.dtypes.equals(want.dtypes)
            pd.testing.assert_frame_equal(got, want)


def test_the_log_is_still_read_for_everything_else():
    log = kokyaku.from_frame(frames()["pandas"], **OPTS)
    first = log.customers(frame="pyarrow")
    assert log.ingestion["rows_rejected"] == 1
    assert log.n_customers == 4 and repr(log) == "OrderLog(customers=4, orders=6)"
    assert log.customers(frame="pyarrow").equals(first)  # now from the read log


def test_errors_of_columns_and_options_come_from_from_frame():
    df = frames()["pandas"]
    with pytest.raises(kokyaku.KokyakuError) as streamed:
        kokyaku.from_frame(df, **{**OPTS, "amount_col": "price"})
    with pytest.raises(kokyaku.KokyakuError) as grouped:
        kokyaku._kokyaku.read_arrow(df, '{"amount_col": "price", "currency": "USD"}')
    assert type(streamed.value) is type(grouped.value) and streamed.value.code == grouped.value.code
    with pytest.raises(kokyaku.InvalidOptionError):
        kokyaku.from_frame(df, **OPTS, timezone="Mars/Olympus")
    log = kokyaku.from_frame(df, **OPTS)
    with pytest.raises(kokyaku.InvalidOptionError):
        log.customers(frame="pyarrow", dormant_days="soon")


@pytest.mark.parametrize(
    "amounts",
    [
        ["12.50", "7.25", "2.75", "30.00", "5.00", "-6.00", "16.10", "4.00", "99.99"],
        # a larger scale after the first values: the typed conversion gives way to pandas'
        ["12.5", "7.25", "2.75", "30", "5", "-6", "16.1", "4", "99.991"],
        ["12", "7", "3", "30", None, "-6", "16", "4", "99"],
    ],
)
def test_decimal_objects_convert_once_to_the_same_result(amounts):
    df = frames()["pandas"]
    df["amount"] = [None if a is None else decimal.Decimal(a) for a in amounts]
    text = df.assign(amount=[a for a in amounts])
    got = kokyaku.from_frame(df, **OPTS).customers(frame="pyarrow")
    assert got.equals(read(df, **OPTS).customers(frame="pyarrow"))
    assert got.equals(kokyaku.from_frame(text, **OPTS).customers(frame="pyarrow"))


D = decimal.Decimal


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])
def test_decimal_objects_equal_pyarrows_own_conversion(monkeypatch, chunk):
    from kokyaku import _log

    monkeypatch.setattr(_log, "_DECIMAL_CHUNK", chunk)
    values = [D("12.50"), None, D("-0.00"), D("1E+3"), D("0E-8"), float("nan"), D("7"), pd.NA,
              D("NaN"), D("-99999999999999999999999999999999999.99"), D("0.1") + D("0.2")]
    col = pd.Series(values, dtype=object, name="amount")
    to = pa.decimal128(38, 2)
    got = _log._decimal_objects(col, to)
    assert got.type == to and got.num_chunks == -(-len(values) // chunk)
    assert got.combine_chunks().equals(pa.array(col, type=to, from_pandas=True))
    assert got.to_pylist()[:4] == [D("12.50"), None, D("0.00"), D("1000.00")]
    # Decimals only, one of them NaN (a null to pandas and pyarrow): the unmasked first try
    # fails on its text, the masked pass gives the null.
    col = pd.Series([D("1.25"), D("NaN"), D("3")], dtype=object, name="amount")
    got = _log._decimal_objects(col, to)
    assert got.combine_chunks().equals(pa.array(col, type=to, from_pandas=True))
    assert got.to_pylist() == [D("1.25"), None, D("3.00")]


def _random_decimals(rng, n, scale):
    """Decimals as exports and arithmetic make them: any sign, exponent and length (one to three
    limbs of 19 digits and beyond), zeros of any exponent, results of arithmetic (whose digits
    libmpdec may keep on the heap), NaN and None. Half the lists keep every value within
    ``decimal128(38, scale)``."""
    fits = rng.random() < 0.5
    spare = max(0, 38 - scale - 6)  # digits a fitting value may have, its exponent up to 5
    low, high, most = (max(-scale, -6), min(6, 37 - scale - spare), 10**spare) if fits else (-6, 6, 10**45)
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append(None)
        elif kind < 0.08:
            out.append(D("NaN") if rng.random() < 0.5 else D("-NaN"))
        elif kind < 0.2:
            v = D(rng.choice(["1.10", "-7", "2.5"])) * D(rng.randint(-10**6, 10**6)) / D(rng.choice([1, 4, 8]))
            out.append(v.quantize(D(1).scaleb(-scale), context=decimal.Context(prec=100)) if fits else v)
        else:
            digits = rng.randint(0, rng.choice([10, 10**6, 10**19, 10**38, most]) if fits else 10 ** rng.randint(0, 45))
            out.append(D((rng.randint(0, 1), tuple(map(int, str(min(digits, most)))), rng.randint(low, high))))
    return out


@pytest.mark.parametrize("scale", [0, 2, 4, 38])
def test_decimal_column_reads_each_value_as_pyarrow_converts_it(scale):
    """`_kokyaku.decimal_column` reads the objects in place: each array it returns equals
    pyarrow's own conversion, and it returns None exactly where that conversion refuses one of
    the values (a finer scale, beyond 38 digits), leaving the column to the text route."""
    import random

    rng = random.Random(20261206 + scale)
    to = pa.decimal128(38, scale)
    taken = declined = 0
    for _ in range(300):
        values = _random_decimals(rng, rng.randint(0, 12), scale)
        arr = np.array(values + [None], dtype=object)[:-1]  # a 1-d object array, even when empty
        try:
            want = pa.array(pd.Series(arr, dtype=object), type=to, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            want = None
        got = kokyaku._kokyaku.decimal_column(arr, scale)
        if want is None:
            assert got is None, values
            declined += 1
        else:
            assert got is not None, values
            assert pa.table(got).column(0).combine_chunks().equals(want), values
            taken += 1
    assert taken > 60 and declined > 50  # both routes exercised


def test_decimal_column_reads_long_columns_in_two_halves():
    """A column of 65 536 values or more is read on two threads, half each: the same array as
    pyarrow's, nulls only in one half or the other, and a declined value in either half
    declines the whole column."""
    rng = __import__("random").Random(7)
    n = 70_001
    base = [D(rng.randint(-(10**9), 10**9)).scaleb(-2) for _ in range(n)]
    to = pa.decimal128(38, 2)
    for nulls in ([], [5], [n - 3], [0, n // 2, n - 1]):
        values = list(base)
        for i in nulls:
            values[i] = None
        arr = np.array(values, dtype=object)
        want = pa.array(pd.Series(arr, dtype=object), type=to, from_pandas=True)
        got = kokyaku._kokyaku.decimal_column(arr, 2)
        assert pa.table(got).column(0).combine_chunks().equals(want), nulls
    for at in (1, n - 2):
        values = list(base)
        values[at] = D("0.001")  # finer than the scale
        assert kokyaku._kokyaku.decimal_column(np.array(values, dtype=object), 2) is None, at


@pytest.mark.parametrize(
    "values",
    [
        [D("1.5"), "2.5"],  # text among the Decimals
        [D("1.5"), float("nan")],  # a null pandas knows that is not None: its own route decides
        [D("1.5"), pd.NA],
        [D("Infinity")],
        [D("sNaN")],
        [type("Money", (D,), {})("1.5")],  # a subclass: its layout is not probed
    ],
)
def test_decimal_column_leaves_other_objects_to_the_text_route(values):
    """What `_kokyaku.decimal_column` does not read it declines (None): the text route and
    pandas' own conversion then decide, as the tests above and below check."""
    arr = np.array(values + [None], dtype=object)[:-1]
    assert kokyaku._kokyaku.decimal_column(arr, 2) is None
    plain = np.array([D("1.5"), D("2.25")], dtype=object)
    assert kokyaku._kokyaku.decimal_column(list(plain), 2) is None  # a list, not an array
    assert kokyaku._kokyaku.decimal_column(np.array([plain, plain]), 2) is None  # 2-d
    assert kokyaku._kokyaku.decimal_column(np.array([D("1"), D("9"), D("2")], dtype=object)[::2], 2) is None


@pytest.mark.parametrize(
    "values, error",
    [
        ([D("1.5"), "2.5"], TypeError),  # text among the Decimals
        ([D("1.5"), 2.5], TypeError),  # a float that is not a null
        ([D("1.5"), D("1.234")], pa.ArrowInvalid),  # a finer scale than the type's
        ([D("1.5"), D("Infinity")], pa.ArrowInvalid),
        ([D("1E+40")], pa.ArrowInvalid),  # beyond 38 digits
    ],
)
def test_decimal_objects_refuse_what_pyarrow_refuses(values, error):
    from kokyaku import _log

    col = pd.Series(values, dtype=object, name="amount")
    with pytest.raises(error):
        _log._decimal_objects(col, pa.decimal128(38, 2))
    with pytest.raises((TypeError, pa.ArrowInvalid, pa.ArrowTypeError)):
        pa.array(col, type=pa.decimal128(38, 2), from_pandas=True)


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
@pytest.mark.parametrize("route", ["streamed", "read"])
def test_write_customers_writes_the_customers_table(kind, route, tmp_path):
    import csv

    import pyarrow.parquet as pq

    frame = frames().get(kind)
    if frame is None:
        pytest.skip("polars is not installed")
    log = kokyaku.from_frame(frame, **OPTS) if route == "streamed" else read(frame, **OPTS)
    table = read(frame, **OPTS).customers(frame="pyarrow", as_of="2024-03-05")
    assert log.write_customers(tmp_path / "c.parquet", as_of="2024-03-05") == 4
    back = pq.read_table(tmp_path / "c.parquet")
    assert back.equals(table) and back.schema.equals(table.schema)
    assert log.write_customers(str(tmp_path / "c.csv"), as_of="2024-03-05") == 4
    with open(tmp_path / "c.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == table.column_names
    assert [r[0] for r in rows[1:]] == table.column("customer_id").to_pylist()
    assert [r[rows[0].index("net")] for r in rows[1:]] == table.column("net").to_pylist()
    assert [int(r[rows[0].index("orders")]) for r in rows[1:]] == table.column("orders").to_pylist()


def test_write_customers_errors_name_the_path_and_the_option(tmp_path):
    log = kokyaku.from_frame(frames()["pandas"], **OPTS)
    missing = tmp_path / "no-such-dir" / "c.csv"
    with pytest.raises(kokyaku.KokyakuIOError) as e:
        log.write_customers(missing)
    assert e.value.code == "io_error" and "no-such-dir" in str(e.value)
    assert isinstance(e.value, OSError)
    with pytest.raises(kokyaku.InvalidOptionError):
        log.write_customers(tmp_path / "c.csv", dormant_days="soon")
    assert not (tmp_path / "c.csv").exists()
