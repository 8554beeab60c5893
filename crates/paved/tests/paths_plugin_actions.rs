//! Golden-path actions provided by plugins, through the facade: with the
//! example action plugin (`examples/plugins/service-files`, built from
//! source) configured in `paved.yaml` as `kind: action`, a Template step
//! using `acme:service-files` is listed and shown as runnable, its dry run
//! shows the generated files (under the step's `targetPath`) and the
//! step's output, and the run writes them; the plugin's refusal of an input
//! fails the run naming the field; a generated path leaving the workspace
//! is refused; an action neither built in nor provided is refused naming
//! the step.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use paved::plugins::{ActionInfo, ActionPlugin, ActionRequest, ActionResult, GeneratedFile};
use paved::{Error, PathOptions, Platform, RunStatus, StoreSpec, WriteOptions};
use serde_json::json;

const TEMPLATE: &str = r#"
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: service-files
spec:
  type: service
  parameters:
    - required: [name]
      properties:
        name: { type: string }
        port: { type: integer, default: 8080 }
  steps:
    - id: files
      action: acme:service-files
      input:
        name: ${{ parameters.name }}
        port: ${{ parameters.port }}
        targetPath: service
    - id: say
      action: debug:log
      input:
        message: "listening on ${{ steps.files.output.url }}"
"#;

const UNKNOWN: &str = r#"
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: unknown-action
spec:
  type: service
  steps:
    - id: hello
      action: debug:log
      input: { message: hi }
    - id: publish
      action: acme:publish
      input: { name: x }
"#;

fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// The example plugins, built as the other plugin tests build them
/// (`PAVED_PLUGINS_PREBUILT=1` skips the build).
fn example_plugin(name: &str) -> PathBuf {
    let target = target_dir();
    if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_none() {
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
                .arg("--manifest-path")
                .arg(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/Cargo.toml"),
                )
                .env("CARGO_TARGET_DIR", &target)
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .status()
                .expect("run cargo build for the example plugins");
        assert!(status.success(), "building examples/plugins failed");
    }
    target.join(format!("wasm32-wasip2/release/{name}.wasm"))
}

fn options(dir: &Path, name: &str) -> PathOptions {
    PathOptions {
        actor: Some("user:default/ada".into()),
        workspace: Some(dir.join("work").join(name).display().to_string()),
        ..PathOptions::default()
    }
}

