//! `paved resource …` as a user runs it, with the real `local-directory`
//! provider (a wasm component built from source): the lifecycle (plan,
//! apply, drift after a hand edit, repair, outputs feeding params, destroy),
//! a process killed with SIGKILL at each journal point and the next run
//! converging with no manual step, and a held lease refusing a second
//! process by its holder's name, on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::*;

/// A platform directory: paved.yaml (the local-directory provider granted
/// `data/` read-write, leases of `lease_ttl`, the store) and a catalogue
/// of two Resources, `notes` and `site` (which uses `notes`'s output).
fn platform(d: &Path, store: Option<&str>, lease_ttl: &str) -> PathBuf {
    let data = d.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let wasm = example_plugins().join("local_directory.wasm");
    // A shared store needs a key to seal outputs with; SQLite makes its own.
    let (store, key) = match store {
        Some(url) => {
            std::fs::write(
                d.join("state.key"),
                "c3RhdGUta2V5LWZvci10ZXN0cy0zMi1ieXRlcy1sb24=",
            )
            .unwrap();
            (
                format!("store: {url}\n"),
                "  stateKey: { file: state.key }\n",
            )
        }
        None => (String::new(), ""),
    };
    std::fs::write(
        d.join("paved.yaml"),
        format!(
            "{store}pluginCache: plugin-cache\nplugins:\n  - name: local-directory\n    path: {}\n    kind: provider\n    \
             grants: {{ dirs: [{{ host: {}, guest: /data, mode: rw }}] }}\n\
             resources:\n  leaseTtl: {lease_ttl}\n{key}",
            s(&wasm),
            s(&data)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("resources.yaml"),
        r#"apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: notes }
spec:
  type: local.directory
  owner: team-docs
  params: { files: { README.md: hello } }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: site }
spec:
  type: local.directory
  owner: team-docs
  dependsOn: [resource:notes]
  params:
    files: { link.txt: "notes are in ${{ resources.notes.outputs.path }}" }
"#,
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "resources.yaml"]));
    data
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A plan that a policy asking for approval denies is held, nothing made;
/// a lead's approval runs it as its requester asked.
#[test]
fn a_held_plan_runs_once_a_lead_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = platform(d, None, "30s");
    std::fs::write(
        d.join("hold.rego"),
        "package hold\n\ndeny contains msg if {\n  msg := \"a lead looks at every new directory first\"\n}\n",
    )
    .unwrap();
    let mut config = std::fs::read_to_string(d.join("paved.yaml")).unwrap();
    config.push_str(
        "policies:\n  - name: directories-need-a-lead\n    rego: { policies: [hold.rego] }\n    \
         match: { operations: [resource.apply] }\n    approval: { approvers: [group:leads] }\n",
    );
    std::fs::write(d.join("paved.yaml"), config).unwrap();
    std::fs::write(
        d.join("org.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: leads }\nspec: { type: team, children: [], members: [lead] }\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: lead }\nspec: { memberOf: [] }\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: jane }\nspec: { memberOf: [] }\n",
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "org.yaml"]));

    let plan = ok(&paved(d, &["resource", "plan", "notes"]));
    assert!(
        plan.contains(
            "apply would hold this plan until a member of group:default/leads approves it"
        ),
        "{plan}"
    );
    let held = paved(
        d,
        &["resource", "apply", "notes", "--actor", "user:default/jane"],
    );
    assert_eq!(code(&held), Some(1));
    let id = held_id(&held);
    assert!(!data.join("notes").exists(), "nothing is made while held");
    let shown = ok(&paved(d, &["approval", "show", &id]));
    assert!(shown.contains("create resource:default/notes"), "{shown}");

    let refused = paved(
        d,
        &["approval", "approve", &id, "--actor", "user:default/jane"],
    );
    assert_eq!(code(&refused), Some(1), "the requester cannot approve");

    // A second request for the same plan, rejected by a lead: nothing is
    // made, and a rejected request cannot be approved afterwards.
    let again = paved(
        d,
        &["resource", "apply", "notes", "--actor", "user:default/jane"],
    );
    let second = held_id(&again);
    assert_ne!(second, id);
    ok(&paved(
        d,
        &[
            "approval",
            "reject",
            &second,
            "--reason",
            "one request is enough",
            "--actor",
            "user:default/lead",
        ],
    ));
    let rejected = json(&paved(d, &["approval", "show", &second, "-o", "json"]));
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    let late = paved(
        d,
        &[
            "approval",
            "approve",
            &second,
            "--actor",
            "user:default/lead",
        ],
    );
    assert_ne!(
        code(&late),
        Some(0),
        "a rejected request cannot be approved"
    );
    assert!(
        !data.join("notes").exists(),
        "nothing is made when rejected"
    );
    ok(&paved(
        d,
        &["approval", "approve", &id, "--actor", "user:default/lead"],
    ));
    assert_eq!(
        std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
        "hello"
    );
    let state = json(&paved(d, &["resource", "state", "notes", "-o", "json"]));
    assert_eq!(state["actor"], "user:default/jane", "{state}");
}

