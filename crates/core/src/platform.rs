//! [`Platform`]: the engine a front opens, and its builder.
//!
//! A platform owns one store, the kind registry, the event bus and an origin id
//! (so a shared store does not echo a process's own events back to it).
//! Capabilities are grouped in handles: [`Platform::catalog`], [`Platform::audit`];
//! later capabilities (resources, golden paths, policies) add their own.
//!
//! ```no_run
//! # async fn demo() -> paved_core::Result<()> {
//! use paved_core::platform::{Platform, StoreSpec};
//! let platform = Platform::builder()
//!     .store(StoreSpec::parse("sqlite:.paved/paved.db")?)
//!     .build()
//!     .await?;
//! let report = platform.catalog().import(&["examples/catalog".into()], &Default::default()).await?;
//! println!("{} created", report.count(paved_core::store::Outcome::Created));
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use serde_json::Value;

use crate::audit::{AuditRecord, Verifier, VerifyReport};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::events::{EventBus, Subscription};
use crate::graph::{self, Graph, Traversal};
use crate::ingest::{self, Limits, Loaded};
use crate::model::schema::KindRegistry;
use crate::model::{Entity, EntityRef};
use crate::pipeline::{self, ChangeSet, Request, WriteOptions};
use crate::query::{FacetCount, Page, Predicate, Query};
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// Which store to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// A SQLite file (created if missing).
    Sqlite(PathBuf),
    /// SQLite in memory: gone when the platform is dropped.
    Memory,
    /// A PostgreSQL connection URL.
    Postgres(String),
}

/// Where the embedded default store lives, relative to the working directory.
pub const DEFAULT_SQLITE_PATH: &str = ".paved/paved.db";

impl Default for StoreSpec {
    fn default() -> Self {
        Self::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH))
    }
}

impl StoreSpec {
    /// Parse `sqlite:PATH`, `sqlite::memory:`, `memory`, `postgres://…` or `postgresql://…`.
    pub fn parse(s: &str) -> Result<Self> {
        if s == "memory" || s == "sqlite::memory:" || s == ":memory:" {
            return Ok(Self::Memory);
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(store_spec_error(s, "the sqlite path is empty"));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self::Postgres(s.to_string()));
        }
        Err(store_spec_error(
            s,
            "expected sqlite:PATH, sqlite::memory: or postgres://user@host:port/database",
        ))
    }
}

fn store_spec_error(input: &str, why: &str) -> Error {
    Error::invalid(Diagnostic::error(
        "store",
        format!("invalid store '{input}': {why}"),
    ))
}

/// Builds a [`Platform`].
#[derive(Default)]
pub struct PlatformBuilder {
    spec: Option<StoreSpec>,
    store: Option<Arc<dyn Store>>,
    kinds: Option<KindRegistry>,
    limits: Option<Limits>,
}

impl std::fmt::Debug for PlatformBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformBuilder")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl PlatformBuilder {
    /// Open this store (default: the SQLite file `.paved/paved.db`).
    pub fn store(mut self, spec: StoreSpec) -> Self {
        self.spec = Some(spec);
        self
    }

    /// Use a store that is already open.
    pub fn with_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Use this kind registry (built-in kinds plus registered custom kinds).
    pub fn kinds(mut self, kinds: KindRegistry) -> Self {
        self.kinds = Some(kinds);
        self
    }

    /// Limits for YAML input.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Open the store and start the platform.
    pub async fn build(self) -> Result<Platform> {
        let store: Arc<dyn Store> = match self.store {
            Some(s) => s,
            None => match self.spec.unwrap_or_default() {
                StoreSpec::Sqlite(path) => Arc::new(SqliteStore::open(&path).await?),
                StoreSpec::Memory => Arc::new(SqliteStore::memory().await?),
                StoreSpec::Postgres(url) => Arc::new(PostgresStore::connect(&url).await?),
            },
        };
        let origin = uuid::Uuid::new_v4().to_string();
        let bus = EventBus::new();
        let remote = match store.remote_events(&origin).await? {
            Some(mut stream) => {
                let bus = bus.clone();
                Some(tokio::spawn(async move {
                    while let Some(event) = stream.next().await {
                        bus.publish(event);
                    }
                }))
            }
            None => None,
        };
        Ok(Platform {
            inner: Arc::new(Inner {
                store,
                kinds: self.kinds.unwrap_or_else(KindRegistry::builtin),
                limits: self.limits.unwrap_or_default(),
                bus,
                origin,
                remote,
            }),
        })
    }
}

