"""Opening platforms: default store, SQLite paths, PostgreSQL, config files; closing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE_CATALOG, component

import paved


def test_default_store_is_a_sqlite_file_under_dot_paved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with paved.Platform.open() as p:
        assert p.store == "sqlite:.paved/paved.db"
        p.catalog.upsert(component("orders"))
    assert (tmp_path / ".paved" / "paved.db").is_file()
    # A second open sees what the first wrote.
    with paved.Platform.open() as again:
        assert again.catalog.get("component:default/orders").name == "orders"


def test_a_pathlike_is_a_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "catalogue.db"
    with paved.Platform.open(db) as p:
        p.catalog.upsert(component("orders"))
        assert p.store.startswith("sqlite:") and p.store.endswith("catalogue.db")
    assert db.is_file()


def test_postgres_url(postgres_url: str) -> None:
    with paved.Platform.open(postgres_url) as p:
        assert p.store.startswith("postgres://")
        assert p.catalog.import_files(EXAMPLE_CATALOG).count("created") > 40


def test_config_file_gives_store_and_kinds(tmp_path: Path) -> None:
    config = DATA / "kinds" / "paved.yaml"
    slo = DATA / "kinds" / "slo.yaml"
    with paved.Platform.open(config=config) as p:
        assert p.store == "sqlite::memory:"
        p.catalog.import_files(slo)
        assert p.catalog.get("servicelevel:default/checkout-availability").spec["objective"] == 99.9
    # `store` overrides the file's store; the kinds still apply.
    with paved.Platform.open(tmp_path / "x.db", config=config) as p:
        assert p.store.endswith("x.db")
        assert p.catalog.validate(slo).ok


def test_context_manager_closes(tmp_path: Path) -> None:
    with paved.Platform.open(tmp_path / "p.db") as p:
        assert not p.closed
        catalog = p.catalog
    assert p.closed and repr(p) == "<Platform closed>"
    with pytest.raises(paved.PavedError, match="closed"):
        p.catalog  # noqa: B018
    with pytest.raises(paved.PavedError, match="closed"):
        p.subscribe()
    p.close()  # idempotent
    # Handles taken before closing keep working until they are dropped.
    assert catalog.query().total == 0


def test_exceptions_propagate_out_of_with(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        with paved.Platform.open(tmp_path / "p.db") as p:
            raise KeyError("boom")
    assert p.closed


def test_sync_and_async_handles_share_one_engine(tmp_path: Path) -> None:
    with paved.Platform.open(tmp_path / "p.db") as p:
        ap = p.to_async()
        assert ap.origin == p.origin and ap.store == p.store
        back = paved.Platform(ap)
        back.catalog.upsert(component("orders"))
        assert p.catalog.get("component:default/orders").name == "orders"


def test_origin_differs_per_open(tmp_path: Path) -> None:
    with paved.Platform.open(tmp_path / "p.db") as a, paved.Platform.open(tmp_path / "p.db") as b:
        assert a.origin != b.origin


def test_fresh_paths_are_created_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with paved.Platform.open("sqlite:rel.db"):
        pass
    assert os.path.isfile(tmp_path / "rel.db")
