//! What a held change keeps: exactly the ChangeSet that was reviewed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::{ApprovalChange, Requirement};
use super::state::{REQUESTED, subject_of};
use crate::plugin::FieldDiff;
use crate::policy::Decision;
use crate::resource::state::{Action, Goal, PlannedResource};
use crate::store::AuditOnly;
use crate::store::Outcome;

/// One change of a held ChangeSet, as it will be committed: each carries
/// the etag it was reviewed against (`""`: the entity did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub(crate) enum HeldChange {
    /// Create or update this entity (as the policies left it).
    #[serde(rename_all = "camelCase")]
    Upsert {
        entity: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        expected_etag: String,
    },
    /// Delete this entity.
    #[serde(rename_all = "camelCase")]
    Delete {
        entity_ref: String,
        expected_etag: String,
    },
    /// Run a resource plan: `apply` or `destroy` of `targets` (none: every
    /// resource), as `planned` says. Once approved, the plan is made again
    /// and run only if it is the one reviewed (the same resources, actions,
    /// differences and state versions); otherwise the request is stale.
    #[serde(rename_all = "camelCase")]
    Resources {
        goal: Goal,
        targets: Vec<String>,
        planned: Vec<HeldResource>,
    },
}

/// One resource of a held plan, as it was reviewed (sensitive values as
/// `(sensitive)`, as every plan shows them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HeldResource {
    pub resource: String,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// The state version it was planned against (0: none).
    pub prior_version: i64,
    /// A hash of the params its Resource asked for (empty: none), so that a
    /// change the diff cannot show (a sensitive value) still tells.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub params: String,
}

impl HeldResource {
    /// A planned resource as a request holds it, with the params it was
    /// planned from.
    pub(crate) fn of(planned: &PlannedResource, params: Option<&Value>) -> Self {
        use sha2::{Digest, Sha256};
        Self {
            resource: planned.resource.clone(),
            action: planned.action,
            diff: planned.diff.clone(),
            prior_version: planned.prior_version,
            params: params.map_or_else(String::new, |p| {
                let bytes = serde_json::to_vec(p).expect("a JSON value always serializes");
                hex::encode(&Sha256::digest(&bytes)[..16])
            }),
        }
    }
}

impl HeldChange {
    /// The entities it changes, and how.
    pub(crate) fn summary(&self) -> Vec<ApprovalChange> {
        match self {
            HeldChange::Upsert {
                entity,
                expected_etag,
                ..
            } => vec![ApprovalChange {
                // Read back from the store: a document that is no entity
                // shows no ref here, and fails validation when applied.
                entity_ref: serde_json::from_value::<crate::Entity>(entity.clone())
                    .map(|e| e.entity_ref().to_string())
                    .unwrap_or_default(),
                outcome: if expected_etag.is_empty() {
                    Outcome::Created
                } else {
                    Outcome::Updated
                },
                action: None,
            }],
            HeldChange::Delete { entity_ref, .. } => vec![ApprovalChange {
                entity_ref: entity_ref.clone(),
                outcome: Outcome::Deleted,
                action: None,
            }],
            HeldChange::Resources { planned, .. } => planned
                .iter()
                .map(|r| ApprovalChange {
                    entity_ref: r.resource.clone(),
                    outcome: match r.action {
                        Action::Create => Outcome::Created,
                        Action::Delete | Action::Forget => Outcome::Deleted,
                        Action::NoOp => Outcome::Unchanged,
                        Action::Update | Action::Replace => Outcome::Updated,
                    },
                    action: Some(r.action),
                })
                .collect(),
        }
    }
}

/// The details of an `approval.requested` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Requested {
    pub id: String,
    /// The write's audit action (`entity.upsert`, `catalog.import`, …).
    pub action: String,
    pub expires_at: String,
    /// One per binding that held it (none approved yet).
    pub required: Vec<Requirement>,
    /// The decisions that held it (and any others worth telling).
    pub decisions: Vec<Decision>,
    pub held: Vec<HeldChange>,
}

/// The audit record that holds a change.
pub(crate) fn hold_record(requested: &Requested) -> AuditOnly {
    AuditOnly {
        action: REQUESTED.to_string(),
        subject: subject_of(&requested.id),
        details: serde_json::to_value(requested).unwrap_or_default(),
        event: REQUESTED.to_string(),
    }
}
