//! Importing a Location tree the Backstage way (issue 12, items 1, 3, 4), on
//! SQLite and on PostgreSQL: per-entity mode (the default) stores every
//! entity that passes, whole with its relations, and reports each one kept
//! out (refused, with file, line and JSON path; or a conflict: the first
//! location keeps a ref); all-or-nothing writes nothing; entities carry
//! Backstage's managed-by-location annotations.
//!
//! The tree is `crates/core/tests/fixtures/partial-import` (see its README).

mod common;

use std::path::{Path, PathBuf};

use common::{entity_count, stores};
use paved::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, ChangeSet, Error, ImportMode, Outcome,
    Platform, StoreSpec, WriteOptions,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/partial-import")
}

fn file_ref(path: &Path) -> String {
    format!("file:{}", path.canonicalize().unwrap().display())
}

async fn open(store: StoreSpec) -> Platform {
    Platform::builder().store(store).build().await.unwrap()
}

/// Import the tree rooted at `root` in `mode`.
async fn import(p: &Platform, root: &Path, mode: Option<ImportMode>) -> paved::Result<ChangeSet> {
    p.catalog()
        .import(&[root.to_path_buf()], mode, &WriteOptions::default())
        .await
}

/// Import `root` all or nothing, which must refuse it: every problem.
async fn refused_whole(p: &Platform, root: &Path) -> Vec<paved::Diagnostic> {
    match import(p, root, Some(ImportMode::AllOrNothing)).await {
        Err(Error::Invalid { diagnostics }) => diagnostics,
        other => panic!("expected VALIDATION, got {other:?}"),
    }
}

