//! Flattening an entity into the rows stores filter, sort and facet on.
//!
//! Mirrors Backstage's search table: every leaf becomes a `(key, value)` pair
//! with a dotted, lower-cased key (`spec.owner`, `metadata.labels.tier`);
//! list items share their parent's key; values are lower-cased text. Relations
//! appear as `relations.<type>` = target ref. Values longer than
//! [`MAX_VALUE_LEN`] are not filterable (as in Backstage).

use serde_json::Value;

use super::entity::Entity;
use super::relations::RelationRow;

/// Longest value kept in the filter index.
pub const MAX_VALUE_LEN: usize = 200;

/// One filterable key/value pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SearchRow {
    pub key: String,
    /// Lower-cased value; `None` for a key that exists with a null/empty value.
    pub value: Option<String>,
}

/// All filter rows of an entity whose outgoing relation rows are `relations`.
pub fn search_rows(entity: &Entity, relations: &[RelationRow]) -> Vec<SearchRow> {
    let me = entity.entity_ref();
    let mut value = entity.to_value();
    if let Value::Object(map) = &mut value {
        map.remove("relations");
        if let Some(Value::Object(md)) = map.get_mut("metadata") {
            md.remove("etag");
            md.entry("namespace")
                .or_insert_with(|| Value::String(entity.namespace().to_string()));
        }
    }
    let mut rows = Vec::new();
    flatten("", &value, &mut rows);
    for r in relations.iter().filter(|r| r.source == me) {
        rows.push(SearchRow {
            key: format!("relations.{}", r.r#type.as_str().to_lowercase()),
            value: Some(r.target.to_string().to_lowercase()),
        });
    }
    rows.sort();
    rows.dedup();
    rows
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<SearchRow>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let key = if prefix.is_empty() {
                    k.to_lowercase()
                } else {
                    format!("{prefix}.{}", k.to_lowercase())
                };
                flatten(&key, child, out);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.push(SearchRow {
                    key: prefix.to_string(),
                    value: None,
                });
            }
            for item in items {
                flatten(prefix, item, out);
            }
        }
        Value::Null => out.push(SearchRow {
            key: prefix.to_string(),
            value: None,
        }),
        Value::String(s) => push_value(prefix, s, out),
        Value::Bool(b) => push_value(prefix, &b.to_string(), out),
        Value::Number(n) => push_value(prefix, &n.to_string(), out),
    }
}

fn push_value(key: &str, s: &str, out: &mut Vec<SearchRow>) {
    let value = if s.len() > MAX_VALUE_LEN {
        None
    } else {
        Some(s.to_lowercase())
    };
    out.push(SearchRow {
        key: key.to_string(),
        value,
    });
}

/// The text full-text search looks at: name, title, description and tags.
pub fn search_text(entity: &Entity) -> String {
    let md = &entity.metadata;
    let mut parts = vec![md.name.replace(['-', '_', '.'], " "), md.name.clone()];
    parts.extend(md.title.iter().cloned());
    parts.extend(md.description.iter().cloned());
    parts.extend(md.tags.iter().cloned());
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_backstage_keys() {
        let e: Entity = serde_json::from_value(serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "Orders", "labels": {"Tier": "Gold"}, "tags": ["java", "grpc"]},
            "spec": {"type": "service", "owner": "team-a"}
        }))
        .unwrap();
        let (rels, _) = super::super::relations::derive(&e);
        let rows = search_rows(&e, &rels);
        let has = |k: &str, v: &str| {
            rows.iter()
                .any(|r| r.key == k && r.value.as_deref() == Some(v))
        };
        assert!(has("kind", "component"));
        assert!(has("metadata.name", "orders"));
        assert!(has("metadata.namespace", "default"));
        assert!(has("metadata.labels.tier", "gold"));
        assert!(has("metadata.tags", "java"));
        assert!(has("metadata.tags", "grpc"));
        assert!(has("spec.owner", "team-a"));
        assert!(has("relations.ownedby", "group:default/team-a"));
    }
}
