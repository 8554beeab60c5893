//! Plugins for JS: `platform.plugins` ([`paved::Plugins`]) reviews with the
//! guardrails and drives the providers the platform was opened with (its
//! `apply`, `delete` and `import` are audited writes); `inspectPlugin()` and
//! `checkPlugin()` look at a component without a platform.
//!
//! Requests and answers are the plugin contract's types
//! ([`paved::plugins`]), crossing as plain objects in their serde
//! (camelCase) form: a request object is deserialized into them, and an error
//! names its JSON path (`change.operation`); `grants` and `limits` have the
//! shape of a plugin entry in `paved.yaml`.

use std::path::PathBuf;

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use paved::plugins::{
    ApplyRequest, Change, ImportRequest, PlanRequest, PluginConfig, PluginKind, ResourceRequest,
};
use paved::{Diagnostic, Error};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::promise;
use crate::pipeline::WriteOptions;
use crate::plain::plain;

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

/// One plugin to load (the shape of an entry of `plugins:` in `paved.yaml`).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PluginOptions {
    /// The `.wasm` component.
    pub path: String,
    /// Which world it implements.
    #[napi(ts_type = "'guardrail' | 'provider' | 'action'")]
    pub kind: String,
    /// Name used in errors and audit records (default: the file name without `.wasm`).
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

fn plugin_config(
    path: String,
    kind: PluginKind,
    name: Option<String>,
    settings: Option<Value>,
    grants: Option<Value>,
    limits: Option<Value>,
    at: &str,
) -> paved::Result<PluginConfig> {
    let path = PathBuf::from(path);
    let name = match name {
        Some(n) => n,
        None => paved::plugins::default_name(&path)?,
    };
    let mut config = PluginConfig::new(name, path, kind);
    if let Some(settings) = settings {
        config = config.settings(settings);
    }
    if let Some(grants) = grants {
        config = config.grants(from_js(grants, &format!("{at}grants"))?);
    }
    if let Some(limits) = limits {
        config = config.limits(from_js(limits, &format!("{at}limits"))?);
    }
    Ok(config)
}

impl PluginOptions {
    /// The engine's plugin configuration (`at`: where the options are, for errors).
    pub fn config(self, at: &str) -> paved::Result<PluginConfig> {
        let kind = from_js(Value::String(self.kind), &format!("{at}.kind"))?;
        plugin_config(
            self.path,
            kind,
            self.name,
            self.settings,
            self.grants,
            self.limits,
            &format!("{at}."),
        )
    }
}

/// Options of `inspectPlugin()`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Directory for precompiled plugin components.
    pub plugin_cache: Option<String>,
}

/// What a component is and asks for: world, version, imports, exports,
/// declared and implied capabilities. Runs no settings check.
#[napi(ts_return_type = "Promise<PluginInspection>")]
pub fn inspect_plugin(
    env: &Env,
    path: String,
    options: Option<InspectOptions>,
) -> Result<AsyncBlock<Value>> {
    let cache = options.and_then(|o| o.plugin_cache).map(PathBuf::from);
    promise(env, async move {
        plain(&paved::inspect_plugin(&PathBuf::from(path), cache).await?)
    })
}

/// How to check a plugin (`checkPlugin()`).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Which world it implements (default: the one it exports).
    #[napi(ts_type = "'guardrail' | 'provider' | 'action'")]
    pub kind: Option<String>,
    /// Name used in errors (default: the file name without `.wasm`).
    pub name: Option<String>,
    /// Settings (a JSON object), checked by the plugin itself.
    #[napi(ts_type = "Record<string, any>")]
    pub settings: Option<Value>,
    /// Capabilities granted.
    #[napi(ts_type = "PluginGrants")]
    pub grants: Option<Value>,
    /// Per-call limits.
    #[napi(ts_type = "PluginLimits")]
    pub limits: Option<Value>,
    /// Directory for precompiled plugin components.
    pub plugin_cache: Option<String>,
}

