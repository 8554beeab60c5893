//! Schema migrations for both stores: one list per dialect, same shape.
//!
//! Migration `n` (1-based) takes the schema from version `n - 1` to `n`;
//! `schema_version` holds the version reached. Each store applies the
//! missing migrations in one transaction when it opens (PostgreSQL under an
//! advisory lock, so several processes starting at once migrate once). A
//! database newer than this code is refused rather than guessed at.
//! Column meanings are described in `query::sql`, which queries them.
//!
//! Sizes drive the shape: entity bodies live apart from `entities` so that
//! filtering, counting and sorting touch only small rows; relation refs are
//! stored only where they differ from their lower-cased key; relations are
//! clustered by source (SQLite `WITHOUT ROWID`); and there is no
//! index by relation target, because every relation row has its reverse row
//! (written by the same entity), so "who has X as target" is answered from
//! the source index of the reverse type.

// Migration 7, both dialects: `location_counts`, how many entities each
// location provides, kept by every commit (`plan::Sealed::locations`) so a
// location's status does not count its entities; filled from what is stored.
macro_rules! location_fill {
    () => {
        "
INSERT INTO location_counts (location, n)
SELECT location, count(*) FROM entities WHERE location IS NOT NULL GROUP BY location;"
    };
}

/// SQLite migrations, oldest first.
pub const SQLITE: &[&str] = &[
    r#"
CREATE TABLE entities (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    uid         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    etag        TEXT NOT NULL,
    location    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX entities_location ON entities (location);

CREATE TABLE bodies (
    entity_id   INTEGER PRIMARY KEY,
    body        TEXT NOT NULL
);

CREATE TABLE search (
    entity_id   INTEGER NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT
);
CREATE INDEX search_key_value ON search (key, value, entity_id);
CREATE INDEX search_entity ON search (entity_id, key, value);

CREATE TABLE relations (
    originating_entity_id INTEGER NOT NULL,
    source_key  TEXT NOT NULL,
    source_ref  TEXT,
    type        TEXT NOT NULL,
    target_key  TEXT NOT NULL,
    target_ref  TEXT,
    PRIMARY KEY (source_key, type, target_key, originating_entity_id)
) WITHOUT ROWID;
CREATE INDEX relations_origin ON relations (originating_entity_id);

CREATE VIRTUAL TABLE entities_fts USING fts5 (doc, tokenize = 'unicode61 remove_diacritics 0');

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (lower(subject), seq);
"#,
    AUDIT_BY_ACTION,
    POLICY_CHANGES,
    super::resources::SQLITE_MIGRATION,
    super::runs::SQLITE_MIGRATION,
    concat!(
        "CREATE TABLE facet_counts (
    scope   TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (scope, field, value)
) WITHOUT ROWID;",
        super::facets::facet_fill!()
    ),
    concat!(
        "CREATE TABLE location_counts (
    location    TEXT PRIMARY KEY,
    n           INTEGER NOT NULL
) WITHOUT ROWID;",
        location_fill!()
    ),
    FACET_COUNTS_TOP,
    SQLITE_FTS_ASCII,
    SQLITE_FTS_WORDS,
];

/// PostgreSQL migrations, oldest first. Text that is compared or ordered is
/// `COLLATE "C"` (bytewise, like SQLite), so both stores sort the same way
/// and prefix ranges use the indexes.
pub const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE entities (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT COLLATE "C" NOT NULL UNIQUE,
    uid         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    etag        TEXT NOT NULL,
    location    TEXT COLLATE "C",
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX entities_location ON entities (location);

CREATE TABLE bodies (
    entity_id   BIGINT PRIMARY KEY,
    body        TEXT NOT NULL
);

CREATE TABLE search (
    entity_id   BIGINT NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C"
);
CREATE INDEX search_key_value ON search (key, value, entity_id);
CREATE INDEX search_entity ON search (entity_id, key, value);
-- Which values go with which keys: without it the planner misjudges
-- `key = ? AND value = ?` by orders of magnitude.
CREATE STATISTICS search_key_value_stats (mcv, ndistinct) ON key, value FROM search;

CREATE TABLE relations (
    originating_entity_id BIGINT NOT NULL,
    source_key  TEXT COLLATE "C" NOT NULL,
    source_ref  TEXT COLLATE "C",
    type        TEXT COLLATE "C" NOT NULL,
    target_key  TEXT COLLATE "C" NOT NULL,
    target_ref  TEXT COLLATE "C",
    PRIMARY KEY (source_key, type, target_key, originating_entity_id)
);
CREATE INDEX relations_origin ON relations (originating_entity_id);

CREATE TABLE entities_fts (
    entity_id   BIGINT PRIMARY KEY,
    doc         TSVECTOR NOT NULL
);
CREATE INDEX entities_fts_doc ON entities_fts USING GIN (doc);

CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (lower(subject), seq);
"#,
    AUDIT_BY_ACTION,
    POLICY_CHANGES,
    super::resources::POSTGRES_MIGRATION,
    super::runs::POSTGRES_MIGRATION,
    concat!(
        "CREATE TABLE facet_counts (
    scope   TEXT COLLATE \"C\" NOT NULL,
    field   TEXT COLLATE \"C\" NOT NULL,
    value   TEXT COLLATE \"C\" NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (scope, field, value)
);",
        super::facets::facet_fill!()
    ),
    concat!(
        "CREATE TABLE location_counts (
    location    TEXT COLLATE \"C\" PRIMARY KEY,
    n           BIGINT NOT NULL
);",
        location_fill!()
    ),
    FACET_COUNTS_TOP,
];

