//! The example golden paths (`examples/golden-paths`) tested like code.
//!
//! Each case `examples/golden-paths/<path>/tests/<case>/` holds the
//! parameters of a dry run (`parameters.json`) and the snapshot of its plan
//! (`plan.json`, and `files/` with every file the run would write).
//! `Paths::test` compares a fresh dry run with it; any difference fails.
//! The providers are the example plugins as the demo configures them: the
//! local-directory provider on a temporary directory, and the postgres
//! provider on the local server (127.0.0.1:5432), which plans by looking at
//! the server (the databases the cases name do not exist there).
//!
//! After changing an example on purpose, write its snapshots again and
//! review the diff:
//! `PAVED_UPDATE_SNAPSHOTS=1 cargo test --workspace --locked --test golden_path_examples`

use std::path::{Path, PathBuf};

use paved::{PathOptions, Platform, RunStatus, WriteOptions};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> PathBuf {
    repo().join("examples/golden-paths")
}

/// `$CARGO_TARGET_DIR` (relative to the repository), or the repository's `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { repo().join(p) })
        .unwrap_or_else(|| repo().join("target"))
}

/// Build the example plugins (wasm32-wasip2) as the other plugin tests do
/// (`PAVED_PLUGINS_PREBUILT=1` skips the build); their directory.
fn example_plugins() -> PathBuf {
    let target = target_dir();
    if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_none() {
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
            .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
            .arg("--manifest-path")
            .arg(repo().join("examples/plugins/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("run cargo build for the example plugins");
        assert!(status.success(), "building examples/plugins failed");
    }
    target.join("wasm32-wasip2/release")
}

/// A platform on a fresh SQLite file with both example providers, holding
/// the sample catalogue (the teams and services the cases name) and the
/// golden paths, imported from their Location.
async fn platform(dir: &Path) -> Platform {
    let plugins = example_plugins();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = dir.join("paved.yaml");
    std::fs::write(
        &config,
        format!(
            "pluginCache: {cache}\nplugins:\n  - name: local-directory\n    path: {local}\n    \
             kind: provider\n    grants: {{ dirs: [{{ host: {data}, guest: /data, mode: rw }}] }}\n  \
             - name: postgres\n    path: {postgres}\n    kind: provider\n    \
             grants: {{ network: [\"127.0.0.1:5432\"] }}\n",
            cache = dir.join("cache").display(),
            local = plugins.join("local_directory.wasm").display(),
            data = data.display(),
            postgres = plugins.join("postgres.wasm").display(),
        ),
    )
    .unwrap();
    let p = paved::open(
        paved::OpenOptions::default()
            .store(format!("sqlite:{}", dir.join("paved.db").display()))
            .config(config),
    )
    .await
    .unwrap();
    p.catalog()
        .import(
            &[repo().join("examples/catalog")],
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let set = p
        .catalog()
        .import(
            &[examples().join("catalog-info.yaml")],
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(!set.partial, "{set:?}");
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    p
}

/// The same options on every machine: who runs it and where files would go
/// (the snapshot leaves the workspace's place out).
fn options(dir: &Path) -> PathOptions {
    PathOptions {
        actor: Some("user:default/golden-path-tests".into()),
        workspace: Some(dir.join("workspace").display().to_string()),
        ..PathOptions::default()
    }
}

/// Every case: (template name, case directory).
fn cases() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for path in std::fs::read_dir(examples()).unwrap() {
        let path = path.unwrap().path();
        let tests = path.join("tests");
        if !path.join("template.yaml").is_file() || !tests.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for case in std::fs::read_dir(&tests).unwrap() {
            out.push((name.clone(), case.unwrap().path()));
        }
    }
    out.sort();
    out
}

fn parameters(case: &Path) -> Value {
    let file = case.join("parameters.json");
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

#[tokio::test]
async fn every_example_matches_its_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let p = platform(dir.path()).await;
    let listed = p.paths().list().await.unwrap();
    let mut names: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "deploy-web-service",
            "provision-postgres",
            "service-monitoring"
        ]
    );
    for t in &listed {
        assert!(t.problems.is_empty(), "{}: {:?}", t.name, t.problems);
    }

    let update = std::env::var_os("PAVED_UPDATE_SNAPSHOTS").is_some();
    let cases = cases();
    // Every example has at least one case; none passes by being absent.
    for name in &names {
        assert!(
            cases.iter().any(|(n, _)| n == name),
            "{name} has no test case"
        );
    }
    let mut failures = Vec::new();
    for (template, case) in &cases {
        let report = p
            .paths()
            .test(
                template,
                parameters(case),
                case,
                update,
                &options(dir.path()),
            )
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        if !report.passed {
            failures.push(format!(
                "{}:\n  {}",
                case.display(),
                report.differences.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the example golden paths no longer plan what their snapshots say \
         (if that is intended, run with PAVED_UPDATE_SNAPSHOTS=1 and review the diff):\n{}",
        failures.join("\n")
    );
    // Nothing was written: a snapshot test is a dry run.
    assert!(!dir.path().join("workspace").exists());
    assert!(
        std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .next()
            .is_none()
    );
}

/// A run of deploy-web-service's default case does what its dry run (the
/// snapshot, above) shows: the same files in the workspace, the component
/// and its API registered, the database directory provisioned by the
/// provider, and the output and log the Template promises.
#[tokio::test]
async fn a_run_of_deploy_web_service_does_what_its_dry_run_shows() {
    let dir = tempfile::tempdir().unwrap();
    let p = platform(dir.path()).await;
    let params = parameters(&examples().join("deploy-web-service/tests/default"));
    let opts = options(dir.path());
    let plan = p
        .paths()
        .dry_run("deploy-web-service", params.clone(), &opts)
        .await
        .unwrap();
    let record = p
        .paths()
        .run("deploy-web-service", params, &opts)
        .await
        .unwrap();
    assert_eq!(record.status, RunStatus::Succeeded, "{:?}", record.error);
    let workspace = dir.path().join("workspace");
    let mut written = Vec::new();
    walk(&workspace, &workspace, &mut written);
    let planned: Vec<(String, Vec<u8>)> = plan
        .files
        .iter()
        .map(|f| {
            assert_eq!(f.action, "create");
            (f.path.clone(), f.content.clone().unwrap().into_bytes())
        })
        .collect();
    assert_eq!(written, planned);

    let component = p.catalog().get("component:default/orders").await.unwrap();
    assert_eq!(
        component.spec_str("owner"),
        Some("group:default/team-payments")
    );
    assert_eq!(component.metadata.annotations["paved.dev/run"], record.id);
    let api = p.catalog().get("api:default/orders-api").await.unwrap();
    assert_eq!(api.metadata.annotations["paved.dev/run"], record.id);
    let env =
        std::fs::read_to_string(dir.path().join("data/orders_db/config/database.env")).unwrap();
    assert_eq!(env, "SERVICE=orders\nSIZE=small\nMAX_CONNECTIONS=20\n");
    let links: Vec<&Value> = record
        .output
        .links
        .iter()
        .map(|l| &l["entityRef"])
        .collect();
    assert_eq!(
        links,
        [
            "component:default/orders",
            "api:default/orders-api",
            "resource:default/orders_db"
        ]
    );
    assert_eq!(
        record.log,
        [
            "component:default/orders registered for group:default/team-payments, with database \
          resource:default/orders_db (local.directory, small)"
        ]
    );
}

/// Relative path and content of every file under `dir`, sorted.
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
}
