//! `paved path …` and `paved metrics` as a user runs them, on a real
//! SQLite store: a small golden path (`fixtures/paths/web-service`: a
//! skeleton with a templated file name and content, an `fs:rename`, its
//! `catalog-info.yaml` registered, a note copied, a log line) imported with
//! `paved catalog import`, previewed without writing anything, run, failed
//! at run time and rolled back, killed with SIGKILL and resumed without
//! doing anything twice; escapes from the workspace, bad parameters, an
//! unknown action and a policy's deny refused with clear messages; a
//! snapshot test; the metrics counting the runs.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;

use common::*;

const TEMPLATE: &str = "template:default/web-service";

/// Copy the directory `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A platform directory: paved.yaml (leases of one second, so a killed
/// run is seen as interrupted soon) and the fixture golden path copied in
/// and imported. Returns the Template's directory.
fn platform(d: &Path) -> PathBuf {
    std::fs::write(d.join("paved.yaml"), "resources:\n  leaseTtl: 1s\n").unwrap();
    let template = d.join("web-service");
    copy_dir(
        &root().join("crates/cli/tests/fixtures/paths/web-service"),
        &template,
    );
    let out = ok(&paved(
        d,
        &["catalog", "import", "web-service/template.yaml"],
    ));
    assert!(out.contains(&format!("Created: {TEMPLATE}")), "{out}");
    template
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Every file under `dir`, relative and sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// The ids of the runs, newest first.
fn runs(d: &Path) -> Vec<Value> {
    json(&paved(d, &["path", "runs", "-o", "json"]))
        .as_array()
        .unwrap()
        .clone()
}

/// The audit records with `action` about `subject`.
fn audited(d: &Path, action: &str, subject: &str) -> usize {
    let all = json(&paved(
        d,
        &["audit", "list", "-o", "json", "--limit", "1000"],
    ));
    all.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == action && r["subject"] == subject)
        .count()
}

/// The line (1-based) of the first line of `file` holding `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in {}", file.display()))
        + 1
}

#[test]
fn list_show_and_a_dry_run_that_shows_everything_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    platform(d);

    let list = ok(&paved(d, &["path", "list"]));
    assert!(
        list.contains(TEMPLATE) && list.contains("group:default/platform"),
        "{list}"
    );
    let listed = json(&paved(d, &["path", "list", "-o", "json"]));
    assert_eq!(listed[0]["type"], "service");
    assert!(listed[0].get("problems").is_none(), "{listed}");

    let shown = ok(&paved(d, &["path", "show", "web-service"]));
    for field in [
        "name",
        "owner",
        "port",
        "integer",
        "8080",
        "pattern ^[a-z][a-z0-9-]*$",
    ] {
        assert!(shown.contains(field), "{field}: {shown}");
    }
    for step in [
        "1. fetch (fetch:template)",
        "2. rename (fs:rename)",
        "3. register (catalog:register)",
        "debug:log",
    ] {
        assert!(shown.contains(step), "{step}: {shown}");
    }
    assert!(shown.contains("it can run"), "{shown}");

    // Parameters from a file, one overridden by --set (read as JSON: a number).
    std::fs::write(
        d.join("params.json"),
        r#"{"name": "shop", "owner": "team-a", "port": 80}"#,
    )
    .unwrap();
    let ws = d.join("ws");
    let preview = ok(&paved(
        d,
        &[
            "path",
            "dry-run",
            "web-service",
            "--input",
            "params.json",
            "--set",
            "port=9090",
            "--workspace",
            s(&ws),
        ],
    ));
    for line in [
        "  + src/shop.py",
        "      | PORT = 9090",
        "  + config/shop.yaml",
        "  + catalog-info.yaml",
        "      |   name: shop",
        "  + NOTES.txt",
        "  + component:default/shop (created, by step register)",
        "rename settings.yaml to config/shop.yaml",
        "token (debug:log): Say which token deploys it — skipped",
        "link: In the catalogue: component:default/shop",
        "digest: ",
        "dry run: nothing was written",
    ] {
        assert!(preview.contains(line), "{line}\n{preview}");
    }
    let plan = json(&paved(
        d,
        &[
            "path",
            "dry-run",
            "web-service",
            "--input",
            "params.json",
            "--set",
            "port=9090",
            "--workspace",
            s(&ws),
            "-o",
            "json",
        ],
    ));
    let paths: Vec<&str> = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "NOTES.txt",
            "catalog-info.yaml",
            "config/shop.yaml",
            "src/shop.py"
        ]
    );
    let py = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/shop.py")
        .unwrap();
    assert_eq!(py["action"], "create");
    assert_eq!(
        py["content"],
        "\"\"\"The shop service.\"\"\"\n\nPORT = 9090\n"
    );
    assert_eq!(plan["parameters"]["port"], 9090);
    assert_eq!(plan["entities"][0]["entityRef"], "component:default/shop");
    let annotations = &plan["entities"][0]["entity"]["metadata"]["annotations"];
    assert_eq!(annotations["paved.dev/template"], TEMPLATE);
    assert_eq!(plan["blocked"], false);
    assert_eq!(plan["digest"].as_str().unwrap().len(), 32);

    // Nothing was written: no workspace, no entity, no run.
    assert!(!ws.exists());
    assert!(!d.join(".paved/workspaces").exists());
    let gone = failed(&paved(d, &["catalog", "get", "component:default/shop"]));
    assert!(gone.contains("not found"), "{gone}");
    assert!(runs(d).is_empty());
    let entities = json(&paved(d, &["catalog", "query", "-o", "json"]));
    assert_eq!(entities["total"], 1, "{entities}");
}

