//! Golden paths through the facade: a dry run is one ChangeSet (files with
//! content, entities, decisions) and writes nothing; a run does exactly
//! that; a policy on `path.run` refuses before anything happens; a failing
//! step undoes the run; secrets never reach records, audit or decisions; a
//! workspace escape and hostile expressions are refused; a refusing check
//! blocks a resume.

mod common;

use std::path::Path;
use std::sync::Arc;

use paved::checks::Check;
use paved::{ChangeSet, Error, PathOptions, Platform, RunStatus, StoreSpec, WriteOptions};
use serde_json::{Value, json};

const TEMPLATE: &str = r#"
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: web-service
  title: Deploy a web service
spec:
  type: service
  owner: group:default/platform
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name: { type: string, pattern: "^[a-z][a-z0-9-]*$" }
        owner: { type: string }
        environment: { type: string, default: dev }
    - title: Secrets
      properties:
        token: { type: string, ui:widget: password }
  steps:
    - id: fetch
      name: Render the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
          token: ${{ parameters.token }}
    - id: register
      action: catalog:register
      input:
        catalogInfoPath: catalog-info.yaml
    - id: log
      action: debug:log
      input:
        message: "registered ${{ steps.register.output.entityRef }} with ${{ parameters.token }}"
    - id: database
      if: ${{ parameters.name == 'breaks' }}
      action: resource:apply
      input:
        name: ${{ parameters.name }}-db
        type: test.thing
        owner: ${{ parameters.owner }}
        params: { fail: "the database service is down" }
  output:
    links:
      - title: The service
        entityRef: ${{ steps.register.output.entityRef }}
"#;

/// A directory with the Template and its skeleton; returns the template file.
fn golden_path(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("paths/web-service");
    std::fs::create_dir_all(root.join("skeleton/src")).unwrap();
    std::fs::write(root.join("template.yaml"), TEMPLATE).unwrap();
    std::fs::write(
        root.join("skeleton/catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("skeleton/src/${{ values.name }}.txt"),
        "service ${{ values.name }}\ntoken ${{ values.token }}\n",
    )
    .unwrap();
    root.join("template.yaml")
}

/// A platform on a SQLite file in `dir` with the golden path imported:
/// configured by `config` (paved.yaml text), else built with the
/// `recorder` provider (`tests/common`), which fails when asked to.
async fn open(dir: &Path, config: Option<&str>) -> Platform {
    let store = dir.join("paved.db");
    let p = match config {
        Some(text) => {
            let file = dir.join("paved.yaml");
            std::fs::write(&file, text).unwrap();
            let opts = paved::OpenOptions::default()
                .store(format!("sqlite:{}", store.display()))
                .config(file);
            paved::open(opts).await.unwrap()
        }
        None => Platform::builder()
            .store(StoreSpec::Sqlite(store))
            .provider(Arc::new(common::Recorder::default()))
            .build()
            .await
            .unwrap(),
    };
    let template = golden_path(dir);
    let set = p
        .catalog()
        .import(&[template], None, &WriteOptions::default())
        .await
        .unwrap();
    assert!(
        !set.warnings
            .iter()
            .any(|w| w.message.contains("may not run")),
        "{:?}",
        set.warnings
    );
    p
}

fn options(dir: &Path, name: &str) -> PathOptions {
    PathOptions {
        actor: Some("user:default/ada".into()),
        workspace: Some(dir.join("work").join(name).display().to_string()),
        ..PathOptions::default()
    }
}

fn params(name: &str) -> Value {
    json!({"name": name, "owner": "group:default/team-a", "token": "s3cr3t-t0ken"})
}

async fn exists(p: &Platform, r: &str) -> bool {
    p.catalog().get(r).await.is_ok()
}

#[tokio::test]
async fn a_dry_run_is_one_changeset_and_the_run_does_exactly_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path(), None).await;
    let opts = options(dir.path(), "shop");
    let plan = p
        .paths()
        .dry_run("web-service", params("shop"), &opts)
        .await
        .unwrap();
    // Files with their content, secrets masked; the entity to register.
    let files: Vec<(&str, &str)> = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.action.as_str()))
        .collect();
    assert_eq!(
        files,
        [("catalog-info.yaml", "create"), ("src/shop.txt", "create")]
    );
    let text = plan.files[1].content.as_deref().unwrap();
    assert_eq!(text, "service shop\ntoken ***\n");
    assert_eq!(plan.entities.len(), 1);
    assert_eq!(plan.entities[0].entity_ref, "component:default/shop");
    assert_eq!(plan.entities[0].outcome, "created");
    assert_eq!(plan.parameters["token"], "***");
    assert_eq!(plan.parameters["environment"], "dev");
    assert!(plan.steps[3].skipped);
    assert!(!plan.blocked);
    // Nothing happened.
    assert!(!dir.path().join("work/shop").exists());
    assert!(!exists(&p, "component:default/shop").await);

    let record = p
        .paths()
        .run(
            "web-service",
            params("shop"),
            &PathOptions {
                expect_digest: Some(plan.digest.clone()),
                ..opts
            },
        )
        .await
        .unwrap();
    assert_eq!(record.status, RunStatus::Succeeded, "{record:?}");
    let ws = dir.path().join("work/shop");
    // The real file holds the real secret; the records never do.
    assert_eq!(
        std::fs::read_to_string(ws.join("src/shop.txt")).unwrap(),
        "service shop\ntoken s3cr3t-t0ken\n"
    );
    let shop = p.catalog().get("component:default/shop").await.unwrap();
    let a = &shop.metadata.annotations;
    assert_eq!(a["paved.dev/template"], "template:default/web-service");
    assert_eq!(a["paved.dev/run"], record.id);
    assert_eq!(
        a["backstage.io/source-template"],
        "template:default/web-service"
    );
    assert!(!a["paved.dev/template-inputs"].contains("s3cr3t"), "{a:?}");
    assert!(a["paved.dev/template-inputs"].contains("\"name\":\"shop\""));
    assert_eq!(
        record.output.links[0]["entityRef"],
        "component:default/shop"
    );
    assert_eq!(record.log, ["registered component:default/shop with ***"]);
    let stored = serde_json::to_string(&p.paths().run_info(&record.id).await.unwrap()).unwrap();
    assert!(!stored.contains("s3cr3t"));
    let audit = serde_json::to_string(&p.audit().list(None, Some(1000)).await.unwrap()).unwrap();
    assert!(!audit.contains("s3cr3t"));
    assert!(audit.contains("path.run") && audit.contains("path.finished"));
    let runs = p.paths().runs(None, None).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(runs[0].steps_done, 4);
    let metrics = p.paths().metrics(&Default::default()).await.unwrap();
    assert_eq!(metrics.total.succeeded, 1);
    assert_eq!(metrics.components_from_paths, 1);

    // A preview that no longer holds is refused.
    let stale = p
        .paths()
        .run(
            "web-service",
            params("other"),
            &PathOptions {
                expect_digest: Some(plan.digest),
                ..options(dir.path(), "other")
            },
        )
        .await
        .unwrap_err();
    assert!(stale.to_string().contains("previewed"), "{stale}");
}

