//! Engine errors to JS errors, in one place.
//!
//! Every [`paved::Error`] crosses to JS as a napi error whose message is
//! [`MARKER`] followed by a JSON document `{code, message, details}`;
//! `index.js` turns it into a `PavedError` with that `code`, `message` and
//! `details`. Codes are the ones the CLI prints (`VALIDATION`, `NOT_FOUND`,
//! `CONFLICT`, `STORE`, `IO`, `PLUGIN`); the message carries the cause chain.

use napi::Status;
use paved::Error;
use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;

/// Prefix of a native error message that holds a serialized paved error.
pub const MARKER: &str = "PAVED_ERROR:";

/// The stable code of an error variant (the same as the CLI's).
pub fn code(e: &Error) -> &'static str {
    match e {
        Error::Invalid { .. } => "VALIDATION",
        Error::NotFound { .. } => "NOT_FOUND",
        Error::Conflict { .. } => "CONFLICT",
        Error::Store { .. } => "STORE",
        Error::Io { .. } => "IO",
        Error::Plugin { .. } => "PLUGIN",
    }
}

/// The structured part of an error, by variant.
pub fn details(e: &Error) -> Value {
    match e {
        Error::Invalid { diagnostics } => json!({
            "diagnostics": diagnostics.iter().map(Diagnostic::from).collect::<Vec<_>>(),
        }),
        Error::NotFound { what, id } => json!({ "what": what, "id": id }),
        Error::Conflict {
            entity,
            expected,
            found,
        } => json!({ "entity": entity, "expected": expected, "found": found }),
        Error::Store { .. } => json!({}),
        Error::Io { path, source } => {
            json!({ "path": path, "kind": format!("{:?}", source.kind()) })
        }
        Error::Plugin {
            plugin,
            kind,
            message,
        } => json!({ "plugin": plugin, "kind": kind.to_string(), "reason": message }),
    }
}

/// The message with its cause chain, one `caused by:` line per cause.
pub fn message(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str("\n  caused by: ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Convert an engine error for napi.
pub fn to_napi(e: Error) -> napi::Error {
    let payload = json!({
        "code": code(&e),
        "message": message(&e),
        "details": details(&e),
    });
    napi::Error::new(Status::GenericFailure, format!("{MARKER}{payload}"))
}

/// `paved::Result` to `napi::Result`.
pub trait IntoNapi<T> {
    /// Map the error with [`to_napi`].
    fn napi(self) -> napi::Result<T>;
}

impl<T> IntoNapi<T> for paved::Result<T> {
    fn napi(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}

/// An error the binding itself raises (a background task that died).
pub fn internal(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(Status::GenericFailure, message.to_string())
}
