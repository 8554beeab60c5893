//! Request and response types of the plugin contract. They mirror the
//! `paved:plugin` WIT package one to one (see `wit/types.wit`); dynamic
//! documents are [`serde_json::Value`] here and JSON text on the wire.
//! Serde names are camelCase, as in the catalogue's documents, so a request
//! can be written by hand for `paved plugin run`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a resource lives: the identity a provider is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceAddress {
    /// Resource type owned by the provider, e.g. `postgres.database`.
    pub resource_type: String,
    /// Name, unique per type and environment.
    pub name: String,
    /// Environment, e.g. `prod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Entity ref of the owner, e.g. `group:default/payments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// What is being done to an entity or resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Create,
    Update,
    Replace,
    Delete,
    Import,
    NoOp,
}

/// One changed field, addressed by JSON path (`spec.size`, `params.tags[2]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldDiff {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The field cannot change in place; the resource must be replaced.
    #[serde(default)]
    pub requires_replace: bool,
}

/// The thing a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Subject {
    /// A catalogue entity, by ref `kind:namespace/name`.
    Entity(String),
    /// A provider-managed resource.
    Resource(ResourceAddress),
}

/// One change-set item, as reviewed by guardrails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Change {
    pub subject: Subject,
    pub operation: Operation,
    /// Document before the change (entity, or resource params); `None` on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Document after the change; `None` on delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// Estimated monthly cost after the change, when a provider estimated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cost: Option<f64>,
    /// Entity ref of the actor asking for the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// A guardrail's decision, ordered from mildest to strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

/// One problem found by a guardrail or a plugin's input validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// JSON path of the offending field (`spec.owner`); empty for the document.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A guardrail's answer for one change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Review {
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// RFC 6902 JSON Patch (an array of operations) for the change's `after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
}

/// A capability a plugin asks for in `describe` (declaring grants nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

/// What a guardrail is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub settings_schema: Value,
    pub capabilities: Vec<Capability>,
}

/// One resource type a provider owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTypeInfo {
    /// e.g. `postgres.database`.
    pub name: String,
    pub description: String,
    pub params_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_schema: Option<Value>,
}

/// What a provider is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub resource_types: Vec<ResourceTypeInfo>,
    pub capabilities: Vec<Capability>,
    pub settings_schema: Value,
}

/// Ask what it would take to bring a resource to `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    pub address: ResourceAddress,
    pub params: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_params: Option<Value>,
}

/// What applying would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub operation: Operation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Bring a resource to `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyRequest {
    pub address: ResourceAddress,
    pub params: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_state: Option<Value>,
    /// The call's idempotency key (the provider reads it with the host's
    /// `idempotency-key`): new for each call, the same when paved makes an
    /// interrupted call again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// Outcome of apply (and part of import).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Applied {
    /// State to record; passed back on later calls.
    pub state: Value,
    /// Outputs (a JSON object) for people and golden paths.
    pub outputs: Value,
    /// Keys of `outputs` that must be redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
}

/// Read or delete an existing resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequest {
    pub address: ResourceAddress,
    pub state: Value,
    /// A delete's idempotency key (the provider reads it with the host's
    /// `idempotency-key`): new for each call, the same when paved makes an
    /// interrupted call again; none for a read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// Adopt a resource that exists outside paved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    pub address: ResourceAddress,
    /// The provider's own identifier of the existing thing.
    pub external_id: String,
    /// The call's idempotency key (the provider reads it with the host's
    /// `idempotency-key`): new for each call, the same when paved makes an
    /// interrupted call again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// Outcome of import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Imported {
    /// Params that would produce the thing as it is.
    pub params: Value,
    pub applied: Applied,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn change_round_trips_through_hand_written_json() {
        let change: Change = serde_json::from_value(json!({
            "subject": {"resource": {"resourceType": "postgres.database", "name": "orders"}},
            "operation": "no-op",
            "after": {"size": "small"},
            "monthlyCost": 12.5
        }))
        .unwrap();
        assert_eq!(change.operation, Operation::NoOp);
        assert!(matches!(&change.subject, Subject::Resource(a) if a.name == "orders"));
        let back = serde_json::to_value(&change).unwrap();
        assert_eq!(
            back["subject"]["resource"]["resourceType"],
            "postgres.database"
        );
        assert_eq!(back["monthlyCost"], 12.5);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_value::<Change>(json!({
            "subject": {"entity": "component:default/a"},
            "operation": "create",
            "aftr": {}
        }))
        .unwrap_err();
        assert!(err.to_string().contains("aftr"), "{err}");
    }

    #[test]
    fn verdicts_order_from_mildest_to_strictest() {
        assert!(Verdict::Allow < Verdict::Warn && Verdict::Warn < Verdict::Deny);
    }
}