struct Inner {
    store: Arc<dyn Store>,
    kinds: KindRegistry,
    limits: Limits,
    bus: EventBus,
    origin: String,
    remote: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.remote.take() {
            task.abort();
        }
    }
}

/// An open platform. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Platform {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("store", &self.inner.store.describe())
            .field("origin", &self.inner.origin)
            .finish()
    }
}

impl Platform {
    /// Start building a platform.
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    /// The catalogue.
    pub fn catalog(&self) -> Catalog {
        Catalog {
            inner: self.inner.clone(),
        }
    }

    /// The audit log.
    pub fn audit(&self) -> Audit {
        Audit {
            inner: self.inner.clone(),
        }
    }

    /// Subscribe to events: this process's, and on a shared store, other processes'.
    pub fn subscribe(&self) -> Subscription {
        self.inner.bus.subscribe()
    }

    /// The store, for capabilities built on the platform.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The kind registry.
    pub fn kinds(&self) -> &KindRegistry {
        &self.inner.kinds
    }

    /// A description of the store, e.g. `sqlite:.paved/paved.db`.
    pub fn store_description(&self) -> String {
        self.inner.store.describe()
    }

    /// This instance's origin id (carried by its events).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }
}

/// Validate catalogue files without any store.
pub fn validate_paths(paths: &[PathBuf], kinds: &KindRegistry, limits: &Limits) -> Loaded {
    ingest::load_paths(paths, kinds, limits)
}

/// The catalogue of a platform.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalog")
    }
}

fn parse_ref(s: &str) -> Result<EntityRef> {
    EntityRef::parse(s).map_err(|e| Error::invalid(Diagnostic::error("ref", e.to_string())))
}

impl Catalog {
    async fn run(&self, request: Request, opts: &WriteOptions) -> Result<ChangeSet> {
        let inner = &self.inner;
        let (set, events) =
            pipeline::run(inner.store.as_ref(), &inner.origin, request, opts).await?;
        for e in events {
            inner.bus.publish(e);
        }
        Ok(set)
    }

    /// Validate files or directories (no writes).
    pub fn validate(&self, paths: &[PathBuf]) -> Loaded {
        ingest::load_paths(paths, &self.inner.kinds, &self.inner.limits)
    }

    /// Validate YAML text (no writes).
    pub fn validate_text(&self, name: &str, text: &str) -> Loaded {
        ingest::load_text(name, text, &self.inner.kinds, &self.inner.limits)
    }

    /// Validate entities given as JSON values (no writes).
    pub fn validate_values(&self, values: Vec<Value>) -> Loaded {
        ingest::load_values(values, &self.inner.kinds)
    }

    /// Import files, directories and the locations they name. Atomic: any
    /// error and nothing is written (`Error::Invalid` lists every problem).
    pub async fn import(&self, paths: &[PathBuf], opts: &WriteOptions) -> Result<ChangeSet> {
        let loaded = self.validate(paths);
        self.import_loaded(loaded, paths, opts).await
    }

