//! The read path at scale, in miniature: pages that walk an ordering
//! field's index and pages that sort their matches must give the same order
//! (checked against an order computed here), and facet counts kept by the
//! commit must equal counts computed from the entities, after creates,
//! updates and deletes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::common::*;
use super::{filter, orders, query};
use crate::query::{Direction, FacetCount, Order, Predicate, Query};
use crate::store::Store;

const OWNERS: [&str; 5] = ["team-0", "team-1", "team-2", "team-3", "team-4"];
const LIFECYCLES: [&str; 3] = ["production", "Experimental", "deprecated"];
const TAGS: [&str; 4] = ["java", "go", "rust", "kafka"];

/// 120 components and 40 APIs with overlapping, missing and repeated
/// values; names in either case and with each separator (`-`, `_`, `.`:
/// bytewise they sort apart from where a language's collation puts them),
/// some in another namespace.
fn entities(round: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..160 {
        let kind = if i % 4 == 3 { "API" } else { "Component" };
        let n = (i * 37) % 160;
        let name = match i % 9 {
            1 => format!("e_{n:03}"),
            5 => format!("e.{n:03}"),
            2 | 7 => format!("E-{n:03}"),
            _ => format!("e-{n:03}"),
        };
        let mut md = json!({ "name": name });
        if i % 6 == 4 {
            md["namespace"] = json!("ops");
        }
        if i % 3 != 0 {
            // Titles repeat, so ties are broken by ref.
            md["title"] = json!(format!("Title {}", (i + round) % 7));
        }
        if i % 5 != 0 {
            let tags: Vec<&str> = (0..(i % 3) + 1)
                .map(|t| TAGS[(i + t * (round + 1)) % TAGS.len()])
                .collect();
            md["tags"] = json!(tags);
        }
        let mut spec = json!({
            "type": if (i + round).is_multiple_of(2) { "service" } else { "library" },
            "owner": OWNERS[(i + round) % OWNERS.len()],
        });
        if i % 4 != 1 {
            spec["lifecycle"] = json!(LIFECYCLES[(i / 2 + round) % 3]);
        }
        if kind == "API" {
            spec["definition"] = json!("openapi: 3.0.0");
        }
        if i % 2 == 0 {
            let tier = ["gold", "silver", "bronze"][(i / 2 + round) % 3];
            md["labels"] = json!({ "tier": tier });
        }
        out.push(json!({"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": md, "spec": spec}));
    }
    out
}

/// `entities(round)` as the store holds them after `round`: entity 7n deleted.
fn live(round: usize) -> Vec<Value> {
    let all = entities(round);
    if round == 0 {
        return all;
    }
    all.into_iter()
        .enumerate()
        .filter(|(i, _)| i % 7 != 0)
        .map(|(_, e)| e)
        .collect()
}

fn key_of(e: &Value) -> String {
    format!(
        "{}:{}/{}",
        e["kind"].as_str().unwrap(),
        e["metadata"]["namespace"].as_str().unwrap_or("default"),
        e["metadata"]["name"].as_str().unwrap()
    )
    .to_lowercase()
}