/// The id of the approval request an apply was held for (from its error).
fn held_id(out: &std::process::Output) -> String {
    let said = String::from_utf8_lossy(&out.stderr);
    said.split("held for approval ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not held: {said}"))
        .to_string()
}

#[test]
fn plan_apply_drift_repair_and_destroy_through_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = platform(d, None, "30s");

    let plan = paved(d, &["resource", "plan", "--detailed-exitcode"]);
    assert_eq!(code(&plan), Some(2), "changes: exit 2");
    let shown = ok(&paved(d, &["resource", "plan"]));
    assert!(shown.contains("2 to create"), "{shown}");
    assert!(shown.contains("  + resource:default/notes"), "{shown}");
    assert!(shown.contains("(known after apply)"), "{shown}");
    // Dependencies come first.
    let notes_at = shown.find("resource:default/notes").unwrap();
    assert!(
        notes_at < shown.find("resource:default/site").unwrap(),
        "{shown}"
    );

    let applied = ok(&paved(d, &["resource", "apply"]));
    assert!(
        applied.contains("applied resource:default/site"),
        "{applied}"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
        "hello"
    );
    // notes's output fed site's params.
    assert_eq!(
        std::fs::read_to_string(data.join("site/link.txt")).unwrap(),
        "notes are in /data/notes"
    );
    let again = paved(d, &["resource", "plan", "--detailed-exitcode"]);
    assert_eq!(code(&again), Some(0), "{}", ok(&again));

    // Changed by hand: drift finds it, apply puts it back.
    std::fs::write(data.join("notes/README.md"), "edited by hand").unwrap();
    let drift = paved(d, &["resource", "drift", "--detailed-exitcode"]);
    assert_eq!(code(&drift), Some(2));
    let report = String::from_utf8_lossy(&drift.stdout);
    assert!(
        report.contains("resource:default/notes drifted"),
        "{report}"
    );
    assert!(report.contains("state.files.README.md"), "{report}");
    let state = json(&paved(d, &["resource", "state", "notes", "-o", "json"]));
    assert_eq!(state["lastDrift"]["status"], "drifted", "{state}");
    // The list carries each resource's last check too (what a portal shows).
    let list = json(&paved(d, &["resource", "list", "-o", "json"]));
    assert_eq!(list[0]["lastDrift"], state["lastDrift"], "{list}");
    ok(&paved(d, &["resource", "apply", "notes"]));
    assert_eq!(
        std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
        "hello"
    );
    assert_eq!(
        code(&paved(d, &["resource", "drift", "--detailed-exitcode"])),
        Some(0)
    );

    let outputs = json(&paved(d, &["resource", "outputs", "notes", "-o", "json"]));
    assert_eq!(outputs["path"], "/data/notes");
    let history = json(&paved(d, &["resource", "history", "notes", "-o", "json"]));
    let versions: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(history[0]["actor"], "system");
    let list = json(&paved(d, &["resource", "list", "-o", "json"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["status"], "managed");

    // Asked for other params: an update, shown with its attribute diff.
    let resources = std::fs::read_to_string(d.join("resources.yaml")).unwrap();
    std::fs::write(
        d.join("resources.yaml"),
        resources.replace("README.md: hello }", "README.md: hello again }"),
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "resources.yaml"]));
    let update = ok(&paved(d, &["resource", "plan", "notes"]));
    assert!(update.contains("  ~ resource:default/notes"), "{update}");
    assert!(
        update.contains(
            r#"      files.README.md: "<changed on disk or in params>" -> "hello again""#
        ),
        "{update}"
    );
    ok(&paved(d, &["resource", "apply", "notes"]));
    // What destroy would do, signed `-`, in reverse dependency order.
    let would = ok(&paved(d, &["resource", "destroy", "notes", "--dry-run"]));
    let (site_at, notes_at) = (
        would.find("  - resource:default/site").expect(&would),
        would.find("  - resource:default/notes").expect(&would),
    );
    assert!(site_at < notes_at, "{would}");
    assert!(data.join("notes").exists(), "a dry run destroys nothing");

    // Destroying notes takes site (which depends on it) first.
    let destroyed = ok(&paved(d, &["resource", "destroy", "notes"]));
    let site_at = destroyed
        .find("destroyed resource:default/site")
        .expect(&destroyed);
    assert!(site_at < destroyed.find("destroyed resource:default/notes").unwrap());
    assert!(!data.join("notes").exists() && !data.join("site").exists());
    let audit = ok(&paved(
        d,
        &["audit", "list", "-o", "json", "--limit", "200"],
    ));
    for action in ["resource.apply", "resource.drift", "resource.destroy"] {
        assert!(audit.contains(action), "{action} not audited");
    }
}

