//! The kind registry, spec validation against JSON Schemas, and schema export.
//!
//! A [`KindRegistry`] knows which `kind`/`apiVersion` pairs exist and the JSON
//! Schema of each one's `spec`. [`KindRegistry::builtin`] holds Backstage's
//! kinds (schemas generated from the typed structs in [`super::kinds`]);
//! [`KindRegistry::register`] adds custom kinds. Every schema is compiled once
//! when it enters the registry (the built-in ones once per process) and the
//! compiled validator is shared by clones of the registry.
//!
//! [`super::validate`] looks kinds up here ([`KindRegistry::lookup`]) and asks
//! the [`KindDef`] to check a spec ([`KindDef::check_spec`]), which turns the
//! validator's findings into [`Diagnostic`]s with paved's JSON paths.
//!
//! [`export`] writes the schemas for editors: one file per kind and a combined
//! `entity.schema.json` that picks the kind's schema by `kind` and
//! `apiVersion`, for yaml-language-server
//! (`# yaml-language-server: $schema=./schemas/entity.schema.json`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use paved_yaml::{push_index, push_key};
use serde_json::{Map, Value, json};

use super::kinds::BuiltinKind;
use super::relations::json_type;
use super::validate::{is_valid_api_version, is_valid_kind};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// One kind (at one or more apiVersions) and the compiled schema of its spec.
#[derive(Clone)]
pub struct KindDef {
    kind: String,
    api_versions: Vec<String>,
    spec_schema: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
    builtin: Option<BuiltinKind>,
}

impl std::fmt::Debug for KindDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindDef")
            .field("kind", &self.kind)
            .field("api_versions", &self.api_versions)
            .field("builtin", &self.builtin.is_some())
            .finish()
    }
}

impl KindDef {
    /// The `kind` value (matched case-sensitively, as Backstage does).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The apiVersions this definition covers.
    pub fn api_versions(&self) -> &[String] {
        &self.api_versions
    }

    /// The JSON Schema of `spec`.
    pub fn spec_schema(&self) -> &Value {
        &self.spec_schema
    }

    /// The built-in kind this is, if it is one.
    pub fn builtin(&self) -> Option<BuiltinKind> {
        self.builtin
    }

