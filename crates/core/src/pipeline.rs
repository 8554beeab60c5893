//! The one write path: every change, from every front, goes through here.
//!
//! ```text
//! request (import | upsert | delete | provider call)
//!   -> validate                     only a `Validated` load or a value checked by
//!                                   ingest becomes a request; the actor is checked
//!   -> plan: a ChangeSet             per entity: create / update / unchanged / delete,
//!                                   warnings (dangling refs, orphans)
//!   -> access                        the actor (a User and its groups, from the
//!                                   catalogue) against the access rules
//!                                   (crate::access): any item it may not make
//!                                   refuses the request, naming the rule
//!   -> checks                        embedder's stages, in order; any may refuse
//!   -> policies                      every item reviewed by the matching bindings
//!                                   (crate::policy): patches applied and validated
//!                                   again, an enforcing deny refuses (its decisions
//!                                   recorded, nothing else written), or, when every
//!                                   deny comes from a policy that asks for approval,
//!                                   holds the ChangeSet as a pending request
//!                                   (crate::approval; `decide` commits it later)
//!   -> (dry run stops here)
//!   -> commit                        one store transaction: etag checks, rows, audit
//!                                   records (the write's and its policy decisions')
//!   -> publish                       the commit's events, to this process's subscribers
//! ```
//!
//! Everything here is crate-private but the types a caller sees
//! ([`WriteOptions`] in, [`ChangeSet`] out): the platform's handles are the
//! only callers of [`run`], and the store's write side is reachable only from
//! it. A dry run and a real run share everything up to the commit, so a
//! preview is what runs.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::access::AccessControl;
use crate::approval;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::events::EventBus;
use crate::ingest::{self, Validated};
use crate::locations::{ANNOTATION_ORPHAN, LocationRead, OrphanStrategy};
use crate::model::relations::RelationType;
use crate::model::schema::KindRegistry;
use crate::model::{Entity, EntityRef, relations};
use crate::plugin;
use crate::policy::{self, DECISION_ACTION, Decision, Facets, Item, Patched, Point, PolicySet};
pub use crate::store::Outcome;
use crate::store::{AuditOnly, Change, ChangeBatch, PreparedEntity, Store};

/// The actor recorded when a write names none and the platform was opened
/// without one.
pub const DEFAULT_ACTOR: &str = "system";

/// What the write path needs of one validated entity: its content hash.
/// The rows the store writes from it (relations, filter rows, full-text
/// document, body) are made when its chunk is written
/// (`store::plan::Fresh::row`), so a large batch never holds them all.
pub(crate) fn prepare(entity: Entity, location: Option<String>) -> PreparedEntity {
    let hash = entity.content_hash();
    PreparedEntity {
        entity,
        hash,
        location,
    }
}

/// Who is acting and how. The default is the platform's actor, for real.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteOptions {
    /// The actor recorded in the audit log: an entity ref with its kind
    /// (`user:default/jane`, `component:default/deploy-bot`) or `system`.
    /// `None`: the actor the platform was opened with.
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: bool,
}

impl WriteOptions {
    /// Options that act as `actor`.
    pub fn actor(actor: impl Into<String>) -> Self {
        Self {
            actor: Some(actor.into()),
            dry_run: false,
        }
    }

    /// The same options, as a dry run.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }
}

/// Check an actor: `system`, or an entity ref that names its kind. Returns
/// the actor as it will be recorded.
pub fn check_actor(actor: &str) -> Result<String> {
    if actor == DEFAULT_ACTOR {
        return Ok(actor.to_string());
    }
    let invalid = |why: String| {
        Error::invalid(Diagnostic::error(
            "actor",
            format!(
                "invalid actor '{actor}': {why}; expected `system` or an entity ref such as `user:default/jane`"
            ),
        ))
    };
    if !actor.contains(':') {
        return Err(invalid("it names no kind".into()));
    }
    EntityRef::parse(actor)
        .map(|r| r.to_string())
        .map_err(|e| invalid(e.to_string()))
}

/// One planned (or done) change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    /// `kind:namespace/name`.
    pub entity_ref: String,
    pub outcome: Outcome,
    /// The etag after the change (none for deletes).
    pub etag: Option<String>,
}

/// The plan of a request, and after a real run, what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChangeSet {
    pub changes: Vec<PlannedChange>,
    /// Problems that do not stop the change: refs to entities that do not
    /// exist, orphaned entities.
    pub warnings: Vec<Diagnostic>,
    /// Entities that were imported from the same locations before but are no
    /// longer there. They are reported, not deleted.
    pub orphans: Vec<String>,
    /// Side effects outside the catalogue (provider calls), each recorded
    /// in the audit log when done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    /// The policy decisions that said more than a plain allow (warnings,
    /// denials not enforced, failures, patches, audit-mode findings), in
    /// review order. Plain allows are counted in `policy_reviews` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// How many (binding, item) reviews the policies made.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub policy_reviews: usize,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Whether an import stored some entities and kept others out
    /// (`refused` or `conflicts` is not empty; per-entity mode only).
    #[serde(default)]
    pub partial: bool,
    /// The errors that kept entities out of a per-entity import, each with
    /// its file, line, JSON path, entity and reason. Nothing of those
    /// entities was written (a version stored before stays as it was).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Diagnostic>,
    /// Entities of a per-entity import that another location already
    /// provides: the first location keeps them (Backstage's rule), this
    /// definition was not written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Diagnostic>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A side effect outside the catalogue, as planned: what and on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// e.g. `resource.apply`.
    pub action: String,
    /// e.g. `postgres.database/orders`.
    pub subject: String,
}

impl ChangeSet {
    /// How many changes had this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.changes.iter().filter(|c| c.outcome == outcome).count()
    }
}

/// The location an entity was read from (its `managed-by-location` annotation).
fn managed_by(entity: &Entity) -> Option<&str> {
    entity
        .metadata
        .annotations
        .get(ingest::ANNOTATION_LOCATION)
        .map(String::as_str)
}

/// Whether the location an entity was read from may still provide it: a
/// `file:` location whose file is gone does not (its checkout moved or was
/// removed, as a Backstage location that was unregistered); any other
/// location is assumed to.
fn location_exists(location: &str) -> bool {
    location
        .strip_prefix("file:")
        .is_none_or(|path| std::path::Path::new(path).exists())
}

