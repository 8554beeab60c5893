"""paved: an embeddable internal-developer-platform engine, from Python.

Open a platform, then use its catalogue, audit log and events::

    import paved

    with paved.Platform.open("sqlite:.paved/paved.db") as platform:
        platform.catalog.import_files("examples/catalog")
        for entity in platform.catalog.query("kind=component"):
            print(entity.ref, entity.spec.get("owner"))

Every blocking method releases the GIL while the engine works. The asyncio
API has the same names: ``await paved.AsyncPlatform.open(...)``, then
``await platform.catalog.get(...)`` and ``async for event in platform.events()``.

Plugins: ``paved.PluginHost().load_guardrail(path, settings=..., grants=...)``
gives a ``Guardrail`` whose ``review(change)`` returns a ``Review``;
``load_provider`` gives a ``Provider`` with ``describe()`` and ``plan(request)``.

Results are objects with attributes and ``to_dict()`` (the JSON form the CLI
prints); entities are accepted as ``Entity`` objects or plain dicts. Errors
are subclasses of ``PavedError``.
"""

import atexit

from paved import _native
from paved._native import (
    AsyncAudit,
    AsyncCatalog,
    AsyncEventStream,
    AsyncGuardrail,
    AsyncPlatform,
    AsyncPluginHost,
    AsyncProvider,
    AsyncQueryIterator,
    Audit,
    AuditRecord,
    Catalog,
    ChainBreak,
    ChangeSet,
    ConflictError,
    Diagnostic,
    Entity,
    Event,
    EventStream,
    FacetCount,
    FieldDiff,
    FileError,
    Graph,
    GraphEdge,
    GraphNode,
    Guardrail,
    GuardrailInfo,
    LaggedError,
    NotFoundError,
    Page,
    PavedError,
    Plan,
    PlannedChange,
    Platform,
    PluginError,
    PluginHost,
    PluginInspection,
    Provider,
    ProviderInfo,
    QueryIterator,
    Relation,
    ResourceTypeInfo,
    Review,
    StoreError,
    ValidationError,
    ValidationReport,
    VerifyReport,
    Violation,
    __version__,
    validate,
    validate_text,
    validate_values,
)

__all__ = [
    "AsyncAudit",
    "AsyncCatalog",
    "AsyncEventStream",
    "AsyncGuardrail",
    "AsyncPlatform",
    "AsyncPluginHost",
    "AsyncProvider",
    "AsyncQueryIterator",
    "Audit",
    "AuditRecord",
    "Catalog",
    "ChainBreak",
    "ChangeSet",
    "ConflictError",
    "Diagnostic",
    "Entity",
    "Event",
    "EventStream",
    "FacetCount",
    "FieldDiff",
    "FileError",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "Guardrail",
    "GuardrailInfo",
    "LaggedError",
    "NotFoundError",
    "Page",
    "PavedError",
    "Plan",
    "PlannedChange",
    "Platform",
    "PluginError",
    "PluginHost",
    "PluginInspection",
    "Provider",
    "ProviderInfo",
    "QueryIterator",
    "Relation",
    "ResourceTypeInfo",
    "Review",
    "StoreError",
    "ValidationError",
    "ValidationReport",
    "VerifyReport",
    "Violation",
    "__version__",
    "validate",
    "validate_text",
    "validate_values",
]

# Let runtime threads finish handing results to asyncio before the
# interpreter finalizes (see `_settle_at_exit` in src/lib.rs).
atexit.register(_native._settle_at_exit)
