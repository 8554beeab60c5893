"""Keeping the catalogue in sync with its locations (issue 12, item 5):
``catalog.refresh``, ``catalog.locations`` and ``catalog.refreshes`` (an
interval and file watching, blocking and asyncio), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import paved


def write_component(root: Path, name: str, lifecycle: str = "production") -> None:
    (root / f"{name}.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: {lifecycle}\n"
        "  owner: team-a\n"
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    write_component(root, "one")
    write_component(root, "two")
    return root


def test_refresh_and_locations(platform: paved.Platform, files: Path) -> None:
    catalog = platform.catalog
    catalog.import_files(files)
    report = catalog.refresh()
    assert report["trigger"] == "request" and not report["dryRun"]
    (one,) = report["locations"]
    assert one["location"] == f"file:{files.resolve()}"
    assert (one["unchanged"], one["created"], one["updated"]) == (2, 0, 0)

    write_component(files, "one", lifecycle="[1]")
    (files / "two.yaml").unlink()
    report = catalog.refresh(str(files))
    (one,) = report["locations"]
    assert one["orphans"] == ["component:default/two"]
    (refused,) = one["refused"]
    assert refused["entity"] == "component:default/one" and refused["path"] == "spec.lifecycle"
    two = catalog.get("component:default/two")
    assert two.annotations["backstage.io/orphan"] == "true"

    (listed,) = catalog.locations()
    assert listed["entities"] == 2
    last = listed["lastRead"]
    assert last is not None and last["action"] == "catalog.refresh"
    assert [d["entity"] for d in last["refused"]] == ["component:default/one"]
    assert catalog.location(listed["location"]) == listed

    with pytest.raises(paved.NotFoundError, match="^location '/no/such/place' not found \\(import it first") as missing:
        catalog.refresh("/no/such/place")
    assert missing.value.details["hint"] == "import it first: paved catalog import PATH-OR-URL"
    with pytest.raises(paved.ValidationError, match="is zero"):
        catalog.refreshes(interval="0s")


def test_refreshes_follow_file_changes(platform: paved.Platform, files: Path) -> None:
    platform.catalog.import_files(files)
    events = platform.catalog.refreshes(watch=True)
    kinds = []
    for event in events:
        kinds.append(event["event"])
        if event["event"] == "done":
            break
    assert kinds == ["location", "done"]
    write_component(files, "three")
    for event in events:
        if event["event"] == "done":
            assert event["trigger"] == "files"
            assert event["locations"][0]["created"] == 1
            break
    assert platform.catalog.get("component:default/three").name == "three"


def test_refreshes_on_an_interval_asyncio(store_url: str, files: Path) -> None:
    async def main() -> list[str]:
        async with await paved.AsyncPlatform.open(store_url) as p:
            await p.catalog.import_files(files)
            triggers = []
            async for event in p.catalog.refreshes(interval="1s"):
                if event["event"] == "done":
                    triggers.append(event["trigger"])
                    if len(triggers) == 2:
                        break
            return triggers

    assert asyncio.run(main()) == ["start", "interval"]
