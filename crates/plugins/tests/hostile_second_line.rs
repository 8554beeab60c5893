//! The sandbox's second line of defence (issue 16): what a guest can make
//! the host hold, print or believe. Each test drives the hostile example
//! plugin (examples/plugins/hostile) through one class: host resources
//! (FIFOs, sockets, descriptors), the output budget, sticky denials,
//! terminal escapes in what the host prints, links out of a writable grant,
//! name lookups, out-of-range limits. No timing thresholds: where a call
//! could hang, the test only checks that it ended.
//!
//! Each test fails on the host before issue 16 (checked 2026-12-04: this file
//! and the hostile plugin's source copied into a worktree of 20fae23, with
//! `display::sanitize_line`, which did not exist, replaced by the raw text):
//! all 10 failed, each on its own class: 3,000 sockets opened with and
//! without a network grant, the FIFO left a thread that kept the runtime
//! from shutting down, 200,000 empty violations and a swallowed denial were
//! allowed, a symlink to `../../etc/passwd` was created, an ungranted host
//! name reached the resolver, a raw escape sequence reached the log, an
//! out-of-range timeout was accepted, and a load failure was a `Trap`.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::plugin_wasm;
use paved_core::plugin::{Change, Operation, Subject, Verdict};
use paved_plugins::{
    DirGrant, DirMode, Grants, Limits, PluginConfig, PluginErrorKind, PluginHost, PluginKind,
    WasmGuardrail,
};
use serde_json::{Value, json};

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

fn dir(host: &Path, guest: &str, mode: DirMode) -> DirGrant {
    DirGrant {
        host: host.to_path_buf(),
        guest: guest.into(),
        mode,
    }
}

async fn hostile(host: &PluginHost, grants: Grants, limits: Limits) -> WasmGuardrail {
    host.load_guardrail(
        PluginConfig::new("hostile", plugin_wasm("hostile"), PluginKind::Guardrail)
            .grants(grants)
            .limits(limits),
    )
    .await
    .unwrap()
}

async fn fails(rule: &WasmGuardrail, settings: Value) -> (PluginErrorKind, String) {
    let err = rule
        .review_change(&change(), Some(&settings))
        .await
        .expect_err(&format!("{settings} should fail"));
    // the same instance of the plugin answers normally right after
    let ok = rule
        .review_change(&change(), Some(&json!({"mode": "ok"})))
        .await
        .unwrap();
    assert_eq!(ok.verdict, Verdict::Allow, "the call after {settings}");
    (err.kind(), err.to_string())
}

/// A FIFO in a granted directory: opening it would block a host thread in
/// `open(2)` for good, and with it the runtime's shutdown. It is refused,
/// and the runtime the call ran on shuts down.
#[test]
fn a_fifo_in_a_granted_directory_is_refused_and_the_runtime_still_shuts_down() {
    let data = tempfile::tempdir().unwrap();
    let fifo = data.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (kind, msg) = rt.block_on(async {
        let host = PluginHost::builder().build().unwrap();
        let grants = Grants {
            dirs: vec![dir(data.path(), "/data", DirMode::Ro)],
            ..Grants::default()
        };
        let limits = Limits {
            timeout_ms: Some(200),
            ..Limits::default()
        };
        let rule = hostile(&host, grants, limits).await;
        fails(&rule, json!({"mode": "file", "path": "/data/fifo"})).await
    });
    // Shut the runtime down on another thread: it waits for its blocking
    // threads, so a thread stuck in open(2) would hold it forever.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(rt);
        let _ = tx.send(());
    });
    let shut_down = rx.recv_timeout(Duration::from_secs(20)).is_ok();
    if !shut_down {
        // let the stuck open(2) return, so the test process can end
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    }
    assert!(
        shut_down,
        "the runtime did not shut down: a host thread is stuck on the FIFO ({kind:?}: {msg})"
    );
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    assert!(msg.contains("only regular files and directories"), "{msg}");
}

#[tokio::test]
async fn without_a_network_grant_a_guest_gets_no_socket_at_all() {
    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(&host, Grants::default(), Limits::default()).await;
    let (kind, msg) = fails(&rule, json!({"mode": "sockets", "n": 3000})).await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    assert!(msg.contains("network access is not granted"), "{msg}");
}

#[tokio::test]
async fn with_a_network_grant_sockets_are_capped_per_call() {
    let host = PluginHost::builder().build().unwrap();
    let grants = Grants {
        network: vec!["127.0.0.1:9".into()],
        ..Grants::default()
    };
    let rule = hostile(&host, grants, Limits::default()).await;
    let (kind, msg) = fails(&rule, json!({"mode": "sockets", "n": 3000})).await;
    assert_eq!(kind, PluginErrorKind::Trap, "{msg}");
    assert!(msg.contains("256 host descriptors"), "{msg}");
}

#[tokio::test]
async fn a_network_grant_resolves_the_granted_hosts_only() {
    let host = PluginHost::builder().build().unwrap();
    let grants = Grants {
        network: vec!["localhost:9".into()],
        ..Grants::default()
    };
    let rule = hostile(&host, grants, Limits::default()).await;
    let r = rule
        .review_change(
            &change(),
            Some(&json!({"mode": "lookup", "addr": "localhost:9"})),
        )
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Warn, "{r:?}");
    let (kind, msg) = fails(&rule, json!({"mode": "lookup", "addr": "example.com:80"})).await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    assert!(msg.contains("name lookup of 'example.com'"), "{msg}");
}