/// Split off the entities another location already provides in the store:
/// a stored entity whose `managed-by-location` names another location keeps
/// it (Backstage's rule: the first location wins). A stored entity with no
/// such annotation (e.g. written through `upsert`), or whose `file:`
/// location no longer exists, is taken over. Returns a conflict diagnostic
/// per entity kept out.
#[expect(
    clippy::vec_box,
    reason = "the boxes become the changes as they are, so the batch is not copied"
)]
fn store_conflicts(
    prepared: &mut Vec<Box<PreparedEntity>>,
    current: &HashMap<String, Entity>,
    sources: &HashMap<String, crate::diagnostic::SourceLocation>,
) -> Vec<Diagnostic> {
    let mut conflicts = Vec::new();
    prepared.retain(|p| {
        let r = p.entity.entity_ref();
        let kept_by = current
            .get(&r.key())
            .and_then(managed_by)
            .filter(|&stored| managed_by(&p.entity).is_some_and(|new| new != stored))
            .filter(|&stored| location_exists(stored));
        let Some(kept_by) = kept_by else {
            return true;
        };
        let mut d = Diagnostic::error(
            "metadata.name",
            format!(
                "conflict: {r} is already in the catalogue from another location, {kept_by}, \
                 which keeps it (the first location wins, as in Backstage); this definition \
                 was not imported (delete the entity first to move it here)"
            ),
        )
        .for_entity(r.to_string());
        if let Some(source) = sources.get(&r.key()) {
            d = d.at(source.clone());
        }
        conflicts.push(d);
        false
    });
    conflicts
}

/// The warning an orphan gets: what happened to it and what to do.
fn orphan_message(strategy: OrphanStrategy, loc: &str, r: &EntityRef) -> String {
    match strategy {
        OrphanStrategy::Keep => format!(
            "orphaned: it was imported from {loc} before but is no longer there (kept and \
             marked {ANNOTATION_ORPHAN}; delete it with `paved catalog delete {r}`, or set \
             catalog.orphanStrategy: delete)"
        ),
        OrphanStrategy::Delete => format!(
            "orphaned: it was imported from {loc} before but is no longer there (deleted: \
             catalog.orphanStrategy is delete)"
        ),
    }
}

/// Apply the orphan strategy to the orphans of an import (as stored):
/// `keep` adds each one not marked yet to `prepared`, marked (and to
/// `current`, as it is); `delete` returns them, to be deleted.
#[expect(
    clippy::vec_box,
    reason = "the boxes become the changes as they are, so the batch is not copied"
)]
fn orphans(
    ctx: &Context<'_>,
    roots: &[String],
    root_of: &HashMap<String, usize>,
    stored: Vec<Entity>,
    prepared: &mut Vec<Box<PreparedEntity>>,
    current: &mut HashMap<String, Entity>,
) -> Vec<Entity> {
    if ctx.orphans == OrphanStrategy::Delete {
        return stored;
    }
    for entity in stored {
        let marked = entity.metadata.annotations.get(ANNOTATION_ORPHAN);
        if marked.is_some_and(|v| v == "true") {
            continue;
        }
        let mut orphan = entity.clone();
        orphan.relations.clear();
        orphan.status = None;
        orphan.metadata.etag = None;
        orphan
            .metadata
            .annotations
            .insert(ANNOTATION_ORPHAN.to_string(), "true".to_string());
        let key = entity.entity_ref().key();
        let location = root_of.get(&key).map(|&i| roots[i].clone());
        current.insert(key, entity);
        prepared.push(Box::new(prepare(orphan, location)));
    }
    Vec::new()
}

/// Check and review deletes an import plans (orphans), as a delete request
/// would be, and add them to the plan.
async fn review_deletes(
    ctx: &Context<'_>,
    actor: &str,
    deleted: &[Entity],
    set: &mut ChangeSet,
) -> Result<()> {
    if deleted.is_empty() {
        return Ok(());
    }
    let items: Vec<Item> = deleted
        .iter()
        .map(|e| entity_item(Point::EntityDelete, Some(e), None, actor))
        .collect();
    ctx.access.check(ctx.store, actor, &items).await?;
    review(ctx, actor, items, set).await?;
    set.changes.extend(deleted.iter().map(|e| PlannedChange {
        entity_ref: e.entity_ref().to_string(),
        outcome: Outcome::Deleted,
        etag: None,
    }));
    Ok(())
}

/// What reading each root of an import did (see [`crate::locations`]).
/// Changes and orphans go to the root their entity is stored from
/// (`root_of`, filled only when there are several roots);
/// refusals and conflicts to the root whose directory holds their file (the
/// first root when none does).
fn location_reads(
    action: &str,
    roots: &[String],
    set: &ChangeSet,
    root_of: &HashMap<String, usize>,
) -> Vec<(String, LocationRead)> {
    let mut reads: Vec<LocationRead> = roots
        .iter()
        .map(|_| LocationRead {
            action: action.to_string(),
            ..LocationRead::default()
        })
        .collect();
    if reads.is_empty() {
        return Vec::new();
    }
    // One root (the usual case): no lookup per change.
    let of_ref = |r: &str| {
        if roots.len() == 1 {
            return 0;
        }
        EntityRef::parse(r)
            .ok()
            .and_then(|r| root_of.get(&r.key()).copied())
            .unwrap_or(0)
    };
    for c in &set.changes {
        let read = &mut reads[of_ref(&c.entity_ref)];
        match c.outcome {
            Outcome::Created => read.created += 1,
            Outcome::Updated => read.updated += 1,
            Outcome::Unchanged => read.unchanged += 1,
            Outcome::Deleted => read.deleted += 1,
        }
    }
    for o in &set.orphans {
        reads[of_ref(o)].orphans.push(o.clone());
    }
    let of_file = |d: &Diagnostic| {
        let file = d.location.as_ref().map(|l| l.file.as_str()).unwrap_or("");
        roots
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let dir = std::path::Path::new(r.as_str());
                let dir = if dir.is_dir() {
                    Some(dir)
                } else {
                    dir.parent()
                };
                dir.is_some_and(|dir| std::path::Path::new(file).starts_with(dir))
            })
            .max_by_key(|(_, r)| r.len())
            .map_or(0, |(i, _)| i)
    };
    for d in &set.refused {
        reads[of_file(d)].refused.push(d.clone());
    }
    for d in &set.conflicts {
        reads[of_file(d)].conflicts.push(d.clone());
    }
    roots.iter().cloned().zip(reads).collect()
}

/// Whether a location's read is worth an audit record: it wrote something,
/// or what it found (refused, conflicts, orphans, a failure) differs from
/// the last read recorded. A read that changed nothing and found what the
/// last one found is not recorded, so refreshing on an interval does not
/// grow the audit log.
pub(crate) async fn worth_recording(
    store: &dyn Store,
    root: &str,
    read: &LocationRead,
) -> Result<bool> {
    if read.created + read.updated + read.deleted > 0 {
        return Ok(true);
    }
    let subject = crate::locations::location_ref(root).to_lowercase();
    let last = store.audit_about(&subject, 1).await?;
    let Some(last) = last.first() else {
        return Ok(read.is_partial() || !read.orphans.is_empty());
    };
    let Ok(last) = serde_json::from_value::<LocationRead>(last.details.clone()) else {
        return Ok(true);
    };
    Ok(last.refused != read.refused
        || last.conflicts != read.conflicts
        || last.orphans != read.orphans
        || last.error != read.error)
}

