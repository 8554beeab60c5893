"""Events: blocking and async streams, lag, other processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, component

import paved


def test_events_of_this_process(platform: paved.Platform) -> None:
    events = platform.subscribe()
    assert events.recv(timeout=0.05) is None  # nothing yet
    platform.catalog.upsert(component("orders"), actor="user:default/jane")
    platform.catalog.delete("component:default/orders")
    first = events.recv(timeout=5)
    assert first is not None
    assert first.kind == "entity.created" and first.subject == "component:default/orders"
    assert first.actor == "user:default/jane" and first.origin == platform.origin
    assert first.etag and first.seq == 1 and first.at
    second = next(events)
    assert second.kind == "entity.deleted" and second.seq == 2
    assert first.to_dict()["subject"] == "component:default/orders"


def test_a_blocked_receive_releases_the_gil(platform: paved.Platform) -> None:
    # The receiving thread waits in Rust; if it held the GIL, the upsert below
    # could not run until its 10 s timeout and it would get None.
    events = platform.subscribe()
    got: list[paved.Event | None] = []
    waiter = threading.Thread(target=lambda: got.append(events.recv(timeout=10)))
    waiter.start()
    platform.catalog.upsert(component("orders"))
    waiter.join()
    assert got[0] is not None and got[0].subject == "component:default/orders"


def test_a_slow_subscriber_gets_lagged_error_then_goes_on(tmp_path: Path) -> None:
    # One import of more entities than the event buffer holds (4096).
    docs = [yaml_component(f"svc-{i}") for i in range(4200)]
    (tmp_path / "many.yaml").write_text("---\n".join(docs))
    with paved.Platform.open("sqlite::memory:") as p:
        events = p.subscribe()
        p.catalog.import_files(tmp_path / "many.yaml")
        with pytest.raises(paved.LaggedError) as info:
            events.recv(timeout=5)
        assert info.value.missed > 0
        after = events.recv(timeout=5)
        assert after is not None and after.seq == info.value.missed + 1


def yaml_component(name: str) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n"
    )


def test_async_events(platform: paved.Platform) -> None:
    async def main() -> list[str]:
        aplatform = platform.to_async()
        events = aplatform.subscribe()
        await aplatform.catalog.upsert(component("orders"))
        await aplatform.catalog.upsert(component("billing"))
        seen: list[str] = []

        async def two() -> None:
            async for event in events:
                seen.append(event.subject)
                if len(seen) == 2:
                    break

        # Fails (TimeoutError) if the events do not come.
        await asyncio.wait_for(two(), timeout=10)
        # And nothing else comes.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(events.next(), timeout=0.1)
        return seen

    assert asyncio.run(main()) == ["component:default/orders", "component:default/billing"]


WRITER = """
import sys, paved
with paved.Platform.open(sys.argv[1]) as p:
    p.catalog.upsert({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "from-elsewhere"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-payments"}},
        actor="user:default/other")
    print(p.origin)
"""


def test_events_from_another_process_on_postgres(postgres_url: str) -> None:
    async def main() -> tuple[paved.Event, str]:
        async with await paved.AsyncPlatform.open(postgres_url) as platform:
            events = platform.subscribe()
            writer = await asyncio.create_subprocess_exec(
                sys.executable, "-c", WRITER, postgres_url,
                stdout=asyncio.subprocess.PIPE, cwd=ROOT,
            )
            out, _ = await writer.communicate()
            assert writer.returncode == 0
            event = await asyncio.wait_for(anext(events), timeout=30)
            assert event.origin != platform.origin
            return event, out.decode().strip()

    event, writer_origin = asyncio.run(main())
    assert event.subject == "component:default/from-elsewhere"
    assert event.actor == "user:default/other"
    assert event.origin == writer_origin


def test_sqlite_does_not_see_other_processes(tmp_path: Path) -> None:
    # Documented behaviour: cross-process events need PostgreSQL.
    url = f"sqlite:{tmp_path}/paved.db"
    with paved.Platform.open(url) as p:
        events = p.subscribe()
        subprocess.run([sys.executable, "-c", WRITER, url], check=True, capture_output=True)
        assert events.recv(timeout=0.5) is None
        assert p.catalog.get("component:default/from-elsewhere").name == "from-elsewhere"
