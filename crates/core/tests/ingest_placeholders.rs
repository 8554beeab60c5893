//! Backstage placeholders (`$text`, `$json`, `$yaml`) in catalogue files:
//! resolved relative to the file before validation, and every mistake reported
//! at the placeholder's file, line and JSON path (`tests/fixtures/placeholders`).

mod common;

use common::show;
use std::path::{Path, PathBuf};

use paved_core::diagnostic::{Diagnostic, Severity};
use paved_core::ingest::{Limits, Loaded, Reading, load_paths, load_text, load_values};
use paved_core::model::schema::KindRegistry;
use serde_json::json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/placeholders")
}

fn load_with(path: &Path, limits: &Limits) -> Loaded {
    load_paths(
        &[path.to_path_buf()],
        &KindRegistry::builtin(),
        limits,
        &Reading::default(),
    )
}

fn load(path: &Path) -> Loaded {
    load_with(path, &Limits::default())
}

/// The one diagnostic of a load (fails if there are none or several).
fn only(loaded: &Loaded) -> &Diagnostic {
    assert_eq!(
        loaded.diagnostics().len(),
        1,
        "expected one diagnostic:{}",
        show(loaded)
    );
    &loaded.diagnostics()[0]
}

/// A directory with `catalog.yaml` holding one Component whose
/// `spec.config` is `placeholder` (a YAML flow mapping), plus `files`.
fn catalogue(placeholder: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n\
         spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  config: {placeholder}\n"
    );
    std::fs::write(dir.path().join("catalog.yaml"), text).unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

#[test]
fn placeholders_are_replaced_by_the_files_they_name() {
    let loaded = load(&fixtures().join("good.yaml"));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(loaded.entities().len(), 2);
    // Targets are not catalogue files: only good.yaml was read as one.
    assert_eq!(loaded.files().len(), 1);

    let api = &loaded.entities()[0].entity;
    let definition = std::fs::read_to_string(fixtures().join("defs/orders.openapi.yaml")).unwrap();
    assert_eq!(api.spec.as_ref().unwrap()["definition"], json!(definition));

    let spec = loaded.entities()[1].entity.spec.as_ref().unwrap();
    // `$yaml`: the parsed value; its own `$text` is data, not resolved again.
    assert_eq!(
        spec["config"],
        json!({"retries": 3, "password": {"$text": "./secret.txt"}})
    );
    // `$json` inside a list.
    assert_eq!(
        spec["limits"],
        json!([{"rps": 100, "burst": [1, 2.5, "x"]}])
    );
    // JSON Schema and other `$` mappings are left exactly as written.
    assert_eq!(spec["schema"], json!({"$ref": "#/definitions/orders"}));
    assert_eq!(spec["query"], json!({"$match": "orders", "$limit": 5}));
}

#[test]
fn the_sample_catalogue_reads_an_api_definition_from_a_file() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog");
    let loaded = load(&sample.join("catalog-info.yaml"));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    let api = loaded
        .entities()
        .iter()
        .find(|e| e.entity.metadata.name == "inventory-api")
        .unwrap();
    let text = std::fs::read_to_string(sample.join("apis/inventory-api.openapi.json")).unwrap();
    assert!(text.contains("Reserve stock for an order"));
    assert_eq!(api.entity.spec.as_ref().unwrap()["definition"], json!(text));
}

