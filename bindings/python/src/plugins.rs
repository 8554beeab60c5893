//! Plugins: `paved.PluginHost` / `paved.AsyncPluginHost` (wrap
//! [`paved_plugins::PluginHost`]) load WebAssembly guardrails and providers
//! with settings, grants and limits, and inspect components; the loaded
//! `Guardrail` / `Provider` (and their `Async…` twins) review changes and
//! describe and plan resources. Requests and answers are the plugin
//! contract's types ([`paved::plugin`]): a request dict is deserialized into
//! them (an error names its JSON path), an answer is an object with
//! attributes and `to_dict()`.
//!
//! `settings`, `grants` and `limits` take the shape of a plugin entry in
//! `paved.yaml` (`{"catalogue": true, "network": ["db:5432"]}`,
//! `{"timeoutMs": 500, "memoryMib": 32}`).

use std::path::PathBuf;
use std::sync::Arc;

use paved::plugin::{
    Change, FieldDiff, Guardrail, GuardrailInfo, Plan, PlanRequest, Provider, ProviderInfo,
    ResourceTypeInfo, Review, Violation,
};
use paved_plugins::inspect::Inspection;
use paved_plugins::{PluginConfig, PluginHost, PluginKind, WasmGuardrail, WasmProvider};
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::convert;

/// A request dict → a plugin-contract type; errors name the JSON path.
fn from_py<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let json = convert::to_json(obj, what)?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            what.to_string()
        } else {
            format!("{what}.{inner}")
        };
        let message = e.into_inner().to_string();
        crate::errors::to_py(
            py,
            paved::Error::invalid(paved::Diagnostic::error(path, message)),
        )
    })
}

