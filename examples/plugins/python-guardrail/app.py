"""Guardrail `require-lifecycle`, written in Python (componentize-py).

Entities of kind Component must declare `spec.lifecycle` as one of the
allowed values (settings: {"allowed": ["experimental", "production", "deprecated"]}).
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import guardrail_types, types


class GuardrailApi(exports.GuardrailApi):
    def describe(self) -> guardrail_types.GuardrailInfo:
        schema = {
            "type": "object",
            "properties": {"allowed": {"type": "array", "items": {"type": "string"}}},
            "additionalProperties": False,
        }
        return guardrail_types.GuardrailInfo(
            name="require-lifecycle",
            version="0.1.0",
            description="Components must declare an allowed spec.lifecycle (Python)",
            settings_schema=json.dumps(schema),
            capabilities=[],
        )

    def validate_settings(self, settings: str) -> None:
        value = json.loads(settings)
        allowed = value.get("allowed", [])
        extra = [k for k in value if k != "allowed"]
        problems = [types.Violation(path=k, message="unknown setting") for k in extra]
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            problems.append(types.Violation(path="allowed", message="must be a list of strings"))
        if problems:
            raise Err(types.PluginError_Invalid(problems))

    def review(self, change: types.Change) -> guardrail_types.ReviewOutcome:
        from wit_world.imports import host

        settings = json.loads(host.config())
        allowed = settings.get("allowed", ["experimental", "production", "deprecated"])
        after = json.loads(change.after) if change.after is not None else {}
        if after.get("kind") != "Component":
            return guardrail_types.ReviewOutcome(verdict=types.Verdict.ALLOW, violations=[], patch=None)
        lifecycle = (after.get("spec") or {}).get("lifecycle")
        if lifecycle in allowed:
            return guardrail_types.ReviewOutcome(verdict=types.Verdict.ALLOW, violations=[], patch=None)
        v = types.Violation(path="spec.lifecycle", message=f"lifecycle {lifecycle!r} is not one of {allowed}")
        return guardrail_types.ReviewOutcome(verdict=types.Verdict.DENY, violations=[v], patch=None)
