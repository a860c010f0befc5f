"""Segment rules from Python: the shared golden vectors (tests/fixtures/segment), errors with
code and position, the customers table, and the CDNOW counts against a pandas and a Polars
computation of the same rules."""

from __future__ import annotations

import datetime
import json
import pathlib

import pandas as pd
import polars as pl
import pytest

import kokyaku

ROOT = pathlib.Path(__file__).resolve().parents[3]
VECTORS = sorted((ROOT / "tests" / "fixtures" / "segment").glob("*.json"))
CDNOW = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"


def test_there_are_vectors():
    assert len(VECTORS) >= 4


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.name)
def test_segment_vectors(path):
    v = json.loads(path.read_text(encoding="utf-8"))
    assert v["function"] == "segment"
    log = kokyaku.from_order_records(v["input"]["records"])
    extras = dict(v["params"])
    as_of = (extras.pop("summary", None) or {}).get("as_of")
    for case in v["cases"]:
        if "error" in case:
            with pytest.raises(kokyaku.KokyakuError) as e:
                kokyaku.segment(log, {"r": case["rule"]}, as_of=as_of, **extras)
            want = case["error"]
            assert e.value.code == want["code"], str(e.value)
            assert e.value.position == want["position"], str(e.value)
            assert want["message_contains"] in str(e.value)
            assert "^" in e.value.caret
            assert isinstance(e.value, ValueError)
            continue
        got = kokyaku.segment(log, {"r": case["rule"]}, as_of=as_of, **extras)[0]
        assert got["customer_ids"] == case["expected"], case["rule"]
        assert got["count"] == len(case["expected"])
        if isinstance(case["rule"], str):
            parsed = kokyaku.parse_rule(case["rule"])
            assert kokyaku.rule_text(parsed) == case["rule"]


def test_quantifier_scoping_and_explain():
    v = json.loads(VECTORS[0].read_text(encoding="utf-8"))
    log = kokyaku.from_order_records(v["input"]["records"])
    rule = 'any subscription (product = "A" and status = "active")'
    assert kokyaku.segment_ids(log, rule, as_of="2024-06-30") == ["E"]
    e = kokyaku.explain(log, rule, "D", as_of="2024-06-30")
    assert e["value"] is False
    assert e["items"] == {"scope": "subscription", "items": 2, "matching": 0}
    e = kokyaku.explain(log, "orders >= 2 and days_since_last_order > 120", "A", as_of="2024-06-30")
    assert e["value"] is True
    assert e["children"][1]["fields"] == [{"field": "days_since_last_order", "value": 141}]


def test_presets_and_fields():
    names = [p["name"] for p in kokyaku.presets()]
    assert "dormant_winback" in names and "birthday_month" in names
    for p in kokyaku.presets():
        assert kokyaku.rule_text(kokyaku.parse_rule(p["rule"])) == p["rule"]
    f = kokyaku.segment_fields()
    assert {"name": "orders", "type": "number", "meaning": "completed orders"} in f["customer"]


def test_customers_frame_never_ordered_and_accounting():
    log = kokyaku.from_records(
        [
            {"order_id": "o1", "customer_id": "A", "placed_at": "2024-01-10", "amount": 3000},
            {"order_id": "o2", "customer_id": "B", "placed_at": "2024-06-01", "amount": 500},
        ]
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "F", None, "G"],
            "birth_date": ["1996-02-29", "1985-01-01", "1990-01-01", "1990-02-30"],
            "prefecture": ["東京都", "東京都", "x", "x"],
        }
    )
    log2, report = kokyaku.with_customers(log, customers)
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (4, 2, 2)
    assert report["rejections"] == {"invalid_birth_date": 1, "missing_customer": 1}
    assert log2.n_customers == 3
    assert kokyaku.segment_ids(log2, "orders = 0", as_of="2024-06-30") == ["F"]
    assert kokyaku.segment_ids(log2, 'attr.prefecture = "東京都"', as_of="2024-06-30") == ["A", "F"]


def test_rule_json_face_round_trips():
    text = 'rfm.segment in ("At risk", "Cannot lose them") and attr.prefecture = "東京都"'
    rule = kokyaku.parse_rule(text)
    assert rule["op"] == "and"
    assert kokyaku.rule_text(json.loads(json.dumps(rule))) == text


