//! [`ResourceStore`] on SQLite: state versions, leases and the journal.
//! Writes run on the writing connection in `BEGIN IMMEDIATE` transactions,
//! so processes sharing the file take leases and write versions one at a time.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::resources::{
    JOURNAL_COLUMNS, JournalEntry, LATEST_STATES, LEASE_COLUMNS, Lease, ResourceStore,
    STATE_COLUMNS, StateRow, state_conflict,
};
use super::sqlite::{SqliteStore, sqlite_error};
use crate::error::Result;

fn state_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StateRow> {
    Ok(StateRow {
        resource: r.get(0)?,
        version: r.get(1)?,
        at: r.get(2)?,
        doc: r.get(3)?,
    })
}

fn lease_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        resource: r.get(0)?,
        holder: r.get(1)?,
        operation: r.get(2)?,
        token: r.get(3)?,
        acquired_at: r.get(4)?,
        expires_at_ms: r.get(5)?,
    })
}

fn journal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    Ok(JournalEntry {
        id: r.get(0)?,
        resource: r.get(1)?,
        idempotency_key: r.get(2)?,
        operation: r.get(3)?,
        holder: r.get(4)?,
        intent: r.get(5)?,
        started_at: r.get(6)?,
        result: r.get(7)?,
        finished_at: r.get(8)?,
    })
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut st = conn.prepare_cached(sql)?;
    st.query_map(params, f)?.collect()
}

fn get_lease(conn: &Connection, resource: &str) -> rusqlite::Result<Option<Lease>> {
    conn.prepare_cached(&format!(
        "SELECT {LEASE_COLUMNS} FROM resource_leases WHERE resource = ?1"
    ))?
    .query_row([resource], lease_row)
    .optional()
}

#[async_trait]
impl ResourceStore for SqliteStore {
    async fn resource_state(&self, resource: &str) -> Result<Option<StateRow>> {
        let resource = resource.to_string();
        self.read(move |conn, label| {
            conn.prepare_cached(&format!(
                "SELECT {STATE_COLUMNS} FROM resource_states WHERE resource = ?1 \
                 ORDER BY version DESC LIMIT 1"
            ))
            .and_then(|mut st| st.query_row([&resource], state_row).optional())
            .map_err(|e| sqlite_error(label, "cannot read resource state", e))
        })
        .await
    }

    async fn resource_states(&self) -> Result<Vec<StateRow>> {
        self.read(|conn, label| {
            rows(conn, LATEST_STATES, [], state_row)
                .map_err(|e| sqlite_error(label, "cannot read resource states", e))
        })
        .await
    }

    async fn resource_history(&self, resource: &str, limit: usize) -> Result<Vec<StateRow>> {
        let resource = resource.to_string();
        self.read(move |conn, label| {
            rows(
                conn,
                &format!(
                    "SELECT {STATE_COLUMNS} FROM resource_states WHERE resource = ?1 \
                     ORDER BY version DESC LIMIT ?2"
                ),
                params![resource, limit as i64],
                state_row,
            )
            .map_err(|e| sqlite_error(label, "cannot read resource history", e))
        })
        .await
    }

    async fn acquire_leases(&self, leases: &[Lease], now_ms: i64) -> Result<Option<Lease>> {
        let leases = leases.to_vec();
        self.write(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot take the resource leases", e);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            for lease in &leases {
                if let Some(held) = get_lease(&tx, &lease.resource).map_err(err)?
                    && held.expires_at_ms > now_ms
                {
                    // Dropping the transaction rolls it back: nothing taken.
                    return Ok(Some(held));
                }
            }
            {
                let mut insert = tx
                    .prepare_cached(&format!(
                        "INSERT OR REPLACE INTO resource_leases ({LEASE_COLUMNS}) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    ))
                    .map_err(err)?;
                for l in &leases {
                    insert
                        .execute(params![
                            l.resource,
                            l.holder,
                            l.operation,
                            l.token,
                            l.acquired_at,
                            l.expires_at_ms
                        ])
                        .map_err(err)?;
                }
            }
            tx.commit().map_err(err)?;
            Ok(None)
        })
        .await
    }

