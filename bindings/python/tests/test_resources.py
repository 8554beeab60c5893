"""Resources from Python, with the real `local-directory` provider (the wasm
component built from examples/plugins) granted a temporary directory, on
SQLite and PostgreSQL: a Resource entity is planned, applied (the files are
on disk), found drifted after a hand edit, repaired, read back (state,
history, list, outputs) and destroyed; params the provider's schema rejects
are a ValidationError naming the field; a process killed holding a lease
makes the next apply raise LockedError naming the holder, until `unlock`
releases it and the interrupted call is finished; the asyncio API answers
the same."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import psql

import paved

REF = "resource:default/app-dir"
JANE = "user:default/jane"


def resource(name: str = "app-dir", params: Any = None) -> dict[str, Any]:
    """A Resource entity asking local-directory for a directory."""
    spec: dict[str, Any] = {"type": "local.directory", "owner": "team-a"}
    spec["params"] = {"files": {"README.md": "hello"}} if params is None else params
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": {"name": name},
        "spec": spec,
    }


class Setup:
    """A paved.yaml with local-directory granted `data` read-write, hour-long
    leases and a state key (PostgreSQL needs one to seal outputs)."""

    def __init__(self, root: Path, wasm: Path, store: str, cache: Path) -> None:
        self.data = root / "data"
        self.data.mkdir()
        (root / "state.key").write_text(secrets.token_hex(32))
        self.config = root / "paved.yaml"
        self.config.write_text(
            "plugins:\n"
            "  - name: local-directory\n"
            f"    path: {wasm / 'local_directory.wasm'}\n"
            "    kind: provider\n"
            f"    grants: {{ dirs: [{{ host: {self.data}, guest: /data, mode: rw }}] }}\n"
            "resources:\n"
            "  leaseTtl: 1h\n"
            "  stateKey: { file: state.key }\n"
        )
        self.store = store
        self.cache = cache

    def open(self) -> paved.Platform:
        return paved.Platform.open(self.store, config=self.config, plugin_cache=self.cache)

    async def open_async(self) -> paved.AsyncPlatform:
        p: paved.AsyncPlatform = await paved.AsyncPlatform.open(
            self.store, config=self.config, plugin_cache=self.cache
        )
        return p


@pytest.fixture
def setup(tmp_path: Path, wasm: Path, store_url: str, cache: Path) -> Setup:
    return Setup(tmp_path, wasm, store_url, cache)


def test_plan_apply_drift_repair_read_and_destroy(setup: Setup) -> None:
    readme = setup.data / "app-dir" / "README.md"
    with setup.open() as p:
        p.catalog.upsert(resource())
        r = p.resources

        plan = r.plan()
        (one,) = plan["resources"]
        assert (one["resource"], one["action"], one["provider"]) == (REF, "create", "local-directory")
        assert one["address"] == {"resourceType": "local.directory", "name": "app-dir", "owner": "group:default/team-a"}
        assert [d["path"] for d in one["diff"]] == ["files.README.md"]
        assert one["diff"][0]["after"] == "hello" and one["priorVersion"] == 0
        assert plan["blocked"] is False and plan["id"]
        assert list(setup.data.iterdir()) == []  # planning changes nothing
        # One ref or a list of refs, short or full.
        assert [x["resource"] for x in r.plan("app-dir")["resources"]] == [REF]
        assert [x["resource"] for x in r.plan([REF])["resources"]] == [REF]
        with pytest.raises(TypeError):
            r.plan(3)  # type: ignore[arg-type]

        dry = r.apply(dry_run=True)
        assert dry["dryRun"] is True and dry["results"] == []
        assert dry["plan"]["resources"][0]["action"] == "create"
        assert list(setup.data.iterdir()) == []

        applied = r.apply(actor=JANE)
        assert applied["dryRun"] is False
        assert [(x["resource"], x["action"], x["status"], x["version"]) for x in applied["results"]] == [
            (REF, "create", "done", 1)
        ]
        assert readme.read_text() == "hello"
        assert r.plan()["resources"][0]["action"] == "no-op"

        # Changed by hand: drift finds it (and records it), apply repairs it.
        readme.write_text("edited by hand")
        drift = r.drift()
        (item,) = drift["resources"]
        assert item["resource"] == REF and item["status"] == "drifted"
        assert "state.files.README.md" in [c["path"] for c in item["changes"]]
        assert r.state("app-dir")["lastDrift"]["status"] == "drifted"
        (summary,) = r.list()
        assert summary["lastDrift"] == r.state("app-dir")["lastDrift"]
        repaired = r.apply("app-dir", actor=JANE)
        assert [(x["action"], x["status"], x["version"]) for x in repaired["results"]] == [("update", "done", 2)]
        assert readme.read_text() == "hello"
        assert r.drift()["resources"][0]["status"] == "in-sync"

        state = r.state(REF)
        assert (state["resource"], state["version"], state["status"]) == (REF, 2, "managed")
        assert state["provider"] == "local-directory" and state["actor"] == JANE
        assert state["outputs"] == {"path": "/data/app-dir"} and state["sensitive"] == []
        assert state["params"] == {"files": {"README.md": "hello"}}
        assert state["deletionPolicy"] == "delete" and "lease" not in state
        history = r.history("app-dir")
        assert [(h["version"], h["operation"]) for h in history] == [(2, "update"), (1, "create")]
        assert [h["version"] for h in r.history("app-dir", limit=1)] == [2]
        (summary,) = r.list()
        assert summary["resource"] == REF and summary["resourceType"] == "local.directory"
        assert (summary["status"], summary["version"], summary["declared"], summary["managed"]) == (
            "managed", 2, True, True
        )
        assert r.outputs("app-dir") == {"path": "/data/app-dir"}
        assert r.outputs("app-dir", reveal=True, actor=JANE) == {"path": "/data/app-dir"}

        with pytest.raises(paved.NotFoundError) as missing:
            r.state("nothing")
        assert missing.value.details["what"] == "resource state"
        with pytest.raises(paved.ValidationError) as wrong_kind:
            r.history("component:default/app-dir")
        assert wrong_kind.value.errors[0].path == "ref"

        dry_destroy = r.destroy(dry_run=True)
        assert dry_destroy["plan"]["resources"][0]["action"] == "delete" and dry_destroy["results"] == []
        assert readme.exists()
        destroyed = r.destroy("app-dir", actor=JANE)
        assert [(x["action"], x["status"]) for x in destroyed["results"]] == [("delete", "done")]
        assert not (setup.data / "app-dir").exists()
        assert r.state("app-dir")["status"] == "destroyed"
        actions = {(a.action, a.actor) for a in p.audit.list() if a.action.startswith("resource.")}
        assert {("resource.apply", JANE), ("resource.drift", "system"), ("resource.destroy", JANE)} <= actions


def test_params_the_provider_rejects_name_the_field(setup: Setup) -> None:
    with setup.open() as p:
        p.catalog.upsert(resource(params={"files": 3}))
        with pytest.raises(paved.ValidationError) as info:
            p.resources.plan()
        paths = [e.path for e in info.value.errors]
        assert any(path.startswith("spec.params.files") for path in paths), paths
        with pytest.raises(paved.ValidationError):
            p.resources.apply()
        assert list(setup.data.iterdir()) == []


CRASH = """
import sys, paved
store, config, cache = sys.argv[1:4]
with paved.Platform.open(store, config=config, plugin_cache=cache) as p:
    p.resources.apply(actor="user:default/crasher")
