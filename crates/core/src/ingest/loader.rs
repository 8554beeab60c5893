//! The state of one load: files read, entities seen, the chain of Locations being followed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use paved_yaml::{Limits, Positions, YamlError, parse_documents, push_index};

use super::ahead;
use serde_json::Value;

use super::files::{glob, is_glob, tidy, yaml_files};
use super::placeholders;
use super::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, Loaded, SourcedEntity, VALUES_SOURCE,
    location_key,
};
use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::model::relations::json_type;
use crate::model::schema::KindRegistry;
use crate::model::validate::validate_entity;
use crate::model::{Entity, EntityRef};

/// A file on the chain of Locations being followed (for cycle detection).
struct Link {
    canonical: PathBuf,
    display: String,
}

/// The Location target that led to a file, for diagnostics about that target.
struct Via {
    at: SourceLocation,
    path: String,
    entity: String,
}

impl Via {
    fn error(&self, message: String) -> Diagnostic {
        Diagnostic::error(self.path.clone(), message)
            .at(self.at.clone())
            .for_entity(self.entity.clone())
    }

    fn warning(&self, message: String) -> Diagnostic {
        Diagnostic::warning(self.path.clone(), message)
            .at(self.at.clone())
            .for_entity(self.entity.clone())
    }
}

pub(super) struct Loader<'a> {
    kinds: &'a KindRegistry,
    limits: &'a Limits,
    out: Loaded,
    /// Canonical paths of every file read (or being read) in this load.
    read: HashSet<PathBuf>,
    /// Identity key of each entity → where it was first defined.
    first_seen: HashMap<String, SourceLocation>,
}

/// A location in a file with no line (the file as a whole).
fn whole_file(file: &str) -> SourceLocation {
    SourceLocation {
        file: file.to_string(),
        ..SourceLocation::default()
    }
}

/// `source` moved to where `path` is, if the positions know.
fn locate(positions: Option<&Positions>, path: &str, source: &SourceLocation) -> SourceLocation {
    match positions.map(|p| p.locate(path)) {
        Some((line, column)) if line > 0 => SourceLocation {
            line,
            column,
            ..source.clone()
        },
        _ => source.clone(),
    }
}

/// The location ref of a file, as Backstage writes it: `file:/abs/path`.
fn file_ref(path: &Path) -> String {
    format!("file:{}", path.display())
}

/// Set Backstage's location annotations on an entity read from the file
/// `from` (a location ref) during a load that started at the root `key`
/// (its canonical path). As in Backstage, values the document sets itself
/// are kept.
fn annotate(entity: &mut Entity, from: &str, key: &str) {
    let annotations = &mut entity.metadata.annotations;
    annotations
        .entry(ANNOTATION_LOCATION.to_string())
        .or_insert_with(|| from.to_string());
    annotations
        .entry(ANNOTATION_ORIGIN_LOCATION.to_string())
        .or_insert_with(|| file_ref(Path::new(key)));
}

/// The ref of a raw (maybe invalid) entity, for labelling its diagnostics.
fn guess_ref(value: &Value) -> Option<String> {
    let kind = value.get("kind")?.as_str()?;
    let metadata = value.get("metadata")?;
    let name = metadata.get("name")?.as_str()?;
    let namespace = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(crate::model::refs::DEFAULT_NAMESPACE);
    Some(EntityRef::new(kind, namespace, name).to_string())
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
        _ => format!("cannot read it: {e}"),
    }
}

/// What checking one document on its own found: placeholders resolved and
/// the entity validated. What needs the whole load (duplicates, Locations)
/// is decided afterwards, by [`Loader::accept`].
pub(super) struct Checked {
    /// The document after placeholder resolution.
    value: Value,
    /// Placeholder problems (warnings, or the errors behind `Rejected`).
    problems: Vec<Diagnostic>,
    outcome: Outcome,
}

enum Outcome {
    /// A placeholder could not be resolved.
    Rejected,
    /// Not a mapping.
    NotAnEntity,
    Invalid(Vec<Diagnostic>),
    Entity(Box<Entity>),
}