/// The audit record of one read of a location.
pub(crate) fn location_record(root: &str, read: &LocationRead) -> AuditOnly {
    AuditOnly {
        action: read.action.clone(),
        subject: crate::locations::location_ref(root),
        details: serde_json::to_value(read).unwrap_or_default(),
        event: "location.read".to_string(),
    }
}

/// Warn about relation targets that exist neither in the batch nor in the store.
async fn dangling_refs(
    store: &dyn Store,
    prepared: &[Box<PreparedEntity>],
) -> Result<Vec<Diagnostic>> {
    let in_batch: HashSet<String> = prepared
        .iter()
        .map(|p| p.entity.entity_ref().key())
        .collect();
    // The relations each entity originates to a target outside the batch,
    // in order.
    let mut outside: Vec<(EntityRef, relations::RelationRow)> = Vec::new();
    let mut wanted: HashMap<String, EntityRef> = HashMap::new();
    for p in prepared {
        let me = p.entity.entity_ref();
        for r in p.relations().into_iter().filter(|r| r.source == me) {
            let key = r.target.key();
            if !in_batch.contains(&key) {
                wanted.entry(key).or_insert_with(|| r.target.clone());
                outside.push((me.clone(), r));
            }
        }
    }
    let mut found: HashSet<String> = HashSet::new();
    let wanted_refs: Vec<EntityRef> = wanted.values().cloned().collect();
    for chunk in wanted_refs.chunks(500) {
        for r in store.existing(chunk).await? {
            found.insert(r.key());
        }
    }
    Ok(outside
        .into_iter()
        .filter(|(_, r)| !found.contains(&r.target.key()))
        .map(|(me, r)| {
            Diagnostic::warning(
                format!("relations.{}", r.r#type),
                format!("refers to {} which is not in the catalogue", r.target),
            )
            .for_entity(me.to_string())
        })
        .collect())
}

/// The stored entities among `prepared`'s refs, by key.
async fn current_entities(
    store: &dyn Store,
    prepared: &[Box<PreparedEntity>],
) -> Result<HashMap<String, Entity>> {
    let refs: Vec<EntityRef> = prepared.iter().map(|p| p.entity.entity_ref()).collect();
    let mut current = HashMap::new();
    for chunk in refs.chunks(500) {
        for e in store.get_many(chunk).await? {
            current.insert(e.entity_ref().key(), e);
        }
    }
    Ok(current)
}

/// Plan one outcome without writing, by comparing content hashes.
fn plan_outcome(p: &PreparedEntity, current: &HashMap<String, Entity>) -> PlannedChange {
    let r = p.entity.entity_ref();
    let outcome = match current.get(&r.key()).map(|e| e.metadata.etag.as_deref()) {
        None => Outcome::Created,
        Some(Some(etag)) if etag == p.hash => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
    };
    PlannedChange {
        entity_ref: r.to_string(),
        outcome,
        etag: Some(p.hash.clone()),
    }
}

/// A validated request the pipeline runs. Crate-private: only the
/// platform's handles build one, from input they have validated.
#[derive(Debug)]
pub(crate) enum Request {
    /// Entities loaded from files: an import (`catalog.import`) or a
    /// refresh (`catalog.refresh`) of the locations they were read from.
    Import {
        validated: Validated,
        action: &'static str,
    },
    /// One entity from an API call, optionally guarded by an etag.
    Upsert {
        entity: Box<Entity>,
        expected_etag: Option<String>,
    },
    /// Remove one entity, optionally guarded by an etag.
    Delete {
        entity_ref: EntityRef,
        expected_etag: Option<String>,
    },
}

impl Request {
    /// How many entities the request writes (before orphans are found).
    pub(crate) fn entities(&self) -> usize {
        match self {
            Request::Import { validated, .. } => validated.entities().len(),
            Request::Upsert { .. } | Request::Delete { .. } => 1,
        }
    }
}

/// A stage between plan and commit: an access check or a guardrail. It sees
/// the actor and the planned change set, and refuses (typically with
/// [`Error::Denied`]; nothing is written) or lets it through. Checks run in
/// the order they were added to the platform
/// ([`crate::platform::PlatformBuilder::check`]), for dry runs too, so a
/// preview shows a refusal a real run would meet.
#[async_trait::async_trait]
pub trait Check: Send + Sync {
    async fn check(&self, actor: &str, set: &ChangeSet) -> Result<()>;
}

/// What the pipeline writes to and publishes on.
pub(crate) struct Context<'a> {
    pub store: &'a dyn Store,
    pub bus: &'a EventBus,
    /// The platform instance (its own events are not echoed back to it).
    pub origin: &'a str,
    /// The actor when the write names none.
    pub actor: &'a str,
    /// Access stages, in order.
    pub checks: &'a [std::sync::Arc<dyn Check>],
    /// Access rules (before the policies).
    pub access: &'a AccessControl,
    /// The policy bindings in force.
    pub policies: std::sync::Arc<PolicySet>,
    /// Resolves a Policy entity's binding (to check one before it is written).
    pub resolver: &'a policy::Resolver,
    /// Kinds, to validate what a policy's patch made.
    pub kinds: &'a KindRegistry,
    /// What happens to entities a location no longer provides.
    pub orphans: OrphanStrategy,
}