fn entities_of(list: &[paved::Diagnostic]) -> Vec<&str> {
    list.iter().filter_map(|d| d.entity.as_deref()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_tree_imports_entity_by_entity_and_all_or_nothing_writes_nothing() {
    let root = fixture().join("catalog-info.yaml");
    for (store, _pg, _dir) in stores().await {
        let p = open(store).await;

        // All or nothing: every problem, conflicts included; nothing written.
        let diagnostics = refused_whole(&p, &root).await;
        assert_eq!(diagnostics.len(), 3, "{diagnostics:?}");
        assert_eq!(entity_count(&p).await, 0);

        // Per entity, the default: the 9 that pass are stored.
        let set = import(&p, &root, None).await.unwrap();
        assert!(set.partial);
        assert_eq!(set.count(Outcome::Created), 9, "{set:?}");
        assert_eq!(
            entities_of(&set.refused),
            ["component:default/refunds", "api:default/rates-api"]
        );
        let lifecycle = &set.refused[0];
        assert_eq!(lifecycle.path, "spec.lifecycle");
        let at = lifecycle.location.as_ref().unwrap();
        assert!(at.file.ends_with("systems/payments.yaml"), "{lifecycle}");
        assert_eq!(at.line, 27);
        assert!(
            set.refused[1].message.contains("is not in reading.allow"),
            "{}",
            set.refused[1]
        );
        assert_eq!(entities_of(&set.conflicts), ["component:default/checkout"]);
        assert!(
            set.conflicts[0]
                .location
                .as_ref()
                .unwrap()
                .file
                .ends_with("team-b/components.yaml")
        );
        assert_eq!(entity_count(&p).await, 9);
        for gone in ["component:default/refunds", "api:default/rates-api"] {
            assert!(p.catalog().get(gone).await.is_err(), "{gone} was stored");
        }

        // The first location keeps checkout: team-a's, from systems/.
        let checkout = p.catalog().get("component:default/checkout").await.unwrap();
        assert_eq!(checkout.spec.as_ref().unwrap()["owner"], "team-a");
        assert_eq!(
            checkout.metadata.annotations[ANNOTATION_LOCATION],
            file_ref(&fixture().join("systems/payments.yaml"))
        );
        assert_eq!(
            checkout.metadata.annotations[ANNOTATION_ORIGIN_LOCATION],
            file_ref(&root)
        );

        // ledger is whole with its relations, including those to the refused
        // API and component: stored, their targets unresolved (Backstage's way).
        let ledger = p.catalog().get("component:default/ledger").await.unwrap();
        let relations: Vec<(String, String)> = ledger
            .relations
            .iter()
            .map(|r| (r.r#type.clone(), r.target_ref.clone()))
            .collect();
        for expected in [
            ("ownedBy", "group:default/team-b"),
            ("consumesApi", "api:default/rates-api"),
            ("dependsOn", "component:default/refunds"),
        ] {
            assert!(
                relations.contains(&(expected.0.into(), expected.1.into())),
                "{relations:?}"
            );
        }
        assert_eq!(
            ledger.metadata.annotations[ANNOTATION_LOCATION],
            file_ref(&fixture().join("team-b/components.yaml"))
        );
        assert!(
            set.warnings
                .iter()
                .any(|w| w.message.contains("api:default/rates-api")),
            "{:?}",
            set.warnings
        );

        // Again: nothing changes, still partial, no orphans.
        let again = import(&p, &root, None).await.unwrap();
        assert_eq!(again.count(Outcome::Unchanged), 9);
        assert!(again.partial && again.orphans.is_empty(), "{again:?}");
    }
}

/// A second root defining a ref another location already stored: a conflict
/// (the first location keeps it), the rest of that root stored; a stored
/// entity whose file turns invalid keeps its last good version and is not an
/// orphan; once the first location's file is gone, another one takes its
/// entities over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_location_keeps_a_ref_and_a_refused_entity_keeps_its_stored_version() {
    for (store, _pg, dir) in stores().await {
        let p = open(store).await;
        let root = fixture().join("catalog-info.yaml");
        import(&p, &root, None).await.unwrap();

        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        let file = other.join("catalog-info.yaml");
        let write = |lifecycle: &str| {
            std::fs::write(
                &file,
                format!(
                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: team-b\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\nspec:\n  type: service\n  lifecycle: {lifecycle}\n  owner: team-b\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: invoices\nspec:\n  type: service\n  lifecycle: production\n  owner: team-b\n"
                ),
            )
            .unwrap();
        };
        write("production");

        // All or nothing: the conflict refuses the whole import.
        let diagnostics = refused_whole(&p, &other).await;
        assert!(
            diagnostics[0].message.starts_with("conflict: "),
            "{diagnostics:?}"
        );
        assert!(p.catalog().get("component:default/billing").await.is_err());

        let set = import(&p, &other, None).await.unwrap();
        assert!(set.partial && set.refused.is_empty());
        assert_eq!(entities_of(&set.conflicts), ["component:default/checkout"]);
        assert!(
            set.conflicts[0]
                .message
                .contains(&file_ref(&fixture().join("systems/payments.yaml"))),
            "{}",
            set.conflicts[0]
        );
        assert_eq!(set.count(Outcome::Created), 2);
        let checkout = p.catalog().get("component:default/checkout").await.unwrap();
        assert_eq!(checkout.spec.as_ref().unwrap()["owner"], "team-a");

        // billing turns invalid: refused, its stored version kept, no orphan.
        write("[production]");
        let before = p.catalog().get("component:default/billing").await.unwrap();
        let set = import(&p, &other, None).await.unwrap();
        assert_eq!(entities_of(&set.refused), ["component:default/billing"]);
        assert!(set.orphans.is_empty(), "{:?}", set.orphans);
        let after = p.catalog().get("component:default/billing").await.unwrap();
        assert_eq!(before.metadata.etag, after.metadata.etag);
        assert_eq!(set.count(Outcome::Unchanged), 1);

        // The checkout of `other` moves: its old file is gone, so the new one
        // takes its entities over; team-a's checkout, whose file is still
        // there, stays with it.
        let moved = dir.path().join("moved");
        std::fs::rename(&other, &moved).unwrap();
        let set = import(&p, &moved, None).await.unwrap();
        assert_eq!(entities_of(&set.conflicts), ["component:default/checkout"]);
        let invoices = p.catalog().get("component:default/invoices").await.unwrap();
        assert_eq!(
            invoices.metadata.annotations[ANNOTATION_LOCATION],
            file_ref(&moved.join("catalog-info.yaml"))
        );
        let checkout = p.catalog().get("component:default/checkout").await.unwrap();
        assert_eq!(checkout.spec.as_ref().unwrap()["owner"], "team-a");
    }
}
