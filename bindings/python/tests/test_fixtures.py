"""The shared golden vectors (tests/fixtures/<area>/*.json) through the public Python API.

Vector format: docs in crates/kokyaku/tests/fixtures_core.rs and repeat_golden.rs. Each
`function` is answered with the binding's public calls, shaped as the Rust harness shapes it;
`expected` is a subset of the result (maps named `customers` / `counts` compared whole; numbers
within `tolerance`; decimal strings as decimals); an expected `error` names a code.
"""

import decimal
import json
import math

import pytest

import kokyaku
from conftest import FIXTURES, fixture_files, load

# Every vector of every area. One this harness cannot run fails, unless it is listed for
# "python" in tests/fixtures/KNOWN_GAPS.json (and a listed one that passes fails too).
VECTORS = [
    p
    for area in sorted(d.name for d in FIXTURES.iterdir() if d.is_dir())
    for p in fixture_files(area)
]
GAPS = {
    name: gap["reason"]
    for name, gap in load(FIXTURES / "KNOWN_GAPS.json")["gaps"].items()
    if "python" in gap["bindings"]
}


def build_log(inp):
    opts = inp.get("options") or {}
    if "csv" in inp:
        return kokyaku.read_csv(inp["csv"].encode(), **opts)
    if "jsonl" in inp:
        return kokyaku.read_jsonl(inp["jsonl"].encode(), **opts)
    return kokyaku.from_order_records(inp["records"])


def keyed(rows):
    return {r.pop("customer_id"): r for r in rows}


def run_book(inp):
    """The book vectors (tests/fixtures/book/): steps of events or advances, each followed by a
    change report and a snapshot / restore round trip; then the final summaries (and, with a
    loyalty programme, the stages)."""
    book = kokyaku.Book(**(inp.get("options") or {}), program=inp.get("program"))
    segments = inp.get("segments") or {}
    if segments:
        book.set_segments(segments)
    steps = []
    for step in inp["steps"]:
        out = {}
        if "events" in step:
            out["counts"] = book.ingest(step["events"])
        if "advance" in step:
            book.advance(step["advance"])
        out["changes"] = book.changes()["changes"]
        steps.append(out)
        book = kokyaku.Book.restore(book.snapshot())
    members = {name: book.segment_members(name) for name in segments}
    stages = keyed(book.stages() or [])
    return {
        "as_of": book.as_of,
        "steps": steps,
        "customers": keyed(book.summaries()),
        "segments": members,
        "stages": stages,
    }


def run(function, inp, params):
    if function == "book":
        return run_book(inp)
    log = build_log(inp)
    p = params or {}
    if function == "ingest":
        return {
            "report": log.ingestion,
            "currency": log.report()["totals"]["currency"],
            "customers": keyed(log.summary(frame="records")),
        }
    if function == "summarize":
        as_of = log.report(**({"as_of": p["as_of"]} if p.get("as_of") else {}))["as_of"]
        return {"as_of": as_of, "customers": keyed(log.summary(frame="records", **p))}
    if function == "rfm":
        o = {**(p.get("summary") or {}), **(p.get("rfm") or {})}
        return {"customers": keyed(log.rfm(frame="records", **o)), "segments": log.rfm_segments(**o)}
    if function == "cpm":
        o = {**(p.get("summary") or {}), **(p.get("cpm") or {})}
        return {
            "customers": keyed(log.cpm(frame="records", **o)),
            "classes": {row["class"]: row for row in log.cpm_classes(**o)},
        }
    if function == "cpm_transitions":
        t = log.cpm_transitions(as_of=p.get("as_of"), **(p.get("cpm") or {}))
        counts = {}
        for src, row in zip(t["classes"], t["counts"]):
            for dst, n in zip(t["classes"], row):
                if n:
                    counts.setdefault(src, {})[dst] = n
        return {"month_ends": t["month_ends"], "counts": counts, "months": t["months"]}
    if function in ("campaign_results", "compare_periods"):
        d = kokyaku.read_deliveries_csv(inp["deliveries_csv"].encode(), **(inp.get("delivery_options") or {}))
        if function == "compare_periods":
            return log.compare_periods(d, **p)
        return {"deliveries": d.ingestion, "results": log.campaign_report(d, **p)}
    if function == "acquisition":
        return log.acquisition(**p)
    return log.analyze(function, **p)


