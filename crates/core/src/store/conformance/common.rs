//! Helpers for the store conformance suite: a sample catalogue, batches,
//! and throw-away PostgreSQL databases.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::audit::{AuditRecord, Verifier};
use crate::model::{Entity, EntityRef, relations};
use crate::query::{Query, parse_filters};
use crate::store::{Change, ChangeBatch, CommitResult, PreparedEntity, Store};
use serde_json::{Value, json};

/// Derive everything core derives before a write, with `pipeline::prepare`.
pub fn prepare(value: Value, location: Option<&str>) -> PreparedEntity {
    let entity: Entity = serde_json::from_value(value).expect("a test entity deserializes");
    let (_, problems) = relations::derive(&entity);
    assert!(
        problems.is_empty(),
        "test entity has bad refs: {problems:?}"
    );
    crate::pipeline::prepare(entity, location.map(str::to_string))
}

pub fn eref(s: &str) -> EntityRef {
    EntityRef::parse(s).expect("a valid ref")
}

pub fn batch(changes: Vec<Change>, origin: &str) -> ChangeBatch {
    ChangeBatch {
        changes,
        records: Vec::new(),
        actor: "user:default/tester".into(),
        origin: origin.into(),
        action: "entity.upsert".into(),
        unless_recorded: None,
    }
}

pub fn upsert(value: Value, expected_etag: Option<&str>) -> Change {
    Change::Upsert {
        entity: Box::new(prepare(value, None)),
        expected_etag: expected_etag.map(str::to_string),
    }
}

pub fn delete(r: &str, expected_etag: Option<&str>) -> Change {
    Change::Delete {
        entity_ref: eref(r),
        expected_etag: expected_etag.map(str::to_string),
    }
}

/// Commit plain upserts (no etags), from origin `test`.
pub async fn commit(store: &dyn Store, values: Vec<Value>) -> CommitResult {
    store
        .commit(batch(
            values.into_iter().map(|v| upsert(v, None)).collect(),
            "test",
        ))
        .await
        .expect("commit succeeds")
}

/// The audit records a commit wrote for its changes, read back from the log
/// (a commit returns only its outcomes and its own records).
pub async fn logged(store: &dyn Store, result: &CommitResult) -> Vec<AuditRecord> {
    let seqs = result.changes_logged();
    let records = store
        .audit_records(seqs.start - 1, seqs.clone().count())
        .await
        .expect("the audit log reads");
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        seqs.collect::<Vec<_>>(),
        "the changes' records are in the log, in order"
    );
    records
}

/// Whether the whole audit log chains.
pub async fn chain_holds(store: &dyn Store) -> bool {
    let mut verifier = Verifier::default();
    let mut after = 0;
    loop {
        let page = store
            .audit_records(after, 5000)
            .await
            .expect("the audit log reads");
        let Some(last) = page.last() else { break };
        after = last.seq;
        if !page.iter().all(|r| verifier.feed(r)) {
            return false;
        }
    }
    verifier.finish().broken.is_none()
}

pub fn component(name: &str, spec: Value, metadata: Value) -> Value {
    let mut md = json!({"name": name});
    if let (Value::Object(m), Value::Object(extra)) = (&mut md, metadata) {
        m.extend(extra);
    }
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": md, "spec": spec})
}

/// A small organisation: 2 groups, a user, a system, 4 components, an API, a resource.
pub fn catalog() -> Vec<Value> {
    vec![
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "team-a", "title": "Team A"},
               "spec": {"type": "team", "children": []}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "team-b"},
               "spec": {"type": "team", "children": []}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
               "metadata": {"name": "jane"},
               "spec": {"memberOf": ["team-a"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
               "metadata": {"name": "shop"},
               "spec": {"owner": "team-a"}}),
        component(
            "orders",
            json!({"type": "service", "lifecycle": "production", "owner": "team-a", "system": "shop",
                   "providesApis": ["orders-api"], "dependsOn": ["resource:orders-db"]}),
            json!({"description": "Handles customer orders and payments", "tags": ["java", "grpc"],
                   "annotations": {"backstage.io/techdocs-ref": "dir:."}}),
        ),
        component(
            "payments",
            json!({"type": "service", "lifecycle": "production", "owner": "team-b"}),
            json!({"title": "Payment Gateway", "description": "Charges cards", "tags": ["java"]}),
        ),
        component(
            "web",
            json!({"type": "website", "lifecycle": "experimental", "owner": "team-a"}),
            json!({"description": "The shop front, 100% static", "tags": ["javascript", "react"]}),
        ),
        component(
            "pay_later",
            json!({"type": "library", "lifecycle": "deprecated", "owner": "team-b"}),
            json!({}),
        ),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "API",
               "metadata": {"name": "orders-api"},
               "spec": {"type": "grpc", "lifecycle": "production", "owner": "team-a", "system": "shop",
                        "definition": "service Orders {}"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
               "metadata": {"name": "orders-db"},
               "spec": {"type": "database", "owner": "team-a"}}),
    ]
}

/// The names of the entities a page holds, in order.
pub fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Every match of Backstage filter strings, by key order.
pub async fn filtered(store: &dyn Store, filters: &[&str]) -> Vec<String> {
    let filters: Vec<String> = filters.iter().map(|s| s.to_string()).collect();
    let page = store
        .query(&Query {
            filter: parse_filters(&filters).expect("valid filters"),
            limit: Some(1000),
            ..Query::default()
        })
        .await
        .expect("query succeeds");
    assert_eq!(page.total as usize, page.items.len());
    names(&page.items)
}

/// The PostgreSQL server the tests use (`PAVED_TEST_POSTGRES` overrides).
pub fn pg_base() -> String {
    std::env::var("PAVED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A uniquely named database on the test server, dropped (with its
/// connections) when the guard goes away, also when a test panics.
#[derive(Debug)]
pub struct PgTestDb {
    pub name: String,
    base: String,
}

async fn admin(base: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&format!("{base}/postgres"), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {base} is unreachable ({e}); the PostgreSQL conformance tests need a \
                 server there (user postgres, trust auth) — start it, or point PAVED_TEST_POSTGRES at one"
            )
        });
    tokio::spawn(conn);
    client
}

impl PgTestDb {
    pub async fn create() -> Self {
        let base = pg_base();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "paved_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin(&base)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        Self { name, base }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.base, self.name)
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        // Its own runtime on its own thread: works inside a (possibly panicking) test runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            rt.block_on(async {
                admin(&base)
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
