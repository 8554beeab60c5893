//! `Policy` entities (`paved_core::policy::PolicySpec`): policy bindings kept
//! in the catalogue. Written by one process, they review the next write of
//! every other process on the same store (SQLite file and PostgreSQL), as
//! they are changed (mode) and after they are deleted; one that would not
//! load is refused when written, naming the field, and nothing is written;
//! a stored one whose guardrail is gone fails closed without locking its
//! own entity.

mod common;

use std::sync::Arc;

use common::{Fixed, PgDb, component, entity_count, upsert};
use paved::plugins::Verdict;
use paved::{Error, Platform, QuerySpec, StoreSpec, WriteOptions};
use serde_json::{Value, json};

const TIER_RULE: &str = r#"package paved.tier

deny contains msg if {
	input.after.kind == "Component"
	not input.after.metadata.labels.tier
	msg := "metadata.labels.tier: give the component a tier (label tier: 1, 2 or 3)"
}
"#;

fn tier_policy(mode: &str) -> Value {
    json!({
        "apiVersion": "paved.dev/v1alpha1",
        "kind": "Policy",
        "metadata": {"name": "components-have-a-tier",
                     "description": "Incidents are routed by tier."},
        "spec": {
            "owner": "group:default/team-platform",
            "rego": {"module": TIER_RULE},
            "match": {"operations": ["entity.create", "entity.update"], "kinds": ["Component"]},
            "mode": mode
        }
    })
}

const TIER_REF: &str = "policy:default/components-have-a-tier";

fn tiered(name: &str) -> Value {
    let mut c = component(name, "team-a");
    c["metadata"]["labels"] = json!({"tier": "2"});
    c
}

async fn open(store: &str) -> Platform {
    paved::open(paved::OpenOptions::default().store(store))
        .await
        .unwrap()
}

