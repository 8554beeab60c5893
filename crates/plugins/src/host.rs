//! The plugin host: one wasmtime [`Engine`] (pooling allocator, epoch
//! interruption, a ticker thread advancing the epoch), one [`Linker`] with
//! WASI and the `paved:plugin/host` imports, and the precompiled-component
//! cache. Loading a plugin compiles it once into an `InstancePre`; each call
//! then gets a fresh `Store` (see [`crate::call`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use paved_core::plugin::{CatalogueLookup, NoCatalogue};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings;
use crate::cache::{CacheOutcome, ComponentCache};
use crate::config::{MAX_MEMORY_MIB, PluginConfig, PluginKind};
use crate::error::{PluginError, Result};
use crate::filesystem_watch::{self, EmptyDir};
use crate::guardrail::WasmGuardrail;
use crate::plugin::Plugin;
use crate::provider::WasmProvider;
use crate::secrets::{NoSecrets, SecretStore};
use crate::state::CallState;

/// How often the epoch advances; deadlines are counted in these ticks.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Builds a [`PluginHost`].
pub struct PluginHostBuilder {
    cache_dir: Option<PathBuf>,
    catalogue: Arc<dyn CatalogueLookup>,
    secrets: Arc<dyn SecretStore>,
    max_instances: u32,
    epochs: bool,
    prepare: bool,
}

impl Default for PluginHostBuilder {
    fn default() -> Self {
        Self {
            cache_dir: None,
            catalogue: Arc::new(NoCatalogue),
            secrets: Arc::new(NoSecrets),
            max_instances: 128,
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

    /// How many plugin calls may run at the same time (pool slots; default 128).
    pub fn max_concurrent_calls(mut self, n: u32) -> Self {
        self.max_instances = n.max(1);
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
        let err = |e: wasmtime::Error| PluginError::load("<host>", format!("{e:#}"));
        let engine = engine(self.max_instances, self.epochs).map_err(err)?;

        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(err)?;
        filesystem_watch::watch(&mut linker).map_err(err)?;
        bindings::guardrail::Guardrail::add_to_linker::<_, wasmtime::component::HasSelf<_>>(
            &mut linker,
            |s| s,
        )
        .map_err(err)?;
        bindings::provider::paved::plugin::provider_types::add_to_linker::<
            _,
            wasmtime::component::HasSelf<_>,
        >(&mut linker, |s| s)
        .map_err(err)?;
        let cache = match self.cache_dir {
            None => None,
            Some(dir) => Some(ComponentCache::new(dir.clone(), &engine).map_err(|e| {
                PluginError::load("<host>", format!("cache directory {}: {e}", dir.display()))
            })?),
        };
        let outside = EmptyDir::new().map_err(|e| {
            PluginError::load("<host>", format!("cannot create an empty directory: {e}"))
        })?;
        let ticker = self.epochs.then(|| Ticker::start(engine.clone()));
        Ok(PluginHost {
            inner: Arc::new(HostInner {
                engine,
                linker,
                cache,
                catalogue: self.catalogue,
                secrets: self.secrets,
                epochs: self.epochs,
                prepare: self.prepare,
                outside,
                _ticker: ticker,
            }),
        })
    }
}

/// Linear memory kept resident in a pool slot between calls (see [`engine`]).
const KEEP_RESIDENT_MEMORY: usize = 2 << 20;
/// Table bytes kept resident in a pool slot between calls.
const KEEP_RESIDENT_TABLE: usize = 64 << 10;

/// The engine: pooling allocator sized for `n` concurrent calls, epoch
/// interruption unless switched off.
///
/// Where the kernel offers `PAGEMAP_SCAN` (Linux 6.7+), a slot's memory is
/// reset between calls by copying back only the pages the guest dirtied, up
/// to [`KEEP_RESIDENT_MEMORY`], instead of `madvise`: the next call then
/// takes no page faults, and calls on several threads stop contending for
/// the kernel's memory-map lock (measured by `paved-bench --bin plugins`:
/// p50 halved, and two threads went from 0.6x to 1.7x the throughput of
/// one). Elsewhere the plain `madvise` reset is kept, because without the
/// scan wasmtime would `memset` the whole kept region on every call.
fn engine(n: u32, epochs: bool) -> wasmtime::Result<Engine> {
    let build = |scan: bool| {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .total_stacks(n)
            .max_memory_size((MAX_MEMORY_MIB as usize) << 20);
        if scan {
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(KEEP_RESIDENT_MEMORY)
                .table_keep_resident(KEEP_RESIDENT_TABLE);
        }
        let mut config = Config::new();
        config
            .epoch_interruption(epochs)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        Engine::new(&config)
    };
    build(true).or_else(|_| build(false))
}

/// Advances the engine's epoch every [`TICK`] until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("paved-plugin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawn the epoch ticker thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) struct HostInner {
    pub engine: Engine,
    pub linker: Linker<CallState>,
    cache: Option<ComponentCache>,
    pub catalogue: Arc<dyn CatalogueLookup>,
    pub secrets: Arc<dyn SecretStore>,
    /// Whether epoch interruption is on (it is, unless a benchmark said not).
    pub epochs: bool,
    /// Whether guardrails are prepared at load.
    pub prepare: bool,
    /// Preopened at `/` for plugins with directory grants (see
    /// `src/filesystem_watch.rs`).
    pub outside: EmptyDir,
    _ticker: Option<Ticker>,
}

/// The wasmtime host for paved plugins. Cheap to clone.
#[derive(Clone)]
pub struct PluginHost {
    pub(crate) inner: Arc<HostInner>,
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
    pub(crate) async fn compile(
        &self,
        config: &PluginConfig,
    ) -> Result<(Component, CacheOutcome, Arc<[u8]>)> {
        let bytes: Arc<[u8]> = tokio::fs::read(&config.path)
            .await
            .map_err(|e| {
                PluginError::load(&config.name, format!("{}: {e}", config.path.display()))
            })?
            .into();
        let (component, outcome) = self.compile_bytes(&config.name, bytes.clone()).await?;
        Ok((component, outcome, bytes))
    }

