//! The embedded SQLite store: a file (WAL mode) or an in-memory database.
//!
//! A file has two rusqlite connections, each behind a mutex: one writes,
//! one (read-only) serves queries, so reads go on during a long commit; an
//! in-memory database has one. Every call runs on tokio's blocking pool. A commit is one `BEGIN IMMEDIATE` transaction (so other
//! processes on the same file wait for it): read the current rows of the
//! batch's entities, plan (`store::plan`: etag checks, outcomes), write with
//! prepared statements, chain the audit records after the current head,
//! commit. Queries use the SQL of `query::sql`; rows become pages in
//! `store::page`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::stream::BoxStream;
use rusqlite::types::Value as SqlValue;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
    params_from_iter,
};

use super::facet_bits::{self, Bits, Need};
use super::facets;
use super::page::{self, RawRelation, RawRow};
use super::plan::{self, Current, RelationRecord, Row, Write};
use super::{BULK, ChangeBatch, CommitResult, ENTITY_COUNT, Store, migrations, sqlite_bulk};
use crate::audit::{self, AuditRecord};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::relations::RelationRow;
use crate::model::{Entity, EntityRef};
use crate::query::sql::{self, Dialect, Drive, Param, Sql};
use crate::query::{FacetCount, Page, Predicate, Query};

/// Keys per `IN (…)` list.
const CHUNK: usize = 500;

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    /// Commits go through this connection.
    writer: Arc<Mutex<Connection>>,
    /// Reads go through this one: for a file, a second, read-only connection
    /// (WAL lets it read while a long commit is under way); in memory, the writer.
    reader: Arc<Mutex<Connection>>,
    /// Facet sets for filtered facets and totals (`store::facet_bits`),
    /// used with the reader.
    pub(super) bits: Arc<Mutex<Option<Bits>>>,
    label: Arc<str>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("label", &self.label)
            .finish()
    }
}

/// A rusqlite error as a store error that says what failed and what to do.
pub(super) fn sqlite_error(label: &str, what: &str, e: rusqlite::Error) -> Error {
    let hint = match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => Some(
            "the database file or its directory is read-only; make both writable \
             (chmod u+w) or choose another --store sqlite:PATH",
        ),
        Some(ErrorCode::CannotOpen) => Some(
            "the file cannot be opened or created; check that the path names a file \
             and that its directory exists and is writable",
        ),
        Some(ErrorCode::NotADatabase) => Some(
            "the file is not a SQLite database; point --store sqlite:PATH at a new file \
             or an existing paved database",
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Some("another process holds the database lock; retry when it has finished")
        }
        Some(ErrorCode::DiskFull) => Some("the disk is full; free some space"),
        Some(ErrorCode::PermissionDenied) => {
            Some("permission denied; check the file's and directory's permissions")
        }
        _ => None,
    };
    let message = match hint {
        Some(h) => format!("{label}: {what}: {e} — {h}"),
        None => format!("{label}: {what}: {e}"),
    };
    Error::store(message, e)
}

fn blocking_error(e: tokio::task::JoinError) -> Error {
    Error::store("a SQLite task did not finish", e)
}

fn bind(params: &[Param]) -> Vec<SqlValue> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => SqlValue::Text(s.clone()),
            Param::Int(i) => SqlValue::Integer(*i),
        })
        .collect()
}

fn placeholders(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqliteStore {
    /// Open (or create) the database file at `path`: creates missing parent
    /// directories, turns on WAL and applies migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_path_buf();
        let label: Arc<str> = format!("sqlite:{}", path.display()).into();
        let l = label.clone();
        let (writer, reader) = tokio::task::spawn_blocking(move || {
            let writer = open_file(&path, &l)?;
            let reader = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| sqlite_error(&l, "cannot open the database for reading", e))?;
            configure(&reader, &l, Role::Reader)?;
            Ok::<_, Error>((writer, reader))
        })
        .await
        .map_err(blocking_error)??;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            bits: Arc::default(),
            label,
        })
    }

    /// A fresh in-memory database (for tests and dry runs).
    pub async fn memory() -> Result<Self> {
        let label: Arc<str> = "sqlite::memory:".into();
        let l = label.clone();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection> {
            let mut conn = Connection::open_in_memory()
                .map_err(|e| sqlite_error(&l, "opening an in-memory database", e))?;
            configure(&conn, &l, Role::Memory)?;
            migrate(&mut conn, &l)?;
            Ok(conn)
        })
        .await
        .map_err(blocking_error)??;
        let conn = Arc::new(Mutex::new(conn));
        Ok(Self {
            writer: conn.clone(),
            reader: conn,
            bits: Arc::default(),
            label,
        })
    }

    /// Run `f` with the writing connection on the blocking pool.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    {
        Self::run(self.writer.clone(), self.label.clone(), f).await
    }

    /// Run `f` with the reading connection on the blocking pool.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    {
        Self::run(self.reader.clone(), self.label.clone(), f).await
    }

    /// A read of a few rows by key (tens of microseconds): run on the
    /// calling thread when the reader is free, sparing the two thread hops
    /// of the blocking pool (most of a small read's time); otherwise as
    /// [`Self::read`].
    async fn read_small<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    {
        match self.inline(f) {
            Ok(result) => result,
            Err(f) => self.read(f).await,
        }
    }

    /// A read of `keys` rows by key: [`Self::read_small`] for up to
    /// [`SMALL_READ`] of them (a single-entity write's reads), else
    /// [`Self::read`].
    async fn read_keys<T, F>(&self, keys: usize, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    {
        if keys <= SMALL_READ {
            self.read_small(f).await
        } else {
            self.read(f).await
        }
    }

    /// `f` run here if the reader is free; `f` back if it is busy.
    fn inline<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: FnOnce(&mut Connection, &str) -> Result<T>,
    {
        let mut guard = match self.reader.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Err(f),
        };
        Ok(f(&mut guard, &self.label))
    }

    async fn run<T, F>(conn: Arc<Mutex<Connection>>, label: Arc<str>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard, &label)
        })
        .await
        .map_err(blocking_error)?
    }
}