#[test]
fn a_run_writes_the_files_and_registers_the_component_with_its_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    platform(d);
    let secret = "hunter2-deploy-token";
    let out = paved(
        d,
        &[
            "path",
            "run",
            "web-service",
            "--set",
            "name=shop",
            "--set",
            "owner=team-a",
            "--secret",
            &format!("token={secret}"),
        ],
    );
    let shown = ok(&out);
    // Each step as it went, then the outcome with the Template's output.
    let order = [
        "[fetch] started: Render the skeleton",
        "[fetch] done",
        "[rename] done",
        "[register] done",
        "[notes] done",
        "  log: deploys with the token ***",
        "  log: made shop for team-a",
        "[log] done",
        " succeeded in ",
        "  link: In the catalogue: component:default/shop",
        "  Next: serve it on port 8080",
    ];
    let mut at = 0;
    for line in order {
        let found = shown[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line} (in order)\n{shown}"));
        at += found + line.len();
    }
    assert!(
        !format!("{:?}", text(&out)).contains(secret),
        "the secret was printed"
    );

    let run = &runs(d)[0];
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["interrupted"], false);
    assert_eq!(run["team"], "team-a");

    let ws = d.join(".paved/workspaces").join(&id);
    assert_eq!(
        files(&ws),
        [
            "NOTES.txt",
            "catalog-info.yaml",
            "config/shop.yaml",
            "src/shop.py"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("config/shop.yaml")).unwrap(),
        "service: shop\nport: 8080\n"
    );
    let component = json(&paved(
        d,
        &["catalog", "get", "component:default/shop", "-o", "json"],
    ));
    let annotations = &component["metadata"]["annotations"];
    assert_eq!(annotations["paved.dev/template"], TEMPLATE, "{component}");
    assert_eq!(annotations["paved.dev/run"], id.as_str());
    assert_eq!(annotations["backstage.io/source-template"], TEMPLATE);
    assert_eq!(component["spec"]["owner"], "team-a");
    let made = json(&paved(
        d,
        &["catalog", "query", "kind=component", "-o", "json"],
    ));
    assert_eq!(
        made["items"][0]["metadata"]["annotations"]["paved.dev/run"],
        id.as_str(),
        "{made}"
    );

    let info = json(&paved(d, &["path", "run-info", &id, "-o", "json"]));
    assert_eq!(info["status"], "succeeded");
    assert_eq!(info["template"], TEMPLATE);
    let statuses: Vec<&str> = info["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["done", "done", "done", "skipped", "done", "done", "done"]
    );
    let described = ok(&paved(d, &["path", "run-info", &id]));
    assert!(described.contains("status: succeeded"), "{described}");
    assert!(
        described.contains("register component:default/shop"),
        "{described}"
    );
    // The secret is nowhere: not in the record, not in the store's files.
    assert!(!info.to_string().contains(secret));
    for f in files(&d.join(".paved")) {
        let bytes = std::fs::read(d.join(".paved").join(&f)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the secret is in .paved/{f}"
        );
    }
    let list = ok(&paved(d, &["path", "runs", "web-service"]));
    assert!(
        list.contains(&id) && list.contains("succeeded") && list.contains("7/7"),
        "{list}"
    );
}

