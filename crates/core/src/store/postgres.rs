//! The PostgreSQL store: several processes sharing one platform.
//!
//! A deadpool of tokio-postgres connections. A commit is one transaction
//! that first takes a transaction-scoped advisory lock, so writers from
//! every process are serialized: the entities named by the batch are read
//! `FOR UPDATE`, planned (`store::plan`: etag checks, outcomes), written in
//! bulk (`INSERT … SELECT FROM unnest(…)`, a statement per few thousand
//! rows), the audit records are chained after the head of the one chain, and
//! every event is sent with `pg_notify('paved_events', …)`, which PostgreSQL
//! delivers only when the transaction commits. [`Store::remote_events`]
//! LISTENs on a dedicated connection and yields the events of other origins.
//! Queries use the SQL of `query::sql`; rows become pages in `store::page`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, NoTls};

use super::facet_bits::{self, Bits, Need};
use super::facets;
use super::page::{self, RawRelation, RawRow};
use super::plan::{self, Current, RelationRecord, Row, Write};
use super::{BULK, ChangeBatch, CommitResult, Store, migrations};
use crate::audit::{self, AuditRecord};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::relations::RelationRow;
use crate::model::{Entity, EntityRef};
use crate::query::sql::{self, Dialect, Drive, Param, Sql};
use crate::query::{FacetCount, Page, Predicate, Query};

/// The NOTIFY channel events travel on.
pub const CHANNEL: &str = "paved_events";
/// Advisory lock serializing writers (and so the audit chain): "paved" + 1.
const WRITE_LOCK: i64 = 0x7061_7665_6401;
/// Advisory lock serializing migrations: "paved" + 2.
const MIGRATION_LOCK: i64 = 0x7061_7665_6402;
/// Entities per bulk statement.
const ENTITY_CHUNK: usize = 2000;

/// Session option: plan prepared statements for each run's parameters.
const CUSTOM_PLANS: &str = "-c plan_cache_mode=force_custom_plan";
/// NOTIFY payloads must stay below 8000 bytes.
const MAX_PAYLOAD: usize = 7900;

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    config: tokio_postgres::Config,
    /// `host:port/database`.
    target: String,
    /// Facet sets for filtered facets and totals (`store::facet_bits`).
    pub(super) bits: std::sync::Arc<tokio::sync::Mutex<Option<Bits>>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish()
    }
}

/// `host:port/database` of a config, for messages (never the password).
fn target(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// The innermost cause of an error, as text.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    if let Some(io) = cur.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            std::io::ErrorKind::TimedOut => "timed out".to_string(),
            _ => io.to_string(),
        };
    }
    cur.to_string()
}

fn connect_error(target: &str, e: tokio_postgres::Error) -> Error {
    let message = match e.as_db_error() {
        Some(db) => format!(
            "cannot connect to PostgreSQL at {target}: {} — check the user, password and database name",
            db.message()
        ),
        None => format!(
            "cannot connect to PostgreSQL at {target}: {} — is the server running?",
            root_cause(&e)
        ),
    };
    Error::store(message, e)
}

fn pool_error(target: &str, e: PoolError) -> Error {
    match e {
        PoolError::Backend(e) => connect_error(target, e),
        PoolError::Timeout(_) => Error::store_msg(format!(
            "cannot connect to PostgreSQL at {target}: timed out — is the server reachable and not overloaded?"
        )),
        other => Error::store(
            format!("cannot connect to PostgreSQL at {target}: {other}"),
            other,
        ),
    }
}

/// A query error as a store error naming the database and what failed.
fn pg_error(target: &str, what: &str, e: tokio_postgres::Error) -> Error {
    let cause = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None if e.is_closed() => "the connection was closed".to_string(),
        None => root_cause(&e),
    };
    Error::store(format!("postgres://{target}: {what}: {cause}"), e)
}

fn bind(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => s as &(dyn ToSql + Sync),
            Param::Int(i) => i as &(dyn ToSql + Sync),
        })
        .collect()
}

const UPSERT: &str = "INSERT INTO entities (key, uid, kind, namespace, name, etag, location, created_at, updated_at) \
     SELECT k, u, ki, ns, n, et, l, $8, $8 \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
       AS t(k, u, ki, ns, n, et, l) \
     ON CONFLICT (key) DO UPDATE SET uid = EXCLUDED.uid, kind = EXCLUDED.kind, \
       namespace = EXCLUDED.namespace, name = EXCLUDED.name, etag = EXCLUDED.etag, \
       location = EXCLUDED.location, updated_at = EXCLUDED.updated_at \
     RETURNING id, key";

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, details, prev_hash, hash";

