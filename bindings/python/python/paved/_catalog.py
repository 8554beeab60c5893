"""The catalogue, blocking API: ``Catalog`` and ``QueryIterator`` over
``paved._native.AsyncCatalog`` (each method is one call on the background
loop; arguments and defaults are the native method's)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, TypedDict, Union, cast

from paved import _native
from paved._blocking import run
from paved._native import ChangeSet, Entity, FacetCount, Graph, Page, ValidationReport

PathArg = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]
ImportMode = Literal["per-entity", "all-or-nothing"]
"""How ``import_files`` treats entities it cannot store (default ``"per-entity"``)."""
Strings = Union[str, Sequence[str]]
EntityArg = Union[Entity, Mapping[str, Any]]


class LocationRead(TypedDict, total=False):
    """What one import or refresh of a location did."""

    action: str  # "catalog.import" | "catalog.refresh"
    at: str  # RFC 3339; "" in a dry run
    actor: str
    created: int
    updated: int
    unchanged: int
    deleted: int
    orphans: list[str]
    refused: list[dict[str, Any]]  # diagnostics: location, path, entity, message
    conflicts: list[dict[str, Any]]
    error: str  # the location could not be read at all (nothing changed)


class LocationStatus(TypedDict):
    """A registered location (a root an import started from)."""

    location: str  # "file:/abs/path" or "url:https://…"
    target: str
    entities: int
    lastRead: LocationRead | None


class LocationRefresh(LocationRead, total=False):
    """One location's refresh (a ``LocationRead`` with what changed)."""

    location: str
    changes: list[dict[str, Any]]  # entityRef, outcome, etag (unchanged left out)
    files: int


class RefreshReport(TypedDict):
    """What a refresh did, location by location."""

    trigger: str  # "request" | "start" | "interval" | "files"
    locations: list[LocationRefresh]
    dryRun: bool
    millis: int


class RefreshEvent(TypedDict, total=False):
    """One event of ``refreshes``: ``event`` is "location" (the fields of a
    ``LocationRefresh``) or "done" (those of a ``RefreshReport``)."""

    event: str
    location: str
    locations: list[LocationRefresh]
    trigger: str


# Most matches one hop to the background loop brings back (a page is 100
# by default; a batch never waits for more than the page at hand).
BATCH = 10_000


class QueryIterator:
    """Every match of a query: ``Entity`` objects (dicts when ``fields``
    projects them), loading one page at a time: one call on the background
    loop per page, not per entity."""

    def __init__(self, inner: _native.AsyncQueryIterator) -> None:
        self._inner = inner
        self._ready: deque[Any] = deque()
        self._done = False

    def __iter__(self) -> QueryIterator:
        return self

    def __next__(self) -> Any:
        if not self._ready and not self._done:
            batch = cast(list[Any], run(self._inner.next_batch, BATCH))
            self._ready.extend(batch)
            self._done = not batch
        if not self._ready:
            raise StopIteration
        return self._ready.popleft()

    def __repr__(self) -> str:
        return "<QueryIterator>"


