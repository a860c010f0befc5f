"""Campaign intervals against a reference computed here, in the test: pandas for the windows,
statsmodels for Wilson and Newcombe, scipy for Welch (tests/fixtures/campaign/reference.py,
which shares no code with kokyaku). On the golden vector's log and on a random log."""

import datetime as dt
import math
import random
import sys

import pytest

import kokyaku
from conftest import FIXTURES, load

sys.path.insert(0, str(FIXTURES / "campaign"))
reference = pytest.importorskip("reference")


def close(a, b, path, errors, tol=1e-9):
    if isinstance(a, dict):
        for k, v in a.items():
            if k not in b:
                errors.append(f"{path}.{k}: missing")
            else:
                close(v, b[k], f"{path}.{k}", errors, tol)
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
            errors.append(f"{path}: reference {a}, kokyaku {b}")
    elif isinstance(a, str) and isinstance(b, str):
        from decimal import Decimal, InvalidOperation

        try:
            differ = Decimal(a) != Decimal(b)
        except InvalidOperation:
            differ = a != b
        if differ:
            errors.append(f"{path}: reference {a}, kokyaku {b}")
    elif a != b:
        errors.append(f"{path}: reference {a!r}, kokyaku {b!r}")


def check(orders_csv, deliveries_csv, tz, window, as_of):
    want = reference.campaign_reference(orders_csv, deliveries_csv, tz, window, as_of)
    log = kokyaku.read_csv(orders_csv.encode(), timezone=tz)
    d = kokyaku.read_deliveries_csv(deliveries_csv.encode(), timezone=tz)
    got = log.campaign_report(d, window_days=window, as_of=as_of.isoformat())["rows"]
    assert len(got) == len(want)
    errors = []
    for i, (w, g) in enumerate(zip(want, got)):
        close(w, g, f"rows[{i}]", errors)
    assert not errors, "\n".join(errors[:20])
    return got


def test_vector_log_against_statsmodels_and_scipy():
    v = load(FIXTURES / "campaign" / "01_windows_refunds_channels_segments.json")
    inp = v["input"]
    got = check(inp["csv"], inp["deliveries_csv"], "Asia/Tokyo", 7, dt.date(2024, 3, 31))
    assert got[0]["uplift"]["cvr_difference_interval"]["low"] < 0 < got[0]["uplift"]["cvr_difference_interval"]["high"]


def test_random_log_against_statsmodels_and_scipy():
    rng = random.Random(17)
    orders = ["customer_id,order_id,placed_at,amount,status"]
    deliveries = ["customer_id,campaign,channel,sent_at,holdout,segment"]
    oid = 0
    start = dt.datetime(2024, 5, 1, 9, 0)
    for c in range(400):
        cid = f"c{c:04d}"
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            oid += 1
            t = start + dt.timedelta(minutes=rng.randrange(-60 * 24 * 40, 60 * 24 * 20))
            amount = rng.choice([980, 1980, 3500, 12000]) + rng.choice([0, 0.5])
            status = "cancelled" if rng.random() < 0.05 else "completed"
            orders.append(f"{cid},o{oid},{t.isoformat()},{amount},{status}")
            if status == "completed" and rng.random() < 0.1:
                orders.append(f"{cid},o{oid},{(t + dt.timedelta(days=2)).isoformat()},-{amount / 2},completed")
        for campaign in ("may_sale", "line_coupon"):
            if rng.random() < 0.6:
                holdout = rng.random() < 0.3
                for channel in rng.sample(["mail", "line", "push"], rng.choice([1, 1, 2])):
                    sent = start + dt.timedelta(hours=rng.randrange(0, 72))
                    seg = rng.choice(["vip", "regular", ""])
                    deliveries.append(f"{cid},{campaign},{channel},{sent.isoformat()},{int(holdout)},{seg}")
    check("\n".join(orders) + "\n", "\n".join(deliveries) + "\n", "Asia/Tokyo", 5, dt.date(2024, 6, 30))
