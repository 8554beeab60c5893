//! Events: `paved.Event`, and a subscription as an async iterator,
//! `paved._native.AsyncSubscription` (wraps [`paved::Subscription`]). On a
//! PostgreSQL store it also carries the events committed by other processes.
//!
//! A subscriber that fell behind gets `paved.LaggedError` (code `LAGGED`,
//! `.missed`) once and the iteration goes on with newer events; a closed
//! platform ends the iteration.

use std::sync::Arc;

use paved::{Event, Subscription};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use tokio::sync::Mutex;

use crate::convert;

/// One change notification.
#[pyclass(name = "Event", module = "paved", frozen)]
pub(crate) struct PyEvent {
    inner: Event,
}

#[pymethods]
impl PyEvent {
    /// The audit record's seq.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }

    /// e.g. `entity.created`, `entity.updated`, `entity.deleted`.
    #[getter]
    fn kind(&self) -> &str {
        &self.inner.kind
    }

    /// What changed, e.g. `component:default/orders`.
    #[getter]
    fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The new etag, when there is one.
    #[getter]
    fn etag(&self) -> Option<&str> {
        self.inner.etag.as_deref()
    }

    /// Who made the change.
    #[getter]
    fn actor(&self) -> &str {
        &self.inner.actor
    }

    /// When (RFC 3339 UTC).
    #[getter]
    fn at(&self) -> &str {
        &self.inner.at
    }

    /// The platform instance that made the change (`Platform.origin`).
    #[getter]
    fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The event as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Event {} {} {}>",
            self.inner.seq, self.inner.kind, self.inner.subject
        )
    }
}

/// Events as they happen (asyncio API): `async for event in subscription`,
/// or `await subscription.next()`.
#[pyclass(name = "AsyncSubscription", module = "paved", frozen)]
pub(crate) struct PyAsyncSubscription {
    sub: Arc<Mutex<Subscription>>,
}

impl PyAsyncSubscription {
    pub(crate) fn new(sub: Subscription) -> Self {
        Self {
            sub: Arc::new(Mutex::new(sub)),
        }
    }
}

#[pymethods]
impl PyAsyncSubscription {
    /// The next event (awaitable); None when the platform is closed.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sub = self.sub.clone();
        crate::spawn(py, async move {
            let next = sub.lock().await.next().await?;
            Ok(next.map(|inner| PyEvent { inner }))
        })
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sub = self.sub.clone();
        crate::spawn_with(
            py,
            async move { sub.lock().await.next().await },
            |py, next| match next {
                Ok(Some(inner)) => PyEvent { inner }.into_py_any(py),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(crate::errors::to_py(py, e)),
            },
        )
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncSubscription>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEvent>()?;
    m.add_class::<PyAsyncSubscription>()
}
