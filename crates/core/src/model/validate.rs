//! Backstage's validation rules for one raw entity.
//!
//! [`validate_entity`] takes the JSON of one document (from YAML, a binding's
//! dict or an API call) and either returns the typed [`Entity`] or every
//! problem found, each a [`Diagnostic`] with paved's JSON path
//! (`metadata.labels.team`, `spec.dependsOn[2]`,
//! `metadata.annotations["backstage.io/techdocs-ref"]`) and a message saying
//! what was expected. File, line and document are added by the caller, which
//! knows them.
//!
//! The checks are those Backstage's catalogue applies when it reads a file
//! (`@backstage/catalog-model` 1.10, catalog-backend 4.0), in its order:
//! 1. the envelope: a mapping with only `apiVersion`, `kind`, `metadata` and
//!    `spec` (`NoForeignRootFieldsEntityPolicy`);
//! 2. the formats of `FieldFormatEntityPolicy` and the types of
//!    `EntityMeta.schema.json`: apiVersion, kind, name, namespace, title,
//!    description, label and annotation keys and values, tags, links;
//! 3. `spec` against the kind's JSON Schema ([`KindRegistry`]; kinds and
//!    apiVersions are matched case-sensitively, as Backstage does);
//! 4. the entity refs in relation fields, via [`relations::derive`].
//!
//! The rule functions (`is_valid_*`) are public so that other parts of paved
//! (registration of custom kinds, the CLI) apply the very same rules.
//! Uniqueness of kind+namespace+name is checked where many entities meet (ingest
//! and the stores), not here.

use paved_yaml::{push_index, push_key};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::entity::Entity;
use super::relations::{self, json_type};
use super::schema::{KindLookup, KindRegistry};
use crate::diagnostic::Diagnostic;

/// The only fields allowed at the root of an entity.
const ROOT_FIELDS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

const NAME_RULE: &str =
    "expected 1-63 characters of [a-zA-Z0-9-_.], starting and ending with a letter or digit";
const NAMESPACE_RULE: &str =
    "expected 1-63 characters of [a-z0-9], with '-' only between them, such as default or team-a";
const KEY_RULE: &str = "expected an optional DNS-subdomain prefix and '/' (such as backstage.io/), then 1-63 characters of [a-zA-Z0-9-_.] starting and ending with a letter or digit";
const TAG_RULE: &str =
    "expected 1-63 characters of [a-z0-9:+#], words joined by single '-', such as java or grpc-api";

/// Validate one raw entity; diagnostics carry JSON paths, no file locations.
pub fn validate_entity(value: &Value, kinds: &KindRegistry) -> Result<Entity, Vec<Diagnostic>> {
    let Some(root) = value.as_object() else {
        return Err(vec![Diagnostic::error(
            "",
            format!(
                "expected an entity (a mapping with apiVersion, kind, metadata and spec), found {}",
                json_type(value)
            ),
        )]);
    };
    let mut errors = Vec::new();
    for key in root.keys() {
        if !ROOT_FIELDS.contains(&key.as_str()) {
            errors.push(Diagnostic::error(
                push_key("", key),
                "unknown field at the root of the entity: expected only apiVersion, kind, metadata and spec",
            ));
        }
    }
    let api_version = check_api_version(root.get("apiVersion"), &mut errors);
    let kind = check_kind(root.get("kind"), &mut errors);
    let annotations_falsy = check_metadata(root.get("metadata"), &mut errors);
    let spec = root.get("spec");
    if let Some(other) = spec.filter(|s| !s.is_object()) {
        errors.push(Diagnostic::error(
            "spec",
            format!("expected a mapping, found {}", json_type(other)),
        ));
    }
    if let Some(kind) = kind {
        check_spec(kind, api_version, spec, kinds, &mut errors);
    }

    // Backstage's catalogue treats `annotations:` with nothing under it (or
    // any other falsy value) as no annotations; read it the same way.
    let owned;
    let value = if annotations_falsy {
        let mut copy = value.clone();
        if let Some(Value::Object(md)) = copy.get_mut("metadata") {
            md.remove("annotations");
        }
        owned = copy;
        &owned
    } else {
        value
    };
    match Entity::deserialize(value) {
        Ok(entity) => {
            let (_, problems) = relations::derive(&entity);
            for p in problems {
                if !errors.iter().any(|e| covers(&e.path, &p.path)) {
                    errors.push(p);
                }
            }
            if errors.is_empty() {
                return Ok(entity);
            }
        }
        Err(e) => {
            if errors.is_empty() {
                errors.push(Diagnostic::error(
                    "",
                    format!("cannot read the entity: {e}"),
                ));
            }
        }
    }
    Err(errors)
}