/// Run a request: plan, checks, (dry run stops), commit, publish.
pub(crate) async fn run(
    ctx: &Context<'_>,
    request: Request,
    opts: &WriteOptions,
) -> Result<ChangeSet> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let store = ctx.store;
    // `current`: each stored entity the request touches, by key, as it was
    // reviewed (a held change must still find its etag when approved).
    // Audit records that come with the changes (a location's read).
    let mut records: Vec<AuditOnly> = Vec::new();
    let (changes, mut set, action, current) = match request {
        Request::Import { validated, action } => {
            let Validated {
                entities,
                warnings,
                refused,
                conflicts,
                roots,
                read,
                mode,
            } = validated;
            let sources: HashMap<String, crate::diagnostic::SourceLocation> = entities
                .iter()
                .map(|s| (s.entity.entity_ref().key(), s.source.clone()))
                .collect();
            let rego_texts: HashMap<String, crate::diagnostic::SourceLocation> = entities
                .iter()
                .filter_map(|s| Some((s.entity.entity_ref().key(), s.rego_text.clone()?)))
                .collect();
            // Boxed from the start: the changes take the boxes as they
            // are, so the batch is never held twice.
            let mut prepared: Vec<Box<PreparedEntity>> = crate::parallel::map(entities, |s| {
                Box::new(prepare(s.entity, Some(s.location_key)))
            });
            let mut current = current_entities(store, &prepared).await?;
            let mut set = ChangeSet {
                warnings,
                refused,
                conflicts,
                ..ChangeSet::default()
            };
            let taken = store_conflicts(&mut prepared, &current, &sources);
            if !taken.is_empty() && mode == ingest::ImportMode::AllOrNothing {
                return Err(Error::Invalid { diagnostics: taken });
            }
            set.conflicts.extend(taken);
            // A Policy that would not load is refused like any invalid entity
            // of a per-entity import, with its file and line (all or nothing:
            // the whole import).
            let bad = bad_policies(ctx, &prepared, &current).await;
            if !bad.is_empty() {
                prepared.retain(|p| !bad.contains_key(&p.entity.entity_ref().key()));
                let located = bad.into_iter().flat_map(|(key, problems)| {
                    let (source, rego_text) = (sources.get(&key), rego_texts.get(&key));
                    problems
                        .into_iter()
                        .map(move |d| place_policy_problem(d, source, rego_text))
                });
                if mode == ingest::ImportMode::AllOrNothing {
                    return Err(Error::Invalid {
                        diagnostics: located.collect(),
                    });
                }
                set.refused.extend(located);
                if prepared.is_empty() {
                    return Err(Error::Invalid {
                        diagnostics: std::mem::take(&mut set.refused),
                    });
                }
            }
            set.partial = !set.refused.is_empty() || !set.conflicts.is_empty();
            set.warnings.extend(dangling_refs(store, &prepared).await?);
            // Entities kept out are still in their files: not orphans.
            let loaded: HashSet<String> = prepared
                .iter()
                .map(|p| p.entity.entity_ref().key())
                .chain(
                    set.refused
                        .iter()
                        .chain(&set.conflicts)
                        .filter_map(|d| d.entity.as_deref())
                        .filter_map(|e| EntityRef::parse(e).ok())
                        .map(|r| r.key()),
                )
                .collect();
            let mut root_of: HashMap<String, usize> = HashMap::new();
            let mut missing = Vec::new();
            for (i, loc) in roots.iter().enumerate() {
                for r in store.entities_of_location(loc).await? {
                    root_of.entry(r.key()).or_insert(i);
                    if !loaded.contains(&r.key()) {
                        missing.push(r);
                    }
                }
            }
            // An orphan is missing from a file or URL that was read, or
            // from a file that is gone; one whose file or URL could not be
            // read this time (a server down) is kept as it is.
            let mut stored = Vec::new();
            for chunk in missing.chunks(500) {
                stored.extend(store.get_many(chunk).await?);
            }
            stored
                .retain(|e| managed_by(e).is_none_or(|l| read.contains(l) || !location_exists(l)));
            for e in &stored {
                let r = e.entity_ref();
                let loc = root_of.get(&r.key()).map_or("", |&i| roots[i].as_str());
                set.warnings.push(
                    Diagnostic::warning("", orphan_message(ctx.orphans, loc, &r))
                        .for_entity(r.to_string()),
                );
                set.orphans.push(r.to_string());
            }
            let deleted = orphans(ctx, &roots, &root_of, stored, &mut prepared, &mut current);
            review_entities(ctx, &actor, &mut prepared, &current, &mut set).await?;
            review_deletes(ctx, &actor, &deleted, &mut set).await?;
            // Which root each entity is read from, when there are several
            // (one root: every entity is its).
            for p in prepared.iter().filter(|_| roots.len() > 1) {
                if let Some(i) = p
                    .location
                    .as_ref()
                    .and_then(|l| roots.iter().position(|r| r == l))
                {
                    root_of.insert(p.entity.entity_ref().key(), i);
                }
            }
            let mut changes = prepared
                .into_iter()
                .map(|p| Change::Upsert {
                    entity: p,
                    expected_etag: None,
                })
                .collect::<Vec<_>>();
            changes.extend(deleted.iter().map(|e| Change::Delete {
                entity_ref: e.entity_ref(),
                expected_etag: None,
            }));
            for (root, read) in location_reads(action, &roots, &set, &root_of) {
                if worth_recording(store, &root, &read).await? {
                    records.push(location_record(&root, &read));
                }
            }
            (changes, set, action, current)
        }
        Request::Upsert {
            entity,
            expected_etag,
        } => {
            let mut prepared = Box::new(prepare(*entity, None));
            let one = std::slice::from_mut(&mut prepared);
            let mut set = ChangeSet {
                warnings: dangling_refs(store, one).await?,
                ..ChangeSet::default()
            };
            let current = current_entities(store, one).await?;
            if let Some(expected) = &expected_etag {
                let planned = plan_outcome(&one[0], &current);
                check_etag_for_plan(store, &one[0].entity.entity_ref(), expected, &planned).await?;
            }
            let bad = bad_policies(ctx, one, &current).await;
            if !bad.is_empty() {
                return Err(Error::Invalid {
                    diagnostics: bad.into_values().flatten().collect(),
                });
            }
            review_entities(ctx, &actor, one, &current, &mut set).await?;
            (
                vec![Change::Upsert {
                    entity: prepared,
                    expected_etag,
                }],
                set,
                "entity.upsert",
                current,
            )
        }
        Request::Delete {
            entity_ref,
            expected_etag,
        } => {
            let current = store
                .get(&entity_ref)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "entity",
                    id: entity_ref.to_string(),
                    hint: None,
                })?;
            if let Some(expected) = &expected_etag
                && current.metadata.etag.as_deref() != Some(expected.as_str())
            {
                return Err(Error::Conflict {
                    entity: entity_ref.to_string(),
                    expected: expected.clone(),
                    found: current.metadata.etag.clone(),
                });
            }
            let mut set = ChangeSet {
                changes: vec![PlannedChange {
                    entity_ref: current.entity_ref().to_string(),
                    outcome: Outcome::Deleted,
                    etag: None,
                }],
                ..ChangeSet::default()
            };
            let item = entity_item(Point::EntityDelete, Some(&current), None, &actor);
            ctx.access
                .check(store, &actor, std::slice::from_ref(&item))
                .await?;
            review(ctx, &actor, vec![item], &mut set).await?;
            let current = HashMap::from([(entity_ref.key(), current)]);
            (
                vec![Change::Delete {
                    entity_ref,
                    expected_etag,
                }],
                set,
                "entity.delete",
                current,
            )
        }
    };
    run_checks(ctx, &actor, &set).await?;
    if let Some((required, ttl)) = ctx.policies.approval_for(&set.decisions) {
        let held = held_changes(&changes, &set, &current);
        return Err(hold(
            ctx,
            &actor,
            set.decisions,
            held,
            action,
            required,
            ttl,
            opts,
        )
        .await?);
    }
    refuse_if_blocked(ctx, &actor, &mut set, opts).await?;
    if opts.dry_run {
        set.dry_run = true;
        return Ok(set);
    }
    records.splice(0..0, decision_records(&set.decisions));
    // Not needed to write, and large for a large batch: the entities as
    // they were (every entity of a re-import) and the planned changes,
    // which the commit's outcomes replace.
    drop(current);
    set.changes = Vec::new();
    let committed = commit_and_publish(
        ctx,
        ChangeBatch {
            changes,
            records,
            actor,
            origin: ctx.origin.to_string(),
            action: action.to_string(),
            unless_recorded: None,
        },
    )
    .await?;
    number_decisions(&mut set.decisions, &committed.audit);
    set.changes = committed
        .outcomes
        .into_iter()
        .map(|(r, outcome, etag)| PlannedChange {
            entity_ref: r.to_string(),
            outcome,
            etag,
        })
        .collect();
    Ok(set)
}

