//! `paved._native`: the Python binding of the paved engine (private; the
//! `paved` package in `python/paved` is the public API).
//!
//! Each file wraps one module of the facade and holds no logic of its own:
//! arguments are converted to core types ([`convert`]), the engine is called,
//! results are wrapped in `#[pyclass]`es whose `to_dict()` is the core type's
//! JSON form, and [`paved::Error`] becomes one exception class ([`errors`]).
//!
//! The handles (`AsyncPlatform`, `AsyncCatalog`, `AsyncAudit`, `AsyncPlugins`,
//! `AsyncPaths`, `AsyncSubscription`, `AsyncQueryIterator`, `PathRun`) are
//! asyncio classes: every engine call is an awaitable made by
//! [`runtime::spawn`]. The blocking API
//! (`paved.Platform`, …) is plain Python over the same methods, each call
//! made through `paved._native.blocking` and waited for on the calling
//! thread (`paved/_blocking.py`, [`runtime`]), so each class is defined once.

mod approvals;
mod audit;
mod catalog;
mod convert;
mod diagnostic;
mod errors;
mod events;
mod graph;
mod ingest;
mod model;
mod paths;
mod pipeline;
mod platform;
mod plugins;
mod policies;
mod query;
mod resources;
mod runtime;
mod scorecards;

use pyo3::prelude::*;

pub(crate) use runtime::{spawn, spawn_json, spawn_with};

/// The operations of the facade and each front's name for them
/// (`paved::surface::OPERATIONS`), as a list of dicts.
#[pyfunction]
fn surface(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    convert::to_py(py, &paved::surface::surface())
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(surface, m)?)?;
    runtime::register(m)?;
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
    policies::register(m)?;
    scorecards::register(m)?;
    approvals::register(m)?;
    resources::register(m)?;
    paths::register(m)?;
    Ok(())
}
