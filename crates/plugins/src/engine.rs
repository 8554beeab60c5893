//! The runtime every plugin runs on, below both the public [`crate::PluginHost`]
//! and each loaded plugin: one wasmtime [`Engine`] (pooling allocator, epoch
//! interruption advanced by a ticker thread), one [`Linker`] with WASI, the
//! host's shadows of WASI imports (`src/wasi_watch.rs`) and the
//! `paved:plugin/host` imports, the precompiled-component cache, and the
//! handles host imports use (catalogue, secrets).
//!
//! Module graph (no cycles): `host` builds a [`Runtime`] and hands an
//! `Arc<Runtime>` to every `plugin::Plugin` it loads; `plugin` makes one
//! `Store` per call from it. Neither `engine` nor `plugin` knows `host`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paved_core::plugin::CatalogueLookup;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings;
use crate::cache::{CacheOutcome, ComponentCache};
use crate::config::MAX_MEMORY_MIB;
use crate::error::{PluginError, Result};
use crate::sandbox::EmptyDir;
use crate::secrets::SecretStore;
use crate::state::CallState;
use crate::wasi_watch;

/// How often the epoch advances; deadlines are counted in these ticks.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// What [`Runtime::new`] needs.
pub(crate) struct RuntimeOptions {
    pub cache_dir: Option<std::path::PathBuf>,
    pub catalogue: Arc<dyn CatalogueLookup>,
    pub secrets: Arc<dyn SecretStore>,
    pub max_instances: u32,
    pub epochs: bool,
    pub prepare: bool,
}

/// The engine, linker, cache and shared handles of one host.
pub(crate) struct Runtime {
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
    /// `src/wasi_watch.rs`).
    pub outside: EmptyDir,
    _ticker: Option<Ticker>,
}

impl Runtime {
    /// Create the engine, the linker and the epoch ticker.
    pub fn new(o: RuntimeOptions) -> Result<Self> {
        let err = |e: wasmtime::Error| PluginError::load("<host>", format!("{e:#}"));
        let engine = engine(o.max_instances, o.epochs).map_err(err)?;

        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(err)?;
        wasi_watch::watch(&mut linker).map_err(err)?;
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
        let cache = match o.cache_dir {
            None => None,
            Some(dir) => Some(ComponentCache::new(dir.clone(), &engine).map_err(|e| {
                PluginError::load("<host>", format!("cache directory {}: {e}", dir.display()))
            })?),
        };
        let outside = EmptyDir::new().map_err(|e| {
            PluginError::load("<host>", format!("cannot create an empty directory: {e}"))
        })?;
        let ticker = match o.epochs {
            false => None,
            true => Some(Ticker::start(engine.clone()).map_err(|e| {
                PluginError::load("<host>", format!("cannot start the epoch ticker: {e}"))
            })?),
        };
        Ok(Self {
            engine,
            linker,
            cache,
            catalogue: o.catalogue,
            secrets: o.secrets,
            epochs: o.epochs,
            prepare: o.prepare,
            outside,
            _ticker: ticker,
        })
    }

    /// The precompiled-component cache, if one is configured.
    pub fn cache(&self) -> Option<&ComponentCache> {
        self.cache.as_ref()
    }

    /// Read the component at `path`; `name` is used in errors.
    pub async fn read(name: &str, path: &Path) -> Result<Arc<[u8]>> {
        Ok(tokio::fs::read(path)
            .await
            .map_err(|e| PluginError::load(name, format!("{}: {e}", path.display())))?
            .into())
    }

    /// Compile (or load from the cache) a component from its bytes.
    pub async fn compile_bytes(
        self: &Arc<Self>,
        name: &str,
        bytes: Arc<[u8]>,
    ) -> Result<(Component, CacheOutcome)> {
        let rt = self.clone();
        tokio::task::spawn_blocking(move || match &rt.cache {
            Some(cache) => cache.load(&rt.engine, &bytes),
            None => Component::new(&rt.engine, &bytes).map(|c| (c, CacheOutcome::Compiled)),
        })
        .await
        .map_err(|e| PluginError::load(name, format!("compile task failed: {e}")))?
        .map_err(|e| PluginError::load(name, format!("not a valid component: {e:#}")))
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

/// Keeps the engine's epoch equal to the number of [`TICK`]s since the host
/// started, until dropped.
///
/// The epoch follows the wall clock rather than counting wake-ups: on a
/// loaded machine a 1 ms sleep can last several, and a ticker that added one
/// per wake-up let a 1 s deadline run for 1.65 s. Each wake-up adds every
/// tick that has passed since the last one.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("paved-plugin-epoch".into())
            .spawn(move || {
                let start = Instant::now();
                let mut epoch: u128 = 0;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    let now = start.elapsed().as_nanos() / TICK.as_nanos();
                    while epoch < now {
                        engine.increment_epoch();
                        epoch += 1;
                    }
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
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