/// Whether a problem reported at `reported` already covers one at `path`.
fn covers(reported: &str, path: &str) -> bool {
    path == reported
        || (path.starts_with(reported)
            && matches!(path.as_bytes().get(reported.len()), Some(b'.' | b'[')))
}

fn check_spec(
    kind: &str,
    api_version: Option<&str>,
    spec: Option<&Value>,
    kinds: &KindRegistry,
    errors: &mut Vec<Diagnostic>,
) {
    let def = match kinds.lookup(kind, api_version.unwrap_or_default()) {
        KindLookup::Found(def) => def,
        KindLookup::UnsupportedVersion { supported, nearest } => {
            if let Some(v) = api_version {
                errors.push(Diagnostic::error(
                    "apiVersion",
                    format!(
                        "apiVersion '{v}' is not supported for kind {kind}: expected {}",
                        one_of(&supported)
                    ),
                ));
            }
            // Check the spec too, so that one run shows every problem.
            nearest
        }
        KindLookup::Unknown { suggestion } => {
            let mut message = format!(
                "unknown kind '{kind}' (apiVersion {}): known kinds are {}; register a JSON Schema for custom kinds",
                api_version.unwrap_or("missing"),
                kinds.kind_names().join(", ")
            );
            if let Some(s) = suggestion {
                message.push_str(&format!("; did you mean '{s}'? (kinds are case-sensitive)"));
            }
            errors.push(Diagnostic::error("kind", message));
            return;
        }
    };
    match spec {
        Some(spec @ Value::Object(_)) => def.check_spec(spec, errors),
        Some(_) => {} // reported as "expected a mapping"
        None => {
            let required = def.required_fields();
            let needs = if required.is_empty() {
                String::new()
            } else {
                format!(" with {}", required.join(", "))
            };
            errors.push(Diagnostic::error(
                "spec",
                format!("missing required field: kind {kind} needs a spec mapping{needs}"),
            ));
        }
    }
}

fn one_of(options: &[&str]) -> String {
    match options {
        [one] => one.to_string(),
        many => format!("one of {}", many.join(", ")),
    }
}

/// A string value for messages, quoted as JSON.
fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// The value at `key` must be a string; returns it, or records why not.
fn require_str<'a>(
    value: Option<&'a Value>,
    path: &str,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<&'a str> {
    match value {
        None => {
            errors.push(Diagnostic::error(
                path,
                format!("missing required field: expected {what}"),
            ));
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            errors.push(type_error(path, "a string", other));
            None
        }
    }
}

fn type_error(path: &str, expected: &str, found: &Value) -> Diagnostic {
    let hint = match found {
        Value::Number(_) | Value::Bool(_) => format!(" (write it in quotes: \"{found}\")"),
        _ => String::new(),
    };
    let found = match found {
        Value::String(s) if s.is_empty() => "an empty string",
        other => json_type(other),
    };
    Diagnostic::error(path, format!("expected {expected}, found {found}{hint}"))
}

fn check_api_version<'a>(
    value: Option<&'a Value>,
    errors: &mut Vec<Diagnostic>,
) -> Option<&'a str> {
    let v = require_str(
        value,
        "apiVersion",
        "the entity's apiVersion, such as backstage.io/v1alpha1",
        errors,
    )?;
    if is_valid_api_version(v) {
        Some(v)
    } else {
        errors.push(Diagnostic::error(
            "apiVersion",
            format!(
                "{} is not a valid apiVersion: expected [DNS subdomain/]version, such as backstage.io/v1alpha1",
                quoted(v)
            ),
        ));
        None
    }
}

