//! Opening a platform: `paved.Platform` (blocking) and `paved.AsyncPlatform`
//! (asyncio), both wrapping [`paved::Platform`]; context managers that close
//! on exit.
//!
//! `open(store=None, *, config=None)` forwards to the facade:
//!
//! ```text
//! store=None                  -> the embedded default (.paved/paved.db)
//! store="sqlite:PATH" | "sqlite::memory:" | "postgres://…"  -> StoreSpec::parse
//! store=pathlib.Path(…)       -> a SQLite file
//! config="paved.yaml"         -> Config::load(…).open(store)  (store overrides the file's)
//! ```

use std::path::PathBuf;
use std::sync::Mutex;

use paved::{Config, Platform, StoreSpec};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::audit::{PyAsyncAudit, PyAudit};
use crate::catalog::{PyAsyncCatalog, PyCatalog};
use crate::errors::PavedError;
use crate::events::{PyAsyncEventStream, PyEventStream};

/// What `open` was asked to open, parsed while holding the GIL.
enum Target {
    Store(StoreSpec),
    Config {
        config: Config,
        store: Option<String>,
    },
}

impl Target {
    fn from_args(
        py: Python<'_>,
        store: Option<&Bound<'_, PyAny>>,
        config: Option<PathBuf>,
    ) -> PyResult<Self> {
        let to_py = |e| crate::errors::to_py(py, e);
        let store: Option<String> = match store.filter(|s| !s.is_none()) {
            None => None,
            Some(s) if s.is_instance_of::<PyString>() => Some(s.extract()?),
            Some(s) => match s.extract::<PathBuf>() {
                Ok(path) => Some(format!("sqlite:{}", path.display())),
                Err(_) => {
                    return Err(PyTypeError::new_err(
                        "store: expected a store URL (str) or a SQLite file path (os.PathLike)",
                    ));
                }
            },
        };
        match config {
            Some(path) => Ok(Self::Config {
                config: Config::load(&path).map_err(to_py)?,
                store,
            }),
            None => Ok(Self::Store(match store {
                Some(s) => StoreSpec::parse(&s).map_err(to_py)?,
                None => StoreSpec::default(),
            })),
        }
    }

    async fn open(self) -> paved::Result<Platform> {
        match self {
            Self::Store(spec) => Platform::builder().store(spec).build().await,
            Self::Config { config, store } => config.open(store.as_deref()).await,
        }
    }
}

/// The platform behind a handle, or an error once it is closed.
fn live(slot: &Mutex<Option<Platform>>) -> PyResult<Platform> {
    slot.lock()
        .map_err(|_| PavedError::new_err("the platform's lock is poisoned"))?
        .clone()
        .ok_or_else(|| PavedError::new_err("the platform is closed"))
}

fn close(slot: &Mutex<Option<Platform>>) {
    if let Ok(mut p) = slot.lock() {
        p.take();
    }
}

/// An open platform (blocking API). Open it with `Platform.open(...)`; use it
/// as a context manager (`with Platform.open(...) as p:`) to close it on exit.
#[pyclass(name = "Platform", module = "paved", frozen)]
pub(crate) struct PyPlatform {
    inner: Mutex<Option<Platform>>,
}

#[pymethods]
impl PyPlatform {
    /// Open a platform: `store` is a store URL (`sqlite:PATH`,
    /// `sqlite::memory:`, `postgres://user@host/db`) or a SQLite file path;
    /// default `.paved/paved.db`. `config` is a `paved.yaml` (store and custom
    /// kinds); `store` overrides its store.
    #[staticmethod]
    #[pyo3(signature = (store = None, *, config = None))]
    fn open(
        py: Python<'_>,
        store: Option<&Bound<'_, PyAny>>,
        config: Option<PathBuf>,
    ) -> PyResult<Self> {
        let target = Target::from_args(py, store, config)?;
        let platform = crate::run(py, target.open())?;
        Ok(Self {
            inner: Mutex::new(Some(platform)),
        })
    }

    /// The catalogue.
    #[getter]
    fn catalog(&self) -> PyResult<PyCatalog> {
        Ok(PyCatalog::new(live(&self.inner)?.catalog()))
    }

