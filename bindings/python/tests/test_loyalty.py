"""Loyalty programmes through the Python API: frames out, cards, history, distribution, errors.
(The golden vectors in tests/fixtures/loyalty run through test_fixtures.py.)"""

import json

import pytest

import kokyaku

CSV = (
    "customer_id,order_id,placed_at,amount\n"
    "A,a1,2024-01-10T10:00:00Z,20000\n"
    "A,a2,2024-02-05T10:00:00Z,15000\n"
    "A,a3,2024-03-01T10:00:00Z,70000\n"
    "B,b1,2024-03-20T10:00:00Z,5000\n"
).encode()

PROGRAM = {
    "stages": [{"id": "regular"}, {"id": "silver", "spend": 30000}, {"id": "gold", "spend": 100000}],
    "window": {"kind": "rolling", "days": 365},
    "points": {"per": 100},
}


def test_stages_as_records_and_frames():
    log = kokyaku.read_csv(CSV, timezone="UTC")
    rows = log.stages(PROGRAM, frame="records", as_of="2024-03-31")
    assert [r["customer_id"] for r in rows] == ["A", "B"]
    assert rows[0]["stage"] == "gold" and rows[0]["stage_since"] == "2024-03-01"
    # 20000/100 + 15000/100 (regular) + 70000/100 (silver x1) = 200 + 150 + 700
    assert rows[0]["points_balance"] == 1050
    assert rows[1]["spend_needed"] == "25000" and rows[1]["needed_by"] == "2024-03-31"
    pa = pytest.importorskip("pyarrow")
    t = log.stages(PROGRAM, frame="pyarrow", as_of="2024-03-31")
    assert isinstance(t, pa.Table) and t.num_rows == 2
    assert t.column("stage").to_pylist() == ["gold", "regular"]


def test_program_from_text_and_path(tmp_path):
    log = kokyaku.read_csv(CSV)
    p = tmp_path / "program.json"
    p.write_text(json.dumps(PROGRAM))
    a = log.stages(p, frame="records", as_of="2024-03-31")
    b = log.stages(json.dumps(PROGRAM), frame="records", as_of="2024-03-31")
    assert a == b
    full = kokyaku.read_program(PROGRAM)
    assert full["downgrade"] == "recompute" and full["review"] == "month"


def test_history_card_distribution():
    log = kokyaku.read_csv(CSV)
    h = log.stage_history(PROGRAM, frame="records", as_of="2024-03-31")
    assert [(r["customer_id"], r["to"], r["order_id"]) for r in h] == [("A", "silver", "a2"), ("A", "gold", "a3")]
    card = log.stage_card(PROGRAM, "B", as_of="2024-03-31")
    assert card["stage"] == "regular" and card["next_stage"] == "silver" and card["points_balance"] == 50
    d = log.stage_distribution(PROGRAM, as_of="2024-04-15")
    assert d["month_ends"] == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert d["counts"][-1] == [1, 0, 1]  # A gold (on order, 03-01), B regular


def test_errors_carry_codes():
    log = kokyaku.read_csv(CSV)
    bad = {**PROGRAM, "stages": [{"id": "regular"}, {"id": "gold", "spend": "-1"}]}
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        log.stages(bad)
    assert e.value.code == "invalid_program" and "stages[1].spend" in str(e.value)
    with pytest.raises(kokyaku.InvalidInputError) as e:
        log.stages(PROGRAM, as_of="2024-03-31", redemptions=[{"customer_id": "B", "date": "2024-03-25", "points": 51}])
    assert e.value.code == "points_shortfall"
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        kokyaku.read_program({"stages": [], "window": {"kind": "calendar_year"}})
    assert e.value.code == "invalid_program"