/// `writer` stores the policy; `other` (opened before it existed) obeys it.
async fn a_stored_policy_reviews_other_processes(writer: Platform, other: Platform) {
    upsert(&other, component("before", "team-a")).await.unwrap();
    upsert(&writer, tier_policy("enforce")).await.unwrap();

    let err = upsert(&other, component("untiered", "team-a"))
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("expected a denial, got {err}")
    };
    assert_eq!(decisions[0].policy, TIER_REF);
    assert_eq!(decisions[0].guardrail, TIER_REF);
    assert!(
        err.to_string().contains("give the component a tier"),
        "{err}"
    );
    assert!(matches!(
        other.catalog().get("component:default/untiered").await,
        Err(Error::NotFound { .. })
    ));
    upsert(&other, tiered("tiered")).await.unwrap();

    // Owned and queryable like every entity; listed with the bindings.
    let page = other
        .catalog()
        .query(&QuerySpec::filter([
            "kind=policy,relations.ownedBy=group:default/team-platform",
        ]))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "{page:?}");
    let listed = other.policies().list().await.unwrap();
    assert_eq!(
        listed.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
        [TIER_REF]
    );
    assert_eq!(
        listed[0].description.as_deref(),
        Some("Incidents are routed by tier.")
    );

    // Audit mode: recorded, not enforced.
    upsert(&writer, tier_policy("audit")).await.unwrap();
    let set = upsert(&other, component("audited", "team-a"))
        .await
        .unwrap();
    assert_eq!(set.decisions.len(), 1, "{set:?}");
    assert_eq!(set.decisions[0].verdict, Verdict::Deny);
    assert!(!set.decisions[0].blocking);
    let recorded = other
        .policies()
        .decisions(&paved::DecisionFilter {
            policy: Some(TIER_REF.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        recorded
            .iter()
            .any(|d| d.subject == "component:default/audited"),
        "{recorded:?}"
    );

    // Deleted: it reviews nothing more.
    writer
        .catalog()
        .delete(TIER_REF, None, &WriteOptions::default())
        .await
        .unwrap();
    let set = upsert(&other, component("free", "team-a")).await.unwrap();
    assert!(set.decisions.is_empty(), "{set:?}");
    assert!(other.policies().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_stored_policy_reviews_every_process_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("paved.db").display());
    let (writer, other) = (open(&store).await, open(&store).await);
    a_stored_policy_reviews_other_processes(writer, other).await;
}

#[tokio::test]
async fn a_stored_policy_reviews_every_process_on_postgres() {
    let db = PgDb::create().await;
    let (writer, other) = (open(&db.url()).await, open(&db.url()).await);
    a_stored_policy_reviews_other_processes(writer, other).await;
}

#[tokio::test]
async fn a_policy_that_would_not_load_is_refused_naming_the_field() {
    let p = open("sqlite::memory:").await;
    let cases: [(&str, Value, &str, &str); 6] = [
        (
            "rego that does not compile",
            json!({"rego": {"module": "package x\n\ndeny contains msg if {\n  input.after.kind ==\n}\n"}}),
            "spec.rego.module",
            "does not load: line 5, column 1 of the module",
        ),
        (
            "an unknown guardrail",
            json!({"guardrail": "no-such-plugin"}),
            "spec.guardrail",
            "not one of the platform's guardrails",
        ),
        (
            "two guardrails",
            json!({"guardrail": "x", "rego": {"module": TIER_RULE}}),
            "spec.rego",
            "give one",
        ),
        (
            "a misspelt field",
            json!({"rego": {"module": TIER_RULE}, "matches": {"kinds": ["Component"]}}),
            "spec",
            "matches",
        ),
        (
            "an approver that is no group",
            json!({"rego": {"module": TIER_RULE}, "approval": {"approvers": ["user:default/jane"]}}),
            "spec.approval.approvers[0]",
            "expected a group",
        ),
        (
            "an unknown mode",
            json!({"rego": {"module": TIER_RULE}, "mode": "sometimes"}),
            "spec.mode",
            "sometimes",
        ),
    ];
    for (what, mut spec, path, says) in cases {
        spec["owner"] = json!("team-platform");
        let policy = json!({"apiVersion": "paved.dev/v1alpha1", "kind": "Policy",
                            "metadata": {"name": "bad"}, "spec": spec});
        let err = upsert(&p, policy).await.unwrap_err();
        let Error::Invalid { diagnostics } = &err else {
            panic!("{what}: expected VALIDATION, got {err}")
        };
        assert!(
            diagnostics
                .iter()
                .any(|d| d.path == path && d.message.contains(says)),
            "{what}: expected '{says}' at {path}, got {diagnostics:#?}"
        );
        assert_eq!(entity_count(&p).await, 0, "{what}: nothing is written");
    }
}

#[tokio::test]
async fn a_stored_policy_whose_guardrail_is_gone_fails_closed_but_can_be_mended() {
    let dir = tempfile::tempdir().unwrap();
    let spec = StoreSpec::Sqlite(dir.path().join("paved.db"));
    let with = Platform::builder()
        .store(spec.clone())
        .guardrail(Arc::new(Fixed::allow("lenient")))
        .build()
        .await
        .unwrap();
    let policy = json!({"apiVersion": "paved.dev/v1alpha1", "kind": "Policy",
        "metadata": {"name": "lenient"},
        "spec": {"owner": "team-platform", "guardrail": "lenient",
                 "match": {"kinds": ["Component"]}}});
    upsert(&with, policy.clone()).await.unwrap();
    upsert(&with, component("fine", "team-a")).await.unwrap();

    let without = Platform::builder().store(spec).build().await.unwrap();
    let err = upsert(&without, component("blocked", "team-a"))
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("expected a denial, got {err}")
    };
    let failure = decisions[0].failure.as_deref().unwrap_or_default();
    assert!(
        failure.contains("does not load") && failure.contains("lenient"),
        "{failure}"
    );
    // Its own entity is not blocked by it: rewriting it still has to load,
    // deleting it lifts the block.
    let mut audit = policy;
    audit["spec"]["mode"] = json!("audit");
    let err = upsert(&without, audit).await.unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { diagnostics } if diagnostics[0].path == "spec.guardrail"),
        "a Policy that still would not load is refused: {err}"
    );
    without
        .catalog()
        .delete("policy:default/lenient", None, &WriteOptions::default())
        .await
        .unwrap();
    upsert(&without, component("unblocked", "team-a"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_per_entity_import_refuses_only_the_policy_that_would_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &file,
        "apiVersion: paved.dev/v1alpha1\nkind: Policy\nmetadata: { name: broken }\n\
         spec:\n  owner: team-platform\n  guardrail: no-such-plugin\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: fine }\n\
         spec: { type: service, lifecycle: production, owner: team-a }\n",
    )
    .unwrap();
    let p = open("sqlite::memory:").await;
    let set = p
        .catalog()
        .import(std::slice::from_ref(&file), None, &WriteOptions::default())
        .await
        .unwrap();
    assert!(set.partial, "{set:?}");
    let refused = &set.refused[0];
    assert_eq!(refused.path, "spec.guardrail");
    assert_eq!(refused.entity.as_deref(), Some("policy:default/broken"));
    assert_eq!(refused.location.as_ref().map(|l| l.line), Some(1));
    p.catalog().get("component:default/fine").await.unwrap();
    assert!(p.policies().list().await.unwrap().is_empty());

    // All or nothing: the bad Policy refuses the whole import.
    let err = p
        .catalog()
        .import(
            std::slice::from_ref(&file),
            Some(paved::ImportMode::AllOrNothing),
            &WriteOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::Invalid { diagnostics } = &err else {
        panic!("expected VALIDATION, got {err}")
    };
    assert_eq!(diagnostics[0].path, "spec.guardrail");
    assert_eq!(
        diagnostics[0].location.as_ref().map(|l| l.line),
        Some(1),
        "the file and line, as in a per-entity import: {err}"
    );
}
