//! The one door: no public operation of the facade writes without passing
//! the pipeline.
//!
//! 1. The public methods of the platform's handles (read from core's source)
//!    are each an operation of `paved::surface::OPERATIONS` or a listed
//!    accessor, so a new method cannot slip in unclassified; the facade
//!    exports no store and no glob of core.
//! 2. Every operation the table marks as writing is run against a platform
//!    whose pipeline has a check that refuses everything: each one fails with
//!    `Denied` and nothing is written (no entity, no audit record, no event),
//!    dry runs included.
//! 3. With a check that allows, the same writes land, each with an audit
//!    record under the actor given, and provider calls are audited.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    APPROVAL_STEPS, NEEDS_AN_INTERRUPTED_RUN, Recorder, UNREVIEWED_WRITES, component, entity_count,
    probed_write_operations, reviewed_write_operations, seed_resources, write, write_operations,
};
use paved::checks::Check;
use paved::{ChangeSet, Error, Platform, StoreSpec, WriteOptions};
use serde_json::json;

/// Methods of the handles that are not operations: constructors and
/// accessors that read nothing from the store and write nothing.
const ACCESSORS: &[&str] = &[
    "builder",
    "catalog",
    "audit",
    "plugins",
    "policies",
    "scorecards",
    "approvals",
    "resources",
    "paths",
    "kinds",
    "store_description",
    "origin",
    "actor",
    "catalogue_lookup",
    // `run` and `resume` reporting progress as they go: the same operations.
    "paths.run_with_progress",
    "paths.resume_with_progress",
    // `import` after validating first (the CLI validates before it opens a store).
    "catalog.import_validated",
];

fn public_methods(file: &Path, handle: &str, prefix: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("core's source is next to the facade");
    let mut in_impl = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("impl ") {
            // Only the handle's inherent impl (`impl Catalog {`), not trait impls.
            in_impl = line.trim_end() == format!("impl {handle} {{");
            continue;
        }
        if line.starts_with('}') {
            in_impl = false;
        }
        let t = line.trim_start();
        if in_impl && line.starts_with("    pub ") && t.contains("fn ") {
            let name = t
                .split("fn ")
                .nth(1)
                .unwrap()
                .split(['(', '<'])
                .next()
                .unwrap();
            out.push(if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            });
        }
    }
    out
}

#[test]
fn every_public_method_of_the_handles_is_a_listed_operation() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src/platform");
    let mut methods = Vec::new();
    for (file, handle, prefix) in [
        // Platform-level operations are named without a prefix (`subscribe`).
        ("mod.rs", "Platform", ""),
        ("catalog.rs", "Catalog", "catalog"),
        ("audit.rs", "Audit", "audit"),
        ("locations.rs", "Catalog", "catalog"),
        ("plugins.rs", "Plugins", "plugins"),
        ("policies.rs", "Policies", "policies"),
        ("scorecards.rs", "Scorecards", "scorecards"),
        ("approvals.rs", "Approvals", "approvals"),
        ("resources/mod.rs", "Resources", "resources"),
        ("paths/mod.rs", "Paths", "paths"),
    ] {
        methods.extend(public_methods(&core.join(file), handle, prefix));
    }
    assert!(
        methods.len() > 20,
        "the scan found too few methods: {methods:?}"
    );
    let ops: BTreeSet<String> = paved::surface::OPERATIONS
        .iter()
        .map(|o| o.name.to_string())
        .collect();
    let unlisted: Vec<&String> = methods
        .iter()
        .filter(|m| !ops.contains(*m) && !ACCESSORS.contains(&m.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "public methods that are neither an operation in paved::surface::OPERATIONS nor a listed accessor: {unlisted:?}"
    );
    for expected in [
        "subscribe",
        "catalog.upsert",
        "plugins.apply",
        "audit.verify",
    ] {
        assert!(
            methods.iter().any(|m| m == expected),
            "the scan missed {expected}"
        );
    }
}

