//! paved-plugins: the wasmtime host for paved's provider, guardrail and
//! action plugins (WebAssembly components of the `paved:plugin` WIT package in `wit/`).
//!
//! Data flow: [`PluginHost`] owns one wasmtime engine (pooling allocator,
//! epoch interruption with a ticker thread) and a linker with WASI and the
//! `paved:plugin/host` imports. [`PluginHost::load_guardrail`] /
//! [`PluginHost::load_provider`] read a component (through the precompiled
//! cache when configured), link it into an `InstancePre`, check it exports its
//! world, call `describe` and validate its settings. Every later call gets a
//! fresh `Store` (the reviews of one change by a guardrail's bindings share
//! one: [`WasmChangeReviews`]) with the plugin's sandbox (granted directories, sockets,
//! secrets, catalogue), memory cap, host-call cap and deadline; its answer is
//! checked against the output cap and converted to core's types. The loaded
//! plugins implement [`paved_core::plugin::Guardrail`] and
//! [`paved_core::plugin::Provider`]; every failure is a typed [`PluginError`]
//! that converts to [`paved_core::Error`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), paved_plugins::PluginError> {
//! use paved_plugins::{PluginConfig, PluginHost, PluginKind};
//! let host = PluginHost::builder().cache_dir("/tmp/paved-cache").build()?;
//! let rule = host
//!     .load_guardrail(PluginConfig::new("naming", "naming_convention.wasm", PluginKind::Guardrail))
//!     .await?;
//! println!("{}", rule.info().description);
//! # Ok(()) }
//! ```

mod action;
pub mod bindings;
mod cache;
pub mod config;
mod convert;
pub mod display;
mod engine;
pub mod error;
mod guardrail;
mod host;
pub mod inspect;
mod linked;
mod plugin;
mod prepare;
mod provider;
mod sandbox;
pub mod secrets;
mod state;
mod wasi_watch;

pub use action::WasmAction;
pub use cache::CacheOutcome;
pub use config::{DirGrant, DirMode, Grants, Limits, PluginConfig, PluginKind, ResolvedLimits};
pub use error::{PluginError, PluginErrorKind, Result};
pub use guardrail::{WasmChangeReviews, WasmGuardrail};
pub use host::{LoadedPlugin, PluginHost, PluginHostBuilder};
pub use provider::WasmProvider;
pub use secrets::{EnvSecrets, NoSecrets, SecretStore};