#[test]
fn a_run_given_its_previews_digest_runs_it_and_a_stale_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = platform(d);
    let set = ["--set", "name=shop", "--set", "owner=team-a"];
    let digest_of = |d: &Path| {
        let plan = json(&paved(
            d,
            &[&["path", "dry-run", "web-service", "-o", "json"][..], &set].concat(),
        ));
        plan["digest"].as_str().unwrap().to_string()
    };
    let before = digest_of(d);
    // The skeleton changes after the preview: the run would do something
    // else, so it is refused before anything happens.
    std::fs::write(template.join("notes.txt"), "new notes\n").unwrap();
    let stale = failed(&paved(
        d,
        &[
            &["path", "run", "web-service", "--expect-digest", &before][..],
            &set,
        ]
        .concat(),
    ));
    assert!(
        stale.contains("expectDigest") && stale.contains("preview it again"),
        "{stale}"
    );
    assert!(runs(d).is_empty());
    assert!(!d.join(".paved/workspaces").exists());
    // Previewed again, the same plan runs.
    let digest = digest_of(d);
    assert_ne!(digest, before);
    let out = ok(&paved(
        d,
        &[
            &["path", "run", "web-service", "--expect-digest", &digest][..],
            &set,
        ]
        .concat(),
    ));
    assert!(out.contains(" succeeded in "), "{out}");
}

/// Start `paved path run …` with its output piped.
fn spawn(d: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_paved"))
        .current_dir(d)
        .args(args)
        .env_remove("PAVED_STORE")
        .env_remove("PAVED_CONFIG")
        .env_remove("PAVED_ACTOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run paved")
}

