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
use crate::error::{PluginError, Result};
use crate::host::{PluginHost, TICK};
use crate::sandbox::{Denials, Sandbox};
use crate::state::{CallState, CallStateParts, Stop};

/// Slack on top of the epoch deadline before the async timeout gives up on a
/// call that is blocked in a host import rather than running wasm.
const HOST_WAIT_SLACK: Duration = Duration::from_millis(50);

pub(crate) struct Plugin {
    pub host: PluginHost,
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
        host: PluginHost,
        config: PluginConfig,
        component: Component,
        cache: CacheOutcome,
    ) -> Result<Self> {
        let name = config.name.as_str();
        expect_object(name, &config.settings)?;
        let sandbox = Arc::new(Sandbox::new(name, &config.grants)?);
        let pre = host.inner.linker.instantiate_pre(&component).map_err(|e| {
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
            host,
            config,
        })
    }

    /// Run `f` (instantiate + one export returning `result<T, plugin-error>`)
    /// in a fresh store. A plugin error returned after the sandbox refused the
    /// guest something is reported as `CapabilityDenied`.
    pub async fn call_export<T>(
        &self,
        settings: Arc<str>,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<Result<T, t::PluginError>>,
    ) -> Result<T> {
        let (r, denied) = self.call_raw(settings, f).await?;
        r.map_err(|e| {
            let err = self.guest_error(e);
            if denied.is_empty() {
                err
            } else {
                PluginError::CapabilityDenied {
                    plugin: self.name.to_string(),
                    message: format!(
                        "{} (the plugin then said: {})",
                        denied.join("; "),
                        err.detail()
                    ),
                }
            }
        })
    }

    /// Run `f` (instantiate + one export call) in a fresh store.
    pub async fn call<T>(
        &self,
        settings: Arc<str>,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        Ok(self.call_raw(settings, f).await?.0)
    }

    /// Run `f` in a fresh store; also returns the capability uses the sandbox
    /// refused during the call. `settings` is what the guest's `config`
    /// import returns.
    async fn call_raw<T>(
        &self,
        settings: Arc<str>,
        f: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<(T, Vec<String>)> {
        let denials = Denials::default();
        let inner = &self.host.inner;
        let (wasi, stdio) = self
            .sandbox
            .wasi(&self.name, &denials, inner.outside.path())?;
        let state = CallState::new(CallStateParts {
            plugin: self.name.clone(),
            wasi,
            memory_bytes: self.limits.memory_bytes,
            max_host_calls: self.limits.max_host_calls,
            settings,
            sandbox: self.sandbox.clone(),
            catalogue: inner.catalogue.clone(),
            secrets: inner.secrets.clone(),
            denials: denials.clone(),
        });
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        let deadline = self.limits.timeout;
        if inner.epochs {
            let ticks = (deadline.as_nanos() / TICK.as_nanos()).max(1) as u64;
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }

        let start = Instant::now();
        let outcome = tokio::time::timeout(deadline + HOST_WAIT_SLACK, f(&mut store)).await;
        let elapsed = start.elapsed();
        stdio.forward(&self.name);
        let timeout = || PluginError::Timeout {
            plugin: self.name.to_string(),
            deadline_ms: deadline.as_millis() as u64,
            elapsed_ms: elapsed.as_millis() as u64,
        };
        match outcome {
            Err(_) => Err(timeout()),
            Ok(Ok(value)) => {
                let denied =
                    std::mem::take(&mut *denials.lock().unwrap_or_else(|p| p.into_inner()));
                Ok((value, denied))
            }
            Ok(Err(e)) => {
                if let Some(stop) = e.downcast_ref::<Stop>() {
                    return Err(match stop {
                        Stop::OutOfMemory { desired, limit } => PluginError::OutOfMemory {
                            plugin: self.name.to_string(),
                            desired: *desired,
                            limit: *limit,
                        },
                        Stop::HostCalls(_) => PluginError::Trap {
                            plugin: self.name.to_string(),
                            message: match e.downcast_ref::<WasmBacktrace>() {
                                Some(bt) => format!("{stop}\n{bt}"),
                                None => stop.to_string(),
                            },
                        },
                    });
                }
                if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    return Err(timeout());
                }
                let denied = denials.lock().unwrap_or_else(|p| p.into_inner()).clone();
                if !denied.is_empty() {
                    return Err(PluginError::CapabilityDenied {
                        plugin: self.name.to_string(),
                        message: format!("{} (then: {e})", denied.join("; ")),
                    });
                }
                let mut message = match e.downcast_ref::<Trap>() {
                    Some(trap) => trap.to_string(),
                    None => format!("{e:#}"),
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
                    plugin: self.name.to_string(),
                    message,
                })
            }
        }
    }

    /// The error for a `plugin-error` the guest returned.
    pub fn guest_error(&self, e: t::PluginError) -> PluginError {
        use t::PluginError as W;
        let plugin = self.name.to_string();
        match e {
            W::Invalid(v) => PluginError::Invalid {
                plugin,
                violations: v
                    .into_iter()
                    .map(|v| paved_core::plugin::Violation {
                        path: v.path,
                        message: v.message,
                    })
                    .collect(),
            },
            W::CapabilityDenied(message) => PluginError::CapabilityDenied { plugin, message },
            W::NotFound(m) => PluginError::Guest {
                plugin,
                message: format!("not found: {m}"),
            },
            W::Unsupported(m) => PluginError::Guest {
                plugin,
                message: format!("unsupported: {m}"),
            },
            W::Failed(message) => PluginError::Guest { plugin, message },
        }
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
