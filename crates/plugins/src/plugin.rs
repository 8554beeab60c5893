//! One loaded plugin, whichever its world: the linked `InstancePre`, its
//! sandbox and limits, and [`Plugin::call`], which runs one export in a fresh
//! `Store` under the deadline and memory cap and turns whatever went wrong
//! into a typed [`PluginError`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, InstancePre};
use wasmtime::{Store, Trap, WasmBacktrace};

use crate::bindings::t;
use crate::cache::CacheOutcome;
use crate::config::{PluginConfig, ResolvedLimits};
use crate::convert::Out;
use crate::engine::{Runtime, TICK};
use crate::error::{PluginError, Result};
use crate::sandbox::{Denials, Sandbox, Stdio};
use crate::state::{CallState, CallStateParts, Stop};

/// Slack on top of the epoch deadline before the async timeout gives up on a
/// call that is blocked in a host import rather than running wasm: a
/// twentieth of the deadline, between 2 and 50 ms (so the deadline fires
/// within 5% of its value either way).
fn host_wait_slack(deadline: Duration) -> Duration {
    (deadline / 20).clamp(Duration::from_millis(2), Duration::from_millis(50))
}

/// What wasmtime says when a lift runs out of hostcall fuel (its error type
/// is private).
const FUEL_EXHAUSTED: &str = "too much data is being copied between the host and the guest";

/// The least hostcall fuel a call gets, whatever its output cap: WASI's own
/// calls (a 4 KiB write, a directory entry) must still work.
const MIN_HOSTCALL_FUEL: usize = 64 << 10;

/// A call that ran to its end: the export's value, and the output budget
/// left for converting it (log lines already used their share).
pub(crate) struct Called<'a, T> {
    pub value: T,
    pub out: Out<'a>,
}

pub(crate) struct Plugin {
    pub runtime: Arc<Runtime>,
    pub name: Arc<str>,
    pub config: PluginConfig,
    pub limits: ResolvedLimits,
    pub sandbox: Arc<Sandbox>,
    pub settings: Arc<str>,
    pub pre: InstancePre<CallState>,
    pub cache: CacheOutcome,
}

impl Plugin {
    pub fn new(
        runtime: Arc<Runtime>,
        config: PluginConfig,
        component: Component,
        cache: CacheOutcome,
    ) -> Result<Self> {
        let name = config.name.as_str();
        expect_object(name, &config.settings)?;
        config
            .limits
            .check()
            .map_err(|message| PluginError::Settings {
                plugin: name.to_owned(),
                message,
            })?;
        let sandbox = Arc::new(Sandbox::new(name, &config.grants)?);
        let pre = runtime.linker.instantiate_pre(&component).map_err(|e| {
            PluginError::load(
                name,
                format!("does not fit the {} world: {e:#}", config.kind.world()),
            )
        })?;
        Ok(Self {
            name: Arc::from(name),
            limits: config.limits.resolve(config.kind),
            settings: Arc::from(config.settings.to_string()),
            sandbox,
            pre,
            cache,
            runtime,
            config,
        })
    }

