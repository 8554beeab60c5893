//! Plugin runtime benchmark (issue 3): cold compile of every example plugin,
//! load from the precompiled cache, instantiate-plus-review latency of a
//! guardrail on a ~1 KB entity, throughput on one core and on two, epoch
//! interruption on vs off, and the same rule as native Rust.
//!
//! ```text
//! cargo run --release -p paved-bench --bin plugins [-- --calls N]
//! cargo run --release -p paved-bench --bin plugins -- --deadlines
//! ```
//!
//! `--deadlines` measures only how close to its deadline a guest that loops
//! forever is stopped, on an idle machine and with every core kept busy.
//!
//! Builds `examples/plugins` for `wasm32-wasip2` first (a no-op when built).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use paved::plugins::{
    CatalogueLookup, Change, Grants, Guardrail, GuardrailInfo, Operation, PluginConfig, PluginKind,
    Review, Subject, Verdict, Violation,
};
use paved_bench::{Latency, build_example_plugins, fmt_duration, median, repo_root, target_dir};
// The plugin host's internals, which the facade does not expose: compile
// alone, the precompiled cache's outcome, epoch interruption off,
// instantiate without a call, and a guardrail's review without the platform
// around it (see Cargo.toml).
use paved_plugins::{CacheOutcome, Limits, PluginHost, WasmGuardrail};
use regex::Regex;
use serde_json::{Value, json};

/// Example plugins whose host compile time is reported.
const EXAMPLES: &[&str] = &[
    "require-owner",
    "naming-convention",
    "cost-budget",
    "local-directory",
    "paved-plugin-template",
];

fn wasm(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.wasm", name.replace('-', "_")))
}

fn change() -> Change {
    Change {
        subject: Subject::Entity("component:default/payments-gateway".into()),
        operation: Operation::Create,
        before: None,
        after: Some(paved_bench::component_1kb("payments-gateway")),
        diff: Vec::new(),
        monthly_cost: None,
        actor: Some("user:default/ada".into()),
    }
}

fn naming_settings() -> Value {
    json!({"patterns": {"Component": "^[a-z][a-z0-9-]*$", "API": "^[a-z][a-z0-9-]*-api$"}})
}

/// The catalogue `require-owner` looks owners up in: one group.
#[derive(Debug)]
struct OneGroup(Value);

#[async_trait]
impl CatalogueLookup for OneGroup {
    async fn get(&self, entity_ref: &str) -> paved::Result<Option<Value>> {
        Ok((entity_ref == "group:default/team-payments").then(|| self.0.clone()))
    }
    async fn query(&self, _filter: &str) -> paved::Result<Vec<Value>> {
        Ok(vec![self.0.clone()])
    }
}

fn catalogue() -> Arc<OneGroup> {
    Arc::new(OneGroup(json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
        "metadata": {"name": "team-payments", "namespace": "default"},
        "spec": {"type": "team", "children": []}
    })))
}

/// `naming-convention`'s rule as a native guardrail: the regexes are compiled
/// once, from settings parsed once (what a native implementation would do).
struct NativeNaming {
    patterns: Vec<(String, Regex, String)>,
}

impl NativeNaming {
    fn new(settings: &Value) -> anyhow::Result<Self> {
        let mut patterns = Vec::new();
        for (kind, p) in settings["patterns"].as_object().into_iter().flatten() {
            let p = p.as_str().unwrap_or_default();
            patterns.push((kind.clone(), Regex::new(p)?, p.to_owned()));
        }
        Ok(Self { patterns })
    }
}

#[async_trait]
impl Guardrail for NativeNaming {
    fn name(&self) -> &str {
        "native-naming"
    }
    async fn describe(&self) -> paved::Result<GuardrailInfo> {
        unreachable!("not measured")
    }
    async fn validate_settings(&self, _settings: &Value) -> paved::Result<()> {
        Ok(())
    }
    async fn review(&self, change: &Change, _settings: Option<&Value>) -> paved::Result<Review> {
        let after = change.after.as_ref();
        let kind = after.and_then(|a| a["kind"].as_str()).unwrap_or_default();
        let name = after
            .and_then(|a| a["metadata"]["name"].as_str())
            .unwrap_or_default();
        let mut review = Review::allow();
        if let Some((_, re, p)) = self.patterns.iter().find(|(k, _, _)| k == kind)
            && !re.is_match(name)
        {
            review.verdict = Verdict::Deny;
            review.violations.push(Violation {
                path: "metadata.name".into(),
                message: format!("{kind} name '{name}' does not match {p}"),
            });
        }
        Ok(review)
    }
}

