//! The catalogue of a platform ([`paved::Catalog`]): `platform.catalog`.
//! Each method converts its arguments, forwards, and converts the answer.

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::{blocking, count, promise};
use crate::graph::{Graph, GraphOptions};
use crate::ingest::ValidationReport;
use crate::json_text::JsonText;
use crate::locations::{RefreshOptions, RefreshStream};
use crate::pipeline::{ChangeSet, EntityWriteOptions, ImportOptions, WriteOptions};
use crate::plain::plain;
use crate::query::{FacetCount, FacetOptions, Page, QueryOptions, SearchOptions};
use crate::settled::{self, promise_now};

/// The catalogue of a platform (`platform.catalog`).
#[napi]
pub struct Catalog {
    pub(crate) inner: paved::Catalog,
}

fn paths(list: Vec<String>) -> Vec<PathBuf> {
    list.into_iter().map(PathBuf::from).collect()
}

#[napi]
impl Catalog {
    /// Check catalogue files and directories (and the locations they name)
    /// with this platform's kinds. Writes nothing.
    #[napi]
    pub fn validate(&self, env: &Env, paths: Vec<String>) -> Result<AsyncBlock<ValidationReport>> {
        let catalog = self.inner.clone();
        let paths = self::paths(paths);
        blocking(env, move || Ok(catalog.validate(&paths).into()))
    }

    /// Check YAML text (one or more documents). `name` is the file name
    /// diagnostics show (default `<inline>`).
    #[napi]
    pub fn validate_text(
        &self,
        env: &Env,
        text: String,
        name: Option<String>,
    ) -> Result<AsyncBlock<ValidationReport>> {
        let catalog = self.inner.clone();
        blocking(env, move || {
            Ok(catalog.validate_text(&text, name.as_deref()).into())
        })
    }

