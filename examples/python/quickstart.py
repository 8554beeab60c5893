#!/usr/bin/env python3
"""The README's quick start: validate the sample catalogue, load it, query it
and review an entity with an example guardrail. Run it from the repository
root after building the wheel and the example plugins::

    cargo build --target wasm32-wasip2 --release --manifest-path examples/plugins/Cargo.toml \
        --target-dir target
    python examples/python/quickstart.py
"""

from __future__ import annotations

import os

import paved

# Where cargo put the example plugins (CARGO_TARGET_DIR, or ./target).
PLUGINS = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "wasm32-wasip2", "release")

# 1. Validate without a store: every problem comes with file, line and JSON path.
report = paved.validate("examples/catalog")
print(f"{len(report.entities)} entities, {report.error_count} errors")

# The example `naming-convention` guardrail, loaded when the platform opens
# (as a `plugins:` entry of paved.yaml would load it).
naming = {
    "path": os.path.join(PLUGINS, "naming_convention.wasm"),
    "kind": "guardrail",
    "name": "naming",
    "settings": {"patterns": {"Component": "^[a-z][a-z0-9-]*$"}},
}

with paved.Platform.open("sqlite::memory:", plugins=[naming]) as platform:
    # 2. Load it (all or nothing), then query with a Backstage filter.
    platform.catalog.import_files("examples/catalog")
    for entity in platform.catalog.query_all("kind=component,spec.owner=team-payments"):
        print(entity.ref, entity.spec["lifecycle"])

    # 3. Review an entity with the guardrail.
    entity = platform.catalog.get("component:default/checkout-service")
    change = {"subject": {"entity": entity.ref}, "operation": "update", "after": entity.to_dict()}
    review = platform.plugins.review("naming", change)
    print(f"naming says {review.verdict} for {entity.ref}")
    renamed = {**entity.to_dict(), "metadata": {**entity.metadata, "name": "Checkout_Service"}}
    for v in platform.plugins.review("naming", {**change, "after": renamed}).violations:
        print(f"  {v.path}: {v.message}")