#[test]
fn a_step_failing_at_run_time_rolls_back_what_the_run_did_and_metrics_count_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = platform(d);
    ok(&paved(
        d,
        &[
            "path",
            "run",
            "web-service",
            "--set",
            "name=shop",
            "--set",
            "owner=team-a",
        ],
    ));

    // The run waits before copying the notes; the notes change meanwhile,
    // so that step would no longer do what was previewed: it fails, and
    // the files, the rename and the registration before it are undone.
    let ws = d.join("cart-ws");
    let mut child = spawn(
        d,
        &[
            "path",
            "run",
            "web-service",
            "--set",
            "name=cart",
            "--set",
            "owner=team-b",
            "--set",
            "pause=1500",
            "--workspace",
            s(&ws),
        ],
    );
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut shown = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the run ended before pausing:\n{shown}"
        );
        shown.push_str(&line);
        if line.starts_with("[pause] started") {
            break;
        }
    }
    // Live: the steps before the pause are done, in the workspace and the catalogue.
    assert!(ws.join("src/cart.py").exists());
    ok(&paved(d, &["catalog", "get", "component:default/cart"]));
    std::fs::write(template.join("notes.txt"), "changed meanwhile\n").unwrap();
    std::io::Read::read_to_string(&mut stdout, &mut shown).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{shown}");
    for line in [
        "[notes] FAILED: spec.steps[4]: step notes would now do something other than its preview",
        "[register] undone: removed component:default/cart from the catalogue",
        "[rename] undone: renamed config/cart.yaml back to settings.yaml",
        "[fetch] undone: removed src/cart.py",
        "failed in ",
        "and was rolled back: step notes failed",
        "  undone: removed catalog-info.yaml",
    ] {
        assert!(shown.contains(line), "{line}\n{shown}");
    }
    assert_eq!(files(&ws), Vec::<String>::new(), "files left behind");
    let gone = failed(&paved(d, &["catalog", "get", "component:default/cart"]));
    assert!(gone.contains("not found"), "{gone}");
    // The first run's component is untouched.
    ok(&paved(d, &["catalog", "get", "component:default/shop"]));

    let run = &runs(d)[0];
    assert_eq!(run["status"], "rolled-back");
    let id = run["id"].as_str().unwrap();
    let info = json(&paved(d, &["path", "run-info", id, "-o", "json"]));
    assert_eq!(info["status"], "rolled-back");
    let undone: Vec<&str> = info["undone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert_eq!(
        undone,
        [
            "removed component:default/cart from the catalogue",
            "renamed config/cart.yaml back to settings.yaml",
            "removed src/cart.py",
            "removed settings.yaml",
            "removed catalog-info.yaml",
        ]
    );
    assert!(
        info["error"]
            .as_str()
            .unwrap()
            .contains("step notes failed")
    );
    assert_eq!(info["steps"][4]["status"], "failed");
    assert_eq!(info["steps"][2]["status"], "undone");
    // Resuming a finished run is refused.
    let again = failed(&paved(d, &["path", "resume", id]));
    assert!(again.contains("nothing to resume"), "{again}");

    let metrics = json(&paved(d, &["metrics", "-o", "json"]));
    assert_eq!(metrics["total"]["runs"], 2, "{metrics}");
    assert_eq!(metrics["total"]["succeeded"], 1);
    assert_eq!(metrics["total"]["failed"], 1);
    assert_eq!(metrics["total"]["successRate"], 0.5);
    assert_eq!(metrics["byTemplate"][TEMPLATE]["runs"], 2);
    assert_eq!(metrics["byTeam"]["team-a"]["succeeded"], 1);
    assert_eq!(metrics["byTeam"]["team-b"]["failed"], 1);
    assert_eq!(metrics["components"], 1);
    assert_eq!(metrics["componentsFromPaths"], 1);
    assert_eq!(metrics["goldenPathShare"], 1.0);
    let table = ok(&paved(d, &["metrics"]));
    assert!(
        table.contains("golden-path runs: 2 (1 succeeded, 1 failed, 0 running); success rate 50%"),
        "{table}"
    );
    assert!(
        table.contains("golden-path share: 1 of 1 components"),
        "{table}"
    );
    let later = json(&paved(
        d,
        &["metrics", "--since", "2999-01-01", "-o", "json"],
    ));
    assert_eq!(later["total"]["runs"], 0);
    let recent = json(&paved(d, &["metrics", "--since", "1h", "-o", "json"]));
    assert_eq!(recent["total"]["runs"], 2);
    let bad = failed(&paved(d, &["metrics", "--since", "yesterday"]));
    assert!(bad.contains("--since"), "{bad}");
}

