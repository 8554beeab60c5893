//! Resources: the engine's own overhead (issue 14's figures).
//!
//! A provider that does nothing (native Rust, answers at once) owns
//! `noop.thing`; N Resource entities form chains of 10 (each resource uses
//! the output of the one before it, so a plan has 10 dependency levels).
//! For N in the sizes given (default 1,000 and 10,000), on the embedded
//! default store (a SQLite file), one fresh platform per round:
//! - baseline: importing the N Resource entities into the catalogue (what
//!   any platform pays to know about them);
//! - plan of everything (all create), apply, plan again (no changes), drift,
//!   destroy: wall time, and the ratio to the baseline;
//! - peak RSS (VmHWM) of the first round of each size: during the import,
//!   and, reset after it, during the resource operations. Sizes run in one
//!   process in the order given, so give one size per run for the RSS of a
//!   process that did only that.
//!
//! With `--postgres`: one PostgreSQL database end to end through the
//! `postgres` wasm provider (127.0.0.1:5432), against a plain
//! `CREATE ROLE` + `CREATE DATABASE` over one connection, 5 runs or more.
//!
//! Run: `cargo run --release -p paved-bench --bin resources -- [N…] [--rounds R] [--postgres]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use paved::{Platform, ResourceOptions, StoreSpec};
use paved_bench::noop::NoOp;
use paved_bench::{fmt_duration, median, peak_rss_mib, reset_peak_rss};
use serde_json::json;

/// N Resource entities in chains of 10, as one YAML stream.
fn catalogue(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let upstream = if i % 10 == 0 {
            String::new()
        } else {
            format!(", upstream: \"${{{{ resources.r{}.outputs.id }}}}\"", i - 1)
        };
        out.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {{ name: r{i} }}\n\
             spec: {{ type: noop.thing, owner: team-{}, params: {{ n: {i}{upstream} }} }}\n",
            i % 50
        ));
    }
    out
}

#[derive(Default)]
struct Times {
    import: Vec<f64>,
    plan: Vec<f64>,
    apply: Vec<f64>,
    replan: Vec<f64>,
    drift: Vec<f64>,
    destroy: Vec<f64>,
    /// Peak RSS during the resource operations (after the import), MiB.
    peak: Vec<f64>,
    /// Peak RSS of the whole round, import included, MiB.
    peak_all: Vec<f64>,
}

async fn timed<T>(
    f: impl std::future::Future<Output = paved::Result<T>>,
) -> anyhow::Result<(T, f64)> {
    let start = Instant::now();
    let v = f.await?;
    Ok((v, start.elapsed().as_secs_f64()))
}

async fn round(n: usize, times: &mut Times) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("resources.yaml");
    std::fs::write(&file, catalogue(n))?;
    let provider = Arc::new(NoOp::new(
        "noop.thing",
        json!({"type": "object", "properties": {"n": {"type": "integer"}, "upstream": {"type": "string"}}}),
    ));
    let p = Platform::builder()
        .store(StoreSpec::Sqlite(dir.path().join("paved.db")))
        .provider(provider.clone())
        .build()
        .await?;
    let opts = ResourceOptions::default();
    let (set, t) = timed(
        p.catalog()
            .import(&[file], None, &paved::WriteOptions::default()),
    )
    .await?;
    anyhow::ensure!(set.changes.len() == n, "imported {}", set.changes.len());
    times.import.push(t);
    times.peak_all.push(peak_rss_mib());
    reset_peak_rss();
    let r = p.resources();
    let (plan, t) = timed(r.plan(&[], &opts)).await?;
    anyhow::ensure!(plan.changes() == n, "planned {}", plan.changes());
    times.plan.push(t);
    let (report, t) = timed(r.apply(&[], &opts)).await?;
    anyhow::ensure!(report.failed() == 0 && provider.applied() == n);
    times.apply.push(t);
    let (plan, t) = timed(r.plan(&[], &opts)).await?;
    anyhow::ensure!(
        plan.changes() == 0,
        "changes after apply: {}",
        plan.changes()
    );
    times.replan.push(t);
    let (drift, t) = timed(r.drift(&[], &opts)).await?;
    anyhow::ensure!(drift.drifted() == 0);
    times.drift.push(t);
    let (report, t) = timed(r.destroy(&[], &opts)).await?;
    anyhow::ensure!(report.failed() == 0 && report.results.len() == n);
    times.destroy.push(t);
    times.peak.push(peak_rss_mib());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // As the CLI and the bindings run the engine (see paved::defaults::BLOCKING_THREADS).
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(paved::defaults::BLOCKING_THREADS)
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let mut sizes = Vec::new();
    let mut rounds = 3;
    let mut postgres = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(3),
            "--postgres" => postgres = true,
            n => sizes.push(n.parse::<usize>()?),
        }
    }
    if postgres {
        return postgres_create(rounds.max(5)).await;
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    println!(
        "command: cargo run --release -p paved-bench --bin resources -- {} --rounds {rounds}\n",
        sizes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "| resources | import (baseline) | plan (all create) | apply | plan (no changes) | drift | destroy | apply / import | peak RSS, resource operations | peak RSS, import |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let mut times = Times::default();
        for _ in 0..rounds {
            round(n, &mut times).await?;
        }
        let m = |xs: &Vec<f64>| median(xs.clone());
        let d = |x: f64| fmt_duration(Duration::from_secs_f64(x));
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} | {:.2}× | {:.0} MiB | {:.0} MiB |",
            d(m(&times.import)),
            d(m(&times.plan)),
            d(m(&times.apply)),
            d(m(&times.replan)),
            d(m(&times.drift)),
            d(m(&times.destroy)),
            m(&times.apply) / m(&times.import),
            times.peak[0],
            times.peak_all[0],
        );
    }
    Ok(())
}

