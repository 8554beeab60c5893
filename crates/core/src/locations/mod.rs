//! Locations: the roots a catalogue was imported from, and keeping the
//! catalogue in sync with them.
//!
//! Every root an import starts from (a file, a directory, a URL) is a
//! *registered location*: its entities are stored with its key (the
//! canonical path, or the URL), and each import or refresh of it records
//! what it read in the audit log (action `catalog.import` or
//! `catalog.refresh`, subject the location's ref, `file:/abs/path` or
//! `url:https://…`), with what it refused. From those:
//!
//! ```text
//! Catalog::locations()   every registered location: entities, the last read
//!                        (when, by whom, counts, refused entities with their errors)
//! Catalog::refresh(loc)  re-read one location or all of them, per entity, through
//!                        the one pipeline; unchanged entities are not rewritten;
//!                        entities no longer there are handled by the orphan strategy
//! Catalog::refreshes(s)  the same as a stream of events: once, on an interval,
//!                        and/or whenever a file it read changes (`watch`)
//! ```
//!
//! Orphans (entities a location provided before and no longer does) are
//! handled as `catalog.orphanStrategy` in `paved.yaml` says, Backstage's
//! setting: `keep` (the default) keeps them and marks them with the
//! `backstage.io/orphan: "true"` annotation, which goes away when a
//! location provides them again; `delete` deletes them. Both are writes of
//! the same request, reviewed by access rules and policies like any other.
//! A location that cannot be read at all (its root is gone, a URL is down)
//! changes nothing: its entities are kept, and the failure is recorded.

mod watch;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::pipeline::{ChangeSet, Outcome, PlannedChange};

pub(crate) use watch::Watcher;

/// The annotation Backstage marks orphaned entities with.
pub const ANNOTATION_ORPHAN: &str = "backstage.io/orphan";

/// The audit action of a refresh (an import's is `catalog.import`).
pub const REFRESH_ACTION: &str = "catalog.refresh";

/// The audit action of an import.
pub const IMPORT_ACTION: &str = "catalog.import";

/// What happens to entities a location no longer provides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrphanStrategy {
    /// Keep them, marked with `backstage.io/orphan: "true"`.
    #[default]
    Keep,
    /// Delete them.
    Delete,
}

/// How the catalogue keeps itself in sync: `catalog:` in `paved.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogSettings {
    /// What happens to entities a location no longer provides.
    #[serde(default)]
    pub orphan_strategy: OrphanStrategy,
}

/// The ref of a location key, as Backstage writes locations:
/// `url:https://…` for a URL, `file:/abs/path` otherwise.
pub fn location_ref(key: &str) -> String {
    if is_url(key) {
        format!("url:{key}")
    } else {
        format!("file:{key}")
    }
}

/// The key of a location ref (`file:/x` → `/x`, `url:https://…` →
/// `https://…`); anything else is returned as given.
pub fn location_key_of(location: &str) -> &str {
    location
        .strip_prefix("file:")
        .or_else(|| location.strip_prefix("url:"))
        .unwrap_or(location)
}

/// Whether a location key is a URL.
pub fn is_url(key: &str) -> bool {
    key.starts_with("http://") || key.starts_with("https://")
}

/// A registered location and what its last read found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationStatus {
    /// `file:/abs/path` or `url:https://…`.
    pub location: String,
    /// What is read: the path or the URL.
    pub target: String,
    /// Entities stored from it now.
    pub entities: u64,
    /// Its last import or refresh, when one was recorded.
    pub last_read: Option<LocationRead>,
}

