//! Refused policies, hostile evaluations and concurrent reviews.

use std::sync::Arc;
use std::time::{Duration, Instant};

use paved_core::plugin::{Change, Guardrail, Operation, Subject, Verdict};
use paved_core::{Error, PluginErrorKind};
use paved_rego::{RegoGuardrail, RegoSource};
use serde_json::{Value, json};

fn component(spec: Value) -> Change {
    Change {
        subject: Subject::Entity("component:default/orders".into()),
        operation: Operation::Update,
        before: Some(json!({"kind": "Component", "metadata": {"name": "orders"}, "spec": {}})),
        after: Some(json!({"kind": "Component", "metadata": {"name": "orders"}, "spec": spec})),
        diff: Vec::new(),
        monthly_cost: None,
        actor: None,
    }
}

fn load_err(policies: &[(&str, &str)], query: Option<&str>) -> Error {
    RegoGuardrail::load_text("g", policies.iter().copied(), Value::Null, query)
        .expect_err("the policy should be refused")
}

/// The single diagnostic's (file, line, column, message).
fn located(err: &Error) -> (String, usize, usize, String) {
    match err {
        Error::Invalid { diagnostics } if diagnostics.len() == 1 => {
            let d = &diagnostics[0];
            let loc = d.location.clone().expect("a location");
            (loc.file, loc.line, loc.column, d.message.clone())
        }
        other => panic!("expected one located diagnostic, got {other:?}"),
    }
}

fn plugin_kind(err: &Error) -> PluginErrorKind {
    match err {
        Error::Plugin { kind, .. } => *kind,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

#[test]
fn invalid_rego_names_file_and_line() {
    let err = load_err(
        &[
            (
                "fine.rego",
                "package fine\nimport rego.v1\ndeny contains 1 if false\n",
            ),
            (
                "policies/broken.rego",
                "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := = \"x\"\n}\n",
            ),
        ],
        None,
    );
    let (file, line, column, message) = located(&err);
    assert_eq!(file, "policies/broken.rego");
    assert_eq!((line, column), (5, 10));
    assert!(message.contains("rego guardrail 'g'"), "{message}");
    // The rendered error reads file:line:col: message.
    assert!(
        err.to_string().starts_with("policies/broken.rego:5:10: "),
        "{err}"
    );
}

#[test]
fn a_v0_policy_with_a_typo_is_reported_where_the_typo_is() {
    // Not v1 (no `if`), and broken at line 6 as v0: the v0 error is the one
    // that got furthest, so it is reported, not v1's complaint at line 3.
    let err = load_err(
        &[(
            "old.rego",
            "package main\n\ndeny[msg] {\n  input.x\n  msg := \"a\"\n  y := := 2\n}\n",
        )],
        None,
    );
    let (file, line, _, _) = located(&err);
    assert_eq!((file.as_str(), line), ("old.rego", 6));
}

#[test]
fn invalid_rego_in_a_file_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.rego"),
        "package ok\nimport rego.v1\ndeny contains 1 if false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.rego"),
        "package bad\n\ndeny[msg {\n}\n",
    )
    .unwrap();
    let err = RegoGuardrail::load(
        "files",
        &RegoSource {
            policies: vec![dir.path().to_path_buf()],
            ..Default::default()
        },
    )
    .unwrap_err();
    let (file, line, column, _) = located(&err);
    assert_eq!(file, dir.path().join("bad.rego").display().to_string());
    assert_eq!(line, 3);
    assert!(column > 0);
}

#[test]
fn a_package_with_no_rules_is_refused() {
    let err = load_err(
        &[(
            "lib.rego",
            "package lib\nimport rego.v1\nallow if input.x\nhelper(x) := x\n",
        )],
        None,
    );
    assert_eq!(plugin_kind(&err), PluginErrorKind::Load);
    assert!(
        err.to_string()
            .contains("defines no deny, warn or violation rule"),
        "{err}"
    );

    // A query naming a package without rules, or no package at all.
    let policies = [
        (
            "lib.rego",
            "package lib\nimport rego.v1\nallow if input.x\n",
        ),
        (
            "main.rego",
            "package main\nimport rego.v1\ndeny contains 1 if false\n",
        ),
    ];
    let err = load_err(&policies, Some("lib"));
    assert!(
        err.to_string()
            .contains("package 'lib' defines no deny, warn or violation rule"),
        "{err}"
    );
    let err = load_err(&policies, Some("nope"));
    assert!(
        err.to_string()
            .contains("no policy declares package 'nope'"),
        "{err}"
    );
}

#[test]
fn unknown_functions_are_refused_at_load() {
    let err = load_err(
        &[(
            "typo.rego",
            "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintnf(\"%v\", [1])\n}\n",
        )],
        None,
    );
    let (file, line, _, message) = located(&err);
    assert_eq!((file.as_str(), line), ("typo.rego", 5));
    assert!(message.contains("sprintnf"), "{message}");

    // http.send is not compiled in: refused rather than silently undefined.
    let err = load_err(
        &[(
            "http.rego",
            "package main\nimport rego.v1\ndeny contains r.body if { r := http.send({\"method\": \"get\", \"url\": \"http://x\"}) }\n",
        )],
        None,
    );
    let (_, line, _, message) = located(&err);
    assert_eq!(line, 3);
    assert!(message.contains("http.send"), "{message}");
}

