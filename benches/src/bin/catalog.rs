//! Catalogue at scale (issue 2's figures).
//!
//! Generates a synthetic organisation of N entities (default 100,000), then:
//! - `catalog validate` throughput: paved's validator vs Backstage's own
//!   (`@backstage/catalog-model` under Node, tools/backstage/validate.mjs) on
//!   the same files, as a ratio;
//! - for SQLite and PostgreSQL: import time, and p50/p99 of a query by owner,
//!   by kind plus label, a full-text search, facets over `spec.type` and a
//!   3-hop dependency traversal.
//!
//! Run: `cargo run --release -p paved-bench --bin catalog -- [N] [--skip-postgres]
//! [--skip-sqlite] [--skip-validate] [--skip-backstage] [--catalog-dir DIR]
//! [--sqlite-db PATH] [--keep-postgres] [--skip-import]` (at 1,000,000
//! entities, one store per run keeps the peak RSS of one import apart from
//! the other's). `--skip-import --sqlite-db PATH --skip-postgres` times the
//! queries again on a database an earlier run kept, without importing.

/// The allocator of the `paved` CLI, whose `catalog validate` and
/// `catalog import` these figures are of.
#[global_allocator]
static ALLOCATOR: paved::Allocator = paved::Allocator;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use paved::{OpenOptions, QuerySpec, Traversal, WriteOptions};
use paved_bench::synthetic::{Lcg, Shape, write_catalog};
use paved_bench::{Latency, ScratchDb, fmt_duration, median, peak_rss_mib, reset_peak_rss};

const QUERY_RUNS: usize = 200;

fn validate_ours(dir: &Path) -> anyhow::Result<f64> {
    let options = OpenOptions::default();
    let mut rates = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let loaded = paved::validate(&[dir.to_path_buf()], &options)?;
        let secs = start.elapsed().as_secs_f64();
        let diagnostics = loaded.diagnostics();
        anyhow::ensure!(
            !loaded.has_errors(),
            "synthetic catalogue invalid: {:?}",
            &diagnostics[..diagnostics.len().min(3)]
        );
        rates.push(loaded.entities().len() as f64 / secs);
    }
    Ok(median(rates))
}

fn validate_backstage(dir: &Path) -> anyhow::Result<f64> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("node")
        .arg(root.join("tools/backstage/validate.mjs"))
        .arg("--bench")
        .arg(dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "backstage validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let v: serde_json::Value = serde_json::from_str(text.trim().lines().last().unwrap_or(""))?;
    // Backstage's side parses YAML already in memory and validates; ours also
    // reads the files from disk, so the ratio slightly favours Backstage.
    v["parse_and_validate_per_sec"]
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("unexpected output from validate.mjs: {text}"))
}

async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<Latency>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = paved::Result<T>>,
{
    // One warm-up run, not counted.
    f(0).await?;
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let start = Instant::now();
        f(i + 1).await?;
        samples.push(start.elapsed());
    }
    Ok(Latency::from_samples(samples))
}

