//! [`Catalog`]: the catalogue of a platform. Reads go to the store; every
//! write is a `pipeline::Request` run through the platform's one pipeline.

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde_json::Value;

use super::{Inner, parse_ref, upgrade};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::graph::{self, Graph, Traversal};
use crate::ingest::{self, ImportMode, Loaded, Validated};
use crate::model::Entity;
use crate::pipeline::{ChangeSet, Request, WriteOptions};
use crate::query::{FacetCount, Page, QuerySpec};

/// The catalogue of a platform.
#[derive(Clone)]
pub struct Catalog {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalog")
    }
}

/// Fields a stored entity carries that its author does not write: `get`
/// returns them, `upsert` ignores them, so what `get` returned can be edited
/// and written back.
const DERIVED_ROOT_FIELDS: [&str; 2] = ["relations", "status"];

impl Catalog {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Validate files, directories or URLs (no writes). URLs are read as
    /// the platform's [`ingest::Reading`] allows; this blocks while they are.
    pub fn validate(&self, paths: &[PathBuf]) -> Loaded {
        let inner = &self.inner;
        ingest::load_paths(paths, &inner.kinds, &inner.limits, &inner.reading)
    }

    /// Validate YAML text as if it were the file `name` (default
    /// [`ingest::TEXT_SOURCE`], `<inline>`) (no writes).
    pub fn validate_text(&self, text: &str, name: Option<&str>) -> Loaded {
        let name = name.unwrap_or(ingest::TEXT_SOURCE);
        let inner = &self.inner;
        ingest::load_text(name, text, &inner.kinds, &inner.limits, &inner.reading)
    }

    /// Validate entities given as JSON values (no writes).
    pub fn validate_values(&self, values: Vec<Value>) -> Loaded {
        ingest::load_values(values, &self.inner.kinds)
    }