#[test]
fn each_broken_placeholder_is_reported_where_it_is_written() {
    let file = fixtures().join("errors.yaml");
    let loaded = load(&file);
    let shown = file.display().to_string();
    let defs = fixtures().join("defs").display().to_string();
    // (document, line, column, path, entity, severity, message fragment)
    let expected = [
        (0, 10, 3, "spec.definition", "api:default/missing",
         Severity::Error, format!("`$text` target {defs}/nope.yaml: no such file; the path is relative to the file holding the placeholder")),
        (1, 21, 3, "spec.definition", "api:default/directory",
         Severity::Error, format!("`$text` target {defs}: is a directory; expected a file")),
        (2, 31, 3, "spec.definition", "api:default/device",
         Severity::Error, "`$text` target /dev/zero: is not a regular file (a device, FIFO or socket)".to_string()),
        (3, 41, 3, "spec.definition", "api:default/url",
         Severity::Error, "`$text` target https://example.com/openapi.yaml: host 'example.com' is not in reading.allow; add `- host: example.com`".to_string()),
        (4, 51, 3, "spec.definition", "api:default/extra-keys",
         Severity::Error, "a `$text` placeholder must be the only key of its mapping, but it also has `format`".to_string()),
        (5, 63, 3, "spec.definition", "api:default/not-a-path",
         Severity::Error, "`$text` expects a file path relative to this file, found a list".to_string()),
        (6, 73, 3, "spec.config", "component:default/bad-json",
         Severity::Error, format!("`$json` target {defs}/bad.json: invalid JSON: trailing comma at line 1 column 13")),
        // Valid YAML, but `$json` means JSON (Backstage uses JSON.parse).
        (7, 83, 3, "spec.config", "component:default/lenient-json",
         Severity::Error, format!("`$json` target {defs}/lenient.json: invalid JSON: key must be a string at line 1 column 2")),
        (8, 93, 3, "spec.config", "component:default/bad-yaml",
         Severity::Error, format!("`$yaml` target {defs}/bad.yaml: line 2, column 8: invalid YAML:")),
        (9, 104, 7, "spec.config[0]", "component:default/two-docs",
         Severity::Error, format!("`$yaml` target {defs}/two-docs.yaml: expected exactly one YAML document, found 2")),
        (10, 114, 3, "spec.config", "component:default/unknown",
         Severity::Warning, "unknown placeholder `$foo`: paved resolves `$text`, `$json` and `$yaml`".to_string()),
    ];
    assert_eq!(
        loaded.diagnostics().len(),
        expected.len(),
        "{}",
        show(&loaded)
    );
    for (d, (document, line, column, path, entity, severity, message)) in
        loaded.diagnostics().iter().zip(expected)
    {
        let at = d.location.as_ref().unwrap();
        assert_eq!(
            (at.file.as_str(), at.document, at.line, at.column),
            (shown.as_str(), document, line, column),
            "{d}"
        );
        assert_eq!(d.path, path, "{d}");
        assert_eq!(d.entity.as_deref(), Some(entity), "{d}");
        assert_eq!(d.severity, severity, "{d}");
        assert!(d.message.starts_with(&message), "{d}\nexpected: {message}");
    }
    // A broken placeholder rejects its entity; an unknown one only warns.
    let names: Vec<_> = loaded
        .entities()
        .iter()
        .map(|e| e.entity.metadata.name.as_str())
        .collect();
    assert_eq!(names, ["unknown"]);
    assert_eq!(
        loaded.entities()[0].entity.spec.as_ref().unwrap()["config"],
        json!({"$foo": "./defs/limits.json"})
    );
}

#[test]
fn paths_are_relative_to_the_file_holding_the_placeholder() {
    // A file reached through a Location in another directory resolves its
    // placeholders against its own directory; absolute paths work too.
    let dir = catalogue("{ $text: ./nested/api.txt }", &[("nested/api.txt", b"ok")]);
    let root = dir.path();
    let other = root.join("other");
    std::fs::create_dir_all(other.join("deeper")).unwrap();
    let absolute = root.join("nested/api.txt");
    std::fs::write(
        other.join("deeper/more.yaml"),
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: more\n\
             spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n\
             \x20 config: {{ $text: ../../nested/api.txt }}\n\
             \x20 absolute: {{ $text: '{}' }}\n",
            absolute.display()
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("location.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: l\n\
         spec:\n  targets: [./catalog.yaml, ./other/deeper/more.yaml]\n",
    )
    .unwrap();
    let loaded = load(&root.join("location.yaml"));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    let specs: Vec<_> = loaded
        .entities()
        .iter()
        .filter_map(|e| e.entity.spec.as_ref())
        .filter(|s| s.get("config").is_some())
        .collect();
    assert_eq!(specs.len(), 2);
    assert!(specs.iter().all(|s| s["config"] == json!("ok")));
    assert_eq!(specs[1]["absolute"], json!("ok"));
}

#[test]
fn a_whole_document_can_be_a_placeholder() {
    let entity = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\n\
                  spec:\n  type: team\n  children: []\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("team.txt"), entity).unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), "$yaml: ./team.txt\n").unwrap();
    let loaded = load(&dir.path().join("catalog.yaml"));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(
        loaded.entities()[0].entity.entity_ref().to_string(),
        "group:default/team-a"
    );
}

