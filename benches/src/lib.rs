//! Shared pieces of paved's benchmarks: a synthetic catalogue generator, a
//! provider with nothing behind it, latency statistics, and a throwaway
//! PostgreSQL database.
//!
//! Every benchmark binary prints its figures as a Markdown table, ready for
//! BENCHMARKS.md, together with the command that produced them.

pub mod noop;
pub mod synthetic;

use std::time::Duration;

/// Percentiles of a set of timings.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
    pub n: usize,
}

impl Latency {
    /// From raw samples (sorted here).
    pub fn from_samples(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        Self {
            p50: at(0.50),
            p99: at(0.99),
            n: samples.len(),
        }
    }
}

/// Reset the peak RSS to the current RSS (Linux: `5` to `clear_refs`).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak RSS (VmHWM) in MiB since start or the last reset.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Format a duration in a unit that reads well (µs, ms or s).
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// The median of a few measurements.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// A PostgreSQL database created for one run and dropped after it.
#[derive(Debug)]
pub struct ScratchDb {
    pub name: String,
    pub url: String,
    admin: String,
}

impl ScratchDb {
    /// Create `paved_bench_<pid>_<nanos>` on the server at `admin_url`'s host.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let name = format!("paved_bench_{}_{nanos}", std::process::id());
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        Ok(Self {
            url: format!("{base}/{name}"),
            name,
            admin: admin_url.to_string(),
        })
    }

    /// Drop the database.
    pub async fn drop_db(self) -> anyhow::Result<()> {
        let (client, conn) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await?;
        Ok(())
    }
}

/// The Component of about 1 KB (997 bytes as JSON for `payments-gateway`)
/// that the plugin and policy benchmarks review, named `name`.
pub fn component_1kb(name: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": name,
            "namespace": "default",
            "title": "Payments gateway",
            "description": "Accepts card payments from the web shop and the mobile apps, \
                talks to the card processors and records every attempt for the ledger.",
            "labels": {"tier": "critical", "pci": "in-scope", "language": "rust"},
            "annotations": {
                "github.com/project-slug": "acme/payments-gateway",
                "backstage.io/techdocs-ref": "dir:.",
                "pagerduty.com/service-id": "P9X2K4L",
                "sonarqube.org/project-key": "acme_payments-gateway"
            },
            "tags": ["payments", "pci", "rust", "grpc"],
            "links": [
                {"url": "https://grafana.acme.dev/d/payments", "title": "Dashboard"},
                {"url": "https://runbooks.acme.dev/payments-gateway", "title": "Runbook"}
            ]
        },
        "spec": {
            "type": "service",
            "lifecycle": "production",
            "owner": "group:default/team-payments",
            "system": "payments",
            "providesApis": ["payments-api"],
            "consumesApis": ["ledger-api", "fraud-api"],
            "dependsOn": ["resource:default/payments-db", "resource:default/payments-queue"]
        }
    })
}

/// The repository's root (the benchmarks' crate is one level below it).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$CARGO_TARGET_DIR`, or `target/` in the repository.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Build `examples/plugins` for `wasm32-wasip2` (cargo makes this a no-op
/// when they are current) and return the directory of their components.
pub fn build_example_plugins() -> anyhow::Result<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--target", "wasm32-wasip2", "--release", "--quiet"])
        .arg("--manifest-path")
        .arg(repo_root().join("examples/plugins/Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()?;
    anyhow::ensure!(status.success(), "building examples/plugins failed");
    Ok(target_dir().join("wasm32-wasip2/release"))
}