/// Import the catalogue at `dir` into `store` (unless `skip_import`: then
/// the store already holds it), then time the queries.
async fn store_figures(
    label: &str,
    store: String,
    dir: &Path,
    shape: Shape,
    skip_import: bool,
) -> anyhow::Result<()> {
    let platform = paved::open(OpenOptions::default().store(store)).await?;
    let catalog = platform.catalog();
    reset_peak_rss();
    let start = Instant::now();
    let imported = if skip_import {
        None
    } else {
        let set = catalog
            .import(&[dir.to_path_buf()], None, &WriteOptions::default())
            .await?;
        Some(set.changes.len())
    };
    let import = start.elapsed();
    let import_rss = peak_rss_mib();
    reset_peak_rss();
    let entities = match imported {
        Some(n) => n as u64,
        None => {
            let q = QuerySpec {
                limit: Some(1),
                ..QuerySpec::default()
            };
            catalog.query(&q).await?.total
        }
    };
    let mut rng = Lcg::new(7);
    let owners: Vec<String> = (0..QUERY_RUNS + 1)
        .map(|_| format!("kind=component,spec.owner=team-{}", rng.below(shape.groups)))
        .collect();
    let by_owner = time(QUERY_RUNS, |i| {
        let q = QuerySpec {
            limit: Some(50),
            ..QuerySpec::filter([owners[i].clone()])
        };
        let c = catalog.clone();
        async move { c.query(&q).await }
    })
    .await?;
    let tiers = ["gold", "silver", "bronze"];
    let by_label = time(QUERY_RUNS, |i| {
        let q = QuerySpec {
            limit: Some(50),
            ..QuerySpec::filter([format!(
                "kind=component,metadata.labels.tier={}",
                tiers[i % 3]
            )])
        };
        let c = catalog.clone();
        async move { c.query(&q).await }
    })
    .await?;
    let words = ["payments", "orders", "identity", "shipping", "analytics"];
    let search = time(QUERY_RUNS, |i| {
        let c = catalog.clone();
        let w = words[i % words.len()];
        async move { c.search(w, Some(20)).await }
    })
    .await?;
    // A word in every component's title and a number in a few of them, as a
    // portal user types a service's name: "service 4242".
    let numbered: Vec<String> = (0..QUERY_RUNS + 1)
        .map(|_| format!("service {}", rng.below(shape.components)))
        .collect();
    let search_two = time(QUERY_RUNS, |i| {
        let c = catalog.clone();
        let text = numbered[i].clone();
        async move { c.search(&text, Some(20)).await }
    })
    .await?;
    let facets = time(QUERY_RUNS / 4, |_| {
        let c = catalog.clone();
        async move { c.facets("spec.type", &QuerySpec::default()).await }
    })
    .await?;
    let by_name = |cursor: Option<String>| QuerySpec {
        order: vec!["metadata.name".into()],
        limit: Some(50),
        cursor,
        ..QuerySpec::default()
    };
    let first_page = time(QUERY_RUNS, |_| {
        let c = catalog.clone();
        let q = by_name(None);
        async move { c.query(&q).await }
    })
    .await?;
    // The cursor of the 51st page of 50, reached by paging.
    let mut cursor = None;
    for _ in 0..50 {
        cursor = catalog.query(&by_name(cursor)).await?.next_cursor;
    }
    let deep_page = time(QUERY_RUNS, |_| {
        let c = catalog.clone();
        let q = by_name(cursor.clone());
        async move { c.query(&q).await }
    })
    .await?;
    let owner_facet = time(QUERY_RUNS / 4, |_| {
        let c = catalog.clone();
        async move { c.facets("relations.ownedBy", &QuerySpec::default()).await }
    })
    .await?;
    let top_owners = time(QUERY_RUNS / 4, |_| {
        let c = catalog.clone();
        let q = QuerySpec {
            limit: Some(20),
            ..QuerySpec::default()
        };
        async move { c.facets("relations.ownedBy", &q).await }
    })
    .await?;
    let kind_facet = time(QUERY_RUNS / 4, |_| {
        let c = catalog.clone();
        async move {
            c.facets("spec.lifecycle", &QuerySpec::filter(["kind=component"]))
                .await
        }
    })
    .await?;
    let filtered_facet = time(QUERY_RUNS / 4, |i| {
        let c = catalog.clone();
        let f = owners[i % owners.len()].clone();
        async move { c.facets("spec.type", &QuerySpec::filter([f])).await }
    })
    .await?;
    let mut rng = Lcg::new(9);
    let roots: Vec<String> = (0..QUERY_RUNS + 1)
        .map(|_| {
            format!(
                "component:default/svc-{}",
                shape.components / 2 + rng.below(shape.components / 2)
            )
        })
        .collect();
    let graph = time(QUERY_RUNS, |i| {
        let c = catalog.clone();
        let r = roots[i].clone();
        async move { c.graph(&r, Traversal::Dependencies, Some(3), None).await }
    })
    .await?;
    println!("\n### {label}: {entities} entities\n");
    println!("| measure | p50 | p99 |\n|---|---|---|");
    if imported.is_some() {
        println!(
            "| import ({entities} entities, one transaction) | {} | |",
            fmt_duration(import)
        );
        println!("| peak RSS during the import | {import_rss:.0} MiB | |");
    } else {
        println!("| import | skipped (`--skip-import`: the store held the catalogue) | |");
    }
    let queries_rss = peak_rss_mib();
    for (name, l) in [
        (
            "query by owner (`kind=component,spec.owner=team-N`, limit 50)",
            by_owner,
        ),
        (
            "query by kind + label (`kind=component,metadata.labels.tier=…`, limit 50)",
            by_label,
        ),
        ("full-text search (one word, limit 20)", search),
        (
            "full-text search (`service N`: a common word and a rare one, limit 20)",
            search_two,
        ),
        ("facets over `spec.type` (all entities)", facets),
        (
            "facets over `relations.ownedBy` (all entities)",
            owner_facet,
        ),
        (
            "facets over `relations.ownedBy`, the 20 most frequent (limit 20)",
            top_owners,
        ),
        (
            "facets over `spec.lifecycle` of `kind=component`",
            kind_facet,
        ),
        (
            "facets over `spec.type` of `kind=component,spec.owner=team-N`",
            filtered_facet,
        ),
        ("first page by `metadata.name` (limit 50)", first_page),
        ("51st page by `metadata.name` (cursor, limit 50)", deep_page),
        ("3-hop dependency traversal", graph),
    ] {
        println!(
            "| {name} | {} | {} |",
            fmt_duration(l.p50),
            fmt_duration(l.p99)
        );
    }
    println!("| peak RSS during the queries | {queries_rss:.0} MiB | |");
    Ok(())
}