#[test]
fn a_run_killed_mid_step_is_interrupted_and_resumed_without_doing_anything_twice() {
    for point in [
        "path-after-effects:register",
        "path-after-intent:register",
        "path-after-intent:fetch",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        platform(d);
        let killed = Command::new(env!("CARGO_BIN_EXE_paved"))
            .current_dir(d)
            .args([
                "path",
                "run",
                "web-service",
                "--set",
                "name=shop",
                "--set",
                "owner=team-a",
            ])
            .env_remove("PAVED_STORE")
            .env_remove("PAVED_CONFIG")
            .env_remove("PAVED_ACTOR")
            .env(paved::defaults::CRASH_ENV, point)
            .output()
            .expect("run paved");
        assert_eq!(
            killed.status.code(),
            None,
            "{point}: not killed: {:?}",
            text(&killed)
        );
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(killed.status.signal(), Some(9), "{point}");
        }
        let step = point.split(':').nth(1).unwrap();
        let (stdout, _) = text(&killed);
        assert!(
            stdout.contains(&format!("[{step}] started")),
            "{point}: {stdout}"
        );

        // Its lease (one second) lapses: the run is interrupted.
        std::thread::sleep(std::time::Duration::from_millis(1300));
        let run = &runs(d)[0];
        assert_eq!(run["status"], "running", "{point}");
        assert_eq!(run["interrupted"], true, "{point}");
        let id = run["id"].as_str().unwrap().to_string();
        let listed = ok(&paved(d, &["path", "runs"]));
        assert!(
            listed.contains(&format!("interrupted (`paved path resume {id}`)")),
            "{point}: {listed}"
        );

        let resumed = ok(&paved(d, &["path", "resume", &id]));
        assert!(
            resumed.contains(&format!("[{step}] done")),
            "{point}: {resumed}"
        );
        assert!(
            resumed.contains(&format!("run {id} of {TEMPLATE} succeeded")),
            "{point}: {resumed}"
        );
        let ws = d.join(".paved/workspaces").join(&id);
        assert_eq!(
            files(&ws),
            [
                "NOTES.txt",
                "catalog-info.yaml",
                "config/shop.yaml",
                "src/shop.py"
            ],
            "{point}"
        );
        let component = json(&paved(
            d,
            &["catalog", "get", "component:default/shop", "-o", "json"],
        ));
        assert_eq!(
            component["metadata"]["annotations"]["paved.dev/run"],
            id.as_str()
        );
        // Registered once: one entity.create, no update.
        assert_eq!(
            audited(d, "entity.create", "component:default/shop"),
            1,
            "{point}"
        );
        assert_eq!(
            audited(d, "entity.update", "component:default/shop"),
            0,
            "{point}"
        );
        let run = &runs(d)[0];
        assert_eq!(run["status"], "succeeded", "{point}");
        assert_eq!(run["interrupted"], false, "{point}");
        assert_eq!(runs(d).len(), 1, "{point}");
    }
}

#[test]
fn escapes_from_the_workspace_are_refused_and_nothing_is_written_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("paved.yaml"), "resources:\n  leaseTtl: 1s\n").unwrap();
    let t = d.join("escape");
    std::fs::create_dir_all(t.join("plain")).unwrap();
    std::fs::write(t.join("plain/hello.txt"), "hello\n").unwrap();
    // A skeleton holding a link to a file outside it.
    std::fs::create_dir_all(t.join("linked")).unwrap();
    std::fs::create_dir_all(d.join("private")).unwrap();
    std::fs::write(d.join("private/key.txt"), "private\n").unwrap();
    std::fs::write(t.join("linked/ok.txt"), "fine\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("private/key.txt"), t.join("linked/leak.txt")).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: escape }
spec:
  type: service
  parameters:
    properties:
      skeleton: { type: string, default: ./plain }
      target: { type: string, default: ./ }
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ${{ parameters.skeleton }}
        targetPath: ${{ parameters.target }}
"#,
    )
    .unwrap();
    let jail = d.join("jail");
    std::fs::create_dir_all(&jail).unwrap();
    let ws = jail.join("ws");
    let outside = d.join("outside");
    let tfile = t.join("template.yaml");
    let absolute = format!("target={}", s(&outside));
    let cases = [
        ("target=../x", "targetPath '../x' goes up with '..'"),
        (
            absolute.as_str(),
            "is absolute: every file a run writes stays inside its workspace",
        ),
        (
            "skeleton=./linked",
            "the skeleton holds a symlink, leak.txt: refused",
        ),
        (
            "skeleton=../private",
            "the skeleton url '../private' goes up with '..'",
        ),
    ];
    for (set, message) in cases {
        for command in ["dry-run", "run"] {
            let out = failed(&paved(
                d,
                &[
                    "path",
                    command,
                    s(&tfile),
                    "--set",
                    set,
                    "--workspace",
                    s(&ws),
                ],
            ));
            assert!(out.contains(message), "{command} {set}: {out}");
            assert!(out.contains("spec.steps[0]"), "{command} {set}: {out}");
        }
        // Nothing anywhere: not in the workspace's parent, not outside.
        assert_eq!(files(&jail), Vec::<String>::new(), "{set}");
        assert!(!jail.join("x").exists() && !d.join("x").exists() && !outside.exists());
    }
    assert!(runs(d).is_empty(), "a refused run was recorded");
    // The same Template with its defaults runs.
    ok(&paved(
        d,
        &["path", "run", s(&tfile), "--workspace", s(&ws)],
    ));
    assert_eq!(files(&ws), ["hello.txt"]);
}

