"""Segment rules (mirrors ``kokyaku::segment``): which customers a CRM scenario targets.

A rule is text (``'orders >= 2 and days_since_last_order > 120'``) or its JSON form as a dict
(what a rule builder saves); :func:`parse_rule` and :func:`rule_text` convert one into the other
without loss. Errors are :class:`kokyaku.InvalidOptionError` with ``code`` ``rule_syntax`` or
``rule_type``, ``position`` (byte offset in the rule text), ``caret`` and ``hint``.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Union

from kokyaku import _kokyaku
from kokyaku._log import OrderLog, _default, _options

#: A rule: its text, or its JSON form.
Rule = Union[str, dict[str, Any]]


def _fit(fit: Any, name: str) -> Any:
    """A saved fit: a fitted model (``kokyaku.BgNbd`` …), its ``fit_json`` dict, JSON text or a
    path to the file ``kokyaku ltv fit -o`` wrote."""
    if fit is None or isinstance(fit, dict):
        return fit
    if hasattr(fit, "fit_json"):
        return fit.fit_json
    if isinstance(fit, (pathlib.Path, os.PathLike)):
        return pathlib.Path(fit).read_text(encoding="utf-8")
    if isinstance(fit, str):
        return fit if fit.lstrip().startswith("{") else pathlib.Path(fit).read_text(encoding="utf-8")
    from kokyaku.exceptions import InvalidOptionError

    raise InvalidOptionError(
        f"invalid option {name}: expected a fitted model, a fit dict, JSON text or a path, got {type(fit).__name__}",
        "invalid_option",
    )


# The keyword options of segment() / explain() that add predicted and loyalty fields (the core's
# segment::EXTRA_KEYS).
_EXTRA_KEYS = (
    "fit",
    "spend_fit",
    "horizon",
    "discount_rate",
    "discount_period",
    "margin",
    "program",
    "redemptions",
    "invitations",
)


def _segment_options(
    as_of: Any, dormant_days: Any, rfm: Any, cpm: Any, extras: dict[str, Any] | None = None
) -> str:
    summary: dict[str, Any] = {}
    if as_of is not None:
        summary["as_of"] = as_of
    if dormant_days is not None:
        summary["dormant_days"] = dormant_days
    opts: dict[str, Any] = {"summary": summary}
    if rfm is not None:
        opts["rfm"] = rfm
    if cpm is not None:
        opts["cpm"] = cpm
    e = dict(extras or {})
    if e.get("fit") is not None:
        e["fit"] = _fit(e["fit"], "fit")
    if e.get("spend_fit") is not None:
        e["spend_fit"] = _fit(e["spend_fit"], "spend_fit")
    if e.get("program") is not None:
        from kokyaku._loyalty import _program

        e["program"] = _program(e["program"])
    opts.update({k: v for k, v in e.items() if v is not None})
    return _options(opts)


def segment(
    log: OrderLog,
    rules: Rule | dict[str, Rule] | list[Rule],
    *,
    as_of: Any = None,
    dormant_days: int | None = None,
    rfm: dict[str, Any] | None = None,
    cpm: dict[str, Any] | None = None,
    fit: Any = None,
    spend_fit: Any = None,
    horizon: float | None = None,
    discount_rate: float | None = None,
    discount_period: float | None = None,
    margin: float | None = None,
    program: Any = None,
    redemptions: list[dict[str, Any]] | None = None,
    invitations: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Members of each rule: ``[{name, rule, count, customer_ids}]``, ids in the log's customer
    order. ``rules`` is one rule (named ``rule``), a dict ``{name: rule}``, or a list (named
    ``"0"``, ``"1"`` …). Many rules share the per-customer data (one summary).

    ``fit`` (a fitted ``BgNbd`` / ``ModifiedBgNbd`` / ``ParetoNbd`` / ``GGompertzNbd``, its
    ``fit_json``, or the file ``kokyaku ltv fit -o`` wrote) adds ``p_alive`` and
    ``expected_orders`` (over ``horizon``, default 52, in the fit's time unit); ``spend_fit``
    (a fitted ``GammaGamma``) adds ``clv`` (``discount_rate`` per ``discount_period``,
    ``margin``). ``program`` (a loyalty programme: dict, JSON text or path; with
    ``redemptions`` / ``invitations``) adds ``stage`` and ``points``. All as of ``as_of``.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\na,2,2024-02-01,15\\nb,3,2024-01-20,8\\n", currency="USD")
    >>> kokyaku.segment(log, {"repeaters": "orders >= 2"}, as_of="2024-03-01")
    [{'count': 1, 'customer_ids': ['a'], 'name': 'repeaters', 'rule': 'orders >= 2'}]
    """
    if isinstance(rules, dict) and "op" not in rules:
        payload: Any = dict(rules)
    elif isinstance(rules, list):
        payload = list(rules)
    else:
        payload = rules
    extras = {k: v for k, v in locals().items() if k in _EXTRA_KEYS}
    return json.loads(
        _kokyaku.segment_json(
            log._inner,
            json.dumps(payload, default=_default),
            _segment_options(as_of, dormant_days, rfm, cpm, extras),
        )
    )


