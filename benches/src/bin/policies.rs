//! Policies in the pipeline (issue 13): what policy bindings cost a write.
//!
//! - Review latency (p50/p99) of one ~1 KB Component against 10 bindings,
//!   through `policies().evaluate` and through a dry-run upsert, next to the
//!   same platform with no bindings (the baseline: the policy cost is the
//!   difference).
//! - The same rule (a Component's `metadata.name` must match
//!   `^[a-z][a-z0-9-]*$`) behind the bindings as the built-in Rego guardrail
//!   (a `rego:` binding), as the wasm guardrail `naming-convention` from
//!   `examples/plugins` (prepared and not; prepared, also as it was before
//!   one `review-each` call reviewed all its bindings: a call per binding
//!   in one instance, and a fresh instance per binding) and as native Rust (a
//!   `paved::plugins::Guardrail`), as ratios in one run. Rows are measured in
//!   interleaved rounds and the medians of the rounds reported.
//! - Throughput of `policies().evaluate` with 100 and 1,000 bindings, one
//!   caller and several.
//! - Import of N entities (default 20,000; `--import 100000` for issue 13's
//!   figure) into a fresh SQLite file with 10 enforcing bindings against none.
//!
//! Everything goes through the `paved` facade: `paved::open` with a
//! `paved.yaml` written here (wasm and Rego), `Platform::builder()` for the
//! native guardrail.
//!
//! ```text
//! cargo run --release -p paved-bench --bin policies -- [--calls N] [--span-ms MS]
//!     [--import N] [--import-rounds R] [--skip-latency] [--skip-throughput] [--skip-import]
//! ```
//!
//! Builds `examples/plugins` for `wasm32-wasip2` first (a no-op when built).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use paved::plugins::{Change, ChangeReviews, Guardrail, GuardrailInfo, Review, Verdict, Violation};
use paved::{Binding, OpenOptions, Platform, StoreSpec, WriteOptions};
use paved_bench::synthetic::{Shape, write_catalog};
use paved_bench::{Latency, fmt_duration, median};
use regex::Regex;
use serde_json::{Value, json};

/// The rule every engine implements.
const PATTERN: &str = "^[a-z][a-z0-9-]*$";

/// The wasm guardrail's name under `plugins:`.
const WASM_NAME: &str = "naming-convention";

/// The native guardrail's name.
const NATIVE_NAME: &str = "native-naming";

/// The rows of the latency and import figures: no bindings, then each engine.
const ROWS: [Option<Rule>; 5] = [
    None,
    Some(Rule::Native),
    Some(Rule::Rego),
    Some(Rule::Wasm),
    Some(Rule::WasmUnprepared),
];

/// The latency table's rows: [`ROWS`] and the per-binding baseline.
const LATENCY_ROWS: [Option<Rule>; 7] = [
    None,
    Some(Rule::Native),
    Some(Rule::Rego),
    Some(Rule::Wasm),
    Some(Rule::WasmCallPerBinding),
    Some(Rule::WasmPerBinding),
    Some(Rule::WasmUnprepared),
];

/// Bindings in the latency and import figures.
const BINDINGS: usize = 10;

/// Interleaved rounds of the throughput figures.
const ROUNDS: usize = 3;

/// The rule in Rego (v1), loaded by every `rego:` binding.
const REGO: &str = r#"# A Component's name must match the naming convention.
package paved.naming

import rego.v1

deny contains msg if {
	input.after.kind == "Component"
	name := input.after.metadata.name
	not regex.match(`^[a-z][a-z0-9-]*$`, name)
	msg := sprintf("Component name '%v' does not match %v", [name, `^[a-z][a-z0-9-]*$`])
}
"#;

/// `naming-convention`'s component, built with the other example plugins.
fn build_naming_convention() -> anyhow::Result<PathBuf> {
    let path = paved_bench::build_example_plugins()?.join("naming_convention.wasm");
    anyhow::ensure!(path.exists(), "{} is missing", path.display());
    Ok(path)
}

