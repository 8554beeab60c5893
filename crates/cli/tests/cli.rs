//! The `paved` binary as a user runs it: exit codes, messages that point at
//! the problem, atomic imports, etags, audit verification, and two processes
//! sharing one PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;

use common::*;

#[test]
fn validate_passes_on_the_sample_and_reports_file_line_path_on_broken_copies() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&paved(dir.path(), &["catalog", "validate", s(&catalog())]));
    assert!(out.contains("55 entities"), "{out}");

    let msg = failed(&paved(
        dir.path(),
        &["catalog", "validate", s(&fixture("invalid-name"))],
    ));
    assert!(msg.contains("payments.yaml:"), "{msg}");
    assert!(msg.contains("metadata.name"), "{msg}");
    assert!(msg.contains("payment gateway"), "{msg}");

    let msg = failed(&paved(
        dir.path(),
        &["catalog", "validate", s(&fixture("unknown-kind"))],
    ));
    assert!(msg.contains("Componnet"), "{msg}");

    let msg = failed(&paved(
        dir.path(),
        &["catalog", "validate", s(&fixture("duplicate"))],
    ));
    assert!(msg.to_lowercase().contains("web-shop"), "{msg}");

    // Nothing was created: validate needs no store.
    assert!(!dir.path().join(".paved").exists());
}

#[test]
fn validate_json_gives_one_record_per_entity() {
    let dir = tempfile::tempdir().unwrap();
    let out = failed(&paved(
        dir.path(),
        &[
            "catalog",
            "validate",
            "-o",
            "json",
            s(&fixture("invalid-label")),
        ],
    ));
    let records: serde_json::Value = serde_json::from_str(&out).expect("json");
    let records = records.as_array().unwrap();
    assert!(!records.is_empty());
    let bad: Vec<_> = records.iter().filter(|r| r["valid"] == false).collect();
    assert_eq!(bad.len(), 1, "{records:#?}");
    let r = bad[0];
    assert!(
        r["ref"].as_str().unwrap().starts_with("component:default/"),
        "{r}"
    );
    assert!(
        r["file"].as_str().unwrap().ends_with("payments.yaml"),
        "{r}"
    );
    assert!(r["line"].as_u64().unwrap() > 0, "{r}");
    assert!(
        r["errors"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("metadata.labels"),
        "{r}"
    );
    for good in records.iter().filter(|r| r["valid"] == true) {
        assert!(good["errors"].as_array().unwrap().is_empty());
    }
}

#[test]
fn import_is_atomic_and_reimport_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A good directory plus one broken file: nothing at all is written.
    let mixed = d.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    std::fs::copy(catalog().join("domains.yaml"), mixed.join("domains.yaml")).unwrap();
    std::fs::copy(
        fixture("invalid-name").join("payments.yaml"),
        mixed.join("payments.yaml"),
    )
    .unwrap();
    let msg = failed(&paved(
        d,
        &["catalog", "import", "--mode", "all-or-nothing", s(&mixed)],
    ));
    assert!(msg.contains("nothing was written"), "{msg}");
    assert!(
        !d.join(".paved").exists(),
        "a rejected import created the default store"
    );
    let out = ok(&paved(d, &["catalog", "query", "-o", "json"]));
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        page["total"], 0,
        "a rejected import wrote something: {page}"
    );

    let out = ok(&paved(
        d,
        &["catalog", "import", s(&catalog().join("catalog-info.yaml"))],
    ));
    assert!(out.contains("55 created"), "{out}");
    let out = ok(&paved(
        d,
        &["catalog", "import", s(&catalog().join("catalog-info.yaml"))],
    ));
    assert!(out.contains("55 unchanged"), "{out}");
    // One record per entity and one for the location's read; the re-import
    // changed nothing and found nothing new: no record.
    let out = ok(&paved(d, &["audit", "verify"]));
    assert!(out.contains("56 audit records verified"), "{out}");
}

