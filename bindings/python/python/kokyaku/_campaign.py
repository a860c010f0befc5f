"""Campaign results, sale-period comparison and acquisition economics (mirrors
``kokyaku::campaign`` and ``kokyaku::acquisition``). Tables come back as frames, nested results
as dicts with exact money as decimal strings."""

from __future__ import annotations

import json
import os
from typing import Any

from kokyaku import _kokyaku
from kokyaku._log import Frame, _default, _options, _table_frame
from kokyaku.exceptions import InvalidOptionError


class Deliveries:
    """Deliveries: one per distinct (campaign, channel, customer), with how they were read.

    Read options: ``timezone`` (use the order log's), ``time_format``, ``delimiter``,
    ``has_header``, ``strict``, and the columns ``customer_col``, ``campaign_col``,
    ``channel_col``, ``time_col``, ``holdout_col``, ``segment_col`` (detected by their usual
    names when not given).

    >>> import kokyaku
    >>> d = kokyaku.read_deliveries_csv(b"customer_id,campaign,channel,sent_at,holdout\\nt1,spring,mail,2024-03-01T10:00:00,0\\n"
    ...                                 b"t2,spring,mail,2024-03-01T10:00:00,1\\nt3,spring,mail,2024-03-01T10:00:00,0\\n", timezone="UTC")
    >>> d
    Deliveries(deliveries=3)
    >>> d.ingestion["rows_read"]
    3
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return repr(self._inner)

    @property
    def n_deliveries(self) -> int:
        return int(self._inner.n_deliveries)

    @property
    def ingestion(self) -> dict[str, Any]:
        """``rows_read`` = ``rows_accepted`` + ``rows_rejected``, rejections by reason, examples,
        deliveries, repeats merged, holdout."""
        return json.loads(self._inner.ingestion_json())


def read_deliveries_csv(source: Any, **options: Any) -> Deliveries:
    """Read deliveries from a CSV path, bytes or a file object.

    >>> import kokyaku
    >>> d = kokyaku.read_deliveries_csv(b"customer_id,campaign,channel,sent_at,holdout\\nt1,spring,mail,2024-03-01T10:00:00,0\\n"
    ...                                 b"t2,spring,mail,2024-03-01T10:00:00,1\\nt3,spring,mail,2024-03-01T10:00:00,0\\n", timezone="UTC")
    >>> d.n_deliveries
    3
    """
    return _read(source, "csv", options)


def read_deliveries_jsonl(source: Any, **options: Any) -> Deliveries:
    """Read deliveries from a JSON Lines path, bytes or a file object.

    >>> import kokyaku
    >>> d = kokyaku.read_deliveries_jsonl(
    ...     b'{"customer_id": "t1", "campaign": "spring", "channel": "mail", "sent_at": "2024-03-01T10:00:00"}\\n', timezone="UTC")
    >>> d.n_deliveries
    1
    """
    return _read(source, "jsonl", options)


def deliveries_from_records(records: list[dict[str, Any]], **options: Any) -> Deliveries:
    """Read deliveries from a list of dicts (column name → value).

    >>> import kokyaku
    >>> d = kokyaku.deliveries_from_records(
    ...     [{"customer_id": "t1", "campaign": "spring", "channel": "mail", "sent_at": "2024-03-01T10:00:00"}], timezone="UTC")
    >>> d.n_deliveries
    1
    """
    return Deliveries(_kokyaku.read_delivery_records_json(json.dumps(list(records), default=_default), _options(options)))


def _read(source: Any, fmt: str, options: dict[str, Any]) -> Deliveries:
    opts = _options(options)
    if isinstance(source, (str, os.PathLike)):
        return Deliveries(_kokyaku.read_deliveries_path(os.fspath(source), opts))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Deliveries(_kokyaku.read_deliveries_bytes(bytes(source), fmt, opts))
    if hasattr(source, "read"):
        data = source.read()
        return Deliveries(_kokyaku.read_deliveries_bytes(data.encode("utf-8") if isinstance(data, str) else bytes(data), fmt, opts))
    raise InvalidOptionError(
        f"invalid option source: expected a path, bytes or a file object, got {type(source).__name__}",
        "invalid_option",
    )


def _check(deliveries: Any) -> Any:
    if not isinstance(deliveries, Deliveries):
        raise InvalidOptionError(
            f"invalid option deliveries: expected kokyaku.Deliveries (read_deliveries_csv ...), got {type(deliveries).__name__}",
            "invalid_option",
        )
    return deliveries._inner


def campaign_report(log: Any, deliveries: Deliveries, **options: Any) -> dict[str, Any]:
    """Campaign results as a dict: ``rows`` per campaign, channel, segment and customer type
    with ``recipients``, ``holdout`` and ``uplift``. Options: ``window_days`` (7),
    ``confidence`` (0.95), ``as_of``.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,placed_at,amount\\nt1,o1,2024-03-02T10:00:00,5000\\n"
    ...                        b"t2,o2,2024-03-03T10:00:00,2000\\nt3,o3,2024-01-05T10:00:00,1000\\n", timezone="UTC", currency="JPY")
    >>> d = kokyaku.read_deliveries_csv(b"customer_id,campaign,channel,sent_at,holdout\\nt1,spring,mail,2024-03-01T10:00:00,0\\n"
    ...                                 b"t2,spring,mail,2024-03-01T10:00:00,1\\nt3,spring,mail,2024-03-01T10:00:00,0\\n", timezone="UTC")
    >>> r = kokyaku.campaign_report(log, d, window_days=7, as_of="2024-03-31")
    >>> row = r["rows"][0]
    >>> row["campaign"], row["recipients"]["customers"], row["recipients"]["cvr"]
    ('spring', 2, 0.5)
    """
    return json.loads(_kokyaku.campaign_results_json(log._inner, _check(deliveries), _options(options)))


def campaign_results(log: Any, deliveries: Deliveries, *, frame: Frame | None = None, **options: Any) -> Any:
    """Campaign results as one flat frame (one row per campaign, channel, segment, customer type).

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,placed_at,amount\\nt1,o1,2024-03-02T10:00:00,5000\\n"
    ...                        b"t2,o2,2024-03-03T10:00:00,2000\\nt3,o3,2024-01-05T10:00:00,1000\\n", timezone="UTC", currency="JPY")
    >>> d = kokyaku.read_deliveries_csv(b"customer_id,campaign,channel,sent_at,holdout\\nt1,spring,mail,2024-03-01T10:00:00,0\\n"
    ...                                 b"t2,spring,mail,2024-03-01T10:00:00,1\\nt3,spring,mail,2024-03-01T10:00:00,0\\n", timezone="UTC")
    >>> rows = kokyaku.campaign_results(log, d, frame="records", window_days=7, as_of="2024-03-31")
    >>> rows[0]["recipients_conversions"], rows[0]["holdout_conversions"], rows[0]["recipients_revenue"]
    (1, 1, '5000')
    """
    opts = _options(options)
    inner = _check(deliveries)
    return _table_frame(
        frame or log._frame,
        lambda: _kokyaku.campaign_results_arrow(log._inner, inner, opts),
    )


def compare_periods(log: Any, deliveries: Deliveries | None = None, **options: Any) -> dict[str, Any]:
    """A sale period against a reference period. Options: ``sale_start``, ``sale_end``,
    ``reference_start``, ``reference_end`` (default: as many days just before the sale).

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,placed_at,amount\\nt1,o1,2024-03-02T10:00:00,5000\\n"
    ...                        b"t2,o2,2024-03-03T10:00:00,2000\\nt3,o3,2024-01-05T10:00:00,1000\\n", timezone="UTC", currency="JPY")
    >>> c = kokyaku.compare_periods(log, sale_start="2024-03-01", sale_end="2024-03-07")
    >>> c["sale"]["orders"], c["sale"]["revenue"], c["reference"]["start"]
    (2, '7000', '2024-02-23')
    """
    inner = None if deliveries is None else _check(deliveries)
    return json.loads(_kokyaku.compare_periods_json(log._inner, inner, _options(options)))


def acquisition(log: Any, **options: Any) -> dict[str, Any]:
    """Acquisition economics as a dict: per split the LTV curve, CPA, payback month and model
    prediction. Options: ``by`` (``attr.channel``, ``first_order_kind`` …), ``as_of``,
    ``max_months``, ``cpa`` (a number, or a dict of split value → CPA), ``predict``, ``model``,
    ``horizon_months``, ``min_customers_to_fit``.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,placed_at,amount\\nt1,o1,2024-03-02T10:00:00,5000\\n"
    ...                        b"t2,o2,2024-03-03T10:00:00,2000\\nt3,o3,2024-01-05T10:00:00,1000\\n", timezone="UTC", currency="JPY")
    >>> a = kokyaku.acquisition(log, by="first_order_kind", as_of="2024-03-31")
    >>> a["rows"][0]["split"], a["rows"][0]["curve"][0]["cumulative_net_revenue"]
    ('one_off', '8000')
    """
    return json.loads(_kokyaku.acquisition_json(log._inner, _options(options)))


def acquisition_curves(log: Any, *, frame: Frame | None = None, **options: Any) -> Any:
    """The LTV curves as one long frame: split, month, customers, cumulative net revenue (per
    customer), CPA, paid back.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,placed_at,amount\\nt1,o1,2024-03-02T10:00:00,5000\\n"
    ...                        b"t2,o2,2024-03-03T10:00:00,2000\\nt3,o3,2024-01-05T10:00:00,1000\\n", timezone="UTC", currency="JPY")
    >>> rows = kokyaku.acquisition_curves(log, by="first_order_kind", frame="records", as_of="2024-03-31")
    >>> [(r["month"], r["customers"]) for r in rows]
    [(0, 3), (1, 1), (2, 1)]
    """
    opts = _options(options)
    return _table_frame(frame or log._frame, lambda: _kokyaku.acquisition_arrow(log._inner, opts))
