//! What the facade's integration tests share: a provider with no system
//! behind it, the sample documents, one probe per write operation of
//! `paved::surface::OPERATIONS`, and a PostgreSQL database per test.

// Each test crate uses its part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use paved::plugins::{
    Applied, ApplyRequest, ImportRequest, Imported, Plan, PlanRequest, Provider, ProviderInfo,
    ResourceAddress, ResourceRequest,
};
use paved::{Platform, QuerySpec, ResourceOptions, StoreSpec, WriteOptions};
use serde_json::{Value, json};

/// A provider with no system behind it, counting side effects.
#[derive(Default)]
pub struct Recorder(pub AtomicUsize);

#[async_trait::async_trait]
impl Provider for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    async fn describe(&self) -> paved::Result<ProviderInfo> {
        Ok(serde_json::from_value(json!({
            "name": "recorder", "version": "1", "description": "test",
            "resourceTypes": [{"name": "test.thing", "description": "nothing behind it",
                               "paramsSchema": {"type": "object"}}],
            "capabilities": [], "settingsSchema": {}
        }))
        .unwrap())
    }
    async fn plan(&self, _r: &PlanRequest) -> paved::Result<Plan> {
        Ok(serde_json::from_value(json!({"operation": "create"})).unwrap())
    }
    async fn apply(&self, r: &ApplyRequest) -> paved::Result<Applied> {
        // `params.fail` makes the call fail, as a provider's outage would.
        if let Some(why) = r.params.get("fail").and_then(Value::as_str) {
            return Err(paved::Error::Plugin {
                plugin: "recorder".into(),
                kind: paved::PluginErrorKind::Trap,
                message: why.to_string(),
            });
        }
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Applied {
            state: json!({}),
            outputs: json!({"password": "recorded-secret"}),
            sensitive: vec!["password".into()],
        })
    }
    async fn read(&self, _r: &ResourceRequest) -> paved::Result<Option<Value>> {
        Ok(Some(json!({})))
    }
    async fn delete(&self, _r: &ResourceRequest) -> paved::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn import(&self, _r: &ImportRequest) -> paved::Result<Imported> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Imported {
            params: json!({}),
            applied: Applied {
                state: json!({}),
                outputs: json!({}),
                sensitive: vec![],
            },
        })
    }
}

/// A Component owned by `owner`.
pub fn component(name: &str, owner: &str) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
           "metadata": {"name": name},
           "spec": {"type": "service", "lifecycle": "production", "owner": owner}})
}

pub fn address() -> ResourceAddress {
    ResourceAddress {
        resource_type: "test.thing".into(),
        name: "orders".into(),
        environment: Some("dev".into()),
        owner: Some("team-a".into()),
    }
}

/// A Resource entity of the recorder's type (`params`: none, observed only).
pub fn resource(name: &str, params: Option<Value>) -> Value {
    let mut spec = json!({"type": "test.thing", "owner": "team-a", "environment": "dev"});
    if let Some(p) = params {
        spec["params"] = p;
    }
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
           "metadata": {"name": name}, "spec": spec})
}

/// Seed a store with what the resource probes act on: `resource:default/orders`
/// applied (through a recorder of its own), and `resource:default/adopted`
/// declared without params, not imported yet.
pub async fn seed_resources(store: &StoreSpec) {
    let seed = Platform::builder()
        .store(store.clone())
        .provider(std::sync::Arc::new(Recorder::default()))
        .resources(test_state_key(store))
        .build()
        .await
        .unwrap();
    for e in [
        resource("orders", Some(json!({"size": "small"}))),
        resource("adopted", None),
    ] {
        seed.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
    let report = seed
        .resources()
        .apply(&[], &ResourceOptions::default())
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{report:?}");
    seed.catalog()
        .upsert(log_template(), None, &WriteOptions::default())
        .await
        .unwrap();
    // A registered location (a file beside a SQLite store, or in a
    // directory of its own), for `catalog.refresh`.
    let dir = match store {
        StoreSpec::Sqlite(file) => file.parent().unwrap().join("catalog"),
        _ => tempfile::tempdir().unwrap().keep().join("catalog"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed.yaml");
    write_seeded_group(&file, "seeded");
    seed.catalog()
        .import(&[file], None, &WriteOptions::default())
        .await
        .unwrap();
}

/// The seeded location's one entity, `group:default/seeded`.
fn write_seeded_group(file: &Path, description: &str) {
    let group = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: seeded\n  \
         description: {description}\nspec:\n  type: team\n  children: []\n"
    );
    std::fs::write(file, group).unwrap();
}

/// Change the seeded location's file, so that refreshing it writes.
async fn change_seeded_location(platform: &Platform) -> paved::Result<()> {
    let locations = platform.catalog().locations().await?;
    let seeded = locations
        .iter()
        .find(|l| l.target.ends_with("seed.yaml"))
        .expect("the seed registers a location");
    let n = CHANGES.fetch_add(1, Ordering::SeqCst);
    write_seeded_group(Path::new(&seeded.target), &format!("change {n}"));
    Ok(())
}

static CHANGES: AtomicUsize = AtomicUsize::new(0);

/// A golden path that writes nothing but its log: `template:default/hello`.
pub fn log_template() -> Value {
    json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "hello"},
        "spec": {
            "type": "service",
            "parameters": {"properties": {"who": {"type": "string", "default": "world"}}},
            "steps": [{"id": "say", "action": "debug:log", "input": {"message": "hello ${{ parameters.who }}"}}]
        }
    })
}

