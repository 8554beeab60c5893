//! The data of one call's `Store`: the WASI context, the memory limiter, the
//! host-call counter, the settings the guest reads with `config`, and the
//! handles (catalogue, secrets) the host imports use. A fresh `CallState` is
//! made for every store: one call, or the calls of one change's review
//! ([`crate::guardrail::WasmChangeReviews`]); the per-call counters start again
//! at each call ([`CallState::begin_call`]).

use std::sync::Arc;

use paved_core::plugin::CatalogueLookup;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{host, t};
use crate::sandbox::{Denials, OUTSIDE_GUEST_PATH, Sandbox};
use crate::secrets::SecretStore;

/// Error raised inside the store to stop the guest; recognised by the caller.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Stop {
    #[error("memory limit: asked for {desired} bytes, the cap is {limit} bytes")]
    OutOfMemory { desired: usize, limit: usize },
    #[error("exceeded the cap of {0} host calls in one call")]
    HostCalls(u32),
    #[error(
        "exceeded the cap of {0} host descriptors (files, directories, sockets) opened in one call"
    )]
    Descriptors(u32),
    #[error(
        "log lines used up the output budget of {cap} bytes of one call (log lines so far: {used} bytes)"
    )]
    Output { cap: usize, used: usize },
}

/// Host descriptors (files, directories, sockets) one call may open.
pub(crate) const MAX_DESCRIPTORS: u32 = 256;

/// Bytes of one `log` line kept; the rest is cut (and the cut said).
pub(crate) const LOG_LINE_BYTES: usize = 4096;

/// Entries (streams, pollables, timers, descriptors...) one call may hold in
/// its resource table at once.
const MAX_TABLE_ENTRIES: usize = 10_000;

