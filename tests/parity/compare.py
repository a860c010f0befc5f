"""Compares the parity outputs: every language's JSON must be identical to the reference.

Parsed JSON is compared exactly (Python floats round-trip, so equal floats are equal bit for bit),
after a sanity check that the CDNOW headline numbers are the published ones.
"""

import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])


def load(name):
    return json.loads((out / name).read_text(encoding="utf-8"))


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def first_difference(a, b, path="", rel=0.0):
    if is_number(a) and is_number(b):
        # JavaScript has one number type: it writes 19684 where Python writes 19684.0. Compare the
        # values as f64, bit for bit (or within `rel` where a known gap allows it).
        x, y = float(a), float(b)
        if x.hex() == y.hex() or (rel and abs(x - y) <= rel * max(abs(x), abs(y))):
            return None
        return f"{path}: {a!r} vs {b!r}"
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present in only one"
            d = first_difference(a[k], b[k], f"{path}.{k}", rel)
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]", rel)
            if d:
                return d
    elif a != b or (isinstance(a, float) and a.hex() != b.hex()):
        return f"{path}: {a!r} vs {b!r}"
    return None


failures = []
for what, reference, others in (
    ("report", "rust", ("python", "node", "wasm")),
    ("overview", "python", ("node", "wasm")),
    ("ltv", "python", ("node", "wasm")),
):
    ref = load(f"{what}-{reference}.json")
    for lang in others:
        # Known gap: WASM's exp / ln / lgamma (Rust's libm) differ from glibc's in the last bits,
        # so LTV numbers agree to ~1e-11 relative (seen: 7e-12 on a small E[Y]), not bit for bit.
        rel = 1e-9 if (what, lang) == ("ltv", "wasm") else 0.0
        d = first_difference(ref, load(f"{what}-{lang}.json"), rel=rel)
        if d:
            failures.append(f"{what}: {lang} differs from {reference} at {d}")

# The customers table as a file: the CLI's bytes (`kokyaku summary -o customers.csv|.parquet`)
# from every binding that writes it.
for ext, langs in (("csv", ("python", "node", "node-text", "wasm-text")), ("parquet", ("python", "node"))):
    ref = (out / f"customers-rust.{ext}").read_bytes()
    for lang in langs:
        got = (out / f"customers-{lang}.{ext}").read_bytes()
        if got != ref:
            failures.append(f"customers.{ext}: {lang} ({len(got)} bytes) differs from the CLI's ({len(ref)} bytes)")
if (out / "customers-rust.csv").read_text(encoding="utf-8").count("\n") != 23570 + 1:
    failures.append("customers.csv: expected 23,570 customers and a header")

report = load("report-rust.json")
ing = report["ingestion"]
checks = {
    "rows_read": (ing["rows_read"], 69659),
    "rows_rejected": (ing["rows_rejected"], 0),
    "customers": (report["totals"]["customers"], 23570),
    "repeat_rate.by_orders": (round(report["repeat"]["repeat_rate"]["by_orders"]["rate"], 4), 0.4948),
    "f2.by_orders": (round(report["repeat"]["f2"]["by_orders"]["rate"], 4), 0.3003),
    "f2.by_days": (round(report["repeat"]["f2"]["by_days"]["rate"], 4), 0.2922),
}
for name, (got, want) in checks.items():
    if got != want:
        failures.append(f"CDNOW {name}: {got}, expected {want}")

# The CLI's fits of the same calibration summary (`kokyaku ltv fit --format json`): parameters,
# standard errors and log-likelihood bit for bit.
ltv = load("ltv-python.json")
for model, key in (("bg-nbd", "fit"),):
    cli = load(f"ltv-fit-{model}-rust.json")
    for k in ("params", "std_errors", "log_likelihood", "n_customers", "iterations"):
        d = first_difference(cli[k], ltv[key][k], f"{model}.{k}")
        if d:
            failures.append(f"ltv: python {key} differs from the CLI at {d}")
if ltv["fit"]["n_customers"] != 23570 or not ltv["fit"]["converged"]:
    failures.append(f"CDNOW BG/NBD from the log: {ltv['fit']}, expected 23,570 customers, converged")

if failures:
    print("parity FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
overview = load("overview-python.json")
print(
    f"parity ok: CDNOW report identical in Rust CLI, Python, Node, WASM; "
    f"{len(overview['customers'])} customer rows identical in Python, Node, WASM; "
    f"the customers table as CSV and Parquet byte for byte as the CLI writes it; "
    f"LTV fit identical to the CLI's and {len(ltv['predict']['p_alive'])} LTV predictions identical in Python and Node "
    f"(WASM within 1e-9 relative: its libm differs)"
)
