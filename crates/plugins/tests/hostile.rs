//! The hostile-plugin suite: a real component (examples/plugins/hostile,
//! built from source) that loops, hoards memory, recurses without end, returns
//! 100 MB, panics, opens a file and a socket it was not granted, and spams
//! host calls; plus a component of the wrong world. Each call must end in its
//! typed error within its deadline plus slack (a hang would fail the test, it
//! is not a performance threshold), and the next normal call must succeed.
//! The second line of defence (host resources, output budget, sticky
//! denials, escapes, links, lookups) is in `hostile_second_line.rs`; 1,000
//! hostile calls mixed with good ones, with descriptors, threads and memory
//! measured, in `hostile_soak.rs`.

mod common;

use std::time::{Duration, Instant};

use common::plugin_wasm;
use paved_core::plugin::{Change, Operation, Subject, Verdict};
use paved_plugins::{
    DirGrant, DirMode, Grants, Limits, PluginConfig, PluginErrorKind, PluginHost, PluginKind,
    WasmGuardrail,
};
use serde_json::{Value, json};

/// Generous: proves the call was stopped, not how fast.
const SLACK: Duration = Duration::from_secs(3);

fn change() -> Change {
    Change {
        subject: Subject::Entity("component:default/x".into()),
        operation: Operation::Create,
        before: None,
        after: Some(json!({"kind": "Component", "metadata": {"name": "x"}})),
        diff: vec![],
        monthly_cost: None,
        actor: None,
    }
}

async fn hostile(host: &PluginHost, limits: Limits) -> WasmGuardrail {
    host.load_guardrail(
        PluginConfig::new("hostile", plugin_wasm("hostile"), PluginKind::Guardrail).limits(limits),
    )
    .await
    .unwrap()
}

/// One hostile call: returns the error kind and message, checks the deadline,
/// and checks that a normal call right after it succeeds.
async fn provoke(
    rule: &WasmGuardrail,
    settings: Value,
    deadline: Duration,
) -> (PluginErrorKind, String) {
    let start = Instant::now();
    let err = rule
        .review_change(&change(), Some(&settings))
        .await
        .expect_err(&format!("{settings} should fail"));
    let elapsed = start.elapsed();
    assert!(
        elapsed < deadline + SLACK,
        "{settings}: took {elapsed:?}, deadline {deadline:?}"
    );
    let ok = rule
        .review_change(&change(), Some(&json!({"mode": "ok"})))
        .await
        .unwrap();
    assert_eq!(
        ok.verdict,
        Verdict::Allow,
        "the call after {settings} must succeed"
    );
    (err.kind(), err.to_string())
}

#[tokio::test]
async fn a_plugin_with_a_granted_directory_cannot_open_outside_it() {
    common::init_tracing();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("hello.txt"), "hello from /data").unwrap();
    let host = PluginHost::builder().build().unwrap();
    let rule = host
        .load_guardrail(
            PluginConfig::new("hostile", plugin_wasm("hostile"), PluginKind::Guardrail).grants(
                Grants {
                    dirs: vec![DirGrant {
                        host: data.path().to_path_buf(),
                        guest: "/data".into(),
                        mode: DirMode::Ro,
                    }],
                    ..Grants::default()
                },
            ),
        )
        .await
        .unwrap();
    let second = Duration::from_secs(1);

    // Inside the grant: read.
    let inside = json!({"mode": "file", "path": "/data/hello.txt"});
    let r = rule.review_change(&change(), Some(&inside)).await.unwrap();
    assert_eq!(r.violations[0].message, "hello from /data");

    // Outside it, by absolute path and by a relative one: the host sees the
    // attempt through the empty directory it preopens at `/`.
    for path in ["/etc/passwd", "hello.txt"] {
        let (kind, msg) = provoke(&rule, json!({"mode": "file", "path": path}), second).await;
        assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{path}: {msg}");
        assert!(
            msg.contains("outside the directories granted"),
            "{path}: {msg}"
        );
        assert!(!msg.contains("root:"), "must not leak the file: {msg}");
    }
    // Climbing out of the grant: WASI itself refuses (the guest's own
    // "operation not permitted"), which the SDK reports as a capability.
    let climb = json!({"mode": "file", "path": "/data/../etc/passwd"});
    let (kind, msg) = provoke(&rule, climb, second).await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    assert!(!msg.contains("root:"), "must not leak the file: {msg}");
}

