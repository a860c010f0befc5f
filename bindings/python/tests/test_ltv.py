"""LTV from Python: the shared vectors (tests/fixtures/ltv, the files crates/kokyaku/tests/
ltv_golden.rs reads), the published fits the Rust tests pin, saved fits, frames in and out, and
the docstring examples of kokyaku._ltv."""

import csv
import doctest
import json
import os
import pathlib

import pytest

import kokyaku
from kokyaku import _ltv
from conftest import REPO, fixture_files, load

DATA = pathlib.Path(os.environ.get("KOKYAKU_DATA", REPO.parent / "shared" / "data"))
LTV_FILES = fixture_files("ltv")


def close(got, want, rel, what):
    assert abs(got - want) <= rel * max(abs(want), 1e-300) + 1e-300, f"{what}: got {got}, want {want}"


def answer(m, model, inp, key):
    if model == "gamma-gamma":
        return m.conditional_expected_spend({"x": [inp["x"]], "monetary": [inp["monetary"]]})[0]
    if model == "sbg":
        return getattr(m, key)([inp["t"]])[0]
    if model == "bg-bb":
        data = {"x": [inp["x"]], "t_x": [inp["t_x"]], "n": [inp["n"]]}
        horizon = inp["n_star"]
    else:
        data = {"x": [inp["x"]], "t_x": [inp["t_x"]], "T": [inp["T"]]}
        horizon = inp["horizon"]
    if key == "conditional_expected_purchases":
        return m.conditional_expected_purchases(data, horizon=horizon)[0]
    if key == "log_likelihood":
        return m.log_likelihood_rows(data)[0]
    return getattr(m, key)(data)[0]


def test_there_are_ltv_vectors():
    assert len(LTV_FILES) >= 5


def check_ltv_vector(g):
    """One LTV vector (model parameters, cases of inputs and expected values) through the public
    classes; test_fixtures.py runs it for every file of tests/fixtures/ltv."""
    m = kokyaku.load_fit({"model": g["model"], "params": g["params"]})
    rel = g["tolerance"]["relative"]
    for c in g["cases"]:
        for key, want in c["expected"].items():
            close(answer(m, g["model"], c["input"], key), want, rel, f"{g['model']} {key} {c['input']}")
    for c in g.get("unconditional", []):
        close(m.expected_purchases([c["input"]["t"]])[0], c["expected"]["expected_purchases"], rel, "E[X(t)]")


def read_csv(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (set KOKYAKU_DATA to the shared data folder)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def printed(got, want, decimals, what):
    assert abs(got - want) <= 0.5 * 10**-decimals + 1e-12, f"{what}: got {got}, published {want}"


def test_bgnbd_cdnow_published_fit():
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way": r = 0.243,
    # alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    d = read_csv("cdnow/cdnow_customers_summary.csv")
    m = kokyaku.BgNbd().fit(d)
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        printed(m.params[k], v, 3, k)
    printed(m.log_likelihood, -9582.4, 1, "LL")
    assert m.fit_json["converged"] and m.fit_json["n_customers"] == 2357
    assert all(se is not None and se > 0 for se in m.std_errors.values()), m.std_errors
    r = repr(m)
    assert r.startswith("BgNbd(r=0.24") and ", alpha=4.41" in r and "time_unit='weeks'" in r and "log_likelihood=-9582.4" in r, r


def test_pareto_nbd_cdnow_published_fit():
    d = read_csv("cdnow/cdnow_customers_summary.csv")
    m = kokyaku.ParetoNbd().fit(d)
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606}.items():
        printed(m.params[k], v, 3, k)
    assert abs(m.params["beta"] - 11.669) < 2e-4 * 11.669
    printed(m.log_likelihood, -9595.0, 1, "LL")


def test_gamma_gamma_cdnow_published_fit():
    d = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv")
    g = kokyaku.GammaGamma().fit(d, monetary_col="zbar")
    printed(g.params["p"], 6.25, 2, "p")
    printed(g.params["q"], 3.74, 2, "q")
    assert abs(g.params["gamma"] - 15.44) < 1e-3 * 15.44
    assert g.fit_json["n_customers"] == 946


def test_bgbb_donations_published_fit():
    d = read_csv("donations/donations.csv")
    m = kokyaku.BgBb().fit(d, T_col="periods")
    for k, v in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        printed(m.params[k], v, 3, k)
    printed(m.log_likelihood, -33225.6, 1, "LL")
    pa = m.p_alive({"x": [0, 2, 6], "t_x": [0, 4, 6], "n": [6, 6, 6]})
    for got, want in zip(pa, [0.11, 0.59, 0.93]):
        printed(got, want, 2, "P(alive)")