/// The wasm guardrail's settings: the rule for Components.
fn naming_settings() -> Value {
    json!({"patterns": {"Component": PATTERN}})
}

/// The rule as a native guardrail: the regex compiled once.
struct NativeNaming {
    re: Regex,
}

#[async_trait]
impl Guardrail for NativeNaming {
    fn name(&self) -> &str {
        NATIVE_NAME
    }
    async fn describe(&self) -> paved::Result<GuardrailInfo> {
        Ok(GuardrailInfo {
            name: NATIVE_NAME.into(),
            version: "1.0.0".into(),
            description: "Component names must match the naming convention".into(),
            settings_schema: json!({"type": "object"}),
            capabilities: Vec::new(),
        })
    }
    async fn validate_settings(&self, _settings: &Value) -> paved::Result<()> {
        Ok(())
    }
    async fn review(&self, change: &Change, _settings: Option<&Value>) -> paved::Result<Review> {
        let mut review = Review::allow();
        let Some(after) = change.after.as_ref() else {
            return Ok(review);
        };
        if after["kind"].as_str() != Some("Component") {
            return Ok(review);
        }
        let name = after["metadata"]["name"].as_str().unwrap_or_default();
        if !self.re.is_match(name) {
            review.verdict = Verdict::Deny;
            review.violations.push(Violation {
                path: "metadata.name".into(),
                message: format!("Component name '{name}' does not match {PATTERN}"),
            });
        }
        Ok(review)
    }
}

/// How the bindings of a wasm guardrail reviewed one change before one
/// `review-each` call reviewed them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// Each binding in a fresh instance (no [`Guardrail::change_reviews`]).
    FreshInstance,
    /// One instance per change, a `review` call per binding (not told
    /// ahead).
    CallEach,
}

/// A prepared wasm guardrail whose bindings review a change as `.1` says.
struct AsBefore(paved_plugins::WasmGuardrail, Before);

#[async_trait]
impl Guardrail for AsBefore {
    fn name(&self) -> &str {
        Guardrail::name(&self.0)
    }
    async fn describe(&self) -> paved::Result<GuardrailInfo> {
        Guardrail::describe(&self.0).await
    }
    async fn validate_settings(&self, settings: &Value) -> paved::Result<()> {
        Guardrail::validate_settings(&self.0, settings).await
    }
    async fn review(&self, change: &Change, settings: Option<&Value>) -> paved::Result<Review> {
        Guardrail::review(&self.0, change, settings).await
    }
    fn change_reviews(&self) -> Option<Box<dyn ChangeReviews + '_>> {
        match self.1 {
            Before::FreshInstance => None,
            Before::CallEach => Some(Box::new(NotToldAhead(self.0.change_reviews()))),
        }
    }
}

/// [`paved_plugins::WasmChangeReviews`] that ignores `ahead`.
struct NotToldAhead<'g>(paved_plugins::WasmChangeReviews<'g>);

#[async_trait]
impl ChangeReviews for NotToldAhead<'_> {
    async fn review(&mut self, change: &Change, settings: Option<&Value>) -> paved::Result<Review> {
        Ok(self.0.review_with(change, settings).await?)
    }
}

/// What reviews behind the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Native,
    Rego,
    Wasm,
    WasmUnprepared,
    /// Prepared, but every binding in an instance of its own, as before
    /// the bindings of one change shared one (the latency table's
    /// baseline for that change).
    WasmPerBinding,
    /// Prepared, one instance per change, but a `review` call per binding,
    /// as before one `review-each` call reviewed them all.
    WasmCallPerBinding,
}

