#!/usr/bin/env bash
# Builds and tests the Node package `paved` and the portal, idempotently:
#
#   1. Debian's Chromium (for the browser tests) and npm dependencies, if missing;
#   2. the addon, dev profile, in the shared target dir (build.mjs with
#      `cargo build --workspace --all-targets`); index.d.ts and native.js are generated into a
#      temporary directory and compared with the committed ones (drift fails
#      the run);
#   3. the TypeScript declarations type-check, with an example that uses them;
#   4. node:test suites in bindings/node/__test__ (SQLite, and PostgreSQL at
#      127.0.0.1:5432 with a database of their own, dropped after; plugins
#      built from examples/plugins);
#   5. the portal's browser tests (examples/portal/test): screenshots in
#      $CARGO_TARGET_DIR/portal-screenshots.
#
# Exit status non-zero on any failure. Usage: bindings/node/test.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORTAL="$ROOT/examples/portal"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==== node: %s\n' "$*" >&2; }

step "system packages"
need_apt=()
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v psql >/dev/null || need_apt+=(postgresql-client)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  echo "apt-get install ${need_apt[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
npm_deps() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "npm ci in ${dir#"$ROOT"/}" >&2
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

step "npm dependencies"
npm_deps "$HERE"

step "build the addon (dev profile) and check generated files for drift"
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
# The whole workspace, as `cargo test --workspace` built it: cargo then
# resolves every dependency's features alike and reuses what it compiled
# (`-p paved-node`, build.mjs's default, resolves log, tokio, rustix,
# serde_json… with other features, and so compiles wasmtime and most of the
# tree a second time).
node "$HERE/build.mjs" --out "$gen" -- build --workspace --all-targets --locked
drift=0
for f in index.d.ts native.js; do
  if ! diff -u "$HERE/$f" "$gen/$f" >"$gen/$f.diff"; then
    echo "error: bindings/node/$f is out of date with the Rust source (diff below)." >&2
    echo "       Regenerate it: (cd bindings/node && node build.mjs)" >&2
    cat "$gen/$f.diff" >&2
    drift=1
  fi
done
[ "$drift" = 0 ] || exit 1
cp "$gen"/paved.*.node "$HERE/"

step "example plugins (wasm32-wasip2, for the plugin tests)"
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo build --target wasm32-wasip2 --release --manifest-path "$ROOT/examples/plugins/Cargo.toml"

step "type-check index.d.ts"
(cd "$HERE" && npx tsc -p __test__/tsconfig.json)

step "portal dependencies"
npm_deps "$PORTAL"

step "node:test (SQLite and PostgreSQL)"
"$ROOT/scripts/ensure-postgres"
(cd "$HERE" && node --test --test-concurrency=1 __test__/*.test.mjs)

step "portal browser tests (Chromium headless)"
(cd "$PORTAL" && node --test --test-concurrency=1 test/*.test.mjs)
echo "screenshots: $CARGO_TARGET_DIR/portal-screenshots" >&2