/// The load arguments → a [`PluginConfig`].
#[allow(clippy::too_many_arguments)] // one per keyword argument of the Python method
fn plugin_config(
    py: Python<'_>,
    kind: PluginKind,
    path: PathBuf,
    name: Option<String>,
    settings: Option<&Bound<'_, PyAny>>,
    grants: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<PluginConfig> {
    let name = name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut config = PluginConfig::new(name, path, kind);
    if let Some(s) = settings.filter(|s| !s.is_none()) {
        config = config.settings(convert::to_json(s, "settings")?);
    }
    if let Some(g) = grants.filter(|g| !g.is_none()) {
        config = config.grants(from_py(py, g, "grants")?);
    }
    if let Some(l) = limits.filter(|l| !l.is_none()) {
        config = config.limits(from_py(py, l, "limits")?);
    }
    Ok(config)
}

fn host(py: Python<'_>, cache_dir: Option<PathBuf>, prepare: bool) -> PyResult<PluginHost> {
    let mut builder = PluginHost::builder().prepare_guardrails(prepare);
    if let Some(dir) = cache_dir {
        builder = builder.cache_dir(dir);
    }
    builder
        .build()
        .map_err(|e| crate::errors::to_py(py, e.into()))
}

/// Loads WebAssembly plugins (blocking calls; the GIL is released while a
/// component compiles). One engine for every plugin it loads; with
/// `cache_dir`, compiled components are cached on disk.
#[pyclass(name = "PluginHost", module = "paved", frozen)]
pub(crate) struct PyPluginHost {
    inner: PluginHost,
}

#[pymethods]
impl PyPluginHost {
    /// A host with its own engine; `cache_dir` keeps precompiled components;
    /// `prepare_guardrails` snapshots each guardrail after it validated its
    /// settings, so reviews start from the snapshot (a fresh instance still).
    #[new]
    #[pyo3(signature = (*, cache_dir = None, prepare_guardrails = false))]
    fn new(py: Python<'_>, cache_dir: Option<PathBuf>, prepare_guardrails: bool) -> PyResult<Self> {
        Ok(Self {
            inner: host(py, cache_dir, prepare_guardrails)?,
        })
    }

    /// Load a guardrail component: compile, link, describe, validate `settings`.
    /// Capabilities are denied unless `grants` gives them.
    #[pyo3(signature = (path, *, name = None, settings = None, grants = None, limits = None))]
    fn load_guardrail(
        &self,
        py: Python<'_>,
        path: PathBuf,
        name: Option<String>,
        settings: Option<&Bound<'_, PyAny>>,
        grants: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyGuardrail> {
        let config = plugin_config(
            py,
            PluginKind::Guardrail,
            path,
            name,
            settings,
            grants,
            limits,
        )?;
        let host = &self.inner;
        crate::run(py, async move {
            host.load_guardrail(config)
                .await
                .map(|g| PyGuardrail { inner: Arc::new(g) })
                .map_err(paved::Error::from)
        })
    }

    /// Load a provider component: compile, link, describe, validate `settings`.
    #[pyo3(signature = (path, *, name = None, settings = None, grants = None, limits = None))]
    fn load_provider(
        &self,
        py: Python<'_>,
        path: PathBuf,
        name: Option<String>,
        settings: Option<&Bound<'_, PyAny>>,
        grants: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyProvider> {
        let config = plugin_config(
            py,
            PluginKind::Provider,
            path,
            name,
            settings,
            grants,
            limits,
        )?;
        let host = &self.inner;
        crate::run(py, async move {
            host.load_provider(config)
                .await
                .map(|p| PyProvider { inner: Arc::new(p) })
                .map_err(paved::Error::from)
        })
    }

    /// What a component is and asks for (world, version, imports, exports,
    /// capabilities, its `describe`), without validating settings.
    fn inspect(&self, py: Python<'_>, path: PathBuf) -> PyResult<PyPluginInspection> {
        let host = &self.inner;
        crate::run(py, async move {
            paved_plugins::inspect::inspect(host, &path)
                .await
                .map(|inner| PyPluginInspection { inner })
                .map_err(paved::Error::from)
        })
    }

    /// The same host (engine and cache) with the asyncio API.
    fn to_async(&self) -> PyAsyncPluginHost {
        PyAsyncPluginHost {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> &'static str {
        "<PluginHost>"
    }
}

/// Loads WebAssembly plugins, asyncio flavour: the same methods as
/// `PluginHost`, each returning an awaitable.
#[pyclass(name = "AsyncPluginHost", module = "paved", frozen)]
pub(crate) struct PyAsyncPluginHost {
    inner: PluginHost,
}

#[pymethods]
impl PyAsyncPluginHost {
    /// A host with its own engine; `cache_dir` keeps precompiled components;
    /// `prepare_guardrails` snapshots each guardrail after it validated its
    /// settings, so reviews start from the snapshot (a fresh instance still).
    #[new]
    #[pyo3(signature = (*, cache_dir = None, prepare_guardrails = false))]
    fn new(py: Python<'_>, cache_dir: Option<PathBuf>, prepare_guardrails: bool) -> PyResult<Self> {
        Ok(Self {
            inner: host(py, cache_dir, prepare_guardrails)?,
        })
    }

    /// Load a guardrail component (see `PluginHost.load_guardrail`).
    #[pyo3(signature = (path, *, name = None, settings = None, grants = None, limits = None))]
    fn load_guardrail<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        name: Option<String>,
        settings: Option<&Bound<'_, PyAny>>,
        grants: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = plugin_config(
            py,
            PluginKind::Guardrail,
            path,
            name,
            settings,
            grants,
            limits,
        )?;
        let host = self.inner.clone();
        crate::spawn(py, async move {
            host.load_guardrail(config)
                .await
                .map(|g| PyAsyncGuardrail { inner: Arc::new(g) })
                .map_err(paved::Error::from)
        })
    }

    /// Load a provider component (see `PluginHost.load_provider`).
    #[pyo3(signature = (path, *, name = None, settings = None, grants = None, limits = None))]
    fn load_provider<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        name: Option<String>,
        settings: Option<&Bound<'_, PyAny>>,
        grants: Option<&Bound<'_, PyAny>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = plugin_config(
            py,
            PluginKind::Provider,
            path,
            name,
            settings,
            grants,
            limits,
        )?;
        let host = self.inner.clone();
        crate::spawn(py, async move {
            host.load_provider(config)
                .await
                .map(|p| PyAsyncProvider { inner: Arc::new(p) })
                .map_err(paved::Error::from)
        })
    }

    /// What a component is and asks for (see `PluginHost.inspect`).
    fn inspect<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let host = self.inner.clone();
        crate::spawn(py, async move {
            paved_plugins::inspect::inspect(&host, &path)
                .await
                .map(|inner| PyPluginInspection { inner })
                .map_err(paved::Error::from)
        })
    }

    /// The same host (engine and cache) with the blocking API.
    fn to_sync(&self) -> PyPluginHost {
        PyPluginHost {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncPluginHost>"
    }
}

/// A loaded guardrail (blocking calls). Each call runs in a fresh sandbox
/// with the plugin's grants, memory cap and deadline.
#[pyclass(name = "Guardrail", module = "paved", frozen)]
pub(crate) struct PyGuardrail {
    inner: Arc<WasmGuardrail>,
}

#[pymethods]
impl PyGuardrail {
    /// The name it was loaded under.
    #[getter]
    fn name(&self) -> &str {
        Guardrail::name(self.inner.as_ref())
    }

    /// What the guardrail said about itself at load.
    #[getter]
    fn info(&self) -> PyGuardrailInfo {
        PyGuardrailInfo {
            inner: self.inner.info().clone(),
        }
    }

    /// Whether reviews with the loaded settings start from a prepared snapshot.
    #[getter]
    fn prepared(&self) -> bool {
        self.inner.prepared().is_some()
    }

    /// Check settings with the plugin (`PluginError` of kind "settings" if rejected).
    fn validate_settings(&self, py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<()> {
        let settings = convert::to_json(settings, "settings")?;
        let g = &self.inner;
        crate::run(py, async move { g.validate_settings(&settings).await })
    }

    /// Review one change (a dict in the plugin contract's shape:
    /// `{"subject": {"entity": ref}, "operation": "create", "after": {...}}`);
    /// `settings` overrides the loaded ones for this call.
    #[pyo3(signature = (change, *, settings = None))]
    fn review(
        &self,
        py: Python<'_>,
        change: &Bound<'_, PyAny>,
        settings: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyReview> {
        let change: Change = from_py(py, change, "change")?;
        let settings = settings
            .map(|s| convert::to_json(s, "settings"))
            .transpose()?;
        let g = &self.inner;
        crate::run(py, async move {
            g.review(&change, settings.as_ref())
                .await
                .map(|inner| PyReview { inner })
        })
    }

    /// The same guardrail with the asyncio API.
    fn to_async(&self) -> PyAsyncGuardrail {
        PyAsyncGuardrail {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Guardrail {}>", Guardrail::name(self.inner.as_ref()))
    }
}

/// A loaded guardrail, asyncio flavour (awaitable calls).
#[pyclass(name = "AsyncGuardrail", module = "paved", frozen)]
pub(crate) struct PyAsyncGuardrail {
    inner: Arc<WasmGuardrail>,
}

#[pymethods]
impl PyAsyncGuardrail {
    /// The name it was loaded under.
    #[getter]
    fn name(&self) -> &str {
        Guardrail::name(self.inner.as_ref())
    }

    /// What the guardrail said about itself at load.
    #[getter]
    fn info(&self) -> PyGuardrailInfo {
        PyGuardrailInfo {
            inner: self.inner.info().clone(),
        }
    }

    /// Whether reviews with the loaded settings start from a prepared snapshot.
    #[getter]
    fn prepared(&self) -> bool {
        self.inner.prepared().is_some()
    }

    /// Check settings with the plugin (awaitable).
    fn validate_settings<'py>(
        &self,
        py: Python<'py>,
        settings: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings = convert::to_json(settings, "settings")?;
        let g = self.inner.clone();
        crate::spawn(py, async move { g.validate_settings(&settings).await })
    }

    /// Review one change (awaitable; see `Guardrail.review`).
    #[pyo3(signature = (change, *, settings = None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        change: &Bound<'_, PyAny>,
        settings: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let change: Change = from_py(py, change, "change")?;
        let settings = settings
            .map(|s| convert::to_json(s, "settings"))
            .transpose()?;
        let g = self.inner.clone();
        crate::spawn(py, async move {
            g.review(&change, settings.as_ref())
                .await
                .map(|inner| PyReview { inner })
        })
    }

    fn __repr__(&self) -> String {
        format!("<AsyncGuardrail {}>", Guardrail::name(self.inner.as_ref()))
    }
}

/// A loaded provider (blocking calls).
#[pyclass(name = "Provider", module = "paved", frozen)]
pub(crate) struct PyProvider {
    inner: Arc<WasmProvider>,
}

#[pymethods]
impl PyProvider {
    /// The name it was loaded under.
    #[getter]
    fn name(&self) -> &str {
        Provider::name(self.inner.as_ref())
    }

    /// Name, version, resource types with their JSON Schemas, capabilities.
    fn describe(&self, py: Python<'_>) -> PyResult<PyProviderInfo> {
        let p = &self.inner;
        crate::run(py, async move {
            p.describe().await.map(|inner| PyProviderInfo { inner })
        })
    }

    /// Check settings with the plugin (`PluginError` of kind "settings" if rejected).
    fn validate_settings(&self, py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<()> {
        let settings = convert::to_json(settings, "settings")?;
        let p = &self.inner;
        crate::run(py, async move {
            p.validate(&settings).await.map_err(paved::Error::from)
        })
    }

    /// What applying would do (changes nothing). `request` is
    /// `{"address": {"resourceType": …, "name": …}, "params": {...}}`.
    fn plan(&self, py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<PyPlan> {
        let request: PlanRequest = from_py(py, request, "request")?;
        let p = &self.inner;
        crate::run(py, async move {
            p.plan(&request).await.map(|inner| PyPlan { inner })
        })
    }

    /// The same provider with the asyncio API.
    fn to_async(&self) -> PyAsyncProvider {
        PyAsyncProvider {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Provider {}>", Provider::name(self.inner.as_ref()))
    }
}

/// A loaded provider, asyncio flavour (awaitable calls).
#[pyclass(name = "AsyncProvider", module = "paved", frozen)]
pub(crate) struct PyAsyncProvider {
    inner: Arc<WasmProvider>,
}

#[pymethods]
impl PyAsyncProvider {
    /// The name it was loaded under.
    #[getter]
    fn name(&self) -> &str {
        Provider::name(self.inner.as_ref())
    }

    /// Name, version, resource types with their JSON Schemas (awaitable).
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.inner.clone();
        crate::spawn(py, async move {
            p.describe().await.map(|inner| PyProviderInfo { inner })
        })
    }

    /// Check settings with the plugin (awaitable).
    fn validate_settings<'py>(
        &self,
        py: Python<'py>,
        settings: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings = convert::to_json(settings, "settings")?;
        let p = self.inner.clone();
        crate::spawn(py, async move {
            p.validate(&settings).await.map_err(paved::Error::from)
        })
    }

    /// What applying would do (awaitable; see `Provider.plan`).
    fn plan<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request: PlanRequest = from_py(py, request, "request")?;
        let p = self.inner.clone();
        crate::spawn(py, async move {
            p.plan(&request).await.map(|inner| PyPlan { inner })
        })
    }

    fn __repr__(&self) -> String {
        format!("<AsyncProvider {}>", Provider::name(self.inner.as_ref()))
    }
}

/// What a guardrail is: name, version, description, settings schema and the
/// capabilities it declares.
#[pyclass(name = "GuardrailInfo", module = "paved", frozen)]
pub(crate) struct PyGuardrailInfo {
    inner: GuardrailInfo,
}

#[pymethods]
impl PyGuardrailInfo {
    /// The plugin's own name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its version.
    #[getter]
    fn version(&self) -> &str {
        &self.inner.version
    }

    /// What it checks.
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }

    /// JSON Schema of its settings.
    #[getter]
    fn settings_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.settings_schema)
    }

    /// Capabilities it declares, as JSON (`"catalogue"`, `{"network": "host:port"}`, …);
    /// declaring grants nothing.
    #[getter]
    fn capabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.capabilities)
    }

    /// The info as JSON (camelCase keys, as the plugin wrote it).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<GuardrailInfo {} {}>", self.inner.name, self.inner.version)
    }
}

