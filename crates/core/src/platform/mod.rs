//! [`Platform`]: the engine a front opens, and its builder.
//!
//! A platform owns one store, the kind registry, the event bus, an origin id
//! (so a shared store does not echo a process's own events back to it), the
//! actor it writes as by default, and the plugins it was built with.
//! Capabilities are grouped in handles: [`Platform::catalog`],
//! [`Platform::audit`], [`Platform::plugins`], [`Platform::policies`],
//! [`Platform::scorecards`], [`Platform::approvals`], [`Platform::resources`], [`Platform::paths`]. Every write a handle makes goes
//! through `pipeline::run`; the store is never handed out.
//!
//! ```no_run
//! # async fn demo() -> paved_core::Result<()> {
//! use paved_core::platform::{Platform, StoreSpec};
//! use paved_core::pipeline::{Outcome, WriteOptions};
//! let platform = Platform::builder()
//!     .store(StoreSpec::parse("sqlite:.paved/paved.db")?)
//!     .build()
//!     .await?;
//! let report = platform.catalog().import(&["examples/catalog".into()], None, &WriteOptions::default()).await?;
//! println!("{} created", report.count(Outcome::Created));
//! # Ok(()) }
//! ```

mod approvals;
mod audit;
mod catalog;
mod locations;
mod paths;
mod plugins;
mod policies;
mod resources;
mod scorecards;

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use futures::StreamExt;

pub use self::approvals::{ApprovalFilter, Approvals, DEFAULT_APPROVALS};
pub use self::audit::Audit;
pub use self::catalog::Catalog;
pub use self::paths::{DEFAULT_RUNS, Metrics, MetricsOptions, Paths};
pub use self::plugins::{PluginInfo, PluginSummary, Plugins};
pub use self::policies::{DecisionFilter, Explained, Policies, parse_decision_id};
pub use self::resources::{DEFAULT_HISTORY, Resources};
pub use self::scorecards::Scorecards;
use crate::access::{AccessControl, AccessRules};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::events::{EventBus, Subscription};
use crate::ingest::{self, Limits, Loaded, Reading};
use crate::locations::CatalogSettings;
use crate::model::schema::KindRegistry;
use crate::pipeline::ChangeSet;
use crate::pipeline::{self, Check, Context, DEFAULT_ACTOR, Request, WriteOptions};
use crate::plugin::{ActionPlugin, CatalogueLookup, Guardrail, Provider};
use crate::policy::{Binding, LivePolicies, PolicySet, RegoLoader, Resolver};
use crate::resource::ResourceSettings;
use crate::resource::seal::Sealer;
use crate::scorecard::Scorecard;
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
    kinds: Option<KindRegistry>,
    actor: Option<String>,
    guardrails: Vec<Arc<dyn Guardrail>>,
    providers: Vec<Arc<dyn Provider>>,
    actions: Vec<Arc<dyn ActionPlugin>>,
    checks: Vec<Arc<dyn Check>>,
    policies: Vec<Binding>,
    rego: Option<Arc<dyn RegoLoader>>,
    access: Option<AccessRules>,
    scorecards: Vec<Scorecard>,
    resources: ResourceSettings,
    catalog: CatalogSettings,
    reading: Reading,
}

impl std::fmt::Debug for PlatformBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformBuilder")
            .field("spec", &self.spec)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

impl PlatformBuilder {
    /// Open this store (default: the SQLite file `.paved/paved.db`).
    pub fn store(mut self, spec: StoreSpec) -> Self {
        self.spec = Some(spec);
        self
    }

    /// Use this kind registry (built-in kinds plus registered custom kinds).
    pub fn kinds(mut self, kinds: KindRegistry) -> Self {
        self.kinds = Some(kinds);
        self
    }

    /// The actor writes are recorded under when they name none
    /// (default [`DEFAULT_ACTOR`]). Checked by [`pipeline::check_actor`].
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// A guardrail the platform can run (`plugins().review(name, …)`).
    pub fn guardrail(mut self, guardrail: Arc<dyn Guardrail>) -> Self {
        self.guardrails.push(guardrail);
        self
    }