/// The path after `flag` on the command line, if given.
fn path_arg(args: &[String], flag: &str) -> Option<std::path::PathBuf> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let skip_pg = args.iter().any(|a| a == "--skip-postgres");
    let skip_sqlite = args.iter().any(|a| a == "--skip-sqlite");
    let skip_validate = args.iter().any(|a| a == "--skip-validate");
    let skip_backstage = args.iter().any(|a| a == "--skip-backstage");
    let skip_import = args.iter().any(|a| a == "--skip-import");
    let tmp = tempfile::tempdir()?;
    // `--catalog-dir DIR` writes (and keeps) the synthetic files there.
    let dir = path_arg(&args, "--catalog-dir").unwrap_or_else(|| tmp.path().join("catalog"));
    let shape = Shape::for_total(total);
    let files = write_catalog(&dir, total, 1000)?;
    println!(
        "## Catalogue at scale\n\n{} entities in {} files ({shape:?})\n\ncommand: `cargo run --release -p paved-bench --bin catalog -- {total}`",
        shape.total(),
        files.len()
    );

    let ours = if skip_validate {
        None
    } else {
        Some(validate_ours(&dir)?)
    };
    if let Some(ours) = ours {
        println!("\n### catalog validate throughput (median of 3)\n");
        println!("| validator | entities/s |\n|---|---|");
        println!("| paved (read files + YAML parse + validate) | {ours:.0} |");
    }
    if let Some(ours) = ours.filter(|_| !skip_backstage) {
        let theirs = validate_backstage(&dir)?;
        println!(
            "| Backstage `@backstage/catalog-model` (Node; YAML parse + validate, files already in memory) | {theirs:.0} |"
        );
        println!(
            "| **ratio paved / Backstage** | **{:.1}×** |",
            ours / theirs
        );
    }

    // `--sqlite-db PATH` keeps the SQLite database for a look afterwards.
    let db = path_arg(&args, "--sqlite-db").unwrap_or_else(|| tmp.path().join("bench.db"));
    if !skip_sqlite {
        store_figures(
            "SQLite (file, WAL)",
            format!("sqlite:{}", db.display()),
            &dir,
            shape,
            skip_import,
        )
        .await?;
    }
    if !skip_pg {
        let admin = std::env::var("PAVED_BENCH_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let scratch = ScratchDb::create(&admin).await?;
        let result = store_figures(
            "PostgreSQL (127.0.0.1)",
            scratch.url.clone(),
            &dir,
            shape,
            false,
        )
        .await;
        // `--keep-postgres` leaves the database for a look afterwards.
        if args.iter().any(|a| a == "--keep-postgres") {
            println!("\nkept PostgreSQL database: {}", scratch.url);
        } else {
            scratch.drop_db().await?;
        }
        result?;
    }
    Ok(())
}
