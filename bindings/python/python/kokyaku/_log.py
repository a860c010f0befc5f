"""Readers and the :class:`OrderLog` wrapper (mirrors ``kokyaku::io`` and the analyses)."""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any, Literal

#: The kinds of table a per-customer call returns.
Frame = Literal["pandas", "polars", "pyarrow", "records"]
#: The analyses :meth:`OrderLog.analyze` runs.
Analysis = Literal[
    "repeat_metrics",
    "subscription_continuation",
    "retention",
    "revenue_curves",
    "period_churn",
    "rfm_segments",
    "cpm_classes",
    "cpm_transitions",
    "stages",
]

from kokyaku import _kokyaku
from kokyaku.exceptions import InvalidOptionError

_FRAMES = ("pandas", "polars", "pyarrow", "records")


def _default(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas.Timestamp, numpy datetime wrappers
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _options(opts: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in opts.items() if v is not None}, default=_default)


def _read(source: Any, by_path: Any, by_bytes: Any, options: dict[str, Any]) -> Any:
    """A path is read by Rust, streamed; bytes and file objects are handed over whole."""
    opts = _options(options)
    if isinstance(source, (str, os.PathLike)):
        return by_path(os.fspath(source), opts)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return by_bytes(bytes(source), opts)
    if hasattr(source, "read"):
        data = source.read()
        return by_bytes(data.encode("utf-8") if isinstance(data, str) else bytes(data), opts)
    raise InvalidOptionError(
        f"invalid option source: expected a path, bytes or a file object, got {type(source).__name__}",
        "invalid_option",
    )


def _frame_kind(frame: Any) -> str:
    module = type(frame).__module__.split(".")[0]
    return {"pandas": "pandas", "polars": "polars", "pyarrow": "pyarrow"}.get(module, "pyarrow")


def read_csv(source: Any, **options: Any) -> OrderLog:
    """Read delimited text from a path, bytes or a file object. See :class:`OrderLog` for options.

    >>> import kokyaku
    >>> kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\nb,2,2024-01-20,8\\n", currency="USD")
    OrderLog(customers=2, orders=2)
    """
    return OrderLog(_read(source, _kokyaku.read_csv_path, _kokyaku.read_csv_bytes, options), None)


def read_jsonl(source: Any, **options: Any) -> OrderLog:
    """Read JSON Lines from a path, bytes or a file object.

    >>> import kokyaku
    >>> kokyaku.read_jsonl(b'{"customer_id": "a", "order_id": "1", "ordered_at": "2024-01-05", "amount": 10}\\n', currency="USD")
    OrderLog(customers=1, orders=1)
    """
    return OrderLog(_read(source, _kokyaku.read_jsonl_path, _kokyaku.read_jsonl_bytes, options), None)


def from_records(records: list[dict[str, Any]], **options: Any) -> OrderLog:
    """Read a list of dicts (column name → value), like JSON Lines.

    >>> import kokyaku
    >>> log = kokyaku.from_records([{"customer_id": "a", "order_id": "1", "ordered_at": "2024-01-05", "amount": 10}], currency="USD")
    >>> log.n_orders
    1
    """
    return OrderLog(
        _kokyaku.read_records_json(json.dumps(list(records), default=_default), _options(options)),
        "records",
    )


def from_frame(frame: Any, **options: Any) -> OrderLog:
    """Read a pandas, Polars or pyarrow frame through the Arrow PyCapsule interface.

    Per-customer tables of the returned log come back as the same kind of frame. Numeric and
    timestamp columns are read in place (no copy of the frame; benches/python/frame_memory.py).

    >>> import kokyaku, pandas as pd
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": [1, 2, 3],
    ...                    "ordered_at": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-20"]),
    ...                    "amount": [10.0, 15.0, 8.0]})
    >>> log = kokyaku.from_frame(df, currency="USD")
    >>> log, type(log.summary()).__name__
    (OrderLog(customers=2, orders=3), 'DataFrame')
    """
    kind = _frame_kind(frame)
    if kind == "pandas":
        frame = _pandas_arrow(frame)
    return OrderLog(_kokyaku.import_arrow(frame, _options(options)), kind)