/// Every lower-cased value of a dotted field.
fn values(e: &Value, field: &str) -> Vec<String> {
    if field == "metadata.namespace" && e["metadata"]["namespace"].is_null() {
        return vec!["default".to_string()];
    }
    let mut v = e;
    for part in field.split('.') {
        v = &v[part];
    }
    match v {
        Value::String(s) => vec![s.to_lowercase()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => Vec::new(),
    }
}

/// The order the stores promise: each field's smallest value, missing
/// last in either direction, then the ref.
fn expected(entities: &[Value], order: &[Order], keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut rows: Vec<(Vec<Option<String>>, String)> = entities
        .iter()
        .filter(|e| keep(e))
        .map(|e| {
            let sort = order
                .iter()
                .map(|o| values(e, &o.field).into_iter().min())
                .collect();
            (sort, key_of(e))
        })
        .collect();
    rows.sort_by(|(a, ka), (b, kb)| {
        for (i, o) in order.iter().enumerate() {
            let c = match (&a[i], &b[i]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => match o.direction {
                    Direction::Asc => x.cmp(y),
                    Direction::Desc => y.cmp(x),
                },
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        ka.cmp(kb)
    });
    rows.into_iter().map(|(_, k)| k).collect()
}

/// Which stored entities a filter keeps.
type Keep = fn(&Value) -> bool;

/// Every page of a query, by cursor, as entity keys.
pub(super) async fn all_pages(store: &dyn Store, mut q: Query) -> (Vec<String>, u64) {
    let mut keys = Vec::new();
    let mut total = None;
    loop {
        let page = query(store, q.clone()).await;
        assert!(
            total.is_none_or(|t| t == page.total),
            "the total is the same on every page"
        );
        total = Some(page.total);
        keys.extend(page.items.iter().map(key_of));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
        assert!(keys.len() <= 1000, "paging ends");
    }
    (keys, total.unwrap_or(0))
}

pub(super) async fn walked_and_sorted_pages_agree(store: &dyn Store) {
    commit(store, entities(0)).await;
    let stored = live(0);
    let orderings: &[&[&str]] = &[
        &["metadata.name"],
        &["-metadata.name"],
        &["metadata.title"],
        &["-metadata.title"],
        &["metadata.tags"],
        &["-metadata.tags"],
        &["spec.lifecycle", "-metadata.name"],
        &["-spec.lifecycle", "metadata.title"],
        &["spec.owner", "metadata.tags"],
        // Read from the entity's own row, not looked up (`sql::entity_column`).
        &["kind", "metadata.name"],
        &["-kind", "-metadata.name"],
        &["metadata.namespace", "-metadata.name"],
        &["spec.type", "kind"],
    ];
    // No filter and a broad one walk the index; a selective one sorts.
    let filters: &[(&str, Keep)] = &[
        ("", |_| true),
        ("kind=component", |e| e["kind"] == "Component"),
        ("spec.owner=team-1", |e| e["spec"]["owner"] == "team-1"),
        ("spec.owner=team-1,metadata.tags=go", |e| {
            e["spec"]["owner"] == "team-1" && values(e, "metadata.tags").contains(&"go".into())
        }),
    ];
    for order in orderings {
        for (f, keep) in filters {
            for limit in [7, 50] {
                let q = Query {
                    filter: if f.is_empty() { None } else { filter(f) },
                    order: orders(order),
                    limit: Some(limit),
                    ..Query::default()
                };
                let want = expected(&stored, &orders(order), keep);
                let (got, total) = all_pages(store, q).await;
                assert_eq!(got, want, "order {order:?}, filter {f:?}, limit {limit}");
                assert_eq!(total as usize, want.len(), "total of {f:?}");
            }
        }
    }
    // Full-text search with an order: the matches only.
    let q = Query {
        text: Some("e-01".into()),
        order: orders(&["-metadata.title"]),
        limit: Some(3),
        ..Query::default()
    };
    let (got, _) = all_pages(store, q).await;
    let want = expected(&stored, &orders(&["-metadata.title"]), |e| {
        words_of_name(e).starts_with("e-01")
    });
    assert_eq!(got, want);
    // Full-text search matching most entities, in key order: the page walks
    // the entities and looks each up in the matches, and the total is
    // counted in the full-text index alone. "e-0" is the words "e" (every
    // name) and "0" as prefixes: names e-000 to e-099, and "Title 0".
    let q = Query {
        text: Some("e-0".into()),
        limit: Some(7),
        ..Query::default()
    };
    let (got, total) = all_pages(store, q).await;
    let want = expected(&stored, &[], |e| {
        words_of_name(e).starts_with("e-0") || e["metadata"]["title"] == "Title 0"
    });
    assert!(want.len() > 100, "most entities match: {}", want.len());
    assert_eq!(got, want);
    assert_eq!(total as usize, want.len());
}

/// An entity's name as full-text search sees its words: lower-cased, `-`
/// for every separator (`E_012` is the words `e` and `012`).
fn words_of_name(e: &Value) -> String {
    e["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .replace(['_', '.'], "-")
}

/// Facet counts computed here from the entities.
fn counted(entities: &[Value], field: &str, kind: Option<&str>) -> Vec<FacetCount> {
    counted_where(entities, field, |e| {
        kind.is_none_or(|k| e["kind"].as_str().unwrap().eq_ignore_ascii_case(k))
    })
}

/// Facet counts computed here from the entities `keep` keeps.
fn counted_where(
    entities: &[Value],
    field: &str,
    keep: impl Fn(&Value) -> bool,
) -> Vec<FacetCount> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in entities {
        if !keep(e) {
            continue;
        }
        let mut vs = match field {
            // An owner's ref is in its entity's namespace.
            "relations.ownedBy" => values(e, "spec.owner")
                .into_iter()
                .map(|o| format!("group:{}/{o}", values(e, "metadata.namespace")[0]))
                .collect(),
            _ => values(e, field),
        };
        vs.sort();
        vs.dedup();
        for v in vs {
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut out: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    out
}

/// The kept fields, as a caller may spell them.
const KEPT_FIELDS: [&str; 7] = [
    "kind",
    "spec.type",
    "Spec.Owner",
    "spec.lifecycle",
    "metadata.tags",
    "metadata.namespace",
    "relations.ownedBy",
];

/// A kept field as [`counted`] names it.
fn counted_name(field: &str) -> String {
    if field == "relations.ownedBy" {
        field.to_string()
    } else {
        field.to_lowercase()
    }
}

/// Round 0 creates; round 1 changes every entity and deletes one in seven
/// (leaving [`live`]); round 2 brings the deleted back (with new ids).
async fn write_round(store: &dyn Store, round: usize) {
    match round {
        0 => {
            commit(store, entities(0)).await;
        }
        1 => {
            commit(store, entities(1)).await;
            let gone: Vec<_> = entities(1)
                .iter()
                .step_by(7)
                .map(|e| delete(&key_of(e), None))
                .collect();
            store
                .commit(batch(gone, "test"))
                .await
                .expect("deletes commit");
        }
        _ => {
            commit(store, entities(1)).await;
        }
    }
}

pub(super) async fn kept_facets_match_counted_ones(store: &dyn Store) {
    for round in 0..2 {
        write_round(store, round).await;
        let stored = live(round);
        // Re-importing the same entities changes nothing.
        commit(store, stored.clone()).await;
        for field in KEPT_FIELDS {
            let f = counted_name(field);
            let f = f.as_str();
            let all = store.facets(field, None, None).await.unwrap();
            assert_eq!(all, counted(&stored, f, None), "{field}, round {round}");
            let components = store
                .facets(field, filter("kind=component").as_ref(), None)
                .await
                .unwrap();
            assert_eq!(
                components,
                counted(&stored, f, Some("component")),
                "{field} of components, round {round}"
            );
            // The same counts computed from the indexes (a filter that is
            // not one kind) agree with the kept ones.
            let everything = Predicate::Exists {
                key: "metadata.name".into(),
                exists: true,
            };
            assert_eq!(
                store.facets(field, Some(&everything), None).await.unwrap(),
                all,
                "{field} computed, round {round}"
            );
            // A limit keeps the most frequent: the front of the whole list,
            // kept (no filter, one kind) or computed.
            for (under, whole) in [
                (None, &all),
                (filter("kind=component"), &components),
                (Some(everything), &all),
            ] {
                assert_eq!(
                    store.facets(field, under.as_ref(), Some(2)).await.unwrap(),
                    whole[..whole.len().min(2)],
                    "{field} under {under:?}, limit 2, round {round}"
                );
            }
        }
    }
}

fn has(e: &Value, field: &str, value: &str) -> bool {
    values(e, field).iter().any(|v| v == value)
}

fn eq(key: &str, value: &str) -> Predicate {
    Predicate::Eq {
        key: key.into(),
        value: value.into(),
    }
}

/// Filters of several kept fields and labels (what `store::facet_bits`
/// answers), each with the entities it keeps, computed here.
fn kept_field_filters() -> Vec<(Predicate, Keep)> {
    vec![
        (
            filter("spec.type=service,spec.lifecycle=Production").unwrap(),
            |e| has(e, "spec.type", "service") && has(e, "spec.lifecycle", "production"),
        ),
        (filter("kind=component,metadata.tags=java").unwrap(), |e| {
            has(e, "kind", "component") && has(e, "metadata.tags", "java")
        }),
        (
            Predicate::All(vec![
                Predicate::In {
                    key: "spec.lifecycle".into(),
                    values: vec!["production".into(), "Deprecated".into()],
                },
                Predicate::Not(Box::new(eq("Spec.Owner", "team-1"))),
            ]),
            |e| {
                (has(e, "spec.lifecycle", "production") || has(e, "spec.lifecycle", "deprecated"))
                    && !has(e, "spec.owner", "team-1")
            },
        ),
        (
            Predicate::Any(vec![
                eq("metadata.tags", "go"),
                eq("relations.ownedBy", "group:default/team-2"),
            ]),
            |e| {
                has(e, "metadata.tags", "go")
                    || (has(e, "spec.owner", "team-2") && has(e, "metadata.namespace", "default"))
            },
        ),
        // Labels are sets too; an entity without the label is not gold.
        (
            filter("kind=component,metadata.labels.Tier=Gold").unwrap(),
            |e| has(e, "kind", "component") && has(e, "metadata.labels.tier", "gold"),
        ),
        (
            Predicate::All(vec![
                eq("spec.type", "service"),
                Predicate::Not(Box::new(eq("metadata.labels.tier", "gold"))),
            ]),
            |e| has(e, "spec.type", "service") && !has(e, "metadata.labels.tier", "gold"),
        ),
    ]
}

/// Facets and totals under filters of several kept fields equal counts
/// computed from the entities, after creates, updates and deletes made by
/// `writer`: the same store, or another one on the same database (another
/// process), whose commits `reader` learns of from the audit log.
pub(super) async fn filtered_facets_follow_every_writer(reader: &dyn Store, writer: &dyn Store) {
    for round in 0..3 {
        write_round(writer, round).await;
        let stored = if round == 2 { entities(1) } else { live(round) };
        for (f, keep) in kept_field_filters() {
            for field in KEPT_FIELDS {
                let counted = counted_where(&stored, &counted_name(field), keep);
                assert_eq!(
                    reader.facets(field, Some(&f), None).await.unwrap(),
                    counted,
                    "{field} under {f:?}, round {round}"
                );
                assert_eq!(
                    reader.facets(field, Some(&f), Some(1)).await.unwrap(),
                    counted[..counted.len().min(1)],
                    "{field} under {f:?}, limit 1, round {round}"
                );
            }
            let q = Query {
                filter: Some(f.clone()),
                limit: Some(5),
                ..Query::default()
            };
            let page = query(reader, q).await;
            let want = stored.iter().filter(|e| keep(e)).count() as u64;
            assert_eq!(page.total, want, "total under {f:?}, round {round}");
            assert_eq!(page.items.len() as u64, want.min(5));
        }
    }
}

/// Every kept field's counts, over all entities and over components.
async fn kept_counts(store: &dyn Store) -> Vec<Vec<FacetCount>> {
    let mut out = Vec::new();
    for field in crate::store::facets::FIELDS {
        out.push(store.facets(field, None, None).await.unwrap());
        out.push(
            store
                .facets(field, filter("kind=component").as_ref(), None)
                .await
                .unwrap(),
        );
    }
    out
}

/// Creates, changes and deletes, as `kept_facets_match_counted_ones` does.
async fn write_rounds(store: &dyn Store) {
    write_round(store, 0).await;
    write_round(store, 1).await;
}

/// A SQLite store on the file `path` (another process, when opened twice).
async fn sqlite_at(path: &std::path::Path) -> crate::store::sqlite::SqliteStore {
    crate::store::sqlite::SqliteStore::open(path).await.unwrap()
}

const REFILL: &str = concat!(
    "DELETE FROM facet_counts;",
    crate::store::facets::facet_fill!()
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migration_fills_the_counts_commits_keep() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let store = sqlite_at(&path).await;
    write_rounds(&store).await;
    let kept = kept_counts(&store).await;
    assert!(kept.iter().all(|c| !c.is_empty()), "{kept:?}");
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(REFILL)
        .unwrap();
    let store = sqlite_at(&path).await;
    assert_eq!(kept_counts(&store).await, kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_fills_the_counts_commits_keep() {
    let db = PgTestDb::create().await;
    let store = crate::store::postgres::PostgresStore::connect(&db.url())
        .await
        .unwrap();
    write_rounds(&store).await;
    let kept = kept_counts(&store).await;
    assert!(kept.iter().all(|c| !c.is_empty()), "{kept:?}");
    let (client, conn) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.batch_execute(REFILL).await.unwrap();
    assert_eq!(kept_counts(&store).await, kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_facet_sets_follow_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let reader = sqlite_at(&path).await;
    let writer = sqlite_at(&path).await;
    filtered_facets_follow_every_writer(&reader, &writer).await;
    // The answers came from the sets (built by the reader only).
    let all = Predicate::All(vec![]);
    let built =
        |b: Option<&crate::store::facet_bits::Bits>| b.is_some_and(|b| b.matches(&all).is_some());
    assert!(built(reader.bits.lock().unwrap().as_ref()));
    assert!(writer.bits.lock().unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_facet_sets_follow_another_process() {
    let db = PgTestDb::create().await;
    let reader = crate::store::postgres::PostgresStore::connect(&db.url())
        .await
        .unwrap();
    let writer = crate::store::postgres::PostgresStore::connect(&db.url())
        .await
        .unwrap();
    filtered_facets_follow_every_writer(&reader, &writer).await;
    let all = Predicate::All(vec![]);
    let built =
        |b: Option<&crate::store::facet_bits::Bits>| b.is_some_and(|b| b.matches(&all).is_some());
    assert!(built(reader.bits.lock().await.as_ref()));
    assert!(writer.bits.lock().await.is_none());
}