    /// A provider the platform drives (`plugins().apply(name, …)`).
    pub fn provider(mut self, provider: Arc<dyn Provider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// An action plugin: the actions it provides are what golden paths may
    /// use besides the built-in ones (described when the platform is built).
    pub fn action(mut self, plugin: Arc<dyn ActionPlugin>) -> Self {
        self.actions.push(plugin);
        self
    }

    /// A check every write passes between plan and commit, after the
    /// checks added before it.
    pub fn check(mut self, check: Arc<dyn Check>) -> Self {
        self.checks.push(check);
        self
    }

    /// Policy bindings every write is reviewed by, in this order (after
    /// those added before). Each names one of the platform's guardrails;
    /// its settings are validated when the platform is built.
    pub fn policies(mut self, bindings: impl IntoIterator<Item = Binding>) -> Self {
        self.policies.extend(bindings);
        self
    }

    /// Compiles the Rego of `Policy` entities that carry it (the `paved`
    /// facade gives one backed by `paved-rego`). Without one, a Policy
    /// entity must name a guardrail plugin.
    pub fn rego_loader(mut self, loader: Arc<dyn RegoLoader>) -> Self {
        self.rego = Some(loader);
        self
    }

    /// Access rules every write's actor is checked against, before the
    /// policies (none: no access control). Checked when the platform is built.
    pub fn access(mut self, rules: AccessRules) -> Self {
        self.access = Some(rules);
        self
    }

    /// Scorecards that score entities with the policies (after those added
    /// before). Each rule names a policy; checked when the platform is built.
    pub fn scorecards(mut self, scorecards: impl IntoIterator<Item = Scorecard>) -> Self {
        self.scorecards.extend(scorecards);
        self
    }

    /// How resources are applied: parallelism, lease lifetime, the key
    /// outputs are sealed with (see [`ResourceSettings`]).
    pub fn resources(mut self, settings: ResourceSettings) -> Self {
        self.resources = settings;
        self
    }

    /// How the catalogue keeps in sync with its locations: the orphan
    /// strategy (see [`crate::locations`]).
    pub fn catalog(mut self, settings: CatalogSettings) -> Self {
        self.catalog = settings;
        self
    }

    /// Which URLs catalogue imports may read (URL roots, `url` Locations,
    /// `$text`/`$json`/`$yaml` URL targets), with size, time and redirect
    /// bounds (default: no host is allowed, nothing is read over the network).
    pub fn reading(mut self, reading: Reading) -> Self {
        self.reading = reading;
        self
    }

    /// Open the store and start the platform.
    pub async fn build(self) -> Result<Platform> {
        let actor = pipeline::check_actor(self.actor.as_deref().unwrap_or(DEFAULT_ACTOR))?;
        let access = AccessControl::new(self.access)?;
        let plugins = plugins::Registry::new(self.guardrails, self.providers, self.actions).await?;
        let config = PolicySet::resolve(self.policies, |name| plugins.guardrail(name)).await?;
        let spec = self.spec.unwrap_or_default();
        let sealer = Sealer::for_store(self.resources.state_key, &spec)?;
        let store: Arc<dyn Store> = match spec {
            StoreSpec::Sqlite(path) => Arc::new(SqliteStore::open(&path).await?),
            StoreSpec::Memory => Arc::new(SqliteStore::memory().await?),
            StoreSpec::Postgres(url) => Arc::new(PostgresStore::connect(&url).await?),
        };
        let policies = LivePolicies::new(Resolver::new(plugins.guardrails(), self.rego), config);
        let names: Vec<String> = policies
            .current(store.as_ref())
            .await?
            .bindings()
            .map(|b| b.name.clone())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        crate::scorecard::check(&self.scorecards, &names)?;
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
                limits: Limits::default(),
                reading: self.reading,
                bus,
                origin,
                actor,
                checks: self.checks,
                access,
                policies,
                scorecards: self.scorecards,
                plugins,
                resources: self.resources,
                catalog: self.catalog,
                sealer,
                remote,
            }),
        })
    }
}

pub(crate) struct Inner {
    store: Arc<dyn Store>,
    kinds: KindRegistry,
    limits: Limits,
    /// Which URLs loads may read.
    reading: Reading,
    bus: EventBus,
    origin: String,
    actor: String,
    /// Access stages of the pipeline, in order.
    checks: Vec<Arc<dyn Check>>,
    /// Access rules (the pipeline's stage before the guardrails).
    access: AccessControl,
    /// Policy bindings (the pipeline's guardrail stage): `paved.yaml`'s
    /// and the catalogue's Policy entities.
    policies: LivePolicies,
    /// Scorecards (their rules name policies).
    scorecards: Vec<Scorecard>,
    plugins: plugins::Registry,
    /// How resources are applied.
    resources: ResourceSettings,
    /// How the catalogue keeps in sync with its locations.
    catalog: CatalogSettings,
    /// Seals resource outputs at rest.
    sealer: Sealer,
    remote: Option<tokio::task::JoinHandle<()>>,
}

