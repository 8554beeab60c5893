//! [`paved::Error`] → one Python exception class per variant, rooted at
//! `paved.PavedError`. The structured fields become attributes (never text to
//! parse) and every `source()` of the Rust error becomes a `__cause__`.
//!
//! ```text
//! Error::Invalid   -> ValidationError  .errors: list[Diagnostic]
//! Error::NotFound  -> NotFoundError    .what, .id
//! Error::Conflict  -> ConflictError    .entity, .expected, .found
//! Error::Store     -> StoreError       (cause chain of the driver error)
//! Error::Io        -> FileError        .path (cause: the OSError)
//! Error::Plugin    -> PluginError      .plugin, .kind, .message
//! Received::Lagged -> LaggedError      .missed (events only)
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;
use pyo3::{IntoPyObjectExt, PyTypeInfo};

use crate::diagnostic::PyDiagnostic;

create_exception!(
    paved,
    PavedError,
    PyException,
    "Base class of every error raised by paved."
);
create_exception!(
    paved,
    ValidationError,
    PavedError,
    "Input was rejected; `.errors` lists every problem (file, line, JSON path, message). Nothing was written."
);
create_exception!(
    paved,
    NotFoundError,
    PavedError,
    "The thing asked for does not exist; `.what` (e.g. 'entity') and `.id`."
);
create_exception!(
    paved,
    ConflictError,
    PavedError,
    "Optimistic concurrency: `.expected` is the etag the caller gave, `.found` the stored one (None: the entity does not exist)."
);
create_exception!(
    paved,
    StoreError,
    PavedError,
    "The store could not be reached, read or written; the driver's error is the `__cause__`."
);
create_exception!(
    paved,
    FileError,
    PavedError,
    "Reading a file or directory failed; `.path`, and the OSError as `__cause__`."
);
create_exception!(
    paved,
    PluginError,
    PavedError,
    "A plugin failed; `.kind` is one of timeout, out-of-memory, trap, bad-output, capability-denied, load, settings, guest."
);
create_exception!(
    paved,
    LaggedError,
    PavedError,
    "An event subscriber was too slow and `.missed` events were dropped; the stream goes on with newer events."
);

/// Add the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PavedError", py.get_type::<PavedError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("FileError", py.get_type::<FileError>())?;
    m.add("PluginError", py.get_type::<PluginError>())?;
    m.add("LaggedError", py.get_type::<LaggedError>())?;
    Ok(())
}

/// A new exception of class `T` with `message` and these attributes.
fn raise<T: PyTypeInfo>(
    py: Python<'_>,
    message: String,
    attrs: Vec<(&str, PyResult<Bound<'_, PyAny>>)>,
) -> PyErr {
    let err = PyErr::from_type(py.get_type::<T>(), message);
    let value = err.value(py);
    for (name, v) in attrs {
        if let Err(e) = v.and_then(|v| value.setattr(name, v)) {
            return e;
        }
    }
    err
}

/// `__cause__` chain for a Rust error's sources: OSError for I/O errors,
/// `Exception` for the rest, each with the source's message.
fn set_causes(py: Python<'_>, err: &PyErr, mut source: Option<&(dyn std::error::Error + 'static)>) {
    let mut last = err.clone_ref(py);
    while let Some(s) = source {
        let cause = match s.downcast_ref::<std::io::Error>() {
            Some(io) => PyErr::from(std::io::Error::new(io.kind(), io.to_string())),
            None => PyException::new_err(s.to_string()),
        };
        last.set_cause(py, Some(cause.clone_ref(py)));
        last = cause;
        source = s.source();
    }
}

/// The Python exception for an engine error.
pub(crate) fn to_py(py: Python<'_>, err: paved::Error) -> PyErr {
    use paved::Error as E;
    let message = err.to_string();
    match err {
        E::Invalid { diagnostics } => {
            let errors = diagnostics
                .into_iter()
                .map(PyDiagnostic::from)
                .collect::<Vec<_>>()
                .into_bound_py_any(py);
            raise::<ValidationError>(py, message, vec![("errors", errors)])
        }
        E::NotFound { what, id } => raise::<NotFoundError>(
            py,
            message,
            vec![
                ("what", what.into_bound_py_any(py)),
                ("id", id.into_bound_py_any(py)),
            ],
        ),
        E::Conflict {
            entity,
            expected,
            found,
        } => raise::<ConflictError>(
            py,
            message,
            vec![
                ("entity", entity.into_bound_py_any(py)),
                ("expected", expected.into_bound_py_any(py)),
                ("found", found.into_bound_py_any(py)),
            ],
        ),
        E::Store { source, .. } => {
            let err = raise::<StoreError>(py, message, vec![]);
            set_causes(py, &err, source.as_deref().map(|s| s as _));
            err
        }
        E::Io { path, source } => {
            let path_text = path.clone();
            let err = raise::<FileError>(py, message, vec![("path", path.into_bound_py_any(py))]);
            // OSError(errno, message, path) picks FileNotFoundError, PermissionError, …
            let cause = match source.raw_os_error() {
                Some(code) => PyOSError::new_err((code, source.to_string(), path_text)),
                None => PyErr::from(source),
            };
            err.set_cause(py, Some(cause));
            err
        }
        E::Plugin {
            plugin,
            kind,
            message: plugin_message,
        } => raise::<PluginError>(
            py,
            message,
            vec![
                ("plugin", plugin.into_bound_py_any(py)),
                ("kind", kind.to_string().into_bound_py_any(py)),
                ("message", plugin_message.into_bound_py_any(py)),
            ],
        ),
    }
}

/// `LaggedError` for a subscriber that missed `missed` events.
pub(crate) fn lagged(py: Python<'_>, missed: u64) -> PyErr {
    raise::<LaggedError>(
        py,
        format!("the subscriber was too slow: {missed} events were dropped"),
        vec![("missed", missed.into_bound_py_any(py))],
    )
}
