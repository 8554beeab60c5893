"""Opening a platform, blocking API: ``Platform``, ``Plugins`` and
``EventStream`` over ``paved._native.AsyncPlatform`` (``paved.AsyncPlatform``
is the asyncio API itself)."""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Union, cast

from paved import _native
from paved._blocking import run, run_for
from paved._native import Event, GuardrailInfo, Plan, ProviderInfo, Review
from paved._audit import Audit
from paved._approvals import Approvals
from paved._catalog import Catalog
from paved._paths import Paths
from paved._policies import Policies
from paved._resources import Resources
from paved._scorecards import Scorecards

StoreArg = Union[str, "os.PathLike[str]"]
PluginEntry = Mapping[str, Any]


class EventStream:
    """Events as they happen: ``for event in platform.subscribe()``.

    A subscriber that fell behind gets ``LaggedError`` (``.missed``) once;
    iterating again goes on with newer events. The iteration ends when the
    platform is closed.
    """

    def __init__(self, inner: _native.AsyncSubscription) -> None:
        self._inner = inner

    def recv(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting at most ``timeout`` seconds (None: until
        one comes); None on timeout or when the platform is closed."""
        try:
            return cast("Event | None", run_for(timeout, self._inner.next))
        except TimeoutError:
            return None

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Event:
        event = cast("Event | None", run(self._inner.next))
        if event is None:
            raise StopIteration
        return event

    def __repr__(self) -> str:
        return "<EventStream>"


class Plugins:
    """The guardrails and providers a platform was opened with (blocking
    calls). ``apply``, ``delete`` and ``import_resource`` are recorded in the
    audit log."""

    def __init__(self, inner: _native.AsyncPlugins) -> None:
        self._inner = inner

    def list(self) -> builtins.list[dict[str, str]]:
        """Every plugin as ``{"name": …, "kind": "guardrail" | "provider"}``."""
        return cast("builtins.list[dict[str, str]]", self._inner.list())

    def describe(self, name: str) -> GuardrailInfo | ProviderInfo | dict[str, Any]:
        """What a plugin says of itself."""
        return cast("GuardrailInfo | ProviderInfo | dict[str, Any]", run(self._inner.describe, name))

    def review(
        self,
        name: str,
        change: Mapping[str, Any],
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> Review:
        """Review one change with a guardrail (``settings``: a policy's own)."""
        return cast(Review, run(self._inner.review, name, change, settings=settings))

    def plan(self, name: str, request: Mapping[str, Any]) -> Plan:
        """What applying a resource would do (changes nothing)."""
        return cast(Plan, run(self._inner.plan, name, request))

    def read(self, name: str, request: Mapping[str, Any]) -> dict[str, Any] | None:
        """The resource as it is now; None when it is gone."""
        return cast("dict[str, Any] | None", run(self._inner.read, name, request))

    def apply(
        self,
        name: str,
        request: Mapping[str, Any],
        *,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Bring a resource to the requested params (audited)."""
        return cast(
            "dict[str, Any]",
            run(self._inner.apply, name, request, actor=actor, dry_run=dry_run),
        )

    def delete(
        self,
        name: str,
        request: Mapping[str, Any],
        *,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> None:
        """Remove a resource (audited)."""
        run(self._inner.delete, name, request, actor=actor, dry_run=dry_run)

    def import_resource(
        self,
        name: str,
        request: Mapping[str, Any],
        *,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Adopt a resource that exists outside paved (audited)."""
        return cast(
            "dict[str, Any]",
            run(
                self._inner.import_resource, name, request, actor=actor, dry_run=dry_run
            ),
        )

    def __repr__(self) -> str:
        return "<Plugins>"


class Platform:
    """An open platform (blocking API). ``with Platform.open(...) as p:``
    closes it on exit."""

    def __init__(self, inner: _native.AsyncPlatform) -> None:
        self._inner = inner

    @staticmethod
    def open(
        store: StoreArg | None = None,
        *,
        config: str | os.PathLike[str] | None = None,
        actor: str | None = None,
        plugins: Sequence[PluginEntry] | None = None,
        plugin_cache: str | os.PathLike[str] | None = None,
        prepare_guardrails: bool = False,
    ) -> Platform:
        """Open a platform; see ``paved.AsyncPlatform.open`` for the arguments.
        What is not given is resolved by the engine (``$PAVED_STORE``,
        ``$PAVED_CONFIG``, ``./paved.yaml``, ``$PAVED_ACTOR``, built-ins)."""
        inner = run(
            _native.AsyncPlatform.open,
            store,
            config=config,
            actor=actor,
            plugins=plugins,
            plugin_cache=plugin_cache,
            prepare_guardrails=prepare_guardrails,
        )
        return Platform(cast(_native.AsyncPlatform, inner))

    @property
    def catalog(self) -> Catalog:
        """The catalogue."""
        return Catalog(self._inner.catalog)

    @property
    def audit(self) -> Audit:
        """The audit log."""
        return Audit(self._inner.audit)

    @property
    def plugins(self) -> Plugins:
        """The guardrails and providers."""
        return Plugins(self._inner.plugins)

    @property
    def policies(self) -> Policies:
        """The policy bindings, their decisions, and trying an entity on them."""
        return Policies(self._inner.policies)

    @property
    def scorecards(self) -> Scorecards:
        """The scorecards: entities and teams scored on the platform's levels."""
        return Scorecards(self._inner.scorecards)

    @property
    def approvals(self) -> Approvals:
        """Changes held by policies that ask for approval: list, approve, reject."""
        return Approvals(self._inner.approvals)

    @property
    def resources(self) -> Resources:
        """The resources: plan, apply, drift, destroy and import them through
        their providers; their state, history, outputs and leases."""
        return Resources(self._inner.resources)

    @property
    def paths(self) -> Paths:
        """The golden paths: the catalogue's Templates previewed, run, rolled
        back, resumed, tested and measured."""
        return Paths(self._inner.paths)

    def subscribe(self) -> EventStream:
        """Events from now on: this process's, and on a PostgreSQL store,
        other processes'."""
        return EventStream(self._inner.subscribe())

    def to_async(self) -> _native.AsyncPlatform:
        """The same platform with the asyncio API."""
        return self._inner

    @property
    def store(self) -> str:
        """The store, e.g. ``sqlite:.paved/paved.db``."""
        return cast(str, self._inner.store)

    @property
    def origin(self) -> str:
        """This instance's id, carried by the events it makes."""
        return cast(str, self._inner.origin)

    @property
    def actor(self) -> str:
        """The actor writes are recorded under when they name none."""
        return cast(str, self._inner.actor)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return cast(bool, self._inner.closed)

    def close(self) -> None:
        """Release this handle (idempotent)."""
        self._inner.close()

    def __enter__(self) -> Platform:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncPlatform", "Platform", 1)