"""


def apply_killed_at(setup: Setup, point: str) -> None:
    """Another process applies and is killed (SIGKILL) at `point`, holding
    the lease it took (hour-long: it does not lapse during the test)."""
    done = subprocess.run(
        [sys.executable, "-c", CRASH, setup.store, str(setup.config), str(setup.cache)],
        env={**os.environ, "PAVED_CRASH_AT": point}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == -9, done.stderr


def test_a_held_lease_is_locked_until_unlocked(setup: Setup) -> None:
    with setup.open() as p:
        p.catalog.upsert(resource())
    apply_killed_at(setup, "after-lease")
    with setup.open() as p:
        r = p.resources
        with pytest.raises(paved.LockedError) as info:
            r.apply(actor=JANE)
        locked = info.value
        assert issubclass(paved.LockedError, paved.PavedError) and locked.code == "LOCKED"
        assert locked.resource == REF and locked.operation == "apply"
        assert locked.holder.startswith("user:default/crasher (pid ")
        assert locked.expires_at and locked.details == {
            "resource": REF, "holder": locked.holder, "operation": "apply", "expiresAt": locked.expires_at,
        }
        assert locked.holder in str(locked) and "unlock" in str(locked)
        assert not (setup.data / "app-dir").exists()  # the refused apply did nothing
        (summary,) = r.list()
        assert summary["lease"]["holder"] == locked.holder

        would = r.unlock("app-dir", dry_run=True)
        assert would is not None and would["holder"] == locked.holder
        assert r.list()[0]["lease"]["holder"] == locked.holder  # a dry run releases nothing
        released = r.unlock("app-dir", actor=JANE)
        assert released is not None and released["holder"] == locked.holder
        assert released["resource"] == REF and released["operation"] == "apply"
        assert released["expiresAt"] == locked.expires_at
        assert r.unlock("app-dir") is None  # free now
        assert "lease" not in r.list()[0]
        assert [x["status"] for x in r.apply(actor=JANE)["results"]] == ["done"]
        assert (setup.data / "app-dir" / "README.md").read_text() == "hello"
        unlocks = [a for a in p.audit.list() if a.action == "resource.unlock"]
        assert [(a.actor, a.details["holder"]) for a in unlocks] == [(JANE, locked.holder)]


def test_an_interrupted_apply_is_finished_by_the_next(setup: Setup) -> None:
    with setup.open() as p:
        p.catalog.upsert(resource())
    apply_killed_at(setup, "after-intent")
    with setup.open() as p:
        r = p.resources
        with pytest.raises(paved.LockedError):
            r.apply(actor=JANE)
        r.unlock("app-dir", actor=JANE)
        report = r.apply(actor=JANE)
        (recovered,) = report["recovered"]
        assert (recovered["resource"], recovered["operation"]) == (REF, "create")
        assert recovered["holder"].startswith("user:default/crasher (pid ")
        assert (setup.data / "app-dir" / "README.md").read_text() == "hello"
        assert r.plan()["resources"][0]["action"] == "no-op"
        assert recovered["outcome"].startswith("finished"), recovered


def test_async_resources(setup: Setup) -> None:
    async def main() -> None:
        async with await setup.open_async() as p:
            await p.catalog.upsert(resource())
            r = p.resources
            assert isinstance(r, paved.AsyncResources)
            plan = await r.plan()
            assert [x["action"] for x in plan["resources"]] == ["create"]
            applied = await r.apply(actor=JANE)
            assert [x["status"] for x in applied["results"]] == ["done"]
            state, history, listed, outputs = await asyncio.gather(
                r.state(REF), r.history(REF), r.list(), r.outputs(REF)
            )
            assert state["version"] == 1 and [h["version"] for h in history] == [1]
            assert listed[0]["resource"] == REF and outputs == {"path": "/data/app-dir"}
            assert (await r.drift())["resources"][0]["status"] == "in-sync"
            assert await r.unlock(REF) is None
            with pytest.raises(paved.NotFoundError):
                await r.state("nothing")
            destroyed = await r.destroy(actor=JANE)
            assert [x["status"] for x in destroyed["results"]] == ["done"]
        assert not (setup.data / "app-dir").exists()

    asyncio.run(main())


def test_import_adopts_an_existing_directory(setup: Setup) -> None:
    existing = setup.data / "legacy"
    existing.mkdir()
    (existing / "notes.txt").write_text("kept")
    with setup.open() as p:
        observed = resource("legacy")
        del observed["spec"]["params"]
        p.catalog.upsert(observed)
        report = p.resources.import_("legacy", "legacy", actor=JANE)
        assert report["params"] == {"files": {"notes.txt": "kept"}}
        assert report["state"]["status"] == "observed" and report["state"]["operation"] == "import"
        assert p.resources.outputs("legacy") == {"path": "/data/legacy"}
        with pytest.raises(paved.ValidationError):
            p.resources.import_("legacy", "legacy")  # it already has state


def test_a_sensitive_output_in_a_dependents_params_is_masked_in_the_plan(
    tmp_path: Path, wasm: Path, cache: Path
) -> None:
    """A directory whose file holds the connection URL of a database made
    by the real `postgres` provider (on 127.0.0.1:5432): its plan shows the
    URL as `(sensitive)`, the file gets the real one, `outputs` masks it
    unless revealed."""
    name = f"paved_py_mask_{secrets.token_hex(4)}"
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "paved.yaml").write_text(
        "plugins:\n"
        "  - name: local-directory\n"
        f"    path: {wasm / 'local_directory.wasm'}\n"
        "    kind: provider\n"
        f"    grants: {{ dirs: [{{ host: {data}, guest: /data, mode: rw }}] }}\n"
        "  - name: postgres\n"
        f"    path: {wasm / 'postgres.wasm'}\n"
        "    kind: provider\n"
        "    grants: { network: ['127.0.0.1:5432'] }\n"
    )
    db = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": {"name": name},
        "spec": {"type": "postgres.database", "owner": "team-a", "params": {}},
    }
    app = resource(
        params={"files": {"db.txt": "${{ resources.%s.outputs.url }}" % name}}
    )
    app["spec"]["dependsOn"] = [f"resource:{name}"]
    try:
        with paved.Platform.open(
            f"sqlite:{tmp_path / 'paved.db'}",
            config=tmp_path / "paved.yaml",
            plugin_cache=cache,
        ) as p:
            p.catalog.upsert(db)
            p.catalog.upsert(app)
            p.resources.apply([f"resource:default/{name}"], actor=JANE)
            password = p.resources.outputs(name, reveal=True, actor=JANE)["password"]
            assert len(password) == 32
            plan = p.resources.plan(actor=JANE)
            (planned,) = [x for x in plan["resources"] if x["resource"] == REF]
            assert planned["action"] == "create"
            (diff,) = planned["diff"]
            assert (diff["path"], diff["after"]) == ("files.db.txt", "(sensitive)"), planned
            assert password not in repr(plan)
            p.resources.apply(actor=JANE)
            assert password in (data / "app-dir" / "db.txt").read_text()
            assert p.resources.outputs(name)["password"] == "(sensitive)"
            p.resources.destroy(actor=JANE)
        assert psql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "0"
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(f"DROP ROLE IF EXISTS {name}")