#[tokio::test]
async fn a_failing_step_undoes_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path(), None).await;
    let record = p
        .paths()
        .run(
            "web-service",
            params("breaks"),
            &options(dir.path(), "breaks"),
        )
        .await
        .unwrap();
    assert_eq!(record.status, RunStatus::RolledBack, "{record:?}");
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("the database service is down"),
        "{record:?}"
    );
    // The failed step, then the steps before it, in reverse.
    assert_eq!(record.steps[3].status, paved::StepStatus::Failed);
    assert_eq!(record.steps[1].status, paved::StepStatus::Undone);
    assert!(
        record
            .undone
            .contains(&"removed component:default/breaks from the catalogue".to_string()),
        "{:?}",
        record.undone
    );
    assert!(
        record
            .undone
            .contains(&"removed src/breaks.txt".to_string()),
        "{:?}",
        record.undone
    );
    assert!(!exists(&p, "component:default/breaks").await);
    assert!(!exists(&p, "resource:default/breaks-db").await);
    let ws = dir.path().join("work/breaks");
    assert!(!ws.join("src/breaks.txt").exists() && !ws.join("catalog-info.yaml").exists());
    let metrics = p.paths().metrics(&Default::default()).await.unwrap();
    assert_eq!(metrics.total.failed, 1);
}