#[test]
fn bad_parameters_are_named_field_by_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    platform(d);
    let ws = d.join("ws");
    let args = [
        "path",
        "run",
        "web-service",
        "--set",
        "name=Not A Name",
        "--set",
        "port=\"eighty\"",
        "--workspace",
        s(&ws),
    ];
    let out = failed(&paved(d, &args));
    for field in ["parameters.name", "parameters.owner", "parameters.port"] {
        assert!(out.contains(field), "{field}: {out}");
    }
    assert!(out.contains("nothing was written"), "{out}");
    let err = json(&paved(d, &[&args[..], &["-o", "json"]].concat()));
    assert_eq!(err["error"]["code"], "VALIDATION", "{err}");
    let mut paths: Vec<&str> = err["error"]["details"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["parameters.name", "parameters.owner", "parameters.port"]
    );
    // The dry run says the same.
    let preview = failed(&paved(
        d,
        &["path", "dry-run", "web-service", "--set", "name=x"],
    ));
    assert!(preview.contains("parameters.owner"), "{preview}");
    assert!(!ws.exists());
    assert!(runs(d).is_empty());
    assert!(!d.join(".paved/workspaces").exists());

    // Arguments that are not parameters.
    let no_value = failed(&paved(
        d,
        &["path", "dry-run", "web-service", "--set", "name"],
    ));
    assert!(no_value.contains("'name' is not KEY=VALUE"), "{no_value}");
    std::fs::write(d.join("params.json"), "{\"name\": \"shop\",\n  owner: [1}").unwrap();
    let broken = failed(&paved(
        d,
        &["path", "dry-run", "web-service", "--input", "params.json"],
    ));
    assert!(broken.contains("params.json:2:"), "{broken}");
    std::fs::write(d.join("list.json"), "[1, 2]").unwrap();
    let list = failed(&paved(
        d,
        &["path", "dry-run", "web-service", "--input", "list.json"],
    ));
    assert!(list.contains("not a mapping of parameter names"), "{list}");
    let unknown = failed(&paved(d, &["path", "show", "nothing-here"]));
    assert!(
        unknown.contains("template:default/nothing-here"),
        "{unknown}"
    );
}

#[test]
fn a_template_with_an_unknown_action_is_flagged_at_import_and_refused_at_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("broken.yaml");
    std::fs::write(
        &file,
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: broken }
spec:
  type: service
  steps:
    - id: hello
      action: debug:log
      input: { message: hi }
    - id: publish
      action: publish:github
      input: { repoUrl: github.com?repo=x }
"#,
    )
    .unwrap();
    let line = line_of(&file, "publish:github");
    let located = format!("broken.yaml:{line}:");
    let import = paved(d, &["catalog", "import", "broken.yaml"]);
    let (stdout, stderr) = text(&import);
    assert!(import.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains(&located)
            && stderr.contains("spec.steps[1].action")
            && stderr.contains("unknown action 'publish:github'"),
        "{stderr}"
    );
    let list = ok(&paved(d, &["path", "list"]));
    assert!(list.contains("no: 1 problem"), "{list}");
    let shown = ok(&paved(d, &["path", "show", "broken"]));
    assert!(shown.contains("it cannot run: 1 problem"), "{shown}");
    assert!(
        shown.contains(&located) && shown.contains("spec.steps[1].action"),
        "{shown}"
    );
    assert!(!shown.contains("warning:"), "{shown}");
    for command in ["run", "dry-run"] {
        let refused = failed(&paved(d, &["path", command, "broken"]));
        assert!(
            refused.contains(&located) && refused.contains("spec.steps[1].action"),
            "{command}: {refused}"
        );
        assert!(
            refused.contains("unknown action 'publish:github'"),
            "{refused}"
        );
    }
    // Given as a file, the same.
    let refused = failed(&paved(d, &["path", "run", "broken.yaml"]));
    assert!(refused.contains(&located), "{refused}");
    assert!(runs(d).is_empty());
    assert!(!d.join(".paved/workspaces").exists());
}

