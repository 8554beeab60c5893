//! URL targets against a real HTTP server started by the test (plain
//! `TcpListener`, hand-written HTTP/1.1): a `url` Location tree mixing valid
//! entities, an invalid one, placeholders to an allowed URL and to a 404, a
//! host that is not allowed, a redirect loop, a redirect off the allow list,
//! too many redirects, a URL that never answers, an endless body, a body
//! that claims 1 GB, a YAML bomb and a Location cycle. Each refuses only
//! what it touches, with an error naming the URL, the JSON path and the
//! line, in bounded time and memory; the rest is loaded (and stored, in a
//! per-entity import) with Backstage's location annotations.

mod common;

use common::show;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use paved_core::Diagnostic;
use paved_core::ingest::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, ImportMode, Limits, Loaded, Reading,
    ReadingAllow, load_paths, load_text, location_key,
};
use paved_core::model::schema::KindRegistry;
use paved_core::pipeline::WriteOptions;
use paved_core::platform::{Platform, StoreSpec};
use paved_core::query::QuerySpec;

/// What the server answers on a path.
#[derive(Clone)]
enum Reply {
    Yaml(String),
    Status(u16, &'static str),
    Redirect(String),
    /// Reads the request and never answers (until the client hangs up).
    Hang,
    /// 200 without a length, then data until the client hangs up (at most 1 GiB).
    Endless,
    /// 200 with this Content-Length, then data until the client hangs up.
    Claims(u64),
}

/// Bytes a streaming reply sends at most: 1 GiB.
const GIB: u64 = 1 << 30;

struct Server {
    port: u16,
    /// (Host header, path) of every request, in order.
    requests: Arc<Mutex<Vec<(String, String)>>>,
    /// Bytes the streaming replies managed to send.
    streamed: Arc<AtomicU64>,
    /// Streaming replies that have ended (the client hung up).
    streams_done: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hosts(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(h, _)| h.clone())
            .collect()
    }

    fn hits(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p)| p == path)
            .count()
    }
}

/// Start a server on 127.0.0.1; `routes` gets its port (for absolute URLs).
fn serve(routes: impl FnOnce(u16) -> HashMap<String, Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = Arc::new(routes(port));
    let server = Server {
        port,
        requests: Arc::default(),
        streamed: Arc::default(),
        streams_done: Arc::default(),
    };
    let (requests, streamed, done) = (
        server.requests.clone(),
        server.streamed.clone(),
        server.streams_done.clone(),
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (routes, requests, streamed, done) = (
                routes.clone(),
                requests.clone(),
                streamed.clone(),
                done.clone(),
            );
            std::thread::spawn(move || {
                let _ = answer(stream, &routes, &requests, &streamed, &done);
            });
        }
    });
    server
}