#[test]
fn a_partial_import_stores_what_passes_reports_the_rest_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = fixture("partial-import").join("catalog-info.yaml");
    let out = paved(d, &["catalog", "import", s(&root)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("9 created"), "{stdout}");
    assert!(
        stderr.contains(
            "partial-import/systems/payments.yaml:27:3 (YAML document 3): spec.lifecycle:"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("conflict: component:default/checkout"),
        "{stderr}"
    );
    assert!(
        stderr.contains("partial import: 2 refused, 1 in conflict"),
        "{stderr}"
    );

    // Again, as JSON: nothing changes, and the import says it is partial.
    let out = paved(d, &["catalog", "import", s(&root), "-o", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let set: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set["partial"], true, "{set}");
    let refused: Vec<&str> = set["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["entity"].as_str().unwrap())
        .collect();
    assert_eq!(
        refused,
        ["component:default/refunds", "api:default/rates-api"]
    );
    assert_eq!(set["conflicts"][0]["entity"], "component:default/checkout");

    let out = ok(&paved(
        d,
        &["catalog", "get", "component:default/ledger", "-o", "json"],
    ));
    let ledger: serde_json::Value = serde_json::from_str(&out).unwrap();
    let location = fixture("partial-import/team-b/components.yaml")
        .canonicalize()
        .unwrap();
    assert_eq!(
        ledger["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("file:{}", location.display())
    );

    // All or nothing on a fresh store: exit 1, nothing written.
    let fresh = tempfile::tempdir().unwrap();
    let msg = failed(&paved(
        fresh.path(),
        &["catalog", "import", "--mode", "all-or-nothing", s(&root)],
    ));
    assert!(
        msg.contains("3 problems found; nothing was written"),
        "{msg}"
    );
    // An unknown mode is a usage error (clap's exit 2) naming the modes.
    let out = paved(d, &["catalog", "import", "--mode", "some", s(&root)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("per-entity or all-or-nothing"));
}

#[test]
fn refresh_and_locations_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = d.join("files");
    std::fs::create_dir(&files).unwrap();
    let component = |name: &str, lifecycle: &str| {
        std::fs::write(
            files.join(format!("{name}.yaml")),
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n\
                 spec:\n  type: service\n  lifecycle: {lifecycle}\n  owner: team-a\n"
            ),
        )
        .unwrap();
    };
    component("one", "production");
    component("two", "production");
    ok(&paved(d, &["catalog", "import", s(&files)]));

    // Nothing changed: exit 0, nothing written.
    let out = ok(&paved(d, &["catalog", "refresh"]));
    assert!(out.contains("2 unchanged"), "{out}");
    assert!(out.contains("0 entities written"), "{out}");

    // One file refused, one gone: exit 3, the refusal with file and line.
    component("one", "[1]");
    std::fs::remove_file(files.join("two.yaml")).unwrap();
    let out = paved(d, &["catalog", "refresh", s(&files)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 orphaned, 1 refused"), "{stdout}");
    assert!(stderr.contains("one.yaml:7:3"), "{stderr}");

    // The locations list says what the last read did.
    let out = ok(&paved(d, &["catalog", "locations", "-o", "json"]));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let last = &listed[0]["lastRead"];
    assert_eq!(last["action"], "catalog.refresh", "{listed}");
    assert_eq!(last["refused"][0]["entity"], "component:default/one");
    assert_eq!(last["orphans"][0], "component:default/two");
    let out = ok(&paved(d, &["catalog", "locations"]));
    assert!(out.contains("1 orphaned, 1 refused"), "{out}");

    // Bad input: an unknown location, a bad interval.
    let msg = failed(&paved(d, &["catalog", "refresh", "/no/such/place"]));
    assert!(
        msg.contains(
            "location '/no/such/place' not found (import it first: paved catalog import PATH-OR-URL)"
        ),
        "{msg}"
    );
    let out = paved(d, &["catalog", "refresh", "--interval", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("is zero"), "{}", text(&out).1);
}

#[test]
fn queries_search_facets_and_graph_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&paved(d, &["catalog", "import", s(&catalog())]));
    let out = ok(&paved(
        d,
        &[
            "catalog",
            "query",
            "kind=component,spec.owner=team-payments",
            "-o",
            "json",
            "--fields",
            "metadata.name",
        ],
    ));
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"checkout-service"), "{names:?}");
    assert!(
        page["items"][0].get("spec").is_none(),
        "projection kept spec"
    );

    // `--order -field` (as the README writes it) is descending, not a flag.
    let out = ok(&paved(
        d,
        &[
            "catalog",
            "query",
            "kind=component,spec.owner=team-payments",
            "--order",
            "-metadata.name",
            "-o",
            "json",
            "--fields",
            "metadata.name",
        ],
    ));
    let desc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let desc: Vec<&str> = desc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    let mut sorted = desc.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(desc, sorted);
    assert!(desc.len() > 1, "{desc:?}");

    // Several fields in one --order, separated by commas, as repeated
    // --order; an empty field between them is an error naming the string.
    let names_of = |order: &[&str]| -> Vec<String> {
        let mut args = vec![
            "catalog",
            "query",
            "-o",
            "json",
            "--fields",
            "metadata.name",
        ];
        for o in order {
            args.extend(["--order", o]);
        }
        let out: serde_json::Value = serde_json::from_str(&ok(&paved(d, &args))).unwrap();
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let comma = names_of(&["-kind,metadata.name"]);
    assert_eq!(comma, names_of(&["-kind", "metadata.name"]));
    assert_ne!(comma, names_of(&["-metadata.name"]), "kind first");
    let msg = failed(&paved(
        d,
        &["catalog", "query", "--order", "kind,,metadata.name"],
    ));
    assert!(
        msg.contains("order[0]") && msg.contains("has an empty field"),
        "{msg}"
    );

    // Filters and a predicate together: an entity must match both.
    let out = ok(&paved(
        d,
        &[
            "catalog",
            "query",
            "kind=component",
            "--predicate",
            r#"{"spec.owner":"team-payments"}"#,
            "-o",
            "json",
        ],
    ));
    let both: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(both["total"], page["total"], "{both}");
    for item in both["items"].as_array().unwrap() {
        assert_eq!(item["kind"], "Component", "{item}");
        assert_eq!(item["spec"]["owner"], "team-payments", "{item}");
    }

    // --all streams every match across pages, one JSON object per line.
    let out = ok(&paved(
        d,
        &["catalog", "query", "--all", "--limit", "7", "-o", "json"],
    ));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 55);
    let out = ok(&paved(d, &["catalog", "query", "--all", "kind=domain"]));
    assert!(out.contains("3 of 3 shown"), "{out}");

    let out = ok(&paved(d, &["catalog", "search", "payment", "-o", "json"]));
    assert!(out.contains("payment-gateway"), "{out}");

    let out = ok(&paved(d, &["catalog", "facets", "kind", "-o", "json"]));
    let facets: serde_json::Value = serde_json::from_str(&out).unwrap();
    let total: u64 = facets["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 55);
    // --limit keeps the most frequent values: the front of the whole list.
    let out = ok(&paved(
        d,
        &["catalog", "facets", "kind", "--limit", "2", "-o", "json"],
    ));
    let top: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        top["facets"].as_array().unwrap()[..],
        facets["facets"].as_array().unwrap()[..2]
    );

    let out = ok(&paved(
        d,
        &[
            "catalog",
            "graph",
            "component:default/web-shop",
            "--depth",
            "3",
            "-o",
            "json",
        ],
    ));
    let graph: serde_json::Value = serde_json::from_str(&out).unwrap();
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["entity_ref"].as_str().unwrap())
        .collect();
    // web-shop consumes checkout-api, provided by checkout-service, which needs orders-db.
    assert!(
        nodes.contains(&"component:default/checkout-service"),
        "{nodes:?}"
    );
    assert!(nodes.contains(&"resource:default/orders-db"), "{nodes:?}");
    assert_eq!(
        graph["limit"], 1000,
        "paved's graph limit when none is given"
    );
    assert_eq!(graph["truncated"], false);

    // --limit stops the walk, and the output says so.
    let out = ok(&paved(
        d,
        &[
            "catalog",
            "graph",
            "component:default/web-shop",
            "--depth",
            "3",
            "--limit",
            "2",
        ],
    ));
    assert!(
        out.contains("2 entities") && out.contains("stopped at 2 entities (--limit)"),
        "{out}"
    );

    let msg = failed(&paved(d, &["catalog", "get", "component:default/nope"]));
    assert!(msg.contains("not found"), "{msg}");
}

#[test]
fn stale_etag_is_a_conflict_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&paved(d, &["catalog", "import", s(&catalog())]));
    let out = ok(&paved(
        d,
        &["catalog", "get", "component:default/ui-kit", "-o", "json"],
    ));
    let mut e: serde_json::Value = serde_json::from_str(&out).unwrap();
    let etag = e["metadata"]["etag"].as_str().unwrap().to_string();
    e["metadata"]["description"] = "edited".into();
    e.as_object_mut().unwrap().remove("relations");
    std::fs::write(d.join("e.json"), e.to_string()).unwrap();
    ok(&paved(d, &["catalog", "upsert", "e.json", "--etag", &etag]));
    e["metadata"]["description"] = "edited again".into();
    std::fs::write(d.join("e.json"), e.to_string()).unwrap();
    let out = paved(
        d,
        &["catalog", "upsert", "e.json", "--etag", &etag, "-o", "json"],
    );
    let msg = failed(&out);
    let err: serde_json::Value = serde_json::from_str(&msg).unwrap();
    assert_eq!(err["error"]["code"], "CONFLICT");
    assert_eq!(err["error"]["details"]["expected"], etag.as_str());
    assert_ne!(err["error"]["details"]["found"], etag.as_str());
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("conflict")
    );
    let out = ok(&paved(
        d,
        &["catalog", "get", "component:default/ui-kit", "-o", "json"],
    ));
    assert!(
        out.contains("\"edited\""),
        "the conflicting write changed the entity"
    );
}

