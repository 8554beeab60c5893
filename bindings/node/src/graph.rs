//! Relation traversal ([`paved::Graph`]): options in, nodes and edges out.

use napi_derive::napi;

use crate::diagnostic::small;

/// How to walk relations from an entity.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// `dependencies` (default), `dependents`, `owned`, `ancestry` or `all`.
    #[napi(ts_type = "Traversal")]
    pub traversal: Option<String>,
    /// How many hops (default 2, at most 16).
    pub depth: Option<f64>,
    /// Stop at this many entities, the root among them (default 1000).
    pub limit: Option<f64>,
}

/// An entity reached by a traversal.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct GraphNode {
    /// `kind:namespace/name`.
    pub entity_ref: String,
    /// Hops from the root (0 for the root).
    pub depth: u32,
    /// Whether the entity exists in the catalogue (refs may dangle).
    pub exists: bool,
}

/// A followed relation.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct GraphEdge {
    pub source: String,
    /// The relation type, e.g. `dependsOn`.
    #[napi(js_name = "type")]
    pub relation: String,
    pub target: String,
}

/// The result of a traversal.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Graph {
    pub root: String,
    #[napi(ts_type = "Traversal")]
    pub traversal: String,
    pub depth: u32,
    /// The most entities asked for (the root among them).
    pub limit: u32,
    /// Whether `limit` cut the traversal short: more entities are reachable
    /// within `depth` than `nodes` holds.
    pub truncated: bool,
    /// Entities reached, root first, breadth first.
    pub nodes: Vec<GraphNode>,
    /// Relations followed, sorted by source, type and target.
    pub edges: Vec<GraphEdge>,
}

impl From<paved::Graph> for Graph {
    fn from(g: paved::Graph) -> Self {
        Self {
            root: g.root,
            traversal: match serde_json::to_value(g.traversal) {
                Ok(serde_json::Value::String(s)) => s,
                other => unreachable!("a traversal serializes to its name, not {other:?}"),
            },
            depth: small(g.depth),
            limit: small(g.limit),
            truncated: g.truncated,
            nodes: g
                .nodes
                .into_iter()
                .map(|n| GraphNode {
                    entity_ref: n.entity_ref,
                    depth: small(n.depth),
                    exists: n.exists,
                })
                .collect(),
            edges: g
                .edges
                .into_iter()
                .map(|e| GraphEdge {
                    source: e.source,
                    relation: e.r#type,
                    target: e.target,
                })
                .collect(),
        }
    }
}