/// The checks, in order; the first refusal ends the request.
async fn run_checks(ctx: &Context<'_>, actor: &str, set: &ChangeSet) -> Result<()> {
    for check in ctx.checks {
        check.check(actor, set).await?;
    }
    Ok(())
}

/// Commit one batch and publish its events; returns each change's outcome
/// and the batch's own audit records as written (a change's record is in
/// the log only).
async fn commit_and_publish(ctx: &Context<'_>, batch: ChangeBatch) -> Result<Committed> {
    let result = ctx.store.commit(batch).await?;
    ctx.bus.publish_all(result.events());
    Ok(Committed {
        outcomes: result.outcomes,
        audit: result.audit,
    })
}

/// Commit audit records that come with no catalogue change (decisions of a
/// refused write, a provider call, observations) and publish their events.
async fn commit_records(
    ctx: &Context<'_>,
    records: Vec<AuditOnly>,
    actor: String,
) -> Result<Committed> {
    commit_and_publish(
        ctx,
        ChangeBatch {
            changes: Vec::new(),
            records,
            actor,
            origin: ctx.origin.to_string(),
            action: String::new(),
            unless_recorded: None,
        },
    )
    .await
}

/// What a commit did.
struct Committed {
    outcomes: Vec<(EntityRef, Outcome, Option<String>)>,
    audit: Vec<crate::audit::AuditRecord>,
}

/// Plan every prepared entity, review those that change with the policies
/// (a patched entity is validated and prepared again, and planned anew),
/// and put the plan and the decisions in `set`.
async fn review_entities(
    ctx: &Context<'_>,
    actor: &str,
    prepared: &mut [Box<PreparedEntity>],
    current: &HashMap<String, Entity>,
    set: &mut ChangeSet,
) -> Result<()> {
    let mut planned: Vec<PlannedChange> =
        prepared.iter().map(|p| plan_outcome(p, current)).collect();
    if ctx.access.is_active() || ctx.policies.is_active() {
        let mut items = Vec::new();
        let mut at = Vec::new();
        for (i, (p, plan)) in prepared.iter().zip(&planned).enumerate() {
            let Some(point) = entity_point(plan.outcome) else {
                continue;
            };
            let before = current.get(&p.entity.entity_ref().key());
            items.push(entity_item(point, before, Some(p), actor));
            at.push(i);
        }
        ctx.access.check(ctx.store, actor, &items).await?;
        let mut patched_at = Vec::new();
        for (n, patched) in review(ctx, actor, items, set).await? {
            let i = at[n];
            let entity = patched_entity(ctx.kinds, patched)?;
            *prepared[i] = prepare(entity, prepared[i].location.take());
            planned[i] = plan_outcome(&prepared[i], current);
            patched_at.push(i);
        }
        // A Policy was checked before the review (`bad_policies`); one a
        // guardrail patched must still load as patched.
        let problems: Vec<Diagnostic> =
            policy_problems(ctx, patched_at.iter().map(|&i| &*prepared[i]))
                .await
                .into_values()
                .flatten()
                .collect();
        if !problems.is_empty() {
            return Err(Error::Invalid {
                diagnostics: problems,
            });
        }
    }
    set.changes = planned;
    Ok(())
}

/// Every Policy entity the request creates or changes must load as a
/// binding (its guardrail exists and accepts its settings, its Rego
/// compiles): those that would not, by key, each problem naming the field.
/// Unchanged Policies are not compiled again.
async fn bad_policies(
    ctx: &Context<'_>,
    prepared: &[Box<PreparedEntity>],
    current: &HashMap<String, Entity>,
) -> HashMap<String, Vec<Diagnostic>> {
    let changing = prepared.iter().map(|p| &**p).filter(|p| {
        policy::is_policy(&p.entity) && entity_point(plan_outcome(p, current).outcome).is_some()
    });
    policy_problems(ctx, changing).await
}

/// A problem of a Policy entity read from a file, placed in that file: a
/// line of its inline Rego module at the file's line (when the module is a
/// literal block whose text starts at `rego_text`), anything else at the
/// entity's document.
fn place_policy_problem(
    d: Diagnostic,
    source: Option<&crate::diagnostic::SourceLocation>,
    rego_text: Option<&crate::diagnostic::SourceLocation>,
) -> Diagnostic {
    match (&d.location, rego_text) {
        (Some(at), Some(text)) if d.path == policy::REGO_MODULE_PATH && at.line > 0 => {
            let place = crate::diagnostic::SourceLocation {
                line: text.line + at.line - 1,
                column: text.column + at.column.max(1) - 1,
                ..text.clone()
            };
            d.at(place)
        }
        _ => match source {
            Some(source) => d.at(source.clone()),
            None => d,
        },
    }
}

/// The Policy entities among `prepared` that would not load, by key, each
/// with its problems (naming the entity and the field).
async fn policy_problems(
    ctx: &Context<'_>,
    prepared: impl Iterator<Item = &PreparedEntity>,
) -> HashMap<String, Vec<Diagnostic>> {
    let mut bad = HashMap::new();
    for p in prepared.filter(|p| policy::is_policy(&p.entity)) {
        if let Err(found) = ctx.resolver.entity(&p.entity).await {
            let r = p.entity.entity_ref();
            let at = r.to_string();
            bad.insert(
                r.key(),
                found
                    .into_iter()
                    .map(|d| d.for_entity(at.clone()))
                    .collect(),
            );
        }
    }
    bad
}

/// The decision point of a planned entity change (none: unchanged).
fn entity_point(outcome: Outcome) -> Option<Point> {
    match outcome {
        Outcome::Created => Some(Point::EntityCreate),
        Outcome::Updated => Some(Point::EntityUpdate),
        _ => None,
    }
}

/// The entity a policy-patched document describes, validated as an upsert
/// would validate it (problems name the policies that patched it).
fn patched_entity(kinds: &KindRegistry, patched: Patched) -> Result<Entity> {
    ingest::load_one(patched.after.clone(), kinds)
        .map(|(entity, _)| entity)
        .map_err(|e| patched.invalid(e))
}

