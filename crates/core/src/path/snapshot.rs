//! Template tests: a dry run's plan compared with a stored snapshot, so a
//! Template is tested in CI like code (`paved path test`).
//!
//! A snapshot is a directory: `plan.json` (the plan without what changes
//! from run to run: the run id, the workspace's place, digests, durations,
//! the Template's version) and `files/` (each file the run would write,
//! with its content). `update` rewrites it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PathPlan, StepEffect, workspace};

/// What comparing a plan with its snapshot found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotReport {
    /// The snapshot directory.
    pub snapshot: String,
    /// No difference (or the snapshot was written).
    pub passed: bool,
    /// Whether the snapshot was (re)written.
    pub updated: bool,
    /// Each difference, for people: `files/src/main.rs: content differs`.
    pub differences: Vec<String>,
}

/// Keys left out of a snapshot wherever they are: they change from run to
/// run (or with where the checkout is).
const VOLATILE: [&str; 5] = [
    "digest",
    "templateVersion",
    "durationUs",
    "workspace",
    super::ANNOTATION_TEMPLATE_VERSION,
];

/// What changes from run to run inside text: the workspace's place, the
/// run id, the Template's version.
struct Scrub<'a> {
    run: &'a str,
    workspace: &'a str,
    version: &'a str,
}

impl Scrub<'_> {
    fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (from, to) in [
            (self.workspace, "<workspace>"),
            (self.run, "<run>"),
            (self.version, "<version>"),
        ] {
            if !from.is_empty() && out.contains(from) {
                out = out.replace(from, to);
            }
        }
        out
    }

    fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(a) => a.iter_mut().for_each(|v| self.value(v)),
            Value::Object(o) => {
                for key in VOLATILE {
                    o.shift_remove(key);
                }
                o.values_mut().for_each(|v| self.value(v));
            }
            _ => {}
        }
    }
}

/// The plan as a snapshot keeps it, and its files.
pub fn snapshot_of(plan: &PathPlan) -> (Value, BTreeMap<String, Vec<u8>>) {
    let run = super::PREVIEW_RUN_ID;
    let scrub = Scrub {
        run,
        workspace: &plan.workspace,
        version: &plan.template_version,
    };
    let mut files = BTreeMap::new();
    for f in &plan.files {
        if let Some(content) = &f.content {
            // Files carry provenance too (catalog:write writes annotations).
            let bytes = match f.binary {
                true => StepEffect::bytes(content, true),
                false => scrub.text(content).into_bytes(),
            };
            files.insert(f.path.clone(), bytes);
        }
    }
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    // Ids given when a plan is made: the resource plan's, decisions'.
    if let Some(Value::Object(r)) = value.get_mut("resources") {
        r.shift_remove("id");
    }
    for d in value
        .get_mut("decisions")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(o) = d.as_object_mut() {
            o.shift_remove("id");
        }
    }
    // File contents live in files/; the plan says which were written.
    for step in value
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        for effect in step
            .get_mut("effects")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(o) = effect.as_object_mut() {
                o.remove("content");
            }
        }
    }
    for f in value
        .get_mut("files")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(o) = f.as_object_mut() {
            o.remove("content");
        }
    }
    scrub.value(&mut value);
    (value, files)
}

/// Compare `plan` with the snapshot in `dir`; `update` writes it instead.
/// A missing snapshot fails (CI never passes by writing one).
pub fn compare(plan: &PathPlan, dir: &Path, update: bool) -> Result<SnapshotReport, String> {
    let (value, files) = snapshot_of(plan);
    let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
    let shown = dir.display().to_string();
    if update {
        if dir.join("files").exists() {
            std::fs::remove_dir_all(dir.join("files"))
                .map_err(|e| format!("cannot clear {shown}/files: {e}"))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {shown}: {e}"))?;
        std::fs::write(dir.join("plan.json"), &text)
            .map_err(|e| format!("cannot write {shown}/plan.json: {e}"))?;
        for (path, bytes) in &files {
            workspace::write(&dir.join("files"), path, bytes)?;
        }
        return Ok(SnapshotReport {
            snapshot: shown,
            passed: true,
            updated: true,
            differences: Vec::new(),
        });
    }
    let mut differences = Vec::new();
    match std::fs::read_to_string(dir.join("plan.json")) {
        Err(_) => differences.push(format!(
            "{shown}/plan.json is missing: write the snapshot with --update"
        )),
        Ok(stored) => {
            let stored: Value = serde_json::from_str(&stored)
                .map_err(|e| format!("{shown}/plan.json is not JSON: {e}"))?;
            diff("plan", &stored, &value, &mut differences);
        }
    }
    let stored_files: Vec<String> = if dir.join("files").is_dir() {
        workspace::files_under(&dir.join("files"), "the snapshot")?
    } else {
        Vec::new()
    };
    for path in &stored_files {
        match files.get(path) {
            None => differences.push(format!("files/{path}: no longer written")),
            Some(bytes) => {
                let stored = std::fs::read(dir.join("files").join(path))
                    .map_err(|e| format!("cannot read {shown}/files/{path}: {e}"))?;
                if stored != *bytes {
                    let line = first_difference(&stored, bytes);
                    differences.push(format!("files/{path}: content differs{line}"));
                }
            }
        }
    }
    for path in files.keys().filter(|p| !stored_files.contains(p)) {
        differences.push(format!("files/{path}: now written, not in the snapshot"));
    }
    Ok(SnapshotReport {
        snapshot: shown,
        passed: differences.is_empty(),
        updated: false,
        differences,
    })
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(n, (x, y))| format!(" at line {}: expected {x:?}, now {y:?}", n + 1))
        .unwrap_or_default()
}

/// Differences between two JSON values, by path.
fn diff(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => diff(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("{path}.{k}: no longer there (was {v})")),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: new ({w})"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if expected != actual => out.push(format!("{path}: expected {expected}, now {actual}")),
        _ => {}
    }
}
