//! [`ResourceStore`] on PostgreSQL: state versions, leases and the journal.
//! A lease is taken with one `INSERT … ON CONFLICT DO UPDATE … WHERE` the
//! held lease has expired, so of processes racing for it exactly one wins;
//! a state version is written under the (resource, version) primary key,
//! so two writers on the same version cannot both succeed.

use async_trait::async_trait;

use super::postgres::PostgresStore;
use super::resources::{
    JOURNAL_COLUMNS, JournalEntry, LATEST_STATES, LEASE_COLUMNS, Lease, ResourceStore,
    STATE_COLUMNS, StateRow, state_conflict,
};
use crate::error::Result;

fn state_row(r: &tokio_postgres::Row) -> StateRow {
    StateRow {
        resource: r.get(0),
        version: r.get(1),
        at: r.get(2),
        doc: r.get(3),
    }
}

fn lease_row(r: &tokio_postgres::Row) -> Lease {
    Lease {
        resource: r.get(0),
        holder: r.get(1),
        operation: r.get(2),
        token: r.get(3),
        acquired_at: r.get(4),
        expires_at_ms: r.get(5),
    }
}

fn journal_row(r: &tokio_postgres::Row) -> JournalEntry {
    JournalEntry {
        id: r.get(0),
        resource: r.get(1),
        idempotency_key: r.get(2),
        operation: r.get(3),
        holder: r.get(4),
        intent: r.get(5),
        started_at: r.get(6),
        result: r.get(7),
        finished_at: r.get(8),
    }
}

