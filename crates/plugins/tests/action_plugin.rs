//! The example action plugin (`examples/plugins/service-files`, built from
//! source) through the host: `describe` lists `acme:service-files` with its
//! input schema, `run` generates the files, the output and a log line; the
//! plugin's own refusals keep their JSON paths; an action it does not
//! provide is refused before it runs; an answer over the output budget
//! fails the call; a component of another world does not load as one.

mod common;

use common::plugin_wasm;
use paved_core::plugin::{ActionPlugin, ActionRequest};
use paved_plugins::{Limits, PluginConfig, PluginError, PluginErrorKind, PluginHost, PluginKind};
use serde_json::json;

fn config() -> PluginConfig {
    PluginConfig::new(
        "service-files",
        plugin_wasm("service-files"),
        PluginKind::Action,
    )
}

fn request(input: serde_json::Value) -> ActionRequest {
    ActionRequest {
        action: "acme:service-files".into(),
        input,
        dry_run: false,
    }
}

#[tokio::test]
async fn describe_and_run_generate_the_files() {
    let host = PluginHost::builder().build().unwrap();
    let plugin = host.load_action(config()).await.unwrap();
    let actions = plugin.describe().await.unwrap();
    assert_eq!(actions.len(), 1);
    let info = &actions[0];
    assert_eq!(info.name, "acme:service-files");
    assert!(info.description.contains("Makefile"), "{info:?}");
    assert_eq!(info.input_schema["additionalProperties"], json!(false));
    let mut required: Vec<&str> = info.input_schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(required, ["name", "port"]);
    assert!(info.output_schema.is_some());

    let result = plugin
        .run(&request(json!({"name": "orders", "port": 8080})))
        .await
        .unwrap();
    let files: Vec<(&str, String)> = result
        .files
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                String::from_utf8(f.content.clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].0, "Makefile");
    assert!(
        files[0].1.contains("PORT=8080 cargo run --bin orders"),
        "{}",
        files[0].1
    );
    assert_eq!(files[1].0, ".env.example");
    assert!(
        files[1].1.contains("SERVICE_NAME=orders\nPORT=8080\n"),
        "{}",
        files[1].1
    );
    assert_eq!(
        result.output,
        json!({"files": ["Makefile", ".env.example"], "url": "http://localhost:8080"})
    );
    assert_eq!(
        result.log,
        ["generated the Makefile and .env.example of orders"]
    );
}

#[tokio::test]
async fn refusals_keep_their_paths_and_unknown_actions_never_run() {
    let host = PluginHost::builder().build().unwrap();
    let plugin = host.load_action(config()).await.unwrap();
    let err = plugin
        .run_action(&request(json!({"name": "orders", "port": 80})))
        .await
        .unwrap_err();
    match &err {
        PluginError::Invalid { violations, .. } => {
            assert_eq!(violations[0].path, "input.port");
            assert!(violations[0].message.contains("privileged"), "{err}");
        }
        other => panic!("expected an invalid input, got {other}"),
    }
    let err = plugin
        .run_action(&request(json!({"name": "orders", "port": "http"})))
        .await
        .unwrap_err();
    assert!(matches!(err, PluginError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("input.port"), "{err}");

    let err = plugin
        .run_action(&ActionRequest {
            action: "acme:other".into(),
            ..request(json!({}))
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Guest);
    assert!(err.to_string().contains("no action 'acme:other'"), "{err}");
}

#[tokio::test]
async fn an_answer_over_the_output_budget_fails_the_call() {
    let host = PluginHost::builder().build().unwrap();
    let plugin = host
        .load_action(config().limits(Limits {
            max_output_bytes: Some(4096),
            ..Limits::default()
        }))
        .await
        .unwrap();
    // A small answer fits.
    plugin
        .run_action(&request(json!({"name": "orders", "port": 8080})))
        .await
        .unwrap();
    // The name shows four times in the answer: over the budget.
    let long = "a".repeat(2000);
    let err = plugin
        .run_action(&request(json!({"name": long, "port": 8080})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::BadOutput, "{err}");
    assert!(
        err.to_string().contains("output budget of 4096 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn another_world_does_not_load_as_an_action() {
    let host = PluginHost::builder().build().unwrap();
    let wrong = PluginConfig::new("owner", plugin_wasm("require-owner"), PluginKind::Action);
    let err = host.load_action(wrong).await.unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Load, "{err}");
    assert!(err.to_string().contains("paved:plugin/action"), "{err}");
    // And an action plugin is not a guardrail.
    let err = host
        .load_guardrail(PluginConfig::new(
            "files",
            plugin_wasm("service-files"),
            PluginKind::Guardrail,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Load, "{err}");
}
