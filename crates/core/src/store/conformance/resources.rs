//! Conformance of [`crate::store::ResourceStore`]: state versions and
//! history, leases (exclusive, expiry, takeover, release), the journal, and
//! a race for one lease from many tasks, on every store; and two SQLite
//! connections to one file racing for a lease, as two processes would.

use std::sync::Arc;

use super::common::PgTestDb;
use crate::Error;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{JournalEntry, Lease, ResourceStore, StateRow, Store};

fn lease(resource: &str, holder: &str, expires_at_ms: i64) -> Lease {
    Lease {
        resource: resource.into(),
        holder: holder.into(),
        operation: "apply".into(),
        token: format!("token-{holder}"),
        acquired_at: "2026-12-04T00:00:00Z".into(),
        expires_at_ms,
    }
}

fn intent(resource: &str) -> JournalEntry {
    JournalEntry {
        id: 0,
        resource: resource.into(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        operation: "create".into(),
        holder: "me".into(),
        intent: r#"{"what":"create"}"#.into(),
        started_at: "2026-12-04T00:00:00Z".into(),
        result: None,
        finished_at: None,
    }
}

fn state(resource: &str, doc: &str) -> StateRow {
    StateRow {
        resource: resource.into(),
        version: 0,
        at: "2026-12-04T00:00:01Z".into(),
        doc: doc.into(),
    }
}

async fn state_versions_history_and_journal(store: &dyn Store) {
    let r = "resource:default/db";
    assert_eq!(store.resource_state(r).await.unwrap(), None);
    let first = store.journal_intent(&intent(r)).await.unwrap();
    assert_eq!(store.journal_open().await.unwrap().len(), 1);
    let v = store
        .journal_result(first, r#"{"ok":true}"#, Some((&state(r, "one"), 0)))
        .await
        .unwrap();
    assert_eq!(v, Some(1));
    assert!(store.journal_open().await.unwrap().is_empty());
    // A writer that read version 0 cannot write on top of version 1, and
    // its journal entry stays open (one transaction).
    let stale = store.journal_intent(&intent(r)).await.unwrap();
    let err = store
        .journal_result(stale, "{}", Some((&state(r, "stale"), 0)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert_eq!(store.journal_open().await.unwrap()[0].id, stale);
    store
        .journal_result(stale, r#"{"ok":true}"#, Some((&state(r, "two"), 1)))
        .await
        .unwrap();
    let other = store
        .journal_intent(&intent("resource:default/cache"))
        .await
        .unwrap();
    store
        .journal_result(
            other,
            "{}",
            Some((&state("resource:default/cache", "c"), 0)),
        )
        .await
        .unwrap();
    let latest = store.resource_state(r).await.unwrap().unwrap();
    assert_eq!((latest.version, latest.doc.as_str()), (2, "two"));
    let all = store.resource_states().await.unwrap();
    let summary: Vec<(&str, i64)> = all
        .iter()
        .map(|s| (s.resource.as_str(), s.version))
        .collect();
    assert_eq!(
        summary,
        [("resource:default/cache", 1), ("resource:default/db", 2)]
    );
    let history = store.resource_history(r, 10).await.unwrap();
    let docs: Vec<&str> = history.iter().map(|s| s.doc.as_str()).collect();
    assert_eq!(docs, ["two", "one"]);
    let journal = store.journal_of(r, 10).await.unwrap();
    assert_eq!(journal.len(), 2);
    assert!(
        journal
            .iter()
            .all(|j| j.result.is_some() && j.finished_at.is_some())
    );
    // A result with no state leaves the versions alone.
    let failed = store.journal_intent(&intent(r)).await.unwrap();
    assert_eq!(
        store
            .journal_result(failed, r#"{"error":1}"#, None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.resource_state(r).await.unwrap().unwrap().version, 2);
}

async fn leases_are_exclusive_and_lapse(store: &dyn Store) {
    let r = "resource:default/db";
    assert_eq!(
        store
            .acquire_leases(&[lease(r, "a", 2_000)], 1_000)
            .await
            .unwrap(),
        None
    );
    let held = store
        .acquire_leases(&[lease(r, "b", 2_500)], 1_500)
        .await
        .unwrap();
    assert_eq!(held.map(|l| l.holder), Some("a".to_string()));
    let own = |holder: &str| vec![(r.to_string(), format!("token-{holder}"))];
    assert_eq!(store.renew_leases(&own("a"), 3_000).await.unwrap(), 1);
    assert_eq!(store.renew_leases(&own("b"), 9_000).await.unwrap(), 0);
    // a stopped renewing; after its expiry b takes over.
    assert!(
        store
            .acquire_leases(&[lease(r, "b", 5_000)], 2_999)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .acquire_leases(&[lease(r, "b", 5_000)], 3_000)
            .await
            .unwrap(),
        None
    );
    // a's token no longer releases anything; b's lease shows.
    store.release_leases(&own("a")).await.unwrap();
    assert_eq!(store.release_lease(r, Some("token-a")).await.unwrap(), None);
    let leases = store.leases().await.unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder, "b");
    assert_eq!(leases[0].expires_at_ms, 5_000);
    // Released by hand whoever holds it.
    let released = store.release_lease(r, None).await.unwrap().unwrap();
    assert_eq!(released.holder, "b");
    assert!(store.leases().await.unwrap().is_empty());
    assert_eq!(
        store
            .acquire_leases(&[lease(r, "c", 9_000)], 4_000)
            .await
            .unwrap(),
        None
    );
    // All or none: with one of two held, neither is taken.
    let other = "resource:default/other";
    let both = [lease(other, "d", 9_000), lease(r, "d", 9_000)];
    let held = store.acquire_leases(&both, 4_000).await.unwrap().unwrap();
    assert_eq!(held.holder, "c");
    assert!(
        store
            .leases()
            .await
            .unwrap()
            .iter()
            .all(|l| l.resource != other)
    );
    store.release_leases(&own("c")).await.unwrap();
    assert_eq!(store.acquire_leases(&both, 4_000).await.unwrap(), None);
    assert_eq!(store.leases().await.unwrap().len(), 2);
}

async fn one_of_many_racers_gets_the_lease(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .acquire_leases(
                        &[lease("resource:default/x", &format!("h{i}"), i64::MAX)],
                        0,
                    )
                    .await
                    .unwrap()
                    .is_none()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
}

macro_rules! resource_conformance {
    ($($test:ident),* $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let store = super::SqliteStore::memory().await.expect("in-memory SQLite opens");
                    super::$test(&store).await;
                }
            )*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_of_many_racers_gets_the_lease() {
                let store = super::SqliteStore::memory().await.expect("in-memory SQLite opens");
                super::one_of_many_racers_gets_the_lease(std::sync::Arc::new(store)).await;
            }
        }
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let dir = tempfile::tempdir().expect("a temp dir");
                    let store = super::SqliteStore::open(&dir.path().join("paved.db")).await.expect("SQLite file opens");
                    super::$test(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let db = super::PgTestDb::create().await;
                    let store = super::PostgresStore::connect(&db.url()).await.expect("PostgreSQL store connects");
                    super::$test(&store).await;
                }
            )*
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn one_of_many_racers_gets_the_lease() {
                let db = super::PgTestDb::create().await;
                let store = super::PostgresStore::connect(&db.url()).await.expect("PostgreSQL store connects");
                super::one_of_many_racers_gets_the_lease(std::sync::Arc::new(store)).await;
            }
        }
    };
}

resource_conformance!(
    state_versions_history_and_journal,
    leases_are_exclusive_and_lapse
);

/// Two connections to one SQLite file (as two processes have) race for a
/// lease: exactly one wins, and the loser sees the winner.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_two_connections_race_for_one_lease() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let a = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b = Arc::new(SqliteStore::open(&path).await.unwrap());
    for round in 0..20 {
        let r = format!("resource:default/r{round}");
        let (ra, rb) = (r.clone(), r.clone());
        let (a2, b2) = (a.clone(), b.clone());
        let ta = tokio::spawn(async move {
            a2.acquire_leases(&[lease(&ra, "a", i64::MAX)], 0)
                .await
                .unwrap()
        });
        let tb = tokio::spawn(async move {
            b2.acquire_leases(&[lease(&rb, "b", i64::MAX)], 0)
                .await
                .unwrap()
        });
        let (la, lb) = (ta.await.unwrap(), tb.await.unwrap());
        match (la, lb) {
            (None, Some(seen)) => assert_eq!(seen.holder, "a"),
            (Some(seen), None) => assert_eq!(seen.holder, "b"),
            other => panic!("round {round}: expected exactly one winner, got {other:?}"),
        }
    }
}