#[test]
fn the_facade_exports_no_store_and_no_glob_of_core() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for forbidden in [
        "store::",
        "pub mod store",
        "paved_core::*",
        "pub use paved_core::{audit,",
    ] {
        assert!(
            !lib.contains(forbidden),
            "crates/paved/src/lib.rs exposes `{forbidden}`"
        );
    }
}

/// A check that refuses everything, counting what it saw.
struct Refuse(AtomicUsize);

#[async_trait::async_trait]
impl Check for Refuse {
    async fn check(&self, _actor: &str, _set: &ChangeSet) -> paved::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(Error::Denied {
            by: "test".into(),
            message: "nothing may change".into(),
            decisions: Vec::new(),
        })
    }
}

/// A platform on a fresh SQLite file that already holds
/// `component:default/existing` (written before the check was installed).
async fn platform(check: Arc<dyn Check>, provider: Arc<Recorder>) -> (Platform, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreSpec::Sqlite(dir.path().join("paved.db"));
    let seed = Platform::builder()
        .store(store.clone())
        .build()
        .await
        .unwrap();
    seed.catalog()
        .upsert(
            component("existing", "team-a"),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    drop(seed);
    seed_resources(&store).await;
    let platform = Platform::builder()
        .store(store)
        .provider(provider)
        .check(check)
        .actor("user:default/tester")
        .build()
        .await
        .unwrap();
    (platform, dir)
}

async fn audit_len(p: &Platform) -> usize {
    p.audit().list(None, Some(10_000)).await.unwrap().len()
}

#[tokio::test]
async fn a_refusing_check_blocks_every_write_operation_and_nothing_is_written() {
    let refuse = Arc::new(Refuse(AtomicUsize::new(0)));
    let provider = Arc::new(Recorder::default());
    let (p, _dir) = platform(refuse.clone(), provider.clone()).await;
    let seeded = audit_len(&p).await;
    let mut events = p.subscribe();
    let writes = probed_write_operations();
    assert_eq!(writes.len(), 16, "{writes:?}");
    // The approval steps are proven in tests/approvals.rs (they need a held
    // change), resuming in tests/paths.rs (it needs an interrupted run).
    let steps: Vec<&str> = write_operations()
        .into_iter()
        .filter(|w| !writes.contains(w))
        .collect();
    let mut elsewhere = APPROVAL_STEPS.to_vec();
    elsewhere.extend(NEEDS_AN_INTERRUPTED_RUN);
    assert_eq!(steps, elsewhere);
    // Access rules and policies review all but one: a scorecard snapshot
    // changes nothing they govern; the checks govern it like any write.
    let unreviewed: Vec<&&str> = writes
        .iter()
        .filter(|w| !reviewed_write_operations().contains(w))
        .collect();
    let mut expected: Vec<&&str> = UNREVIEWED_WRITES.iter().collect();
    expected.sort();
    let mut unreviewed = unreviewed;
    unreviewed.sort();
    assert_eq!(unreviewed, expected);
    for name in &writes {
        for dry_run in [false, true] {
            let opts = WriteOptions {
                actor: None,
                dry_run,
            };
            let err = write(&p, name, &opts).await.expect_err(&format!(
                "{name} (dry_run={dry_run}) passed a refusing check"
            ));
            let refused_as_dry_run = dry_run && name.starts_with("plugins.");
            assert!(
                matches!(err, Error::Denied { .. }) || refused_as_dry_run,
                "{name} (dry_run={dry_run}): {err}"
            );
        }
    }
    assert_eq!(entity_count(&p).await, 5, "only the seeded entities");
    assert_eq!(audit_len(&p).await, seeded, "only the seed's records");
    assert_eq!(
        provider.0.load(Ordering::SeqCst),
        0,
        "a provider side effect ran"
    );
    assert!(refuse.0.load(Ordering::SeqCst) >= writes.len());
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(50), events.next()).await;
    assert!(nothing.is_err(), "an event was published: {nothing:?}");
}

