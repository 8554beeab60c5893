//! Access rules at every write operation of the surface: an actor no rule
//! allows is refused by each one (catalogue writes and provider calls, dry
//! runs too), nothing is written and no side effect runs; owners reach the
//! resources their group owns; rules come from `paved.yaml`.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{Recorder, component, entity_count, reviewed_write_operations, seed_resources, write};
use paved::{AccessRules, Error, Platform, StoreSpec, WriteOptions};
use serde_json::json;

fn rules() -> AccessRules {
    serde_json::from_value(json!({
        "rules": [
            {"name": "the-platform-itself", "actors": ["system"]},
            {"name": "owners", "actors": ["owners"]}
        ]
    }))
    .unwrap()
}

/// A platform on a fresh SQLite file holding `component:default/existing`
/// (owned by team-a), jane (in team-a) and bob (in no group).
async fn platform(provider: Arc<Recorder>) -> (Platform, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreSpec::Sqlite(dir.path().join("paved.db"));
    seed_resources(&store).await;
    let p = Platform::builder()
        .store(store)
        .provider(provider)
        .access(rules())
        .build()
        .await
        .unwrap();
    for e in [
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
               "metadata": {"name": "jane"}, "spec": {"memberOf": ["team-a"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
               "metadata": {"name": "bob"}, "spec": {"memberOf": []}}),
        component("existing", "team-a"),
    ] {
        p.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
    (p, dir)
}

#[tokio::test]
async fn an_actor_no_rule_allows_is_refused_by_every_write_operation() {
    let provider = Arc::new(Recorder::default());
    let (p, _dir) = platform(provider.clone()).await;
    let audit_before = p.audit().list(None, Some(10_000)).await.unwrap().len();
    let bob = WriteOptions::actor("user:default/bob");
    let writes = reviewed_write_operations();
    assert_eq!(writes.len(), 12, "{writes:?}");
    for name in &writes {
        let err = write(&p, name, &bob)
            .await
            .expect_err(&format!("{name} let bob through"));
        let Error::Denied { by, message, .. } = &err else {
            panic!("{name}: {err}");
        };
        assert_eq!(by, "access default", "{name}: {message}");
        assert!(
            message.starts_with("user:default/bob may not "),
            "{name}: {message}"
        );
        if !name.starts_with("plugins.") {
            let err = write(&p, name, &bob.clone().dry_run())
                .await
                .expect_err(name);
            assert_eq!(err.code(), "DENIED", "{name} dry run: {err}");
        }
    }
    assert_eq!(entity_count(&p).await, 8, "nothing written");
    assert_eq!(provider.0.load(Ordering::SeqCst), 0, "a side effect ran");
    let audit_after = p.audit().list(None, Some(10_000)).await.unwrap().len();
    assert_eq!(
        audit_after, audit_before,
        "no audit record for a refused write"
    );

    // jane is in team-a, which owns the resource the probes address.
    let jane = WriteOptions::actor("user:default/jane");
    write(&p, "plugins.apply", &jane).await.unwrap();
    write(&p, "catalog.delete", &jane).await.unwrap();
    assert_eq!(provider.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rules_come_from_paved_yaml_and_bad_ones_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("paved.yaml");
    std::fs::write(
        &config,
        "store: memory\naccess:\n  rules:\n    - name: admins\n      actors: [group:default/admins]\n",
    )
    .unwrap();
    let p = paved::open(paved::OpenOptions {
        config: Some(config.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = p
        .catalog()
        .upsert(component("x", "team-a"), None, &WriteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DENIED", "{err}");
    assert!(
        err.to_string().contains("system may not entity.create"),
        "{err}"
    );

    std::fs::write(
        &config,
        "access:\n  rules:\n    - name: admins\n      actors: [group:default/admins]\n      effect: maybe\n",
    )
    .unwrap();
    let err = paved::open(paved::OpenOptions {
        config: Some(config),
        ..Default::default()
    })
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("paved.yaml") && text.contains("effect"),
        "{text}"
    );
}

/// The sample organisation's rules (examples/access/paved.yaml) on the
/// sample catalogue, and the fixtures of its policy (examples/access/tests).
#[tokio::test]
async fn the_example_rules_hold_on_the_sample_organisation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = paved::open(paved::OpenOptions {
        config: Some(root.join("examples/access/paved.yaml")),
        store: Some("memory".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    p.catalog()
        .import(
            &[root.join("examples/catalog")],
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let delete = |actor: &str| {
        let opts = WriteOptions::actor(actor).dry_run();
        let p = p.clone();
        async move {
            p.catalog()
                .delete("component:default/payment-gateway", None, &opts)
                .await
        }
    };
    // Owned by team-payments: its members, and the platform team, may; it
    // runs in production, so the delete is held for the platform team's
    // approval (the example's approval-asking policy).
    for actor in ["user:default/diego.ramirez", "user:default/ivan.petrov"] {
        let err = delete(actor).await.unwrap_err();
        assert_eq!(err.code(), "PENDING_APPROVAL", "{actor}: {err}");
        assert_eq!(
            err.details()["approvers"],
            json!(["group:default/team-platform"])
        );
    }
    // A logistics engineer may not; an unknown actor may not.
    let err = delete("user:default/gustav.lind").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("user:default/gustav.lind may not entity.delete"),
        "{text}"
    );
    assert!(
        text.contains("'owners-change-what-they-own' (for owners)"),
        "{text}"
    );
    let err = delete("user:default/nobody").await.unwrap_err();
    assert!(err.to_string().contains("not in the catalogue"), "{err}");

    // The fixtures of its access rules and of its approval-asking policy pass.
    let report = p
        .policies()
        .test(&root.join("examples/access/tests"))
        .await
        .unwrap();
    assert_eq!((report.passed, report.failed), (11, 0), "{report:?}");
}
