//! Approvals: `paved._native.AsyncApprovals` wraps [`paved::Approvals`]
//! (changes held by policies that ask for approval; approving and
//! rejecting them). Requests are returned as dicts, shaped as
//! `paved approval … -o json` prints them.

use paved::{ApprovalFilter, ApprovalStatus, Approvals, WriteOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The held changes of a platform (asyncio API).
#[pyclass(name = "AsyncApprovals", module = "paved", frozen)]
pub(crate) struct PyAsyncApprovals {
    inner: Approvals,
}

impl PyAsyncApprovals {
    pub(crate) fn new(inner: Approvals) -> Self {
        Self { inner }
    }
}

/// A status by name; a bad one is a `ValueError` with core's message.
fn status(s: Option<String>) -> PyResult<Option<ApprovalStatus>> {
    s.map(|s| s.parse())
        .transpose()
        .map_err(|e: paved::Error| PyValueError::new_err(e.to_string()))
}

#[pymethods]
impl PyAsyncApprovals {
    /// Requests, newest first (awaitable).
    #[pyo3(signature = (*, status = None, limit = None))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        status: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = ApprovalFilter {
            status: self::status(status)?,
            limit,
        };
        let approvals = self.inner.clone();
        crate::spawn_json(py, async move { approvals.list(&filter).await })
    }

    /// One request (awaitable).
    fn get<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let approvals = self.inner.clone();
        crate::spawn_json(py, async move { approvals.get(&id).await })
    }

    /// Approve a request as `actor` (awaitable).
    #[pyo3(signature = (id, *, comment = None, actor = None, dry_run = false))]
    fn approve<'py>(
        &self,
        py: Python<'py>,
        id: String,
        comment: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let approvals = self.inner.clone();
        let opts = WriteOptions { actor, dry_run };
        crate::spawn_json(py, async move {
            approvals.approve(&id, comment.as_deref(), &opts).await
        })
    }

    /// Reject a request as `actor` (awaitable).
    #[pyo3(signature = (id, *, reason = None, actor = None, dry_run = false))]
    fn reject<'py>(
        &self,
        py: Python<'py>,
        id: String,
        reason: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let approvals = self.inner.clone();
        let opts = WriteOptions { actor, dry_run };
        crate::spawn_json(py, async move {
            approvals.reject(&id, reason.as_deref(), &opts).await
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncApprovals>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncApprovals>()
}
