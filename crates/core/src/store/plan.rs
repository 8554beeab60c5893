//! Commit planning shared by both stores.
//!
//! A store opens its write transaction, locks out other writers, reads the
//! current `(id, uid, etag, location)` of every entity the batch names and
//! calls [`plan`]. Planning decides each change's outcome, checks every
//! expected etag and decides the writes — before anything is written, so a
//! conflict leaves the store untouched. The store executes the [`Write`]s in
//! chunks, making each entity's rows ([`Fresh::row`]) as its chunk is
//! written and dropping the chunk's entities after it (the plan takes them
//! from the batch), so a batch of a million entities never holds a million
//! rows, and lets go of its entities as it goes;
//! it reads the head of the audit chain, and [`Plan::seal`] readies the
//! pending records, which [`Sealed::next_records`] chains into
//! [`AuditRecord`]s a chunk at a time, so it never holds a million records
//! either: the commit returns the outcomes, and [`CommitResult::events`]
//! makes the changes' [`Event`]s from them as they are published (and, on
//! PostgreSQL, notified).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{AuditOnly, Change, ChangeBatch, CommitResult, Outcome, PreparedEntity};
use crate::audit::{self, AuditDraft, AuditRecord};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::index::{self, SearchRow};
use crate::model::relations::RelationType;
use crate::model::{Entity, EntityRef, Metadata};
use crate::query::sql::fts_document;

/// Audit records chained and written at a time ([`Sealed::next_records`]).
pub const LOG_CHUNK: usize = 5_000;

/// Index keys longer than this are not stored (no database indexes them).
const MAX_INDEX_KEY_LEN: usize = 1000;

/// What the store holds for an entity now.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: i64,
    pub uid: String,
    pub etag: String,
    pub location: Option<String>,
}

/// One relation row as stored.
#[derive(Debug, Clone)]
pub struct RelationRecord {
    pub source_key: String,
    /// The ref as written, when it differs from the key.
    pub source_ref: Option<String>,
    /// Lower-cased, e.g. `ownedby`.
    pub r#type: &'static str,
    pub target_key: String,
    /// The ref as written, when it differs from the key.
    pub target_ref: Option<String>,
}

/// `(key, Some(ref))`, or `(key, None)` when the ref is its key.
fn key_and_ref(r: &EntityRef) -> (String, Option<String>) {
    // Display lower-cases the kind only, so the key is the display lower-cased.
    let written = r.to_string();
    let key = written.to_lowercase();
    let written = (written != key).then_some(written);
    (key, written)
}

/// Lower-cased relation type names, as stored.
fn type_key(t: RelationType) -> &'static str {
    static LOWER: LazyLock<Vec<(RelationType, String)>> = LazyLock::new(|| {
        RelationType::ALL
            .iter()
            .map(|t| (*t, t.as_str().to_lowercase()))
            .collect()
    });
    LOWER
        .iter()
        .find(|(k, _)| *k == t)
        .map(|(_, s)| s.as_str())
        .unwrap_or("")
}

/// The stored body: the entity without relations, with the store's uid and etag.
/// Borrows everything but `metadata`, which gets the uid and etag.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredBody<'a> {
    api_version: &'a str,
    kind: &'a str,
    metadata: &'a Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    spec: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a Value>,
}

fn body(e: &Entity, uid: &str, etag: &str) -> String {
    let mut metadata = e.metadata.clone();
    metadata.uid = Some(uid.to_string());
    metadata.etag = Some(etag.to_string());
    serde_json::to_string(&StoredBody {
        api_version: &e.api_version,
        kind: &e.kind,
        metadata: &metadata,
        spec: e.spec.as_ref(),
        status: e.status.as_ref(),
    })
    .unwrap_or_default()
}

/// An entity row and everything derived from it, ready to insert.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub key: String,
    pub uid: String,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub etag: &'a str,
    /// The entity JSON with `metadata.uid`/`etag` set and no `relations`
    /// (stored in `bodies`).
    pub body: String,
    pub location: Option<String>,
    /// Full-text document.
    pub fts: String,
    /// Filter rows, without `relations.*` (answered from the relations table).
    pub search: Vec<SearchRow>,
    /// Relation rows this entity originates.
    pub relations: Vec<RelationRecord>,
}

