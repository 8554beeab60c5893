"""Every operation of the facade (`paved._native.surface()`, the table
`paved::surface::OPERATIONS`) exists in Python under the name its row gives,
on the blocking and on the asyncio API; write rows take `actor`, and every
option a row lists a default for (`actor`, `dry_run`, `parallelism`,
`reveal`, `mode`) is keyword-only and passes "not given" through (None /
False), so core applies the default."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import paved
from paved import _native

ROWS: list[dict[str, Any]] = _native.surface()


@pytest.fixture(scope="module")
def platform() -> Iterator[paved.Platform]:
    with paved.Platform.open("sqlite::memory:") as p:
        yield p


def resolve(root: Any, path: str) -> Any:
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def lookup(path: str, platform: Any, module: Any) -> Any:
    """A row's attribute path: from the module when its first part is there
    (`validate`, `Platform.open`, `PavedError.code`), else from a platform."""
    head = path.split(".")[0]
    if head == "PavedError":
        # `.code` is set on every raised error; check one.
        try:
            paved.Platform.open("sqlite::memory:").catalog.get("component:default/none")
        except paved.PavedError as e:
            return resolve(e, path.split(".", 1)[1])
        raise AssertionError("get of a missing entity did not raise")
    if hasattr(module, head):
        return resolve(module, path)
    return resolve(platform, path)


def test_the_table_is_not_empty() -> None:
    assert len(ROWS) > 20
    assert {r["name"] for r in ROWS} >= {"open", "catalog.query", "catalog.query_all", "plugins.apply"}


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_blocking_api_has_the_row(row: dict[str, Any], platform: paved.Platform) -> None:
    found = lookup(row["python"], platform, paved)
    assert found is not None, row["python"]
    assert_options(found, row, row["python"])


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_async_api_has_the_row(row: dict[str, Any], platform: paved.Platform) -> None:
    path = row["python"]
    if path.startswith("Platform."):
        path = "Async" + path
    module = _native if path.split(".")[0] in ("validate", "inspect_plugin", "check_plugin") else paved
    found = lookup(path, platform.to_async(), module)
    assert found is not None, path
    assert_options(found, row, path)


# Options a row may list defaults for, and the "not given" each front passes.
NOT_GIVEN: dict[str, Any] = {
    "actor": None,
    "dry_run": False,
    "parallelism": None,
    "reveal": False,
    "mode": None,
}


def assert_options(method: Any, row: dict[str, Any], path: str) -> None:
    """A write row takes `actor`; each option the row lists a default for
    (catalog.import's `mode`, a write's `dry_run`, resources' `parallelism`)
    is keyword-only and passes "not given" through to core."""
    listed = {key for key, _ in row["defaults"]}
    wanted = [name for name in NOT_GIVEN if name in listed or (name == "actor" and row["writes"])]
    if not wanted:
        return
    params = inspect.signature(method).parameters
    for name in wanted:
        assert name in params, f"{path} takes no {name}"
        assert params[name].default is NOT_GIVEN[name], (
            f"{path}: {name} defaults to {params[name].default!r}"
        )
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, f"{path}: {name} is not keyword-only"


def test_write_rows_with_dry_run_in_their_defaults() -> None:
    """The table says which writes can be previewed; the ones that cannot
    (a drift check, an import, revealing outputs) say so by leaving
    `dry_run` out, and the checks above follow it."""
    previewed = {r["name"] for r in ROWS if r["writes"] and "dry_run" in [k for k, _ in r["defaults"]]}
    assert {"catalog.upsert", "catalog.delete", "plugins.apply", "resources.apply", "resources.destroy"} <= previewed


def test_every_error_code_has_a_class() -> None:
    classes = [
        paved.ValidationError, paved.NotFoundError, paved.ConflictError, paved.StoreError,
        paved.IoError, paved.PluginError, paved.DeniedError, paved.LaggedError,
        paved.PendingApprovalError, paved.LockedError,
    ]
    assert all(issubclass(c, paved.PavedError) for c in classes)
    try:
        paved.Platform.open("nonsense://x")
    except paved.ValidationError as e:
        assert e.code == "VALIDATION" and isinstance(e.details, dict) and e.errors
    else:
        raise AssertionError("a bad store URL opened")


def test_query_and_query_all_take_the_same_arguments(platform: paved.Platform) -> None:
    for api in (platform.catalog, platform.to_async().catalog):
        one = inspect.signature(api.query).parameters
        every = inspect.signature(api.query_all).parameters
        assert list(one) == list(every)
        assert [p.default for p in one.values()] == [p.default for p in every.values()]


def test_async_query_all_is_an_async_iterator(platform: paved.Platform) -> None:
    async def main() -> list[Any]:
        return [e async for e in platform.to_async().catalog.query_all()]

    assert asyncio.run(main()) == []
