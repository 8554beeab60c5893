//! Ingestion of the sample catalogue and of broken copies of it
//! (`tests/fixtures`, see its README): every problem names the exact file,
//! document, line, column and JSON path.

mod common;

use common::show;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use paved_core::diagnostic::Diagnostic;
use paved_core::ingest::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, ImportMode, Limits, Loaded, Reading,
    load_paths, load_text, load_values, location_key,
};
use paved_core::model::relations;
use paved_core::model::schema::KindRegistry;
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn sample() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    workspace.join("examples/catalog")
}

fn load(paths: &[PathBuf]) -> Loaded {
    load_paths(
        paths,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    )
}

/// The one error of a load (fails if there are none or several).
fn the_error(loaded: &Loaded) -> &Diagnostic {
    let errors: Vec<_> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "expected exactly one error:{}",
        show(loaded)
    );
    errors[0]
}

/// (file, document, line, column) of a diagnostic.
fn place(d: &Diagnostic) -> (String, usize, usize, usize) {
    let l = d.location.as_ref().expect("diagnostic has a location");
    (l.file.clone(), l.document, l.line, l.column)
}

fn file(path: PathBuf) -> String {
    path.display().to_string()
}

// ---- the sample catalogue -------------------------------------------------

#[test]
fn sample_catalogue_loads_cleanly_from_its_root_location() {
    let root = sample().join("catalog-info.yaml");
    let loaded = load(std::slice::from_ref(&root));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(loaded.entities().len(), 55);
    assert_eq!(loaded.files().len(), 9, "{:?}", loaded.files());
    // Targets are shown relative to the file that names them, tidied.
    assert!(
        loaded
            .files()
            .contains(&file(sample().join("systems/payments.yaml")))
    );
    let key = location_key(&root);
    assert!(loaded.entities().iter().all(|e| e.location_key == key));

    let mut kinds = std::collections::BTreeMap::new();
    for e in loaded.entities() {
        *kinds.entry(e.entity.kind.clone()).or_insert(0) += 1;
    }
    let expected = [
        ("API", 8),
        ("Component", 15),
        ("Domain", 3),
        ("Group", 6),
        ("Location", 1),
        ("Resource", 7),
        ("System", 5),
        ("User", 10),
    ];
    assert_eq!(
        kinds,
        expected.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    );
}

#[test]
fn sample_catalogue_has_no_dangling_refs() {
    let loaded = load(&[sample().join("catalog-info.yaml")]);
    let known: HashSet<String> = loaded
        .entities()
        .iter()
        .map(|e| e.entity.entity_ref().key())
        .collect();
    let mut count = 0;
    for e in loaded.entities() {
        let (rows, problems) = relations::derive(&e.entity);
        assert!(problems.is_empty(), "{problems:?}");
        for row in rows {
            count += 1;
            assert!(
                known.contains(&row.target.key()),
                "{} -> {} does not resolve",
                row.source,
                row.target
            );
            assert!(
                known.contains(&row.source.key()),
                "{} does not resolve",
                row.source
            );
        }
    }
    assert!(count > 150, "only {count} relation rows");
}

#[test]
fn sample_directory_reads_each_file_once() {
    // The walk reaches every file, and so does the root Location inside it:
    // each file is still read once, so there are no duplicates.
    let loaded = load(&[sample()]);
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(loaded.entities().len(), 55);
    assert_eq!(loaded.files().len(), 9);
    let key = location_key(&sample());
    assert!(loaded.entities().iter().all(|e| e.location_key == key));
}

#[test]
fn every_sample_file_validates_on_its_own() {
    let mut files = Vec::new();
    let mut dirs = vec![sample()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                // Not `apis/*.json`: a placeholder's target, not a catalogue file.
                files.push(path);
            }
        }
    }
    assert_eq!(files.len(), 9);
    for f in files {
        // As a path, not as text: placeholders resolve relative to a file only.
        let loaded = load(std::slice::from_ref(&f));
        assert!(
            loaded.diagnostics().is_empty(),
            "{}:{}",
            f.display(),
            show(&loaded)
        );
        assert!(!loaded.entities().is_empty());
    }
}

