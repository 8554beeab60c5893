//! An approval's state, read from its audit records.

use serde::{Deserialize, Serialize};

use super::held::{HeldChange, Requested};
use crate::audit::AuditRecord;
use crate::policy::Decision;
use crate::store::Outcome;

/// The audit actions of an approval's records, in the order they happen.
pub(crate) const REQUESTED: &str = "approval.requested";
pub(crate) const APPROVED: &str = "approval.approved";
pub(crate) const APPLIED: &str = "approval.applied";
pub(crate) const REJECTED: &str = "approval.rejected";
pub(crate) const STALE: &str = "approval.stale";

/// The actions that end a request: after one of them nothing more happens.
pub(crate) const TERMINAL: [&str; 3] = [APPLIED, REJECTED, STALE];

/// What happens to a request after it is made.
pub(crate) const STEPS: [&str; 4] = [APPROVED, APPLIED, REJECTED, STALE];

/// The audit subject of every record of approval `id`.
pub(crate) fn subject_of(id: &str) -> String {
    format!("approval:{}", id.to_ascii_lowercase())
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    /// Waiting for approvals (some may be given already).
    Pending,
    /// Approved for every binding that held it, and written.
    Applied,
    /// Rejected by an approver, or withdrawn by the requester.
    Rejected,
    /// Not decided within its time-to-live.
    Expired,
    /// Approved, but an entity changed after the review: nothing was written.
    Stale,
}

impl ApprovalStatus {
    /// The name used on every front (`pending`, `applied`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Stale => "stale",
        }
    }

    /// Every status, in the order a request may go through them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Applied,
        Self::Rejected,
        Self::Expired,
        Self::Stale,
    ];
}

impl std::str::FromStr for ApprovalStatus {
    type Err = crate::Error;

    /// A status by name; the error lists the names.
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                crate::Error::invalid(crate::Diagnostic::error(
                    "status",
                    format!("'{s}' is not a status: pending, applied, rejected, expired or stale"),
                ))
            })
    }
}

impl std::fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change a request holds: which entity, and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalChange {
    pub entity_ref: String,
    pub outcome: Outcome,
    /// For a resource of a held plan, what the plan does to it (`create`,
    /// `update`, `replace`, `delete`, `forget`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::resource::state::Action>,
}

/// One binding that held a change: who may approve it, and who did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// The policy (binding) whose deny held the change.
    pub policy: String,
    /// Groups whose members may approve it.
    pub approvers: Vec<String>,
    /// Who approved it, when (none yet: waiting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
}

/// A held change and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// The request's id (`paved approval approve ID`).
    pub id: String,
    pub status: ApprovalStatus,
    pub requested_by: String,
    pub requested_at: String,
    pub expires_at: String,
    /// The write it holds (`entity.upsert`, `entity.delete`, `catalog.import`).
    pub action: String,
    /// What it writes once approved.
    pub changes: Vec<ApprovalChange>,
    /// One per binding that held it.
    pub required: Vec<Requirement>,
    /// The decisions made when it was reviewed (the denials that held it).
    pub decisions: Vec<Decision>,
    /// Who ended it (applied, rejected, stale), when, and what they said
    /// (a rejection's reason, a stale request's conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The audit record that holds the change.
    pub seq: u64,
}

impl Approval {
    /// Whether approving and rejecting are still possible.
    pub fn is_open(&self) -> bool {
        self.status == ApprovalStatus::Pending
    }

    /// The requirements nobody has approved yet.
    pub fn waiting(&self) -> impl Iterator<Item = &Requirement> {
        self.required.iter().filter(|r| r.approved_by.is_none())
    }
}

/// The groups of these requirements, sorted, each once.
pub(crate) fn approvers_of<'a>(required: impl IntoIterator<Item = &'a Requirement>) -> Vec<String> {
    let mut all: Vec<String> = required
        .into_iter()
        .flat_map(|r| r.approvers.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}

/// An approval and the changes it holds, from its records (any order; the
/// `approval.requested` one must be there). `now`: RFC 3339, for expiry.
pub(crate) fn read(records: &[AuditRecord], now: &str) -> Option<(Approval, Vec<HeldChange>)> {
    let mut records: Vec<&AuditRecord> = records.iter().collect();
    records.sort_by_key(|r| r.seq);
    let first = records.iter().find(|r| r.action == REQUESTED)?;
    let requested: Requested = serde_json::from_value(first.details.clone()).ok()?;
    let mut approval = Approval {
        id: requested.id.clone(),
        status: ApprovalStatus::Pending,
        requested_by: first.actor.clone(),
        requested_at: first.at.clone(),
        expires_at: requested.expires_at.clone(),
        action: requested.action.clone(),
        changes: requested
            .held
            .iter()
            .flat_map(HeldChange::summary)
            .collect(),
        required: requested.required,
        decisions: requested.decisions,
        decided_by: None,
        decided_at: None,
        comment: None,
        seq: first.seq,
    };
    let text = |r: &AuditRecord, field: &str| r.details[field].as_str().map(str::to_string);
    for r in records.iter().filter(|r| r.seq > first.seq) {
        match r.action.as_str() {
            APPROVED => {
                let policies: Vec<&str> = r.details["policies"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|p| p.as_str()).collect())
                    .unwrap_or_default();
                for req in &mut approval.required {
                    if req.approved_by.is_none() && policies.contains(&req.policy.as_str()) {
                        req.approved_by = Some(r.actor.clone());
                        req.approved_at = Some(r.at.clone());
                    }
                }
                if approval.comment.is_none() {
                    approval.comment = text(r, "comment");
                }
            }
            APPLIED | REJECTED | STALE if approval.status == ApprovalStatus::Pending => {
                approval.status = match r.action.as_str() {
                    APPLIED => ApprovalStatus::Applied,
                    REJECTED => ApprovalStatus::Rejected,
                    _ => ApprovalStatus::Stale,
                };
                approval.decided_by = Some(r.actor.clone());
                approval.decided_at = Some(r.at.clone());
                if let Some(c) = text(r, "reason").or_else(|| text(r, "error")) {
                    approval.comment = Some(c);
                }
            }
            _ => {}
        }
    }
    if approval.status == ApprovalStatus::Pending && expired(&approval.expires_at, now) {
        approval.status = ApprovalStatus::Expired;
    }
    Some((approval, requested.held))
}

/// Whether `expires_at` is past at `now` (both RFC 3339; unreadable times
/// count as expired: a request nobody can date is not approvable).
pub(crate) fn expired(expires_at: &str, now: &str) -> bool {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (parse(expires_at), parse(now)) {
        (Some(e), Some(n)) => n >= e,
        _ => true,
    }
}
