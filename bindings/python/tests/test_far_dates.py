"""Issue 20 item 1: a log with one order dated 9999-12-31 gives an error or a result in every
call, never an abort of the Python process (the cohort tables once tried to allocate 73 GB)."""

import pytest

import kokyaku

FAR = b"customer_id,order_id,placed_at,amount\nA,1,2024-01-05,100\nA,2,2024-03-01,50\nB,3,2024-02-10,80\nC,4,9999-12-31,10\n"


@pytest.mark.parametrize(
    "function", ["retention", "revenue_curves", "period_churn", "cpm_transitions"]
)
def test_period_tables_name_the_far_order(function):
    log = kokyaku.read_csv(FAR)
    with pytest.raises(kokyaku.KokyakuError) as e:
        log.analyze(function)
    assert e.value.code == "invalid_value"
    assert "9999-12-31" in str(e.value) and "'C'" in str(e.value)
    # Up to an as-of date the far order is ignored.
    assert log.analyze(function, as_of="2024-06-30") is not None


def test_per_customer_calls_answer():
    log = kokyaku.read_csv(FAR)
    log.summary()
    log.cpm()
    log.rfm()
    try:
        log.report()
    except kokyaku.KokyakuError as e:  # an error is a fine answer; an abort is not
        assert e.code == "invalid_value"