    /// Top-level fields the spec must have, for messages.
    pub fn required_fields(&self) -> Vec<&str> {
        self.spec_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// A schema for a document that is not a kind's spec (a provider's
    /// params schema); `name` appears in errors about the schema itself.
    pub fn for_document(name: &str, schema: Value) -> Result<Self> {
        let validator = compile(&schema, name)?;
        Ok(Self {
            kind: name.to_string(),
            api_versions: Vec::new(),
            spec_schema: Arc::new(schema),
            validator: Arc::new(validator),
            builtin: None,
        })
    }

    /// Check a document against the schema; problems are appended to `out`
    /// with paths under `root` (e.g. `spec.params`).
    pub fn check_document(&self, document: &Value, root: &str, out: &mut Vec<Diagnostic>) {
        let first = out.len();
        self.check_spec(document, out);
        for d in &mut out[first..] {
            if let Some(rest) = d.path.strip_prefix("spec") {
                d.path = format!("{root}{rest}");
            }
        }
    }

    /// Check `spec` against the schema; problems are appended to `out` with
    /// paths under `spec`.
    pub fn check_spec(&self, spec: &Value, out: &mut Vec<Diagnostic>) {
        if self.validator.is_valid(spec) {
            return;
        }
        for error in self.validator.iter_errors(spec) {
            out.push(self.diagnostic(spec, &error));
        }
    }

    fn diagnostic(&self, spec: &Value, error: &jsonschema::ValidationError<'_>) -> Diagnostic {
        let path = instance_path(spec, "spec", error.instance_path().as_str());
        let instance = error.instance();
        let found = || describe_value(instance);
        let message = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                let expected = self
                    .property_schema(error.schema_path().as_str(), property)
                    .map(|s| format!(": expected {}", describe_schema(s, &self.spec_schema)))
                    .unwrap_or_default();
                return Diagnostic::error(
                    push_key(&path, property),
                    format!("missing required field{expected}"),
                );
            }
            ValidationErrorKind::Type { .. } => {
                let schema = self.keyword_parent(error.schema_path().as_str());
                let expected = schema
                    .map(|s| describe_schema(s, &self.spec_schema))
                    .unwrap_or_else(|| "another type".to_string());
                format!("expected {expected}, found {}", found())
            }
            ValidationErrorKind::MinLength { limit: 1 } => {
                "expected a non-empty string, found an empty one".to_string()
            }
            ValidationErrorKind::MinLength { limit } => {
                format!("expected at least {limit} characters, found {}", found())
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("expected at most {limit} characters, found {}", found())
            }
            ValidationErrorKind::Enum { options } => {
                format!(
                    "expected one of {}, found {}",
                    list_values(options),
                    found()
                )
            }
            ValidationErrorKind::Constant { expected_value } => {
                format!("expected {expected_value}, found {}", found())
            }
            ValidationErrorKind::AnyOf { .. }
            | ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. } => {
                let schema = self.keyword_parent(error.schema_path().as_str());
                match schema {
                    Some(s) => format!(
                        "expected {}, found {}",
                        describe_schema(s, &self.spec_schema),
                        found()
                    ),
                    None => error.to_string(),
                }
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => format!(
                "unknown field{} {}: not allowed by the schema of kind {}",
                if unexpected.len() == 1 { "" } else { "s" },
                unexpected
                    .iter()
                    .map(|u| format!("'{u}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.kind
            ),
            ValidationErrorKind::Pattern { pattern } => {
                format!("{} does not match the pattern {pattern}", found())
            }
            ValidationErrorKind::MinItems { limit } => {
                format!("expected at least {limit} item(s), found {}", found())
            }
            _ => error.to_string(),
        };
        Diagnostic::error(path, message)
    }

    /// The schema object holding the keyword at `schema_path` (e.g. the
    /// `{"type": ...}` object for `/properties/x/type`).
    fn keyword_parent(&self, schema_path: &str) -> Option<&Value> {
        let parent = schema_path.rsplit_once('/').map(|(p, _)| p)?;
        resolve_pointer(&self.spec_schema, parent)
    }

    /// The schema of `property` in the object schema whose `required` keyword
    /// is at `schema_path`.
    fn property_schema(&self, schema_path: &str, property: &str) -> Option<&Value> {
        let object = self.keyword_parent(schema_path)?;
        let object = deref(object, &self.spec_schema);
        object.get("properties")?.get(property)
    }
}

/// Follow a JSON pointer into a schema, stepping through local `$ref`s that
/// the validator's keyword paths pass (`/properties/a/$ref/properties/b`).
fn resolve_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut current = root;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if segment == "$ref" {
            current = deref(current, root);
            continue;
        }
        current = match current {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A local `$ref` (`#/definitions/X`) resolved against `root`; other schemas as they are.
fn deref<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match root.pointer(&r[1..]) {
                Some(target) => current = target,
                None => break,
            },
            _ => break,
        }
    }
    current
}

/// Turn the validator's JSON pointer into paved's path, reading the instance
/// to tell array indices from keys that look like numbers.
fn instance_path(instance: &Value, root: &str, pointer: &str) -> String {
    let mut path = root.to_string();
    let mut current = Some(instance);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        match current {
            Some(Value::Array(items)) => {
                let index = segment.parse::<usize>().ok();
                path = match index {
                    Some(i) => push_index(&path, i),
                    None => push_key(&path, &segment),
                };
                current = index.and_then(|i| items.get(i));
            }
            Some(Value::Object(map)) => {
                path = push_key(&path, &segment);
                current = map.get(&segment);
            }
            _ => {
                path = push_key(&path, &segment);
                current = None;
            }
        }
    }
    path
}

