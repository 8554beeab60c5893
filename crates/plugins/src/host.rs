//! The public face of the plugin runtime: [`PluginHostBuilder`] configures
//! and builds the runtime (`src/engine.rs`: engine, linker, cache, epoch
//! ticker), and [`PluginHost`] loads plugins on it. Loading a plugin compiles
//! it once into an `InstancePre`; each call then gets a fresh `Store` (see
//! `src/plugin.rs`), or one change's reviews share one (`src/guardrail.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use paved_core::plugin::{CatalogueLookup, NoCatalogue};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::action::WasmAction;
use crate::cache::CacheOutcome;
use crate::config::{PluginConfig, PluginKind};
use crate::engine::{Runtime, RuntimeOptions};
use crate::error::{PluginError, Result};
use crate::guardrail::WasmGuardrail;
use crate::plugin::Plugin;
use crate::provider::WasmProvider;
use crate::secrets::{NoSecrets, SecretStore};

/// Builds a [`PluginHost`].
pub struct PluginHostBuilder {
    cache_dir: Option<PathBuf>,
    catalogue: Arc<dyn CatalogueLookup>,
    secrets: Arc<dyn SecretStore>,
    epochs: bool,
    prepare: bool,
}

impl Default for PluginHostBuilder {
    fn default() -> Self {
        Self {
            cache_dir: None,
            catalogue: Arc::new(NoCatalogue),
            secrets: Arc::new(NoSecrets),
            epochs: true,
            prepare: false,
        }
    }
}

impl PluginHostBuilder {
    /// Cache precompiled components in `dir` (created if missing).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The catalogue guardrails may read (when granted).
    pub fn catalogue(mut self, catalogue: Arc<dyn CatalogueLookup>) -> Self {
        self.catalogue = catalogue;
        self
    }

    /// Where granted secrets are read from.
    pub fn secrets(mut self, secrets: Arc<dyn SecretStore>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Prepare guardrails at load (off by default): snapshot each guardrail
    /// after it validated its configured settings, so that reviews start
    /// from decoded settings instead of decoding them (and compiling what
    /// the rule derives from them) on every call. Each review still gets a
    /// fresh instance. Costs two more compiles at the first load of a
    /// guardrail with given settings; with a [`cache_dir`](Self::cache_dir)
    /// later loads take them from the cache (how it works: `src/prepare.rs`).
    pub fn prepare_guardrails(mut self, on: bool) -> Self {
        self.prepare = on;
        self
    }

    /// Switch epoch interruption off (it is on by default). Without it a guest
    /// that loops in wasm is stopped by nothing: deadlines then only cover
    /// time spent in host imports. For measuring what the epoch checks cost
    /// (`paved-bench --bin plugins`), never for untrusted plugins.
    #[doc(hidden)]
    pub fn without_epoch_interruption_unsafe(mut self) -> Self {
        self.epochs = false;
        self
    }

    /// Create the engine, the linker and the epoch ticker.
    pub fn build(self) -> Result<PluginHost> {
        let runtime = Runtime::new(RuntimeOptions {
            cache_dir: self.cache_dir,
            catalogue: self.catalogue,
            secrets: self.secrets,
            max_instances: MAX_INSTANCES,
            epochs: self.epochs,
            prepare: self.prepare,
        })?;
        Ok(PluginHost {
            runtime: Arc::new(runtime),
        })
    }
}

/// How many plugin calls may run at the same time (pool slots).
const MAX_INSTANCES: u32 = 128;

/// The wasmtime host for paved plugins. Cheap to clone.
#[derive(Clone)]
pub struct PluginHost {
    runtime: Arc<Runtime>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").finish_non_exhaustive()
    }
}

impl PluginHost {
    /// Start building a host.
    pub fn builder() -> PluginHostBuilder {
        PluginHostBuilder::default()
    }

