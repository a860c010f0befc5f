# One task runner for every language (see docs/development.md).
#
#   make test          everything CI runs: Rust, Python, Node, WASM (Node + headless Chromium), parity
#   make test-rust     cargo test --workspace, and the core stays free of FFI crates
#   make test-python   build the wheel (maturin, dev profile), pytest
#   make test-node     build the addon (napi-rs), node --test, type-check index.d.ts
#   make test-wasm     build wasm32 (ci/cargo-wasm), wasm-bindgen glue, node --test, Chromium smoke
#   make test-parity   the CDNOW log through the CLI, Python, Node and WASM: identical JSON
#   make fuzz          each fuzz target in fuzz/ for FUZZ_SECONDS (default 20), nightly + cargo-fuzz
#   make bench | lint | tools
#
# Every test target installs what it needs first (`tools` = ci/install-tools.sh: idempotent,
# cached under $(CACHE), a few seconds when warm), so `make test` is all a fresh machine needs.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

# KOKYAKU_CACHE (default ~/.cache) holds the tools, the venv, npm's cache and the wasm target dir.
CACHE ?= $(or $(KOKYAKU_CACHE),$(HOME)/.cache)
VENV ?= $(CACHE)/kokyaku-venv
TOOLS ?= $(CACHE)/kokyaku-tools
PY := $(VENV)/bin/python
WASM_BINDGEN := $(TOOLS)/bin/wasm-bindgen
export KOKYAKU_WASM_TARGET_DIR ?= $(CACHE)/kokyaku-target-wasm
export npm_config_cache ?= $(CACHE)/kokyaku-npm
# Where cargo puts host artefacts (.ci/run points it at $(CACHE)/kokyaku-target).
HOST_TARGET := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
WASM_FILE := $(KOKYAKU_WASM_TARGET_DIR)/wasm32-unknown-unknown/release/kokyaku_wasm.wasm
# The crates a pure core must never pull in (STYLE.md rule 1).
FFI_CRATES := pyo3|pyo3-ffi|napi|napi-sys|napi-derive|wasm-bindgen|js-sys|web-sys

.PHONY: test test-rust check-core-pure test-python test-node test-wasm test-parity bench lint tools
.PHONY: fuzz

test: tools test-rust test-python test-node test-wasm test-parity fuzz

tools:
	KOKYAKU_CACHE="$(CACHE)" KOKYAKU_VENV="$(VENV)" KOKYAKU_TOOLS="$(TOOLS)" bash ci/install-tools.sh

test-rust: check-core-pure
	cargo test --workspace

# `cargo tree -p kokyaku -e normal` must list no FFI crate, with every feature on (host target).
check-core-pure:
	@out=$$(cargo tree -p kokyaku -e normal --all-features --prefix none --format '{p}' | awk '{print $$1}' | sort -u); \
	bad=$$(grep -xE '$(FFI_CRATES)' <<<"$$out" || true); \
	if [ -n "$$bad" ]; then echo "core crate depends on FFI crates: $$bad" >&2; exit 1; fi; \
	echo "check-core-pure: crates/kokyaku has no FFI dependency"

test-python: tools
	@if [ ! -d bindings/python ]; then echo "test-python: no bindings/python yet"; exit 0; fi; \
	rm -rf "$(HOST_TARGET)/wheels"; \
	"$(VENV)/bin/maturin" build --quiet -m bindings/python/Cargo.toml -i "$(PY)" -o "$(HOST_TARGET)/wheels"; \
	"$(PY)" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$(HOST_TARGET)"/wheels/kokyaku-*.whl; \
	cd bindings/python && "$(PY)" -m pytest -q -p no:cacheprovider tests

