//! Conformance of [`crate::store::RunStore`]: create, guarded updates,
//! listing with filters, newest first, on every store.

use super::common::PgTestDb;
use crate::Error;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{RunFilter, RunRow, Store};

fn run(id: &str, template: &str, started_at: &str) -> RunRow {
    RunRow {
        id: id.into(),
        template: template.into(),
        actor: "user:default/ada".into(),
        status: "running".into(),
        started_at: started_at.into(),
        finished_at: None,
        revision: 1,
        doc: format!(r#"{{"id":"{id}"}}"#),
    }
}

async fn runs_are_created_updated_and_listed(store: &dyn Store) {
    let a = run("a1", "template:default/web", "2026-12-04T10:00:00Z");
    let b = run("b2", "template:default/db", "2026-12-04T11:00:00Z");
    let c = run("c3", "template:default/web", "2026-12-04T12:00:00Z");
    for r in [&a, &b, &c] {
        store.run_create(r).await.unwrap();
    }
    // An id is written once.
    assert!(matches!(
        store.run_create(&a).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(store.run_get("a1").await.unwrap(), Some(a.clone()));
    assert_eq!(store.run_get("zz").await.unwrap(), None);

    // An update names the revision it read; a stale one is refused.
    let mut done = a.clone();
    done.revision = 2;
    done.status = "succeeded".into();
    done.finished_at = Some("2026-12-04T10:01:00Z".into());
    done.doc = r#"{"id":"a1","done":true}"#.into();
    store.run_update(&done).await.unwrap();
    assert!(matches!(
        store.run_update(&done).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(store.run_get("a1").await.unwrap(), Some(done.clone()));

    let ids = |rows: Vec<RunRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = RunFilter {
        limit: 10,
        ..RunFilter::default()
    };
    assert_eq!(ids(store.runs(&all).await.unwrap()), ["c3", "b2", "a1"]);
    let web = RunFilter {
        template: Some("template:default/web".into()),
        ..all.clone()
    };
    assert_eq!(ids(store.runs(&web).await.unwrap()), ["c3", "a1"]);
    let succeeded = RunFilter {
        status: Some("succeeded".into()),
        ..all.clone()
    };
    assert_eq!(ids(store.runs(&succeeded).await.unwrap()), ["a1"]);
    let since = RunFilter {
        since: Some("2026-12-04T11:00:00Z".into()),
        limit: 1,
        ..all.clone()
    };
    assert_eq!(ids(store.runs(&since).await.unwrap()), ["c3"]);
}

macro_rules! run_conformance {
    ($($test:ident),* $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let store = super::SqliteStore::memory().await.expect("in-memory SQLite opens");
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
        }
    };
}

run_conformance!(runs_are_created_updated_and_listed);
