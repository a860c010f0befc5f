#!/usr/bin/env bash
# Installs every tool `make test` needs on a fresh Debian 12 machine (see ../shared/TOOLCHAIN.md).
# Idempotent: each step checks what is present first, so a warm run takes a few seconds.
#
#   apt:   rustc-web cargo-web rust-web-src rust-web-llvm lld-22 (wasm32 std via -Zbuild-std), chromium,
#          openjdk-17-jre-headless (Spark local mode for bindings/python/tests/test_spark.py)
#   cargo: wasm-bindgen-cli, exactly the version pinned for the wasm-bindgen crate, and
#          cargo-fuzz (pinned), into $KOKYAKU_CACHE/kokyaku-tools
#   pip:   ci/requirements-dev.txt into the venv $KOKYAKU_CACHE/kokyaku-venv
#   npm:   bindings/node and bindings/wasm devDependencies (npm cache $KOKYAKU_CACHE/kokyaku-npm)
#
# KOKYAKU_CACHE defaults to $HOME/.cache; the Makefile and .ci/run read the same variable.
#
# Never calls rustup: `rustup target add` cannot download here and hangs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${KOKYAKU_CACHE:-$HOME/.cache}
tools=${KOKYAKU_TOOLS:-$cache/kokyaku-tools}
venv=${KOKYAKU_VENV:-$cache/kokyaku-venv}
export npm_config_cache=${npm_config_cache:-$cache/kokyaku-npm}
log() { printf '[install-tools] %s\n' "$*" >&2; }

# --- apt ------------------------------------------------------------------------------------------
apt_pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 chromium openjdk-17-jre-headless)
missing=()
for p in "${apt_pkgs[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "apt: installing ${missing[*]}"
  $sudo apt-get update -qq
  # One command for all, so rustc-web and rust-web-src stay in step; lld-22 must be named
  # (rust-web-llvm's /usr/bin/rust-lld points at it but does not depend on it); no recommends, or
  # chromium pulls ~90 more packages.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${apt_pkgs[@]}" >/dev/null
else
  log "apt: all present"
fi

# --- wasm-bindgen-cli -----------------------------------------------------------------------------
# The CLI must match the wasm-bindgen crate exactly: read the `=` pin in bindings/wasm/Cargo.toml
# (Cargo.lock then holds the same version).
wb_version=$(sed -nE 's/^wasm-bindgen = "=([0-9.]+)".*/\1/p' bindings/wasm/Cargo.toml 2>/dev/null || true)
if [ -z "$wb_version" ]; then
  log "wasm-bindgen-cli: no wasm-bindgen in Cargo.lock, skipped"
elif [ -x "$tools/bin/wasm-bindgen" ] && [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null)" = "wasm-bindgen $wb_version" ]; then
  log "wasm-bindgen-cli: $wb_version present"
else
  log "wasm-bindgen-cli: installing $wb_version (about 2 min cold)"
  # No --locked: the CLI's published lockfile pins a dependency release this registry lacks.
  # --no-default-features drops the HTTP/TLS stack (only the test runner's driver download uses it).
  cargo install wasm-bindgen-cli --version "=$wb_version" --no-default-features --bin wasm-bindgen \
    --root "$tools" --quiet
fi

# --- cargo-fuzz -----------------------------------------------------------------------------------
# `make test` runs the fuzz targets in fuzz/ for a few seconds each (see docs/development.md). The
# targets build with rustup's nightly toolchain (already on these machines: never installed here).
# Exact pin: the version `make fuzz` was written against (its CLI flags are stable since 0.11).
cf_version=0.13.2
if [ -x "$tools/bin/cargo-fuzz" ] && [ "$("$tools/bin/cargo-fuzz" --version 2>/dev/null)" = "cargo-fuzz $cf_version" ]; then
  log "cargo-fuzz: $cf_version present"
else
  log "cargo-fuzz: installing $cf_version (about 1 min cold)"
  cargo install cargo-fuzz --version "=$cf_version" --root "$tools" --quiet --locked
fi

# --- Python venv ----------------------------------------------------------------------------------
req=ci/requirements-dev.txt
req_hash=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$venv/.kokyaku-req" ] && [ "$(cat "$venv/.kokyaku-req")" = "$req_hash" ] && [ -x "$venv/bin/python" ]; then
  log "venv: up to date ($venv)"
else
  log "venv: installing $req into $venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$req_hash" > "$venv/.kokyaku-req"
fi

# --- npm ------------------------------------------------------------------------------------------
# `npm install`, not `npm ci`: the registry here lacks some per-platform optional packages of
# @napi-rs/cli, so the lockfile omits them and `npm ci` rejects it. With the committed lockfile,
# `npm install` leaves it unchanged. Skipped when node_modules was installed from these manifests.
for dir in bindings/node bindings/wasm; do
  [ -f "$dir/package.json" ] || continue
  want=$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  stamp="$dir/node_modules/.kokyaku-stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "npm: $dir up to date"
  else
    log "npm: installing $dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1 > "$stamp"
  fi
done
log "done"