#[test]
fn bad_params_unknown_types_and_cycles_are_clear_errors_and_nothing_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = platform(d, None, "30s");
    std::fs::write(
        d.join("bad.yaml"),
        r#"apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: broken }
spec: { type: local.directory, owner: team-docs, params: { files: 3 } }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: bucket }
spec: { type: s3.bucket, owner: team-docs, params: {} }
"#,
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "bad.yaml"]));
    let msg = failed(&paved(d, &["resource", "apply"]));
    assert!(msg.contains("spec.params.files"), "{msg}");
    assert!(msg.contains("unknown resource type 's3.bucket'"), "{msg}");
    assert!(msg.contains("local.directory"), "{msg}");
    assert!(
        !data.join("notes").exists(),
        "an apply with errors applied something"
    );

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    platform(d, None, "30s");
    std::fs::write(
        d.join("cycle.yaml"),
        r#"apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: a }
spec: { type: local.directory, owner: team-docs, dependsOn: [resource:b], params: {} }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: b }
spec: { type: local.directory, owner: team-docs, dependsOn: [resource:a], params: {} }
"#,
    )
    .unwrap();
    ok(&paved(d, &["catalog", "import", "cycle.yaml"]));
    let msg = failed(&paved(d, &["resource", "plan"]));
    assert!(msg.contains("dependency cycle"), "{msg}");
    assert!(
        msg.contains("resource:default/a -> resource:default/b -> resource:default/a"),
        "{msg}"
    );
}

/// `paved resource ARGS`, with `env` set (a crash or a pause point).
fn resource_command(d: &Path, args: &[&str], env: (&str, &str)) -> std::process::Command {
    let mut full = vec!["resource"];
    full.extend_from_slice(args);
    let mut c = paved_command(d, &full);
    c.env(env.0, env.1);
    c
}

/// `paved resource apply` killed by SIGKILL at `point`.
fn apply_killed_at(d: &Path, point: &str) -> Output {
    killed_at(d, &["apply"], point)
}

/// `paved resource ARGS` killed by SIGKILL at `point`.
fn killed_at(d: &Path, args: &[&str], point: &str) -> Output {
    let out = resource_command(d, args, (paved::defaults::CRASH_ENV, point))
        .output()
        .expect("run paved");
    assert_eq!(code(&out), None, "{point}: `{args:?}` was not killed");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(9), "{point}");
    }
    out
}

/// After a process was killed: its lease lapses after the TTL (1s), then
/// `paved resource ARGS` finishes what it was doing (no unlock) and must
/// report the interrupted call when it was cut short around the provider
/// call.
fn finish_after(d: &Path, args: &[&str], point: &str, (operation, name): (&str, &str)) {
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let mut full = vec!["resource"];
    full.extend_from_slice(args);
    let out = ok(&paved(d, &full));
    if matches!(point, "after-intent" | "after-call") {
        assert!(
            out.contains(&format!(
                "recovered: {operation} of resource:default/{name}"
            )),
            "{point}: the interrupted {operation} was not reported\n{out}"
        );
    }
}

