//! Plugins: `paved._native.AsyncPlugins` (wraps [`paved::Plugins`], the
//! guardrails and providers a platform was opened with), the store-less
//! tools `inspect_plugin` and `check_plugin`, and the plugin contract's
//! answers as objects with attributes and `to_dict()`. Requests are dicts
//! deserialized into the contract's types ([`paved::plugins`]); an error
//! names the JSON path.
//!
//! A plugin entry (`open(plugins=[…])`) has the shape of one in `paved.yaml`:
//! `{"path": …, "kind": "guardrail", "name": …, "settings": {…},
//! "grants": {"catalogue": true, "network": ["db:5432"]}, "limits":
//! {"timeoutMs": 500, "memoryMib": 32}}`.

use std::path::PathBuf;

use paved::plugins::{
    Change, FieldDiff, GuardrailInfo, Inspection, Plan, PluginConfig, ProviderInfo,
    ResourceTypeInfo, Review, Violation,
};
use paved::{PluginInfo, Plugins, WriteOptions};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::convert;

/// A JSON value → a plugin-contract type; errors name the JSON path.
fn from_json<T: DeserializeOwned>(json: Value, what: &str) -> paved::Result<T> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            what.to_string()
        } else {
            format!("{what}.{inner}")
        };
        let message = e.into_inner().to_string();
        paved::Error::invalid(paved::Diagnostic::error(path, message))
    })
}

/// A request dict → a plugin-contract type.
fn from_py<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    from_json(convert::to_json(obj, what)?, what).map_err(|e| crate::errors::to_py(py, e))
}

/// A plugin entry as in `paved.yaml`; `name` defaults to
/// [`paved::plugins::default_name`] of its path.
fn plugin_config(mut entry: Value, what: &str) -> paved::Result<PluginConfig> {
    if let Value::Object(map) = &mut entry
        && !map.contains_key("name")
        && let Some(path) = map.get("path").and_then(Value::as_str)
    {
        let name = paved::plugins::default_name(std::path::Path::new(path))?;
        map.insert("name".into(), Value::String(name));
    }
    from_json(entry, what)
}

/// The `plugins=` argument of `open`: a list of plugin entries.
pub(crate) fn plugin_configs(
    py: Python<'_>,
    plugins: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PluginConfig>> {
    let Some(plugins) = plugins.filter(|p| !p.is_none()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, entry) in plugins.try_iter()?.enumerate() {
        let what = format!("plugins[{i}]");
        let json = convert::to_json(&entry?, &what)?;
        out.push(plugin_config(json, &what).map_err(|e| crate::errors::to_py(py, e))?);
    }
    Ok(out)
}

/// A plugin's description, as the object of its world.
fn info(py: Python<'_>, info: paved::Result<PluginInfo>) -> PyResult<Py<PyAny>> {
    match info {
        Ok(PluginInfo::Guardrail(inner)) => PyGuardrailInfo { inner }.into_py_any(py),
        Ok(PluginInfo::Provider(inner)) => PyProviderInfo { inner }.into_py_any(py),
        // An action plugin's description is plain data: its name and actions.
        Ok(action @ PluginInfo::Action { .. }) => {
            let value = data(action).map_err(|e| crate::errors::to_py(py, e))?;
            crate::convert::to_py(py, &value).map(Bound::unbind)
        }
        Err(e) => Err(crate::errors::to_py(py, e)),
    }
}

/// A serializable answer as plain Python data.
fn data(value: impl serde::Serialize) -> paved::Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| paved::Error::store_msg(format!("cannot convert a plugin answer: {e}")))
}

/// Plain data out of an awaitable (JSON → dict/list/scalars).
struct Data(Value);

impl<'py> IntoPyObject<'py> for Data {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.0)
    }
}

/// The guardrails and providers of a platform (asyncio API). Reviews and
/// provider reads change nothing; `apply`, `delete` and `import_resource` are
/// recorded in the audit log (`actor`; `dry_run` is refused for them).
#[pyclass(name = "AsyncPlugins", module = "paved", frozen)]
pub(crate) struct PyAsyncPlugins {
    inner: Plugins,
}