#[test]
fn text_and_values_have_no_file_to_resolve_against() {
    let text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n\
                spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n\
                \x20 config:\n    $text: ./README.md\n";
    let loaded = load_text(
        "catalog.yaml",
        text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    let d = only(&loaded);
    assert!(d.is_error());
    assert_eq!(d.path, "spec.config");
    assert_eq!(d.location.as_ref().unwrap().line, 9);
    assert!(
        d.message
            .contains("placeholders need a file to resolve relative paths"),
        "{d}"
    );
    assert!(loaded.entities().is_empty());

    let value = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "svc"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a",
                 "links": [{"$json": "/etc/hostname"}]},
    });
    let loaded = load_values(vec![value], &KindRegistry::builtin());
    let d = only(&loaded);
    assert_eq!(d.path, "spec.links[0]");
    assert_eq!(d.entity.as_deref(), Some("component:default/svc"));
    assert!(
        d.message
            .contains("placeholders need a file to resolve relative paths"),
        "{d}"
    );
    assert!(loaded.entities().is_empty());
}

#[test]
fn targets_obey_the_same_limits_as_catalogue_files() {
    let limits = Limits {
        max_bytes: 400,
        max_depth: 4,
        max_alias_expansions: 20,
        ..Limits::default()
    };
    // Size applies to `$text` too.
    let dir = catalogue("{ $text: ./big.txt }", &[("big.txt", &[b'x'; 401])]);
    let loaded = load_with(&dir.path().join("catalog.yaml"), &limits);
    let d = only(&loaded);
    assert!(
        d.message
            .ends_with("big.txt: the file is 401 bytes, more than the limit of 400 bytes"),
        "{d}"
    );
    let dir = catalogue("{ $text: ./ok.txt }", &[("ok.txt", &[b'x'; 400])]);
    let loaded = load_with(&dir.path().join("catalog.yaml"), &limits);
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));

    let dir = catalogue("{ $yaml: ./deep.yaml }", &[("deep.yaml", b"[[[[[1]]]]]")]);
    let loaded = load_with(&dir.path().join("catalog.yaml"), &limits);
    let d = only(&loaded);
    assert!(
        d.message.ends_with(
            "deep.yaml: line 1, column 5: mappings and sequences nest deeper than 4 levels here; \
             flatten the document"
        ),
        "{d}"
    );

    let bomb = b"a: &a [x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n";
    let dir = catalogue("{ $yaml: ./bomb.yaml }", &[("bomb.yaml", bomb)]);
    let loaded = load_with(&dir.path().join("catalog.yaml"), &limits);
    let d = only(&loaded);
    assert!(d.is_error());
    assert!(
        d.message.contains(
            "bomb.yaml: line 2, column 20: aliases in this input expand to more than 20 nodes"
        ),
        "{d}"
    );

    // Deep JSON is refused by the limits as well (serde_json alone allows 128).
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let dir = catalogue("{ $json: ./deep.json }", &[("deep.json", deep.as_bytes())]);
    let loaded = load(&dir.path().join("catalog.yaml"));
    let d = only(&loaded);
    assert!(d.is_error());
    assert!(d.message.contains("deep.json: line 1, column 65:"), "{d}");

    let dir = catalogue("{ $text: ./latin1.txt }", &[("latin1.txt", b"caf\xe9")]);
    let loaded = load(&dir.path().join("catalog.yaml"));
    assert!(
        only(&loaded)
            .message
            .ends_with("latin1.txt: the file is not UTF-8 text")
    );
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_opened() {
    // A FIFO would block the load forever if it were opened; a symlink to a
    // device would never end. Both are refused from their metadata.
    let dir = catalogue("{ $text: ./pipe }", &[]);
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    let loaded = load(&dir.path().join("catalog.yaml"));
    let d = only(&loaded);
    assert!(d.message.contains("pipe: is not a regular file"), "{d}");

    let dir = catalogue("{ $text: ./zero }", &[]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    let loaded = load(&dir.path().join("catalog.yaml"));
    let d = only(&loaded);
    assert!(d.message.contains("zero: is not a regular file"), "{d}");

    // A symlink to a regular file outside the catalogue is read.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("shared.txt"), "shared").unwrap();
    let dir = catalogue("{ $text: ./shared }", &[]);
    std::os::unix::fs::symlink(outside.path().join("shared.txt"), dir.path().join("shared"))
        .unwrap();
    let loaded = load(&dir.path().join("catalog.yaml"));
    assert!(loaded.diagnostics().is_empty(), "{}", show(&loaded));
    assert_eq!(
        loaded.entities()[0].entity.spec.as_ref().unwrap()["config"],
        json!("shared")
    );
}