/// An entity to write: its prepared form, the uid it keeps or gets and
/// the location it is from. Its rows are made ([`Fresh::row`]) when the
/// store writes its chunk, and it is dropped with the chunk, so a batch's
/// entities are let go of as they are written.
#[derive(Debug)]
pub struct Fresh {
    prepared: Box<PreparedEntity>,
    uid: String,
    location: Option<String>,
}

impl Fresh {
    /// The stored form of the entity: its row and everything derived from it.
    pub fn row(&self) -> Row<'_> {
        let p = &self.prepared;
        let body = body(&p.entity, &self.uid, &p.hash);
        let derived = p.relations();
        let search = index::search_rows(&p.entity, &derived)
            .into_iter()
            .filter(|s| !s.key.starts_with("relations.") && s.key.len() <= MAX_INDEX_KEY_LEN)
            .collect();
        let relations = derived
            .iter()
            .map(|r| {
                let (source_key, source_ref) = key_and_ref(&r.source);
                let (target_key, target_ref) = key_and_ref(&r.target);
                RelationRecord {
                    source_key,
                    source_ref,
                    r#type: type_key(r.r#type),
                    target_key,
                    target_ref,
                }
            })
            .collect();
        Row {
            key: p.entity.entity_ref().key(),
            uid: self.uid.clone(),
            kind: &p.entity.kind,
            namespace: p.entity.namespace(),
            name: &p.entity.metadata.name,
            etag: &p.hash,
            body,
            location: self.location.clone(),
            fts: fts_document(&index::search_text(&p.entity)),
            search,
            relations,
        }
    }
}

/// The rows of a chunk of writes: for each write that stores an entity
/// (insert or update), its [`Row`], made on every core; `None` for the others.
pub fn rows<'a>(chunk: impl IntoIterator<Item = &'a Write>) -> Vec<Option<Row<'a>>> {
    let fresh: Vec<Option<&Fresh>> = chunk.into_iter().map(Write::fresh).collect();
    crate::parallel::map(fresh, |f| f.map(Fresh::row))
}

/// One write to execute, in order.
#[derive(Debug)]
pub enum Write {
    Insert(Fresh),
    /// Replace the row `id` and all its derived rows.
    Update {
        id: i64,
        fresh: Fresh,
    },
    /// Same content from another location: only the location column changes.
    Relocate {
        id: i64,
        location: String,
    },
    /// Remove the entity and the rows it originates.
    Delete {
        id: i64,
    },
}

impl Write {
    /// The entity an insert or update stores.
    pub fn fresh(&self) -> Option<&Fresh> {
        match self {
            Write::Insert(fresh) | Write::Update { fresh, .. } => Some(fresh),
            Write::Relocate { .. } | Write::Delete { .. } => None,
        }
    }
}

/// An audit record still to chain. A change's record is made from its
/// outcome when its chunk of the log is written ([`Sealed::next_records`]),
/// so a batch of a million entities never holds a million records.
#[derive(Debug)]
enum Pending<'a> {
    /// The change whose outcome is `outcomes[outcome]` (created, updated
    /// or deleted), with the etag it replaces and the location it is from.
    Change {
        outcome: usize,
        previous: Option<&'a str>,
        location: Option<String>,
    },
    /// One of the batch's own records.
    Record(&'a AuditOnly),
}

/// What a batch will do.
#[derive(Debug)]
pub struct Plan<'a> {
    pub writes: Vec<Write>,
    pub outcomes: Vec<(EntityRef, Outcome, Option<String>)>,
    pending: Vec<Pending<'a>>,
    /// How many entities each location gains (or loses): kept in
    /// `location_counts` by the same transaction, so a location's size is
    /// read, not counted.
    located: HashMap<String, i64>,
    batch: &'a ChangeBatch,
}