    /// Run `f` (instantiate + one export returning `result<T, plugin-error>`)
    /// in a fresh store. A plugin error is read within the output budget.
    pub async fn call_export<T>(
        &self,
        settings: Arc<str>,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<Result<T, t::PluginError>>,
    ) -> Result<Called<'_, T>> {
        let Called { value, mut out } = self.call(settings, f).await?;
        match value {
            Ok(value) => Ok(Called { value, out }),
            Err(e) => Err(out.plugin_error(e)?),
        }
    }

    /// Run `f` (instantiate + one export call) in a fresh store, and turn
    /// whatever went wrong into a typed error (see [`Session::call`]).
    pub async fn call<T>(
        &self,
        settings: Arc<str>,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<'_, T>> {
        self.session(settings)?.call(f).await
    }

    /// A fresh store (WASI context, limits, settings) for one call, or for
    /// the calls of one change's review ([`crate::guardrail::WasmChangeReviews`]).
    pub fn session(&self, settings: Arc<str>) -> Result<Session<'_>> {
        let denials = Denials::default();
        let inner = &*self.runtime;
        let (wasi, stdio) = self
            .sandbox
            .wasi(&self.name, &denials, inner.outside.path())?;
        let state = CallState::new(CallStateParts {
            plugin: self.name.clone(),
            wasi,
            memory_bytes: self.limits.memory_bytes,
            max_host_calls: self.limits.max_host_calls,
            max_output_bytes: self.limits.max_output_bytes,
            settings,
            sandbox: self.sandbox.clone(),
            catalogue: inner.catalogue.clone(),
            secrets: inner.secrets.clone(),
            denials: denials.clone(),
        });
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        Ok(Session {
            plugin: self,
            store,
            stdio,
            denials,
        })
    }

    /// What a `validate-settings` export's `invalid` answer becomes: one
    /// `Settings` error listing every violation at `settings.<path>`.
    pub fn settings_error(e: PluginError) -> PluginError {
        match e {
            PluginError::Invalid { plugin, violations } => PluginError::Settings {
                plugin,
                message: violations
                    .iter()
                    .map(|v| {
                        format!(
                            "settings.{}: {}",
                            v.path.trim_start_matches("settings."),
                            v.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            },
            other => other,
        }
    }

    /// Settings to pass for one call: the configured ones, or an override.
    pub fn settings_for(&self, settings: Option<&serde_json::Value>) -> Arc<str> {
        match settings {
            None => self.settings.clone(),
            Some(v) => Arc::from(v.to_string()),
        }
    }
}

/// A plugin's store: every limit (deadline, host calls, descriptors, output
/// budget, hostcall fuel) is per call and starts again at each
/// [`Session::call`]; the memory cap is the instance's. A call that fails
/// leaves the store unusable: the caller drops the session.
pub(crate) struct Session<'p> {
    plugin: &'p Plugin,
    store: Store<CallState>,
    stdio: Stdio,
    denials: Denials,
}

impl<'p> Session<'p> {
    /// [`Session::call`] of one export returning `result<T, plugin-error>`;
    /// a plugin error is read within the output budget.
    pub async fn call_export<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<Result<T, t::PluginError>>,
    ) -> Result<Called<'p, T>> {
        let Called { value, mut out } = self.call(f).await?;
        match value {
            Ok(value) => Ok(Called { value, out }),
            Err(e) => Err(out.plugin_error(e)?),
        }
    }

    /// Run `f` (an instantiation, an export call, or both) under the call's
    /// deadline and caps, and turn whatever went wrong into a typed error.
    ///
    /// Denials are sticky: if the sandbox refused the guest anything during
    /// the call (a file, a socket, a secret, a lookup), the call ends
    /// `CapabilityDenied` naming what was tried, whatever the guest did with
    /// the refusal and whatever it returned.
    pub async fn call<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<'p, T>> {
        self.call_answering(1, f).await
    }

    /// [`Session::call`] of an export that answers `answers` requests at
    /// once (`review-each`): its output budget is that many calls' budgets.
    pub async fn call_answering<T>(
        &mut self,
        answers: usize,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<'p, T>> {
        let this = self.plugin;
        let budget = this.limits.max_output_bytes.saturating_mul(answers.max(1));
        let inner = &*this.runtime;
        let store = &mut self.store;
        store.data_mut().begin_call();
        // Caps what wasmtime copies out of the guest in one lift (an answer,
        // or the arguments of one host call): strings are counted at every
        // occurrence and lists at their host size, so a small guest memory
        // cannot become a huge host allocation.
        store.set_hostcall_fuel(budget.max(MIN_HOSTCALL_FUEL));
        let deadline = this.limits.timeout;
        if inner.epochs {
            let ticks = (deadline.as_nanos() / TICK.as_nanos()).max(1);
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
            store.epoch_deadline_trap();
        }
        let stdio = &mut self.stdio;
        let denials = &self.denials;
        let start = Instant::now();
        let outcome = tokio::time::timeout(deadline + host_wait_slack(deadline), f(store)).await;
        let elapsed = start.elapsed();
        stdio.forward(&this.name);
        let log_bytes = store.data().log_bytes;
        let denied = std::mem::take(&mut *denials.lock().unwrap_or_else(|p| p.into_inner()));
        let plugin = || this.name.to_string();
        let timeout = || PluginError::Timeout {
            plugin: plugin(),
            deadline_ms: deadline.as_millis() as u64,
            elapsed_ms: elapsed.as_millis() as u64,
        };
        let e = match outcome {
            Err(_) => return Err(timeout()),
            Ok(Ok(value)) => {
                if !denied.is_empty() {
                    return Err(PluginError::CapabilityDenied {
                        plugin: plugin(),
                        message: format!(
                            "{} (the plugin went on and returned; a call that was refused a capability fails)",
                            denied.join("; ")
                        ),
                    });
                }
                let mut out = Out::new(&this.name, budget);
                out.used_by_log(log_bytes)?;
                return Ok(Called { value, out });
            }
            Ok(Err(e)) => e,
        };
        if let Some(stop) = e.downcast_ref::<Stop>() {
            let with_backtrace = |s: String| match e.downcast_ref::<WasmBacktrace>() {
                Some(bt) => format!("{s}\n{bt}"),
                None => s,
            };
            return Err(match stop {
                Stop::OutOfMemory { desired, limit } => PluginError::OutOfMemory {
                    plugin: plugin(),
                    desired: *desired,
                    limit: *limit,
                },
                Stop::HostCalls(_) | Stop::Descriptors(_) => PluginError::Trap {
                    plugin: plugin(),
                    message: with_backtrace(stop.to_string()),
                },
                Stop::Output { .. } => PluginError::BadOutput {
                    plugin: plugin(),
                    message: stop.to_string(),
                },
            });
        }
        if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return Err(timeout());
        }
        if !denied.is_empty() {
            return Err(PluginError::CapabilityDenied {
                plugin: plugin(),
                message: format!("{} (then: {})", denied.join("; "), e.root_cause()),
            });
        }
        if e.chain().any(|c| c.to_string().starts_with(FUEL_EXHAUSTED)) {
            return Err(PluginError::BadOutput {
                plugin: plugin(),
                message: format!(
                    "the answer is larger than the output budget of {} bytes (counted as the host \
                     would hold it: every string at each occurrence, every list item; log lines \
                     used {log_bytes} bytes of it)",
                    budget
                ),
            });
        }
        // The cause first, then what the guest printed, then where it was.
        let mut message = match e.downcast_ref::<Trap>() {
            Some(trap) => trap.to_string(),
            None => e.root_cause().to_string(),
        };
        let panic = stdio.stderr_tail();
        if !panic.is_empty() {
            message.push_str("\nguest stderr:\n");
            message.push_str(&panic);
        }
        if let Some(bt) = e.downcast_ref::<WasmBacktrace>() {
            message.push_str(&format!("\n{bt}"));
        }
        Err(PluginError::Trap {
            plugin: plugin(),
            message,
        })
    }
}

/// Settings must be a JSON object (checked before the guest sees them).
pub(crate) fn expect_object(plugin: &str, settings: &serde_json::Value) -> Result<()> {
    if settings.is_object() {
        return Ok(());
    }
    Err(PluginError::Settings {
        plugin: plugin.to_owned(),
        message: format!("settings must be a JSON object, got {settings}"),
    })
}
