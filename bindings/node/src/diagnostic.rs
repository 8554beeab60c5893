//! [`paved::Diagnostic`] as a plain JS object: one problem, where it is. The
//! same shape as `details.diagnostics` of a `VALIDATION` error (core's serde
//! form), so a report and an error read alike.

use napi_derive::napi;

/// Where a problem is in a source file.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct SourceLocation {
    /// The file, as given (`<inline>` for text and values).
    pub file: String,
    /// 0-based index of the YAML document in a multi-document file.
    pub document: u32,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
}

/// One problem found in input: what is wrong, and where.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// `error` stops a write; `warning` does not.
    #[napi(ts_type = "'error' | 'warning'")]
    pub severity: String,
    /// Where in which file; absent for input that had no file (an API call).
    pub location: Option<SourceLocation>,
    /// JSON path inside the document, e.g. `spec.owner` (empty for the document itself).
    pub path: String,
    /// The entity the problem belongs to, e.g. `component:default/orders`, when known.
    pub entity: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A count or position as a JS number.
pub(crate) fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&paved::Diagnostic> for Diagnostic {
    fn from(d: &paved::Diagnostic) -> Self {
        Self {
            severity: match d.severity {
                paved::Severity::Error => "error",
                paved::Severity::Warning => "warning",
            }
            .to_string(),
            location: d.location.as_ref().map(|l| SourceLocation {
                file: l.file.clone(),
                document: small(l.document),
                line: small(l.line),
                column: small(l.column),
            }),
            path: d.path.clone(),
            entity: d.entity.clone(),
            message: d.message.clone(),
        }
    }
}

/// Convert a list of diagnostics.
pub fn list(ds: &[paved::Diagnostic]) -> Vec<Diagnostic> {
    ds.iter().map(Diagnostic::from).collect()
}