#[tokio::test]
async fn a_plugin_action_is_previewed_and_run_like_a_built_in_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("paved.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins:\n  - name: service-files\n    path: {}\n    kind: action\n",
            example_plugin("service_files").display()
        ),
    )
    .unwrap();
    let p = paved::open(
        paved::OpenOptions::default()
            .store(format!("sqlite:{}", d.join("paved.db").display()))
            .config(&config),
    )
    .await
    .unwrap();
    assert!(
        p.plugins()
            .list()
            .iter()
            .any(|s| s.name == "service-files" && s.kind == "action")
    );
    // It says what it provides, loaded in a platform or on its own.
    let names = |info: paved::PluginInfo| match info {
        paved::PluginInfo::Action { actions, .. } => {
            actions.into_iter().map(|a| a.name).collect::<Vec<_>>()
        }
        other => panic!("not an action plugin: {other:?}"),
    };
    let described = p.plugins().describe("service-files").await.unwrap();
    assert_eq!(names(described), ["acme:service-files"]);
    let checked = paved::check_plugin(
        paved::plugins::PluginConfig::new(
            "service-files",
            example_plugin("service_files"),
            paved::plugins::PluginKind::Action,
        ),
        None,
    )
    .await
    .unwrap();
    assert_eq!(names(checked), ["acme:service-files"]);
    let file = d.join("template.yaml");
    std::fs::write(&file, TEMPLATE).unwrap();
    let set = p
        .catalog()
        .import(&[file], None, &WriteOptions::default())
        .await
        .unwrap();
    // The import has no platform's plugins to ask: it says the action runs
    // only if a plugin provides it.
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("runs only if a plugin")),
        "{:?}",
        set.warnings
    );
    // The platform knows the plugin: the Template runs.
    let shown = p.paths().show("service-files").await.unwrap();
    assert!(shown.problems.is_empty(), "{:?}", shown.problems);
    assert_eq!(shown.actions, ["acme:service-files", "debug:log"]);
    let listed = p.paths().list().await.unwrap();
    assert!(listed.iter().all(|t| t.problems.is_empty()), "{listed:?}");

    let opts = options(d, "orders");
    let plan = p
        .paths()
        .dry_run("service-files", json!({"name": "orders"}), &opts)
        .await
        .unwrap();
    let files: Vec<(&str, &str)> = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.action.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            ("service/.env.example", "create"),
            ("service/Makefile", "create")
        ]
    );
    let env = plan.files[0].content.as_deref().unwrap();
    assert!(env.contains("SERVICE_NAME=orders\nPORT=8080\n"), "{env}");
    assert_eq!(
        plan.steps[0].output,
        json!({"files": ["Makefile", ".env.example"], "url": "http://localhost:8080"})
    );
    let shown = serde_json::to_string(&plan.steps[1].effects).unwrap();
    assert!(
        shown.contains("listening on http://localhost:8080"),
        "{shown}"
    );
    assert!(!d.join("work/orders").exists(), "a dry run wrote files");

    let record = p
        .paths()
        .run(
            "service-files",
            json!({"name": "orders"}),
            &PathOptions {
                expect_digest: Some(plan.digest.clone()),
                ..opts
            },
        )
        .await
        .unwrap();
    assert_eq!(record.status, RunStatus::Succeeded, "{record:?}");
    let ws = d.join("work/orders/service");
    let makefile = std::fs::read_to_string(ws.join("Makefile")).unwrap();
    assert!(
        makefile.contains("PORT=8080 cargo run --bin orders"),
        "{makefile}"
    );
    assert!(ws.join(".env.example").exists());

    // The plugin refuses a privileged port: the run is refused, naming the
    // step and the field, and writes nothing.
    let err = p
        .paths()
        .run(
            "service-files",
            json!({"name": "billing", "port": 80}),
            &options(d, "billing"),
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("step files (acme:service-files)") && text.contains("input.port"),
        "{text}"
    );
    assert!(!d.join("work/billing").exists());

    // An action nobody provides is refused, naming the step.
    let unknown = d.join("unknown.yaml");
    std::fs::write(&unknown, UNKNOWN).unwrap();
    let err = p
        .paths()
        .dry_run(unknown.to_str().unwrap(), json!({}), &options(d, "x"))
        .await
        .unwrap_err();
    let Error::Invalid { diagnostics } = &err else {
        panic!("expected invalid, got {err}");
    };
    assert!(
        diagnostics.iter().any(|d| d.path == "spec.steps[1].action"
            && d.message
                .contains("step publish: unknown action 'acme:publish'")),
        "{diagnostics:?}"
    );
}

/// A native action plugin that generates a file outside its directory.
struct Escaper;

#[async_trait]
impl ActionPlugin for Escaper {
    fn name(&self) -> &str {
        "escaper"
    }
    async fn describe(&self) -> paved::Result<Vec<ActionInfo>> {
        Ok(vec![ActionInfo {
            name: "acme:escape".into(),
            description: "writes where it should not".into(),
            input_schema: json!({"type": "object", "properties": {"to": {"type": "string"}}}),
            output_schema: None,
        }])
    }
    async fn run(&self, request: &ActionRequest) -> paved::Result<ActionResult> {
        Ok(ActionResult {
            files: vec![GeneratedFile {
                path: request.input["to"].as_str().unwrap_or_default().into(),
                content: b"pwned".to_vec(),
            }],
            output: json!({}),
            log: vec![],
        })
    }
}

#[tokio::test]
async fn a_generated_path_that_leaves_the_workspace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = Platform::builder()
        .store(StoreSpec::Sqlite(d.join("paved.db")))
        .action(Arc::new(Escaper))
        .build()
        .await
        .unwrap();
    let file = d.join("escape.yaml");
    for (to, why) in [
        ("../outside.txt", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a/../../b", "'..'"),
    ] {
        std::fs::write(
            &file,
            format!(
                "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {{ name: escape }}\nspec:\n  type: x\n  steps:\n    - id: out\n      action: acme:escape\n      input: {{ to: \"{to}\" }}\n"
            ),
        )
        .unwrap();
        let err = p
            .paths()
            .run(file.to_str().unwrap(), json!({}), &options(d, "esc"))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("step out (acme:escape)")
                && text.contains("plugin 'escaper'")
                && text.contains(why),
            "{to}: {text}"
        );
    }
    assert!(!d.join("outside.txt").exists());
    assert!(!d.join("work/esc").exists());
}
