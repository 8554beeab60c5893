//! [`RunStore`] on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::postgres::PostgresStore;
use super::runs::{RUN_COLUMNS, RunFilter, RunRow, RunStore, run_conflict, run_query};
use crate::error::Result;

fn run_row(r: &tokio_postgres::Row) -> RunRow {
    RunRow {
        id: r.get(0),
        template: r.get(1),
        actor: r.get(2),
        status: r.get(3),
        started_at: r.get(4),
        finished_at: r.get(5),
        revision: r.get(6),
        doc: r.get(7),
    }
}

#[async_trait]
impl RunStore for PostgresStore {
    async fn run_create(&self, row: &RunRow) -> Result<()> {
        let client = self.client().await?;
        let inserted = client
            .execute(
                &format!(
                    "INSERT INTO path_runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) \
                     ON CONFLICT (id) DO NOTHING"
                ),
                &[
                    &row.id,
                    &row.template,
                    &row.actor,
                    &row.status,
                    &row.started_at,
                    &row.finished_at,
                    &row.doc,
                ],
            )
            .await
            .map_err(self.err("cannot record the run"))?;
        if inserted == 0 {
            return Err(run_conflict(&row.id, 0));
        }
        Ok(())
    }

    async fn run_update(&self, row: &RunRow) -> Result<()> {
        let client = self.client().await?;
        let updated = client
            .execute(
                "UPDATE path_runs SET status = $2, finished_at = $3, revision = $4::BIGINT, doc = $5 \
                 WHERE id = $1 AND revision = $4::BIGINT - 1",
                &[
                    &row.id,
                    &row.status,
                    &row.finished_at,
                    &row.revision,
                    &row.doc,
                ],
            )
            .await
            .map_err(self.err("cannot record the run"))?;
        if updated == 0 {
            return Err(run_conflict(&row.id, row.revision - 1));
        }
        Ok(())
    }

    async fn run_get(&self, id: &str) -> Result<Option<RunRow>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {RUN_COLUMNS} FROM path_runs WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(self.err("cannot read the run"))?;
        Ok(row.as_ref().map(run_row))
    }

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>> {
        let (sql, values) = run_query(filter, '$');
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let client = self.client().await?;
        let rows = client
            .query(&sql, &params)
            .await
            .map_err(self.err("cannot list runs"))?;
        Ok(rows.iter().map(run_row).collect())
    }
}