#[test]
fn audit_verify_finds_a_tampered_record() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&paved(d, &["catalog", "import", s(&catalog())]));
    ok(&paved(d, &["audit", "verify"]));
    let db = rusqlite::Connection::open(d.join(".paved/paved.db")).unwrap();
    let changed = db
        .execute(
            "UPDATE audit SET actor = 'user:default/mallory' WHERE seq = 7",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let msg = failed(&paved(d, &["audit", "verify"]));
    assert!(msg.contains("broken at record 7"), "{msg}");
}

#[test]
fn unusable_stores_give_errors_a_person_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = failed(&paved(
        d,
        &[
            "catalog",
            "query",
            "--store",
            "postgres://postgres@127.0.0.1:5499/nope",
        ],
    ));
    assert!(msg.contains("127.0.0.1") && msg.contains("5499"), "{msg}");

    let msg = failed(&paved(d, &["catalog", "query", "--store", "mysql://x"]));
    assert!(msg.contains("expected sqlite:PATH"), "{msg}");

    // A read-only SQLite file (root ignores file modes, so use a read-only mount
    // substitute: a path whose parent is a regular file cannot be created).
    std::fs::write(d.join("not-a-dir"), "x").unwrap();
    let msg = failed(&paved(
        d,
        &[
            "catalog",
            "import",
            s(&catalog()),
            "--store",
            "sqlite:not-a-dir/paved.db",
        ],
    ));
    assert!(msg.contains("not-a-dir"), "{msg}");
}