fn check_kind<'a>(value: Option<&'a Value>, errors: &mut Vec<Diagnostic>) -> Option<&'a str> {
    let v = require_str(
        value,
        "kind",
        "the entity's kind, such as Component",
        errors,
    )?;
    if is_valid_kind(v) {
        Some(v)
    } else {
        errors.push(Diagnostic::error(
            "kind",
            format!(
                "{} is not a valid kind: expected 1-63 letters and digits starting with a letter, such as Component",
                quoted(v)
            ),
        ));
        None
    }
}

/// Check `metadata`; returns whether `annotations` is present but falsy
/// (null, false, 0 or ""), which Backstage reads as no annotations.
fn check_metadata(value: Option<&Value>, errors: &mut Vec<Diagnostic>) -> bool {
    let md = match value {
        Some(Value::Object(md)) => md,
        Some(other) => {
            errors.push(Diagnostic::error(
                "metadata",
                format!(
                    "expected a mapping with at least a name, found {}",
                    json_type(other)
                ),
            ));
            return false;
        }
        None => {
            errors.push(Diagnostic::error(
                "metadata",
                "missing required field: expected a mapping with at least a name",
            ));
            return false;
        }
    };
    if let Some(name) = require_str(
        md.get("name"),
        "metadata.name",
        "the entity's name, 1-63 characters of [a-zA-Z0-9-_.], starting and ending with a letter or digit",
        errors,
    ) && let Some(reason) = object_name_problem(name)
    {
        errors.push(Diagnostic::error(
            "metadata.name",
            format!(
                "{} is not a valid name: {NAME_RULE} ({reason})",
                quoted(name)
            ),
        ));
    }
    match md.get("namespace") {
        None => {}
        Some(Value::String(ns)) => {
            if let Some(reason) = dns_label_problem(ns) {
                errors.push(Diagnostic::error(
                    "metadata.namespace",
                    format!(
                        "{} is not a valid namespace: {NAMESPACE_RULE} ({reason})",
                        quoted(ns)
                    ),
                ));
            }
        }
        Some(other) => errors.push(type_error("metadata.namespace", "a string", other)),
    }
    match md.get("title") {
        None => {}
        Some(Value::String(t)) if t.is_empty() => errors.push(Diagnostic::error(
            "metadata.title",
            "expected a non-empty string, found an empty one (leave the field out instead)",
        )),
        Some(Value::String(_)) => {}
        Some(other) => errors.push(type_error("metadata.title", "a non-empty string", other)),
    }
    if let Some(d) = md.get("description").filter(|d| !d.is_string()) {
        errors.push(type_error("metadata.description", "a string", d));
    }
    for field in ["uid", "etag"] {
        match md.get(field) {
            None => {}
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(other) => errors.push(type_error(
                &format!("metadata.{field}"),
                "a non-empty string",
                other,
            )),
        }
    }
    check_labels(md.get("labels"), errors);
    let annotations_falsy = is_falsy(md.get("annotations"));
    if !annotations_falsy {
        check_annotations(md.get("annotations"), errors);
    }
    check_tags(md.get("tags"), errors);
    check_links(md.get("links"), errors);
    annotations_falsy
}

/// JavaScript's falsiness, for the one place Backstage relies on it.
fn is_falsy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn mapping<'a>(
    value: Option<&'a Value>,
    path: &str,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<&'a Map<String, Value>> {
    match value? {
        Value::Object(map) => Some(map),
        other => {
            errors.push(Diagnostic::error(
                path,
                format!("expected a mapping of {what}, found {}", json_type(other)),
            ));
            None
        }
    }
}

fn check_labels(value: Option<&Value>, errors: &mut Vec<Diagnostic>) {
    let Some(labels) = mapping(value, "metadata.labels", "label keys to values", errors) else {
        return;
    };
    for (key, v) in labels {
        let path = || push_key("metadata.labels", key);
        if let Some(reason) = key_problem(key) {
            errors.push(Diagnostic::error(
                path(),
                format!(
                    "{} is not a valid label key: {KEY_RULE} ({reason})",
                    quoted(key)
                ),
            ));
        }
        match v {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => {
                if let Some(reason) = object_name_problem(s) {
                    errors.push(Diagnostic::error(
                        path(),
                        format!(
                            "{} is not a valid label value: expected an empty string or 1-63 characters of [a-zA-Z0-9-_.] starting and ending with a letter or digit ({reason}); use an annotation for free text",
                            quoted(s)
                        ),
                    ));
                }
            }
            other => errors.push(type_error(&path(), "a string", other)),
        }
    }
}

