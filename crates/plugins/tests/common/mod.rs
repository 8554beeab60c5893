//! Shared by the plugin host's integration tests: builds the example and
//! hostile plugins from source (once per test binary) and offers an
//! in-memory catalogue for guardrails' host lookups.
//!
//! The build is `cargo build --target wasm32-wasip2 --release --manifest-path
//! examples/plugins/Cargo.toml` into this workspace's target directory
//! (`CARGO_TARGET_DIR` when set), guarded by a `OnceLock`; cargo's own lock
//! serialises test binaries that build at the same time. Set
//! `PAVED_PLUGINS_PREBUILT=1` to skip the build when the components were just
//! built by the same command (e.g. by `.ci/run`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use paved_core::plugin::CatalogueLookup;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                repo_root().join(p)
            }
        })
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Path of the built component of example crate `name` (e.g. `require-owner`).
pub fn plugin_wasm(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let root = repo_root();
        let target = target_dir();
        if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_some() {
            return target.join("wasm32-wasip2/release");
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--target",
                "wasm32-wasip2",
                "--release",
                "--manifest-path",
            ])
            .arg(root.join("examples/plugins/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("run cargo to build the example plugins");
        assert!(
            status.success(),
            "building examples/plugins for wasm32-wasip2 failed"
        );
        target.join("wasm32-wasip2/release")
    });
    let path = dir.join(format!("{}.wasm", name.replace('-', "_")));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// A catalogue held in memory. Filters: comma-separated `key=value` (AND),
/// keys are `kind` (case-insensitive) or dotted paths like `spec.owner`.
#[derive(Debug, Default)]
pub struct MemoryCatalogue {
    pub entities: Vec<Value>,
}

fn entity_ref(e: &Value) -> String {
    let kind = e["kind"].as_str().unwrap_or_default().to_ascii_lowercase();
    let ns = e["metadata"]["namespace"].as_str().unwrap_or("default");
    let name = e["metadata"]["name"].as_str().unwrap_or_default();
    format!("{kind}:{ns}/{name}")
}

#[async_trait]
impl CatalogueLookup for MemoryCatalogue {
    async fn get(&self, entity_ref_: &str) -> paved_core::Result<Option<Value>> {
        Ok(self
            .entities
            .iter()
            .find(|e| entity_ref(e) == entity_ref_)
            .cloned())
    }

    async fn query(&self, filter: &str) -> paved_core::Result<Vec<Value>> {
        let conds: Vec<(&str, &str)> = filter
            .split(',')
            .filter_map(|c| c.split_once('='))
            .collect();
        Ok(self
            .entities
            .iter()
            .filter(|e| {
                conds.iter().all(|(k, v)| {
                    let got = k.split('.').try_fold(*e, |acc, key| acc.get(key));
                    got.and_then(Value::as_str)
                        .is_some_and(|g| g.eq_ignore_ascii_case(v))
                })
            })
            .cloned()
            .collect())
    }
}

pub fn catalogue(entities: Vec<Value>) -> Arc<MemoryCatalogue> {
    Arc::new(MemoryCatalogue { entities })
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "paved_plugins=info".into()))
        .try_init();
}

/// Build `examples/plugins/python-guardrail` with componentize-py (installed
/// from PyPI into `<target>/componentize-py` on first use) and return the
/// component's path. Once per test binary.
pub fn python_guardrail_wasm() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = repo_root();
            let target = target_dir();
            let out = target.join("wasm32-wasip2/release/python_guardrail.wasm");
            if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_some() && out.exists() {
                return out;
            }
            let venv = target.join("componentize-py");
            let tool = venv.join("bin/componentize-py");
            if !tool.exists() {
                let ok = Command::new("python3")
                    .arg("-m")
                    .arg("venv")
                    .arg(&venv)
                    .status()
                    .unwrap()
                    .success()
                    && Command::new(venv.join("bin/pip"))
                        .args(["install", "--quiet", "componentize-py==0.25.1"])
                        .status()
                        .unwrap()
                        .success();
                assert!(
                    ok,
                    "installing componentize-py from PyPI into {} failed",
                    venv.display()
                );
            }
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            let dir = root.join("examples/plugins/python-guardrail");
            let status = Command::new(&tool)
                .current_dir(&dir)
                .args([
                    "-d",
                    "../../../wit",
                    "-w",
                    "paved:plugin/guardrail",
                    "componentize",
                    "app",
                    "-o",
                ])
                .arg(&out)
                .status()
                .expect("run componentize-py");
            assert!(
                status.success(),
                "componentize-py failed for {}",
                dir.display()
            );
            out
        })
        .clone()
}
