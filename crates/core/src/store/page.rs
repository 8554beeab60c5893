//! Turning stored rows back into entities and pages; shared by both stores.
//!
//! A store runs the SQL of `query::sql` and hands the raw rows here:
//! [`request`] normalizes a [`Query`] (limit, order, cursor) before the SQL
//! is built; [`assemble`] parses bodies, attaches relations, projects
//! `fields` and makes the next cursor.

use std::collections::HashMap;

use super::cursor;
use crate::error::{Error, Result};
use crate::model::EntityRef;
use crate::model::relations::{RelationRow, RelationType};
use crate::model::{Entity, Relation};
use crate::query::project::project;
use crate::query::sql::{After, Drive, PageSpec, Spelled, normalize_order};
use crate::query::{DEFAULT_LIMIT, MAX_LIMIT, Order, Page, Query};
use serde_json::Value;

/// A query's paging, normalized.
#[derive(Debug)]
pub struct PageRequest {
    pub order: Vec<Order>,
    pub after: Option<After>,
    /// Page size (0 asks only for the total).
    pub limit: usize,
}

/// Normalize a query's paging; a bad cursor is an `Error::Invalid`.
pub fn request(q: &Query) -> Result<PageRequest> {
    let order = normalize_order(&q.order);
    let after = match q.cursor.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(cursor::decode(q, &order, c)?),
        _ => None,
    };
    Ok(PageRequest {
        limit: q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
        order,
        after,
    })
}

/// The SQL spec of a page: one row more than asked, to see if another page follows.
pub fn spec<'a>(
    q: &'a Query,
    r: &'a PageRequest,
    drive: Drive,
    spelled: Option<&'a Spelled>,
) -> PageSpec<'a> {
    PageSpec {
        filter: q.filter.as_ref(),
        text: q.text.as_deref(),
        order: &r.order,
        after: r.after.as_ref(),
        limit: r.limit as i64 + 1,
        drive,
        spelled,
    }
}

/// Whether a page walks the index of its first ordering field
/// ([`crate::query::sql::walk`]) rather than sorting every match: when that
/// field is in `search` and the matches are many enough that walking the
/// index in order reaches `limit` of them sooner than sorting them all
/// would. `None` when that depends on the sizes: ask [`walks_at`].
pub fn walks(q: &Query, r: &PageRequest) -> Option<bool> {
    if r.limit == 0 || crate::query::sql::walk_key(&r.order).is_none() {
        return Some(false);
    }
    if q.filter.is_none() && q.text.is_none() {
        return Some(true);
    }
    None
}

/// [`walks`] when `total` of about `entities` match.
pub fn walks_at(r: &PageRequest, total: u64, entities: u64) -> bool {
    Drive::for_page(total, entities, r.limit as u64) == Drive::Probe
}

/// One row of a page query.
#[derive(Debug)]
pub struct RawRow {
    pub id: i64,
    pub key: String,
    pub sort: Vec<Option<String>>,
}

/// One relation row read back: the source's key, the lower-cased type and the target.
#[derive(Debug)]
pub struct RawRelation {
    pub source_key: String,
    pub r#type: String,
    pub target_ref: String,
}

/// A relation as entities show it, with Backstage's spelling of the type.
pub fn relation(type_lc: &str, target_ref: String) -> Relation {
    Relation {
        r#type: RelationType::parse(type_lc)
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|| type_lc.to_string()),
        target_ref,
    }
}

/// Parse a stored body and attach its relations (sorted).
pub fn entity(key: &str, body: &str, mut relations: Vec<Relation>) -> Result<Entity> {
    let mut e: Entity = serde_json::from_str(body).map_err(|err| {
        Error::store(
            format!("the stored entity {key} cannot be read; the store may be damaged"),
            err,
        )
    })?;
    relations.sort();
    relations.dedup();
    e.relations = relations;
    Ok(e)
}

