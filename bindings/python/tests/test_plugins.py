"""Plugins: open a platform with WebAssembly guardrails and providers (settings,
grants, limits); review changes; describe, plan and apply resources (audited);
inspect and check components without a store; every failure kind as a
PluginError.

The example plugins (examples/plugins) are built for wasm32-wasip2 into the
shared target directory, as the plugin host's own tests build them (the
`wasm` and `cache` fixtures of conftest.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

import paved


def component(wasm: Path, name: str) -> Path:
    return wasm / f"{name.replace('-', '_')}.wasm"


NAMING = {"patterns": {"Component": "^[a-z][a-z0-9-]*$"}}


def create(entity: dict[str, Any]) -> dict[str, Any]:
    """The change a guardrail reviews when `entity` is created."""
    ref = f"{entity['kind'].lower()}:default/{entity['metadata']['name']}"
    return {"subject": {"entity": ref}, "operation": "create", "after": entity, "actor": "user:default/jane"}


def doc(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-payments"},
    }


def open_with(cache: Path, *plugins: dict[str, Any], **options: Any) -> paved.Platform:
    """An in-memory platform with these plugin entries (as in paved.yaml)."""
    return paved.Platform.open("sqlite::memory:", plugins=list(plugins), plugin_cache=cache, **options)


def guardrail(wasm: Path, file: str, **entry: Any) -> dict[str, Any]:
    return {"path": str(component(wasm, file)), "kind": "guardrail", **entry}


def test_review_entities_of_the_sample_catalogue(cache: Path, wasm: Path) -> None:
    with open_with(cache, guardrail(wasm, "naming-convention", name="naming", settings=NAMING)) as p:
        assert p.plugins.list() == [{"name": "naming", "kind": "guardrail"}]
        info = p.plugins.describe("naming")
        assert isinstance(info, paved.GuardrailInfo)
        assert info.version and info.description
        assert "patterns" in info.settings_schema.get("properties", {})
        assert info.to_dict()["name"] == info.name
        report = paved.validate(ROOT / "examples" / "catalog")
        components = [e for e in report.entities if e.kind == "Component"]
        assert components
        for entity in components:
            review = p.plugins.review("naming", create(entity.to_dict()))
            assert review.verdict == "allow", (entity.ref, review.to_dict())
            assert review.violations == [] and review.patch is None


def test_deny_and_settings_override(cache: Path, wasm: Path) -> None:
    with open_with(cache, guardrail(wasm, "naming-convention", settings=NAMING)) as p:
        name = "naming_convention"  # default: the file's stem
        denied = p.plugins.review(name, create(doc("Orders_Service")))
        assert denied.verdict == "deny"
        (v,) = denied.violations
        assert v.path == "metadata.name" and "Orders_Service" in v.message
        assert denied.to_dict()["violations"][0]["path"] == "metadata.name"
        warned = p.plugins.review(name, create(doc("Orders_Service")), settings={**NAMING, "enforce": False})
        assert warned.verdict == "warn"
        with pytest.raises(paved.PluginError) as bad:
            p.plugins.review(name, create(doc("x")), settings={"patterns": "not a map"})
        assert bad.value.kind == "settings"
        with pytest.raises(paved.NotFoundError):
            p.plugins.review("nobody", create(doc("x")))


def test_prepared_guardrails_answer_like_unprepared_ones(cache: Path, wasm: Path, tmp_path: Path) -> None:
    entry = guardrail(wasm, "naming-convention", settings=NAMING)
    with open_with(tmp_path, entry, prepare_guardrails=True) as prepared, open_with(cache, entry) as plain:
        name = "naming_convention"
        for n, verdict in [("orders", "allow"), ("Orders_Service", "deny")]:
            review = prepared.plugins.review(name, create(doc(n)))
            assert review.verdict == verdict
            assert review.to_dict() == plain.plugins.review(name, create(doc(n))).to_dict()
        # settings for one call are applied (the original component runs them)
        override = {**NAMING, "enforce": False}
        assert prepared.plugins.review(name, create(doc("Orders_Service")), settings=override).verdict == "warn"


def test_bad_settings_are_a_plugin_error_of_kind_settings(cache: Path, wasm: Path) -> None:
    bad = {"patterns": {"Component": "(unclosed"}}
    with pytest.raises(paved.PluginError) as info:
        open_with(cache, guardrail(wasm, "naming-convention", name="naming", settings=bad))
    assert info.value.code == "PLUGIN" and info.value.kind == "settings"
    assert info.value.details["plugin"] == "naming"
    with pytest.raises(paved.PluginError) as checked:
        paved.check_plugin(component(wasm, "naming-convention"), settings=bad, plugin_cache=cache)
    assert checked.value.kind == "settings"
    info2 = paved.check_plugin(component(wasm, "naming-convention"), name="n", settings=NAMING, plugin_cache=cache)
    assert isinstance(info2, paved.GuardrailInfo)


def test_requests_are_checked_with_json_paths(cache: Path, wasm: Path) -> None:
    with open_with(cache, guardrail(wasm, "naming-convention", settings=NAMING)) as p:
        with pytest.raises(paved.ValidationError) as info:
            p.plugins.review("naming_convention", {"subject": {"entity": "component:default/x"}, "operation": "explode"})
        assert info.value.errors[0].path.startswith("change.operation")
    with pytest.raises(paved.ValidationError) as grants:
        open_with(cache, guardrail(wasm, "naming-convention", settings=NAMING, grants={"filesystem": True}))
    assert "filesystem" in grants.value.errors[0].message
    with pytest.raises(paved.ValidationError) as limits:
        open_with(cache, guardrail(wasm, "naming-convention", settings=NAMING, limits={"timeoutMs": "soon"}))
    assert limits.value.errors[0].path == "plugins[0].limits.timeoutMs"


def test_provider_plan_apply_and_delete_are_audited(cache: Path, wasm: Path, tmp_path: Path) -> None:
    entry = {
        "path": str(component(wasm, "local-directory")),
        "kind": "provider",
        "name": "files",
        "grants": {"dirs": [{"host": str(tmp_path), "guest": "/data", "mode": "rw"}]},
    }
    with open_with(cache, entry) as p:
        info = p.plugins.describe("files")
        assert isinstance(info, paved.ProviderInfo)
        (rtype,) = info.resource_types
        assert rtype.name == "local.directory" and "files" in rtype.params_schema.get("properties", {})
        assert info.to_dict()["resourceTypes"][0]["name"] == "local.directory"
        request = {
            "address": {"resourceType": "local.directory", "name": "docs"},
            "params": {"files": {"README.md": "hello"}},
        }
        plan = p.plugins.plan("files", request)
        assert plan.operation == "create"
        assert [d.path for d in plan.diff] == ["files.README.md"]
        assert plan.diff[0].after == "hello" and plan.diff[0].before is None
        assert not plan.diff[0].requires_replace
        assert plan.notes and plan.to_dict()["operation"] == "create"
        assert list(tmp_path.iterdir()) == []  # planning changes nothing
        with pytest.raises(paved.ValidationError):
            p.plugins.plan("files", {"address": {"resourceType": "local.directory"}, "params": {}})
        applied = p.plugins.apply("files", request, actor="user:default/jane")
        assert list(tmp_path.iterdir()) != []
        resource = {"address": request["address"], "state": applied["state"]}
        assert p.plugins.read("files", resource) is not None
        p.plugins.delete("files", resource)
        actions = [(r.action, r.actor) for r in p.audit.list()]
        assert actions == [("resource.apply", "user:default/jane"), ("resource.delete", "system")]


def test_loading_the_wrong_world_is_a_load_error(cache: Path, wasm: Path) -> None:
    with pytest.raises(paved.PluginError) as info:
        open_with(cache, {"path": str(component(wasm, "naming-convention")), "kind": "provider", "settings": NAMING})
    assert info.value.kind == "load"
    with pytest.raises(paved.PluginError) as missing:
        open_with(cache, {"path": str(wasm / "no-such-plugin.wasm"), "kind": "guardrail"})
    assert missing.value.kind == "load"


@pytest.mark.parametrize(
    ("mode", "limits", "kind"),
    [
        ("loop", {"timeoutMs": 200}, "timeout"),
        ("memory", {"memoryMib": 16}, "out-of-memory"),
        ("panic", {}, "trap"),
        ("big-output", {"memoryMib": 256, "maxOutputBytes": 65536}, "bad-output"),
        ("socket", {}, "capability-denied"),
    ],
)
def test_hostile_plugins_fail_with_their_kind(
    cache: Path, wasm: Path, mode: str, limits: dict[str, int], kind: str
) -> None:
    with open_with(cache, guardrail(wasm, "hostile", settings={"mode": mode}, limits=limits)) as p:
        with pytest.raises(paved.PluginError) as info:
            p.plugins.review("hostile", create(doc("x")))
    assert info.value.kind == kind, str(info.value)
    assert info.value.details["plugin"] == "hostile" and str(info.value)


def test_inspect(cache: Path, wasm: Path) -> None:
    found = paved.inspect_plugin(component(wasm, "require-owner"), plugin_cache=cache)
    assert found.world == "guardrail" and found.version
    assert found.size_bytes > 0 and found.path.endswith("require_owner.wasm")
    assert any("review" in e for e in found.exports) and found.imports
    assert found.describe is not None and found.describe["name"]
    assert "catalogue" in found.declared_capabilities
    assert found.to_dict()["world"] == "guardrail"
    assert paved.inspect_plugin(component(wasm, "local-directory")).world == "provider"


def test_async_plugins(cache: Path, wasm: Path) -> None:
    async def main() -> None:
        entries = [
            guardrail(wasm, "naming-convention", settings=NAMING),
            {"path": str(component(wasm, "local-directory")), "kind": "provider"},
        ]
        async with await paved.AsyncPlatform.open("sqlite::memory:", plugins=entries, plugin_cache=cache) as p:
            reviews = await asyncio.gather(
                *(p.plugins.review("naming_convention", create(doc(n))) for n in ("ok-name", "Bad_Name"))
            )
            assert [r.verdict for r in reviews] == ["allow", "deny"]
            info = await p.plugins.describe("local_directory")
            assert info.resource_types[0].name == "local.directory"

    asyncio.run(main())
