//! Catalogue queries: Backstage filter strings, predicate trees, projection,
//! ordering, cursor paging, facets, full-text search and graph traversal.
//!
//! A request is parsed into a [`Query`] whose filter is one [`Predicate`]
//! tree, whatever syntax the user wrote. Stores turn the tree into SQL over
//! the flattened index of [`crate::model::index`] (see [`sql`]); projection of
//! `fields` happens after loading, in [`project`].

pub mod filter;
pub mod project;
pub mod sql;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use filter::{parse_filters, parse_predicate};

/// A filter as a tree. Keys are dotted paths (`spec.owner`, `metadata.tags`,
/// `relations.ownedBy`); comparisons ignore case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Predicate {
    /// Every child matches (an empty list matches everything).
    All(Vec<Predicate>),
    /// At least one child matches (an empty list matches nothing).
    Any(Vec<Predicate>),
    /// The child does not match.
    Not(Box<Predicate>),
    /// Some value at `key` equals `value`.
    Eq { key: String, value: String },
    /// Some value at `key` is one of `values`.
    In { key: String, values: Vec<String> },
    /// `key` is present (`true`) or absent (`false`).
    Exists { key: String, exists: bool },
    /// Some value at `key` starts with `prefix`.
    HasPrefix { key: String, prefix: String },
    /// Some value at `key` contains `text` as a substring.
    Contains { key: String, text: String },
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

/// One ordering key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub field: String,
    pub direction: Direction,
}

impl Order {
    /// Parse `field`, `+field`, `-field`, `field:asc` or `field:desc`.
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if let Some(f) = s.strip_prefix('-') {
            return Self {
                field: f.to_string(),
                direction: Direction::Desc,
            };
        }
        if let Some(f) = s.strip_prefix('+') {
            return Self {
                field: f.to_string(),
                direction: Direction::Asc,
            };
        }
        match s.rsplit_once(':') {
            Some((f, d)) if d.eq_ignore_ascii_case("desc") => Self {
                field: f.to_string(),
                direction: Direction::Desc,
            },
            Some((f, d)) if d.eq_ignore_ascii_case("asc") => Self {
                field: f.to_string(),
                direction: Direction::Asc,
            },
            _ => Self {
                field: s.to_string(),
                direction: Direction::Asc,
            },
        }
    }
}

/// Ordering keys as every front writes them: each string one key or
/// several separated by commas (`kind,-metadata.name`). An empty key (two
/// commas, a trailing comma, a sign alone) is refused, naming its string.
pub fn parse_orders(order: &[String]) -> crate::Result<Vec<Order>> {
    let mut keys = Vec::new();
    for (i, text) in order.iter().enumerate() {
        for part in text.split(',') {
            let key = Order::parse(part);
            if key.field.trim().is_empty() {
                return Err(crate::Error::invalid(crate::Diagnostic::error(
                    format!("order[{i}]"),
                    format!(
                        "{text:?} has an empty field: expected fields separated by commas, \
                         each with an optional - for descending, such as kind,-metadata.name"
                    ),
                )));
            }
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Default page size.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size a store returns.
pub const MAX_LIMIT: usize = 10_000;

/// A catalogue query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Query {
    /// `None` matches every entity.
    pub filter: Option<Predicate>,
    /// Full-text search over name, title, description and tags (all words must match,
    /// each as a prefix).
    pub text: Option<String>,
    /// Dotted fields to return; empty returns whole entities.
    pub fields: Vec<String>,
    /// Ordering; entities are always finally ordered by ref so paging is stable.
    pub order: Vec<Order>,
    /// Page size (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
    pub limit: Option<usize>,
    /// Opaque cursor from a previous [`Page`].
    pub cursor: Option<String>,
}

/// A catalogue query as every front writes it: the one place where filter
/// strings, a predicate tree, full text, fields, order, limit and cursor
/// become a [`Query`]. `filter` strings (each a Backstage filter: `,` is AND,
/// several strings are OR) and `predicate` (a `$all`/`$any`/`$not` tree) may
/// both be given: an entity must match both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct QuerySpec {
    /// Backstage filter strings, e.g. `kind=component,spec.owner=team-a`.
    pub filter: Vec<String>,
    /// A predicate tree as JSON, e.g. `{"$all": [{"kind": "component"}]}`.
    pub predicate: Option<Value>,
    /// Full-text search over name, title, description and tags.
    pub text: Option<String>,
    /// Dotted fields to return; empty returns whole entities.
    pub fields: Vec<String>,
    /// Ordering keys: `field`, `-field`, `field:desc`; a string may hold
    /// several separated by commas (`kind,-metadata.name`).
    pub order: Vec<String>,
    /// Page size (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
    pub limit: Option<usize>,
    /// Opaque cursor from a previous [`Page`].
    pub cursor: Option<String>,
}

impl QuerySpec {
    /// A spec with these filter strings and nothing else.
    pub fn filter<S: Into<String>>(filters: impl IntoIterator<Item = S>) -> Self {
        Self {
            filter: filters.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The filter of this spec alone (filter strings AND predicate).
    pub fn predicate(&self) -> crate::Result<Option<Predicate>> {
        let from_strings = parse_filters(&self.filter).map_err(crate::Error::invalid)?;
        let from_tree = match &self.predicate {
            Some(v) => Some(parse_predicate(v).map_err(|mut d| {
                d.path = if d.path.is_empty() {
                    "predicate".to_string()
                } else {
                    format!("predicate.{}", d.path)
                };
                crate::Error::invalid(d)
            })?),
            None => None,
        };
        Ok(match (from_strings, from_tree) {
            (Some(a), Some(b)) => Some(Predicate::All(vec![a, b])),
            (a, b) => a.or(b),
        })
    }

    /// The query this spec describes.
    pub fn build(&self) -> crate::Result<Query> {
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(crate::Error::invalid(crate::Diagnostic::error(
                "limit",
                format!("limit {limit} is out of range: expected 1 to {MAX_LIMIT}"),
            )));
        }
        Ok(Query {
            filter: self.predicate()?,
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
            fields: self.fields.clone(),
            order: parse_orders(&self.order)?,
            limit: self.limit,
            cursor: self.cursor.clone(),
        })
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Entities (projected when the query asked for fields).
    pub items: Vec<Value>,
    /// Pass back as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// How many entities match in all.
    pub total: u64,
}

/// A facet bucket: a value and how many entities have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_order(order: &[&str]) -> crate::Result<Vec<Order>> {
        let spec = QuerySpec {
            order: order.iter().map(|s| s.to_string()).collect(),
            ..QuerySpec::default()
        };
        spec.build().map(|q| q.order)
    }

    #[test]
    fn orders_are_split_at_commas() {
        let got = spec_order(&["kind, -metadata.name", "spec.type:desc"]).unwrap();
        let fields: Vec<_> = got
            .iter()
            .map(|o| (o.field.as_str(), o.direction))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("kind", Direction::Asc),
                ("metadata.name", Direction::Desc),
                ("spec.type", Direction::Desc)
            ]
        );
    }

    #[test]
    fn an_empty_order_field_is_refused_with_its_place() {
        for (order, path) in [
            (vec!["kind,,metadata.name"], "order[0]"),
            (vec!["kind", "metadata.name,"], "order[1]"),
            (vec!["-"], "order[0]"),
            (vec![" "], "order[0]"),
        ] {
            let err = spec_order(&order).unwrap_err().to_string();
            assert!(err.contains(path), "{order:?}: {err}");
            assert!(err.contains("has an empty field"), "{order:?}: {err}");
        }
    }
}
