//! `paved._native`: the Python binding of the paved engine (private; the
//! `paved` package in `python/paved` re-exports it).
//!
//! Each file wraps one module of the facade and holds no logic of its own:
//! arguments are converted to core types ([`convert`]), the engine is called,
//! results are wrapped in `#[pyclass]`es whose `to_dict()` is the core type's
//! JSON form, and [`paved::Error`] becomes one exception class ([`errors`]).
//!
//! Every capability comes twice, with the same names and arguments:
//!
//! ```text
//! Platform / Catalog / Audit / EventStream          sync: the GIL is released while the
//!                                                   engine works on the shared runtime
//! AsyncPlatform / AsyncCatalog / AsyncAudit / …     asyncio: each method returns an awaitable
//!                                                   driven by the same tokio runtime
//! ```
//!
//! [`run`] (block, GIL released) and [`spawn`] (awaitable) are the only two
//! ways a binding method reaches the engine.

mod audit;
mod catalog;
mod convert;
mod diagnostic;
mod errors;
mod events;
mod graph;
mod ingest;
mod model;
mod pipeline;
mod platform;
mod plugins;
mod query;

use std::future::Future;

use pyo3::prelude::*;

/// The tokio runtime every call runs on (shared with `pyo3_async_runtimes`).
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Run an engine future to completion with the GIL released; map its error.
pub(crate) fn run<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = paved::Result<T>> + Send,
    T: Send,
{
    py.detach(|| runtime().block_on(fut))
        .map_err(|e| errors::to_py(py, e))
}

/// Turn an engine future into a Python awaitable; map its error.
pub(crate) fn spawn<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = paved::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        fut.await
            .map_err(|e| Python::attach(|py| errors::to_py(py, e)))
    })
}

/// Called at interpreter exit (`atexit`, registered by `paved/__init__.py`):
/// releases the GIL for a moment so that runtime threads still handing an
/// awaitable's result to asyncio (they re-take the GIL after waking the event
/// loop) finish before finalization starts; on Python < 3.13 a thread that
/// takes the GIL during finalization is killed with `pthread_exit`, which
/// aborts the process.
#[pyfunction]
fn _settle_at_exit(py: Python<'_>) {
    py.detach(|| std::thread::sleep(std::time::Duration::from_millis(20)));
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(_settle_at_exit, m)?)?;
    errors::register(m)?;
    diagnostic::register(m)?;
    model::register(m)?;
    ingest::register(m)?;
    pipeline::register(m)?;
    query::register(m)?;
    graph::register(m)?;
    catalog::register(m)?;
    audit::register(m)?;
    events::register(m)?;
    platform::register(m)?;
    plugins::register(m)?;
    Ok(())
}