fn check_annotations(value: Option<&Value>, errors: &mut Vec<Diagnostic>) {
    let Some(annotations) = mapping(
        value,
        "metadata.annotations",
        "annotation keys to values",
        errors,
    ) else {
        return;
    };
    for (key, v) in annotations {
        let path = || push_key("metadata.annotations", key);
        if let Some(reason) = key_problem(key) {
            errors.push(Diagnostic::error(
                path(),
                format!(
                    "{} is not a valid annotation key: {KEY_RULE} ({reason})",
                    quoted(key)
                ),
            ));
        }
        if !v.is_string() {
            errors.push(type_error(&path(), "a string", v));
        }
    }
}

fn check_tags(value: Option<&Value>, errors: &mut Vec<Diagnostic>) {
    let tags = match value {
        None => return,
        Some(Value::Array(tags)) => tags,
        Some(other) => {
            errors.push(Diagnostic::error(
                "metadata.tags",
                format!("expected a list of tags, found {}", json_type(other)),
            ));
            return;
        }
    };
    for (i, tag) in tags.iter().enumerate() {
        let path = || push_index("metadata.tags", i);
        match tag {
            Value::String(s) => {
                if let Some(reason) = tag_problem(s) {
                    errors.push(Diagnostic::error(
                        path(),
                        format!("{} is not a valid tag: {TAG_RULE} ({reason})", quoted(s)),
                    ));
                }
            }
            other => errors.push(type_error(&path(), "a string", other)),
        }
    }
}

fn check_links(value: Option<&Value>, errors: &mut Vec<Diagnostic>) {
    let links = match value {
        None => return,
        Some(Value::Array(links)) => links,
        Some(other) => {
            errors.push(Diagnostic::error(
                "metadata.links",
                format!("expected a list of links, found {}", json_type(other)),
            ));
            return;
        }
    };
    for (i, link) in links.iter().enumerate() {
        let base = push_index("metadata.links", i);
        let Value::Object(link) = link else {
            errors.push(Diagnostic::error(
                &base,
                format!(
                    "expected a mapping with url and optional title, icon and type, found {}",
                    json_type(link)
                ),
            ));
            continue;
        };
        let url_path = push_key(&base, "url");
        if let Some(url) = require_str(
            link.get("url"),
            &url_path,
            "the link's URL, such as https://grafana.example.com/d/orders",
            errors,
        ) && !is_valid_url(url)
        {
            errors.push(Diagnostic::error(
                &url_path,
                format!(
                    "{} is not a valid URL: expected an absolute URL with a scheme, such as https://grafana.example.com/d/orders",
                    quoted(url)
                ),
            ));
        }
        for field in ["title", "icon"] {
            match link.get(field) {
                None => {}
                Some(Value::String(s)) if is_non_blank(s) => {}
                Some(Value::String(_)) => errors.push(Diagnostic::error(
                    push_key(&base, field),
                    "expected a non-empty string, found a blank one (leave the field out instead)",
                )),
                Some(other) => errors.push(type_error(
                    &push_key(&base, field),
                    "a non-empty string",
                    other,
                )),
            }
        }
        match link.get("type") {
            None => {}
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(other) => errors.push(type_error(
                &push_key(&base, "type"),
                "a non-empty string",
                other,
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// The rules, as in @backstage/catalog-model's KubernetesValidatorFunctions,
// CommonValidatorFunctions and makeValidator. Each `*_problem` says why a
// value fails (for messages), `None` when it passes.
// ---------------------------------------------------------------------------

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' => "a line break".to_string(),
        c => format!("'{}'", c.escape_debug()),
    }
}

fn length_problem(s: &str, max: usize) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".to_string());
    }
    // JavaScript's `length` counts UTF-16 code units.
    let len = s.encode_utf16().count();
    (len > max).then(|| format!("it is {len} characters long"))
}

/// Why `s` is not a Kubernetes-style object name (entity name, label value,
/// the name part of a label or annotation key).
pub fn object_name_problem(s: &str) -> Option<String> {
    if let Some(p) = length_problem(s, 63) {
        return Some(p);
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!("it contains {}", describe_char(c)));
    }
    let first = s.chars().next().unwrap_or('a');
    if !first.is_ascii_alphanumeric() {
        return Some(format!("it starts with '{first}'"));
    }
    let last = s.chars().last().unwrap_or('a');
    if !last.is_ascii_alphanumeric() {
        return Some(format!("it ends with '{last}'"));
    }
    None
}