#[test]
fn a_bad_paved_yaml_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("paved.yaml"),
        "store: memory\npolicies:\n  - name: a\n    guardrail: missing\n",
    )
    .unwrap();
    // `./paved.yaml`, read because it exists, is named as it was found.
    let msg = failed(&paved(d, &["catalog", "query"]));
    assert!(
        msg.lines().any(|l| l.starts_with(
            "paved.yaml:4:5: policies[0].guardrail: policy 'a' names guardrail 'missing'"
        )),
        "{msg}"
    );
}

#[test]
fn schema_export_writes_schemas_for_kinds_and_config() {
    let dir = tempfile::tempdir().unwrap();
    ok(&paved(dir.path(), &["schema", "export", "schemas"]));
    let names: Vec<String> = std::fs::read_dir(dir.path().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "entity.schema.json"), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("paved-config")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.to_lowercase().contains("component")),
        "{names:?}"
    );
}

#[test]
fn two_processes_on_one_postgres_see_each_others_writes_and_events() {
    let db = PgDb::create();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Create the schema first so the watcher and the writer don't race on migrations.
    ok(&paved(d, &["catalog", "query", "--store", &url]));

    // Process A watches.
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_paved"))
        .current_dir(d)
        .args([
            "events",
            "watch",
            "--count",
            "3",
            "--timeout",
            "60",
            "--store",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is listening.
    let mut err = BufReader::new(watcher.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("watching events"), "{line}");
    std::thread::sleep(Duration::from_millis(300));

    // Process B writes.
    ok(&paved(
        d,
        &[
            "catalog",
            "import",
            s(&catalog().join("domains.yaml")),
            "--store",
            &url,
        ],
    ));

    let out = watcher.wait_with_output().unwrap();
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    for e in &events {
        assert_eq!(e["kind"], "entity.created");
        assert!(
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("domain:default/"),
            "{e}"
        );
    }

    // And process C reads what B wrote.
    let out = ok(&paved(
        d,
        &[
            "catalog",
            "query",
            "kind=domain",
            "-o",
            "json",
            "--store",
            &url,
        ],
    ));
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["total"], 3);
}

#[test]
fn plugin_review_with_a_plugin_file_reads_the_platforms_catalogue() {
    let plugins = example_plugins();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&paved(d, &["catalog", "import", s(&catalog())]));
    let change = |owner: &str| {
        serde_json::json!({
            "subject": {"entity": "component:default/new-thing"},
            "operation": "create",
            "after": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                      "metadata": {"name": "new-thing"},
                      "spec": {"type": "service", "lifecycle": "production", "owner": owner}}
        })
        .to_string()
    };
    std::fs::write(d.join("good.json"), change("team-payments")).unwrap();
    std::fs::write(d.join("bad.json"), change("team-nobody")).unwrap();
    let wasm = plugins.join("require_owner.wasm");
    let review = |file: &str| {
        let out = ok(&paved(
            d,
            &[
                "plugin",
                "review",
                "--plugin-file",
                s(&wasm),
                "--grant",
                "catalogue",
                "--change",
                file,
                "-o",
                "json",
            ],
        ));
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let v = review("good.json");
    assert_eq!(v["verdict"], "allow", "{v}");
    let v = review("bad.json");
    assert_eq!(v["verdict"], "deny", "{v}");
    assert_eq!(v["violations"][0]["path"], "spec.owner", "{v}");

    // The plugin is named after its file; another name is not found.
    let msg = failed(&paved(
        d,
        &[
            "plugin",
            "describe",
            "nope",
            "--plugin-file",
            s(&wasm),
            "-o",
            "json",
        ],
    ));
    let err: serde_json::Value = serde_json::from_str(&msg).unwrap();
    assert_eq!(err["error"]["code"], "NOT_FOUND", "{err}");
    let out = ok(&paved(
        d,
        &["plugin", "list", "--plugin-file", s(&wasm), "-o", "json"],
    ));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        list,
        serde_json::json!([{"name": "require_owner", "kind": "guardrail"}])
    );

    // Settings are validated when the plugin loads: a clear error, exit 1.
    let msg = failed(&paved(
        d,
        &[
            "plugin",
            "check",
            s(&plugins.join("naming_convention.wasm")),
            "--settings",
            r#"{"kinds": 1}"#,
        ],
    ));
    assert!(msg.contains("settings"), "{msg}");
    // And a good load answers with what the plugin says of itself.
    let out = ok(&paved(
        d,
        &[
            "plugin",
            "inspect",
            s(&plugins.join("naming_convention.wasm")),
            "-o",
            "json",
        ],
    ));
    let i: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(i["world"], "guardrail", "{i}");
}

