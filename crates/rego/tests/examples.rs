//! The example policies under examples/policies/rego, loaded from files.

use std::path::PathBuf;

use paved_core::plugin::{
    Change, Guardrail, Operation, ResourceAddress, Subject, Verdict, Violation,
};
use paved_rego::{RegoGuardrail, RegoSource};
use serde_json::{Value, json};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/rego")
}

fn load_all() -> RegoGuardrail {
    RegoGuardrail::load(
        "examples",
        &RegoSource {
            policies: vec![examples()],
            data: vec![examples().join("data")],
            query: None,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn violation(path: &str, message: &str) -> Violation {
    Violation {
        path: path.into(),
        message: message.into(),
    }
}

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
        actor: None,
    }
}

fn database(environment: &str, params: Value) -> Change {
    Change {
        subject: Subject::Resource(ResourceAddress {
            resource_type: "postgres.database".into(),
            name: "orders-db".into(),
            environment: Some(environment.into()),
            owner: Some("group:default/payments".into()),
        }),
        operation: Operation::Create,
        before: None,
        after: Some(params),
        diff: Vec::new(),
        monthly_cost: Some(120.0),
        actor: None,
    }
}

#[test]
fn a_directory_loads_every_policy_but_the_tests() {
    let g = load_all();
    let files: Vec<String> = g
        .files()
        .iter()
        .map(|f| {
            PathBuf::from(f)
                .strip_prefix(examples())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        files,
        vec![
            "catalog/ownership.rego",
            "labels/cost_center.rego",
            "resources/backups.rego"
        ]
    );
    assert_eq!(
        g.rules(),
        vec![
            "data.paved.catalog.deny",
            "data.paved.catalog.warn",
            "data.paved.labels.violation",
            "data.paved.resources.deny",
        ]
    );
}

#[tokio::test]
async fn components_need_an_owner_and_an_allowed_lifecycle() {
    let g = load_all();
    let r = g.review(&component(json!({})), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(
        r.violations,
        vec![
            violation("", "Component orders has no lifecycle (spec.lifecycle)"),
            violation("", "Component orders has no owner (spec.owner)"),
        ]
    );

    // The allowed lifecycles come from data/lifecycles.json.
    let r = g
        .review(
            &component(json!({"owner": "payments", "lifecycle": "beta"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        r.violations,
        vec![violation(
            "",
            r#"Component orders: lifecycle "beta" is not one of ["experimental", "production", "deprecated"]"#
        )]
    );

    let ok = json!({"owner": "payments", "lifecycle": "production"});
    let r = g.review(&component(ok), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Allow, "{r:?}");

    let deprecated = json!({"owner": "payments", "lifecycle": "deprecated"});
    let r = g.review(&component(deprecated), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Warn);
    assert_eq!(
        r.violations,
        vec![violation("", "Component orders is deprecated")]
    );
}

#[tokio::test]
async fn production_databases_need_backups() {
    let g = load_all();
    let labels = json!({"cost-center": "cc-42"});

    let r = g
        .review(
            &database("prod", json!({"size": "small", "labels": labels})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(
        r.violations,
        vec![violation(
            "backup.enabled",
            "postgres.database orders-db in prod must have backups (backup.enabled: true)"
        )]
    );

    // Retention below the default minimum of 7 days, then a lower minimum
    // from the settings.
    let short = json!({"labels": labels, "backup": {"enabled": true, "retentionDays": 3}});
    let r = g
        .review(&database("prod", short.clone()), None)
        .await
        .unwrap();
    assert_eq!(
        r.violations,
        vec![violation(
            "backup.retentionDays",
            "postgres.database orders-db keeps backups 3 days; production needs at least 7"
        )]
    );
    let r = g
        .review(
            &database("prod", short),
            Some(&json!({"minRetentionDays": 2})),
        )
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Allow, "{r:?}");

    // Not production: no backups needed.
    let r = g
        .review(&database("dev", json!({"labels": labels})), None)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Allow, "{r:?}");
}

#[tokio::test]
async fn every_resource_carries_a_cost_center_label() {
    let g = load_all();
    let backup = json!({"enabled": true, "retentionDays": 30});
    let r = g
        .review(&database("dev", json!({"backup": backup})), None)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(
        r.violations,
        vec![violation(
            "labels.cost-center",
            "postgres.database orders-db has no cost-center label"
        )]
    );

    // A catalogue Resource entity, with the label named in the settings.
    let entity = Change {
        subject: Subject::Entity("resource:default/orders-bucket".into()),
        operation: Operation::Create,
        before: None,
        after: Some(json!({
            "kind": "Resource",
            "metadata": {"name": "orders-bucket", "labels": {"cost-center": "cc-1"}},
            "spec": {"type": "s3-bucket", "owner": "payments"},
        })),
        diff: Vec::new(),
        monthly_cost: None,
        actor: None,
    };
    let r = g.review(&entity, None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Allow, "{r:?}");
    let r = g
        .review(&entity, Some(&json!({"label": "costcenter"})))
        .await
        .unwrap();
    assert_eq!(
        r.violations,
        vec![violation(
            "metadata.labels.costcenter",
            "Resource orders-bucket has no costcenter label"
        )]
    );
}

#[tokio::test]
async fn data_files_named_directly_land_at_the_root() {
    // The same documents, given as files instead of their directory.
    let g = RegoGuardrail::load(
        "files",
        &RegoSource {
            policies: vec![examples().join("catalog/ownership.rego")],
            data: vec![examples().join("data/lifecycles.json")],
            query: Some("paved.catalog".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        g.rules(),
        vec!["data.paved.catalog.deny", "data.paved.catalog.warn"]
    );
    let r = g
        .review(
            &component(json!({"owner": "payments", "lifecycle": "experimental"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Allow, "{r:?}");
}

#[tokio::test]
async fn data_in_subdirectories_lands_under_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("k8s/limits")).unwrap();
    std::fs::write(data.join("k8s/limits/data.yaml"), "maxReplicas: 3\n").unwrap();
    std::fs::write(data.join("top.json"), r#"{"team": "platform"}"#).unwrap();
    std::fs::write(data.join("notes.txt"), "not data").unwrap();
    let policy = dir.path().join("replicas.rego");
    std::fs::write(
        &policy,
        r#"package main
import rego.v1

deny contains sprintf("%v replicas > %v (%v)", [n, data.k8s.limits.maxReplicas, data.team]) if {
  n := input.after.spec.replicas
  n > data.k8s.limits.maxReplicas
}
"#,
    )
    .unwrap();
    let g = RegoGuardrail::load(
        "dirs",
        &RegoSource {
            policies: vec![policy],
            data: vec![data],
            query: Some("main".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let r = g
        .review(&component(json!({"replicas": 5})), None)
        .await
        .unwrap();
    assert_eq!(
        r.violations,
        vec![violation("", "5 replicas > 3 (platform)")]
    );
}
