//! Approvals: a change an enforcing policy denies, held until someone the
//! policy names says yes.
//!
//! A binding may carry an `approval` ([`ApprovalRule`]):
//!
//! ```yaml
//! policies:
//!   - name: production-deletes-need-approval
//!     rego: { policies: [rego/approvals] }
//!     match: { operations: [entity.delete], kinds: [Component] }
//!     approval:
//!       approvers: [group:default/platform-leads]   # members, transitively
//!       ttl: 24h                                    # s, m, h or d; default 24h
//! ```
//!
//! When every blocking decision of a write comes from such bindings, the
//! pipeline does not refuse the write: it records the decisions and an
//! `approval.requested` audit record holding exactly the ChangeSet that was
//! reviewed (each entity as it would be written, each with the etag it was
//! reviewed against), writes nothing else, and fails with
//! `PENDING_APPROVAL` naming the request. A denial from a binding without
//! `approval` still refuses the write outright.
//!
//! A resource plan (`resource.apply`, `resource.destroy`) is held the same
//! way, before any provider call ([`HeldChange::Resources`]): once approved
//! it is planned again and run only if the plan is the one reviewed, with
//! the approved bindings' denials lifted ([`crate::policy::Approved`]).
//!
//! A member of a binding's approver groups (never the requester) approves it
//! for that binding; once every binding that held the change is approved,
//! the held ChangeSet is committed as it was reviewed, guarded by the etags
//! it was reviewed against: if any entity changed meanwhile, nothing is
//! written and the request is `stale`. The requester, or an approver, may
//! reject it. After its time-to-live a request is `expired`; expiry and
//! rejection write nothing. Every step is an audit record about the subject
//! `approval:ID`, hash-chained with the rest; the decisive step is guarded
//! in the store's write transaction ([`crate::store::Guard`]), so two
//! approvers in two processes cannot both apply it.

mod held;
mod state;
mod ttl;

pub(crate) use held::{HeldChange, HeldResource, Requested, hold_record};
pub(crate) use state::{
    APPLIED, APPROVED, REJECTED, REQUESTED, STALE, STEPS, TERMINAL, approvers_of, read, subject_of,
};
pub use state::{Approval, ApprovalChange, ApprovalStatus, Requirement};
pub(crate) use ttl::parse_ttl;

use serde::{Deserialize, Serialize};

/// Who may approve a change a binding denies, and for how long it waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalRule {
    /// Groups whose members (directly or through child groups) may approve,
    /// as refs (`group:default/platform-leads`; a bare name is a group in
    /// the default namespace).
    pub approvers: Vec<String>,
    /// How long a held change waits: a number and a unit, `s`, `m`, `h` or
    /// `d` (`30m`, `24h`, `7d`). Default 24h; at most 90d.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// The default time-to-live of a held change.
pub const DEFAULT_TTL: &str = "24h";

#[cfg(test)]
mod tests;