/// A short human description of what a schema accepts.
fn describe_schema(schema: &Value, root: &Value) -> String {
    let schema = deref(schema, root);
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return format!("one of {}", list_values(&Value::Array(options.clone())));
    }
    if let Some(c) = schema.get("const") {
        return c.to_string();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = alternatives
                .iter()
                .map(|a| describe_schema(a, root))
                .collect();
            return join_or(&parts);
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) => describe_type(t, schema, root),
        Some(Value::Array(types)) => {
            let parts: Vec<String> = types
                .iter()
                .filter_map(Value::as_str)
                .map(|t| describe_type(t, schema, root))
                .collect();
            join_or(&parts)
        }
        _ => "a value matching the schema".to_string(),
    }
}

fn describe_type(t: &str, schema: &Value, root: &Value) -> String {
    match t {
        "string" if schema.get("minLength").and_then(Value::as_u64) == Some(1) => {
            "a non-empty string".to_string()
        }
        "string" => "a string".to_string(),
        "boolean" => "a boolean".to_string(),
        "integer" => "an integer".to_string(),
        "number" => "a number".to_string(),
        "null" => "null".to_string(),
        "object" => "a mapping".to_string(),
        "array" => match schema.get("items") {
            Some(items) => {
                let item = describe_schema(items, root);
                let plural = match item.as_str() {
                    "a non-empty string" => "non-empty strings".to_string(),
                    "a string" => "strings".to_string(),
                    "a mapping" => "mappings".to_string(),
                    other => format!("items that are {other}"),
                };
                format!("a list of {plural}")
            }
            None => "a list".to_string(),
        },
        other => format!("a value of type {other}"),
    }
}