def as_decimal(s):
    try:
        return decimal.Decimal(s)
    except decimal.InvalidOperation:
        return None


def compare(path, expected, got, tol, errors):
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            errors.append(f"{path}: expected an object, got {got!r}")
            return
        if path.endswith((".customers", ".counts")) and set(expected) != set(got):
            errors.append(f"{path}: expected keys {sorted(expected)}, got {sorted(got)}")
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
    elif isinstance(expected, str) and isinstance(got, str) and expected != got:
        a, b = as_decimal(expected), as_decimal(got)
        if a is None or b is None or a != b:
            errors.append(f"{path}: expected {expected!r}, got {got!r}")
    elif expected != got and not (isinstance(expected, str) and isinstance(got, str)):
        errors.append(f"{path}: expected {expected!r}, got {got!r}")


def test_there_are_vectors():
    assert VECTORS, "no golden vectors found in tests/fixtures"


def check_segment_vector(v):
    """A segment vector: one log, rule cases with their members (ids in the log's customer order)
    or their error (code, byte position, message)."""
    log = build_log(v["input"])
    # params: SegmentOptions' summary, plus the extras (fit, spend_fit, horizon …, program).
    extras = dict(v.get("params") or {})
    as_of = (extras.pop("summary", None) or {}).get("as_of")
    for case in v["cases"]:
        if "error" in case:
            with pytest.raises(kokyaku.KokyakuError) as e:
                kokyaku.segment(log, {"r": case["rule"]}, as_of=as_of, **extras)
            want = case["error"]
            assert e.value.code == want["code"], str(e.value)
            assert e.value.position == want["position"], str(e.value)
            assert want["message_contains"] in str(e.value)
            continue
        got = kokyaku.segment(log, {"r": case["rule"]}, as_of=as_of, **extras)[0]
        assert got["customer_ids"] == case["expected"], case["rule"]
        assert got["count"] == len(case["expected"])


def check_vector(v):
    """Runs one vector; raises (assertion or error) when it fails or cannot run."""
    if {"model", "params", "cases"} <= set(v):  # tests/fixtures/ltv: model parameters and cases
        from test_ltv import check_ltv_vector

        check_ltv_vector(v)
        return
    if v.get("function") == "segment" and "cases" in v:  # tests/fixtures/segment: rule cases
        check_segment_vector(v)
        return
    if not {"function", "input", "expected"} <= set(v):
        raise NotImplementedError(
            f"this harness cannot run a vector with keys {sorted(v)} (no function/input/expected)"
        )
    want_error = v["expected"].get("error") if isinstance(v["expected"], dict) else None
    try:
        got = run(v["function"], v["input"], v.get("params"))
    except kokyaku.KokyakuError as e:
        assert want_error, f"unexpected error {e.code}: {e}"
        assert e.code == want_error["code"], f"expected {want_error['code']}, got {e.code}: {e}"
        for s in want_error.get("message_contains", []):
            assert s in str(e), f"message lacks {s!r}: {e}"
        return
    assert not want_error, f"expected error {want_error}, got {got}"
    errors = []
    compare("", v["expected"], got, v.get("tolerance", 1e-12), errors)
    assert not errors, "\n".join(errors) + "\nresult: " + json.dumps(got)


def test_known_gaps_are_vectors():
    names = {f"{p.parent.name}/{p.name}" for p in VECTORS}
    assert set(GAPS) <= names, f"KNOWN_GAPS.json lists missing vectors: {set(GAPS) - names}"


@pytest.mark.parametrize("path", VECTORS, ids=[f"{p.parent.name}/{p.name}" for p in VECTORS])
def test_golden_vector(path):
    name = f"{path.parent.name}/{path.name}"
    v = load(path)
    if name in GAPS:
        try:
            check_vector(v)
        except Exception as e:  # noqa: BLE001 - any failure is the known gap
            pytest.xfail(f"known gap ({GAPS[name]}): {type(e).__name__}: {e}")
        pytest.fail(
            f"{name} is listed for python in tests/fixtures/KNOWN_GAPS.json but passes: remove it"
        )
    check_vector(v)
