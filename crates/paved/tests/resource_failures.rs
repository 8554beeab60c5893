//! A provider call that fails (a timeout, a refused connection): the
//! resource's state stays as it was, what depends on it is not attempted,
//! the failure is in the report and the audit log, nothing stays locked or
//! open in the journal, and the next apply tries again and converges.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use paved::plugins::{
    Applied, ApplyRequest, ImportRequest, Imported, Operation, Plan, PlanRequest, Provider,
    ProviderInfo, ResourceRequest,
};
use paved::{
    Error, Platform, PluginErrorKind, ResourceOptions, ResultStatus, StoreSpec, WriteOptions,
};
use serde_json::{Value, json};

/// Fails every apply while `down` is set, as a provider whose system does
/// not answer is stopped by the plugin host's deadline.
#[derive(Default)]
struct Flaky {
    down: AtomicBool,
    applied: AtomicUsize,
}

#[async_trait::async_trait]
impl Provider for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    async fn describe(&self) -> paved::Result<ProviderInfo> {
        Ok(serde_json::from_value(json!({
            "name": "flaky", "version": "2", "description": "fails while down",
            "resourceTypes": [{"name": "flaky.thing", "description": "t",
                               "paramsSchema": {"type": "object"}}],
            "capabilities": [], "settingsSchema": {}
        }))
        .unwrap())
    }
    async fn plan(&self, r: &PlanRequest) -> paved::Result<Plan> {
        let operation = match (&r.prior_state, &r.prior_params) {
            (Some(_), Some(p)) if *p == r.params => Operation::NoOp,
            (Some(_), _) => Operation::Update,
            (None, _) => Operation::Create,
        };
        Ok(Plan {
            operation,
            diff: Vec::new(),
            monthly_cost: None,
            notes: Vec::new(),
        })
    }
    async fn apply(&self, r: &ApplyRequest) -> paved::Result<Applied> {
        if self.down.load(Ordering::SeqCst) && r.address.name == "db" {
            return Err(Error::Plugin {
                plugin: "flaky".into(),
                kind: PluginErrorKind::Timeout,
                message: "apply did not finish within 300000 ms".into(),
            });
        }
        self.applied.fetch_add(1, Ordering::SeqCst);
        Ok(Applied {
            state: json!({"params": r.params}),
            outputs: json!({"host": format!("{}.internal", r.address.name)}),
            sensitive: Vec::new(),
        })
    }
    async fn read(&self, r: &ResourceRequest) -> paved::Result<Option<Value>> {
        Ok(Some(r.state.clone()))
    }
    async fn delete(&self, _r: &ResourceRequest) -> paved::Result<()> {
        Ok(())
    }
    async fn import(&self, _r: &ImportRequest) -> paved::Result<Imported> {
        Err(Error::Plugin {
            plugin: "flaky".into(),
            kind: PluginErrorKind::Guest,
            message: "import is not supported".into(),
        })
    }
}

fn resource(name: &str, params: Value, depends_on: &[&str]) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
           "metadata": {"name": name},
           "spec": {"type": "flaky.thing", "owner": "team-a", "params": params,
                    "dependsOn": depends_on}})
}

#[tokio::test]
async fn a_failed_provider_call_changes_no_state_skips_dependents_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Arc::new(Flaky::default());
    let p = Platform::builder()
        .store(StoreSpec::Sqlite(dir.path().join("paved.db")))
        .provider(provider.clone())
        .build()
        .await
        .unwrap();
    for e in [
        resource("db", json!({"size": 1}), &[]),
        resource(
            "app",
            json!({"dbHost": "${{ resources.db.outputs.host }}"}),
            &["resource:db"],
        ),
        resource("cache", json!({}), &[]),
    ] {
        p.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
    let r = p.resources();
    let opts = ResourceOptions::default();
    r.apply(&["resource:default/db".into()], &opts)
        .await
        .unwrap();
    let before = r.state("db").await.unwrap();

    // db's change fails: its state stays, app (which needs it) is skipped,
    // cache (independent) is applied.
    provider.down.store(true, Ordering::SeqCst);
    p.catalog()
        .upsert(
            resource("db", json!({"size": 2}), &[]),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let report = r.apply(&[], &opts).await.unwrap();
    let status = |name: &str| {
        report
            .results
            .iter()
            .find(|x| x.resource == format!("resource:default/{name}"))
            .unwrap_or_else(|| panic!("no result for {name}: {report:?}"))
            .clone()
    };
    let db = status("db");
    assert_eq!(db.status, ResultStatus::Failed);
    let error = db.error.unwrap();
    assert_eq!(error["code"], "PLUGIN");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did not finish"),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("resource:default/db"),
        "{error}"
    );
    assert_eq!(status("app").status, ResultStatus::Skipped);
    assert_eq!(status("cache").status, ResultStatus::Done);
    assert_eq!(report.failed(), 2);

    let after = r.state("db").await.unwrap();
    assert_eq!(
        after.version, before.version,
        "a failed call wrote a state version"
    );
    assert_eq!(after.state, before.state);
    assert!(after.lease.is_none(), "the lease stayed");
    assert!(matches!(r.state("app").await, Err(Error::NotFound { .. })));
    let failed_call = p
        .audit()
        .for_entity("resource:default/db", None)
        .await
        .unwrap()
        .into_iter()
        .find(|rec| rec.action == "resource.apply" && rec.details.get("error").is_some())
        .expect("the failed call is audited with its error");
    assert_eq!(failed_call.details["error"]["code"], "PLUGIN");

    // Back up: nothing to reconcile (the journal recorded the failure), the
    // next apply does db, then app with db's output.
    provider.down.store(false, Ordering::SeqCst);
    let report = r.apply(&[], &opts).await.unwrap();
    assert!(report.recovered.is_empty(), "{:?}", report.recovered);
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(r.state("db").await.unwrap().version, before.version + 1);
    let app = r.state("app").await.unwrap();
    assert_eq!(app.state.unwrap()["params"]["dbHost"], "db.internal");
    let plan = r.plan(&[], &opts).await.unwrap();
    assert_eq!(plan.changes(), 0, "{plan:?}");

    // An import the provider refuses leaves no state behind.
    p.catalog()
        .upsert(
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
                   "metadata": {"name": "found"}, "spec": {"type": "flaky.thing", "owner": "team-a"}}),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let err = r.import("found", "ext-1", &opts).await.unwrap_err();
    assert_eq!(err.code(), "PLUGIN", "{err}");
    assert!(matches!(
        r.state("found").await,
        Err(Error::NotFound { .. })
    ));
    assert!(r.list().await.unwrap().iter().all(|s| s.lease.is_none()));
}
