//! The state of one load: files and URLs read, entities seen, the chain of
//! Locations being followed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paved_yaml::{Limits, Positions, YamlError, parse_documents, push_index};
use serde_json::Value;
use url::Url;

use super::ahead;
use super::files::{glob, is_glob, tidy, yaml_files};
use super::placeholders;
use super::remote::{Reading, Remote, is_url};
use super::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, Loaded, SourcedEntity, VALUES_SOURCE,
    location_key,
};
use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::model::relations::json_type;
use crate::model::schema::KindRegistry;
use crate::model::validate::validate_entity;
use crate::model::{Entity, EntityRef};

/// Where a document was read from, which its relative targets (Location
/// targets, placeholders) resolve against.
#[derive(Debug, Clone, Copy)]
pub(super) enum Base<'a> {
    /// The directory of its file.
    Dir(&'a Path),
    /// Its URL.
    Url(&'a Url),
}

/// A file (canonical path) or a URL, read once per load.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Place {
    File(PathBuf),
    Url(String),
}

/// A file or URL on the chain of Locations being followed (for cycle detection).
struct Link {
    place: Place,
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
    /// Reads URLs (only from the hosts `reading.allow` names); shared with
    /// the workers of [`ahead`].
    remote: Arc<Remote<'a>>,
    out: Loaded,
    /// Every file (canonical path) and URL read (or being read) in this load.
    read: HashSet<Place>,
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

/// The location ref of a load's root, by its key: `url:<the url>` or
/// `file:/abs/path`.
fn root_ref(key: &str) -> String {
    crate::locations::location_ref(key)
}

/// Set Backstage's location annotations on an entity read from the file or
/// URL `from` (a location ref) during a load that started at the root `key`
/// (its canonical path, or its URL). As in Backstage, values the document
/// sets itself are kept.
fn annotate(entity: &mut Entity, from: &str, key: &str) {
    let annotations = &mut entity.metadata.annotations;
    if !annotations.contains_key(ANNOTATION_LOCATION) {
        annotations.insert(ANNOTATION_LOCATION.to_string(), from.to_string());
    }
    if !annotations.contains_key(ANNOTATION_ORIGIN_LOCATION) {
        annotations.insert(ANNOTATION_ORIGIN_LOCATION.to_string(), root_ref(key));
    }
}

/// The URL a `url` Location target names, seen from a document read from
/// `base`: absolute, or relative to the document's own URL.
fn url_target(target: &str, base: Base<'_>) -> Result<Url, String> {
    if target.contains("://") {
        return Url::parse(target).map_err(|e| format!("'{target}' is not a valid URL: {e}"));
    }
    match base {
        Base::Url(url) => url
            .join(target)
            .map_err(|e| format!("'{target}' does not resolve against {url}: {e}")),
        Base::Dir(_) => Err(format!(
            "'{target}' is not an absolute URL: a url Location read from a file needs \
             http:// or https:// targets; use `type: file` for a path relative to this file"
        )),
    }
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
    placeholder_base: Option<Base<'_>>,
    limits: &Limits,
    kinds: &KindRegistry,
    remote: &Remote<'_>,
) -> Checked {
    let mut problems = placeholders::resolve(&mut value, placeholder_base, limits, remote);
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
/// `placeholder_base`; `None`: not read from a file or URL, only absolute
/// URLs resolve).
pub(super) fn parse_and_check(
    text: &str,
    placeholder_base: Option<Base<'_>>,
    limits: &Limits,
    kinds: &KindRegistry,
    remote: &Remote<'_>,
) -> Parsed {
    Ok(parse_documents(text, limits)?
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| CheckedDocument {
            index: d.index,
            line: d.line,
            checked: check(d.value, placeholder_base, limits, kinds, remote),
            positions: d.positions,
        })
        .collect())
}

impl<'a> Loader<'a> {
    pub(super) fn new(kinds: &'a KindRegistry, limits: &'a Limits, reading: &'a Reading) -> Self {
        Self {
            kinds,
            limits,
            remote: Arc::new(Remote::new(reading, limits.max_bytes)),
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

    /// One path argument: a file, a directory, or an `http(s)://` URL.
    pub(super) fn load_root(&mut self, path: &Path) {
        let key = location_key(path);
        if !self.out.roots.contains(&key) {
            self.out.roots.push(key.clone());
        }
        let display = path.display().to_string();
        if is_url(&display) {
            match Url::parse(&display) {
                Ok(url) => self.load_url(&url, &key, &mut Vec::new(), None, false),
                Err(e) => {
                    let message = format!("'{display}' is not a valid URL: {e}");
                    self.push(Diagnostic::error("", message).at(whole_file(&display)));
                }
            }
            return;
        }
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
        let (limits, kinds, remote) = (self.limits, self.kinds, self.remote.clone());
        ahead::in_order(&files, limits, kinds, &remote, |i, parsed| {
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
        let from = Some(file_ref(&canonical));
        let place = Place::File(canonical);
        if self.on_chain(&place, &display, chain, via) || !self.read.insert(place.clone()) {
            return;
        }
        self.out.files.push(display.clone());
        let base = path.parent().map(Base::Dir);
        if let Some(documents) = parsed {
            self.out.read.extend(from.clone());
            chain.push(Link {
                place,
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
        self.out.read.extend(from.clone());
        chain.push(Link {
            place,
            display: display.clone(),
        });
        let documents = parse_and_check(&text, base, self.limits, self.kinds, &self.remote);
        self.load_source(&display, documents, key, from.as_deref(), base, chain);
        chain.pop();
    }

    /// Whether `place` is already on the chain of Locations being followed:
    /// a cycle, reported at the target that leads back.
    fn on_chain(
        &mut self,
        place: &Place,
        display: &str,
        chain: &[Link],
        via: Option<&Via>,
    ) -> bool {
        let Some(start) = chain.iter().position(|l| &l.place == place) else {
            return false;
        };
        let mut names: Vec<&str> = chain[start..].iter().map(|l| l.display.as_str()).collect();
        names.push(display);
        let message = format!(
            "Location cycle: {}; remove the target that leads back",
            names.join(" -> ")
        );
        let d = match via {
            Some(via) => via.error(message),
            None => Diagnostic::error("", message).at(whole_file(display)),
        };
        self.push(d);
        true
    }

    /// Read one URL (once per load, only from an allowed host) and load its
    /// documents; their relative targets resolve against `url`. A target
    /// that cannot be read is an error at the Location target that named it
    /// (`via`), or nothing when that Location is optional and the server
    /// says the target does not exist.
    fn load_url(
        &mut self,
        url: &Url,
        key: &str,
        chain: &mut Vec<Link>,
        via: Option<&Via>,
        optional: bool,
    ) {
        let display = url.to_string();
        let place = Place::Url(display.clone());
        if self.on_chain(&place, &display, chain, via) || !self.read.insert(place.clone()) {
            return;
        }
        let text = match self.remote.read_text(url) {
            Ok(text) => text,
            Err(e) if optional && e.not_found => return,
            Err(e) => {
                let d = match via {
                    Some(via) => via.error(format!("Location target {display}: {e}")),
                    None => Diagnostic::error("", e.message).at(whole_file(&display)),
                };
                self.push(d);
                return;
            }
        };
        self.out.files.push(display.clone());
        self.out.read.push(format!("url:{display}"));
        chain.push(Link {
            place,
            display: display.clone(),
        });
        let base = Some(Base::Url(url));
        let documents = parse_and_check(&text, base, self.limits, self.kinds, &self.remote);
        let from = format!("url:{display}");
        self.load_source(&display, documents, key, Some(&from), base, chain);
        chain.pop();
    }

    /// Text standing for the file `name`.
    pub(super) fn load_named_text(&mut self, name: &str, text: &str) {
        let path = Path::new(name);
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let place = Place::File(canonical);
        self.read.insert(place.clone());
        self.out.files.push(name.to_string());
        let mut chain = vec![Link {
            place,
            display: name.to_string(),
        }];
        // Text is not read from a file: placeholders with a relative target
        // are left as diagnostics (absolute URLs resolve).
        let key = location_key(path);
        if !self.out.roots.contains(&key) {
            self.out.roots.push(key.clone());
        }
        let documents = parse_and_check(text, None, self.limits, self.kinds, &self.remote);
        let base = path.parent().map(Base::Dir);
        self.load_source(name, documents, &key, None, base, &mut chain);
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
    /// resolve against `base`; `from` is the location ref (`file:/abs/path`,
    /// `url:https://…`) of a file or URL that was read, which its entities
    /// are annotated with.
    fn load_source(
        &mut self,
        file: &str,
        documents: Parsed,
        key: &str,
        from: Option<&str>,
        base: Option<Base<'_>>,
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
        let checked = check(value, None, self.limits, self.kinds, &self.remote);
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
        let rego_text = positions
            .filter(|_| entity.kind == crate::policy::POLICY_KIND)
            .and_then(|p| p.text_start(crate::policy::REGO_MODULE_PATH))
            .map(|(line, column)| SourceLocation {
                line,
                column,
                ..source.clone()
            });
        self.out.entities.push(SourcedEntity {
            entity,
            source,
            location_key: key.to_string(),
            rego_text,
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

    /// Follow the targets of entity `index` if it is a Location read from
    /// `base`. As in Backstage, a Location without a `type` has the type of
    /// where it was read from (`file`, or `url` when read from a URL), and
    /// every target of a Location read from a URL resolves against that URL
    /// (so it is read over the network, never from the local disk).
    fn follow(
        &mut self,
        index: usize,
        positions: &Positions,
        source: &SourceLocation,
        key: &str,
        base: Base<'_>,
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
        let default_type = match base {
            Base::Dir(_) => "file",
            Base::Url(_) => "url",
        };
        let kind = spec
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(default_type);
        if kind != "file" && kind != "url" {
            let message = format!(
                "Location type '{kind}' is not followed: paved reads `file` and `url` targets"
            );
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
                let what = if kind == "url" {
                    "a URL"
                } else {
                    "a file path"
                };
                let message = format!("expected {what}, found {}", json_type(target));
                self.push(via.error(message));
                continue;
            };
            match base {
                Base::Dir(dir) if kind == "file" => {
                    self.follow_file(target, dir, optional, key, chain, &via);
                }
                _ => match url_target(target, base) {
                    Ok(url) => self.load_url(&url, key, chain, Some(&via), optional),
                    Err(message) => self.push(via.error(message)),
                },
            }
        }
    }

    /// Follow one target of a `file` Location read from a file in `dir`.
    fn follow_file(
        &mut self,
        target: &str,
        dir: &Path,
        optional: bool,
        key: &str,
        chain: &mut Vec<Link>,
        via: &Via,
    ) {
        if target.contains("://") {
            let message = format!(
                "'{target}' is a URL, but this Location has type file; \
                 set `type: url` to read it (from a host in reading.allow), \
                 or give a path relative to this file"
            );
            self.push(via.error(message));
            return;
        }
        let full = tidy(&dir.join(target));
        if is_glob(target) {
            let matched = glob(&full);
            if matched.is_empty() && !optional {
                let message = format!("no files match {}", full.display());
                self.push(via.warning(message));
            }
            for file in matched {
                self.load_file(&file, key, chain, Some(via), None);
            }
        } else if optional && !full.exists() {
            // An optional target that is not there is skipped.
        } else if full.is_dir() {
            // A directory target reads like a directory argument.
            let (files, failures) = yaml_files(&full);
            for (dir, e) in failures {
                let message = format!("cannot read directory {}: {e}", dir.display());
                self.push(via.error(message));
            }
            for file in files {
                self.load_file(&file, key, chain, Some(via), None);
            }
        } else {
            self.load_file(&full, key, chain, Some(via), None);
        }
    }
}
