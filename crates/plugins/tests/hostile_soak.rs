//! 1,000 hostile calls of every kind, each followed by a good plugin's call
//! that must answer correctly, in one process: host descriptors
//! (`/proc/self/fd`), threads (`/proc/self/task`) and resident memory are
//! measured before and after and must stay flat. A test binary of its own,
//! so that no other test's memory or threads are counted.

mod common;

use std::time::Instant;

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

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

struct Usage {
    fds: usize,
    threads: usize,
    rss: u64,
}

fn usage() -> Usage {
    Usage {
        fds: count("/proc/self/fd"),
        threads: count("/proc/self/task"),
        rss: rss_bytes(),
    }
}

async fn load(host: &PluginHost, name: &str, grants: Grants) -> WasmGuardrail {
    host.load_guardrail(
        PluginConfig::new(name, plugin_wasm(name), PluginKind::Guardrail)
            .grants(grants)
            .limits(Limits {
                timeout_ms: Some(20),
                ..Limits::default()
            }),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_hostile_calls_mixed_with_good_ones_leave_the_host_flat() {
    let data = tempfile::tempdir().unwrap();
    let fifo = data.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let host = PluginHost::builder().build().unwrap();
    let bare = load(&host, "hostile", Grants::default()).await;
    let granted = load(
        &host,
        "hostile",
        Grants {
            dirs: vec![DirGrant {
                host: data.path().to_path_buf(),
                guest: "/data".into(),
                mode: DirMode::Rw,
            }],
            network: vec!["127.0.0.1:9".into()],
            ..Grants::default()
        },
    )
    .await;
    let good = host
        .load_guardrail(PluginConfig::new(
            "template",
            plugin_wasm("paved-plugin-template"),
            PluginKind::Guardrail,
        ))
        .await
        .unwrap();

    let calls: Vec<(&WasmGuardrail, Value)> = vec![
        (&bare, json!({"mode": "loop"})),
        (&bare, json!({"mode": "memory"})),
        (&bare, json!({"mode": "recursion"})),
        (&bare, json!({"mode": "panic"})),
        (&bare, json!({"mode": "file"})),
        (&bare, json!({"mode": "socket"})),
        (&bare, json!({"mode": "sockets", "n": 2000})),
        (&bare, json!({"mode": "host-calls"})),
        (&bare, json!({"mode": "big-output", "bytes": 8 << 20})),
        (&bare, json!({"mode": "violations", "n": 200_000})),
        (&bare, json!({"mode": "big-error", "bytes": 8 << 20})),
        (&bare, json!({"mode": "log-flood"})),
        (&bare, json!({"mode": "swallow"})),
        (&granted, json!({"mode": "file", "path": "/data/fifo"})),
        (&granted, json!({"mode": "sockets", "n": 2000})),
        (
            &granted,
            json!({"mode": "symlink", "path": "/data", "target": "/etc/passwd"}),
        ),
        (
            &granted,
            json!({"mode": "lookup", "addr": "example.com:80"}),
        ),
    ];
    let one_round = async || {
        for (rule, settings) in &calls {
            let err = rule
                .review_change(&change(), Some(settings))
                .await
                .expect_err(&format!("{settings} should fail"));
            assert_ne!(err.kind(), PluginErrorKind::Guest, "{settings}: {err}");
            // a good plugin answers correctly right after
            let r = good.review_change(&change(), None).await.unwrap();
            assert_eq!(r.verdict, Verdict::Deny, "after {settings}");
            assert_eq!(
                r.patch.as_ref().unwrap()[0]["path"],
                "/metadata/labels",
                "after {settings}"
            );
        }
    };
    // warm up: every path a few times, so pools, caches and the blocking
    // thread pool exist before measuring
    for _ in 0..3 {
        one_round().await;
    }
    let before = usage();
    let start = Instant::now();
    let rounds = 1000usize.div_ceil(calls.len());
    for _ in 0..rounds {
        one_round().await;
    }
    let elapsed = start.elapsed();
    let after = usage();
    println!(
        "{} hostile calls (+ as many good ones) in {elapsed:?}: descriptors {} -> {}, \
         threads {} -> {}, RSS {:.1} -> {:.1} MiB",
        rounds * calls.len(),
        before.fds,
        after.fds,
        before.threads,
        after.threads,
        before.rss as f64 / 1048576.0,
        after.rss as f64 / 1048576.0,
    );
    assert!(
        after.fds <= before.fds,
        "descriptors grew: {} -> {}",
        before.fds,
        after.fds
    );
    // idle blocking-pool threads come and go; a leak per call would be ~60
    assert!(
        after.threads <= before.threads + 2,
        "threads grew: {} -> {}",
        before.threads,
        after.threads
    );
    let growth = after.rss.saturating_sub(before.rss);
    assert!(growth < 64 << 20, "resident memory grew by {growth} bytes");
}
