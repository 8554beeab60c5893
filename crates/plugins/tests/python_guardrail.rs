//! A guardrail written in Python (examples/plugins/python-guardrail, built
//! with componentize-py) loads and reviews through the same host as the Rust
//! ones: authors are not tied to Rust.

mod common;

use paved_core::plugin::{Change, Guardrail, Operation, Subject, Verdict};
use paved_plugins::{Limits, PluginConfig, PluginErrorKind, PluginHost, PluginKind};
use serde_json::json;

fn change(lifecycle: &str) -> Change {
    Change {
        subject: Subject::Entity("component:default/orders".into()),
        operation: Operation::Create,
        before: None,
        after: Some(
            json!({"kind": "Component", "metadata": {"name": "orders"}, "spec": {"lifecycle": lifecycle}}),
        ),
        diff: vec![],
        monthly_cost: None,
        actor: None,
    }
}

#[tokio::test]
async fn python_guardrail_reviews_through_the_host() {
    let wasm = common::python_guardrail_wasm();
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    // CPython needs more than the 64 MiB default.
    let limits = Limits {
        memory_mib: Some(256),
        timeout_ms: Some(5000),
        ..Default::default()
    };
    let cfg = || {
        PluginConfig::new("py-lifecycle", &wasm, PluginKind::Guardrail)
            .settings(json!({"allowed": ["production", "experimental"]}))
            .limits(limits.clone())
    };
    let rule = host.load_guardrail(cfg()).await.unwrap();
    assert_eq!(rule.info().name, "require-lifecycle");

    // A host that prepares guardrails prepares it (componentize-py's
    // component is one wizer can snapshot), with the same answers.
    let preparing = PluginHost::builder()
        .cache_dir(cache.path())
        .prepare_guardrails(true)
        .build()
        .unwrap();
    let prepared = preparing.load_guardrail(cfg()).await.unwrap();
    assert!(
        prepared.prepared().is_some(),
        "the Python guardrail was not prepared (see the log for why)"
    );
    assert!(
        rule.prepared().is_none(),
        "a host that does not prepare did"
    );

    for rule in [&rule, &prepared] {
        let ok = rule.review(&change("production"), None).await.unwrap();
        assert_eq!(ok.verdict, Verdict::Allow, "{ok:?}");
        let bad = rule.review(&change("legacy"), None).await.unwrap();
        assert_eq!(bad.verdict, Verdict::Deny);
        assert_eq!(bad.violations[0].path, "spec.lifecycle");
    }

    let err = host
        .load_guardrail(
            PluginConfig::new("py-lifecycle", &wasm, PluginKind::Guardrail)
                .settings(json!({"allowed": [1], "colour": "red"}))
                .limits(limits),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
    assert!(
        err.to_string().contains("colour") && err.to_string().contains("allowed"),
        "{err}"
    );
}
