//! The resource lifecycle's less travelled paths, through the facade:
//!
//! - a provider call that fails (a timeout, a refused connection, an answer
//!   that makes no sense): the resource's state stays as it was, what
//!   depends on it is not attempted, the failure is in the report and the
//!   audit log, nothing stays locked or open in the journal, and the next
//!   apply tries again and converges;
//! - a replace (delete, then create, under one idempotency key), deletion
//!   policy `orphan` (destroy lets it go without a provider call), an import
//!   observed first and managed once its Resource has params; every provider
//!   call carries an idempotency key of its own;
//! - a lease outlives its TTL while its holder works: it is renewed, so a
//!   second platform on the same store is refused all along.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::upsert;
use paved::plugins::{
    Applied, ApplyRequest, ImportRequest, Imported, Operation, Plan, PlanRequest, Provider,
    ProviderInfo, ResourceRequest,
};
use paved::{
    Action, Error, Platform, PluginErrorKind, ResourceOptions, ResultStatus, StateStatus,
    StoreSpec, WriteOptions,
};
use serde_json::{Value, json};

/// One mutating call the provider got: what, for which resource, under
/// which idempotency key.
type Call = (&'static str, String, Option<String>);

/// A provider with nothing behind it that answers as the test needs: every
/// apply of `db` fails while `down` is set (as a provider whose system does
/// not answer is stopped by the plugin host's deadline); `params.garbage`
/// becomes its outputs (an answer that makes no sense); `engine` can only
/// change by a replace; an import of `missing` fails; an apply takes
/// `params.slowMs`. It records each mutating call with its idempotency key.
#[derive(Default)]
struct Scripted {
    down: AtomicBool,
    calls: Mutex<Vec<Call>>,
}

impl Scripted {
    fn record(&self, call: &'static str, name: &str, key: &Option<String>) {
        self.calls
            .lock()
            .unwrap()
            .push((call, name.to_owned(), key.clone()));
    }

    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Provider for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    async fn describe(&self) -> paved::Result<ProviderInfo> {
        Ok(serde_json::from_value(json!({
            "name": "scripted", "version": "2", "description": "answers as the test needs",
            "resourceTypes": [{"name": "scripted.thing", "description": "t",
                               "paramsSchema": {"type": "object"}}],
            "capabilities": [], "settingsSchema": {}
        }))
        .unwrap())
    }
    async fn plan(&self, r: &PlanRequest) -> paved::Result<Plan> {
        let prior = r.prior_params.clone().unwrap_or_else(|| json!({}));
        let mut fields: Vec<&String> = r.params.as_object().unwrap().keys().collect();
        fields.extend(prior.as_object().unwrap().keys());
        fields.sort();
        fields.dedup();
        let diff: Vec<_> = fields
            .into_iter()
            .filter(|f| prior.get(f) != r.params.get(f))
            .map(|f| paved::plugins::FieldDiff {
                path: f.clone(),
                before: prior.get(f).cloned(),
                after: r.params.get(f).cloned(),
                requires_replace: f == "engine",
            })
            .collect();
        let operation = match (&r.prior_state, diff.is_empty()) {
            (None, _) => Operation::Create,
            (Some(_), true) => Operation::NoOp,
            (Some(_), false) if diff.iter().any(|d| d.requires_replace) => Operation::Replace,
            (Some(_), false) => Operation::Update,
        };
        Ok(Plan {
            operation,
            diff,
            monthly_cost: None,
            notes: Vec::new(),
        })
    }
    async fn apply(&self, r: &ApplyRequest) -> paved::Result<Applied> {
        if self.down.load(Ordering::SeqCst) && r.address.name == "db" {
            return Err(Error::Plugin {
                plugin: "scripted".into(),
                kind: PluginErrorKind::Timeout,
                message: "apply did not finish within 300000 ms".into(),
            });
        }
        self.record("apply", &r.address.name, &r.idempotency_key);
        if let Some(ms) = r.params.get("slowMs").and_then(Value::as_u64) {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let outputs = match r.params.get("garbage") {
            Some(g) => g.clone(),
            None => json!({"host": format!("{}.internal", r.address.name)}),
        };
        Ok(Applied {
            state: json!({"params": r.params}),
            outputs,
            sensitive: Vec::new(),
        })
    }
    async fn read(&self, r: &ResourceRequest) -> paved::Result<Option<Value>> {
        assert!(r.idempotency_key.is_none(), "a read has no idempotency key");
        Ok(Some(r.state.clone()))
    }
    async fn delete(&self, r: &ResourceRequest) -> paved::Result<()> {
        self.record("delete", &r.address.name, &r.idempotency_key);
        Ok(())
    }
    async fn import(&self, r: &ImportRequest) -> paved::Result<Imported> {
        if r.external_id == "missing" {
            return Err(Error::Plugin {
                plugin: "scripted".into(),
                kind: PluginErrorKind::Guest,
                message: "nothing is called missing".into(),
            });
        }
        self.record("import", &r.address.name, &r.idempotency_key);
        Ok(Imported {
            params: json!({"engine": "a"}),
            applied: Applied {
                state: json!({"params": {"engine": "a"}, "id": r.external_id}),
                outputs: json!({}),
                sensitive: Vec::new(),
            },
        })
    }
}

/// A Resource of the scripted provider's type; `spec` is merged in.
fn resource(name: &str, params: Value, depends_on: &[&str]) -> Value {
    scripted(name, json!({"params": params, "dependsOn": depends_on}))
}

fn scripted(name: &str, spec: Value) -> Value {
    let mut full = json!({"type": "scripted.thing", "owner": "team-a"});
    full.as_object_mut()
        .unwrap()
        .extend(spec.as_object().unwrap().clone());
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
           "metadata": {"name": name}, "spec": full})
}

