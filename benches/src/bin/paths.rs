//! Golden paths: the engine's own overhead (issue 15's figures).
//!
//! The example golden path `deploy-web-service` (examples/golden-paths:
//! render a four-file service skeleton, register its Component and API,
//! provision its database, log) with a provider that does nothing (native
//! Rust, answers at once) owning its database's type, `local.directory`.
//!
//! On the embedded default store (a SQLite file), one fresh platform per
//! round, N runs of each (default 100), p50 and p99 per round, medians of
//! the rounds reported:
//! - baseline: `catalog.upsert` of the Component such a run registers (what
//!   registering a service costs without any golden path);
//! - dry run (the whole plan: files with content, entities, resource plan,
//!   policy review), then a full run (journaled, files written, entities
//!   registered, the database applied through the provider);
//! - the time from the start of a run until its component is queryable
//!   (`catalog.get` succeeds, polled every millisecond from another task),
//!   and the run's own time while polled; Backstage users
//!   report about 60 s for a scaffolded entity to show up.
//!
//! With `--postgres`: 100 runs at once on one PostgreSQL database
//! (127.0.0.1:5432, `$PAVED_BENCH_PG` for another server), 50 from this
//! process and 50 from a second one (this binary, started with `--worker`):
//! the throughput, and a check that no side effect was lost or duplicated
//! (exactly 100 components, each created once by one `entity.create` audit
//! record, 100 databases applied, 100 succeeded runs); the baseline is 20
//! runs one at a time in one process on the same database.
//!
//! Run: `cargo run --release -p paved-bench --bin paths -- [N] [--rounds R] [--postgres]`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paved::{PathOptions, Platform, ResourceSettings, RunStatus, StoreSpec, WriteOptions};
use paved_bench::noop::NoOp;
use paved_bench::{Latency, ScratchDb, fmt_duration, median};
use serde_json::{Value, json};

const TEMPLATE: &str = "deploy-web-service";
/// Runs at once in the PostgreSQL figure, split over two processes.
const PARALLEL: usize = 100;
/// Runs one at a time in that figure's baseline.
const SEQUENTIAL: usize = 20;

/// A platform on `store` with the no-op provider and the example golden
/// paths imported (only when `import`: a second process finds them there).
async fn platform(store: StoreSpec, import: bool) -> anyhow::Result<(Platform, Arc<NoOp>)> {
    let provider = Arc::new(NoOp::new("local.directory", json!({"type": "object"})));
    let p = Platform::builder()
        .store(store)
        .provider(provider.clone())
        // Both processes seal the (no-op) outputs with one key, as a
        // deployment's paved.yaml would give them (PostgreSQL has no key file).
        .resources(ResourceSettings {
            state_key: Some([7; 32]),
            ..ResourceSettings::default()
        })
        .build()
        .await?;
    if import {
        let location = paved_bench::repo_root().join("examples/golden-paths/catalog-info.yaml");
        let set = p
            .catalog()
            .import(&[location], None, &WriteOptions::default())
            .await?;
        anyhow::ensure!(!set.partial, "the golden paths did not import: {set:?}");
    }
    Ok((p, provider))
}

fn parameters(name: &str, team: usize) -> Value {
    json!({"name": name, "owner": format!("group:default/team-{team}"),
           "description": "A service made by the benchmark."})
}

fn options(workspaces: &Path, name: &str) -> PathOptions {
    PathOptions {
        actor: Some("user:default/bench".into()),
        workspace: Some(workspaces.join(name).display().to_string()),
        ..PathOptions::default()
    }
}

/// The Component a run of deploy-web-service registers, for the baseline.
fn component(name: &str) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
           "metadata": {"name": name, "description": "A service made by the benchmark.",
                        "tags": ["python", "http"]},
           "spec": {"type": "service", "lifecycle": "experimental",
                    "owner": "group:default/team-0", "providesApis": [format!("{name}-api")],
                    "dependsOn": [format!("resource:{}_db", name.replace('-', "_"))]}})
}

#[derive(Default)]
struct Times {
    upsert: Vec<Latency>,
    dry_run: Vec<Latency>,
    run: Vec<Latency>,
    queryable: Vec<Latency>,
    run_polled: Vec<Latency>,
}

