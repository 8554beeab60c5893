//! [`RunStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params, params_from_iter};

use super::runs::{RUN_COLUMNS, RunFilter, RunRow, RunStore, run_conflict, run_query};
use super::sqlite::{SqliteStore, sqlite_error};
use crate::error::Result;

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        template: r.get(1)?,
        actor: r.get(2)?,
        status: r.get(3)?,
        started_at: r.get(4)?,
        finished_at: r.get(5)?,
        revision: r.get(6)?,
        doc: r.get(7)?,
    })
}

#[async_trait]
impl RunStore for SqliteStore {
    async fn run_create(&self, row: &RunRow) -> Result<()> {
        let row = row.clone();
        self.write(move |conn, label| {
            let inserted = conn
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO path_runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)"
                ))
                .and_then(|mut st| {
                    st.execute(params![
                        row.id,
                        row.template,
                        row.actor,
                        row.status,
                        row.started_at,
                        row.finished_at,
                        row.doc
                    ])
                })
                .map_err(|e| sqlite_error(label, "cannot record the run", e))?;
            if inserted == 0 {
                return Err(run_conflict(&row.id, 0));
            }
            Ok(())
        })
        .await
    }

    async fn run_update(&self, row: &RunRow) -> Result<()> {
        let row = row.clone();
        self.write(move |conn, label| {
            let updated = conn
                .prepare_cached(
                    "UPDATE path_runs SET status = ?2, finished_at = ?3, revision = ?4, doc = ?5 \
                     WHERE id = ?1 AND revision = ?4 - 1",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        row.id,
                        row.status,
                        row.finished_at,
                        row.revision,
                        row.doc
                    ])
                })
                .map_err(|e| sqlite_error(label, "cannot record the run", e))?;
            if updated == 0 {
                return Err(run_conflict(&row.id, row.revision - 1));
            }
            Ok(())
        })
        .await
    }

    async fn run_get(&self, id: &str) -> Result<Option<RunRow>> {
        let id = id.to_string();
        self.read(move |conn, label| {
            conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM path_runs WHERE id = ?1"
            ))
            .and_then(|mut st| st.query_row([&id], run_row).optional())
            .map_err(|e| sqlite_error(label, "cannot read the run", e))
        })
        .await
    }

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>> {
        let (sql, values) = run_query(filter, '?');
        self.read(move |conn, label| {
            conn.prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_map(params_from_iter(values.iter()), run_row)?
                        .collect()
                })
                .map_err(|e| sqlite_error(label, "cannot list runs", e))
        })
        .await
    }
}
