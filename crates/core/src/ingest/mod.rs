//! Ingestion: catalogue files, directories, URLs, Location entities and values → validated entities.
//!
//! Data flow, for every input:
//!
//! ```text
//! path ──(directory: sorted *.yaml/*.yml walk)──> file, read once per load
//! path ──(an http:// or https:// URL given as the path)──> URL, read once per load
//!   file: at most Limits::max_bytes, UTF-8
//!   URL:  `remote` (ureq): only from a host (and path) in `Reading::allow`
//!         (`reading.allow`), every redirect hop checked the same way and
//!         at most `max_redirects` of them (a loop is an error), the body at
//!         most `max_bytes` (refused on Content-Length, cut at limit + 1),
//!         one `timeout` for the whole read
//!   -> paved_yaml::parse_documents (limits, positions)     YAML errors: file or URL, document, line, column
//!   -> each non-empty document: placeholders ({ $text | $json | $yaml: target })
//!      replaced by the target's content (see `placeholders`): a file
//!      relative to the document's file, an absolute http(s) URL, or (in a
//!      document read from a URL) a URL relative to that URL; then
//!      model::validate::validate_entity
//!                                                          paths located via Positions
//!      (for the files of a directory, the steps so far run on worker threads,
//!      `ahead`, and the results are taken in file order)
//!   -> entities read from a file or URL get Backstage's
//!      `backstage.io/managed-by-location` (`file:<the file>` or `url:<the url>`)
//!      and `backstage.io/managed-by-origin-location` (`file:<the root path>`
//!      or `url:<the root url>` the load started from) annotations, unless
//!      the document sets them itself (Backstage's `AnnotateLocationEntityProcessor`)
//!   -> duplicate check (kind + namespace + name, ignoring case, across the whole load):
//!      a second definition in the same file is an error; one in another file
//!      is a conflict (the first location keeps the entity, as in Backstage)
//!   -> Location entities, followed depth first; a target already on the
//!      chain is a cycle; a Location without `type` has the type of where it
//!      was read from (`file` from a file, `url` from a URL), as in Backstage:
//!        type `file`, read from a file: targets relative to the naming file
//!          (a file, a directory, or a glob such as `./systems/*.yaml`)
//!        type `url`: absolute http(s) URLs, or relative to the Location's
//!          own URL when it was read from one
//!        read from a URL (any type): every target resolves against that
//!          URL, so nothing named by a remote document is read from disk
//!        other types: kept as entities with a warning that they are not followed
//!   -> Loaded { entities (with source and location key), diagnostics, files and URLs read }
//! ```
//!
//! A target that cannot be read refuses only what names it: a placeholder,
//! its entity (an error at the placeholder's JSON path and line); a Location
//! target, that target (an error at the Location's `spec.target(s)` line;
//! its other targets and the rest of the load go on). An optional Location
//! (`presence: optional`) skips a target that does not exist (a missing
//! file; HTTP 404 or 410). Reading is blocking: async callers run a load on
//! a blocking thread ([`crate::platform::Catalog::import`] does).
//!
//! Nothing here writes anything. The write path takes only a [`Validated`],
//! which [`Loaded::into_import`] makes for an [`ImportMode`]:
//! `all-or-nothing` only when the load has no errors, `per-entity` (the
//! default, Backstage's way) from the entities that passed, with every error
//! kept as a refusal or a conflict. Either way only whole, validated
//! entities reach a store.

mod ahead;
mod files;
mod loader;
mod placeholders;
mod remote;
mod typed;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::model::Entity;
use crate::model::schema::KindRegistry;
pub(crate) use files::yaml_files;
pub use paved_yaml::{Limits, Positions};
pub use remote::{DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT, Reading, ReadingAllow, ReadingConfig};
pub use typed::typed_document;

/// The file name used for entities given as values (no file).
pub const VALUES_SOURCE: &str = "<input>";

/// The file name used for YAML text given without one.
pub const TEXT_SOURCE: &str = "<inline>";

/// The annotation naming the location an entity was read from
/// (`file:/abs/path/catalog-info.yaml`), as Backstage sets it.
pub const ANNOTATION_LOCATION: &str = "backstage.io/managed-by-location";

/// The annotation naming the root location an import started from, which
/// led to the entity, as Backstage sets it.
pub const ANNOTATION_ORIGIN_LOCATION: &str = "backstage.io/managed-by-origin-location";

