#!/usr/bin/env python3
"""Onboard teams from a CSV file into the catalogue.

Each row describes one team and makes a Group, a User per member and a
System per listed system, through the engine (validation, audit, events)::

    team,display_name,parent,email,members,systems
    team-search,Search,engineering,search@acme.example,noor.haddad;li.wei,search-platform

    python examples/python/onboard_teams.py examples/python/teams.csv --store sqlite:.paved/paved.db

A row is validated as a whole first: if any of its entities is invalid the
row is refused and nothing of it is written. Valid rows are written entity by
entity and each one is reported as created, updated or unchanged. A user who
already exists keeps the teams they are in; the update is guarded by the
user's etag, so a concurrent change is refused instead of lost.
Exit code: 0 when every row went in, 1 when a row was refused.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from typing import Any

import paved

API_VERSION = "backstage.io/v1alpha1"


def split(cell: str | None) -> list[str]:
    """A `;`-separated cell as a list of names."""
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def row_entities(row: dict[str, str]) -> list[dict[str, Any]]:
    """The Group, Users and Systems one CSV row stands for."""
    team = (row.get("team") or "").strip()
    display = (row.get("display_name") or "").strip() or team
    group_spec: dict[str, Any] = {
        "type": "team",
        "profile": {"displayName": display},
        "children": [],
    }
    if (row.get("email") or "").strip():
        group_spec["profile"]["email"] = row["email"].strip()
    if (row.get("parent") or "").strip():
        group_spec["parent"] = row["parent"].strip()
    entities: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {"name": team, "title": display},
            "spec": group_spec,
        }
    ]
    for member in split(row.get("members")):
        entities.append(
            {
                "apiVersion": API_VERSION,
                "kind": "User",
                "metadata": {"name": member},
                "spec": {"memberOf": [team]},
            }
        )
    for system in split(row.get("systems")):
        entities.append(
            {
                "apiVersion": API_VERSION,
                "kind": "System",
                "metadata": {"name": system},
                "spec": {"owner": team},
            }
        )
    return entities


def ref_of(entity: dict[str, Any]) -> str:
    """`kind:default/name` of an entity dict (for messages)."""
    return f"{str(entity['kind']).lower()}:default/{entity['metadata']['name']}"


def upsert(
    catalog: paved.Catalog, entity: dict[str, Any], *, dry_run: bool, actor: str | None
) -> str:
    """Write one entity; returns its outcome. A user who exists already keeps
    the teams they are in (the update is guarded by their etag)."""
    etag: str | None = None
    if entity["kind"] == "User":
        try:
            current = catalog.get(ref_of(entity))
        except paved.NotFoundError:
            etag = ""  # must still not exist when we write
        else:
            teams = current.spec.get("memberOf", [])
            joined = entity["spec"]["memberOf"][0]
            entity = current.to_dict()
            entity.pop("relations", None)  # derived by the engine, not written
            entity["spec"]["memberOf"] = sorted({*teams, joined})
            etag = current.etag
    changes = catalog.upsert(entity, etag=etag, dry_run=dry_run, actor=actor)
    outcome: str = changes.changes[0].outcome
    return outcome


def onboard(
    catalog: paved.Catalog, rows: list[dict[str, str]], *, dry_run: bool, actor: str | None
) -> Counter[str]:
    """Onboard every row, printing what happened; returns the outcome counts."""
    totals: Counter[str] = Counter()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        label = f"row {line} ({(row.get('team') or '').strip() or '?'})"
        entities = row_entities(row)
        report = catalog.validate_values(entities)
        if not report.ok:
            totals["refused rows"] += 1
            print(f"{label}: refused, nothing written")
            for d in report.errors:
                where = f"{d.entity}: " if d.entity else ""
                path = f"{d.path}: " if d.path else ""
                print(f"    {where}{path}{d.message}")
            continue
        done: list[str] = []
        refused = False
        for entity in entities:
            try:
                outcome = upsert(catalog, entity, dry_run=dry_run, actor=actor)
            except (paved.ConflictError, paved.ValidationError) as e:
                refused = True
                done.append(f"refused {ref_of(entity)} ({e})")
                continue
            totals[outcome] += 1
            verb = f"would be {outcome}" if dry_run and outcome != "unchanged" else outcome
            done.append(f"{verb} {ref_of(entity)}")
        if refused:
            totals["refused rows"] += 1
        print(f"{label}: " + ", ".join(done))
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create Groups, Users and Systems from a CSV.")
    parser.add_argument("csv", help="the CSV file (see the module docstring for its columns)")
    parser.add_argument("--store", help="store URL (default: .paved/paved.db)")
    parser.add_argument("--config", help="a paved.yaml (store and custom kinds)")
    parser.add_argument("--actor", help="who is recorded in the audit log (default: the platform's actor)")
    parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
    args = parser.parse_args(argv)

    with open(args.csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with paved.Platform.open(args.store, config=args.config) as platform:
        totals = onboard(platform.catalog, rows, dry_run=args.dry_run, actor=args.actor)
    print(
        f"{len(rows)} rows: "
        + ", ".join(
            f"{totals[k]} {k}" for k in ("created", "updated", "unchanged", "refused rows")
        )
    )
    return 1 if totals["refused rows"] else 0


if __name__ == "__main__":
    sys.exit(main())
