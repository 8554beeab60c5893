#!/usr/bin/env bash
# Tests of the Python package, from nothing: builds the wheel, installs it into
# a fresh virtual environment, and runs pytest (SQLite and the PostgreSQL at
# 127.0.0.1:5432), mypy --strict on the examples, and the examples themselves.
# Idempotent; exits non-zero on any failure.
#
#   bindings/python/test.sh
#
# Environment:
#   CARGO_TARGET_DIR       shared target dir (default: <repo>/target); the
#                          virtual environments and wheels go under it too
#   PAVED_PY_BUILD         cargo (default: `cargo build --workspace --all-targets`, in the
#                          shared target dir) or maturin
#   PAVED_PY_PROFILE       cargo profile with PAVED_PY_BUILD=maturin (default dev)
#   PAVED_TEST_POSTGRES    server URL without database
#                          (default: postgres://postgres@127.0.0.1:5432)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
profile="${PAVED_PY_PROFILE:-dev}"
postgres="${PAVED_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
export PAVED_TEST_POSTGRES="$postgres"

step() { printf '\n== python: %s\n' "$*" >&2; }

# --- tools: a venv with maturin, pytest and mypy (kept between runs) ----------
tools="$CARGO_TARGET_DIR/python/tools-venv"
if [ ! -x "$tools/bin/python" ]; then
  step "creating $tools"
  python3 -m venv "$tools"
fi
if ! "$tools/bin/python" -c 'import maturin, pytest, mypy' 2>/dev/null; then
  step "installing maturin, pytest, mypy"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.9,<2" "pytest>=8" "mypy>=1.10"
fi

# --- the wheel ----------------------------------------------------------------
# By default the extension is compiled by `cargo build --workspace
# --all-targets` in the shared target dir: the whole workspace, so cargo
# resolves every dependency's features as `cargo test --workspace` does and
# reuses what it compiled (`-p paved-python` alone resolves log, tokio,
# rustix, serde_json… with other features, and so compiles wasmtime and most
# of the tree a second time). wheel.py then packages it. PAVED_PY_BUILD=maturin
# builds with maturin instead.
wheels="$CARGO_TARGET_DIR/python/wheels"
rm -f "$wheels"/paved-*.whl
if [ "${PAVED_PY_BUILD:-cargo}" = maturin ]; then
  step "maturin build --profile $profile"
  "$tools/bin/maturin" build --quiet --locked --profile "$profile" --strip \
    --manifest-path "$here/Cargo.toml" --out "$wheels"
else
  [ "$profile" = dev ] || { echo "PAVED_PY_PROFILE=$profile needs PAVED_PY_BUILD=maturin" >&2; exit 2; }
  step "cargo build --workspace --all-targets (the extension), then wheel.py"
  (cd "$root" && PYO3_BUILD_EXTENSION_MODULE=1 cargo build --quiet --locked --workspace --all-targets)
  "$tools/bin/python" "$here/wheel.py" --lib "$CARGO_TARGET_DIR/debug/lib_native.so" --out "$wheels" >/dev/null
fi
wheel="$(ls "$wheels"/paved-*.whl)"
echo "built $wheel" >&2

# pytest and mypy run where the tools are, with the wheel installed there too.
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
  --force-reinstall --no-deps "$wheel"

# A fresh environment with nothing but the wheel (no index: no dependencies)
# runs the examples: `import paved` needs nothing else.
clean="$CARGO_TARGET_DIR/python/clean-venv"
step "installing the wheel into a fresh venv ($clean)"
rm -rf "$clean"
python3 -m venv --without-pip "$clean"
"$tools/bin/python" -m pip --python "$clean/bin/python" install --quiet \
  --disable-pip-version-check --no-index "$wheel"
"$clean/bin/python" -c 'import paved; print("paved", paved.__version__, "imports alone")'

# --- the example plugins (the pytest suite and the quick start load them) -------
step "example plugins for wasm32-wasip2"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS cargo build --quiet --locked --target wasm32-wasip2 \
  --release --manifest-path "$root/examples/plugins/Cargo.toml"

# --- the generated stub of paved._native ---------------------------------------
step "stubgen.py --check (python/paved/_native.pyi matches the built module)"
"$tools/bin/python" "$here/stubgen.py" --check

# --- pytest -------------------------------------------------------------------
step "pytest (SQLite and PostgreSQL)"
(cd "$here" && "$tools/bin/python" -m pytest -q -p no:cacheprovider tests)

# --- mypy ---------------------------------------------------------------------
step "mypy --strict python/paved examples/python"
"$tools/bin/mypy" --strict --no-incremental --cache-dir=/dev/null "$here/python/paved"
"$tools/bin/mypy" --strict --no-incremental --cache-dir=/dev/null "$root/examples/python"

# --- the examples ---------------------------------------------------------------
py="$clean/bin/python"
ex="$root/examples/python"
work="$(mktemp -d)"
db="paved_py_examples_$$"
cleanup() {
  rm -rf "$work"
  psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "example: quickstart.py (the README's quick start)"
(cd "$root" && "$py" examples/python/quickstart.py) | tee "$work/quickstart.log"
grep -q 'says allow for component:default/checkout-service' "$work/quickstart.log"
grep -q "metadata.name: Component name 'Checkout_Service' does not match" "$work/quickstart.log"

step "example: catalog_gate.py"
"$py" "$ex/catalog_gate.py" "$root/examples/catalog"
if "$py" "$ex/catalog_gate.py" "$here/tests/data/broken" >"$work/gate.log"; then
  cat "$work/gate.log"; echo "catalog_gate.py passed a broken catalogue" >&2; exit 1
fi
cat "$work/gate.log"
grep -q 'services.yaml:14:3: error: metadata.name' "$work/gate.log"

step "example: onboard_teams.py"
(cd "$work" && "$py" "$ex/onboard_teams.py" "$ex/teams.csv" --store sqlite:teams.db) | tee "$work/onboard.log"
grep -q '^3 rows: 12 created' "$work/onboard.log"
(cd "$work" && "$py" "$ex/onboard_teams.py" "$ex/teams.csv" --store sqlite:teams.db) | tee "$work/onboard.log"
grep -q '^3 rows: 0 created, 0 updated, 12 unchanged' "$work/onboard.log"
if (cd "$work" && "$py" "$ex/onboard_teams.py" "$here/tests/data/teams_bad.csv" --store sqlite:teams.db) >"$work/bad.log"; then
  cat "$work/bad.log"; echo "onboard_teams.py accepted an invalid row" >&2; exit 1
fi
cat "$work/bad.log"
grep -q 'refused, nothing written' "$work/bad.log"

step "example: watch_events.py sees another process's changes (PostgreSQL)"
psql "$postgres/postgres" -qc "CREATE DATABASE $db" >/dev/null
PYTHONFAULTHANDLER=1 RUST_BACKTRACE=1 "$py" "$ex/watch_events.py" --store "$postgres/$db" --count 12 --idle 60 >"$work/watch.log" 2>&1 &
watcher=$!
for _ in $(seq 1 300); do
  grep -q '^watching' "$work/watch.log" && break
  kill -0 "$watcher" 2>/dev/null || break
  sleep 0.1
done
"$py" "$ex/onboard_teams.py" "$ex/teams.csv" --store "$postgres/$db" >/dev/null
if ! wait "$watcher"; then
  cat "$work/watch.log"; echo "watch_events.py failed" >&2; exit 1
fi
cat "$work/watch.log"
[ "$(grep -c '(another process)' "$work/watch.log")" -eq 12 ]

step "all Python checks passed"