/// Entity names: `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`, 1-63 characters.
pub fn is_valid_object_name(s: &str) -> bool {
    object_name_problem(s).is_none()
}

/// Why `s` is not a DNS label (RFC 1123 as Backstage checks it: `^[a-z0-9]+(?:\-+[a-z0-9]+)*$`).
pub fn dns_label_problem(s: &str) -> Option<String> {
    if let Some(p) = length_problem(s, 63) {
        return Some(p);
    }
    if let Some(c) = s.chars().find(|c| c.is_ascii_uppercase()) {
        return Some(format!("it contains the upper-case letter '{c}'"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!("it contains {}", describe_char(c)));
    }
    if s.starts_with('-') {
        return Some("it starts with '-'".to_string());
    }
    if s.ends_with('-') {
        return Some("it ends with '-'".to_string());
    }
    None
}

/// Namespaces are DNS labels.
pub fn is_valid_namespace(s: &str) -> bool {
    dns_label_problem(s).is_none()
}

/// Why `s` is not a DNS subdomain: 1-253 characters, DNS labels joined by '.'.
pub fn dns_subdomain_problem(s: &str) -> Option<String> {
    if let Some(p) = length_problem(s, 253) {
        return Some(p);
    }
    for label in s.split('.') {
        if label.is_empty() {
            return Some("it has an empty part between dots".to_string());
        }
        if let Some(p) = dns_label_problem(label) {
            return Some(format!("its part '{label}': {p}"));
        }
    }
    None
}

/// Label and annotation keys: `[prefix/]name`, the prefix a DNS subdomain.
pub fn key_problem(s: &str) -> Option<String> {
    let mut parts = s.split('/');
    let first = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => object_name_problem(first),
        (Some(name), None) => {
            if let Some(p) = dns_subdomain_problem(first) {
                return Some(format!("the prefix {}: {p}", quoted(first)));
            }
            object_name_problem(name).map(|p| format!("the name after '/': {p}"))
        }
        (Some(_), Some(_)) => Some("it has more than one '/'".to_string()),
    }
}

/// Label keys.
pub fn is_valid_label_key(s: &str) -> bool {
    key_problem(s).is_none()
}

/// Label values: empty, or an object name.
pub fn is_valid_label_value(s: &str) -> bool {
    s.is_empty() || is_valid_object_name(s)
}

/// Annotation keys (the same rule as label keys).
pub fn is_valid_annotation_key(s: &str) -> bool {
    key_problem(s).is_none()
}

/// Why `s` is not a tag: `^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$`, 1-63 characters.
pub fn tag_problem(s: &str) -> Option<String> {
    if let Some(p) = length_problem(s, 63) {
        return Some(p);
    }
    let word =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '+' | '#');
    if let Some(c) = s.chars().find(|c| c.is_ascii_uppercase()) {
        return Some(format!("it contains the upper-case letter '{c}'"));
    }
    if let Some(c) = s.chars().find(|c| !(word(*c) || *c == '-')) {
        return Some(format!("it contains {}", describe_char(c)));
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Some("'-' must be between words, one at a time".to_string());
    }
    None
}

/// Tags.
pub fn is_valid_tag(s: &str) -> bool {
    tag_problem(s).is_none()
}

/// apiVersion: `[DNS subdomain/]version`, the version 1-63 of [a-zA-Z0-9].
pub fn is_valid_api_version(s: &str) -> bool {
    let version_ok =
        |v: &str| (1..=63).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric());
    let mut parts = s.split('/');
    let first = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => version_ok(first),
        (Some(version), None) => dns_subdomain_problem(first).is_none() && version_ok(version),
        _ => false,
    }
}