@pytest.fixture(scope="module")
def cdnow():
    log = kokyaku.read_csv(CDNOW, delimiter="whitespace")
    df = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    return log, df


RULES = {
    "dormant_repeaters": "orders >= 2 and days_since_last_order > 120",
    "recent_big_spenders": "gross >= 100 and days_since_last_order <= 90",
}


def test_cdnow_counts_match_pandas(cdnow):
    log, df = cdnow
    df = df.assign(date=pd.to_datetime(df["date"], format="%Y%m%d"))
    g = df.groupby("customer_id").agg(orders=("date", "size"), last=("date", "max"), gross=("dollar_value", "sum"))
    recency = (pd.Timestamp("1998-07-01") - g["last"]).dt.days
    want = {
        "dormant_repeaters": g.index[(g["orders"] >= 2) & (recency > 120)].tolist(),
        "recent_big_spenders": g.index[(g["gross"] >= 100) & (recency <= 90)].tolist(),
    }
    got = {m["name"]: m for m in kokyaku.segment(log, RULES, as_of="1998-07-01")}
    for name, ids in want.items():
        assert got[name]["count"] == len(ids), name
        assert sorted(got[name]["customer_ids"]) == sorted(ids), name
        assert len(ids) > 1000


def test_cdnow_counts_match_polars(cdnow):
    log, _ = cdnow
    pdf = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    lf = pl.from_pandas(pdf).with_columns(pl.col("date").str.strptime(pl.Date, "%Y%m%d"))
    g = lf.group_by("customer_id").agg(
        pl.len().alias("orders"), pl.col("date").max().alias("last"), pl.col("dollar_value").sum().alias("gross")
    )
    g = g.with_columns((pl.lit(datetime.date(1998, 7, 1)) - pl.col("last")).dt.total_days().alias("recency"))
    dormant = g.filter((pl.col("orders") >= 2) & (pl.col("recency") > 120)).height
    big = g.filter((pl.col("gross") >= 100) & (pl.col("recency") <= 90)).height
    got = {m["name"]: m["count"] for m in kokyaku.segment(log, RULES, as_of="1998-07-01")}
    assert got == {"dormant_repeaters": dormant, "recent_big_spenders": big}


def test_predictions_from_fitted_models_and_a_programme_file(tmp_path):
    """fit= takes a fitted model (its fit_json), spend_fit= a fitted GammaGamma, program= a path;
    explain reads the extra fields; misuse fails with a code."""
    v = json.loads((ROOT / "tests" / "fixtures" / "segment" / "03_predicted_and_stages.json").read_text("utf-8"))
    p = v["params"]
    log = kokyaku.from_order_records(v["input"]["records"])
    fit = kokyaku.BgNbd.from_params(time_unit="weeks", **p["fit"]["params"])
    spend = kokyaku.GammaGamma.from_params(**p["spend_fit"]["params"])
    prog = tmp_path / "programme.json"
    prog.write_text(json.dumps(p["program"]), encoding="utf-8")
    opts = dict(
        as_of=p["summary"]["as_of"], fit=fit, spend_fit=spend, horizon=p["horizon"],
        discount_period=p["discount_period"], discount_rate=p["discount_rate"], margin=p["margin"],
        program=prog,
    )
    assert kokyaku.segment_ids(log, 'stage = "gold" and p_alive < 0.5', **opts) == ["R"]
    e = kokyaku.explain(log, 'clv > 0 and stage = "silver"', "S", **opts)
    assert e["value"] is True
    assert [f["field"] for c in e["children"] for f in c["fields"]] == ["clv", "stage"]
    with pytest.raises(kokyaku.InvalidOptionError) as err:
        kokyaku.segment(log, "orders >= 1", horizon=10)
    assert err.value.code == "invalid_option"
    with pytest.raises(kokyaku.InvalidOptionError) as err:
        kokyaku.segment(log, "clv > 0", as_of="2024-06-30", fit=fit)
    assert err.value.code == "rule_type" and "spend" in str(err.value)
