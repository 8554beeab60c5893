"""Validation without a store: files, folders, YAML text, dicts, custom kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE_CATALOG, component

import paved


def catalog(config: Path | None = None) -> paved.Catalog:
    """The catalogue of an in-memory platform (validation against its kinds)."""
    return paved.Platform.open("sqlite::memory:", config=config).catalog


def test_example_catalogue_is_valid() -> None:
    report = paved.validate(EXAMPLE_CATALOG)
    assert report.ok and bool(report)
    assert report.error_count == 0
    kinds = {e.kind for e in report.entities}
    assert {"Component", "System", "Group", "User", "Domain"} <= kinds
    # The root Location's targets were followed: more than one file was read.
    assert len(report.files) > 1
    assert all(Path(f).is_absolute() or f.startswith(str(EXAMPLE_CATALOG)) or f for f in report.files)


def test_problems_name_file_line_document_and_json_path() -> None:
    report = paved.validate(DATA / "broken")
    assert not report.ok
    by_path = {d.path: d for d in report.errors if d.file and d.file.endswith("services.yaml")}
    name = by_path["metadata.name"]
    assert name.file is not None and name.file.endswith("services.yaml")
    assert name.line == 14 and name.column == 3
    assert name.document == 1
    assert name.severity == "error" and name.is_error
    assert "not a valid name" in name.message
    assert name.entity == "component:default/Bad Name"
    assert by_path["spec.owner"].line == 15
    # The YAML syntax error in the other file is reported too, with its line.
    syntax = [d for d in report.errors if d.file and d.file.endswith("syntax.yaml")]
    assert len(syntax) == 1 and syntax[0].line == 5 and "invalid YAML" in syntax[0].message
    # The valid document of the same file still comes back.
    assert [e.name for e in report.entities] == ["good-service"]
    assert report.error_count == 3 and report.warnings == []


def test_a_list_of_paths_and_pathlike() -> None:
    one = paved.validate([EXAMPLE_CATALOG / "domains.yaml", str(DATA / "broken" / "services.yaml")])
    assert {e.name for e in one.entities} >= {"good-service"}
    assert one.error_count == 2


def test_missing_path_is_a_diagnostic_not_an_exception() -> None:
    report = paved.validate("/nonexistent/catalogue")
    assert not report.ok
    assert report.errors[0].file == "/nonexistent/catalogue"


def test_validate_text_uses_the_given_name() -> None:
    report = catalog().validate_text(
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: billing\nspec: {}\n",
        name="billing.yaml",
    )
    (d,) = report.errors
    assert d.file == "billing.yaml" and d.path == "spec.owner" and d.line == 5


def test_validate_values_takes_dicts_and_entities() -> None:
    good = component("orders")
    bad = component("orders-db", owner="")
    report = catalog().validate_values([good, bad])
    assert [e.name for e in report.entities] == ["orders"]
    (d,) = report.errors
    assert d.file == "<input>" and d.document == 1 and d.path == "spec.owner"
    # An Entity object is accepted wherever a dict is.
    again = catalog().validate_values(report.entities)
    assert again.ok and again.entities[0] == report.entities[0]
    # So is a single dict.
    assert catalog().validate_values(good).ok


def test_non_json_values_are_a_type_error_naming_the_path() -> None:
    doc = component("orders")
    doc["spec"] = {"type": "service", "tags": {1, 2}}  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"\[0\]\.spec\.tags: expected a JSON value"):
        catalog().validate_values([doc])
    with pytest.raises(TypeError, match="keys must be str"):
        catalog().validate_values([{1: "x"}])


def test_custom_kinds_from_a_config_file() -> None:
    config = DATA / "kinds" / "paved.yaml"
    slo = DATA / "kinds" / "slo.yaml"
    assert paved.validate(slo, config=config).ok
    unknown = paved.validate(slo).errors
    assert len(unknown) == 1 and "unknown kind 'ServiceLevel'" in unknown[0].message
    over = catalog(config).validate_text(
        "apiVersion: acme.example/v1\nkind: ServiceLevel\nmetadata: {name: x}\nspec: {objective: 200}\n",
    )
    (d,) = over.errors
    assert d.path == "spec.objective" and d.line == 4 and "maximum" in d.message


def test_a_bad_config_file_is_a_validation_error_with_its_line() -> None:
    with pytest.raises(paved.ValidationError) as info:
        paved.validate(EXAMPLE_CATALOG, config=DATA / "bad-config.yaml")
    (d,) = info.value.errors
    assert d.file is not None and d.file.endswith("bad-config.yaml")
    assert d.line == 4 and d.path == "kinds[0].apiVersion"


def test_a_missing_config_file_is_a_file_error_caused_by_os_error() -> None:
    missing = DATA / "no-such-config.yaml"
    with pytest.raises(paved.IoError) as info:
        paved.validate(EXAMPLE_CATALOG, config=missing)
    assert info.value.code == "IO" and info.value.details["path"] == str(missing)
    cause = info.value.__cause__
    assert isinstance(cause, FileNotFoundError)
    assert cause.filename == str(missing)


def test_report_and_diagnostic_to_dict() -> None:
    report = paved.validate(DATA / "broken" / "services.yaml")
    as_dict = report.to_dict()
    assert as_dict["entities"][0]["metadata"]["name"] == "good-service"
    d = report.errors[0].to_dict()
    assert d["severity"] == "error" and d["location"]["line"] == report.errors[0].line
    assert str(report.errors[0]).startswith(str(report.errors[0].file))
