"""Writes the repeated-dictionary Parquet fixtures (run once; the files are committed).

pyarrow writes an Arrow dictionary column (a pandas `category`) with the whole dictionary in
every row group; `src/io/parquet_dict.rs` decodes such a dictionary once. Three row groups of
30 rows: the first two from one dictionary, the third from another (other values, another
order); the dictionaries have values no row uses, a padded id (the same customer as another
once trimmed), and some rows are null. One file with data pages v1, one with v2.

    python make_repeated_dictionary.py   # pyarrow 15 or later
"""

import pyarrow as pa
import pyarrow.parquet as pq

ids_a = [f"cust-{(k * 7) % 25:02d}" for k in range(25)]
ids_a[3] = "  cust-04 "  # "cust-04" once trimmed (also ids_a[...] below)
ids_b = [f"cust-{(k * 11) % 30:02d}" for k in range(30)]


def chunk(ids, rows, seed):
    keys = [None if k % 11 == 5 else (k * seed) % (len(ids) - 4) for k in range(rows)]
    return pa.DictionaryArray.from_arrays(pa.array(keys, pa.int32()), pa.array(ids))


N = 90
cust = pa.chunked_array([chunk(ids_a, 60, 13), chunk(ids_b, 30, 7)])
table = {
    "customer_id": cust,
    "order_id": pa.array([1000 + k for k in range(N)], pa.int64()),
    "ts": pa.array([1_700_000_000_000 + k * 3_600_000 * 7 for k in range(N)], pa.timestamp("ms")),
    "amount": pa.array([round(10 + (k * 37 % 50) / 4, 2) for k in range(N)], pa.float64()),
}
for name, version in [
    ("parquet_repeated_dictionary.parquet", "1.0"),
    ("parquet_repeated_dictionary_v2.parquet", "2.0"),
]:
    pq.write_table(pa.table(table), name, row_group_size=30, data_page_version=version)
