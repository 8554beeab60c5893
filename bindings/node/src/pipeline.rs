//! The write path's types: options in ([`paved::WriteOptions`]), the
//! [`ChangeSet`] out (what was planned, and after a real run, done).

use napi_derive::napi;

use crate::diagnostic::{self, Diagnostic};

/// Who writes, and whether only to plan (every write takes these).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Recorded in the audit log: an entity ref with its kind
    /// (`user:default/ada`) or `system`. Absent: the platform's actor.
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

impl WriteOptions {
    /// The engine's write options (absent: the platform's actor, no dry run).
    pub fn core(o: Option<Self>) -> paved::WriteOptions {
        let o = o.unwrap_or_default();
        paved::WriteOptions {
            actor: o.actor,
            dry_run: o.dry_run.unwrap_or_default(),
        }
    }
}

/// Options of an import: how to treat entities that cannot be stored, and
/// who writes.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `per-entity` (default, Backstage's way): what passes is stored, the
    /// rest is in the result's `refused` and `conflicts` (`partial` is
    /// true). `all-or-nothing`: any problem and a `VALIDATION` error lists
    /// them all; nothing is written.
    #[napi(ts_type = "'per-entity' | 'all-or-nothing'")]
    pub mode: Option<String>,
    /// Recorded in the audit log: an entity ref with its kind
    /// (`user:default/ada`) or `system`. Absent: the platform's actor.
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

impl ImportOptions {
    /// The mode (absent: core's default) and the engine's write options.
    pub fn split(
        o: Option<Self>,
    ) -> paved::Result<(Option<paved::ImportMode>, paved::WriteOptions)> {
        let o = o.unwrap_or_default();
        let mode = o
            .mode
            .as_deref()
            .map(paved::ImportMode::parse)
            .transpose()?;
        let write = WriteOptions {
            actor: o.actor,
            dry_run: o.dry_run,
        };
        Ok((mode, WriteOptions::core(Some(write))))
    }
}

/// Options of a write to one entity (upsert or delete).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct EntityWriteOptions {
    /// Optimistic concurrency: only write if the stored entity has this etag
    /// (`""`: only if the entity does not exist yet). Otherwise a `CONFLICT` error.
    pub etag: Option<String>,
    /// Recorded in the audit log: an entity ref with its kind
    /// (`user:default/ada`) or `system`. Absent: the platform's actor.
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

impl EntityWriteOptions {
    /// The expected etag and the engine's write options.
    pub fn split(o: Option<Self>) -> (Option<String>, paved::WriteOptions) {
        let o = o.unwrap_or_default();
        let write = WriteOptions {
            actor: o.actor,
            dry_run: o.dry_run,
        };
        (o.etag, WriteOptions::core(Some(write)))
    }
}

/// What happened (or would happen) to one entity.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Deleted,
}

impl From<paved::Outcome> for Outcome {
    fn from(o: paved::Outcome) -> Self {
        use paved::Outcome as O;
        match o {
            O::Created => Self::Created,
            O::Updated => Self::Updated,
            O::Unchanged => Self::Unchanged,
            O::Deleted => Self::Deleted,
        }
    }
}

/// One planned (or done) change.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct PlannedChange {
    /// `kind:namespace/name`.
    pub entity_ref: String,
    pub outcome: Outcome,
    /// The etag after the change (absent for deletes).
    pub etag: Option<String>,
}

/// A side effect outside the catalogue (a provider call), recorded in the audit log.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Effect {
    /// e.g. `resource.apply`.
    pub action: String,
    /// e.g. `postgres.database/orders`.
    pub subject: String,
}

/// The plan of a request and, after a real run, what was done.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// One entry per entity, in request order.
    pub changes: Vec<PlannedChange>,
    /// Problems that did not stop the change: refs to missing entities, orphans.
    pub warnings: Vec<Diagnostic>,
    /// Entities imported from the same locations before that are no longer
    /// there: reported, not deleted.
    pub orphans: Vec<String>,
    /// Side effects outside the catalogue.
    pub effects: Vec<Effect>,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Whether a per-entity import kept some entities out (`refused` or
    /// `conflicts` is not empty).
    pub partial: bool,
    /// Why each entity a per-entity import kept out was refused: file, line,
    /// JSON path, entity and reason.
    pub refused: Vec<Diagnostic>,
    /// Entities of a per-entity import another location already provides
    /// (the first location keeps them).
    pub conflicts: Vec<Diagnostic>,
}

impl From<paved::ChangeSet> for ChangeSet {
    fn from(s: paved::ChangeSet) -> Self {
        Self {
            changes: s
                .changes
                .into_iter()
                .map(|c| PlannedChange {
                    entity_ref: c.entity_ref,
                    outcome: c.outcome.into(),
                    etag: c.etag,
                })
                .collect(),
            warnings: diagnostic::list(&s.warnings),
            orphans: s.orphans,
            effects: s
                .effects
                .into_iter()
                .map(|e| Effect {
                    action: e.action,
                    subject: e.subject,
                })
                .collect(),
            dry_run: s.dry_run,
            partial: s.partial,
            refused: diagnostic::list(&s.refused),
            conflicts: diagnostic::list(&s.conflicts),
        }
    }
}