/// What one read (an import or a refresh) of a location did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationRead {
    /// `catalog.import` or `catalog.refresh`.
    pub action: String,
    /// When (RFC 3339), empty in a dry run.
    #[serde(default)]
    pub at: String,
    /// Who.
    #[serde(default)]
    pub actor: String,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Entities it provided before and no longer does.
    #[serde(default)]
    pub orphans: Vec<String>,
    /// Entities kept out: file, line, JSON path, entity, reason.
    #[serde(default)]
    pub refused: Vec<Diagnostic>,
    /// Entities another location provides first.
    #[serde(default)]
    pub conflicts: Vec<Diagnostic>,
    /// Why the location could not be read at all (nothing was changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LocationRead {
    /// What a request's change set says about one of its locations.
    pub(crate) fn from_set(action: &str, set: &ChangeSet) -> Self {
        Self {
            action: action.to_string(),
            created: set.count(Outcome::Created),
            updated: set.count(Outcome::Updated),
            unchanged: set.count(Outcome::Unchanged),
            deleted: set.count(Outcome::Deleted),
            orphans: set.orphans.clone(),
            refused: set.refused.clone(),
            conflicts: set.conflicts.clone(),
            ..Self::default()
        }
    }

    /// Whether it kept something out or could not read the location.
    pub fn is_partial(&self) -> bool {
        self.error.is_some() || !self.refused.is_empty() || !self.conflicts.is_empty()
    }
}

/// One location's refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationRefresh {
    /// `file:/abs/path` or `url:https://…`.
    pub location: String,
    #[serde(flatten)]
    pub read: LocationRead,
    /// What changed (unchanged entities are left out).
    #[serde(default)]
    pub changes: Vec<PlannedChange>,
    /// Files read.
    #[serde(default)]
    pub files: usize,
}

/// What a refresh did, location by location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Why it ran: `request`, `start`, `interval` or `files`.
    pub trigger: String,
    pub locations: Vec<LocationRefresh>,
    pub dry_run: bool,
    /// Wall time, milliseconds.
    pub millis: u64,
}

impl RefreshReport {
    /// Entities written (created, updated, deleted) across the locations.
    pub fn written(&self) -> usize {
        self.locations
            .iter()
            .map(|l| l.read.created + l.read.updated + l.read.deleted)
            .sum()
    }

    /// Sum of one count across the locations.
    pub fn total(&self, count: impl Fn(&LocationRead) -> usize) -> usize {
        self.locations.iter().map(|l| count(&l.read)).sum()
    }

    /// Whether any location was refused in part or could not be read.
    pub fn is_partial(&self) -> bool {
        self.locations.iter().any(|l| l.read.is_partial())
    }

    /// Whether any location could not be read at all.
    pub fn has_failures(&self) -> bool {
        self.locations.iter().any(|l| l.read.error.is_some())
    }
}

/// One event of [`crate::platform::Catalog::refreshes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum RefreshEvent {
    /// One location was refreshed (progress).
    Location(LocationRefresh),
    /// A refresh finished: every location's result.
    Done(RefreshReport),
}

/// When [`crate::platform::Catalog::refreshes`] refreshes: once at the
/// start, then every `interval` and/or when a file read changes (`watch`);
/// with neither, once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshSchedule {
    /// One location (a ref, a path or a URL); `None`: all of them.
    pub location: Option<String>,
    pub interval: Option<Duration>,
    pub watch: bool,
}

impl RefreshSchedule {
    /// An interval as every front takes it: `30s`, `5m`, `1h`, `1d`
    /// (at least one second); a `VALIDATION` error on `interval` otherwise.
    pub fn parse_interval(text: &str) -> crate::Result<Duration> {
        let invalid = |why: String| {
            crate::Error::invalid(crate::Diagnostic::error(
                "interval",
                format!("invalid refresh interval: {why}"),
            ))
        };
        match crate::duration::parse(text).map_err(invalid)? {
            d if d.is_zero() => Err(invalid(format!(
                "'{text}' is zero; refresh at most every 1s"
            ))),
            d => Ok(d),
        }
    }

    /// Whether the stream goes on after the first refresh.
    pub fn repeats(&self) -> bool {
        self.interval.is_some() || self.watch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_and_keys() {
        assert_eq!(location_ref("/a/b.yaml"), "file:/a/b.yaml");
        assert_eq!(location_ref("https://h/x.yaml"), "url:https://h/x.yaml");
        assert_eq!(location_key_of("file:/a/b.yaml"), "/a/b.yaml");
        assert_eq!(location_key_of("url:https://h/x.yaml"), "https://h/x.yaml");
        assert_eq!(location_key_of("/a"), "/a");
    }
}