#[test]
fn entities_carry_their_source() {
    let loaded = load(&[sample().join("org/groups.yaml")]);
    let eng = loaded
        .entities()
        .iter()
        .find(|e| e.entity.metadata.name == "engineering")
        .unwrap();
    assert_eq!(eng.source.file, file(sample().join("org/groups.yaml")));
    assert_eq!(
        (eng.source.document, eng.source.line, eng.source.column),
        (1, 15, 1)
    );
}

// ---- broken copies ----------------------------------------------------------

#[test]
fn malformed_yaml_names_file_document_and_line() {
    let loaded = load(&[fixture("malformed-yaml")]);
    let e = the_error(&loaded);
    let (f, document, line, _) = place(e);
    assert_eq!(f, file(fixture("malformed-yaml/inventory.yaml")));
    assert_eq!((document, line), (1, 17), "{e}");
    assert!(e.message.contains("invalid YAML"), "{e}");
    assert_eq!(e.path, "metadata");
    // The other file of the directory still loads; nothing of the broken one does.
    assert_eq!(loaded.entities().len(), 3);
    assert!(
        loaded
            .entities()
            .iter()
            .all(|s| s.source.file.ends_with("domains.yaml"))
    );
}

#[test]
fn unknown_kind_points_at_kind() {
    let loaded = load(&[fixture("unknown-kind")]);
    let e = the_error(&loaded);
    assert_eq!(
        place(e),
        (file(fixture("unknown-kind/storefront.yaml")), 4, 99, 1)
    );
    assert_eq!(e.path, "kind");
    assert!(e.message.contains("Componnet"), "{e}");
    assert_eq!(e.entity.as_deref(), Some("componnet:default/ui-kit"));
    assert_eq!(loaded.entities().len(), 7);
}

#[test]
fn invalid_name_points_at_the_name() {
    let loaded = load(&[fixture("invalid-name")]);
    let e = the_error(&loaded);
    assert_eq!(
        place(e),
        (file(fixture("invalid-name/payments.yaml")), 2, 43, 3)
    );
    assert_eq!(e.path, "metadata.name");
}

#[test]
fn invalid_label_points_at_the_label() {
    let loaded = load(&[fixture("invalid-label")]);
    let e = the_error(&loaded);
    assert_eq!(
        place(e),
        (file(fixture("invalid-label/payments.yaml")), 3, 71, 5)
    );
    assert_eq!(e.path, "metadata.labels.tier");
    assert_eq!(
        e.entity.as_deref(),
        Some("component:default/fraud-detector")
    );
}

