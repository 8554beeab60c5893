//! The exported `entity.schema.json` (what editors check while typing) must
//! agree with `validate_entity` (what paved enforces) on the metadata formats
//! the schema expresses with patterns: names, namespaces, tags, label values
//! and keys, annotation values, title, description, and the kind/apiVersion
//! selection of the spec schema.

use paved_core::model::schema::{KindRegistry, export};
use paved_core::model::validate::validate_entity;
use serde_json::{Value, json};

fn component() -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "orders"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
    })
}

fn with_metadata(field: &str, v: Value) -> Value {
    let mut e = component();
    e["metadata"][field] = v;
    e
}

#[test]
fn editor_schema_agrees_with_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    let registry = KindRegistry::builtin();
    export(dir.path(), &registry, &[]).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("entity.schema.json")).unwrap(),
    )
    .unwrap();
    let editor = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .unwrap();

    let mut cases = Vec::new();
    let long = |n: usize| "a".repeat(n);
    for name in [
        "a",
        "A-b_c.d",
        "a--b",
        &long(63),
        &long(64),
        "",
        "-a",
        "a.",
        "a b",
        "ä",
        "orders/x",
    ] {
        cases.push(with_metadata("name", json!(name)));
    }
    for ns in [
        "default",
        "team-a",
        "a--b",
        "Team",
        "a_b",
        "-a",
        "",
        &long(63),
        &long(64),
    ] {
        cases.push(with_metadata("namespace", json!(ns)));
    }
    for tag in [
        "java",
        "c++",
        "k8s:prod",
        "Java",
        "a--b",
        "a_b",
        "",
        &long(64),
    ] {
        cases.push(with_metadata("tags", json!([tag])));
    }
    for value in ["", "gold", "a b", "-a", &long(63), &long(64)] {
        cases.push(with_metadata("labels", json!({ "tier": value })));
    }
    for key in [
        "tier",
        "example.com/tier",
        "a/b/c",
        "Example.com/x",
        "a..b/x",
        "a b",
        "/x",
    ] {
        cases.push(with_metadata("labels", json!({ key: "x" })));
        cases.push(with_metadata("annotations", json!({ key: "x" })));
    }
    for v in [json!("x"), json!(1), json!(null), json!({})] {
        cases.push(with_metadata("annotations", json!({ "example.com/v": v })));
        cases.push(with_metadata("title", v.clone()));
        cases.push(with_metadata("description", v));
    }
    cases.push(with_metadata("annotations", json!(null)));
    let mut e = component();
    e["apiVersion"] = json!("backstage.io/v2");
    cases.push(e);
    let mut e = component();
    e["kind"] = json!("Widget");
    cases.push(e);
    let mut e = component();
    e["status"] = json!({});
    cases.push(e);
    let mut e = component();
    e["spec"]["owner"] = json!("");
    cases.push(e);
    let mut e = component();
    e["spec"]["dependsOn"] = json!("component:x");
    cases.push(e);

    let mut disagreements = Vec::new();
    for case in &cases {
        let ours = validate_entity(case, &registry).is_ok();
        let editor_says = editor.is_valid(case);
        if ours != editor_says {
            disagreements.push(format!(
                "{case}: validate_entity {ours}, entity.schema.json {editor_says}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