impl Rule {
    fn label(self) -> &'static str {
        match self {
            Rule::Native => "native Rust (`Guardrail` impl, regex compiled once)",
            Rule::Rego => "Rego (built-in guardrail, `rego:` binding)",
            Rule::Wasm => "wasm `naming-convention`, prepared (`prepare_guardrails(true)`)",
            Rule::WasmUnprepared => "wasm `naming-convention`, not prepared (the default)",
            Rule::WasmPerBinding => {
                "wasm `naming-convention`, prepared, a fresh instance per binding (before)"
            }
            Rule::WasmCallPerBinding => {
                "wasm `naming-convention`, prepared, one instance per change, a call per binding (before)"
            }
        }
    }
}

/// Where a platform keeps its catalogue.
#[derive(Debug, Clone)]
enum Store {
    Memory,
    File(PathBuf),
}

impl Store {
    fn url(&self) -> String {
        match self {
            Store::Memory => "sqlite::memory:".into(),
            Store::File(path) => format!("sqlite:{}", path.display()),
        }
    }
    fn spec(&self) -> StoreSpec {
        match self {
            Store::Memory => StoreSpec::Memory,
            Store::File(path) => StoreSpec::Sqlite(path.clone()),
        }
    }
}

/// Files every platform of the run shares.
struct Setup {
    dir: PathBuf,
    wasm: PathBuf,
    rego: PathBuf,
    cache: PathBuf,
    configs: AtomicUsize,
}

impl Setup {
    fn new(dir: &Path, wasm: PathBuf) -> anyhow::Result<Self> {
        let rego = dir.join("naming.rego");
        std::fs::write(&rego, REGO)?;
        let cache = dir.join("plugin-cache");
        std::fs::create_dir_all(&cache)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            wasm,
            rego,
            cache,
            configs: AtomicUsize::new(0),
        })
    }

    fn binding(&self, rule: Rule, i: usize) -> Value {
        let mut b = json!({
            "name": format!("naming-{i}"),
            "match": {"kinds": ["Component"]},
            "mode": "enforce",
        });
        b[match rule {
            Rule::Rego => "rego",
            _ => "guardrail",
        }] = match rule {
            Rule::Native => json!(NATIVE_NAME),
            Rule::Rego => json!({"policies": [self.rego]}),
            Rule::Wasm | Rule::WasmUnprepared | Rule::WasmPerBinding | Rule::WasmCallPerBinding => {
                json!(WASM_NAME)
            }
        };
        b
    }

    /// A platform on `store` with `n` bindings of `rule` (none: no bindings).
    async fn platform(
        &self,
        rule: Option<Rule>,
        n: usize,
        store: &Store,
    ) -> anyhow::Result<Platform> {
        let bindings: Vec<Value> = match rule {
            Some(rule) => (0..n).map(|i| self.binding(rule, i)).collect(),
            None => Vec::new(),
        };
        if matches!(rule, Some(Rule::WasmPerBinding | Rule::WasmCallPerBinding)) {
            let bindings = bindings
                .into_iter()
                .map(serde_json::from_value::<Binding>)
                .collect::<Result<Vec<_>, _>>()?;
            let host = paved_plugins::PluginHost::builder()
                .prepare_guardrails(true)
                .cache_dir(&self.cache)
                .build()?;
            let wasm = host
                .load_guardrail(
                    paved_plugins::PluginConfig::new(
                        WASM_NAME,
                        &self.wasm,
                        paved_plugins::PluginKind::Guardrail,
                    )
                    .settings(naming_settings()),
                )
                .await?;
            let before = if rule == Some(Rule::WasmPerBinding) {
                Before::FreshInstance
            } else {
                Before::CallEach
            };
            return Ok(Platform::builder()
                .store(store.spec())
                .guardrail(Arc::new(AsBefore(wasm, before)))
                .policies(bindings)
                .build()
                .await?);
        }
        if rule == Some(Rule::Native) {
            let bindings = bindings
                .into_iter()
                .map(serde_json::from_value::<Binding>)
                .collect::<Result<Vec<_>, _>>()?;
            let native = NativeNaming {
                re: Regex::new(PATTERN)?,
            };
            return Ok(Platform::builder()
                .store(store.spec())
                .guardrail(Arc::new(native))
                .policies(bindings)
                .build()
                .await?);
        }
        // JSON is YAML: the configuration file is written as JSON.
        let mut config = json!({"policies": bindings});
        if matches!(rule, Some(Rule::Wasm | Rule::WasmUnprepared)) {
            config["pluginCache"] = json!(self.cache);
            config["plugins"] = json!([{
                "name": WASM_NAME,
                "path": self.wasm,
                "kind": "guardrail",
                "settings": naming_settings(),
            }]);
        }
        let path = self.dir.join(format!(
            "paved-{}.yaml",
            self.configs.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, serde_json::to_string_pretty(&config)?)?;
        Ok(paved::open(
            OpenOptions::default()
                .store(store.url())
                .config(path)
                .prepare_guardrails(rule == Some(Rule::Wasm)),
        )
        .await?)
    }
}