#[async_trait]
impl ResourceStore for PostgresStore {
    async fn resource_state(&self, resource: &str) -> Result<Option<StateRow>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {STATE_COLUMNS} FROM resource_states WHERE resource = $1 \
                     ORDER BY version DESC LIMIT 1"
                ),
                &[&resource],
            )
            .await
            .map_err(self.err("cannot read resource state"))?;
        Ok(row.as_ref().map(state_row))
    }

    async fn resource_states(&self) -> Result<Vec<StateRow>> {
        let client = self.client().await?;
        let rows = client
            .query(LATEST_STATES, &[])
            .await
            .map_err(self.err("cannot read resource states"))?;
        Ok(rows.iter().map(state_row).collect())
    }

    async fn resource_history(&self, resource: &str, limit: usize) -> Result<Vec<StateRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {STATE_COLUMNS} FROM resource_states WHERE resource = $1 \
                     ORDER BY version DESC LIMIT $2"
                ),
                &[&resource, &(limit as i64)],
            )
            .await
            .map_err(self.err("cannot read resource history"))?;
        Ok(rows.iter().map(state_row).collect())
    }

    async fn acquire_leases(&self, leases: &[Lease], now_ms: i64) -> Result<Option<Lease>> {
        let err = self.err("cannot take the resource leases");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(&err)?;
        let take = tx
            .prepare_cached(&format!(
                "INSERT INTO resource_leases ({LEASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (resource) DO UPDATE SET holder = EXCLUDED.holder, \
                 operation = EXCLUDED.operation, token = EXCLUDED.token, \
                 acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at \
                 WHERE resource_leases.expires_at <= $7 RETURNING token"
            ))
            .await
            .map_err(&err)?;
        for lease in leases {
            let taken = tx
                .query_opt(
                    &take,
                    &[
                        &lease.resource,
                        &lease.holder,
                        &lease.operation,
                        &lease.token,
                        &lease.acquired_at,
                        &lease.expires_at_ms,
                        &now_ms,
                    ],
                )
                .await
                .map_err(&err)?;
            if taken.is_none() {
                // Held: the row is locked by the INSERT's conflict check until
                // this transaction ends, so the holder read is the current one.
                let held = tx
                    .query_one(
                        &format!("SELECT {LEASE_COLUMNS} FROM resource_leases WHERE resource = $1"),
                        &[&lease.resource],
                    )
                    .await
                    .map_err(&err)?;
                // Dropping the transaction rolls it back: nothing taken.
                return Ok(Some(lease_row(&held)));
            }
        }
        tx.commit().await.map_err(&err)?;
        Ok(None)
    }

    async fn renew_leases(&self, held: &[(String, String)], expires_at_ms: i64) -> Result<usize> {
        let (resources, tokens): (Vec<&str>, Vec<&str>) =
            held.iter().map(|(r, t)| (r.as_str(), t.as_str())).unzip();
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE resource_leases SET expires_at = $3 FROM unnest($1::TEXT[], $2::TEXT[]) \
                 AS h(resource, token) WHERE resource_leases.resource = h.resource \
                 AND resource_leases.token = h.token",
                &[&resources, &tokens, &expires_at_ms],
            )
            .await
            .map_err(self.err("cannot renew the resource leases"))?;
        Ok(n as usize)
    }

    async fn release_leases(&self, held: &[(String, String)]) -> Result<()> {
        let (resources, tokens): (Vec<&str>, Vec<&str>) =
            held.iter().map(|(r, t)| (r.as_str(), t.as_str())).unzip();
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM resource_leases USING unnest($1::TEXT[], $2::TEXT[]) \
                 AS h(resource, token) WHERE resource_leases.resource = h.resource \
                 AND resource_leases.token = h.token",
                &[&resources, &tokens],
            )
            .await
            .map_err(self.err("cannot release the resource leases"))?;
        Ok(())
    }

    async fn release_lease(&self, resource: &str, token: Option<&str>) -> Result<Option<Lease>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "DELETE FROM resource_leases WHERE resource = $1 \
                     AND ($2::TEXT IS NULL OR token = $2) RETURNING {LEASE_COLUMNS}"
                ),
                &[&resource, &token],
            )
            .await
            .map_err(self.err("cannot release the resource lease"))?;
        Ok(row.as_ref().map(lease_row))
    }

    async fn leases(&self) -> Result<Vec<Lease>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {LEASE_COLUMNS} FROM resource_leases ORDER BY resource"),
                &[],
            )
            .await
            .map_err(self.err("cannot read resource leases"))?;
        Ok(rows.iter().map(lease_row).collect())
    }

    async fn journal_intent(&self, e: &JournalEntry) -> Result<i64> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "INSERT INTO resource_journal \
                 (resource, idempotency_key, operation, holder, intent, started_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &e.resource,
                    &e.idempotency_key,
                    &e.operation,
                    &e.holder,
                    &e.intent,
                    &e.started_at,
                ],
            )
            .await
            .map_err(self.err("cannot write the resource journal"))?;
        Ok(row.get(0))
    }

    async fn journal_result(
        &self,
        id: i64,
        result: &str,
        state: Option<(&StateRow, i64)>,
    ) -> Result<Option<i64>> {
        let err = self.err("cannot record the provider call's result");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(&err)?;
        let mut written = None;
        if let Some((row, expected)) = state {
            let latest: Option<i64> = tx
                .query_one(
                    "SELECT MAX(version) FROM resource_states WHERE resource = $1",
                    &[&row.resource],
                )
                .await
                .map_err(&err)?
                .get(0);
            if latest.unwrap_or(0) != expected {
                return Err(state_conflict(&row.resource, expected, latest));
            }
            let inserted = tx
                .execute(
                    &format!(
                        "INSERT INTO resource_states ({STATE_COLUMNS}) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING"
                    ),
                    &[&row.resource, &(expected + 1), &row.at, &row.doc],
                )
                .await
                .map_err(&err)?;
            if inserted == 0 {
                return Err(state_conflict(&row.resource, expected, Some(expected + 1)));
            }
            written = Some(expected + 1);
        }
        tx.execute(
            "UPDATE resource_journal SET result = $2, finished_at = $3 WHERE id = $1",
            &[&id, &result, &crate::audit::now()],
        )
        .await
        .map_err(&err)?;
        tx.commit().await.map_err(&err)?;
        Ok(written)
    }

    async fn journal_open(&self) -> Result<Vec<JournalEntry>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {JOURNAL_COLUMNS} FROM resource_journal WHERE result IS NULL ORDER BY id"
                ),
                &[],
            )
            .await
            .map_err(self.err("cannot read the resource journal"))?;
        Ok(rows.iter().map(journal_row).collect())
    }

    async fn journal_of(&self, resource: &str, limit: usize) -> Result<Vec<JournalEntry>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {JOURNAL_COLUMNS} FROM resource_journal WHERE resource = $1 \
                     ORDER BY id DESC LIMIT $2"
                ),
                &[&resource, &(limit as i64)],
            )
            .await
            .map_err(self.err("cannot read the resource journal"))?;
        Ok(rows.iter().map(journal_row).collect())
    }
}