/// A planned batch ready to write: its writes, the changes to
/// `location_counts`, and its audit records, chained chunk by chunk after
/// the head of the log ([`Sealed::next_records`]). [`Sealed::finish`] is
/// what the commit returns.
#[derive(Debug)]
pub struct Sealed<'a> {
    /// Taken by the store and dropped a chunk at a time as it is written.
    pub writes: Vec<Write>,
    /// The changes to `location_counts`: `(location, change)`, none zero.
    pub locations: Vec<(String, i64)>,
    outcomes: Vec<(EntityRef, Outcome, Option<String>)>,
    pending: std::vec::IntoIter<Pending<'a>>,
    /// Seq and hash of the last record chained (the log's head at first).
    prev: Option<(u64, String)>,
    /// The seq of the first change's record.
    first: u64,
    source: EventSource,
    batch: &'a ChangeBatch,
    /// The batch's own records as chained, and their events.
    own: Vec<AuditRecord>,
    own_events: Vec<Event>,
}

/// What a change's audit record says and the event that announces it.
fn change_names(outcome: Outcome) -> Option<(&'static str, &'static str)> {
    match outcome {
        Outcome::Created => Some(("entity.create", "entity.created")),
        Outcome::Updated => Some(("entity.update", "entity.updated")),
        Outcome::Deleted => Some(("entity.delete", "entity.deleted")),
        Outcome::Unchanged => None,
    }
}

/// The keys of every entity a batch touches, in order.
pub fn keys(batch: &ChangeBatch) -> Vec<String> {
    batch.changes.iter().map(|c| change_ref(c).key()).collect()
}

fn change_ref(c: &Change) -> EntityRef {
    match c {
        Change::Upsert { entity, .. } => entity.entity.entity_ref(),
        Change::Delete { entity_ref, .. } => entity_ref.clone(),
    }
}

fn conflict(r: &EntityRef, expected: &str, found: Option<&Current>) -> Error {
    Error::Conflict {
        entity: r.to_string(),
        expected: expected.to_string(),
        found: found.map(|c| c.etag.clone()),
    }
}

/// Check `expected` against `current`: `""` means "must not exist".
fn check_etag(r: &EntityRef, expected: Option<&str>, current: Option<&Current>) -> Result<()> {
    match (expected, current) {
        (None, _) => Ok(()),
        (Some(""), None) => Ok(()),
        (Some(e), Some(c)) if !e.is_empty() && c.etag == e => Ok(()),
        (Some(e), c) => Err(conflict(r, e, c)),
    }
}

/// Decide every change against `current` (keyed by entity key). Fails with
/// `Conflict`, `NotFound` or `Invalid` before anything is written. Takes
/// the batch's changes: the plan's writes own the entities they store.
/// `keys` are the changes' keys, in order ([`keys`]: the store has read
/// `current` by them).
pub fn plan<'a>(
    batch: &'a mut ChangeBatch,
    keys: &[String],
    current: &'a HashMap<String, Current>,
) -> Result<Plan<'a>> {
    let changes = std::mem::take(&mut batch.changes);
    let batch: &'a ChangeBatch = batch;
    let mut seen = HashSet::with_capacity(keys.len());
    for (c, key) in changes.iter().zip(keys) {
        if !seen.insert(key.as_str()) {
            return Err(Error::invalid(
                Diagnostic::error(
                    "",
                    "the entity appears more than once in one batch; each entity may change once per commit",
                )
                .for_entity(change_ref(c).to_string()),
            ));
        }
    }
    drop(seen);
    let mut plan = Plan {
        writes: Vec::new(),
        outcomes: Vec::with_capacity(changes.len()),
        pending: Vec::new(),
        located: HashMap::new(),
        batch,
    };
    for (c, key) in changes.into_iter().zip(keys) {
        let r = change_ref(&c);
        let cur = current.get(key);
        match c {
            Change::Upsert {
                entity,
                expected_etag,
            } => {
                check_etag(&r, expected_etag.as_deref(), cur)?;
                plan.upsert(r, entity, cur);
            }
            Change::Delete {
                entity_ref,
                expected_etag,
            } => {
                check_etag(&r, expected_etag.as_deref(), cur)?;
                let Some(cur) = cur else {
                    return Err(Error::NotFound {
                        what: "entity",
                        id: entity_ref.to_string(),
                        hint: None,
                    });
                };
                plan.writes.push(Write::Delete { id: cur.id });
                plan.moved(cur.location.as_deref(), None);
                plan.changed(
                    r,
                    Outcome::Deleted,
                    None,
                    Some(&cur.etag),
                    cur.location.clone(),
                );
            }
        }
    }
    plan.pending
        .extend(batch.records.iter().map(Pending::Record));
    Ok(plan)
}

