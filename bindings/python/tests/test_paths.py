"""Golden paths from Python, on the real engine and a SQLite store in a
temporary directory: the fixture Templates (tests/fixtures/paths, copied to
the test's directory and imported with `catalog.import_files`) are listed
and shown; a dry run returns the files with their rendered content and
writes nothing; a run renders the skeleton, registers the Component with
its provenance annotations and reports each step's progress (`async for`
over the run, then `await` it for the record; the blocking API hands the
same progress to a callback); a run whose last step no longer matches its
preview rolls back (status `rolled-back`, `undone`, nothing left behind);
bad parameters are a ValidationError naming `parameters.<field>`; a run
killed mid-way is resumed; runs, run_info, metrics and snapshot tests
answer; and the password parameter never shows in a record, a progress
message, the log or the audit log, though the run used it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import paved

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "paths"
TEMPLATE = "template:default/create-service"
SLOW = "template:default/create-service-slowly"
SECRET = "s3cr3t-key-7f1d"
PARAMS = {"name": "billing", "apiKey": SECRET}


class Setup:
    """The fixture Templates copied to `root/templates`, a SQLite store and
    a paved.yaml whose leases lapse after a second (a killed run is
    resumable soon after)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates = root / "templates"
        shutil.copytree(FIXTURE, self.templates)
        self.config = root / "paved.yaml"
        self.config.write_text("resources:\n  leaseTtl: 1s\n")
        self.store = f"sqlite:{root / 'paved.db'}"
        self.workspace = root / "ws"

    def open(self) -> paved.Platform:
        p = paved.Platform.open(self.store, config=self.config)
        p.catalog.import_files(
            [self.templates / "template.yaml", self.templates / "slow-template.yaml"]
        )
        return p


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def platform(setup: Setup) -> Any:
    with setup.open() as p:
        yield p


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(f.relative_to(root)) for f in root.rglob("*") if f.is_file())


def test_list_and_show(platform: paved.Platform, setup: Setup) -> None:
    listed = {t["reference"]: t for t in platform.paths.list()}
    assert set(listed) == {TEMPLATE, SLOW}
    t = listed[TEMPLATE]
    assert t["name"] == "create-service"
    assert t["title"] == "Create a service"
    assert t["actions"] == ["fetch:template", "debug:log", "catalog:register"]
    assert t["version"]
    assert "problems" not in t
    page = t["parameters"][0]
    assert page["properties"]["apiKey"]["ui:widget"] == "password"
    assert page["required"] == ["name", "apiKey"]
    # By short ref, full ref or file: the same Template.
    assert platform.paths.show("create-service") == t
    assert platform.paths.show(TEMPLATE) == t
    assert platform.paths.show(setup.templates / "template.yaml")["reference"] == TEMPLATE
    with pytest.raises(paved.NotFoundError):
        platform.paths.show("no-such-template")


def test_dry_run_shows_the_files_and_writes_nothing(platform: paved.Platform, setup: Setup) -> None:
    before = len(platform.audit.list(limit=1000))
    plan = platform.paths.dry_run(TEMPLATE, PARAMS, workspace=setup.workspace)
    assert plan["template"] == TEMPLATE
    assert plan["workspace"] == str(setup.workspace)
    assert plan["parameters"] == {"name": "billing", "owner": "team-a", "apiKey": "***"}
    files = {f["path"]: f for f in plan["files"]}
    assert set(files) == {"README.md", "catalog-info.yaml", "config.env"}
    assert files["README.md"]["action"] == "create"
    assert files["README.md"]["content"] == "# billing\n\nOwned by team-a.\n"
    assert files["config.env"]["content"] == "API_KEY=***\n"
    assert [s["id"] for s in plan["steps"]] == ["fetch", "log", "register"]
    [entity] = plan["entities"]
    assert entity["entityRef"] == "component:default/billing"
    assert entity["outcome"] == "created"
    annotations = entity["entity"]["metadata"]["annotations"]
    assert annotations["paved.dev/template"] == TEMPLATE
    assert annotations["backstage.io/source-template"] == TEMPLATE
    assert plan["blocked"] is False
    assert plan["digest"]
    # Nothing happened: no workspace, no component, no run, no audit record.
    assert not setup.workspace.exists()
    with pytest.raises(paved.NotFoundError):
        platform.catalog.get("component:default/billing")
    assert platform.paths.runs() == []
    assert len(platform.audit.list(limit=1000)) == before