    async fn renew_leases(&self, held: &[(String, String)], expires_at_ms: i64) -> Result<usize> {
        let held = held.to_vec();
        self.write(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot renew the resource leases", e);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            let mut renewed = 0;
            {
                let mut update = tx
                    .prepare_cached(
                        "UPDATE resource_leases SET expires_at = ?3 WHERE resource = ?1 AND token = ?2",
                    )
                    .map_err(err)?;
                for (resource, token) in &held {
                    renewed += update
                        .execute(params![resource, token, expires_at_ms])
                        .map_err(err)?;
                }
            }
            tx.commit().map_err(err)?;
            Ok(renewed)
        })
        .await
    }

    async fn release_leases(&self, held: &[(String, String)]) -> Result<()> {
        let held = held.to_vec();
        self.write(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot release the resource leases", e);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            {
                let mut delete = tx
                    .prepare_cached(
                        "DELETE FROM resource_leases WHERE resource = ?1 AND token = ?2",
                    )
                    .map_err(err)?;
                for (resource, token) in &held {
                    delete.execute(params![resource, token]).map_err(err)?;
                }
            }
            tx.commit().map_err(err)
        })
        .await
    }

    async fn release_lease(&self, resource: &str, token: Option<&str>) -> Result<Option<Lease>> {
        let (resource, token) = (resource.to_string(), token.map(str::to_string));
        self.write(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot release the resource lease", e);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            let held = get_lease(&tx, &resource).map_err(err)?;
            let Some(held) = held.filter(|l| token.as_ref().is_none_or(|t| *t == l.token)) else {
                return Ok(None);
            };
            tx.execute(
                "DELETE FROM resource_leases WHERE resource = ?1",
                [&resource],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            Ok(Some(held))
        })
        .await
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        self.read(|conn, label| {
            rows(
                conn,
                &format!("SELECT {LEASE_COLUMNS} FROM resource_leases ORDER BY resource"),
                [],
                lease_row,
            )
            .map_err(|e| sqlite_error(label, "cannot read resource leases", e))
        })
        .await
    }

    async fn journal_intent(&self, entry: &JournalEntry) -> Result<i64> {
        let e = entry.clone();
        self.write(move |conn, label| {
            conn.execute(
                "INSERT INTO resource_journal \
                 (resource, idempotency_key, operation, holder, intent, started_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    e.resource,
                    e.idempotency_key,
                    e.operation,
                    e.holder,
                    e.intent,
                    e.started_at
                ],
            )
            .map(|_| conn.last_insert_rowid())
            .map_err(|err| sqlite_error(label, "cannot write the resource journal", err))
        })
        .await
    }

    async fn journal_result(
        &self,
        id: i64,
        result: &str,
        state: Option<(&StateRow, i64)>,
    ) -> Result<Option<i64>> {
        let result = result.to_string();
        let state = state.map(|(row, expected)| (row.clone(), expected));
        self.write(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot record the provider call's result", e);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            let mut written = None;
            if let Some((row, expected)) = state {
                let latest: Option<i64> = tx
                    .query_row(
                        "SELECT MAX(version) FROM resource_states WHERE resource = ?1",
                        [&row.resource],
                        |r| r.get(0),
                    )
                    .map_err(err)?;
                if latest.unwrap_or(0) != expected {
                    return Err(state_conflict(&row.resource, expected, latest));
                }
                tx.execute(
                    &format!(
                        "INSERT INTO resource_states ({STATE_COLUMNS}) VALUES (?1, ?2, ?3, ?4)"
                    ),
                    params![row.resource, expected + 1, row.at, row.doc],
                )
                .map_err(err)?;
                written = Some(expected + 1);
            }
            tx.execute(
                "UPDATE resource_journal SET result = ?2, finished_at = ?3 WHERE id = ?1",
                params![id, result, crate::audit::now()],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            Ok(written)
        })
        .await
    }

    async fn journal_open(&self) -> Result<Vec<JournalEntry>> {
        self.read(|conn, label| {
            rows(
                conn,
                &format!(
                    "SELECT {JOURNAL_COLUMNS} FROM resource_journal WHERE result IS NULL ORDER BY id"
                ),
                [],
                journal_row,
            )
            .map_err(|e| sqlite_error(label, "cannot read the resource journal", e))
        })
        .await
    }

    async fn journal_of(&self, resource: &str, limit: usize) -> Result<Vec<JournalEntry>> {
        let resource = resource.to_string();
        self.read(move |conn, label| {
            rows(
                conn,
                &format!(
                    "SELECT {JOURNAL_COLUMNS} FROM resource_journal WHERE resource = ?1 \
                     ORDER BY id DESC LIMIT ?2"
                ),
                params![resource, limit as i64],
                journal_row,
            )
            .map_err(|e| sqlite_error(label, "cannot read the resource journal", e))
        })
        .await
    }
}