async fn one_round(n: usize, round: usize, times: &mut Times) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (p, provider) = platform(StoreSpec::Sqlite(dir.path().join("paved.db")), true).await?;
    let ws = dir.path().join("workspaces");
    let paths = p.paths();
    // One warm-up of each (plugins are native; this warms the caches).
    paths
        .dry_run(TEMPLATE, parameters("warm", 0), &options(&ws, "warm"))
        .await?;
    let r = paths
        .run(TEMPLATE, parameters("warm", 0), &options(&ws, "warm"))
        .await?;
    anyhow::ensure!(r.status == RunStatus::Succeeded, "{:?}", r.error);

    let mut upsert = Vec::new();
    for i in 0..n {
        let start = Instant::now();
        p.catalog()
            .upsert(
                component(&format!("base-{round}-{i}")),
                None,
                &WriteOptions::default(),
            )
            .await?;
        upsert.push(start.elapsed());
    }
    let mut dry = Vec::new();
    for i in 0..n {
        let name = format!("dry-{i}");
        let start = Instant::now();
        let plan = paths
            .dry_run(TEMPLATE, parameters(&name, i % 10), &options(&ws, &name))
            .await?;
        dry.push(start.elapsed());
        anyhow::ensure!(plan.entities.len() == 3 && plan.files.len() == 4);
    }
    let mut run = Vec::new();
    for i in 0..n {
        let name = format!("run-{i}");
        let start = Instant::now();
        let record = paths
            .run(TEMPLATE, parameters(&name, i % 10), &options(&ws, &name))
            .await?;
        run.push(start.elapsed());
        anyhow::ensure!(
            record.status == RunStatus::Succeeded,
            "{name}: {:?}",
            record.error
        );
    }
    // Run start to component queryable: the run in one task, `catalog.get`
    // polled in another every millisecond (tokio's timer resolution; a
    // tighter loop slows the run it watches).
    let mut queryable = Vec::new();
    let mut polled_runs = Vec::new();
    for i in 0..n {
        let name = format!("seen-{i}");
        let component = format!("component:default/{name}");
        let catalog = p.catalog();
        let start = Instant::now();
        let running = {
            let paths = paths.clone();
            let opts = options(&ws, &name);
            tokio::spawn(async move {
                let record = paths.run(TEMPLATE, parameters(&name, i % 10), &opts).await;
                (record, start.elapsed())
            })
        };
        let seen = loop {
            if catalog.get(&component).await.is_ok() {
                break start.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let (record, took) = running.await?;
        anyhow::ensure!(record?.status == RunStatus::Succeeded);
        queryable.push(seen);
        polled_runs.push(took);
    }
    anyhow::ensure!(
        provider.applied() == 2 * n + 1,
        "the provider applied {} databases",
        provider.applied()
    );
    times.upsert.push(Latency::from_samples(upsert));
    times.dry_run.push(Latency::from_samples(dry));
    times.run.push(Latency::from_samples(run));
    times.queryable.push(Latency::from_samples(queryable));
    times.run_polled.push(Latency::from_samples(polled_runs));
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
    let mut n = 100;
    let mut rounds = 3;
    let mut postgres = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(3),
            "--postgres" => postgres = true,
            "--worker" => {
                let url = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--worker URL FROM COUNT DIR"))?;
                let from = args.next().unwrap_or_default().parse()?;
                let count = args.next().unwrap_or_default().parse()?;
                let dir = PathBuf::from(args.next().unwrap_or_default());
                return worker(&url, from, count, &dir).await;
            }
            other => n = other.parse()?,
        }
    }
    if postgres {
        return parallel_on_postgres().await;
    }
    println!("command: cargo run --release -p paved-bench --bin paths -- {n} --rounds {rounds}\n");
    let mut times = Times::default();
    for round in 0..rounds {
        one_round(n, round, &mut times).await?;
    }
    let p50 = |xs: &Vec<Latency>| median(xs.iter().map(|l| l.p50.as_secs_f64()).collect());
    let p99 = |xs: &Vec<Latency>| median(xs.iter().map(|l| l.p99.as_secs_f64()).collect());
    let d = |x: f64| fmt_duration(Duration::from_secs_f64(x));
    println!(
        "| deploy-web-service, {n} of each per round, SQLite file, median of {rounds} rounds | p50 | p99 | p50 / upsert |"
    );
    println!("|---|---|---|---|");
    let base = p50(&times.upsert);
    for (what, xs) in [
        (
            "`catalog.upsert` of its Component (baseline)",
            &times.upsert,
        ),
        ("dry run (whole plan, reviewed)", &times.dry_run),
        (
            "full run (files, Component + API, database, log)",
            &times.run,
        ),
        (
            "run start → component queryable (`catalog.get` polled every 1 ms)",
            &times.queryable,
        ),
        ("full run, while polled", &times.run_polled),
    ] {
        println!(
            "| {what} | {} | {} | {:.1}× |",
            d(p50(xs)),
            d(p99(xs)),
            p50(xs) / base
        );
    }
    println!(
        "\nfor scale: Backstage users report about 60 s for a scaffolded entity to show up \
         (here {} at p50, {:.0}× sooner)",
        d(p50(&times.queryable)),
        60.0 / p50(&times.queryable)
    );
    Ok(())
}