impl PyAsyncPlugins {
    pub(crate) fn new(inner: Plugins) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyAsyncPlugins {
    /// Every plugin as `{"name": …, "kind": "guardrail" | "provider"}`,
    /// guardrails first, each in the order it was configured.
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.list())
    }

    /// What a plugin says of itself (awaitable): a `GuardrailInfo`, a
    /// `ProviderInfo`, or for an action plugin a dict (`kind`, `name`, `actions`).
    fn describe<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let plugins = self.inner.clone();
        crate::spawn_with(py, async move { plugins.describe(&name).await }, info)
    }

    /// Review one change (`{"operation": …, "kind": …, "before": …, "after": …}`)
    /// with a guardrail; `settings`: a policy's own settings (validated
    /// first), None: the configured ones.
    #[pyo3(signature = (name, change, *, settings = None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        name: String,
        change: &Bound<'_, PyAny>,
        settings: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let change: Change = from_py(py, change, "change")?;
        let settings = match settings {
            Some(s) if !s.is_none() => Some(convert::to_json(s, "settings")?),
            _ => None,
        };
        let plugins = self.inner.clone();
        crate::spawn(py, async move {
            plugins
                .review(&name, &change, settings.as_ref())
                .await
                .map(|inner| PyReview { inner })
        })
    }

    /// What applying a resource would do (changes nothing).
    fn plan<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = from_py(py, request, "request")?;
        let plugins = self.inner.clone();
        crate::spawn(py, async move {
            plugins
                .plan(&name, &request)
                .await
                .map(|inner| PyPlan { inner })
        })
    }

    /// The resource as it is now (a dict), None when it is gone.
    fn read<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = from_py(py, request, "request")?;
        let plugins = self.inner.clone();
        crate::spawn(py, async move {
            Ok(plugins.read(&name, &request).await?.map(Data))
        })
    }

    /// Bring a resource to the requested params (audited as
    /// `resource.apply`); returns the provider's answer as a dict.
    #[pyo3(signature = (name, request, *, actor = None, dry_run = false))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: &Bound<'_, PyAny>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = from_py(py, request, "request")?;
        let opts = WriteOptions { actor, dry_run };
        let plugins = self.inner.clone();
        crate::spawn(py, async move {
            data(plugins.apply(&name, &request, &opts).await?).map(Data)
        })
    }

    /// Remove a resource (audited as `resource.delete`).
    #[pyo3(signature = (name, request, *, actor = None, dry_run = false))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: &Bound<'_, PyAny>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = from_py(py, request, "request")?;
        let opts = WriteOptions { actor, dry_run };
        let plugins = self.inner.clone();
        crate::spawn(
            py,
            async move { plugins.delete(&name, &request, &opts).await },
        )
    }

    /// Adopt a resource that exists outside paved (audited as
    /// `resource.import`); returns the provider's answer as a dict.
    #[pyo3(signature = (name, request, *, actor = None, dry_run = false))]
    fn import_resource<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: &Bound<'_, PyAny>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = from_py(py, request, "request")?;
        let opts = WriteOptions { actor, dry_run };
        let plugins = self.inner.clone();
        crate::spawn(py, async move {
            data(plugins.import(&name, &request, &opts).await?).map(Data)
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncPlugins>"
    }
}

/// What a component is and asks for (world, version, imports, exports,
/// capabilities, its `describe`), without validating settings (awaitable).
#[pyfunction]
#[pyo3(signature = (path, *, plugin_cache = None))]
fn inspect_plugin(
    py: Python<'_>,
    path: PathBuf,
    plugin_cache: Option<PathBuf>,
) -> PyResult<Bound<'_, PyAny>> {
    crate::spawn(py, async move {
        paved::inspect_plugin(&path, plugin_cache)
            .await
            .map(|inner| PyPluginInspection { inner })
    })
}

/// Load a plugin as configured (settings validated, grants applied) and
/// return what it says of itself (awaitable): a `GuardrailInfo`, a
/// `ProviderInfo`, or for an action plugin a dict (`kind`, `name`,
/// `actions`). `kind` ("guardrail", "provider" or "action") defaults to the
/// world the component exports.
#[pyfunction]
#[pyo3(signature = (path, *, name = None, kind = None, settings = None, grants = None, limits = None, plugin_cache = None))]
#[allow(clippy::too_many_arguments)] // one per keyword argument of the Python function
fn check_plugin<'py>(
    py: Python<'py>,
    path: PathBuf,
    name: Option<String>,
    kind: Option<String>,
    settings: Option<&Bound<'_, PyAny>>,
    grants: Option<&Bound<'_, PyAny>>,
    limits: Option<&Bound<'_, PyAny>>,
    plugin_cache: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut entry = serde_json::Map::new();
    entry.insert("path".into(), Value::String(path.display().to_string()));
    if let Some(name) = name {
        entry.insert("name".into(), Value::String(name));
    }
    for (key, value) in [
        ("settings", settings),
        ("grants", grants),
        ("limits", limits),
    ] {
        if let Some(v) = value.filter(|v| !v.is_none()) {
            entry.insert(key.into(), convert::to_json(v, key)?);
        }
    }
    let checked = async move {
        let kind = match kind {
            Some(k) => Value::String(k),
            None => Value::String(
                paved::plugin_kind(&path, plugin_cache.clone())
                    .await?
                    .to_string(),
            ),
        };
        entry.insert("kind".into(), kind);
        let config = plugin_config(Value::Object(entry), "plugin")?;
        paved::check_plugin(config, plugin_cache).await
    };
    crate::spawn_with(py, checked, info)
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
    m.add_class::<PyAsyncPlugins>()?;
    m.add_class::<PyGuardrailInfo>()?;
    m.add_class::<PyProviderInfo>()?;
    m.add_class::<PyResourceTypeInfo>()?;
    m.add_class::<PyReview>()?;
    m.add_class::<PyViolation>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyFieldDiff>()?;
    m.add_class::<PyPluginInspection>()?;
    m.add_function(wrap_pyfunction!(inspect_plugin, m)?)?;
    m.add_function(wrap_pyfunction!(check_plugin, m)?)
}
