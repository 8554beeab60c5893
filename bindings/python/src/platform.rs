//! Opening a platform: `paved._native.AsyncPlatform` wraps [`paved::Platform`]
//! (asyncio only; `paved.Platform` is the blocking API over it, in Python).
//!
//! `open(store=None, *, config=None, actor=None, plugins=None,
//! plugin_cache=None, prepare_guardrails=False)` forwards to [`paved::open`],
//! which resolves every default (environment, `./paved.yaml`, built-ins).

use std::path::PathBuf;
use std::sync::Mutex;

use paved::{OpenOptions, Platform};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::approvals::PyAsyncApprovals;
use crate::audit::PyAsyncAudit;
use crate::catalog::PyAsyncCatalog;
use crate::errors::PavedError;
use crate::events::PyAsyncSubscription;
use crate::paths::PyAsyncPaths;
use crate::plugins::{PyAsyncPlugins, plugin_configs};
use crate::policies::PyAsyncPolicies;
use crate::resources::PyAsyncResources;
use crate::scorecards::PyAsyncScorecards;

/// `store`: a store URL (str) or a SQLite file (os.PathLike).
fn store_url(store: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match store.filter(|s| !s.is_none()) {
        None => Ok(None),
        Some(s) if s.is_instance_of::<PyString>() => Ok(Some(s.extract()?)),
        Some(s) => match s.extract::<PathBuf>() {
            Ok(path) => Ok(Some(format!("sqlite:{}", path.display()))),
            Err(_) => Err(PyTypeError::new_err(
                "store: expected a store URL (str) or a SQLite file path (os.PathLike)",
            )),
        },
    }
}

/// The platform behind a handle, or an error once it is closed.
fn live(slot: &Mutex<Option<Platform>>) -> PyResult<Platform> {
    slot.lock()
        .map_err(|_| PavedError::new_err("the platform's lock is poisoned"))?
        .clone()
        .ok_or_else(|| PavedError::new_err("the platform is closed"))
}

/// An open platform (asyncio API; `paved.Platform` is the blocking one).
/// Open it with `await AsyncPlatform.open(...)`; `async with` closes it.
#[pyclass(name = "AsyncPlatform", module = "paved", frozen)]
pub(crate) struct PyAsyncPlatform {
    inner: Mutex<Option<Platform>>,
}

