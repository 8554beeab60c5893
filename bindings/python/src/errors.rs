//! [`paved::Error`] → one Python exception class per code, rooted at
//! `paved.PavedError`, mapped once by [`paved::Error::code`]. Every exception
//! carries `.code` (one of `paved::ERROR_CODES`), `.details` (the error's
//! structured fields, [`paved::Error::details`]) and the message
//! [`paved::Error::chain`] (the error and its causes). Some codes add a
//! convenience attribute read from the details:
//!
//! ```text
//! VALIDATION -> ValidationError  .errors: list[Diagnostic]
//! NOT_FOUND  -> NotFoundError
//! CONFLICT   -> ConflictError
//! STORE      -> StoreError
//! IO         -> IoError
//! PLUGIN     -> PluginError      .kind (timeout, trap, capability-denied, …)
//! DENIED     -> DeniedError
//! PENDING_APPROVAL -> PendingApprovalError (a DeniedError)  .approval
//! LAGGED     -> LaggedError      .missed
//! LOCKED     -> LockedError      .resource .holder .operation .expires_at
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
    "Base class of every error raised by paved: `.code` (VALIDATION, NOT_FOUND, CONFLICT, STORE, IO, PLUGIN, DENIED, PENDING_APPROVAL, LAGGED, LOCKED) and `.details` (a dict of the error's fields)."
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
    "The thing asked for does not exist; `.details` has `what`, `id` and, where paved knows what to do, `hint`."
);
create_exception!(
    paved,
    ConflictError,
    PavedError,
    "Optimistic concurrency: `.details` has `entity`, `expected` (the caller's etag) and `found` (the stored one, None: missing)."
);
create_exception!(
    paved,
    StoreError,
    PavedError,
    "The store could not be reached, read or written."
);
create_exception!(
    paved,
    IoError,
    PavedError,
    "Reading a file or directory failed; `.details` has `path`."
);
create_exception!(
    paved,
    PluginError,
    PavedError,
    "A plugin failed; `.kind` is one of timeout, out-of-memory, trap, bad-output, capability-denied, load, settings, guest."
);
create_exception!(
    paved,
    DeniedError,
    PavedError,
    "A check between plan and commit refused the change; `.details` has `by`. Nothing was written."
);
create_exception!(
    paved,
    PendingApprovalError,
    DeniedError,
    "A policy that asks for approval denied the change: it is held as a pending request, `.approval` its id (None in a dry run); `.details` has `approvers` and `expiresAt`. Nothing else was written; `platform.approvals.approve(id)` by an approver writes it."
);
create_exception!(
    paved,
    LaggedError,
    PavedError,
    "An event subscriber was too slow and `.missed` events were dropped; the stream goes on with newer events."
);
create_exception!(
    paved,
    LockedError,
    PavedError,
    "Another holder works on the resource: nothing was done. `.resource`, `.holder`, `.operation` and `.expires_at` (RFC 3339) say who and until when; retry when it has finished (a stopped holder's lease is taken over once expired, or released with `platform.resources.unlock(ref)`)."
);

/// Add the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PavedError", py.get_type::<PavedError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("PluginError", py.get_type::<PluginError>())?;
    m.add("DeniedError", py.get_type::<DeniedError>())?;
    m.add(
        "PendingApprovalError",
        py.get_type::<PendingApprovalError>(),
    )?;
    m.add("LaggedError", py.get_type::<LaggedError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    Ok(())
}

fn new_err<T: PyTypeInfo>(py: Python<'_>, message: String) -> PyErr {
    PyErr::from_type(py.get_type::<T>(), message)
}

/// The Python exception for an engine error.
pub(crate) fn to_py(py: Python<'_>, err: paved::Error) -> PyErr {
    match build(py, &err) {
        Ok(e) | Err(e) => e,
    }
}

fn build(py: Python<'_>, err: &paved::Error) -> PyResult<PyErr> {
    let code = err.code();
    let message = err.chain();
    let details = err.details();
    let exc = match code {
        "VALIDATION" => new_err::<ValidationError>(py, message),
        "NOT_FOUND" => new_err::<NotFoundError>(py, message),
        "CONFLICT" => new_err::<ConflictError>(py, message),
        "STORE" => new_err::<StoreError>(py, message),
        "IO" => new_err::<IoError>(py, message),
        "PLUGIN" => new_err::<PluginError>(py, message),
        "DENIED" => new_err::<DeniedError>(py, message),
        "PENDING_APPROVAL" => new_err::<PendingApprovalError>(py, message),
        "LAGGED" => new_err::<LaggedError>(py, message),
        "LOCKED" => new_err::<LockedError>(py, message),
        _ => new_err::<PavedError>(py, message),
    };
    let value = exc.value(py);
    value.setattr("code", code)?;
    value.setattr("details", crate::convert::to_py(py, &details)?)?;
    if let paved::Error::Invalid { diagnostics } = err {
        let errors: Vec<PyDiagnostic> = diagnostics.iter().cloned().map(Into::into).collect();
        value.setattr("errors", errors.into_bound_py_any(py)?)?;
    }
    set_causes(py, &exc, err);
    for key in ["kind", "missed", "approval"] {
        if let Some(v) = details.get(key) {
            value.setattr(key, crate::convert::to_py(py, v)?)?;
        }
    }
    if let paved::Error::Locked {
        resource,
        holder,
        operation,
        expires_at,
    } = err
    {
        value.setattr("resource", resource)?;
        value.setattr("holder", holder)?;
        value.setattr("operation", operation)?;
        value.setattr("expires_at", expires_at)?;
    }
    Ok(exc)
}

/// The Rust error's sources as the `__cause__` chain: an `OSError` (with
/// errno and path, so `FileNotFoundError`, `PermissionError`, …) for I/O
/// errors, `Exception` with the source's message for the rest.
fn set_causes(py: Python<'_>, exc: &PyErr, err: &paved::Error) {
    let path = match err {
        paved::Error::Io { path, .. } => Some(path.clone()),
        _ => None,
    };
    let mut last = exc.clone_ref(py);
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let cause = match (s.downcast_ref::<std::io::Error>(), &path) {
            (Some(io), Some(path)) if io.raw_os_error().is_some() => {
                PyOSError::new_err((io.raw_os_error(), io.to_string(), path.clone()))
            }
            (Some(io), _) => PyErr::from(std::io::Error::new(io.kind(), io.to_string())),
            (None, _) => PyException::new_err(s.to_string()),
        };
        last.set_cause(py, Some(cause.clone_ref(py)));
        last = cause;
        source = s.source();
    }
}