#[test]
fn plugin_apply_through_the_platform_is_audited_with_the_actor() {
    let plugins = example_plugins();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let request = serde_json::json!({
        "address": {"resourceType": "local.directory", "name": "notes"},
        "params": {"files": {"README.md": "hello"}}
    });
    std::fs::write(d.join("apply.json"), request.to_string()).unwrap();
    let wasm = plugins.join("local_directory.wasm");
    let grant = format!("dir={}:/data:rw", s(&data));
    let apply = |actor: &str| {
        paved(
            d,
            &[
                "plugin",
                "apply",
                "--plugin-file",
                s(&wasm),
                "--grant",
                &grant,
                "--request",
                "apply.json",
                "--actor",
                actor,
                "-o",
                "json",
            ],
        )
    };

    // A bad actor is refused: exit 1, no directory, no store.
    let msg = failed(&apply("not a ref"));
    let err: serde_json::Value = serde_json::from_str(&msg).unwrap();
    assert_eq!(err["error"]["code"], "VALIDATION", "{err}");
    assert!(msg.contains("not a ref"), "{msg}");
    assert!(!data.join("notes").exists(), "a refused apply wrote files");
    assert!(
        !d.join(".paved").exists(),
        "a refused apply created a store"
    );

    let out = ok(&apply("user:default/jane"));
    let applied: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(applied.get("state").is_some(), "{applied}");
    assert_eq!(
        std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
        "hello"
    );

    let out = ok(&paved(d, &["audit", "list", "-o", "json"]));
    let records: serde_json::Value = serde_json::from_str(&out).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["action"], "resource.apply");
    assert_eq!(records[0]["actor"], "user:default/jane");
    assert_eq!(records[0]["subject"], "local.directory/notes");
    ok(&paved(d, &["audit", "verify"]));
}

#[test]
fn scorecards_show_an_entity_a_team_and_the_recorded_trend() {
    let dir = tempfile::tempdir().unwrap();
    let config = root().join("examples/policies/paved.yaml");
    let run = |args: &[&str]| {
        let mut all = vec!["--config", s(&config)];
        all.extend_from_slice(args);
        paved(dir.path(), &all)
    };
    ok(&run(&["catalog", "import", s(&catalog())]));
    let list = ok(&run(&["scorecard", "list"]));
    assert!(
        list.contains("bronze (catalog-rules) < silver (component-is-documented) < gold"),
        "{list}"
    );
    let one = ok(&run(&[
        "scorecard",
        "show",
        "component:default/checkout-service",
    ]));
    assert!(
        one.contains(
            "component:default/checkout-service on production-readiness: silver (2 of 3 rules pass, 66%); next: gold"
        ),
        "{one}"
    );
    assert!(
        one.contains("  FAIL gold     component-is-operable"),
        "{one}"
    );
    assert!(
        one.contains("fix: Component checkout-service has no links"),
        "{one}"
    );
    let team = ok(&run(&[
        "scorecard",
        "show",
        "--team",
        "group:default/team-payments",
    ]));
    assert!(
        team.contains(
            "group:default/team-payments on production-readiness: 4 entities (none 0, bronze 3, silver 1, gold 0); 5 of 12 rules pass, 41%"
        ),
        "{team}"
    );
    let dry = ok(&run(&["scorecard", "record", "--dry-run"]));
    assert!(
        dry.contains("dry run: would record 4 team snapshot(s)"),
        "{dry}"
    );
    ok(&run(&["scorecard", "record", "--actor", "user:default/ci"]));
    let history = ok(&run(&[
        "scorecard",
        "history",
        "--team",
        "group:default/team-payments",
        "-o",
        "json",
    ]));
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["below"], 0);
    assert_eq!(history[0]["levels"][0]["entities"], 3);
    let unknown = failed(&run(&[
        "scorecard",
        "show",
        "component:default/web-shop",
        "--scorecard",
        "nope",
    ]));
    assert!(unknown.contains("scorecard 'nope' not found"), "{unknown}");
}