fn config(name: &str, path: PathBuf, settings: Value, catalogue: bool) -> PluginConfig {
    PluginConfig::new(name, path, PluginKind::Guardrail)
        .settings(settings)
        .grants(Grants {
            catalogue,
            ..Grants::default()
        })
}

async fn latency(
    g: &(dyn Guardrail + Send + Sync),
    change: &Change,
    calls: usize,
) -> anyhow::Result<Latency> {
    for _ in 0..calls / 20 {
        g.review(change, None).await?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let r = g.review(change, None).await?;
        samples.push(t.elapsed());
        anyhow::ensure!(r.verdict == Verdict::Allow, "unexpected review {r:?}");
    }
    Ok(Latency::from_samples(samples))
}

/// Reviews per second with `tasks` concurrent callers on a runtime of
/// `workers` threads, over about `span`.
fn throughput(g: Arc<WasmGuardrail>, workers: usize, span: Duration) -> anyhow::Result<f64> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let tasks = workers * 4;
        let start = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let g = g.clone();
            handles.push(tokio::spawn(async move {
                let change = change();
                let mut n = 0u64;
                while start.elapsed() < span {
                    g.review_change(&change, None).await?;
                    n += 1;
                }
                anyhow::Ok(n)
            }));
        }
        let mut total = 0;
        for h in handles {
            total += h.await??;
        }
        Ok(total as f64 / start.elapsed().as_secs_f64())
    })
}

/// Minor page faults of this process so far (Linux `/proc/self/stat`).
fn minor_faults() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the parenthesised command name; minflt is field 10.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    rest.split_whitespace()
        .nth(7)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no minflt in /proc/self/stat"))
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> anyhow::Result<()> {
    let calls: usize = arg("--calls")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    let dir = build_example_plugins()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if std::env::args().any(|a| a == "--deadlines") {
        return deadline_figures(&rt, &dir);
    }
    println!("command: `cargo run --release -p paved-bench --bin plugins -- --calls {calls}`\n");

    // ---- cold compile and cached load -------------------------------------
    let cache = tempfile::tempdir()?;
    let naming_path = wasm(&dir, "naming-convention");
    if !std::env::args().any(|a| a == "--skip-compile") {
        compile_and_load(&rt, &dir, cache.path(), &naming_path)?;
    }
    review_figures(&rt, &dir, &naming_path, calls)
}

