"""The customer book (mirrors ``kokyaku::book``): per-customer state kept current as events
arrive, change reports, and snapshots. See ``docs/book.md``."""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any, Literal, Optional, TypedDict

from kokyaku import _kokyaku
from kokyaku._log import _default, _options
from kokyaku.exceptions import InvalidOptionError

#: The kinds of change a report holds.
ChangeKind = Literal[
    "cpm_class",
    "became_dormant",
    "reactivated",
    "subscription",
    "segment_entered",
    "segment_left",
    "stage_up",
    "stage_down",
    "points_expired",
]
#: The kinds of event behind a change.
TriggerEvent = Literal[
    "order", "refund", "cancellation", "subscription", "customer", "redemption", "invitation", "advance"
]


class Trigger(TypedDict):
    event: TriggerEvent
    id: str | None


_ChangeBase = TypedDict(
    "_ChangeBase",
    {
        "customer_id": str,
        "kind": ChangeKind,
        "from": Optional[str],
        "to": Optional[str],
        "trigger": Trigger,
    },
)


class Change(_ChangeBase, total=False):
    """One change: ``from`` / ``to`` hold a CPM class id, a subscription state or a loyalty
    stage id (``None`` for dormancy, segment and points changes, and ``from`` for a customer's
    first class); ``segment`` names the segment entered or left (segment changes only);
    ``points`` the points expired since the last report (``points_expired`` only).

    >>> import kokyaku
    >>> book = kokyaku.Book(timezone="UTC", as_of="2024-02-01")
    >>> book.ingest([{"type": "order", "order_id": "O1", "customer_id": "C1", "placed_at": "2024-01-05", "amount": 4000, "currency": "JPY"},
    ...              {"type": "order", "order_id": "O2", "customer_id": "C1", "placed_at": "2024-01-20", "amount": 7000, "currency": "JPY"}])
    {'applied': 2, 'duplicates': 0, 'held': 0}
    >>> change = book.changes()["changes"][0]
    >>> change["customer_id"], change["kind"], change["trigger"]
    ('C1', 'cpm_class', {'event': 'order', 'id': 'O2'})
    """

    segment: str
    points: int


class ChangeReport(TypedDict):
    """What :meth:`Book.changes` returns: the changes between ``since`` and ``as_of``.

    >>> import kokyaku
    >>> book = kokyaku.Book(timezone="UTC", as_of="2024-02-01")
    >>> book.ingest([{"type": "order", "order_id": "O1", "customer_id": "C1", "placed_at": "2024-01-05", "amount": 4000, "currency": "JPY"},
    ...              {"type": "order", "order_id": "O2", "customer_id": "C1", "placed_at": "2024-01-20", "amount": 7000, "currency": "JPY"}])
    {'applied': 2, 'duplicates': 0, 'held': 0}
    >>> sorted(book.changes())
    ['as_of', 'changes', 'events', 'since']
    """

    since: str
    as_of: str
    events: int
    changes: list[Change]


class IngestCounts(TypedDict):
    """What :meth:`Book.ingest` returns: events applied, duplicates skipped, events held
    (docs/book.md).

    >>> import kokyaku
    >>> order = {"type": "order", "order_id": "O1", "customer_id": "C1", "placed_at": "2024-01-05", "amount": 40, "currency": "USD"}
    >>> kokyaku.Book().ingest([order, order])
    {'applied': 1, 'duplicates': 1, 'held': 0}
    """

    applied: int
    duplicates: int
    held: int


def _date(d: str | _dt.date) -> str:
    return d.isoformat() if isinstance(d, _dt.date) else str(d)