def test_run_registers_the_component_and_reports_progress(setup: Setup) -> None:
    async def main() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        with setup.open() as blocking:
            platform = blocking.to_async()
            # A run that would not do what was previewed does nothing.
            with pytest.raises(paved.ValidationError) as stale:
                await platform.paths.run(TEMPLATE, PARAMS, workspace=setup.workspace, expect_digest="0" * 32)
            assert [e.path for e in stale.value.errors] == ["expectDigest"]
            assert not setup.workspace.exists()
            run = platform.paths.run(TEMPLATE, PARAMS, workspace=setup.workspace)
            progress = [p async for p in run]
            record = await run
            # Awaiting again gives the same record.
            assert await run == record
            entity = (await platform.catalog.get("component:default/billing")).to_dict()
            return progress, record, entity

    progress, record, entity = asyncio.run(main())
    assert record["status"] == "succeeded"
    assert record["template"] == TEMPLATE
    assert [s["status"] for s in record["steps"]] == ["done", "done", "done"]
    assert record["output"]["links"] == [
        {"title": "In the catalogue", "entityRef": "component:default/billing"}
    ]
    # Each step started then done, in order, the log line between, then the end.
    assert {p["run"] for p in progress} == {record["id"]}
    assert [(p.get("step"), p["status"]) for p in progress] == [
        ("fetch", "started"),
        ("fetch", "done"),
        ("log", "started"),
        (None, "log"),
        ("log", "done"),
        ("register", "started"),
        ("register", "done"),
        (None, "finished"),
    ]
    assert progress[-1]["message"] == "succeeded"
    # The files are on disk, the Component in the catalogue with its provenance.
    assert files_under(setup.workspace) == ["README.md", "catalog-info.yaml", "config.env"]
    assert (setup.workspace / "README.md").read_text() == "# billing\n\nOwned by team-a.\n"
    annotations = entity["metadata"]["annotations"]
    assert annotations["paved.dev/template"] == TEMPLATE
    assert annotations["paved.dev/template-version"] == record["templateVersion"]
    assert annotations["paved.dev/run"] == record["id"]
    assert annotations["backstage.io/source-template"] == TEMPLATE
    assert json.loads(annotations["paved.dev/template-inputs"]) == {"name": "billing", "owner": "team-a"}


def test_blocking_run_hands_progress_to_a_callback(platform: paved.Platform, setup: Setup) -> None:
    seen: list[paved.Progress] = []
    record = platform.paths.run(
        TEMPLATE, PARAMS, workspace=setup.workspace, actor="user:default/jane", progress=seen.append
    )
    assert record["status"] == "succeeded"
    assert record["actor"] == "user:default/jane"
    assert [p["status"] for p in seen if p.get("step") == "register"] == ["started", "done"]
    assert seen[-1] == {"run": record["id"], "status": "finished", "message": "succeeded"}
    # Without a callback: the record, the same way.
    again = platform.paths.run(TEMPLATE, {**PARAMS, "name": "ledger"}, workspace=setup.root / "ws2")
    assert again["status"] == "succeeded"
    assert platform.catalog.get("component:default/ledger").metadata["annotations"]["paved.dev/run"] == again["id"]