/// A delete held for approval in one process, listed and approved from
/// others, on one PostgreSQL: two approvers racing in two processes write
/// it exactly once.
#[test]
fn approvals_across_processes_on_postgres_apply_a_held_change_once() {
    let db = PgDb::create();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let config = root().join("examples/access/paved.yaml");
    let args = |extra: &[&str]| {
        let mut all: Vec<String> = ["--config", s(&config), "--store", &url]
            .iter()
            .map(|a| a.to_string())
            .collect();
        all.extend(extra.iter().map(|a| a.to_string()));
        all
    };
    let run = |extra: &[&str]| {
        let all = args(extra);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        paved(dir.path(), &all)
    };
    let gateway = "component:default/payment-gateway";
    ok(&run(&["catalog", "import", s(&catalog())]));
    let held = failed(&run(&[
        "catalog",
        "delete",
        gateway,
        "--actor",
        "user:default/diego.ramirez",
        "-o",
        "json",
    ]));
    let held: serde_json::Value = serde_json::from_str(&held).unwrap();
    assert_eq!(held["error"]["code"], "PENDING_APPROVAL", "{held}");
    let id = held["error"]["details"]["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let text = failed(&run(&[
        "catalog",
        "delete",
        gateway,
        "--actor",
        "user:default/diego.ramirez",
        "--dry-run",
    ]));
    assert!(
        text.contains("payment-gateway runs in production")
            && text.contains("would be held until a member of group:default/team-platform"),
        "{text}"
    );

    let pending = ok(&run(&["approval", "list", "--status", "pending"]));
    assert!(
        pending.contains(&id) && pending.contains("deleted component:default/payment-gateway"),
        "{pending}"
    );
    let own = failed(&run(&[
        "approval",
        "approve",
        &id,
        "--actor",
        "user:default/diego.ramirez",
    ]));
    assert!(
        own.contains("asked for this change and cannot approve it"),
        "{own}"
    );
    let outsider = failed(&run(&[
        "approval",
        "approve",
        &id,
        "--actor",
        "user:default/gustav.lind",
    ]));
    assert!(
        outsider.contains("is not a member of group:default/team-platform"),
        "{outsider}"
    );
    ok(&run(&["catalog", "get", gateway]));

    // Two platform-team members approve at once, each in its own process.
    let racers: Vec<std::process::Child> = ["ivan.petrov", "julia.novak"]
        .iter()
        .map(|who| {
            let actor = format!("user:default/{who}");
            Command::new(env!("CARGO_BIN_EXE_paved"))
                .current_dir(dir.path())
                .args(args(&["approval", "approve", &id, "--actor", &actor]))
                .env_remove("PAVED_STORE")
                .env_remove("PAVED_CONFIG")
                .env_remove("PAVED_ACTOR")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let won: Vec<&Output> = outputs.iter().filter(|o| o.status.success()).collect();
    assert_eq!(won.len(), 1, "exactly one approval applies: {outputs:?}");
    let lost = outputs.iter().find(|o| !o.status.success()).unwrap();
    let lost = failed(lost);
    assert!(
        lost.contains("was decided meanwhile") || lost.contains("is applied"),
        "{lost}"
    );
    assert!(ok(won[0]).contains(&format!("approval {id}: applied")));

    let gone = failed(&run(&["catalog", "get", gateway]));
    assert!(gone.contains("not found"), "{gone}");
    let shown = ok(&run(&["approval", "show", &id, "-o", "json"]));
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["status"], "applied");
    assert_eq!(shown["requestedBy"], "user:default/diego.ramirez");
    let deletes = ok(&run(&["audit", "list", "-o", "json", "--limit", "1000"]));
    let deletes: serde_json::Value = serde_json::from_str(&deletes).unwrap();
    let count = deletes
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "entity.delete")
        .count();
    assert_eq!(count, 1, "the held delete was written once");
    ok(&run(&["audit", "verify"]));
}

