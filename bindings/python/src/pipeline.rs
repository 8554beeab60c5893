//! Results of writes: `paved.ChangeSet` and `paved.PlannedChange` (wrap
//! [`paved::ChangeSet`]).

use paved::{ChangeSet, PlannedChange};
use pyo3::prelude::*;

use crate::convert;
use crate::diagnostic::PyDiagnostic;

/// What a write did (or, with `dry_run=True`, would do): one change per
/// entity, warnings (dangling refs, orphans) and orphaned entities.
#[pyclass(name = "ChangeSet", module = "paved", frozen)]
pub(crate) struct PyChangeSet {
    inner: ChangeSet,
}

impl From<ChangeSet> for PyChangeSet {
    fn from(inner: ChangeSet) -> Self {
        Self { inner }
    }
}

fn diagnostics(list: &[paved::Diagnostic]) -> Vec<PyDiagnostic> {
    list.iter().cloned().map(PyDiagnostic::from).collect()
}

#[pymethods]
impl PyChangeSet {
    /// One entry per entity, in input order.
    #[getter]
    fn changes(&self) -> Vec<PyPlannedChange> {
        self.inner
            .changes
            .iter()
            .cloned()
            .map(|inner| PyPlannedChange { inner })
            .collect()
    }

    /// Problems that did not stop the change (refs to missing entities, orphans).
    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.warnings)
    }

    /// Refs of entities imported from the same locations before but no longer
    /// there (kept, not deleted).
    #[getter]
    fn orphans(&self) -> Vec<String> {
        self.inner.orphans.clone()
    }

    /// Whether this was a dry run (nothing written).
    #[getter]
    fn dry_run(&self) -> bool {
        self.inner.dry_run
    }

    /// Whether a per-entity import kept some entities out (`refused` or
    /// `conflicts` is not empty).
    #[getter]
    fn partial(&self) -> bool {
        self.inner.partial
    }

    /// Why each entity a per-entity import kept out was refused: file, line,
    /// JSON path, entity and reason.
    #[getter]
    fn refused(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.refused)
    }

    /// Entities of a per-entity import another location already provides
    /// (the first location keeps them).
    #[getter]
    fn conflicts(&self) -> Vec<PyDiagnostic> {
        diagnostics(&self.inner.conflicts)
    }

    /// How many changes had this outcome: "created", "updated", "unchanged" or "deleted".
    fn count(&self, outcome: &str) -> usize {
        self.inner
            .changes
            .iter()
            .filter(|c| convert::enum_name(&c.outcome) == outcome)
            .count()
    }

    /// The change set as JSON, as `paved … --json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __len__(&self) -> usize {
        self.inner.changes.len()
    }

    fn __repr__(&self) -> String {
        let parts: Vec<String> = ["created", "updated", "unchanged", "deleted"]
            .into_iter()
            .map(|o| format!("{o}={}", self.count(o)))
            .collect();
        format!(
            "<ChangeSet {}{}{}>",
            parts.join(" "),
            if self.inner.dry_run { " dry_run" } else { "" },
            if self.inner.partial { " partial" } else { "" }
        )
    }
}

/// One planned (or done) change: the entity, its outcome and its new etag.
#[pyclass(name = "PlannedChange", module = "paved", frozen)]
pub(crate) struct PyPlannedChange {
    inner: PlannedChange,
}

#[pymethods]
impl PyPlannedChange {
    /// `kind:namespace/name`.
    #[getter]
    fn entity_ref(&self) -> &str {
        &self.inner.entity_ref
    }

    /// "created", "updated", "unchanged" or "deleted".
    #[getter]
    fn outcome(&self) -> String {
        convert::enum_name(&self.inner.outcome)
    }

    /// The etag after the change (None for deletes).
    #[getter]
    fn etag(&self) -> Option<&str> {
        self.inner.etag.as_deref()
    }

    /// `{"entity_ref": …, "outcome": …, "etag": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<PlannedChange {} {}>",
            self.inner.entity_ref,
            convert::enum_name(&self.inner.outcome)
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyChangeSet>()?;
    m.add_class::<PyPlannedChange>()
}
