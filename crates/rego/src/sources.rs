//! Finding and reading policy and data files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use paved_core::{Diagnostic, Error, Result, SourceLocation};
use serde_json::{Map, Value};

/// Directories deeper than this below a given root are not searched (a
/// symlink loop is also stopped by the visited set; this bounds the rest).
const MAX_DIR_DEPTH: usize = 32;

/// Deepest nesting accepted in a JSON data file (YAML files use
/// [`paved_yaml::Limits`]' own depth limit).
const MAX_JSON_DEPTH: usize = 64;

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Every file under `root` (recursively, in name order) that `keep` accepts.
/// Symlinked directories are followed once each.
fn walk(root: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut visited = HashSet::new();
    walk_dir(root, keep, out, &mut visited, 0)
}

fn walk_dir(
    dir: &Path,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
    visited: &mut HashSet<PathBuf>,
    depth: usize,
) -> Result<()> {
    let canonical = std::fs::canonicalize(dir).map_err(|e| io(dir, e))?;
    if depth > MAX_DIR_DEPTH || !visited.insert(canonical) {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| io(dir, e))?;
    entries.sort();
    for path in entries {
        // `metadata` follows symlinks: a link to a directory is searched.
        let meta = std::fs::metadata(&path).map_err(|e| io(&path, e))?;
        if meta.is_dir() {
            walk_dir(&path, keep, out, visited, depth + 1)?;
        } else if meta.is_file() && keep(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn is_policy(path: &Path) -> bool {
    let name = file_name(path);
    name.ends_with(".rego") && !name.ends_with("_test.rego")
}

/// The policy files named by `paths`: a file as given (whatever its name), a
/// directory's `*.rego` files recursively except `*_test.rego`. Each file
/// once, in the order given (directories in name order).
pub(crate) fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
        if meta.is_dir() {
            walk(path, &is_policy, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(files.len());
    for file in files {
        let canonical = std::fs::canonicalize(&file).map_err(|e| io(&file, e))?;
        if seen.insert(canonical) {
            unique.push(file);
        }
    }
    Ok(unique)
}

/// Read a policy file as text.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

fn is_data(path: &Path) -> bool {
    let name = file_name(path);
    name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")
}

/// One data document and where it goes under `data`.
#[derive(Debug)]
pub(crate) struct DataFile {
    pub file: PathBuf,
    /// Keys from `data` down to where the content is merged (empty: the root).
    pub prefix: Vec<String>,
    pub value: Value,
}

impl DataFile {
    /// The content nested under its prefix: what is merged into `data`.
    pub(crate) fn rooted(self) -> Value {
        let mut value = self.value;
        for key in self.prefix.into_iter().rev() {
            let mut object = Map::new();
            object.insert(key, value);
            value = Value::Object(object);
        }
        value
    }
}

/// The data documents named by `paths`. A file is merged at the root of
/// `data`; a directory's `*.json`, `*.yaml` and `*.yml` files (recursively)
/// are each merged under their directory's path relative to the directory
/// given (`dir/k8s/labels/data.yaml` -> `data.k8s.labels`), as OPA's loader
/// does. The file's own name is not part of the path.
pub(crate) fn data_files(paths: &[PathBuf]) -> Result<Vec<DataFile>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &is_data, &mut files)?;
            for file in files {
                let prefix = file
                    .parent()
                    .and_then(|p| p.strip_prefix(path).ok())
                    .map(|rel| {
                        rel.components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                let value = read_data(&file)?;
                out.push(DataFile {
                    file,
                    prefix,
                    value,
                });
            }
        } else {
            let value = read_data(path)?;
            out.push(DataFile {
                file: path.clone(),
                prefix: Vec::new(),
                value,
            });
        }
    }
    Ok(out)
}

fn invalid(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Error {
    Error::invalid(Diagnostic::error("", message).at(SourceLocation {
        file: file.display().to_string(),
        document: 0,
        line,
        column,
    }))
}

/// Parse one data file by its extension: `.json` as JSON, `.yaml`/`.yml`
/// as YAML (one document; an empty file is `{}`).
fn read_data(path: &Path) -> Result<Value> {
    let text = read_text(path)?;
    let name = file_name(path);
    if name.ends_with(".json") {
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            invalid(
                path,
                e.line(),
                e.column(),
                format!("not valid JSON data: {e}"),
            )
        })?;
        if depth(&value) > MAX_JSON_DEPTH {
            return Err(invalid(
                path,
                0,
                0,
                format!("data nested deeper than {MAX_JSON_DEPTH} levels"),
            ));
        }
        Ok(value)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        let mut docs =
            paved_yaml::parse_documents(&text, &paved_yaml::Limits::default()).map_err(|e| {
                invalid(
                    path,
                    e.line,
                    e.column,
                    format!("not valid YAML data: {}", e.message),
                )
            })?;
        docs.retain(|d| !d.value.is_null());
        match docs.len() {
            0 => Ok(Value::Object(Map::new())),
            1 => Ok(docs.remove(0).value),
            n => Err(invalid(
                path,
                docs[1].line,
                0,
                format!("a data file holds one YAML document, this one has {n}"),
            )),
        }
    } else {
        Err(invalid(
            path,
            0,
            0,
            "unknown data format: name data files *.json, *.yaml or *.yml",
        ))
    }
}

/// Nesting depth of a JSON value (a scalar is 0), counted without recursion.
pub(crate) fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(fields) => stack.extend(fields.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({"a": [1]})), 2);
        assert_eq!(depth(&json!({"a": 1, "b": {"c": {}}})), 2);
    }

    #[test]
    fn rooted_nests_under_prefix() {
        let f = DataFile {
            file: PathBuf::from("x"),
            prefix: vec!["a".into(), "b".into()],
            value: json!({"c": 1}),
        };
        assert_eq!(f.rooted(), json!({"a": {"b": {"c": 1}}}));
    }
}