/// kind: `^[a-zA-Z][a-z0-9A-Z]*$`, 1-63 characters.
pub fn is_valid_kind(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A URL as JavaScript's `new URL(s)` (WHATWG) accepts it.
pub fn is_valid_url(s: &str) -> bool {
    url::Url::parse(s).is_ok()
}

/// Whether `s` has anything besides whitespace, with JavaScript's
/// `String.prototype.trim` notion of whitespace.
pub fn is_non_blank(s: &str) -> bool {
    s.chars().any(|c| {
        !matches!(
            c,
            '\u{9}'..='\u{d}'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn component() -> Value {
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "orders"},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
        })
    }

    fn problems(v: &Value) -> Vec<String> {
        match validate_entity(v, &KindRegistry::builtin()) {
            Ok(_) => Vec::new(),
            Err(d) => d.iter().map(ToString::to_string).collect(),
        }
    }

    fn with(path: &[&str], value: Value) -> Value {
        let mut e = component();
        let mut cur = &mut e;
        for p in &path[..path.len() - 1] {
            cur = cur.get_mut(*p).unwrap();
        }
        cur[path[path.len() - 1]] = value;
        e
    }

    #[test]
    fn a_valid_entity_comes_back_typed() {
        let e = validate_entity(&component(), &KindRegistry::builtin()).unwrap();
        assert_eq!(e.entity_ref().to_string(), "component:default/orders");
        assert_eq!(e.spec_str("owner"), Some("team-a"));
    }

    #[test]
    fn names() {
        for ok in [
            "a",
            "A1",
            "orders-service",
            "a.b_c-d",
            "a--b",
            "a..b",
            &"x".repeat(63),
        ] {
            assert!(is_valid_object_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "_a", "a.", "a b", "ä", &"x".repeat(64)] {
            assert!(!is_valid_object_name(bad), "{bad}");
        }
        let got = problems(&with(&["metadata", "name"], json!("Orders Service")));
        assert_eq!(
            got,
            [
                r#"metadata.name: "Orders Service" is not a valid name: expected 1-63 characters of [a-zA-Z0-9-_.], starting and ending with a letter or digit (it contains a space)"#
            ]
        );
        let got = problems(&with(&["metadata", "name"], json!(42)));
        assert_eq!(
            got,
            [r#"metadata.name: expected a string, found a number (write it in quotes: "42")"#]
        );
        let mut e = component();
        e["metadata"].as_object_mut().unwrap().remove("name");
        assert!(problems(&e)[0].starts_with("metadata.name: missing required field"));
    }

    #[test]
    fn namespaces() {
        for ok in ["default", "team-a", "a--b", "0"] {
            assert!(is_valid_namespace(ok), "{ok}");
        }
        for bad in ["", "Team", "team_a", "-a", "a-", "a.b", &"n".repeat(64)] {
            assert!(!is_valid_namespace(bad), "{bad}");
        }
        let got = problems(&with(&["metadata", "namespace"], json!("Payments")));
        assert!(
            got[0].starts_with(r#"metadata.namespace: "Payments" is not a valid namespace"#),
            "{got:?}"
        );
        assert!(got[0].contains("upper-case letter 'P'"), "{got:?}");
        assert_eq!(
            problems(&with(&["metadata", "namespace"], json!(null))).len(),
            1
        );
    }

    #[test]
    fn label_keys_and_values() {
        for ok in ["team", "backstage.io/team", "a.b-c.d/x_y", "a/b"] {
            assert!(is_valid_label_key(ok), "{ok}");
        }
        for bad in [
            "",
            "a/b/c",
            "/a",
            "a/",
            "Backstage.io/a",
            "a..b/c",
            "a b",
            "-a.io/x",
        ] {
            assert!(!is_valid_label_key(bad), "{bad}");
        }
        assert!(is_valid_label_value(""));
        assert!(!is_valid_label_value("free text"));
        let e = with(
            &["metadata", "labels"],
            json!({"team": "Payments Team", "Example.com/x": "ok", "n": 1}),
        );
        let got = problems(&e);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0]
                .starts_with(r#"metadata.labels.team: "Payments Team" is not a valid label value"#),
            "{got:?}"
        );
        assert!(
            got[1].starts_with(
                r#"metadata.labels["Example.com/x"]: "Example.com/x" is not a valid label key"#
            ),
            "{got:?}"
        );
        assert!(got[1].contains("the prefix \"Example.com\""), "{got:?}");
        assert!(
            got[2].starts_with("metadata.labels.n: expected a string, found a number"),
            "{got:?}"
        );
        assert_eq!(
            problems(&with(&["metadata", "labels"], json!(null))).len(),
            1
        );
    }

    #[test]
    fn annotations() {
        let e = with(
            &["metadata", "annotations"],
            json!({"backstage.io/techdocs-ref": "dir:.", "example.com/port": 8080, "bad key": "x"}),
        );
        let got = problems(&e);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(
            got[0],
            r#"metadata.annotations["example.com/port"]: expected a string, found a number (write it in quotes: "8080")"#
        );
        assert!(got[1].starts_with(
            r#"metadata.annotations["bad key"]: "bad key" is not a valid annotation key"#
        ));
        // `annotations:` with nothing under it is read as no annotations, as in Backstage.
        assert!(problems(&with(&["metadata", "annotations"], json!(null))).is_empty());
        assert_eq!(
            problems(&with(&["metadata", "annotations"], json!([]))).len(),
            1
        );
    }

    #[test]
    fn tags() {
        for ok in ["java", "grpc-api", "c++", "c#", "k8s:prod", "a1"] {
            assert!(is_valid_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "Java",
            "a_b",
            "a--b",
            "-a",
            "a-",
            "a b",
            "a.b",
            &"t".repeat(64),
        ] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
        let got = problems(&with(
            &["metadata", "tags"],
            json!(["java", "Spring Boot", 3]),
        ));
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with(r#"metadata.tags[1]: "Spring Boot" is not a valid tag"#));
        assert!(got[1].starts_with("metadata.tags[2]: expected a string"));
    }

    #[test]
    fn links() {
        let e = with(
            &["metadata", "links"],
            json!([
                {"url": "https://grafana.example.com", "title": "Dashboard", "icon": "dashboard", "type": "dashboard"},
                {"title": "no url"},
                {"url": "not a url"},
                {"url": "https://x.example.com", "title": "  "},
                {"url": "https://x.example.com", "type": ""},
                "https://example.com"
            ]),
        );
        let got = problems(&e);
        assert_eq!(
            got,
            [
                "metadata.links[1].url: missing required field: expected the link's URL, such as https://grafana.example.com/d/orders",
                r#"metadata.links[2].url: "not a url" is not a valid URL: expected an absolute URL with a scheme, such as https://grafana.example.com/d/orders"#,
                "metadata.links[3].title: expected a non-empty string, found a blank one (leave the field out instead)",
                "metadata.links[4].type: expected a non-empty string, found an empty string",
                "metadata.links[5]: expected a mapping with url and optional title, icon and type, found a string",
            ]
        );
        assert!(is_valid_url("mailto:team@example.com"));
        assert!(is_valid_url("slack://channel?id=1"));
        assert!(!is_valid_url("/relative/path"));
        assert!(!is_valid_url("http://"));
        assert!(is_non_blank(" a "));
        assert!(!is_non_blank("\u{feff}\u{a0}\t"));
        // U+0085 is whitespace to Rust but not to JavaScript's trim.
        assert!(is_non_blank("\u{85}"));
    }

    #[test]
    fn title_and_description_types() {
        assert_eq!(problems(&with(&["metadata", "title"], json!(""))).len(), 1);
        assert!(problems(&with(&["metadata", "title"], json!(" "))).is_empty());
        assert_eq!(problems(&with(&["metadata", "title"], json!(1))).len(), 1);
        assert!(problems(&with(&["metadata", "description"], json!(""))).is_empty());
        assert_eq!(
            problems(&with(&["metadata", "description"], json!(["a"]))).len(),
            1
        );
    }

    #[test]
    fn api_versions_and_kinds() {
        for ok in ["backstage.io/v1alpha1", "v1", "my-company.net/V2", "a/b"] {
            assert!(is_valid_api_version(ok), "{ok}");
        }
        for bad in [
            "",
            "backstage.io/",
            "/v1",
            "a/b/c",
            "Backstage.io/v1",
            "backstage.io/v1-alpha",
            "v1 ",
        ] {
            assert!(!is_valid_api_version(bad), "{bad}");
        }
        for ok in ["Component", "API", "x", "Kind2"] {
            assert!(is_valid_kind(ok), "{ok}");
        }
        for bad in ["", "2Kind", "My-Kind", "My Kind", &"K".repeat(64)] {
            assert!(!is_valid_kind(bad), "{bad}");
        }
        let got = problems(&with(&["apiVersion"], json!("backstage.io/v2")));
        assert_eq!(
            got,
            [
                "apiVersion: apiVersion 'backstage.io/v2' is not supported for kind Component: expected one of backstage.io/v1alpha1, backstage.io/v1beta1"
            ]
        );
        let got = problems(&with(&["kind"], json!("Foo")));
        assert_eq!(
            got,
            [
                "kind: unknown kind 'Foo' (apiVersion backstage.io/v1alpha1): known kinds are API, Component, Domain, Group, Location, Policy, Resource, System, Template, User; register a JSON Schema for custom kinds"
            ]
        );
        let got = problems(&with(&["kind"], json!("component")));
        assert!(
            got[0].ends_with("did you mean 'Component'? (kinds are case-sensitive)"),
            "{got:?}"
        );
        assert!(problems(&with(&["kind"], json!("My Kind")))[0].contains("is not a valid kind"));
    }

    #[test]
    fn root_fields_and_shapes() {
        let mut e = component();
        e["relations"] = json!([]);
        e["status"] = json!({});
        let got = problems(&e);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with("relations: unknown field at the root"));
        assert_eq!(
            problems(&json!(["a"])),
            [
                "expected an entity (a mapping with apiVersion, kind, metadata and spec), found a list"
            ]
        );
        assert_eq!(
            problems(&with(&["spec"], json!("x"))),
            ["spec: expected a mapping, found a string"]
        );
        let mut e = component();
        e.as_object_mut().unwrap().remove("spec");
        assert_eq!(
            problems(&e),
            [
                "spec: missing required field: kind Component needs a spec mapping with type, lifecycle, owner"
            ]
        );
        let mut e = component();
        e.as_object_mut().unwrap().remove("metadata");
        assert_eq!(
            problems(&e),
            ["metadata: missing required field: expected a mapping with at least a name"]
        );
    }

    #[test]
    fn every_problem_is_collected() {
        let e = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "bad name", "labels": {"a b": "c"}, "tags": ["UP"]},
            "spec": {"type": "service", "owner": "team-a", "dependsOn": ["component:a", "no-kind"]},
            "extra": 1
        });
        let got = problems(&e);
        let paths: Vec<&str> = got.iter().map(|m| m.split(": ").next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "extra",
                "metadata.name",
                r#"metadata.labels["a b"]"#,
                "metadata.tags[0]",
                "spec.lifecycle",
                "spec.dependsOn[1]"
            ],
            "{got:#?}"
        );
    }

    #[test]
    fn refs_in_relation_fields_must_parse() {
        let got = problems(&with(&["spec", "owner"], json!("group:")));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("spec.owner: invalid entity ref 'group:'"),
            "{got:?}"
        );
        let got = problems(&with(
            &["spec", "providesApis"],
            json!(["orders-api", ":x"]),
        ));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("spec.providesApis[1]:"), "{got:?}");
        // A schema error on a field is not repeated by the ref check.
        let got = problems(&with(&["spec", "owner"], json!(7)));
        assert_eq!(
            got,
            ["spec.owner: expected a non-empty string, found the number 7"]
        );
    }

    #[test]
    fn custom_kinds_use_their_schema() {
        let mut kinds = KindRegistry::builtin();
        kinds
            .register(
                "Service",
                &["acme.com/v1"],
                json!({"type": "object", "required": ["tier"], "properties": {"tier": {"type": "string"}}}),
            )
            .unwrap();
        let e = json!({"apiVersion": "acme.com/v1", "kind": "Service",
                       "metadata": {"name": "s"}, "spec": {"tier": "gold", "owner": "team-a"}});
        let entity = validate_entity(&e, &kinds).unwrap();
        assert_eq!(entity.kind, "Service");
        let bad = json!({"apiVersion": "acme.com/v1", "kind": "Service",
                         "metadata": {"name": "s"}, "spec": {}});
        let err = validate_entity(&bad, &kinds).unwrap_err();
        assert_eq!(
            err[0].to_string(),
            "spec.tier: missing required field: expected a string"
        );
    }
}