/// What a provider is: name, version, resource types, settings schema, capabilities.
#[pyclass(name = "ProviderInfo", module = "paved", frozen)]
pub(crate) struct PyProviderInfo {
    inner: ProviderInfo,
}

#[pymethods]
impl PyProviderInfo {
    /// The plugin's own name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its version.
    #[getter]
    fn version(&self) -> &str {
        &self.inner.version
    }

    /// What it provides.
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }

    /// The resource types it owns.
    #[getter]
    fn resource_types(&self) -> Vec<PyResourceTypeInfo> {
        self.inner
            .resource_types
            .iter()
            .cloned()
            .map(|inner| PyResourceTypeInfo { inner })
            .collect()
    }

    /// JSON Schema of its settings.
    #[getter]
    fn settings_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.settings_schema)
    }

    /// Capabilities it declares, as JSON.
    #[getter]
    fn capabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.capabilities)
    }

    /// The info as JSON (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<ProviderInfo {} {}>", self.inner.name, self.inner.version)
    }
}

/// One resource type a provider owns, with the JSON Schema of its params.
#[pyclass(name = "ResourceTypeInfo", module = "paved", frozen)]
pub(crate) struct PyResourceTypeInfo {
    inner: ResourceTypeInfo,
}

#[pymethods]
impl PyResourceTypeInfo {
    /// e.g. `postgres.database`.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// What it is.
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }

    /// JSON Schema of its params.
    #[getter]
    fn params_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.params_schema)
    }

    /// JSON Schema of its state, when the provider gives one.
    #[getter]
    fn state_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.state_schema {
            Some(s) => convert::to_py(py, s),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The type as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<ResourceTypeInfo {}>", self.inner.name)
    }
}