    /// Read and compile (or load from the cache) the component at
    /// `config.path`; also returns its bytes.
    async fn compile(&self, config: &PluginConfig) -> Result<(Component, CacheOutcome, Arc<[u8]>)> {
        let bytes = Runtime::read(&config.name, &config.path).await?;
        let (component, outcome) = self
            .runtime
            .compile_bytes(&config.name, bytes.clone())
            .await?;
        Ok((component, outcome, bytes))
    }

    /// The runtime plugins are loaded on.
    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Compile the component at `path` into the precompiled cache (or find it
    /// there), e.g. to warm the cache when deploying; says which happened.
    pub async fn precompile(&self, path: &std::path::Path) -> Result<CacheOutcome> {
        let name = path.display().to_string();
        let bytes = Runtime::read(&name, path).await?;
        Ok(self.runtime.compile_bytes(&name, bytes).await?.1)
    }

    /// Load a guardrail: compile, link against the `guardrail` world, check
    /// its exports, describe it and validate its settings.
    pub async fn load_guardrail(&self, config: PluginConfig) -> Result<WasmGuardrail> {
        expect_kind(&config, PluginKind::Guardrail)?;
        let (component, outcome, bytes) = self.compile(&config).await?;
        let plugin = Plugin::new(self.runtime.clone(), config, component, outcome)?;
        WasmGuardrail::new(plugin, &bytes, self.runtime.prepare)
            .await
            .map_err(at_load)
    }

    /// Load a provider: compile, link against the `provider` world, check its
    /// exports, describe it and validate its settings.
    pub async fn load_provider(&self, config: PluginConfig) -> Result<WasmProvider> {
        expect_kind(&config, PluginKind::Provider)?;
        let (component, outcome, _) = self.compile(&config).await?;
        WasmProvider::new(Plugin::new(
            self.runtime.clone(),
            config,
            component,
            outcome,
        )?)
        .await
    }

    /// Load an action plugin: compile, link against the `action` world,
    /// check its exports and describe its actions. It takes no settings
    /// check (the world has none) and should be given no grants.
    pub async fn load_action(&self, config: PluginConfig) -> Result<WasmAction> {
        expect_kind(&config, PluginKind::Action)?;
        let (component, outcome, _) = self.compile(&config).await?;
        let plugin = Plugin::new(self.runtime.clone(), config, component, outcome)?;
        WasmAction::open(plugin).await.map_err(at_load)
    }

    /// Load a guardrail or a provider, as configured (an action plugin is
    /// loaded with [`PluginHost::load_action`]).
    pub async fn load(&self, config: PluginConfig) -> Result<LoadedPlugin> {
        Ok(match config.kind {
            PluginKind::Guardrail => LoadedPlugin::Guardrail(self.load_guardrail(config).await?),
            PluginKind::Provider => LoadedPlugin::Provider(self.load_provider(config).await?),
            PluginKind::Action => LoadedPlugin::Action(self.load_action(config).await?),
        })
    }

    /// The engine (for benchmarks and inspection).
    pub fn engine(&self) -> &Engine {
        &self.runtime.engine
    }
}

/// A failure while loading (`describe`, `validate-settings`) is a `Load`
/// error with its cause first: a plugin that traps, times out, runs out of
/// memory or answers garbage at load did not load. Refused settings and
/// capabilities keep their own kinds.
fn at_load(e: PluginError) -> PluginError {
    match e {
        PluginError::Trap { .. }
        | PluginError::Timeout { .. }
        | PluginError::OutOfMemory { .. }
        | PluginError::BadOutput { .. } => PluginError::Load {
            message: format!("{} (at load, {})", e.detail(), e.kind()),
            plugin: e.plugin().to_owned(),
        },
        other => other,
    }
}

fn expect_kind(config: &PluginConfig, kind: PluginKind) -> Result<()> {
    if config.kind != kind {
        return Err(PluginError::load(
            &config.name,
            format!("configured as a {} but loaded as a {kind}", config.kind),
        ));
    }
    Ok(())
}

/// A loaded plugin of either kind.
#[derive(Debug)]
pub enum LoadedPlugin {
    Guardrail(WasmGuardrail),
    Provider(WasmProvider),
    Action(WasmAction),
}