fn path_options(opts: &WriteOptions) -> paved::PathOptions {
    paved::PathOptions {
        actor: opts.actor.clone(),
        ..paved::PathOptions::default()
    }
}

fn resource_options(opts: &WriteOptions) -> ResourceOptions {
    ResourceOptions {
        actor: opts.actor.clone(),
        dry_run: opts.dry_run,
        parallelism: None,
    }
}

/// Write `entity` to `p`'s catalogue with the default options.
pub async fn upsert(p: &Platform, entity: Value) -> paved::Result<paved::ChangeSet> {
    p.catalog()
        .upsert(entity, None, &WriteOptions::default())
        .await
}

/// Run the write operation `name` once.
pub async fn write(platform: &Platform, name: &str, opts: &WriteOptions) -> paved::Result<()> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog");
    let plugins = platform.plugins();
    match name {
        "catalog.import" => platform
            .catalog()
            .import(&[examples], None, opts)
            .await
            .map(drop),
        "catalog.upsert" => platform
            .catalog()
            .upsert(component("new-one", "team-a"), None, opts)
            .await
            .map(drop),
        "catalog.delete" => platform
            .catalog()
            .delete("component:default/existing", None, opts)
            .await
            .map(drop),
        "catalog.refresh" => {
            change_seeded_location(platform).await?;
            platform.catalog().refresh(None, opts).await.map(drop)
        }
        "catalog.refreshes" => {
            change_seeded_location(platform).await?;
            let events = platform
                .catalog()
                .refreshes(paved::RefreshSchedule::default(), opts.clone())
                .collect::<Vec<_>>()
                .await;
            events.into_iter().find_map(Result::err).map_or(Ok(()), Err)
        }
        "plugins.apply" => {
            let request = ApplyRequest {
                address: address(),
                params: json!({"size": "small"}),
                prior_state: None,
                idempotency_key: None,
            };
            plugins.apply("recorder", &request, opts).await.map(drop)
        }
        "plugins.delete" => {
            let request = ResourceRequest {
                address: address(),
                state: json!({}),
                idempotency_key: None,
            };
            plugins.delete("recorder", &request, opts).await
        }
        "plugins.import" => {
            let request = ImportRequest {
                address: address(),
                external_id: "ext-1".into(),
                idempotency_key: None,
            };
            plugins.import("recorder", &request, opts).await.map(drop)
        }
        "scorecards.record" => platform.scorecards().record(None, opts).await.map(drop),
        "resources.apply" => platform
            .resources()
            .apply(&["resource:default/orders".into()], &resource_options(opts))
            .await
            .map(drop),
        "resources.destroy" => platform
            .resources()
            .destroy(&["resource:default/orders".into()], &resource_options(opts))
            .await
            .map(drop),
        "resources.drift" => platform
            .resources()
            .drift(&[], &resource_options(opts))
            .await
            .map(drop),
        "resources.import" => platform
            .resources()
            .import("resource:default/adopted", "ext-2", &resource_options(opts))
            .await
            .map(drop),
        "resources.outputs" => platform
            .resources()
            .outputs("resource:default/orders", true, &resource_options(opts))
            .await
            .map(drop),
        "resources.unlock" => platform
            .resources()
            .unlock("resource:default/orders", &resource_options(opts))
            .await
            .map(drop),
        "paths.run" if opts.dry_run => platform
            .paths()
            .dry_run("hello", json!({}), &path_options(opts))
            .await
            .map(drop),
        "paths.run" => platform
            .paths()
            .run("hello", json!({}), &path_options(opts))
            .await
            .map(drop),
        other => panic!("no probe for the write operation {other}: add one here"),
    }
}

/// The operations the surface marks as writing.
/// Decisions on held changes: they need a change held by an
/// approval-asking policy, which the generic probes' platforms do not have,
/// so `tests/approvals.rs` proves for them what the probes prove for the
/// rest (checks and the actor check govern them; nothing else is written).
pub const APPROVAL_STEPS: [&str; 2] = ["approvals.approve", "approvals.reject"];