def _pandas_arrow(df: Any) -> Any:
    """A pandas frame as a pyarrow table, converting ``object`` columns of ``decimal.Decimal``
    once with an explicit type: pandas' own conversion (``__arrow_c_stream__``) infers the
    decimal type value by value, several times slower. Other frames are passed through."""
    import decimal

    try:
        import pyarrow as pa
    except ImportError:  # pandas' __arrow_c_stream__ needs pyarrow too: let it say so
        return df
    if not hasattr(df, "dtypes") or not getattr(df.columns, "is_unique", False):
        return df
    decimal_cols = {}
    for name, dtype in df.dtypes.items():
        if dtype != object or not isinstance(name, str):
            continue
        col = df[name]
        sample = col.iloc[:1000].dropna()
        if sample.empty or not all(isinstance(v, decimal.Decimal) and v.is_finite() for v in sample):
            continue
        scale = max(-v.as_tuple().exponent for v in sample)
        if not 0 <= scale <= 18:
            continue
        try:  # a value of a larger scale (or not a Decimal) raises: then pandas' conversion decides
            decimal_cols[name] = _decimal_objects(col, pa.decimal128(38, scale))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            continue
    if not decimal_cols:
        return df
    # As pandas converts (index columns included, appended), with the decimal columns in place.
    rest = pa.Table.from_pandas(df.drop(columns=list(decimal_cols)))
    names = list(df.columns) + [n for n in rest.column_names if n not in df.columns]
    return pa.table({n: decimal_cols[n] if n in decimal_cols else rest.column(n) for n in names})


# Values per step of `_decimal_objects`: bounds the Python strings alive at once (about 60 MB).
_DECIMAL_CHUNK = 1 << 20


def _decimal_objects(col: Any, to: Any) -> Any:
    """An ``object`` column of ``decimal.Decimal`` (nulls: what ``col.isna()`` says, pandas'
    and pyarrow's rule) as a pyarrow decimal array of type ``to``. The same values as
    ``pa.array(col, type=to, from_pandas=True)``. Decimals and ``None`` only, each exact in
    ``to``: read from the objects by Rust (``_kokyaku.decimal_column``, on two threads from
    65 536 values: 10M values in 0.12 s).
    Anything else (another null, a finer scale, a subclass, a Python whose decimal objects Rust
    cannot read): each value's text (CPython's ``str``), cast by Arrow's decimal parser, a chunk
    at a time, about 15 % sooner than that call. A value that is not a Decimal, or that does not
    fit ``to`` without loss, raises ``TypeError`` or ``pa.ArrowInvalid``, as that call does."""
    import decimal

    import pyarrow as pa

    # Read in place by Rust when every value is a Decimal (or None) of this Python's C decimal
    # type and fits `to` exactly; otherwise (None back) through each value's text below.
    table = _kokyaku.decimal_column(col.to_numpy(dtype=object), to.scale)
    if table is not None:
        return pa.table(table).column(0).cast(to)
    values = col.tolist()
    if set(map(type, values)) == {decimal.Decimal}:
        # Only `Decimal("NaN")` can be a null here: its text fails the cast, and the masked
        # pass below decides (pandas' `isna` costs as much as the texts: not paid up front).
        try:
            return _decimal_texts(values, None, to)
        except pa.ArrowInvalid:
            pass
    nulls = col.isna().to_numpy(dtype=bool)
    if not all(null or type(v) is decimal.Decimal for v, null in zip(values, nulls)):
        raise TypeError(f"column {col.name!r} holds values that are not decimal.Decimal")
    return _decimal_texts(values, nulls, to)