/// Check one document: it needs nothing from the rest of the load, so it can
/// run on any thread.
fn check(
    mut value: Value,
    placeholder_base: Option<&Path>,
    limits: &Limits,
    kinds: &KindRegistry,
) -> Checked {
    let mut problems = placeholders::resolve(&mut value, placeholder_base, limits);
    let outcome = if problems.iter().any(Diagnostic::is_error) {
        Outcome::Rejected
    } else if !value.is_object() {
        Outcome::NotAnEntity
    } else {
        match validate_entity(&value, kinds) {
            Ok(entity) => {
                // What would keep a Template from running is said now, with
                // its line, not when a run reaches the step.
                if entity.kind == "Template" {
                    problems.extend(
                        crate::path::template::problems(&entity, crate::path::expressions())
                            .into_iter()
                            .map(|d| {
                                Diagnostic::warning(
                                    d.path,
                                    format!("this template may not run: {}", d.message),
                                )
                                .for_entity(entity.entity_ref().to_string())
                            }),
                    );
                }
                Outcome::Entity(Box::new(entity))
            }
            Err(diagnostics) => Outcome::Invalid(diagnostics),
        }
    };
    Checked {
        value,
        problems,
        outcome,
    }
}

/// One non-empty document of a file, parsed and checked.
pub(super) struct CheckedDocument {
    index: usize,
    line: usize,
    positions: Positions,
    checked: Checked,
}

/// A file's documents, or why they could not be parsed.
pub(super) type Parsed = Result<Vec<CheckedDocument>, YamlError>;

/// Parse `text` and check each document (placeholders resolve against
/// `placeholder_base`; `None`: not read from a file, placeholders are errors).
pub(super) fn parse_and_check(
    text: &str,
    placeholder_base: Option<&Path>,
    limits: &Limits,
    kinds: &KindRegistry,
) -> Parsed {
    Ok(parse_documents(text, limits)?
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| CheckedDocument {
            index: d.index,
            line: d.line,
            checked: check(d.value, placeholder_base, limits, kinds),
            positions: d.positions,
        })
        .collect())
}

impl<'a> Loader<'a> {
    pub(super) fn new(kinds: &'a KindRegistry, limits: &'a Limits) -> Self {
        Self {
            kinds,
            limits,
            out: Loaded::default(),
            read: HashSet::new(),
            first_seen: HashMap::new(),
        }
    }