fn compile_and_load(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    cache: &Path,
    naming_path: &Path,
) -> anyhow::Result<()> {
    println!("### Compile and load (median of 5)\n");
    println!(
        "| plugin | component size | cold compile (no cache) | load from the precompiled cache |"
    );
    println!("|---|---|---|---|");
    for name in EXAMPLES {
        let path = wasm(dir, name);
        let bytes = std::fs::read(&path)?;
        let host = PluginHost::builder().cache_dir(cache).build()?;
        let mut cold = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            wasmtime::component::Component::new(host.engine(), &bytes)
                .map_err(|e| anyhow::anyhow!("{name}: {e:#}"))?;
            cold.push(t.elapsed().as_secs_f64());
        }
        rt.block_on(host.precompile(&path))?;
        let mut warm = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let outcome = rt.block_on(host.precompile(&path))?;
            warm.push(t.elapsed().as_secs_f64());
            anyhow::ensure!(
                outcome == CacheOutcome::Hit,
                "{name}: expected a cache hit, got {outcome:?}"
            );
        }
        println!(
            "| {name} | {} KiB | {} | {} |",
            bytes.len() / 1024,
            fmt_duration(Duration::from_secs_f64(median(cold))),
            fmt_duration(Duration::from_secs_f64(median(warm))),
        );
    }

    // A whole guardrail load from the cache: read, deserialize, link,
    // `describe` and `validate-settings` (two instantiations); prepared, also
    // the snapshot read and its compiled code deserialized. The first
    // prepared load makes the snapshot (instrument, run, snapshot, compile).
    let load = |prepare: bool| {
        rt.block_on(async {
            let host = PluginHost::builder()
                .cache_dir(cache)
                .prepare_guardrails(prepare)
                .build()?;
            let naming = || {
                config(
                    "naming",
                    naming_path.to_path_buf(),
                    naming_settings(),
                    false,
                )
            };
            let t = Instant::now();
            let first = host.load_guardrail(naming()).await?;
            let first_time = t.elapsed();
            let mut xs = Vec::new();
            for _ in 0..11 {
                let t = Instant::now();
                let g = host.load_guardrail(naming()).await?;
                xs.push(t.elapsed().as_secs_f64());
                anyhow::ensure!(
                    g.prepared().is_none() || g.prepared() == Some(&CacheOutcome::Hit),
                    "the snapshot should come from the cache: {:?}",
                    g.prepared()
                );
            }
            anyhow::Ok((first.prepared().cloned(), first_time, median(xs)))
        })
    };
    let (_, _, plain) = load(false)?;
    let (outcome, first, prepared) = load(true)?;
    let d = |s: f64| fmt_duration(Duration::from_secs_f64(s));
    println!(
        "\nWhole `load_guardrail` of naming-convention from the cache (read, deserialize, link, \
         describe, validate settings), median of 11: {}; prepared: {} (the first prepared load, \
         which makes and caches the snapshot ({outcome:?}): {})\n",
        d(plain),
        d(prepared),
        fmt_duration(first)
    );
    Ok(())
}

/// What one latency row times.
enum Timed<'a> {
    /// A wasm guardrail's `review` (its page faults are counted too).
    Wasm(&'a WasmGuardrail),
    /// A native guardrail's `review` through core's `Guardrail` trait.
    Native(&'a (dyn Guardrail + Send + Sync)),
    /// A fresh store and instance of the guardrail's component, no call.
    Instantiate(&'a WasmGuardrail),
    /// Ten reviews of one change in one instance (ten bindings of the
    /// guardrail on one change); a sample is the whole divided by ten.
    /// Told ahead (as the pipeline tells it): one `review-each` call;
    /// otherwise a `review` call each.
    TenInOne(&'a WasmGuardrail, Ahead),
}

/// Whether [`Timed::TenInOne`] tells the reviews ahead.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ahead {
    Told,
    NotTold,
}

async fn time_row(row: &Timed<'_>, change: &Change, calls: usize) -> anyhow::Result<Latency> {
    match row {
        Timed::Wasm(g) => latency(*g, change, calls).await,
        Timed::Native(g) => latency(*g, change, calls).await,
        Timed::Instantiate(g) => {
            let mut samples = Vec::with_capacity(calls);
            for i in 0..calls + calls / 20 {
                let t = Instant::now();
                g.instantiate_only().await?;
                if i >= calls / 20 {
                    samples.push(t.elapsed());
                }
            }
            Ok(Latency::from_samples(samples))
        }
        Timed::TenInOne(g, ahead) => {
            let mut samples = Vec::with_capacity(calls);
            for i in 0..calls + calls / 20 {
                let t = Instant::now();
                let mut reviews = g.change_reviews();
                if *ahead == Ahead::Told {
                    reviews.ahead(&[None; 10]);
                }
                for _ in 0..10 {
                    reviews.review_with(change, None).await?;
                }
                drop(reviews);
                if i >= calls / 20 {
                    samples.push(t.elapsed() / 10);
                }
            }
            Ok(Latency::from_samples(samples))
        }
    }
}

/// The Extism comparison (`--extism`): builds `benches/extism` and returns
/// a closure that runs its runner once and gives (reused p50, fresh p50) in
/// seconds.
fn extism_runner(calls: usize) -> anyhow::Result<impl Fn() -> anyhow::Result<(f64, f64)>> {
    let out = Command::new("bash")
        .arg(repo_root().join("benches/extism/build.sh"))
        .env("CARGO_TARGET_DIR", target_dir())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(out.status.success(), "benches/extism/build.sh failed");
    let stdout = String::from_utf8(out.stdout)?;
    let path = |key: &str| -> anyhow::Result<PathBuf> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(PathBuf::from)
            .ok_or_else(|| anyhow::anyhow!("build.sh printed no {key}"))
    };
    let (wasm, runner) = (path("WASM=")?, path("RUNNER=")?);
    let input = target_dir().join("extism/input.json");
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({
            "settings": naming_settings(),
            "change": {"operation": "create", "after": paved_bench::component_1kb("payments-gateway")},
        }))?,
    )?;
    Ok(move || {
        let out = Command::new(&runner)
            .arg("--wasm")
            .arg(&wasm)
            .arg("--input")
            .arg(&input)
            .args(["--calls", &calls.to_string()])
            .stderr(std::process::Stdio::inherit())
            .output()?;
        anyhow::ensure!(out.status.success(), "paved-extism-bench failed");
        let v: Value = serde_json::from_slice(&out.stdout)?;
        let p50 = |mode: &str| {
            v[mode]["p50_us"]
                .as_f64()
                .map(|us| us / 1e6)
                .ok_or_else(|| anyhow::anyhow!("no {mode}.p50_us in {v}"))
        };
        Ok((p50("reused")?, p50("fresh")?))
    })
}

