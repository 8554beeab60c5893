//! The Rego conventions a guardrail understands, on inline policies.

use paved_core::plugin::{Change, Guardrail, Operation, Subject, Verdict, Violation};
use paved_core::{Error, PluginErrorKind};
use paved_rego::RegoGuardrail;
use serde_json::{Value, json};

fn component(spec: Value) -> Change {
    Change {
        subject: Subject::Entity("component:default/orders".into()),
        operation: Operation::Create,
        before: None,
        after: Some(json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "orders"},
            "spec": spec,
        })),
        diff: Vec::new(),
        monthly_cost: None,
        actor: Some("user:default/ada".into()),
    }
}

fn load(policy: &str) -> RegoGuardrail {
    RegoGuardrail::load_text("test", [("policy.rego", policy)], Value::Null, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn violation(path: &str, message: &str) -> Violation {
    Violation {
        path: path.into(),
        message: message.into(),
    }
}

const CONFTEST_V0: &str = r#"
package main

deny[msg] {
  input.after.kind == "Component"
  not input.after.spec.owner
  msg := sprintf("%s has no owner", [input.after.metadata.name])
}
"#;

#[tokio::test]
async fn conftest_deny_msg_refuses_a_component_without_owner() {
    let g = load(CONFTEST_V0);
    let review = g
        .review(&component(json!({"lifecycle": "production"})), None)
        .await
        .unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    assert_eq!(
        review.violations,
        vec![violation("", "orders has no owner")]
    );
    assert_eq!(review.patch, None);

    let review = g
        .review(&component(json!({"owner": "payments"})), None)
        .await
        .unwrap();
    assert_eq!(review.verdict, Verdict::Allow);
    assert!(review.violations.is_empty());
}

#[tokio::test]
async fn rego_v1_deny_contains_if() {
    let g = load(
        r#"
package main

deny contains msg if {
  not input.after.spec.owner
  msg := "no owner"
}

deny contains msg if {
  some tag in input.after.spec.tags
  startswith(tag, "tmp-")
  msg := sprintf("temporary tag %v", [tag])
}
"#,
    );
    let review = g
        .review(&component(json!({"tags": ["tmp-b", "ok", "tmp-a"]})), None)
        .await
        .unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    // Sorted, whatever order the rules produced them in.
    assert_eq!(
        review.violations,
        vec![
            violation("", "no owner"),
            violation("", "temporary tag tmp-a"),
            violation("", "temporary tag tmp-b"),
        ]
    );
}

#[tokio::test]
async fn import_rego_v1_and_deny_objects_with_msg() {
    let g = load(
        r#"
package main
import rego.v1

deny contains {"msg": "owner is required", "path": "spec.owner"} if not input.after.spec.owner
deny contains {"msg": "no lifecycle"} if not input.after.spec.lifecycle
"#,
    );
    let review = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    assert_eq!(
        review.violations,
        vec![
            violation("", "no lifecycle"),
            violation("spec.owner", "owner is required"),
        ]
    );
}

#[tokio::test]
async fn gatekeeper_violation_with_details() {
    let g = load(
        r#"
package k8srequiredlabels

violation[{"msg": msg, "details": "metadata.labels.team"}] {
  not input.after.metadata.labels.team
  msg := "the team label is required"
}

violation[{"msg": msg, "details": {"missing": ["x"]}}] {
  not input.after.metadata.labels.x
  msg := "x is required"
}
"#,
    );
    let review = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    // A string `details` is the path; an object one is not.
    assert_eq!(
        review.violations,
        vec![
            violation("", "x is required"),
            violation("metadata.labels.team", "the team label is required"),
        ]
    );
}

#[tokio::test]
async fn warn_only_gives_warn() {
    let g = load(
        r#"
package main
import rego.v1

warn contains "no description" if not input.after.metadata.description
deny contains "no owner" if not input.after.spec.owner
"#,
    );
    let review = g
        .review(&component(json!({"owner": "payments"})), None)
        .await
        .unwrap();
    assert_eq!(review.verdict, Verdict::Warn);
    assert_eq!(review.violations, vec![violation("", "no description")]);

    // With a denial too, the warnings follow, marked as warnings.
    let review = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    assert_eq!(
        review.violations,
        vec![
            violation("", "no owner"),
            violation("", "warning: no description")
        ]
    );
}

#[tokio::test]
async fn conftest_prefixed_rules_count() {
    let g = load(
        r#"
package main

deny_no_owner[msg] {
  not input.after.spec.owner
  msg := "no owner"
}

warn_no_lifecycle[msg] {
  not input.after.spec.lifecycle
  msg := "no lifecycle"
}

denylist := ["not", "a", "rule", "of", "the", "conventions"]
"#,
    );
    assert_eq!(
        g.rules(),
        vec!["data.main.deny_no_owner", "data.main.warn_no_lifecycle"]
    );
    let review = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(review.verdict, Verdict::Deny);
    assert_eq!(
        review.violations,
        vec![
            violation("", "no owner"),
            violation("", "warning: no lifecycle")
        ]
    );
}

#[tokio::test]
async fn data_document_is_visible_to_rules() {
    let g = RegoGuardrail::load_text(
        "lifecycles",
        [(
            "lifecycle.rego",
            r#"
package main
import rego.v1

deny contains msg if {
  not input.after.spec.lifecycle in data.lifecycles
  msg := sprintf("lifecycle %v is not allowed", [input.after.spec.lifecycle])
}
"#,
        )],
        json!({"lifecycles": ["production", "experimental"]}),
        None,
    )
    .unwrap();
    let ok = g
        .review(&component(json!({"lifecycle": "production"})), None)
        .await
        .unwrap();
    assert_eq!(ok.verdict, Verdict::Allow);
    let bad = g
        .review(&component(json!({"lifecycle": "beta"})), None)
        .await
        .unwrap();
    assert_eq!(
        bad.violations,
        vec![violation("", "lifecycle beta is not allowed")]
    );
}

const SETTINGS_POLICY: &str = r#"
package main
import rego.v1

deny contains sprintf("settings: %v", [input.settings]) if true
"#;

#[tokio::test]
async fn settings_are_input_settings() {
    let change = component(json!({}));

    // None configured, none given: {}.
    let g = load(SETTINGS_POLICY);
    let r = g.review(&change, None).await.unwrap();
    assert_eq!(r.violations, vec![violation("", "settings: {}")]);

    // Configured ones.
    let g = load(SETTINGS_POLICY)
        .with_settings(json!({"max": 3}))
        .unwrap();
    let r = g.review(&change, None).await.unwrap();
    assert_eq!(r.violations, vec![violation("", r#"settings: {"max": 3}"#)]);

    // A binding's own settings win.
    let r = g.review(&change, Some(&json!({"max": 5}))).await.unwrap();
    assert_eq!(r.violations, vec![violation("", r#"settings: {"max": 5}"#)]);
}

#[tokio::test]
async fn the_whole_change_is_input() {
    let g = load(
        r#"
package main
import rego.v1

deny contains sprintf("%v %v by %v costs %v; diff %v", [input.subject.entity, input.operation, input.actor, input.monthlyCost, [d.path | some d in input.diff]]) if true
deny contains "has no before" if not input.before
"#,
    );
    let mut change = component(json!({}));
    change.monthly_cost = Some(12.5);
    change.diff = vec![paved_core::plugin::FieldDiff {
        path: "spec.owner".into(),
        before: None,
        after: Some(json!("payments")),
        requires_replace: false,
    }];
    let r = g.review(&change, None).await.unwrap();
    assert_eq!(
        r.violations,
        vec![
            violation(
                "",
                r#"component:default/orders create by user:default/ada costs 12.5; diff ["spec.owner"]"#
            ),
            violation("", "has no before"),
        ]
    );
}

#[tokio::test]
async fn settings_must_be_objects() {
    let g = load(CONFTEST_V0);
    g.validate_settings(&json!({"any": ["thing"]}))
        .await
        .unwrap();
    for bad in [json!(null), json!([1]), json!("x"), json!(3)] {
        let err = g.validate_settings(&bad).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Plugin {
                    kind: PluginErrorKind::Settings,
                    ..
                }
            ),
            "{err}"
        );
        // Given straight to a review, too.
        let err = g
            .review(&component(json!({})), Some(&bad))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Plugin {
                    kind: PluginErrorKind::Settings,
                    ..
                }
            ),
            "{err}"
        );
    }
    assert!(load(CONFTEST_V0).with_settings(json!([])).is_err());
}

#[tokio::test]
async fn describe_names_the_files_and_rules() {
    let g = load(CONFTEST_V0);
    let info = g.describe().await.unwrap();
    assert_eq!(info.name, "test");
    assert_eq!(info.version, "rego");
    assert!(
        info.description.contains("policy.rego"),
        "{}",
        info.description
    );
    assert!(
        info.description.contains("data.main.deny"),
        "{}",
        info.description
    );
    assert!(info.capabilities.is_empty());
    assert_eq!(info.settings_schema, json!({"type": "object"}));
    assert_eq!(g.name(), "test");
}

#[tokio::test]
async fn query_selects_one_package() {
    let policies = [
        (
            "a.rego",
            "package a\nimport rego.v1\ndeny contains \"from a\" if true\n",
        ),
        (
            "b.rego",
            "package b.c\nimport rego.v1\ndeny contains \"from b\" if true\n",
        ),
        ("lib.rego", "package lib\nimport rego.v1\nhelper := 1\n"),
    ];
    let all = RegoGuardrail::load_text("all", policies, Value::Null, None).unwrap();
    assert_eq!(all.rules(), vec!["data.a.deny", "data.b.c.deny"]);
    let r = all.review(&component(json!({})), None).await.unwrap();
    assert_eq!(
        r.violations,
        vec![violation("", "from a"), violation("", "from b")]
    );

    for query in ["b.c", "data.b.c"] {
        let only_b = RegoGuardrail::load_text("b", policies, Value::Null, Some(query)).unwrap();
        assert_eq!(only_b.rules(), vec!["data.b.c.deny"]);
        let r = only_b.review(&component(json!({})), None).await.unwrap();
        assert_eq!(r.violations, vec![violation("", "from b")]);
    }
}

#[tokio::test]
async fn boolean_and_string_complete_rules() {
    let g = load(
        r#"
package main
import rego.v1

default deny := false
deny if input.after.spec.forbidden
warn := "careful" if input.after.spec.risky
"#,
    );
    let r = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Allow);
    let r = g
        .review(&component(json!({"forbidden": true, "risky": true})), None)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(
        r.violations,
        vec![
            violation("", "data.main.deny is true"),
            violation("", "warning: careful")
        ]
    );
}
