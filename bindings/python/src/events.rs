//! Events: `paved.Event`, and subscriptions as iterators: `EventStream`
//! (blocking `for`) and `AsyncEventStream` (`async for`), both wrapping
//! [`paved::events::Subscription`]. On a PostgreSQL store they also carry the
//! events committed by other processes.
//!
//! `Received::Lagged` raises `paved.LaggedError` (the stream goes on with
//! newer events); `Received::Closed` ends the iteration.

use std::sync::Arc;
use std::time::Duration;

use paved::events::{Event, Received, Subscription};
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

/// What one receive gave, in Python terms.
fn received(py: Python<'_>, r: Received) -> PyResult<Option<PyEvent>> {
    match r {
        Received::Event(inner) => Ok(Some(PyEvent { inner })),
        Received::Lagged(n) => Err(crate::errors::lagged(py, n)),
        Received::Closed => Ok(None),
    }
}

/// How long a blocking receive waits before it checks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Events as they happen (blocking iterator; the GIL is released while
/// waiting and Ctrl-C interrupts it).
#[pyclass(name = "EventStream", module = "paved", frozen)]
pub(crate) struct PyEventStream {
    sub: Arc<Mutex<Subscription>>,
}

impl PyEventStream {
    pub(crate) fn new(sub: Subscription) -> Self {
        Self {
            sub: Arc::new(Mutex::new(sub)),
        }
    }
}

#[pymethods]
impl PyEventStream {
    /// The next event, waiting at most `timeout` seconds (None: forever);
    /// None on timeout or when the platform is closed.
    #[pyo3(signature = (timeout = None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<PyEvent>> {
        let deadline =
            timeout.map(|t| std::time::Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            let wait = match deadline {
                Some(d) => SIGNAL_CHECK.min(d.saturating_duration_since(std::time::Instant::now())),
                None => SIGNAL_CHECK,
            };
            let sub = &self.sub;
            let got = py.detach(|| {
                crate::runtime().block_on(async {
                    tokio::time::timeout(wait, async { sub.lock().await.recv().await }).await
                })
            });
            if let Ok(r) = got {
                return received(py, r);
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Ok(None);
            }
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyEvent>> {
        self.recv(py, None)
    }

    fn __repr__(&self) -> &'static str {
        "<EventStream>"
    }
}

/// Events as they happen, for `async for`.
#[pyclass(name = "AsyncEventStream", module = "paved", frozen)]
pub(crate) struct PyAsyncEventStream {
    sub: Arc<Mutex<Subscription>>,
}

impl PyAsyncEventStream {
    pub(crate) fn new(sub: Subscription) -> Self {
        Self {
            sub: Arc::new(Mutex::new(sub)),
        }
    }
}

#[pymethods]
impl PyAsyncEventStream {
    /// The next event (awaitable); None when the platform is closed.
    fn recv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sub = self.sub.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let r = sub.lock().await.recv().await;
            Python::attach(|py| received(py, r))
        })
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sub = self.sub.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let r = sub.lock().await.recv().await;
            match Python::attach(|py| received(py, r))? {
                Some(e) => Ok(e),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncEventStream>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEvent>()?;
    m.add_class::<PyEventStream>()?;
    m.add_class::<PyAsyncEventStream>()
}
