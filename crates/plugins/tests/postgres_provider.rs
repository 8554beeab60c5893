//! The `postgres` example provider (examples/plugins/postgres) against the
//! real PostgreSQL server on 127.0.0.1:5432 (trust auth, user `postgres`):
//! plan, apply, drift found by `read` and repaired by `apply`, a database
//! dropped by hand, delete, import, and the connection errors an operator
//! sees (refused port, no network grant). A second test starts a throwaway
//! cluster that demands passwords and checks SCRAM-SHA-256, md5 and
//! cleartext authentication with the admin password from a granted secret.
//!
//! Everything is checked from outside with `psql`, and every database and
//! role a test creates has a name unique to the run and is dropped at the
//! end, also when the test fails.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::plugin_wasm;
use paved_core::plugin::{
    Applied, ApplyRequest, ImportRequest, Operation, Plan, PlanRequest, ResourceAddress,
    ResourceRequest,
};
use paved_plugins::{
    Grants, PluginConfig, PluginError, PluginErrorKind, PluginHost, PluginKind, WasmProvider,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- helpers

/// A database/role name no other run or test uses.
fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "paved_{tag}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `psql -tAc sql` against `host` (an address or a socket directory).
fn psql_at(host: &str, port: u16, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-X", "-h", host, "-p", &port.to_string(), "-U", "postgres"])
        .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql -c {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn psql(sql: &str) -> String {
    psql_at("127.0.0.1", 5432, sql)
}

/// Drops the databases and roles of these names (on the shared server) when
/// the test ends, however it ends.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = Command::new("psql")
                .args(["-X", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .arg("-c")
                .arg(format!("DROP ROLE IF EXISTS \"{name}\""))
                .output();
        }
    }
}

/// A provider and the host that loaded it.
struct Loaded {
    _host: PluginHost,
    p: WasmProvider,
}

async fn load(
    settings: Value,
    network: &[&str],
    secrets: HashMap<String, String>,
    cache: &Path,
) -> Result<Loaded, PluginError> {
    let host = PluginHost::builder()
        .cache_dir(cache)
        .secrets(Arc::new(secrets.clone()))
        .build()
        .unwrap();
    let cfg = PluginConfig::new("pg", plugin_wasm("postgres"), PluginKind::Provider)
        .settings(settings)
        .grants(Grants {
            network: network.iter().map(|s| s.to_string()).collect(),
            secrets: secrets.into_keys().collect(),
            ..Default::default()
        });
    let p = host.load_provider(cfg).await?;
    Ok(Loaded { _host: host, p })
}

async fn local(cache: &Path) -> Loaded {
    load(json!({}), &["127.0.0.1:5432"], HashMap::new(), cache)
        .await
        .unwrap()
}

fn address(name: &str) -> ResourceAddress {
    ResourceAddress {
        resource_type: "postgres.database".into(),
        name: name.into(),
        environment: None,
        owner: None,
    }
}

impl Loaded {
    async fn plan(&self, name: &str, params: Value, prior: Option<&Value>) -> Plan {
        self.try_plan(name, params, prior).await.unwrap()
    }

    async fn try_plan(
        &self,
        name: &str,
        params: Value,
        prior: Option<&Value>,
    ) -> Result<Plan, PluginError> {
        self.p
            .plan_resource(&PlanRequest {
                address: address(name),
                params,
                prior_state: prior.cloned(),
                prior_params: None,
            })
            .await
    }

    /// An apply under idempotency key `key`.
    async fn try_apply_keyed(
        &self,
        name: &str,
        params: Value,
        prior: Option<&Value>,
        key: &str,
    ) -> Result<Applied, PluginError> {
        self.p
            .apply_resource(&ApplyRequest {
                address: address(name),
                params,
                prior_state: prior.cloned(),
                idempotency_key: Some(key.to_owned()),
            })
            .await
    }

    /// An apply under a new idempotency key, as paved makes every call.
    async fn try_apply(
        &self,
        name: &str,
        params: Value,
        prior: Option<&Value>,
    ) -> Result<Applied, PluginError> {
        self.try_apply_keyed(name, params, prior, &unique("call"))
            .await
    }

    async fn apply(&self, name: &str, params: Value, prior: Option<&Value>) -> Applied {
        self.try_apply(name, params, prior).await.unwrap()
    }

    async fn read(&self, name: &str, state: &Value) -> Option<Value> {
        self.p
            .read_resource(&ResourceRequest {
                address: address(name),
                state: state.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap()
    }

    async fn delete(&self, name: &str, state: &Value) {
        self.p
            .delete_resource(&ResourceRequest {
                address: address(name),
                state: state.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap()
    }
}

fn paths(plan: &Plan) -> Vec<&str> {
    plan.diff.iter().map(|d| d.path.as_str()).collect()
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {s}"),
    };
    let bits: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
    bits.chunks(4)
        .flat_map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &v)| n | (u32::from(v) << (18 - 6 * i)));
            let bytes = n.to_be_bytes();
            bytes[1..c.len()].to_vec()
        })
        .collect()
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Whether `password` is the one behind `role`'s SCRAM-SHA-256 verifier in
/// `pg_authid` (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`),
/// checked as the server checks a login: trust auth on the test server
/// would accept any password, this does not.
fn is_password_of(role: &str, password: &str) -> bool {
    let verifier = psql(&format!(
        "SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"
    ));
    let rest = verifier
        .strip_prefix("SCRAM-SHA-256$")
        .unwrap_or_else(|| panic!("role {role} has no SCRAM verifier: {verifier:?}"));
    let (iter_salt, keys) = rest.split_once('$').unwrap();
    let (iterations, salt) = iter_salt.split_once(':').unwrap();
    let (stored_key, _server_key) = keys.split_once(':').unwrap();
    let mut u = hmac(password.as_bytes(), &[b64(salt), vec![0, 0, 0, 1]].concat());
    let mut salted = u;
    for _ in 1..iterations.parse::<u32>().unwrap() {
        u = hmac(password.as_bytes(), &u);
        salted.iter_mut().zip(u).for_each(|(s, x)| *s ^= x);
    }
    let client_key = hmac(&salted, b"Client Key");
    Sha256::digest(client_key).as_slice() == b64(stored_key)
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn lifecycle_on_the_local_server_with_drift_and_repair() {
    common::init_tracing();
    let cache = tempfile::tempdir().unwrap();
    let pg = local(cache.path()).await;
    assert_eq!(pg.p.info().resource_types[0].name, "postgres.database");
    let schema = &pg.p.info().resource_types[0].params_schema;
    assert!(
        schema["properties"]["connectionLimit"].is_object(),
        "{schema}"
    );

    let name = unique("life");
    let _cleanup = Cleanup(vec![name.clone()]);
    let params = json!({"connectionLimit": 5});

    // plan: create, and nothing changes on the server
    let plan = pg.plan(&name, params.clone(), None).await;
    assert_eq!(plan.operation, Operation::Create, "{plan:?}");
    assert_eq!(paths(&plan), ["owner", "connectionLimit", "encoding"]);
    let exists = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
    let role_exists = format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'");
    assert_eq!(psql(&exists), "0", "plan must not create anything");
    assert_eq!(psql(&role_exists), "0", "plan must not create anything");

    // apply creates the role and the database it owns
    let first_call = unique("call");
    let applied = pg
        .try_apply_keyed(&name, params.clone(), None, &first_call)
        .await
        .unwrap();
    assert_eq!(
        psql(&format!(
            "SELECT pg_get_userbyid(datdba) || ' ' || datconnlimit || ' ' || \
             pg_encoding_to_char(encoding) || ' ' || oid FROM pg_database WHERE datname = '{name}'"
        )),
        format!("{name} 5 UTF8 {}", applied.state["oid"])
    );
    assert_eq!(applied.state["owner"], json!(name));
    assert_eq!(applied.state["connectionLimit"], 5);
    assert!(
        applied.state.get("password").is_none(),
        "no password in state"
    );
    let out = &applied.outputs;
    let password = out["password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        out["url"],
        format!("postgres://{name}:{password}@127.0.0.1:5432/{name}")
    );
    assert_eq!(
        (&out["host"], &out["port"], &out["database"], &out["user"]),
        (
            &json!("127.0.0.1"),
            &json!(5432),
            &json!(name),
            &json!(name)
        )
    );
    assert_eq!(applied.sensitive, ["password", "url"]);
    assert!(is_password_of(&name, &password), "output password works");
    assert!(!is_password_of(&name, "not-it"), "the check can fail");
    // the role logs in and owns its database
    let own = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            &name,
            "-d",
            &name,
            "-tA",
        ])
        .args(["-c", "CREATE TABLE t (a int)", "-c", "SELECT current_user"])
        .output()
        .unwrap();
    assert!(own.status.success(), "{own:?}");
    assert_eq!(String::from_utf8_lossy(&own.stdout).trim(), name);

    // nothing to do now
    let again = pg.plan(&name, params.clone(), Some(&applied.state)).await;
    assert_eq!(again.operation, Operation::NoOp, "{again:?}");

    // the database carries the key of the call that made it
    assert_eq!(
        psql(&format!(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{name}'"
        )),
        format!("paved idempotency-key {first_call}")
    );

    // a plan with no state, as before an interrupted create is finished:
    // it says the database is paved's, made by that call
    let unrecorded = pg.plan(&name, params.clone(), None).await;
    assert!(
        unrecorded
            .notes
            .iter()
            .any(|n| n.contains("not recorded") && n.contains(&first_call)),
        "{unrecorded:?}"
    );

    // a create under another key (another apply, or a lost state) does not
    // take the database over, and changes nothing
    let err = pg
        .try_apply(&name, params.clone(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists")
            && err.contains("made by another paved apply")
            && err.contains("paved resource import"),
        "{err}"
    );
    assert!(
        is_password_of(&name, &password),
        "the refused create changed nothing"
    );

    // the same call made again (as paved finishes an interrupted create):
    // same database, a new password that works (the old one is unknown to
    // the provider)
    let retried = pg
        .try_apply_keyed(&name, params.clone(), None, &first_call)
        .await
        .unwrap();
    assert_eq!(retried.state, applied.state);
    let password2 = retried.outputs["password"].as_str().unwrap();
    assert_ne!(password2, password);
    assert!(is_password_of(&name, password2));
    let state = retried.state;

    // drift by hand: read sees it, plan wants to repair it, apply does
    psql(&format!("ALTER DATABASE \"{name}\" CONNECTION LIMIT 3"));
    psql(&format!("ALTER DATABASE \"{name}\" OWNER TO postgres"));
    let drifted = pg.read(&name, &state).await.unwrap();
    assert_eq!(drifted["connectionLimit"], 3);
    assert_eq!(drifted["owner"], "postgres");
    assert_eq!(drifted["oid"], state["oid"]);
    let plan = pg.plan(&name, params.clone(), Some(&state)).await;
    assert_eq!(plan.operation, Operation::Update, "{plan:?}");
    assert_eq!(paths(&plan), ["owner", "connectionLimit"]);
    assert_eq!(plan.diff[1].before, Some(json!(3)));
    assert_eq!(plan.diff[1].after, Some(json!(5)));
    assert!(!plan.diff[1].requires_replace);
    let repaired = pg.apply(&name, params.clone(), Some(&state)).await;
    assert_eq!(repaired.state, state);
    assert_eq!(
        psql(&format!(
            "SELECT pg_get_userbyid(datdba) || ' ' || datconnlimit FROM pg_database \
             WHERE datname = '{name}'"
        )),
        format!("{name} 5")
    );

    // changing the connection limit is an in-place update
    let plan = pg
        .plan(&name, json!({"connectionLimit": -1}), Some(&state))
        .await;
    assert_eq!(plan.operation, Operation::Update);
    let unlimited = pg
        .apply(&name, json!({"connectionLimit": -1}), Some(&state))
        .await;
    assert_eq!(unlimited.state["connectionLimit"], -1);

    // another encoding needs a replace; apply refuses to do it in place
    let plan = pg
        .plan(&name, json!({"encoding": "sql_ascii"}), Some(&state))
        .await;
    assert_eq!(plan.operation, Operation::Replace, "{plan:?}");
    assert_eq!(paths(&plan), ["encoding"]);
    assert!(plan.diff[0].requires_replace);
    assert_eq!(plan.diff[0].after, Some(json!("SQL_ASCII")));
    let err = pg
        .try_apply(&name, json!({"encoding": "SQL_ASCII"}), Some(&state))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("replaced"), "{err}");
    let err = pg
        .try_plan(&name, json!({"encoding": "klingon"}), None)
        .await
        .unwrap_err();
    match err {
        PluginError::Invalid { violations, .. } => {
            assert_eq!(violations[0].path, "params.encoding")
        }
        other => panic!("expected Invalid, got {other}"),
    }

    // dropped by hand: read says gone, plan says create, apply recreates
    psql(&format!("DROP DATABASE \"{name}\""));
    assert_eq!(pg.read(&name, &state).await, None);
    let plan = pg.plan(&name, params.clone(), Some(&state)).await;
    assert_eq!(plan.operation, Operation::Create);
    assert!(plan.notes.iter().any(|n| n.contains("gone")), "{plan:?}");
    let recreated = pg.apply(&name, params.clone(), Some(&state)).await;
    assert_ne!(recreated.state["oid"], state["oid"]);
    assert_eq!(psql(&exists), "1");
    assert!(is_password_of(
        &name,
        recreated.outputs["password"].as_str().unwrap()
    ));

    // delete removes database and role; again is fine
    pg.delete(&name, &recreated.state).await;
    assert_eq!(psql(&exists), "0");
    assert_eq!(psql(&role_exists), "0");
    pg.delete(&name, &recreated.state).await;
    assert_eq!(pg.read(&name, &recreated.state).await, None);
}

#[tokio::test]
async fn names_are_checked_before_anything_is_touched() {
    let cache = tempfile::tempdir().unwrap();
    let pg = local(cache.path()).await;
    for bad in ["Orders", "1db", "a-b", "pg_x", "postgres", "template1", ""] {
        let err = pg.try_plan(bad, json!({}), None).await.unwrap_err();
        match err {
            PluginError::Invalid { violations, .. } => {
                assert_eq!(violations[0].path, "name", "{bad}")
            }
            other => panic!("{bad}: expected Invalid, got {other}"),
        }
    }
    let long = "a".repeat(64);
    assert!(matches!(
        pg.try_plan(&long, json!({}), None).await,
        Err(PluginError::Invalid { .. })
    ));
    let err = pg
        .try_plan("fine", json!({"connectionLimit": -2, "size": 1}), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("size"), "{err}");
}

#[tokio::test]
async fn import_adopts_a_database_made_by_hand() {
    common::init_tracing();
    let cache = tempfile::tempdir().unwrap();
    let pg = local(cache.path()).await;
    let name = unique("imp");
    let human = unique("human");
    let _cleanup = Cleanup(vec![name.clone(), human.clone()]);

    psql(&format!(
        "CREATE DATABASE \"{name}\" CONNECTION LIMIT 7 TEMPLATE template0 ENCODING 'SQL_ASCII'"
    ));
    // a create (no state) refuses a database paved did not make, plan and
    // apply alike
    for err in [
        pg.try_plan(&name, json!({}), None).await.unwrap_err(),
        pg.try_apply(&name, json!({}), None).await.unwrap_err(),
    ] {
        let err = err.to_string();
        assert!(
            err.contains("already exists") && err.contains("(not made by paved)"),
            "{err}"
        );
    }

    let err =
        pg.p.import_resource(&ImportRequest {
            address: address(&name),
            external_id: "other".into(),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, PluginError::Invalid { .. }), "{err}");

    let imported =
        pg.p.import_resource(&ImportRequest {
            address: address(&name),
            external_id: name.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(
        imported.params,
        json!({"connectionLimit": 7, "encoding": "SQL_ASCII"})
    );
    assert_eq!(imported.applied.state["owner"], "postgres");
    assert_eq!(imported.applied.outputs["user"], "postgres");
    assert!(imported.applied.outputs.get("password").is_none());
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = '{name}'"
        )),
        "0",
        "import changes nothing"
    );

    // the imported params plan no change but the owner role
    let state = imported.applied.state;
    let plan = pg.plan(&name, imported.params.clone(), Some(&state)).await;
    assert_eq!(plan.operation, Operation::Update, "{plan:?}");
    assert_eq!(paths(&plan), ["owner"]);
    let applied = pg.apply(&name, imported.params, Some(&state)).await;
    assert_eq!(applied.state["owner"], json!(name));
    assert_eq!(applied.state["oid"], state["oid"], "same database");
    pg.delete(&name, &applied.state).await;
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        )),
        "0"
    );

    // a database owned by a role that paved did not create: delete drops
    // the database and leaves the role alone
    psql(&format!("CREATE ROLE \"{human}\" LOGIN"));
    psql(&format!("CREATE DATABASE \"{human}\" OWNER \"{human}\""));
    let imported =
        pg.p.import_resource(&ImportRequest {
            address: address(&human),
            external_id: human.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(imported.applied.state["owner"], json!(human));
    pg.delete(&human, &imported.applied.state).await;
    assert_eq!(
        psql(&format!(
            "SELECT (SELECT count(*) FROM pg_database WHERE datname = '{human}') || ' ' || \
             (SELECT count(*) FROM pg_roles WHERE rolname = '{human}')"
        )),
        "0 1"
    );

    // importing what is not there
    let err =
        pg.p.import_resource(&ImportRequest {
            address: address(&name),
            external_id: name.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn connection_errors_name_the_server() {
    let cache = tempfile::tempdir().unwrap();

    // granted, but nothing listens there
    let refused = load(
        json!({"port": 1, "connectTimeoutMs": 2000}),
        &["127.0.0.1:1"],
        HashMap::new(),
        cache.path(),
    )
    .await
    .unwrap();
    let err = refused
        .try_plan("whatever", json!({}), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Guest, "{err}");
    let msg = err.to_string();
    eprintln!("refused: {msg}");
    assert!(
        msg.contains("127.0.0.1:1") && msg.to_lowercase().contains("refused"),
        "{msg}"
    );

    // something that is not PostgreSQL answers (here: an HTTP server)
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.read(&mut [0u8; 512]);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
        }
    });
    let not_pg = load(
        json!({"port": http.port()}),
        &[&http.to_string()],
        HashMap::new(),
        cache.path(),
    )
    .await
    .unwrap();
    let err = not_pg
        .try_plan("whatever", json!({}), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Guest, "{err}");
    assert!(
        err.to_string()
            .contains("does not look like a PostgreSQL server"),
        "{err}"
    );

    // no network grant at all: the sandbox refuses the socket
    let ungranted = load(json!({}), &[], HashMap::new(), cache.path())
        .await
        .unwrap();
    let err = ungranted
        .try_plan("whatever", json!({}), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::CapabilityDenied, "{err}");
    eprintln!("no grant: {err}");

    // a grant for another port does not reach 5432 either
    let elsewhere = load(json!({}), &["127.0.0.1:1"], HashMap::new(), cache.path())
        .await
        .unwrap();
    let err = elsewhere
        .try_plan("whatever", json!({}), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::CapabilityDenied, "{err}");

    // bad settings are refused at load, with their path
    let Err(err) = load(
        json!({"port": 0, "sslmode": "x"}),
        &[],
        HashMap::new(),
        cache.path(),
    )
    .await
    else {
        panic!("settings with port 0 and an unknown field must be refused at load");
    };
    assert_eq!(err.kind(), PluginErrorKind::Settings, "{err}");
    assert!(err.to_string().contains("sslmode"), "{err}");
}

// ------------------------------------------- password authentication

fn pg_bin(tool: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(tool))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from(tool))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Run a PostgreSQL server tool as the `postgres` user when we are root
/// (initdb and the server refuse to run as root).
fn run_pg(tool: &str, args: &[&str]) {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(tool));
        c
    } else {
        Command::new(pg_bin(tool))
    };
    let out = cmd.args(args).output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway cluster on a free port of 127.0.0.1, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn start(admin_password: &str) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        std::fs::write(dir.path().join("pw"), admin_password).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:", &path])
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown {path} to postgres");
        }
        run_pg(
            "initdb",
            &[
                "-D",
                &format!("{path}/data"),
                "-U",
                "postgres",
                &format!("--pwfile={path}/pw"),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster { dir, port };
        run_pg(
            "pg_ctl",
            &[
                "-D",
                &format!("{path}/data"),
                "-l",
                &format!("{path}/log"),
                "-w",
                "-o",
                &format!("-p {port} -k {path} -c listen_addresses=127.0.0.1 -c fsync=off"),
                "start",
            ],
        );
        cluster
    }

    fn path(&self) -> String {
        self.dir.path().to_str().unwrap().to_owned()
    }

    /// Run SQL as `postgres` over the cluster's Unix socket (trust).
    fn psql(&self, sql: &str) -> String {
        psql_at(&self.path(), self.port, sql)
    }

    /// Let TCP logins from 127.0.0.1 use `method` only.
    fn host_auth(&self, method: &str) {
        std::fs::write(
            self.dir.path().join("data/pg_hba.conf"),
            format!("local all all trust\nhost all all 127.0.0.1/32 {method}\n"),
        )
        .unwrap();
        self.psql("SELECT pg_reload_conf()");
        std::thread::sleep(Duration::from_millis(300));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = format!("{}/data", self.path());
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_bin("pg_ctl"));
            c
        } else {
            Command::new(pg_bin("pg_ctl"))
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
    }
}