/// What one latency row times.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// `policies().evaluate(entity, None)`.
    Evaluate,
    /// `catalog().upsert(entity, None, dry run)`.
    DryRun,
}

/// One review of the entity; checks that every binding reviewed and allowed.
async fn call(p: &Platform, how: Call, entity: &Value, bindings: usize) -> anyhow::Result<()> {
    match how {
        Call::Evaluate => {
            let decisions = p.policies().evaluate(entity.clone(), None).await?;
            anyhow::ensure!(
                decisions.len() == bindings
                    && decisions.iter().all(|d| d.verdict == Verdict::Allow),
                "expected {bindings} allows, got {} decisions",
                decisions.len()
            );
        }
        Call::DryRun => {
            let set = p
                .catalog()
                .upsert(entity.clone(), None, &WriteOptions::default().dry_run())
                .await?;
            anyhow::ensure!(
                set.policy_reviews == bindings && set.changes.len() == 1,
                "expected {bindings} reviews of one change, got {} of {}",
                set.policy_reviews,
                set.changes.len()
            );
        }
    }
    Ok(())
}

async fn latency(
    p: &Platform,
    how: Call,
    entity: &Value,
    bindings: usize,
    calls: usize,
) -> anyhow::Result<Latency> {
    for _ in 0..(calls / 20).max(1) {
        call(p, how, entity, bindings).await?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        call(p, how, entity, bindings).await?;
        samples.push(t.elapsed());
    }
    Ok(Latency::from_samples(samples))
}

fn secs(s: f64) -> String {
    fmt_duration(Duration::from_secs_f64(s.max(0.0)))
}

/// A difference of two durations, which noise can make negative.
fn signed(s: f64) -> String {
    if s < 0.0 {
        format!("−{}", secs(-s))
    } else {
        secs(s)
    }
}

/// Rounds of the latency table: short, so that drift in the machine's load
/// hits every row alike.
const LATENCY_ROUNDS: usize = 10;