/// A check that lets everything through.
struct Allow;

#[async_trait::async_trait]
impl Check for Allow {
    async fn check(&self, _actor: &str, _set: &ChangeSet) -> paved::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn allowed_writes_are_audited_under_the_actor_and_announced() {
    let provider = Arc::new(Recorder::default());
    let (p, _dir) = platform(Arc::new(Allow), provider.clone()).await;
    let mut events = p.subscribe();
    let opts = WriteOptions::actor("user:default/jane");
    for name in probed_write_operations() {
        write(&p, name, &opts)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // plugins.apply, delete, import; resources.apply, destroy, import.
    assert_eq!(provider.0.load(Ordering::SeqCst), 6);
    let records = p.audit().list(None, Some(10_000)).await.unwrap();
    assert_eq!(
        records[0].actor, "system",
        "the seed wrote as the default actor"
    );
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    // The provider calls of `plugins.*` (the seed's apply was the system's).
    for action in ["resource.apply", "resource.delete", "resource.import"] {
        let r = records
            .iter()
            .find(|r| r.action == action && r.subject == "test.thing/orders@dev")
            .unwrap_or_else(|| panic!("no {action} in {actions:?}"));
        assert_eq!(r.actor, "user:default/jane");
        assert_eq!(r.details["plugin"], "recorder");
    }
    // Those of `resources.*`, about the Resource entities.
    for (action, subject) in [
        ("resource.apply", "resource:default/orders"),
        ("resource.destroy", "resource:default/orders"),
        ("resource.import", "resource:default/adopted"),
        ("resource.drift", "resource:default/orders"),
        ("path.run", "template:default/hello"),
        ("path.finished", "template:default/hello"),
    ] {
        let r = records
            .iter()
            .rev()
            .find(|r| r.action == action && r.subject == subject)
            .unwrap_or_else(|| panic!("no {action} of {subject} in {actions:?}"));
        assert_eq!(r.actor, "user:default/jane", "{action}");
    }
    assert!(p.audit().verify().await.unwrap().broken.is_none());
    let event = events.next().await.unwrap().unwrap();
    assert_eq!(event.actor, "user:default/jane");
}

#[tokio::test]
async fn an_actor_that_is_not_a_ref_is_refused_before_anything_is_written() {
    let provider = Arc::new(Recorder::default());
    let (p, _dir) = platform(Arc::new(Allow), provider.clone()).await;
    let seeded = audit_len(&p).await;
    for name in probed_write_operations() {
        let err = write(&p, name, &WriteOptions::actor("jane; rm -rf"))
            .await
            .expect_err(name);
        assert_eq!(err.code(), "VALIDATION", "{name}: {err}");
    }
    assert_eq!(audit_len(&p).await, seeded, "only the seed's records");
    assert_eq!(provider.0.load(Ordering::SeqCst), 0);
    p.catalog()
        .upsert(component("b", "team-a"), None, &WriteOptions::default())
        .await
        .unwrap();
    let last = p.audit().list(None, None).await.unwrap().pop().unwrap();
    assert_eq!(
        last.actor, "user:default/tester",
        "the platform's actor when a write names none"
    );
}

#[tokio::test]
async fn upsert_accepts_what_get_returned() {
    let (p, _dir) = platform(Arc::new(Allow), Arc::new(Recorder::default())).await;
    p.catalog()
        .upsert(component("a", "team-a"), None, &WriteOptions::default())
        .await
        .unwrap();
    let got = p.catalog().get("component:default/a").await.unwrap();
    let mut value = got.to_value();
    assert!(
        value.get("relations").is_some(),
        "get returns derived relations"
    );
    value["metadata"]["description"] = json!("edited");
    let etag = got.metadata.etag.clone();
    let set = p
        .catalog()
        .upsert(value, etag, &WriteOptions::default())
        .await
        .unwrap();
    assert_eq!(set.changes[0].outcome, paved::Outcome::Updated);
}