def test_sbg_published_fit():
    # Fader & Hardie (2007), "How to project customer retention", regular customers.
    m = kokyaku.ShiftedBetaGeometric().fit([[1000, 869, 743, 653, 593, 551, 517, 491]])
    printed(m.params["alpha"], 0.668, 3, "alpha")
    printed(m.params["beta"], 3.806, 3, "beta")


def test_saved_fits_load_back_and_predict_the_same(tmp_path):
    d = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv")
    m = kokyaku.BgNbd().fit(d)
    g = kokyaku.GammaGamma().fit(d, monetary_col="zbar")
    m.save(tmp_path / "bg.json")
    back = kokyaku.load_fit(tmp_path / "bg.json")
    assert type(back) is kokyaku.BgNbd and back.params == m.params
    a = m.predict(d, horizon=52.0, spend=g, frame="dict")
    b = back.predict(d, horizon=52.0, spend=g, frame="dict")
    assert a == b
    assert list(a)[:4] == ["p_alive", "expected_purchases", "p_alive_at_horizon", "expected_time_to_next_purchase"]
    assert "clv" in a and len(a["clv"]) == 2357


def test_a_cli_saved_fit_loads(tmp_path):
    # The JSON `kokyaku ltv fit --format json` prints (fit_seconds included).
    cli = {
        "model": "pareto-nbd",
        "params": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
        "log_likelihood": -9594.97,
        "n_customers": 2357.0,
        "converged": True,
        "iterations": 30,
        "std_errors": {"r": 0.05, "alpha": 0.8, "s": 0.2, "beta": 6.0},
        "n_distinct_rows": 1000,
        "time_unit": "weeks",
        "message": "converged",
        "fit_seconds": 0.01,
    }
    (tmp_path / "p.json").write_text(json.dumps(cli))
    m = kokyaku.load_fit(tmp_path / "p.json")
    assert type(m) is kokyaku.ParetoNbd and m.log_likelihood == -9594.97
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        m.p_alive({"x": [1.0], "t_x": [1.0], "T": [2.0]} | {"time_unit": "days"})
    assert e.value.code == "invalid_option"


def test_covariates_fit_and_predict():
    d = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv")
    d["big"] = [1.0 if z > 30 else 0.0 for z in d["zbar"]]
    m = kokyaku.BgNbd().fit(d, purchase_covariates=["big"])
    assert "purchase[big]" in m.params
    p = m.p_alive(d)
    assert len(p) == 2357 and all(0 <= v <= 1 for v in p)
    back = kokyaku.load_fit(m.fit_json)
    assert back.p_alive(d) == p


