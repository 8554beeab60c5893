//! The store conformance suite: one set of test bodies, run against SQLite
//! in memory, a SQLite file and PostgreSQL (a fresh database per test on
//! 127.0.0.1:5432, dropped afterwards). PostgreSQL being unreachable fails
//! the PostgreSQL tests; nothing is skipped. Store-specific behaviour
//! (errors on bad paths and URLs, several processes on one database,
//! cross-process events) follows the shared suite.

pub(crate) mod common;
mod graph;
mod read_path;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::audit;
use crate::query::{FacetCount, Order, Query, parse_filters, parse_predicate};
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{AuditOnly, ChangeBatch, Guard, Outcome, Store};
use common::*;
use futures::StreamExt;
use serde_json::{Value, json};

/// Runs every listed body against each store.
macro_rules! conformance {
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
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let dir = tempfile::tempdir().expect("a temp dir");
                    let path = dir.path().join("not/yet/there/paved.db");
                    let store = super::SqliteStore::open(&path).await.expect("SQLite file opens");
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

conformance!(
    create_update_unchanged,
    etag_conflicts_write_nothing,
    delete_cleans_relations,
    relations_both_ways_and_kept_current,
    filter_strings,
    predicate_trees,
    ordering,
    paging_with_cursors,
    totals_and_limits,
    facets,
    full_text_search,
    projection,
    audit_chain_across_batches,
    audit_by_action_and_guards,
    events_match_audit_records,
    locations_and_lookups,
    location_counts_follow_every_write,
    bulk_batches,
    readers_never_see_half_a_batch,
    walked_and_sorted_pages_agree,
    kept_facets_match_counted_ones,
    filtered_facets_follow_this_writer,
    graph_stops_at_its_limit,
);
use graph::graph_stops_at_its_limit;
use read_path::{kept_facets_match_counted_ones, walked_and_sorted_pages_agree};

async fn filtered_facets_follow_this_writer(store: &dyn Store) {
    read_path::filtered_facets_follow_every_writer(store, store).await;
}

async fn get(store: &dyn Store, r: &str) -> Option<crate::Entity> {
    store.get(&eref(r)).await.expect("get succeeds")
}

fn rels(e: &crate::Entity) -> Vec<String> {
    e.relations
        .iter()
        .map(|r| format!("{} {}", r.r#type, r.target_ref))
        .collect()
}

async fn query(store: &dyn Store, q: Query) -> crate::query::Page {
    store.query(&q).await.expect("query succeeds")
}

fn filter(f: &str) -> Option<crate::query::Predicate> {
    parse_filters(&[f.to_string()]).expect("valid filter")
}

fn orders(fields: &[&str]) -> Vec<Order> {
    fields.iter().map(|f| Order::parse(f)).collect()
}

async fn create_update_unchanged(store: &dyn Store) {
    let first = commit(store, catalog()).await;
    assert_eq!(first.outcomes.len(), 10);
    assert!(
        first
            .outcomes
            .iter()
            .all(|(_, o, _)| *o == Outcome::Created)
    );
    let records = logged(store, &first).await;
    assert_eq!(records.len(), 10);
    assert!(records.iter().all(|r| r.action == "entity.create"));

    let expected = prepare(catalog()[4].clone(), None);
    let orders = get(store, "component:default/orders")
        .await
        .expect("orders exists");
    assert_eq!(
        orders.metadata.etag.as_deref(),
        Some(expected.hash.as_str())
    );
    let uid = orders.metadata.uid.clone().expect("a uid is assigned");
    assert!(uuid_like(&uid), "uid {uid}");
    assert_eq!(
        orders.metadata.description.as_deref(),
        Some("Handles customer orders and payments")
    );
    assert!(!orders.relations.is_empty());
    let (_, _, etag) = first
        .outcomes
        .iter()
        .find(|(r, _, _)| r.name == "orders")
        .unwrap();
    assert_eq!(etag.as_deref(), Some(expected.hash.as_str()));

    // Lookups ignore case.
    let again = get(store, "Component:DEFAULT/Orders")
        .await
        .expect("case-insensitive get");
    assert_eq!(again.metadata.uid, orders.metadata.uid);

    // The same content again writes nothing.
    let second = commit(store, catalog()).await;
    assert!(
        second
            .outcomes
            .iter()
            .all(|(_, o, _)| *o == Outcome::Unchanged)
    );
    assert!(second.audit.is_empty() && second.events().next().is_none());
    assert!(second.changes_logged().is_empty());
    assert_eq!(store.audit_records(0, 100).await.unwrap().len(), 10);

    // One changed entity: updated, same uid, new etag, recorded with the previous etag.
    let mut changed = catalog();
    changed[4]["metadata"]["description"] = json!("Takes orders");
    let third = commit(store, changed).await;
    let updated: Vec<_> = third
        .outcomes
        .iter()
        .filter(|(_, o, _)| *o != Outcome::Unchanged)
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].0.name, "orders");
    assert_eq!(updated[0].1, Outcome::Updated);
    let now = get(store, "component:default/orders").await.unwrap();
    assert_eq!(now.metadata.uid.as_deref(), Some(uid.as_str()));
    assert_eq!(now.metadata.description.as_deref(), Some("Takes orders"));
    assert_ne!(now.metadata.etag, orders.metadata.etag);
    assert_eq!(now.metadata.etag, updated[0].2);
    let records = logged(store, &third).await;
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec.action, "entity.update");
    assert_eq!(rec.subject, "component:default/orders");
    assert_eq!(rec.details["previous_etag"], json!(expected.hash));
    assert_eq!(rec.details["etag"], json!(now.metadata.etag));
    assert_eq!(rec.details["origin"], json!("test"));
    assert_eq!(rec.details["operation"], json!("entity.upsert"));
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

async fn etag_conflicts_write_nothing(store: &dyn Store) {
    commit(store, catalog()).await;
    let orders = get(store, "component:default/orders").await.unwrap();
    let etag = orders.metadata.etag.clone().unwrap();
    let records = store.audit_records(0, 1000).await.unwrap().len();

    let mut changed = catalog()[4].clone();
    changed["metadata"]["description"] = json!("changed");
    let newcomer = component(
        "newcomer",
        json!({"type": "service", "owner": "team-a"}),
        json!({}),
    );

    // A stale etag anywhere in a batch: a conflict naming both etags, nothing written.
    let err = store
        .commit(batch(
            vec![
                upsert(newcomer.clone(), None),
                upsert(changed.clone(), Some("stale")),
            ],
            "test",
        ))
        .await
        .unwrap_err();
    match &err {
        Error::Conflict {
            entity,
            expected,
            found,
        } => {
            assert_eq!(entity, "component:default/orders");
            assert_eq!(expected, "stale");
            assert_eq!(found.as_deref(), Some(etag.as_str()));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("stale") && msg.contains(&etag), "{msg}");
    assert!(get(store, "component:default/newcomer").await.is_none());
    assert_eq!(
        get(store, "component:default/orders")
            .await
            .unwrap()
            .metadata
            .description
            .as_deref(),
        Some("Handles customer orders and payments")
    );
    assert_eq!(store.audit_records(0, 1000).await.unwrap().len(), records);
    assert!(
        filtered(store, &["metadata.name=newcomer"])
            .await
            .is_empty()
    );

    // "" means "must not exist yet".
    let err = store
        .commit(batch(vec![upsert(changed.clone(), Some(""))], "test"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref found, .. } if found.as_deref() == Some(etag.as_str()))
    );
    // An etag for something that does not exist.
    let ghost = component(
        "ghost",
        json!({"type": "service", "owner": "team-a"}),
        json!({}),
    );
    let err = store
        .commit(batch(vec![upsert(ghost.clone(), Some("abc"))], "test"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { found: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");
    // Deletes check etags too; deleting something missing is NotFound.
    let err = store
        .commit(batch(
            vec![delete("component:default/orders", Some("stale"))],
            "test",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    let err = store
        .commit(batch(vec![delete("component:default/ghost", None)], "test"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    // The same entity twice in one batch is refused.
    let err = store
        .commit(batch(
            vec![
                upsert(newcomer.clone(), None),
                upsert(newcomer.clone(), None),
            ],
            "test",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(
        get(store, "component:default/orders")
            .await
            .unwrap()
            .metadata
            .etag
            == Some(etag.clone())
    );
    assert_eq!(store.audit_records(0, 1000).await.unwrap().len(), records);

    // The right etags succeed.
    let ok = store
        .commit(batch(
            vec![upsert(changed, Some(&etag)), upsert(ghost, Some(""))],
            "test",
        ))
        .await
        .expect("matching etags commit");
    assert_eq!(ok.outcomes[0].1, Outcome::Updated);
    assert_eq!(ok.outcomes[1].1, Outcome::Created);
}

async fn delete_cleans_relations(store: &dyn Store) {
    commit(store, catalog()).await;
    let team_a = get(store, "group:default/team-a").await.unwrap();
    assert!(rels(&team_a).contains(&"ownerOf component:default/orders".to_string()));
    let etag = get(store, "component:default/orders")
        .await
        .unwrap()
        .metadata
        .etag;

    let r = store
        .commit(batch(
            vec![delete("component:default/orders", etag.as_deref())],
            "test",
        ))
        .await
        .expect("delete commits");
    assert_eq!(r.outcomes[0].1, Outcome::Deleted);
    assert_eq!(r.outcomes[0].2, None);
    let records = logged(store, &r).await;
    assert_eq!(records[0].action, "entity.delete");
    assert_eq!(records[0].details["previous_etag"], json!(etag));
    let events: Vec<_> = r.events().collect();
    assert_eq!(events[0].kind, "entity.deleted");
    assert_eq!(events[0].etag, None);

    assert!(get(store, "component:default/orders").await.is_none());
    let team_a = get(store, "group:default/team-a").await.unwrap();
    let team_a_rels = rels(&team_a);
    assert!(
        !team_a_rels
            .iter()
            .any(|r| r.contains("component:default/orders")),
        "{team_a_rels:?}"
    );
    assert!(team_a_rels.contains(&"ownerOf component:default/web".to_string()));
    let db = get(store, "resource:default/orders-db").await.unwrap();
    assert!(
        !rels(&db).iter().any(|r| r.contains("orders")),
        "{:?}",
        rels(&db)
    );
    assert!(
        store
            .relations_of(&[eref("component:default/orders")], &[], None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        filtered(
            store,
            &["relations.ownedBy=group:default/team-a,kind=component"]
        )
        .await,
        ["web"]
    );
    assert_eq!(
        filtered(store, &["relations.ownerOf=component:default/orders"]).await,
        Vec::<String>::new()
    );
    let found = query(
        store,
        Query {
            text: Some("orders".into()),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(names(&found.items), ["orders-api", "orders-db"]);
    let facets = store
        .facets("spec.type", filter("kind=component").as_ref(), None)
        .await
        .unwrap();
    assert!(
        facets.contains(&FacetCount {
            value: "service".into(),
            count: 1
        }),
        "{facets:?}"
    );
}

async fn relations_both_ways_and_kept_current(store: &dyn Store) {
    commit(store, catalog()).await;
    let orders = get(store, "component:default/orders").await.unwrap();
    assert_eq!(
        rels(&orders),
        [
            "dependsOn resource:default/orders-db",
            "ownedBy group:default/team-a",
            "partOf system:default/shop",
            "providesApi api:default/orders-api",
        ]
    );
    let team_a = rels(&get(store, "group:default/team-a").await.unwrap());
    for r in [
        "hasMember user:default/jane",
        "ownerOf api:default/orders-api",
        "ownerOf component:default/orders",
        "ownerOf component:default/web",
        "ownerOf resource:default/orders-db",
        "ownerOf system:default/shop",
    ] {
        assert!(
            team_a.contains(&r.to_string()),
            "{r} missing from {team_a:?}"
        );
    }
    let db = rels(&get(store, "resource:default/orders-db").await.unwrap());
    assert!(
        db.contains(&"dependencyOf component:default/orders".to_string()),
        "{db:?}"
    );
    let api = rels(&get(store, "api:default/orders-api").await.unwrap());
    assert!(
        api.contains(&"apiProvidedBy component:default/orders".to_string()),
        "{api:?}"
    );

    // The target end changes (and now names the member itself): the rows
    // orders and jane produce stay, and the membership shows once.
    let mut cat = catalog();
    cat[0]["metadata"]["description"] = json!("The A team");
    cat[0]["spec"]["members"] = json!(["jane"]);
    commit(store, cat.clone()).await;
    let team_a = rels(&get(store, "group:default/team-a").await.unwrap());
    assert!(team_a.contains(&"ownerOf component:default/orders".to_string()));
    assert_eq!(
        team_a.iter().filter(|r| r.starts_with("hasMember")).count(),
        1,
        "{team_a:?}"
    );

    // The source end changes: ownership moves from team-a to team-b.
    cat[4]["spec"]["owner"] = json!("team-b");
    commit(store, cat).await;
    let team_a = rels(&get(store, "group:default/team-a").await.unwrap());
    assert!(
        !team_a.contains(&"ownerOf component:default/orders".to_string()),
        "{team_a:?}"
    );
    let team_b = rels(&get(store, "group:default/team-b").await.unwrap());
    assert!(
        team_b.contains(&"ownerOf component:default/orders".to_string()),
        "{team_b:?}"
    );
    assert_eq!(
        filtered(store, &["relations.ownedBy=group:default/team-b"]).await,
        ["orders", "pay_later", "payments"]
    );

    let rows = store
        .relations_of(
            &[
                eref("component:default/web"),
                eref("component:default/orders"),
            ],
            &["ownedBy"],
            None,
        )
        .await
        .unwrap();
    let rows: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {} {}", r.source, r.r#type, r.target))
        .collect();
    assert_eq!(
        rows,
        [
            "component:default/orders ownedBy group:default/team-b",
            "component:default/web ownedBy group:default/team-a",
        ]
    );
    let all = store
        .relations_of(&[eref("component:default/orders")], &[], None)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
}

async fn filter_strings(store: &dyn Store) {
    commit(store, catalog()).await;
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["kind=component"],
            &["orders", "pay_later", "payments", "web"],
        ),
        (
            &["Kind=Component,SPEC.TYPE=Service"],
            &["orders", "payments"],
        ),
        (
            &["kind=component,spec.type=website", "kind=API"],
            &["orders-api", "web"],
        ),
        (
            &["metadata.annotations.backstage.io/techdocs-ref"],
            &["orders"],
        ),
        (&["metadata.tags=JAVA"], &["orders", "payments"]),
        (
            &["relations.ownedBy=group:default/team-a,kind=component"],
            &["orders", "web"],
        ),
        (&["relations.ownerOf=component:default/orders"], &["team-a"]),
        (&["relations.hasMember"], &["team-a"]),
        (&["relations.memberof=Group:Default/Team-A"], &["jane"]),
        (
            &["kind=component,spec.lifecycle=production,spec.lifecycle=experimental"],
            &["orders", "payments", "web"],
        ),
        (&["spec.owner=TEAM-B"], &["pay_later", "payments"]),
        (&["metadata.namespace=default,kind=user"], &["jane"]),
        (&["metadata.name=nothing-like-this"], &[]),
        (&["spec.nothing"], &[]),
    ];
    for (f, expected) in cases {
        assert_eq!(filtered(store, f).await, *expected, "filter {f:?}");
    }
    assert_eq!(filtered(store, &[]).await.len(), 10);
}

async fn predicate_trees(store: &dyn Store) {
    commit(store, catalog()).await;
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"kind": "component", "spec.type": "service"}),
            &["orders", "payments"],
        ),
        (
            json!({"$any": [{"kind": "api"}, {"kind": "RESOURCE"}]}),
            &["orders-api", "orders-db"],
        ),
        (
            json!({"$all": [{"kind": "component"}, {"$not": {"spec.owner": "team-a"}}]}),
            &["pay_later", "payments"],
        ),
        (
            json!({"kind": "component", "metadata.tags": {"$exists": false}}),
            &["pay_later"],
        ),
        (
            json!({"metadata.tags": {"$exists": true}}),
            &["orders", "payments", "web"],
        ),
        (
            json!({"spec.type": {"$in": ["website", "LIBRARY", 7]}}),
            &["pay_later", "web"],
        ),
        (
            json!({"metadata.name": {"$hasPrefix": "pay_"}}),
            &["pay_later"],
        ),
        (
            json!({"metadata.name": {"$hasPrefix": "PAY"}}),
            &["pay_later", "payments"],
        ),
        (json!({"metadata.name": {"$hasPrefix": "%"}}), &[]),
        (
            json!({"metadata.description": {"$substring": "PAYMENT"}}),
            &["orders"],
        ),
        (
            json!({"metadata.description": {"$substring": "100%"}}),
            &["web"],
        ),
        (json!({"metadata.description": {"$substring": "%s"}}), &[]),
        (
            json!({"metadata.name": {"$substring": "_"}}),
            &["pay_later"],
        ),
        (
            json!({"metadata.tags": {"$contains": "java"}}),
            &["orders", "payments"],
        ),
        (
            json!({"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/team-b"}}}),
            &["pay_later", "payments"],
        ),
        (
            json!({"relations": {"$contains": {"type": "dependsOn"}}}),
            &["orders"],
        ),
        (
            json!({"relations.ownedBy": {"$in": ["group:default/team-b", "group:default/nobody"]}}),
            &["pay_later", "payments"],
        ),
        (
            json!({"$not": {"$any": [{"kind": "component"}, {"kind": "group"}]}}),
            &["orders-api", "orders-db", "shop", "jane"],
        ),
        (json!({"$any": []}), &[]),
        // Broad matches (SQLite then probes entities in key order; see query::sql::Drive).
        (
            json!({"$not": {"kind": "component"}}),
            &[
                "orders-api",
                "team-a",
                "team-b",
                "orders-db",
                "shop",
                "jane",
            ],
        ),
        (
            json!({"spec.owner": {"$substring": "TEAM"}}),
            &[
                "orders-api",
                "orders",
                "pay_later",
                "payments",
                "web",
                "orders-db",
                "shop",
            ],
        ),
        (
            json!({"relations.ownedBy": {"$hasPrefix": "group:default/team"}}),
            &[
                "orders-api",
                "orders",
                "pay_later",
                "payments",
                "web",
                "orders-db",
                "shop",
            ],
        ),
        (
            json!({"$all": [{"metadata.namespace": "default"}, {"$not": {"relations.partOf": "system:default/shop"}}]}),
            &[
                "pay_later",
                "payments",
                "web",
                "team-a",
                "team-b",
                "orders-db",
                "shop",
                "jane",
            ],
        ),
        (
            json!({"relations": {"$contains": {"type": "ownedBy", "targetRef": {"$in": ["group:default/team-a", "GROUP:default/team-b"]}}}}),
            &[
                "orders-api",
                "orders",
                "pay_later",
                "payments",
                "web",
                "orders-db",
                "shop",
            ],
        ),
    ];
    for (p, expected) in cases {
        let page = query(
            store,
            Query {
                filter: Some(parse_predicate(&p).expect("valid predicate")),
                limit: Some(100),
                ..Query::default()
            },
        )
        .await;
        assert_eq!(names(&page.items), expected, "predicate {p}");
        assert_eq!(page.total as usize, expected.len(), "predicate {p}");
        // The same matches one page at a time.
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = query(
                store,
                Query {
                    filter: Some(parse_predicate(&p).unwrap()),
                    limit: Some(1),
                    cursor,
                    ..Query::default()
                },
            )
            .await;
            paged.extend(names(&page.items));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(paged, expected, "predicate {p}, one per page");
    }
    let all = query(
        store,
        Query {
            filter: Some(parse_predicate(&json!({})).unwrap()),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(all.total, 10);
}

async fn ordering(store: &dyn Store) {
    commit(store, catalog()).await;
    let sorted = |filter_: &str, order: &[&str]| {
        let q = Query {
            filter: if filter_.is_empty() {
                None
            } else {
                filter(filter_)
            },
            order: orders(order),
            limit: Some(100),
            ..Query::default()
        };
        async move { names(&query(store, q).await.items) }
    };
    assert_eq!(
        sorted("kind=component", &["metadata.name"]).await,
        ["orders", "pay_later", "payments", "web"]
    );
    assert_eq!(
        sorted("kind=component", &["-metadata.name"]).await,
        ["web", "payments", "pay_later", "orders"]
    );
    // Missing values last in both directions; ties broken by ref.
    assert_eq!(
        sorted("", &["spec.lifecycle"]).await,
        [
            "pay_later",
            "web",
            "orders-api",
            "orders",
            "payments",
            "team-a",
            "team-b",
            "orders-db",
            "shop",
            "jane"
        ]
    );
    assert_eq!(
        sorted("", &["spec.lifecycle:desc"]).await,
        [
            "orders-api",
            "orders",
            "payments",
            "web",
            "pay_later",
            "team-a",
            "team-b",
            "orders-db",
            "shop",
            "jane"
        ]
    );
    assert_eq!(
        sorted("kind=component", &["spec.type", "-metadata.name"]).await,
        ["pay_later", "payments", "orders", "web"]
    );
    // Ordering by relations.
    assert_eq!(
        sorted("kind=component", &["-relations.ownedBy", "metadata.name"]).await,
        ["pay_later", "payments", "orders", "web"]
    );
}

async fn paging_with_cursors(store: &dyn Store) {
    let values: Vec<Value> = (0..57)
        .map(|i| {
            let ty = ["service", "website", "library"][i % 3];
            let mut spec = json!({"type": ty, "owner": format!("team-{}", i % 4)});
            if i % 5 != 0 {
                spec["lifecycle"] = json!(["production", "experimental"][i % 2]);
            }
            component(&format!("svc-{i:02}"), spec, json!({}))
        })
        .collect();
    commit(store, values).await;
    let variants: Vec<(Option<&str>, Vec<Order>)> = vec![
        (None, vec![]),
        (None, orders(&["-spec.lifecycle"])),
        (
            Some("spec.type=service,spec.type=library"),
            orders(&["metadata.name"]),
        ),
        (None, orders(&["spec.type", "-spec.lifecycle"])),
    ];
    for (f, order) in variants {
        let base = Query {
            filter: f.and_then(filter),
            order: order.clone(),
            ..Query::default()
        };
        let all = query(
            store,
            Query {
                limit: Some(1000),
                ..base.clone()
            },
        )
        .await;
        let mut paged = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = query(
                store,
                Query {
                    limit: Some(10),
                    cursor: cursor.clone(),
                    ..base.clone()
                },
            )
            .await;
            assert_eq!(page.total, all.total, "every page reports the total");
            assert!(page.items.len() <= 10);
            paged.extend(names(&page.items));
            pages += 1;
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
            assert!(pages < 20, "paging does not end");
        }
        assert_eq!(paged, names(&all.items), "filter {f:?} order {order:?}");
        assert_eq!(
            paged.iter().collect::<HashSet<_>>().len(),
            paged.len(),
            "no duplicates"
        );
        assert_eq!(pages, (all.total as usize).div_ceil(10).max(1));
    }

    // Keyset, not offsets: an entity added before the cursor shifts nothing.
    let first = query(
        store,
        Query {
            limit: Some(10),
            ..Query::default()
        },
    )
    .await;
    commit(
        store,
        vec![component(
            "aaa-new",
            json!({"type": "service", "owner": "x"}),
            json!({}),
        )],
    )
    .await;
    let second = query(
        store,
        Query {
            limit: Some(10),
            cursor: first.next_cursor.clone(),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(names(&second.items)[0], "svc-10");
    assert_eq!(second.total, 58);

    // A damaged cursor, or one from another query, is a clear error.
    let cursor = first.next_cursor.clone().unwrap();
    let mid = cursor.len() / 2;
    let flipped = if &cursor[mid..mid + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let damaged = format!("{}{}{}", &cursor[..mid], flipped, &cursor[mid + 1..]);
    for bad in [damaged.as_str(), "%%%", "eyJ2IjpbXX0"] {
        let err = store
            .query(&Query {
                limit: Some(10),
                cursor: Some(bad.into()),
                ..Query::default()
            })
            .await
            .unwrap_err();
        match err {
            Error::Invalid { diagnostics } => {
                assert_eq!(diagnostics[0].path, "cursor");
                assert!(
                    diagnostics[0].message.contains("damaged"),
                    "{}",
                    diagnostics[0].message
                );
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
    let err = store
        .query(&Query {
            filter: filter("kind=api"),
            cursor: Some(cursor),
            ..Query::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another filter"), "{err}");
}

async fn totals_and_limits(store: &dyn Store) {
    commit(store, catalog()).await;
    let page = query(
        store,
        Query {
            filter: filter("kind=component"),
            limit: Some(3),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.total, 4);
    assert!(page.next_cursor.is_some());
    let only_total = query(
        store,
        Query {
            filter: filter("kind=component"),
            limit: Some(0),
            ..Query::default()
        },
    )
    .await;
    assert!(only_total.items.is_empty() && only_total.next_cursor.is_none());
    assert_eq!(only_total.total, 4);
    let exact = query(
        store,
        Query {
            filter: filter("kind=component"),
            limit: Some(4),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(exact.items.len(), 4);
    assert!(
        exact.next_cursor.is_none(),
        "no cursor when nothing follows"
    );
    let default = query(store, Query::default()).await;
    assert_eq!(default.total, 10);
    assert_eq!(default.items.len(), 10);
}

async fn facets(store: &dyn Store) {
    commit(store, catalog()).await;
    let f = |pairs: &[(&str, u64)]| -> Vec<FacetCount> {
        pairs
            .iter()
            .map(|(v, c)| FacetCount {
                value: v.to_string(),
                count: *c,
            })
            .collect()
    };
    assert_eq!(
        store.facets("spec.type", None, None).await.unwrap(),
        f(&[
            ("service", 2),
            ("team", 2),
            ("database", 1),
            ("grpc", 1),
            ("library", 1),
            ("website", 1)
        ])
    );
    assert_eq!(
        store
            .facets("Spec.Type", filter("kind=component").as_ref(), None)
            .await
            .unwrap(),
        f(&[("service", 2), ("library", 1), ("website", 1)])
    );
    assert_eq!(
        store.facets("metadata.tags", None, None).await.unwrap(),
        f(&[("java", 2), ("grpc", 1), ("javascript", 1), ("react", 1)])
    );
    assert_eq!(
        store
            .facets("relations.ownedBy", filter("kind=component").as_ref(), None)
            .await
            .unwrap(),
        f(&[("group:default/team-a", 2), ("group:default/team-b", 2)])
    );
    assert!(
        store
            .facets("spec.nothing", None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn full_text_search(store: &dyn Store) {
    commit(store, catalog()).await;
    let search = |text: &str, f: Option<&str>| {
        let q = Query {
            text: Some(text.to_string()),
            filter: f.and_then(filter),
            limit: Some(100),
            ..Query::default()
        };
        async move { names(&query(store, q).await.items) }
    };
    // name (split at - and _), title, description and tags; every word as a prefix
    assert_eq!(
        search("pay", None).await,
        ["orders", "pay_later", "payments"]
    );
    assert_eq!(search("later", None).await, ["pay_later"]);
    assert_eq!(search("GATEWAY", None).await, ["payments"]);
    assert_eq!(search("orders payments", None).await, ["orders"]);
    assert_eq!(search("react", None).await, ["web"]);
    assert_eq!(search("shop front", None).await, ["web"]);
    assert_eq!(
        search("team", Some("kind=group")).await,
        ["team-a", "team-b"]
    );
    // Operators and quotes are just words: "or" is a prefix like any other.
    assert_eq!(search("pay*\" OR", None).await, ["orders"]);
    assert_eq!(
        search("\"pay\"", None).await,
        ["orders", "pay_later", "payments"]
    );
    assert_eq!(search("zzz", None).await, Vec::<String>::new());
    let everything = query(
        store,
        Query {
            text: Some(" - ".into()),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(everything.total, 10, "text without words does not filter");
    let counted = query(
        store,
        Query {
            text: Some("pay".into()),
            limit: Some(1),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(counted.total, 3);
}

async fn projection(store: &dyn Store) {
    commit(store, catalog()).await;
    let page = query(
        store,
        Query {
            filter: filter("kind=api"),
            fields: vec!["metadata.name".into(), "spec.owner".into()],
            ..Query::default()
        },
    )
    .await;
    assert_eq!(
        page.items,
        [json!({"metadata": {"name": "orders-api"}, "spec": {"owner": "team-a"}})]
    );
    let page = query(
        store,
        Query {
            filter: filter("metadata.name=orders,kind=component"),
            fields: vec![
                "kind".into(),
                "metadata.annotations.backstage.io/techdocs-ref".into(),
                "relations".into(),
            ],
            ..Query::default()
        },
    )
    .await;
    assert_eq!(page.items[0]["kind"], json!("Component"));
    assert_eq!(
        page.items[0]["metadata"],
        json!({"annotations": {"backstage.io/techdocs-ref": "dir:."}})
    );
    assert_eq!(page.items[0]["relations"].as_array().map(Vec::len), Some(4));
    assert_eq!(page.items[0].as_object().unwrap().len(), 3);
    // Whole entities carry uid, etag and relations.
    let whole = query(
        store,
        Query {
            filter: filter("kind=api"),
            ..Query::default()
        },
    )
    .await;
    assert!(whole.items[0]["metadata"]["uid"].is_string());
    assert!(whole.items[0]["metadata"]["etag"].is_string());
    assert_eq!(
        whole.items[0]["relations"][0],
        json!({"type": "apiProvidedBy", "targetRef": "component:default/orders"})
    );
}

async fn audit_chain_across_batches(store: &dyn Store) {
    commit(store, catalog()).await;
    let mut cat = catalog();
    cat[5]["metadata"]["description"] = json!("Charges cards and refunds");
    commit(store, cat.clone()).await;
    commit(store, cat).await; // unchanged: no records
    let etag = get(store, "component:default/payments")
        .await
        .unwrap()
        .metadata
        .etag;
    store
        .commit(batch(
            vec![delete("component:default/payments", etag.as_deref())],
            "other-origin",
        ))
        .await
        .unwrap();
    commit(store, vec![catalog()[5].clone()]).await;

    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let chunk = store.audit_records(after, 3).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        after = chunk.last().unwrap().seq;
        records.extend(chunk);
    }
    assert_eq!(records.len(), 13);
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=13).collect::<Vec<_>>()
    );
    let report = audit::verify(&records);
    assert!(report.broken.is_none(), "{report:?}");
    assert_eq!(report.checked, 13);
    assert_eq!(report.head.as_deref(), Some(records[12].hash.as_str()));

    let history = store
        .audit_for(&eref("COMPONENT:default/Payments"), 10)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        [
            "entity.create",
            "entity.delete",
            "entity.update",
            "entity.create"
        ]
    );
    assert_eq!(history[1].details["origin"], json!("other-origin"));
    assert_eq!(history[1].actor, "user:default/tester");
    assert_eq!(
        store
            .audit_for(&eref("component:default/payments"), 2)
            .await
            .unwrap()
            .len(),
        2
    );

    // Editing a stored record is detected by verification.
    let mut tampered = records.clone();
    tampered[4].details["etag"] = json!("forged");
    assert_eq!(audit::verify(&tampered).broken.map(|b| b.seq), Some(5));
}

/// Records read by action and by subject, and a batch refused because the
/// log already holds a record its guard names.
async fn audit_by_action_and_guards(store: &dyn Store) {
    let record = |action: &str, subject: &str| AuditOnly {
        action: action.into(),
        subject: subject.into(),
        details: json!({}),
        event: action.into(),
    };
    let guarded = |records: Vec<AuditOnly>| ChangeBatch {
        records,
        unless_recorded: Some(Guard {
            subject: "approval:abc".into(),
            actions: vec!["approval.applied".into(), "approval.rejected".into()],
            refusal: "approval abc was decided meanwhile".into(),
        }),
        ..batch(Vec::new(), "here")
    };
    for n in 0..3 {
        let subject = format!("approval:n{n}");
        store
            .commit(ChangeBatch {
                records: vec![record("approval.requested", &subject)],
                ..batch(Vec::new(), "here")
            })
            .await
            .unwrap();
    }
    store
        .commit(guarded(vec![record("approval.approved", "approval:abc")]))
        .await
        .expect("nothing decided yet: the guard lets it through");
    store
        .commit(guarded(vec![record("approval.applied", "Approval:ABC")]))
        .await
        .unwrap();
    let refused = store
        .commit(guarded(vec![record("approval.rejected", "approval:abc")]))
        .await
        .expect_err("decided: the guard refuses");
    assert_eq!(refused.code(), "VALIDATION");
    assert!(
        refused
            .to_string()
            .contains("approval abc was decided meanwhile (found approval.applied)"),
        "{refused}"
    );

    let requested = store
        .audit_by_action("approval.requested", None, 10)
        .await
        .unwrap();
    let subjects: Vec<&str> = requested.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(subjects, ["approval:n2", "approval:n1", "approval:n0"]);
    let older = store
        .audit_by_action("approval.requested", Some(requested[0].seq), 1)
        .await
        .unwrap();
    assert_eq!(older[0].subject, "approval:n1");
    let about: Vec<String> = store
        .audit_about("approval:abc", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(about, ["approval.applied", "approval.approved"]);
    let steps: Vec<(String, String)> = store
        .audit_about_many(
            &[
                "approval:abc".into(),
                "approval:n1".into(),
                "approval:none".into(),
            ],
            &["approval.approved", "approval.requested"],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.subject, r.action))
        .collect();
    assert_eq!(
        steps,
        [
            ("approval:n1".into(), "approval.requested".into()),
            ("approval:abc".into(), "approval.approved".into()),
        ]
    );
}

async fn events_match_audit_records(store: &dyn Store) {
    let created = commit(store, catalog()).await;
    let records = logged(store, &created).await;
    let events: Vec<_> = created.events().collect();
    assert_eq!(events.len(), records.len());
    assert_eq!(events.len(), 10);
    for (e, r) in events.iter().zip(&records) {
        assert_eq!(e.seq, r.seq);
        assert_eq!(e.subject, r.subject);
        assert_eq!(e.actor, r.actor);
        assert_eq!(e.at, r.at);
        assert_eq!(e.origin, "test");
        assert_eq!(e.kind, "entity.created");
        assert_eq!(e.etag.as_deref(), r.details["etag"].as_str());
    }
    let mut cat = catalog();
    cat[6]["spec"]["lifecycle"] = json!("production");
    let updated = commit(store, cat).await;
    let events: Vec<_> = updated.events().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "entity.updated");
    assert_eq!(events[0].subject, "component:default/web");
    assert_eq!(events[0].seq, 11);
    assert_eq!(updated.changes_logged(), 11..12);
    assert!(store.remote_events("test").await.is_ok());
}

/// The kept count of every location (`locations`, `location_size`) after
/// inserts, an update that moves an entity, a relocation of unchanged
/// content, an upsert with no location, and deletes: always the number of
/// entities the location provides, and a location that provides none is
/// gone.
async fn location_counts_follow_every_write(store: &dyn Store) {
    async fn write(store: &dyn Store, changes: Vec<crate::store::Change>) {
        store
            .commit(batch(changes, "test"))
            .await
            .expect("commit succeeds");
    }
    let at = |v: &Value, location: &str| crate::store::Change::Upsert {
        entity: Box::new(prepare(v.clone(), Some(location))),
        expected_etag: None,
    };
    let key = |v: &Value| {
        format!(
            "{}:default/{}",
            v["kind"].as_str().unwrap().to_lowercase(),
            v["metadata"]["name"].as_str().unwrap()
        )
    };
    async fn counts(store: &dyn Store, expected: &[(&str, u64)]) {
        let kept = store.locations().await.unwrap();
        let expected: Vec<(String, u64)> =
            expected.iter().map(|(l, n)| (l.to_string(), *n)).collect();
        assert_eq!(kept, expected);
        for (location, n) in &kept {
            assert_eq!(store.location_size(location).await.unwrap(), *n);
            let stored = store.entities_of_location(location).await.unwrap();
            assert_eq!(stored.len() as u64, *n, "{location}");
        }
    }
    let cat = catalog();
    let (a, b, c) = ("file:/a.yaml", "file:/b.yaml", "file:/c.yaml");
    write(
        store,
        cat.iter()
            .enumerate()
            .map(|(i, v)| at(v, if i < 5 { a } else { b }))
            .collect(),
    )
    .await;
    counts(store, &[(a, 5), (b, 5)]).await;
    // New content from another file: an update that moves it.
    let mut moved = cat[0].clone();
    moved["metadata"]["title"] = json!("Moved");
    write(store, vec![at(&moved, c)]).await;
    counts(store, &[(a, 4), (b, 5), (c, 1)]).await;
    // The same content from another file: only its location changes.
    write(store, vec![at(&cat[1], c)]).await;
    counts(store, &[(a, 3), (b, 5), (c, 2)]).await;
    // New content with no location keeps the one it has.
    let mut edited = cat[5].clone();
    edited["metadata"]["title"] = json!("Edited");
    write(store, vec![upsert(edited, None)]).await;
    counts(store, &[(a, 3), (b, 5), (c, 2)]).await;
    // Deletes, the last two of a location in one batch.
    write(store, vec![delete(&key(&cat[2]), None)]).await;
    counts(store, &[(a, 2), (b, 5), (c, 2)]).await;
    write(
        store,
        vec![delete(&key(&cat[0]), None), delete(&key(&cat[1]), None)],
    )
    .await;
    counts(store, &[(a, 2), (b, 5)]).await;
    assert_eq!(store.location_size(c).await.unwrap(), 0);
}

async fn locations_and_lookups(store: &dyn Store) {
    let cat = catalog();
    let located: Vec<_> = cat
        .iter()
        .enumerate()
        .map(|(i, v)| crate::store::Change::Upsert {
            entity: Box::new(prepare(
                v.clone(),
                Some(if i < 5 {
                    "file:/a.yaml"
                } else {
                    "file:/b.yaml"
                }),
            )),
            expected_etag: None,
        })
        .collect();
    let r = store.commit(batch(located, "test")).await.unwrap();
    assert_eq!(
        logged(store, &r).await[0].details["location"],
        json!("file:/a.yaml")
    );
    let a = store.entities_of_location("file:/a.yaml").await.unwrap();
    assert_eq!(
        a.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        [
            "component:default/orders",
            "group:default/team-a",
            "group:default/team-b",
            "system:default/shop",
            "user:default/jane"
        ]
    );
    assert!(
        store
            .entities_of_location("file:/none.yaml")
            .await
            .unwrap()
            .is_empty()
    );

    // Same content from another file: unchanged, but now belongs to that file.
    let moved = store
        .commit(batch(
            vec![crate::store::Change::Upsert {
                entity: Box::new(prepare(cat[4].clone(), Some("file:/b.yaml"))),
                expected_etag: None,
            }],
            "test",
        ))
        .await
        .unwrap();
    assert_eq!(moved.outcomes[0].1, Outcome::Unchanged);
    assert!(moved.changes_logged().is_empty());
    assert_eq!(
        store
            .entities_of_location("file:/b.yaml")
            .await
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        store.locations().await.unwrap(),
        [
            ("file:/a.yaml".to_string(), 4),
            ("file:/b.yaml".to_string(), 6)
        ]
    );
    assert_eq!(store.location_size("file:/b.yaml").await.unwrap(), 6);
    assert_eq!(store.location_size("file:/none.yaml").await.unwrap(), 0);
    // An upsert without a location keeps the one it has.
    let mut changed = cat[4].clone();
    changed["metadata"]["title"] = json!("Orders");
    commit(store, vec![changed]).await;
    assert_eq!(
        store
            .entities_of_location("file:/b.yaml")
            .await
            .unwrap()
            .len(),
        6
    );

    let existing = store
        .existing(&[
            eref("component:default/web"),
            eref("component:default/ghost"),
            eref("Group:default/TEAM-A"),
        ])
        .await
        .unwrap();
    assert_eq!(
        existing.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        ["component:default/web", "group:default/team-a"]
    );
    let many = store
        .get_many(&[
            eref("component:default/web"),
            eref("component:default/ghost"),
            eref("component:default/orders"),
        ])
        .await
        .unwrap();
    assert_eq!(
        many.iter()
            .map(|e| e.metadata.name.as_str())
            .collect::<Vec<_>>(),
        ["web", "orders"]
    );
    assert!(many.iter().all(|e| !e.relations.is_empty()));
}

/// A batch large enough for the stores' bulk path (bigger cache, fresh
/// planner statistics afterwards) behaves like any other.
/// 5,200 components: a batch large enough to be written as a bulk one.
fn bulk_values() -> Vec<Value> {
    (0..5200)
        .map(|i| {
            let spec = json!({"type": if i % 4 == 0 { "website" } else { "service" },
                              "owner": format!("team-{}", i % 50), "dependsOn": [format!("component:c-{}", (i + 1) % 5200)]});
            component(&format!("c-{i}"), spec, json!({"tags": [format!("t{}", i % 7)]}))
        })
        .collect()
}

async fn bulk_batches(store: &dyn Store) {
    let values = bulk_values();
    let first = commit(store, values.clone()).await;
    // More records than one chunk of the log: chained across chunks.
    let records = logged(store, &first).await;
    assert_eq!(records.len(), 5200);
    assert_eq!(first.events().count(), 5200);
    assert!(
        records
            .iter()
            .zip(first.events())
            .all(|(r, e)| r.seq == e.seq && r.subject == e.subject)
    );
    assert!(chain_holds(store).await);
    let again = commit(store, values).await;
    assert!(again.changes_logged().is_empty());
    assert_eq!(filtered(store, &["spec.owner=team-7"]).await.len(), 104);
    let c1 = get(store, "component:default/c-1").await.unwrap();
    assert!(
        rels(&c1).contains(&"dependencyOf component:default/c-0".to_string()),
        "{:?}",
        rels(&c1)
    );
    let broad = query(
        store,
        Query {
            filter: filter("kind=component,spec.type=service"),
            limit: Some(5),
            ..Query::default()
        },
    )
    .await;
    assert_eq!(broad.total, 3900);
    assert_eq!(
        names(&broad.items),
        ["c-1", "c-10", "c-1001", "c-1002", "c-1003"]
    );
    assert_eq!(
        store.facets("spec.type", None, None).await.unwrap(),
        [
            FacetCount {
                value: "service".into(),
                count: 3900
            },
            FacetCount {
                value: "website".into(),
                count: 1300
            }
        ]
    );
    let records = store.audit_records(0, 10_000).await.unwrap();
    assert!(audit::verify(&records).broken.is_none());
}

/// While a large batch commits, queries keep answering, and see all of it or none.
async fn readers_never_see_half_a_batch(store: &dyn Store) {
    commit(store, catalog()).await;
    let done = std::cell::Cell::new(false);
    let values: Vec<Value> = (0..6000)
        .map(|i| {
            component(
                &format!("bulk-{i}"),
                json!({"type": "service", "owner": "team-a"}),
                json!({}),
            )
        })
        .collect();
    let writer = async {
        commit(store, values).await;
        done.set(true);
    };
    let reader = async {
        let mut seen = HashSet::new();
        loop {
            let finished = done.get();
            let page = query(
                store,
                Query {
                    filter: filter("kind=component"),
                    limit: Some(1),
                    ..Query::default()
                },
            )
            .await;
            assert!(
                page.total == 4 || page.total == 6004,
                "saw {} components mid-commit",
                page.total
            );
            seen.insert(page.total);
            if finished {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        seen
    };
    let ((), seen) = futures::join!(writer, reader);
    assert!(seen.contains(&6004));
}

// ---------------------------------------------------------------- SQLite only

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_persists_and_keeps_one_chain_across_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        commit(&store, catalog()).await;
    }
    let a = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b = Arc::new(SqliteStore::open(&path).await.unwrap());
    assert_eq!(a.describe(), format!("sqlite:{}", path.display()));
    assert!(get(a.as_ref(), "component:default/orders").await.is_some());
    let mut tasks = Vec::new();
    for (i, store) in [a.clone(), b.clone(), a.clone(), b.clone()]
        .into_iter()
        .enumerate()
    {
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                let v = component(
                    &format!("w{i}-{j}"),
                    json!({"type": "service", "owner": "team-a"}),
                    json!({}),
                );
                commit(store.as_ref(), vec![v]).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(get(b.as_ref(), "component:default/w0-4").await.is_some());
    let records = a.audit_records(0, 1000).await.unwrap();
    assert_eq!(records.len(), 30);
    assert!(audit::verify(&records).broken.is_none());
}

/// A large batch into an empty SQLite store builds the index of filter
/// rows after its rows (see `commit_in_transaction`): once committed, or
/// rolled back, the schema is the migrated one, and a filter uses the index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_first_bulk_import_leaves_the_schema_as_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let index_sql = || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'search_key_value'",
                [],
                |r| r.get(0),
            )
            .ok();
        let plan: Vec<String> = conn
            .prepare("EXPLAIN QUERY PLAN SELECT entity_id FROM search WHERE key = 'spec.owner' AND value = 'team-7'")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (sql, plan.join("; "))
    };
    let migrated = index_sql();
    assert_eq!(
        migrated.0.as_deref(),
        Some(crate::store::migrations::SQLITE_SEARCH_KEY_VALUE)
    );
    assert!(migrated.1.contains("search_key_value"), "{}", migrated.1);

    // Rolled back (a stale etag among the 5,201): the index is there.
    let mut changes: Vec<_> = bulk_values().into_iter().map(|v| upsert(v, None)).collect();
    changes.push(upsert(
        component(
            "late",
            json!({"type": "service", "owner": "team-a"}),
            json!({}),
        ),
        Some("stale"),
    ));
    assert!(store.commit(batch(changes, "test")).await.is_err());
    assert_eq!(index_sql(), migrated);
    assert_eq!(filtered(&store, &["spec.owner=team-7"]).await.len(), 0);

    // Committed: the same index, and the filter finds the rows through it.
    commit(&store, bulk_values()).await;
    assert_eq!(index_sql(), migrated);
    assert_eq!(filtered(&store, &["spec.owner=team-7"]).await.len(), 104);
}

#[tokio::test]
async fn sqlite_new_files_get_larger_pages_and_old_files_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let page_size = |path: &std::path::Path| -> i64 {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    let new = dir.path().join("new.db");
    let store = SqliteStore::open(&new).await.unwrap();
    commit(
        &store,
        vec![component("fresh", json!({"owner": "team-a"}), json!({}))],
    )
    .await;
    assert_eq!(page_size(&new), 8192);

    // A file written before (4 KiB pages, something in it already) opens,
    // migrates and works with the pages it has.
    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch(
            "PRAGMA page_size = 4096; CREATE TABLE before (x); INSERT INTO before VALUES (1);",
        )
        .unwrap();
    let store = SqliteStore::open(&old).await.unwrap();
    commit(&store, bulk_values()).await;
    assert_eq!(page_size(&old), 4096);
    assert_eq!(filtered(&store, &["spec.owner=team-7"]).await.len(), 104);
}

#[tokio::test]
async fn sqlite_search_splits_words_where_search_does_on_every_path() {
    // Search's words are runs of what Rust counts as letters and digits, and
    // `ⓐ` is one: "xⓐy" is one word, which "x y" does not contain.
    assert!('ⓐ'.is_alphanumeric());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let titled = |name: String, title: &str| {
        component(&name, json!({"owner": "team-a"}), json!({"title": title}))
    };
    let mut entities: Vec<Value> = (0..8)
        .map(|i| titled(format!("circled-{i}"), "xⓐy"))
        .collect();
    entities.extend((0..2).map(|i| titled(format!("spaced-{i}"), "x y")));
    commit(&store, entities).await;
    let search = |text: &str, limit: usize| Query {
        text: Some(text.into()),
        limit: Some(limit),
        ..Query::default()
    };
    let circled: Vec<String> = (0..8)
        .map(|i| format!("component:default/circled-{i}"))
        .collect();
    // A page of 2 among 8 matches of 10 entities probes each entity's own
    // document; a page of 100 lists the index's matches: the same entities,
    // and the total the index counts.
    for limit in [2, 100] {
        let (got, total) = read_path::all_pages(&store, search("xⓐy", limit)).await;
        assert_eq!(got, circled, "limit {limit}");
        assert_eq!(total, 8, "limit {limit}");
        let (got, total) = read_path::all_pages(&store, search("X", limit)).await;
        assert_eq!((got.len(), total), (10, 10), "limit {limit}");
    }

    // A store whose index split at `ⓐ` (before migration 9) counted the
    // spaced titles too; opened, it is rebuilt and counts what it lists.
    drop(store);
    let old_count = {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE kept AS SELECT rowid AS id, doc FROM entities_fts;
             DROP TABLE entities_fts;
             CREATE VIRTUAL TABLE entities_fts USING fts5 (doc, tokenize = 'unicode61 remove_diacritics 0');
             INSERT INTO entities_fts (rowid, doc) SELECT id, doc FROM kept;
             DROP TABLE kept;
             DROP TABLE fts_words;
             UPDATE schema_version SET version = 8;",
        )
        .unwrap();
        c.query_row(
            "SELECT count(*) FROM entities_fts WHERE entities_fts MATCH '\"xⓐy\"*'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    assert_eq!(old_count, 10, "the old tokenizer split the word");
    let store = SqliteStore::open(&path).await.unwrap();
    for limit in [2, 100] {
        let (got, total) = read_path::all_pages(&store, search("xⓐy", limit)).await;
        assert_eq!((got, total), (circled.clone(), 8), "limit {limit}");
    }

    // A prefix is spelled out as the index's words it begins (`fts_words`,
    // filled by migration 10 here): a word whose last document changed or
    // went stays in that list and matches nothing.
    commit(&store, vec![titled("spaced-0".into(), "zebra crossing")]).await;
    let found = |text: &str| {
        let q = search(text, 100);
        let store = &store;
        async move {
            let (got, total) = read_path::all_pages(store, q).await;
            (got.len(), total)
        }
    };
    assert_eq!(found("zeb cross").await, (1, 1));
    commit(&store, vec![titled("spaced-0".into(), "zebra")]).await;
    assert_eq!(found("cross").await, (0, 0));
    assert_eq!(found("zeb").await, (1, 1));
    store
        .commit(batch(
            vec![delete("component:default/spaced-0", None)],
            "test",
        ))
        .await
        .unwrap();
    assert_eq!(found("zeb").await, (0, 0));
    assert_eq!(found("xⓐ").await, (8, 8));
}

#[tokio::test]
async fn sqlite_bad_paths_get_errors_that_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, "this is not a database\n".repeat(40)).unwrap();

    let err = SqliteStore::open(&file.join("paved.db")).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Store { .. }));
    assert!(
        msg.contains("cannot create the directory") && msg.contains("plain.txt"),
        "{msg}"
    );

    let msg = SqliteStore::open(&file).await.unwrap_err().to_string();
    assert!(
        msg.contains("not a SQLite database") && msg.contains("plain.txt"),
        "{msg}"
    );

    let msg = SqliteStore::open(dir.path()).await.unwrap_err().to_string();
    assert!(msg.contains("is a directory"), "{msg}");
}

#[tokio::test]
async fn sqlite_has_no_remote_events() {
    let store = SqliteStore::memory().await.unwrap();
    assert!(store.remote_events("x").await.unwrap().is_none());
    assert_eq!(store.describe(), "sqlite::memory:");
}

// ------------------------------------------------------------ PostgreSQL only

#[tokio::test]
async fn postgres_down_is_a_clear_error() {
    let err = PostgresStore::connect("postgres://postgres@127.0.0.1:5499/x")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Store { .. }));
    assert!(
        msg.contains("cannot connect to PostgreSQL at 127.0.0.1:5499/x: connection refused — is the server running?"),
        "{msg}"
    );
    let err = PostgresStore::connect("postgres://[bad").await.unwrap_err();
    assert!(err.to_string().contains("invalid PostgreSQL URL"), "{err}");
}

#[tokio::test]
async fn postgres_missing_database_is_named() {
    let url = format!("{}/paved_no_such_db_{}", pg_base(), std::process::id());
    let msg = PostgresStore::connect(&url).await.unwrap_err().to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("paved_no_such_db"),
        "{msg}"
    );
    assert!(!msg.contains("is the server running"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_writers_keep_one_chain_and_etags() {
    let db = PgTestDb::create().await;
    // Two pools, as two processes would have.
    let a = Arc::new(PostgresStore::connect(&db.url()).await.unwrap());
    let b = Arc::new(PostgresStore::connect(&db.url()).await.unwrap());
    commit(a.as_ref(), catalog()).await;

    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut written = 0;
            for j in 0..8 {
                let mut batch_ = (0..3)
                    .map(|k| {
                        component(
                            &format!("c{i}-{j}-{k}"),
                            json!({"type": "service", "owner": "team-a"}),
                            json!({}),
                        )
                    })
                    .collect::<Vec<_>>();
                // Everyone also rewrites one shared entity (no etag: last writer wins).
                let mut shared = catalog()[6].clone();
                shared["metadata"]["description"] = json!(format!("written by {i}-{j}"));
                batch_.push(shared);
                let r = commit(store.as_ref(), batch_).await;
                written += r.changed();
            }
            written
        }));
    }
    let mut written = 10;
    for t in tasks {
        written += t.await.unwrap();
    }
    let records = a.audit_records(0, 10_000).await.unwrap();
    assert_eq!(records.len(), written);
    let report = audit::verify(&records);
    assert!(report.broken.is_none(), "{report:?}");

    // Optimistic concurrency: of many writers holding the same etag, one wins.
    let etag = get(a.as_ref(), "component:default/orders")
        .await
        .unwrap()
        .metadata
        .etag
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let etag = etag.clone();
        tasks.push(tokio::spawn(async move {
            let mut v = catalog()[4].clone();
            v["metadata"]["description"] = json!(format!("attempt {i}"));
            store
                .commit(batch(vec![upsert(v, Some(&etag))], "test"))
                .await
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                assert_eq!(r.outcomes[0].1, Outcome::Updated);
                wins += 1;
            }
            Err(Error::Conflict {
                expected, found, ..
            }) => {
                assert_eq!(expected, etag);
                assert_ne!(found.as_deref(), Some(etag.as_str()));
                conflicts += 1;
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!((wins, conflicts), (1, 7));
    let records = b.audit_records(0, 10_000).await.unwrap();
    assert_eq!(records.len(), written + 1);
    assert!(audit::verify(&records).broken.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_see_each_others_writes_and_events() {
    let db = PgTestDb::create().await;
    let a = PostgresStore::connect(&db.url()).await.unwrap();
    let b = PostgresStore::connect(&db.url()).await.unwrap();
    let mut events = b
        .remote_events("proc-b")
        .await
        .unwrap()
        .expect("PostgreSQL shares events");

    // b's own write is not echoed back to b.
    b.commit(batch(vec![upsert(catalog()[0].clone(), None)], "proc-b"))
        .await
        .unwrap();
    a.commit(batch(
        vec![
            upsert(catalog()[4].clone(), None),
            upsert(catalog()[5].clone(), None),
        ],
        "proc-a",
    ))
    .await
    .unwrap();

    assert!(get(&b, "component:default/orders").await.is_some());
    assert!(get(&a, "group:default/team-a").await.is_some());
    let orders = get(&b, "component:default/orders").await.unwrap();
    assert!(rels(&orders).contains(&"ownedBy group:default/team-a".to_string()));

    let mut seen = Vec::new();
    for _ in 0..2 {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event from the other instance arrives")
            .expect("the event stream is open");
        seen.push(e);
    }
    assert!(
        seen.iter()
            .all(|e| e.origin == "proc-a" && e.kind == "entity.created"),
        "{seen:?}"
    );
    assert_eq!(
        seen.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(),
        ["component:default/orders", "component:default/payments"]
    );
    assert_eq!(seen.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    // And a's own stream sees b's writes.
    let mut a_events = a.remote_events("proc-a").await.unwrap().unwrap();
    b.commit(batch(vec![upsert(catalog()[1].clone(), None)], "proc-b"))
        .await
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(10), a_events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.origin.as_str(), e.subject.as_str()),
        ("proc-b", "group:default/team-b")
    );
}

mod resources;
mod runs;