#[test]
fn duplicate_file_names_and_conflicting_data_are_refused() {
    let p = "package main\nimport rego.v1\ndeny contains 1 if false\n";
    let err = load_err(&[("a.rego", p), ("a.rego", p)], None);
    assert_eq!(plugin_kind(&err), PluginErrorKind::Load);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.rego"), p).unwrap();
    std::fs::write(dir.path().join("one.json"), r#"{"x": 1}"#).unwrap();
    std::fs::write(dir.path().join("two.yaml"), "x: 2\n").unwrap();
    let err = RegoGuardrail::load(
        "conflict",
        &RegoSource {
            policies: vec![dir.path().join("p.rego")],
            data: vec![dir.path().join("one.json"), dir.path().join("two.yaml")],
            query: None,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(plugin_kind(&err), PluginErrorKind::Load);
    assert!(err.to_string().contains("two.yaml"), "{err}");

    // Data that is not JSON is located.
    std::fs::write(dir.path().join("bad.json"), "{\n  \"x\": [1,\n}").unwrap();
    let err = RegoGuardrail::load(
        "bad-data",
        &RegoSource {
            policies: vec![dir.path().join("p.rego")],
            data: vec![dir.path().join("bad.json")],
            query: None,
            ..Default::default()
        },
    )
    .unwrap_err();
    let (file, line, _, _) = located(&err);
    assert!(file.ends_with("bad.json"), "{file}");
    assert_eq!(line, 3);
}

#[tokio::test]
async fn a_policy_that_runs_forever_times_out() {
    // 10^10 iterations: hours without the limit.
    let g = RegoGuardrail::load_text(
        "slow",
        [(
            "slow.rego",
            r#"
package main
import rego.v1

deny contains "found" if {
  some i in numbers.range(1, 100000)
  some j in numbers.range(1, 100000)
  i * j == -1
}
"#,
        )],
        Value::Null,
        None,
    )
    .unwrap()
    .with_timeout(Duration::from_millis(100));
    let start = Instant::now();
    let err = g.review(&component(json!({})), None).await.unwrap_err();
    assert_eq!(plugin_kind(&err), PluginErrorKind::Timeout, "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    // The guardrail still works afterwards.
    let err = g.review(&component(json!({})), None).await.unwrap_err();
    assert_eq!(plugin_kind(&err), PluginErrorKind::Timeout);
}

#[tokio::test]
async fn recursive_rules_fail_the_review() {
    let g = RegoGuardrail::load_text(
        "rec",
        [(
            "rec.rego",
            "package main\nimport rego.v1\ndeny contains x if { x := a }\na := b\nb := a\n",
        )],
        Value::Null,
        None,
    )
    .unwrap();
    let err = g.review(&component(json!({})), None).await.unwrap_err();
    assert_eq!(plugin_kind(&err), PluginErrorKind::Trap, "{err}");
    assert!(err.to_string().contains("recursion"), "{err}");
    assert!(err.to_string().contains("rec.rego:"), "{err}");
}

#[tokio::test]
async fn deeply_nested_input_is_refused() {
    let g = RegoGuardrail::load_text(
        "deep",
        [(
            "walk.rego",
            "package main\nimport rego.v1\ndeny contains \"x\" if { walk(input, [_, v]); v == \"needle\" }\n",
        )],
        Value::Null,
        None,
    )
    .unwrap();
    let mut deep = json!("needle");
    for _ in 0..1000 {
        deep = json!({ "a": deep });
    }
    let err = g.review(&component(deep), None).await.unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("levels"), "{err}");

    // Up to the limit is fine: input > after > spec > 125 levels.
    let mut ok = json!("needle");
    for _ in 0..(paved_rego::MAX_INPUT_DEPTH - 3) {
        ok = json!({ "a": ok });
    }
    let r = g.review(&component(ok), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reviews_give_the_same_answers() {
    let g = Arc::new(
        RegoGuardrail::load_text(
            "concurrent",
            [(
                "p.rego",
                r#"
package main
import rego.v1

deny contains sprintf("%v has no owner", [input.after.metadata.name]) if not input.after.spec.owner
warn contains sprintf("%v: %v", [input.after.metadata.name, input.settings.note]) if input.settings.note
"#,
            )],
            Value::Null,
            None,
        )
        .unwrap(),
    );
    let change = |i: usize| {
        let mut c = component(if i.is_multiple_of(2) {
            json!({})
        } else {
            json!({"owner": "x"})
        });
        c.after.as_mut().unwrap()["metadata"]["name"] = json!(format!("c{i}"));
        c
    };
    let settings = |i: usize| json!({"note": format!("n{}", i % 3)});
    let expected: Vec<_> = (0..64)
        .map(|i| g.evaluate(&change(i), Some(&settings(i))).unwrap())
        .collect();
    let expected = Arc::new(expected);

    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let g = g.clone();
            let expected = expected.clone();
            tokio::spawn(async move {
                for round in 0..50 {
                    let i = (t * 7 + round) % 64;
                    let got = g.review(&change(i), Some(&settings(i))).await.unwrap();
                    assert_eq!(got, expected[i], "task {t} round {round}");
                }
            })
        })
        .collect();
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
    assert_eq!(expected[0].verdict, Verdict::Deny);
    assert_eq!(expected[1].verdict, Verdict::Warn);
}