#[test]
fn keys_with_dots_and_slashes_are_located() {
    let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: x
  annotations:
    backstage.io/techdocs-ref: dir:.
    acme.example/on call: alice
spec: {type: service, lifecycle: production, owner: team-a}
";
    let loaded = load_text(
        "a.yaml",
        text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    let e = the_error(&loaded);
    assert_eq!(e.path, r#"metadata.annotations["acme.example/on call"]"#);
    assert_eq!(place(e), ("a.yaml".to_string(), 0, 7, 5));
}

#[test]
fn bad_ref_points_at_the_list_item() {
    let loaded = load(&[fixture("bad-ref")]);
    let e = the_error(&loaded);
    assert_eq!(
        place(e),
        (file(fixture("bad-ref/storefront.yaml")), 3, 96, 15)
    );
    assert_eq!(e.path, "spec.dependsOn[0]");
    assert!(e.message.contains("catalog-db"), "{e}");
}

#[test]
fn duplicate_across_files_names_the_first() {
    let loaded = load(&[fixture("duplicate")]);
    let e = the_error(&loaded);
    assert_eq!(
        place(e),
        (file(fixture("duplicate/web-shop-copy.yaml")), 0, 5, 3)
    );
    assert_eq!(e.path, "metadata.name");
    let first = format!(
        "{}:17 (document 1)",
        file(fixture("duplicate/storefront.yaml"))
    );
    assert!(e.message.contains(&first), "{e}");
    // Another file: a conflict (the first location keeps it), not a plain error.
    assert_eq!(loaded.conflicts().collect::<Vec<_>>(), vec![e]);
    assert!(e.message.starts_with("conflict: "), "{e}");
    // The first definition is kept, the second is not.
    let shops: Vec<_> = loaded
        .entities()
        .iter()
        .filter(|s| s.entity.metadata.name.eq_ignore_ascii_case("web-shop"))
        .collect();
    assert_eq!(shops.len(), 1);
    assert_eq!(shops[0].entity.metadata.name, "web-shop");
}

#[test]
fn location_cycle_names_the_chain() {
    let root = fixture("location-cycle/catalog-info.yaml");
    for paths in [vec![root.clone()], vec![fixture("location-cycle")]] {
        let loaded = load(&paths);
        let e = the_error(&loaded);
        let more = file(fixture("location-cycle/more/locations.yaml"));
        assert_eq!(place(e), (more.clone(), 0, 8, 3));
        assert_eq!(e.path, "spec.target");
        let chain = format!("{} -> {more} -> {}", file(root.clone()), file(root.clone()));
        assert!(e.message.contains(&chain), "{e}\nexpected {chain}");
        // Both Locations are entities; each file was read once.
        assert_eq!(loaded.entities().len(), 2);
        assert_eq!(loaded.files().len(), 2);
    }
}

#[test]
fn alias_bomb_is_refused_with_its_place() {
    let loaded = load(&[fixture("alias-bomb")]);
    let e = the_error(&loaded);
    assert_eq!(place(e), (file(fixture("alias-bomb/bomb.yaml")), 0, 15, 14));
    assert!(e.message.contains("alias"), "{e}");
    assert_eq!(e.path, "spec.lol.l4[0]");
    assert!(loaded.entities().is_empty());
}

// ---- other inputs -------------------------------------------------------------

#[test]
fn missing_paths_are_diagnostics() {
    let missing = fixture("no-such-dir/x.yaml");
    let loaded = load(std::slice::from_ref(&missing));
    let e = the_error(&loaded);
    assert_eq!(place(e), (file(missing), 0, 0, 0));
    assert!(e.message.contains("no such file"), "{e}");
}

#[test]
fn missing_and_url_targets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &root,
        "\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  targets: [./gone.yaml, ./maybe/*.yaml]
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: remote}
spec:
  type: url
  target: https://github.com/acme/x/blob/main/catalog-info.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: optional}
spec:
  presence: optional
  target: ./also-gone.yaml
",
    )
    .unwrap();
    let loaded = load(std::slice::from_ref(&root));
    let errors: Vec<_> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 2, "{}", show(&loaded));
    let e = errors[0];
    assert_eq!(place(e), (file(root.clone()), 0, 5, 13));
    assert_eq!(e.path, "spec.targets[0]");
    assert!(e.message.contains("gone.yaml"), "{e}");
    // A url Location is followed, but no host is allowed by default: an
    // error at its target that says what to configure.
    let e = errors[1];
    assert_eq!(place(e), (file(root.clone()), 1, 12, 3));
    assert_eq!(e.path, "spec.target");
    assert_eq!(
        e.message,
        "Location target https://github.com/acme/x/blob/main/catalog-info.yaml: \
         host 'github.com' is not in reading.allow; add `- host: github.com` to \
         reading.allow in paved.yaml to read from it"
    );
    let warnings: Vec<_> = loaded
        .diagnostics()
        .iter()
        .filter(|d| !d.is_error())
        .collect();
    assert_eq!(warnings.len(), 1, "{}", show(&loaded));
    assert_eq!(
        (warnings[0].path.as_str(), place(warnings[0]).2),
        ("spec.targets[1]", 5)
    );
    assert_eq!(loaded.entities().len(), 3);
}