fn join_or(parts: &[String]) -> String {
    match parts {
        [] => "a value matching the schema".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn list_values(options: &Value) -> String {
    match options {
        Value::Array(items) => items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A value for messages: short values quoted, long ones by type.
fn describe_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() <= 60 => format!("{}", Value::String(s.clone())),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("{b}"),
        other => json_type(other).to_string(),
    }
}

/// Result of looking a kind up.
#[derive(Debug)]
pub enum KindLookup<'a> {
    /// The kind exists at this apiVersion.
    Found(&'a KindDef),
    /// The kind exists, but not at this apiVersion.
    UnsupportedVersion {
        /// Every apiVersion the kind has.
        supported: Vec<&'a str>,
        /// The kind's first definition, to check the spec against anyway.
        nearest: &'a KindDef,
    },
    /// No such kind; `suggestion` is a known kind that differs only in case.
    Unknown { suggestion: Option<&'a str> },
}

/// The kinds the engine knows: built-in ones and registered custom kinds.
#[derive(Debug, Clone)]
pub struct KindRegistry {
    defs: Vec<KindDef>,
}

impl Default for KindRegistry {
    /// The built-in kinds.
    fn default() -> Self {
        Self::builtin()
    }
}

impl KindRegistry {
    /// The built-in kinds only (Backstage's catalogue kinds and Template).
    /// Their schemas are compiled once per process; this is a cheap clone.
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<KindRegistry> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let defs = BuiltinKind::ALL
                    .into_iter()
                    .map(|kind| {
                        let schema = kind.spec_schema();
                        // The generated schemas are tested to compile; a failure here is a bug in kinds.rs.
                        let validator = compile(&schema, kind.name())
                            .unwrap_or_else(|e| panic!("built-in schema of {}: {e}", kind.name()));
                        KindDef {
                            kind: kind.name().to_string(),
                            api_versions: kind
                                .api_versions()
                                .iter()
                                .map(|v| v.to_string())
                                .collect(),
                            spec_schema: Arc::new(schema),
                            validator: Arc::new(validator),
                            builtin: Some(kind),
                        }
                    })
                    .collect();
                KindRegistry { defs }
            })
            .clone()
    }

    /// A registry with no kinds at all (every entity is of an unknown kind).
    pub fn empty() -> Self {
        Self { defs: Vec::new() }
    }

    /// Register a custom kind at the given apiVersions, with the JSON Schema
    /// of its `spec` (any draft the `jsonschema` crate knows; draft 2020-12
    /// when the schema has no `$schema`). Entities of the kind must have a
    /// `spec` mapping that the schema accepts.
    ///
    /// Fails, changing nothing, when the kind or an apiVersion is not valid
    /// in Backstage's format, when one of the pairs is already registered, or
    /// when the schema is not a valid JSON Schema (the error names where).
    pub fn register(&mut self, kind: &str, api_versions: &[&str], schema: Value) -> Result<()> {
        let mut problems = Vec::new();
        if !is_valid_kind(kind) {
            problems.push(Diagnostic::error(
                "kind",
                format!(
                    "{} is not a valid kind: expected 1-63 letters and digits starting with a letter, such as Component",
                    Value::String(kind.to_string())
                ),
            ));
        }
        if api_versions.is_empty() {
            problems.push(Diagnostic::error(
                "apiVersion",
                format!("kind {kind}: expected at least one apiVersion, such as example.com/v1"),
            ));
        }
        for (i, version) in api_versions.iter().enumerate() {
            if !is_valid_api_version(version) {
                problems.push(Diagnostic::error(
                    push_index("apiVersion", i),
                    format!(
                        "{} is not a valid apiVersion: expected [DNS subdomain/]version such as example.com/v1",
                        Value::String(version.to_string())
                    ),
                ));
            } else if let KindLookup::Found(_) = self.lookup(kind, version) {
                problems.push(Diagnostic::error(
                    push_index("apiVersion", i),
                    format!("kind {kind} is already registered at apiVersion {version}"),
                ));
            }
        }
        if !schema.is_object() && !schema.is_boolean() {
            problems.push(Diagnostic::error(
                "schema",
                format!(
                    "the schema of kind {kind} must be a JSON Schema (a mapping), found {}",
                    json_type(&schema)
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid {
                diagnostics: problems,
            });
        }
        let validator = compile(&schema, kind)?;
        self.defs.push(KindDef {
            kind: kind.to_string(),
            api_versions: api_versions.iter().map(|v| v.to_string()).collect(),
            spec_schema: Arc::new(schema),
            validator: Arc::new(validator),
            builtin: None,
        });
        Ok(())
    }

    /// Every definition, built-in ones first.
    pub fn defs(&self) -> &[KindDef] {
        &self.defs
    }

    /// The distinct kind names, sorted.
    pub fn kind_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.defs.iter().map(|d| d.kind.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Find the definition for `kind` at `api_version` (both case-sensitive, as in Backstage).
    pub fn lookup(&self, kind: &str, api_version: &str) -> KindLookup<'_> {
        let mut nearest = None;
        for def in &self.defs {
            if def.kind == kind {
                if def.api_versions.iter().any(|v| v == api_version) {
                    return KindLookup::Found(def);
                }
                nearest.get_or_insert(def);
            }
        }
        match nearest {
            Some(nearest) => KindLookup::UnsupportedVersion {
                supported: self
                    .defs
                    .iter()
                    .filter(|d| d.kind == kind)
                    .flat_map(|d| d.api_versions.iter().map(String::as_str))
                    .collect(),
                nearest,
            },
            None => KindLookup::Unknown {
                suggestion: self
                    .defs
                    .iter()
                    .find(|d| d.kind.eq_ignore_ascii_case(kind))
                    .map(|d| d.kind.as_str()),
            },
        }
    }
}

/// Compile a spec schema; a bad schema becomes a diagnostic naming where in it.
fn compile(schema: &Value, kind: &str) -> Result<jsonschema::Validator> {
    let mut options = jsonschema::options();
    if schema.get("$schema").is_none() {
        options = options.with_draft(jsonschema::Draft::Draft202012);
    }
    options.build(schema).map_err(|e| {
        let path = instance_path(schema, "schema", e.instance_path().as_str());
        Error::invalid(Diagnostic::error(
            path,
            format!("the JSON Schema of kind {kind} is not valid: {e}"),
        ))
    })
}

/// The JSON Schema of `metadata`, written from Backstage's rules (the same
/// ones [`super::validate`] applies), for editors.
pub fn metadata_schema() -> Value {
    const NAME: &str = "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";
    const DNS_LABEL: &str = "[a-z0-9]+(-+[a-z0-9]+)*";
    let subdomain = format!("{DNS_LABEL}(\\.{DNS_LABEL})*");
    let key = format!("^({subdomain}/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
    let non_blank = json!({"type": "string", "minLength": 1, "pattern": "\\S"});
    json!({
        "type": "object",
        "description": "Metadata common to every kind of entity.",
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string", "minLength": 1, "maxLength": 63, "pattern": NAME,
                "description": "Unique (ignoring case) per kind and namespace: 1-63 characters of [a-zA-Z0-9-_.], starting and ending with a letter or digit."
            },
            "namespace": {
                "type": "string", "minLength": 1, "maxLength": 63,
                "pattern": format!("^{DNS_LABEL}$"), "default": "default",
                "description": "1-63 characters of [a-z0-9], with '-' between them."
            },
            "title": {"type": "string", "minLength": 1, "description": "A display name, shown instead of the name."},
            "description": {"type": "string", "description": "A short description of the entity."},
            "labels": {
                "type": "object",
                "description": "Identifying key/value pairs. Keys: an optional DNS-subdomain prefix and '/', then a name; values: empty or a name.",
                "propertyNames": {"pattern": key.clone(), "maxLength": 317},
                "additionalProperties": {
                    "type": "string", "maxLength": 63,
                    "pattern": "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
                }
            },
            "annotations": {
                "type": ["object", "null"],
                "description": "Non-identifying key/value pairs used by tools, e.g. backstage.io/techdocs-ref.",
                "propertyNames": {"pattern": key, "maxLength": 317},
                "additionalProperties": {"type": "string"}
            },
            "tags": {
                "type": "array",
                "description": "Single-word classifications: 1-63 characters of [a-z0-9:+#], words joined by '-'.",
                "items": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$"}
            },
            "links": {
                "type": "array",
                "description": "External links (dashboards, runbooks, docs).",
                "items": {
                    "type": "object",
                    "required": ["url"],
                    "properties": {
                        "url": {"type": "string", "minLength": 1, "format": "uri", "description": "An absolute URL."},
                        "title": non_blank.clone(),
                        "icon": non_blank,
                        "type": {"type": "string", "minLength": 1, "description": "A category, e.g. runbook, dashboard."}
                    }
                }
            },
            "uid": {"type": "string", "minLength": 1, "description": "Set by the store."},
            "etag": {"type": "string", "minLength": 1, "description": "Set by the store; pass it back on upsert."}
        }
    })
}

/// Rewrite local `$ref`s (`#/...`) so that the schema can live at `base`
/// (a JSON pointer) inside another document.
fn rebase_refs(schema: &mut Value, base: &str) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(rest) = r.strip_prefix('#')
            {
                *r = format!("#{base}{rest}");
            }
            for child in map.values_mut() {
                rebase_refs(child, base);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rebase_refs(i, base)),
        _ => {}
    }
}

