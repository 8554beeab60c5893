//! End-to-end tests of the example plugins (built from source) through the
//! host: each guardrail's verdicts and violations, the provider's lifecycle
//! in a granted directory, settings validation at load, the precompiled cache,
//! and world mismatches.

mod common;

use std::sync::Arc;

use common::{catalogue, plugin_wasm};
use paved_core::plugin::{
    ApplyRequest, Change, Guardrail, ImportRequest, Operation, PlanRequest, Provider,
    ResourceAddress, ResourceRequest, Subject, Verdict,
};
use paved_plugins::{
    CacheOutcome, DirGrant, DirMode, Grants, PluginConfig, PluginErrorKind, PluginHost, PluginKind,
};
use serde_json::{Value, json};

fn entity_change(entity: Value) -> Change {
    Change {
        subject: Subject::Entity(format!(
            "{}:default/{}",
            entity["kind"].as_str().unwrap().to_lowercase(),
            entity["metadata"]["name"].as_str().unwrap()
        )),
        operation: Operation::Create,
        before: None,
        after: Some(entity),
        diff: vec![],
        monthly_cost: None,
        actor: Some("user:default/ada".into()),
    }
}

fn component(name: &str, owner: Option<&str>) -> Value {
    let mut e = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": name}, "spec": {"type": "service", "lifecycle": "production"}});
    if let Some(o) = owner {
        e["spec"]["owner"] = json!(o);
    }
    e
}

fn resource_change(name: &str, owner: &str, cost: f64) -> Change {
    Change {
        subject: Subject::Resource(ResourceAddress {
            resource_type: "postgres.database".into(),
            name: name.into(),
            environment: Some("prod".into()),
            owner: Some(owner.into()),
        }),
        operation: Operation::Create,
        before: None,
        after: Some(json!({"size": "large"})),
        diff: vec![],
        monthly_cost: Some(cost),
        actor: None,
    }
}

#[tokio::test]
async fn require_owner_checks_the_catalogue() {
    common::init_tracing();
    let host = PluginHost::builder()
        .catalogue(catalogue(vec![
            json!({"kind": "Group", "metadata": {"name": "payments"}, "spec": {"type": "team"}}),
        ]))
        .build()
        .unwrap();
    let cfg = PluginConfig::new(
        "require-owner",
        plugin_wasm("require-owner"),
        PluginKind::Guardrail,
    )
    .grants(Grants {
        catalogue: true,
        ..Default::default()
    });
    let rule = host.load_guardrail(cfg).await.unwrap();
    assert_eq!(rule.info().name, "require-owner");

    let ok = rule
        .review(&entity_change(component("orders", Some("payments"))), None)
        .await
        .unwrap();
    assert_eq!(ok.verdict, Verdict::Allow, "{ok:?}");

    let missing = rule
        .review(&entity_change(component("orders", None)), None)
        .await
        .unwrap();
    assert_eq!(missing.verdict, Verdict::Deny);
    assert_eq!(missing.violations[0].path, "spec.owner");

    let ghost = rule
        .review(
            &entity_change(component("orders", Some("group:ghosts"))),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ghost.verdict, Verdict::Deny);
    assert!(
        ghost.violations[0].message.contains("does not exist"),
        "{ghost:?}"
    );

    // warn-only settings per call (a policy binding's own settings)
    let warn = rule
        .review(
            &entity_change(component("orders", Some("group:ghosts"))),
            Some(&json!({"enforce": false})),
        )
        .await
        .unwrap();
    assert_eq!(warn.verdict, Verdict::Warn);
}

#[tokio::test]
async fn require_owner_without_the_catalogue_grant_is_denied_a_capability() {
    let host = PluginHost::builder().build().unwrap();
    let cfg = PluginConfig::new(
        "require-owner",
        plugin_wasm("require-owner"),
        PluginKind::Guardrail,
    );
    let rule = host.load_guardrail(cfg).await.unwrap();
    let err = rule
        .review_change(&entity_change(component("orders", Some("payments"))), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::CapabilityDenied, "{err}");
    let core: paved_core::Error = err.into();
    assert!(matches!(
        core,
        paved_core::Error::Plugin {
            kind: PluginErrorKind::CapabilityDenied,
            ..
        }
    ));
}

