//! The author-facing types: the `paved:plugin` envelope with JSON documents
//! decoded into [`serde_json::Value`], a lazily read [`Document`], or the
//! author's own types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::document::Document;

/// Where a resource lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAddress {
    /// Resource type, e.g. `local.directory`.
    pub resource_type: String,
    /// Name, unique per type and environment.
    pub name: String,
    /// Environment, e.g. `prod`.
    pub environment: Option<String>,
    /// Owner entity ref.
    pub owner: Option<String>,
}

/// What is being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    Create,
    Update,
    Replace,
    Delete,
    Import,
    NoOp,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// JSON path, e.g. `spec.size`.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub requires_replace: bool,
}

impl FieldDiff {
    /// A diff entry that can be applied in place.
    pub fn new(path: impl Into<String>, before: Option<Value>, after: Option<Value>) -> Self {
        Self {
            path: path.into(),
            before,
            after,
            requires_replace: false,
        }
    }
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A catalogue entity, by ref.
    Entity(String),
    /// A provider-managed resource.
    Resource(ResourceAddress),
}

/// One change-set item under review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub subject: Subject,
    pub operation: Operation,
    /// Document before the change; `None` on create.
    pub before: Option<Document>,
    /// Document after the change; `None` on delete.
    pub after: Option<Document>,
    pub diff: Vec<FieldDiff>,
    /// Estimated monthly cost after the change.
    pub monthly_cost: Option<f64>,
    /// Entity ref of the actor.
    pub actor: Option<String>,
}

impl Change {
    /// A field of the `after` document by dotted path (`spec.owner`,
    /// `metadata.labels.team`); `None` when absent. Reads only that field
    /// (see [`Document::get`]).
    pub fn after_field(&self, path: &str) -> Option<Value> {
        self.after.as_ref()?.get(path)
    }

    /// A string field of the `after` document by dotted path; `None` when
    /// absent or not a string.
    pub fn after_str(&self, path: &str) -> Option<String> {
        self.after.as_ref()?.get_str(path)
    }

    /// The `kind` of the `after` (or, on delete, `before`) document.
    pub fn kind(&self) -> Option<String> {
        self.after
            .as_ref()
            .or(self.before.as_ref())?
            .get_str("kind")
    }
}

/// A guardrail's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

/// One problem, with the JSON path of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A guardrail's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub verdict: Verdict,
    pub violations: Vec<Violation>,
    /// RFC 6902 JSON Patch for the change's `after` document.
    pub patch: Option<Value>,
}

impl Review {
    /// Allowed without remarks.
    pub fn allow() -> Self {
        Self {
            verdict: Verdict::Allow,
            violations: Vec::new(),
            patch: None,
        }
    }

    /// Denied for one reason.
    pub fn deny(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Deny,
            violations: vec![Violation::new(path, message)],
            patch: None,
        }
    }

    /// Allowed with a warning.
    pub fn warn(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Warn,
            ..Self::deny(path, message)
        }
    }

    /// `deny` (or `warn` when `enforce` is false) if there are violations,
    /// `allow` otherwise.
    pub fn from_violations(violations: Vec<Violation>, enforce: bool) -> Self {
        let verdict = match (violations.is_empty(), enforce) {
            (true, _) => Verdict::Allow,
            (false, true) => Verdict::Deny,
            (false, false) => Verdict::Warn,
        };
        Self {
            verdict,
            violations,
            patch: None,
        }
    }

    /// Attach a JSON Patch mutation.
    pub fn with_patch(mut self, patch: Value) -> Self {
        self.patch = Some(patch);
        self
    }
}

/// A capability a plugin asks for (shown by `paved plugin inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Capability {
    /// Outbound TCP/HTTP to `host:port`.
    Network(String),
    /// A preopened directory, by guest path.
    Directory(String),
    /// A named secret.
    Secret(String),
    /// Read-only catalogue lookups.
    Catalogue,
}

/// Errors a plugin returns on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input was rejected, with JSON paths.
    Invalid(Vec<Violation>),
    /// The thing asked about does not exist.
    NotFound(String),
    /// Valid but not supported by this plugin.
    Unsupported(String),
    /// A capability was not granted.
    CapabilityDenied(String),
    /// The external system failed.
    Failed(String),
}

impl Error {
    /// One invalid field.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![Violation::new(path, message)])
    }

    /// The external system failed.
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|v| format!("{}: {}", v.path, v.message))
                    .collect();
                write!(f, "invalid: {}", parts.join("; "))
            }
            Self::NotFound(m) => write!(f, "not found: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported: {m}"),
            Self::CapabilityDenied(m) => write!(f, "capability denied: {m}"),
            Self::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// I/O errors become `Failed`, except a refusal by the sandbox (permission
/// denied), which becomes `CapabilityDenied`.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => Self::CapabilityDenied(e.to_string()),
            _ => Self::Failed(e.to_string()),
        }
    }
}

/// One resource type a provider owns; its params schema is derived from the
/// provider's `Params` type unless given.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub name: String,
    pub description: String,
    /// `None`: derive from `Provider::Params`.
    pub params_schema: Option<Value>,
}

impl ResourceType {
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            params_schema: None,
        }
    }
}

/// Plan request with typed params and state.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest<P, S> {
    pub address: ResourceAddress,
    pub params: P,
    pub prior_state: Option<S>,
    pub prior_params: Option<P>,
}

/// What applying would do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub operation: Operation,
    pub diff: Vec<FieldDiff>,
    pub monthly_cost: Option<f64>,
    pub notes: Vec<String>,
}

impl Plan {
    /// A plan with no field diffs.
    pub fn new(operation: Operation) -> Self {
        Self {
            operation,
            diff: Vec::new(),
            monthly_cost: None,
            notes: Vec::new(),
        }
    }
}

/// Apply request with typed params and state.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyRequest<P, S> {
    pub address: ResourceAddress,
    pub params: P,
    pub prior_state: Option<S>,
}

/// Outcome of apply: typed state, JSON outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<S> {
    pub state: S,
    /// A JSON object.
    pub outputs: Value,
    /// Keys of `outputs` to redact.
    pub sensitive: Vec<String>,
}

/// Read or delete request with typed state.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRequest<S> {
    pub address: ResourceAddress,
    pub state: S,
}

/// Adopt an existing resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRequest {
    pub address: ResourceAddress,
    pub external_id: String,
}

/// Outcome of import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported<P, S> {
    pub params: P,
    pub applied: Applied<S>,
}
