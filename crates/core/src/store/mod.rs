//! Storage: one [`Store`] trait, two implementations.
//!
//! [`sqlite`] is the embedded default (a file, or in-memory for tests);
//! [`postgres`] is for several processes sharing one platform. Both persist
//! exactly what core hands them: entities, their derived relation rows and
//! filter rows, and hash-chained audit records. Everything that is derived is
//! computed once in core (`model::relations`, `model::index`, `audit`), so the
//! two stores cannot disagree on meaning. The conformance suite in
//! `conformance` (its tests) runs against both.
//!
//! The whole module is crate-private: the write side ([`Store::commit`]) is
//! reached only through `pipeline::run`, so nothing outside core can write
//! without validation, checks, an audit record and events.

#[cfg(test)]
pub(crate) mod conformance;
pub(crate) mod cursor;
pub(crate) mod facet_bits;
pub(crate) mod facets;
pub(crate) mod migrations;
mod page;
mod plan;
pub(crate) mod postgres;
mod postgres_resources;
mod postgres_runs;
pub mod resources;
pub mod runs;
pub(crate) mod sqlite;
mod sqlite_bulk;
mod sqlite_resources;
mod sqlite_runs;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::audit::AuditRecord;
use crate::error::Result;
use crate::events::Event;
use crate::model::relations::RelationRow;
use crate::model::{Entity, EntityRef};
use crate::query::{FacetCount, Page, Predicate, Query};
pub use resources::{JournalEntry, Lease, ResourceStore, StateRow};
pub use runs::{RunFilter, RunRow, RunStore};

/// Changes from which a batch counts as large: the stores refresh planner
/// statistics after committing it (and SQLite checkpoints its WAL off the
/// caller's time), and the platform gives the memory it held back
/// ([`crate::memory`]).
pub(crate) const BULK: usize = 5000;

/// About how many entities are stored: the largest id, one index lookup
/// (both dialects). Enough to weigh a page's plans.
pub(crate) const ENTITY_COUNT: &str = "SELECT coalesce(max(id), 0) FROM entities";

/// An entity ready to be written. What the store derives from it (relation
/// rows, filter rows, the full-text document, the stored body) is made when
/// it is needed and dropped after: a batch of a million entities holds the
/// entities, not their rows (`plan::Fresh::row`).
#[derive(Debug, Clone)]
pub struct PreparedEntity {
    /// The validated entity; `metadata.uid`/`etag` are set by the store.
    pub entity: Entity,
    /// `entity.content_hash()`; becomes the etag.
    pub hash: String,
    /// Key of the location (file or Location entity) it was imported from, if any.
    pub location: Option<String>,
}

impl PreparedEntity {
    /// Relation rows this entity owns (both directions), derived from it.
    pub fn relations(&self) -> Vec<RelationRow> {
        crate::model::relations::derive(&self.entity).0
    }
}

/// One change in a batch.
#[derive(Debug, Clone)]
pub enum Change {
    /// Create or update. With `expected_etag`, the stored etag must match
    /// (`Some("")` means "must not exist yet").
    Upsert {
        entity: Box<PreparedEntity>,
        expected_etag: Option<String>,
    },
    /// Remove an entity and the relation rows it owns.
    Delete {
        entity_ref: EntityRef,
        expected_etag: Option<String>,
    },
}

/// An audit record with no entity change: a side effect done elsewhere (a
/// provider's apply), recorded and announced in the same chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditOnly {
    /// e.g. `resource.apply`.
    pub action: String,
    /// What it is about, e.g. `postgres.database/orders`.
    pub subject: String,
    /// Anything else worth keeping (plugin, environment, outcome).
    pub details: serde_json::Value,
    /// The event kind announced, e.g. `resource.applied`.
    pub event: String,
}

/// A batch committed atomically: all changes and their audit records, or nothing.
#[derive(Debug, Clone)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
    /// Audit records to append after the changes' own.
    pub records: Vec<AuditOnly>,
    /// Who is doing this (user ref or `system`).
    pub actor: String,
    /// The platform instance (events from it are not echoed back to it).
    pub origin: String,
    /// Audit action for upserts, e.g. `entity.upsert` or `catalog.import`.
    pub action: String,
    /// Commit only if the audit log holds no record about this subject with
    /// one of these actions yet (checked under the store's write lock, so
    /// of two writers racing to decide the same thing, one wins).
    pub unless_recorded: Option<Guard>,
}

/// A precondition on the audit log: see [`ChangeBatch::unless_recorded`].
#[derive(Debug, Clone)]
pub struct Guard {
    /// The subject's key, lower-case (as `audit_about` takes it).
    pub subject: String,
    /// Actions that must not have been recorded about it.
    pub actions: Vec<String>,
    /// What the refusal says; the action found is appended.
    pub refusal: String,
}