/// A platform on a SQLite file with the scripted provider.
async fn platform() -> (Platform, Arc<Scripted>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (p, provider) = platform_on(dir.path(), paved::ResourceSettings::default()).await;
    (p, provider, dir)
}

/// A platform on `dir`'s SQLite file with a scripted provider of its own.
async fn platform_on(
    dir: &std::path::Path,
    settings: paved::ResourceSettings,
) -> (Platform, Arc<Scripted>) {
    let provider = Arc::new(Scripted::default());
    let p = Platform::builder()
        .store(StoreSpec::Sqlite(dir.join("paved.db")))
        .provider(provider.clone())
        .resources(settings)
        .build()
        .await
        .unwrap();
    (p, provider)
}

#[tokio::test]
async fn a_failed_provider_call_changes_no_state_skips_dependents_and_is_retried() {
    let (p, provider, _dir) = platform().await;
    for e in [
        resource("db", json!({"size": 1}), &[]),
        resource(
            "app",
            json!({"dbHost": "${{ resources.db.outputs.host }}"}),
            &["resource:db"],
        ),
        resource("cache", json!({}), &[]),
    ] {
        upsert(&p, e).await.unwrap();
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
    upsert(&p, resource("db", json!({"size": 2}), &[]))
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

    // An answer that makes no sense (outputs that are not an object) is
    // the provider's error, and the state stays as it was.
    let db_before = r.state("db").await.unwrap();
    upsert(
        &p,
        resource("db", json!({"size": 2, "garbage": "oops"}), &[]),
    )
    .await
    .unwrap();
    let report = r
        .apply(&["resource:default/db".into()], &opts)
        .await
        .unwrap();
    let error = report.results[0]
        .error
        .clone()
        .expect("garbage was accepted");
    assert_eq!(error["code"], "PLUGIN", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("outputs must be a JSON object, not a string"),
        "{error}"
    );
    let db_after = r.state("db").await.unwrap();
    assert_eq!(
        (db_after.version, db_after.state),
        (db_before.version, db_before.state)
    );
    upsert(&p, resource("db", json!({"size": 2}), &[]))
        .await
        .unwrap();

    // An import the provider refuses leaves no state behind.
    upsert(&p, scripted("found", json!({}))).await.unwrap();
    let err = r.import("found", "missing", &opts).await.unwrap_err();
    assert_eq!(err.code(), "PLUGIN", "{err}");
    assert!(matches!(
        r.state("found").await,
        Err(Error::NotFound { .. })
    ));
    assert!(r.list().await.unwrap().iter().all(|s| s.lease.is_none()));
}

#[tokio::test]
async fn replace_orphan_and_adoption_and_each_call_with_its_own_idempotency_key() {
    let (p, provider, _dir) = platform().await;
    let r = p.resources();
    let opts = ResourceOptions::default();
    let mut keys = Vec::new();

    // Create: one apply, with a key.
    upsert(&p, scripted("db", json!({"params": {"engine": "a"}})))
        .await
        .unwrap();
    r.apply(&[], &opts).await.unwrap();
    let calls = provider.take();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].0, calls[0].1.as_str()), ("apply", "db"));
    keys.push(
        calls[0]
            .2
            .clone()
            .expect("the apply has an idempotency key"),
    );

    // A field that cannot change in place: the plan says replace and why;
    // apply deletes, then creates, both under the replace's one key.
    upsert(&p, scripted("db", json!({"params": {"engine": "b"}})))
        .await
        .unwrap();
    let plan = r.plan(&[], &opts).await.unwrap();
    let db = &plan.resources[0];
    assert_eq!(db.action, Action::Replace, "{plan:?}");
    assert_eq!(db.replace_because, ["engine"], "{plan:?}");
    r.apply(&[], &opts).await.unwrap();
    let calls = provider.take();
    let ops: Vec<_> = calls.iter().map(|c| c.0).collect();
    assert_eq!(ops, ["delete", "apply"], "{calls:?}");
    assert_eq!(calls[0].2, calls[1].2, "one replace, one key: {calls:?}");
    keys.push(calls[0].2.clone().unwrap());
    let state = r.state("db").await.unwrap();
    assert_eq!((state.version, state.status), (2, StateStatus::Managed));
    assert_eq!(state.state.unwrap()["params"]["engine"], "b");

    // Deletion policy orphan: destroy lets it go and calls no provider.
    upsert(
        &p,
        scripted(
            "kept",
            json!({"params": {"engine": "a"}, "deletionPolicy": "orphan"}),
        ),
    )
    .await
    .unwrap();
    r.apply(&["resource:default/kept".into()], &opts)
        .await
        .unwrap();
    keys.push(provider.take()[0].2.clone().unwrap());
    let report = r
        .destroy(&["resource:default/kept".into()], &opts)
        .await
        .unwrap();
    assert_eq!(
        report.plan.resources[0].action,
        Action::Forget,
        "{report:?}"
    );
    assert!(provider.take().is_empty(), "an orphan was deleted");
    let kept = r.state("kept").await.unwrap();
    assert_eq!(kept.status, StateStatus::Forgotten);

    // Import: observed while the Resource has no params, then managed once
    // it has them (an update, even with nothing to change).
    upsert(&p, scripted("found", json!({}))).await.unwrap();
    let imported = r.import("found", "ext-7", &opts).await.unwrap();
    assert_eq!(imported.state.status, StateStatus::Observed);
    let calls = provider.take();
    assert_eq!((calls[0].0, calls[0].1.as_str()), ("import", "found"));
    keys.push(calls[0].2.clone().unwrap());
    let err = r
        .plan(&["resource:default/found".into()], &opts)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("observed only (add params to manage it)"),
        "{err}"
    );
    upsert(&p, scripted("found", json!({"params": {"engine": "a"}})))
        .await
        .unwrap();
    let plan = r
        .plan(&["resource:default/found".into()], &opts)
        .await
        .unwrap();
    assert_eq!(plan.resources[0].action, Action::Update, "{plan:?}");
    assert!(
        plan.resources[0]
            .notes
            .iter()
            .any(|n| n.contains("adopts the imported resource as managed")),
        "{plan:?}"
    );
    r.apply(&["resource:default/found".into()], &opts)
        .await
        .unwrap();
    let calls = provider.take();
    assert_eq!((calls[0].0, calls.len()), ("apply", 1), "{calls:?}");
    keys.push(calls[0].2.clone().unwrap());
    assert_eq!(r.state("found").await.unwrap().status, StateStatus::Managed);

    // A direct provider call without a key gets one too.
    p.plugins()
        .apply(
            "scripted",
            &ApplyRequest {
                address: paved::plugins::ResourceAddress {
                    resource_type: "scripted.thing".into(),
                    name: "direct".into(),
                    environment: None,
                    owner: None,
                },
                params: json!({}),
                prior_state: None,
                idempotency_key: None,
            },
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    keys.push(provider.take()[0].2.clone().unwrap());

    // Every call paved made had a key of its own.
    let distinct: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert!(keys.iter().all(|k| k.len() >= 32), "{keys:?}");
}