/// A change to an entity, as guardrails see it.
fn entity_item(
    point: Point,
    before: Option<&Entity>,
    after: Option<&PreparedEntity>,
    actor: &str,
) -> Item {
    let subject = after
        .map(|p| p.entity.entity_ref())
        .or_else(|| before.map(Entity::entity_ref))
        .map(|r| r.to_string())
        .unwrap_or_default();
    let shown = after.map(|p| &p.entity).or(before);
    let facets = match (after, shown) {
        (Some(p), _) => facets_of(&p.entity, &p.relations()),
        (None, Some(e)) => facets_of(e, &relations::derive(e).0),
        (None, None) => Facets::default(),
    };
    let previous = match (before, after) {
        (Some(e), Some(_)) => Some(facets_of(e, &relations::derive(e).0)),
        _ => None,
    };
    let operation = match point {
        Point::EntityCreate | Point::PathRun => plugin::Operation::Create,
        Point::EntityDelete => plugin::Operation::Delete,
        _ => plugin::Operation::Update,
    };
    Item {
        point,
        change: plugin::Change {
            subject: plugin::Subject::Entity(subject.clone()),
            operation,
            before: before.map(Entity::to_value),
            after: after.map(|p| p.entity.to_value()),
            diff: Vec::new(),
            monthly_cost: None,
            actor: Some(actor.to_string()),
        },
        facets,
        previous,
        subject,
        approved: None,
    }
}

/// What bindings and access rules match an entity by.
fn facets_of(entity: &Entity, relations: &[relations::RelationRow]) -> Facets {
    Facets {
        kind: Some(entity.kind.clone()),
        namespace: Some(entity.entity_ref().namespace),
        labels: entity.metadata.labels.clone(),
        owner: relations
            .iter()
            .find(|r| r.r#type == RelationType::OwnedBy)
            .map(|r| r.target.key()),
        ..Facets::default()
    }
}

/// Review an entity with the policies as an upsert of it would be reviewed,
/// and return every decision (plain allows too). Writes nothing; a patched
/// result that would not validate is the error the write would get.
pub(crate) async fn evaluate(
    ctx: &Context<'_>,
    entity: serde_json::Value,
    actor: &str,
) -> Result<Vec<Decision>> {
    let (entity, _) = ingest::load_one(entity, ctx.kinds)?;
    let before = ctx.store.get(&entity.entity_ref()).await?;
    let point = if before.is_some() {
        Point::EntityUpdate
    } else {
        Point::EntityCreate
    };
    review_change(ctx, point, before.as_ref(), Some(entity), None, actor).await
}

/// Review one entity change given whole (`evaluate`, a policy test's case)
/// as the pipeline reviews a write: every decision, plain allows included;
/// a patched result is validated. `only`: that binding alone. Writes nothing.
pub(crate) async fn review_change(
    ctx: &Context<'_>,
    point: Point,
    before: Option<&Entity>,
    after: Option<Entity>,
    only: Option<&str>,
    actor: &str,
) -> Result<Vec<Decision>> {
    let item = change_item(point, before, after, actor);
    review_entity_item(ctx, &item, only, actor).await
}

/// One entity change given whole, as the pipeline puts it to the access
/// rules and the bindings.
pub(crate) fn change_item(
    point: Point,
    before: Option<&Entity>,
    after: Option<Entity>,
    actor: &str,
) -> Item {
    let after = after.map(|e| prepare(e, None));
    entity_item(point, before, after.as_ref(), actor)
}

/// [`review_change`] of a change already made an item.
pub(crate) async fn review_entity_item(
    ctx: &Context<'_>,
    item: &Item,
    only: Option<&str>,
    actor: &str,
) -> Result<Vec<Decision>> {
    let reviewed = ctx.policies.review(item, actor, only).await?;
    if let Some(patched) = reviewed.patched {
        patched_entity(ctx.kinds, patched)?;
    }
    Ok(reviewed.decisions)
}

/// What the access rules answer `actor` for one change (a policy test's
/// access case): `Err((by, message))` when they deny it, as a write's
/// denial would name it. Writes nothing.
pub(crate) async fn access_answer(
    ctx: &Context<'_>,
    item: &Item,
    actor: &str,
) -> Result<policy::AccessAnswer> {
    match ctx
        .access
        .check(ctx.store, actor, std::slice::from_ref(item))
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(Error::Denied { by, message, .. }) => Ok(Err((by, message))),
        Err(e) => Err(e),
    }
}