/// Load a plugin as configured (settings validated, grants applied) and
/// return what it says of itself; a `PLUGIN` error (kind `load`,
/// `settings`, …) if it would not load.
#[napi(ts_return_type = "Promise<PluginInfo>")]
pub fn check_plugin(
    env: &Env,
    path: String,
    options: Option<CheckOptions>,
) -> Result<AsyncBlock<Value>> {
    let o = options.unwrap_or_default();
    let cache = o.plugin_cache.map(PathBuf::from);
    promise(env, async move {
        let kind = match o.kind {
            Some(kind) => from_js(Value::String(kind), "kind")?,
            None => paved::plugin_kind(&PathBuf::from(&path), cache.clone()).await?,
        };
        let config = plugin_config(path, kind, o.name, o.settings, o.grants, o.limits, "")?;
        plain(&paved::check_plugin(config, cache).await?)
    })
}

/// A plugin the platform holds.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct PluginSummary {
    pub name: String,
    #[napi(ts_type = "'guardrail' | 'provider' | 'action'")]
    pub kind: String,
}

/// Options of a review.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    /// Settings for this call (validated first) instead of the configured ones.
    #[napi(ts_type = "Record<string, any>")]
    pub settings: Option<Value>,
}

/// The plugins of a platform (`platform.plugins`), by name.
#[napi]
pub struct Plugins {
    pub(crate) inner: paved::Plugins,
}

#[napi]
impl Plugins {
    /// Every plugin, guardrails first, each in the order it was configured.
    #[napi]
    pub fn list(&self) -> Vec<PluginSummary> {
        self.inner
            .list()
            .into_iter()
            .map(|p| PluginSummary {
                name: p.name,
                kind: p.kind,
            })
            .collect()
    }

    /// What a plugin says of itself: name, version, settings schema,
    /// capabilities, and a provider's resource types.
    #[napi(ts_return_type = "Promise<PluginInfo>")]
    pub fn describe(&self, env: &Env, name: String) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        promise(env, async move { plain(&plugins.describe(&name).await?) })
    }

    /// Review one change with a guardrail.
    ///
    /// ```js
    /// const review = await platform.plugins.review('require-owner', {
    ///   subject: { entity: 'component:default/orders' }, operation: 'create', after: entity,
    /// })
    /// if (review.verdict === 'deny') console.log(review.violations)
    /// ```
    #[napi(ts_return_type = "Promise<Review>")]
    pub fn review(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "Change")] change: Value,
        options: Option<ReviewOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        let settings = options.and_then(|o| o.settings);
        promise(env, async move {
            let change: Change = from_js(change, "change")?;
            plain(&plugins.review(&name, &change, settings.as_ref()).await?)
        })
    }

    /// What applying would take (changes nothing).
    #[napi(ts_return_type = "Promise<Plan>")]
    pub fn plan(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "PlanRequest")] request: Value,
    ) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        promise(env, async move {
            let request: PlanRequest = from_js(request, "request")?;
            plain(&plugins.plan(&name, &request).await?)
        })
    }

    /// The resource as it is now (`null`: gone).
    #[napi(ts_return_type = "Promise<any | null>")]
    pub fn read(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "ResourceRequest")] request: Value,
    ) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        promise(env, async move {
            let request: ResourceRequest = from_js(request, "request")?;
            Ok(plugins.read(&name, &request).await?.unwrap_or(Value::Null))
        })
    }

    /// Bring a resource to the requested params (audited as `resource.apply`;
    /// `dryRun` is refused: use `plan`).
    #[napi(ts_return_type = "Promise<Applied>")]
    pub fn apply(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "ApplyRequest")] request: Value,
        options: Option<WriteOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        let opts = WriteOptions::core(options);
        promise(env, async move {
            let request: ApplyRequest = from_js(request, "request")?;
            plain(&plugins.apply(&name, &request, &opts).await?)
        })
    }

    /// Remove a resource (audited as `resource.delete`).
    #[napi]
    pub fn delete(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "ResourceRequest")] request: Value,
        options: Option<WriteOptions>,
    ) -> Result<AsyncBlock<()>> {
        let plugins = self.inner.clone();
        let opts = WriteOptions::core(options);
        promise(env, async move {
            let request: ResourceRequest = from_js(request, "request")?;
            plugins.delete(&name, &request, &opts).await
        })
    }

    /// Adopt a resource that exists outside paved (audited as `resource.import`).
    #[napi(ts_return_type = "Promise<Imported>")]
    pub fn import(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "ImportRequest")] request: Value,
        options: Option<WriteOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let plugins = self.inner.clone();
        let opts = WriteOptions::core(options);
        promise(env, async move {
            let request: ImportRequest = from_js(request, "request")?;
            plain(&plugins.import(&name, &request, &opts).await?)
        })
    }
}