/// Kill a create, an update and a destroy at each journal point; the next
/// command converges each time, with no duplicate and nothing held.
fn killed_at_each_journal_point(store: impl Fn() -> Option<String>) {
    for point in paved::defaults::CRASH_POINTS {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let store = store();
        let data = platform(d, store.as_deref(), "1s");
        let converged = |what: &str| {
            let plan = paved(d, &["resource", "plan", "--detailed-exitcode"]);
            assert_eq!(code(&plan), Some(0), "{point} {what}: {}", ok(&plan));
            let list = json(&paved(d, &["resource", "list", "-o", "json"]));
            assert!(
                list.as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r.get("lease").is_none() && r["status"] == "managed"),
                "{point} {what}: {list}"
            );
            let dirs = std::fs::read_dir(&data).unwrap().count();
            assert_eq!(dirs, 2, "{point} {what}: a duplicate was made");
        };

        // Create.
        apply_killed_at(d, point);
        finish_after(d, &["apply"], point, ("create", "notes"));
        assert_eq!(
            std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
            "hello",
            "{point}"
        );
        assert_eq!(
            std::fs::read_to_string(data.join("site/link.txt")).unwrap(),
            "notes are in /data/notes",
            "{point}"
        );
        converged("create");

        // Update.
        let changed = std::fs::read_to_string(d.join("resources.yaml"))
            .unwrap()
            .replace("README.md: hello", "README.md: hello again");
        std::fs::write(d.join("resources.yaml"), changed).unwrap();
        ok(&paved(d, &["catalog", "import", "resources.yaml"]));
        apply_killed_at(d, point);
        finish_after(d, &["apply"], point, ("update", "notes"));
        assert_eq!(
            std::fs::read_to_string(data.join("notes/README.md")).unwrap(),
            "hello again",
            "{point}"
        );
        converged("update");

        // Destroy (site first: it depends on notes).
        killed_at(d, &["destroy"], point);
        finish_after(d, &["destroy"], point, ("delete", "site"));
        let left: Vec<_> = std::fs::read_dir(&data).unwrap().collect();
        assert!(left.is_empty(), "{point}: destroy left {left:?}");
        let list = json(&paved(d, &["resource", "list", "-o", "json"]));
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|r| r.get("lease").is_none() && r["status"] == "destroyed"),
            "{point} destroy: {list}"
        );
    }
}

#[test]
fn a_process_killed_at_each_journal_point_is_reconciled_by_the_next_run_on_sqlite() {
    killed_at_each_journal_point(|| None);
}

#[test]
fn a_process_killed_at_each_journal_point_is_reconciled_by_the_next_run_on_postgres() {
    let dbs = std::cell::RefCell::new(Vec::new());
    killed_at_each_journal_point(|| {
        let db = PgDb::create();
        let url = db.url();
        dbs.borrow_mut().push(db);
        Some(url)
    });
}

