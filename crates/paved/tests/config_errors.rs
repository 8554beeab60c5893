//! Errors in what `paved.yaml` names, found when the platform opens (an
//! unknown guardrail, a bad actor, a duplicate name, a scorecard rule naming
//! no policy, a bad custom kind…), point at the file, the line and the
//! column of the offending field, besides its path — as parse errors do.

use paved::{Error, OpenOptions};

/// Open a platform from a `paved.yaml` holding `yaml` (plus `options`);
/// the error and the file's path as errors write it.
async fn open_err(yaml: &str, options: OpenOptions) -> (Error, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paved.yaml");
    std::fs::write(&file, yaml).unwrap();
    let err = paved::open(options.config(&file)).await.unwrap_err();
    (err, file.display().to_string())
}

/// `err` is `VALIDATION` with exactly these `(line, column, path)`s, each
/// in `file`, and its text shows each as `file:line:column: path: `.
fn assert_located(err: &Error, file: &str, expected: &[(usize, usize, &str)]) {
    let Error::Invalid { diagnostics } = err else {
        panic!("expected VALIDATION, got {} ({err})", err.code())
    };
    let got: Vec<(usize, usize, &str)> = diagnostics
        .iter()
        .map(|d| {
            let loc = d.location.as_ref().unwrap_or_else(|| panic!("{d}"));
            assert_eq!(loc.file, file, "{d}");
            (loc.line, loc.column, d.path.as_str())
        })
        .collect();
    assert_eq!(got, expected, "{err}");
    let text = err.to_string();
    for (line, column, path) in expected {
        assert!(
            text.contains(&format!("{file}:{line}:{column}: {path}: ")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_policy_naming_a_missing_guardrail_points_at_its_guardrail_line() {
    let yaml = "store: memory\npolicies:\n  - name: a\n    guardrail: missing\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(4, 5, "policies[0].guardrail")]);
    assert!(
        err.to_string()
            .contains("policy 'a' names guardrail 'missing', which is not one of"),
        "{err}"
    );
}

#[tokio::test]
async fn a_duplicate_policy_name_points_at_the_second_name() {
    let yaml =
        "store: memory\npolicies:\n  - name: a\n    guardrail: g\n  - name: a\n    guardrail: g\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(
        &err,
        &file,
        &[(4, 5, "policies[0].guardrail"), (5, 5, "policies[1].name")],
    );
    assert!(err.to_string().contains("declared twice"), "{err}");

    // Two Rego policies of one name: the same error, not one about two
    // guardrails of that name.
    let rego = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies/rego/catalog")
        .display()
        .to_string();
    let yaml = format!(
        "store: memory\npolicies:\n  - name: a\n    rego: {{ policies: ['{rego}'] }}\n  - name: a\n    rego: {{ policies: ['{rego}'] }}\n"
    );
    let (err, file) = open_err(&yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(5, 5, "policies[1].name")]);
    assert!(err.to_string().contains("declared twice"), "{err}");
}

#[tokio::test]
async fn an_access_rule_with_a_bad_actor_points_at_the_actor() {
    let yaml = "store: memory\naccess:\n  rules:\n    - name: r\n      actors: [owners, 'user:']\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(5, 24, "access.rules[0].actors[1]")]);
    assert!(err.to_string().contains("is not an actor"), "{err}");
}

#[tokio::test]
async fn a_scorecard_rule_naming_an_unknown_policy_points_at_the_rule() {
    let yaml = "store: memory\nscorecards:\n  - name: ready\n    levels:\n      - name: bronze\n        rules: [nope]\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(6, 17, "scorecards[0].levels[0].rules[0]")]);
    assert!(err.to_string().contains("no policy named 'nope'"), "{err}");
}

#[tokio::test]
async fn a_bad_custom_kind_points_at_its_fields_under_kinds() {
    let yaml = "store: memory\nkinds:\n  - kind: Service Level\n    apiVersions: [acme.example/v1, 'not a version!']\n    schema: {}\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(
        &err,
        &file,
        &[(3, 5, "kinds[0].kind"), (4, 36, "kinds[0].apiVersions[1]")],
    );
    // `paved validate` reads the kinds the same way.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("paved.yaml");
    std::fs::write(&config, yaml).unwrap();
    let err = paved::validate(&[], &OpenOptions::default().config(&config)).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{}:3:5: kinds[0].kind: ", config.display())),
        "{err}"
    );
}

#[tokio::test]
async fn plugin_names_taken_twice_point_at_the_second_before_any_loads() {
    // The component files do not exist: the names are checked first.
    let yaml = "store: memory\nplugins:\n  - { name: p, path: a.wasm, kind: guardrail }\n  - { name: p, path: b.wasm, kind: provider }\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(4, 7, "plugins[1].name")]);
    assert!(
        err.to_string().contains("two plugins are named 'p'"),
        "{err}"
    );

    // A Rego policy's guardrail takes the policy's name.
    let yaml = "store: memory\nplugins:\n  - { name: p, path: a.wasm, kind: guardrail }\npolicies:\n  - name: p\n    rego: { policies: [p.rego] }\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    assert_located(&err, &file, &[(5, 5, "policies[0].name")]);
    assert!(err.to_string().contains("like a plugin"), "{err}");
}

#[tokio::test]
async fn the_files_actor_and_store_point_at_their_lines_but_not_those_of_options() {
    let (err, file) = open_err("store: memory\nactor: jane\n", OpenOptions::default()).await;
    assert_located(&err, &file, &[(2, 1, "actor")]);
    let (err, file) = open_err("store: mysql://x\n", OpenOptions::default()).await;
    assert_located(&err, &file, &[(1, 1, "store")]);

    // A bad actor or store given as an option is not the file's: no location,
    // even where the file has the same field.
    let options = OpenOptions::default().actor("jane");
    let (err, _) = open_err("store: memory\nactor: system\n", options).await;
    let Error::Invalid { diagnostics } = &err else {
        panic!("{err}")
    };
    assert_eq!(diagnostics[0].path, "actor");
    assert_eq!(diagnostics[0].location, None, "{err}");
    let options = OpenOptions::default().store("mysql://x");
    let (err, _) = open_err("store: memory\n", options).await;
    let Error::Invalid { diagnostics } = &err else {
        panic!("{err}")
    };
    assert_eq!(diagnostics[0].path, "store");
    assert_eq!(diagnostics[0].location, None, "{err}");
}

#[tokio::test]
async fn a_plugin_that_does_not_load_points_at_its_entry_and_stays_a_plugin_error() {
    let yaml =
        "store: memory\nplugins:\n  - { name: ok-name, path: missing.wasm, kind: guardrail }\n";
    let (err, file) = open_err(yaml, OpenOptions::default()).await;
    let Error::Plugin { plugin, kind, .. } = &err else {
        panic!("expected PLUGIN, got {} ({err})", err.code())
    };
    assert_eq!(
        (plugin.as_str(), *kind),
        ("ok-name", paved::PluginErrorKind::Load)
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("{file}:3:5: plugins[0]: ")),
        "{text}"
    );
    assert!(text.contains("missing.wasm"), "{text}");
}
