//! Decisions: what one binding said about one change, and why.

use serde::{Deserialize, Serialize};

use super::binding::{Mode, Point};
use crate::plugin::{Verdict, Violation};

/// One binding's decision on one change. Recorded in the audit log (action
/// [`DECISION_ACTION`]) with the write it was made for, or alone when it
/// blocked the write; its `id` is that audit record's sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The audit record's `seq` once recorded (none in a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The binding (policy) that decided.
    pub policy: String,
    /// The guardrail it ran, and the version the guardrail reported.
    pub guardrail: String,
    pub guardrail_version: String,
    /// What identifies the guardrail's code exactly (`sha256:…` of a wasm
    /// component, or of a Rego policy's modules and data); none for a
    /// native guardrail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_digest: Option<String>,
    pub point: Point,
    /// What the change is about: an entity ref or a resource address.
    pub subject: String,
    /// The team (group ref) that owns the subject, if it has an owner: the
    /// entity's owner, or the resource's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What the guardrail answered (`deny` when it failed and the binding
    /// fails closed).
    pub verdict: Verdict,
    pub mode: Mode,
    /// Whether this decision stopped the change (an enforcing deny).
    pub blocking: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Why the guardrail could not answer (timeout, trap, bad output), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Whether the guardrail's patch was applied to the change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub patched: bool,
    /// The binding's description, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Time the guardrail took, in microseconds.
    pub duration_us: u64,
    pub actor: String,
    /// The approval that lifted this enforcing deny (the change went ahead
    /// once a member of the policy's approvers said yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<String>,
}

/// The audit action of a recorded decision.
pub const DECISION_ACTION: &str = "policy.decision";

impl Decision {
    /// An allow with nothing to tell: no failure, no patch. Such decisions
    /// are counted, not listed or recorded.
    pub fn is_plain_allow(&self) -> bool {
        self.verdict == Verdict::Allow && self.failure.is_none() && !self.patched
    }

    /// The decision in words a developer can act on: what was decided, by
    /// which policy, on what, and each field to fix.
    pub fn explain(&self) -> String {
        let verb = match (self.verdict, self.blocking, self.mode) {
            (Verdict::Allow, ..) => "allowed",
            (Verdict::Warn, ..) => "warned about",
            (Verdict::Deny, true, _) => "denied",
            (Verdict::Deny, false, Mode::Enforce) if self.approved.is_some() => "denied",
            (Verdict::Deny, false, Mode::Audit) => "would deny (audit mode, not enforced)",
            (Verdict::Deny, false, _) => "would deny (warn mode, not enforced)",
        };
        let mut out = format!(
            "Policy '{}' {verb} {} of {} (guardrail {} {}, mode {}, asked by {}).",
            self.policy,
            self.point,
            self.subject,
            self.guardrail,
            self.guardrail_version,
            mode_name(self.mode),
            self.actor,
        );
        if let Some(digest) = &self.guardrail_digest {
            out.push_str(&format!("\nThe guardrail's code: {digest}."));
        }
        if let Some(description) = &self.description {
            out.push_str(&format!("\nThe policy: {description}"));
        }
        if let Some(failure) = &self.failure {
            out.push_str(&format!(
                "\nThe guardrail could not review the change: {failure}.\n\
                 The policy fails {}, so this counts as {}. Ask the policy's owners to fix the guardrail.",
                if self.verdict == Verdict::Deny { "closed" } else { "open" },
                if self.verdict == Verdict::Deny { "a deny" } else { "an allow" },
            ));
        }
        if !self.violations.is_empty() {
            out.push_str(if self.verdict == Verdict::Allow {
                "\nRemarks:"
            } else {
                "\nTo pass, fix:"
            });
            for v in &self.violations {
                if v.path.is_empty() {
                    out.push_str(&format!("\n  - {}", v.message));
                } else {
                    out.push_str(&format!("\n  - {}: {}", v.path, v.message));
                }
            }
        }
        if self.patched {
            out.push_str("\nThe guardrail changed the entity (its patch was applied).");
        }
        if let Some(id) = &self.approved {
            out.push_str(&format!(
                "\nApproval {id} let the change through: a member of the policy's approvers said yes."
            ));
        }
        out
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "enforce",
        Mode::Warn => "warn",
        Mode::Audit => "audit",
        Mode::Off => "off",
    }
}
