"""Policies from Python: bindings in paved.yaml bind a wasm guardrail to
writes; an enforcing deny raises DeniedError with its decisions and writes
nothing; decisions are listed and explained; evaluate reviews without
writing; the asyncio API answers the same."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import ROOT, component
from test_plugins import component as plugin_file

import paved


@pytest.fixture
def config(tmp_path: Path, wasm: Path) -> Path:
    path = tmp_path / "paved.yaml"
    path.write_text(
        json.dumps(
            {
                "plugins": [
                    {
                        "name": "naming",
                        "path": str(plugin_file(wasm, "naming-convention")),
                        "kind": "guardrail",
                        "settings": {"patterns": {"Component": "^[a-z][a-z0-9-]*$"}},
                    }
                ],
                "policies": [
                    {
                        "name": "component-names",
                        "guardrail": "naming",
                        "match": {"kinds": ["Component"]},
                        "description": "Component names are lower-case words joined by dashes.",
                    }
                ],
            }
        )
    )
    return path


def test_an_enforcing_deny_raises_with_its_decisions_and_writes_nothing(
    config: Path, store_url: str
) -> None:
    with paved.Platform.open(store_url, config=config) as p:
        (binding,) = p.policies.list()
        assert (binding["name"], binding.get("guardrail")) == ("component-names", "naming")
        assert (binding["mode"], binding["failure"]) == ("enforce", "closed")
        assert binding["match"].get("kinds") == ["Component"]
        with pytest.raises(paved.DeniedError) as raised:
            p.catalog.upsert(component("Bad_Name"), actor="user:default/ada")
        decisions = raised.value.details["decisions"]
        assert len(decisions) == 1 and decisions[0]["blocking"]
        assert decisions[0]["policy"] == "component-names"
        with pytest.raises(paved.NotFoundError):
            p.catalog.get("component:default/Bad_Name")

        recorded = p.policies.decisions(blocking=True)
        assert [d.id for d in recorded] == [decisions[0]["id"]]
        assert recorded[0].verdict == "deny" and recorded[0].subject == "component:default/Bad_Name"
        assert len(p.policies.decisions(team="team-payments")) == 1
        assert p.policies.decisions(team="group:default/team-other") == []
        why = p.policies.why(recorded[0].id)
        assert "component-names" in why.explanation
        assert "lower-case words" in why.explanation
        assert why.decision.to_dict()["actor"] == "user:default/ada"

        fine = p.policies.evaluate(component("good-name"))
        assert [d.verdict for d in fine] == ["allow"]
        assert fine[0].id is None
        p.catalog.upsert(component("good-name"))
        assert p.catalog.get("component:default/good-name").name == "good-name"


def test_the_asyncio_api_answers_the_same(config: Path, tmp_path: Path) -> None:
    async def main() -> None:
        async with await paved.AsyncPlatform.open(f"sqlite:{tmp_path}/a.db", config=config) as p:
            with pytest.raises(paved.DeniedError):
                await p.catalog.upsert(component("Nope_Name"))
            [d] = await p.policies.decisions()
            assert d.blocking
            assert "component-names" in (await p.policies.why(d.id)).explanation
            [allow] = await p.policies.evaluate(component("fine"))
            assert allow.verdict == "allow"

    asyncio.run(main())


def test_an_unknown_guardrail_is_refused_when_the_platform_opens(tmp_path: Path) -> None:
    path = tmp_path / "paved.yaml"
    path.write_text(json.dumps({"policies": [{"name": "x", "guardrail": "missing"}]}))
    with pytest.raises(paved.ValidationError) as raised:
        paved.Platform.open("sqlite::memory:", config=path)
    assert raised.value.errors[0].path == "policies[0].guardrail"


def test_policy_fixture_tests_run_blocking_and_asyncio(tmp_path: Path) -> None:
    examples = ROOT / "examples" / "policies"
    with paved.Platform.open("sqlite::memory:", config=examples / "paved.yaml") as p:
        report = p.policies.test(examples / "tests")
        assert report.ok and (report.passed, report.failed) == (15, 0)
        # catalog-rules, the scorecard's rules (component-is-documented, -operable),
        assert [c["got"] for c in report.cases] == [
            *["allow", "deny", "warn", "deny", "allow"],
            *["allow", "deny", "allow", "deny"],
            *["allow", "deny", "deny", "deny"],  # production-databases-have-backups
            *["allow", "deny"],  # resources-carry-cost-center
        ]
        assert repr(report) == "<PolicyTestReport 15 passed, 0 failed>"

        wrong = tmp_path / "wrong.test.yaml"
        wrong.write_text(
            "cases:\n  - name: wrong\n    after: {apiVersion: backstage.io/v1alpha1, kind: Component,"
            " metadata: {name: x}, spec: {type: service, lifecycle: retired, owner: team-a}}\n"
            "    expect: allow\n"
        )
        failed = p.policies.test(str(wrong))
        assert not failed.ok and failed.failed == 1
        assert failed.cases[0]["problems"][0].startswith("expected allow, got deny")

        wrong.write_text("policy: nope\ncases: []\n")
        with pytest.raises(paved.ValidationError) as raised:
            p.policies.test(wrong)
        assert raised.value.errors[0].path == "policy"

    async def main() -> None:
        async with await paved.AsyncPlatform.open(
            "sqlite::memory:", config=examples / "paved.yaml"
        ) as p:
            assert (await p.policies.test(examples / "tests")).passed == 15

    asyncio.run(main())
