//! Catalogue queries: JS options to a [`paved::QuerySpec`] (core parses
//! filter strings and the predicate, and ANDs them when both are given), and
//! pages and facet counts back.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use serde_json::Value;

use crate::error::count;
use crate::json_text::JsonText;

fn filters(filter: Option<Either<String, Vec<String>>>) -> Vec<String> {
    match filter {
        None => Vec::new(),
        Some(Either::A(one)) => vec![one],
        Some(Either::B(many)) => many,
    }
}

/// Which entities to count facets among: Backstage filter strings and/or a
/// predicate tree (an entity must match both when both are given), and how
/// many values to return.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct FacetOptions {
    /// Backstage filters: `kind=component,spec.owner=team-a` (comma = AND;
    /// several strings = OR; a key alone tests existence).
    pub filter: Option<Either<String, Vec<String>>>,
    /// A predicate tree, e.g. `{"$all": [{"kind": "component"}, {"spec.type": {"$in": ["service"]}}]}`.
    #[napi(ts_type = "Predicate")]
    pub predicate: Option<Value>,
    /// Only this many values, the most frequent (default: every value).
    pub limit: Option<f64>,
}

impl FacetOptions {
    /// The engine's query spec (filter strings, predicate and limit).
    pub fn spec(o: Option<Self>) -> paved::Result<paved::QuerySpec> {
        let o = o.unwrap_or_default();
        Ok(paved::QuerySpec {
            filter: filters(o.filter),
            predicate: o.predicate,
            limit: count("limit", o.limit)?,
            ..paved::QuerySpec::default()
        })
    }
}

/// A catalogue query: filter, full-text search, projection, ordering, paging.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Backstage filters (see [`FacetOptions`]).
    pub filter: Option<Either<String, Vec<String>>>,
    /// A predicate tree (see [`FacetOptions`]).
    #[napi(ts_type = "Predicate")]
    pub predicate: Option<Value>,
    /// Full-text search over name, title, description and tags (every word
    /// must match, each as a prefix).
    pub text: Option<String>,
    /// Dotted fields to return, e.g. `["metadata.name", "spec.owner"]`; absent returns whole entities.
    pub fields: Option<Vec<String>>,
    /// Ordering: `field`, `-field` (descending), `field:asc`, `field:desc`.
    /// Entities are finally ordered by ref, so paging is stable.
    pub order: Option<Vec<String>>,
    /// Page size (default 100, at most 10000).
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl QueryOptions {
    /// The engine's query spec.
    pub fn spec(o: Option<Self>) -> paved::Result<paved::QuerySpec> {
        let o = o.unwrap_or_default();
        Ok(paved::QuerySpec {
            filter: filters(o.filter),
            predicate: o.predicate,
            text: o.text,
            fields: o.fields.unwrap_or_default(),
            order: o.order.unwrap_or_default(),
            limit: count("limit", o.limit)?,
            cursor: o.cursor,
        })
    }
}

/// Options of a full-text search.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Page size (default 100).
    pub limit: Option<f64>,
}

/// One page of results.
#[napi(object, object_from_js = false)]
#[derive(Debug, Clone)]
pub struct Page {
    /// Entities; only the asked-for fields when the query had `fields`.
    // They cross N-API as JSON text (src/json_text.rs).
    #[napi(ts_type = "Entity[]")]
    pub items: JsonText,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many entities match in all.
    pub total: i64,
}

pub(crate) fn number(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<paved::Page> for Page {
    fn from(p: paved::Page) -> Self {
        Self {
            items: JsonText::of(&p.items),
            next_cursor: p.next_cursor,
            total: number(p.total),
        }
    }
}

/// A facet bucket: a value and how many entities have it.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

impl From<paved::FacetCount> for FacetCount {
    fn from(f: paved::FacetCount) -> Self {
        Self {
            value: f.value,
            count: number(f.count),
        }
    }
}