impl PostgresStore {
    /// Connect to `url` (`postgres://user@host:port/database`) and apply migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            Error::store(
                format!(
                    "invalid PostgreSQL URL: {e} — expected postgres://user[:password]@host[:port]/database"
                ),
                e,
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("paved");
        }
        // Prepared statements are planned for their parameters on every
        // run: catalogue values are skewed (one kind is most entities, a
        // team a fraction of a percent), and the generic plan PostgreSQL
        // switches to after five runs was seen taking 18 s for a 40 ms page.
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} {CUSTOM_PLANS}"),
            _ => CUSTOM_PLANS.to_string(),
        };
        config.options(&options);
        let target = target(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(15)))
            .wait_timeout(Some(Duration::from_secs(120)))
            .build()
            .map_err(|e| {
                Error::store(format!("cannot set up a PostgreSQL pool for {target}"), e)
            })?;
        let store = Self {
            pool,
            config,
            target,
            bits: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| pool_error(&self.target, e))
    }

    pub(super) fn err<'a>(&'a self, what: &'a str) -> impl Fn(tokio_postgres::Error) -> Error + 'a {
        move |e| pg_error(&self.target, what, e)
    }

    async fn migrate(&self) -> Result<()> {
        let err = self.err("cannot migrate the database schema");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(&err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(&err)?;
        tx.batch_execute(migrations::VERSION_TABLE)
            .await
            .map_err(&err)?;
        let found: Option<i32> = tx
            .query_one("SELECT max(version) FROM schema_version", &[])
            .await
            .map_err(&err)?
            .get(0);
        let version = found.unwrap_or(0) as usize;
        let known = migrations::POSTGRES.len();
        if version > known {
            return Err(Error::store_msg(migrations::too_new(
                &self.describe(),
                version as i64,
                known,
            )));
        }
        if version == known {
            return Ok(());
        }
        for m in &migrations::POSTGRES[version..] {
            tx.batch_execute(m).await.map_err(&err)?;
        }
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(&err)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(known as i32)],
        )
        .await
        .map_err(&err)?;
        tx.commit().await.map_err(&err)
    }

    /// Entities by key, with relations, in the order of `keys` (missing skipped).
    async fn entities_by_keys(&self, keys: Vec<String>) -> Result<Vec<Entity>> {
        let err = self.err("cannot read entities");
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT e.key, b.body FROM entities e JOIN bodies b ON b.entity_id = e.id \
                 WHERE e.key = ANY($1)",
                &[&keys],
            )
            .await
            .map_err(&err)?;
        let bodies: HashMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut found: Vec<String> = Vec::new();
        for k in keys {
            if bodies.contains_key(&k) && !found.contains(&k) {
                found.push(k);
            }
        }
        let mut rels: HashMap<String, Vec<crate::model::Relation>> = HashMap::new();
        for r in relations_for(&client, &found).await.map_err(&err)? {
            rels.entry(r.source_key)
                .or_default()
                .push(page::relation(&r.r#type, r.target_ref));
        }
        found
            .into_iter()
            .map(|k| {
                let rel = rels.remove(&k).unwrap_or_default();
                page::entity(&k, &bodies[&k], rel)
            })
            .collect()
    }
}

