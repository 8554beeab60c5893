//! Typed YAML files (`paved.yaml`, policy tests): the first document of a
//! text deserialized into a Rust type, every problem located by file, line
//! and field.

use paved_yaml::{Limits, Positions, parse_documents};
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::error::{Error, Result};

/// The first YAML document of `text` as a `T`, with where each of its
/// values is; `None` when the text holds no document. A syntax error or a
/// field `T` does not accept is a `VALIDATION` error naming `file`, the
/// line and the field's path.
pub fn typed_document<T: DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<Option<(T, Positions)>> {
    let located = |path: String, message: String, document, line, column| {
        Error::invalid(Diagnostic::error(path, message).at(SourceLocation {
            file: file.to_string(),
            document,
            line,
            column,
        }))
    };
    let docs = parse_documents(text, &Limits::default()).map_err(|e| {
        located(
            String::new(),
            e.message.clone(),
            e.document,
            e.line,
            e.column,
        )
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(None);
    };
    match serde_path_to_error::deserialize::<_, T>(doc.value) {
        Ok(value) => Ok(Some((value, doc.positions))),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let (line, column) = doc.positions.locate(&path);
            Err(located(
                path,
                e.into_inner().to_string(),
                doc.index,
                line,
                column,
            ))
        }
    }
}