def segment_ids(log: OrderLog, rule: Rule, **options: Any) -> list[str]:
    """The ids of the customers matching one rule, in the log's customer order.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\na,2,2024-02-01,15\\nb,3,2024-01-20,8\\n", currency="USD")
    >>> kokyaku.segment_ids(log, "orders = 1")
    ['b']
    """
    return segment(log, {"rule": rule}, **options)[0]["customer_ids"]


def explain(
    log: OrderLog,
    rule: Rule,
    customer_id: str,
    *,
    as_of: Any = None,
    dormant_days: int | None = None,
    rfm: dict[str, Any] | None = None,
    cpm: dict[str, Any] | None = None,
    fit: Any = None,
    spend_fit: Any = None,
    horizon: float | None = None,
    discount_rate: float | None = None,
    discount_period: float | None = None,
    margin: float | None = None,
    program: Any = None,
    redemptions: list[dict[str, Any]] | None = None,
    invitations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Why a customer is in the segment or not: ``{rule, value, fields, items, children}``,
    each clause with its value and the field values it read. Options as :func:`segment`.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\nb,3,2024-01-20,8\\n", currency="USD")
    >>> kokyaku.explain(log, "orders >= 2", "b")
    {'fields': [{'field': 'orders', 'value': 1}], 'rule': 'orders >= 2', 'value': False}
    """
    extras = {k: v for k, v in locals().items() if k in _EXTRA_KEYS}
    return json.loads(
        _kokyaku.segment_explain_json(
            log._inner,
            json.dumps(rule, default=_default),
            customer_id,
            _segment_options(as_of, dormant_days, rfm, cpm, extras),
        )
    )


def parse_rule(text: str) -> dict[str, Any]:
    """A rule's text, parsed and type-checked, as its JSON form (a dict).

    >>> import kokyaku
    >>> kokyaku.parse_rule("orders >= 2")
    {'cmp': '>=', 'left': {'field': 'orders'}, 'op': 'compare', 'right': {'number': 2.0}}
    """
    return json.loads(_kokyaku.segment_parse_json(text))


def rule_text(rule: Rule) -> str:
    """A rule's canonical text (from its JSON form, or normalised from text).

    >>> import kokyaku
    >>> kokyaku.rule_text(kokyaku.parse_rule("orders>=2   and net > 10"))
    'orders >= 2 and net > 10'
    """
    return _kokyaku.segment_to_text(json.dumps(rule))


def presets() -> list[dict[str, str]]:
    """The preset rules: ``[{name, rule, purpose}]`` (see ``docs/segments.md``).

    >>> import kokyaku
    >>> kokyaku.presets()[0]["rule"]
    'orders = 1 and days_since_first_order between 14 and 60'
    """
    return json.loads(_kokyaku.segment_presets_json())


def segment_fields() -> dict[str, list[dict[str, str]]]:
    """The fields a rule can read, per scope: ``{customer, order, line, subscription}``.

    >>> import kokyaku
    >>> f = kokyaku.segment_fields()
    >>> sorted(f), f["customer"][0]["name"]
    (['customer', 'line', 'order', 'subscription'], 'orders')
    """
    return json.loads(_kokyaku.segment_fields_json())


def with_customers(
    log: OrderLog, customers: Any, *, timezone: str | None = None, delimiter: str | None = None
) -> tuple[OrderLog, dict[str, Any]]:
    """The log with a customers table merged in (id, birth date, sign-up time, further columns as
    attributes; members who never ordered join with zero orders), and the report of the read
    (``rows_read = rows_accepted + rows_rejected``, rejections by reason).

    ``customers``: a list of dicts, a pandas / Polars frame, or a CSV path / bytes.

    >>> import kokyaku
    >>> log = kokyaku.read_csv(b"customer_id,order_id,ordered_at,amount\\na,1,2024-01-05,10\\n", currency="USD")
    >>> log2, report = kokyaku.with_customers(log, [{"customer_id": "c", "birth_date": "1990-01-01"}])
    >>> log2.n_customers, report["rows_accepted"]
    (2, 1)
    """
    if isinstance(customers, (str, os.PathLike)):
        with open(os.fspath(customers), encoding="utf-8") as f:
            text = f.read()
        inner, report = _kokyaku.with_customers_csv(log._inner, text, delimiter)
    elif isinstance(customers, (bytes, bytearray)):
        inner, report = _kokyaku.with_customers_csv(log._inner, bytes(customers).decode("utf-8"), delimiter)
    else:
        if hasattr(customers, "to_dicts"):  # Polars
            records = customers.to_dicts()
        elif hasattr(customers, "to_dict"):  # pandas
            records = customers.to_dict(orient="records")
        else:
            records = list(customers)
        records = [{k: (None if v != v else v) for k, v in r.items()} for r in records]  # NaN -> None
        inner, report = _kokyaku.with_customers_json(log._inner, json.dumps(records, default=_default), timezone)
    return OrderLog(inner, log._frame), json.loads(report)
