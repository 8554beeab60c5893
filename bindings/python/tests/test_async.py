"""The asyncio API: the same calls as the blocking one, as awaitables."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import DATA, EXAMPLE_CATALOG, component

import paved


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_open_and_catalogue(store_url: str) -> None:
    async def main() -> None:
        async with await paved.AsyncPlatform.open(store_url) as p:
            assert isinstance(p, paved.AsyncPlatform) and not p.closed
            catalog = p.catalog
            assert (await catalog.validate(EXAMPLE_CATALOG)).ok
            assert not (await catalog.validate_text("kind: Component\n", name="x.yaml")).ok
            assert (await catalog.validate_values([component("x")])).ok
            planned = await catalog.import_files(EXAMPLE_CATALOG, dry_run=True)
            assert planned.dry_run
            imported = await catalog.import_files(EXAMPLE_CATALOG, actor="user:default/bot")
            assert imported.count("created") == len(imported)

            created = await catalog.upsert(component("orders"), etag="")
            etag = created.changes[0].etag
            entity = await catalog.get("component:default/orders")
            assert entity.etag == etag
            with pytest.raises(paved.ConflictError):
                await catalog.upsert(component("orders", owner="team-logistics"), etag="stale")
            with pytest.raises(paved.NotFoundError):
                await catalog.get("component:default/nothing")

            # Calls run concurrently on the engine's runtime.
            many = await asyncio.gather(*(catalog.get("component:default/orders") for _ in range(20)))
            assert all(e == entity for e in many)

            names = [e.name async for e in catalog.query_all("kind=component", limit=4, order="metadata.name")]
            assert names == sorted(names) and "orders" in names
            rows = [r async for r in catalog.query_all("kind=system", fields=["metadata.name"])]
            assert rows and all(set(r) == {"metadata"} for r in rows)
            it = catalog.query_all("kind=domain")
            assert len([d async for d in it]) == 3
            page = await catalog.query("kind=component", limit=2)
            assert len(page) == 2 and page.next_cursor
            nxt = await catalog.query("kind=component", limit=2, cursor=page.next_cursor)
            assert {e.ref for e in nxt.items}.isdisjoint(e.ref for e in page.items)
            assert (await catalog.search("payment")).total > 0
            facets = await catalog.facets("kind", predicate={"kind": {"$in": ["system", "domain"]}})
            assert {f.value for f in facets} == {"system", "domain"}
            graph = await catalog.graph("group:default/team-payments", "owned", 2)
            assert "system:default/payments" in {n.entity_ref for n in graph.nodes}
            with pytest.raises(paved.ValidationError):
                await catalog.graph("group:default/team-payments", "nope")

            deleted = await catalog.delete("component:default/orders", etag=etag)
            assert deleted.changes[0].outcome == "deleted"

            audit = p.audit
            records = await audit.list(limit=1000)
            assert records[0].actor == "user:default/bot"
            assert [r.action for r in await audit.for_entity("component:default/orders")][0].endswith("delete")
            assert (await audit.verify()).ok
        assert p.closed

    run(main())


def test_import_errors_are_raised_by_the_await(tmp_path: Any) -> None:
    async def main() -> None:
        p = await paved.AsyncPlatform.open("sqlite::memory:")
        with pytest.raises(paved.ValidationError) as info:
            await p.catalog.import_files(DATA / "broken", mode="all-or-nothing")
        assert len(info.value.errors) == 3
        p.close()
        with pytest.raises(paved.PavedError, match="closed"):
            p.catalog  # noqa: B018

    run(main())


def test_open_errors_are_raised_by_the_await() -> None:
    async def main() -> None:
        with pytest.raises(paved.StoreError):
            await paved.AsyncPlatform.open("postgres://postgres@127.0.0.1:1/x")
        with pytest.raises(paved.ValidationError):
            await paved.AsyncPlatform.open("nope://x")

    run(main())


def test_the_event_loop_keeps_running_while_the_engine_works() -> None:
    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        async with await paved.AsyncPlatform.open("sqlite::memory:") as p:
            await p.catalog.import_files(EXAMPLE_CATALOG)
        task.cancel()
        return ticks

    assert run(main()) > 1
