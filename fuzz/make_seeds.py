"""Writes the fuzz seed corpus from the ingestion golden vectors (tests/fixtures/ingest).

    python3 fuzz/make_seeds.py        # needs pyarrow (the dev venv has it)

seeds/csv and seeds/jsonl hold each vector's input text; seeds/parquet holds the same logs as
Parquet files (typed columns as pyarrow infers them, and again with every column as text), so
the Parquet target starts from valid files. The output is committed: rerun after adding an
ingest vector.
"""

import io
import json
import pathlib

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

root = pathlib.Path(__file__).resolve().parent
fixtures = root.parent / "tests" / "fixtures" / "ingest"
out = {k: root / "seeds" / k for k in ("csv", "jsonl", "parquet")}
for d in out.values():
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        f.unlink()


def parquet_seeds(stem: str, table: pa.Table) -> None:
    for name, t in (("typed", table), ("text", table.cast(pa.schema([(f.name, pa.string()) for f in table.schema])))):
        buf = io.BytesIO()
        pq.write_table(t, buf, compression="none")
        (out["parquet"] / f"{stem}_{name}.parquet").write_bytes(buf.getvalue())


for path in sorted(fixtures.glob("*.json")):
    vector = json.loads(path.read_text())
    inp = vector["input"]
    if "csv" in inp:
        text = inp["csv"]
        (out["csv"] / f"{path.stem}.csv").write_text(text)
        if inp.get("options", {}).get("delimiter", ",") == ",":
            skip = lambda row: "skip"  # noqa: E731 - malformed rows are the CSV target's job
            table = pacsv.read_csv(
                io.BytesIO(text.encode()), parse_options=pacsv.ParseOptions(invalid_row_handler=skip)
            )
            parquet_seeds(path.stem, table)
    if "jsonl" in inp:
        text = inp["jsonl"]
        (out["jsonl"] / f"{path.stem}.jsonl").write_text(text)
        lines = [l for l in text.splitlines() if l.strip()]
        good = []
        for l in lines:
            try:
                obj = json.loads(l)
            except ValueError:
                continue
            if isinstance(obj, dict) and not any(isinstance(v, (dict, list)) for v in obj.values()):
                good.append(json.dumps(obj))
        if good:
            try:
                parquet_seeds(path.stem, pajson.read_json(io.BytesIO("\n".join(good).encode())))
            except pa.ArrowInvalid:
                pass


def repeated_dictionary_seed() -> None:
    """A categorical customer column in three row groups, each carrying the whole dictionary
    (what pyarrow writes for a dictionary array): the reader of `io/parquet_dict.rs` decodes it
    once. Nulls, an unused value and a padded id; small pages, so mutations meet every part."""
    ids = pa.array([f"c-{k:02d}" for k in range(12)] + ["  c-03 ", "unused"])
    keys = pa.array([None if k % 7 == 3 else (k * 5) % 13 for k in range(36)], pa.int32())
    t = pa.table({
        "customer_id": pa.DictionaryArray.from_arrays(keys, ids),
        "order_id": pa.array([f"A{k}" for k in range(36)]),
        "ordered_at": pa.array([1_700_000_000 + k * 86_400 for k in range(36)], pa.timestamp("s")),
        "amount": pa.array([float(100 + k) for k in range(36)]),
    })
    pq.write_table(t, out["parquet"] / "repeated_dictionary.parquet", row_group_size=12,
                   data_page_size=64, compression="none")


repeated_dictionary_seed()