def test_a_failed_step_rolls_the_run_back(setup: Setup) -> None:
    notice = setup.templates / "notice.txt"

    async def main() -> tuple[list[dict[str, Any]], dict[str, Any], Any]:
        with setup.open() as blocking:
            platform = blocking.to_async()
            run = platform.paths.run(SLOW, PARAMS, workspace=setup.workspace)
            progress = []
            async for p in run:
                progress.append(p)
                if p.get("step") == "wait" and p["status"] == "started":
                    # While the run waits, what its last step copies changes.
                    notice.write_text("Changed behind the run's back.\n")
            record = await run
            try:
                await platform.catalog.get("component:default/billing")
                left: Any = "still in the catalogue"
            except paved.NotFoundError:
                left = None
            return progress, record, left

    progress, record, left = asyncio.run(main())
    assert record["status"] == "rolled-back"
    assert record["error"].startswith("step notice failed:")
    statuses = {s["id"]: s["status"] for s in record["steps"]}
    assert statuses == {"fetch": "undone", "register": "undone", "wait": "undone", "notice": "failed"}
    assert "removed component:default/billing from the catalogue" in record["undone"]
    assert "removed README.md" in record["undone"]
    assert record.get("notUndone", []) == []
    # Nothing is left: no file, no component.
    assert files_under(setup.workspace) == []
    assert left is None
    # Progress said so: the failure, each undo, then the end.
    assert ("notice", "failed") in [(p.get("step"), p["status"]) for p in progress]
    undone = [p["message"] for p in progress if p["status"] == "undone"]
    assert undone == record["undone"]
    assert progress[-1] == {"run": record["id"], "status": "finished", "message": "rolled-back"}


def test_bad_parameters_name_the_field(platform: paved.Platform, setup: Setup) -> None:
    bad = {"name": "Not A Name", "apiKey": SECRET}
    with pytest.raises(paved.ValidationError) as caught:
        platform.paths.dry_run(TEMPLATE, bad)
    assert [e.path for e in caught.value.errors] == ["parameters.name"]
    with pytest.raises(paved.ValidationError) as missing:
        platform.paths.run(TEMPLATE, {"name": "billing"}, workspace=setup.workspace)
    assert "parameters.apiKey" in [e.path for e in missing.value.errors]

    async def main() -> None:
        ap = platform.to_async()
        with pytest.raises(paved.ValidationError) as awaited:
            await ap.paths.run(TEMPLATE, bad, workspace=str(setup.workspace))
        assert [e.path for e in awaited.value.errors] == ["parameters.name"]
        # Iterating a run that cannot start raises its error, and so does
        # awaiting it afterwards.
        run = ap.paths.run(TEMPLATE, bad, workspace=str(setup.workspace))
        with pytest.raises(paved.ValidationError):
            async for _ in run:
                pass
        with pytest.raises(paved.ValidationError):
            await run

    asyncio.run(main())
    assert not setup.workspace.exists()
    assert platform.paths.runs() == []


def test_runs_run_info_and_metrics(platform: paved.Platform, setup: Setup) -> None:
    first = platform.paths.run(TEMPLATE, PARAMS, workspace=setup.workspace)
    second = platform.paths.run(
        TEMPLATE, {**PARAMS, "name": "ledger", "owner": "team-b"}, workspace=setup.root / "ws2"
    )
    runs = platform.paths.runs()
    assert [r["id"] for r in runs] == [second["id"], first["id"]]
    assert runs[0]["status"] == "succeeded"
    assert runs[0]["steps"] == 3 and runs[0]["stepsDone"] == 3
    assert runs[0]["interrupted"] is False
    assert [r["id"] for r in platform.paths.runs("create-service", limit=1)] == [second["id"]]
    assert platform.paths.runs(SLOW) == []
    info = platform.paths.run_info(first["id"])
    assert info["id"] == first["id"]
    assert info["status"] == "succeeded"
    assert info["steps"] == first["steps"]
    assert info["plan"]["digest"] == first["plan"]["digest"]
    with pytest.raises(paved.NotFoundError):
        platform.paths.run_info("no-such-run")

    metrics = platform.paths.metrics()
    assert metrics["total"]["runs"] == 2
    assert metrics["total"]["succeeded"] == 2
    assert metrics["total"]["successRate"] == 1.0
    assert metrics["byTemplate"][TEMPLATE]["runs"] == 2
    assert set(metrics["byTeam"]) == {"team-a", "team-b"}
    assert metrics["components"] == 2
    assert metrics["componentsFromPaths"] == 2
    assert metrics["goldenPathShare"] == 1.0
    later = platform.paths.metrics(since="2999-01-01T00:00:00Z")
    assert later["total"]["runs"] == 0


