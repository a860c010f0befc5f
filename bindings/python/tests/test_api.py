"""The Python API: readers, frames in and out, options, errors, the README example."""

import datetime as dt
import pathlib
import runpy

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import kokyaku

CSV = b"customer_id,order_id,placed_at,amount\na,1,2024-01-05,100\na,2,2024-02-10,50\nb,3,2024-03-01,80\nc,4,2024-03-02,x\n"
HERE = pathlib.Path(__file__).resolve().parent


def test_read_csv_accounts_for_every_row(tmp_path):
    for source in (CSV, tmp_path / "log.csv", str(tmp_path / "log.csv")):
        (tmp_path / "log.csv").write_bytes(CSV)
        log = kokyaku.read_csv(source)
        r = log.ingestion
        assert (r["rows_read"], r["rows_accepted"], r["rows_rejected"]) == (4, 3, 1)
        assert r["rejections"] == {"invalid_amount": 1}
        assert (log.n_customers, log.n_orders) == (2, 3)


def test_missing_file_is_kokyaku_io_error(tmp_path):
    with pytest.raises(kokyaku.KokyakuIOError) as e:
        kokyaku.read_csv(tmp_path / "nope.csv")
    assert e.value.code == "io_error"
    assert isinstance(e.value, OSError)


def test_bad_options_are_invalid_option():
    with pytest.raises(kokyaku.InvalidOptionError) as e:
        kokyaku.read_csv(CSV, delimiter="?")
    assert e.value.code == "invalid_option" and isinstance(e.value, ValueError)
    log = kokyaku.read_csv(CSV)
    with pytest.raises(kokyaku.InvalidOptionError, match="bogus"):
        log.summary(bogus=1)
    with pytest.raises(ValueError):
        log.repeat(max_n=1)


def test_input_errors_are_invalid_input():
    with pytest.raises(kokyaku.InvalidInputError) as e:
        kokyaku.read_csv(CSV, customer_col="nope")
    assert e.value.code == "missing_column"
    with pytest.raises(kokyaku.InvalidInputError) as e:
        kokyaku.read_csv(b"customer_id,order_id,placed_at,amount,currency\na,1,2024-01-01,1,USD\nb,2,2024-01-02,1,JPY\n")
    assert e.value.code == "mixed_currency"


def test_frames_in_give_the_same_kind_out():
    pdf = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_id": ["1", "2", "3"],
            "placed_at": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-01"]),
            "amount": [100.0, 50.0, 80.0],
        }
    )
    expected = kokyaku.from_frame(pdf).customers(as_of="2024-04-01")
    assert isinstance(expected, pd.DataFrame)
    assert list(expected["customer_id"]) == ["a", "b"]
    assert list(expected["orders"]) == [2, 1]
    got_pl = kokyaku.from_frame(pl.from_pandas(pdf)).customers(as_of="2024-04-01")
    assert isinstance(got_pl, pl.DataFrame)
    assert got_pl["orders"].to_list() == [2, 1]
    assert got_pl.schema["first_order"] == pl.Date
    got_pa = kokyaku.from_frame(pa.Table.from_pandas(pdf)).customers(as_of=dt.date(2024, 4, 1))
    assert isinstance(got_pa, pa.Table)
    assert got_pa.column("net").to_pylist() == ["150", "80"]


def test_records_and_explicit_frame_kinds():
    log = kokyaku.from_records(
        [
            {"customer_id": "a", "order_id": "1", "placed_at": dt.datetime(2024, 1, 5, 10), "amount": 100},
            {"customer_id": "b", "order_id": "2", "placed_at": "2024-01-06", "amount": 20.5},
        ]
    )
    rows = log.summary()
    assert isinstance(rows, list) and rows[0]["customer_id"] == "a"
    assert isinstance(log.rfm(frame="polars"), pl.DataFrame)
    assert "rfm_segment" in log.rfm(frame="pandas").columns
    assert "cpm_class" in log.cpm(frame="pyarrow").column_names
    with pytest.raises(kokyaku.InvalidOptionError):
        log.summary(frame="excel")


def test_not_a_frame_is_unsupported():
    with pytest.raises(kokyaku.UnsupportedError) as e:
        kokyaku.from_frame(object())
    assert e.value.code == "unsupported" and isinstance(e.value, NotImplementedError)


def test_segment_and_class_tables_and_overview():
    log = kokyaku.read_csv(CSV)
    assert sum(r["customers"] for r in log.rfm_segments()) == 2
    assert sum(r["customers"] for r in log.cpm_classes()) == 2
    o = log.overview(as_of="2024-04-01")
    assert set(o) >= {"ingest", "repeat", "rfm_segments", "cpm_classes", "customers"}


def test_readme_example_runs_and_matches_readme(capsys):
    example = HERE.parent / "examples" / "quickstart.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "4 1"
    assert out[-2:] == ["0.5", "invalid_option"]
    text = example.read_text(encoding="utf-8")
    snippet = text.split("# START quickstart\n")[1].split("# END quickstart")[0]
    assert snippet in (HERE.parent / "README.md").read_text(encoding="utf-8")
