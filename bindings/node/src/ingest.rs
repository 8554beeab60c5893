//! Validation results ([`paved::Loaded`]) as a JS report.

use napi_derive::napi;
use serde_json::Value;

use crate::diagnostic::{self, Diagnostic, SourceLocation, small};

/// A valid entity and where it was read.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ValidatedEntity {
    /// The entity, normalised (Backstage descriptor format).
    #[napi(ts_type = "Entity")]
    pub entity: Value,
    /// Where it was read (`<inline>` for text and values).
    pub source: SourceLocation,
}

/// What validation found. Nothing is written by validation.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ValidationReport {
    /// `true` when there is no error (warnings allowed).
    pub ok: bool,
    /// Valid entities, in the order they were read.
    pub entities: Vec<ValidatedEntity>,
    /// Errors and warnings, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// Files read, as displayed in diagnostics.
    pub files: Vec<String>,
}

impl From<paved::Loaded> for ValidationReport {
    fn from(l: paved::Loaded) -> Self {
        Self {
            ok: !l.has_errors(),
            diagnostics: diagnostic::list(l.diagnostics()),
            entities: l
                .entities()
                .iter()
                .map(|s| ValidatedEntity {
                    entity: s.entity.to_value(),
                    source: SourceLocation {
                        file: s.source.file.clone(),
                        document: small(s.source.document),
                        line: small(s.source.line),
                        column: small(s.source.column),
                    },
                })
                .collect(),
            files: l.files().to_vec(),
        }
    }
}
