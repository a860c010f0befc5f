"""The customer book from Python: the same summaries as the order log over the same events,
snapshots as bytes, error codes for bad snapshots and events, files in and typed results out."""

import datetime as dt
import decimal

import pytest

import kokyaku

EVENTS = [
    {"type": "order", "order_id": "O1", "customer_id": "C1", "placed_at": "2024-01-05T10:00:00+09:00", "amount": 4000, "currency": "JPY"},
    {"type": "order", "order_id": "O2", "customer_id": "C1", "placed_at": dt.datetime(2024, 1, 20, 1, tzinfo=dt.timezone.utc), "amount": decimal.Decimal("7000.50"), "currency": "JPY"},
    {"type": "order", "order_id": "O3", "customer_id": "C2", "placed_at": "2024-01-10", "amount": 3000, "currency": "JPY"},
    {"type": "refund", "customer_id": "C2", "refunded_at": "2024-01-12", "amount": -500},
]

CSV = (
    "customer_id,order_id,placed_at,amount,currency\n"
    "C1,O1,2024-01-05T10:00:00+09:00,4000,JPY\n"
    "C1,O2,2024-01-20T10:00:00+09:00,7000.50,JPY\n"
    "C2,O3,2024-01-10,3000,JPY\n"
)


def test_summaries_equal_the_order_log():
    book = kokyaku.Book(timezone="Asia/Tokyo", as_of="2024-02-01")
    assert book.ingest(EVENTS[:3]) == {"applied": 3, "duplicates": 0, "held": 0}
    log = kokyaku.read_csv(CSV.encode(), timezone="Asia/Tokyo")
    assert book.summaries() == log.summary(frame="records", as_of="2024-02-01")


def test_changes_advance_and_snapshot():
    book = kokyaku.Book(as_of=dt.date(2024, 1, 31), dormant_days=30)
    book.ingest(EVENTS)
    rep = book.changes()
    assert [c["customer_id"] for c in rep["changes"]] == ["C1", "C2"]
    assert rep["changes"][0]["trigger"] == {"event": "order", "id": "O2"}
    assert book.changes()["changes"] == []
    book.advance("2024-03-01")
    kinds = [c["kind"] for c in book.changes()["changes"]]
    assert kinds == ["became_dormant", "became_dormant"]
    data = book.snapshot()
    assert isinstance(data, bytes) and data[:8] == b"KOKYBOOK"
    again = kokyaku.Book.restore(data)
    assert again.summaries() == book.summaries()
    assert again.as_of == "2024-03-01"
    assert again.summary("C2")["net"] == "2500.0"  # one decimal: 7000.50 normalises to 7000.5
    assert again.summary("nobody") is None
    assert again.info()["customers"] == 2


def test_files_in(tmp_path):
    p = tmp_path / "events.csv"
    p.write_text("type,order_id,customer_id,at,amount\norder,A,X,2024-01-01,10\norder,A,X,2024-01-01,10\n")
    book = kokyaku.Book()
    assert book.ingest_csv(p) == {"applied": 1, "duplicates": 1, "held": 0}
    assert book.ingest_jsonl(b'{"type":"cancellation","order_id":"Z"}\n') == {"applied": 1, "duplicates": 0, "held": 1}
    assert book.as_of == "2024-01-02"


@pytest.mark.parametrize(
    "data,code,cls",
    [
        (b"", "snapshot_truncated", kokyaku.InvalidInputError),
        (b"PK\x03\x04 not a snapshot", "snapshot_foreign", kokyaku.InvalidInputError),
    ],
)
def test_bad_snapshots(data, code, cls):
    with pytest.raises(cls) as e:
        kokyaku.Book.restore(data)
    assert e.value.code == code
    assert isinstance(e.value, ValueError)


def test_corrupt_and_future_snapshots():
    good = kokyaku.Book().snapshot()
    flipped = bytearray(good)
    flipped[-1] ^= 0xFF
    with pytest.raises(kokyaku.InvalidInputError) as e:
        kokyaku.Book.restore(bytes(flipped))
    assert e.value.code == "snapshot_corrupt"
    newer = bytearray(good)
    newer[8] = 0xFF  # version 65535: newer than any build
    newer[9] = 0xFF
    with pytest.raises(kokyaku.UnsupportedError) as e:
        kokyaku.Book.restore(bytes(newer))
    assert e.value.code == "snapshot_version"


def test_bad_events_and_options():
    book = kokyaku.Book(as_of="2024-01-31")
    with pytest.raises(kokyaku.InvalidInputError) as e:
        book.ingest([{"type": "order", "customer_id": "C1", "at": "2024-01-01", "amount": 1}])
    assert e.value.code == "invalid_value" and "order_id" in str(e.value)
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        book.advance("2024-01-01")
    assert e.value.code == "invalid_option"
    with pytest.raises(kokyaku.InvalidOptionError):
        kokyaku.Book(timezone="Mars/Olympus")
    with pytest.raises(TypeError):
        kokyaku.Book("UTC")  # keyword-only


def test_segments():
    book = kokyaku.Book(as_of="2024-01-31")
    book.set_segments({"repeaters": "orders >= 2", "rich": {"op": "compare", "left": {"field": "net"}, "cmp": ">=", "right": {"number": 5000}}})
    book.ingest(EVENTS)
    seg = [(c["customer_id"], c.get("segment")) for c in book.changes()["changes"] if c["kind"] == "segment_entered"]
    assert seg == [("C1", "repeaters"), ("C1", "rich")]
    assert book.segment_members("repeaters") == ["C1"]
    assert book.segment_members("nope") is None
    assert [n for n, _ in book.segments()] == ["repeaters", "rich"]
    again = kokyaku.Book.restore(book.snapshot())
    assert again.segment_members("rich") == ["C1"]
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        book.set_segments({"skus": 'any line (sku = "A")'})
    assert "line" in str(e.value)
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        book.set_segments({"bad": "orders >= "})
    assert e.value.code == "rule_syntax"


PROGRAM = {
    "stages": [{"id": "regular"}, {"id": "gold", "spend": 10000}],
    "window": {"kind": "calendar_year"},
    "points": {"per": 100},
}


def test_loyalty_programme():
    book = kokyaku.Book(as_of="2024-01-31", program=PROGRAM)
    book.ingest(EVENTS)
    ups = [
        (c["customer_id"], c["from"], c["to"], c["trigger"]["id"])
        for c in book.changes()["changes"]
        if c["kind"] == "stage_up"
    ]
    # by hand: 4000 + 7000.50 >= 10000 on 20 January, by O2; points 40 + 70; C2 3000: 30
    assert ups == [("C1", "regular", "gold", "O2")]
    rows = {r["customer_id"]: r for r in book.stages()}
    assert (rows["C1"]["stage"], rows["C1"]["points_balance"]) == ("gold", 110)
    assert (rows["C2"]["stage"], rows["C2"]["points_balance"]) == ("regular", 30)
    assert book.card("C1")["stage"] == "gold"
    assert book.card("nobody") is None
    assert kokyaku.Book.restore(book.snapshot()).program()["stages"][1]["id"] == "gold"
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        book.set_program({"stages": []})
    assert e.value.code == "invalid_program"
    book.set_program(None)
    assert book.stages() is None
