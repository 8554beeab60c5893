//! [`open`]: the one way every front opens a platform. Store, configuration
//! file, actor and plugins are resolved here, once, with the same rules for
//! the CLI, Python, Node and Rust:
//!
//! | what | first of |
//! |---|---|
//! | configuration file | `OpenOptions::config`, `$PAVED_CONFIG`, `./paved.yaml` when it exists |
//! | store | `OpenOptions::store`, `$PAVED_STORE`, the file's `store`, `sqlite:.paved/paved.db` |
//! | actor | `OpenOptions::actor`, `$PAVED_ACTOR`, the file's `actor`, `system` |
//! | plugins | the file's `plugins`, then `OpenOptions::plugins` |
//!
//! Plugins are loaded into one wasmtime host whose `catalogue` grant reads
//! this platform's catalogue, and handed to the platform, which runs
//! reviews and provider calls (audited) through `Platform::plugins()`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use paved_core::plugin::CatalogueLookup;
use paved_core::{Error, Platform, Result, StoreSpec};
use paved_plugins::{EnvSecrets, LoadedPlugin, PluginConfig, PluginHost};
use serde_json::Value;

use crate::config::Config;

/// The configuration file used when none is named and it exists.
pub const DEFAULT_CONFIG: &str = "paved.yaml";

/// How to open a platform. Every field is optional; see the module docs for
/// what each falls back to.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Store URL: `sqlite:PATH`, `sqlite::memory:` or `postgres://…`.
    pub store: Option<String>,
    /// A `paved.yaml`.
    pub config: Option<PathBuf>,
    /// Who writes when a call names no actor.
    pub actor: Option<String>,
    /// Plugins to load besides the configuration file's.
    pub plugins: Vec<PluginConfig>,
    /// Directory for precompiled plugin components.
    pub plugin_cache: Option<PathBuf>,
    /// Snapshot each guardrail after it validated its settings, so reviews
    /// start warm (costs two compiles per guardrail at its first load).
    pub prepare_guardrails: bool,
}

impl OpenOptions {
    /// Open this store.
    pub fn store(mut self, store: impl Into<String>) -> Self {
        self.store = Some(store.into());
        self
    }