fn answer(
    mut stream: TcpStream,
    routes: &HashMap<String, Reply>,
    requests: &Mutex<Vec<(String, String)>>,
    streamed: &AtomicU64,
    done: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut host = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("host")
        {
            host = value.trim().to_string();
        }
    }
    requests.lock().unwrap().push((host, path.clone()));
    let reply = routes
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Status(404, "Not Found"));
    let head = |status: &str, extra: &str| {
        format!("HTTP/1.1 {status}\r\n{extra}Connection: close\r\n\r\n")
    };
    match reply {
        Reply::Yaml(body) => {
            let extra = format!(
                "Content-Type: application/yaml\r\nContent-Length: {}\r\n",
                body.len()
            );
            stream.write_all(head("200 OK", &extra).as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
        Reply::Status(code, reason) => {
            let status = format!("{code} {reason}");
            stream.write_all(head(&status, "Content-Length: 0\r\n").as_bytes())?;
        }
        Reply::Redirect(to) => {
            let extra = format!("Location: {to}\r\nContent-Length: 0\r\n");
            stream.write_all(head("302 Found", &extra).as_bytes())?;
        }
        Reply::Hang => {
            // Until the client gives up and closes the connection.
            let mut buf = [0u8; 64];
            while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
        }
        Reply::Endless | Reply::Claims(_) => {
            let extra = match reply {
                Reply::Claims(n) => format!("Content-Length: {n}\r\n"),
                _ => String::new(),
            };
            stream.write_all(head("200 OK", &extra).as_bytes())?;
            let chunk = "key: value\n".repeat(6000);
            let mut sent = 0;
            while sent < GIB {
                if stream.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
                sent += chunk.len() as u64;
                streamed.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            done.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

fn yaml(text: &str) -> Reply {
    Reply::Yaml(text.to_string())
}

/// A "billion laughs": 9 levels of 10 aliases each.
fn bomb() -> String {
    let mut text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        let items = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    text
}

/// The tree: a url Location (no `type`: read from a URL, it is a url
/// Location, as in Backstage) and what its targets lead to.
fn tree(port: u16) -> HashMap<String, Reply> {
    let root = format!(
        "\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: root}}
spec:
  type: url
  targets:
    - ./team/entities.yaml
    - http://127.0.0.1:{port}/systems.yaml
    - http://localhost:{port}/elsewhere.yaml
    - ./loop-a
    - ./off-list
    - ./hops/1
    - ./hang.yaml
    - ./endless.yaml
    - ./huge.yaml
    - ./bomb.yaml
    - ./missing.yaml
    - ./nested/location.yaml
"
    );
    let entities = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web}
spec: {type: website, lifecycle: production, owner: team-a, system: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: broken}
spec:
  type: service
  lifecycle: 42
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: rates-api}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    $text: ./rates.openapi.yaml
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: gone-api}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    $text: ../missing-spec.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
";
    let systems = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: payments}
spec: {owner: team-a}
";
    // No type: a url Location, its targets relative to this URL.
    let nested = "\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: nested}
spec:
  targets: [../catalog-info.yaml, ./users.yaml]
";
    let users = "\
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a]}
";
    let mut routes = HashMap::from([
        ("/catalog-info.yaml".to_string(), yaml(&root)),
        ("/team/entities.yaml".to_string(), yaml(entities)),
        (
            "/team/rates.openapi.yaml".to_string(),
            yaml("openapi: 3.0.0\ninfo: {title: Rates, version: 1.0.0}\n"),
        ),
        ("/systems.yaml".to_string(), yaml(systems)),
        ("/elsewhere.yaml".to_string(), yaml(systems)),
        ("/loop-a".to_string(), Reply::Redirect("/loop-b".into())),
        (
            "/loop-b".to_string(),
            Reply::Redirect(format!("http://127.0.0.1:{port}/loop-a")),
        ),
        (
            "/off-list".to_string(),
            Reply::Redirect(format!("http://localhost:{port}/systems.yaml")),
        ),
        ("/hang.yaml".to_string(), Reply::Hang),
        ("/endless.yaml".to_string(), Reply::Endless),
        ("/huge.yaml".to_string(), Reply::Claims(GIB)),
        ("/bomb.yaml".to_string(), Reply::Yaml(bomb())),
        ("/nested/location.yaml".to_string(), yaml(nested)),
        ("/nested/users.yaml".to_string(), yaml(users)),
    ]);
    // /hops/1 -> /hops/2 -> … -> /hops/7: more than 5 redirects.
    for i in 1..7 {
        routes.insert(
            format!("/hops/{i}"),
            Reply::Redirect(format!("./{}", i + 1)),
        );
    }
    routes.insert("/hops/7".to_string(), yaml(systems));
    routes
}

fn reading(server: &Server) -> Reading {
    Reading {
        allow: vec![ReadingAllow::host(format!("127.0.0.1:{}", server.port))],
        timeout: Duration::from_secs(1),
        ..Reading::default()
    }
}

fn refs(loaded: &Loaded) -> Vec<String> {
    loaded
        .entities()
        .iter()
        .map(|e| e.entity.entity_ref().to_string())
        .collect()
}

/// (file, line, JSON path, entity) of a diagnostic.
fn place(d: &Diagnostic) -> (String, usize, String, Option<String>) {
    let at = d.location.as_ref().expect("a location");
    (at.file.clone(), at.line, d.path.clone(), d.entity.clone())
}

/// Expected: (file, line, path, entity, message start).
type Expected<'a> = (String, usize, &'a str, Option<&'a str>, String);

fn check_errors(loaded: &Loaded, expected: &[Expected<'_>]) {
    let errors: Vec<&Diagnostic> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), expected.len(), "{}", show(loaded));
    for (d, (file, line, path, entity, message)) in errors.into_iter().zip(expected) {
        assert_eq!(
            place(d),
            (
                file.clone(),
                *line,
                path.to_string(),
                entity.map(str::to_string)
            ),
            "{d}"
        );
        assert!(
            d.message.starts_with(message.as_str()),
            "{d}\nexpected: {message}"
        );
    }
}