/// A provider call on a resource, as a change the bindings review (the
/// platform's apply, delete and import, and a policy test's resource case):
/// `after` is the params asked for, `before` the params it has, when known.
pub(crate) fn resource_item(
    point: Point,
    operation: plugin::Operation,
    address: &plugin::ResourceAddress,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Item {
    Item {
        point,
        change: plugin::Change {
            subject: plugin::Subject::Resource(address.clone()),
            operation,
            before,
            after,
            diff: Vec::new(),
            monthly_cost: None,
            actor: None,
        },
        facets: Facets {
            owner: address.owner.as_deref().map(policy::owner_key),
            resource_type: Some(address.resource_type.clone()),
            environment: address.environment.clone(),
            ..Facets::default()
        },
        previous: None,
        subject: resource_subject(address),
        approved: None,
    }
}

/// A resource as decisions and audit records name it: `type/name@env`.
pub(crate) fn resource_subject(address: &plugin::ResourceAddress) -> String {
    match &address.environment {
        Some(env) => format!("{}/{}@{env}", address.resource_type, address.name),
        None => format!("{}/{}", address.resource_type, address.name),
    }
}

/// Review one resource change given whole (a policy test's resource case)
/// as [`run_effect`] reviews a provider call: every decision, plain allows
/// included; a patch is the error the call would get. Writes nothing.
pub(crate) async fn review_resource(
    ctx: &Context<'_>,
    mut item: Item,
    only: Option<&str>,
    actor: &str,
) -> Result<Vec<Decision>> {
    item.change.actor = Some(actor.to_string());
    let reviewed = ctx.policies.review(&item, actor, only).await?;
    if reviewed.patched.is_some() {
        return Err(provider_request_patched());
    }
    Ok(reviewed.decisions)
}

/// Patches apply to catalogue entities, never to a provider's request.
fn provider_request_patched() -> Error {
    Error::invalid(Diagnostic::error(
        "patch",
        "a policy patched a provider request; patches apply to catalogue entities only",
    ))
}

/// An entity as it is, as a change the bindings review (an `entity.update`
/// that changes nothing): what a scorecard's rules are reviewed with.
pub(crate) fn item_as_is(entity: &Entity, actor: &str) -> Item {
    let prepared = prepare(entity.clone(), None);
    entity_item(Point::EntityUpdate, Some(entity), Some(&prepared), actor)
}

/// Record what the platform observed (scorecard snapshots): audit records
/// with no catalogue change. They pass the actor check and the checks
/// (`effect` is what the checks see); nothing of the catalogue changes, so
/// no access rule or policy reviews them. A dry run writes nothing and
/// returns no records.
pub(crate) async fn record(
    ctx: &Context<'_>,
    effect: Effect,
    records: Vec<AuditOnly>,
    opts: &WriteOptions,
) -> Result<Vec<crate::audit::AuditRecord>> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let set = ChangeSet {
        effects: vec![effect],
        dry_run: opts.dry_run,
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    if opts.dry_run || records.is_empty() {
        return Ok(Vec::new());
    }
    Ok(commit_records(ctx, records, actor).await?.audit)
}

/// How many items the policies review at once.
const REVIEWS_IN_FLIGHT: usize = 16;

/// Review items with the policies; keeps in `set` every decision that says
/// more than a plain allow. Returns the patched documents by item index.
async fn review(
    ctx: &Context<'_>,
    actor: &str,
    items: Vec<Item>,
    set: &mut ChangeSet,
) -> Result<Vec<(usize, Patched)>> {
    if !ctx.policies.is_active() || items.is_empty() {
        return Ok(Vec::new());
    }
    use futures::{StreamExt, TryStreamExt};
    let policies = &ctx.policies;
    // Items are moved into their futures: a stream of futures that borrow
    // the items trips the compiler's `Send` proof (higher-ranked lifetimes).
    let reviewed: Vec<_> = futures::stream::iter(items)
        .map(|item| async move { policies.review(&item, actor, None).await })
        .buffered(REVIEWS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut patched = Vec::new();
    for (n, r) in reviewed.into_iter().enumerate() {
        set.policy_reviews += r.decisions.len();
        set.decisions
            .extend(r.decisions.into_iter().filter(|d| !d.is_plain_allow()));
        if let Some(p) = r.patched {
            patched.push((n, p));
        }
    }
    Ok(patched)
}

/// An enforcing deny refuses the request: its decisions are recorded (not
/// in a dry run) and returned in a `DENIED` error; nothing else is written.
async fn refuse_if_blocked(
    ctx: &Context<'_>,
    actor: &str,
    set: &mut ChangeSet,
    opts: &WriteOptions,
) -> Result<()> {
    if !set.decisions.iter().any(|d| d.blocking) {
        return Ok(());
    }
    let mut decisions = std::mem::take(&mut set.decisions);
    if !opts.dry_run {
        let committed =
            commit_records(ctx, decision_records(&decisions), actor.to_string()).await?;
        number_decisions(&mut decisions, &committed.audit);
    }
    let by: Vec<&str> = decisions
        .iter()
        .filter(|d| d.blocking)
        .map(|d| d.policy.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Err(Error::Denied {
        by: format!("policy {}", by.join(", ")),
        message: policy::denial_message(&decisions),
        decisions,
    })
}

/// One audit record per decision.
fn decision_records(decisions: &[Decision]) -> Vec<AuditOnly> {
    decisions
        .iter()
        .map(|d| AuditOnly {
            action: DECISION_ACTION.to_string(),
            subject: d.subject.clone(),
            details: serde_json::to_value(d).unwrap_or_default(),
            event: "policy.decided".to_string(),
        })
        .collect()
}

/// Review a resource plan's changes as their provider calls will be
/// reviewed (the actor, the checks, the access rules, then the policies), writing
/// nothing: the decisions that say more than a plain allow, blocking ones
/// included, in item order.
pub(crate) async fn preview_resources(
    ctx: &Context<'_>,
    items: Vec<Item>,
    opts: &WriteOptions,
) -> Result<Vec<Decision>> {
    preview(ctx, items, opts, false).await
}

/// Review a golden path's changes (the run, the entities it registers) as
/// they will be reviewed, writing nothing: the decisions that say more
/// than a plain allow, blocking ones included. Patches are allowed: the
/// writes apply them.
pub(crate) async fn preview_changes(
    ctx: &Context<'_>,
    items: Vec<Item>,
    opts: &WriteOptions,
) -> Result<Vec<Decision>> {
    preview(ctx, items, opts, true).await
}

/// A golden-path run as the bindings review it: the Template as `after`,
/// with the run's `parameters` (secrets masked) beside its fields.
pub(crate) fn run_item(template: &Entity, parameters: serde_json::Value, actor: &str) -> Item {
    let prepared = prepare(template.clone(), None);
    let mut item = entity_item(Point::PathRun, None, Some(&prepared), actor);
    if let Some(serde_json::Value::Object(after)) = &mut item.change.after {
        after.insert("parameters".into(), parameters);
    }
    item
}

/// An entity write as the bindings review it: created if `before` is none.
pub(crate) fn upsert_item(entity: Entity, before: Option<&Entity>, actor: &str) -> Item {
    let point = if before.is_some() {
        Point::EntityUpdate
    } else {
        Point::EntityCreate
    };
    let prepared = prepare(entity, None);
    entity_item(point, before, Some(&prepared), actor)
}

async fn preview(
    ctx: &Context<'_>,
    items: Vec<Item>,
    opts: &WriteOptions,
    patches: bool,
) -> Result<Vec<Decision>> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let mut items = items;
    for item in &mut items {
        item.change.actor = Some(actor.clone());
    }
    let mut set = ChangeSet {
        effects: items
            .iter()
            .map(|i| Effect {
                action: i.point.as_str().to_string(),
                subject: i.subject.clone(),
            })
            .collect(),
        dry_run: true,
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    ctx.access.check(ctx.store, &actor, &items).await?;
    set.effects.clear();
    if !review(ctx, &actor, items, &mut set).await?.is_empty() && !patches {
        return Err(provider_request_patched());
    }
    Ok(set.decisions)
}

/// Refuse a resource plan an enforcing policy blocks: its decisions are
/// recorded and returned in a `DENIED` error (nothing else is done).
pub(crate) async fn refuse_blocked(
    ctx: &Context<'_>,
    decisions: Vec<Decision>,
    opts: &WriteOptions,
) -> Result<()> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let mut set = ChangeSet {
        decisions,
        ..ChangeSet::default()
    };
    refuse_if_blocked(ctx, &actor, &mut set, opts).await
}

/// Stop a planned side effect (a resource plan) whose review `decisions`
/// block it: held as a pending approval holding `held` when every blocking
/// decision comes from a policy that asks for approval (the
/// `PENDING_APPROVAL` error; a dry run holds nothing), refused otherwise
/// (`DENIED`). Nothing blocking: nothing happens.
pub(crate) async fn hold_or_refuse(
    ctx: &Context<'_>,
    decisions: Vec<Decision>,
    held: Vec<approval::HeldChange>,
    action: &str,
    opts: &WriteOptions,
) -> Result<()> {
    if !decisions.iter().any(|d| d.blocking) {
        return Ok(());
    }
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    if let Some((required, ttl)) = ctx.policies.approval_for(&decisions) {
        return Err(hold(ctx, &actor, decisions, held, action, required, ttl, opts).await?);
    }
    refuse_blocked(ctx, decisions, opts).await
}

/// The actor of an effect with no entity change (a drift check, a revealed
/// output, a released lease), once the checks have let these records
/// through. Dry runs are checked too.
pub(crate) async fn permit_effects(
    ctx: &Context<'_>,
    records: &[AuditOnly],
    opts: &WriteOptions,
) -> Result<String> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let set = ChangeSet {
        effects: records
            .iter()
            .map(|r| Effect {
                action: r.action.clone(),
                subject: r.subject.clone(),
            })
            .collect(),
        dry_run: opts.dry_run,
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    Ok(actor)
}

/// Record audit records with no entity change under the acting actor, once
/// the checks have let them through ([`permit_effects`]), and announce
/// them; a dry run records nothing.
pub(crate) async fn record_effects(
    ctx: &Context<'_>,
    records: Vec<AuditOnly>,
    opts: &WriteOptions,
) -> Result<()> {
    let actor = permit_effects(ctx, &records, opts).await?;
    if opts.dry_run {
        return Ok(());
    }
    commit_records(ctx, records, actor).await.map(|_| ())
}

/// Give each decision the seq of its audit record (written in order, after
/// the changes' own records).
fn number_decisions(decisions: &mut [Decision], audit: &[crate::audit::AuditRecord]) {
    let seqs = audit
        .iter()
        .filter(|r| r.action == DECISION_ACTION)
        .map(|r| r.seq);
    for (d, seq) in decisions.iter_mut().zip(seqs) {
        d.id = Some(seq);
    }
}

/// Run a side effect done outside the store (a provider call) through the
/// pipeline: actor check, checks on the planned effect, then `effect`, then
/// its audit record (whether it succeeded or failed) and event. Dry runs are
/// refused: a provider's own `plan` is the preview of its side effects.
pub(crate) async fn run_effect<T, F>(
    ctx: &Context<'_>,
    mut record: AuditOnly,
    item: Item,
    opts: &WriteOptions,
    effect: F,
) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    if opts.dry_run {
        return Err(Error::invalid(Diagnostic::error(
            "dry_run",
            format!(
                "{} cannot be previewed as a dry run; ask the provider for a plan instead",
                record.action
            ),
        )));
    }
    let mut set = ChangeSet {
        effects: vec![Effect {
            action: record.action.clone(),
            subject: record.subject.clone(),
        }],
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    let mut item = item;
    item.change.actor = Some(actor.clone());
    ctx.access
        .check(ctx.store, &actor, std::slice::from_ref(&item))
        .await?;
    if !review(ctx, &actor, vec![item], &mut set).await?.is_empty() {
        return Err(provider_request_patched());
    }
    refuse_if_blocked(ctx, &actor, &mut set, opts).await?;
    let outcome = effect.await;
    if let (serde_json::Value::Object(details), Err(e)) = (&mut record.details, &outcome) {
        details.insert(
            "error".into(),
            serde_json::json!({"code": e.code(), "message": e.to_string()}),
        );
    }
    let mut records = vec![record];
    records.extend(decision_records(&set.decisions));
    commit_records(ctx, records, actor).await?;
    outcome
}

/// The changes a request would commit, as a held ChangeSet keeps them:
/// unchanged entities left out, each other one with the etag it was
/// reviewed against (the caller's own expected etag when it gave one).
fn held_changes(
    changes: &[Change],
    set: &ChangeSet,
    current: &HashMap<String, Entity>,
) -> Vec<approval::HeldChange> {
    let reviewed = |key: &str, given: &Option<String>| {
        given
            .clone()
            .or_else(|| current.get(key)?.metadata.etag.clone())
            .unwrap_or_default()
    };
    changes
        .iter()
        .zip(&set.changes)
        .filter(|(_, planned)| planned.outcome != Outcome::Unchanged)
        .map(|(change, _)| match change {
            Change::Upsert {
                entity,
                expected_etag,
            } => approval::HeldChange::Upsert {
                entity: entity.entity.to_value(),
                location: entity.location.clone(),
                expected_etag: reviewed(&entity.entity.entity_ref().key(), expected_etag),
            },
            Change::Delete {
                entity_ref,
                expected_etag,
            } => approval::HeldChange::Delete {
                entity_ref: entity_ref.to_string(),
                expected_etag: reviewed(&entity_ref.key(), expected_etag),
            },
        })
        .collect()
}

/// Hold a request the approval-asking policies denied: record its
/// decisions and an `approval.requested` record holding `held` (not in a
/// dry run), write nothing else, and return the `PENDING_APPROVAL` error.
#[allow(clippy::too_many_arguments)]
async fn hold(
    ctx: &Context<'_>,
    actor: &str,
    mut decisions: Vec<Decision>,
    held: Vec<approval::HeldChange>,
    action: &str,
    required: Vec<approval::Requirement>,
    ttl: chrono::Duration,
    opts: &WriteOptions,
) -> Result<Error> {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let expires_at = crate::audit::time(chrono::Utc::now() + ttl);
    let approvers = approval::approvers_of(&required);
    let reason = policy::denial_message(&decisions);
    let requested = approval::Requested {
        id: id.clone(),
        action: action.to_string(),
        expires_at: expires_at.clone(),
        required,
        decisions: decisions.clone(),
        held,
    };
    let who = approvers.join(" or ");
    if opts.dry_run {
        return Ok(Error::PendingApproval {
            approval: None,
            message: format!(
                "{reason}; this change would be held until a member of {who} approves it (a dry run: nothing was held)"
            ),
            approvers,
            expires_at,
            decisions,
        });
    }
    let mut records = decision_records(&decisions);
    records.push(approval::hold_record(&requested));
    let committed = commit_records(ctx, records, actor.to_string()).await?;
    number_decisions(&mut decisions, &committed.audit);
    Ok(Error::PendingApproval {
        message: format!(
            "{reason}; held as approval {id} until a member of {who} approves it (by {expires_at}): `paved approval approve {id}`"
        ),
        approval: Some(id),
        approvers,
        expires_at,
        decisions,
    })
}

/// Commit a step of an approval (crate::approval): the actor check and the
/// checks (`effect` is what they see), then `changes` (the held ChangeSet:
/// reviewed when it was held, so not reviewed again) with `records`, in one
/// transaction, refused if `guard` finds the request decided meanwhile. A
/// dry run stops before the commit.
pub(crate) async fn decide(
    ctx: &Context<'_>,
    effect: Effect,
    changes: Vec<Change>,
    records: Vec<AuditOnly>,
    action: &str,
    guard: crate::store::Guard,
    opts: &WriteOptions,
) -> Result<()> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let set = ChangeSet {
        effects: vec![effect],
        dry_run: opts.dry_run,
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    if opts.dry_run {
        return Ok(());
    }
    commit_and_publish(
        ctx,
        ChangeBatch {
            changes,
            records,
            actor,
            origin: ctx.origin.to_string(),
            action: action.to_string(),
            unless_recorded: Some(guard),
        },
    )
    .await?;
    Ok(())
}

/// A dry run must report the conflict a real run would hit.
async fn check_etag_for_plan(
    store: &dyn Store,
    entity_ref: &EntityRef,
    expected: &str,
    planned: &PlannedChange,
) -> Result<()> {
    let found = if planned.outcome == Outcome::Created {
        None
    } else {
        store.get(entity_ref).await?.and_then(|e| e.metadata.etag)
    };
    let ok = match &found {
        None => expected.is_empty(),
        Some(f) => f == expected,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Conflict {
            entity: entity_ref.to_string(),
            expected: expected.to_string(),
            found,
        })
    }
}
