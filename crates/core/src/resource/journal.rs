//! The journal of provider calls: the intent is written before each call,
//! the result (with the state it produced, in one transaction) after. An
//! entry with no result is a call that was interrupted; the next resource
//! command reconciles it (`platform::resources::recover`).
//!
//! Crash points: with `PAVED_CRASH_AT` set to one of [`CRASH_POINTS`], the
//! process kills itself with SIGKILL at that point, as a crash would. The
//! crash tests use it to stop a real apply at each step; nothing else sets it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::desired::DeletionPolicy;
use super::state::Action;
use crate::plugin::ResourceAddress;

/// The environment variable naming a crash point.
pub const CRASH_ENV: &str = "PAVED_CRASH_AT";
/// Where an operation can be stopped: leases taken, intent written,
/// provider call returned, result recorded.
pub const CRASH_POINTS: [&str; 4] = ["after-lease", "after-intent", "after-call", "after-result"];

/// Kill this process (SIGKILL) if `PAVED_CRASH_AT` names `point`.
pub fn crash_point(point: &str) {
    if std::env::var(CRASH_ENV).is_ok_and(|p| p == point) {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        // `kill` is missing: stop as abruptly as we can.
        std::process::abort();
    }
}

/// What a journal entry's intent holds: enough to make the call again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub resource: String,
    pub provider: String,
    pub address: ResourceAddress,
    pub action: Action,
    /// Params as declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// Params as sent (output references resolved), sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_params: Option<String>,
    /// The state version the call started from (0: none).
    pub prior_version: i64,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// For an import: the provider's id of the thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Whether an import adopts it as managed (its Resource has params).
    #[serde(default)]
    pub managed: bool,
    pub plan: String,
    pub actor: String,
    /// The call's idempotency key when it repeats an interrupted call
    /// (which keeps that call's key); none: a new one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}