/// Two processes apply the same resources at the same moment; the one that
/// gets the leases holds them a while (`PAVED_PAUSE_AT`), so the other asks
/// while they are held: it is refused at once, naming the winner, and
/// changes nothing; the winner applies everything.
fn two_processes_race(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = platform(d, store, "10m");
    let start = || {
        resource_command(
            d,
            &["apply", "-o", "json"],
            (paved::defaults::PAUSE_ENV, "after-lease:2000"),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start paved")
    };
    let (a, b) = (start(), start());
    let (a_pid, b_pid) = (a.id(), b.id());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (winner, loser) = match (code(&a), code(&b)) {
        (Some(0), Some(1)) => (a_pid, b),
        (Some(1), Some(0)) => (b_pid, a),
        other => panic!(
            "exactly one must win: {other:?}\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        ),
    };
    let err = json(&loser);
    assert_eq!(err["error"]["code"], "LOCKED", "{err}");
    let holder = err["error"]["details"]["holder"].as_str().unwrap();
    assert!(
        holder.contains(&format!("pid {winner}")),
        "the refusal names {holder}, not the winner (pid {winner})"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("site/link.txt")).unwrap(),
        "notes are in /data/notes"
    );
    let history = json(&paved(d, &["resource", "history", "notes", "-o", "json"]));
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "one apply, once: {history}"
    );
    let list = json(&paved(d, &["resource", "list", "-o", "json"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("lease").is_none()),
        "{list}"
    );
}

#[test]
fn two_processes_applying_at_once_one_wins_and_the_other_is_refused_on_sqlite() {
    two_processes_race(None);
}

#[test]
fn two_processes_applying_at_once_one_wins_and_the_other_is_refused_on_postgres() {
    let db = PgDb::create();
    two_processes_race(Some(&db.url()));
}

/// A holder that stopped while holding the lease: a second process is
/// refused at once with the holder's name until the lease is released.
fn held_lease_refuses_a_second_process(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = platform(d, store, "10m");
    apply_killed_at(d, "after-lease");
    let out = paved(d, &["resource", "apply", "-o", "json"]);
    assert_eq!(code(&out), Some(1));
    let err = json(&out);
    assert_eq!(err["error"]["code"], "LOCKED", "{err}");
    let holder = err["error"]["details"]["holder"].as_str().unwrap();
    assert!(holder.starts_with("system (pid "), "{holder}");
    assert!(err["error"]["message"].as_str().unwrap().contains(holder));
    assert!(
        !data.join("notes").exists(),
        "the refused apply did something"
    );
    let state = paved(d, &["resource", "list", "-o", "json"]);
    assert!(json(&state)[0]["lease"]["holder"].as_str().unwrap() == holder);
    let unlocked = ok(&paved(d, &["resource", "unlock", "notes"]));
    assert!(unlocked.contains(holder), "{unlocked}");
    ok(&paved(d, &["resource", "unlock", "site"]));
    ok(&paved(d, &["resource", "apply"]));
    assert!(data.join("site/link.txt").exists());
}

#[test]
fn a_held_lease_refuses_a_second_process_by_its_holders_name_on_sqlite() {
    held_lease_refuses_a_second_process(None);
}

#[test]
fn a_held_lease_refuses_a_second_process_by_its_holders_name_on_postgres() {
    let db = PgDb::create();
    held_lease_refuses_a_second_process(Some(&db.url()));
}

/// Run `psql` as the admin on the test server.
fn psql(sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            sql,
        ])
        .output()
        .expect("psql is installed with the PostgreSQL server");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every file under `dir`, as bytes (what paved wrote: store, logs, keys).
