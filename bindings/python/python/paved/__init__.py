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

Results are objects with attributes and ``to_dict()`` (the JSON form the CLI
prints); entities are accepted as ``Entity`` objects or plain dicts. Errors
are subclasses of ``PavedError``.
"""

from paved._native import (
    AsyncAudit,
    AsyncCatalog,
    AsyncEventStream,
    AsyncPlatform,
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
    FileError,
    Graph,
    GraphEdge,
    GraphNode,
    LaggedError,
    NotFoundError,
    Page,
    PavedError,
    PlannedChange,
    Platform,
    PluginError,
    QueryIterator,
    Relation,
    StoreError,
    ValidationError,
    ValidationReport,
    VerifyReport,
    __version__,
    validate,
    validate_text,
    validate_values,
)

__all__ = [
    "AsyncAudit",
    "AsyncCatalog",
    "AsyncEventStream",
    "AsyncPlatform",
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
    "FileError",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "LaggedError",
    "NotFoundError",
    "Page",
    "PavedError",
    "PlannedChange",
    "Platform",
    "PluginError",
    "QueryIterator",
    "Relation",
    "StoreError",
    "ValidationError",
    "ValidationReport",
    "VerifyReport",
    "__version__",
    "validate",
    "validate_text",
    "validate_values",
]