#[tokio::test]
async fn a_lease_is_renewed_while_its_holder_works_past_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let settings = || paved::ResourceSettings {
        lease_ttl: std::time::Duration::from_millis(600),
        ..Default::default()
    };
    let (a, a_provider) = platform_on(dir.path(), settings()).await;
    let (b, b_provider) = platform_on(dir.path(), settings()).await;
    upsert(&a, resource("slow", json!({"slowMs": 2600}), &[]))
        .await
        .unwrap();
    let as_ = |actor: &str| ResourceOptions {
        actor: Some(actor.to_string()),
        ..Default::default()
    };
    let working = tokio::spawn(async move {
        a.resources()
            .apply(&[], &as_("user:default/ada"))
            .await
            .map(|r| (r.failed(), a))
    });
    // Well past the TTL (600 ms), twice: the holder renewed it (every
    // 200 ms: slack for a loaded machine).
    for wait in [1300, 600] {
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        let err = b
            .resources()
            .apply(&[], &as_("user:default/bob"))
            .await
            .unwrap_err();
        let Error::Locked { holder, .. } = &err else {
            panic!("not refused while the holder works: {err}")
        };
        assert!(holder.starts_with("user:default/ada (pid "), "{holder}");
    }
    let (failed, a) = working.await.unwrap().unwrap();
    assert_eq!(failed, 0);
    assert_eq!(a_provider.take().len(), 1, "one apply");
    assert!(
        b_provider.take().is_empty(),
        "the refused platform called its provider"
    );
    let state = a.resources().state("slow").await.unwrap();
    assert_eq!(state.version, 1);
    assert!(state.lease.is_none(), "released after the work");
}