/// Kept rows `(entity_id, field, value)` of `facets`' statements.
fn kept_rows(rows: Vec<tokio_postgres::Row>) -> Vec<(i64, String, String)> {
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

impl PostgresStore {
    /// Run `f` on the facet sets brought up to the audit log's head (see
    /// `store::facet_bits`), read in one snapshot of the database.
    async fn with_bits<T>(&self, f: impl FnOnce(&Bits) -> Option<T>) -> Result<Option<T>> {
        let err = self.err("cannot read the facet sets");
        let mut guard = self.bits.lock().await;
        let mut client = self.client().await?;
        // Most reads find the sets current: one statement, no transaction.
        let head = client
            .query_one(facet_bits::HEAD, &[])
            .await
            .map_err(&err)?
            .get::<_, i64>(0) as u64;
        match Bits::need(guard.as_ref(), head) {
            Need::NotYet => {
                *guard = Some(Bits::asked());
                return Ok(None);
            }
            Need::Nothing => return Ok(guard.as_ref().and_then(f)),
            Need::Rebuild | Need::Changes { .. } => {}
        }
        // Catching up reads in one snapshot, from its own head.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(&err)?;
        let head = tx
            .query_one(facet_bits::HEAD, &[])
            .await
            .map_err(&err)?
            .get::<_, i64>(0) as u64;
        match Bits::need(guard.as_ref(), head) {
            Need::NotYet | Need::Nothing => {}
            Need::Rebuild => {
                let entities = tx
                    .query("SELECT id, key FROM entities", &[])
                    .await
                    .map_err(&err)?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                let rows = tx
                    .query(&facets::all_set_rows_sql(), &[])
                    .await
                    .map_err(&err)?;
                *guard = Some(Bits::build(head, entities, kept_rows(rows)));
            }
            Need::Changes { after } => {
                let subjects: Vec<String> = tx
                    .query(
                        "SELECT subject FROM audit WHERE seq > $1 AND seq <= $2",
                        &[&(after as i64), &(head as i64)],
                    )
                    .await
                    .map_err(&err)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let keys = facet_bits::keys_of(&subjects);
                let present: Vec<(i64, String)> = tx
                    .query("SELECT id, key FROM entities WHERE key = ANY($1)", &[&keys])
                    .await
                    .map_err(&err)?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                let ids: Vec<i64> = present.iter().map(|(id, _)| *id).collect();
                let rows = tx
                    .query(&facets::set_rows_sql(true), &[&ids])
                    .await
                    .map_err(&err)?;
                if let Some(b) = guard.as_mut() {
                    b.apply(head, &keys, present, kept_rows(rows));
                }
            }
        }
        tx.commit().await.map_err(&err)?;
        Ok(guard.as_ref().and_then(f))
    }
}

/// How many entities a count statement counts (prepared once per connection).
async fn count_rows(
    client: &deadpool_postgres::Object,
    count: &Sql,
) -> Result<u64, tokio_postgres::Error> {
    let stmt = client.prepare_cached(&count.text).await?;
    let n: i64 = client.query_one(&stmt, &bind(&count.params)).await?.get(0);
    Ok(n as u64)
}

/// The rows of a page statement made by `sql::with_bodies`: each row, its
/// body and its relations (`type target`).
async fn page_rows(
    client: &deadpool_postgres::Object,
    sql: &Sql,
    n: usize,
    relations: bool,
) -> Result<Vec<(RawRow, String, Vec<String>)>, tokio_postgres::Error> {
    let stmt = client.prepare_cached(&sql.text).await?;
    Ok(client
        .query(&stmt, &bind(&sql.params))
        .await?
        .iter()
        .map(|r| {
            let row = RawRow {
                id: r.get(0),
                key: r.get(1),
                sort: (0..n).map(|i| r.get::<_, Option<String>>(2 + i)).collect(),
            };
            let rels = if relations {
                r.get::<_, Vec<String>>(3 + n)
            } else {
                Vec::new()
            };
            (row, r.get(2 + n), rels)
        })
        .collect())
}

/// Relations whose source is one of `keys`.
async fn relations_for(
    client: &tokio_postgres::Client,
    keys: &[String],
) -> Result<Vec<RawRelation>, tokio_postgres::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT source_key, type, min(coalesce(target_ref, target_key)) FROM relations \
             WHERE source_key = ANY($1) GROUP BY source_key, type, target_key",
            &[&keys],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RawRelation {
            source_key: r.get(0),
            r#type: r.get(1),
            target_ref: r.get(2),
        })
        .collect())
}