#[test]
fn a_run_an_enforcing_policy_denies_is_previewed_as_blocked_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    platform(d);
    std::fs::write(
        d.join("policy.yaml"),
        r#"apiVersion: paved.dev/v1alpha1
kind: Policy
metadata: { name: no-legacy-names }
spec:
  owner: group:default/platform
  rego:
    module: |
      package paved.names

      deny contains msg if {
        input.after.kind == "Component"
        startswith(input.after.metadata.name, "legacy-")
        msg := "metadata.name: new components are not called legacy-*"
      }
  match:
    operations: [entity.create, entity.update]
    kinds: [Component]
  mode: enforce
"#,
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "policy.yaml"]));
    let set = ["--set", "name=legacy-billing", "--set", "owner=team-a"];
    // The preview exits 0 and says it is blocked, and why.
    let preview = ok(&paved(
        d,
        &[&["path", "dry-run", "web-service"][..], &set].concat(),
    ));
    assert!(
        preview.contains("blocked: an enforcing policy denies this run"),
        "{preview}"
    );
    assert!(
        preview.contains("new components are not called legacy-*"),
        "{preview}"
    );
    let plan = json(&paved(
        d,
        &[&["path", "dry-run", "web-service", "-o", "json"][..], &set].concat(),
    ));
    assert_eq!(plan["blocked"], true);
    // The run is refused as every denied write is, before anything happens.
    let denied = failed(&paved(
        d,
        &[&["path", "run", "web-service"][..], &set].concat(),
    ));
    assert!(
        denied.contains("denied by policy; nothing was written"),
        "{denied}"
    );
    let err = json(&paved(
        d,
        &[&["path", "run", "web-service", "-o", "json"][..], &set].concat(),
    ));
    assert_eq!(err["error"]["code"], "DENIED", "{err}");
    assert!(!d.join(".paved/workspaces").exists());
    let gone = failed(&paved(
        d,
        &["catalog", "get", "component:default/legacy-billing"],
    ));
    assert!(gone.contains("not found"), "{gone}");
}

#[test]
fn a_template_test_passes_against_its_snapshot_and_fails_when_the_skeleton_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = platform(d);
    std::fs::write(
        d.join("params.json"),
        r#"{"name": "shop", "owner": "team-a"}"#,
    )
    .unwrap();
    let args = [
        "path",
        "test",
        "web-service",
        "--input",
        "params.json",
        "--expect",
        "snapshot",
    ];
    // No snapshot yet: CI never passes by writing one.
    let missing = paved(d, &args);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).0.contains("plan.json is missing"),
        "{:?}",
        text(&missing)
    );
    let wrote = ok(&paved(d, &[&args[..], &["--update"]].concat()));
    assert!(wrote.contains("wrote the snapshot snapshot"), "{wrote}");
    assert_eq!(
        std::fs::read_to_string(d.join("snapshot/files/src/shop.py")).unwrap(),
        "\"\"\"The shop service.\"\"\"\n\nPORT = 8080\n"
    );
    assert!(d.join("snapshot/plan.json").exists());
    let passed = ok(&paved(d, &args));
    assert!(passed.contains("passed"), "{passed}");

    // The skeleton changes (the file is read from where it was imported).
    std::fs::write(
        template.join("skeleton/settings.yaml"),
        "service: ${{ values.name }}\nport: ${{ values.port }}\nreplicas: 2\n",
    )
    .unwrap();
    let out = paved(d, &args);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let (stdout, _) = text(&out);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains("files/config/shop.yaml: content differs"),
        "{stdout}"
    );
    let report = json(&paved(d, &[&args[..], &["-o", "json"]].concat()));
    assert_eq!(report["passed"], false);
    assert!(
        report["differences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().starts_with("files/config/shop.yaml")),
        "{report}"
    );
    // Nothing was run or written by the tests.
    assert!(runs(d).is_empty());
    assert!(!d.join(".paved/workspaces").exists());
}