/// A stored body as JSON with its relations, shaped as [`Entity::to_value`]
/// would shape it, without the round trip through [`Entity`].
fn item(key: &str, body: &str, mut relations: Vec<Relation>) -> Result<Value> {
    let mut value: Value = serde_json::from_str(body).map_err(|err| {
        Error::store(
            format!("the stored entity {key} cannot be read; the store may be damaged"),
            err,
        )
    })?;
    if let Value::Object(map) = &mut value
        && !relations.is_empty()
    {
        relations.sort();
        relations.dedup();
        let status = map.shift_remove("status");
        map.insert(
            "relations".to_string(),
            serde_json::to_value(relations).unwrap_or(Value::Null),
        );
        if let Some(status) = status {
            map.insert("status".to_string(), status);
        }
    }
    Ok(value)
}

/// The keys whose relations a page needs (rows past the limit are dropped).
pub fn page_keys(rows: &[RawRow], r: &PageRequest) -> Vec<String> {
    rows.iter()
        .take(r.limit)
        .map(|row| row.key.clone())
        .collect()
}

/// The ids whose bodies a page needs.
pub fn page_ids(rows: &[RawRow], r: &PageRequest) -> Vec<i64> {
    rows.iter().take(r.limit).map(|row| row.id).collect()
}

/// Whether a query's projection keeps relations (so they must be read).
pub fn wants_relations(q: &Query) -> bool {
    q.fields.is_empty() || q.fields.iter().any(|f| f.starts_with("relations"))
}

/// Build the page from rows (at most `limit + 1`), their bodies by entity
/// id, their relations and the total.
pub fn assemble(
    q: &Query,
    r: &PageRequest,
    mut rows: Vec<RawRow>,
    mut bodies: HashMap<i64, String>,
    relations: Vec<RawRelation>,
    total: u64,
) -> Result<Page> {
    let more = rows.len() > r.limit;
    rows.truncate(r.limit);
    let mut by_key: HashMap<String, Vec<Relation>> = HashMap::new();
    for rel in relations {
        by_key
            .entry(rel.source_key)
            .or_default()
            .push(relation(&rel.r#type, rel.target_ref));
    }
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(cursor::encode(
            q,
            &r.order,
            &After {
                values: last.sort.clone(),
                key: last.key.clone(),
            },
        )),
        _ => None,
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let rels = by_key.remove(&row.key).unwrap_or_default();
        let body = bodies.remove(&row.id).ok_or_else(|| {
            Error::store_msg(format!(
                "the entity {} has no stored body; the store may be damaged",
                row.key
            ))
        })?;
        let value = item(&row.key, &body, rels)?;
        items.push(if q.fields.is_empty() {
            value
        } else {
            project(&value, &q.fields)
        });
    }
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// A stored relation as a [`RelationRow`].
pub fn relation_row(label: &str, source: &str, ty: &str, target: &str) -> Result<RelationRow> {
    let damaged = |what: &str| {
        Error::store_msg(format!(
            "{label}: a stored relation has an unreadable {what} ({source} {ty} {target}); the store may be damaged"
        ))
    };
    Ok(RelationRow {
        source: EntityRef::parse(source).map_err(|_| damaged("source"))?,
        r#type: RelationType::parse(ty).ok_or_else(|| damaged("type"))?,
        target: EntityRef::parse(target).map_err(|_| damaged("target"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_have_the_shape_of_entities() {
        let body = r#"{"apiVersion":"v1","kind":"Component","metadata":{"name":"a","uid":"u","etag":"e"},"spec":{"owner":"x"},"status":{"items":[]}}"#;
        let rels = vec![
            relation("partof", "system:default/s".into()),
            relation("ownedby", "group:default/x".into()),
            relation("ownedby", "group:default/x".into()),
        ];
        let via_entity = entity("component:default/a", body, rels.clone())
            .unwrap()
            .to_value();
        let direct = item("component:default/a", body, rels).unwrap();
        assert_eq!(
            serde_json::to_string(&direct).unwrap(),
            serde_json::to_string(&via_entity).unwrap()
        );
        let bare = item("component:default/a", body, vec![]).unwrap();
        assert!(bare.get("relations").is_none());
    }
}
