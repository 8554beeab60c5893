//! Validation without a store: `paved.validate`, `paved.validate_text`,
//! `paved.validate_values` and their result, `paved.ValidationReport` (wraps
//! [`paved::ingest::Loaded`]).

use std::path::PathBuf;

use paved::Loaded;
use pyo3::prelude::*;
use pyo3::types::PyMapping;
use serde_json::Value;

use crate::convert;
use crate::diagnostic::PyDiagnostic;
use crate::model::PyEntity;

/// What validating catalogue input found: the valid entities and every
/// problem (errors and warnings), with file, line and JSON path.
#[pyclass(name = "ValidationReport", module = "paved", frozen)]
pub(crate) struct PyValidationReport {
    inner: Loaded,
}

impl From<Loaded> for PyValidationReport {
    fn from(inner: Loaded) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyValidationReport {
    /// True when there is no error (warnings allowed).
    #[getter]
    fn ok(&self) -> bool {
        !self.inner.has_errors()
    }

    /// How many diagnostics are errors.
    #[getter]
    fn error_count(&self) -> usize {
        self.inner.error_count()
    }

    /// The valid entities, in the order they were read.
    #[getter]
    fn entities(&self) -> Vec<PyEntity> {
        self.inner
            .entities()
            .iter()
            .map(|s| PyEntity::from(s.entity.clone()))
            .collect()
    }

    /// Every problem, errors and warnings, in the order found.
    #[getter]
    fn diagnostics(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics()
            .iter()
            .cloned()
            .map(PyDiagnostic::from)
            .collect()
    }

    /// The errors only.
    #[getter]
    fn errors(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .map(PyDiagnostic::from)
            .collect()
    }

    /// The warnings only.
    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics()
            .iter()
            .filter(|d| !d.is_error())
            .cloned()
            .map(PyDiagnostic::from)
            .collect()
    }

    /// Files read, in the order they were read.
    #[getter]
    fn files(&self) -> Vec<String> {
        self.inner.files().to_vec()
    }

    /// `{"entities": [...], "diagnostics": [...], "files": [...]}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::json!({
            "entities": self.inner.entities().iter().map(|s| s.entity.to_value()).collect::<Vec<_>>(),
            "diagnostics": self.inner.diagnostics(),
            "files": self.inner.files(),
        });
        convert::to_py(py, &json)
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    fn __repr__(&self) -> String {
        format!(
            "<ValidationReport entities={} errors={} warnings={}>",
            self.inner.entities().len(),
            self.inner.error_count(),
            self.inner.diagnostics().len() - self.inner.error_count()
        )
    }
}

/// Validate catalogue files or directories (and the Location targets they
/// name) without a store (awaitable); `config`: a `paved.yaml` whose custom
/// kinds count (default: resolved as `open` does).
#[pyfunction]
#[pyo3(signature = (paths, *, config = None))]
fn validate<'py>(
    py: Python<'py>,
    paths: &Bound<'_, PyAny>,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let paths = convert::paths(paths)?;
    let options = paved::OpenOptions {
        config,
        ..paved::OpenOptions::default()
    };
    crate::spawn(py, async move {
        tokio::task::spawn_blocking(move || paved::validate(&paths, &options))
            .await
            .map_err(|e| paved::Error::store_msg(format!("validation task failed: {e}")))?
            .map(PyValidationReport::from)
    })
}

/// Entity documents from one dict or `Entity`, or a list of them.
pub(crate) fn values(entities: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    if entities.is_instance_of::<PyEntity>() || entities.cast::<PyMapping>().is_ok() {
        return Ok(vec![convert::to_json(entities, "")?]);
    }
    let mut out = Vec::new();
    for (i, item) in entities.try_iter()?.enumerate() {
        out.push(convert::to_json(&item?, &format!("[{i}]"))?);
    }
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyValidationReport>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)
}