impl<'a> Plan<'a> {
    /// An entity leaves location `from` for `to` (either may be none).
    fn moved(&mut self, from: Option<&str>, to: Option<&str>) {
        if from == to {
            return;
        }
        for (location, n) in [(from, -1), (to, 1)] {
            if let Some(l) = location {
                match self.located.get_mut(l) {
                    Some(count) => *count += n,
                    None => {
                        self.located.insert(l.to_string(), n);
                    }
                }
            }
        }
    }

    /// A change that is written: its outcome, and its audit record to chain.
    fn changed(
        &mut self,
        r: EntityRef,
        outcome: Outcome,
        etag: Option<String>,
        previous: Option<&'a str>,
        location: Option<String>,
    ) {
        self.pending.push(Pending::Change {
            outcome: self.outcomes.len(),
            previous,
            location,
        });
        self.outcomes.push((r, outcome, etag));
    }

    fn upsert(&mut self, r: EntityRef, mut p: Box<PreparedEntity>, cur: Option<&'a Current>) {
        let location = p
            .location
            .take()
            .or_else(|| cur.and_then(|c| c.location.clone()));
        if let Some(c) = cur
            && c.etag == p.hash
        {
            if location != c.location
                && let Some(l) = location
            {
                self.moved(c.location.as_deref(), Some(&l));
                self.writes.push(Write::Relocate {
                    id: c.id,
                    location: l,
                });
            }
            self.outcomes
                .push((r, Outcome::Unchanged, Some(c.etag.clone())));
            return;
        }
        let uid = cur
            .map(|c| c.uid.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.moved(cur.and_then(|c| c.location.as_deref()), location.as_deref());
        let outcome = if cur.is_some() {
            Outcome::Updated
        } else {
            Outcome::Created
        };
        let hash = p.hash.clone();
        self.changed(
            r,
            outcome,
            Some(hash),
            cur.map(|c| c.etag.as_str()),
            location.clone(),
        );
        let fresh = Fresh {
            prepared: p,
            uid,
            location,
        };
        self.writes.push(match cur {
            Some(c) => Write::Update { id: c.id, fresh },
            None => Write::Insert(fresh),
        });
    }

    /// Ready to write after the log's `head` (seq and hash of its last
    /// record, if any); every record is stamped `at`.
    pub fn seal(self, head: Option<(u64, String)>, at: &str) -> Sealed<'a> {
        let mut locations: Vec<(String, i64)> =
            self.located.into_iter().filter(|(_, n)| *n != 0).collect();
        locations.sort();
        Sealed {
            writes: self.writes,
            locations,
            outcomes: self.outcomes,
            pending: self.pending.into_iter(),
            first: head.as_ref().map_or(1, |(seq, _)| seq + 1),
            prev: head,
            source: EventSource {
                actor: self.batch.actor.clone(),
                at: at.to_string(),
                origin: self.batch.origin.clone(),
            },
            batch: self.batch,
            own: Vec::new(),
            own_events: Vec::new(),
        }
    }
}