class Catalog:
    """The catalogue of a platform (blocking calls)."""

    def __init__(self, inner: _native.AsyncCatalog) -> None:
        self._inner = inner

    def validate(self, paths: PathArg) -> ValidationReport:
        """Validate files or directories against this platform's kinds; writes nothing."""
        return cast(ValidationReport, run(self._inner.validate, paths))

    def validate_text(self, text: str, *, name: str | None = None) -> ValidationReport:
        """Validate YAML text; ``name`` is the file name in diagnostics
        (default ``<inline>``)."""
        return cast(ValidationReport, run(self._inner.validate_text, text, name=name))

    def validate_values(
        self, entities: EntityArg | Sequence[EntityArg]
    ) -> ValidationReport:
        """Validate entities given as dicts or ``Entity`` objects."""
        return cast(ValidationReport, run(self._inner.validate_values, entities))

    def import_files(
        self,
        paths: PathArg,
        *,
        mode: ImportMode | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ChangeSet:
        """Import files, directories and the locations they name. ``mode``
        ``"per-entity"`` (default): what passes is stored, the rest is in the
        result's ``refused`` and ``conflicts`` (``partial`` is true);
        ``"all-or-nothing"``: any problem raises ``ValidationError`` and
        nothing is written."""
        return cast(
            ChangeSet,
            run(
                self._inner.import_files,
                paths,
                mode=mode,
                actor=actor,
                dry_run=dry_run,
            ),
        )

    def upsert(
        self,
        entity: EntityArg,
        *,
        etag: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ChangeSet:
        """Create or update one entity; ``etag`` guards against concurrent writes."""
        return cast(
            ChangeSet,
            run(self._inner.upsert, entity, etag=etag, actor=actor, dry_run=dry_run),
        )

    def delete(
        self,
        entity_ref: str,
        *,
        etag: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ChangeSet:
        """Delete one entity by ref (its relations go with it)."""
        return cast(
            ChangeSet,
            run(
                self._inner.delete, entity_ref, etag=etag, actor=actor, dry_run=dry_run
            ),
        )

    def get(self, entity_ref: str) -> Entity:
        """One entity by ref; ``NotFoundError`` if missing."""
        return cast(Entity, run(self._inner.get, entity_ref))

    def query(
        self,
        filter: Strings | None = None,
        *,
        predicate: Mapping[str, Any] | None = None,
        text: str | None = None,
        fields: Strings | None = None,
        order: Strings | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """One page of matches (``filter`` strings AND ``predicate``); pass
        ``page.next_cursor`` as ``cursor`` for the next."""
        return cast(
            Page,
            run(
                self._inner.query,
                filter,
                predicate=predicate,
                text=text,
                fields=fields,
                order=order,
                limit=limit,
                cursor=cursor,
            ),
        )

    def query_all(
        self,
        filter: Strings | None = None,
        *,
        predicate: Mapping[str, Any] | None = None,
        text: str | None = None,
        fields: Strings | None = None,
        order: Strings | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> QueryIterator:
        """Every match, page after page (``limit``: page size); the arguments
        are those of ``query``."""
        return QueryIterator(
            self._inner.query_all(
                filter,
                predicate=predicate,
                text=text,
                fields=fields,
                order=order,
                limit=limit,
                cursor=cursor,
            )
        )

    def search(self, text: str, *, limit: int | None = None) -> Page:
        """Full-text search over name, title, description and tags."""
        return cast(Page, run(self._inner.search, text, limit=limit))

    def facets(
        self,
        field: str,
        filter: Strings | None = None,
        *,
        predicate: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> list[FacetCount]:
        """How many entities have each value of ``field`` among the matches,
        most frequent first: every value, or the ``limit`` most frequent."""
        return cast(
            "list[FacetCount]",
            run(self._inner.facets, field, filter, predicate=predicate, limit=limit),
        )

    def graph(
        self,
        entity_ref: str,
        traversal: str | None = None,
        depth: int | None = None,
        limit: int | None = None,
    ) -> Graph:
        """Follow relations from an entity (``traversal``: dependencies,
        dependents, owned, ancestry or all; ``depth`` hops; at most ``limit``
        entities, 1000 by default: ``Graph.truncated`` says whether it stopped
        there)."""
        return cast(
            Graph, run(self._inner.graph, entity_ref, traversal, depth, limit)
        )

    def locations(self) -> list[LocationStatus]:
        """Every registered location (a root an import started from), with
        the entities stored from it and its last import or refresh (what it
        refused)."""
        return cast("list[LocationStatus]", run(self._inner.locations))

    def location(self, location: str) -> LocationStatus:
        """One registered location: a path, a URL or a ref such as
        ``file:/abs/path``; ``NotFoundError`` otherwise."""
        return cast(LocationStatus, run(self._inner.location, location))

    def refresh(
        self, location: str | None = None, *, actor: str | None = None, dry_run: bool = False
    ) -> RefreshReport:
        """Re-read one registered location, or all of them, and apply what
        changed per entity: unchanged entities are not rewritten, orphans are
        handled by ``catalog.orphanStrategy``, refused entities reported."""
        return cast(
            RefreshReport, run(self._inner.refresh, location, actor=actor, dry_run=dry_run)
        )

    def refreshes(
        self,
        location: str | None = None,
        *,
        interval: str | None = None,
        watch: bool = False,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> Iterator[RefreshEvent]:
        """Refresh once, then every ``interval`` ("30s", "5m") and/or whenever
        a file read changes (``watch``): an iterator of events, one per
        location as it is done (``"event": "location"``) and one per refresh
        (``"event": "done"``). Without ``interval`` or ``watch`` it ends after
        one refresh; otherwise when you stop iterating."""
        return cast(
            Iterator[RefreshEvent],
            QueryIterator(
                self._inner.refreshes(
                    location, interval=interval, watch=watch, actor=actor, dry_run=dry_run
                )
            ),
        )

    def __repr__(self) -> str:
        return "<Catalog>"