async fn latency_figures(setup: &Setup, calls: usize) -> anyhow::Result<()> {
    let entity = paved_bench::component_1kb("payments-gateway");
    let rows = LATENCY_ROWS;
    let mut platforms = Vec::new();
    for rule in rows {
        let n = if rule.is_some() { BINDINGS } else { 0 };
        platforms.push((rule, n, setup.platform(rule, n, &Store::Memory).await?));
    }
    let per_round = (calls / LATENCY_ROUNDS).max(1);
    // [row][call] -> one Latency per round; rows interleaved round by round.
    let mut samples: Vec<[Vec<Latency>; 2]> =
        rows.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for _ in 0..LATENCY_ROUNDS {
        for ((_, n, p), out) in platforms.iter().zip(samples.iter_mut()) {
            out[0].push(latency(p, Call::Evaluate, &entity, *n, per_round).await?);
            out[1].push(latency(p, Call::DryRun, &entity, *n, per_round).await?);
        }
    }
    let mid = |xs: &[Latency]| {
        (
            median(xs.iter().map(|l| l.p50.as_secs_f64()).collect()),
            median(xs.iter().map(|l| l.p99.as_secs_f64()).collect()),
        )
    };
    let figures: Vec<[(f64, f64); 2]> = samples.iter().map(|[e, d]| [mid(e), mid(d)]).collect();
    let (base_eval, base_dry) = (figures[0][0].0, figures[0][1].0);
    let per_binding = |f: &[(f64, f64); 2]| {
        (
            (f[0].0 - base_eval) / BINDINGS as f64,
            (f[1].0 - base_dry) / BINDINGS as f64,
        )
    };
    println!(
        "### Review of one change against {BINDINGS} bindings (a ~1 KB Component, {} bytes as JSON), \
         {per_round} calls × {LATENCY_ROUNDS} interleaved rounds per row, medians of the rounds\n",
        serde_json::to_string(&entity)?.len()
    );
    println!(
        "Every binding matches (`kinds: [Component]`, `mode: enforce`) and allows. `evaluate` is \
         `policies().evaluate(entity, None)` (reviews, writes nothing); dry run is \
         `catalog().upsert(entity, None, dry_run)` (plan + access + policies, no commit); \
         SQLite in memory. Policy cost: p50 minus the no-bindings p50 of the same call.\n"
    );
    println!(
        "| behind the {BINDINGS} bindings | evaluate p50 | evaluate p99 | dry run p50 | dry run p99 | policy cost (evaluate / dry run) | per binding (evaluate / dry run) | p50 ratio to no bindings (evaluate / dry run) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((rule, _, _), f) in platforms.iter().zip(&figures) {
        let [(e50, e99), (d50, d99)] = *f;
        let Some(rule) = rule else {
            println!(
                "| no bindings (baseline) | {} | {} | {} | {} | | | 1× |",
                secs(e50),
                secs(e99),
                secs(d50),
                secs(d99)
            );
            continue;
        };
        let (pe, pd) = per_binding(f);
        println!(
            "| {} | {} | {} | {} | {} | {} / {} | {} / {} | {:.2}× / {:.2}× |",
            rule.label(),
            secs(e50),
            secs(e99),
            secs(d50),
            secs(d99),
            signed(e50 - base_eval),
            signed(d50 - base_dry),
            signed(pe),
            signed(pd),
            e50 / base_eval,
            d50 / base_dry,
        );
    }
    let of = |rule: Rule| {
        platforms
            .iter()
            .position(|(r, _, _)| *r == Some(rule))
            .map_or(f64::NAN, |i| per_binding(&figures[i]).0)
    };
    let (rego, wasm, calls, fresh, plain) = (
        of(Rule::Rego),
        of(Rule::Wasm),
        of(Rule::WasmCallPerBinding),
        of(Rule::WasmPerBinding),
        of(Rule::WasmUnprepared),
    );
    println!(
        "\nPer binding (evaluate): Rego {}, wasm prepared {} ({:.2}× Rego; {:.2}× less than a \
         call per binding, {}; {:.2}× less than a fresh instance per binding, {}), wasm not \
         prepared {} ({:.2}× Rego); native {} is within this table's noise: its ratio to the \
         others is in the throughput table (1,000 bindings).\n",
        signed(rego),
        signed(wasm),
        wasm / rego,
        calls / wasm,
        signed(calls),
        fresh / wasm,
        signed(fresh),
        signed(plain),
        plain / rego,
        signed(of(Rule::Native)),
    );
    Ok(())
}