fn everything_written(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn a_postgres_database_end_to_end_and_its_password_never_written_or_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wasm = example_plugins().join("postgres.wasm");
    let name = format!("paved_e2e_{}", std::process::id());
    let imported = format!("paved_e2e_imp_{}", std::process::id());
    std::fs::write(
        d.join("paved.yaml"),
        format!(
            "pluginCache: plugin-cache\nplugins:\n  - name: postgres\n    path: {}\n    kind: provider\n    \
             grants: {{ network: [\"127.0.0.1:5432\"] }}\nresources:\n  leaseTtl: 1s\n",
            s(&wasm)
        ),
    )
    .unwrap();
    let resource = |n: &str, params: &str| {
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {{ name: {n} }}\n\
             spec: {{ type: postgres.database, owner: team-data{params} }}\n"
        )
    };
    std::fs::write(
        d.join("db.yaml"),
        resource(&name, ", params: { connectionLimit: 10 }"),
    )
    .unwrap();
    // Cleanup whatever happens.
    struct Drop2(Vec<String>);
    impl Drop for Drop2 {
        fn drop(&mut self) {
            for n in &self.0 {
                let _ = std::process::Command::new("psql")
                    .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tA"])
                    // Two commands, each its own: one string of both would
                    // be one transaction, which DROP DATABASE refuses.
                    .args([
                        "-c",
                        &format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"),
                        "-c",
                        &format!("DROP ROLE IF EXISTS {n}"),
                    ])
                    .output();
            }
        }
    }
    let _cleanup = Drop2(vec![name.clone(), imported.clone()]);
    // Everything paved printed, to look for the password in.
    let shown = std::cell::RefCell::new(String::new());
    let run = |args: &[&str]| -> String {
        let output = paved(d, args);
        shown
            .borrow_mut()
            .push_str(&String::from_utf8_lossy(&output.stderr));
        let out = ok(&output);
        shown.borrow_mut().push_str(&out);
        out
    };
    let reveal = || {
        let revealed = json(&paved(
            d,
            &["resource", "outputs", &name, "--reveal", "-o", "json"],
        ));
        let password = revealed["password"].as_str().unwrap().to_string();
        assert!(password.len() >= 16, "{revealed}");
        password
    };
    run(&["catalog", "import", "db.yaml"]);
    let plan = run(&["resource", "plan"]);
    assert!(
        plan.contains(&format!("  + resource:default/{name}")),
        "{plan}"
    );
    // The first apply is killed right after the provider made the
    // database, before paved recorded it. The next apply finishes that
    // call under its idempotency key: the provider knows the database as
    // the one that call made (a create under any other key refuses it).
    let killed = apply_killed_at(d, "after-call");
    shown
        .borrow_mut()
        .push_str(&String::from_utf8_lossy(&killed.stderr));
    let mark = psql(&format!(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{name}'"
    ));
    assert!(mark.starts_with("paved idempotency-key "), "{mark}");
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let finished = run(&["resource", "apply"]);
    assert!(
        finished.contains(&format!("recovered: create of resource:default/{name}"))
            && finished.contains("applied again"),
        "{finished}"
    );
    assert_eq!(
        psql(&format!(
            "SELECT datconnlimit || ' ' || shobj_description(oid, 'pg_database') \
             FROM pg_database WHERE datname = '{name}'"
        )),
        format!("10 {mark}"),
        "the same database, made once"
    );
    let converged = paved(d, &["resource", "plan", "--detailed-exitcode"]);
    assert_eq!(code(&converged), Some(0), "{}", ok(&converged));
    let outputs = json(&paved(d, &["resource", "outputs", &name, "-o", "json"]));
    assert_eq!(outputs["password"], paved::SENSITIVE, "{outputs}");
    assert_eq!(outputs["database"], name.as_str());
    // The first password (the repair below makes a new one): both are
    // looked for at the end.
    let first_password = reveal();

    // Changed by hand: detected, repaired.
    psql(&format!("ALTER DATABASE {name} CONNECTION LIMIT 3"));
    let drift = paved(d, &["resource", "drift", "--detailed-exitcode"]);
    assert_eq!(code(&drift), Some(2));
    let report = String::from_utf8_lossy(&drift.stdout).into_owned();
    assert!(report.contains("state.connectionLimit"), "{report}");
    shown.borrow_mut().push_str(&report);
    run(&["resource", "apply"]);
    assert_eq!(
        psql(&format!(
            "SELECT datconnlimit FROM pg_database WHERE datname = '{name}'"
        )),
        "10"
    );
    run(&["resource", "state", &name, "-o", "json"]);
    run(&["resource", "history", &name, "-o", "json"]);
    run(&["audit", "list", "-o", "json", "--limit", "500"]);

    // The passwords, revealed on purpose (and audited), are nowhere else:
    // not in what paved printed (stdout and stderr), not in any file it
    // wrote.
    for password in [first_password, reveal()] {
        assert!(
            !shown.borrow().contains(&password),
            "a password was shown without --reveal"
        );
        for (path, bytes) in everything_written(d) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(&password),
                "a password is in {}",
                path.display()
            );
        }
    }
    let audit = run(&["audit", "list", "-o", "json", "--limit", "500"]);
    assert!(
        audit.contains("resource.outputs.reveal"),
        "the reveal was not audited"
    );

    // Destroy drops the database and its role.
    run(&["resource", "destroy"]);
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        )),
        "0"
    );
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = '{name}'"
        )),
        "0"
    );

    // Import adopts a database made by hand: observed only, then managed.
    psql(&format!("CREATE DATABASE {imported}"));
    std::fs::write(d.join("imported.yaml"), resource(&imported, "")).unwrap();
    run(&["catalog", "import", "imported.yaml"]);
    let adopted = run(&["resource", "import", &imported, &imported]);
    assert!(adopted.contains("connectionLimit"), "{adopted}");
    let list = json(&paved(d, &["resource", "list", "-o", "json"]));
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == format!("resource:default/{imported}"))
        .unwrap()
        .clone();
    assert_eq!(row["status"], "observed", "{row}");
    // Observed only: destroy lets it go and leaves the database.
    run(&["resource", "destroy", &imported]);
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{imported}'"
        )),
        "1"
    );
}