fn the_tree_loaded(server: &Server, loaded: &Loaded, started: Instant) {
    let url = |p: &str| server.url(p);
    let port = server.port;
    // Bounded time: one hanging URL costs one timeout (1 s), nothing else waits.
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "the load took {elapsed:?}"
    );

    assert_eq!(
        refs(loaded),
        [
            "location:default/root",
            "component:default/web",
            "api:default/rates-api",
            "group:default/team-a",
            "system:default/payments",
            "location:default/nested",
            "user:default/alice",
        ],
        "{}",
        show(loaded)
    );
    let root = url("/catalog-info.yaml");
    let team = url("/team/entities.yaml");
    let target = |i: usize| format!("spec.targets[{i}]");
    let targets: Vec<String> = (0..12).map(target).collect();
    let location = Some("location:default/root");
    let expected: Vec<Expected<'_>> = vec![
        // An invalid entity: that entity only.
        (
            team.clone(),
            11,
            "spec.lifecycle",
            Some("component:default/broken"),
            String::new(),
        ),
        // A placeholder to a 404: that entity, at the placeholder.
        (
            team.clone(),
            31,
            "spec.definition",
            Some("api:default/gone-api"),
            format!(
                "`$text` target {}: not found (HTTP 404)",
                url("/missing-spec.yaml")
            ),
        ),
        // Targets that cannot be read: an error at the target's line.
        (
            root.clone(),
            9,
            &targets[2],
            location,
            format!(
                "Location target http://localhost:{port}/elsewhere.yaml: host 'localhost:{port}' \
                 is not in reading.allow; add `- host: localhost:{port}` to reading.allow in \
                 paved.yaml to read from it"
            ),
        ),
        (
            root.clone(),
            10,
            &targets[3],
            location,
            format!(
                "Location target {}: redirect loop: {} -> {} -> {}; fix the redirects on the \
                 server, or point at the final URL",
                url("/loop-a"),
                url("/loop-a"),
                url("/loop-b"),
                url("/loop-a")
            ),
        ),
        (
            root.clone(),
            11,
            &targets[4],
            location,
            format!(
                "Location target {}: it redirects to http://localhost:{port}/systems.yaml, \
                 which is not read: host 'localhost:{port}' is not in reading.allow",
                url("/off-list")
            ),
        ),
        (
            root.clone(),
            12,
            &targets[5],
            location,
            format!(
                "Location target {}: more than 5 redirects ({} -> {} -> {} -> {} -> {} -> {} -> {}); \
                 point at the final URL, or raise reading.maxRedirects in paved.yaml",
                url("/hops/1"),
                url("/hops/1"),
                url("/hops/2"),
                url("/hops/3"),
                url("/hops/4"),
                url("/hops/5"),
                url("/hops/6"),
                url("/hops/7"),
            ),
        ),
        (
            root.clone(),
            13,
            &targets[6],
            location,
            format!(
                "Location target {}: no complete answer within 1s (reading.timeout); check that \
                 the server is up, or raise reading.timeout in paved.yaml",
                url("/hang.yaml")
            ),
        ),
        (
            root.clone(),
            14,
            &targets[7],
            location,
            format!(
                "Location target {}: the response is longer than the limit of {} bytes (reading \
                 stopped there); split the file, or raise reading.maxBytes in paved.yaml",
                url("/endless.yaml"),
                Limits::DEFAULT_MAX_BYTES
            ),
        ),
        (
            root.clone(),
            15,
            &targets[8],
            location,
            format!(
                "Location target {}: the response is {GIB} bytes (its Content-Length), more than \
                 the limit of {} bytes",
                url("/huge.yaml"),
                Limits::DEFAULT_MAX_BYTES
            ),
        ),
        // A YAML bomb is read, then refused by the YAML limits, in its own file.
        (
            url("/bomb.yaml"),
            4,
            "a3[7]",
            None,
            "aliases in this input expand to more than 10000 nodes (an alias bomb?)".to_string(),
        ),
        (
            root.clone(),
            17,
            &targets[10],
            location,
            format!(
                "Location target {}: not found (HTTP 404)",
                url("/missing.yaml")
            ),
        ),
        // A cycle back to the root: that target only; the Location's other
        // target (users.yaml) is still read.
        (
            url("/nested/location.yaml"),
            5,
            "spec.targets[0]",
            Some("location:default/nested"),
            format!(
                "Location cycle: {root} -> {} -> {root}; remove the target that leads back",
                url("/nested/location.yaml")
            ),
        ),
    ];
    check_errors(loaded, &expected);
    // The broken component's error is the schema's, at its line.
    let broken = loaded
        .diagnostics()
        .iter()
        .find(|d| d.entity.as_deref() == Some("component:default/broken"))
        .unwrap();
    assert!(broken.message.contains("string"), "{broken}");

    // The host that is not allowed was never asked, even through a redirect.
    assert!(
        server
            .hosts()
            .iter()
            .all(|h| h == &format!("127.0.0.1:{port}")),
        "{:?}",
        server.hosts()
    );
    // Every URL is read once, however often it is reached.
    assert_eq!(server.hits("/catalog-info.yaml"), 1);
    // A redirect chain stops at the bound: /hops/7 is never asked for.
    assert_eq!(server.hits("/hops/6"), 1);
    assert_eq!(server.hits("/hops/7"), 0);
    // Bounded memory: the endless body and the 1 GB one stop at the limit
    // (what the server could send before the client hung up is the limit
    // plus the sockets' buffers, not 1 GiB).
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.streams_done.load(Ordering::Relaxed) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.streams_done.load(Ordering::Relaxed), 2);
    let streamed = server.streamed.load(Ordering::Relaxed);
    assert!(streamed < 64 << 20, "the server sent {streamed} bytes");

    // Backstage's annotations: the URL each entity came from, and the root.
    let annotations = |name: &str| {
        let e = loaded
            .entities()
            .iter()
            .find(|e| e.entity.metadata.name == name)
            .unwrap();
        let a = &e.entity.metadata.annotations;
        (
            a[ANNOTATION_LOCATION].clone(),
            a[ANNOTATION_ORIGIN_LOCATION].clone(),
        )
    };
    assert_eq!(
        annotations("root"),
        (format!("url:{root}"), format!("url:{root}"))
    );
    assert_eq!(
        annotations("web"),
        (format!("url:{team}"), format!("url:{root}"))
    );
    assert_eq!(
        annotations("alice"),
        (
            format!("url:{}", url("/nested/users.yaml")),
            format!("url:{root}")
        )
    );
    // The allowed placeholder was read.
    let rates = loaded
        .entities()
        .iter()
        .find(|e| e.entity.metadata.name == "rates-api")
        .unwrap();
    assert_eq!(
        rates.entity.spec.as_ref().unwrap()["definition"],
        "openapi: 3.0.0\ninfo: {title: Rates, version: 1.0.0}\n"
    );
    // Every entity is keyed by the root URL it was reached from.
    assert!(loaded.entities().iter().all(|e| e.location_key == root));
    assert_eq!(loaded.roots(), std::slice::from_ref(&root));
    assert!(loaded.files().contains(&url("/nested/users.yaml")));
}

