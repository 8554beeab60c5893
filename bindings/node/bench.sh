#!/usr/bin/env bash
# Benchmarks of the Node package (release builds; the numbers go to BENCHMARKS.md):
#
#   1. overhead of a trivial call from Node vs the same call in Rust
#      (examples/call_overhead.rs vs bench/call-overhead.mjs, same process shape);
#   2. the portal's catalogue page of 100 entities with 100,000 entities in the
#      store: server time p50/p95 (examples/portal/bench/catalog-page.mjs).
#
# Usage: bindings/node/bench.sh [iterations=20000] [entities=100000]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ITER="${1:-20000}"
ENTITIES="${2:-100000}"
OUT="$CARGO_TARGET_DIR/node-release"

[ -d "$HERE/node_modules/@napi-rs/cli" ] || npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error
[ -d "$ROOT/examples/portal/node_modules/paved" ] || npm ci --prefix "$ROOT/examples/portal" --no-audit --no-fund --loglevel=error

echo "== release build of the addon and of the Rust baseline" >&2
node "$HERE/build.mjs" --release --out "$OUT" >&2
cargo build --release -p paved-node --example call_overhead >&2
export NAPI_RS_NATIVE_LIBRARY_PATH="$(ls "$OUT"/paved.*.node)"

echo "== 1. trivial call overhead ($ITER calls each)" >&2
rust="$("$CARGO_TARGET_DIR/release/examples/call_overhead" "$ITER")"
node="$(node "$HERE/bench/call-overhead.mjs" "$ITER")"
RUST="$rust" NODE="$node" node -e '
const r = JSON.parse(process.env.RUST), n = JSON.parse(process.env.NODE)
for (const k of ["storeDescription_ns", "get_ns"]) {
  console.log(`${k.replace("_ns", "")}: Rust ${r[k]} ns, Node ${n[k]} ns, overhead ${(n[k] - r[k]).toFixed(0)} ns per call (x${(n[k] / r[k]).toFixed(2)})`)
}'

echo "== 2. portal catalogue page, $ENTITIES entities" >&2
(cd "$ROOT/examples/portal" && node bench/catalog-page.mjs --entities "$ENTITIES")
