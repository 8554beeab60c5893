//! A first import into an empty SQLite store, written the way a bulk load
//! is: the rows first, the indexes they would otherwise enter one at a
//! random place at a time built after them.
//!
//! Two structures take a large batch's rows out of order: the index of
//! filter rows by key and value (`search_key_value`: a chunk's rows go to
//! every part of it), and `relations`, clustered by source, which every
//! entity's reverse rows enter at their targets (a component's `ownerOf`
//! row under its team). Once they outgrow SQLite's page cache each insert
//! reads a page back from the WAL: at 1,000,000 entities, 64 s and 62 s of
//! a 225 s import. So a large batch into an empty store (see
//! [`store_is_empty`]) drops `search_key_value` and `relations_origin`, writes its
//! relation rows to a temporary table, and at the end
//! ([`finish`]) copies them into `relations` in key order and builds the
//! two indexes, each one sort. All of it inside the commit's transaction: a
//! batch that fails rolls back to the migrated schema.

use rusqlite::{Connection, Transaction};

use super::migrations;
use super::sqlite::RELATION_COLUMNS;

/// Where a bulk load writes relation rows until [`finish`].
pub(super) const RELATIONS_TABLE: &str = "temp.relations_load";

/// Whether no entity is stored yet: a large batch (`store::BULK` or more)
/// into such a store is written as a bulk load.
pub(super) fn store_is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM entities)", [], |r| {
        r.get(0)
    })
}

/// Before the batch's writes.
pub(super) fn start(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(&format!(
        "DROP INDEX search_key_value; DROP INDEX relations_origin; \
         CREATE TABLE {RELATIONS_TABLE} (originating_entity_id INTEGER NOT NULL, \
         source_key TEXT NOT NULL, source_ref TEXT, type TEXT NOT NULL, \
         target_key TEXT NOT NULL, target_ref TEXT);"
    ))
}

/// After the batch's writes: the relation rows in key order, then the
/// indexes, as the migrations made them.
pub(super) fn finish(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO relations ({RELATION_COLUMNS}) SELECT {RELATION_COLUMNS} FROM {RELATIONS_TABLE} \
         ORDER BY source_key, type, target_key, originating_entity_id; \
         DROP TABLE {RELATIONS_TABLE}; {}; {};",
        migrations::SQLITE_RELATIONS_ORIGIN,
        migrations::SQLITE_SEARCH_KEY_VALUE
    ))
}
