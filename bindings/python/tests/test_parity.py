"""Every operation of the facade (`paved._native.surface()`, the table
`paved::surface::OPERATIONS`) exists in Python under the name its row gives,
on the blocking and on the asyncio API; write rows take `actor` and `dry_run`
and pass "not given" through (None / False), so core applies the default."""

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
    if row["writes"]:
        assert_write_options(found, row["python"])
    assert_mode(found, row)


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_async_api_has_the_row(row: dict[str, Any], platform: paved.Platform) -> None:
    path = row["python"]
    if path.startswith("Platform."):
        path = "Async" + path
    module = _native if path.split(".")[0] in ("validate", "inspect_plugin", "check_plugin") else paved
    found = lookup(path, platform.to_async(), module)
    assert found is not None, path
    if row["writes"]:
        assert_write_options(found, path)
    assert_mode(found, row)


def assert_mode(method: Any, row: dict[str, Any]) -> None:
    """A row with a `mode` default (catalog.import) takes `mode`, keyword
    only, and passes "not given" (None) through to core."""
    if "mode" not in [key for key, _ in row["defaults"]]:
        return
    params = inspect.signature(method).parameters
    assert "mode" in params, f"{row['python']} takes no mode"
    assert params["mode"].default is None
    assert params["mode"].kind is inspect.Parameter.KEYWORD_ONLY


def assert_write_options(method: Any, path: str) -> None:
    params = inspect.signature(method).parameters
    assert "actor" in params and "dry_run" in params, f"{path} takes no actor/dry_run"
    assert params["actor"].default is None, f"{path}: actor defaults to {params['actor'].default!r}"
    assert params["dry_run"].default is False, f"{path}: dry_run defaults to {params['dry_run'].default!r}"
    assert params["actor"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["dry_run"].kind is inspect.Parameter.KEYWORD_ONLY


def test_every_error_code_has_a_class() -> None:
    classes = [
        paved.ValidationError, paved.NotFoundError, paved.ConflictError, paved.StoreError,
        paved.IoError, paved.PluginError, paved.DeniedError, paved.LaggedError,
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
