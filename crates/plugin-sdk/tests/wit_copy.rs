//! The SDK carries its own copy of the `paved:plugin` WIT package (so that it
//! can be published on its own); this keeps it equal to the repository's
//! `wit/`, file by file. After changing `wit/`, copy it:
//! `cp wit/*.wit crates/plugin-sdk/wit/`.

use std::collections::BTreeMap;
use std::path::Path;

fn wit_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn the_sdk_wit_copy_equals_the_repository_wit() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = wit_files(&manifest.join("../../wit"));
    let sdk = wit_files(&manifest.join("wit"));
    assert!(!repo.is_empty(), "no .wit files in wit/");
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&sdk),
        names(&repo),
        "crates/plugin-sdk/wit and wit/ hold different files; copy wit/*.wit over"
    );
    for (name, text) in &repo {
        assert!(
            sdk[name] == *text,
            "crates/plugin-sdk/wit/{name} differs from wit/{name}; copy wit/*.wit over"
        );
    }
}