/// `paved::surface::OPERATIONS`, as the facade's `surface()` gives it.
fn operations() -> Vec<serde_json::Value> {
    match paved::surface::surface() {
        serde_json::Value::Array(rows) => rows,
        other => panic!("surface() is not a list: {other}"),
    }
}

#[test]
fn every_operation_of_the_surface_has_its_cli_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for row in operations() {
        let Some(cli) = row["cli"].as_str() else {
            continue;
        };
        // `catalog query --all`: the words are the command, the flags must
        // appear in its help; `--output json (error.code)` is a global flag.
        let words: Vec<&str> = cli
            .split_whitespace()
            .take_while(|w| !w.starts_with('-'))
            .collect();
        let flags: Vec<&str> = cli
            .split_whitespace()
            .filter(|w| w.starts_with("--"))
            .collect();
        let mut args = words.clone();
        args.push("--help");
        let help = ok(&paved(dir.path(), &args));
        for flag in flags {
            assert!(
                help.contains(flag),
                "`paved {}` has no {flag} (surface row {})",
                words.join(" "),
                row["name"]
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} rows name a CLI command");
}

/// A Policy entity whose inline Rego does not compile is refused at the
/// catalogue file's line of the error, not the module's.
#[test]
fn a_rego_error_in_a_policy_entity_names_the_files_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-platform }\n\
         spec: { type: team, children: [] }\n---\n\
         apiVersion: paved.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: components-need-a-lifecycle\n\
         spec:\n  owner: group:default/team-platform\n  rego:\n    module: |\n\
         \x20     package paved.lifecycle\n\
         \x20     deny contains msg if {\n\
         \x20       input.after.kind == \"Component\"\n\
         \x20       msg := = \"x\"\n\
         \x20     }\n\
         \x20 match: { operations: [entity.create] }\n",
    )
    .unwrap();
    let out = paved(dir.path(), &["catalog", "import", "policy.yaml"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "partial: {stderr}");
    // Line 4 of the module is line 17 of the file; its text is indented by 6.
    assert!(
        stderr.contains(
            "policy.yaml:17:16 (YAML document 2): spec.rego.module: the Rego policy does not load: \
             line 4, column 10 of the module: "
        ),
        "{stderr}"
    );
}

#[test]
fn a_policy_entity_reviews_the_next_write_and_its_finding_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let policies = root().join("examples/policies/catalog");
    ok(&paved(dir.path(), &["catalog", "import", s(&policies)]));
    let listed = ok(&paved(dir.path(), &["policy", "list"]));
    assert!(
        listed.contains("policy:default/components-have-a-tier"),
        "{listed}"
    );
    let file = dir.path().join("untiered.yaml");
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: untiered }\n\
         spec: { type: service, lifecycle: experimental, owner: team-a }\n",
    )
    .unwrap();
    let out = paved(dir.path(), &["catalog", "upsert", s(&file)]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 created"), "{stdout}");
    assert!(
        stderr.contains(
            "Policy 'policy:default/components-have-a-tier' would deny (warn mode, not enforced)"
        ) && stderr.contains("metadata.labels.tier: give the component a tier")
            && stderr.contains("`paved policy why "),
        "{stderr}"
    );
}