class Book:
    """An incremental customer book.

    ``Book(timezone="Asia/Tokyo", as_of=None, dormant_days=120, subscription_lapse_days=60,
    cpm={...})``: without ``as_of`` the book follows the data (its date is the day after the last
    order). Events are dicts with a ``type`` (``order``, ``refund``, ``cancellation``,
    ``subscription``, ``customer``, ``redemption``, ``invitation``) and the columns of an events
    file (docs/book.md).

    >>> import kokyaku
    >>> book = kokyaku.Book(timezone="UTC", as_of="2024-02-01")
    >>> book.ingest([{"type": "order", "order_id": "O1", "customer_id": "C1", "placed_at": "2024-01-05", "amount": 4000, "currency": "JPY"},
    ...              {"type": "order", "order_id": "O2", "customer_id": "C1", "placed_at": "2024-01-20", "amount": 7000, "currency": "JPY"}])
    {'applied': 2, 'duplicates': 0, 'held': 0}
    >>> book.summary("C1")["orders"], book.as_of
    (2, '2024-02-01')
    >>> kokyaku.Book.restore(book.snapshot()).info()["orders"]
    2
    """

    __slots__ = ("_inner",)

    def __init__(
        self,
        *,
        timezone: str | None = None,
        as_of: str | _dt.date | None = None,
        dormant_days: int | None = None,
        subscription_lapse_days: int | None = None,
        cpm: dict[str, Any] | None = None,
        program: dict[str, Any] | str | None = None,
    ) -> None:
        self._inner = _kokyaku.Book(
            _options(
                {
                    "timezone": timezone,
                    "as_of": as_of,
                    "dormant_days": dormant_days,
                    "subscription_lapse_days": subscription_lapse_days,
                    "cpm": cpm,
                }
            )
        )
        if program is not None:
            self.set_program(program)

    @classmethod
    def restore(cls, data: bytes) -> Book:
        """A book from :meth:`snapshot` bytes. Bad bytes raise :class:`InvalidInputError`
        (codes ``snapshot_truncated``, ``snapshot_corrupt``, ``snapshot_foreign``) or
        :class:`UnsupportedError` (``snapshot_version``)."""
        b = cls.__new__(cls)
        b._inner = _kokyaku.Book.restore(bytes(data))
        return b

    def snapshot(self) -> bytes:
        """The whole book as bytes (a versioned format with a checksum; docs/book.md)."""
        return self._inner.snapshot()

    def ingest(self, events: list[dict[str, Any]]) -> IngestCounts:
        """Apply events in order; returns ``{applied, duplicates, held}``."""
        return json.loads(self._inner.ingest_json(json.dumps(list(events), default=_default)))

    def ingest_csv(self, source: str | os.PathLike[str] | bytes, *, delimiter: Literal[",", "\t"] = ",") -> IngestCounts:
        """Apply the events of a CSV (or, with ``delimiter="\\t"``, TSV) file or bytes."""
        fmt = "tsv" if delimiter == "\t" else "csv"
        return json.loads(self._inner.ingest_text(fmt, _bytes(source)))

    def ingest_jsonl(self, source: str | os.PathLike[str] | bytes) -> IngestCounts:
        """Apply the events of a JSON Lines file or bytes."""
        return json.loads(self._inner.ingest_text("jsonl", _bytes(source)))

    def set_segments(self, rules: dict[str, Any]) -> None:
        """Keep these segments current: name -> rule (text such as ``"orders >= 2"`` or the
        JSON form). A segment kept under the same name keeps its members; the members of a new
        one enter at the next :meth:`changes`. Rules on line items or subscription products are
        refused (the book keeps neither)."""
        self._inner.set_segments_json(json.dumps(dict(rules), default=_default))

    def segments(self) -> list[tuple[str, str]]:
        """The segments as ``(name, canonical rule text)``, sorted by name."""
        return [tuple(p) for p in json.loads(self._inner.segments_json())]

    def segment_members(self, name: str) -> list[str] | None:
        """A segment's members as last reported, sorted by customer id (``None`` if unknown)."""
        return json.loads(self._inner.segment_members_json(name))

    def set_program(self, program: dict[str, Any] | str | None) -> None:
        """Keep a loyalty programme current (a dict or JSON text as in docs/loyalty.md;
        ``None`` removes it): stages and points follow the events, and :meth:`changes` reports
        ``stage_up`` / ``stage_down`` and ``points_expired``. A bad programme raises
        :class:`InvalidInputError` with code ``invalid_program``."""
        text = program if isinstance(program, str) else json.dumps(program, default=_default)
        self._inner.set_program_json(text)

    def program(self) -> dict[str, Any] | None:
        """The loyalty programme as set, or ``None``."""
        return json.loads(self._inner.program_json())

    def stages(self) -> list[dict[str, Any]] | None:
        """Every customer's stage, points and progress as of the book's date (records sorted by
        customer id, the columns of ``OrderLog.stages``), or ``None`` without a programme."""
        return json.loads(self._inner.stages_json())

    def card(self, customer_id: str) -> dict[str, Any] | None:
        """One customer's loyalty card (stage, points, progress, stage history), or ``None``."""
        return json.loads(self._inner.card_json(customer_id))

    def advance(self, date: str | _dt.date) -> None:
        """Move the book's date forward (a book never goes back)."""
        self._inner.advance(_date(date))

    def changes(self) -> ChangeReport:
        """The changes since the last call, sorted by customer id then kind."""
        return json.loads(self._inner.changes_json())

    def summaries(self) -> list[dict[str, Any]]:
        """Every customer's summary as of the book's date (records, sorted by customer id;
        money as decimal strings), equal to ``OrderLog.summary`` over the same events."""
        return json.loads(self._inner.summaries_json())

    def summary(self, customer_id: str) -> dict[str, Any] | None:
        """One customer's summary, or ``None`` for an unknown id."""
        return json.loads(self._inner.summary_json(customer_id))

    @property
    def as_of(self) -> str:
        """The book's date (ISO)."""
        return self.info()["as_of"]

    def info(self) -> dict[str, Any]:
        """``{as_of, timezone, customers, orders, refunds, held, events}``."""
        return json.loads(self._inner.info_json())

    def __repr__(self) -> str:
        return repr(self._inner)


def _bytes(source: str | os.PathLike[str] | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(os.fspath(source), "rb") as f:
            return f.read()
    raise InvalidOptionError(
        f"invalid option source: expected a path or bytes, got {type(source).__name__}", "invalid_option"
    )