fn review_figures(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    naming_path: &Path,
    calls: usize,
) -> anyhow::Result<()> {
    let extism = if std::env::args().any(|a| a == "--extism") {
        Some(extism_runner(calls / 3)?)
    } else {
        None
    };
    // ---- instantiate + review ---------------------------------------------
    let change = change();
    println!(
        "### Instantiate + review of one ~1 KB entity ({} bytes as JSON), {calls} calls after {} warm-up\n",
        serde_json::to_string(change.after.as_ref().unwrap_or(&Value::Null))?.len(),
        calls / 20
    );
    let naming_config = || {
        config(
            "naming",
            naming_path.to_path_buf(),
            naming_settings(),
            false,
        )
    };
    let (prepared, plain, epochs_off, owner, floor, native) = rt.block_on(async {
        let host = |prepare: bool| {
            PluginHost::builder()
                .catalogue(catalogue())
                .prepare_guardrails(prepare)
                .build()
        };
        let (on, off) = (host(true)?, host(false)?);
        let prepared = on.load_guardrail(naming_config()).await?;
        let plain = off.load_guardrail(naming_config()).await?;
        let epochs_off = PluginHost::builder()
            .prepare_guardrails(true)
            .without_epoch_interruption_unsafe()
            .build()?
            .load_guardrail(naming_config())
            .await?;
        let owner = on
            .load_guardrail(config("owner", wasm(dir, "require-owner"), json!({}), true))
            .await?;
        let floor = on
            .load_guardrail(config(
                "floor",
                wasm(dir, "hostile"),
                json!({"mode": "ok"}),
                false,
            ))
            .await?;
        for g in [&prepared, &epochs_off, &owner, &floor] {
            anyhow::ensure!(g.prepared().is_some(), "{} was not prepared", g.info().name);
        }
        let native = NativeNaming::new(&naming_settings())?;
        anyhow::Ok((prepared, plain, epochs_off, owner, floor, native))
    })?;
    let rows: [(&str, Timed, bool); 11] = [
        (
            "naming-convention, prepared (epochs on: the default)",
            Timed::Wasm(&prepared),
            true,
        ),
        (
            "naming-convention, not prepared (decodes settings, compiles its regex)",
            Timed::Wasm(&plain),
            true,
        ),
        (
            "naming-convention, prepared, epochs off",
            Timed::Wasm(&epochs_off),
            true,
        ),
        (
            "require-owner, prepared (one catalogue lookup through the host)",
            Timed::Wasm(&owner),
            false,
        ),
        (
            "floor: a guardrail that allows at once (hostile plugin, mode ok), prepared",
            Timed::Wasm(&floor),
            false,
        ),
        (
            "naming-convention, prepared, ten reviews of one change in one instance, a call each (per review)",
            Timed::TenInOne(&prepared, Ahead::NotTold),
            true,
        ),
        (
            "naming-convention, prepared, ten reviews of one change in one `review-each` call (per review)",
            Timed::TenInOne(&prepared, Ahead::Told),
            true,
        ),
        (
            "floor, prepared, ten reviews of one change in one instance, a call each (per review)",
            Timed::TenInOne(&floor, Ahead::NotTold),
            false,
        ),
        (
            "floor, prepared, ten reviews of one change in one `review-each` call (per review)",
            Timed::TenInOne(&floor, Ahead::Told),
            false,
        ),
        (
            "instantiate alone (naming-convention's snapshot, no call)",
            Timed::Instantiate(&prepared),
            false,
        ),
        (
            "naming-convention rule in native Rust (Guardrail trait, regex compiled once)",
            Timed::Native(&native),
            true,
        ),
    ];
    // Interleave the rounds so drift in the machine's load hits all alike.
    let mut samples: Vec<Vec<Latency>> = rows.iter().map(|_| Vec::new()).collect();
    let (mut ext_reused, mut ext_fresh) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for ((_, row, _), out) in rows.iter().zip(samples.iter_mut()) {
            out.push(rt.block_on(time_row(row, &change, calls / 3))?);
        }
        if let Some(run) = &extism {
            let (reused, fresh) = run()?;
            ext_reused.push(reused);
            ext_fresh.push(fresh);
        }
    }
    let mid = |xs: &[Latency]| {
        let p50 = median(xs.iter().map(|l| l.p50.as_secs_f64()).collect());
        let p99 = median(xs.iter().map(|l| l.p99.as_secs_f64()).collect());
        (p50, p99)
    };
    let figures: Vec<(f64, f64)> = samples.iter().map(|xs| mid(xs)).collect();
    let native50 = figures[rows.len() - 1].0;
    let faults = |g: &WasmGuardrail| -> anyhow::Result<f64> {
        let before = minor_faults()?;
        rt.block_on(async {
            for _ in 0..1000 {
                g.review_change(&change, None).await?;
            }
            anyhow::Ok(())
        })?;
        Ok((minor_faults()? - before) as f64 / 1000.0)
    };
    let d = |s: f64| fmt_duration(Duration::from_secs_f64(s));
    println!("| guardrail | p50 | p99 | p50 ratio to native | page faults per review |");
    println!("|---|---|---|---|---|");
    for ((label, timed, ratio), (p50, p99)) in rows.iter().zip(&figures) {
        let ratio = if *ratio {
            format!("{:.0}×", p50 / native50)
        } else {
            String::new()
        };
        let faults = match timed {
            Timed::Wasm(g) => format!("{:.1}", faults(g)?),
            _ => String::new(),
        };
        println!(
            "| {label} | {} | {} | {ratio} | {faults} |",
            d(*p50),
            d(*p99)
        );
    }
    let (on50, plain50, off50) = (figures[0].0, figures[1].0, figures[2].0);
    let (shared50, floor50, floor_shared50) = (figures[5].0, figures[4].0, figures[6].0);
    println!(
        "\nTen bindings of one guardrail on one change share an instance: a review costs {} \
         instead of {} ({:.2}× less); the floor {} instead of {}.\n",
        d(shared50),
        d(on50),
        on50 / shared50,
        d(floor_shared50),
        d(floor50)
    );
    println!(
        "\nPreparing the guardrail: p50 {} -> {} ({:.2}× faster). Epoch interruption costs \
         {:+.1}% at p50 (on {} vs off {}).\n",
        d(plain50),
        d(on50),
        plain50 / on50,
        (on50 / off50 - 1.0) * 100.0,
        d(on50),
        d(off50)
    );
    if extism.is_some() {
        let (reused, fresh) = (median(ext_reused), median(ext_fresh));
        println!(
            "### The same review as an Extism plugin (extism 1.41, `--extism`), median of 3 runs of {} calls\n",
            calls / 3
        );
        println!("| host | p50 | paved prepared is |");
        println!("|---|---|---|");
        println!(
            "| Extism, a new plugin instance per call (paved's isolation) | {} | {:.1}× faster |",
            d(fresh),
            fresh / on50
        );
        println!(
            "| Extism, one plugin reused for every call (state survives calls) | {} | {:.1}× faster |",
            d(reused),
            reused / on50
        );
        println!(
            "| paved, not prepared (settings decoded, regex compiled on every call) | {} | |\n",
            d(plain50)
        );
    }

    // ---- throughput ---------------------------------------------------------
    let naming = Arc::new(prepared);
    let span = Duration::from_secs(3);
    let mut one = Vec::new();
    let mut two = Vec::new();
    for _ in 0..3 {
        one.push(throughput(naming.clone(), 1, span)?);
        two.push(throughput(naming.clone(), 2, span)?);
    }
    let (one, two) = (median(one), median(two));
    println!(
        "### Throughput of instantiate + review (naming-convention, prepared), median of 3 × 3 s\n"
    );
    println!("| runtime threads | reviews/s |");
    println!("|---|---|");
    println!("| 1 | {one:.0} |");
    println!("| 2 | {two:.0} |");
    println!("| **scaling 2 / 1** | **{:.2}×** |", two / one);
    Ok(())
}

