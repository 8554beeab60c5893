//! The one write path: every change, from every front, goes through here.
//!
//! ```text
//! request (import | upsert | delete | provider call)
//!   -> validate                     only a `Validated` load or a value checked by
//!                                   ingest becomes a request; the actor is checked
//!   -> plan: a ChangeSet             per entity: create / update / unchanged / delete,
//!                                   warnings (dangling refs, orphans)
//!   -> checks                        access and guardrail stages, in order (empty
//!                                   until policies fill the list); any may refuse
//!   -> (dry run stops here)
//!   -> commit                        one store transaction: etag checks, rows, audit records
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

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::events::EventBus;
use crate::ingest::Validated;
use crate::model::{Entity, EntityRef, index, relations};
pub use crate::store::Outcome;
use crate::store::{AuditOnly, Change, ChangeBatch, PreparedEntity, Store};

/// The actor recorded when a write names none and the platform was opened
/// without one.
pub const DEFAULT_ACTOR: &str = "system";

/// Everything derived from one validated entity, ready for the store.
pub(crate) fn prepare(entity: Entity, location: Option<String>) -> PreparedEntity {
    let (relations, _) = relations::derive(&entity);
    let search = index::search_rows(&entity, &relations);
    let text = index::search_text(&entity);
    let hash = entity.content_hash();
    PreparedEntity {
        entity,
        hash,
        relations,
        search,
        text,
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
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
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

/// Warn about relation targets that exist neither in the batch nor in the store.
async fn dangling_refs(store: &dyn Store, prepared: &[PreparedEntity]) -> Result<Vec<Diagnostic>> {
    let in_batch: HashSet<String> = prepared
        .iter()
        .map(|p| p.entity.entity_ref().key())
        .collect();
    let mut wanted: HashMap<String, EntityRef> = HashMap::new();
    for p in prepared {
        let me = p.entity.entity_ref();
        for r in p.relations.iter().filter(|r| r.source == me) {
            let key = r.target.key();
            if !in_batch.contains(&key) {
                wanted.entry(key).or_insert_with(|| r.target.clone());
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
    let mut warnings = Vec::new();
    for p in prepared {
        let me = p.entity.entity_ref();
        for r in p.relations.iter().filter(|r| r.source == me) {
            let key = r.target.key();
            if !in_batch.contains(&key) && !found.contains(&key) {
                warnings.push(
                    Diagnostic::warning(
                        format!("relations.{}", r.r#type),
                        format!("refers to {} which is not in the catalogue", r.target),
                    )
                    .for_entity(me.to_string()),
                );
            }
        }
    }
    Ok(warnings)
}

/// Plan outcomes without writing, by comparing content hashes with the store.
async fn plan_outcomes(
    store: &dyn Store,
    prepared: &[PreparedEntity],
) -> Result<Vec<PlannedChange>> {
    let refs: Vec<EntityRef> = prepared.iter().map(|p| p.entity.entity_ref()).collect();
    let mut current: HashMap<String, Option<String>> = HashMap::new();
    for chunk in refs.chunks(500) {
        for e in store.get_many(chunk).await? {
            current.insert(e.entity_ref().key(), e.metadata.etag.clone());
        }
    }
    Ok(prepared
        .iter()
        .map(|p| {
            let r = p.entity.entity_ref();
            let outcome = match current.get(&r.key()) {
                None => Outcome::Created,
                Some(Some(etag)) if *etag == p.hash => Outcome::Unchanged,
                Some(_) => Outcome::Updated,
            };
            PlannedChange {
                entity_ref: r.to_string(),
                outcome,
                etag: Some(p.hash.clone()),
            }
        })
        .collect())
}

/// A validated request the pipeline runs. Crate-private: only the
/// platform's handles build one, from input they have validated.
#[derive(Debug)]
pub(crate) enum Request {
    /// Entities loaded from files (an import).
    Import(Validated),
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
    /// Access and guardrail stages, in order.
    pub checks: &'a [std::sync::Arc<dyn Check>],
}

/// Run a request: plan, checks, (dry run stops), commit, publish.
pub(crate) async fn run(
    ctx: &Context<'_>,
    request: Request,
    opts: &WriteOptions,
) -> Result<ChangeSet> {
    let actor = check_actor(opts.actor.as_deref().unwrap_or(ctx.actor))?;
    let store = ctx.store;
    let (changes, mut set, action) = match request {
        Request::Import(validated) => {
            let Validated {
                entities,
                warnings,
                roots,
            } = validated;
            let prepared: Vec<PreparedEntity> =
                crate::parallel::map(entities, |s| prepare(s.entity, Some(s.location_key)));
            let mut set = ChangeSet {
                warnings,
                ..ChangeSet::default()
            };
            set.warnings.extend(dangling_refs(store, &prepared).await?);
            let loaded: HashSet<String> = prepared
                .iter()
                .map(|p| p.entity.entity_ref().key())
                .collect();
            for loc in &roots {
                for r in store.entities_of_location(loc).await? {
                    if !loaded.contains(&r.key()) {
                        set.warnings.push(
                            Diagnostic::warning(
                                "",
                                format!(
                                    "orphaned: it was imported from {loc} before but is no longer there (it was kept; delete it with `paved catalog delete {r}`)"
                                ),
                            )
                            .for_entity(r.to_string()),
                        );
                        set.orphans.push(r.to_string());
                    }
                }
            }
            set.changes = plan_outcomes(store, &prepared).await?;
            let changes = prepared
                .into_iter()
                .map(|p| Change::Upsert {
                    entity: Box::new(p),
                    expected_etag: None,
                })
                .collect::<Vec<_>>();
            (changes, set, "catalog.import")
        }
        Request::Upsert {
            entity,
            expected_etag,
        } => {
            let prepared = prepare(*entity, None);
            let slice = std::slice::from_ref(&prepared);
            let mut set = ChangeSet {
                warnings: dangling_refs(store, slice).await?,
                ..ChangeSet::default()
            };
            set.changes = plan_outcomes(store, slice).await?;
            if let (Some(expected), Some(planned)) = (&expected_etag, set.changes.first()) {
                check_etag_for_plan(store, &prepared.entity.entity_ref(), expected, planned)
                    .await?;
            }
            (
                vec![Change::Upsert {
                    entity: Box::new(prepared),
                    expected_etag,
                }],
                set,
                "entity.upsert",
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
            let set = ChangeSet {
                changes: vec![PlannedChange {
                    entity_ref: current.entity_ref().to_string(),
                    outcome: Outcome::Deleted,
                    etag: None,
                }],
                ..ChangeSet::default()
            };
            (
                vec![Change::Delete {
                    entity_ref,
                    expected_etag,
                }],
                set,
                "entity.delete",
            )
        }
    };
    run_checks(ctx, &actor, &set).await?;
    if opts.dry_run {
        set.dry_run = true;
        return Ok(set);
    }
    let outcomes = commit_and_publish(
        ctx,
        ChangeBatch {
            changes,
            records: Vec::new(),
            actor,
            origin: ctx.origin.to_string(),
            action: action.to_string(),
        },
    )
    .await?;
    set.changes = outcomes
        .iter()
        .map(|(r, outcome, etag)| PlannedChange {
            entity_ref: r.to_string(),
            outcome: *outcome,
            etag: etag.clone(),
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

/// Commit one batch and publish its events; returns each change's outcome.
async fn commit_and_publish(
    ctx: &Context<'_>,
    batch: ChangeBatch,
) -> Result<Vec<(EntityRef, Outcome, Option<String>)>> {
    let result = ctx.store.commit(batch).await?;
    for event in result.events {
        ctx.bus.publish(event);
    }
    Ok(result.outcomes)
}

/// Run a side effect done outside the store (a provider call) through the
/// pipeline: actor check, checks on the planned effect, then `effect`, then
/// its audit record (whether it succeeded or failed) and event. Dry runs are
/// refused: a provider's own `plan` is the preview of its side effects.
pub(crate) async fn run_effect<T, F>(
    ctx: &Context<'_>,
    mut record: AuditOnly,
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
    let set = ChangeSet {
        effects: vec![Effect {
            action: record.action.clone(),
            subject: record.subject.clone(),
        }],
        ..ChangeSet::default()
    };
    run_checks(ctx, &actor, &set).await?;
    let outcome = effect.await;
    if let (serde_json::Value::Object(details), Err(e)) = (&mut record.details, &outcome) {
        details.insert(
            "error".into(),
            serde_json::json!({"code": e.code(), "message": e.to_string()}),
        );
    }
    commit_and_publish(
        ctx,
        ChangeBatch {
            changes: Vec::new(),
            records: vec![record],
            actor,
            origin: ctx.origin.to_string(),
            action: String::new(),
        },
    )
    .await?;
    outcome
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
