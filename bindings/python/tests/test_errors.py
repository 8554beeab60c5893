"""The exception hierarchy: one class per engine error, structured attributes, causes kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, component

import paved


def test_every_error_class_is_a_paved_error() -> None:
    classes = [
        paved.ValidationError,
        paved.NotFoundError,
        paved.ConflictError,
        paved.StoreError,
        paved.IoError,
        paved.PluginError,
        paved.LaggedError,
        paved.LockedError,
    ]
    for cls in classes:
        assert issubclass(cls, paved.PavedError), cls
        assert cls.__module__ == "paved"
        assert cls.__doc__
    assert issubclass(paved.PavedError, Exception)
    assert not issubclass(paved.PavedError, RuntimeError)


def test_validation_error_lists_every_problem(platform: paved.Platform) -> None:
    with pytest.raises(paved.ValidationError) as info:
        platform.catalog.import_files(DATA / "broken", mode="all-or-nothing")
    errors = info.value.errors
    assert len(errors) == 3
    assert all(isinstance(d, paved.Diagnostic) for d in errors)
    where = {(Path(d.file or "").name, d.line, d.path) for d in errors}
    assert {("services.yaml", 14, "metadata.name"), ("services.yaml", 15, "spec.owner")} < where
    assert any(f == "syntax.yaml" and line == 5 for f, line, _ in where)
    # The message is the summary a person reads; no parsing needed.
    assert "3 problems" in str(info.value)


def test_not_found_error(platform: paved.Platform) -> None:
    with pytest.raises(paved.NotFoundError) as info:
        platform.catalog.get("component:default/nothing")
    assert info.value.code == "NOT_FOUND" and info.value.details["what"] == "entity"
    assert info.value.details["id"] == "component:default/nothing"


def test_conflict_error_has_expected_and_found(platform: paved.Platform) -> None:
    created = platform.catalog.upsert(component("orders"))
    etag = created.changes[0].etag
    with pytest.raises(paved.ConflictError) as info:
        platform.catalog.upsert(component("orders", owner="team-logistics"), etag="0" * 32)
    assert info.value.code == "CONFLICT" and info.value.details["expected"] == "0" * 32
    assert info.value.details["found"] == etag
    assert info.value.details["entity"] == "component:default/orders"
    with pytest.raises(paved.ConflictError) as missing:
        platform.catalog.upsert(component("billing"), etag="abc")
    assert missing.value.details["found"] is None


def test_store_error_keeps_the_driver_cause_chain() -> None:
    with pytest.raises(paved.StoreError) as info:
        paved.Platform.open("postgres://postgres@127.0.0.1:1/nowhere")
    chain = []
    cause: BaseException | None = info.value.__cause__
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__
    assert chain, "the driver's error is kept as __cause__"
    assert any(isinstance(c, ConnectionRefusedError) for c in chain), chain


def test_bad_store_url_is_a_validation_error() -> None:
    with pytest.raises(paved.ValidationError) as info:
        paved.Platform.open("mysql://localhost/x")
    assert info.value.errors[0].path == "store"


def test_file_error() -> None:
    with pytest.raises(paved.IoError) as info:
        paved.Platform.open(config=DATA / "missing.yaml")
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_wrong_argument_types_are_type_errors(platform: paved.Platform) -> None:
    with pytest.raises(TypeError):
        platform.catalog.get(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="store"):
        paved.Platform.open(3.5)  # type: ignore[arg-type]