/// How long a call whose guest loops forever takes, against its deadline:
/// on an idle machine, and with one busy-looping thread per core (a loaded
/// machine: the epoch ticker and the deadline's timer compete for a core).
fn deadline_figures(rt: &tokio::runtime::Runtime, dir: &Path) -> anyhow::Result<()> {
    println!("command: `cargo run --release -p paved-bench --bin plugins -- --deadlines`\n");
    println!("### Deadline accuracy: a guest that loops forever (hostile, mode loop)\n");
    println!(
        "| deadline | machine | calls | median elapsed | max elapsed | median overrun | max overrun |"
    );
    println!("|---|---|---|---|---|---|---|");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let looping = json!({"mode": "loop"});
    for (ms, calls) in [(100u64, 21usize), (1000, 7)] {
        let rule = rt.block_on(async {
            PluginHost::builder()
                .build()?
                .load_guardrail(
                    PluginConfig::new("hostile", wasm(dir, "hostile"), PluginKind::Guardrail)
                        .limits(Limits {
                            timeout_ms: Some(ms),
                            ..Default::default()
                        }),
                )
                .await
        })?;
        for loaded in [false, true] {
            let stop = Arc::new(AtomicBool::new(false));
            let burners: Vec<_> = (0..if loaded { cores } else { 0 })
                .map(|_| {
                    let stop = stop.clone();
                    std::thread::spawn(move || {
                        let mut i: u64 = 0;
                        while !stop.load(Ordering::Relaxed) {
                            i = std::hint::black_box(i.wrapping_add(1));
                        }
                    })
                })
                .collect();
            let mut elapsed = Vec::with_capacity(calls);
            for _ in 0..calls {
                let start = Instant::now();
                let answer = rt.block_on(rule.review_change(&change(), Some(&looping)));
                elapsed.push(start.elapsed().as_secs_f64() * 1e3);
                anyhow::ensure!(answer.is_err(), "a guest that loops forever must time out");
            }
            stop.store(true, Ordering::Relaxed);
            for b in burners {
                let _ = b.join();
            }
            elapsed.sort_by(f64::total_cmp);
            let med = elapsed[elapsed.len() / 2];
            let max = elapsed[elapsed.len() - 1];
            let over = |x: f64| (x / ms as f64 - 1.0) * 100.0;
            println!(
                "| {ms} ms | {} | {calls} | {med:.1} ms | {max:.1} ms | {:+.1}% | {:+.1}% |",
                if loaded {
                    format!("{cores} busy threads")
                } else {
                    "idle".to_string()
                },
                over(med),
                over(max)
            );
        }
    }
    Ok(())
}
