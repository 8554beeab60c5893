//! Graph traversal over relations: dependencies, dependents, owned entities,
//! ancestry, to a depth.
//!
//! Breadth-first, one store round trip per level (`Store::relations_of` for the
//! whole frontier), so a 3-hop traversal is 3 queries whatever the fan-out.
//! A traversal stops at `limit` entities (default [`DEFAULT_LIMIT`]) and says
//! so (`Graph::truncated`): a level reads about as many relation rows as it
//! has room for, so a group owning 5,000 entities costs what a picture of 60
//! of them needs, not what all 5,000 do.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::relations::RelationRow;
use crate::model::{EntityRef, RelationType};
use crate::store::Store;

/// Which relations to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Traversal {
    /// What this entity needs: `dependsOn`, `consumesApi`, and through an
    /// API, the component that provides it (`apiProvidedBy`).
    #[default]
    Dependencies,
    /// What needs this entity: `dependencyOf`, the APIs it provides
    /// (`providesApi`) and their consumers (`apiConsumedBy`).
    Dependents,
    /// What this group (or user) owns: `ownerOf`, and for groups their child groups.
    Owned,
    /// What this entity is part of, up the tree: `partOf`, `childOf`, `memberOf`.
    Ancestry,
    /// Every relation.
    All,
}

impl Traversal {
    /// The relation types followed.
    pub fn relation_types(self) -> Vec<RelationType> {
        use RelationType::*;
        match self {
            Self::Dependencies => vec![DependsOn, ConsumesApi, ApiProvidedBy],
            Self::Dependents => vec![DependencyOf, ProvidesApi, ApiConsumedBy],
            Self::Owned => vec![OwnerOf, ParentOf],
            Self::Ancestry => vec![PartOf, ChildOf, MemberOf],
            Self::All => RelationType::ALL.to_vec(),
        }
    }

    /// Parse a name (`dependencies`, `dependents`, `owned`, `ancestry`, `all`).
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "dependencies" | "deps" => Ok(Self::Dependencies),
            "dependents" => Ok(Self::Dependents),
            "owned" | "ownership" => Ok(Self::Owned),
            "ancestry" | "ancestors" => Ok(Self::Ancestry),
            "all" => Ok(Self::All),
            other => Err(Error::invalid(crate::Diagnostic::error(
                "traversal",
                format!(
                    "unknown traversal '{other}': expected dependencies, dependents, owned, ancestry or all"
                ),
            ))),
        }
    }
}

/// An entity reached by a traversal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphNode {
    pub entity_ref: String,
    /// Hops from the root (0 for the root).
    pub depth: usize,
    /// Whether the entity exists in the catalogue (refs may dangle).
    pub exists: bool,
}

/// A followed relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphEdge {
    pub source: String,
    pub r#type: String,
    pub target: String,
}

/// The result of a traversal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    pub root: String,
    pub traversal: Traversal,
    pub depth: usize,
    /// The most entities asked for (the root among them).
    pub limit: usize,
    /// Whether `limit` cut the traversal short: more entities are reachable
    /// within `depth` than `nodes` holds. The edges are then those followed
    /// before it stopped.
    pub truncated: bool,
    /// Entities reached, root first, breadth first.
    pub nodes: Vec<GraphNode>,
    /// Relations followed between them, sorted by source, type and target.
    pub edges: Vec<GraphEdge>,
}

/// Hops followed when a caller names no depth.
pub const DEFAULT_DEPTH: usize = 2;

/// Largest depth accepted.
pub const MAX_DEPTH: usize = 16;

/// Entities returned at most when a caller names no limit (the root among
/// them).
pub const DEFAULT_LIMIT: usize = 1000;

/// Relation rows a level reads beyond its room for new entities, for the
/// rows that lead back to entities already reached; a level that needs more
/// is read whole.
const SLACK_ROWS: usize = 64;

/// Traverse from `root` up to `depth` hops, stopping at `limit` entities.
/// The root must exist.
pub(crate) async fn traverse(
    store: &dyn Store,
    root: &EntityRef,
    traversal: Traversal,
    depth: usize,
    limit: usize,
) -> Result<Graph> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(crate::Diagnostic::error(
            "depth",
            format!("depth {depth} is too deep: at most {MAX_DEPTH}"),
        )));
    }
    if limit == 0 {
        return Err(Error::invalid(crate::Diagnostic::error(
            "limit",
            "limit 0 leaves no room for the root: give at least 1",
        )));
    }
    let root_entity = store.get(root).await?.ok_or_else(|| Error::NotFound {
        what: "entity",
        id: root.to_string(),
        hint: None,
    })?;
    let root = root_entity.entity_ref();
    let types: Vec<&str> = traversal
        .relation_types()
        .into_iter()
        .map(RelationType::as_str)
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::from([(root.key(), 0)]);
    let mut order: Vec<EntityRef> = vec![root.clone()];
    let mut edges = Vec::new();
    let mut frontier = vec![root.clone()];
    let mut truncated = false;
    for level in 1..=depth {
        if frontier.is_empty() || truncated {
            break;
        }
        let rows = level_rows(store, &frontier, &types, &seen, limit - order.len()).await?;
        let mut next = Vec::new();
        for row in rows {
            let key = row.target.key();
            let new = !seen.contains_key(&key);
            if new && order.len() == limit {
                truncated = true;
                break;
            }
            edges.push(GraphEdge {
                source: row.source.to_string(),
                r#type: row.r#type.to_string(),
                target: row.target.to_string(),
            });
            if new {
                seen.insert(key, level);
                order.push(row.target.clone());
                next.push(row.target);
            }
        }
        frontier = next;
    }
    let existing: HashSet<String> = {
        let mut s = HashSet::new();
        for chunk in order.chunks(500) {
            for r in store.existing(chunk).await? {
                s.insert(r.key());
            }
        }
        s
    };
    edges.sort_by(|a, b| (&a.source, &a.r#type, &a.target).cmp(&(&b.source, &b.r#type, &b.target)));
    edges.dedup();
    Ok(Graph {
        root: root.to_string(),
        traversal,
        depth,
        limit,
        truncated,
        nodes: order
            .iter()
            .map(|r| GraphNode {
                entity_ref: r.to_string(),
                depth: seen[&r.key()],
                exists: existing.contains(&r.key()),
            })
            .collect(),
        edges,
    })
}

/// The relation rows of a level with `room` entities left: the first rows
/// (in the store's order) when they end the level or reach more new
/// entities than there is room for, else all of them. Either way the
/// traversal sees the rows a whole read would give it, in the same order, up
/// to where it stops.
async fn level_rows(
    store: &dyn Store,
    frontier: &[EntityRef],
    types: &[&str],
    seen: &HashMap<String, usize>,
    room: usize,
) -> Result<Vec<RelationRow>> {
    let want = room.saturating_add(SLACK_ROWS);
    let rows = store.relations_of(frontier, types, Some(want)).await?;
    if rows.len() < want {
        return Ok(rows);
    }
    let new: HashSet<String> = rows
        .iter()
        .map(|r| r.target.key())
        .filter(|k| !seen.contains_key(k))
        .collect();
    if new.len() > room {
        return Ok(rows);
    }
    store.relations_of(frontier, types, None).await
}