/// Evaluations per second with `callers` concurrent callers over `span`.
async fn throughput(
    p: &Platform,
    entity: &Value,
    bindings: usize,
    callers: usize,
    span: Duration,
) -> anyhow::Result<f64> {
    // Warm-up, not counted.
    call(p, Call::Evaluate, entity, bindings).await?;
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..callers {
        let (p, entity) = (p.clone(), entity.clone());
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            while start.elapsed() < span {
                call(&p, Call::Evaluate, &entity, bindings).await?;
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
}

async fn throughput_figures(setup: &Setup, span: Duration) -> anyhow::Result<()> {
    let entity = paved_bench::component_1kb("payments-gateway");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let callers = cores * 2;
    let mut rows = Vec::new();
    for n in [100usize, 1000] {
        for rule in [Rule::Native, Rule::Rego, Rule::Wasm, Rule::WasmUnprepared] {
            let t = Instant::now();
            let p = setup.platform(Some(rule), n, &Store::Memory).await?;
            rows.push((n, rule, t.elapsed(), p));
        }
    }
    let mut one: Vec<Vec<f64>> = rows.iter().map(|_| Vec::new()).collect();
    let mut many: Vec<Vec<f64>> = rows.iter().map(|_| Vec::new()).collect();
    for _ in 0..ROUNDS {
        for (i, (n, _, _, p)) in rows.iter().enumerate() {
            one[i].push(throughput(p, &entity, *n, 1, span).await?);
            many[i].push(throughput(p, &entity, *n, callers, span).await?);
        }
    }
    println!(
        "### Throughput of `policies().evaluate` (the ~1 KB Component, every binding matches and allows), median of {ROUNDS} × {}\n",
        secs(span.as_secs_f64())
    );
    println!(
        "Changes/s: whole evaluations per second; reviews/s: changes/s × bindings. \
         {callers} callers: {callers} tasks on a runtime of {cores} threads. \
         Open: `paved::open` / `build` of the platform with its bindings (once).\n"
    );
    println!(
        "| bindings | behind them | open | 1 caller: changes/s | reviews/s | time per review (1 caller) | ratio to native | {callers} callers: changes/s | reviews/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut native = 0.0;
    for (i, (n, rule, open, _)) in rows.iter().enumerate() {
        let (a, b) = (median(one[i].clone()), median(many[i].clone()));
        // Everything an evaluation costs, spread over its reviews.
        let per_review = 1.0 / (a * *n as f64);
        if *rule == Rule::Native {
            native = per_review;
        }
        println!(
            "| {n} | {} | {} | {a:.1} | {:.0} | {} | {:.0}× | {b:.1} | {:.0} |",
            rule.label(),
            fmt_duration(*open),
            a * *n as f64,
            secs(per_review),
            per_review / native,
            b * *n as f64
        );
    }
    println!();
    Ok(())
}

/// One import into a fresh SQLite file: (import, import + the upkeep it
/// leaves, reviews made), in seconds.
async fn import_once(
    setup: &Setup,
    rule: Option<Rule>,
    catalog: &Path,
    db: &Path,
) -> anyhow::Result<(f64, f64, usize)> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let n = if rule.is_some() { BINDINGS } else { 0 };
    let p = setup
        .platform(rule, n, &Store::File(db.to_path_buf()))
        .await?;
    let t = Instant::now();
    let set = p
        .catalog()
        .import(&[catalog.to_path_buf()], None, &WriteOptions::default())
        .await?;
    let import = t.elapsed().as_secs_f64();
    // A large commit leaves ANALYZE and a WAL checkpoint running on the
    // writer; the next write waits for them. Wait here (one Group, which
    // no binding reviews) so that they do not overlap the next import.
    p.catalog()
        .upsert(
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "bench-after-import"},
                   "spec": {"type": "team", "children": []}}),
            None,
            &WriteOptions::default(),
        )
        .await?;
    let upkeep = t.elapsed().as_secs_f64();
    drop(p);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    Ok((import, upkeep, set.policy_reviews))
}

