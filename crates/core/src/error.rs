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

    /// The thing asked for does not exist, and what to do about it where
    /// the place that looked knows (a location: import it first).
    #[error("{what} '{id}' not found{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    NotFound {
        what: &'static str,
        id: String,
        hint: Option<&'static str>,
    },

    /// Optimistic concurrency: the caller's etag is not the stored one.
    /// `expected` and `found` are etags, or (with a space) versions in words:
    /// `state version 3`.
    #[error(
        "conflict on {entity}: expected {} but {}",
        if expected.is_empty() { "the entity not to exist".to_string() } else if expected.contains(' ') { expected.clone() } else { format!("etag {expected}") },
        match found.as_deref() { Some(f) if f.contains(' ') => format!("found {f}"), Some(f) => format!("the stored etag is {f}"), None => "the entity does not exist".to_string() }
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

    /// A check between plan and commit (an access rule or a guardrail)
    /// refused the change; nothing was written.
    #[error("denied by {by}: {message}")]
    Denied {
        by: String,
        message: String,
        /// The policy decisions behind a denial by policies (each with its
        /// violations; [`crate::policy::Decision::explain`] says what to fix).
        decisions: Vec<crate::policy::Decision>,
    },

    /// An enforcing policy that asks for approval denied the change: it is
    /// held as a pending request (none in a dry run) and nothing else was
    /// written. Approving it writes exactly the change that was reviewed.
    #[error("held for approval: {message}")]
    PendingApproval {
        /// The request's id (`paved approval approve ID`); none in a dry run.
        approval: Option<String>,
        /// The groups whose members may approve it.
        approvers: Vec<String>,
        /// When the request lapses (RFC 3339).
        expires_at: String,
        message: String,
        /// The decisions that held it.
        decisions: Vec<crate::policy::Decision>,
    },

    /// Another holder works on the resource: nothing was done. Its lease
    /// is released when it finishes, or taken over once it has expired (a
    /// holder that crashed stops renewing it).
    #[error(
        "{resource} is locked by {holder} ({operation}) until {expires_at}; retry when it has \
         finished (a stopped holder's lease is taken over after that time, or released \
         with `paved resource unlock {resource}`)"
    )]
    Locked {
        resource: String,
        holder: String,
        operation: String,
        expires_at: String,
    },

    /// An event subscriber fell behind and this many events were dropped.
    #[error("the subscriber fell behind: {missed} events were dropped")]
    Lagged { missed: u64 },

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

/// The stable code of each [`Error`] variant: every front reports these
/// (`PavedError.code` in Node, the exception class in Python, the CLI's JSON
/// output), so scripts match on them and never on messages.
pub const ERROR_CODES: &[&str] = &[
    "VALIDATION",
    "NOT_FOUND",
    "CONFLICT",
    "STORE",
    "IO",
    "PLUGIN",
    "DENIED",
    "PENDING_APPROVAL",
    "LAGGED",
    "LOCKED",
];

impl Error {
    /// The stable code of this error (one of [`ERROR_CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "VALIDATION",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::Store { .. } => "STORE",
            Self::Io { .. } => "IO",
            Self::Plugin { .. } => "PLUGIN",
            Self::Denied { .. } => "DENIED",
            Self::PendingApproval { .. } => "PENDING_APPROVAL",
            Self::Lagged { .. } => "LAGGED",
            Self::Locked { .. } => "LOCKED",
        }
    }

    /// The structured fields of this error as JSON, for fronts that pass
    /// errors on as data: `{"diagnostics": [...]}` for `VALIDATION`,
    /// `{"what", "id"}` (and `"hint"`, what to do, where there is one) for
    /// `NOT_FOUND`, `{"entity", "expected", "found"}` for `CONFLICT`,
    /// `{"path"}` for `IO`, `{"plugin", "kind"}` for `PLUGIN`,
    /// `{"by", "decisions"}` for `DENIED`, `{"approval", "approvers",
    /// "expiresAt", "decisions"}` for `PENDING_APPROVAL`, `{"missed"}` for
    /// `LAGGED`, `{"resource", "holder", "operation", "expiresAt"}` for
    /// `LOCKED`, `{}` for `STORE`.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::Invalid { diagnostics } => json!({ "diagnostics": diagnostics }),
            Self::NotFound {
                what,
                id,
                hint: Some(hint),
            } => json!({ "what": what, "id": id, "hint": hint }),
            Self::NotFound { what, id, .. } => json!({ "what": what, "id": id }),
            Self::Conflict {
                entity,
                expected,
                found,
            } => json!({ "entity": entity, "expected": expected, "found": found }),
            Self::Store { .. } => json!({}),
            Self::Io { path, .. } => json!({ "path": path }),
            Self::Plugin { plugin, kind, .. } => json!({ "plugin": plugin, "kind": kind }),
            Self::Denied { by, decisions, .. } => json!({ "by": by, "decisions": decisions }),
            Self::PendingApproval {
                approval,
                approvers,
                expires_at,
                decisions,
                ..
            } => json!({
                "approval": approval,
                "approvers": approvers,
                "expiresAt": expires_at,
                "decisions": decisions,
            }),
            Self::Lagged { missed } => json!({ "missed": missed }),
            Self::Locked {
                resource,
                holder,
                operation,
                expires_at,
            } => json!({
                "resource": resource,
                "holder": holder,
                "operation": operation,
                "expiresAt": expires_at,
            }),
        }
    }

    /// The message followed by its causes, `: `-separated (what a front shows).
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let text = s.to_string();
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            source = s.source();
        }
        out
    }

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