/// How an import treats entities that cannot be stored (invalid, unreadable,
/// or defined by another location first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Backstage's way: every entity that passes is stored, every one that
    /// fails is reported (in the change set's `refused` and `conflicts`) and
    /// kept out. When no entity passes, the import fails as all-or-nothing does.
    #[default]
    PerEntity,
    /// Any error and nothing is written (`Error::Invalid` lists every
    /// problem): for CI gates and scripts that want one answer.
    AllOrNothing,
}

impl ImportMode {
    /// Every mode, as named in every front.
    pub const ALL: [ImportMode; 2] = [ImportMode::PerEntity, ImportMode::AllOrNothing];

    /// The name every front uses: `per-entity` or `all-or-nothing`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::PerEntity => "per-entity",
            ImportMode::AllOrNothing => "all-or-nothing",
        }
    }

    /// A mode by its name; a `VALIDATION` error naming the modes otherwise.
    pub fn parse(name: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
            .ok_or_else(|| {
                crate::Error::invalid(Diagnostic::error(
                    "mode",
                    format!("unknown import mode '{name}'; expected per-entity or all-or-nothing"),
                ))
            })
    }
}

impl std::fmt::Display for ImportMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated entity and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedEntity {
    pub entity: Entity,
    /// File, document index, and line/column of the document.
    pub source: SourceLocation,
    /// The canonical path of the root path argument this entity was reached
    /// from (see [`location_key`]); entities that disappear from it are orphans.
    pub location_key: String,
    /// For a Policy whose `spec.rego.module` is a literal block (`module: |`):
    /// where that text starts in the file, so a Rego error's line in the
    /// module is told as the file's line.
    pub rego_text: Option<SourceLocation>,
}

/// The result of one load: every valid entity and every problem found.
///
/// Only the loaders in this module make one (its fields are private), so a
/// `Loaded` always holds entities that passed validation; the write path takes
/// it only as a [`Validated`], which has no errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    entities: Vec<SourcedEntity>,
    diagnostics: Vec<Diagnostic>,
    /// Indexes into `diagnostics` of the errors that are conflicts (an
    /// entity another file defined first).
    conflicts: Vec<usize>,
    files: Vec<String>,
    /// The location refs (`file:/abs/path`, `url:https://…`) of the files
    /// and URLs whose content was read.
    read: Vec<String>,
    roots: Vec<String>,
}

impl Loaded {
    /// Valid entities, in the order they were read.
    pub fn entities(&self) -> &[SourcedEntity] {
        &self.entities
    }

    /// Errors and warnings, in the order they were found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Files and URLs read, as displayed in diagnostics, in the order they
    /// were read (a URL only once it was read).
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The location keys of the roots this load started from (see
    /// [`location_key`]); entities once imported from them and no longer
    /// there are orphans.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// Whether any diagnostic is an error (an import must then write nothing).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The errors that are conflicts: an entity another file of the load
    /// defined first, which keeps it.
    pub fn conflicts(&self) -> impl Iterator<Item = &Diagnostic> {
        self.conflicts.iter().map(|&i| &self.diagnostics[i])
    }

    /// The load, ready for the write path, when it has no errors; otherwise
    /// the `Invalid` error listing them, which an import fails with before
    /// touching a store. The same as `into_import(ImportMode::AllOrNothing)`.
    pub fn into_validated(self) -> crate::Result<Validated> {
        self.into_import(ImportMode::AllOrNothing)
    }

    /// The load, ready for the write path, in `mode`:
    /// - `AllOrNothing`: only when the load has no errors;
    /// - `PerEntity`: the entities that passed, with every error kept as a
    ///   refusal (or a conflict) for the change set; when no entity passed
    ///   and there are errors, the `Invalid` error as `AllOrNothing` gives.
    pub fn into_import(self, mode: ImportMode) -> crate::Result<Validated> {
        let stop = match mode {
            ImportMode::AllOrNothing => self.has_errors(),
            ImportMode::PerEntity => self.has_errors() && self.entities.is_empty(),
        };
        if stop {
            return Err(crate::Error::Invalid {
                diagnostics: self
                    .diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect(),
            });
        }
        Ok(self.split(mode))
    }

    /// The load, ready for a refresh: per entity, and ready even when no
    /// entity passed (all refused: what the location provided before stays
    /// or is orphaned), unless the location could not be read at all
    /// (`unreadable`): then the `Invalid` error listing why.
    pub(crate) fn into_refresh(self, unreadable: bool) -> crate::Result<Validated> {
        if unreadable {
            return self.into_import(ImportMode::PerEntity);
        }
        Ok(self.split(ImportMode::PerEntity))
    }

    /// Warnings, refusals and conflicts apart, with the entities that passed.
    fn split(self, mode: ImportMode) -> Validated {
        let mut warnings = Vec::new();
        let mut refused = Vec::new();
        let mut conflicts = Vec::new();
        for (i, d) in self.diagnostics.into_iter().enumerate() {
            if !d.is_error() {
                warnings.push(d);
            } else if self.conflicts.contains(&i) {
                conflicts.push(d);
            } else {
                refused.push(d);
            }
        }
        Validated {
            entities: self.entities,
            warnings,
            refused,
            conflicts,
            roots: self.roots,
            read: self.read.into_iter().collect(),
            mode,
        }
    }
}

/// A load with no errors: the only input the write path accepts for entities.
/// Made by [`Loaded::into_validated`]; its fields are private, so nothing
/// that skipped validation can be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub(crate) entities: Vec<SourcedEntity>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// Errors that kept entities out (per-entity mode only).
    pub(crate) refused: Vec<Diagnostic>,
    /// Entities another file of the load defined first (per-entity mode only).
    pub(crate) conflicts: Vec<Diagnostic>,
    pub(crate) roots: Vec<String>,
    /// The location refs of the files and URLs read: an entity stored from
    /// one of them and no longer in it is an orphan; one stored from a file
    /// or URL that could not be read is not.
    pub(crate) read: std::collections::HashSet<String>,
    pub(crate) mode: ImportMode,
}

