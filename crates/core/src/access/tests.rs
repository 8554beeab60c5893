//! Access rules decided in the pipeline, on SQLite and PostgreSQL: members
//! (directly and through parent groups) change what their group owns, an
//! update must be allowed for the entity as it is and as it will be, deny
//! rules win, unknown actors and unmatched changes get the configured
//! defaults, denials name the rule and write nothing, dry runs are refused
//! alike, and bad rules are refused when the platform opens.

use serde_json::{Value, json};

use super::{AccessEffect, AccessRules};
use crate::error::Error;
use crate::pipeline::WriteOptions;
use crate::platform::{Platform, StoreSpec};
use crate::store::conformance::common::PgTestDb;

fn group(name: &str, parent: Option<&str>) -> Value {
    let mut spec = json!({"type": "team", "children": []});
    if let Some(p) = parent {
        spec["parent"] = json!(p);
    }
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
           "metadata": {"name": name}, "spec": spec})
}

fn user(name: &str, groups: &[&str]) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
           "metadata": {"name": name}, "spec": {"memberOf": groups}})
}

fn component(name: &str, owner: &str) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
           "metadata": {"name": name},
           "spec": {"type": "service", "lifecycle": "production", "owner": owner}})
}

fn system(name: &str, owner: &str) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
           "metadata": {"name": name}, "spec": {"owner": owner}})
}

fn rules() -> AccessRules {
    serde_json::from_value(json!({
        "rules": [
            {"name": "the-platform-itself", "actors": ["system"]},
            {"name": "platform-team", "actors": ["group:default/platform"]},
            {"name": "owners-change-what-they-own", "actors": ["owners"],
             "match": {"operations": ["entity.create", "entity.update", "entity.delete"]}},
            {"name": "nobody-deletes-systems", "effect": "deny", "actors": ["*"],
             "description": "systems are retired by the architecture board",
             "match": {"operations": ["entity.delete"], "kinds": ["System"]}}
        ]
    }))
    .unwrap()
}