    /// Import already loaded entities (e.g. from [`Catalog::validate_text`]).
    pub async fn import_loaded(
        &self,
        loaded: Loaded,
        roots: &[PathBuf],
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        let loaded = loaded.into_importable()?;
        let locations = roots
            .iter()
            .map(|p| ingest::location_key(p))
            .collect::<Vec<_>>();
        let mut set = self
            .run(
                Request::Import {
                    entities: loaded.entities,
                    locations,
                },
                opts,
            )
            .await?;
        let mut warnings = loaded.diagnostics;
        warnings.append(&mut set.warnings);
        set.warnings = warnings;
        Ok(set)
    }

    /// Create or update one entity given as JSON. With `expected_etag`, the
    /// stored entity must have that etag (`""`: must not exist yet).
    pub async fn upsert(
        &self,
        entity: Value,
        expected_etag: Option<String>,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        let loaded = ingest::load_values(vec![entity], &self.inner.kinds);
        if loaded.has_errors() {
            return Err(Error::Invalid {
                diagnostics: loaded.diagnostics,
            });
        }
        let mut warnings = loaded.diagnostics;
        let entity = loaded
            .entities
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid(Diagnostic::error("", "no entity given")))?
            .entity;
        let mut set = self
            .run(
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

    /// Delete one entity (its relations go with it).
    pub async fn delete(
        &self,
        entity_ref: &str,
        expected_etag: Option<String>,
        opts: &WriteOptions,
    ) -> Result<ChangeSet> {
        self.run(
            Request::Delete {
                entity_ref: parse_ref(entity_ref)?,
                expected_etag,
            },
            opts,
        )
        .await
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
            })
    }

    /// Filter, order, project, page.
    pub async fn query(&self, query: &Query) -> Result<Page> {
        self.inner.store.query(query).await
    }

    /// Full-text search over name, title, description and tags.
    pub async fn search(&self, text: &str, limit: Option<usize>) -> Result<Page> {
        self.query(&Query {
            text: Some(text.to_string()),
            limit,
            ..Query::default()
        })
        .await
    }

    /// Counts per value of `field`.
    pub async fn facets(&self, field: &str, filter: Option<&Predicate>) -> Result<Vec<FacetCount>> {
        self.inner.store.facets(field, filter).await
    }

    /// Traverse relations from an entity.
    pub async fn graph(
        &self,
        entity_ref: &str,
        traversal: Traversal,
        depth: usize,
    ) -> Result<Graph> {
        graph::traverse(
            self.inner.store.as_ref(),
            &parse_ref(entity_ref)?,
            traversal,
            depth,
        )
        .await
    }
}

/// The audit log of a platform.
#[derive(Clone)]
pub struct Audit {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audit")
    }
}

impl Audit {
    /// Records with `seq > after`, oldest first.
    pub async fn list(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        self.inner.store.audit_records(after, limit).await
    }

    /// Records about one entity, newest first.
    pub async fn for_entity(&self, entity_ref: &str, limit: usize) -> Result<Vec<AuditRecord>> {
        self.inner
            .store
            .audit_for(&parse_ref(entity_ref)?, limit)
            .await
    }

    /// Check the whole hash chain.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let mut v = Verifier::default();
        let mut after = 0;
        loop {
            let page = self.inner.store.audit_records(after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in &page {
                if !v.feed(r) {
                    return Ok(v.finish());
                }
            }
        }
        Ok(v.finish())
    }
}

/// Plugins read the platform's own catalogue (the `catalogue` grant).
#[async_trait::async_trait]
impl crate::plugin::CatalogueLookup for Catalog {
    async fn get(&self, entity_ref: &str) -> Result<Option<Value>> {
        match Catalog::get(self, entity_ref).await {
            Ok(e) => Ok(Some(e.to_value())),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn query(&self, filter: &str) -> Result<Vec<Value>> {
        let filter = crate::query::parse_filters(&[filter.to_string()]).map_err(Error::invalid)?;
        let page = Catalog::query(
            self,
            &Query {
                filter,
                limit: Some(crate::query::MAX_LIMIT),
                ..Query::default()
            },
        )
        .await?;
        Ok(page.items)
    }
}
