"""paved: an embeddable internal-developer-platform engine, from Python.

Open a platform, then use its catalogue, audit log, plugins and events::

    import paved

    with paved.Platform.open("sqlite:.paved/paved.db") as platform:
        platform.catalog.import_files("examples/catalog")
        for entity in platform.catalog.query_all("kind=component"):
            print(entity.ref, entity.spec.get("owner"))

``paved.Platform`` blocks (each call runs on one background event loop);
``paved.AsyncPlatform`` is the asyncio API with the same names:
``platform = await paved.AsyncPlatform.open(...)``, then
``await platform.catalog.get(...)``, ``async for e in platform.catalog.query_all(...)``
and ``async for event in platform.subscribe()``.

Plugins are loaded when the platform opens (``paved.yaml``'s ``plugins:``
or ``Platform.open(plugins=[{"path": ..., "kind": "guardrail"}])``) and used
through ``platform.plugins``; ``paved.inspect_plugin`` and
``paved.check_plugin`` look at a component without a store.

Results are objects with attributes and ``to_dict()`` (the JSON form the CLI
prints); entities are accepted as ``Entity`` objects or plain dicts. Errors
are subclasses of ``PavedError`` with ``.code`` and ``.details``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Union, cast

from paved import _native
from paved._blocking import run
from paved._native import (
    AsyncApprovals,
    AsyncAudit,
    AsyncCatalog,
    AsyncPaths,
    AsyncPlatform,
    AsyncPlugins,
    AsyncPolicies,
    AsyncQueryIterator,
    AsyncResources,
    AsyncScorecards,
    AsyncSubscription,
    AuditRecord,
    ChainBreak,
    ChangeSet,
    ConflictError,
    Decision,
    DeniedError,
    Diagnostic,
    Entity,
    Event,
    Explained,
    FacetCount,
    FieldDiff,
    Graph,
    GraphEdge,
    GraphNode,
    GuardrailInfo,
    IoError,
    LaggedError,
    LockedError,
    NotFoundError,
    Page,
    PathRun,
    PavedError,
    PendingApprovalError,
    Plan,
    PlannedChange,
    PluginError,
    PluginInspection,
    PolicyTestReport,
    ProviderInfo,
    Relation,
    ResourceTypeInfo,
    Review,
    StoreError,
    ValidationError,
    ValidationReport,
    VerifyReport,
    Violation,
    __version__,
)
from paved._audit import Audit
from paved._catalog import (
    Catalog,
    LocationRead,
    LocationRefresh,
    LocationStatus,
    QueryIterator,
    RefreshEvent,
    RefreshReport,
)
from paved._paths import (
    EntityChange,
    FileChange,
    Onboarding,
    PathMetrics,
    Paths,
    PathPlan,
    PathUsage,
    PlannedStep,
    Progress,
    Provisioning,
    RunOutput,
    RunRecord,
    RunSummary,
    SnapshotReport,
    StepRecord,
    TemplateSummary,
)
from paved._platform import EventStream, Platform, Plugins
from paved._policies import Policies, PolicyBinding
from paved._approvals import Approval, Approvals, Requirement
from paved._resources import (
    ApplyReport,
    DriftItem,
    DriftReport,
    ImportReport,
    LeaseInfo,
    PlannedResource,
    Recovered,
    ResourcePlan,
    ResourceResult,
    Resources,
    ResourceState,
    ResourceSummary,
)
from paved._scorecards import Score, Scorecards, Snapshot, TeamScore

PathArg = Union[str, "os.PathLike[str]"]


def validate(
    paths: PathArg | Sequence[PathArg], *, config: PathArg | None = None
) -> ValidationReport:
    """Validate catalogue files or directories without a store; ``config``:
    a ``paved.yaml`` whose custom kinds count (default: as ``open`` finds it)."""
    return cast(ValidationReport, run(_native.validate, paths, config=config))


def inspect_plugin(
    path: PathArg, *, plugin_cache: PathArg | None = None
) -> PluginInspection:
    """What a component is and asks for, without validating settings."""
    return cast(
        PluginInspection,
        run(_native.inspect_plugin, path, plugin_cache=plugin_cache),
    )


def check_plugin(
    path: PathArg,
    *,
    name: str | None = None,
    kind: str | None = None,
    settings: Mapping[str, Any] | None = None,
    grants: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    plugin_cache: PathArg | None = None,
) -> GuardrailInfo | ProviderInfo | dict[str, Any]:
    """Load a plugin as configured (settings validated, grants applied) and
    return what it says of itself; ``kind`` defaults to the component's world."""
    return cast(
        "GuardrailInfo | ProviderInfo | dict[str, Any]",
        run(
            _native.check_plugin,
            path,
            name=name,
            kind=kind,
            settings=settings,
            grants=grants,
            limits=limits,
            plugin_cache=plugin_cache,
        ),
    )


__all__ = [
    "ApplyReport",
    "Approval",
    "Approvals",
    "AsyncApprovals",
    "AsyncAudit",
    "AsyncCatalog",
    "AsyncPaths",
    "AsyncPlatform",
    "AsyncPlugins",
    "AsyncPolicies",
    "AsyncQueryIterator",
    "AsyncResources",
    "AsyncScorecards",
    "AsyncSubscription",
    "Audit",
    "AuditRecord",
    "Catalog",
    "ChainBreak",
    "ChangeSet",
    "ConflictError",
    "Decision",
    "DeniedError",
    "Diagnostic",
    "DriftItem",
    "DriftReport",
    "Entity",
    "EntityChange",
    "Event",
    "EventStream",
    "Explained",
    "FacetCount",
    "FieldDiff",
    "FileChange",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "GuardrailInfo",
    "ImportReport",
    "IoError",
    "LaggedError",
    "LeaseInfo",
    "LocationRead",
    "LocationRefresh",
    "LocationStatus",
    "LockedError",
    "NotFoundError",
    "Onboarding",
    "Page",
    "PathMetrics",
    "PathPlan",
    "PathRun",
    "PathUsage",
    "Paths",
    "PavedError",
    "PendingApprovalError",
    "Plan",
    "PlannedChange",
    "PlannedResource",
    "PlannedStep",
    "Platform",
    "PluginError",
    "PluginInspection",
    "Plugins",
    "Policies",
    "PolicyBinding",
    "PolicyTestReport",
    "Progress",
    "ProviderInfo",
    "Provisioning",
    "QueryIterator",
    "Recovered",
    "RefreshEvent",
    "RefreshReport",
    "Relation",
    "Requirement",
    "ResourcePlan",
    "ResourceResult",
    "ResourceState",
    "ResourceSummary",
    "ResourceTypeInfo",
    "Resources",
    "Review",
    "RunOutput",
    "RunRecord",
    "RunSummary",
    "Score",
    "Scorecards",
    "Snapshot",
    "SnapshotReport",
    "StepRecord",
    "StoreError",
    "TeamScore",
    "TemplateSummary",
    "ValidationError",
    "ValidationReport",
    "VerifyReport",
    "Violation",
    "__version__",
    "check_plugin",
    "inspect_plugin",
    "validate",
]