    /// The audit log.
    #[getter]
    fn audit(&self) -> PyResult<PyAudit> {
        Ok(PyAudit::new(live(&self.inner)?.audit()))
    }

    /// Subscribe to events from now on: this process's, and on a PostgreSQL
    /// store, other processes'.
    fn events(&self) -> PyResult<PyEventStream> {
        Ok(PyEventStream::new(live(&self.inner)?.subscribe()))
    }

    /// The same platform with the asyncio API (shares the store and events).
    fn to_async(&self) -> PyResult<PyAsyncPlatform> {
        Ok(PyAsyncPlatform {
            inner: Mutex::new(Some(live(&self.inner)?)),
        })
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

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        live(&self.inner).is_err()
    }

    /// Release this handle; the store closes when the last handle (catalogues,
    /// iterators, streams taken from it) is gone. Idempotent.
    fn close(&self) {
        close(&self.inner);
    }

    /// `with Platform.open(...) as platform:`.
    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Close on leaving the `with` block; exceptions propagate.
    fn __exit__(
        &self,
        exc_type: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        tb: &Bound<'_, PyAny>,
    ) -> bool {
        let _ = (exc_type, exc, tb);
        close(&self.inner);
        false
    }

    fn __repr__(&self) -> String {
        match live(&self.inner) {
            Ok(p) => format!("<Platform {}>", p.store_description()),
            Err(_) => "<Platform closed>".to_string(),
        }
    }
}

/// An open platform (asyncio API). Open it with `await AsyncPlatform.open(...)`;
/// `async with` closes it on exit.
#[pyclass(name = "AsyncPlatform", module = "paved", frozen)]
pub(crate) struct PyAsyncPlatform {
    inner: Mutex<Option<Platform>>,
}

#[pymethods]
impl PyAsyncPlatform {
    /// Open a platform (awaitable); the arguments are those of `Platform.open`.
    #[staticmethod]
    #[pyo3(signature = (store = None, *, config = None))]
    fn open<'py>(
        py: Python<'py>,
        store: Option<&Bound<'_, PyAny>>,
        config: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let target = Target::from_args(py, store, config)?;
        crate::spawn(py, async move {
            target.open().await.map(|p| PyAsyncPlatform {
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

    /// Subscribe to events from now on (`async for event in platform.events()`):
    /// this process's, and on a PostgreSQL store, other processes'.
    fn events(&self) -> PyResult<PyAsyncEventStream> {
        Ok(PyAsyncEventStream::new(live(&self.inner)?.subscribe()))
    }

    /// The same platform with the blocking API (shares the store and events).
    fn to_sync(&self) -> PyResult<PyPlatform> {
        Ok(PyPlatform {
            inner: Mutex::new(Some(live(&self.inner)?)),
        })
    }

    /// The store, e.g. `postgres://127.0.0.1:5432/paved`.
    #[getter]
    fn store(&self) -> PyResult<String> {
        Ok(live(&self.inner)?.store_description())
    }

    /// This instance's id, carried by the events it makes.
    #[getter]
    fn origin(&self) -> PyResult<String> {
        Ok(live(&self.inner)?.origin().to_string())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        live(&self.inner).is_err()
    }

    /// Release this handle (see `Platform.close`). Idempotent; not awaitable.
    fn close(&self) {
        close(&self.inner);
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
        close(&self.inner);
        ready(py, false.into_bound_py_any(py)?)
    }

    fn __repr__(&self) -> String {
        match live(&self.inner) {
            Ok(p) => format!("<AsyncPlatform {}>", p.store_description()),
            Err(_) => "<AsyncPlatform closed>".to_string(),
        }
    }
}

/// An asyncio future of the running loop that already holds `value`.
///
/// `__aenter__`/`__aexit__` have nothing to wait for, and a future completed
/// from a runtime thread could still be handing its result over when the
/// program exits right after `async with` (see [`crate::settle_at_exit`]).
fn ready<'py>(py: Python<'py>, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let future = pyo3_async_runtimes::tokio::get_current_loop(py)?.call_method0("create_future")?;
    future.call_method1("set_result", (value,))?;
    Ok(future)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlatform>()?;
    m.add_class::<PyAsyncPlatform>()
}