def _decimal_texts(values: list[Any], nulls: Any, to: Any) -> Any:
    """``values`` (Decimals, or anything where ``nulls`` is true) as a chunked array of type
    ``to``, through their text, a chunk at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = []
    for start in range(0, len(values), _DECIMAL_CHUNK):
        part = values[start : start + _DECIMAL_CHUNK]
        mask = None if nulls is None else nulls[start : start + _DECIMAL_CHUNK]
        text = pa.array(list(map(str, part)), pa.string(), mask=mask if mask is not None and mask.any() else None)
        chunks.append(pc.cast(text, to))
    return pa.chunked_array(chunks, type=to)


def from_order_records(records: dict[str, Any]) -> OrderLog:
    """Build a log from typed records: ``{"timezone": ..., "customers": [...], "orders": [...],
    "refunds": [...], "subscriptions": [...]}`` (the shapes of the Rust model; use this for a
    subscription table).

    >>> import kokyaku
    >>> log = kokyaku.from_order_records({"timezone": "UTC", "orders": [
    ...     {"order_id": "o1", "customer_id": "A", "placed_at": "2024-01-10T10:00:00Z", "amount": "3000",
    ...      "currency": "JPY", "kind": "one_off", "status": "completed"}]})
    >>> log.n_customers
    1
    """
    return OrderLog(_kokyaku.read_record_set_json(json.dumps(records, default=_default)), "records")


class OrderLog:
    """An order log read into Rust, with :attr:`ingestion`, the accounting of the read.

    Read options (keyword-only, all optional): ``customer_col``, ``order_col``, ``time_col``,
    ``amount_col``, ``quantity_col``, ``unit_price_col``, ``currency_col``, ``status_col``,
    ``kind_col``, ``subscription_col``, ``time_format``, ``timezone``, ``delimiter``,
    ``has_header``, ``currency``, ``missing_customer``, ``anonymous_id``, ``duplicate_order``,
    ``cancel_prefix``, ``negative_as_refund``, ``bad_rows``, ``min_order_amount``.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\na,2,2024-02-01,15\\n", currency="USD")
    >>> row = log.summary(frame="records")[0]
    >>> row["customer_id"], row["orders"], row["net"]
    ('a', 2, '25')
    """

    def __init__(self, inner: Any, frame: str | None) -> None:
        # A frame from :func:`from_frame` is read when first needed: its per-customer tables are
        # streamed from the Arrow batches (no grouped log), anything else reads the log once.
        if isinstance(inner, _kokyaku.ArrowFrame):
            self._pending: Any = inner
            self._log: Any = None
        else:
            self._pending = None
            self._log = inner
        self._frame = frame

    @property
    def _inner(self) -> Any:
        if self._log is None:
            self._log = self._pending.read()
            self._pending = None
        return self._log

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def n_customers(self) -> int:
        return self._inner.n_customers

    @property
    def n_orders(self) -> int:
        return self._inner.n_orders

    @property
    def ingestion(self) -> dict[str, Any]:
        """How the log was read: rows_read = rows_accepted + rows_rejected, rejections (by
        reason), examples, orders, refunds …"""
        return json.loads(self._inner.ingestion_json())

    def report(self, **options: Any) -> dict[str, Any]:
        """The one-shot report (what ``kokyaku report --format json`` prints): ingestion, totals,
        repeat metrics, RFM segments, CPM classes, cohort retention.

        Options: ``as_of``, and per analysis a dict: ``summary``, ``rfm``, ``cpm``, ``repeat``,
        ``cohort`` (e.g. ``repeat={"f2_window_days": 30}``).
        """
        return json.loads(self._inner.report_json(_options(options)))

    def report_json(self, **options: Any) -> str:
        """:meth:`report` as the JSON text Rust wrote (what the parity test compares)."""
        return self._inner.report_json(_options(options))

    def _table(self, parts: str, frame: Frame | None, options: dict[str, Any]) -> Any:
        kind = frame or self._frame or _preferred_frame()
        if kind not in _FRAMES:
            raise InvalidOptionError(f"invalid option frame = '{kind}': use one of {_FRAMES}", "invalid_option")
        opts = _options(options)
        if kind == "records" or (kind == "pandas" and not _has("pyarrow")):
            cols = json.loads(self._inner.customers_json(opts, parts))
            if kind == "pandas":
                import pandas as pd

                return pd.DataFrame({c: cols["data"][c] for c in cols["columns"]})
            n = len(cols["data"][cols["columns"][0]]) if cols["columns"] else 0
            return [{c: cols["data"][c][i] for c in cols["columns"]} for i in range(n)]
        # Text laid out as the frame keeps it, taken without a conversion: Polars keeps string
        # views (a view per customer copied from each distinct amount's or label's view),
        # pandas' Arrow-backed strings (pandas 3's `str`) 64-bit offsets; pyarrow gets `string`.
        text = {"polars": "views", "pandas": "large"}.get(kind, "utf8")
        if self._log is None:  # a frame not read yet: streamed, as `kokyaku summary FILE` does
            table = self._pending.customers_arrow(opts, parts, text)
        else:
            table = self._inner.customers_arrow(opts, parts, text)
        if kind == "polars":
            import polars as pl

            return pl.DataFrame(table)
        import pyarrow as pa

        t = pa.table(table)
        return _to_pandas(t) if kind == "pandas" else t

    def summary(self, *, frame: Frame | None = None, **options: Any) -> Any:
        """One row per customer: first/last order, orders, purchase days, recency, tenure, gross,
        refunds, net, average order value, subscription state, dormant flag.

        Options: ``as_of`` (date; default the day after the last order), ``dormant_days`` (120),
        ``subscription_lapse_days`` (60).
        """
        return self._table("summary", frame, options)

    def rfm(self, *, frame: Frame | None = None, **options: Any) -> Any:
        """The summary plus RFM scores ``r``, ``f``, ``m`` (1-5) and ``rfm_segment``.

        Options: the summary's, plus ``recency``, ``frequency``, ``monetary`` (binning),
        ``frequency_basis``, ``segments`` (a segment map).
        """
        return self._table("rfm", frame, options)

    def cpm(self, *, frame: Frame | None = None, **options: Any) -> Any:
        """The summary plus the CPM class (``cpm_class``, ``cpm_name``)."""
        return self._table("cpm", frame, options)

    def customers(self, *, frame: Frame | None = None, **options: Any) -> Any:
        """Summary, RFM and CPM in one table (what ``kokyaku summary`` writes)."""
        return self._table("all", frame, options)

    def write_customers(self, path: str | os.PathLike[str], **options: Any) -> int:
        """Write the per-customer table (summary, RFM and CPM: what :meth:`customers` returns)
        to ``path``, Parquet for ``.parquet`` / ``.pq`` and CSV otherwise: the bytes
        ``kokyaku summary -o PATH`` writes, from Rust's typed columns with the GIL released (no
        frame is built, and a frame from :func:`from_frame` is streamed as :meth:`customers`
        streams it). Returns the number of customers. Options as :meth:`customers`.

        >>> import kokyaku, os, tempfile
        >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\nb,2,2024-01-09,7\\n", currency="USD")
        >>> path = os.path.join(tempfile.mkdtemp(), "customers.csv")
        >>> log.write_customers(path, as_of="2024-02-01")
        2
        >>> open(path).readline().split(",")[:4]
        ['customer_id', 'first_order', 'last_order', 'orders']
        """
        target = self._pending if self._log is None else self._log
        return int(target.write_customers(os.fspath(path), _options(options), "all"))

    def rfm_segments(self, **options: Any) -> list[dict[str, Any]]:
        """One row per RFM segment: customers, share, mean recency / frequency / monetary."""
        return json.loads(self._inner.rfm_segments_json(_options(options)))

    def cpm_classes(self, **options: Any) -> list[dict[str, Any]]:
        """One row per CPM class: customers, share, total and mean spend."""
        return json.loads(self._inner.cpm_classes_json(_options(options)))

    def repeat(self, **options: Any) -> dict[str, Any]:
        """Repeat rate, F2 / Fn conversion, time between orders.

        Options: ``as_of``, ``f2_window_days`` (90), ``max_n`` (5).
        """
        return json.loads(self._inner.repeat_json(_options(options)))

    def analyze(self, function: Analysis, **options: Any) -> Any:
        """Run one analysis by name: ``repeat_metrics``, ``subscription_continuation``,
        ``retention``, ``revenue_curves``, ``period_churn``, ``rfm_segments``, ``cpm_classes``,
        ``cpm_transitions``. The result is the Rust result as plain data."""
        return json.loads(self._inner.analyze_json(function, _options(options)))

    def subscription_continuation(self, **options: Any) -> dict[str, Any]:
        """Subscription continuation by cycle. Options: ``as_of``, ``lapse_days``, ``max_cycles``."""
        return self.analyze("subscription_continuation", **options)

    def retention(self, **options: Any) -> dict[str, Any]:
        """Cohort retention matrix (cells after the data ends are ``None``, not 0).
        Options: ``period`` (``"monthly"`` / ``"weekly"``), ``as_of``, ``max_periods``."""
        return self.analyze("retention", **options)

    def revenue_curves(self, **options: Any) -> dict[str, Any]:
        """Cumulative revenue per customer by cohort (historical LTV curves)."""
        return self.analyze("revenue_curves", **options)

    def period_churn(self, **options: Any) -> dict[str, Any]:
        """Churn per period."""
        return self.analyze("period_churn", **options)

    def cpm_transitions(self, **options: Any) -> dict[str, Any]:
        """Month-over-month transitions between CPM classes."""
        return self.analyze("cpm_transitions", **options)

    # Campaign results and acquisition economics (kokyaku._campaign).
    def campaign_report(self, deliveries: Any, **options: Any) -> dict[str, Any]:
        """Campaign results as a dict (see :func:`kokyaku.campaign_report`)."""
        from kokyaku import _campaign

        return _campaign.campaign_report(self, deliveries, **options)

    def campaign_results(self, deliveries: Any, *, frame: Frame | None = None, **options: Any) -> Any:
        """Campaign results as one flat frame (see :func:`kokyaku.campaign_results`)."""
        from kokyaku import _campaign

        return _campaign.campaign_results(self, deliveries, frame=frame, **options)

    def compare_periods(self, deliveries: Any = None, **options: Any) -> dict[str, Any]:
        """A sale period against a reference period (see :func:`kokyaku.compare_periods`)."""
        from kokyaku import _campaign

        return _campaign.compare_periods(self, deliveries, **options)

    def acquisition(self, **options: Any) -> dict[str, Any]:
        """Acquisition economics per split (see :func:`kokyaku.acquisition`)."""
        from kokyaku import _campaign

        return _campaign.acquisition(self, **options)

    def acquisition_curves(self, *, frame: Frame | None = None, **options: Any) -> Any:
        """The acquisition LTV curves as one long frame."""
        from kokyaku import _campaign

        return _campaign.acquisition_curves(self, frame=frame, **options)

    def overview(self, **options: Any) -> dict[str, Any]:
        """Ingestion report, repeat metrics, RFM segments, CPM classes and the customer table."""
        return json.loads(self._inner.overview_json(_options(options)))

    def overview_json(self, **options: Any) -> str:
        """:meth:`overview` as the JSON text Rust wrote (what the parity test compares)."""
        return self._inner.overview_json(_options(options))

    # Loyalty programmes (kokyaku._loyalty; docs/loyalty.md). ``program`` is a dict, JSON text
    # or a path; options: ``as_of``, ``redemptions`` / ``invitations`` (lists of dicts).

    def stages(self, program: Any, *, frame: Frame | None = None, **options: Any) -> Any:
        """Each customer's stage, points and progress to the next stage as of ``as_of``, as a
        frame (one row per customer, sorted by customer id)."""
        from kokyaku import _loyalty

        return _loyalty.stages(self, program, frame, options)

    def stage_history(self, program: Any, *, frame: Frame | None = None, **options: Any) -> Any:
        """Every stage change (customer_id, date, from, to, reason, order_id), as a frame."""
        from kokyaku import _loyalty

        return _loyalty.history(self, program, frame, options)

    def stage_distribution(self, program: Any, **options: Any) -> dict[str, Any]:
        """Stage counts at every month end, upgrades / downgrades, and the transition matrix."""
        from kokyaku import _loyalty

        return _loyalty.distribution(self, program, options)

    def stage_card(self, program: Any, customer: str, **options: Any) -> dict[str, Any]:
        """One customer's card: stage, points, next expiry, progress and history."""
        from kokyaku import _loyalty

        return _loyalty.card(self, program, customer, options)

    def stages_report(self, program: Any, **options: Any) -> dict[str, Any]:
        """Everything at once: ``{as_of, stages, customers: {id: row}, history, distribution}``
        (options ``history=True``, ``distribution=True``)."""
        from kokyaku import _loyalty

        return _loyalty.report(self, program, options)


def _table_frame(frame: str | None, arrow: Any) -> Any:
    """A table from an Arrow-producing call as the asked kind of frame (records via pyarrow)."""
    kind = frame or _preferred_frame()
    if kind not in _FRAMES:
        raise InvalidOptionError(f"invalid option frame = '{kind}': use one of {_FRAMES}", "invalid_option")
    table = arrow()
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(table.string_views())  # text as views: taken as they are
    import pyarrow as pa

    t = pa.table(table)
    if kind == "records":
        return t.to_pylist()
    return _to_pandas(t) if kind == "pandas" else t


def _to_pandas(t: Any) -> Any:
    """A pyarrow table as a pandas frame, one block per column.

    pandas' default consolidates same-typed columns into 2-D blocks, a copy that took 1.4 s of
    a 3.8M-customer table (0.15 s without it); the frame and its dtypes are the same.
    """
    return t.to_pandas(split_blocks=True)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _preferred_frame() -> str:
    for kind in ("pandas", "polars", "pyarrow"):
        if _has(kind):
            return kind
    return "records"
