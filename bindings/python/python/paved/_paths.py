"""Golden paths, blocking API: ``Paths`` over ``paved._native.AsyncPaths``,
and the shapes of what it returns (dicts, as ``paved path … -o json``
prints them).

With the asyncio API (``paved.AsyncPlatform``), ``platform.paths.run(...)``
and ``resume(...)`` return a ``paved.PathRun``: ``await`` it for the run's
record, or ``async for progress in it`` to follow the run step by step
(awaiting it afterwards still gives the record). The blocking ``run`` and
``resume`` wait for the record and hand each progress report to
``progress`` (a callable) as it comes.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Mapping
from typing import Any, Optional, TypedDict, Union, cast

from paved import _native
from paved._blocking import run
from paved._resources import ResourcePlan

PathArg = Union[str, "os.PathLike[str]"]


class TemplateSummary(TypedDict, total=False):
    reference: str
    name: str
    title: Optional[str]
    description: Optional[str]
    type: str
    owner: Optional[str]
    tags: builtins.list[str]
    version: str
    actions: builtins.list[str]
    # The form pages: JSON Schema with ``ui:*`` hints.
    parameters: builtins.list[dict[str, Any]]
    # Diagnostics that keep it from running (absent: it runs).
    problems: builtins.list[dict[str, Any]]


class FileChange(TypedDict, total=False):
    path: str
    action: str  # "create" | "update" | "delete"
    content: str  # UTF-8 text, or base64 when binary
    binary: bool


class EntityChange(TypedDict):
    entityRef: str
    outcome: str  # "created" | "updated" | "unchanged"
    entity: dict[str, Any]
    step: str


class PlannedStep(TypedDict, total=False):
    id: str
    name: str
    action: str
    skipped: bool
    # Each {"type": "writeFile" | "deleteFile" | "renameFile" | "register"
    # | "applyResource" | "log" | "wait", ...}.
    effects: builtins.list[dict[str, Any]]
    output: Any
    rollback: bool
    provisional: bool


class RunOutput(TypedDict, total=False):
    links: builtins.list[dict[str, Any]]
    text: builtins.list[dict[str, Any]]
    values: dict[str, Any]


class PathPlan(TypedDict, total=False):
    template: str
    templateVersion: str
    parameters: dict[str, Any]  # secrets masked
    workspace: str
    steps: builtins.list[PlannedStep]
    files: builtins.list[FileChange]
    entities: builtins.list[EntityChange]
    resources: ResourcePlan
    decisions: builtins.list[dict[str, Any]]
    blocked: bool
    output: RunOutput
    # Pass as ``expect_digest`` to run exactly what was previewed.
    digest: str


class StepRecord(TypedDict, total=False):
    id: str
    name: str
    action: str
    status: str  # "pending" | "skipped" | "started" | "done" | "failed" | "undone"
    rollback: bool
    startedAt: str
    finishedAt: str
    effects: builtins.list[dict[str, Any]]  # {"effect", "prior", "durationMs", "done"}
    output: Any
    error: str


class RunRecord(TypedDict, total=False):
    id: str
    template: str
    templateVersion: str
    actor: str
    team: str
    status: str  # "running" | "succeeded" | "rolled-back" | "failed"
    startedAt: str
    finishedAt: str
    parameters: dict[str, Any]  # secrets masked
    workspace: str
    steps: builtins.list[StepRecord]
    plan: PathPlan
    output: RunOutput
    log: builtins.list[str]
    error: str
    undone: builtins.list[str]
    notUndone: builtins.list[str]
    templateEntity: dict[str, Any]


class RunSummary(TypedDict, total=False):
    id: str
    template: str
    actor: str
    team: str
    status: str
    # Running, but no process works on it: ``resume`` it.
    interrupted: bool
    startedAt: str
    finishedAt: str
    durationMs: int
    stepsDone: int
    steps: int
    error: str


class Progress(TypedDict, total=False):
    run: str
    step: str  # absent: the run as a whole
    status: str  # "started" | "done" | "skipped" | "failed" | "undone" | "log" | "finished"
    message: str


class SnapshotReport(TypedDict):
    snapshot: str
    passed: bool
    updated: bool
    differences: builtins.list[str]


class PathUsage(TypedDict):
    runs: int
    succeeded: int
    failed: int
    running: int
    successRate: Optional[float]
    p50Ms: Optional[int]
    p90Ms: Optional[int]


class Onboarding(TypedDict):
    team: str
    firstRun: str
    firstProvisioned: Optional[str]
    timeToFirstProvisioningMs: Optional[int]


class Provisioning(TypedDict):
    resources: int
    p50Ms: Optional[int]
    p90Ms: Optional[int]


class PathMetrics(TypedDict):
    since: Optional[str]
    total: PathUsage
    byTemplate: dict[str, PathUsage]
    byTeam: dict[str, PathUsage]
    onboarding: builtins.list[Onboarding]
    components: int
    componentsFromPaths: int
    goldenPathShare: Optional[float]
    provisioning: dict[str, Provisioning]


OnProgress = Callable[[Progress], None]


def _follow(handle: _native.PathRun, progress: OnProgress | None) -> RunRecord:
    """Wait for a run, handing each progress report to ``progress``."""
    if progress is not None:
        while True:
            report = run(handle.next)
            if report is None:
                break
            progress(cast(Progress, report))
    return cast(RunRecord, run(handle.record))


class Paths:
    """Golden paths: the catalogue's Templates, previewed, run, rolled back,
    resumed, tested and measured (blocking calls). ``template`` is a
    catalogue ref (``deploy-web-service``, ``template:default/x``) or a file
    ending in ``.yaml``/``.yml``/``.json``. Bad parameters raise
    ``paved.ValidationError`` naming ``parameters.<field>``; a run a policy
    blocks raises ``paved.DeniedError``."""

    def __init__(self, inner: _native.AsyncPaths) -> None:
        self._inner = inner

    def list(self) -> builtins.list[TemplateSummary]:
        """Every Template of the catalogue, with the problems that keep any from running."""
        return cast("builtins.list[TemplateSummary]", run(self._inner.list))

    def show(self, template: PathArg) -> TemplateSummary:
        """One Template (a ref, or a file holding one), as ``list`` shows it."""
        return cast(TemplateSummary, run(self._inner.show, template))

    def dry_run(
        self,
        template: PathArg,
        parameters: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        workspace: PathArg | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> PathPlan:
        """What running ``template`` would do, changing nothing: the files
        with their content, the entities, the resource plans and every
        policy decision; its ``digest`` runs exactly this plan."""
        return cast(
            PathPlan,
            run(
                self._inner.dry_run,
                template,
                parameters,
                actor=actor,
                workspace=workspace,
                secrets=secrets,
            ),
        )

    def run(
        self,
        template: PathArg,
        parameters: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        workspace: PathArg | None = None,
        secrets: Mapping[str, str] | None = None,
        expect_digest: str | None = None,
        progress: OnProgress | None = None,
    ) -> RunRecord:
        """Run ``template`` (``workspace`` default: ``.paved/workspaces/RUN-ID``)
        and return its record. A failed step undoes what the run did: the
        record's status is ``rolled-back`` (``undone`` says what), not an
        error. ``progress`` is called with each step's progress."""
        handle = self._inner.run(
            template,
            parameters,
            actor=actor,
            workspace=workspace,
            secrets=secrets,
            expect_digest=expect_digest,
        )
        return _follow(handle, progress)

    def resume(
        self, run_id: str, *, actor: str | None = None, progress: OnProgress | None = None
    ) -> RunRecord:
        """Continue an interrupted run from its last completed step."""
        return _follow(self._inner.resume(run_id, actor=actor), progress)

    def runs(
        self, template: str | None = None, *, limit: int | None = None
    ) -> builtins.list[RunSummary]:
        """Runs, newest first: of one Template when given (``limit`` default: 50)."""
        return cast("builtins.list[RunSummary]", run(self._inner.runs, template, limit=limit))

    def run_info(self, run_id: str) -> RunRecord:
        """One run's record, whole."""
        return cast(RunRecord, run(self._inner.run_info, run_id))

    def test(
        self,
        template: PathArg,
        parameters: Mapping[str, Any] | None,
        snapshot: PathArg,
        *,
        update: bool = False,
        actor: str | None = None,
        workspace: PathArg | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> SnapshotReport:
        """Test a Template like code: its dry run compared with the snapshot
        directory ``snapshot`` (``update``: write the snapshot instead)."""
        return cast(
            SnapshotReport,
            run(
                self._inner.test,
                template,
                parameters,
                snapshot,
                update=update,
                actor=actor,
                workspace=workspace,
                secrets=secrets,
            ),
        )

    def metrics(self, *, since: str | None = None) -> PathMetrics:
        """Usage, success rate and durations per Template and team, time to
        first provisioning, the share of components a golden path made
        (``since``: runs started at or after this RFC 3339 time)."""
        return cast(PathMetrics, run(self._inner.metrics, since=since))

    def __repr__(self) -> str:
        return "<Paths>"