/// Migration 8, both dialects: a field's most frequent values from the front
/// of an index (facets with a limit: a portal's top owners read 20 rows
/// whatever the number of owners).
const FACET_COUNTS_TOP: &str =
    "CREATE INDEX facet_counts_top ON facet_counts (scope, field, n DESC, value);";

/// SQLite migration 9: the full-text index split at the spaces of its
/// documents and nowhere else. A document is already words (`text_tokens`:
/// letters and digits, lower-cased) separated by single spaces; the
/// `ascii` tokenizer separates words only at ASCII characters other than
/// letters and digits, where `unicode61` also split at characters Rust
/// counts as letters (combining vowel signs, circled letters). So the index
/// matches what a search probing one entity's document finds
/// (`query::sql`), and what the words of a search are. The documents are
/// copied as they are.
const SQLITE_FTS_ASCII: &str = "
CREATE VIRTUAL TABLE entities_fts_rebuilt USING fts5 (doc, tokenize = 'ascii');
INSERT INTO entities_fts_rebuilt (rowid, doc) SELECT rowid, doc FROM entities_fts;
DROP TABLE entities_fts;
ALTER TABLE entities_fts_rebuilt RENAME TO entities_fts;";

/// SQLite migration 10: `fts_words`, every word of the full-text index, so
/// a search can spell a prefix out as the whole words it stands for
/// (`query::sql::Spelled`). The commit adds the words of the documents it
/// writes and removes none (a word no document has any more matches
/// nothing); filled here from the index's own list of its words.
const SQLITE_FTS_WORDS: &str = "
CREATE TABLE fts_words (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.fts_words_of_index USING fts5vocab (main, entities_fts, 'row');
INSERT INTO fts_words (word) SELECT term FROM temp.fts_words_of_index;
DROP TABLE temp.fts_words_of_index;";

// Migration 6, both dialects: `facet_counts`, kept by every commit
// (see `store::facets`), filled from what is stored.

/// SQLite's index of filter rows by key and value, and of relation rows by
/// the entity that made them, as migration 1 made them. A large batch into
/// an empty store builds them after writing its rows (`store::sqlite_bulk`).
pub const SQLITE_SEARCH_KEY_VALUE: &str =
    "CREATE INDEX search_key_value ON search (key, value, entity_id)";
pub const SQLITE_RELATIONS_ORIGIN: &str =
    "CREATE INDEX relations_origin ON relations (originating_entity_id)";

/// Migration 2, both dialects: audit records by action (pending approvals,
/// decisions) without reading the whole log.
const AUDIT_BY_ACTION: &str = "CREATE INDEX audit_action ON audit (action, seq);";

/// Migration 3, both dialects: the latest change to a `Policy` entity in one
/// index lookup (every write asks, to review with the policies in force;
/// see `policy::live`). The query repeats the predicate exactly, so both
/// planners use this partial index.
const POLICY_CHANGES: &str =
    "CREATE INDEX audit_policy_changes ON audit (seq) WHERE lower(subject) LIKE 'policy:%';";

/// The query the index above serves.
pub const LATEST_POLICY_CHANGE: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM audit WHERE lower(subject) LIKE 'policy:%'";

/// Creates the version table; run before reading the version.
pub const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

/// The message for a database migrated by a newer paved.
pub fn too_new(store: &str, found: i64, known: usize) -> String {
    format!(
        "{store} has schema version {found}, newer than this paved supports ({known}); \
         upgrade paved or point it at another store"
    )
}
