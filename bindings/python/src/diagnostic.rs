//! `paved.Diagnostic`: one problem with input and where it is (wraps
//! [`paved::Diagnostic`]).

use pyo3::prelude::*;

use crate::convert;

/// One problem found in input: where (file, line, column, document), the JSON
/// path inside the document, the entity, and what is wrong.
#[pyclass(name = "Diagnostic", module = "paved", frozen)]
pub(crate) struct PyDiagnostic {
    inner: paved::Diagnostic,
}

impl From<paved::Diagnostic> for PyDiagnostic {
    fn from(inner: paved::Diagnostic) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyDiagnostic {
    /// "error" or "warning".
    #[getter]
    fn severity(&self) -> String {
        convert::enum_name(&self.inner.severity)
    }

    /// Whether this is an error (not a warning).
    #[getter]
    fn is_error(&self) -> bool {
        self.inner.is_error()
    }

    /// The file, `<input>` for values, None for input that has no file.
    #[getter]
    fn file(&self) -> Option<String> {
        self.inner.location.as_ref().map(|l| l.file.clone())
    }

    /// 1-based line; None when unknown.
    #[getter]
    fn line(&self) -> Option<usize> {
        self.inner
            .location
            .as_ref()
            .map(|l| l.line)
            .filter(|&l| l > 0)
    }

    /// 1-based column; None when unknown.
    #[getter]
    fn column(&self) -> Option<usize> {
        self.inner
            .location
            .as_ref()
            .map(|l| l.column)
            .filter(|&c| c > 0)
    }

    /// 0-based index of the YAML document in a multi-document file; None without a file.
    #[getter]
    fn document(&self) -> Option<usize> {
        self.inner.location.as_ref().map(|l| l.document)
    }

    /// JSON path inside the document, e.g. `spec.owner`; "" for the document itself.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// The entity the problem belongs to (`component:default/orders`), when known.
    #[getter]
    fn entity(&self) -> Option<&str> {
        self.inner.entity.as_deref()
    }

    /// What is wrong and what was expected.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// The diagnostic as JSON (`location` nested), as `paved … --json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<Diagnostic {}>", self.inner)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDiagnostic>()
}