#[tokio::test]
async fn scram_md5_and_cleartext_logins_use_the_granted_secret() {
    common::init_tracing();
    let admin_password = "s3cret 'with' \\quotes\\";
    let cluster = Cluster::start(admin_password);
    let cache = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", cluster.port);
    let settings = json!({"port": cluster.port, "passwordSecret": "pg-admin"});
    let secrets = |pw: &str| HashMap::from([("pg-admin".to_owned(), pw.to_owned())]);
    let pg = load(
        settings.clone(),
        &[&addr],
        secrets(admin_password),
        cache.path(),
    )
    .await
    .unwrap();

    // SCRAM-SHA-256 (initdb stored a SCRAM verifier): a whole lifecycle
    let name = unique("scram");
    let plan = pg.plan(&name, json!({}), None).await;
    assert_eq!(plan.operation, Operation::Create);
    let applied = pg.apply(&name, json!({"connectionLimit": 2}), None).await;
    assert_eq!(
        cluster.psql(&format!(
            "SELECT pg_get_userbyid(datdba) || ' ' || datconnlimit FROM pg_database \
             WHERE datname = '{name}'"
        )),
        format!("{name} 2")
    );
    // the generated password logs in over SCRAM too
    let login = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &cluster.port.to_string()])
        .args(["-U", &name, "-d", &name, "-tAc", "SELECT current_user"])
        .env("PGPASSWORD", applied.outputs["password"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(login.status.success(), "{login:?}");
    let wrong = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &cluster.port.to_string()])
        .args(["-U", &name, "-d", &name, "-tAc", "SELECT 1"])
        .env("PGPASSWORD", "wrong")
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "the check can fail");
    pg.delete(&name, &applied.state).await;

    // a wrong admin password: the server's message and SQLSTATE
    let bad = load(settings.clone(), &[&addr], secrets("nope"), cache.path())
        .await
        .unwrap();
    let err = bad.try_plan("x", json!({}), None).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("28P01") && msg.contains("password authentication failed"),
        "{msg}"
    );
    assert!(msg.contains(&addr), "{msg}");

    // no passwordSecret configured: says what is missing
    let none = load(
        json!({"port": cluster.port}),
        &[&addr],
        HashMap::new(),
        cache.path(),
    )
    .await
    .unwrap();
    let err = none.try_plan("x", json!({}), None).await.unwrap_err();
    assert!(err.to_string().contains("passwordSecret"), "{err}");

    // md5: the admin password stored as an md5 hash, md5 auth
    cluster.psql(&format!(
        "SET password_encryption = 'md5'; ALTER ROLE postgres PASSWORD '{}'",
        admin_password.replace('\'', "''")
    ));
    assert!(
        cluster
            .psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'")
            .starts_with("md5")
    );
    cluster.host_auth("md5");
    let plan = pg.plan("md5_db", json!({}), None).await;
    assert_eq!(plan.operation, Operation::Create);
    let err = bad.try_plan("x", json!({}), None).await.unwrap_err();
    assert!(err.to_string().contains("28P01"), "{err}");

    // cleartext password auth
    cluster.host_auth("password");
    let plan = pg.plan("clear_db", json!({}), None).await;
    assert_eq!(plan.operation, Operation::Create);
    let err = bad.try_plan("x", json!({}), None).await.unwrap_err();
    assert!(err.to_string().contains("28P01"), "{err}");
}
