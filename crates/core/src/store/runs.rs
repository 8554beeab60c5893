//! What the store keeps for golden-path runs: one row per run, its document
//! rewritten at each journal point (a step started, a step done, a step
//! undone, the run finished).
//!
//! The document is JSON text the golden-path engine (`crate::path`) shapes;
//! the store keeps the columns a listing filters on beside it. A run's row
//! is written only on top of the revision the writer read, so two processes
//! resuming the same run cannot both record progress (the engine also
//! leases the run while it works). Both stores implement [`RunStore`] with
//! the same SQL; the conformance suite checks them alike.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One run of a golden path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// The run id.
    pub id: String,
    /// The Template's key (`template:default/deploy-web-service`).
    pub template: String,
    /// Who started it.
    pub actor: String,
    /// `running`, `succeeded`, `failed`, `rolled-back`, `interrupted`.
    pub status: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended; none while running.
    pub finished_at: Option<String>,
    /// Bumped by each write: a write names the revision it read.
    pub revision: i64,
    /// The run document (see `path::run::RunRecord`).
    pub doc: String,
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFilter {
    /// Only runs of this Template key.
    pub template: Option<String>,
    /// Only runs with this status.
    pub status: Option<String>,
    /// Only runs started at or after this time (RFC 3339).
    pub since: Option<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Golden-path runs.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Write a new run (revision 1); a conflict if the id exists.
    async fn run_create(&self, row: &RunRow) -> Result<()>;

    /// Write `row` as revision `row.revision`, on top of `row.revision - 1`;
    /// a conflict if another write came first.
    async fn run_update(&self, row: &RunRow) -> Result<()>;

    /// One run.
    async fn run_get(&self, id: &str) -> Result<Option<RunRow>>;

    /// Runs matching `filter`, newest first.
    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>>;
}

/// Migration 5, SQLite.
pub(crate) const SQLITE_MIGRATION: &str = r#"
CREATE TABLE path_runs (
    id          TEXT PRIMARY KEY,
    template    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    revision    INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX path_runs_started ON path_runs (started_at);
CREATE INDEX path_runs_template ON path_runs (template, started_at);
"#;

/// Migration 5, PostgreSQL.
pub(crate) const POSTGRES_MIGRATION: &str = r#"
CREATE TABLE path_runs (
    id          TEXT COLLATE "C" PRIMARY KEY,
    template    TEXT COLLATE "C" NOT NULL,
    actor       TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  TEXT COLLATE "C" NOT NULL,
    finished_at TEXT,
    revision    BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX path_runs_started ON path_runs (started_at);
CREATE INDEX path_runs_template ON path_runs (template, started_at);
"#;

/// Columns of a run row, in [`RunRow`]'s order.
pub(crate) const RUN_COLUMNS: &str =
    "id, template, actor, status, started_at, finished_at, revision, doc";

/// The conflict of a run written on top of a revision that is not the latest.
pub(crate) fn run_conflict(id: &str, expected: i64) -> crate::Error {
    crate::Error::Conflict {
        entity: format!("run {id}"),
        expected: format!("revision {expected}"),
        found: None,
    }
}

/// The WHERE clause of a listing and its parameters, numbered from 1 with
/// `mark` (`?` for SQLite, `$` for PostgreSQL), and the limit.
pub(crate) fn run_query(filter: &RunFilter, mark: char) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    for (column, op, value) in [
        ("template", "=", &filter.template),
        ("status", "=", &filter.status),
        ("started_at", ">=", &filter.since),
    ] {
        if let Some(v) = value {
            params.push(v.clone());
            clauses.push(format!("{column} {op} {mark}{}", params.len()));
        }
    }
    let wheres = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let limit = filter.limit.clamp(1, 10_000);
    (
        format!(
            "SELECT {RUN_COLUMNS} FROM path_runs{wheres} ORDER BY started_at DESC, id DESC LIMIT {limit}"
        ),
        params,
    )
}
