//! Prepared guardrails (`PluginHostBuilder::prepare_guardrails`): reviews
//! start from a snapshot taken after `validate-settings`, still in a fresh
//! instance per change (the bindings of one change share one); they answer
//! as unprepared ones do; snapshots are cached and a bad cache entry is
//! never used.

mod common;

use common::plugin_wasm;
use paved_core::plugin::{Change, Guardrail, Operation, Review, Subject, Verdict};
use paved_plugins::{
    CacheOutcome, PluginConfig, PluginError, PluginHost, PluginKind, WasmGuardrail,
};
use serde_json::json;

fn change(kind: &str, name: &str) -> Change {
    Change {
        subject: Subject::Entity(format!("{}:default/{name}", kind.to_lowercase())),
        operation: Operation::Create,
        before: None,
        after: Some(json!({"apiVersion": "backstage.io/v1alpha1", "kind": kind,
            "metadata": {"name": name, "description": "x".repeat(500)},
            "spec": {"type": "service", "owner": "group:default/team"}})),
        diff: vec![],
        monthly_cost: None,
        actor: None,
    }
}

fn host(prepare: bool) -> PluginHost {
    PluginHost::builder()
        .prepare_guardrails(prepare)
        .build()
        .unwrap()
}

async fn remember(host: &PluginHost) -> WasmGuardrail {
    host.load_guardrail(
        PluginConfig::new("remember", plugin_wasm("hostile"), PluginKind::Guardrail)
            .settings(json!({"mode": "remember"})),
    )
    .await
    .unwrap()
}

fn message(r: &Review) -> &str {
    &r.violations[0].message
}

#[tokio::test]
async fn a_prepared_review_sees_the_snapshot_and_nothing_of_earlier_reviews() {
    // The hostile plugin's `remember` mode counts `check_settings` and
    // reviews in a static.
    let plain = remember(&host(false)).await;
    assert_eq!(plain.prepared(), None);
    for _ in 0..2 {
        let r = plain.review(&change("Component", "a"), None).await.unwrap();
        assert_eq!(message(&r), "event 1 in this instance", "a fresh instance");
    }

    let prepared = remember(&host(true)).await;
    assert_eq!(prepared.prepared(), Some(&CacheOutcome::Compiled));
    for _ in 0..3 {
        let r = prepared
            .review(&change("Component", "a"), None)
            .await
            .unwrap();
        // 1 = the `check_settings` run captured in the snapshot; never 3 or
        // more: one review's state does not reach the next.
        assert_eq!(message(&r), "event 2 in this instance");
    }

    // Other settings than the configured ones: the original component.
    let other = json!({"mode": "remember", "bytes": 1});
    let r = prepared
        .review(&change("Component", "a"), Some(&other))
        .await
        .unwrap();
    assert_eq!(message(&r), "event 1 in this instance");
}

#[tokio::test]
async fn the_bindings_of_one_change_share_an_instance_and_the_next_change_starts_fresh() {
    let prepared = remember(&host(true)).await;
    // Decisions name the component's code by its digest.
    let bytes = std::fs::read(plugin_wasm("hostile")).unwrap();
    assert_eq!(
        Guardrail::digest(&prepared),
        Some(paved_core::plugin::code_digest([&bytes[..]]))
    );
    // The component's digest is its file's SHA-256, as `sha256sum` prints it.
    use sha2::Digest as _;
    assert_eq!(
        Guardrail::digest(&prepared),
        Some(format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(&bytes))
        ))
    );
    let other = json!({"mode": "remember", "bytes": 1});
    let a = change("Component", "a");
    for _ in 0..2 {
        // One change's reviews, as the pipeline makes them for the
        // bindings of one guardrail.
        let mut reviews = prepared.change_reviews();
        let first = reviews.review_with(&a, None).await.unwrap();
        let second = reviews.review_with(&a, None).await.unwrap();
        assert_eq!(
            message(&first),
            "event 2 in this instance",
            "from the snapshot"
        );
        assert_eq!(
            message(&second),
            "event 3 in this instance",
            "the same instance"
        );
        // Other settings: a fresh instance of the original component.
        let third = reviews.review_with(&a, Some(&other)).await.unwrap();
        assert_eq!(message(&third), "event 1 in this instance");
        // A call that traps takes its instance with it; the next review of
        // the change gets a fresh one (counted from the snapshot again).
        let trapped = reviews
            .review_with(&change("Component", "trap"), None)
            .await;
        assert!(
            matches!(&trapped, Err(PluginError::Trap { message, .. }) if message.contains("traps on an entity named trap")),
            "{trapped:?}"
        );
        let after = reviews.review_with(&a, None).await.unwrap();
        assert_eq!(
            message(&after),
            "event 2 in this instance",
            "a fresh instance"
        );
    }
}

