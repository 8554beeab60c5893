//! The state document the store keeps per resource version, and what the
//! fronts see: plans, reports, state and history views. Outputs are kept
//! sealed ([`super::seal`]); views carry them with every sensitive value
//! replaced by [`SENSITIVE`] unless revealed on purpose.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::desired::DeletionPolicy;
use crate::plugin::{FieldDiff, ResourceAddress};
use crate::policy::Decision;
use crate::store::Lease;

/// What a redacted value shows.
pub const SENSITIVE: &str = "(sensitive)";
/// What a value shows that is known only after apply.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// Where a resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateStatus {
    /// paved created or adopted it and keeps it as its params say.
    Managed,
    /// Adopted by `import` and only read (its Resource has no params).
    Observed,
    /// Deleted by its provider.
    Destroyed,
    /// Let go (deletion policy `orphan`): the real thing stays.
    Forgotten,
}

impl StateStatus {
    /// Whether the resource exists as far as paved knows.
    pub fn exists(self) -> bool {
        matches!(self, Self::Managed | Self::Observed)
    }
}

/// One stored version (the store's `doc`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDoc {
    /// The Resource entity's ref.
    pub resource: String,
    pub address: ResourceAddress,
    pub provider: String,
    pub provider_version: String,
    pub status: StateStatus,
    /// What produced this version: `create`, `update`, `replace`, `import`,
    /// `delete`, `forget`, `reconcile`.
    pub operation: String,
    /// Params as declared (output references unresolved, so no secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// The provider's state, passed back on later calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Output names, and which of them are sensitive.
    #[serde(default)]
    pub output_keys: Vec<String>,
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// `{"outputs": …, "params": resolved params}`, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// The plan that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    pub actor: String,
    /// The journal entry of the provider call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<i64>,
}

/// Replace the sensitive keys of an outputs object with [`SENSITIVE`].
pub fn redact(outputs: &Value, sensitive: &[String]) -> Value {
    match outputs {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if sensitive.contains(k) {
                        Value::String(SENSITIVE.into())
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// A resource's state as the fronts show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceState {
    pub resource: String,
    pub version: i64,
    /// When this version was written (RFC 3339).
    pub at: String,
    pub status: StateStatus,
    pub operation: String,
    pub address: ResourceAddress,
    pub provider: String,
    pub provider_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Outputs; sensitive ones are `(sensitive)` unless revealed.
    pub outputs: Value,
    pub sensitive: Vec<String>,
    pub depends_on: Vec<String>,
    pub deletion_policy: DeletionPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    pub actor: String,
    /// Who works on it now, if anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseInfo>,
    /// The last drift check: `{status, changes, at}` (`state` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_drift: Option<Value>,
}

/// A lease as shown (its token stays in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseInfo {
    pub resource: String,
    pub holder: String,
    pub operation: String,
    pub acquired_at: String,
    /// When it lapses unless renewed (RFC 3339).
    pub expires_at: String,
}

impl From<&Lease> for LeaseInfo {
    fn from(l: &Lease) -> Self {
        Self {
            resource: l.resource.clone(),
            holder: l.holder.clone(),
            operation: l.operation.clone(),
            acquired_at: l.acquired_at.clone(),
            expires_at: chrono::DateTime::from_timestamp_millis(l.expires_at_ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
        }
    }
}

/// One line of `paved resource list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSummary {
    pub resource: String,
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// None: declared, never applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StateStatus>,
    /// State version (0: none).
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Whether its Resource entity is in the catalogue.
    pub declared: bool,
    /// Whether the entity has params (paved keeps it as they say).
    pub managed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseInfo>,
    /// The last drift check: `{status, changes, at}` (none: never checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_drift: Option<Value>,
}

/// What an operation brings its resources to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Goal {
    /// As their Resources ask.
    Apply,
    /// Gone.
    Destroy,
}

impl Goal {
    /// The operation's name (`apply`, `destroy`): its leases' and audit
    /// actions' (`resource.apply`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Destroy => "destroy",
        }
    }
}

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    /// Let go without deleting (deletion policy `orphan`, or observed only).
    Forget,
    NoOp,
}

impl Action {
    /// The sign a plan shows: `+`, `~`, `-/+`, `-`, `~-`, ` `.
    pub fn sign(self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Update => "~",
            Self::Replace => "-/+",
            Self::Delete => "-",
            Self::Forget => "~-",
            Self::NoOp => " ",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::Forget => "forget",
            Self::NoOp => "no-op",
        }
    }
}