def test_the_password_parameter_is_never_recorded(platform: paved.Platform, setup: Setup) -> None:
    seen: list[paved.Progress] = []
    record = platform.paths.run(TEMPLATE, PARAMS, workspace=setup.workspace, progress=seen.append)
    assert record["status"] == "succeeded"
    # The run used it ...
    assert (setup.workspace / "config.env").read_text() == f"API_KEY={SECRET}\n"
    # ... and nothing kept it.
    assert record["parameters"]["apiKey"] == "***"
    assert "deploying billing with key ***" in record["log"]
    assert "deploying billing with key ***" in [p["message"] for p in seen]
    kept = {
        "record": record,
        "progress": seen,
        "run_info": platform.paths.run_info(record["id"]),
        "runs": platform.paths.runs(),
        "audit": [r.to_dict() for r in platform.audit.list(limit=1000)],
        "component": platform.catalog.get("component:default/billing").to_dict(),
        "dry_run": platform.paths.dry_run(TEMPLATE, {**PARAMS, "name": "other"}, workspace=setup.root / "ws2"),
    }
    for what, value in kept.items():
        assert SECRET not in json.dumps(value), f"the secret shows in the {what}"
    assert any(r["action"] == "path.run" for r in kept["audit"])


def test_a_killed_run_is_resumed(setup: Setup) -> None:
    # Another process runs the Template and is killed once the skeleton is
    # rendered (PAVED_CRASH_AT: the engine kills itself there).
    script = (
        "import paved, sys\n"
        "p = paved.Platform.open(sys.argv[1], config=sys.argv[2])\n"
        f"p.catalog.import_files([sys.argv[3]])\n"
        f"p.paths.run({TEMPLATE!r}, {PARAMS!r}, workspace=sys.argv[4])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, setup.store, str(setup.config),
         str(setup.templates / "template.yaml"), str(setup.workspace)],
        env={**os.environ, "PAVED_CRASH_AT": "path-after-effects:fetch"},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == -9, done.stderr
    with setup.open() as blocking:
        [summary] = blocking.paths.runs()
        assert summary["status"] == "running"
        deadline = time.monotonic() + 10
        while not summary["interrupted"] and time.monotonic() < deadline:
            time.sleep(0.2)  # its lease lapses after a second
            [summary] = blocking.paths.runs()
        assert summary["interrupted"] is True
        assert files_under(setup.workspace) == ["README.md", "catalog-info.yaml", "config.env"]

        async def main() -> tuple[list[dict[str, Any]], dict[str, Any]]:
            run = blocking.to_async().paths.resume(summary["id"], actor="user:default/ops")
            progress = [p async for p in run]
            return progress, await run

        progress, record = asyncio.run(main())
        assert record["id"] == summary["id"]
        assert record["status"] == "succeeded"
        assert [s["status"] for s in record["steps"]] == ["done", "done", "done"]
        assert record["log"][0].startswith("resumed by user:default/ops")
        steps = [(p.get("step"), p["status"]) for p in progress if p.get("step")]
        # The fetch step's effects were done: it is done again (idempotent)
        # and the run goes on from there.
        assert steps[-2:] == [("register", "started"), ("register", "done")]
        assert progress[-1]["status"] == "finished"
        assert blocking.catalog.get("component:default/billing").metadata["annotations"]["paved.dev/run"] == record["id"]
        assert blocking.paths.runs()[0]["interrupted"] is False
        with pytest.raises(paved.ValidationError):
            blocking.paths.resume(record["id"])


def test_snapshot_tests(platform: paved.Platform, setup: Setup) -> None:
    snapshot = setup.root / "snapshot"
    written = platform.paths.test(TEMPLATE, PARAMS, snapshot, update=True)
    assert written["updated"] is True and written["passed"] is True
    assert (snapshot / "plan.json").exists()
    same = platform.paths.test(TEMPLATE, PARAMS, snapshot)
    assert same == {"snapshot": str(snapshot), "passed": True, "updated": False, "differences": []}
    changed = platform.paths.test(TEMPLATE, {**PARAMS, "name": "ledger"}, snapshot)
    assert changed["passed"] is False
    assert changed["updated"] is False
    assert any("README.md" in d for d in changed["differences"]), changed["differences"]
    # A test is a dry run: nothing ran.
    assert platform.paths.runs() == []
