"""Policies, blocking API: ``Policies`` over ``paved._native.AsyncPolicies``."""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict, cast

from paved import _native
from paved._blocking import run
from paved._native import Decision, Explained, PolicyTestReport


class RegoSource(TypedDict, total=False):
    """A Rego binding's policies: files (relative to ``paved.yaml``) or one
    inline module, and data documents."""

    policies: builtins.list[str]
    module: str
    data: builtins.list[str]
    document: dict[str, Any]
    query: str


class PolicyMatch(TypedDict, total=False):
    """Which changes a binding reviews (every change when empty)."""

    operations: builtins.list[str]
    kinds: builtins.list[str]
    namespaces: builtins.list[str]
    labels: dict[str, str]
    owners: builtins.list[str]
    resourceTypes: builtins.list[str]
    environments: builtins.list[str]


class ApprovalRule(TypedDict):
    approvers: builtins.list[str]
    ttl: NotRequired[str]


class PolicyBinding(TypedDict):
    """A policy binding as ``policies.list()`` returns it (as in
    ``paved.yaml``; a Policy entity's is named by its ref, its Rego inline)."""

    name: str
    guardrail: NotRequired[str]
    rego: NotRequired[RegoSource]
    match: PolicyMatch
    settings: NotRequired[dict[str, Any]]
    mode: Literal["enforce", "warn", "audit", "off"]
    failure: Literal["closed", "open"]
    description: NotRequired[str]
    approval: NotRequired[ApprovalRule]


class Policies:
    """The policy bindings every write is reviewed by, the decisions they
    recorded, and trying an entity on them (blocking calls)."""

    def __init__(self, inner: _native.AsyncPolicies) -> None:
        self._inner = inner

    def list(self) -> builtins.list[PolicyBinding]:
        """The bindings in force, in review order, as in ``paved.yaml``:
        ``paved.yaml``'s, then the catalogue's Policy entities (named by ref)."""
        return cast("builtins.list[PolicyBinding]", run(self._inner.list))

    def evaluate(self, entity: Mapping[str, Any], *, actor: str | None = None) -> builtins.list[Decision]:
        """Review ``entity`` as writing it would, without writing: every
        decision, plain allows included."""
        return cast("builtins.list[Decision]", run(self._inner.evaluate, entity, actor=actor))

    def test(self, path: str | os.PathLike[str]) -> PolicyTestReport:
        """Run the policy test files under ``path`` (a directory of
        ``*.test.yaml`` files, or one file): each case is reviewed as a
        write would be, without writing; ``.ok`` says whether all passed."""
        return cast(PolicyTestReport, run(self._inner.test, path))

    def why(self, id: int) -> Explained:
        """A recorded decision and what it means (``.explanation``)."""
        return cast(Explained, run(self._inner.why, id))

    def decisions(
        self,
        *,
        subject: str | None = None,
        policy: str | None = None,
        actor: str | None = None,
        team: str | None = None,
        blocking: bool = False,
        limit: int | None = None,
    ) -> builtins.list[Decision]:
        """Recorded decisions, newest first; every filter given must match
        (``team``: about what that group owns; ``limit`` default: paved's
        audit limit, 100)."""
        return cast(
            "builtins.list[Decision]",
            run(
                self._inner.decisions,
                subject=subject,
                policy=policy,
                actor=actor,
                team=team,
                blocking=blocking,
                limit=limit,
            ),
        )

    def __repr__(self) -> str:
        return "<Policies>"
