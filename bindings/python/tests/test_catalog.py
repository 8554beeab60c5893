"""The catalogue on both stores: import, upsert, get, delete, query, search, facets, graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, EXAMPLE_CATALOG, ROOT, component

import paved

PARTIAL_IMPORT = ROOT / "crates" / "core" / "tests" / "fixtures" / "partial-import"

def test_import_reports_changes_then_nothing_changes(platform: paved.Platform) -> None:
    first = platform.catalog.import_files(EXAMPLE_CATALOG, actor="user:default/jane")
    assert first.count("created") == len(first) > 40
    assert not first.dry_run
    assert all(c.etag for c in first.changes)
    again = platform.catalog.import_files([EXAMPLE_CATALOG])
    assert again.count("unchanged") == len(again) == len(first)
    assert platform.audit.list(limit=1)[0].actor == "user:default/jane"


def test_dry_run_writes_nothing(platform: paved.Platform) -> None:
    planned = platform.catalog.import_files(EXAMPLE_CATALOG, dry_run=True)
    assert planned.dry_run and planned.count("created") > 40
    assert platform.catalog.query().total == 0
    assert platform.audit.list() == []


def test_import_is_all_or_nothing(platform: paved.Platform) -> None:
    with pytest.raises(paved.ValidationError):
        platform.catalog.import_files([EXAMPLE_CATALOG, DATA / "broken"], mode="all-or-nothing")
    assert platform.catalog.query().total == 0
    with pytest.raises(paved.ValidationError, match="unknown import mode 'partial'"):
        platform.catalog.import_files(EXAMPLE_CATALOG, mode="partial")  # type: ignore[arg-type]


def test_import_per_entity_stores_what_passes(platform: paved.Platform) -> None:
    """The partial-import Location tree (crates/core/tests/fixtures): the
    default mode stores 9 entities, refuses 2 and reports 1 conflict."""
    root = PARTIAL_IMPORT / "catalog-info.yaml"
    done = platform.catalog.import_files(root)
    assert done.partial and "partial" in repr(done)
    assert done.count("created") == 9 == platform.catalog.query().total
    refused = [(d.entity, d.path, Path(d.file or "").name, d.line) for d in done.refused]
    assert refused == [
        ("component:default/refunds", "spec.lifecycle", "payments.yaml", 27),
        ("api:default/rates-api", "spec.definition", "rates-api.yaml", 11),
    ]
    assert [d.entity for d in done.conflicts] == ["component:default/checkout"]
    assert done.to_dict()["partial"] is True
    ledger = platform.catalog.get("component:default/ledger")
    annotations = ledger.annotations
    assert annotations["backstage.io/managed-by-location"] == (
        f"file:{(PARTIAL_IMPORT / 'team-b' / 'components.yaml').resolve()}"
    )
    assert annotations["backstage.io/managed-by-origin-location"] == f"file:{root.resolve()}"
    assert platform.catalog.get("component:default/checkout").spec["owner"] == "team-a"


def test_upsert_get_and_etags(platform: paved.Platform) -> None:
    catalog = platform.catalog
    created = catalog.upsert(component("orders"), etag="")
    (change,) = created.changes
    assert (change.entity_ref, change.outcome) == ("component:default/orders", "created")
    entity = catalog.get("component:default/orders")
    assert entity.etag == change.etag and entity.uid
    assert entity.kind == "Component" and entity.name == "orders"
    assert entity.namespace == "default" and entity.ref == "component:default/orders"
    assert entity.api_version == "backstage.io/v1alpha1"
    assert entity.spec["owner"] == "team-payments"
    # Shorthand refs work as in Backstage.
    assert catalog.get("component:orders") == entity
    # Update with the right etag; the same content again is unchanged.
    doc = entity.to_dict()
    doc.pop("relations", None)
    doc["spec"]["lifecycle"] = "deprecated"
    updated = catalog.upsert(doc, etag=entity.etag)
    assert updated.changes[0].outcome == "updated"
    assert updated.changes[0].etag != entity.etag
    assert catalog.upsert(doc).changes[0].outcome == "unchanged"
    # The old etag is now a conflict.
    with pytest.raises(paved.ConflictError):
        catalog.upsert(doc, etag=entity.etag)
    # An Entity object is accepted as input too.
    assert catalog.upsert(catalog.validate_values(component("payments-ui")).entities[0]).count("created") == 1


def test_upsert_dry_run_and_warnings(platform: paved.Platform) -> None:
    planned = platform.catalog.upsert(component("orders", owner="team-nobody"), dry_run=True)
    assert planned.dry_run and planned.changes[0].outcome == "created"
    with pytest.raises(paved.NotFoundError):
        platform.catalog.get("component:default/orders")
    done = platform.catalog.upsert(component("orders", owner="team-nobody"))
    assert any("group:default/team-nobody" in w.message for w in done.warnings)
    assert done.warnings[0].entity == "component:default/orders"


def test_upsert_rejects_invalid_entities(platform: paved.Platform) -> None:
    with pytest.raises(paved.ValidationError) as info:
        platform.catalog.upsert(component("Bad Name"))
    assert info.value.errors[0].path == "metadata.name"
    assert platform.catalog.query().total == 0


def test_delete(platform: paved.Platform) -> None:
    etag = platform.catalog.upsert(component("orders")).changes[0].etag
    with pytest.raises(paved.ConflictError):
        platform.catalog.delete("component:default/orders", etag="nope")
    assert platform.catalog.delete("component:default/orders", dry_run=True).dry_run
    assert platform.catalog.get("component:default/orders").etag == etag
    done = platform.catalog.delete("component:default/orders", etag=etag)
    assert done.changes[0].outcome == "deleted" and done.changes[0].etag is None
    with pytest.raises(paved.NotFoundError):
        platform.catalog.delete("component:default/orders")
    with pytest.raises(paved.ValidationError):
        platform.catalog.delete("not a ref at all:")


def test_entity_attributes(loaded: paved.Platform) -> None:
    payments = loaded.catalog.get("system:default/payments")
    assert payments.title == "Payments"
    assert payments.description and payments.labels == {"pci-scope": "true"}
    assert payments.tags == ["pci"]
    assert payments.annotations == {} or isinstance(payments.annotations, dict)
    assert payments.metadata["name"] == "payments"
    assert payments.status is None
    types = {(r.type, r.target_ref) for r in payments.relations}
    assert ("ownedBy", "group:default/team-payments") in types
    assert payments.relations[0].to_dict().keys() == {"type", "targetRef"}
    doc = payments.to_dict()
    assert doc["kind"] == "System" and doc["metadata"]["etag"] == payments.etag
    # to_dict() is a copy: changing it leaves the entity alone.
    doc["metadata"]["name"] = "changed"
    assert payments.name == "payments"
    assert repr(payments) == "<Entity system:default/payments>"


def test_query_filters(loaded: paved.Platform) -> None:
    catalog = loaded.catalog
    components = list(catalog.query_all("kind=component"))
    assert components and all(e.kind == "Component" for e in components)
    both = list(catalog.query_all("kind=component,spec.owner=team-payments"))
    assert both and all(e.spec["owner"] == "team-payments" for e in both)
    # Several strings are ORed.
    either = {e.kind for e in catalog.query_all(["kind=system", "kind=domain"])}
    assert either == {"System", "Domain"}
    # A predicate tree gives the same answer as the filter string.
    tree = {"$all": [{"kind": "component"}, {"spec.owner": {"$in": ["team-payments"]}}]}
    assert [e.ref for e in catalog.query_all(predicate=tree)] == [e.ref for e in both]
    negated = list(catalog.query_all(predicate={"$all": [{"kind": "component"}, {"$not": {"spec.owner": "team-payments"}}]}))
    assert len(negated) == len(components) - len(both)
    with pytest.raises(paved.ValidationError) as info:
        list(catalog.query_all(predicate={"$bogus": 1}))
    assert info.value.errors[0].message
    with pytest.raises(paved.ValidationError):
        catalog.query("=x")


def test_query_pages_fields_and_order(loaded: paved.Platform) -> None:
    catalog = loaded.catalog
    every = list(catalog.query_all("kind=component"))
    it = catalog.query_all("kind=component", limit=2, order="-metadata.name")
    names = [e.name for e in it]
    assert len(names) == len(every) > 2  # more than one page of 2
    assert names == sorted((e.name for e in every), reverse=True)
    rows: list[dict[str, Any]] = list(catalog.query_all("kind=system", fields=["metadata.name", "spec.owner"]))
    assert rows and all(set(r) == {"metadata", "spec"} for r in rows)
    assert all(set(r["spec"]) == {"owner"} for r in rows)
    # Explicit paging with cursors.
    page = catalog.query("kind=component", limit=3, order=["metadata.name"])
    assert len(page) == 3 and page.total == len(every) and page.next_cursor
    seen = [e.name for e in page.items]
    while page.next_cursor:
        page = catalog.query("kind=component", limit=3, order=["metadata.name"], cursor=page.next_cursor)
        seen += [e.name for e in page.items]
    assert seen == sorted(e.name for e in every)
    assert page.to_dict()["total"] == len(every)
    projected = catalog.query("kind=domain", fields="metadata.name")
    assert all(list(item) == ["metadata"] for item in projected.items)


def test_search(loaded: paved.Platform) -> None:
    page = loaded.catalog.search("payment", limit=50)
    refs = {e.ref for e in page.items}
    assert "system:default/payments" in refs
    assert all(isinstance(e, paved.Entity) for e in page.items)
    assert list(loaded.catalog.query_all(text="payment")) == page.items
    assert loaded.catalog.search("zzzz-nothing-matches").total == 0


def test_facets(loaded: paved.Platform) -> None:
    kinds = {f.value: f.count for f in loaded.catalog.facets("kind")}
    assert kinds["component"] == len(list(loaded.catalog.query_all("kind=component")))
    owners = loaded.catalog.facets("spec.owner", "kind=system")
    assert sum(f.count for f in owners) == len(list(loaded.catalog.query_all("kind=system")))
    assert owners[0].to_dict() == {"value": owners[0].value, "count": owners[0].count}
    all_kinds = loaded.catalog.facets("kind")
    top = loaded.catalog.facets("kind", limit=2)
    assert [(f.value, f.count) for f in top] == [(f.value, f.count) for f in all_kinds[:2]]
    assert top[0].count >= top[1].count
    for bad in (0, 10_001):  # a query's range, on every front
        with pytest.raises(paved.ValidationError, match=f"limit {bad} is out of range: expected 1 to 10000"):
            loaded.catalog.facets("kind", limit=bad)


def test_graph(loaded: paved.Platform) -> None:
    catalog = loaded.catalog
    some = next(e for e in catalog.query_all("kind=component") if any(r.type == "dependsOn" for r in e.relations))
    deps = catalog.graph(some.ref)
    assert deps.root == some.ref and deps.traversal == "dependencies" and deps.depth == 2  # core's default depth
    assert deps.nodes[0].entity_ref == some.ref and deps.nodes[0].depth == 0
    assert all(e.source == some.ref for e in deps.edges)
    assert {e.type for e in deps.edges} <= {"dependsOn", "consumesApi"}
    owned = catalog.graph("group:default/team-payments", "owned", 2)
    assert "system:default/payments" in {n.entity_ref for n in owned.nodes}
    assert all(n.exists for n in owned.nodes)
    assert owned.to_dict()["root"] == "group:default/team-payments"
    assert owned.limit == 1000 and not owned.truncated  # core's default limit
    cut = catalog.graph("group:default/team-payments", "owned", 2, limit=2)
    assert [n.entity_ref for n in cut.nodes] == [n.entity_ref for n in owned.nodes[:2]]
    assert cut.truncated and cut.to_dict()["truncated"] is True
    assert all({e.source, e.target} <= {n.entity_ref for n in cut.nodes} for e in cut.edges)
    with pytest.raises(paved.ValidationError):
        catalog.graph(some.ref, limit=0)
    with pytest.raises(paved.ValidationError):
        catalog.graph(some.ref, "sideways")
    with pytest.raises(paved.ValidationError):
        catalog.graph(some.ref, "all", 99)
    with pytest.raises(paved.NotFoundError):
        catalog.graph("component:default/nothing")


def test_validate_through_the_platform(platform: paved.Platform) -> None:
    assert platform.catalog.validate(EXAMPLE_CATALOG).ok
    assert not platform.catalog.validate_text("kind: Component\n").ok
    assert platform.catalog.validate_values([component("x")]).ok
    # Validating writes nothing.
    assert platform.catalog.query().total == 0