#[tokio::test]
async fn naming_convention_uses_a_regex_per_kind() {
    let host = PluginHost::builder().build().unwrap();
    let cfg = PluginConfig::new(
        "naming",
        plugin_wasm("naming-convention"),
        PluginKind::Guardrail,
    )
    .settings(
        json!({"patterns": {"Component": "^[a-z][a-z0-9-]*$", "postgres.database": "^[a-z_]+$"}}),
    );
    let rule = host.load_guardrail(cfg).await.unwrap();
    let good = rule
        .review(&entity_change(component("orders-api", None)), None)
        .await
        .unwrap();
    assert_eq!(good.verdict, Verdict::Allow);
    let bad = rule
        .review(&entity_change(component("Orders_API", None)), None)
        .await
        .unwrap();
    assert_eq!(bad.verdict, Verdict::Deny);
    assert_eq!(bad.violations[0].path, "metadata.name");
    let res = rule
        .review(&resource_change("orders-db", "payments", 1.0), None)
        .await
        .unwrap();
    assert_eq!(res.verdict, Verdict::Deny, "{res:?}");
    assert_eq!(res.violations[0].path, "name");
}

#[tokio::test]
async fn naming_convention_rejects_bad_settings_at_load_with_their_path() {
    let host = PluginHost::builder().build().unwrap();
    let bad_regex = PluginConfig::new(
        "naming",
        plugin_wasm("naming-convention"),
        PluginKind::Guardrail,
    )
    .settings(json!({"patterns": {"Component": "([a-z"}}));
    let err = host.load_guardrail(bad_regex).await.unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
    assert!(err.to_string().contains("patterns.Component"), "{err}");

    let wrong_type = PluginConfig::new(
        "naming",
        plugin_wasm("naming-convention"),
        PluginKind::Guardrail,
    )
    .settings(json!({"patterns": {"Component": 5}}));
    let err = host.load_guardrail(wrong_type).await.unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
    assert!(err.to_string().contains("patterns.Component"), "{err}");
}

#[tokio::test]
async fn cost_budget_sums_existing_spend_from_the_catalogue() {
    let host = PluginHost::builder()
        .catalogue(catalogue(vec![
            json!({"kind": "Resource", "metadata": {"name": "cache"}, "spec": {"owner": "group:default/payments", "monthlyCost": 300.0}}),
            json!({"kind": "Resource", "metadata": {"name": "other"}, "spec": {"owner": "group:default/search", "monthlyCost": 900.0}}),
        ]))
        .build()
        .unwrap();
    let cfg = PluginConfig::new("cost", plugin_wasm("cost-budget"), PluginKind::Guardrail)
        .settings(json!({"budgets": {"group:default/payments": 500.0}, "includeExisting": true}))
        .grants(Grants {
            catalogue: true,
            ..Default::default()
        });
    let rule = host.load_guardrail(cfg).await.unwrap();
    let cheap = rule
        .review(&resource_change("db", "group:default/payments", 50.0), None)
        .await
        .unwrap();
    assert_eq!(cheap.verdict, Verdict::Allow, "{cheap:?}");
    let near = rule
        .review(
            &resource_change("db", "group:default/payments", 150.0),
            None,
        )
        .await
        .unwrap();
    assert_eq!(near.verdict, Verdict::Warn, "{near:?}");
    let over = rule
        .review(
            &resource_change("db", "group:default/payments", 250.0),
            None,
        )
        .await
        .unwrap();
    assert_eq!(over.verdict, Verdict::Deny);
    assert!(over.violations[0].message.contains("550.00"), "{over:?}");
    // an owner without a budget and no default is not limited
    let free = rule
        .review(&resource_change("db", "group:default/search", 5000.0), None)
        .await
        .unwrap();
    assert_eq!(free.verdict, Verdict::Allow);
}