#[test]
fn a_url_location_tree_loads_what_it_can_and_reports_the_rest() {
    let server = serve(tree);
    let started = Instant::now();
    let loaded = load_paths(
        &[PathBuf::from(server.url("/catalog-info.yaml"))],
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading(&server),
    );
    the_tree_loaded(&server, &loaded, started);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_entity_import_stores_what_it_can_with_relations_and_annotations() {
    let server = serve(tree);
    let platform = Platform::builder()
        .store(StoreSpec::Memory)
        .reading(reading(&server))
        .build()
        .await
        .unwrap();
    let root = server.url("/catalog-info.yaml");
    let started = Instant::now();
    let set = platform
        .catalog()
        .import(
            &[PathBuf::from(&root)],
            Some(ImportMode::PerEntity),
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(set.partial);
    assert_eq!(set.refused.len(), 12, "{:#?}", set.refused);
    assert!(set.conflicts.is_empty());
    let mut stored: Vec<String> = platform
        .catalog()
        .query_all(&QuerySpec::default())
        .map_ok(|e| {
            format!(
                "{}:default/{}",
                e["kind"].as_str().unwrap().to_lowercase(),
                e["metadata"]["name"].as_str().unwrap()
            )
        })
        .try_collect()
        .await
        .unwrap();
    stored.sort();
    assert_eq!(
        stored,
        [
            "api:default/rates-api",
            "component:default/web",
            "group:default/team-a",
            "location:default/nested",
            "location:default/root",
            "system:default/payments",
            "user:default/alice",
        ]
    );
    let web = platform
        .catalog()
        .get("component:default/web")
        .await
        .unwrap();
    let mut relations: Vec<(String, String)> = web
        .relations
        .iter()
        .map(|r| (r.r#type.clone(), r.target_ref.clone()))
        .collect();
    relations.sort();
    assert_eq!(
        relations,
        [
            ("ownedBy".to_string(), "group:default/team-a".to_string()),
            ("partOf".to_string(), "system:default/payments".to_string()),
        ]
    );
    assert_eq!(
        web.metadata.annotations[ANNOTATION_LOCATION],
        format!("url:{}", server.url("/team/entities.yaml"))
    );
    assert_eq!(
        web.metadata.annotations[ANNOTATION_ORIGIN_LOCATION],
        format!("url:{root}")
    );
    let team = platform
        .catalog()
        .get("group:default/team-a")
        .await
        .unwrap();
    let has = |t: &str, target: &str| {
        team.relations
            .iter()
            .any(|r| r.r#type == t && r.target_ref == target)
    };
    assert!(has("ownerOf", "component:default/web"));
    assert!(has("hasMember", "user:default/alice"));
    // The refused entities are not there.
    for gone in ["component:default/broken", "api:default/gone-api"] {
        assert!(platform.catalog().get(gone).await.is_err(), "{gone}");
    }
}

#[test]
fn nothing_is_read_unless_reading_allows_it() {
    let server = serve(tree);
    let root = server.url("/catalog-info.yaml");
    let loaded = load_paths(
        &[PathBuf::from(&root)],
        &KindRegistry::builtin(),
        &Limits::default(),
        &Reading::default(),
    );
    assert!(loaded.entities().is_empty());
    check_errors(
        &loaded,
        &[(
            root.clone(),
            0,
            "",
            None,
            format!(
                "host '127.0.0.1:{port}' is not in reading.allow; add `- host: 127.0.0.1:{port}` \
                 to reading.allow in paved.yaml to read from it",
                port = server.port
            ),
        )],
    );
    assert_eq!(server.hosts().len(), 0);
    assert_eq!(location_key(&PathBuf::from(&root)), root);
}

#[test]
fn paths_in_reading_allow_are_prefixes() {
    let server = serve(tree);
    let reading = Reading {
        allow: vec![ReadingAllow {
            host: format!("127.0.0.1:{}", server.port),
            paths: Some(vec!["/team/".to_string()]),
        }],
        ..Reading::default()
    };
    let loaded = load_paths(
        &[PathBuf::from(server.url("/team/entities.yaml"))],
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading,
    );
    // Under /team/: read, and its placeholder under /team/ too; the one
    // outside /team/ is refused without asking the server.
    assert_eq!(
        refs(&loaded),
        [
            "component:default/web",
            "api:default/rates-api",
            "group:default/team-a"
        ]
    );
    let gone = loaded
        .diagnostics()
        .iter()
        .find(|d| d.entity.as_deref() == Some("api:default/gone-api"))
        .unwrap();
    assert!(
        gone.message.contains(&format!(
            "path '/missing-spec.yaml' is not under the paths reading.allow gives for host \
             '127.0.0.1:{}' (/team/)",
            server.port
        )),
        "{gone}"
    );
    assert_eq!(server.hits("/missing-spec.yaml"), 0);
}

#[test]
fn files_name_urls_through_url_locations_and_placeholders() {
    let server = serve(tree);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &file,
        format!(
            "\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: local}}
spec:
  type: url
  targets: [{systems}, ./relative.yaml]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: remote-def}}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: {{$text: {rates}}}
",
            systems = server.url("/systems.yaml"),
            rates = server.url("/team/rates.openapi.yaml"),
        ),
    )
    .unwrap();
    let loaded = load_paths(
        std::slice::from_ref(&file),
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading(&server),
    );
    assert_eq!(
        refs(&loaded),
        [
            "location:default/local",
            "system:default/payments",
            "api:default/remote-def"
        ],
        "{}",
        show(&loaded)
    );
    let shown = file.display().to_string();
    check_errors(
        &loaded,
        &[(
            shown,
            6,
            "spec.targets[1]",
            Some("location:default/local"),
            "'./relative.yaml' is not an absolute URL: a url Location read from a file needs \
             http:// or https:// targets"
                .to_string(),
        )],
    );
    let canonical = format!("file:{}", file.canonicalize().unwrap().display());
    let payments = &loaded.entities()[1].entity.metadata.annotations;
    assert_eq!(
        payments[ANNOTATION_LOCATION],
        format!("url:{}", server.url("/systems.yaml"))
    );
    assert_eq!(payments[ANNOTATION_ORIGIN_LOCATION], canonical);

    // Text given directly: absolute URLs are read too.
    let text = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {{name: t}}\n\
         spec: {{type: url, target: {}}}\n",
        server.url("/systems.yaml")
    );
    let loaded = load_text(
        "inline.yaml",
        &text,
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading(&server),
    );
    assert_eq!(
        refs(&loaded),
        ["location:default/t", "system:default/payments"]
    );
}

#[test]
fn an_optional_url_target_that_does_not_exist_is_skipped() {
    let server = serve(|_| {
        HashMap::from([
            (
                "/catalog-info.yaml".to_string(),
                yaml(
                    "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: o}\n\
                 spec: {presence: optional, targets: [./missing.yaml, ./hang.yaml]}\n",
                ),
            ),
            ("/hang.yaml".to_string(), Reply::Hang),
        ])
    });
    let loaded = load_paths(
        &[PathBuf::from(server.url("/catalog-info.yaml"))],
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading(&server),
    );
    assert_eq!(refs(&loaded), ["location:default/o"]);
    // Missing: skipped. Not answering is not "missing": still an error.
    let errors: Vec<_> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{}", show(&loaded));
    assert_eq!(errors[0].path, "spec.targets[1]");
    assert!(
        errors[0].message.contains("no complete answer within 1s"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_small_max_bytes_refuses_a_longer_body() {
    let server = serve(tree);
    let reading = Reading {
        max_bytes: Some(50),
        ..reading(&server)
    };
    let url = server.url("/systems.yaml");
    let loaded = load_paths(
        &[PathBuf::from(&url)],
        &KindRegistry::builtin(),
        &Limits::default(),
        &reading,
    );
    let [e] = loaded.diagnostics() else {
        panic!("one error expected:{}", show(&loaded));
    };
    assert_eq!(place(e), (url, 0, String::new(), None));
    assert!(
        e.message
            .contains("bytes (its Content-Length), more than the limit of 50 bytes"),
        "{e}"
    );
}
