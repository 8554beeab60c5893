//! Traversals that stop at their limit: the entities and relations a
//! limited traversal returns are the first a whole one reaches, and it says
//! whether it stopped short, including when a level's first rows all lead
//! back to entities already reached (the level is then read whole).

use serde_json::json;

use super::common::*;
use crate::Error;
use crate::graph::{Graph, Traversal, traverse};
use crate::store::Store;

const TEAM: &str = "group:default/team-big";
const OWNED: usize = 150;

/// A team and the 150 components it owns (`c-000` … `c-149`).
async fn write_team(store: &dyn Store) {
    let mut values = vec![json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "team-big"},
        "spec": {"type": "team", "children": []},
    })];
    values.extend((0..OWNED).map(|i| {
        component(
            &format!("c-{i:03}"),
            json!({"type": "service", "lifecycle": "production", "owner": "team-big"}),
            json!({}),
        )
    }));
    commit(store, values).await;
}

async fn walk(store: &dyn Store, traversal: Traversal, depth: usize, limit: usize) -> Graph {
    traverse(store, &eref(TEAM), traversal, depth, limit)
        .await
        .expect("the traversal runs")
}

fn node_refs(g: &Graph) -> Vec<String> {
    g.nodes.iter().map(|n| n.entity_ref.clone()).collect()
}

fn component_refs(range: std::ops::Range<usize>) -> Vec<String> {
    range
        .map(|i| format!("component:default/c-{i:03}"))
        .collect()
}

pub(super) async fn graph_stops_at_its_limit(store: &dyn Store) {
    write_team(store).await;

    // The store reads at most the rows asked for, the first in its order.
    let rows = store
        .relations_of(&[eref(TEAM)], &["ownerOf"], Some(5))
        .await
        .unwrap();
    let targets: Vec<String> = rows.iter().map(|r| r.target.to_string()).collect();
    assert_eq!(targets, component_refs(0..5));

    // Room for everything: all of it, not truncated.
    let whole = walk(store, Traversal::Owned, 1, 1000).await;
    assert_eq!(whole.nodes.len(), OWNED + 1);
    assert_eq!(whole.edges.len(), OWNED);
    assert!(!whole.truncated);
    assert_eq!(whole.limit, 1000);

    // Exactly enough room: the same, not truncated.
    let exact = walk(store, Traversal::Owned, 1, OWNED + 1).await;
    assert_eq!(node_refs(&exact), node_refs(&whole));
    assert!(!exact.truncated);

    // Less room: the first entities reached, and the relations among them.
    let cut = walk(store, Traversal::Owned, 1, 10).await;
    let mut expected = vec![TEAM.to_string()];
    expected.extend(component_refs(0..9));
    assert_eq!(node_refs(&cut), expected);
    assert!(cut.truncated);
    assert_eq!(cut.edges.len(), 9);
    assert!(
        cut.edges
            .iter()
            .all(|e| e.source == TEAM && expected.contains(&e.target)),
        "{:?}",
        cut.edges
    );

    // Only the root fits.
    let root = walk(store, Traversal::Owned, 2, 1).await;
    assert_eq!(node_refs(&root), [TEAM]);
    assert!(root.truncated);
    assert!(root.edges.is_empty());

    // Every relation, two hops, the room filled by the first: the second
    // hop's 150 rows all lead back to the team, more than a level reads at
    // first, so it is read whole and finds nothing new. Not truncated, and
    // the same graph a roomier traversal gives.
    let filled = walk(store, Traversal::All, 2, OWNED + 1).await;
    let roomy = walk(store, Traversal::All, 2, 1000).await;
    assert!(!filled.truncated, "{} nodes", filled.nodes.len());
    assert_eq!(node_refs(&filled), node_refs(&roomy));
    assert_eq!(filled.edges, roomy.edges);
    assert_eq!(filled.edges.len(), 2 * OWNED);

    // No room for the root is an error that says what to give.
    match traverse(store, &eref(TEAM), Traversal::Owned, 1, 0).await {
        Err(Error::Invalid { diagnostics }) => {
            assert_eq!(diagnostics[0].path, "limit");
            assert!(
                diagnostics[0].message.contains("at least 1"),
                "{diagnostics:?}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}
