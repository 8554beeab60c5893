//! The one error type of paved-core.
//!
//! Variants are structured so that bindings can `match` on them and map each to
//! its own exception class or error code; nobody parses message strings.

use crate::diagnostic::Diagnostic;

/// Result with paved-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input was rejected; every problem found is listed with where it is.
    #[error("{}", Diagnostic::summary(diagnostics))]
    Invalid { diagnostics: Vec<Diagnostic> },

    /// The thing asked for does not exist.
    #[error("{what} '{id}' not found")]
    NotFound { what: &'static str, id: String },

    /// Optimistic concurrency: the caller's etag is not the stored one.
    #[error(
        "conflict on {entity}: expected {} but {}",
        if expected.is_empty() { "the entity not to exist".to_string() } else { format!("etag {expected}") },
        match found.as_deref() { Some(f) => format!("the stored etag is {f}"), None => "the entity does not exist".to_string() }
    )]
    Conflict {
        entity: String,
        expected: String,
        found: Option<String>,
    },

    /// The store could not be reached, read or written.
    #[error("store error: {message}")]
    Store {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Reading a file or directory failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A plugin failed (set by the plugin host adapters).
    #[error("plugin '{plugin}' failed ({kind}): {message}")]
    Plugin {
        plugin: String,
        kind: PluginErrorKind,
        message: String,
    },
}

/// Why a plugin call failed; stable names used by every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginErrorKind {
    Timeout,
    OutOfMemory,
    Trap,
    BadOutput,
    CapabilityDenied,
    Load,
    Settings,
    Guest,
}

impl std::fmt::Display for PluginErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::Timeout => "timeout",
            Self::OutOfMemory => "out-of-memory",
            Self::Trap => "trap",
            Self::BadOutput => "bad-output",
            Self::CapabilityDenied => "capability-denied",
            Self::Load => "load",
            Self::Settings => "settings",
            Self::Guest => "guest",
        };
        f.write_str(s)
    }
}

impl Error {
    /// A store error with a cause.
    pub fn store(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Store {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A store error without a separate cause.
    pub fn store_msg(message: impl Into<String>) -> Self {
        Self::Store {
            message: message.into(),
            source: None,
        }
    }

    /// A single validation problem.
    pub fn invalid(diagnostic: Diagnostic) -> Self {
        Self::Invalid {
            diagnostics: vec![diagnostic],
        }
    }
}
