#!/usr/bin/env bash
# Parity: the CDNOW order log through Rust (the CLI, `--format json`), Python, Node and WASM must
# give identical results — the same JSON, floats bit for bit.
#
#   report   : `kokyaku report --format json` vs `log.report(as_of)` in Python, Node and WASM
#   ltv      : CDNOW calibrated to 1997-09-30 (FHL 2005): the CLI's BG/NBD fit vs Python's,
#              and the calibration summary, fit, predictions (P(alive), expected purchases)
#              and holdout evaluation from Python, Node and WASM
#   overview : the per-customer table (summary, RFM, CPM), segment and class tables, repeat
#              metrics and ingestion counts, from Python, Node and WASM
#   customers: the customers table as a file, byte for byte: `kokyaku summary -o x.csv` vs
#              Python's `write_customers`, Node's `writeCustomers` / `customersCsv` and WASM's
#              `customersCsv` (and the Parquet file of the CLI vs Python's and Node's)
#
# Needs the built bindings (make test-python test-node test-wasm build them). PY: the venv python.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${KOKYAKU_CDNOW:-$root/../shared/data/cdnow/CDNOW_master.txt}
py=${PY:-python3}
out=$(mktemp -d "${TMPDIR:-/tmp}/kokyaku-parity.XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ ! -f "$data" ]; then
  echo "parity: $data not found (set KOKYAKU_CDNOW)" >&2
  exit 1
fi
# The scenario: CDNOW is whitespace-delimited with a header; analysed as of 1998-07-01.
export KOKYAKU_PARITY_DATA=$data KOKYAKU_PARITY_AS_OF=1998-07-01 KOKYAKU_PARITY_OUT=$out

cargo run --quiet -p kokyaku-cli -- report "$data" --delimiter whitespace --as-of 1998-07-01 \
  --format json --quiet > "$out/report-rust.json"
for ext in csv parquet; do
  cargo run --quiet -p kokyaku-cli -- summary "$data" --delimiter whitespace --as-of 1998-07-01 \
    --quiet -o "$out/customers-rust.$ext"
done
for model in bg-nbd; do
  cargo run --quiet -p kokyaku-cli -- ltv fit --model "$model" "$data" --delimiter whitespace \
    --calibration-end 1997-09-30 --format json > "$out/ltv-fit-$model-rust.json"
done
"$py" "$here/parity.py"
node "$here/parity.js"
"$py" "$here/compare.py" "$out"
