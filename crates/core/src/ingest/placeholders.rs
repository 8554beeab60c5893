//! Backstage placeholders: `{ $text: ./file }`, `{ $json: ./file }`, `{ $yaml: ./file }`.
//!
//! Backstage's catalogue (its `PlaceholderProcessor`) replaces a mapping whose
//! only key is `$text`, `$json` or `$yaml` by the content of the file it names:
//! the text, or the parsed JSON or YAML value. paved does the same for a
//! document read from a file, before the document is validated:
//!
//! ```text
//! document value ──(no key starting with `$` anywhere? done)──>
//!   walk mappings and lists (explicit stack, no recursion)
//!   -> a mapping with a `$` key:
//!        only key `$text`/`$json`/`$yaml` with a path  -> read the file, replace the mapping
//!        `$text`/`$json`/`$yaml` beside other keys     -> error
//!        `$text`/`$json`/`$yaml` with a non-string     -> error
//!        only key `$other` with a string               -> warning, left as it is
//!        anything else (JSON Schema `$ref`, …)         -> left as it is, not entered
//!   -> diagnostics at the placeholder's JSON path (the loader adds file and line)
//! ```
//!
//! Targets:
//! - an absolute `http://` or `https://` URL is read over the network
//!   (`super::remote`: only from hosts in `reading.allow`, size, time and
//!   redirects bounded);
//! - in a document read from a URL, any other target is relative to that URL
//!   (as Backstage resolves it), so it is read over the network too, never
//!   from the local disk;
//! - in a document read from a file, a file path relative to that file (or
//!   absolute).
//!
//! What differs from Backstage, on purpose:
//! - mistakes Backstage silently leaves in place (extra keys beside `$text`,
//!   a non-string target, an unknown `$name`) are reported;
//! - a file target must be a regular file (no directories, devices, FIFOs or
//!   sockets: its metadata is checked before it is opened), at most
//!   [`Limits::max_bytes`] long, UTF-8; `$json` and `$yaml` targets are parsed
//!   by [`paved_yaml::parse_documents`] under the same [`Limits`], and `$json`
//!   must also be strict JSON (Backstage uses `JSON.parse`); a URL target's
//!   body is held to the same byte limit (or `reading.maxBytes`).
//!
//! As in Backstage, loaded content is not searched for placeholders again, so
//! a file cannot pull in further files.

use std::io::Read;
use std::path::{Path, PathBuf};

use paved_yaml::{Limits, parse_documents, push_index, push_key};
use serde_json::Value;
use url::Url;

use super::files::tidy;
use super::loader::Base;
use super::remote::Remote;
use crate::diagnostic::Diagnostic;
use crate::model::relations::json_type;

/// The placeholders paved resolves.
const KNOWN: [&str; 3] = ["$text", "$json", "$yaml"];

/// `$` keywords of JSON Schema, which entities (e.g. Template parameters)
/// carry legitimately: never mistaken for placeholders.
const SCHEMA_KEYWORDS: [&str; 11] = [
    "$ref",
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
];

/// Replace the placeholders in `value` by the files (or URLs) they name.
///
/// `base` is where the document was read from: the directory of its file, or
/// its URL; `None` when there is neither (text or values given directly), in
/// which case only absolute URLs resolve. Diagnostics carry the
/// placeholder's JSON path and no location (the caller knows the file and
/// its positions).
pub(super) fn resolve(
    value: &mut Value,
    base: Option<Base<'_>>,
    limits: &Limits,
    remote: &Remote<'_>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !has_dollar_key(value) {
        return out;
    }
    let mut stack: Vec<(String, &mut Value)> = vec![(String::new(), value)];
    while let Some((path, node)) = stack.pop() {
        let found = match &*node {
            Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => classify(map),
            _ => Found::Nothing,
        };
        match found {
            Found::Nothing => {}
            Found::Resolve(key, target) => {
                match load(&key, &target, base, limits, remote) {
                    // Not entered again: loaded content keeps its `$` keys.
                    Ok(loaded) => *node = loaded,
                    Err(message) => out.push(Diagnostic::error(path, message)),
                }
                continue;
            }
            Found::Problem(message) => {
                out.push(Diagnostic::error(path, message));
                continue;
            }
            Found::Unknown(key) => {
                let message = format!(
                    "unknown placeholder `{key}`: paved resolves `$text`, `$json` and `$yaml` \
                     (file paths and URLs); this mapping is left as it is"
                );
                out.push(Diagnostic::warning(path, message));
                continue;
            }
            // As Backstage: a mapping with other `$` keys is left alone, not entered.
            Found::NotPlaceholder => continue,
        }
        match node {
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate().rev() {
                    if is_collection(item) {
                        stack.push((push_index(&path, i), item));
                    }
                }
            }
            Value::Object(map) => {
                let mut children: Vec<_> = map
                    .iter_mut()
                    .filter(|(_, v)| is_collection(v))
                    .map(|(k, v)| (push_key(&path, k), v))
                    .collect();
                children.reverse();
                stack.extend(children);
            }
            _ => {}
        }
    }
    out
}

/// What a mapping with at least one `$` key is.
enum Found {
    /// A known placeholder and its target path.
    Resolve(String, String),
    /// A known placeholder written wrongly.
    Problem(String),
    /// The only key is an unknown `$name` with a string value.
    Unknown(String),
    /// Something else (JSON Schema, data with `$` keys): left alone.
    NotPlaceholder,
    /// Not a mapping with a `$` key.
    Nothing,
}