#[pymethods]
impl PyAsyncPlatform {
    /// Open a platform (awaitable). `store`: a store URL (`sqlite:PATH`,
    /// `sqlite::memory:`, `postgres://user@host/db`) or a SQLite file path;
    /// `config`: a `paved.yaml`; `actor`: who writes when a call names none;
    /// `plugins`: plugin entries as in `paved.yaml` (`{"path": …, "kind":
    /// "guardrail", "settings": …, "grants": …, "limits": …}`; `name`
    /// defaults to the file's stem); `plugin_cache`: a directory for compiled
    /// components. What is not given is resolved by `paved::open`
    /// (`$PAVED_STORE`, `$PAVED_CONFIG`, `./paved.yaml`, `$PAVED_ACTOR`, …).
    #[staticmethod]
    #[pyo3(signature = (store = None, *, config = None, actor = None, plugins = None, plugin_cache = None, prepare_guardrails = false))]
    fn open<'py>(
        py: Python<'py>,
        store: Option<&Bound<'_, PyAny>>,
        config: Option<PathBuf>,
        actor: Option<String>,
        plugins: Option<&Bound<'_, PyAny>>,
        plugin_cache: Option<PathBuf>,
        prepare_guardrails: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = OpenOptions {
            store: store_url(store)?,
            config,
            actor,
            plugins: plugin_configs(py, plugins)?,
            plugin_cache,
            prepare_guardrails,
        };
        crate::spawn(py, async move {
            paved::open(options).await.map(|p| PyAsyncPlatform {
                inner: Mutex::new(Some(p)),
            })
        })
    }

    /// The catalogue.
    #[getter]
    fn catalog(&self) -> PyResult<PyAsyncCatalog> {
        Ok(PyAsyncCatalog::new(live(&self.inner)?.catalog()))
    }

    /// The audit log.
    #[getter]
    fn audit(&self) -> PyResult<PyAsyncAudit> {
        Ok(PyAsyncAudit::new(live(&self.inner)?.audit()))
    }

    /// The guardrails and providers the platform was opened with.
    #[getter]
    fn plugins(&self) -> PyResult<PyAsyncPlugins> {
        Ok(PyAsyncPlugins::new(live(&self.inner)?.plugins()))
    }

    /// The policy bindings, their decisions, and trying an entity on them.
    #[getter]
    fn policies(&self) -> PyResult<PyAsyncPolicies> {
        Ok(PyAsyncPolicies::new(live(&self.inner)?.policies()))
    }

    /// The scorecards: entities and teams scored on the platform's levels.
    #[getter]
    fn scorecards(&self) -> PyResult<PyAsyncScorecards> {
        Ok(PyAsyncScorecards::new(live(&self.inner)?.scorecards()))
    }

    /// Changes held by policies that ask for approval: list, approve, reject.
    #[getter]
    fn approvals(&self) -> PyResult<PyAsyncApprovals> {
        Ok(PyAsyncApprovals::new(live(&self.inner)?.approvals()))
    }

    /// The resources: plan, apply, drift, destroy and import them through
    /// their providers; their state, history, outputs and leases.
    #[getter]
    fn resources(&self) -> PyResult<PyAsyncResources> {
        Ok(PyAsyncResources::new(live(&self.inner)?.resources()))
    }

    /// The golden paths: the catalogue's Templates, previewed, run, rolled
    /// back, resumed, tested and measured.
    #[getter]
    fn paths(&self) -> PyResult<PyAsyncPaths> {
        Ok(PyAsyncPaths::new(live(&self.inner)?.paths()))
    }

    /// Subscribe to events from now on (`async for event in platform.subscribe()`):
    /// this process's, and on a PostgreSQL store, other processes'.
    fn subscribe(&self) -> PyResult<PyAsyncSubscription> {
        Ok(PyAsyncSubscription::new(live(&self.inner)?.subscribe()))
    }

    /// The store, e.g. `sqlite:.paved/paved.db`.
    #[getter]
    fn store(&self) -> PyResult<String> {
        Ok(live(&self.inner)?.store_description())
    }

    /// This instance's id, carried by the events it makes.
    #[getter]
    fn origin(&self) -> PyResult<String> {
        Ok(live(&self.inner)?.origin().to_string())
    }

    /// The actor writes are recorded under when they name none.
    #[getter]
    fn actor(&self) -> PyResult<String> {
        Ok(live(&self.inner)?.actor().to_string())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        live(&self.inner).is_err()
    }

    /// Release this handle; the store closes when the last handle (catalogues,
    /// iterators, subscriptions taken from it) is gone. Idempotent.
    fn close(&self) {
        if let Ok(mut p) = self.inner.lock() {
            p.take();
        }
    }

    /// `async with await AsyncPlatform.open(...) as platform:`.
    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        ready(py, slf.into_any())
    }

    /// Close on leaving the `async with` block; exceptions propagate.
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        exc_type: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        tb: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (exc_type, exc, tb);
        self.close();
        ready(py, false.into_bound_py_any(py)?)
    }

    fn __repr__(&self) -> String {
        match live(&self.inner) {
            Ok(p) => format!("<AsyncPlatform {}>", p.store_description()),
            Err(_) => "<AsyncPlatform closed>".to_string(),
        }
    }
}

/// An asyncio future of the running loop that already holds `value`
/// (`__aenter__`/`__aexit__` have nothing to wait for).
fn ready<'py>(py: Python<'py>, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let future = crate::runtime::running_loop(py)?.call_method0("create_future")?;
    future.call_method1("set_result", (value,))?;
    Ok(future)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncPlatform>()
}
