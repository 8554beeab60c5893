"""Fixtures: a fresh store per test, on SQLite and on PostgreSQL.

The PostgreSQL at ``PAVED_TEST_POSTGRES`` (default
``postgres://postgres@127.0.0.1:5432``) must be up: every test that uses
``store_url`` runs once per backend, each in its own database, created with
``psql`` and dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import paved

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_CATALOG = ROOT / "examples" / "catalog"
DATA = Path(__file__).resolve().parent / "data"
POSTGRES = os.environ.get("PAVED_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
PLUGINS = {"require-owner", "naming-convention", "cost-budget", "local-directory", "hostile", "postgres"}


def psql(sql: str, database: str = "postgres") -> str:
    """Run one statement with psql against the test server; fail loudly."""
    url = f"{POSTGRES}/{database}"
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    name = f"paved_py_{uuid.uuid4().hex[:12]}"
    psql(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URL: a SQLite file in a temporary folder, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'paved.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def wasm() -> Iterator[Path]:
    """The folder of the built example plugins (examples/plugins, built for
    wasm32-wasip2 into the shared target directory if any is missing)."""
    out = TARGET / "wasm32-wasip2" / "release"
    if not all((out / f"{n.replace('-', '_')}.wasm").exists() for n in PLUGINS):
        env = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")}
        subprocess.run(
            ["cargo", "build", "--target", "wasm32-wasip2", "--release", "--manifest-path",
             str(ROOT / "examples" / "plugins" / "Cargo.toml")],
            check=True, env={**env, "CARGO_TARGET_DIR": str(TARGET)},
        )
    yield out


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin cache shared by the session: each component is compiled once."""
    return tmp_path_factory.mktemp("plugin-cache")


@pytest.fixture
def platform(store_url: str) -> Iterator[paved.Platform]:
    """An open platform on a fresh store (closed afterwards)."""
    with paved.Platform.open(store_url) as p:
        yield p


@pytest.fixture
def loaded(platform: paved.Platform) -> paved.Platform:
    """A platform with the example catalogue imported."""
    platform.catalog.import_files(EXAMPLE_CATALOG)
    return platform


def component(name: str, owner: str = "team-payments", **spec: object) -> dict[str, object]:
    """A minimal valid Component document."""
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {"type": "service", "lifecycle": "production", "owner": owner, **spec},
    }
