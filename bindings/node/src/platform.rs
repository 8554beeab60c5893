//! [`paved::Platform`] and its handles for JS: `Platform.open()`, then
//! `platform.catalog`, `platform.audit`, `platform.subscribe()`.
//!
//! Every method forwards to the engine and converts; defaults for optional
//! arguments are the engine's, or the CLI's where the engine has none.

use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use paved::{Config, StoreSpec};
use serde_json::Value;

use crate::audit::{AuditLimitOptions, AuditListOptions, AuditRecord, DEFAULT_LIMIT, VerifyReport};
use crate::error::{IntoNapi, internal};
use crate::events::Subscription;
use crate::graph::{DEFAULT_DEPTH, Graph, GraphOptions};
use crate::ingest::ValidationReport;
use crate::pipeline::{ChangeSet, ImportOptions, WriteOptions};
use crate::query::{FacetCount, FilterOptions, Page, QueryOptions, SearchOptions};

/// Which platform to open. With neither option: the embedded default, the
/// SQLite file `.paved/paved.db` under the working directory.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://user@host:port/database`;
    /// overrides the config file's store.
    pub store: Option<String>,
    /// Path of a `paved.yaml` (store, custom kinds).
    pub config: Option<String>,
}

/// Open a platform (creating the SQLite file and its schema if needed).
///
/// ```js
/// const platform = await open()    // the embedded default: .paved/paved.db
/// const shared = await open({ store: 'postgres://postgres@127.0.0.1:5432/idp' })
/// const configured = await open({ config: 'paved.yaml' })
/// ```
#[napi]
pub async fn open(options: Option<OpenOptions>) -> Result<Platform> {
    let options = options.unwrap_or_default();
    let inner = match options.config {
        Some(path) => {
            let config = Config::load(&PathBuf::from(path)).napi()?;
            config.open(options.store.as_deref()).await.napi()?
        }
        None => {
            let spec = match options.store.as_deref() {
                Some(s) => StoreSpec::parse(s).napi()?,
                None => StoreSpec::default(),
            };
            paved::Platform::builder()
                .store(spec)
                .build()
                .await
                .napi()?
        }
    };
    Ok(Platform { inner })
}

/// An open platform: a store, the kind registry and the event bus. Get one
/// with `open()`.
#[napi]
pub struct Platform {
    inner: paved::Platform,
}

#[napi]
impl Platform {
    /// The catalogue: validate, import, upsert, delete, get, query, search, facets, graph.
    #[napi(getter)]
    pub fn catalog(&self) -> Catalog {
        Catalog {
            inner: self.inner.catalog(),
        }
    }

    /// The audit log.
    #[napi(getter)]
    pub fn audit(&self) -> Audit {
        Audit {
            inner: self.inner.audit(),
        }
    }

    /// Subscribe to events from now on: this process's and, on a PostgreSQL
    /// store, every other process's too.
    #[napi]
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.inner.subscribe())
    }

    /// The store, e.g. `sqlite:.paved/paved.db` or `postgres://127.0.0.1:5432/idp`.
    #[napi(getter)]
    pub fn store_description(&self) -> String {
        self.inner.store_description()
    }

    /// This instance's origin id, carried by the events it causes.
    #[napi(getter)]
    pub fn origin(&self) -> String {
        self.inner.origin().to_string()
    }
}

/// The catalogue of a platform (`platform.catalog`).
#[napi]
pub struct Catalog {
    inner: paved::platform::Catalog,
}

fn paths(list: Vec<String>) -> Vec<PathBuf> {
    list.into_iter().map(PathBuf::from).collect()
}

/// Run blocking engine work (file reads, parsing) off the JS thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

#[napi]
impl Catalog {
    /// Check catalogue files and directories (and the locations they name).
    /// Needs no store and writes nothing.
    #[napi]
    pub async fn validate(&self, paths: Vec<String>) -> Result<ValidationReport> {
        let catalog = self.inner.clone();
        let files = self::paths(paths);
        Ok(blocking(move || catalog.validate(&files)).await?.into())
    }

    /// Check YAML text (one or more documents). `name` is the file name
    /// diagnostics show (default `<inline>`).
    #[napi]
    pub async fn validate_text(
        &self,
        text: String,
        name: Option<String>,
    ) -> Result<ValidationReport> {
        let catalog = self.inner.clone();
        let name = name.unwrap_or_else(|| "<inline>".to_string());
        Ok(blocking(move || catalog.validate_text(&name, &text))
            .await?
            .into())
    }

    /// Check entities given as objects.
    #[napi]
    pub async fn validate_values(
        &self,
        #[napi(ts_arg_type = "Entity[]")] values: Vec<Value>,
    ) -> Result<ValidationReport> {
        let catalog = self.inner.clone();
        Ok(blocking(move || catalog.validate_values(values))
            .await?
            .into())
    }

