//! Ingestion: catalogue files, directories, Location entities and values → validated entities.
//!
//! Data flow, for every input:
//!
//! ```text
//! path ──(directory: sorted *.yaml/*.yml walk)──> file, read once per load
//!   -> paved_yaml::parse_documents (limits, positions)     YAML errors: file, document, line, column
//!   -> each non-empty document: placeholders ({ $text | $json | $yaml: ./path })
//!      replaced by the file's content (see `placeholders`), then
//!      model::validate::validate_entity
//!                                                          paths located via Positions
//!      (for the files of a directory, the steps so far run on worker threads,
//!      `ahead`, and the results are taken in file order)
//!   -> duplicate check (kind + namespace + name, ignoring case, across the whole load)
//!   -> Location entities (type `file`): targets relative to the naming file
//!      (a file, a directory, or a glob such as `./systems/*.yaml`), followed
//!      depth first; a target already on the chain is a cycle; other types
//!      (`url`, …) are kept as entities with a warning that they are not followed
//!   -> Loaded { entities (with source and location key), diagnostics, files }
//! ```
//!
//! Nothing here writes anything. The write path takes only a [`Validated`],
//! which [`Loaded::into_validated`] makes when the load has no errors, so an
//! import is all or nothing and nothing unvalidated reaches a store.

mod ahead;
mod files;
mod loader;
mod placeholders;
mod typed;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::model::Entity;
use crate::model::schema::KindRegistry;
pub(crate) use files::yaml_files;
pub use paved_yaml::{Limits, Positions};
pub use typed::typed_document;

/// The file name used for entities given as values (no file).
pub const VALUES_SOURCE: &str = "<input>";

/// The file name used for YAML text given without one.
pub const TEXT_SOURCE: &str = "<inline>";

/// A validated entity and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedEntity {
    pub entity: Entity,
    /// File, document index, and line/column of the document.
    pub source: SourceLocation,
    /// The canonical path of the root path argument this entity was reached
    /// from (see [`location_key`]); entities that disappear from it are orphans.
    pub location_key: String,
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
    files: Vec<String>,
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

    /// Files read, as displayed in diagnostics, in the order they were read.
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

    /// The load, ready for the write path, when it has no errors; otherwise
    /// the `Invalid` error listing them, which an import fails with before
    /// touching a store.
    pub fn into_validated(self) -> crate::Result<Validated> {
        if self.has_errors() {
            return Err(crate::Error::Invalid {
                diagnostics: self
                    .diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect(),
            });
        }
        Ok(Validated {
            entities: self.entities,
            warnings: self.diagnostics,
            roots: self.roots,
        })
    }
}

/// A load with no errors: the only input the write path accepts for entities.
/// Made by [`Loaded::into_validated`]; its fields are private, so nothing
/// that skipped validation can be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub(crate) entities: Vec<SourcedEntity>,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) roots: Vec<String>,
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
}

/// The key an import root is recorded under: its canonical path, or the path
/// as given when it cannot be resolved.
pub fn location_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Load files and directories (recursively, `*.yaml`/`*.yml`, sorted), following
/// Location entities. Every file is read at most once, even when reached twice.
pub fn load_paths(paths: &[PathBuf], kinds: &KindRegistry, limits: &Limits) -> Loaded {
    let mut loader = loader::Loader::new(kinds, limits);
    for path in paths {
        loader.load_root(path);
    }
    loader.finish()
}

/// Load YAML text as if it were the file `name` (Location targets in it are
/// relative to `name`'s directory).
pub fn load_text(name: &str, text: &str, kinds: &KindRegistry, limits: &Limits) -> Loaded {
    let mut loader = loader::Loader::new(kinds, limits);
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
/// (values have no directory to resolve targets against).
pub fn load_values(values: Vec<Value>, kinds: &KindRegistry) -> Loaded {
    let limits = Limits::default();
    let mut loader = loader::Loader::new(kinds, &limits);
    loader.load_values(values);
    loader.finish()
}