/// One PostgreSQL database end to end through the engine (the `postgres`
/// wasm provider, 127.0.0.1:5432): `resources().apply` of one Resource
/// (plan, lease, journal, role + database through the wire protocol, state),
/// against the same role and database made with two statements over a
/// plain connection, in the same run.
async fn postgres_create(rounds: usize) -> anyhow::Result<()> {
    let plugins = paved_bench::build_example_plugins()?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("paved.yaml");
    std::fs::write(
        &config,
        format!(
            "store: sqlite:{}\npluginCache: {}\nplugins:\n  - name: postgres\n    path: {}\n    \
             kind: provider\n    grants: {{ network: [\"127.0.0.1:5432\"] }}\n",
            dir.path().join("paved.db").display(),
            dir.path().join("cache").display(),
            plugins.join("postgres.wasm").display()
        ),
    )?;
    let p = paved::open(paved::OpenOptions::default().config(config)).await?;
    let (client, conn) = tokio_postgres::connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
        tokio_postgres::NoTls,
    )
    .await?;
    tokio::spawn(conn);
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    let opts = ResourceOptions::default();
    for i in 0..rounds {
        let name = format!("paved_bench_{}_{i}", std::process::id());
        // One statement per call: CREATE DATABASE cannot run in the
        // transaction a multi-statement call makes.
        let start = Instant::now();
        client
            .batch_execute(&format!(
                "CREATE ROLE {name}_plain LOGIN PASSWORD 'not-a-secret'"
            ))
            .await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}_plain OWNER {name}_plain"))
            .await?;
        plain.push(start.elapsed().as_secs_f64());
        client
            .batch_execute(&format!("DROP DATABASE {name}_plain"))
            .await?;
        client
            .batch_execute(&format!("DROP ROLE {name}_plain"))
            .await?;
        p.catalog()
            .upsert(
                json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
                       "metadata": {"name": name},
                       "spec": {"type": "postgres.database", "owner": "team-data",
                                "params": {"connectionLimit": 5}}}),
                None,
                &paved::WriteOptions::default(),
            )
            .await?;
        let target = [format!("resource:default/{name}")];
        let (report, t) = timed(p.resources().apply(&target, &opts)).await?;
        anyhow::ensure!(report.failed() == 0, "{:?}", report.results);
        ours.push(t);
        let report = p.resources().destroy(&target, &opts).await?;
        anyhow::ensure!(report.failed() == 0, "{:?}", report.results);
    }
    let d = |x: f64| fmt_duration(Duration::from_secs_f64(x));
    let (o, b) = (median(ours), median(plain));
    println!("\n| one PostgreSQL database, {rounds} runs | median |\n|---|---|");
    println!(
        "| plain `CREATE ROLE` + `CREATE DATABASE` (baseline) | {} |",
        d(b)
    );
    println!(
        "| `resources().apply` through the postgres provider | {} |",
        d(o)
    );
    println!("| ratio | {:.2}× |", o / b);
    Ok(())
}
