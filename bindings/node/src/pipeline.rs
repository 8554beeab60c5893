//! The write path's types: options in ([`paved::pipeline::WriteOptions`]),
//! the [`ChangeSet`] out (what was planned, and after a real run, done).

use napi_derive::napi;

use crate::diagnostic::{self, Diagnostic};

/// Who acts on an import, and whether only to plan.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Recorded in the audit log as the actor (a user ref, or `system`, the default).
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

/// Options of a write to one entity (upsert or delete).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Optimistic concurrency: only write if the stored entity has this etag
    /// (`""`: only if the entity does not exist yet). Otherwise a `CONFLICT` error.
    pub etag: Option<String>,
    /// Recorded in the audit log as the actor (a user ref, or `system`, the default).
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

fn core_options(actor: Option<String>, dry_run: Option<bool>) -> paved::pipeline::WriteOptions {
    let default = paved::pipeline::WriteOptions::default();
    paved::pipeline::WriteOptions {
        actor: actor.unwrap_or(default.actor),
        dry_run: dry_run.unwrap_or(default.dry_run),
    }
}

impl ImportOptions {
    /// The engine's write options.
    pub fn core(self) -> paved::pipeline::WriteOptions {
        core_options(self.actor, self.dry_run)
    }
}

impl WriteOptions {
    /// The expected etag and the engine's write options.
    pub fn core(self) -> (Option<String>, paved::pipeline::WriteOptions) {
        (self.etag, core_options(self.actor, self.dry_run))
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

impl From<paved::store::Outcome> for Outcome {
    fn from(o: paved::store::Outcome) -> Self {
        use paved::store::Outcome as O;
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
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
}

impl From<paved::pipeline::ChangeSet> for ChangeSet {
    fn from(s: paved::pipeline::ChangeSet) -> Self {
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
            dry_run: s.dry_run,
        }
    }
}
