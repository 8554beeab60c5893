//! Plugins for JS: `openPluginHost()` (wraps [`paved_plugins::PluginHost`])
//! loads WebAssembly guardrails and providers with settings, grants and
//! limits, and inspects components; a loaded `Guardrail` reviews changes, a
//! `Provider` describes and plans resources. Same concepts and names as the
//! Python package.
//!
//! Requests and answers are the plugin contract's types ([`paved::plugin`]),
//! crossing as plain objects in their serde (camelCase) form: a request object
//! is deserialized into them, and an error names its JSON path
//! (`change.operation`); `grants` and `limits` have the shape of a plugin entry
//! in `paved.yaml`. Plugin failures are `PLUGIN` errors (details: plugin, kind,
//! reason).

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use paved::plugin::{Change, Guardrail as _, PlanRequest, Provider as _};
use paved::{Diagnostic, Error};
use paved_plugins::{PluginConfig, PluginKind, WasmGuardrail, WasmProvider};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::IntoNapi;

/// A request object to a plugin-contract type; an error names the JSON path
/// under `what` (`change.subject`).
fn from_js<T: DeserializeOwned>(value: Value, what: &str) -> paved::Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            what.to_string()
        } else {
            format!("{what}.{inner}")
        };
        Error::invalid(Diagnostic::error(path, e.into_inner().to_string()))
    })
}

/// A plugin-contract answer as a plain object.
fn to_js(value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(crate::error::internal)
}

/// Options of the plugin host.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PluginHostOptions {
    /// Directory of the precompiled-component cache (none: compile on every load).
    pub cache_dir: Option<String>,
    /// Prepare guardrails at load (default false): each is snapshotted after it
    /// validated its settings, so reviews with those settings start from the
    /// snapshot (still a fresh instance per call). About 1.5x faster reviews;
    /// two more compiles at the first load (cached with `cacheDir`).
    pub prepare_guardrails: Option<bool>,
}

/// How to load one plugin.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Name used in logs, errors and audit records (default: the file name without `.wasm`).
    pub name: Option<String>,
    /// Settings (a JSON object), checked once at load by the plugin itself.
    #[napi(ts_type = "Record<string, any>")]
    pub settings: Option<Value>,
    /// Capabilities granted; everything not granted is denied.
    #[napi(ts_type = "PluginGrants")]
    pub grants: Option<Value>,
    /// Per-call limits (defaults depend on the kind).
    #[napi(ts_type = "PluginLimits")]
    pub limits: Option<Value>,
}

impl LoadOptions {
    fn config(self, kind: PluginKind, path: String) -> paved::Result<PluginConfig> {
        let path = PathBuf::from(path);
        let name = self.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let mut config = PluginConfig::new(name, path, kind);
        if let Some(settings) = self.settings {
            config = config.settings(settings);
        }
        if let Some(grants) = self.grants {
            config = config.grants(from_js(grants, "grants")?);
        }
        if let Some(limits) = self.limits {
            config = config.limits(from_js(limits, "limits")?);
        }
        Ok(config)
    }
}

/// Start a plugin host: one wasmtime engine for every plugin it loads.
#[napi]
pub async fn open_plugin_host(options: Option<PluginHostOptions>) -> Result<PluginHost> {
    let options = options.unwrap_or_default();
    let mut builder = paved_plugins::PluginHost::builder()
        .prepare_guardrails(options.prepare_guardrails.unwrap_or(false));
    if let Some(dir) = options.cache_dir {
        builder = builder.cache_dir(dir);
    }
    let inner = builder.build().map_err(Error::from).napi()?;
    Ok(PluginHost { inner })
}

/// Loads WebAssembly plugins and inspects components (`openPluginHost()`).
#[napi]
pub struct PluginHost {
    inner: paved_plugins::PluginHost,
}

#[napi]
impl PluginHost {
    /// Load a guardrail: compile (or take from the cache), link, describe, and
    /// validate its settings. A `PLUGIN` error (kind `load`, `settings`, …) if it cannot.
    #[napi]
    pub async fn load_guardrail(
        &self,
        path: String,
        options: Option<LoadOptions>,
    ) -> Result<Guardrail> {
        let config = options
            .unwrap_or_default()
            .config(PluginKind::Guardrail, path)
            .napi()?;
        let inner = self
            .inner
            .load_guardrail(config)
            .await
            .map_err(Error::from)
            .napi()?;
        Ok(Guardrail {
            inner: Arc::new(inner),
        })
    }

