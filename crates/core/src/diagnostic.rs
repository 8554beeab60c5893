//! Diagnostics: one problem with input, and where it is.
//!
//! Every validation error a user sees is a [`Diagnostic`]: the file, the YAML
//! document index, the line and column, the JSON path inside the document and a
//! message that says what was expected.

use serde::{Deserialize, Serialize};

/// Where something came from in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SourceLocation {
    /// File path as given by the user (or `<inline>` for text/dicts).
    pub file: String,
    /// 0-based index of the YAML document in a multi-document file.
    pub document: usize,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where in which file; `None` for input that has no file (e.g. an API call).
    pub location: Option<SourceLocation>,
    /// JSON path inside the document, e.g. `metadata.labels.team` or `spec.dependsOn[2]`.
    /// Empty for the document itself.
    pub path: String,
    /// The entity the problem belongs to, when known (`component:default/foo`).
    pub entity: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Diagnostic {
    /// An error at a JSON path, with no location yet.
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            location: None,
            path: path.into(),
            entity: None,
            message: message.into(),
        }
    }

    /// A warning at a JSON path, with no location yet.
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, message)
        }
    }

    /// Attach a source location.
    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Attach the entity ref.
    pub fn for_entity(mut self, entity: impl Into<String>) -> Self {
        self.entity = Some(entity.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// A multi-line summary of many diagnostics, for error messages.
    pub fn summary(diagnostics: &[Diagnostic]) -> String {
        match diagnostics {
            [] => "invalid input".to_string(),
            [one] => one.to_string(),
            many => {
                let mut s = format!("{} problems:", many.len());
                for d in many {
                    s.push_str("\n  ");
                    s.push_str(&d.to_string());
                }
                s
            }
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}", loc.file)?;
            if loc.line > 0 {
                write!(f, ":{}:{}", loc.line, loc.column)?;
            }
            if loc.document > 0 {
                // `document` is 0-based; people count YAML documents from 1.
                write!(f, " (YAML document {})", loc.document + 1)?;
            }
            write!(f, ": ")?;
        }
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}", self.message)
    }
}

/// The problem with a configuration entry's name, if any: empty, or already
/// used by an earlier entry of the same list (`seen`). `what` names the
/// entry (`policy`, `rule`, `scorecard`, `level`); `path` is the name's field.
pub(crate) fn name_problem(
    seen: &mut std::collections::HashSet<String>,
    name: &str,
    path: String,
    what: &str,
) -> Option<Diagnostic> {
    if name.trim().is_empty() {
        Some(Diagnostic::error(path, format!("a {what} needs a name")))
    } else if !seen.insert(name.to_string()) {
        Some(Diagnostic::error(
            path,
            format!("{what} '{name}' is declared twice; names must be unique"),
        ))
    } else {
        None
    }
}