/// Resuming needs an interrupted run, which the generic probes' platforms
/// do not have: `tests/paths.rs` proves a refusing check blocks it.
pub const NEEDS_AN_INTERRUPTED_RUN: [&str; 1] = ["paths.resume"];

/// The write operations the generic probes reach: all but
/// [`APPROVAL_STEPS`] and [`NEEDS_AN_INTERRUPTED_RUN`].
pub fn probed_write_operations() -> Vec<&'static str> {
    write_operations()
        .into_iter()
        .filter(|name| !APPROVAL_STEPS.contains(name) && !NEEDS_AN_INTERRUPTED_RUN.contains(name))
        .collect()
}

/// Writes the checks govern but access rules and policies do not review:
/// recording scorecard snapshots (what the policies found), a drift check
/// (reads the real thing), revealing outputs and releasing a lease: none
/// changes the catalogue or the world.
pub const UNREVIEWED_WRITES: [&str; 4] = [
    "scorecards.record",
    "resources.drift",
    "resources.outputs",
    "resources.unlock",
];

/// The writes access rules and policies review: every probed write but
/// [`UNREVIEWED_WRITES`].
pub fn reviewed_write_operations() -> Vec<&'static str> {
    probed_write_operations()
        .into_iter()
        .filter(|name| !UNREVIEWED_WRITES.contains(name))
        .collect()
}

pub fn write_operations() -> Vec<&'static str> {
    paved::surface::OPERATIONS
        .iter()
        .filter(|o| o.writes)
        .map(|o| o.name)
        .collect()
}

pub async fn entity_count(p: &Platform) -> u64 {
    p.catalog()
        .query(&QuerySpec::default())
        .await
        .unwrap()
        .total
}

/// Resource settings for a platform on `store`: a fixed key to seal outputs
/// with on a shared store (it has no key file beside it, as SQLite has).
pub fn test_state_key(store: &StoreSpec) -> paved::ResourceSettings {
    paved::ResourceSettings {
        state_key: (!matches!(store, StoreSpec::Sqlite(_))).then_some([7; 32]),
        ..paved::ResourceSettings::default()
    }
}

/// A fresh store of each kind: a SQLite file in a temporary directory, and a
/// PostgreSQL database of its own (dropped with the `PgDb`); each with a
/// temporary directory a test may use.
pub async fn stores() -> Vec<(StoreSpec, Option<PgDb>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = StoreSpec::Sqlite(dir.path().join("paved.db"));
    let pg = PgDb::create().await;
    vec![
        (sqlite, None, dir),
        (
            StoreSpec::Postgres(pg.url()),
            Some(pg),
            tempfile::tempdir().unwrap(),
        ),
    ]
}

/// A fresh PostgreSQL database on 127.0.0.1:5432, dropped with the value.
pub struct PgDb {
    name: String,
}

const PG_ADMIN: &str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres";

/// Run admin SQL on a thread of its own (a test's runtime cannot block).
fn pg_admin(sql: String) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(PG_ADMIN, tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (scripts/ensure-postgres)");
            tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap();
        });
    })
    .join()
    .expect("the admin statement ran");
}

impl PgDb {
    pub async fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("paved_facade_{}_{nanos}", std::process::id());
        pg_admin(format!("CREATE DATABASE {name}"));
        Self { name }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        pg_admin(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A guardrail that gives every change it reviews the same answer (the
/// bindings' `match` decides which changes).
pub struct Fixed {
    pub name: &'static str,
    pub answer: paved::plugins::Review,
}

impl Fixed {
    /// Allows everything.
    pub fn allow(name: &'static str) -> Self {
        Self {
            name,
            answer: paved::plugins::Review {
                verdict: paved::plugins::Verdict::Allow,
                violations: Vec::new(),
                patch: None,
            },
        }
    }

    /// Denies everything, with one violation.
    pub fn deny(name: &'static str, path: &str, message: &str) -> Self {
        Self {
            name,
            answer: paved::plugins::Review {
                verdict: paved::plugins::Verdict::Deny,
                violations: vec![paved::plugins::Violation {
                    path: path.into(),
                    message: message.into(),
                }],
                patch: None,
            },
        }
    }
}

#[async_trait::async_trait]
impl paved::plugins::Guardrail for Fixed {
    fn name(&self) -> &str {
        self.name
    }
    async fn describe(&self) -> paved::Result<paved::plugins::GuardrailInfo> {
        Ok(serde_json::from_value(json!({
            "name": self.name, "version": "1.0.0", "description": "answers the same to every change",
            "settingsSchema": {}, "capabilities": []
        }))
        .unwrap())
    }
    async fn validate_settings(&self, _settings: &Value) -> paved::Result<()> {
        Ok(())
    }
    async fn review(
        &self,
        _change: &paved::plugins::Change,
        _settings: Option<&Value>,
    ) -> paved::Result<paved::plugins::Review> {
        Ok(self.answer.clone())
    }
}