/// A guardrail's answer: the verdict, the violations (JSON path and message)
/// and an optional JSON Patch for the change's `after`.
#[pyclass(name = "Review", module = "paved", frozen)]
pub(crate) struct PyReview {
    inner: Review,
}

#[pymethods]
impl PyReview {
    /// "allow", "warn" or "deny".
    #[getter]
    fn verdict(&self) -> String {
        convert::enum_name(&self.inner.verdict)
    }

    /// What is wrong, each with a JSON path.
    #[getter]
    fn violations(&self) -> Vec<PyViolation> {
        self.inner
            .violations
            .iter()
            .cloned()
            .map(|inner| PyViolation { inner })
            .collect()
    }

    /// RFC 6902 JSON Patch (a list of operations) for the change's `after`, or None.
    #[getter]
    fn patch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.patch {
            Some(p) => convert::to_py(py, p),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The review as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Review {} violations={}>",
            convert::enum_name(&self.inner.verdict),
            self.inner.violations.len()
        )
    }
}

/// One problem a guardrail found.
#[pyclass(name = "Violation", module = "paved", frozen)]
pub(crate) struct PyViolation {
    inner: Violation,
}

#[pymethods]
impl PyViolation {
    /// JSON path of the offending field, e.g. `metadata.name`; "" for the document.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// What is wrong and what was expected.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// `{"path": …, "message": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<Violation {}: {}>", self.inner.path, self.inner.message)
    }
}

