"""The shared golden vectors (tests/fixtures/<area>/*.json) through the Python API."""

import json
import math

import pytest

import kokyaku
from conftest import fixture_files, load

VECTORS = [p for area in ("repeat", "cohort") for p in fixture_files(area)]


def build_log(inp):
    if "csv" in inp:
        log = kokyaku.read_csv(inp["csv"].encode(), **(inp.get("options") or {}))
        assert log.ingestion["rows_rejected"] == 0, log.ingestion
        return log
    return kokyaku.from_order_records(inp["records"])


def compare(path, expected, got, tol, errors):
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            errors.append(f"{path}: expected an object, got {got!r}")
            return
        for k, v in expected.items():
            if k not in got:
                errors.append(f"{path}.{k}: missing")
            else:
                compare(f"{path}.{k}", v, got[k], tol, errors)
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            errors.append(f"{path}: expected {len(expected)} items, got {got!r}")
            return
        for i, (e, g) in enumerate(zip(expected, got)):
            compare(f"{path}[{i}]", e, g, tol, errors)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(got, (int, float)):
        if not math.isclose(got, expected, rel_tol=0, abs_tol=tol * max(abs(expected), 1.0)):
            errors.append(f"{path}: expected {expected}, got {got}")
    elif expected != got:
        errors.append(f"{path}: expected {expected!r}, got {got!r}")


def test_there_are_vectors():
    assert VECTORS, "no golden vectors found in tests/fixtures"


@pytest.mark.parametrize("path", VECTORS, ids=[f"{p.parent.name}/{p.name}" for p in VECTORS])
def test_golden_vector(path):
    v = load(path)
    log = build_log(v["input"])
    got = log.analyze(v["function"], **(v.get("params") or {}))
    errors = []
    compare("", v["expected"], got, v.get("tolerance", 1e-12), errors)
    assert not errors, "\n".join(errors) + "\nresult: " + json.dumps(got)