impl Guard {
    /// The error of a guard that found `action` recorded.
    pub(crate) fn refused(&self, action: &str) -> crate::Error {
        crate::Error::invalid(crate::Diagnostic::error(
            "",
            format!("{} (found {action}); nothing was written", self.refusal),
        ))
    }
}

/// What happened to one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Deleted,
}

impl Outcome {
    /// The name every front shows (`created`, `updated`, …), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Deleted => "deleted",
        }
    }
}

/// Result of a committed batch, in the order of the changes.
///
/// Every change written (not an unchanged entity) has its audit record in
/// the log and its event in [`CommitResult::events`], made from its outcome
/// when read: a commit of a million entities does not hand back a million
/// records.
#[derive(Debug, Clone)]
pub struct CommitResult {
    pub outcomes: Vec<(EntityRef, Outcome, Option<String>)>,
    /// The audit records of the batch's own [`ChangeBatch::records`], as
    /// written (after the changes' records).
    pub audit: Vec<AuditRecord>,
    /// The seq of the first change's audit record.
    changes_from: u64,
    source: plan::EventSource,
    /// The events of `audit`.
    own_events: Vec<Event>,
}

/// Where entities live (and, beside them, the state of provisioned
/// resources: [`ResourceStore`]).
#[async_trait]
pub trait Store: ResourceStore + RunStore + Send + Sync + 'static {
    /// A short name for messages: `sqlite:PATH` or `postgres://host/db`.
    fn describe(&self) -> String;

    /// Commit a batch atomically. Checks every expected etag first and fails
    /// with `Error::Conflict` before writing anything. Unchanged entities
    /// (same hash) are reported as `Unchanged` and not written.
    /// Audit records are chained with [`crate::audit::chain`] inside the
    /// transaction, so concurrent writers keep one chain.
    async fn commit(&self, batch: ChangeBatch) -> Result<CommitResult>;

    /// One entity, with its relations (both those it owns and those pointing at it).
    async fn get(&self, entity_ref: &EntityRef) -> Result<Option<Entity>>;

    /// Several entities; missing ones are skipped.
    async fn get_many(&self, refs: &[EntityRef]) -> Result<Vec<Entity>>;

    /// Which of these refs exist.
    async fn existing(&self, refs: &[EntityRef]) -> Result<Vec<EntityRef>>;

    /// Filter, order, page, project.
    async fn query(&self, query: &Query) -> Result<Page>;

    /// Counts per value of `field` among entities matching `filter`, most
    /// frequent first, then by value; the first `limit` of them.
    async fn facets(
        &self,
        field: &str,
        filter: Option<&Predicate>,
        limit: Option<usize>,
    ) -> Result<Vec<FacetCount>>;

    /// Outgoing relation rows of these entities, of these types (all types if
    /// empty), one per source, type and target, sorted by them (within each
    /// chunk of sources the store reads at once); at most `limit` rows, the
    /// first in that order.
    async fn relations_of(
        &self,
        refs: &[EntityRef],
        types: &[&str],
        limit: Option<usize>,
    ) -> Result<Vec<RelationRow>>;

    /// Entities last imported from this location key.
    async fn entities_of_location(&self, location: &str) -> Result<Vec<EntityRef>>;

    /// Every location key entities are stored from, with how many, by key.
    async fn locations(&self) -> Result<Vec<(String, u64)>>;

    /// How many entities are stored from this location key (one index range).
    async fn location_size(&self, location: &str) -> Result<u64>;

    /// Audit records with `seq > after`, oldest first, at most `limit`.
    async fn audit_records(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>>;

    /// Audit records about one entity, newest first.
    async fn audit_for(&self, entity_ref: &EntityRef, limit: usize) -> Result<Vec<AuditRecord>> {
        self.audit_about(&entity_ref.key(), limit).await
    }

    /// Audit records whose subject, lower-cased, is `subject` (give it
    /// lower-case), newest first.
    async fn audit_about(&self, subject: &str, limit: usize) -> Result<Vec<AuditRecord>>;

    /// Audit records about any of these subjects (lower-cased keys, as for
    /// `audit_about`) with one of these actions, oldest first.
    async fn audit_about_many(
        &self,
        subjects: &[String],
        actions: &[&str],
    ) -> Result<Vec<AuditRecord>>;

    /// Audit records with this action and `seq < before` (none: from the
    /// newest), newest first, at most `limit`.
    async fn audit_by_action(
        &self,
        action: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>>;

    /// The seq of the latest audit record about a `policy:` subject (a
    /// Policy entity written or deleted; 0: none), from one index lookup.
    async fn latest_policy_change(&self) -> Result<u64>;

    /// Events committed by other processes sharing this store, as they happen.
    /// `None` when the store is not shared (SQLite).
    async fn remote_events(&self, origin: &str) -> Result<Option<BoxStream<'static, Event>>>;
}
