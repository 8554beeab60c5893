//! What the store keeps for provisioned resources, beside the catalogue:
//! versioned state (one row per version, so history is kept), a lease per
//! resource (who works on it, until when), and the journal of provider calls
//! (the intent before each call, the result after).
//!
//! Rows are keyed by the Resource entity's key (`resource:default/orders-db`).
//! Documents are JSON text the resource engine (`crate::resource`) shapes;
//! the store only orders and guards them: a state version is written only on
//! top of the version the writer read, a lease is taken only when free or
//! expired, and closing a journal entry and writing the state it produced are
//! one transaction. Both stores implement [`ResourceStore`] with the same
//! SQL; the conformance suite checks them alike.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One version of a resource's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRow {
    /// The Resource entity's key.
    pub resource: String,
    /// 1 for the first version.
    pub version: i64,
    /// When it was written (RFC 3339).
    pub at: String,
    /// The state document (see `resource::state::StateDoc`).
    pub doc: String,
}

/// A lease: one holder works on a resource until `expires_at_ms` (Unix ms),
/// renewing it while it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub resource: String,
    /// Who holds it, for people: actor, process and host.
    pub holder: String,
    /// What it is doing, e.g. `apply`.
    pub operation: String,
    /// Proves the holder when renewing or releasing.
    pub token: String,
    pub acquired_at: String,
    pub expires_at_ms: i64,
}

/// One provider call: the intent written before it, the result after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: i64,
    pub resource: String,
    /// Unique per call; a repeated call after a crash carries the same key.
    pub idempotency_key: String,
    /// `apply`, `delete`, `import`.
    pub operation: String,
    pub holder: String,
    /// The intent (JSON): what was asked, enough to finish or undo it.
    pub intent: String,
    pub started_at: String,
    /// The result (JSON); none while the call is open (or was interrupted).
    pub result: Option<String>,
    pub finished_at: Option<String>,
}

/// Resource state, leases and journal.
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// The latest state version of a resource.
    async fn resource_state(&self, resource: &str) -> Result<Option<StateRow>>;

    /// The latest state version of every resource, by key.
    async fn resource_states(&self) -> Result<Vec<StateRow>>;

    /// Versions of a resource, newest first, at most `limit`.
    async fn resource_history(&self, resource: &str, limit: usize) -> Result<Vec<StateRow>>;

    /// Take every lease, in one transaction, if nobody holds them or their
    /// holders' have expired (`now_ms`): `Ok(None)`. Otherwise nothing is
    /// taken and the first lease held is returned, unchanged.
    async fn acquire_leases(&self, leases: &[Lease], now_ms: i64) -> Result<Option<Lease>>;

    /// Extend the leases still held with their tokens (resource, token), in
    /// one transaction; returns how many were still held.
    async fn renew_leases(&self, held: &[(String, String)], expires_at_ms: i64) -> Result<usize>;

    /// Release the leases held with these tokens (resource, token), in one
    /// transaction.
    async fn release_leases(&self, held: &[(String, String)]) -> Result<()>;

    /// Release the lease held with `token` (none: whoever holds it, as
    /// `paved resource unlock` does). Returns the lease released.
    async fn release_lease(&self, resource: &str, token: Option<&str>) -> Result<Option<Lease>>;

    /// Every lease held or expired but not released, by resource.
    async fn leases(&self) -> Result<Vec<Lease>>;

    /// Record the intent of a provider call; returns the entry's id.
    async fn journal_intent(&self, entry: &JournalEntry) -> Result<i64>;

    /// Record the result of call `id` and, in the same transaction, the
    /// state it produced as version `expected + 1` of `state.resource`
    /// (refused with a conflict if another version was written meanwhile).
    async fn journal_result(
        &self,
        id: i64,
        result: &str,
        state: Option<(&StateRow, i64)>,
    ) -> Result<Option<i64>>;

    /// Entries with an intent and no result (calls under way, or
    /// interrupted), oldest first.
    async fn journal_open(&self) -> Result<Vec<JournalEntry>>;

    /// Journal entries of one resource, newest first, at most `limit`.
    async fn journal_of(&self, resource: &str, limit: usize) -> Result<Vec<JournalEntry>>;
}

/// Migration 4, SQLite.
pub(crate) const SQLITE_MIGRATION: &str = r#"
CREATE TABLE resource_states (
    resource    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (resource, version)
);
CREATE TABLE resource_leases (
    resource    TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    token       TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE resource_journal (
    id              INTEGER PRIMARY KEY,
    resource        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation       TEXT NOT NULL,
    holder          TEXT NOT NULL,
    intent          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    result          TEXT,
    finished_at     TEXT
);
CREATE INDEX resource_journal_resource ON resource_journal (resource, id);
CREATE INDEX resource_journal_open ON resource_journal (id) WHERE result IS NULL;
"#;

/// Migration 4, PostgreSQL.
pub(crate) const POSTGRES_MIGRATION: &str = r#"
CREATE TABLE resource_states (
    resource    TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    at          TEXT NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (resource, version)
);
CREATE TABLE resource_leases (
    resource    TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    token       TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE TABLE resource_journal (
    id              BIGSERIAL PRIMARY KEY,
    resource        TEXT COLLATE "C" NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation       TEXT NOT NULL,
    holder          TEXT NOT NULL,
    intent          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    result          TEXT,
    finished_at     TEXT
);
CREATE INDEX resource_journal_resource ON resource_journal (resource, id);
CREATE INDEX resource_journal_open ON resource_journal (id) WHERE result IS NULL;
"#;

/// Columns of a state row, in [`StateRow`]'s order.
pub(crate) const STATE_COLUMNS: &str = "resource, version, at, doc";
/// Columns of a lease row, in [`Lease`]'s order.
pub(crate) const LEASE_COLUMNS: &str =
    "resource, holder, operation, token, acquired_at, expires_at";
/// Columns of a journal row, in [`JournalEntry`]'s order.
pub(crate) const JOURNAL_COLUMNS: &str =
    "id, resource, idempotency_key, operation, holder, intent, started_at, result, finished_at";
/// The latest version of every resource.
pub(crate) const LATEST_STATES: &str = "SELECT s.resource, s.version, s.at, s.doc FROM resource_states s \
     WHERE s.version = (SELECT MAX(v.version) FROM resource_states v WHERE v.resource = s.resource) \
     ORDER BY s.resource";

/// The conflict of a state written on top of a version that is no longer the latest.
pub(crate) fn state_conflict(resource: &str, expected: i64, found: Option<i64>) -> crate::Error {
    crate::Error::Conflict {
        entity: resource.to_string(),
        expected: format!("state version {expected}"),
        found: found.map(|v| format!("state version {v}")),
    }
}