/// One resource in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    pub resource: String,
    pub address: ResourceAddress,
    pub provider: String,
    pub action: Action,
    /// Per-attribute differences (sensitive values as `(sensitive)`).
    pub diff: Vec<FieldDiff>,
    /// Paths that force the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_because: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The state version planned against (0: none).
    pub prior_version: i64,
    /// Dependency level: 0 first; a level's resources go at once.
    pub level: usize,
}

/// A plan: every resource it touches, in dependency order, with the policy
/// decisions about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlan {
    pub id: String,
    pub resources: Vec<PlannedResource>,
    /// Decisions of the policy bindings on the plan's changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// Whether an enforcing policy denies part of it (apply would refuse).
    pub blocked: bool,
    /// When every policy that blocks it asks for approval: the groups whose
    /// members may approve it (apply holds the plan for them instead of
    /// refusing it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
}

impl ResourcePlan {
    /// Resources with something to do.
    pub fn changes(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| r.action != Action::NoOp)
            .count()
    }

    /// Total estimated monthly cost after the plan, where providers estimated one.
    pub fn monthly_cost(&self) -> Option<f64> {
        let costs: Vec<f64> = self
            .resources
            .iter()
            .filter_map(|r| r.monthly_cost)
            .collect();
        (!costs.is_empty()).then(|| costs.iter().sum())
    }
}

/// How one resource of an apply or destroy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Done,
    Unchanged,
    Failed,
    /// Not attempted: something it depends on failed.
    Skipped,
}

/// One resource of an apply or destroy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceResult {
    pub resource: String,
    pub action: Action,
    pub status: ResultStatus,
    /// The state version written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why it failed or was skipped: `{code, message}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// An interrupted provider call found in the journal and finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovered {
    pub resource: String,
    pub operation: String,
    /// Who was doing it when it stopped.
    pub holder: String,
    pub started_at: String,
    /// What was done: `finished` (the call was made again and its state
    /// recorded), `rolled-back`, or `failed: …`.
    pub outcome: String,
}

/// What an apply or destroy did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    pub plan: ResourcePlan,
    /// One per planned resource (none in a dry run).
    pub results: Vec<ResourceResult>,
    /// Interrupted operations reconciled before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<Recovered>,
    pub dry_run: bool,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.status, ResultStatus::Failed | ResultStatus::Skipped))
            .count()
    }

    /// The first resource that failed or was skipped, and why.
    pub fn first_failure(&self) -> Option<(&str, &str)> {
        let failed = self
            .results
            .iter()
            .find(|r| matches!(r.status, ResultStatus::Failed | ResultStatus::Skipped))?;
        let why = failed
            .error
            .as_ref()
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("it failed");
        Some((&failed.resource, why))
    }
}

/// What drift detection found about one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftItem {
    pub resource: String,
    pub address: ResourceAddress,
    /// `in-sync`, `drifted`, `gone`, or `error`.
    pub status: String,
    /// What changed outside paved (before: recorded, after: found).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldDiff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// Drift detection over resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    pub resources: Vec<DriftItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<Recovered>,
}

impl DriftReport {
    pub fn drifted(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| r.status != "in-sync")
            .count()
    }
}

/// What an import adopted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub state: ResourceState,
    /// Params that describe it as it is: put them in the Resource's
    /// `spec.params` to have paved manage it.
    pub params: Value,
}

/// Per-path differences between two JSON documents (`before` → `after`).
pub fn json_diff(
    path: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<FieldDiff>,
) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for (k, v) in a {
                json_diff(&join(path, k), Some(v), b.get(k), out);
            }
            for (k, v) in b {
                if !a.contains_key(k) {
                    json_diff(&join(path, k), None, Some(v), out);
                }
            }
        }
        (None, Some(Value::Object(b))) if !b.is_empty() => {
            for (k, v) in b {
                json_diff(&join(path, k), None, Some(v), out);
            }
        }
        (Some(Value::Object(a)), None) if !a.is_empty() => {
            for (k, v) in a {
                json_diff(&join(path, k), Some(v), None, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldDiff {
            path: path.to_string(),
            before: a.cloned(),
            after: b.cloned(),
            requires_replace: false,
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redaction_hides_only_the_sensitive_keys() {
        let out = redact(&json!({"host": "h", "password": "p"}), &["password".into()]);
        assert_eq!(out, json!({"host": "h", "password": SENSITIVE}));
    }

    #[test]
    fn diffs_name_each_changed_path() {
        let mut d = Vec::new();
        json_diff(
            "",
            Some(&json!({"a": 1, "b": {"c": 2, "d": 3}})),
            Some(&json!({"a": 1, "b": {"c": 5}, "e": true})),
            &mut d,
        );
        let paths: Vec<&str> = d.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["b.c", "b.d", "e"]);
        assert_eq!(d[1].after, None);
    }
}