def test_errors_have_codes():
    with pytest.raises(kokyaku.InvalidInputError) as e:
        kokyaku.BgNbd().fit({"x": [1.0], "t_x": [5.0], "T": [2.0]})
    assert e.value.code == "invalid_value" and "t_x" in str(e.value)
    with pytest.raises(kokyaku.InvalidOptionError):
        kokyaku.BgNbd().params


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "dict"])
def test_frames_in_give_the_same_numbers_and_frames_out(kind):
    d = read_csv("cdnow/cdnow_customers_summary_with_transactions.csv")
    d["customer_id"] = [str(int(i)) for i in d.pop("ID")]
    if kind == "pandas":
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(d)
    elif kind == "polars":
        pl = pytest.importorskip("polars")
        frame = pl.DataFrame(d)
    elif kind == "pyarrow":
        pa = pytest.importorskip("pyarrow")
        frame = pa.table(d)
    else:
        frame = d
    m = kokyaku.load_fit({"model": "bg-nbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
    out = m.predict(frame, horizon=39.0)
    assert _ltv._kind(out) == kind
    ref = m.predict(d, horizon=39.0)
    got = out.to_dict("list") if kind == "pandas" else (out.to_dict(as_series=False) if kind == "polars" else (out.to_pydict() if kind == "pyarrow" else out))
    assert got["customer_id"] == ref["customer_id"]
    assert got["p_alive"] == ref["p_alive"]
    assert got["expected_purchases"] == ref["expected_purchases"]


def test_calibration_holdout_split_from_a_log():
    log = kokyaku.from_records(
        [
            {"customer_id": "a", "order_id": "1", "ordered_at": "2024-01-01", "amount": 5},
            {"customer_id": "a", "order_id": "2", "ordered_at": "2024-01-15", "amount": 7},
            {"customer_id": "a", "order_id": "3", "ordered_at": "2024-02-12", "amount": 9},
            {"customer_id": "b", "order_id": "4", "ordered_at": "2024-01-08", "amount": 4},
        ]
    )
    s = kokyaku.calibration_and_holdout(log, calibration_end="2024-01-29", holdout_end="2024-02-26", frame="dict")
    # By hand: a bought on days 0 and 14 (x = 1, t_x = 2 weeks), T = 28 days = 4 weeks;
    # b bought once on Jan 8 (T = 21 days = 3 weeks); a's Feb 12 order is in the holdout.
    assert s["customer_id"] == ["a", "b"]
    assert s["x"] == [1.0, 0.0] and s["t_x"] == [2.0, 0.0] and s["T"] == [4.0, 3.0]
    assert s["holdout_purchases"] == [1.0, 0.0]
    ev = kokyaku.evaluate_holdout([0.5, 0.5], s["holdout_purchases"])
    assert ev["mae"] == 0.5 and ev["total_actual"] == 1.0


def test_docstring_examples_run():
    r = doctest.testmod(_ltv, optionflags=doctest.ELLIPSIS)
    assert r.attempted > 10 and r.failed == 0


def test_progress_bar_on_long_fits_and_off_with_progress_false(capsys):
    pytest.importorskip("tqdm", reason="tqdm (the kokyaku[progress] extra) is not installed")
    n = 100_000
    d = {"x": [float(i % 5) for i in range(n)], "t_x": [float(i % 5) * 5.0 for i in range(n)], "T": [30.0] * n}
    kokyaku.BgNbd().fit(d, progress=False)
    assert "customers" not in capsys.readouterr().err
    kokyaku.BgNbd().fit(d)
    assert "fitting bg-nbd" in capsys.readouterr().err


def test_pandas_integer_nullable_and_categorical_columns_cross_as_arrow():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    d = {"customer_id": ["a", "b", "c"], "x": [2, 0, 5], "t_x": [30.43, 0.0, 20.0], "T": [38.86] * 3}
    m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    ref = m.predict(d, horizon=39.0)
    for f in (pd.DataFrame(d), pd.DataFrame(d).astype({"x": "Int64", "t_x": "Float64", "customer_id": "category"})):
        out = m.predict(f, horizon=39.0)
        assert list(out["p_alive"]) == ref["p_alive"]
        assert [str(c) for c in out["customer_id"]] == ["a", "b", "c"]
        assert m.p_alive(f) == ref["p_alive"]


def test_holdout_evaluation_and_tracking_take_arrays_and_give_the_json_numbers():
    """evaluate_holdout / tracking read lists and numpy, pandas, Polars, pyarrow arrays (as
    Arrow) and give the numbers of the JSON call (`ltv_call`, which Node and WASM use) exactly."""
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    predicted = [0.5, 1.25, 3.0, 0.1, 2.0]
    actual = [0, 2, 3, 1, 2]
    ref = json.loads(_ltv._kokyaku.ltv_call("evaluate_holdout", json.dumps({"predicted": predicted, "actual": actual})))
    assert ref["correlation"] is not None and len(ref["error"]) == 5
    for wrap in (list, np.array, pd.Series, pl.Series, pa.array, pa.chunked_array):
        arg = wrap([predicted]) if wrap is pa.chunked_array else wrap(predicted)
        got = kokyaku.evaluate_holdout(arg, wrap([actual]) if wrap is pa.chunked_array else wrap(actual))
        assert got == ref and list(got) == list(ref), wrap
    # Constant predictions: no correlation, as in JSON.
    assert kokyaku.evaluate_holdout(np.ones(5), actual)["correlation"] is None
    with pytest.raises(kokyaku.InvalidOptionError):
        kokyaku.evaluate_holdout([1.0, 2.0], pd.Series([1.0]))
    m = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    first = [0.0, 1.5, 3.0, 6.0, None]
    ends = [10.0, 20.0, 39.0, 78.0]
    ref = json.loads(_ltv._kokyaku.ltv_call("tracking", json.dumps({"fit": m.fit_json, "first_purchase": first, "period_ends": ends})))
    assert m.tracking(first, ends) == ref
    assert m.tracking(pd.Series(first, dtype="float64"), np.array(ends)) == ref
    assert m.tracking(pl.Series(first), pa.array(ends)) == ref
    # The holdout test of a model on each frame kind: the list computation's numbers.
    s = {"x": [0.0, 1.0, 2.0, 5.0], "t_x": [0.0, 10.0, 20.0, 35.0], "T": [38.86] * 4, "holdout_purchases": [0.0, 1.0, 1.0, 4.0]}
    want = kokyaku.evaluate_holdout(m.conditional_expected_purchases(s, horizon=39.0), s["holdout_purchases"])
    for frame in (s, pd.DataFrame(s), pl.DataFrame(s), pa.table(s)):
        assert m.evaluate(frame, horizon=39.0) == want
    with pytest.raises(kokyaku.InvalidInputError):
        m.evaluate(pd.DataFrame(s), horizon=39.0, actual_col="nope")