#[test]
fn documents_that_are_not_entities() {
    let text = "# nothing\n---\n---\n- a\n- b\n---\nkind: Component\n";
    let loaded = load_text(
        "t.yaml",
        text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    let errors: Vec<_> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    // The empty documents are skipped; the list is refused; the mapping goes to validation.
    assert!(errors.len() >= 2, "{}", show(&loaded));
    assert_eq!(place(errors[0]), ("t.yaml".to_string(), 1, 4, 1));
    assert!(
        errors[0].message.contains("expected an entity"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1..].iter().all(|d| place(d).1 == 2),
        "{}",
        show(&loaded)
    );
}

#[test]
fn values_have_an_input_source_and_duplicates_are_caught() {
    let component = |name: &str| {
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": name},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
        })
    };
    let loaded = load_values(
        vec![
            component("a"),
            serde_json::Value::Null,
            component("b"),
            component("A"),
        ],
        &KindRegistry::builtin(),
    );
    assert_eq!(loaded.entities().len(), 2);
    assert_eq!(loaded.entities()[1].source.file, "<input>");
    assert_eq!(loaded.entities()[1].source.document, 2);
    let e = the_error(&loaded);
    assert_eq!(place(e).1, 3);
    assert!(e.message.contains("<input>:0"), "{e}");
}

#[test]
fn text_locations_resolve_against_the_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("team.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n",
    )
    .unwrap();
    let name = file(dir.path().join("inline.yaml"));
    let text = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {target: ./team.yaml}\n";
    let loaded = load_text(
        &name,
        text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(loaded.entities().len(), 2);
    assert_eq!(loaded.files(), [name, file(dir.path().join("team.yaml"))]);
}

#[test]
fn directory_targets_are_walked() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir(&org).unwrap();
    std::fs::copy(sample().join("org/groups.yaml"), org.join("groups.yaml")).unwrap();
    std::fs::copy(sample().join("org/users.yaml"), org.join("users.yml")).unwrap();
    std::fs::write(org.join("notes.txt"), "not yaml").unwrap();
    let root = dir.path().join("all.yaml");
    std::fs::write(
        &root,
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec: {target: ./org}\n",
    )
    .unwrap();
    let loaded = load(std::slice::from_ref(&root));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(loaded.entities().len(), 17);
    assert_eq!(loaded.files().len(), 3);
}

#[test]
fn oversized_files_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, "x".repeat(2048)).unwrap();
    let limits = Limits {
        max_bytes: 1024,
        ..Limits::default()
    };
    let loaded = load_paths(
        std::slice::from_ref(&big),
        &KindRegistry::builtin(),
        &limits,
        &Reading::default(),
    );
    let e = the_error(&loaded);
    assert!(e.message.contains("2048 bytes"), "{e}");
}

