//! Catalogue queries: JS options to a [`paved::query::Query`], and pages,
//! facet counts back.
//!
//! A filter is given either as Backstage filter strings (`filter`) or as a
//! predicate tree (`predicate`, the JSON form `paved catalog query
//! --predicate` takes); both are parsed by the engine, and when both are
//! given an entity must match both.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use paved::query::{Order, Predicate, Query, parse_filters, parse_predicate};
use paved::{Error, Result};
use serde_json::Value;

/// Which entities: Backstage filter strings and/or a predicate tree.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    /// Backstage filters: `kind=component,spec.owner=team-a` (comma = AND;
    /// several strings = OR; a key alone tests existence).
    pub filter: Option<Either<String, Vec<String>>>,
    /// A predicate tree, e.g. `{"$all": [{"kind": "component"}, {"spec.type": {"$in": ["service"]}}]}`.
    #[napi(ts_type = "Predicate")]
    pub predicate: Option<Value>,
}

impl FilterOptions {
    /// The predicate these options describe (`None`: every entity).
    pub fn predicate(self) -> Result<Option<Predicate>> {
        filter_predicate(self.filter, self.predicate)
    }
}

fn filter_predicate(
    filter: Option<Either<String, Vec<String>>>,
    predicate: Option<Value>,
) -> Result<Option<Predicate>> {
    let from_filters = match filter {
        None => None,
        Some(Either::A(one)) => parse_filters(&[one]).map_err(Error::invalid)?,
        Some(Either::B(many)) => parse_filters(&many).map_err(Error::invalid)?,
    };
    let from_tree = match predicate {
        None => None,
        Some(v) => Some(parse_predicate(&v).map_err(Error::invalid)?),
    };
    Ok(match (from_filters, from_tree) {
        (Some(a), Some(b)) => Some(Predicate::All(vec![a, b])),
        (a, b) => a.or(b),
    })
}

/// A catalogue query: filter, full-text search, projection, ordering, paging.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Backstage filters (see [`FilterOptions`]).
    pub filter: Option<Either<String, Vec<String>>>,
    /// A predicate tree (see [`FilterOptions`]).
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
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl QueryOptions {
    /// The engine's query.
    pub fn core(self) -> Result<Query> {
        Ok(Query {
            filter: filter_predicate(self.filter, self.predicate)?,
            text: self.text,
            fields: self.fields.unwrap_or_default(),
            order: self
                .order
                .unwrap_or_default()
                .iter()
                .map(|o| Order::parse(o))
                .collect(),
            limit: self.limit.map(|l| l as usize),
            cursor: self.cursor,
        })
    }
}

/// Options of a full-text search.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Page size (default 100).
    pub limit: Option<u32>,
}

/// One page of results.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Page {
    /// Entities; only the asked-for fields when the query had `fields`.
    #[napi(ts_type = "Entity[]")]
    pub items: Vec<Value>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many entities match in all.
    pub total: i64,
}

pub(crate) fn number(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<paved::query::Page> for Page {
    fn from(p: paved::query::Page) -> Self {
        Self {
            items: p.items,
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

impl From<paved::query::FacetCount> for FacetCount {
    fn from(f: paved::query::FacetCount) -> Self {
        Self {
            value: f.value,
            count: number(f.count),
        }
    }
}