#[tokio::test]
async fn the_output_budget_counts_every_item_the_error_and_the_log() {
    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(&host, Grants::default(), Limits::default()).await;

    // 200,000 empty violations: no string bytes at all, but 200,000 items.
    let (kind, msg) = fails(&rule, json!({"mode": "violations", "n": 200_000})).await;
    assert_eq!(kind, PluginErrorKind::BadOutput, "{msg}");
    assert!(msg.contains("output budget of 1048576 bytes"), "{msg}");

    // a guest's own error message is held to the same budget
    let (kind, msg) = fails(&rule, json!({"mode": "big-error", "bytes": 8 << 20})).await;
    assert_eq!(kind, PluginErrorKind::BadOutput, "{msg}");
    assert!(
        msg.len() < 4096,
        "the error is not the 8 MB message: {}",
        msg.len()
    );

    // so are its log lines: 100 x 64 KiB
    let (kind, msg) = fails(&rule, json!({"mode": "log-flood"})).await;
    assert_eq!(kind, PluginErrorKind::BadOutput, "{msg}");
    assert!(msg.contains("log lines"), "{msg}");

    // a few violations and a few log lines are fine
    let r = rule
        .review_change(&change(), Some(&json!({"mode": "violations", "n": 100})))
        .await
        .unwrap();
    assert_eq!(r.violations.len(), 100);
    rule.review_change(
        &change(),
        Some(&json!({"mode": "log-flood", "n": 3, "bytes": 100})),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refused_capability_fails_the_call_even_if_the_guest_swallows_it() {
    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(&host, Grants::default(), Limits::default()).await;
    let (kind, msg) = fails(&rule, json!({"mode": "swallow"})).await;
    assert_eq!(kind, PluginErrorKind::CapabilityDenied, "{msg}");
    for what in [
        "filesystem access is not granted",
        "network access is not granted",
        "secret 'token' is not granted",
        "catalogue lookups are not granted",
    ] {
        assert!(msg.contains(what), "names '{what}': {msg}");
    }
}

#[tokio::test]
async fn links_in_a_writable_grant_cannot_point_outside_it() {
    let rw = tempfile::tempdir().unwrap();
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("secret.txt"), "read-only").unwrap();
    let host = PluginHost::builder().build().unwrap();
    let grants = Grants {
        dirs: vec![
            dir(rw.path(), "/rw", DirMode::Rw),
            dir(ro.path(), "/ro", DirMode::Ro),
        ],
        ..Grants::default()
    };
    let rule = hostile(&host, grants, Limits::default()).await;
    for (mode, target) in [
        ("symlink", "/etc/passwd"),
        ("symlink", "../../etc/passwd"),
        ("hardlink", "/ro/secret.txt"),
    ] {
        let (kind, msg) = fails(
            &rule,
            json!({"mode": mode, "path": "/rw", "target": target}),
        )
        .await;
        assert_eq!(
            kind,
            PluginErrorKind::CapabilityDenied,
            "{mode} {target}: {msg}"
        );
        assert!(
            std::fs::symlink_metadata(rw.path().join("link")).is_err(),
            "{mode} {target}: a link was left in the granted directory"
        );
    }
    // a link inside the grant is fine
    rule.review_change(
        &change(),
        Some(&json!({"mode": "symlink", "path": "/rw", "target": "other.txt"})),
    )
    .await
    .unwrap();
    assert!(std::fs::symlink_metadata(rw.path().join("link")).is_ok());
}

#[tokio::test]
async fn out_of_range_limits_are_refused_at_load() {
    let host = PluginHost::builder().build().unwrap();
    for limits in [
        Limits {
            timeout_ms: Some(u64::MAX / 2),
            ..Limits::default()
        },
        Limits {
            timeout_ms: Some(0),
            ..Limits::default()
        },
        Limits {
            memory_mib: Some(1 << 20),
            ..Limits::default()
        },
    ] {
        let err = host
            .load_guardrail(
                PluginConfig::new("hostile", plugin_wasm("hostile"), PluginKind::Guardrail)
                    .limits(limits.clone()),
            )
            .await
            .expect_err(&format!("{limits:?}"));
        assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}

#[tokio::test]
async fn a_plugin_that_fails_at_load_is_a_load_error_with_its_cause_first() {
    let host = PluginHost::builder().build().unwrap();
    let err = host
        .load_guardrail(
            PluginConfig::new("hostile", plugin_wasm("hostile"), PluginKind::Guardrail)
                .settings(json!({"mode": "load-panic"})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Load, "{err}");
    let core: paved_core::Error = err.into();
    let paved_core::Error::Plugin { kind, message, .. } = &core else {
        panic!("{core:?}")
    };
    assert_eq!(*kind, PluginErrorKind::Load);
    let first_line = message.lines().next().unwrap_or_default();
    assert!(
        first_line.contains("unreachable"),
        "the cause first: {message}"
    );
    assert!(
        message.contains("hostile plugin panics at load"),
        "{message}"
    );
}

/// Collects what `tracing` prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn what_the_host_logs_for_a_guest_reaches_no_terminal_raw() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let host = PluginHost::builder().build().unwrap();
    let rule = hostile(&host, Grants::default(), Limits::default()).await;
    let r = rule
        .review_change(&change(), Some(&json!({"mode": "terminal"})))
        .await
        .unwrap();
    // the answer itself stays exact (JSON output must not change it) ...
    assert!(r.violations[0].message.contains('\x1b'));
    // ... and escaping it for a terminal makes every control visible
    let shown = paved_plugins::display::sanitize_line(&r.violations[0].message);
    assert!(!shown.chars().any(char::is_control), "{shown}");
    assert!(shown.contains("\\u{1b}[2J"), "{shown}");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("ok: all checks passed"),
        "the log line: {text}"
    );
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}') && !text.contains('\r'),
        "raw control characters reached the log: {text:?}"
    );
    assert!(text.contains("\\u{1b}]0;pwned"), "{text}");
}