    pub(super) fn finish(self) -> Loaded {
        self.out
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    /// One path argument: a file or a directory.
    pub(super) fn load_root(&mut self, path: &Path) {
        let key = location_key(path);
        if !self.out.roots.contains(&key) {
            self.out.roots.push(key.clone());
        }
        let display = path.display().to_string();
        let metadata = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.push(Diagnostic::error("", io_message(&e)).at(whole_file(&display)));
                return;
            }
        };
        if !metadata.is_dir() {
            self.load_file(path, &key, &mut Vec::new(), None, None);
            return;
        }
        let (files, failures) = yaml_files(path);
        for (dir, e) in failures {
            let message = format!("cannot read this directory: {e}");
            self.push(Diagnostic::error("", message).at(whole_file(&dir.display().to_string())));
        }
        if files.is_empty() {
            self.push(
                Diagnostic::warning("", "no *.yaml or *.yml files in this directory")
                    .at(whole_file(&display)),
            );
        }
        ahead::in_order(&files, self.limits, self.kinds, |i, parsed| {
            self.load_file(&files[i], &key, &mut Vec::new(), None, parsed);
        });
    }

    /// Read one file (once per load) and load its documents; `parsed` is the
    /// file already read and parsed on another thread.
    fn load_file(
        &mut self,
        path: &Path,
        key: &str,
        chain: &mut Vec<Link>,
        via: Option<&Via>,
        parsed: Option<Parsed>,
    ) {
        let display = path.display().to_string();
        let canonical = match path.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                let d = match via {
                    Some(via) => {
                        via.error(format!("Location target {display}: {}", io_message(&e)))
                    }
                    None => Diagnostic::error("", io_message(&e)).at(whole_file(&display)),
                };
                self.push(d);
                return;
            }
        };
        if let Some(start) = chain.iter().position(|l| l.canonical == canonical) {
            let mut names: Vec<&str> = chain[start..].iter().map(|l| l.display.as_str()).collect();
            names.push(&display);
            let message = format!(
                "Location cycle: {}; remove the target that leads back",
                names.join(" -> ")
            );
            let d = match via {
                Some(via) => via.error(message),
                None => Diagnostic::error("", message).at(whole_file(&display)),
            };
            self.push(d);
            return;
        }
        if !self.read.insert(canonical.clone()) {
            return;
        }
        self.out.files.push(display.clone());
        let base = path.parent();
        let from = Some(file_ref(&canonical));
        if let Some(documents) = parsed {
            chain.push(Link {
                canonical,
                display: display.clone(),
            });
            self.load_source(&display, documents, key, from.as_deref(), base, chain);
            chain.pop();
            return;
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > self.limits.max_bytes as u64 {
            let message = format!(
                "the file is {size} bytes, more than the limit of {} bytes; split it into several files",
                self.limits.max_bytes
            );
            self.push(Diagnostic::error("", message).at(whole_file(&display)));
            return;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                self.push(Diagnostic::error("", io_message(&e)).at(whole_file(&display)));
                return;
            }
        };
        chain.push(Link {
            canonical,
            display: display.clone(),
        });
        let documents = parse_and_check(&text, base, self.limits, self.kinds);
        self.load_source(&display, documents, key, from.as_deref(), base, chain);
        chain.pop();
    }

    /// Text standing for the file `name`.
    pub(super) fn load_named_text(&mut self, name: &str, text: &str) {
        let path = Path::new(name);
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.read.insert(canonical.clone());
        self.out.files.push(name.to_string());
        let mut chain = vec![Link {
            canonical,
            display: name.to_string(),
        }];
        // Text is not read from a file: its placeholders are left as diagnostics.
        let key = location_key(path);
        if !self.out.roots.contains(&key) {
            self.out.roots.push(key.clone());
        }
        let documents = parse_and_check(text, None, self.limits, self.kinds);
        self.load_source(name, documents, &key, None, path.parent(), &mut chain);
    }

    /// Values with no file.
    pub(super) fn load_values(&mut self, values: Vec<Value>) {
        for (document, value) in values.into_iter().enumerate() {
            if value.is_null() {
                continue;
            }
            let source = SourceLocation {
                file: VALUES_SOURCE.to_string(),
                document,
                ..SourceLocation::default()
            };
            self.add(value, None, source, VALUES_SOURCE);
        }
    }

    /// Load each document parsed and checked from `file`. Location targets
    /// resolve against `base`; `from` is the file's location ref
    /// (`file:/abs/path`) when it was read from disk, which its entities are
    /// annotated with.
    fn load_source(
        &mut self,
        file: &str,
        documents: Parsed,
        key: &str,
        from: Option<&str>,
        base: Option<&Path>,
        chain: &mut Vec<Link>,
    ) {
        let documents = match documents {
            Ok(documents) => documents,
            Err(e) => {
                let at = SourceLocation {
                    file: file.to_string(),
                    document: e.document,
                    line: e.line,
                    column: e.column,
                };
                self.push(Diagnostic::error(e.path, e.message).at(at));
                return;
            }
        };
        for doc in documents {
            let source = SourceLocation {
                file: file.to_string(),
                document: doc.index,
                line: doc.line,
                column: doc.positions.get("").map_or(1, |(_, column)| column),
            };
            let added = self.accept(doc.checked, Some(&doc.positions), source.clone(), key, from);
            if let (Some(index), Some(base)) = (added, base) {
                self.follow(index, &doc.positions, &source, key, base, chain);
            }
        }
    }

    /// Resolve placeholders in one document, validate it, and keep it if it
    /// is a new, valid entity. Returns its index in `out.entities`.
    fn add(
        &mut self,
        value: Value,
        positions: Option<&Positions>,
        source: SourceLocation,
        key: &str,
    ) -> Option<usize> {
        let checked = check(value, None, self.limits, self.kinds);
        self.accept(checked, positions, source, key, None)
    }

    /// Report what checking a document found, and keep it if it is a new,
    /// valid entity (annotated with the location it came `from`, if read
    /// from a file). Returns its index in `out.entities`.
    fn accept(
        &mut self,
        checked: Checked,
        positions: Option<&Positions>,
        source: SourceLocation,
        key: &str,
        from: Option<&str>,
    ) -> Option<usize> {
        let Checked {
            value,
            problems,
            outcome,
        } = checked;
        if !problems.is_empty() {
            self.push_located(problems, &value, positions, &source);
        }
        let entity = match outcome {
            Outcome::Rejected => return None,
            Outcome::NotAnEntity => {
                let message = format!(
                    "expected an entity (a mapping with apiVersion, kind, metadata and spec), found {}",
                    json_type(&value)
                );
                self.push(Diagnostic::error("", message).at(source));
                return None;
            }
            Outcome::Invalid(diagnostics) => {
                self.push_located(diagnostics, &value, positions, &source);
                return None;
            }
            Outcome::Entity(entity) => *entity,
        };
        let mut entity = entity;
        if let Some(from) = from {
            annotate(&mut entity, from, key);
        }
        let entity_ref = entity.entity_ref();
        if let Some(first) = self.first_seen.get(&entity_ref.key()) {
            let mut at = format!("{}:{}", first.file, first.line);
            if first.document > 0 {
                at.push_str(&format!(" (document {})", first.document));
            }
            let conflict = first.file != source.file;
            let message = if conflict {
                format!(
                    "conflict: {entity_ref} is already defined by another location, {at}, \
                     which keeps it (the first location wins, as in Backstage); \
                     this definition was not imported"
                )
            } else {
                format!(
                    "duplicate entity {entity_ref}: it is already defined at {at}; \
                     kind, namespace and name must be unique (ignoring case)"
                )
            };
            let d = Diagnostic::error("metadata.name", message)
                .at(locate(positions, "metadata.name", &source))
                .for_entity(entity_ref.to_string());
            if conflict {
                self.out.conflicts.push(self.out.diagnostics.len());
            }
            self.push(d);
            return None;
        }
        self.first_seen.insert(entity_ref.key(), source.clone());
        self.out.entities.push(SourcedEntity {
            entity,
            source,
            location_key: key.to_string(),
        });
        Some(self.out.entities.len() - 1)
    }

    /// Diagnostics about the document `value`, placed at their JSON paths and
    /// labelled with its entity ref when they have neither yet.
    fn push_located(
        &mut self,
        diagnostics: Vec<Diagnostic>,
        value: &Value,
        positions: Option<&Positions>,
        source: &SourceLocation,
    ) {
        let entity_ref = guess_ref(value);
        for mut d in diagnostics {
            if d.location.is_none() {
                d.location = Some(locate(positions, &d.path, source));
            }
            if d.entity.is_none() {
                d.entity.clone_from(&entity_ref);
            }
            self.push(d);
        }
    }

    /// Follow the targets of entity `index` if it is a Location.
    fn follow(
        &mut self,
        index: usize,
        positions: &Positions,
        source: &SourceLocation,
        key: &str,
        base: &Path,
        chain: &mut Vec<Link>,
    ) {
        let entity = &self.out.entities[index].entity;
        if !entity.kind.eq_ignore_ascii_case("location") {
            return;
        }
        let entity_ref = entity.entity_ref().to_string();
        let spec = entity.spec.clone().unwrap_or_default();
        let via = |path: String| Via {
            at: locate(Some(positions), &path, source),
            path,
            entity: entity_ref.clone(),
        };
        let kind = spec.get("type").and_then(Value::as_str).unwrap_or("file");
        if kind != "file" {
            let message = if kind == "url" {
                "url Locations are not followed: paved only reads `type: file` targets; \
                 fetch the file and import it, or point a file Location at a local copy"
                    .to_string()
            } else {
                format!(
                    "Location type '{kind}' is not followed: paved only reads `type: file` targets"
                )
            };
            self.push(via("spec.type".to_string()).warning(message));
            return;
        }
        let optional = spec.get("presence").and_then(Value::as_str) == Some("optional");
        let mut targets: Vec<(String, &Value)> = Vec::new();
        if let Some(target) = spec.get("target") {
            targets.push(("spec.target".to_string(), target));
        }
        if let Some(list) = spec.get("targets").and_then(Value::as_array) {
            for (i, target) in list.iter().enumerate() {
                targets.push((push_index("spec.targets", i), target));
            }
        }
        for (path, target) in targets {
            let via = via(path);
            let Some(target) = target.as_str() else {
                let message = format!("expected a file path, found {}", json_type(target));
                self.push(via.error(message));
                continue;
            };
            if target.contains("://") {
                let message = format!(
                    "'{target}' is a URL, but this Location has type file; \
                     give a path relative to this file"
                );
                self.push(via.error(message));
                continue;
            }
            let full = tidy(&base.join(target));
            if is_glob(target) {
                let matched = glob(&full);
                if matched.is_empty() && !optional {
                    let message = format!("no files match {}", full.display());
                    self.push(via.warning(message));
                }
                for file in matched {
                    self.load_file(&file, key, chain, Some(&via), None);
                }
            } else if optional && !full.exists() {
                continue;
            } else if full.is_dir() {
                // A directory target reads like a directory argument.
                let (files, failures) = yaml_files(&full);
                for (dir, e) in failures {
                    let message = format!("cannot read directory {}: {e}", dir.display());
                    self.push(via.error(message));
                }
                for file in files {
                    self.load_file(&file, key, chain, Some(&via), None);
                }
            } else {
                self.load_file(&full, key, chain, Some(&via), None);
            }
        }
    }
}