/// Escape a string for use as one JSON-pointer segment.
fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A definition name for each def, unique in the document.
fn def_names(defs: &[&KindDef]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for def in defs {
        let mut name = def.kind.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{}_{n}", def.kind);
            n += 1;
        }
        names.push(name);
    }
    names
}

/// A self-contained draft-07 schema for entities of the given definitions:
/// the envelope, then per kind and apiVersion the right spec schema.
fn entity_schema(defs: &[&KindDef], title: &str) -> Value {
    let names = def_names(defs);
    let mut definitions = Map::new();
    definitions.insert("Metadata".to_string(), metadata_schema());
    let mut all_of = Vec::new();
    let mut kinds: Vec<&str> = defs.iter().map(|d| d.kind.as_str()).collect();
    kinds.dedup();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in &kinds {
        let versions: Vec<&str> = defs
            .iter()
            .filter(|d| d.kind == *kind)
            .flat_map(|d| d.api_versions.iter().map(String::as_str))
            .collect();
        all_of.push(json!({
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"apiVersion": {"enum": versions}}}
        }));
    }
    for (def, name) in defs.iter().zip(&names) {
        let spec_name = format!("{name}Spec");
        let mut spec = (*def.spec_schema).clone();
        if let Value::Object(map) = &mut spec {
            map.remove("$schema");
            map.remove("$id");
        }
        rebase_refs(
            &mut spec,
            &format!("/definitions/{}", pointer_segment(&spec_name)),
        );
        let description = def
            .builtin
            .map(BuiltinKind::description)
            .unwrap_or("A custom kind registered with paved.");
        definitions.insert(spec_name.clone(), spec);
        definitions.insert(
            name.clone(),
            json!({
                "description": description,
                "required": ["apiVersion", "kind", "metadata", "spec"],
                "properties": {
                    "apiVersion": {"enum": def.api_versions},
                    "kind": {"const": def.kind},
                    "spec": {"$ref": format!("#/definitions/{}", pointer_segment(&spec_name))}
                }
            }),
        );
        all_of.push(json!({
            "if": {
                "properties": {"kind": {"const": def.kind}, "apiVersion": {"enum": def.api_versions}},
                "required": ["kind", "apiVersion"]
            },
            "then": {"$ref": format!("#/definitions/{}", pointer_segment(name))}
        }));
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "description": "A catalogue entity in Backstage's descriptor format, as paved validates it. For editors: put `# yaml-language-server: $schema=<path to this file>` at the top of a catalogue file.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "additionalProperties": false,
        "properties": {
            "apiVersion": {"type": "string", "minLength": 1, "examples": ["backstage.io/v1alpha1"]},
            "kind": if kinds.len() == 1 { json!({"const": kinds[0]}) } else { json!({"enum": kinds}) },
            "metadata": {"$ref": "#/definitions/Metadata"},
            "spec": {"type": "object"}
        },
        "allOf": all_of,
        "definitions": definitions
    })
}

