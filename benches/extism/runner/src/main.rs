//! The naming-convention guardrail review as an Extism plugin: the baseline
//! that paved's plugin benchmark (`benches/src/bin/plugins.rs`) compares its
//! wasm host with. See `benches/extism/README.md`.
//!
//! ```text
//! paved-extism-bench --wasm PATH --input FILE --calls N
//! ```
//!
//! Calls the plugin's `review` export with the JSON of FILE, N times after
//! N/20 warm-up calls, in two modes:
//!
//! - `reused`: one `Plugin`, created once, called N times (Extism's usual
//!   use; the instance and whatever the guest keeps survive between calls);
//! - `fresh`: one `CompiledPlugin`, and per call a new `Plugin` from it
//!   (`Plugin::new_from_compiled`: new store, linker and instance), one call,
//!   and the plugin dropped: the isolation paved gives every review.
//!
//! Each timed call encodes the input to JSON, calls, and decodes the output
//! to a `serde_json::Value` (as paved's host encodes the change and decodes
//! the review); every output must have the verdict "allow". Prints one JSON
//! line on stdout; everything else goes to stderr.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use extism::{CompiledPlugin, Plugin, PluginBuilder};
use serde_json::{Value, json};

/// The guest function that reviews a change.
const EXPORT: &str = "review";

struct Args {
    wasm: PathBuf,
    input: PathBuf,
    calls: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut wasm = None;
    let mut input = None;
    let mut calls = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--wasm" => wasm = Some(PathBuf::from(value()?)),
            "--input" => input = Some(PathBuf::from(value()?)),
            "--calls" => calls = Some(value()?.parse().context("--calls")?),
            other => bail!(
                "unknown argument {other:?}; usage: paved-extism-bench --wasm PATH --input FILE --calls N"
            ),
        }
    }
    let calls: usize = calls.context("--calls N is required")?;
    ensure!(calls > 0, "--calls must be at least 1");
    Ok(Args {
        wasm: wasm.context("--wasm PATH is required")?,
        input: input.context("--input FILE is required")?,
        calls,
    })
}

/// One review on `plugin`: encode the input, call, decode and check the output.
fn review(plugin: &mut Plugin, input: &Value) -> anyhow::Result<Value> {
    let bytes = serde_json::to_vec(input)?;
    let out = plugin.call::<&[u8], &[u8]>(EXPORT, &bytes)?;
    Ok(serde_json::from_slice(out)?)
}

fn check(output: &Value) -> anyhow::Result<()> {
    ensure!(
        output["verdict"] == "allow",
        "expected verdict \"allow\", got {output}"
    );
    Ok(())
}

/// p50 and p99 in microseconds (nearest rank, as `paved_bench::Latency`).
fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let at = |q: f64| {
        let d = samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        (d.as_secs_f64() * 1e7).round() / 10.0
    };
    json!({"p50_us": at(0.50), "p99_us": at(0.99)})
}

/// Warm up with `calls / 20` calls of `f`, then time `calls` calls.
fn measure(
    calls: usize,
    mut f: impl FnMut() -> anyhow::Result<Value>,
) -> anyhow::Result<Vec<Duration>> {
    for _ in 0..calls / 20 {
        check(&f()?)?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let out = f()?;
        samples.push(t.elapsed());
        check(&out)?;
    }
    Ok(samples)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let wasm =
        std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    let input: Value = serde_json::from_slice(
        &std::fs::read(&args.input).with_context(|| format!("reading {}", args.input.display()))?,
    )
    .with_context(|| format!("{} is not JSON", args.input.display()))?;

    // Compiled once; no WASI, no host functions, no on-disk compilation cache.
    let t = Instant::now();
    let compiled = CompiledPlugin::new(
        PluginBuilder::new(wasm.as_slice())
            .with_wasi(false)
            .with_cache_disabled(),
    )?;
    eprintln!(
        "compiled {} ({} KiB) in {:.1} ms",
        args.wasm.display(),
        wasm.len() / 1024,
        t.elapsed().as_secs_f64() * 1e3
    );

    // (a) One plugin, reused for every call.
    let mut plugin = Plugin::new_from_compiled(&compiled)?;
    let reused = measure(args.calls, || review(&mut plugin, &input))?;
    drop(plugin);

    // (b) A fresh plugin (store, linker, instance) per call, dropped after it.
    let fresh = measure(args.calls, || {
        let mut plugin = Plugin::new_from_compiled(&compiled)?;
        review(&mut plugin, &input)
    })?;

    println!(
        "{}",
        json!({
            "extism_version": "1.41.0",
            "reused": percentiles(reused),
            "fresh": percentiles(fresh),
            "calls": args.calls,
        })
    );
    Ok(())
}