#[tokio::test]
async fn the_bindings_told_ahead_are_reviewed_in_one_call() {
    let prepared = remember(&host(true)).await;
    assert!(
        prepared.reviews_each(),
        "the SDK exports guardrail-each-api"
    );
    let other = json!({"mode": "remember", "bytes": 1});
    let a = change("Component", "a");
    let mut reviews = prepared.change_reviews();
    reviews.ahead(&[None, Some(&other), None]);
    let mut said = Vec::new();
    for settings in [None, Some(&other), None] {
        let r = reviews.review_with(&a, settings).await.unwrap();
        let cost = reviews.last_cost().expect("answered from the one call");
        said.push(message(&r).to_owned());
        assert!(cost > std::time::Duration::ZERO);
    }
    // One instance (from the snapshot: event 1 is its `check_settings`)
    // reviewed all three, the other settings too.
    assert_eq!(
        said,
        [
            "event 2 in this instance",
            "event 3 in this instance",
            "event 4 in this instance"
        ]
    );
    // A review not told ahead is a call of its own, in the same instance.
    let r = reviews.review_with(&a, None).await.unwrap();
    assert_eq!(message(&r), "event 5 in this instance");
    assert_eq!(reviews.last_cost(), None);

    // A binding that patched the change: the answers about the change as
    // it was are not used; the next review asks about the patched one.
    let mut reviews = prepared.change_reviews();
    reviews.ahead(&[None, None]);
    reviews.review_with(&a, None).await.unwrap();
    let patched = change("Component", "b");
    let r = reviews.review_with(&patched, None).await.unwrap();
    assert_eq!(reviews.last_cost(), None, "asked again");
    // The one call counted 2 and 3; this is a call of its own.
    assert_eq!(message(&r), "event 4 in this instance");

    // A call that traps fails every review it was made for, alike.
    let mut reviews = prepared.change_reviews();
    reviews.ahead(&[None, Some(&other)]);
    let trap = change("Component", "trap");
    for settings in [None, Some(&other)] {
        let r = reviews.review_with(&trap, settings).await;
        assert!(
            matches!(&r, Err(PluginError::Trap { message, .. }) if message.contains("traps on an entity named trap")),
            "{r:?}"
        );
    }
    // The next review starts again from a fresh instance.
    let r = reviews.review_with(&a, None).await.unwrap();
    assert_eq!(message(&r), "event 2 in this instance");
}

#[tokio::test]
async fn prepared_naming_convention_answers_like_the_original() {
    let settings =
        json!({"patterns": {"Component": "^[a-z][a-z0-9-]*$", "API": "^[a-z][a-z0-9-]*-api$"}});
    let load = |host: PluginHost| {
        let settings = settings.clone();
        async move {
            host.load_guardrail(
                PluginConfig::new(
                    "naming",
                    plugin_wasm("naming-convention"),
                    PluginKind::Guardrail,
                )
                .settings(settings),
            )
            .await
            .unwrap()
        }
    };
    let plain = load(host(false)).await;
    let prepared = load(host(true)).await;
    assert!(prepared.prepared().is_some());
    let cases = [
        ("Component", "orders", Verdict::Allow),
        ("Component", "Orders_Service", Verdict::Deny),
        ("API", "orders-api", Verdict::Allow),
        ("API", "orders", Verdict::Deny),
        ("System", "Anything Goes", Verdict::Allow),
    ];
    for (kind, name, verdict) in cases {
        let c = change(kind, name);
        let a = plain.review(&c, None).await.unwrap();
        let b = prepared.review(&c, None).await.unwrap();
        assert_eq!(a.verdict, verdict, "{kind} {name}: {a:?}");
        assert_eq!(a, b, "{kind} {name}");
    }
    // A pattern given per call (not the snapshot's) is compiled and applied.
    let strict = json!({"patterns": {"Component": "^x-"}});
    let r = prepared
        .review(&change("Component", "orders"), Some(&strict))
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Deny);
    assert!(message(&r).contains("^x-"), "{r:?}");
}

#[tokio::test]
async fn snapshots_are_cached_and_a_bad_entry_is_made_again() {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::builder()
        .cache_dir(cache.path())
        .prepare_guardrails(true)
        .build()
        .unwrap();
    let snapshot_entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with("-prepared.wasm"))
            .collect()
    };

    let first = remember(&host).await;
    assert_eq!(first.prepared(), Some(&CacheOutcome::Miss));
    let entries = snapshot_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");

    let second = remember(&host).await;
    assert_eq!(second.prepared(), Some(&CacheOutcome::Hit));

    // Corrupt the snapshot entry: it is ignored and made again.
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&entries[0], &bytes).unwrap();
    let third = remember(&host).await;
    assert!(third.prepared().is_some());
    let r = third.review(&change("Component", "a"), None).await.unwrap();
    assert_eq!(message(&r), "event 2 in this instance");
    assert!(std::fs::read(&entries[0]).unwrap().starts_with(b"PAVEDSN1"));
    assert_ne!(std::fs::read(&entries[0]).unwrap(), bytes);

    // Other settings: another snapshot.
    host.load_guardrail(
        PluginConfig::new("remember", plugin_wasm("hostile"), PluginKind::Guardrail)
            .settings(json!({"mode": "remember", "bytes": 2})),
    )
    .await
    .unwrap();
    assert_eq!(snapshot_entries().len(), 2);
}

#[tokio::test]
async fn preparing_keeps_the_sandbox() {
    // A hostile guardrail is loaded prepared like any other, and its bad
    // behaviour in a review still ends in its typed error.
    let host = host(true);
    for (mode, kind) in [
        ("loop", paved_plugins::PluginErrorKind::Timeout),
        ("memory", paved_plugins::PluginErrorKind::OutOfMemory),
        ("panic", paved_plugins::PluginErrorKind::Trap),
    ] {
        let cfg = PluginConfig::new(mode, plugin_wasm("hostile"), PluginKind::Guardrail)
            .settings(json!({"mode": mode}));
        let rule = host.load_guardrail(cfg).await.unwrap();
        assert!(rule.prepared().is_some(), "{mode}");
        let err = rule
            .review_change(&change("Component", "a"), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{mode}: {err}");
    }
    let ok = remember(&host).await;
    let r = ok.review(&change("Component", "a"), None).await.unwrap();
    assert_eq!(r.verdict, Verdict::Warn);
}