    /// Import files, directories and the locations they name: all or nothing
    /// (any error, and a `VALIDATION` error lists every problem; nothing is written).
    #[napi]
    pub async fn import(
        &self,
        paths: Vec<String>,
        options: Option<ImportOptions>,
    ) -> Result<ChangeSet> {
        let opts = options.unwrap_or_default().core();
        let set = self.inner.import(&self::paths(paths), &opts).await.napi()?;
        Ok(set.into())
    }

    /// Create or update one entity. With `etag`, only if the stored entity has
    /// that etag (`""`: only if it does not exist yet), else a `CONFLICT` error.
    #[napi]
    pub async fn upsert(
        &self,
        #[napi(ts_arg_type = "Entity")] entity: Value,
        options: Option<WriteOptions>,
    ) -> Result<ChangeSet> {
        let (etag, opts) = options.unwrap_or_default().core();
        Ok(self.inner.upsert(entity, etag, &opts).await.napi()?.into())
    }

    /// Delete one entity (its relations go with it). `NOT_FOUND` if it does not exist.
    #[napi]
    pub async fn delete(
        &self,
        entity_ref: String,
        options: Option<WriteOptions>,
    ) -> Result<ChangeSet> {
        let (etag, opts) = options.unwrap_or_default().core();
        Ok(self
            .inner
            .delete(&entity_ref, etag, &opts)
            .await
            .napi()?
            .into())
    }

    /// One entity with its relations, e.g. `get('component:default/orders')`
    /// (`component:orders` is the same: the namespace defaults to `default`).
    /// `NOT_FOUND` if missing.
    #[napi(ts_return_type = "Promise<Entity>")]
    pub async fn get(&self, entity_ref: String) -> Result<Value> {
        let entity = self.inner.get(&entity_ref).await.napi()?;
        Ok(entity.to_value())
    }

    /// Filter, search, project, order and page.
    #[napi]
    pub async fn query(&self, options: Option<QueryOptions>) -> Result<Page> {
        let query = options.unwrap_or_default().core().napi()?;
        Ok(self.inner.query(&query).await.napi()?.into())
    }

    /// Full-text search over name, title, description and tags.
    #[napi]
    pub async fn search(&self, text: String, options: Option<SearchOptions>) -> Result<Page> {
        let limit = options.and_then(|o| o.limit).map(|l| l as usize);
        Ok(self.inner.search(&text, limit).await.napi()?.into())
    }

    /// How many entities have each value of `field` (e.g. `kind`, `spec.type`,
    /// `spec.owner`, `spec.lifecycle`, `metadata.tags`), among those matching the filter.
    #[napi]
    pub async fn facets(
        &self,
        field: String,
        options: Option<FilterOptions>,
    ) -> Result<Vec<FacetCount>> {
        let filter = options.unwrap_or_default().predicate().napi()?;
        let counts = self.inner.facets(&field, filter.as_ref()).await.napi()?;
        Ok(counts.into_iter().map(FacetCount::from).collect())
    }

    /// Walk relations from an entity.
    #[napi]
    pub async fn graph(&self, entity_ref: String, options: Option<GraphOptions>) -> Result<Graph> {
        let options = options.unwrap_or_default();
        let traversal = match options.traversal.as_deref() {
            Some(t) => paved::graph::Traversal::parse(t).napi()?,
            None => paved::graph::Traversal::default(),
        };
        let depth = options.depth.unwrap_or(DEFAULT_DEPTH) as usize;
        Ok(self
            .inner
            .graph(&entity_ref, traversal, depth)
            .await
            .napi()?
            .into())
    }
}

/// The audit log of a platform (`platform.audit`).
#[napi]
pub struct Audit {
    inner: paved::platform::Audit,
}

#[napi]
impl Audit {
    /// Records with `seq` greater than `after`, oldest first.
    #[napi]
    pub async fn list(&self, options: Option<AuditListOptions>) -> Result<Vec<AuditRecord>> {
        let options = options.unwrap_or_default();
        let after = u64::try_from(options.after.unwrap_or(0)).unwrap_or(0);
        let limit = options.limit.unwrap_or(DEFAULT_LIMIT) as usize;
        let records = self.inner.list(after, limit).await.napi()?;
        Ok(records.into_iter().map(AuditRecord::from).collect())
    }

    /// Records about one entity, newest first.
    #[napi]
    pub async fn for_entity(
        &self,
        entity_ref: String,
        options: Option<AuditLimitOptions>,
    ) -> Result<Vec<AuditRecord>> {
        let limit = options.and_then(|o| o.limit).unwrap_or(DEFAULT_LIMIT) as usize;
        let records = self.inner.for_entity(&entity_ref, limit).await.napi()?;
        Ok(records.into_iter().map(AuditRecord::from).collect())
    }

    /// Check the whole hash chain.
    #[napi]
    pub async fn verify(&self) -> Result<VerifyReport> {
        Ok(self.inner.verify().await.napi()?.into())
    }
}