test-node: tools
	@if [ ! -d bindings/node ]; then echo "test-node: no bindings/node yet"; exit 0; fi; \
	cd bindings/node; \
	cp index.d.ts "$${TMPDIR:-/tmp}/kokyaku-index.d.ts.committed"; \
	npx napi build --platform --dts-header "$$(cat types-header.d.ts)"; \
	if [ -n "$${CI:-}" ] && ! cmp -s index.d.ts "$${TMPDIR:-/tmp}/kokyaku-index.d.ts.committed"; then \
	  echo "bindings/node/index.d.ts is stale: run 'make test-node' and commit it" >&2; exit 1; fi; \
	RUST_BACKTRACE=0 node --test --test-reporter=dot test/*.test.js; \
	npx tsc -p test/tsconfig.json

test-wasm: tools
	@if [ ! -d bindings/wasm ]; then echo "test-wasm: no bindings/wasm yet"; exit 0; fi; \
	ci/cargo-wasm build --release -p kokyaku-wasm; \
	rm -rf bindings/wasm/pkg-node bindings/wasm/pkg-web; \
	"$(WASM_BINDGEN)" --target nodejs --out-dir bindings/wasm/pkg-node "$(WASM_FILE)"; \
	"$(WASM_BINDGEN)" --target web --out-dir bindings/wasm/pkg-web "$(WASM_FILE)"; \
	node --test --test-reporter=dot bindings/wasm/test/*.test.js; \
	node bindings/wasm/test/browser/smoke.mjs

test-parity: tools
	@if [ ! -f tests/parity/run.sh ]; then echo "test-parity: not set up yet"; exit 0; fi; \
	PY="$(PY)" bash tests/parity/run.sh

# Criterion benches, then the Python side-by-side (kokyaku vs Polars, same run, venv's Polars).
# benches/ltv_vs_lifetimes.py needs `lifetimes` in a venv of its own (see the script).
bench: tools
	cargo bench -p kokyaku-benches
	"$(PY)" benches/summary_vs_polars.py
	"$(PY)" benches/export_matrix.py

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# Every target listed in fuzz/Cargo.toml, in two steps:
#  1. regression: every committed seed (fuzz/seeds/<target>, which holds the input of each crash
#     fixed so far) is run once; a failure stops `make test`;
#  2. exploration: FUZZ_SECONDS of new inputs from the seeds plus a corpus kept in the cache. What
#     it finds is printed loudly and kept in fuzz/artifacts/<target>/ but does not fail the run
#     (a 20-second search finds different inputs on every run: a fatal step would make CI flaky);
#     fix it with a regression test and add the input to the seeds (docs/development.md).
#     FUZZ_STRICT=1 makes exploration findings fatal too.
FUZZ_SECONDS ?= 20
FUZZ_STRICT ?=
FUZZ_TARGET_DIR ?= $(CACHE)/kokyaku-target-fuzz
# Release with debug assertions and overflow checks; no sanitizer: the core forbids unsafe code,
# and AddressSanitizer would halve the executions and double the build on CI's 2 cores.
FUZZ_FLAGS ?= -O -a -s none
fuzz: tools
	@cd fuzz; export PATH="$(TOOLS)/bin:$$PATH"; \
	targets=$$(cargo +nightly fuzz list); \
	cargo +nightly fuzz build $(FUZZ_FLAGS) --target-dir "$(FUZZ_TARGET_DIR)"; \
	for t in $$targets; do \
	  mkdir -p "$(CACHE)/kokyaku-fuzz-corpus/$$t" "seeds/$$t" "artifacts/$$t"; \
	  log="$(CACHE)/kokyaku-fuzz-$$t.log"; \
	  echo "fuzz: $$t: the committed seeds once"; \
	  if ! cargo +nightly fuzz run $(FUZZ_FLAGS) --target-dir "$(FUZZ_TARGET_DIR)" "$$t" \
	      "seeds/$$t" -- -runs=0 -rss_limit_mb=2048 -timeout=10 >"$$log" 2>&1; then \
	    tail -n 60 "$$log"; echo "fuzz: $$t failed on a committed seed: input in fuzz/artifacts/$$t/" >&2; exit 1; \
	  fi; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  if ! cargo +nightly fuzz run $(FUZZ_FLAGS) --target-dir "$(FUZZ_TARGET_DIR)" "$$t" \
	      "$(CACHE)/kokyaku-fuzz-corpus/$$t" "seeds/$$t" -- \
	      -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 >"$$log" 2>&1; then \
	    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$$log" | head -n 8; \
	    echo "fuzz: WARNING: $$t found a new failing input (kept in fuzz/artifacts/$$t/, log $$log): fix it with a regression test and add it to fuzz/seeds/$$t" >&2; \
	    if [ -n "$(FUZZ_STRICT)" ]; then exit 1; fi; \
	  else \
	    grep -E '^Done [0-9]+ runs' "$$log" || tail -n 3 "$$log"; \
	  fi; \
	done