fn classify(map: &serde_json::Map<String, Value>) -> Found {
    let Some(key) = map.keys().find(|k| KNOWN.contains(&k.as_str())) else {
        if map.len() == 1
            && let Some((key, Value::String(_))) = map.iter().next()
            && !SCHEMA_KEYWORDS.contains(&key.as_str())
        {
            return Found::Unknown(key.clone());
        }
        return Found::NotPlaceholder;
    };
    if map.len() > 1 {
        let others: Vec<String> = map
            .keys()
            .filter(|k| *k != key)
            .map(|k| format!("`{k}`"))
            .collect();
        return Found::Problem(format!(
            "a `{key}` placeholder must be the only key of its mapping, but it also has {}; \
             move the other keys out of this mapping",
            others.join(", ")
        ));
    }
    match &map[key] {
        Value::String(target) if !target.trim().is_empty() => {
            Found::Resolve(key.clone(), target.clone())
        }
        Value::String(_) => Found::Problem(format!(
            "`{key}` expects a file path relative to this file, found an empty string"
        )),
        other => Found::Problem(format!(
            "`{key}` expects a file path relative to this file, found {}",
            json_type(other)
        )),
    }
}

fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

/// Whether any mapping in `value` has a key starting with `$` (no allocation).
fn has_dollar_key(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| k.starts_with('$')) {
                    return true;
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// Where a placeholder's content is.
enum Target {
    File(PathBuf),
    Url(Url),
}

/// Where `target` is, seen from a document read from `base`.
fn locate_target(key: &str, target: &str, base: Option<Base<'_>>) -> Result<Target, String> {
    if target.contains("://") {
        return Url::parse(target)
            .map(Target::Url)
            .map_err(|e| format!("`{key}` target '{target}' is not a valid URL: {e}"));
    }
    match base {
        Some(Base::Url(url)) => url
            .join(target)
            .map(Target::Url)
            .map_err(|e| format!("`{key}` target '{target}' does not resolve against {url}: {e}")),
        Some(Base::Dir(dir)) => Ok(Target::File(tidy(&dir.join(target)))),
        None => Err(format!(
            "`{key}` '{target}': placeholders need a file to resolve relative paths; \
             load the catalogue file itself instead of its text or values"
        )),
    }
}

/// The value a placeholder stands for, or what is wrong with it.
fn load(
    key: &str,
    target: &str,
    base: Option<Base<'_>>,
    limits: &Limits,
    remote: &Remote<'_>,
) -> Result<Value, String> {
    let (shown, text) = match locate_target(key, target, base)? {
        Target::File(full) => (full.display().to_string(), read_text(&full, limits)),
        Target::Url(url) => (
            url.to_string(),
            remote.read_text(&url).map_err(|e| e.message),
        ),
    };
    let value = match key {
        "$text" => text.map(Value::String),
        "$json" => text.and_then(|text| {
            parse_json(&text)?;
            parse_yaml(&text, limits)
        }),
        _ => text.and_then(|text| parse_yaml(&text, limits)),
    };
    value.map_err(|e| format!("`{key}` target {shown}: {e}"))
}

/// The whole content of a regular file of at most `limits.max_bytes`, as text.
fn read_text(path: &Path, limits: &Limits) -> Result<String, String> {
    // Metadata first: opening a FIFO would block, reading a device never ends.
    let metadata = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    check_file(&metadata, limits)?;
    let file = std::fs::File::open(path).map_err(|e| io_message(&e))?;
    // The file opened may not be the one checked (a rename in between): check again.
    check_file(&file.metadata().map_err(|e| io_message(&e))?, limits)?;
    let max = limits.max_bytes as u64;
    let mut bytes = Vec::with_capacity(metadata.len().min(max) as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_message(&e))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "the file grew past the limit of {} bytes while it was read",
            limits.max_bytes
        ));
    }
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
}

fn check_file(metadata: &std::fs::Metadata, limits: &Limits) -> Result<(), String> {
    if metadata.is_dir() {
        return Err("is a directory; expected a file".to_string());
    }
    if !metadata.is_file() {
        return Err(
            "is not a regular file (a device, FIFO or socket); only regular files are read"
                .to_string(),
        );
    }
    if metadata.len() > limits.max_bytes as u64 {
        return Err(format!(
            "the file is {} bytes, more than the limit of {} bytes",
            metadata.len(),
            limits.max_bytes
        ));
    }
    Ok(())
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "no such file; the path is relative to the file holding the placeholder".to_string()
        }
        _ => format!("cannot read it: {e}"),
    }
}

/// Whether `text` is strict JSON (what `JSON.parse` accepts). serde_json
/// refuses deep nesting itself; the value is then built by [`parse_yaml`],
/// under the limits.
fn parse_json(text: &str) -> Result<(), String> {
    // Into a `Value` (not `IgnoredAny`): its messages name the mistake.
    serde_json::from_str::<Value>(text)
        .map(|_| ())
        .map_err(|e| format!("invalid JSON: {e}"))
}

/// Exactly one YAML document, parsed under `limits`.
fn parse_yaml(text: &str, limits: &Limits) -> Result<Value, String> {
    let mut documents = parse_documents(text, limits).map_err(|e| {
        // paved_yaml's messages say what is wrong (invalid YAML, too deep, …).
        let mut at = String::new();
        if e.line > 0 {
            at = format!("line {}, column {}", e.line, e.column);
        }
        if e.document > 0 {
            at.push_str(&format!(" (YAML document {})", e.document + 1));
        }
        if at.is_empty() {
            e.message
        } else {
            format!("{}: {}", at.trim_start(), e.message)
        }
    })?;
    if documents.len() != 1 {
        return Err(format!(
            "expected exactly one YAML document, found {}",
            documents.len()
        ));
    }
    Ok(documents.remove(0).value)
}
