"""Scorecards from Python: the example scorecard (examples/policies/paved.yaml)
on the sample catalogue, on SQLite and PostgreSQL. An entity's level and
what to fix next, a team's levels, snapshots recorded and read back as the
team's trend; the asyncio API answers the same."""

from __future__ import annotations

import asyncio

import pytest
from conftest import EXAMPLE_CATALOG, ROOT

import paved

CONFIG = ROOT / "examples" / "policies" / "paved.yaml"
PAYMENTS = "group:default/team-payments"


def test_an_entity_a_team_and_their_trend(store_url: str) -> None:
    with paved.Platform.open(store_url, config=CONFIG) as p:
        p.catalog.import_files([EXAMPLE_CATALOG])
        assert [c["name"] for c in p.scorecards.list()] == ["production-readiness"]

        [score] = p.scorecards.score("component:default/checkout-service")
        assert (score["level"], score["nextLevel"]) == ("silver", "gold")
        failed = [r for r in score["rules"] if r["status"] == "failed"]
        assert [r["policy"] for r in failed] == ["component-is-operable"]
        assert "no links" in failed[0]["violations"][0]["message"]

        [team] = p.scorecards.team(PAYMENTS)
        assert team["entities"] == 4
        assert [(c["level"], c["entities"]) for c in team["levels"]] == [
            ("bronze", 3),
            ("silver", 1),
            ("gold", 0),
        ]

        assert p.scorecards.record(dry_run=True)[0].get("id") is None
        assert p.scorecards.history(PAYMENTS) == []
        recorded = p.scorecards.record(actor="user:default/scorer")
        assert {s["team"] for s in recorded} >= {PAYMENTS, "group:default/team-storefront"}
        [snapshot] = p.scorecards.history(PAYMENTS, scorecard="production-readiness")
        assert snapshot["id"] > 0 and snapshot["below"] == 0

        with pytest.raises(paved.NotFoundError):
            p.scorecards.score("component:default/checkout-service", scorecard="nope")
        with pytest.raises(paved.ValidationError):
            p.scorecards.record(actor="not a ref")


def test_asyncio_scores_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with await paved.AsyncPlatform.open(f"sqlite:{tmp_path}/a.db", config=CONFIG) as p:
            await p.catalog.import_files([EXAMPLE_CATALOG])
            [score] = await p.scorecards.score("component:default/web-shop")
            assert score["level"] == "gold" and score["percent"] == 100
            [team] = await p.scorecards.team("group:default/team-storefront")
            assert team["entities"] == 4

    asyncio.run(main())