/// What one process of the parallel figure reports.
#[derive(Debug)]
struct WorkerReport {
    succeeded: usize,
    applied: usize,
    seconds: f64,
}

impl WorkerReport {
    fn to_json(&self) -> Value {
        json!({"succeeded": self.succeeded, "applied": self.applied, "seconds": self.seconds})
    }

    fn from_json(line: &str) -> anyhow::Result<Self> {
        let v: Value = serde_json::from_str(line)?;
        let n = |k: &str| v[k].as_u64().map(|x| x as usize);
        Ok(Self {
            succeeded: n("succeeded").ok_or_else(|| anyhow::anyhow!("bad report {line}"))?,
            applied: n("applied").ok_or_else(|| anyhow::anyhow!("bad report {line}"))?,
            seconds: v["seconds"].as_f64().unwrap_or(f64::NAN),
        })
    }
}

/// Runs `from..from+count` at once on `platform`; the report.
async fn run_batch(
    p: &Platform,
    provider: &NoOp,
    from: usize,
    count: usize,
    workspaces: &Path,
) -> anyhow::Result<WorkerReport> {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in from..from + count {
        let paths = p.paths();
        let name = format!("svc-{i}");
        let opts = options(workspaces, &name);
        set.spawn(async move { paths.run(TEMPLATE, parameters(&name, i % 10), &opts).await });
    }
    let mut succeeded = 0;
    while let Some(done) = set.join_next().await {
        match done?? {
            r if r.status == RunStatus::Succeeded => succeeded += 1,
            r => eprintln!("run {} ended {:?}: {:?}", r.id, r.status, r.error),
        }
    }
    Ok(WorkerReport {
        succeeded,
        applied: provider.applied(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The second process: opens the store, says `ready`, waits for `go` on
/// standard input, runs its batch and prints its report as JSON.
async fn worker(url: &str, from: usize, count: usize, dir: &Path) -> anyhow::Result<()> {
    let (p, provider) = platform(StoreSpec::Postgres(url.to_string()), false).await?;
    println!("ready");
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await??;
    anyhow::ensure!(line.trim() == "go", "expected go, read {line:?}");
    let report = run_batch(&p, &provider, from, count, dir).await?;
    println!("{}", report.to_json());
    Ok(())
}

/// 100 runs at once on one PostgreSQL database from two processes; then
/// every side effect counted.
async fn parallel_on_postgres() -> anyhow::Result<()> {
    let admin = std::env::var("PAVED_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let scratch = ScratchDb::create(&admin).await?;
    let result = parallel(&scratch.url).await;
    scratch.drop_db().await?;
    result
}

async fn parallel(url: &str) -> anyhow::Result<()> {
    println!("command: cargo run --release -p paved-bench --bin paths -- --postgres\n");
    let dir = tempfile::tempdir()?;
    let (p, provider) = platform(StoreSpec::Postgres(url.to_string()), true).await?;
    let half = PARALLEL / 2;
    // The second process: this binary with --worker; it says `ready` once
    // its platform is open and starts at `go`.
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--worker", url, &half.to_string(), &half.to_string()])
        .arg(dir.path().join("second"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let ready = lines.next().transpose()?;
        let _ = ready_tx.send(ready.as_deref() == Some("ready"));
        lines
            .next()
            .transpose()?
            .ok_or_else(|| anyhow::anyhow!("the second process reported nothing"))
    });
    if !ready_rx.await.unwrap_or(false) {
        let _ = child.kill();
        anyhow::bail!("the second process did not start");
    }
    let start = Instant::now();
    std::io::Write::write_all(&mut stdin, b"go\n")?;
    drop(stdin);
    let ours = run_batch(&p, &provider, 0, half, &dir.path().join("first")).await?;
    let theirs = WorkerReport::from_json(&reader.await??)?;
    let wall = start.elapsed().as_secs_f64();
    let status = tokio::task::spawn_blocking(move || child.wait()).await??;
    anyhow::ensure!(status.success(), "the second process failed: {status}");

    // Count every side effect.
    let mut components = 0;
    for i in 0..PARALLEL {
        p.catalog()
            .get(&format!("component:default/svc-{i}"))
            .await?;
        components += 1;
    }
    let all = p
        .catalog()
        .query(&paved::QuerySpec::filter(["kind=component"]))
        .await?;
    let mut creates = std::collections::HashMap::<String, usize>::new();
    let mut after = None;
    loop {
        let page = p.audit().list(after, Some(5000)).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for r in page
            .iter()
            .filter(|r| r.action == "entity.create" && r.subject.starts_with("component:"))
        {
            *creates.entry(r.subject.clone()).or_default() += 1;
        }
    }
    let once = (0..PARALLEL)
        .filter(|i| creates.get(&format!("component:default/svc-{i}")) == Some(&1))
        .count();
    let runs = p.paths().runs(None, Some(10 * PARALLEL)).await?;
    let succeeded_runs = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .count();
    let resources = p.resources().list().await?.len();
    let applied = ours.applied + theirs.applied;
    println!(
        "| {PARALLEL} runs of deploy-web-service at once, 2 processes × {half}, PostgreSQL | |"
    );
    println!("|---|---|");
    println!(
        "| wall time, `go` to both done | {} |",
        fmt_duration(Duration::from_secs_f64(wall))
    );
    println!("| throughput | {:.1} runs/s |", PARALLEL as f64 / wall);
    println!(
        "| this process / the second: succeeded, seconds | {} in {:.2} s / {} in {:.2} s |",
        ours.succeeded, ours.seconds, theirs.succeeded, theirs.seconds
    );
    println!(
        "| components in the catalogue (expected {PARALLEL}) | {} ({components} by ref) |",
        all.total
    );
    println!("| components with exactly one `entity.create` audit record | {once} |");
    println!(
        "| audit records `entity.create` of a component, in all | {} |",
        creates.values().sum::<usize>()
    );
    println!("| databases applied by the providers (expected {PARALLEL}) | {applied} |");
    println!("| resources in the catalogue or with state | {resources} |");
    println!(
        "| succeeded runs recorded | {succeeded_runs} of {} |",
        runs.len()
    );
    anyhow::ensure!(
        all.total == PARALLEL as u64
            && once == PARALLEL
            && creates.values().sum::<usize>() == PARALLEL
            && applied == PARALLEL
            && resources == PARALLEL
            && succeeded_runs == PARALLEL
            && runs.len() == PARALLEL,
        "a side effect was lost or duplicated (see the table)"
    );
    println!("\nno side effect lost or duplicated");

    // Baseline, after the checks: the same runs one at a time, one process.
    let mut one = Vec::new();
    for i in 0..SEQUENTIAL {
        let name = format!("seq-{i}");
        let start = Instant::now();
        let record = p
            .paths()
            .run(
                TEMPLATE,
                parameters(&name, i % 10),
                &options(&dir.path().join("seq"), &name),
            )
            .await?;
        one.push(start.elapsed());
        anyhow::ensure!(record.status == RunStatus::Succeeded, "{:?}", record.error);
    }
    let total: f64 = one.iter().map(Duration::as_secs_f64).sum();
    let one = Latency::from_samples(one);
    println!(
        "\n| baseline: {SEQUENTIAL} runs one at a time, one process, same database | |\n|---|---|"
    );
    println!(
        "| run p50 / p99 | {} / {} |",
        fmt_duration(one.p50),
        fmt_duration(one.p99)
    );
    println!("| throughput | {:.1} runs/s |", SEQUENTIAL as f64 / total);
    println!(
        "| parallel / one at a time | {:.1}× |",
        (PARALLEL as f64 / wall) / (SEQUENTIAL as f64 / total)
    );
    Ok(())
}