/// Caps linear memory (and tables) and remembers why growth was refused.
pub(crate) struct Limiter {
    memory_bytes: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(Stop::OutOfMemory {
                desired,
                limit: self.memory_bytes,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Store data of one call.
pub(crate) struct CallState {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: Limiter,
    host_calls: u32,
    max_host_calls: u32,
    settings: Arc<str>,
    sandbox: Arc<Sandbox>,
    catalogue: Arc<dyn CatalogueLookup>,
    secrets: Arc<dyn SecretStore>,
    pub denials: Denials,
    /// Descriptors of the empty directory preopened at `/`.
    outside: Vec<u32>,
    /// Host descriptors opened so far in this call.
    descriptors: u32,
    /// The call's output budget (bytes) and what log lines used of it.
    pub output_cap: usize,
    pub log_bytes: usize,
    /// The idempotency key of the provider call under way, if any.
    pub idempotency_key: Option<String>,
}

pub(crate) struct CallStateParts {
    pub plugin: Arc<str>,
    pub wasi: WasiCtx,
    pub memory_bytes: usize,
    pub max_host_calls: u32,
    pub max_output_bytes: usize,
    pub settings: Arc<str>,
    pub sandbox: Arc<Sandbox>,
    pub catalogue: Arc<dyn CatalogueLookup>,
    pub secrets: Arc<dyn SecretStore>,
    pub denials: Denials,
}

impl CallState {
    pub fn new(p: CallStateParts) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_TABLE_ENTRIES);
        Self {
            plugin: p.plugin,
            wasi: p.wasi,
            table,
            limiter: Limiter {
                memory_bytes: p.memory_bytes,
            },
            host_calls: 0,
            max_host_calls: p.max_host_calls,
            settings: p.settings,
            sandbox: p.sandbox,
            catalogue: p.catalogue,
            secrets: p.secrets,
            denials: p.denials,
            outside: Vec::new(),
            descriptors: 0,
            output_cap: p.max_output_bytes,
            log_bytes: 0,
            idempotency_key: None,
        }
    }

    /// A call starts in this store: host calls, descriptors and the log's
    /// share of the output budget are counted from zero.
    pub fn begin_call(&mut self) {
        self.host_calls = 0;
        self.descriptors = 0;
        self.log_bytes = 0;
    }

    fn count(&mut self, what: &'static str) -> wasmtime::Result<()> {
        self.host_calls += 1;
        tracing::trace!(
            plugin = &*self.plugin,
            what,
            n = self.host_calls,
            "host call"
        );
        if self.host_calls > self.max_host_calls {
            return Err(Stop::HostCalls(self.max_host_calls).into());
        }
        Ok(())
    }

    /// The guest looked for its preopened directories (`rep`, guest path):
    /// if it was granted none, that is a refused capability use; otherwise
    /// remember the descriptors of the empty directory at `/`.
    pub fn note_preopens<'a>(&mut self, dirs: impl Iterator<Item = (u32, &'a str)>) {
        if !self.sandbox.has_dirs() {
            self.record_denial(
                "filesystem access is not granted (no directory is granted to this plugin)".into(),
            );
        } else if self.sandbox.watches_outside() {
            self.outside.extend(
                dirs.filter(|(_, name)| *name == OUTSIDE_GUEST_PATH)
                    .map(|(rep, _)| rep),
            );
        }
    }

    /// Whether the descriptor `rep` is the empty directory at `/`; if so, the
    /// use of `path` through it is recorded as refused.
    pub fn refuse_outside(&self, rep: u32, path: &str) -> bool {
        if !self.outside.contains(&rep) {
            return false;
        }
        self.record_denial(format!(
            "/{} is outside the directories granted to this plugin",
            path.trim_start_matches('/')
        ));
        true
    }

    /// One more host descriptor (file, directory, socket) for this call.
    pub fn count_descriptor(&mut self) -> wasmtime::Result<()> {
        self.descriptors += 1;
        if self.descriptors > MAX_DESCRIPTORS {
            return Err(Stop::Descriptors(MAX_DESCRIPTORS).into());
        }
        Ok(())
    }

    /// Whether any network address is granted.
    pub fn network_granted(&self) -> bool {
        self.sandbox.network_granted()
    }

    /// Whether the guest may resolve the host name `name`.
    pub fn may_resolve(&self, name: &str) -> bool {
        self.sandbox.may_resolve(name)
    }

    /// Record a refused capability use; the call will end `CapabilityDenied`.
    pub fn record_denial(&self, what: String) {
        self.denials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(what);
    }

    fn deny(&self, what: String) -> host::HostError {
        self.record_denial(what.clone());
        host::HostError::NotGranted(what)
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl t::Host for CallState {}
impl crate::bindings::gt::Host for CallState {}
impl crate::bindings::pt::Host for CallState {}

impl host::Host for CallState {
    async fn log(&mut self, level: host::Level, message: String) -> wasmtime::Result<()> {
        self.count("log")?;
        // Every byte counts against the call's output budget, so a guest
        // cannot flood the host's log; what is printed is cut to one line of
        // LOG_LINE_BYTES and escaped (nothing reaches a terminal raw).
        self.log_bytes = self.log_bytes.saturating_add(message.len());
        if self.log_bytes > self.output_cap {
            return Err(Stop::Output {
                cap: self.output_cap,
                used: self.log_bytes,
            }
            .into());
        }
        let mut line = crate::display::sanitize_line(cut(&message, LOG_LINE_BYTES));
        if message.len() > LOG_LINE_BYTES {
            line.to_mut().push_str(&format!(
                " ... ({} more bytes cut)",
                message.len() - cut(&message, LOG_LINE_BYTES).len()
            ));
        }
        let plugin = &*self.plugin;
        match level {
            host::Level::Trace => {
                tracing::trace!(target: "paved_plugins::guest", plugin, "{line}")
            }
            host::Level::Debug => {
                tracing::debug!(target: "paved_plugins::guest", plugin, "{line}")
            }
            host::Level::Info => {
                tracing::info!(target: "paved_plugins::guest", plugin, "{line}")
            }
            host::Level::Warn => {
                tracing::warn!(target: "paved_plugins::guest", plugin, "{line}")
            }
            host::Level::Error => {
                tracing::error!(target: "paved_plugins::guest", plugin, "{line}")
            }
        }
        Ok(())
    }

    async fn config(&mut self) -> wasmtime::Result<String> {
        self.count("config")?;
        Ok(self.settings.to_string())
    }

    async fn idempotency_key(&mut self) -> wasmtime::Result<Option<String>> {
        self.count("idempotency_key")?;
        Ok(self.idempotency_key.clone())
    }

    async fn secret(&mut self, name: String) -> wasmtime::Result<Result<String, host::HostError>> {
        self.count("secret")?;
        if !self.sandbox.secrets.contains(&name) {
            return Ok(Err(self.deny(format!("secret '{name}' is not granted"))));
        }
        Ok(self
            .secrets
            .secret(&name)
            .ok_or_else(|| host::HostError::Unavailable(format!("secret '{name}' is not set"))))
    }

    async fn catalogue_get(
        &mut self,
        entity_ref: String,
    ) -> wasmtime::Result<Result<Option<String>, host::HostError>> {
        self.count("catalogue_get")?;
        if !self.sandbox.catalogue() {
            return Ok(Err(self.deny("catalogue lookups are not granted".into())));
        }
        Ok(match self.catalogue.get(&entity_ref).await {
            Ok(found) => Ok(found.map(|v| v.to_string())),
            Err(e) => Err(lookup_error(e)),
        })
    }

    async fn catalogue_query(
        &mut self,
        filter: String,
    ) -> wasmtime::Result<Result<Vec<String>, host::HostError>> {
        self.count("catalogue_query")?;
        if !self.sandbox.catalogue() {
            return Ok(Err(self.deny("catalogue lookups are not granted".into())));
        }
        Ok(match self.catalogue.query(&filter).await {
            Ok(found) => Ok(found.iter().map(|v| v.to_string()).collect()),
            Err(e) => Err(lookup_error(e)),
        })
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn lookup_error(e: paved_core::Error) -> host::HostError {
    match e {
        paved_core::Error::Invalid { .. } => host::HostError::Invalid(e.to_string()),
        other => host::HostError::Unavailable(other.to_string()),
    }
}