/// The partial-import tree: what per-entity mode keeps, refuses and reports
/// as a conflict, each with its file, line and JSON path; all-or-nothing
/// keeps nothing.
#[test]
fn partial_import_tree_splits_into_entities_refusals_and_conflicts() {
    let root = fixture("partial-import/catalog-info.yaml");
    let loaded = load(std::slice::from_ref(&root));
    let validated = loaded.clone().into_import(ImportMode::PerEntity).unwrap();
    let mut stored: Vec<String> = validated
        .entities()
        .iter()
        .map(|s| s.entity.entity_ref().to_string())
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        [
            "api:default/checkout-api",
            "component:default/checkout",
            "component:default/ledger",
            "group:default/team-a",
            "group:default/team-b",
            "location:default/partial-import",
            "location:default/team-b",
            "system:default/payments",
            "user:default/alice",
        ]
    );
    let refused: Vec<_> = validated
        .refused()
        .iter()
        .map(|d| (d.entity.clone().unwrap(), d.path.clone(), place(d)))
        .collect();
    assert_eq!(
        refused,
        [
            (
                "component:default/refunds".to_string(),
                "spec.lifecycle".to_string(),
                (
                    file(fixture("partial-import/systems/payments.yaml")),
                    2,
                    27,
                    3
                )
            ),
            (
                "api:default/rates-api".to_string(),
                "spec.definition".to_string(),
                (
                    file(fixture("partial-import/apis/rates-api.yaml")),
                    0,
                    11,
                    3
                )
            ),
        ],
        "{}",
        show(&loaded)
    );
    assert!(
        validated.refused()[1]
            .message
            .contains("host 'rates.example.com' is not in reading.allow")
    );
    let [conflict] = validated.conflicts() else {
        panic!("one conflict expected:{}", show(&loaded));
    };
    assert_eq!(
        conflict.entity.as_deref(),
        Some("component:default/checkout")
    );
    assert_eq!(
        place(conflict).0,
        file(fixture("partial-import/team-b/components.yaml"))
    );
    // The first location keeps it: the checkout that was stored is team-a's.
    let checkout = validated
        .entities()
        .iter()
        .find(|s| s.entity.metadata.name == "checkout")
        .unwrap();
    assert_eq!(checkout.entity.spec.as_ref().unwrap()["owner"], "team-a");

    // Backstage's annotations: the file each entity came from, and the root.
    let canonical = |p: PathBuf| format!("file:{}", p.canonicalize().unwrap().display());
    let ann = |name: &str, key: &str| {
        validated
            .entities()
            .iter()
            .find(|s| s.entity.metadata.name == name)
            .unwrap()
            .entity
            .metadata
            .annotations[key]
            .clone()
    };
    assert_eq!(
        ann("ledger", ANNOTATION_LOCATION),
        canonical(fixture("partial-import/team-b/components.yaml"))
    );
    assert_eq!(
        ann("ledger", ANNOTATION_ORIGIN_LOCATION),
        canonical(root.clone())
    );
    assert_eq!(
        ann("partial-import", ANNOTATION_LOCATION),
        canonical(root.clone())
    );
    assert_eq!(
        ann("partial-import", ANNOTATION_ORIGIN_LOCATION),
        canonical(root)
    );

    // All or nothing: every error, conflicts included, and nothing to write.
    let err = loaded.into_import(ImportMode::AllOrNothing).unwrap_err();
    let paved_core::Error::Invalid { diagnostics } = err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(diagnostics.len(), 3, "{diagnostics:?}");
}

#[test]
fn annotations_a_document_sets_are_kept_and_text_gets_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\n  annotations:\n    backstage.io/managed-by-location: url:https://example.com/c.yaml\nspec: {type: team, children: []}\n",
    )
    .unwrap();
    let loaded = load(std::slice::from_ref(&path));
    let annotations = &loaded.entities()[0].entity.metadata.annotations;
    assert_eq!(
        annotations[ANNOTATION_LOCATION],
        "url:https://example.com/c.yaml"
    );
    assert_eq!(
        annotations[ANNOTATION_ORIGIN_LOCATION],
        format!("file:{}", path.canonicalize().unwrap().display())
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = load_text(
        "c.yaml",
        &text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    let annotations = &loaded.entities()[0].entity.metadata.annotations;
    assert!(!annotations.contains_key(ANNOTATION_ORIGIN_LOCATION));
}

#[test]
fn per_entity_with_nothing_valid_is_an_error() {
    let loaded = load(&[fixture("invalid-name/payments.yaml")]);
    assert!(loaded.has_errors());
    let valid = loaded.entities().len();
    let result = loaded.into_import(ImportMode::PerEntity);
    if valid == 0 {
        assert!(matches!(result, Err(paved_core::Error::Invalid { .. })));
    } else {
        assert!(!result.unwrap().refused().is_empty());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: bad name\nspec: {type: team, children: []}\n").unwrap();
    let err = load(&[path])
        .into_import(ImportMode::PerEntity)
        .unwrap_err();
    assert!(matches!(err, paved_core::Error::Invalid { .. }), "{err:?}");
}