impl Validated {
    /// The entities that will be written, in the order they were read.
    pub fn entities(&self) -> &[SourcedEntity] {
        &self.entities
    }

    /// Warnings found while loading.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Errors that kept entities out of the import (per-entity mode).
    pub fn refused(&self) -> &[Diagnostic] {
        &self.refused
    }

    /// Definitions of entities another file defined first (per-entity mode).
    pub fn conflicts(&self) -> &[Diagnostic] {
        &self.conflicts
    }

    /// The mode this load was made ready in.
    pub fn mode(&self) -> ImportMode {
        self.mode
    }
}

/// The key an import root is recorded under: its canonical path, or the path
/// as given when it cannot be resolved; for an `http(s)://` URL given as the
/// path, the URL (normalized: `https://Example.com/a/../b.yaml` is
/// `https://example.com/b.yaml`).
pub fn location_key(path: &Path) -> String {
    if let Some(text) = path.to_str()
        && remote::is_url(text)
    {
        return url::Url::parse(text).map_or_else(|_| text.to_string(), String::from);
    }
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Load files, directories (recursively, `*.yaml`/`*.yml`, sorted) and
/// `http(s)://` URLs given as paths, following Location entities. Every file
/// and URL is read at most once, even when reached twice. URLs (roots,
/// `url` Location targets, placeholders) are read only as `reading` allows
/// ([`Reading::default`]: none).
pub fn load_paths(
    paths: &[PathBuf],
    kinds: &KindRegistry,
    limits: &Limits,
    reading: &Reading,
) -> Loaded {
    let mut loader = loader::Loader::new(kinds, limits, reading);
    for path in paths {
        loader.load_root(path);
    }
    loader.finish()
}

/// Load YAML text as if it were the file `name` (Location targets in it are
/// relative to `name`'s directory; URLs are read only as `reading` allows).
pub fn load_text(
    name: &str,
    text: &str,
    kinds: &KindRegistry,
    limits: &Limits,
    reading: &Reading,
) -> Loaded {
    let mut loader = loader::Loader::new(kinds, limits, reading);
    loader.load_named_text(name, text);
    loader.finish()
}

/// Validate one entity given as a value: the entity and its warnings, or
/// a `VALIDATION` error listing every problem.
pub fn load_one(value: Value, kinds: &KindRegistry) -> crate::Result<(Entity, Vec<Diagnostic>)> {
    let Validated {
        entities, warnings, ..
    } = load_values(vec![value], kinds).into_validated()?;
    let entity = entities
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::invalid(Diagnostic::error("", "no entity given")))?;
    Ok((entity.entity, warnings))
}

/// Load entities given as values (e.g. dicts from Python). The source file is
/// [`VALUES_SOURCE`] and the document index is the position in `values`;
/// `null` values are skipped. Location entities are kept but not followed
/// (values have no directory to resolve targets against), and nothing is
/// read over the network.
pub fn load_values(values: Vec<Value>, kinds: &KindRegistry) -> Loaded {
    let limits = Limits::default();
    let reading = Reading::default();
    let mut loader = loader::Loader::new(kinds, &limits, &reading);
    loader.load_values(values);
    loader.finish()
}
