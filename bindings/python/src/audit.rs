//! The audit log: `paved._native.AsyncAudit` (wraps [`paved::Audit`]), and
//! its results `AuditRecord`, `VerifyReport`, `ChainBreak`.

use paved::{Audit, AuditRecord, ChainBreak, VerifyReport};
use pyo3::prelude::*;

use crate::convert;

/// The append-only, hash-chained audit log (asyncio API).
#[pyclass(name = "AsyncAudit", module = "paved", frozen)]
pub(crate) struct PyAsyncAudit {
    inner: Audit,
}

impl PyAsyncAudit {
    pub(crate) fn new(inner: Audit) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyAsyncAudit {
    /// Records with `seq > after` (None: from the first), oldest first, at
    /// most `limit` (default: core's audit limit).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        after: Option<u64>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let audit = self.inner.clone();
        crate::spawn(
            py,
            async move { audit.list(after, limit).await.map(records) },
        )
    }

    /// Records about one entity, newest first, at most `limit`.
    #[pyo3(signature = (entity_ref, *, limit = None))]
    fn for_entity<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let audit = self.inner.clone();
        crate::spawn(py, async move {
            audit.for_entity(&entity_ref, limit).await.map(records)
        })
    }

    /// Check the whole hash chain; `.ok` is False and `.broken` says where if
    /// any record was altered, removed or reordered.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let audit = self.inner.clone();
        crate::spawn(
            py,
            async move { audit.verify().await.map(PyVerifyReport::from) },
        )
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncAudit>"
    }
}

fn records(rs: Vec<AuditRecord>) -> Vec<PyAuditRecord> {
    rs.into_iter()
        .map(|inner| PyAuditRecord { inner })
        .collect()
}

/// One record of the audit chain.
#[pyclass(name = "AuditRecord", module = "paved", frozen)]
pub(crate) struct PyAuditRecord {
    inner: AuditRecord,
}

#[pymethods]
impl PyAuditRecord {
    /// 1, 2, 3, … with no gaps.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }

    /// RFC 3339 UTC time with microseconds.
    #[getter]
    fn at(&self) -> &str {
        &self.inner.at
    }

    /// Who did it (a user ref, or `system`).
    #[getter]
    fn actor(&self) -> &str {
        &self.inner.actor
    }

    /// What was done, e.g. `entity.create`.
    #[getter]
    fn action(&self) -> &str {
        &self.inner.action
    }

    /// What it is about, e.g. an entity ref.
    #[getter]
    fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// Anything else recorded (etags, origin, location), as a dict.
    #[getter]
    fn details<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.details)
    }

    /// Hash of the previous record.
    #[getter]
    fn prev_hash(&self) -> &str {
        &self.inner.prev_hash
    }

    /// This record's hash.
    #[getter]
    fn hash(&self) -> &str {
        &self.inner.hash
    }

    /// The record as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<AuditRecord {} {} {} by {}>",
            self.inner.seq, self.inner.action, self.inner.subject, self.inner.actor
        )
    }
}

/// What verifying the chain found.
#[pyclass(name = "VerifyReport", module = "paved", frozen)]
pub(crate) struct PyVerifyReport {
    inner: VerifyReport,
}

impl From<VerifyReport> for PyVerifyReport {
    fn from(inner: VerifyReport) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyVerifyReport {
    /// True when the chain is intact.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.broken.is_none()
    }

    /// Records checked (up to the first break).
    #[getter]
    fn checked(&self) -> u64 {
        self.inner.checked
    }

    /// Hash of the last good record; None for an empty log.
    #[getter]
    fn head(&self) -> Option<&str> {
        self.inner.head.as_deref()
    }

    /// Where and why the chain breaks; None when intact.
    #[getter]
    fn broken(&self) -> Option<PyChainBreak> {
        self.inner
            .broken
            .clone()
            .map(|inner| PyChainBreak { inner })
    }

    /// The report as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    fn __repr__(&self) -> String {
        match &self.inner.broken {
            None => format!("<VerifyReport ok checked={}>", self.inner.checked),
            Some(b) => format!("<VerifyReport broken at {}: {}>", b.seq, b.reason),
        }
    }
}

/// Where and why the audit chain breaks.
#[pyclass(name = "ChainBreak", module = "paved", frozen)]
pub(crate) struct PyChainBreak {
    inner: ChainBreak,
}

#[pymethods]
impl PyChainBreak {
    /// The first bad record.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }

    /// What is wrong with it.
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }

    /// `{"seq": …, "reason": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<ChainBreak {}: {}>", self.inner.seq, self.inner.reason)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncAudit>()?;
    m.add_class::<PyAuditRecord>()?;
    m.add_class::<PyVerifyReport>()?;
    m.add_class::<PyChainBreak>()
}
