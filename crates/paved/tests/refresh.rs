//! Keeping the catalogue in sync with its locations (issue 12, item 5), on
//! SQLite and on PostgreSQL: `catalog.refresh` re-reads registered
//! locations and applies what changed per entity (unchanged entities are
//! not rewritten), handles orphans by the configured strategy (keep and
//! mark, or delete), reports what it refused and records each read, which
//! `catalog.locations` lists; `catalog.refreshes` refreshes on file changes
//! (`watch`) and on an interval.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::stores;
use futures::StreamExt;
use paved::{
    ANNOTATION_ORPHAN, CatalogSettings, Error, OrphanStrategy, Outcome, Platform, RefreshEvent,
    RefreshReport, RefreshSchedule, StoreSpec, WriteOptions,
};

/// A root Location naming `components/*.yaml`, and three components.
fn tree(dir: &Path) -> PathBuf {
    let root = dir.join("catalog");
    std::fs::create_dir_all(root.join("components")).unwrap();
    std::fs::write(
        root.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\n\
         spec:\n  targets: [./components/*.yaml]\n",
    )
    .unwrap();
    for name in ["a", "b", "c"] {
        write_component(&root, name, "first");
    }
    root.join("catalog-info.yaml")
}

fn write_component(root: &Path, name: &str, description: &str) {
    std::fs::write(
        root.join("components").join(format!("{name}.yaml")),
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  \
             description: {description}\nspec:\n  type: service\n  lifecycle: production\n  \
             owner: group:default/team-a\n"
        ),
    )
    .unwrap();
}

async fn open(store: StoreSpec, orphans: OrphanStrategy) -> Platform {
    Platform::builder()
        .store(store)
        .catalog(CatalogSettings {
            orphan_strategy: orphans,
        })
        .build()
        .await
        .unwrap()
}

async fn refresh(p: &Platform) -> RefreshReport {
    p.catalog()
        .refresh(None, &WriteOptions::default())
        .await
        .unwrap()
}

async fn annotation(p: &Platform, r: &str) -> Option<String> {
    p.catalog()
        .get(r)
        .await
        .unwrap()
        .metadata
        .annotations
        .get(ANNOTATION_ORPHAN)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_applies_what_changed_marks_or_deletes_orphans_and_records_each_read() {
    for (store, _pg, dir) in stores().await {
        let root = tree(dir.path());
        let catalog_dir = root.parent().unwrap().to_path_buf();
        let p = open(store.clone(), OrphanStrategy::Keep).await;
        let c = p.catalog();
        let set = c
            .import(std::slice::from_ref(&root), None, &WriteOptions::default())
            .await
            .unwrap();
        assert_eq!(set.count(Outcome::Created), 4);
        let location = format!("file:{}", root.canonicalize().unwrap().display());

        // Nothing changed: nothing rewritten.
        let report = refresh(&p).await;
        assert_eq!(report.locations.len(), 1);
        let one = &report.locations[0];
        assert_eq!(one.location, location);
        assert_eq!((one.read.unchanged, report.written()), (4, 0), "{report:?}");
        assert_eq!(one.files, 4);

        // a changed, b gone, d invalid: a updated, b kept and marked, d refused.
        write_component(&catalog_dir, "a", "second");
        std::fs::remove_file(catalog_dir.join("components/b.yaml")).unwrap();
        std::fs::write(
            catalog_dir.join("components/d.yaml"),
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: d\n\
             spec:\n  type: service\n  lifecycle: 42\n  owner: team-a\n",
        )
        .unwrap();
        let report = refresh(&p).await;
        let one = &report.locations[0].read;
        assert_eq!(one.orphans, ["component:default/b"], "{report:?}");
        assert_eq!(
            (one.created, one.updated, one.unchanged),
            (0, 2, 2),
            "a changed and b marked: {report:?}"
        );
        assert_eq!(one.refused.len(), 1, "{report:?}");
        let refused = &one.refused[0];
        assert_eq!(refused.entity.as_deref(), Some("component:default/d"));
        assert_eq!(refused.path, "spec.lifecycle");
        let at = refused.location.as_ref().unwrap();
        assert!(at.file.ends_with("components/d.yaml"), "{refused}");
        assert_eq!(at.line, 7);
        assert!(report.is_partial() && !report.has_failures());
        assert_eq!(
            annotation(&p, "component:default/b").await.as_deref(),
            Some("true")
        );
        let a = c.get("component:default/a").await.unwrap();
        assert_eq!(a.metadata.description.as_deref(), Some("second"));

        // What the last read did is recorded, refusals included.
        let listed = c.locations().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].location, location);
        assert_eq!(listed[0].entities, 4);
        let last = listed[0].last_read.as_ref().unwrap();
        assert_eq!(last.action, "catalog.refresh");
        assert_eq!((last.updated, last.refused.len()), (2, 1));
        assert_eq!(last.orphans, ["component:default/b"]);
        assert!(!last.at.is_empty() && last.actor == "system");
        assert_eq!(c.location(&location).await.unwrap(), listed[0]);
        assert_eq!(
            c.location(root.to_str().unwrap()).await.unwrap().location,
            location
        );

        // A marked orphan is not rewritten; back in its file, it is unmarked.
        let report = refresh(&p).await;
        assert_eq!(report.written(), 0, "{report:?}");
        write_component(&catalog_dir, "b", "first");
        let report = refresh(&p).await;
        assert_eq!(report.locations[0].read.updated, 1, "{report:?}");
        assert_eq!(annotation(&p, "component:default/b").await, None);

        // A dry run writes nothing.
        std::fs::remove_file(catalog_dir.join("components/c.yaml")).unwrap();
        let dry = c
            .refresh(None, &WriteOptions::default().dry_run())
            .await
            .unwrap();
        assert!(dry.dry_run);
        assert_eq!(dry.locations[0].read.orphans, ["component:default/c"]);
        assert_eq!(annotation(&p, "component:default/c").await, None);

        // The delete strategy deletes orphans, through the pipeline.
        drop(p);
        let p = open(store.clone(), OrphanStrategy::Delete).await;
        let report = refresh(&p).await;
        assert_eq!(report.locations[0].read.deleted, 1, "{report:?}");
        assert!(matches!(
            p.catalog().get("component:default/c").await,
            Err(Error::NotFound { .. })
        ));

        // A location that cannot be read changes nothing and says why.
        std::fs::rename(&catalog_dir, dir.path().join("moved")).unwrap();
        let report = refresh(&p).await;
        assert!(report.has_failures(), "{report:?}");
        let failed = &report.locations[0].read;
        assert!(failed.error.as_ref().unwrap().contains("could not be read"));
        assert_eq!(report.written(), 0);
        assert!(p.catalog().get("component:default/a").await.is_ok());
        let last = p.catalog().locations().await.unwrap()[0]
            .last_read
            .clone()
            .unwrap();
        assert!(last.error.is_some() && !last.refused.is_empty(), "{last:?}");

        // A location never imported is not found.
        assert!(matches!(
            p.catalog()
                .refresh(Some("/nowhere/catalog.yaml"), &WriteOptions::default())
                .await,
            Err(Error::NotFound { .. })
        ));
    }
}

/// The next report of a refresh stream (a correctness bound, not a timing).
async fn next_done(
    events: &mut (impl futures::Stream<Item = paved::Result<RefreshEvent>> + Unpin),
) -> RefreshReport {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .expect("a refresh within 30 s")
            .expect("the stream goes on")
            .unwrap();
        if let RefreshEvent::Done(report) = event {
            return report;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_follow_file_changes_and_an_interval() {
    for (store, _pg, dir) in stores().await {
        let root = tree(dir.path());
        let catalog_dir = root.parent().unwrap().to_path_buf();
        let p = open(store, OrphanStrategy::Keep).await;
        p.catalog()
            .import(std::slice::from_ref(&root), None, &WriteOptions::default())
            .await
            .unwrap();

        // Watching: a refresh at the start, then one per change of a file read.
        let schedule = RefreshSchedule {
            watch: true,
            ..RefreshSchedule::default()
        };
        let mut events = p.catalog().refreshes(schedule, WriteOptions::default());
        let first = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(
            matches!(&first, RefreshEvent::Location(l) if l.read.unchanged == 4),
            "progress first: {first:?}"
        );
        let start = next_done(&mut events).await;
        assert_eq!((start.trigger.as_str(), start.written()), ("start", 0));
        write_component(&catalog_dir, "a", "watched");
        let changed = next_done(&mut events).await;
        assert_eq!(changed.trigger, "files");
        assert_eq!(changed.locations[0].read.updated, 1, "{changed:?}");
        // A new file under a watched directory is seen too.
        write_component(&catalog_dir, "e", "new");
        let added = next_done(&mut events).await;
        assert_eq!(added.locations[0].read.created, 1, "{added:?}");
        drop(events);

        // On an interval.
        let schedule = RefreshSchedule {
            interval: Some(Duration::from_secs(1)),
            ..RefreshSchedule::default()
        };
        let mut events = p.catalog().refreshes(schedule, WriteOptions::default());
        assert_eq!(next_done(&mut events).await.trigger, "start");
        let again = next_done(&mut events).await;
        assert_eq!((again.trigger.as_str(), again.written()), ("interval", 0));

        // Once, when the schedule does not repeat: the stream ends.
        let once: Vec<_> = p
            .catalog()
            .refreshes(RefreshSchedule::default(), WriteOptions::default())
            .collect()
            .await;
        assert_eq!(once.len(), 2, "one location, then the report");
        assert!(matches!(&once[1], Ok(RefreshEvent::Done(r)) if r.trigger == "request"));
    }
}

#[test]
fn intervals_are_checked() {
    assert_eq!(
        RefreshSchedule::parse_interval("5m").unwrap(),
        Duration::from_secs(300)
    );
    for bad in ["0s", "soon", "5 parsecs"] {
        let e = RefreshSchedule::parse_interval(bad).unwrap_err();
        assert!(
            e.to_string().contains("invalid refresh interval"),
            "{bad}: {e}"
        );
    }
}

/// A catalogue file served over HTTP on 127.0.0.1 until `down` is set (then 503).
fn serve(body: String, down: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let response = if down.load(std::sync::atomic::Ordering::SeqCst) {
                "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/yaml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_of_a_url_that_cannot_be_read_are_kept_not_orphaned() {
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let body = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: remote\n\
                spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";
    let port = serve(body.to_string(), down.clone());
    for (store, _pg, dir) in stores().await {
        let root = dir.path().join("catalog-info.yaml");
        std::fs::write(
            &root,
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: remote\n\
                 spec:\n  type: url\n  target: http://127.0.0.1:{port}/remote.yaml\n"
            ),
        )
        .unwrap();
        let p = Platform::builder()
            .store(store)
            .reading(paved::Reading::allowing([format!("127.0.0.1:{port}")]))
            .catalog(CatalogSettings {
                orphan_strategy: OrphanStrategy::Delete,
            })
            .build()
            .await
            .unwrap();
        p.catalog()
            .import(std::slice::from_ref(&root), None, &WriteOptions::default())
            .await
            .unwrap();
        let remote = p.catalog().get("component:default/remote").await.unwrap();
        assert_eq!(
            remote.metadata.annotations["backstage.io/managed-by-location"],
            format!("url:http://127.0.0.1:{port}/remote.yaml")
        );
        assert_eq!(refresh(&p).await.written(), 0);

        // The server is down: the target is refused, its entity kept.
        down.store(true, std::sync::atomic::Ordering::SeqCst);
        let report = refresh(&p).await;
        let read = &report.locations[0].read;
        assert!(read.orphans.is_empty(), "{report:?}");
        assert_eq!(read.deleted, 0);
        assert!(read.refused[0].message.contains("503"), "{report:?}");
        assert!(p.catalog().get("component:default/remote").await.is_ok());
        down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