async fn platform(spec: StoreSpec, rules: AccessRules) -> Platform {
    let p = Platform::builder()
        .store(spec)
        .access(rules)
        .build()
        .await
        .unwrap();
    // `payments` is a child of `finance`: jane, in payments, is in finance too.
    for e in [
        group("platform", None),
        group("finance", None),
        group("payments", Some("finance")),
        user("jane", &["payments"]),
        user("ops", &["platform"]),
        user("bob", &[]),
        component("orders", "payments"),
        component("ledger", "finance"),
        component("portal", "platform"),
        system("money", "finance"),
    ] {
        p.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
    p
}

fn as_(actor: &str) -> WriteOptions {
    WriteOptions::actor(actor)
}

fn denied(r: crate::Result<crate::pipeline::ChangeSet>) -> (String, String) {
    match r {
        Err(Error::Denied {
            by,
            message,
            decisions,
        }) => {
            assert!(
                decisions.is_empty(),
                "access denials carry no policy decisions"
            );
            (by, message)
        }
        other => panic!("expected DENIED, got {other:?}"),
    }
}

async fn etag(p: &Platform, r: &str) -> Option<String> {
    p.catalog().get(r).await.unwrap().metadata.etag
}

async fn owners_and_groups(spec: StoreSpec) {
    let p = platform(spec, rules()).await;
    let c = p.catalog();

    // A member of the owning group may change it; through a parent group too.
    c.upsert(
        component("orders", "payments"),
        None,
        &as_("user:default/jane"),
    )
    .await
    .unwrap();
    let mut ledger = component("ledger", "finance");
    ledger["metadata"]["description"] = json!("the books");
    c.upsert(ledger, None, &as_("user:default/jane"))
        .await
        .unwrap();

    // Not a member: refused by the default, naming the rule that would allow it.
    let before = etag(&p, "component:default/portal").await;
    let mut portal = component("portal", "platform");
    portal["metadata"]["description"] = json!("mine now");
    let (by, message) = denied(
        c.upsert(portal.clone(), None, &as_("user:default/jane"))
            .await,
    );
    assert_eq!(by, "access default");
    assert!(
        message.contains("user:default/jane may not entity.update component:default/portal"),
        "{message}"
    );
    assert!(
        message.contains("owned by group:default/platform"),
        "{message}"
    );
    assert!(
        message.contains("'owners-change-what-they-own'"),
        "{message}"
    );
    assert_eq!(
        etag(&p, "component:default/portal").await,
        before,
        "nothing written"
    );
    // A dry run meets the same refusal.
    denied(
        c.upsert(portal, None, &as_("user:default/jane").dry_run())
            .await,
    );

    // Moving an entity out of one's reach (or into it) is not an owner's change.
    let before = etag(&p, "component:default/orders").await;
    let (by, _) = denied(
        c.upsert(
            component("orders", "platform"),
            None,
            &as_("user:default/jane"),
        )
        .await,
    );
    assert_eq!(by, "access default");
    denied(
        c.upsert(
            component("portal", "payments"),
            None,
            &as_("user:default/jane"),
        )
        .await,
    );
    assert_eq!(etag(&p, "component:default/orders").await, before);

    // Creating: only in one's own group's name.
    c.upsert(
        component("refunds", "payments"),
        None,
        &as_("user:default/jane"),
    )
    .await
    .unwrap();
    denied(
        c.upsert(
            component("intruder", "platform"),
            None,
            &as_("user:default/bob"),
        )
        .await,
    );
    assert!(c.get("component:default/intruder").await.is_err());

    // The platform team may do anything, but a deny rule wins.
    c.delete("component:default/refunds", None, &as_("user:default/ops"))
        .await
        .unwrap();
    let (by, message) = denied(
        c.delete("system:default/money", None, &as_("user:default/ops"))
            .await,
    );
    assert_eq!(by, "access rule 'nobody-deletes-systems'");
    assert!(message.contains("architecture board"), "{message}");
    assert!(c.get("system:default/money").await.is_ok());

    // An actor the catalogue does not know is refused by `unknown`.
    let (by, message) = denied(
        c.upsert(
            component("ghostly", "payments"),
            None,
            &as_("user:default/ghost"),
        )
        .await,
    );
    assert_eq!(by, "access unknown");
    assert!(message.contains("not in the catalogue"), "{message}");
}

#[tokio::test]
async fn owners_groups_and_rules_on_sqlite() {
    owners_and_groups(StoreSpec::Memory).await;
}

#[tokio::test]
async fn owners_groups_and_rules_on_postgres() {
    let db = PgTestDb::create().await;
    owners_and_groups(StoreSpec::Postgres(db.url())).await;
}

#[tokio::test]
async fn an_import_is_refused_whole_and_the_defaults_can_allow() {
    let p = platform(StoreSpec::Memory, rules()).await;
    let dir = tempfile::tempdir().unwrap();
    let mine = yaml_document(&component("orders-api", "payments"));
    let theirs = yaml_document(&component("platform-api", "platform"));
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        format!("{mine}---\n{theirs}"),
    )
    .unwrap();
    let (by, message) = denied(
        p.catalog()
            .import(&[dir.path().to_path_buf()], None, &as_("user:default/jane"))
            .await,
    );
    assert_eq!(by, "access default");
    assert!(
        message.contains("component:default/platform-api"),
        "{message}"
    );
    assert!(
        p.catalog()
            .get("component:default/orders-api")
            .await
            .is_err(),
        "nothing written"
    );

    // `default: allow` lets unmatched changes through; `unknown: allow` lets
    // unknown actors through; deny rules still hold.
    let mut open = rules();
    open.default = AccessEffect::Allow;
    open.unknown = AccessEffect::Allow;
    let p = platform(StoreSpec::Memory, open).await;
    p.catalog()
        .upsert(
            component("anything", "platform"),
            None,
            &as_("user:default/ghost"),
        )
        .await
        .unwrap();
    denied(
        p.catalog()
            .delete("system:default/money", None, &as_("user:default/ghost"))
            .await,
    );
}

/// One YAML document (JSON is YAML).
fn yaml_document(v: &Value) -> String {
    format!("{v}\n")
}

#[tokio::test]
async fn bad_rules_are_refused_when_the_platform_opens() {
    let bad: AccessRules = serde_json::from_value(json!({
        "rules": [
            {"name": "a", "actors": ["user:default/jane"]},
            {"name": "a", "actors": []},
            {"name": "c", "actors": ["user:"]}
        ]
    }))
    .unwrap();
    let err = Platform::builder()
        .store(StoreSpec::Memory)
        .access(bad)
        .build()
        .await
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(
        text.contains("access.rules[1].name") && text.contains("rule 'a' is declared twice"),
        "{text}"
    );
    assert!(text.contains("access.rules[1].actors"), "{text}");
    assert!(text.contains("access.rules[2].actors[0]"), "{text}");
    let unknown_field =
        serde_json::from_value::<AccessRules>(json!({"rules": [], "defualt": "allow"}));
    assert!(
        unknown_field.is_err(),
        "a misspelt field is an error, not ignored"
    );
}
