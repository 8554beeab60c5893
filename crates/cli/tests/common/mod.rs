//! What the CLI's test binaries share: running `paved` in a directory,
//! reading its output, a throwaway PostgreSQL database, and the example
//! plugins built from source.

// Each test crate uses its part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn catalog() -> PathBuf {
    root().join("examples/catalog")
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("crates/core/tests/fixtures").join(name)
}

/// Run `paved` in `dir` with `args`.
pub fn paved(dir: &Path, args: &[&str]) -> Output {
    paved_command(dir, args).output().expect("run paved")
}

/// `paved ARGS` in `dir`, not yet run, with none of the caller's `PAVED_*`
/// settings (to add environment or pipes, or to start it in the background).
pub fn paved_command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paved"));
    c.current_dir(dir)
        .args(args)
        .env_remove("PAVED_STORE")
        .env_remove("PAVED_CONFIG")
        .env_remove("PAVED_ACTOR");
    c
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn ok(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "expected success\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

pub fn failed(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    format!("{stdout}{stderr}")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A throwaway PostgreSQL database, dropped on drop.
pub struct PgDb {
    name: String,
}

pub const PG_ADMIN: &str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres";

pub fn pg_exec(sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(PG_ADMIN, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL must be running on 127.0.0.1:5432 (scripts/ensure-postgres)");
        tokio::spawn(conn);
        client.batch_execute(sql).await.unwrap();
    });
}

impl PgDb {
    pub fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("paved_cli_{}_{nanos}", std::process::id());
        pg_exec(&format!("CREATE DATABASE {name}"));
        Self { name }
    }
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        pg_exec(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// Build the example plugins (wasm32-wasip2) once, as the plugin host's
/// tests do (`PAVED_PLUGINS_PREBUILT=1` skips the build); returns their
/// directory.
pub fn example_plugins() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = target_dir();
            if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_none() {
                let status =
                    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
                        .arg("--manifest-path")
                        .arg(root().join("examples/plugins/Cargo.toml"))
                        .env("CARGO_TARGET_DIR", &target)
                        .env_remove("RUSTFLAGS")
                        .env_remove("CARGO_ENCODED_RUSTFLAGS")
                        .status()
                        .expect("run cargo build for the example plugins");
                assert!(status.success(), "building examples/plugins failed");
            }
            target.join("wasm32-wasip2/release")
        })
        .clone()
}
