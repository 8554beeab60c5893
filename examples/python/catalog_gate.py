#!/usr/bin/env python3
"""A CI gate for catalogue files.

Validates files and folders of Backstage catalogue YAML (and the Location
targets they name) with paved's engine, without any store; prints each
problem with its file, line and JSON path; exits 1 when there is an error.

    python examples/python/catalog_gate.py examples/catalog
    python examples/python/catalog_gate.py catalog/ --config paved.yaml --github

``--github`` also prints GitHub Actions annotations, so problems show up on
the pull request's diff.
"""

from __future__ import annotations

import argparse
import sys

import paved


def location(d: paved.Diagnostic) -> str:
    """``file:line:column`` (as much of it as is known)."""
    where = d.file or "<input>"
    if d.line is not None:
        where += f":{d.line}"
        if d.column is not None:
            where += f":{d.column}"
    return where


def describe(d: paved.Diagnostic) -> str:
    """One line: where, how bad, the JSON path and what is wrong."""
    path = f" {d.path}:" if d.path else ""
    return f"{location(d)}: {d.severity}:{path} {d.message}"


def annotation(d: paved.Diagnostic) -> str:
    """A GitHub Actions workflow command for one diagnostic."""
    level = "error" if d.is_error else "warning"
    props = [f"file={d.file}"] if d.file else []
    if d.line is not None:
        props.append(f"line={d.line}")
    if d.column is not None:
        props.append(f"col={d.column}")
    message = f"{d.path}: {d.message}" if d.path else d.message
    return f"::{level} {','.join(props)}::{message}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate catalogue files; exit 1 on errors.")
    parser.add_argument("paths", nargs="+", help="catalogue files or folders")
    parser.add_argument("--config", help="a paved.yaml whose custom kinds apply")
    parser.add_argument(
        "--warnings-as-errors", action="store_true", help="fail on warnings too"
    )
    parser.add_argument(
        "--github", action="store_true", help="also print GitHub Actions annotations"
    )
    args = parser.parse_args(argv)

    try:
        report = paved.validate(args.paths, config=args.config)
    except paved.PavedError as e:  # e.g. an unreadable config file
        print(f"error: {e}", file=sys.stderr)
        return 2

    for d in report.diagnostics:
        print(describe(d))
        if args.github:
            print(annotation(d))

    errors = report.error_count
    warnings = len(report.warnings)
    print(
        f"{len(report.files)} files, {len(report.entities)} valid entities, "
        f"{errors} errors, {warnings} warnings"
    )
    failed = errors > 0 or (args.warnings_as_errors and warnings > 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
