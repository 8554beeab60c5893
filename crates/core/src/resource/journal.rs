//! The journal of provider calls: the intent is written before each call,
//! the result (with the state it produced, in one transaction) after. An
//! entry with no result is a call that was interrupted; the next resource
//! command reconciles it (`platform::resources::recover`).
//!
//! Crash points: with `PAVED_CRASH_AT` set to one of [`CRASH_POINTS`], the
//! process kills itself with SIGKILL at that point, as a crash would. The
//! crash tests use it to stop a real apply at each step; nothing else sets it.
//! With `PAVED_PAUSE_AT` set to `point:milliseconds` the process waits there
//! that long instead: the race tests hold the leases while a second process
//! asks for them.

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

/// The environment variable naming a point to wait at, and how long
/// (`after-lease:1500`, in milliseconds).
pub const PAUSE_ENV: &str = "PAVED_PAUSE_AT";

/// Kill this process (SIGKILL) if `PAVED_CRASH_AT` names `point`; wait
/// there if `PAVED_PAUSE_AT` does. Both are read once per process: every
/// provider call passes several points, and nothing but the tests sets them.
pub fn crash_point(point: &str) {
    /// What the two variables say: where to crash; where to wait, how long.
    struct Hooks {
        crash: Option<String>,
        pause: Option<(String, u64)>,
    }
    static HOOKS: std::sync::OnceLock<Hooks> = std::sync::OnceLock::new();
    let Hooks { crash, pause } = HOOKS.get_or_init(|| Hooks {
        crash: std::env::var(CRASH_ENV).ok(),
        pause: std::env::var(PAUSE_ENV).ok().and_then(|p| {
            let (at, ms) = p.split_once(':')?;
            Some((at.to_string(), ms.parse().ok()?))
        }),
    });
    if let Some((at, ms)) = pause
        && at == point
    {
        std::thread::sleep(std::time::Duration::from_millis(*ms));
    }
    if crash.as_deref() == Some(point) {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        // `kill` is missing: stop as abruptly as we can.
        std::process::abort();
    }
}

/// A new idempotency key: one per provider call paved makes, kept when the
/// call is made again to finish it (`platform::resources::recover`).
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
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
    /// The call's idempotency key, passed to the provider with each call.
    /// Kept in the journal entry's own column, not in the intent's JSON: a
    /// call made again to finish an interrupted one takes it from there.
    #[serde(skip)]
    pub idempotency_key: String,
}