/// What applying a resource would do.
#[pyclass(name = "Plan", module = "paved", frozen)]
pub(crate) struct PyPlan {
    inner: Plan,
}

#[pymethods]
impl PyPlan {
    /// "create", "update", "replace", "delete", "import" or "no-op".
    #[getter]
    fn operation(&self) -> String {
        convert::enum_name(&self.inner.operation)
    }

    /// The fields that would change.
    #[getter]
    fn diff(&self) -> Vec<PyFieldDiff> {
        self.inner
            .diff
            .iter()
            .cloned()
            .map(|inner| PyFieldDiff { inner })
            .collect()
    }

    /// Estimated monthly cost after the change, when the provider gives one.
    #[getter]
    fn monthly_cost(&self) -> Option<f64> {
        self.inner.monthly_cost
    }

    /// Notes for people.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// The plan as JSON (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Plan {} diff={}>",
            convert::enum_name(&self.inner.operation),
            self.inner.diff.len()
        )
    }
}

/// One field a plan would change.
#[pyclass(name = "FieldDiff", module = "paved", frozen)]
pub(crate) struct PyFieldDiff {
    inner: FieldDiff,
}

#[pymethods]
impl PyFieldDiff {
    /// JSON path, e.g. `params.size`.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// The value before (None: absent).
    #[getter]
    fn before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        opt(py, self.inner.before.as_ref())
    }

    /// The value after (None: absent).
    #[getter]
    fn after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        opt(py, self.inner.after.as_ref())
    }

    /// The field cannot change in place: the resource must be replaced.
    #[getter]
    fn requires_replace(&self) -> bool {
        self.inner.requires_replace
    }

    /// The diff as JSON (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<FieldDiff {}>", self.inner.path)
    }
}