/// Whether `name` is usable as a schema file name stem.
fn valid_stem(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Write JSON Schemas for editors into `dir`: `<kind>.schema.json` for every
/// kind in `kinds` (lower-case file names), `entity.schema.json` for any
/// entity (it picks the kind's schema by `kind` and `apiVersion`), and each of
/// `extra` as `<name>.schema.json` (paved's own files, e.g. its config).
///
/// Everything is generated and checked before the first file is written;
/// returns the paths written, in that order.
pub fn export(dir: &Path, kinds: &KindRegistry, extra: &[(&str, Value)]) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Value)> = Vec::new();
    for kind in kinds.kind_names() {
        let defs: Vec<&KindDef> = kinds.defs.iter().filter(|d| d.kind == kind).collect();
        files.push((
            format!("{}.schema.json", kind.to_ascii_lowercase()),
            entity_schema(&defs, &format!("{kind} entity")),
        ));
    }
    let all: Vec<&KindDef> = kinds.defs.iter().collect();
    files.push((
        "entity.schema.json".to_string(),
        entity_schema(&all, "paved catalogue entity"),
    ));
    let mut problems = Vec::new();
    for (i, (name, schema)) in extra.iter().enumerate() {
        let stem = name.strip_suffix(".schema.json").unwrap_or(name);
        let file = format!("{stem}.schema.json");
        if !valid_stem(stem) {
            problems.push(Diagnostic::error(
                push_index("extra", i),
                format!(
                    "{} is not a usable schema name: expected letters, digits, '-', '_' or '.'",
                    Value::String(name.to_string())
                ),
            ));
        } else if files.iter().any(|(f, _)| f.eq_ignore_ascii_case(&file)) {
            problems.push(Diagnostic::error(
                push_index("extra", i),
                format!("schema name '{name}' collides with another exported schema ({file})"),
            ));
        } else {
            files.push((file, schema.clone()));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid {
            diagnostics: problems,
        });
    }
    let io = |path: &Path, source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut written = Vec::with_capacity(files.len());
    for (file, schema) in files {
        let path = dir.join(file);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity_with(kind: &str, api_version: &str, spec: Value) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": spec})
    }

    #[test]
    fn builtin_has_every_kind_at_backstage_versions() {
        let r = KindRegistry::builtin();
        assert_eq!(
            r.kind_names(),
            [
                "API",
                "Component",
                "Domain",
                "Group",
                "Location",
                "Policy",
                "Resource",
                "System",
                "Template",
                "User"
            ]
        );
        assert!(matches!(
            r.lookup("Policy", "paved.dev/v1alpha1"),
            KindLookup::Found(_)
        ));
        assert!(matches!(
            r.lookup("Component", "backstage.io/v1beta1"),
            KindLookup::Found(_)
        ));
        assert!(matches!(
            r.lookup("Template", "scaffolder.backstage.io/v1beta3"),
            KindLookup::Found(_)
        ));
        match r.lookup("Template", "backstage.io/v1alpha1") {
            KindLookup::UnsupportedVersion { supported, .. } => {
                assert_eq!(supported, ["scaffolder.backstage.io/v1beta3"])
            }
            other => panic!("{other:?}"),
        }
        match r.lookup("component", "backstage.io/v1alpha1") {
            KindLookup::Unknown { suggestion } => assert_eq!(suggestion, Some("Component")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spec_problems_are_all_reported_with_paths_and_expectations() {
        let r = KindRegistry::builtin();
        let KindLookup::Found(def) = r.lookup("Component", "backstage.io/v1alpha1") else {
            panic!()
        };
        let spec =
            json!({"type": "", "owner": 5, "dependsOn": ["component:a", ""], "system": null});
        let mut out = Vec::new();
        def.check_spec(&spec, &mut out);
        let got: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert!(
            got.contains(
                &"spec.lifecycle: missing required field: expected a non-empty string".to_string()
            ),
            "{got:#?}"
        );
        assert!(
            got.contains(&"spec.type: expected a non-empty string, found an empty one".to_string()),
            "{got:#?}"
        );
        assert!(
            got.contains(
                &"spec.owner: expected a non-empty string, found the number 5".to_string()
            ),
            "{got:#?}"
        );
        assert!(
            got.contains(
                &"spec.dependsOn[1]: expected a non-empty string, found an empty one".to_string()
            ),
            "{got:#?}"
        );
        assert!(
            got.contains(&"spec.system: expected a non-empty string, found null".to_string()),
            "{got:#?}"
        );
        assert_eq!(out.len(), 5, "{got:#?}");
    }

    #[test]
    fn template_messages_describe_alternatives() {
        let r = KindRegistry::builtin();
        let KindLookup::Found(def) = r.lookup("Template", "scaffolder.backstage.io/v1beta3") else {
            panic!()
        };
        let spec = json!({"type": "service", "parameters": "oops",
                          "steps": [{"action": "a", "if": 3}, {"name": "no action"}],
                          "output": {"x": 1}});
        let mut out = Vec::new();
        def.check_spec(&spec, &mut out);
        let got: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert!(got.iter().any(|m| m.starts_with("spec.parameters: expected a list of mappings or a mapping")), "{got:#?}");
        assert!(
            got.contains(
                &"spec.steps[0].if: expected a boolean or a string, found the number 3".to_string()
            ),
            "{got:#?}"
        );
        assert!(
            got.contains(
                &"spec.steps[1].action: missing required field: expected a string".to_string()
            ),
            "{got:#?}"
        );
        assert!(
            got.contains(&"spec.output.x: expected a string, found the number 1".to_string()),
            "{got:#?}"
        );
    }

    #[test]
    fn register_custom_kind_and_reject_bad_input() {
        let mut r = KindRegistry::builtin();
        r.register(
            "Service",
            &["acme.com/v1"],
            json!({"type": "object", "required": ["tier"],
                   "properties": {"tier": {"enum": ["gold", "silver"]}}}),
        )
        .unwrap();
        let KindLookup::Found(def) = r.lookup("Service", "acme.com/v1") else {
            panic!()
        };
        let mut out = Vec::new();
        def.check_spec(&json!({"tier": "bronze"}), &mut out);
        assert_eq!(
            out[0].to_string(),
            r#"spec.tier: expected one of "gold", "silver", found "bronze""#
        );

        let again = r
            .register("Service", &["acme.com/v1"], json!({}))
            .unwrap_err();
        assert!(again.to_string().contains("already registered"), "{again}");
        let bad_kind = r
            .register("my kind", &["acme.com/v1"], json!({}))
            .unwrap_err();
        assert!(
            bad_kind.to_string().contains("not a valid kind"),
            "{bad_kind}"
        );
        let bad_version = r
            .register("Thing", &["acme.com/v1/x"], json!({}))
            .unwrap_err();
        assert!(
            bad_version.to_string().contains("apiVersion[0]"),
            "{bad_version}"
        );
        let bad_schema = r
            .register(
                "Thing",
                &["acme.com/v1"],
                json!({"properties": {"a": {"type": "strin"}}}),
            )
            .unwrap_err();
        let text = bad_schema.to_string();
        assert!(text.contains("schema.properties.a.type"), "{text}");
        assert!(text.contains("not valid"), "{text}");
        let not_schema = r
            .register("Thing", &["acme.com/v1"], json!("x"))
            .unwrap_err();
        assert!(
            not_schema.to_string().contains("must be a JSON Schema"),
            "{not_schema}"
        );
        // Nothing from the failed attempts was added.
        assert_eq!(r.kind_names().len(), 11);
    }

    fn validator(schema: &Value) -> jsonschema::Validator {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(schema)
            .unwrap()
    }

    #[test]
    fn exported_files_select_the_kind_schema() {
        let mut r = KindRegistry::builtin();
        r.register(
            "Service",
            &["acme.com/v1"],
            json!({"type": "object", "required": ["tier"],
                   "properties": {"tier": {"$ref": "#/$defs/tier"}},
                   "$defs": {"tier": {"enum": ["gold"]}}}),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("schemas");
        let config = json!({"type": "object", "properties": {"store": {"type": "string"}}});
        let written = export(&out, &r, &[("paved-config", config.clone())]).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"component.schema.json".to_string()));
        assert!(names.contains(&"template.schema.json".to_string()));
        assert!(names.contains(&"service.schema.json".to_string()));
        assert!(names.contains(&"entity.schema.json".to_string()));
        assert_eq!(names.last().unwrap(), "paved-config.schema.json");
        let read = |n: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(out.join(n)).unwrap()).unwrap()
        };
        assert_eq!(read("paved-config.schema.json"), config);

        let entity = validator(&read("entity.schema.json"));
        let good = entity_with(
            "Component",
            "backstage.io/v1alpha1",
            json!({"type": "service", "lifecycle": "production", "owner": "team-a"}),
        );
        assert!(entity.is_valid(&good));
        let missing_owner = entity_with(
            "Component",
            "backstage.io/v1alpha1",
            json!({"type": "service", "lifecycle": "production"}),
        );
        assert!(!entity.is_valid(&missing_owner));
        assert!(!entity.is_valid(&entity_with(
            "Component",
            "backstage.io/v2",
            json!({"type": "service", "lifecycle": "production", "owner": "a"})
        )));
        assert!(!entity.is_valid(&entity_with("Widget", "acme.com/v1", json!({}))));
        assert!(entity.is_valid(&entity_with(
            "Service",
            "acme.com/v1",
            json!({"tier": "gold"})
        )));
        assert!(!entity.is_valid(&entity_with(
            "Service",
            "acme.com/v1",
            json!({"tier": "silver"})
        )));
        let mut bad_name = good.clone();
        bad_name["metadata"]["name"] = json!("Orders Service");
        assert!(!entity.is_valid(&bad_name));
        let mut extra_root = good.clone();
        extra_root["status"] = json!({});
        assert!(!entity.is_valid(&extra_root));

        let component = validator(&read("component.schema.json"));
        assert!(component.is_valid(&good));
        assert!(!component.is_valid(&entity_with(
            "Service",
            "acme.com/v1",
            json!({"tier": "gold"})
        )));
    }

    #[test]
    fn export_checks_names_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("schemas");
        let err = export(&out, &KindRegistry::builtin(), &[("../evil", json!({}))]).unwrap_err();
        assert!(
            err.to_string().contains("not a usable schema name"),
            "{err}"
        );
        let err = export(&out, &KindRegistry::builtin(), &[("entity", json!({}))]).unwrap_err();
        assert!(err.to_string().contains("collides"), "{err}");
        assert!(!out.exists(), "nothing may be written on error");
    }
}