/// Execute the planned writes in bulk.
async fn write_all(
    tx: &tokio_postgres::Transaction<'_>,
    writes: Vec<Write>,
    at: &str,
) -> Result<(), tokio_postgres::Error> {
    let stale: Vec<i64> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Update { id, .. } | Write::Delete { id } => Some(*id),
            _ => None,
        })
        .collect();
    let mut tally = facets::Tally::default();
    if !stale.is_empty() {
        let old: Vec<(i64, String, String)> = tx
            .query(&facets::old_rows_sql(true), &[&stale])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        for pairs in facets::by_entity(old) {
            tally.entity(&pairs, -1);
        }
        tx.execute("DELETE FROM search WHERE entity_id = ANY($1)", &[&stale])
            .await?;
        tx.execute(
            "DELETE FROM relations WHERE originating_entity_id = ANY($1)",
            &[&stale],
        )
        .await?;
        tx.execute(
            "DELETE FROM entities_fts WHERE entity_id = ANY($1)",
            &[&stale],
        )
        .await?;
    }
    let deleted: Vec<i64> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Delete { id } => Some(*id),
            _ => None,
        })
        .collect();
    if !deleted.is_empty() {
        tx.execute("DELETE FROM bodies WHERE entity_id = ANY($1)", &[&deleted])
            .await?;
        tx.execute("DELETE FROM entities WHERE id = ANY($1)", &[&deleted])
            .await?;
    }
    let (moved_ids, moved_to): (Vec<i64>, Vec<String>) = writes
        .iter()
        .filter_map(|w| match w {
            Write::Relocate { id, location } => Some((*id, location.clone())),
            _ => None,
        })
        .unzip();
    if !moved_ids.is_empty() {
        tx.execute(
            "UPDATE entities SET location = t.l FROM unnest($1::bigint[], $2::text[]) AS t(i, l) \
             WHERE entities.id = t.i",
            &[&moved_ids, &moved_to],
        )
        .await?;
    }
    // Each chunk's rows are made as it is written, and its entities
    // dropped with it.
    let stored = writes.into_iter().filter(|w| w.fresh().is_some());
    for chunk in crate::parallel::batches(stored, ENTITY_CHUNK) {
        let rows: Vec<Row<'_>> = plan::rows(&chunk).into_iter().flatten().collect();
        write_rows(tx, &rows, at).await?;
        for row in &rows {
            tally.entity(&facets::rows_of(row), 1);
        }
    }
    apply_facet_changes(tx, tally.changes()).await
}

/// Add a commit's facet count changes to `facet_counts`, dropping values
/// no entity has any more.
async fn apply_facet_changes(
    tx: &tokio_postgres::Transaction<'_>,
    changes: Vec<(String, String, String, i64)>,
) -> Result<(), tokio_postgres::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut scopes = Vec::with_capacity(changes.len());
    let mut fields = Vec::with_capacity(changes.len());
    let mut values = Vec::with_capacity(changes.len());
    let mut ns = Vec::with_capacity(changes.len());
    for (scope, field, value, n) in changes {
        scopes.push(scope);
        fields.push(field);
        values.push(value);
        ns.push(n);
    }
    tx.execute(
        "INSERT INTO facet_counts (scope, field, value, n) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) \
         ON CONFLICT (scope, field, value) DO UPDATE SET n = facet_counts.n + EXCLUDED.n",
        &[&scopes, &fields, &values, &ns],
    )
    .await?;
    tx.execute(
        "DELETE FROM facet_counts f USING unnest($1::text[], $2::text[], $3::text[]) AS t(s, k, v) \
         WHERE f.scope = t.s AND f.field = t.k AND f.value = t.v AND f.n <= 0",
        &[&scopes, &fields, &values],
    )
    .await?;
    Ok(())
}

/// Add a commit's changes to `location_counts`, dropping locations that
/// provide no entity any more.
async fn apply_location_changes(
    tx: &tokio_postgres::Transaction<'_>,
    changes: Vec<(String, i64)>,
) -> Result<(), tokio_postgres::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let (locations, ns): (Vec<String>, Vec<i64>) = changes.into_iter().unzip();
    tx.execute(
        "INSERT INTO location_counts (location, n) \
         SELECT * FROM unnest($1::text[], $2::bigint[]) \
         ON CONFLICT (location) DO UPDATE SET n = location_counts.n + EXCLUDED.n",
        &[&locations, &ns],
    )
    .await?;
    tx.execute(
        "DELETE FROM location_counts WHERE location = ANY($1) AND n <= 0",
        &[&locations],
    )
    .await?;
    Ok(())
}

