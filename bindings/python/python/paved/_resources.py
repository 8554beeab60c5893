"""Resources, blocking API: ``Resources`` over ``paved._native.AsyncResources``,
and the shapes of what it returns (dicts, as ``paved resource … -o json``
prints them)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Optional, TypedDict, Union, cast

from paved import _native
from paved._blocking import run

Refs = Union[str, Sequence[str], None]


class ResourceAddress(TypedDict, total=False):
    resourceType: str
    name: str
    environment: str
    owner: str


class FieldDiff(TypedDict, total=False):
    path: str
    before: Any
    after: Any
    requiresReplace: bool


class LeaseInfo(TypedDict):
    resource: str
    holder: str
    operation: str
    acquiredAt: str
    expiresAt: str


class PlannedResource(TypedDict, total=False):
    resource: str
    address: ResourceAddress
    provider: str
    action: str  # "create" | "update" | "replace" | "delete" | "forget" | "no-op"
    diff: builtins.list[FieldDiff]
    replaceBecause: builtins.list[str]
    monthlyCost: float
    notes: builtins.list[str]
    dependsOn: builtins.list[str]
    priorVersion: int
    level: int


class ResourcePlan(TypedDict, total=False):
    id: str
    resources: builtins.list[PlannedResource]
    decisions: builtins.list[dict[str, Any]]
    blocked: bool
    approvers: builtins.list[str]  # who may approve it, when apply would hold it


class ResourceResult(TypedDict, total=False):
    resource: str
    action: str
    status: str  # "done" | "unchanged" | "failed" | "skipped"
    version: int
    error: dict[str, Any]  # {"code", "message"}


class Recovered(TypedDict):
    resource: str
    operation: str
    holder: str
    startedAt: str
    outcome: str  # "finished" | "rolled-back" | "superseded: …" | "failed: …"


class ApplyReport(TypedDict, total=False):
    plan: ResourcePlan
    results: builtins.list[ResourceResult]
    recovered: builtins.list[Recovered]
    dryRun: bool


class DriftItem(TypedDict, total=False):
    resource: str
    address: ResourceAddress
    status: str  # "in-sync" | "drifted" | "gone" | "error"
    changes: builtins.list[FieldDiff]
    error: dict[str, Any]


class DriftReport(TypedDict, total=False):
    resources: builtins.list[DriftItem]
    recovered: builtins.list[Recovered]


class ResourceState(TypedDict, total=False):
    resource: str
    version: int
    at: str
    status: str  # "managed" | "observed" | "destroyed" | "forgotten"
    operation: str
    address: ResourceAddress
    provider: str
    providerVersion: str
    params: Any
    state: Any
    outputs: dict[str, Any]
    sensitive: builtins.list[str]
    dependsOn: builtins.list[str]
    deletionPolicy: str  # "delete" | "orphan"
    plan: str
    actor: str
    lease: LeaseInfo
    lastDrift: dict[str, Any]  # {"status", "changes", "at"}


class ImportReport(TypedDict):
    state: ResourceState
    params: Any


class ResourceSummary(TypedDict, total=False):
    resource: str
    resourceType: str
    owner: str
    environment: str
    system: str
    status: Optional[str]
    version: int
    updatedAt: str
    declared: bool
    managed: bool
    lease: LeaseInfo
    lastDrift: dict[str, Any]  # the last drift check: {"status", "changes", "at"}


class Resources:
    """Resources declared as catalogue ``Resource`` entities, made and kept
    by their providers (blocking calls). ``refs`` is one Resource ref
    (``app-dir``, ``resource:default/app-dir``) or a list; None: every
    resource. Changes go through the pipeline (checks, policies, audit); a
    resource another holder works on raises ``paved.LockedError``."""

    def __init__(self, inner: _native.AsyncResources) -> None:
        self._inner = inner

    def plan(
        self, refs: Refs = None, *, actor: str | None = None, parallelism: int | None = None
    ) -> ResourcePlan:
        """What applying ``refs`` (and what they depend on) would do, in
        dependency order, with the policy decisions. Changes nothing."""
        return cast(
            "ResourcePlan", run(self._inner.plan, refs, actor=actor, parallelism=parallelism)
        )

    def apply(
        self,
        refs: Refs = None,
        *,
        actor: str | None = None,
        dry_run: bool = False,
        parallelism: int | None = None,
    ) -> ApplyReport:
        """Create, update, replace and delete resources so they are as their
        Resources ask (``parallelism`` default: paved.yaml's, 8). A dry run
        returns the plan only; a failed resource is in ``results``, not raised."""
        return cast(
            "ApplyReport",
            run(self._inner.apply, refs, actor=actor, dry_run=dry_run, parallelism=parallelism),
        )

    def destroy(
        self,
        refs: Refs = None,
        *,
        actor: str | None = None,
        dry_run: bool = False,
        parallelism: int | None = None,
    ) -> ApplyReport:
        """Delete ``refs`` (None: every resource with state) and what depends
        on them, dependents first; ``orphan`` and observed resources are let
        go without deleting them. A dry run returns the plan only."""
        return cast(
            "ApplyReport",
            run(self._inner.destroy, refs, actor=actor, dry_run=dry_run, parallelism=parallelism),
        )

    def drift(
        self, refs: Refs = None, *, actor: str | None = None, parallelism: int | None = None
    ) -> DriftReport:
        """Read resources through their providers and report what changed
        outside paved (each check is recorded in the audit log)."""
        return cast(
            "DriftReport", run(self._inner.drift, refs, actor=actor, parallelism=parallelism)
        )

    def import_(self, ref: str, external_id: str, *, actor: str | None = None) -> ImportReport:
        """Adopt an existing thing (``external_id``: the provider's id of it)
        as the Resource ``ref``, which must be in the catalogue: observed only
        while it has no ``spec.params``, managed once it has. ``params`` in
        the report describe it as it is."""
        return cast("ImportReport", run(self._inner.import_, ref, external_id, actor=actor))

    def list(self) -> builtins.list[ResourceSummary]:
        """Every resource: declared in the catalogue or with state, and who holds it."""
        return cast("builtins.list[ResourceSummary]", run(self._inner.list))

    def state(self, ref: str) -> ResourceState:
        """A resource's latest state (sensitive outputs redacted), its lease
        and its last drift check."""
        return cast("ResourceState", run(self._inner.state, ref))

    def history(self, ref: str, *, limit: int | None = None) -> builtins.list[ResourceState]:
        """The versions of a resource's state, newest first (``limit`` default: 50)."""
        return cast("builtins.list[ResourceState]", run(self._inner.history, ref, limit=limit))

    def outputs(
        self, ref: str, *, reveal: bool = False, actor: str | None = None
    ) -> dict[str, Any]:
        """A resource's outputs; sensitive ones are ``"(sensitive)"`` unless
        ``reveal``, which is recorded in the audit log first."""
        return cast(
            "dict[str, Any]", run(self._inner.outputs, ref, reveal=reveal, actor=actor)
        )

    def unlock(
        self, ref: str, *, actor: str | None = None, dry_run: bool = False
    ) -> LeaseInfo | None:
        """Release a resource's lease whoever holds it (a holder that will
        not come back), recorded in the audit log: the lease released, None
        if it was free. A dry run returns the lease and releases nothing."""
        return cast(
            "LeaseInfo | None", run(self._inner.unlock, ref, actor=actor, dry_run=dry_run)
        )

    def __repr__(self) -> str:
        return "<Resources>"