impl Inner {
    /// What the pipeline needs, with the policies in force now.
    async fn context(&self) -> Result<Context<'_>> {
        Ok(Context {
            store: self.store.as_ref(),
            bus: &self.bus,
            origin: &self.origin,
            actor: &self.actor,
            checks: &self.checks,
            access: &self.access,
            policies: self.policies.current(self.store.as_ref()).await?,
            resolver: self.policies.resolver(),
            kinds: &self.kinds,
            orphans: self.catalog.orphan_strategy,
        })
    }

    /// The store, shared (for work that outlives a borrow: lease renewal).
    pub(crate) fn store_arc(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Run a request through the one pipeline. After a bulk one (an import
    /// or a location refresh of [`crate::store::BULK`] entities or more),
    /// the memory it held goes back to the operating system.
    pub(crate) async fn write(&self, request: Request, opts: &WriteOptions) -> Result<ChangeSet> {
        let bulk = request.entities() >= crate::store::BULK;
        let written = pipeline::run(&self.context().await?, request, opts).await;
        if bulk {
            crate::memory::release_free_memory();
        }
        written
    }

    /// Run a side effect (a provider call) through the one pipeline.
    pub(crate) async fn effect<T>(
        &self,
        record: crate::store::AuditOnly,
        item: crate::policy::Item,
        opts: &WriteOptions,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        pipeline::run_effect(&self.context().await?, record, item, opts, call).await
    }
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
            .field("actor", &self.inner.actor)
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
        Catalog::new(self.inner.clone())
    }

    /// The audit log.
    pub fn audit(&self) -> Audit {
        Audit::new(self.inner.clone())
    }

    /// The plugins the platform was built with.
    pub fn plugins(&self) -> Plugins {
        Plugins::new(self.inner.clone())
    }

    /// The policy bindings, their decisions, and trying a change on them.
    pub fn policies(&self) -> Policies {
        Policies::new(self.inner.clone())
    }

    /// The scorecards: entities and teams scored with the policies, and
    /// their scores over time.
    pub fn scorecards(&self) -> Scorecards {
        Scorecards::new(self.inner.clone())
    }

    /// Changes held for approval by the policies that ask for it, and
    /// approving or rejecting them.
    pub fn approvals(&self) -> Approvals {
        Approvals::new(self.inner.clone())
    }

    /// Resources: plan, apply, drift, destroy and import through the
    /// providers, with versioned state, leases and a journal.
    pub fn resources(&self) -> Resources {
        Resources::new(self.inner.clone())
    }

    /// Golden paths: the catalogue's Templates, previewed, run (rolled
    /// back when a step fails, resumed after a crash) and measured.
    pub fn paths(&self) -> Paths {
        Paths::new(self.inner.clone())
    }

    /// Subscribe to events: this process's, and on a shared store, other processes'.
    pub fn subscribe(&self) -> Subscription {
        self.inner.bus.subscribe()
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

    /// The actor writes are recorded under when they name none.
    pub fn actor(&self) -> &str {
        &self.inner.actor
    }

    /// Read-only catalogue lookups for plugins (the `catalogue` grant). It
    /// holds the platform weakly, so a plugin host that keeps it does not
    /// keep the platform open; after the platform is closed, lookups fail
    /// with a store error.
    pub fn catalogue_lookup(&self) -> Arc<dyn CatalogueLookup> {
        Arc::new(catalog::WeakCatalog(Arc::downgrade(&self.inner)))
    }
}

/// Validate catalogue files (and URLs, as `reading` allows) without any
/// store (the same checks an import runs first).
pub fn validate_paths(paths: &[PathBuf], kinds: &KindRegistry, reading: &Reading) -> Loaded {
    ingest::load_paths(paths, kinds, &Limits::default(), reading)
}

pub(crate) fn parse_ref(s: &str) -> Result<crate::model::EntityRef> {
    crate::model::EntityRef::parse(s)
        .map_err(|e| Error::invalid(Diagnostic::error("ref", e.to_string())))
}

pub(crate) fn upgrade(inner: &Weak<Inner>) -> Result<Arc<Inner>> {
    inner
        .upgrade()
        .ok_or_else(|| Error::store_msg("the platform is closed"))
}
