#!/usr/bin/env bash
# Build the Extism comparison: the naming-convention rule as an Extism plugin
# (wasm32-unknown-unknown) and the runner that times it (see README.md).
#
#   benches/extism/build.sh   ->  stdout: WASM=<path> and RUNNER=<path>
#
# Cargo's output goes to stderr. Builds into "${CARGO_TARGET_DIR:-<repo>/target}/extism",
# a directory of its own, so it never waits on the main build's lock.
# Quick (under a second) when everything is built.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="$(realpath -m "${CARGO_TARGET_DIR:-$repo/target}/extism")"
cargo="${CARGO:-cargo}"

# Idempotent (quick when installed). Only with rustup: a toolchain without it
# must already have the target.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-unknown-unknown >&2
fi

# Host flags (e.g. -C target-cpu=native) must not reach the wasm build.
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR="$target" \
    "$cargo" build --release --locked --target wasm32-unknown-unknown \
    --manifest-path "$here/plugin/Cargo.toml" >&2

# wasmtime 49 declares rust-version 1.96 while the project's toolchain is
# 1.95; it builds and runs on 1.95 (checked), so the check is skipped
# (harmless on 1.96 and later).
CARGO_TARGET_DIR="$target" \
    "$cargo" build --release --locked --ignore-rust-version \
    --manifest-path "$here/runner/Cargo.toml" >&2

echo "WASM=$target/wasm32-unknown-unknown/release/naming_convention_extism.wasm"
echo "RUNNER=$target/release/paved-extism-bench"
