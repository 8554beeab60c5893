//! The one write path: every change to the catalogue goes through here.
//!
//! ```text
//! request (upsert | delete | import)
//!   -> parse + validate            ingest / model::validate, diagnostics with file:line / JSON path
//!   -> plan: a ChangeSet            per entity: create / update / unchanged / delete, warnings
//!                                   (dangling refs, orphans)
//!   -> (dry run stops here)
//!   -> commit                       one store transaction: etag checks, rows, audit records
//!   -> events                       published to subscribers
//! ```
//!
//! A dry run and a real run share everything up to the commit, so a preview is
//! what runs. Access checks and guardrails slot in between plan and commit.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::ingest::SourcedEntity;
use crate::model::{Entity, EntityRef, index, relations};
use crate::store::{Change, ChangeBatch, Outcome, PreparedEntity, Store};

/// Everything derived from one validated entity, ready for the store.
pub fn prepare(entity: Entity, location: Option<String>) -> PreparedEntity {
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

/// Who is acting and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteOptions {
    /// The actor recorded in the audit log (a user ref, or `system`).
    pub actor: String,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            actor: "system".to_string(),
            dry_run: false,
        }
    }
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
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
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

/// The parsed request the pipeline runs.
#[derive(Debug)]
pub enum Request {
    /// Entities loaded from files (an import); `locations` are the roots read.
    Import {
        entities: Vec<SourcedEntity>,
        locations: Vec<String>,
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

/// Run a validated request through plan and commit. Returns the change set
/// and the events to publish.
pub async fn run(
    store: &dyn Store,
    origin: &str,
    request: Request,
    opts: &WriteOptions,
) -> Result<(ChangeSet, Vec<crate::events::Event>)> {
    let (changes, mut set, action) = match request {
        Request::Import {
            entities,
            locations,
        } => {
            let prepared: Vec<PreparedEntity> =
                crate::parallel::map(entities, |s| prepare(s.entity, Some(s.location_key)));
            let mut set = ChangeSet {
                warnings: dangling_refs(store, &prepared).await?,
                ..ChangeSet::default()
            };
            let loaded: HashSet<String> = prepared
                .iter()
                .map(|p| p.entity.entity_ref().key())
                .collect();
            for loc in &locations {
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
    if opts.dry_run {
        set.dry_run = true;
        return Ok((set, Vec::new()));
    }
    let result = store
        .commit(ChangeBatch {
            changes,
            actor: opts.actor.clone(),
            origin: origin.to_string(),
            action: action.to_string(),
        })
        .await?;
    set.changes = result
        .outcomes
        .iter()
        .map(|(r, outcome, etag)| PlannedChange {
            entity_ref: r.to_string(),
            outcome: *outcome,
            etag: etag.clone(),
        })
        .collect();
    Ok((set, result.events))
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