impl Sealed<'_> {
    /// The next `n` audit records (fewer at the end, none once every one
    /// is), chained after the last. Their events are made from the
    /// outcomes when they are published ([`CommitResult::events`]).
    pub fn next_records(&mut self, n: usize) -> Vec<AuditRecord> {
        let mut records = Vec::with_capacity(n.min(self.pending.len()));
        for p in self.pending.by_ref().take(n) {
            let prev = self.prev.as_ref().map(|(s, h)| (*s, h.as_str()));
            let record = match p {
                Pending::Change {
                    outcome,
                    previous,
                    location,
                } => {
                    let (r, outcome, etag) = &self.outcomes[outcome];
                    let (action, _) = change_names(*outcome).unwrap_or_default();
                    let draft = AuditDraft {
                        actor: self.batch.actor.clone(),
                        action: action.to_string(),
                        subject: r.to_string(),
                        details: json!({
                            "etag": etag,
                            "previous_etag": previous,
                            "location": location,
                            "origin": self.batch.origin,
                            "operation": self.batch.action,
                        }),
                    };
                    audit::chain(prev, self.source.at.clone(), draft)
                }
                Pending::Record(r) => {
                    let draft = AuditDraft {
                        actor: self.batch.actor.clone(),
                        action: r.action.clone(),
                        subject: r.subject.clone(),
                        details: r.details.clone(),
                    };
                    let record = audit::chain(prev, self.source.at.clone(), draft);
                    self.own_events
                        .push(self.source.event(record.seq, &r.event, &r.subject, None));
                    self.own.push(record.clone());
                    record
                }
            };
            self.prev = Some((record.seq, record.hash.clone()));
            records.push(record);
        }
        records
    }

    /// What the commit returns, once every record is written.
    pub fn finish(self) -> CommitResult {
        debug_assert_eq!(self.pending.len(), 0, "every audit record is written");
        CommitResult {
            outcomes: self.outcomes,
            audit: self.own,
            changes_from: self.first,
            source: self.source,
            own_events: self.own_events,
        }
    }
}

/// What every event of one commit shares.
#[derive(Debug, Clone)]
pub struct EventSource {
    actor: String,
    at: String,
    origin: String,
}

impl EventSource {
    fn event(&self, seq: u64, kind: &str, subject: &str, etag: Option<&str>) -> Event {
        Event {
            seq,
            kind: kind.to_string(),
            subject: subject.to_string(),
            etag: etag.map(str::to_string),
            actor: self.actor.clone(),
            at: self.at.clone(),
            origin: self.origin.clone(),
        }
    }

    /// The event of a change that was written (none for an unchanged entity).
    fn change(&self, seq: u64, r: &EntityRef, outcome: Outcome, etag: Option<&str>) -> Event {
        let (_, kind) = change_names(outcome).unwrap_or_default();
        self.event(seq, kind, &r.to_string(), etag)
    }
}

impl CommitResult {
    /// The events to publish, one per audit record written, in seq order:
    /// the changes' (made as they are read, from the outcomes), then those
    /// of the batch's own records.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.outcomes
            .iter()
            .filter(|(_, outcome, _)| change_names(*outcome).is_some())
            .zip(self.changes_from..)
            .map(|((r, outcome, etag), seq)| self.source.change(seq, r, *outcome, etag.as_deref()))
            .chain(self.own_events.iter().cloned())
    }

    /// How many entities the commit wrote (created, updated or deleted).
    pub fn changed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, outcome, _)| change_names(*outcome).is_some())
            .count()
    }

    /// The seqs of the changes' audit records, in the order of their
    /// outcomes (read them with [`super::Store::audit_records`]).
    pub fn changes_logged(&self) -> std::ops::Range<u64> {
        self.changes_from..self.changes_from + self.changed() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_body_is_the_entity_with_uid_and_etag_and_without_relations() {
        let mut e: Entity = serde_json::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "a", "labels": {"x": "y"}, "custom": 1, "etag": "old"},
            "spec": {"owner": "team-a"},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}],
            "status": {"items": []}
        }))
        .unwrap();
        let stored: Entity = serde_json::from_str(&body(&e, "u-1", "e-1")).unwrap();
        e.metadata.uid = Some("u-1".into());
        e.metadata.etag = Some("e-1".into());
        e.relations.clear();
        assert_eq!(stored, e);
    }

    #[test]
    fn relation_types_are_stored_lower_cased() {
        for t in RelationType::ALL {
            assert_eq!(type_key(t), t.as_str().to_lowercase());
        }
    }
}