/// `paved policy eval|test|why|decisions` on the example policies: a change
/// the policies refuse, explained; the fixed change passing; the fixtures
/// passing and a wrong expectation failing with exit code 1.
#[test]
fn policy_eval_test_why_and_decisions_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = root().join("examples/policies/paved.yaml");
    let run = |args: &[&str]| {
        let mut all = vec!["--config", s(&config)];
        all.extend_from_slice(args);
        paved(d, &all)
    };
    let component = |lifecycle: &str| {
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: billing }}\n\
             spec: {{ type: service, lifecycle: {lifecycle}, owner: team-payments }}\n"
        )
    };
    std::fs::write(d.join("bad.yaml"), component("someday")).unwrap();
    std::fs::write(d.join("good.yaml"), component("production")).unwrap();

    // Tried without writing: refused (exit 1), in words; the fix passes.
    let refused = failed(&run(&["policy", "eval", "bad.yaml"]));
    assert!(
        refused
            .contains("Policy 'catalog-rules' denied entity.create of component:default/billing")
            && refused.contains(r#"lifecycle "someday" is not one of"#),
        "{refused}"
    );
    let passed = ok(&run(&["policy", "eval", "good.yaml"]));
    assert!(!passed.contains("denied"), "{passed}");

    // Written: refused, its decision recorded and explained by id.
    let err = run(&["catalog", "import", "bad.yaml", "-o", "json"]);
    assert_eq!(err.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&err.stdout).unwrap();
    assert_eq!(err["error"]["code"], "DENIED", "{err}");
    let id = err["error"]["details"]["decisions"][0]["id"].to_string();
    let why = ok(&run(&["policy", "why", &id]));
    assert!(
        why.contains("Policy 'catalog-rules' denied")
            && why.contains("The guardrail's code: sha256:")
            && why.contains(
                r#"To pass, fix:
  - Component billing: lifecycle "someday" is not one of"#
            ),
        "{why}"
    );
    let found = ok(&run(&[
        "policy",
        "decisions",
        "--subject",
        "component:default/billing",
        "--blocking",
        "-o",
        "json",
    ]));
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"].to_string(), id);
    ok(&run(&["catalog", "import", "good.yaml"]));
    let none = ok(&run(&[
        "policy",
        "decisions",
        "--subject",
        "component:default/billing",
        "--blocking",
    ]));
    assert_eq!(none.matches("catalog-rules").count(), 1, "{none}");

    // Fixtures: the examples pass; a case expecting the wrong verdict fails.
    let tests = root().join("examples/policies/tests");
    let report = ok(&run(&["policy", "test", s(&tests)]));
    assert!(report.contains("15 passed, 0 failed"), "{report}");
    std::fs::write(
        d.join("wrong.test.yaml"),
        format!(
            "policy: catalog-rules\ncases:\n  - name: expects the wrong verdict\n    after:\n      {}\n    expect: allow\n",
            component("someday").trim_end().replace('\n', "\n      ")
        ),
    )
    .unwrap();
    let wrong = failed(&run(&["policy", "test", "wrong.test.yaml"]));
    assert!(
        wrong.contains("FAIL") && wrong.contains("expects the wrong verdict"),
        "{wrong}"
    );
    assert!(wrong.contains("0 passed, 1 failed"), "{wrong}");
}

/// A wasm guardrail that traps or hangs, bound in `paved.yaml`, on real
/// writes from the shell: the enforcing binding fails closed (refused,
/// nothing written, the decision says why and `policy why` explains it);
/// the one that fails open lets the write through and records the failure.
#[test]
fn a_guardrail_that_traps_or_hangs_fails_closed_unless_its_binding_fails_open() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hostile = example_plugins().join("hostile.wasm");
    std::fs::write(
        d.join("paved.yaml"),
        format!(
            "pluginCache: plugin-cache\n\
             plugins:\n  - name: hostile\n    path: {}\n    kind: guardrail\n    \
             settings: {{ mode: panic }}\n    limits: {{ timeoutMs: 300 }}\n\
             policies:\n\
             \x20 - name: strict\n    guardrail: hostile\n    match: {{ kinds: [Component] }}\n\
             \x20 - name: lenient\n    guardrail: hostile\n    settings: {{ mode: loop }}\n    \
             failure: open\n    match: {{ kinds: [System] }}\n",
            s(&hostile)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("component.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: billing }\n\
         spec: { type: service, lifecycle: production, owner: team-payments }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("system.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: { name: payments }\n\
         spec: { owner: team-payments }\n",
    )
    .unwrap();

    // The guest panics (a wasm trap): refused, nothing written.
    let out = paved(d, &["catalog", "import", "component.yaml", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "DENIED", "{err}");
    let decision = &err["error"]["details"]["decisions"][0];
    assert_eq!(decision["policy"], "strict", "{decision}");
    assert_eq!(decision["verdict"], "deny", "{decision}");
    let failure = decision["failure"].as_str().unwrap();
    assert!(failure.contains("trap"), "{failure}");
    let gone = paved(d, &["catalog", "get", "component:default/billing"]);
    assert_eq!(gone.status.code(), Some(1), "a refused write was stored");
    let why = ok(&paved(d, &["policy", "why", &decision["id"].to_string()]));
    assert!(
        why.contains("The guardrail could not review the change")
            && why.contains("The policy fails closed, so this counts as a deny"),
        "{why}"
    );

    // The guest loops past its deadline; the binding fails open: written,
    // and the failure is on record.
    ok(&paved(d, &["catalog", "import", "system.yaml"]));
    ok(&paved(d, &["catalog", "get", "system:default/payments"]));
    let found: serde_json::Value = serde_json::from_str(&ok(&paved(
        d,
        &["policy", "decisions", "--policy", "lenient", "-o", "json"],
    )))
    .unwrap();
    let lenient = &found[0];
    assert_eq!(lenient["verdict"], "allow", "{found}");
    assert!(
        lenient["failure"].as_str().unwrap().contains("deadline"),
        "{found}"
    );
}
