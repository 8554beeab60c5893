//! What a held change keeps: exactly the ChangeSet that was reviewed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::{ApprovalChange, Requirement};
use super::state::{REQUESTED, subject_of};
use crate::policy::Decision;
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
}

impl HeldChange {
    /// The entity it changes, and how.
    pub(crate) fn summary(&self) -> ApprovalChange {
        match self {
            HeldChange::Upsert {
                entity,
                expected_etag,
                ..
            } => ApprovalChange {
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
            },
            HeldChange::Delete { entity_ref, .. } => ApprovalChange {
                entity_ref: entity_ref.clone(),
                outcome: Outcome::Deleted,
            },
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