async fn import_figures(setup: &Setup, total: usize, rounds: usize) -> anyhow::Result<()> {
    let catalog = setup.dir.join("catalog");
    let files = write_catalog(&catalog, total, 1000)?;
    let shape = Shape::for_total(total);
    let db = setup.dir.join("import.db");
    let rows = ROWS;
    let mut times: Vec<(Vec<f64>, Vec<f64>, usize)> =
        rows.iter().map(|_| (Vec::new(), Vec::new(), 0)).collect();
    for _ in 0..rounds {
        for (rule, out) in rows.iter().zip(times.iter_mut()) {
            let (import, upkeep, reviews) = import_once(setup, *rule, &catalog, &db).await?;
            out.0.push(import);
            out.1.push(upkeep);
            out.2 = reviews;
        }
    }
    println!(
        "### Import of {} entities ({} Components) in {} files into a fresh SQLite file, {BINDINGS} enforcing bindings against none, median of {rounds} (rows interleaved)\n",
        shape.total(),
        shape.components,
        files.len()
    );
    println!(
        "The bindings match `kinds: [Component]`; every Component passes. \"+ upkeep\": until the \
         ANALYZE and WAL checkpoint a large commit leaves on the writer are done (the next \
         write waits for them).\n"
    );
    println!(
        "| bindings | import | ratio to none | import + upkeep | ratio to none | policy reviews | per review (import − none) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (base, base_upkeep) = (median(times[0].0.clone()), median(times[0].1.clone()));
    for (rule, (import, upkeep, reviews)) in rows.iter().zip(&times) {
        let (i, u) = (median(import.clone()), median(upkeep.clone()));
        let label = match rule {
            None => "none".to_string(),
            Some(rule) => format!("{BINDINGS} × {}", rule.label()),
        };
        let per_review = if *reviews > 0 {
            signed((i - base) / *reviews as f64)
        } else {
            String::new()
        };
        println!(
            "| {label} | {} | {:.2}× | {} | {:.2}× | {reviews} | {per_review} |",
            secs(i),
            i / base,
            secs(u),
            u / base_upkeep,
        );
    }
    let runs: Vec<String> = rows
        .iter()
        .zip(&times)
        .map(|(rule, (import, _, _))| {
            let name = match rule {
                None => "none",
                Some(Rule::Native) => "native",
                Some(Rule::Rego) => "Rego",
                Some(Rule::Wasm) => "wasm prepared",
                Some(Rule::WasmUnprepared) => "wasm not prepared",
                Some(Rule::WasmPerBinding) => "wasm prepared, per binding",
                Some(Rule::WasmCallPerBinding) => "wasm prepared, a call per binding",
            };
            let xs: Vec<String> = import.iter().map(|s| format!("{s:.2}")).collect();
            format!("{name} {}", xs.join(", "))
        })
        .collect();
    println!("\nImport runs (s): {}.\n", runs.join("; "));
    Ok(())
}

fn arg(args: &[String], name: &str) -> anyhow::Result<Option<usize>> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().map_err(|e| anyhow::anyhow!("{name} {v}: {e}")))
        .transpose()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let calls = arg(&args, "--calls")?.unwrap_or(3000);
    let span = Duration::from_millis(arg(&args, "--span-ms")?.unwrap_or(2000) as u64);
    let total = arg(&args, "--import")?.unwrap_or(20_000);
    let rounds = arg(&args, "--import-rounds")?.unwrap_or(3);
    let skip = |flag: &str| args.iter().any(|a| a == flag);
    let wasm = build_naming_convention()?;
    let tmp = tempfile::tempdir()?;
    let setup = Setup::new(tmp.path(), wasm)?;
    let tail = if args.is_empty() {
        String::new()
    } else {
        format!(" -- {}", args.join(" "))
    };
    println!("command: `cargo run --release -p paved-bench --bin policies{tail}`\n");
    println!("The rule behind every binding: a Component's name must match `{PATTERN}`.\n");
    if !skip("--skip-latency") {
        latency_figures(&setup, calls).await?;
    }
    if !skip("--skip-throughput") {
        throughput_figures(&setup, span).await?;
    }
    if !skip("--skip-import") {
        import_figures(&setup, total, rounds).await?;
    }
    Ok(())
}
