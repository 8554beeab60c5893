"""Plugins: load WebAssembly guardrails and providers with settings, grants and
limits; inspect them; review changes; describe and plan resources; every
failure kind as a PluginError.

The example plugins (examples/plugins) are built for wasm32-wasip2 into the
shared target directory, as the plugin host's own tests build them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

import paved

TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
NAMES = {"require-owner", "naming-convention", "cost-budget", "local-directory", "hostile"}


@pytest.fixture(scope="session")
def wasm() -> Iterator[Path]:
    """The folder of the built example components (built if any is missing)."""
    out = TARGET / "wasm32-wasip2" / "release"
    if not all((out / f"{n.replace('-', '_')}.wasm").exists() for n in NAMES):
        env = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")}
        subprocess.run(
            ["cargo", "build", "--target", "wasm32-wasip2", "--release", "--manifest-path",
             str(ROOT / "examples" / "plugins" / "Cargo.toml")],
            check=True, env={**env, "CARGO_TARGET_DIR": str(TARGET)},
        )
    yield out


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory) -> paved.PluginHost:
    return paved.PluginHost(cache_dir=tmp_path_factory.mktemp("plugin-cache"))


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


def test_review_entities_of_the_sample_catalogue(host: paved.PluginHost, wasm: Path) -> None:
    guard = host.load_guardrail(component(wasm, "naming-convention"), name="naming", settings=NAMING)
    assert guard.name == "naming"
    info = guard.info
    assert info.version and info.description
    assert "patterns" in info.settings_schema.get("properties", {})
    assert info.to_dict()["name"] == info.name
    report = paved.validate(ROOT / "examples" / "catalog")
    components = [e for e in report.entities if e.kind == "Component"]
    assert components
    for entity in components:
        review = guard.review(create(entity.to_dict()))
        assert review.verdict == "allow", (entity.ref, review.to_dict())
        assert review.violations == [] and review.patch is None


def test_deny_and_settings_override(host: paved.PluginHost, wasm: Path) -> None:
    guard = host.load_guardrail(component(wasm, "naming-convention"), settings=NAMING)
    assert guard.name == "naming_convention"  # default: the file's stem
    denied = guard.review(create(doc("Orders_Service")))
    assert denied.verdict == "deny"
    (v,) = denied.violations
    assert v.path == "metadata.name" and "Orders_Service" in v.message
    assert denied.to_dict()["violations"][0]["path"] == "metadata.name"
    warned = guard.review(create(doc("Orders_Service")), settings={**NAMING, "enforce": False})
    assert warned.verdict == "warn"


def test_prepared_guardrails_answer_like_unprepared_ones(host: paved.PluginHost, wasm: Path, tmp_path: Path) -> None:
    preparing = paved.PluginHost(cache_dir=tmp_path, prepare_guardrails=True)
    prepared = preparing.load_guardrail(component(wasm, "naming-convention"), settings=NAMING)
    plain = host.load_guardrail(component(wasm, "naming-convention"), settings=NAMING)
    assert prepared.prepared and prepared.to_async().prepared
    assert not plain.prepared
    for name, verdict in [("orders", "allow"), ("Orders_Service", "deny")]:
        review = prepared.review(create(doc(name)))
        assert review.verdict == verdict
        assert review.to_dict() == plain.review(create(doc(name))).to_dict()
    # settings for one call are applied (the original component runs them)
    assert prepared.review(create(doc("Orders_Service")), settings={**NAMING, "enforce": False}).verdict == "warn"


def test_bad_settings_are_a_plugin_error_of_kind_settings(host: paved.PluginHost, wasm: Path) -> None:
    path = component(wasm, "naming-convention")
    with pytest.raises(paved.PluginError) as info:
        host.load_guardrail(path, name="naming", settings={"patterns": {"Component": "(unclosed"}})
    assert info.value.kind == "settings" and info.value.plugin == "naming"
    guard = host.load_guardrail(path, settings=NAMING)
    with pytest.raises(paved.PluginError) as again:
        guard.validate_settings({"patterns": "not a map"})
    assert again.value.kind == "settings"
    guard.validate_settings({"patterns": {}})  # accepted: no exception


def test_requests_are_checked_with_json_paths(host: paved.PluginHost, wasm: Path) -> None:
    guard = host.load_guardrail(component(wasm, "naming-convention"), settings=NAMING)
    with pytest.raises(paved.ValidationError) as info:
        guard.review({"subject": {"entity": "component:default/x"}, "operation": "explode"})
    assert info.value.errors[0].path.startswith("change.operation")
    with pytest.raises(paved.ValidationError) as grants:
        host.load_guardrail(component(wasm, "naming-convention"), settings=NAMING, grants={"filesystem": True})
    assert "filesystem" in grants.value.errors[0].message
    with pytest.raises(paved.ValidationError) as limits:
        host.load_guardrail(component(wasm, "naming-convention"), settings=NAMING, limits={"timeoutMs": "soon"})
    assert limits.value.errors[0].path == "limits.timeoutMs"


def test_provider_describe_and_plan_with_a_directory_grant(
    host: paved.PluginHost, wasm: Path, tmp_path: Path
) -> None:
    provider = host.load_provider(
        component(wasm, "local-directory"),
        name="files",
        grants={"dirs": [{"host": str(tmp_path), "guest": "/data", "mode": "rw"}]},
    )
    info = provider.describe()
    assert provider.name == "files"
    (rtype,) = info.resource_types
    assert rtype.name == "local.directory" and "files" in rtype.params_schema.get("properties", {})
    assert info.to_dict()["resourceTypes"][0]["name"] == "local.directory"
    plan = provider.plan(
        {
            "address": {"resourceType": "local.directory", "name": "docs"},
            "params": {"files": {"README.md": "hello"}},
        }
    )
    assert plan.operation == "create"
    assert [d.path for d in plan.diff] == ["files.README.md"]
    assert plan.diff[0].after == "hello" and plan.diff[0].before is None
    assert not plan.diff[0].requires_replace
    assert plan.notes and plan.to_dict()["operation"] == "create"
    assert list(tmp_path.iterdir()) == []  # planning changes nothing
    with pytest.raises(paved.ValidationError):
        provider.plan({"address": {"resourceType": "local.directory"}, "params": {}})


def test_loading_the_wrong_world_is_a_load_error(host: paved.PluginHost, wasm: Path) -> None:
    with pytest.raises(paved.PluginError) as info:
        host.load_provider(component(wasm, "naming-convention"), settings=NAMING)
    assert info.value.kind == "load"
    with pytest.raises(paved.PluginError) as missing:
        host.load_guardrail(wasm / "no-such-plugin.wasm")
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
    host: paved.PluginHost, wasm: Path, mode: str, limits: dict[str, int], kind: str
) -> None:
    guard = host.load_guardrail(component(wasm, "hostile"), settings={"mode": mode}, limits=limits)
    with pytest.raises(paved.PluginError) as info:
        guard.review(create(doc("x")))
    assert info.value.kind == kind, str(info.value)
    assert info.value.plugin == "hostile" and info.value.message


def test_inspect(host: paved.PluginHost, wasm: Path) -> None:
    found = host.inspect(component(wasm, "require-owner"))
    assert found.world == "guardrail" and found.version
    assert found.size_bytes > 0 and found.path.endswith("require_owner.wasm")
    assert any("review" in e for e in found.exports) and found.imports
    assert found.describe is not None and found.describe["name"]
    assert "catalogue" in found.declared_capabilities
    assert found.to_dict()["world"] == "guardrail"
    assert host.inspect(component(wasm, "local-directory")).world == "provider"


def test_async_plugins(host: paved.PluginHost, wasm: Path) -> None:
    async def main() -> None:
        ahost = host.to_async()
        guard = await ahost.load_guardrail(component(wasm, "naming-convention"), settings=NAMING)
        reviews = await asyncio.gather(*(guard.review(create(doc(n))) for n in ("ok-name", "Bad_Name")))
        assert [r.verdict for r in reviews] == ["allow", "deny"]
        with pytest.raises(paved.PluginError):
            await guard.validate_settings({"patterns": 1})
        provider = await ahost.load_provider(component(wasm, "local-directory"))
        assert (await provider.describe()).resource_types[0].name == "local.directory"
        assert (await ahost.inspect(component(wasm, "hostile"))).world == "guardrail"
        assert guard.info.name and ahost.to_sync() is not None

    asyncio.run(main())