fn opt<'py>(py: Python<'py>, v: Option<&Value>) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Some(v) => convert::to_py(py, v),
        None => Ok(py.None().into_bound(py)),
    }
}

/// What a component is and asks for.
#[pyclass(name = "PluginInspection", module = "paved", frozen)]
pub(crate) struct PyPluginInspection {
    inner: Inspection,
}

#[pymethods]
impl PyPluginInspection {
    /// The component file.
    #[getter]
    fn path(&self) -> String {
        self.inner.path.display().to_string()
    }

    /// Its size in bytes.
    #[getter]
    fn size_bytes(&self) -> u64 {
        self.inner.size_bytes
    }

    /// "guardrail" or "provider"; None when it exports neither world's API.
    #[getter]
    fn world(&self) -> Option<String> {
        self.inner.world.map(|w| w.to_string())
    }

    /// Version of `paved:plugin` it was built against.
    #[getter]
    fn version(&self) -> Option<&str> {
        self.inner.version.as_deref()
    }

    /// Exported interfaces and functions.
    #[getter]
    fn exports(&self) -> Vec<String> {
        self.inner.exports.clone()
    }

    /// Imported interfaces.
    #[getter]
    fn imports(&self) -> Vec<String> {
        self.inner.imports.clone()
    }

    /// Capabilities it declares in `describe`, as JSON.
    #[getter]
    fn declared_capabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.declared_capabilities)
    }

    /// What its imports let it try (always subject to grants).
    #[getter]
    fn implied_capabilities(&self) -> Vec<String> {
        self.inner.implied_capabilities.clone()
    }

    /// Its `describe` answer, as JSON; None when it exports neither world.
    #[getter]
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        opt(py, self.inner.describe.as_ref())
    }

    /// The inspection as JSON, as `paved plugin inspect --json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<PluginInspection {}>", self.inner.path.display())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPluginHost>()?;
    m.add_class::<PyAsyncPluginHost>()?;
    m.add_class::<PyGuardrail>()?;
    m.add_class::<PyAsyncGuardrail>()?;
    m.add_class::<PyProvider>()?;
    m.add_class::<PyAsyncProvider>()?;
    m.add_class::<PyGuardrailInfo>()?;
    m.add_class::<PyProviderInfo>()?;
    m.add_class::<PyResourceTypeInfo>()?;
    m.add_class::<PyReview>()?;
    m.add_class::<PyViolation>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyFieldDiff>()?;
    m.add_class::<PyPluginInspection>()
}