    /// Import files, directories and the locations they name, in `mode`
    /// (default [`ImportMode::PerEntity`], Backstage's way):
    /// - per-entity: every entity that passes is stored whole with its
    ///   relations; every one that fails is kept out and reported in the
    ///   change set's `refused` (file, line, JSON path, reason), and an
    ///   entity another location provides first (whose file still exists)
    ///   in its `conflicts`
    ///   (`partial` says either happened). Relations to entities kept out
    ///   are stored and stay unresolved until the target arrives, as in
    ///   Backstage. When no entity passes, `Error::Invalid` as below.
    /// - all-or-nothing: any error and nothing is written (`Error::Invalid`
    ///   lists every problem).
    ///
    /// Entities read from files and URLs carry
    /// `backstage.io/managed-by-location` and
    /// `backstage.io/managed-by-origin-location`. The load (file and network
    /// reads) runs on a blocking thread.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        mode: Option<ImportMode>,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        let (catalog, owned) = (self.clone(), paths.to_vec());
        let loaded = match tokio::task::spawn_blocking(move || catalog.validate(&owned)).await {
            Ok(loaded) => loaded,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(Error::store("the catalogue load was cancelled", e)),
        };
        let validated = loaded.into_import(mode.unwrap_or_default())?;
        self.import_validated(validated, opts).await
    }

    /// Import a load made ready for the write path ([`Loaded::into_import`]),
    /// e.g. to validate before opening a store.
    pub async fn import_validated(
        &self,
        validated: Validated,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        let request = Request::Import {
            validated,
            action: crate::locations::IMPORT_ACTION,
        };
        self.inner.write(request, opts).await
    }

    /// Create or update one entity given as JSON. With `expected_etag`, the
    /// stored entity must have that etag (`""`: must not exist yet). An
    /// entity as [`Catalog::get`] returned it is accepted: its derived
    /// `relations` and `status` are ignored.
    pub async fn upsert(
        &self,
        mut entity: Value,
        expected_etag: Option<String>,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        if let Value::Object(map) = &mut entity {
            for field in DERIVED_ROOT_FIELDS {
                map.remove(field);
            }
        }
        let (entity, mut warnings) = ingest::load_one(entity, &self.inner.kinds)?;
        let mut set = self
            .inner
            .write(
                Request::Upsert {
                    entity: Box::new(entity),
                    expected_etag,
                },
                opts,
            )
            .await?;
        warnings.append(&mut set.warnings);
        set.warnings = warnings;
        Ok(set)
    }

    /// Delete one entity (the relations it owns go with it).
    pub async fn delete(
        &self,
        entity_ref: &str,
        expected_etag: Option<String>,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        let request = Request::Delete {
            entity_ref: parse_ref(entity_ref)?,
            expected_etag,
        };
        self.inner.write(request, opts).await
    }

    /// One entity; `Error::NotFound` if missing.
    pub async fn get(&self, entity_ref: &str) -> Result<Entity> {
        let r = parse_ref(entity_ref)?;
        self.inner
            .store
            .get(&r)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "entity",
                id: r.to_string(),
                hint: None,
            })
    }

    /// One page: filter, full text, order, project. Pass the page's
    /// `next_cursor` back as `cursor` for the next one.
    pub async fn query(&self, spec: &QuerySpec) -> Result<Page> {
        self.inner.store.query(&spec.build()?).await
    }

    /// Every match, page after page (`spec.limit` is the page size): the
    /// stream follows the cursors, so a caller never handles one.
    pub fn query_all(&self, spec: &QuerySpec) -> BoxStream<'static, Result<Value>> {
        let query = match spec.build() {
            Ok(q) => q,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let inner = self.inner.clone();
        // State: the next page's cursor, or None once the last page was read.
        stream::try_unfold(Some(query), move |next| {
            let inner = inner.clone();
            async move {
                let Some(query) = next else {
                    return Ok(None);
                };
                let page = inner.store.query(&query).await?;
                let following = page.next_cursor.clone().map(|cursor| crate::query::Query {
                    cursor: Some(cursor),
                    ..query
                });
                Ok(Some((
                    stream::iter(page.items.into_iter().map(Ok::<Value, Error>)),
                    following,
                )))
            }
        })
        .try_flatten()
        .boxed()
    }

    /// Full-text search over name, title, description and tags.
    pub async fn search(&self, text: &str, limit: Option<usize>) -> Result<Page> {
        self.query(&QuerySpec {
            text: Some(text.to_string()),
            limit,
            ..QuerySpec::default()
        })
        .await
    }

    /// Counts per value of `field` among the entities `filter` matches (its
    /// filter strings and predicate), most frequent first, then by value:
    /// every value, or the `limit` most frequent (`filter.limit`, 1 to
    /// [`crate::query::MAX_LIMIT`] as a query's; a portal's top owners cost
    /// the same whatever the number of owners). Other fields of the spec are
    /// refused.
    pub async fn facets(&self, field: &str, filter: &QuerySpec) -> Result<Vec<FacetCount>> {
        let only_filter = QuerySpec {
            filter: filter.filter.clone(),
            predicate: filter.predicate.clone(),
            limit: filter.limit,
            ..QuerySpec::default()
        };
        if *filter != only_filter {
            return Err(Error::invalid(Diagnostic::error(
                "filter",
                "facets take filter strings, a predicate and a limit only (no text, fields, order or cursor)",
            )));
        }
        // The query's own checks (a limit from 1 to `MAX_LIMIT`), so every
        // front refuses the same limits with the same words.
        let query = filter.build()?;
        self.inner
            .store
            .facets(field, query.filter.as_ref(), query.limit)
            .await
    }

    /// Traverse relations from an entity, `depth` hops
    /// (default [`graph::DEFAULT_DEPTH`]), stopping at `limit` entities
    /// (default [`graph::DEFAULT_LIMIT`]; `Graph::truncated` says whether it
    /// stopped there).
    pub async fn graph(
        &self,
        entity_ref: &str,
        traversal: Traversal,
        depth: Option<usize>,
        limit: Option<usize>,
    ) -> Result<Graph> {
        graph::traverse(
            self.inner.store.as_ref(),
            &parse_ref(entity_ref)?,
            traversal,
            depth.unwrap_or(graph::DEFAULT_DEPTH),
            limit.unwrap_or(graph::DEFAULT_LIMIT),
        )
        .await
    }
}

/// Plugins read the platform's own catalogue (the `catalogue` grant),
/// through a weak handle so a plugin host does not keep the platform alive.
pub(super) struct WeakCatalog(pub(super) Weak<Inner>);

#[async_trait::async_trait]
impl crate::plugin::CatalogueLookup for WeakCatalog {
    async fn get(&self, entity_ref: &str) -> Result<Option<Value>> {
        match Catalog::new(upgrade(&self.0)?).get(entity_ref).await {
            Ok(e) => Ok(Some(e.to_value())),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn query(&self, filter: &str) -> Result<Vec<Value>> {
        let spec = QuerySpec {
            limit: Some(crate::query::MAX_LIMIT),
            ..QuerySpec::filter([filter])
        };
        Ok(Catalog::new(upgrade(&self.0)?).query(&spec).await?.items)
    }
}
