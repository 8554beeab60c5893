//! The functions behind `paved plugin inspect | check | run`, on every example.

mod common;

use common::plugin_wasm;
use paved_plugins::inspect::{self, RunRequest};
use paved_plugins::{
    DirGrant, DirMode, Grants, PluginConfig, PluginErrorKind, PluginHost, PluginKind,
};
use serde_json::json;

#[tokio::test]
async fn inspect_names_world_version_exports_and_capabilities() {
    let host = PluginHost::builder().build().unwrap();
    for (name, kind) in [
        ("paved-plugin-template", PluginKind::Guardrail),
        ("require-owner", PluginKind::Guardrail),
        ("naming-convention", PluginKind::Guardrail),
        ("cost-budget", PluginKind::Guardrail),
        ("local-directory", PluginKind::Provider),
    ] {
        let i = inspect::inspect(&host, &plugin_wasm(name)).await.unwrap();
        assert_eq!(i.world, Some(kind), "{name}");
        assert_eq!(i.version.as_deref(), Some("0.1.2"), "{name}");
        assert!(
            i.imports.iter().any(|n| n == "paved:plugin/host@0.1.2"),
            "{name}: {:?}",
            i.imports
        );
        assert_eq!(i.describe.as_ref().unwrap()["name"], name, "{name}");
    }
    let owner = inspect::inspect(&host, &plugin_wasm("require-owner"))
        .await
        .unwrap();
    assert!(
        owner
            .exports
            .contains(&"paved:plugin/guardrail-api@0.1.2#review".to_owned()),
        "{:?}",
        owner.exports
    );
    assert_eq!(
        serde_json::to_value(&owner.declared_capabilities).unwrap(),
        json!(["catalogue"])
    );
    let dirs = inspect::inspect(&host, &plugin_wasm("local-directory"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&dirs.declared_capabilities).unwrap(),
        json!([{"directory": "/data"}])
    );
    assert!(
        dirs.implied_capabilities
            .iter()
            .any(|c| c.starts_with("files")),
        "{:?}",
        dirs.implied_capabilities
    );
}

#[tokio::test]
async fn check_validates_settings_like_the_engine() {
    let host = PluginHost::builder().build().unwrap();
    let path = plugin_wasm("naming-convention");
    let ok = PluginConfig::new("n", &path, PluginKind::Guardrail)
        .settings(json!({"patterns": {"API": "^[a-z]+$"}}));
    assert_eq!(
        inspect::check(&host, ok).await.unwrap()["name"],
        "naming-convention"
    );
    let bad = PluginConfig::new("n", &path, PluginKind::Guardrail)
        .settings(json!({"patterns": {}, "extra": 1}));
    let err = inspect::check(&host, bad).await.unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
    assert!(err.to_string().contains("extra"), "{err}");
}

#[tokio::test]
async fn run_makes_one_call_on_each_example() {
    let host = PluginHost::builder().build().unwrap();
    let review: RunRequest = serde_json::from_value(json!({"review": {
        "subject": {"entity": "component:default/Bad_Name"}, "operation": "create",
        "after": {"kind": "Component", "metadata": {"name": "Bad_Name"}, "spec": {"owner": "payments"}}
    }}))
    .unwrap();
    let cases = [
        (
            "paved-plugin-template",
            json!({}),
            Grants::default(),
            "deny",
        ),
        (
            "naming-convention",
            json!({"patterns": {"Component": "^[a-z-]+$"}}),
            Grants::default(),
            "deny",
        ),
        (
            "cost-budget",
            json!({"budgets": {}}),
            Grants::default(),
            "allow",
        ),
        (
            "require-owner",
            json!({}),
            Grants {
                catalogue: true,
                ..Default::default()
            },
            "deny",
        ),
    ];
    for (name, settings, grants, verdict) in cases {
        let config = PluginConfig::new(name, plugin_wasm(name), PluginKind::Guardrail)
            .settings(settings)
            .grants(grants);
        let out = inspect::run(&host, config, review.clone()).await.unwrap();
        assert_eq!(out.result["verdict"], verdict, "{name}: {}", out.result);
    }

    let data = tempfile::tempdir().unwrap();
    let config = PluginConfig::new("dirs", plugin_wasm("local-directory"), PluginKind::Provider)
        .grants(Grants {
            dirs: vec![DirGrant {
                host: data.path().into(),
                guest: "/data".into(),
                mode: DirMode::Rw,
            }],
            ..Default::default()
        });
    let plan: RunRequest = serde_json::from_value(json!({"plan": {
        "address": {"resourceType": "local.directory", "name": "site"}, "params": {"files": {"a.txt": "A"}}
    }}))
    .unwrap();
    let out = inspect::run(&host, config.clone(), plan).await.unwrap();
    assert_eq!(out.result["operation"], "create");
    let apply: RunRequest = serde_json::from_value(json!({"apply": {
        "address": {"resourceType": "local.directory", "name": "site"}, "params": {"files": {"a.txt": "A"}}
    }}))
    .unwrap();
    let out = inspect::run(&host, config, apply).await.unwrap();
    assert_eq!(out.result["outputs"]["path"], "/data/site");
    assert_eq!(
        std::fs::read_to_string(data.path().join("site/a.txt")).unwrap(),
        "A"
    );
}