    /// Load a provider: compile (or take from the cache), link, describe, and
    /// validate its settings.
    #[napi]
    pub async fn load_provider(
        &self,
        path: String,
        options: Option<LoadOptions>,
    ) -> Result<Provider> {
        let config = options
            .unwrap_or_default()
            .config(PluginKind::Provider, path)
            .napi()?;
        let inner = self
            .inner
            .load_provider(config)
            .await
            .map_err(Error::from)
            .napi()?;
        Ok(Provider {
            inner: Arc::new(inner),
        })
    }

    /// What a component is and asks for: world, version, imports, exports,
    /// declared and implied capabilities. Loads nothing and checks no settings.
    #[napi(ts_return_type = "Promise<PluginInspection>")]
    pub async fn inspect(&self, path: String) -> Result<Value> {
        let inspection = paved_plugins::inspect::inspect(&self.inner, &PathBuf::from(path))
            .await
            .map_err(Error::from)
            .napi()?;
        to_js(&inspection)
    }
}

/// A loaded guardrail. Each call runs in a fresh sandbox with the plugin's
/// grants, memory cap and deadline.
#[napi]
pub struct Guardrail {
    inner: Arc<WasmGuardrail>,
}

/// Options of a review.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    /// Settings for this call instead of the loaded ones.
    #[napi(ts_type = "Record<string, any>")]
    pub settings: Option<Value>,
}

#[napi]
impl Guardrail {
    /// The name it was loaded under.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// What the guardrail said about itself at load.
    #[napi(getter, ts_return_type = "GuardrailInfo")]
    pub fn info(&self) -> Result<Value> {
        to_js(self.inner.info())
    }

    /// Whether reviews with the loaded settings start from a prepared snapshot
    /// (`prepareGuardrails`).
    #[napi(getter)]
    pub fn prepared(&self) -> bool {
        self.inner.prepared().is_some()
    }

    /// Check settings with the plugin (`PLUGIN` error of kind `settings` if rejected).
    #[napi]
    pub async fn validate_settings(
        &self,
        #[napi(ts_arg_type = "Record<string, any>")] settings: Value,
    ) -> Result<()> {
        self.inner.validate_settings(&settings).await.napi()
    }

    /// Review one change; `options.settings` overrides the loaded settings for this call.
    ///
    /// ```js
    /// const review = await guardrail.review({
    ///   subject: { entity: 'component:default/orders' }, operation: 'create', after: entity,
    /// })
    /// if (review.verdict === 'deny') console.log(review.violations)
    /// ```
    #[napi(ts_return_type = "Promise<Review>")]
    pub async fn review(
        &self,
        #[napi(ts_arg_type = "Change")] change: Value,
        options: Option<ReviewOptions>,
    ) -> Result<Value> {
        let change: Change = from_js(change, "change").napi()?;
        let settings = options.and_then(|o| o.settings);
        let review = self.inner.review(&change, settings.as_ref()).await.napi()?;
        to_js(&review)
    }
}

/// A loaded provider. Each call runs in a fresh sandbox with the plugin's
/// grants, memory cap and deadline.
#[napi]
pub struct Provider {
    inner: Arc<WasmProvider>,
}

#[napi]
impl Provider {
    /// The name it was loaded under.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// What the provider said about itself at load: resource types with their
    /// params schemas, settings schema, capabilities.
    #[napi(getter, ts_return_type = "ProviderInfo")]
    pub fn info(&self) -> Result<Value> {
        to_js(self.inner.info())
    }

    /// Check settings with the plugin (`PLUGIN` error of kind `settings` if rejected).
    #[napi]
    pub async fn validate_settings(
        &self,
        #[napi(ts_arg_type = "Record<string, any>")] settings: Value,
    ) -> Result<()> {
        self.inner
            .validate(&settings)
            .await
            .map_err(Error::from)
            .napi()
    }

    /// What it would take to bring a resource to `request.params` (no side effects).
    #[napi(ts_return_type = "Promise<Plan>")]
    pub async fn plan(&self, #[napi(ts_arg_type = "PlanRequest")] request: Value) -> Result<Value> {
        let request: PlanRequest = from_js(request, "request").napi()?;
        let plan = self.inner.plan(&request).await.napi()?;
        to_js(&plan)
    }
}