    /// The precompiled-component cache, if one is configured.
    pub(crate) fn cache(&self) -> Option<&ComponentCache> {
        self.inner.cache.as_ref()
    }

    /// Compile (or load from the cache) a component from its bytes.
    pub(crate) async fn compile_bytes(
        &self,
        name: &str,
        bytes: Arc<[u8]>,
    ) -> Result<(Component, CacheOutcome)> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || match &inner.cache {
            Some(cache) => cache.load(&inner.engine, &bytes),
            None => Component::new(&inner.engine, &bytes).map(|c| (c, CacheOutcome::Compiled)),
        })
        .await
        .map_err(|e| PluginError::load(name, format!("compile task failed: {e}")))?
        .map_err(|e| PluginError::load(name, format!("not a valid component: {e:#}")))
    }

    /// Compile the component at `path` into the precompiled cache (or find it
    /// there), e.g. to warm the cache when deploying; says which happened.
    pub async fn precompile(&self, path: &std::path::Path) -> Result<CacheOutcome> {
        let name = path.display().to_string();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| PluginError::load(&name, format!("{name}: {e}")))?;
        Ok(self.compile_bytes(&name, bytes.into()).await?.1)
    }

    /// Load a guardrail: compile, link against the `guardrail` world, check
    /// its exports, describe it and validate its settings.
    pub async fn load_guardrail(&self, config: PluginConfig) -> Result<WasmGuardrail> {
        expect_kind(&config, PluginKind::Guardrail)?;
        let (component, outcome, bytes) = self.compile(&config).await?;
        let plugin = Plugin::new(self.clone(), config, component, outcome)?;
        let prepare_from = self.inner.prepare.then_some(&*bytes);
        WasmGuardrail::new(plugin, prepare_from).await
    }

    /// Load a provider: compile, link against the `provider` world, check its
    /// exports, describe it and validate its settings.
    pub async fn load_provider(&self, config: PluginConfig) -> Result<WasmProvider> {
        expect_kind(&config, PluginKind::Provider)?;
        let (component, outcome, _) = self.compile(&config).await?;
        WasmProvider::new(Plugin::new(self.clone(), config, component, outcome)?).await
    }

    /// Load either kind, as configured.
    pub async fn load(&self, config: PluginConfig) -> Result<LoadedPlugin> {
        Ok(match config.kind {
            PluginKind::Guardrail => LoadedPlugin::Guardrail(self.load_guardrail(config).await?),
            PluginKind::Provider => LoadedPlugin::Provider(self.load_provider(config).await?),
        })
    }

    /// The engine (for benchmarks and inspection).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
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
}
