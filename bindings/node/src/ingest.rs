//! Validation results ([`paved::ingest::Loaded`]) as a JS report.

use napi_derive::napi;
use serde_json::Value;

use crate::diagnostic::{self, Diagnostic, small};

/// A valid entity and where it was read.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ValidatedEntity {
    /// The entity, normalised (Backstage descriptor format).
    #[napi(ts_type = "Entity")]
    pub entity: Value,
    /// The file it came from (`<inline>` for text and values).
    pub file: String,
    /// 1-based line of its document (0 when unknown).
    pub line: u32,
    /// 0-based index of its YAML document in the file.
    pub document: u32,
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

impl From<paved::ingest::Loaded> for ValidationReport {
    fn from(l: paved::ingest::Loaded) -> Self {
        Self {
            ok: !l.has_errors(),
            diagnostics: diagnostic::list(&l.diagnostics),
            entities: l
                .entities
                .into_iter()
                .map(|s| ValidatedEntity {
                    entity: s.entity.to_value(),
                    file: s.source.file,
                    line: small(s.source.line),
                    document: small(s.source.document),
                })
                .collect(),
            files: l.files,
        }
    }
}
