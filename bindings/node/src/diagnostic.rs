//! [`paved::Diagnostic`] as a plain JS object: one problem, where it is.

use napi_derive::napi;
use serde::Serialize;

/// One problem found in input: what is wrong, and where.
#[napi(object)]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// `error` stops a write; `warning` does not.
    #[napi(ts_type = "'error' | 'warning'")]
    pub severity: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// JSON path inside the document, e.g. `spec.owner` (empty for the document itself).
    pub path: String,
    /// The entity the problem belongs to, e.g. `component:default/orders`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The file, as given; absent for input that had no file (an API call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file` (0 when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in `file` (0 when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// 0-based index of the YAML document in a multi-document file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<u32>,
}

/// A count or position as a JS number.
pub(crate) fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&paved::Diagnostic> for Diagnostic {
    fn from(d: &paved::Diagnostic) -> Self {
        let loc = d.location.as_ref();
        Self {
            severity: match d.severity {
                paved::Severity::Error => "error",
                paved::Severity::Warning => "warning",
            }
            .to_string(),
            message: d.message.clone(),
            path: d.path.clone(),
            entity: d.entity.clone(),
            file: loc.map(|l| l.file.clone()),
            line: loc.map(|l| small(l.line)),
            column: loc.map(|l| small(l.column)),
            document: loc.map(|l| small(l.document)),
        }
    }
}

/// Convert a list of diagnostics.
pub fn list(ds: &[paved::Diagnostic]) -> Vec<Diagnostic> {
    ds.iter().map(Diagnostic::from).collect()
}
