//! The sample catalogue and its broken copies, judged by Backstage's own
//! validators (`tools/backstage/validate.mjs`, `@backstage/catalog-model`):
//! Backstage accepts every sample document, and rejects exactly the documents
//! of the broken copies that paved rejects.
//!
//! Needs `node` and `tools/backstage/node_modules` (`npm ci --prefix tools/backstage`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use paved_core::ingest::{Limits, Reading, load_paths};
use paved_core::model::schema::KindRegistry;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// Backstage's verdict per document: (file, document, valid).
fn backstage(dir: &Path) -> Vec<(String, usize, bool)> {
    let tools = workspace().join("tools/backstage");
    assert!(
        tools
            .join("node_modules/@backstage/catalog-model/package.json")
            .exists(),
        "this test needs node and {}; run `npm ci --prefix tools/backstage` first",
        tools.join("node_modules").display()
    );
    let output = Command::new("node")
        .arg(tools.join("validate.mjs"))
        .arg(dir)
        .output()
        .expect("run node (is Node.js installed?)");
    // Exit code 0: all valid, 1: some document invalid, anything else: the script failed.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "validate.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let file = v["file"].as_str().unwrap().to_string();
            (
                file,
                v["document"].as_u64().unwrap() as usize,
                v["valid"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn backstage_accepts_every_sample_document() {
    let verdicts = backstage(&workspace().join("examples/catalog"));
    assert_eq!(verdicts.len(), 55);
    let invalid: Vec<_> = verdicts.iter().filter(|v| !v.2).collect();
    assert!(invalid.is_empty(), "Backstage rejects {invalid:?}");
}

#[test]
fn backstage_rejects_the_same_documents_of_the_broken_copies() {
    for name in [
        "bad-ref",
        "invalid-label",
        "invalid-name",
        "malformed-yaml",
        "unknown-kind",
    ] {
        let dir = workspace().join("crates/core/tests/fixtures").join(name);
        let theirs: BTreeSet<(String, usize)> = backstage(&dir)
            .into_iter()
            .filter(|v| !v.2)
            .map(|(file, document, _)| (file, document))
            .collect();
        let loaded = load_paths(
            std::slice::from_ref(&dir),
            &KindRegistry::builtin(),
            &Limits::default(),
            &Reading::default(),
        );
        let ours: BTreeSet<(String, usize)> = loaded
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                (l.file.clone(), l.document)
            })
            .collect();
        assert_eq!(ours.len(), 1, "{name}: {ours:?}");
        assert_eq!(ours, theirs, "{name}");
    }
}