fn open_file(path: &Path, label: &str) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::store(
                format!(
                    "{label}: cannot create the directory {} for the database: {e} — \
                     create it yourself or choose another --store sqlite:PATH",
                    dir.display()
                ),
                e,
            )
        })?;
    }
    if path.is_dir() {
        return Err(Error::store_msg(format!(
            "{label}: {} is a directory — give the path of a database file, e.g. {}",
            path.display(),
            path.join("paved.db").display()
        )));
    }
    let mut conn =
        Connection::open(path).map_err(|e| sqlite_error(label, "cannot open the database", e))?;
    if conn.is_readonly("main").unwrap_or(false) {
        return Err(Error::store_msg(format!(
            "{label}: {} is read-only — make it writable (chmod u+w {}) or choose another \
             --store sqlite:PATH",
            path.display(),
            path.display()
        )));
    }
    configure(&conn, label, Role::Writer)?;
    migrate(&mut conn, label)?;
    Ok(conn)
}

/// What a connection is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The file's writing connection: switches the file to WAL.
    Writer,
    /// The file's read-only connection.
    Reader,
    /// The one connection of an in-memory database.
    Memory,
}

fn configure(conn: &Connection, label: &str, role: Role) -> Result<()> {
    let err = |e| sqlite_error(label, "cannot configure the database", e);
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(err)?;
    if role == Role::Writer {
        // A new file's page size (an existing file keeps its own): set
        // before the first write, which the switch to WAL below is.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::store_msg(format!(
                "{label}: cannot switch the database to WAL mode (it stays in {mode} mode); \
                 check that the directory is writable"
            )));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // After a large commit is checkpointed, shrink the WAL file back.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(err)?;
    }
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(err)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &mut Connection, label: &str) -> Result<()> {
    let err = |e| sqlite_error(label, "cannot migrate the database schema", e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute_batch(migrations::VERSION_TABLE).map_err(err)?;
    let found: Option<i64> = tx
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .map_err(err)?;
    let version = found.unwrap_or(0);
    if version as usize > migrations::SQLITE.len() {
        return Err(Error::store_msg(migrations::too_new(
            label,
            version,
            migrations::SQLITE.len(),
        )));
    }
    if version as usize == migrations::SQLITE.len() {
        return Ok(());
    }
    for m in &migrations::SQLITE[version as usize..] {
        tx.execute_batch(m).map_err(err)?;
    }
    tx.execute("DELETE FROM schema_version", []).map_err(err)?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES (?1)",
        params![migrations::SQLITE.len() as i64],
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}

fn read_current(
    tx: &Transaction<'_>,
    keys: &[String],
) -> rusqlite::Result<HashMap<String, Current>> {
    let mut stmt =
        tx.prepare_cached("SELECT id, uid, etag, location FROM entities WHERE key = ?1")?;
    let mut current = HashMap::new();
    for k in keys {
        if let Some(c) = stmt
            .query_row(params![k], |r| {
                Ok(Current {
                    id: r.get(0)?,
                    uid: r.get(1)?,
                    etag: r.get(2)?,
                    location: r.get(3)?,
                })
            })
            .optional()?
        {
            current.insert(k.clone(), c);
        }
    }
    Ok(current)
}

/// The columns of a relation row, in the order rows are written.
pub(super) const RELATION_COLUMNS: &str =
    "originating_entity_id, source_key, source_ref, type, target_key, target_ref";

/// Writes the batch's rows; relation rows go to `relations_table`
/// (`relations`, or a bulk load's table: see `sqlite_bulk`).
fn execute_writes(
    tx: &Transaction<'_>,
    writes: Vec<Write>,
    at: &str,
    relations_table: &str,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO entities (key, uid, kind, namespace, name, etag, location, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE entities SET key = ?2, uid = ?3, kind = ?4, namespace = ?5, name = ?6, etag = ?7, \
         location = ?8, updated_at = ?9 WHERE id = ?1",
    )?;
    let mut insert_body =
        tx.prepare_cached("INSERT INTO bodies (entity_id, body) VALUES (?1, ?2)")?;
    let mut delete_body = tx.prepare_cached("DELETE FROM bodies WHERE entity_id = ?1")?;
    let mut relocate = tx.prepare_cached("UPDATE entities SET location = ?2 WHERE id = ?1")?;
    let mut delete = tx.prepare_cached("DELETE FROM entities WHERE id = ?1")?;
    let mut delete_search = tx.prepare_cached("DELETE FROM search WHERE entity_id = ?1")?;
    let mut delete_relations =
        tx.prepare_cached("DELETE FROM relations WHERE originating_entity_id = ?1")?;
    let mut delete_fts = tx.prepare_cached("DELETE FROM entities_fts WHERE rowid = ?1")?;
    let mut insert_search =
        tx.prepare_cached("INSERT INTO search (entity_id, key, value) VALUES (?1, ?2, ?3)")?;
    let mut insert_relation = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO {relations_table} ({RELATION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))?;
    let mut insert_fts =
        tx.prepare_cached("INSERT INTO entities_fts (rowid, doc) VALUES (?1, ?2)")?;
    let mut insert_word =
        tx.prepare_cached("INSERT OR IGNORE INTO fts_words (word) VALUES (?1)")?;
    let mut old_facets = tx.prepare_cached(&facets::old_rows_sql(false))?;
    let mut tally = facets::Tally::default();
    let mut forget = |id: i64, tally: &mut facets::Tally| -> rusqlite::Result<()> {
        let rows = old_facets
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for pairs in facets::by_entity(rows) {
            tally.entity(&pairs, -1);
        }
        Ok(())
    };

    // In chunks, each chunk's rows made as it is written: entity rows
    // first, then the chunk's derived rows sorted by index key, so index
    // inserts land near each other instead of all over. The chunk's
    // entities are dropped with it.
    for chunk in crate::parallel::batches(writes, WRITE_CHUNK) {
        let rows = plan::rows(&chunk);
        let mut written: Vec<(i64, &Row<'_>)> = Vec::with_capacity(chunk.len());
        for (w, row) in chunk.iter().zip(&rows) {
            match (w, row) {
                (Write::Insert(_), Some(row)) => {
                    insert.execute(params![
                        row.key,
                        row.uid,
                        row.kind,
                        row.namespace,
                        row.name,
                        row.etag,
                        row.location,
                        at
                    ])?;
                    written.push((tx.last_insert_rowid(), row));
                }
                (Write::Update { id, .. }, Some(row)) => {
                    forget(*id, &mut tally)?;
                    update.execute(params![
                        id,
                        row.key,
                        row.uid,
                        row.kind,
                        row.namespace,
                        row.name,
                        row.etag,
                        row.location,
                        at
                    ])?;
                    delete_body.execute(params![id])?;
                    delete_search.execute(params![id])?;
                    delete_relations.execute(params![id])?;
                    delete_fts.execute(params![id])?;
                    written.push((*id, row));
                }
                (Write::Relocate { id, location }, _) => {
                    relocate.execute(params![id, location])?;
                }
                (Write::Delete { id }, _) => {
                    forget(*id, &mut tally)?;
                    delete_search.execute(params![id])?;
                    delete_relations.execute(params![id])?;
                    delete_fts.execute(params![id])?;
                    delete_body.execute(params![id])?;
                    delete.execute(params![id])?;
                }
                // `plan::rows` makes a row for every insert and update.
                (Write::Insert(_) | Write::Update { .. }, None) => {}
            }
        }
        for (id, row) in &written {
            insert_body.execute(params![id, row.body])?;
            insert_fts.execute(params![id, row.fts])?;
            tally.entity(&facets::rows_of(row), 1);
        }
        // The documents' words, each once, in order (`sql::Spelled`).
        let mut words: Vec<&str> = written
            .iter()
            .flat_map(|(_, row)| sql::document_words(&row.fts))
            .collect();
        words.sort_unstable();
        words.dedup();
        for word in words {
            insert_word.execute(params![word])?;
        }
        let mut search: Vec<(&str, Option<&str>, i64)> = written
            .iter()
            .flat_map(|(id, row)| {
                row.search
                    .iter()
                    .map(|s| (s.key.as_str(), s.value.as_deref(), *id))
            })
            .collect();
        search.sort_unstable();
        for (k, v, id) in search {
            insert_search.execute(params![id, k, v])?;
        }
        let mut relations: Vec<(&RelationRecord, i64)> = written
            .iter()
            .flat_map(|(id, row)| row.relations.iter().map(|r| (r, *id)))
            .collect();
        relations.sort_unstable_by(|(a, x), (b, y)| {
            (&a.source_key, a.r#type, &a.target_key, x).cmp(&(
                &b.source_key,
                b.r#type,
                &b.target_key,
                y,
            ))
        });
        for (r, id) in relations {
            insert_relation.execute(params![
                id,
                r.source_key,
                r.source_ref,
                r.r#type,
                r.target_key,
                r.target_ref
            ])?;
        }
    }
    apply_facet_changes(tx, tally.changes())
}

/// Add a commit's facet count changes to `facet_counts`, dropping values
/// no entity has any more.
fn apply_facet_changes(
    tx: &Transaction<'_>,
    changes: Vec<(String, String, String, i64)>,
) -> rusqlite::Result<()> {
    let mut add = tx.prepare_cached(
        "INSERT INTO facet_counts (scope, field, value, n) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (scope, field, value) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut drop = tx.prepare_cached(
        "DELETE FROM facet_counts WHERE scope = ?1 AND field = ?2 AND value = ?3 AND n <= 0",
    )?;
    for (scope, field, value, n) in changes {
        add.execute(params![scope, field, value, n])?;
        if n < 0 {
            drop.execute(params![scope, field, value])?;
        }
    }
    Ok(())
}

/// Add a commit's changes to `location_counts`, dropping locations that
/// provide no entity any more.
fn apply_location_changes(tx: &Transaction<'_>, changes: &[(String, i64)]) -> rusqlite::Result<()> {
    let mut add = tx.prepare_cached(
        "INSERT INTO location_counts (location, n) VALUES (?1, ?2) \
         ON CONFLICT (location) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut drop =
        tx.prepare_cached("DELETE FROM location_counts WHERE location = ?1 AND n <= 0")?;
    for (location, n) in changes {
        add.execute(params![location, n])?;
        if *n < 0 {
            drop.execute(params![location])?;
        }
    }
    Ok(())
}

/// Entities a read may fetch by key on the calling thread (see `read_small`).
const SMALL_READ: usize = 16;

/// Entities per chunk of writes.
const WRITE_CHUNK: usize = 2000;

/// Page cache in KiB: for normal use, and for large batches, whose index
/// inserts otherwise spill to the WAL and are read back from it.
const CACHE_KIB: i64 = 64 * 1024;
const BULK_CACHE_KIB: i64 = 1024 * 1024;
/// Bytes a page of a new database file holds (SQLite's default is 4096).
/// Half the pages for the same rows: a first import of 1,000,000 entities
/// writes half the WAL frames, and each page it reads back is looked up
/// among half as many (164.7 s against 187.9 s, medians of two, same
/// machine; reads measured the same: BENCHMARKS.md, "Larger pages").
const PAGE_SIZE: i64 = 8192;
/// SQLite's default: checkpoint at commit once the WAL holds this many pages.
const WAL_AUTOCHECKPOINT: i64 = 1000;

/// Whether a batch is large enough to checkpoint after it, off the caller's time.
fn is_bulk(batch: &ChangeBatch) -> bool {
    batch.changes.len() >= BULK
}

fn commit_blocking(conn: &mut Connection, label: &str, batch: ChangeBatch) -> Result<CommitResult> {
    let bulk = is_bulk(&batch);
    if bulk {
        // No checkpoint at commit: the store runs it after the commit has
        // returned (see `SqliteStore::commit`).
        // Temporary tables (a bulk load's relation rows, `sqlite_bulk`) on
        // disk: held in memory they took the import past 3.9 GB.
        conn.execute_batch(&format!(
            "PRAGMA cache_size = {}; PRAGMA wal_autocheckpoint = 0; PRAGMA temp_store = FILE;",
            -BULK_CACHE_KIB
        ))
        .map_err(|e| sqlite_error(label, "cannot configure the database", e))?;
    }
    let result = commit_in_transaction(conn, label, batch, bulk);
    if bulk {
        // Give the memory back.
        conn.execute_batch(&format!(
            "PRAGMA cache_size = {}; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}; \
             PRAGMA temp_store = MEMORY; PRAGMA shrink_memory;",
            -CACHE_KIB
        ))
        .map_err(|e| sqlite_error(label, "cannot configure the database", e))?;
    }
    result
}

/// Commits `batch` in one transaction; `bulk` is [`is_bulk`] of it.
fn commit_in_transaction(
    conn: &mut Connection,
    label: &str,
    mut batch: ChangeBatch,
    bulk: bool,
) -> Result<CommitResult> {
    let err = |e| sqlite_error(label, "cannot write the batch", e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    if let Some(guard) = &batch.unless_recorded {
        let found: Option<String> = tx
            .query_row(
                &format!(
                    "SELECT action FROM audit WHERE lower(subject) = ?1 AND action IN ({}) LIMIT 1",
                    placeholders(guard.actions.len(), 2)
                ),
                params_from_iter(std::iter::once(&guard.subject).chain(guard.actions.iter())),
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if let Some(action) = found {
            return Err(guard.refused(&action));
        }
    }
    // A large batch into an empty store (a first import): rows first,
    // indexes after (`sqlite_bulk`).
    let bulk_load = bulk && sqlite_bulk::store_is_empty(&tx).map_err(err)?;
    if bulk_load {
        sqlite_bulk::start(&tx).map_err(err)?;
    }
    let keys = plan::keys(&batch);
    let current = read_current(&tx, &keys).map_err(err)?;
    // A conflict returns here; dropping `tx` rolls back (nothing was written).
    let planned = plan::plan(&mut batch, &keys, &current)?;
    drop(keys);
    let at = audit::now();
    let head: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(err)?;
    let mut sealed = planned.seal(head.map(|(s, h)| (s as u64, h)), &at);
    let relations_table = if bulk_load {
        sqlite_bulk::RELATIONS_TABLE
    } else {
        "relations"
    };
    execute_writes(
        &tx,
        std::mem::take(&mut sealed.writes),
        &at,
        relations_table,
    )
    .map_err(err)?;
    if bulk_load {
        sqlite_bulk::finish(&tx).map_err(err)?;
    }
    apply_location_changes(&tx, &sealed.locations).map_err(err)?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(err)?;
        loop {
            let chunk = sealed.next_records(plan::LOG_CHUNK);
            if chunk.is_empty() {
                break;
            }
            for r in &chunk {
                insert
                    .execute(params![
                        r.seq as i64,
                        r.at,
                        r.actor,
                        r.action,
                        r.subject,
                        r.details.to_string(),
                        r.prev_hash,
                        r.hash
                    ])
                    .map_err(err)?;
            }
        }
    }
    tx.commit().map_err(err)?;
    Ok(sealed.finish())
}

/// The words of a search spelled out as the index's words they begin, for
/// each word that begins few ([`sql::Spelled`]).
fn spell(conn: &Connection, text: &str) -> rusqlite::Result<sql::Spelled> {
    let mut spelled = sql::Spelled::new();
    for word in sql::text_tokens(text) {
        if spelled.contains_key(&word) {
            continue;
        }
        let list = sql::words_beginning(&word);
        let words = conn
            .prepare_cached(&list.text)?
            .query_map(params_from_iter(bind(&list.params)), |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        if words.len() <= sql::WORDS_PER_PREFIX {
            spelled.insert(word, words);
        }
    }
    Ok(spelled)
}

/// About how many entities are stored (the largest id: one index lookup).
fn entity_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(ENTITY_COUNT, [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
}

/// Kept rows `(entity_id, field, value)` from `facets`' statements.
fn kept_rows<P: rusqlite::Params>(
    stmt: &mut rusqlite::CachedStatement<'_>,
    p: P,
    out: &mut Vec<(i64, String, String)>,
) -> rusqlite::Result<()> {
    let rows = stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for r in rows {
        out.push(r?);
    }
    Ok(())
}

/// Run `f` on the facet sets brought up to the audit log's head (see
/// `store::facet_bits`), read in one snapshot of the database.
fn with_bits<T>(
    conn: &mut Connection,
    bits: &Mutex<Option<Bits>>,
    f: impl FnOnce(&Bits) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    let tx = conn.transaction()?;
    let head = tx.query_row(facet_bits::HEAD, [], |r| r.get::<_, i64>(0))? as u64;
    let mut guard = bits
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match Bits::need(guard.as_ref(), head) {
        Need::NotYet => {
            *guard = Some(Bits::asked());
            return Ok(None);
        }
        Need::Nothing => {}
        Need::Rebuild => {
            let entities = tx
                .prepare_cached("SELECT id, key FROM entities")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut rows = Vec::new();
            kept_rows(
                &mut tx.prepare_cached(&facets::all_set_rows_sql())?,
                [],
                &mut rows,
            )?;
            *guard = Some(Bits::build(head, entities, rows));
        }
        Need::Changes { after } => {
            let subjects = tx
                .prepare_cached("SELECT subject FROM audit WHERE seq > ?1 AND seq <= ?2")?
                .query_map(params![after as i64, head as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let keys = facet_bits::keys_of(&subjects);
            let mut id_of = tx.prepare_cached("SELECT id FROM entities WHERE key = ?1")?;
            let mut rows_of = tx.prepare_cached(&facets::set_rows_sql(false))?;
            let (mut present, mut rows) = (Vec::new(), Vec::new());
            for key in &keys {
                if let Some(id) = id_of.query_row([key], |r| r.get::<_, i64>(0)).optional()? {
                    present.push((id, key.clone()));
                    kept_rows(&mut rows_of, [id], &mut rows)?;
                }
            }
            if let Some(b) = guard.as_mut() {
                b.apply(head, &keys, present, rows);
            }
        }
    }
    Ok(guard.as_ref().and_then(f))
}

/// Relations whose source is one of `keys`: (source key, type, target ref).
fn relations_for(conn: &Connection, keys: &[String]) -> rusqlite::Result<Vec<RawRelation>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let sql = format!(
            "SELECT source_key, type, min(coalesce(target_ref, target_key)) FROM relations \
             WHERE source_key IN ({}) GROUP BY source_key, type, target_key",
            placeholders(chunk.len(), 1)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
            Ok(RawRelation {
                source_key: r.get(0)?,
                r#type: r.get(1)?,
                target_ref: r.get(2)?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Bodies by entity id.
fn bodies_for(conn: &Connection, ids: &[i64]) -> rusqlite::Result<HashMap<i64, String>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT entity_id, body FROM bodies WHERE entity_id IN ({})",
            placeholders(chunk.len(), 1)
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, body) = row?;
            out.insert(id, body);
        }
    }
    Ok(out)
}

/// Entities by key, with relations, in the order of `keys` (missing skipped).
fn entities_by_keys(conn: &Connection, label: &str, keys: &[String]) -> Result<Vec<Entity>> {
    let err = |e| sqlite_error(label, "cannot read entities", e);
    let mut bodies: HashMap<String, String> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let sql = format!(
            "SELECT e.key, b.body FROM entities e JOIN bodies b ON b.entity_id = e.id \
             WHERE e.key IN ({})",
            placeholders(chunk.len(), 1)
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
        let rows = stmt
            .query_map(params_from_iter(chunk.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (k, b) = row.map_err(err)?;
            bodies.insert(k, b);
        }
    }
    let found: Vec<String> = keys
        .iter()
        .filter(|k| bodies.contains_key(*k))
        .cloned()
        .collect();
    let mut rels: HashMap<String, Vec<crate::model::Relation>> = HashMap::new();
    for r in relations_for(conn, &found).map_err(err)? {
        rels.entry(r.source_key)
            .or_default()
            .push(page::relation(&r.r#type, r.target_ref));
    }
    let mut out = Vec::with_capacity(found.len());
    let mut seen = std::collections::HashSet::new();
    for k in found {
        if !seen.insert(k.clone()) {
            continue;
        }
        let body = &bodies[&k];
        out.push(page::entity(&k, body, rels.remove(&k).unwrap_or_default())?);
    }
    Ok(out)
}

fn query_rows<T>(
    conn: &Connection,
    sql: &Sql,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(&sql.text)?;
    let rows = stmt.query_map(params_from_iter(bind(&sql.params)), f)?;
    rows.collect()
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditRecord, String)> {
    Ok((
        AuditRecord {
            seq: r.get::<_, i64>(0)? as u64,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            details: serde_json::Value::Null,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        },
        r.get(5)?,
    ))
}

fn with_details(label: &str, rows: Vec<(AuditRecord, String)>) -> Result<Vec<AuditRecord>> {
    rows.into_iter()
        .map(|(mut rec, details)| {
            rec.details = serde_json::from_str(&details).map_err(|e| {
                Error::store(
                    format!(
                        "{label}: audit record {} has unreadable details; the log may have been edited",
                        rec.seq
                    ),
                    e,
                )
            })?;
            Ok(rec)
        })
        .collect()
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, details, prev_hash, hash";

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        self.label.to_string()
    }

    async fn commit(&self, batch: ChangeBatch) -> Result<CommitResult> {
        let bulk = is_bulk(&batch);
        let result = self
            .write(move |conn, label| commit_blocking(conn, label, batch))
            .await?;
        if bulk {
            // After a large commit: the large WAL copied into the database
            // and truncated, then fresh planner statistics when many rows
            // were written. Both take seconds the caller need not wait for:
            // the commit is already durable in the WAL, and readers read
            // through it. The next write waits for the writer's lock. The
            // checkpoint goes first: until it is done, every page a reader
            // (or ANALYZE) misses in its cache is looked up in the WAL's
            // index, which takes longer the larger the WAL is (at 1,000,000
            // entities, 45% of the samples after the import). When many
            // rows were written, the full-text index's segments are then
            // merged into one (a search counts its matches in fewer lists:
            // 4.3 against 3.7 ms for 70,000 matches at 1,000,000 entities,
            // for 0.6 s once), copied in too, before ANALYZE.
            let sql = if result.changed() >= BULK {
                "PRAGMA wal_checkpoint(TRUNCATE); \
                 INSERT INTO entities_fts (entities_fts) VALUES ('optimize'); \
                 PRAGMA wal_checkpoint(TRUNCATE); PRAGMA analysis_limit = 1000; ANALYZE;"
            } else {
                "PRAGMA wal_checkpoint(TRUNCATE);"
            };
            let writer = self.writer.clone();
            let label = self.label.clone();
            tokio::task::spawn_blocking(move || {
                let conn = writer.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = conn.execute_batch(sql) {
                    tracing::warn!(store = &*label, "upkeep after a large commit failed: {e}");
                }
            });
        }
        Ok(result)
    }

    async fn get(&self, entity_ref: &EntityRef) -> Result<Option<Entity>> {
        let key = entity_ref.key();
        self.read_small(move |conn, label| Ok(entities_by_keys(conn, label, &[key])?.pop()))
            .await
    }

    async fn get_many(&self, refs: &[EntityRef]) -> Result<Vec<Entity>> {
        let keys: Vec<String> = refs.iter().map(EntityRef::key).collect();
        self.read_keys(refs.len(), move |conn, label| {
            entities_by_keys(conn, label, &keys)
        })
        .await
    }

    async fn existing(&self, refs: &[EntityRef]) -> Result<Vec<EntityRef>> {
        let keys: Vec<String> = refs.iter().map(EntityRef::key).collect();
        self.read_keys(keys.len(), move |conn, label| {
            let err = |e| sqlite_error(label, "cannot read entities", e);
            let mut out = Vec::new();
            for chunk in keys.chunks(CHUNK) {
                let sql = format!(
                    "SELECT kind, namespace, name FROM entities WHERE key IN ({}) ORDER BY key",
                    placeholders(chunk.len(), 1)
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
                let rows = stmt
                    .query_map(params_from_iter(chunk.iter()), |r| {
                        Ok(EntityRef::new(
                            &r.get::<_, String>(0)?,
                            &r.get::<_, String>(1)?,
                            &r.get::<_, String>(2)?,
                        ))
                    })
                    .map_err(err)?;
                for r in rows {
                    out.push(r.map_err(err)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let q = query.clone();
        let req = page::request(&q)?;
        let bits = self.bits.clone();
        self.read(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot run the query", e);
            // SQLite plans by the form of the SQL: put the most selective
            // condition of each conjunction first, and let it lead when it
            // is selective enough.
            // `planned` is only for the SQL: cursors stay tied to the query
            // as asked.
            let mut planned = q.clone();
            let mut lead = false;
            if let Some(f) = &q.filter {
                let mut failed = None;
                let (ordered, selective) = sql::most_selective_first(f, &mut |c| {
                    let est = sql::estimate(Dialect::Sqlite, c)?;
                    conn.prepare_cached(&est.text)
                        .and_then(|mut s| {
                            s.query_row(params_from_iter(bind(&est.params)), |r| r.get::<_, i64>(0))
                        })
                        .map_err(|e| failed = Some(e))
                        .ok()
                        .map(|n| n as u64)
                });
                if let Some(e) = failed {
                    return Err(err(e));
                }
                planned.filter = Some(ordered);
                lead = selective;
            }
            let lists = if lead { Drive::Lead } else { Drive::Lists };
            // A total the facet sets count (`store::facet_bits`).
            let counted = match facet_bits::for_total(&q) {
                Some(f) => with_bits(conn, &bits, |b| b.matches(f)).map_err(err)?,
                None => None,
            };
            let spelled = match q.text.as_deref() {
                Some(text) => Some(spell(conn, text).map_err(err)?),
                None => None,
            };
            let total = match counted {
                Some(m) => m.len() as i64,
                None => {
                    let count = sql::count(
                        Dialect::Sqlite,
                        planned.filter.as_ref(),
                        planned.text.as_deref(),
                        lists,
                        spelled.as_ref(),
                    );
                    conn.prepare_cached(&count.text)
                        .and_then(|mut s| {
                            s.query_row(params_from_iter(bind(&count.params)), |r| r.get(0))
                        })
                        .map_err(err)?
                }
            };
            let n = req.order.len();
            let rows = if req.limit == 0 {
                Vec::new()
            } else {
                // SQLite plans by the form of the SQL: walk entities in key
                // order when many match, start from the index lists when few do.
                let drive = if req.order.is_empty() {
                    let entities = entity_count(conn).map_err(err)?;
                    match Drive::for_page(total as u64, entities, req.limit as u64) {
                        Drive::Probe => Drive::Probe,
                        _ => lists,
                    }
                } else {
                    lists
                };
                let raw = |r: &rusqlite::Row<'_>| {
                    let mut sort = Vec::with_capacity(n);
                    for i in 0..n {
                        sort.push(r.get::<_, Option<String>>(2 + i)?);
                    }
                    Ok(RawRow {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        sort,
                    })
                };
                let spec = page::spec(&planned, &req, drive, spelled.as_ref());
                let walks = match page::walks(&planned, &req) {
                    Some(w) => w,
                    None => page::walks_at(&req, total as u64, entity_count(conn).map_err(err)?),
                };
                if walks {
                    let (valued, missing) = sql::walk(Dialect::Sqlite, &spec);
                    let mut rows = match valued {
                        Some(v) => query_rows(conn, &v, raw).map_err(err)?,
                        None => Vec::new(),
                    };
                    if rows.len() < spec.limit as usize {
                        let more = query_rows(conn, &missing, raw).map_err(err)?;
                        let room = spec.limit as usize - rows.len();
                        rows.extend(more.into_iter().take(room));
                    }
                    rows
                } else {
                    query_rows(conn, &sql::page(Dialect::Sqlite, &spec), raw).map_err(err)?
                }
            };
            let bodies = bodies_for(conn, &page::page_ids(&rows, &req)).map_err(err)?;
            let relations = if page::wants_relations(&q) {
                relations_for(conn, &page::page_keys(&rows, &req)).map_err(err)?
            } else {
                Vec::new()
            };
            page::assemble(&q, &req, rows, bodies, relations, total as u64)
        })
        .await
    }

    async fn facets(
        &self,
        field: &str,
        filter: Option<&Predicate>,
        limit: Option<usize>,
    ) -> Result<Vec<FacetCount>> {
        let sql = sql::facets(Dialect::Sqlite, field, filter, limit);
        let sets = facet_bits::for_facets(field, filter);
        let bits = self.bits.clone();
        self.read(move |conn, label| {
            if let Some(f) = sets {
                let got = with_bits(conn, &bits, |b| b.facets(&f.0, &f.1, limit))
                    .map_err(|e| sqlite_error(label, "cannot count facets", e))?;
                if let Some(counts) = got {
                    return Ok(counts);
                }
            }
            query_rows(conn, &sql, |r| {
                Ok(FacetCount {
                    value: r.get(0)?,
                    count: r.get::<_, i64>(1)? as u64,
                })
            })
            .map_err(|e| sqlite_error(label, "cannot count facets", e))
        })
        .await
    }

    async fn relations_of(
        &self,
        refs: &[EntityRef],
        types: &[&str],
        limit: Option<usize>,
    ) -> Result<Vec<RelationRow>> {
        let keys: Vec<String> = refs.iter().map(EntityRef::key).collect();
        let types: Vec<String> = types.iter().map(|t| t.to_lowercase()).collect();
        self.read(move |conn, label| {
            let err = |e| sqlite_error(label, "cannot read relations", e);
            let mut raw = Vec::new();
            for chunk in keys.chunks(CHUNK) {
                let room = match limit {
                    Some(n) if raw.len() >= n => break,
                    Some(n) => (n - raw.len()) as i64,
                    None => -1,
                };
                let mut sql = format!(
                    "SELECT min(coalesce(source_ref, source_key)), type, \
                     min(coalesce(target_ref, target_key)) FROM relations WHERE source_key IN ({})",
                    placeholders(chunk.len(), 1)
                );
                if !types.is_empty() {
                    sql.push_str(&format!(
                        " AND type IN ({})",
                        placeholders(types.len(), chunk.len() + 1)
                    ));
                }
                sql.push_str(&format!(
                    " GROUP BY source_key, type, target_key ORDER BY source_key, type, target_key \
                     LIMIT {room}"
                ));
                let mut stmt = conn.prepare(&sql).map_err(err)?;
                let rows = stmt
                    .query_map(params_from_iter(chunk.iter().chain(types.iter())), |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .map_err(err)?;
                for r in rows {
                    raw.push(r.map_err(err)?);
                }
            }
            raw.into_iter()
                .map(|(s, t, d)| page::relation_row(label, &s, &t, &d))
                .collect()
        })
        .await
    }

    async fn entities_of_location(&self, location: &str) -> Result<Vec<EntityRef>> {
        let location = location.to_string();
        self.read(move |conn, label| {
            let sql = Sql {
                text: "SELECT kind, namespace, name FROM entities WHERE location = ?1 ORDER BY key"
                    .into(),
                params: vec![Param::Text(location)],
            };
            query_rows(conn, &sql, |r| {
                Ok(EntityRef::new(
                    &r.get::<_, String>(0)?,
                    &r.get::<_, String>(1)?,
                    &r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| sqlite_error(label, "cannot read entities of a location", e))
        })
        .await
    }

    async fn locations(&self) -> Result<Vec<(String, u64)>> {
        self.read(move |conn, label| {
            let sql = Sql {
                text: "SELECT location, n FROM location_counts ORDER BY location".into(),
                params: vec![],
            };
            query_rows(conn, &sql, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| sqlite_error(label, "cannot read the locations", e))
        })
        .await
    }

    async fn location_size(&self, location: &str) -> Result<u64> {
        let location = location.to_string();
        self.read(move |conn, label| {
            conn.query_row(
                "SELECT coalesce((SELECT n FROM location_counts WHERE location = ?1), 0)",
                [location],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| sqlite_error(label, "cannot count the entities of a location", e))
        })
        .await
    }

    async fn audit_records(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        self.read(move |conn, label| {
            let sql = Sql {
                text: format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ),
                params: vec![Param::Int(after as i64), Param::Int(limit as i64)],
            };
            let rows = query_rows(conn, &sql, audit_row)
                .map_err(|e| sqlite_error(label, "cannot read the audit log", e))?;
            with_details(label, rows)
        })
        .await
    }

    async fn latest_policy_change(&self) -> Result<u64> {
        fn latest(conn: &mut Connection, label: &str) -> Result<u64> {
            conn.prepare_cached(migrations::LATEST_POLICY_CHANGE)
                .and_then(|mut st| st.query_row([], |row| row.get::<_, i64>(0)))
                .map(|seq| seq as u64)
                .map_err(|e| sqlite_error(label, "cannot read the audit log", e))
        }
        // Every write asks this first. It is one lookup at the end of a
        // partial index, cheaper than the hop to the blocking pool, so it
        // runs here when the reading connection is free.
        if let Ok(mut conn) = self.reader.try_lock() {
            return latest(&mut conn, &self.label);
        }
        self.read(latest).await
    }

    async fn audit_about(&self, subject: &str, limit: usize) -> Result<Vec<AuditRecord>> {
        let subject = subject.to_string();
        self.read(move |conn, label| {
            let sql = Sql {
                text: format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE lower(subject) = ?1 ORDER BY seq DESC LIMIT ?2"
                ),
                params: vec![Param::Text(subject), Param::Int(limit as i64)],
            };
            let rows = query_rows(conn, &sql, audit_row)
                .map_err(|e| sqlite_error(label, "cannot read the audit log", e))?;
            with_details(label, rows)
        })
        .await
    }

    async fn audit_about_many(
        &self,
        subjects: &[String],
        actions: &[&str],
    ) -> Result<Vec<AuditRecord>> {
        if subjects.is_empty() || actions.is_empty() {
            return Ok(Vec::new());
        }
        let subjects = subjects.to_vec();
        let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        self.read(move |conn, label| {
            let mut rows = Vec::new();
            for chunk in subjects.chunks(CHUNK) {
                let sql = Sql {
                    text: format!(
                        "SELECT {AUDIT_COLUMNS} FROM audit WHERE lower(subject) IN ({}) AND action IN ({}) ORDER BY seq",
                        placeholders(chunk.len(), 1),
                        placeholders(actions.len(), chunk.len() + 1)
                    ),
                    params: chunk
                        .iter()
                        .chain(&actions)
                        .map(|t| Param::Text(t.clone()))
                        .collect(),
                };
                rows.extend(
                    query_rows(conn, &sql, audit_row)
                        .map_err(|e| sqlite_error(label, "cannot read the audit log", e))?,
                );
            }
            let mut records = with_details(label, rows)?;
            records.sort_by_key(|r| r.seq);
            Ok(records)
        })
        .await
    }

    async fn audit_by_action(
        &self,
        action: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>> {
        let action = action.to_string();
        let before = before.map_or(i64::MAX, |b| b as i64);
        self.read(move |conn, label| {
            let sql = Sql {
                text: format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE action = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                params: vec![
                    Param::Text(action),
                    Param::Int(before),
                    Param::Int(limit as i64),
                ],
            };
            let rows = query_rows(conn, &sql, audit_row)
                .map_err(|e| sqlite_error(label, "cannot read the audit log", e))?;
            with_details(label, rows)
        })
        .await
    }

    async fn remote_events(&self, _origin: &str) -> Result<Option<BoxStream<'static, Event>>> {
        Ok(None)
    }
}
