"""Scorecards, blocking API: ``Scorecards`` over ``paved._native.AsyncScorecards``,
and the shapes of what it returns (dicts, as ``paved scorecard … -o json``
prints them)."""

from __future__ import annotations

import builtins
from typing import Any, Optional, TypedDict, cast

from paved import _native
from paved._blocking import run


class Violation(TypedDict):
    path: str
    message: str


class RuleScore(TypedDict, total=False):
    level: str
    policy: str
    status: str  # "passed" | "failed" | "not-applicable"
    violations: builtins.list[Violation]
    failure: str
    description: str


class Score(TypedDict, total=False):
    scorecard: str
    entity: str
    owner: str
    level: Optional[str]
    nextLevel: Optional[str]
    passed: int
    applicable: int
    percent: int
    rules: builtins.list[RuleScore]


class LevelCount(TypedDict):
    level: str
    entities: int


class EntityLevel(TypedDict):
    entity: str
    level: Optional[str]
    passed: int
    applicable: int


class TeamScore(TypedDict):
    scorecard: str
    team: str
    entities: int
    below: int
    levels: builtins.list[LevelCount]
    passed: int
    applicable: int
    percent: int
    scores: builtins.list[EntityLevel]


class Snapshot(TeamScore, total=False):
    id: int
    at: str


class Scorecards:
    """Entities and teams scored on the platform's scorecards (levels of
    policies), and the scores recorded over time (blocking calls)."""

    def __init__(self, inner: _native.AsyncScorecards) -> None:
        self._inner = inner

    def list(self) -> builtins.list[dict[str, Any]]:
        """The scorecards, as in ``paved.yaml``."""
        return cast("builtins.list[dict[str, Any]]", self._inner.list())

    def score(self, entity_ref: str, *, scorecard: str | None = None) -> builtins.list[Score]:
        """One entity's scores on every scorecard that selects it (or the one
        named): its level, what to do next, and each rule."""
        return cast("builtins.list[Score]", run(self._inner.score, entity_ref, scorecard=scorecard))

    def team(self, team: str, *, scorecard: str | None = None) -> builtins.list[TeamScore]:
        """The scores of every entity a team (group ref) owns."""
        return cast("builtins.list[TeamScore]", run(self._inner.team, team, scorecard=scorecard))

    def record(
        self,
        *,
        scorecard: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> builtins.list[Snapshot]:
        """Score every entity and record each team's scores in the audit log
        (a write: the actor and the checks apply; ``dry_run`` records nothing)."""
        return cast(
            "builtins.list[Snapshot]",
            run(self._inner.record, scorecard=scorecard, actor=actor, dry_run=dry_run),
        )

    def history(
        self, team: str, *, scorecard: str | None = None, limit: int | None = None
    ) -> builtins.list[Snapshot]:
        """A team's recorded scores, newest first (``limit`` default: 100)."""
        return cast(
            "builtins.list[Snapshot]",
            run(self._inner.history, team, scorecard=scorecard, limit=limit),
        )

    def __repr__(self) -> str:
        return "<Scorecards>"