/// Upsert a chunk of entity rows and insert their derived rows.
async fn write_rows(
    tx: &tokio_postgres::Transaction<'_>,
    rows: &[Row<'_>],
    at: &str,
) -> Result<(), tokio_postgres::Error> {
    let col = |f: fn(&Row<'_>) -> String| rows.iter().map(|r| f(r)).collect::<Vec<String>>();
    let locations: Vec<Option<String>> = rows.iter().map(|r| r.location.clone()).collect();
    let returned = tx
        .query(
            UPSERT,
            &[
                &col(|r| r.key.clone()),
                &col(|r| r.uid.clone()),
                &col(|r| r.kind.to_string()),
                &col(|r| r.namespace.to_string()),
                &col(|r| r.name.to_string()),
                &col(|r| r.etag.to_string()),
                &locations,
                &at,
            ],
        )
        .await?;
    let ids: HashMap<String, i64> = returned.iter().map(|r| (r.get(1), r.get(0))).collect();
    let body_ids: Vec<i64> = rows.iter().map(|r| ids[&r.key]).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
    tx.execute(
        "INSERT INTO bodies (entity_id, body) SELECT * FROM unnest($1::bigint[], $2::text[]) \
         ON CONFLICT (entity_id) DO UPDATE SET body = EXCLUDED.body",
        &[&body_ids, &bodies],
    )
    .await?;

    // Derived rows sorted by index key: index inserts land near each other.
    let mut search: Vec<(&str, Option<&str>, i64)> = rows
        .iter()
        .flat_map(|row| {
            let id = ids[&row.key];
            row.search
                .iter()
                .map(move |s| (s.key.as_str(), s.value.as_deref(), id))
        })
        .collect();
    search.sort_unstable();
    let (mut s_id, mut s_key, mut s_value) = (
        Vec::with_capacity(search.len()),
        Vec::with_capacity(search.len()),
        Vec::with_capacity(search.len()),
    );
    for (k, v, id) in search {
        s_id.push(id);
        s_key.push(k);
        s_value.push(v);
    }
    let mut relations: Vec<(&RelationRecord, i64)> = rows
        .iter()
        .flat_map(|row| {
            let id = ids[&row.key];
            row.relations.iter().map(move |r| (r, id))
        })
        .collect();
    relations.sort_unstable_by(|(a, x), (b, y)| {
        (&a.source_key, a.r#type, &a.target_key, x).cmp(&(
            &b.source_key,
            b.r#type,
            &b.target_key,
            y,
        ))
    });
    let (mut r_id, mut r_sk, mut r_sr, mut r_ty, mut r_tk, mut r_tr) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (r, id) in relations {
        r_id.push(id);
        r_sk.push(r.source_key.as_str());
        r_sr.push(r.source_ref.as_deref());
        r_ty.push(r.r#type);
        r_tk.push(r.target_key.as_str());
        r_tr.push(r.target_ref.as_deref());
    }
    let f_id: Vec<i64> = rows.iter().map(|row| ids[&row.key]).collect();
    let f_doc: Vec<&str> = rows.iter().map(|row| row.fts.as_str()).collect();
    tx.execute(
        "INSERT INTO search (entity_id, key, value) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
        &[&s_id, &s_key, &s_value],
    )
    .await?;
    if !r_id.is_empty() {
        tx.execute(
            "INSERT INTO relations (originating_entity_id, source_key, source_ref, type, target_key, target_ref) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
             ON CONFLICT DO NOTHING",
            &[&r_id, &r_sk, &r_sr, &r_ty, &r_tk, &r_tr],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO entities_fts (entity_id, doc) \
         SELECT i, to_tsvector('simple', d) FROM unnest($1::bigint[], $2::text[]) AS t(i, d)",
        &[&f_id, &f_doc],
    )
    .await?;
    Ok(())
}

/// One chunk of the log: its records appended, in one statement.
async fn append_audit(
    tx: &tokio_postgres::Transaction<'_>,
    chunk: &[AuditRecord],
) -> Result<(), tokio_postgres::Error> {
    let seq: Vec<i64> = chunk.iter().map(|r| r.seq as i64).collect();
    let text = |f: fn(&AuditRecord) -> String| chunk.iter().map(f).collect::<Vec<String>>();
    tx.execute(
        &format!(
            "INSERT INTO audit ({AUDIT_COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], \
             $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])"
        ),
        &[
            &seq,
            &text(|r| r.at.clone()),
            &text(|r| r.actor.clone()),
            &text(|r| r.action.clone()),
            &text(|r| r.subject.clone()),
            &text(|r| r.details.to_string()),
            &text(|r| r.prev_hash.clone()),
            &text(|r| r.hash.clone()),
        ],
    )
    .await?;
    Ok(())
}

/// The NOTIFY payload of an event, cut down if it would be too long.
fn payload(e: &Event) -> String {
    let json = serde_json::to_string(e).unwrap_or_default();
    if json.len() <= MAX_PAYLOAD {
        return json;
    }
    let cut = |s: &str| s.chars().take(1000).collect::<String>();
    let mut small = e.clone();
    small.subject = cut(&small.subject);
    small.actor = cut(&small.actor);
    small.origin = cut(&small.origin);
    serde_json::to_string(&small).unwrap_or_default()
}

/// A commit's events, sent when its transaction commits: a statement per
/// [`plan::LOG_CHUNK`], each event made as its chunk is sent.
async fn notify(
    tx: &tokio_postgres::Transaction<'_>,
    committed: &CommitResult,
) -> Result<(), tokio_postgres::Error> {
    for chunk in crate::parallel::batches(committed.events(), plan::LOG_CHUNK) {
        let payloads: Vec<String> = chunk.iter().map(payload).collect();
        tx.execute(
            &format!("SELECT pg_notify('{CHANNEL}', p) FROM unnest($1::text[]) AS p"),
            &[&payloads],
        )
        .await?;
    }
    Ok(())
}

fn audit_records(rows: &[tokio_postgres::Row], target: &str) -> Result<Vec<AuditRecord>> {
    rows.iter()
        .map(|r| {
            let seq = r.get::<_, i64>(0) as u64;
            let details: String = r.get(5);
            Ok(AuditRecord {
                seq,
                at: r.get(1),
                actor: r.get(2),
                action: r.get(3),
                subject: r.get(4),
                details: serde_json::from_str(&details).map_err(|e| {
                    Error::store(
                        format!(
                            "postgres://{target}: audit record {seq} has unreadable details; the log may have been edited"
                        ),
                        e,
                    )
                })?,
                prev_hash: r.get(6),
                hash: r.get(7),
            })
        })
        .collect()
}

#[async_trait]
impl Store for PostgresStore {
    fn describe(&self) -> String {
        format!("postgres://{}", self.target)
    }

    async fn commit(&self, mut batch: ChangeBatch) -> Result<CommitResult> {
        let err = self.err("cannot write the batch");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(&err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .await
            .map_err(&err)?;
        if let Some(guard) = &batch.unless_recorded {
            let found = tx
                .query_opt(
                    "SELECT action FROM audit WHERE lower(subject) = $1 AND action = ANY($2) LIMIT 1",
                    &[&guard.subject, &guard.actions],
                )
                .await
                .map_err(&err)?;
            if let Some(row) = found {
                return Err(guard.refused(&row.get::<_, String>(0)));
            }
        }
        let keys = plan::keys(&batch);
        let rows = tx
            .query(
                "SELECT id, key, uid, etag, location FROM entities WHERE key = ANY($1) FOR UPDATE",
                &[&keys],
            )
            .await
            .map_err(&err)?;
        let current: HashMap<String, Current> = rows
            .iter()
            .map(|r| {
                (
                    r.get(1),
                    Current {
                        id: r.get(0),
                        uid: r.get(2),
                        etag: r.get(3),
                        location: r.get(4),
                    },
                )
            })
            .collect();
        // A conflict returns here; dropping `tx` rolls back (nothing was written).
        let planned = plan::plan(&mut batch, &keys, &current)?;
        drop(keys);
        let head = tx
            .query_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])
            .await
            .map_err(&err)?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, String>(1)));
        let at = audit::now();
        let mut sealed = planned.seal(head, &at);
        write_all(&tx, std::mem::take(&mut sealed.writes), &at)
            .await
            .map_err(&err)?;
        apply_location_changes(&tx, std::mem::take(&mut sealed.locations))
            .await
            .map_err(&err)?;
        loop {
            let chunk = sealed.next_records(plan::LOG_CHUNK);
            if chunk.is_empty() {
                break;
            }
            append_audit(&tx, &chunk).await.map_err(&err)?;
        }
        let result = sealed.finish();
        notify(&tx, &result).await.map_err(&err)?;
        tx.commit().await.map_err(&err)?;
        if result.changed() >= BULK {
            // Plans depend on statistics and index-only scans on the
            // visibility map: after a bulk load, refresh both now rather than
            // when autovacuum gets round to it. (One statement: VACUUM cannot
            // run inside a transaction block.)
            client
                .batch_execute("VACUUM (ANALYZE) entities, bodies, search, relations, entities_fts")
                .await
                .map_err(self.err("cannot refresh statistics"))?;
        }
        Ok(result)
    }

    async fn get(&self, entity_ref: &EntityRef) -> Result<Option<Entity>> {
        Ok(self.entities_by_keys(vec![entity_ref.key()]).await?.pop())
    }

    async fn get_many(&self, refs: &[EntityRef]) -> Result<Vec<Entity>> {
        self.entities_by_keys(refs.iter().map(EntityRef::key).collect())
            .await
    }

    async fn existing(&self, refs: &[EntityRef]) -> Result<Vec<EntityRef>> {
        let keys: Vec<String> = refs.iter().map(EntityRef::key).collect();
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT kind, namespace, name FROM entities WHERE key = ANY($1) ORDER BY key",
                &[&keys],
            )
            .await
            .map_err(self.err("cannot read entities"))?;
        Ok(rows
            .iter()
            .map(|r| EntityRef::new(r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let err = self.err("cannot run the query");
        let req = page::request(query)?;
        // A total the facet sets count (`store::facet_bits`).
        let counted = match facet_bits::for_total(query) {
            Some(f) => self.with_bits(|b| b.matches(f).map(|m| m.len())).await?,
            None => None,
        };
        let client = self.client().await?;
        let count = sql::count(
            Dialect::Postgres,
            query.filter.as_ref(),
            query.text.as_deref(),
            Drive::Lists,
            None,
        );
        // Whether the page walks an index may depend on how many match.
        let (total, walks) = match page::walks(query, &req) {
            Some(w) => (counted, w),
            None => {
                let total = match counted {
                    Some(n) => n,
                    None => count_rows(&client, &count).await.map_err(&err)?,
                };
                let entities: i64 = client
                    .query_one(super::ENTITY_COUNT, &[])
                    .await
                    .map_err(&err)?
                    .get(0);
                (Some(total), page::walks_at(&req, total, entities as u64))
            }
        };
        let spec = page::spec(query, &req, Drive::Lists, None);
        let relations = page::wants_relations(query);
        let with_bodies = |s: Sql| sql::with_bodies(s, &req.order, relations);
        let (first, missing) = if req.limit == 0 {
            (None, None)
        } else if walks {
            let (valued, missing) = sql::walk(Dialect::Postgres, &spec);
            (valued.map(with_bodies), Some(with_bodies(missing)))
        } else {
            (Some(with_bodies(sql::page(Dialect::Postgres, &spec))), None)
        };
        let n = req.order.len();
        let first_rows = async {
            match &first {
                Some(s) => page_rows(&client, s, n, relations).await,
                None => Ok(Vec::new()),
            }
        };
        // Count and page together when neither waits for the other:
        // tokio-postgres pipelines them on the one connection.
        let (total, mut rows) = match total {
            Some(t) => (t, first_rows.await.map_err(&err)?),
            None => futures::try_join!(count_rows(&client, &count), first_rows).map_err(&err)?,
        };
        if let Some(m) = missing
            && rows.len() < spec.limit as usize
        {
            let room = spec.limit as usize - rows.len();
            let more = page_rows(&client, &m, n, relations).await.map_err(&err)?;
            rows.extend(more.into_iter().take(room));
        }
        let mut raw = Vec::with_capacity(rows.len());
        let mut bodies = HashMap::with_capacity(rows.len());
        let mut rels = Vec::new();
        for (row, body, of_row) in rows {
            bodies.insert(row.id, body);
            rels.extend(of_row.into_iter().filter_map(|tt| {
                let (ty, target) = tt.split_once(' ')?;
                Some(RawRelation {
                    source_key: row.key.clone(),
                    r#type: ty.to_string(),
                    target_ref: target.to_string(),
                })
            }));
            raw.push(row);
        }
        page::assemble(query, &req, raw, bodies, rels, total)
    }

    async fn facets(
        &self,
        field: &str,
        filter: Option<&Predicate>,
        limit: Option<usize>,
    ) -> Result<Vec<FacetCount>> {
        if let Some((f, p)) = facet_bits::for_facets(field, filter)
            && let Some(counts) = self.with_bits(|b| b.facets(&f, &p, limit)).await?
        {
            return Ok(counts);
        }
        let sql = sql::facets(Dialect::Postgres, field, filter, limit);
        let client = self.client().await?;
        let rows = client
            .query(&sql.text, &bind(&sql.params))
            .await
            .map_err(self.err("cannot count facets"))?;
        Ok(rows
            .iter()
            .map(|r| FacetCount {
                value: r.get(0),
                count: r.get::<_, i64>(1) as u64,
            })
            .collect())
    }

    async fn relations_of(
        &self,
        refs: &[EntityRef],
        types: &[&str],
        limit: Option<usize>,
    ) -> Result<Vec<RelationRow>> {
        let keys: Vec<String> = refs.iter().map(EntityRef::key).collect();
        let types: Vec<String> = types.iter().map(|t| t.to_lowercase()).collect();
        // LIMIT NULL is no limit.
        let limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT min(coalesce(source_ref, source_key)), type, \
                 min(coalesce(target_ref, target_key)) FROM relations \
                 WHERE source_key = ANY($1) AND (cardinality($2::text[]) = 0 OR type = ANY($2)) \
                 GROUP BY source_key, type, target_key ORDER BY source_key, type, target_key \
                 LIMIT $3",
                &[&keys, &types, &limit],
            )
            .await
            .map_err(self.err("cannot read relations"))?;
        let label = self.describe();
        rows.iter()
            .map(|r| page::relation_row(&label, r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    async fn entities_of_location(&self, location: &str) -> Result<Vec<EntityRef>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT kind, namespace, name FROM entities WHERE location = $1 ORDER BY key",
                &[&location],
            )
            .await
            .map_err(self.err("cannot read entities of a location"))?;
        Ok(rows
            .iter()
            .map(|r| EntityRef::new(r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn locations(&self) -> Result<Vec<(String, u64)>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT location, n FROM location_counts ORDER BY location",
                &[],
            )
            .await
            .map_err(self.err("cannot read the locations"))?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    async fn location_size(&self, location: &str) -> Result<u64> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT coalesce((SELECT n FROM location_counts WHERE location = $1), 0)",
                &[&location],
            )
            .await
            .map_err(self.err("cannot count the entities of a location"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn audit_records(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&(after as i64), &(limit as i64)],
            )
            .await
            .map_err(self.err("cannot read the audit log"))?;
        audit_records(&rows, &self.target)
    }

    async fn latest_policy_change(&self) -> Result<u64> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(super::migrations::LATEST_POLICY_CHANGE)
            .await
            .map_err(self.err("cannot read the audit log"))?;
        let row = client
            .query_one(&statement, &[])
            .await
            .map_err(self.err("cannot read the audit log"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn audit_about(&self, subject: &str, limit: usize) -> Result<Vec<AuditRecord>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE lower(subject) = $1 ORDER BY seq DESC LIMIT $2"
                ),
                &[&subject, &(limit as i64)],
            )
            .await
            .map_err(self.err("cannot read the audit log"))?;
        audit_records(&rows, &self.target)
    }

    async fn audit_about_many(
        &self,
        subjects: &[String],
        actions: &[&str],
    ) -> Result<Vec<AuditRecord>> {
        if subjects.is_empty() || actions.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE lower(subject) = ANY($1) AND action = ANY($2) ORDER BY seq"
                ),
                &[&subjects, &actions],
            )
            .await
            .map_err(self.err("cannot read the audit log"))?;
        audit_records(&rows, &self.target)
    }

    async fn audit_by_action(
        &self,
        action: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>> {
        let client = self.client().await?;
        let before = before.map_or(i64::MAX, |b| b as i64);
        let rows = client
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE action = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
                ),
                &[&action, &before, &(limit as i64)],
            )
            .await
            .map_err(self.err("cannot read the audit log"))?;
        audit_records(&rows, &self.target)
    }

    /// LISTEN on a dedicated connection; yields events whose origin is not `origin`.
    /// The stream ends if that connection is lost.
    async fn remote_events(&self, origin: &str) -> Result<Option<BoxStream<'static, Event>>> {
        let (client, mut connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| connect_error(&self.target, e))?;
        let (tx, rx) = futures::channel::mpsc::unbounded::<Event>();
        let origin = origin.to_string();
        let target = self.target.clone();
        tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) if n.channel() == CHANNEL => {
                        match serde_json::from_str::<Event>(n.payload()) {
                            Ok(event) if event.origin == origin => {}
                            Ok(event) => {
                                if tx.unbounded_send(event).is_err() {
                                    break;
                                }
                            }
                            Err(e) => tracing::warn!(
                                "ignoring an unreadable event on {CHANNEL} from {target}: {e}"
                            ),
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("lost the event connection to PostgreSQL at {target}: {e}");
                        break;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(self.err("cannot listen for events"))?;
        // The client lives as long as the stream: dropping both closes the connection.
        let stream = futures::stream::unfold((rx, client), |(mut rx, client)| async move {
            rx.next().await.map(|event| (event, (rx, client)))
        });
        Ok(Some(stream.boxed()))
    }
}