    /// Read this configuration file.
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(path.into());
        self
    }

    /// Write as this actor by default.
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// Load this plugin too.
    pub fn plugin(mut self, plugin: PluginConfig) -> Self {
        self.plugins.push(plugin);
        self
    }

    /// Keep precompiled plugin components in this directory.
    pub fn plugin_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plugin_cache = Some(dir.into());
        self
    }

    /// Prepare guardrails at load (see the field).
    pub fn prepare_guardrails(mut self, on: bool) -> Self {
        self.prepare_guardrails = on;
        self
    }

    /// The configuration file these options name, loaded; empty when none
    /// is named and `./paved.yaml` does not exist.
    pub fn load_config(&self) -> Result<Config> {
        let named = self
            .config
            .clone()
            .or_else(|| env("PAVED_CONFIG").map(PathBuf::from));
        match named {
            Some(path) => Config::load(&path),
            None if Path::new(DEFAULT_CONFIG).exists() => Config::load(Path::new(DEFAULT_CONFIG)),
            None => Ok(Config::default()),
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Catalogue lookups for plugins, bound to the platform once it exists (the
/// plugins are loaded before the platform that holds them is built).
#[derive(Default)]
struct LateCatalogue(OnceLock<Arc<dyn CatalogueLookup>>);

#[async_trait::async_trait]
impl CatalogueLookup for LateCatalogue {
    async fn get(&self, entity_ref: &str) -> Result<Option<Value>> {
        match self.0.get() {
            Some(c) => c.get(entity_ref).await,
            None => Err(Error::store_msg("the platform is still opening")),
        }
    }

    async fn query(&self, filter: &str) -> Result<Vec<Value>> {
        match self.0.get() {
            Some(c) => c.query(filter).await,
            None => Err(Error::store_msg("the platform is still opening")),
        }
    }
}

/// Open a platform: resolve configuration, store and actor, load the
/// plugins, open the store.
pub async fn open(options: OpenOptions) -> Result<Platform> {
    let config = options.load_config()?;
    let store = match options.store.clone().or_else(|| env("PAVED_STORE")) {
        Some(s) => StoreSpec::parse(&s)?,
        None => config.store_spec()?.unwrap_or_default(),
    };
    let actor = match options.actor.clone().or_else(|| env("PAVED_ACTOR")) {
        Some(actor) => Some(actor),
        // Checked here, where its line is known (the builder checks any actor).
        None => config.checked_actor()?,
    };
    let mut builder = Platform::builder()
        .store(store)
        .resources(config.resource_settings()?)
        .catalog(config.catalog.clone().unwrap_or_default())
        .reading(config.reading()?)
        .kinds(config.kinds()?)
        .rego_loader(Arc::new(crate::rego::Loader));
    if let Some(actor) = actor {
        builder = builder.actor(actor);
    }
    if let Some(access) = config.access.clone() {
        builder = builder.access(access);
    }
    config.check_plugin_names()?;
    let mut plugins = config.plugins();
    let from_file = plugins.len();
    plugins.extend(options.plugins.iter().cloned());
    let catalogue = Arc::new(LateCatalogue::default());
    if !plugins.is_empty() {
        // Secret grants read the process environment (`PAVED_SECRET_<NAME>`).
        let mut host = PluginHost::builder()
            .catalogue(catalogue.clone())
            .secrets(Arc::new(EnvSecrets))
            .prepare_guardrails(options.prepare_guardrails);
        if let Some(dir) = options
            .plugin_cache
            .clone()
            .or_else(|| config.plugin_cache())
        {
            host = host.cache_dir(dir);
        }
        let host = host.build()?;
        for (i, plugin) in plugins.into_iter().enumerate() {
            let locate = |e: paved_plugins::PluginError| {
                let e = Error::from(e);
                if i < from_file {
                    config.locate_plugin(e, i)
                } else {
                    e
                }
            };
            builder = match host.load(plugin).await.map_err(locate)? {
                LoadedPlugin::Guardrail(g) => builder.guardrail(Arc::new(g)),
                LoadedPlugin::Provider(p) => builder.provider(Arc::new(p)),
                // An action plugin provides golden-path actions (`kind: action`).
                LoadedPlugin::Action(a) => builder.action(Arc::new(a)),
            };
        }
    }
    let policies = config.policies();
    let mut rego_names = std::collections::HashSet::new();
    for binding in &policies {
        if let Some(rego) = &binding.rego
            // A second policy of one name is refused by name when the
            // platform is built, not as a second guardrail of that name.
            && rego_names.insert(binding.name.as_str())
        {
            builder = builder.guardrail(crate::rego::load(&binding.name, rego)?);
        }
    }
    let platform = builder
        .policies(policies)
        .scorecards(config.scorecards.clone())
        .build()
        .await
        // Of what the builder checks, these sections come from the file
        // alone (the actor and the plugins may come from elsewhere, and the
        // builder cannot tell which plugin entry of the file is which).
        .map_err(|e| config.locate(e, &["policies", "access", "scorecards"]))?;
    // Set once, right after the build: nothing else can have set it.
    let _ = catalogue.0.set(platform.catalogue_lookup());
    Ok(platform)
}

/// Validate catalogue files without a store, with the kinds of the
/// configuration file `options` name (the checks an import runs first).
pub fn validate(paths: &[PathBuf], options: &OpenOptions) -> Result<paved_core::ingest::Loaded> {
    let config = options.load_config()?;
    let (kinds, reading) = (config.kinds()?, config.reading()?);
    Ok(paved_core::platform::validate_paths(
        paths, &kinds, &reading,
    ))
}