    /// Check entities given as objects.
    #[napi]
    pub fn validate_values(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "Entity[]")] values: Vec<Value>,
    ) -> Result<AsyncBlock<ValidationReport>> {
        let catalog = self.inner.clone();
        blocking(env, move || Ok(catalog.validate_values(values).into()))
    }

    /// Import files, directories and the locations they name. `mode`
    /// `per-entity` (default, Backstage's way): every entity that passes is
    /// stored, every one that fails is in `refused` (file, line, JSON path)
    /// or `conflicts` (another location keeps the ref), and `partial` is
    /// true; a `VALIDATION` error when none passes. `all-or-nothing`: any
    /// problem and a `VALIDATION` error lists them all; nothing is written.
    #[napi]
    pub fn import(
        &self,
        env: &Env,
        paths: Vec<String>,
        options: Option<ImportOptions>,
    ) -> Result<AsyncBlock<ChangeSet>> {
        let catalog = self.inner.clone();
        let paths = self::paths(paths);
        promise(env, async move {
            let (mode, opts) = ImportOptions::split(options)?;
            Ok(catalog.import(&paths, mode, &opts).await?.into())
        })
    }

    /// Create or update one entity. With `etag`, only if the stored entity has
    /// that etag (`""`: only if it does not exist yet), else a `CONFLICT`
    /// error. What `get()` returned can be written back (its `relations` and
    /// `status` are ignored).
    #[napi]
    pub fn upsert(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "Entity")] entity: Value,
        options: Option<EntityWriteOptions>,
    ) -> Result<AsyncBlock<ChangeSet>> {
        let catalog = self.inner.clone();
        let (etag, opts) = EntityWriteOptions::split(options);
        promise(env, async move {
            Ok(catalog.upsert(entity, etag, &opts).await?.into())
        })
    }

    /// Delete one entity (its relations go with it). `NOT_FOUND` if it does not exist.
    #[napi]
    pub fn delete(
        &self,
        env: &Env,
        entity_ref: String,
        options: Option<EntityWriteOptions>,
    ) -> Result<AsyncBlock<ChangeSet>> {
        let catalog = self.inner.clone();
        let (etag, opts) = EntityWriteOptions::split(options);
        promise(env, async move {
            Ok(catalog.delete(&entity_ref, etag, &opts).await?.into())
        })
    }

    /// One entity with its relations, e.g. `get('component:default/orders')`
    /// (`component:orders` is the same: the namespace defaults to `default`).
    /// `NOT_FOUND` if missing.
    #[napi(ts_return_type = "Promise<Entity>")]
    pub fn get(&self, env: &Env, entity_ref: String) -> Result<settled::AsyncBlock<JsonText>> {
        let catalog = self.inner.clone();
        // A read by key usually needs no wait: settled on this thread, and
        // the entity crosses N-API as JSON text (src/json_text.rs).
        promise_now(env, async move {
            let entity = catalog.get(&entity_ref).await?;
            Ok(JsonText::of(&entity))
        })
    }

    /// One page: filter, search, project, order. Pass `nextCursor` back as
    /// `cursor` for the next page (or use `queryAll`).
    #[napi]
    pub fn query(&self, env: &Env, options: Option<QueryOptions>) -> Result<AsyncBlock<Page>> {
        let catalog = self.inner.clone();
        promise(env, async move {
            let spec = QueryOptions::spec(options)?;
            Ok(catalog.query(&spec).await?.into())
        })
    }

    /// Every match, page after page (`limit` is the page size):
    /// `for await (const entity of catalog.queryAll({ filter: 'kind=component' }))`.
    #[napi]
    pub fn query_all(&self, options: Option<QueryOptions>) -> QueryStream {
        let stream = match QueryOptions::spec(options) {
            Ok(spec) => self.inner.query_all(&spec),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        };
        QueryStream {
            inner: Arc::new(Mutex::new(stream)),
        }
    }

    /// Full-text search over name, title, description and tags.
    #[napi]
    pub fn search(
        &self,
        env: &Env,
        text: String,
        options: Option<SearchOptions>,
    ) -> Result<AsyncBlock<Page>> {
        let catalog = self.inner.clone();
        let limit = options.unwrap_or_default().limit;
        promise(env, async move {
            let limit = count("limit", limit)?;
            Ok(catalog.search(&text, limit).await?.into())
        })
    }

    /// How many entities have each value of `field` (e.g. `kind`, `spec.type`,
    /// `spec.owner`, `spec.lifecycle`, `metadata.tags`), among those matching
    /// the filter, most frequent first: every value, or the `limit` most frequent.
    #[napi]
    pub fn facets(
        &self,
        env: &Env,
        field: String,
        options: Option<FacetOptions>,
    ) -> Result<AsyncBlock<Vec<FacetCount>>> {
        let catalog = self.inner.clone();
        promise(env, async move {
            let spec = FacetOptions::spec(options)?;
            let counts = catalog.facets(&field, &spec).await?;
            Ok(counts.into_iter().map(FacetCount::from).collect())
        })
    }

    /// Walk relations from an entity.
    #[napi]
    pub fn graph(
        &self,
        env: &Env,
        entity_ref: String,
        options: Option<GraphOptions>,
    ) -> Result<AsyncBlock<Graph>> {
        let catalog = self.inner.clone();
        let options = options.unwrap_or_default();
        promise(env, async move {
            let traversal = match options.traversal.as_deref() {
                Some(t) => paved::Traversal::parse(t)?,
                None => paved::Traversal::default(),
            };
            let depth = count("depth", options.depth)?;
            let limit = count("limit", options.limit)?;
            Ok(catalog
                .graph(&entity_ref, traversal, depth, limit)
                .await?
                .into())
        })
    }

    /// Every registered location (a root an import started from) with the
    /// entities stored from it and its last import or refresh (what it refused).
    #[napi(ts_return_type = "Promise<LocationStatus[]>")]
    pub fn locations(&self, env: &Env) -> Result<AsyncBlock<Value>> {
        let catalog = self.inner.clone();
        promise(env, async move { plain(&catalog.locations().await?) })
    }

    /// One registered location: a path, a URL or a ref (`file:/abs/path`).
    /// `NOT_FOUND` otherwise.
    #[napi(ts_return_type = "Promise<LocationStatus>")]
    pub fn location(&self, env: &Env, location: String) -> Result<AsyncBlock<Value>> {
        let catalog = self.inner.clone();
        promise(
            env,
            async move { plain(&catalog.location(&location).await?) },
        )
    }

    /// Re-read one registered location (`location`), or all of them, and
    /// apply what changed per entity.
    #[napi(ts_return_type = "Promise<RefreshReport>")]
    pub fn refresh(
        &self,
        env: &Env,
        location: Option<String>,
        options: Option<WriteOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let catalog = self.inner.clone();
        let opts = WriteOptions::core(options);
        promise(env, async move {
            plain(&catalog.refresh(location.as_deref(), &opts).await?)
        })
    }

    /// Refresh once, then every `interval` and/or whenever a file read
    /// changes (`watch`):
    /// `for await (const event of catalog.refreshes({ watch: true }))`.
    #[napi]
    pub fn refreshes(&self, options: Option<RefreshOptions>) -> RefreshStream {
        RefreshStream::new(
            RefreshOptions::split(options)
                .map(|(schedule, opts)| self.inner.refreshes(schedule, opts)),
        )
    }
}

/// Every entity a query matches, across pages (`catalog.queryAll()`):
/// `for await (const entity of stream)`, or call `next()`.
#[napi]
pub struct QueryStream {
    inner: Arc<Mutex<BoxStream<'static, paved::Result<Value>>>>,
}

#[napi]
impl QueryStream {
    /// The next entity; `null` after the last one.
    #[napi(ts_return_type = "Promise<Entity | null>")]
    pub fn recv(&self, env: &Env) -> Result<AsyncBlock<Option<JsonText>>> {
        let inner = self.inner.clone();
        promise(env, async move {
            let next = inner.lock().await.next().await.transpose()?;
            Ok(next.map(|entity| JsonText::of(&entity)))
        })
    }
}