#[tokio::test]
async fn each_hostile_behaviour_ends_in_its_typed_error() {
    common::init_tracing();
    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(&host, Limits::default()).await;
    let second = Duration::from_secs(1);

    let (kind, msg) = provoke(&rule, json!({"mode": "loop"}), second).await;
    assert_eq!(kind, PluginErrorKind::Timeout, "{msg}");

    let (kind, msg) = provoke(&rule, json!({"mode": "memory"}), second).await;
    assert_eq!(kind, PluginErrorKind::OutOfMemory, "{msg}");
    assert!(msg.contains("67108864"), "names the 64 MiB cap: {msg}");

    let (kind, msg) = provoke(&rule, json!({"mode": "recursion"}), second).await;
    assert_eq!(kind, PluginErrorKind::Trap, "{msg}");
    // Rust keeps its stack in linear memory: running off its bottom is an
    // out-of-bounds access; wasm's own call stack limit is the other way out.
    assert!(
        msg.contains("out of bounds memory access") || msg.contains("call stack exhausted"),
        "{msg}"
    );
    assert!(
        msg.contains("recurse"),
        "carries the guest backtrace: {msg}"
    );

    let (kind, msg) = provoke(&rule, json!({"mode": "panic"}), second).await;
    assert_eq!(kind, PluginErrorKind::Trap, "{msg}");
    assert!(
        msg.contains("hostile plugin panics on purpose"),
        "carries the panic message: {msg}"
    );

    // No directory is granted: the guest's libc asks the host for its
    // preopened directories, which the host records as a refused capability.
    let (kind, msg) = provoke(&rule, json!({"mode": "file"}), second).await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    assert!(msg.contains("filesystem access is not granted"), "{msg}");
    assert!(!msg.contains("root:"), "must not leak the file: {msg}");

    let (kind, msg) = provoke(
        &rule,
        json!({"mode": "socket", "addr": "127.0.0.1:9"}),
        second,
    )
    .await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    // No network grant: refused before any host socket exists.
    assert!(msg.contains("network access is not granted"), "{msg}");

    let (kind, msg) = provoke(&rule, json!({"mode": "host-calls"}), second).await;
    assert_eq!(kind, PluginErrorKind::Trap, "{msg}");
    assert!(msg.contains("host calls"), "{msg}");

    // 100 MB of output: give the guest room to build it, so the output cap is
    // what stops it.
    let roomy = hostile(
        &host,
        Limits {
            memory_mib: Some(512),
            ..Default::default()
        },
    )
    .await;
    let (kind, msg) = provoke(
        &roomy,
        json!({"mode": "big-output", "bytes": 100 << 20}),
        second,
    )
    .await;
    assert_eq!(kind, PluginErrorKind::BadOutput, "{msg}");
    assert!(msg.contains("1048576"), "names the output cap: {msg}");
    // with the default memory cap the same request runs out of memory first
    let (kind, msg) = provoke(
        &rule,
        json!({"mode": "big-output", "bytes": 100 << 20}),
        second,
    )
    .await;
    assert_eq!(kind, PluginErrorKind::OutOfMemory, "{msg}");
}

#[tokio::test]
async fn a_guest_that_waits_forever_in_a_short_deadline_is_stopped_in_time() {
    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(
        &host,
        Limits {
            timeout_ms: Some(50),
            ..Default::default()
        },
    )
    .await;
    let (kind, msg) = provoke(&rule, json!({"mode": "loop"}), Duration::from_millis(50)).await;
    assert_eq!(kind, PluginErrorKind::Timeout, "{msg}");
    assert!(msg.contains("deadline 50 ms"), "{msg}");
}
