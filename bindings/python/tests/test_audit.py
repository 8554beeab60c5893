"""The audit log: list, per entity, and verification of the hash chain."""

from __future__ import annotations

import sqlite3

from conftest import component, psql

import paved


def test_list_and_for_entity(platform: paved.Platform) -> None:
    catalog = platform.catalog
    catalog.upsert(component("orders"), actor="user:default/jane")
    doc = component("orders")
    doc["spec"]["lifecycle"] = "deprecated"  # type: ignore[index]
    catalog.upsert(doc, actor="user:default/omar")
    catalog.upsert(component("billing"))
    catalog.delete("component:default/billing")

    records = platform.audit.list()
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == "0" * 64
    assert all(r.prev_hash == p.hash for p, r in zip(records, records[1:]))
    assert records[0].actor == "user:default/jane"
    assert records[0].subject == "component:default/orders"
    assert records[-1].action.endswith("delete")
    assert isinstance(records[0].details, dict) and records[0].at.endswith("Z")
    assert records[0].to_dict()["hash"] == records[0].hash

    assert [r.seq for r in platform.audit.list(after=2, limit=1)] == [3]
    orders = platform.audit.for_entity("component:default/orders")
    assert [r.seq for r in orders] == [2, 1]  # newest first
    assert [r.actor for r in orders] == ["user:default/omar", "user:default/jane"]


def test_verify_finds_an_altered_record(platform: paved.Platform, store_url: str) -> None:
    for name in ("a", "b", "c"):
        platform.catalog.upsert(component(name))
    report = platform.audit.verify()
    assert report.ok and bool(report) and report.checked == 3 and report.broken is None
    assert report.head == platform.audit.list()[-1].hash

    tamper = "UPDATE audit SET subject = 'component:default/evil' WHERE seq = 2"
    if store_url.startswith("sqlite:"):
        with sqlite3.connect(store_url.removeprefix("sqlite:")) as db:
            db.execute(tamper)
    else:
        psql(tamper, database=store_url.rsplit("/", 1)[1])

    broken = platform.audit.verify()
    assert not broken.ok and broken.checked == 1
    assert broken.broken is not None
    assert broken.broken.seq == 2 and "altered" in broken.broken.reason
    assert broken.to_dict()["broken"]["seq"] == 2


def test_empty_log_verifies() -> None:
    with paved.Platform.open("sqlite::memory:") as p:
        report = p.audit.verify()
        assert report.ok and report.checked == 0 and report.head is None