#[tokio::test]
async fn template_denies_and_patches() {
    let host = PluginHost::builder().build().unwrap();
    let cfg = PluginConfig::new(
        "template",
        plugin_wasm("paved-plugin-template"),
        PluginKind::Guardrail,
    );
    let rule = host.load_guardrail(cfg).await.unwrap();
    let r = rule
        .review(&entity_change(component("x", None)), None)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert_eq!(r.patch.unwrap()[0]["path"], "/metadata/labels");
}

#[tokio::test]
async fn local_directory_lifecycle_in_a_granted_directory() {
    common::init_tracing();
    let data = tempfile::tempdir().unwrap();
    let host = PluginHost::builder().build().unwrap();
    let cfg = PluginConfig::new("dirs", plugin_wasm("local-directory"), PluginKind::Provider)
        .grants(Grants {
            dirs: vec![DirGrant {
                host: data.path().to_path_buf(),
                guest: "/data".into(),
                mode: DirMode::Rw,
            }],
            ..Default::default()
        });
    let p = host.load_provider(cfg).await.unwrap();
    assert_eq!(p.info().resource_types[0].name, "local.directory");
    assert!(p.info().resource_types[0].params_schema["properties"]["files"].is_object());

    let address = ResourceAddress {
        resource_type: "local.directory".into(),
        name: "site".into(),
        environment: None,
        owner: None,
    };
    let params = json!({"files": {"index.html": "<h1>hi</h1>", "conf/app.toml": "x = 1"}});
    let plan = p
        .plan(&PlanRequest {
            address: address.clone(),
            params: params.clone(),
            prior_state: None,
            prior_params: None,
        })
        .await
        .unwrap();
    assert_eq!(plan.operation, Operation::Create);
    assert_eq!(plan.diff.len(), 2);
    assert!(
        !data.path().join("site").exists(),
        "plan must not change anything"
    );

    let applied = p
        .apply(&ApplyRequest {
            address: address.clone(),
            params: params.clone(),
            prior_state: None,
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(data.path().join("site/conf/app.toml")).unwrap(),
        "x = 1"
    );
    assert_eq!(applied.outputs["path"], "/data/site");

    let again = p
        .plan(&PlanRequest {
            address: address.clone(),
            params: params.clone(),
            prior_state: Some(applied.state.clone()),
            prior_params: Some(params.clone()),
        })
        .await
        .unwrap();
    assert_eq!(again.operation, Operation::NoOp, "{again:?}");

    // drift: a file changed behind paved's back
    std::fs::write(data.path().join("site/index.html"), "tampered").unwrap();
    let state = p
        .read(&ResourceRequest {
            address: address.clone(),
            state: applied.state.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap()
        .unwrap();
    assert_ne!(state, applied.state);

    let imported = p
        .import(&ImportRequest {
            address: address.clone(),
            external_id: "site".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(imported.params["files"]["index.html"], "tampered");

    p.delete(&ResourceRequest {
        address: address.clone(),
        state: applied.state.clone(),
        idempotency_key: None,
    })
    .await
    .unwrap();
    assert!(!data.path().join("site").exists());
    assert_eq!(
        p.read(&ResourceRequest {
            address: address.clone(),
            state: applied.state,
            idempotency_key: None,
        })
        .await
        .unwrap(),
        None
    );

    // bad params come back as Invalid with the JSON path
    let err = p
        .plan(&PlanRequest {
            address,
            params: json!({"files": {"../escape": "x"}}),
            prior_state: None,
            prior_params: None,
        })
        .await
        .unwrap_err();
    match err {
        paved_core::Error::Invalid { diagnostics } => {
            assert_eq!(diagnostics[0].path, "params.files.../escape")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn local_directory_without_a_grant_cannot_write() {
    let host = PluginHost::builder().build().unwrap();
    let p = host
        .load_provider(PluginConfig::new(
            "dirs",
            plugin_wasm("local-directory"),
            PluginKind::Provider,
        ))
        .await
        .unwrap();
    let address = ResourceAddress {
        resource_type: "local.directory".into(),
        name: "site".into(),
        environment: None,
        owner: None,
    };
    let err = p
        .apply_resource(&ApplyRequest {
            address,
            params: json!({"files": {"a": "b"}}),
            prior_state: None,
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            PluginErrorKind::Guest | PluginErrorKind::CapabilityDenied
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_provider_loaded_as_a_guardrail_names_the_missing_export() {
    let host = PluginHost::builder().build().unwrap();
    let err = host
        .load_guardrail(PluginConfig::new(
            "dirs",
            plugin_wasm("local-directory"),
            PluginKind::Guardrail,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Load);
    assert!(
        err.to_string()
            .contains("no exported instance named `paved:plugin/guardrail-api@0.1.2`"),
        "{err}"
    );
    let err = host
        .load_provider(PluginConfig::new(
            "naming",
            plugin_wasm("naming-convention"),
            PluginKind::Provider,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Load);
    assert!(
        err.to_string()
            .contains("no exported instance named `paved:plugin/provider-api@0.1.2`"),
        "{err}"
    );
}

#[tokio::test]
async fn precompiled_cache_hits_and_recompiles_corrupt_entries() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = || {
        PluginConfig::new(
            "template",
            plugin_wasm("paved-plugin-template"),
            PluginKind::Guardrail,
        )
    };
    let host = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    let first = host.load_guardrail(cfg()).await.unwrap();
    assert_eq!(first.cache_outcome(), &CacheOutcome::Miss);
    let second = host.load_guardrail(cfg()).await.unwrap();
    assert_eq!(second.cache_outcome(), &CacheOutcome::Hit);

    // flip one byte in the middle of the entry
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&entry).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let third = host.load_guardrail(cfg()).await.unwrap();
    assert!(
        matches!(third.cache_outcome(), CacheOutcome::Recompiled { reason } if reason.contains("checksum")),
        "{:?}",
        third.cache_outcome()
    );
    let r = third
        .review(&entity_change(component("x", None)), None)
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);

    // a foreign file with the right name is not trusted either
    std::fs::write(&entry, b"not a cache entry").unwrap();
    let fourth = host.load_guardrail(cfg()).await.unwrap();
    assert!(matches!(
        fourth.cache_outcome(),
        CacheOutcome::Recompiled { .. }
    ));
    assert_eq!(
        host.load_guardrail(cfg()).await.unwrap().cache_outcome(),
        &CacheOutcome::Hit
    );
}

#[tokio::test]
async fn guardrails_are_usable_as_core_trait_objects() {
    let host = PluginHost::builder().build().unwrap();
    let rule: Arc<dyn Guardrail> = Arc::new(
        host.load_guardrail(PluginConfig::new(
            "template",
            plugin_wasm("paved-plugin-template"),
            PluginKind::Guardrail,
        ))
        .await
        .unwrap(),
    );
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let rule = rule.clone();
            tokio::spawn(async move {
                let mut e = component(&format!("c{i}"), None);
                e["metadata"]["description"] = json!("a long enough description");
                rule.review(&entity_change(e), None).await.unwrap().verdict
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap(), Verdict::Allow);
    }
}

#[tokio::test]
async fn a_guest_built_against_a_newer_patch_version_loads() {
    let host = PluginHost::builder().build().unwrap();
    let i = paved_plugins::inspect::inspect(&host, &plugin_wasm("compat-next"))
        .await
        .unwrap();
    assert_eq!(i.version.as_deref(), Some("0.1.3"));
    assert!(
        i.imports.iter().any(|n| n == "paved:plugin/host@0.1.3"),
        "{:?}",
        i.imports
    );
    let rule = host
        .load_guardrail(PluginConfig::new(
            "compat",
            plugin_wasm("compat-next"),
            PluginKind::Guardrail,
        ))
        .await
        .unwrap();
    // It exports no guardrail-each-api: bindings told ahead are reviewed
    // one call each.
    assert!(!rule.reviews_each());
    let x = entity_change(component("x", None));
    let mut reviews = rule.change_reviews();
    reviews.ahead(&[None, None]);
    for _ in 0..2 {
        let r = reviews.review_with(&x, None).await.unwrap();
        assert_eq!(r.verdict, Verdict::Warn);
        assert_eq!(reviews.last_cost(), None);
    }
}