#[tokio::test]
async fn a_policy_on_path_run_refuses_before_anything_happens() {
    let dir = tempfile::tempdir().unwrap();
    let rego = dir.path().join("rego");
    std::fs::create_dir_all(&rego).unwrap();
    std::fs::write(
        rego.join("paths.rego"),
        "package paved.paths\nimport rego.v1\ndeny contains msg if {\n  input.after.parameters.environment == \"prod\"\n  msg := sprintf(\"%v may not deploy to prod from a golden path\", [input.actor])\n}\n",
    )
    .unwrap();
    let config = format!(
        "policies:\n  - name: no-prod\n    rego:\n      policies: [{}]\n    match: {{ operations: [path.run] }}\n",
        rego.display()
    );
    let p = open(dir.path(), Some(&config)).await;
    let mut prod = params("shop");
    prod["environment"] = json!("prod");
    let opts = options(dir.path(), "shop");
    let plan = p
        .paths()
        .dry_run("web-service", prod.clone(), &opts)
        .await
        .unwrap();
    assert!(plan.blocked);
    assert_eq!(plan.decisions[0].policy, "no-prod");
    let err = p.paths().run("web-service", prod, &opts).await.unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        decisions[0].violations[0]
            .message
            .contains("may not deploy to prod"),
        "{err}"
    );
    assert!(!dir.path().join("work/shop").exists());
    assert!(!exists(&p, "component:default/shop").await);
    assert!(p.paths().runs(None, None).await.unwrap().is_empty());
    // Other parameters pass.
    let ok = p
        .paths()
        .run("web-service", params("shop"), &opts)
        .await
        .unwrap();
    assert_eq!(ok.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn bad_parameters_escapes_and_hostile_expressions_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path(), None).await;
    let opts = options(dir.path(), "x");
    let err = p
        .paths()
        .run("web-service", json!({"name": "Bad Name!"}), &opts)
        .await
        .unwrap_err();
    let Error::Invalid { diagnostics } = &err else {
        panic!("{err}")
    };
    let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert!(
        paths.contains(&"parameters.name") && paths.contains(&"parameters.owner"),
        "{paths:?}"
    );

    // A template that writes outside its workspace, or reads the host.
    for (name, input, expected) in [
        (
            "up",
            json!({"url": "./skeleton", "targetPath": "../outside"}),
            "'..'",
        ),
        (
            "abs",
            json!({"url": "./skeleton", "targetPath": "/tmp/x"}),
            "absolute",
        ),
        ("skeleton-up", json!({"url": "../../../../etc"}), "'..'"),
        (
            "include",
            json!({"url": "./skeleton", "values": {"x": "${{ range(100000000) | list | length }}"}}),
            "too much work",
        ),
    ] {
        let t = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
            "metadata": {"name": name, "annotations": {"backstage.io/managed-by-location": format!("file:{}", dir.path().join("paths/web-service/template.yaml").display())}},
            "spec": {"type": "service", "steps": [{"id": "fetch", "action": "fetch:template", "input": input}]}
        });
        p.catalog()
            .upsert(t, None, &WriteOptions::default())
            .await
            .unwrap();
        let err = p.paths().run(name, json!({}), &opts).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    assert!(!dir.path().join("work").exists());
    assert!(!dir.path().join("outside").exists());
    assert!(p.paths().runs(None, None).await.unwrap().is_empty());
}

/// A check that refuses everything.
struct Refuse;

#[async_trait::async_trait]
impl Check for Refuse {
    async fn check(&self, _actor: &str, _set: &ChangeSet) -> paved::Result<()> {
        Err(Error::Denied {
            by: "test".into(),
            message: "nothing may change".into(),
            decisions: Vec::new(),
        })
    }
}

#[tokio::test]
async fn a_refusing_check_blocks_a_resume_and_a_resume_finishes_an_interrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreSpec::Sqlite(dir.path().join("paved.db"));
    let settings = paved::ResourceSettings {
        lease_ttl: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let p = Platform::builder()
        .store(store.clone())
        .resources(settings.clone())
        .build()
        .await
        .unwrap();
    let slow = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "slow"},
        "spec": {"type": "service", "steps": [
            {"id": "one", "action": "debug:log", "input": {"message": "one"}},
            {"id": "wait", "action": "debug:wait", "input": {"seconds": 2}},
            {"id": "three", "action": "debug:log", "input": {"message": "three"}}]}
    });
    p.catalog()
        .upsert(slow, None, &WriteOptions::default())
        .await
        .unwrap();
    // Interrupt the run during its wait, as a crash would (its lease lapses).
    let opts = options(dir.path(), "slow");
    let stopped = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        p.paths().run("slow", json!({}), &opts),
    )
    .await;
    assert!(stopped.is_err(), "the run should still be waiting");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let runs = p.paths().runs(None, None).await.unwrap();
    assert!(runs[0].interrupted, "{runs:?}");
    let id = runs[0].id.clone();

    let refusing = Platform::builder()
        .store(store.clone())
        .check(Arc::new(Refuse))
        .build()
        .await
        .unwrap();
    let audit_before = p.audit().list(None, Some(1000)).await.unwrap().len();
    let err = refusing
        .paths()
        .resume(&id, &PathOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    assert_eq!(
        p.audit().list(None, Some(1000)).await.unwrap().len(),
        audit_before
    );
    assert_eq!(
        p.paths().run_info(&id).await.unwrap().status,
        RunStatus::Running
    );

    // The wait step was started, not done: it is done again, then the rest.
    let done = p.paths().resume(&id, &PathOptions::default()).await;
    let done = done.unwrap();
    assert_eq!(done.status, RunStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.log.iter().filter(|l| *l == "one").count(),
        1,
        "{:?}",
        done.log
    );
    assert!(done.log.contains(&"three".to_string()));
}
