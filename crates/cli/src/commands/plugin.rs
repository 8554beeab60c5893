//! `paved plugin inspect | check | run`: look at a WebAssembly plugin, load it
//! as the engine would, or make one call and time it. The logic lives in
//! `paved_plugins::inspect`; this file parses arguments and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use paved_plugins::inspect::{self, RunRequest};
use paved_plugins::{Grants, Limits, PluginConfig, PluginHost, PluginKind};

use crate::output::{Ctx, print_json};

/// `paved plugin` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Show a component's world, version, exports, imports and the
    /// capabilities it asks for.
    Inspect {
        /// The `.wasm` component.
        file: PathBuf,
    },
    /// Load a component exactly as the engine would and validate settings.
    Check {
        file: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Make one call and print the result and the time taken.
    Run {
        file: PathBuf,
        /// JSON file with one request: `{"review": <change>}` for a guardrail,
        /// `{"plan"|"apply"|"read"|"delete"|"import": <request>}` for a provider.
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
}

/// How to load the plugin.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Settings as inline JSON (an object).
    #[arg(long)]
    settings: Option<String>,
    /// Grant a capability: `dir=HOST:GUEST[:ro|rw]`, `net=HOST:PORT`,
    /// `secret=NAME` (value from PAVED_SECRET_<NAME>), `catalogue`. Repeatable.
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Deadline of one call in milliseconds.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Memory cap in MiB.
    #[arg(long)]
    memory_mib: Option<u64>,
}

impl LoadArgs {
    async fn config(&self, host: &PluginHost, file: &PathBuf) -> anyhow::Result<PluginConfig> {
        let kind: PluginKind = inspect::detect_kind(host, file).await?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into());
        let mut grants = Grants::default();
        for g in &self.grants {
            inspect::parse_grant(g, &mut grants).map_err(anyhow::Error::msg)?;
        }
        let mut config = PluginConfig::new(name, file, kind)
            .grants(grants)
            .limits(Limits {
                timeout_ms: self.timeout_ms,
                memory_mib: self.memory_mib,
                ..Default::default()
            });
        if let Some(s) = &self.settings {
            config = config.settings(
                serde_json::from_str(s).with_context(|| format!("--settings is not JSON: {s}"))?,
            );
        }
        Ok(config)
    }
}

/// The host; plugins granted `catalogue` read the platform's catalogue
/// (the `--store`), opened only when some call may need it.
async fn host(ctx: &Ctx, needs_catalogue: bool) -> anyhow::Result<PluginHost> {
    let mut builder = PluginHost::builder().secrets(std::sync::Arc::new(paved_plugins::EnvSecrets));
    if needs_catalogue {
        let platform = ctx.platform().await?;
        builder = builder.catalogue(std::sync::Arc::new(platform.catalog()));
    }
    Ok(builder.build()?)
}

/// Run one `paved plugin` subcommand.
pub async fn run(cmd: PluginCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let needs_catalogue = match &cmd {
        PluginCommand::Run { load, .. } => load.grants.iter().any(|g| g == "catalogue"),
        _ => false,
    };
    let host = host(ctx, needs_catalogue).await?;
    match cmd {
        PluginCommand::Inspect { file } => {
            let i = inspect::inspect(&host, &file).await?;
            if ctx.json() {
                print_json(&i);
            } else {
                let world = i
                    .world
                    .map(|k| k.to_string())
                    .unwrap_or_else(|| "none (not a paved plugin)".into());
                println!("{}  ({} bytes)", i.path.display(), i.size_bytes);
                println!("world:    {world}");
                println!(
                    "version:  paved:plugin@{}",
                    i.version.as_deref().unwrap_or("?")
                );
                if let Some(d) = &i.describe {
                    println!(
                        "plugin:   {} {} - {}",
                        d["name"].as_str().unwrap_or("?"),
                        d["version"].as_str().unwrap_or("?"),
                        d["description"].as_str().unwrap_or("")
                    );
                }
                println!("exports:");
                for e in &i.exports {
                    println!("  {e}");
                }
                println!("imports:");
                for e in &i.imports {
                    println!("  {e}");
                }
                println!(
                    "capabilities it asks for: {}",
                    serde_json::to_string(&i.declared_capabilities)?
                );
                for c in &i.implied_capabilities {
                    println!("  may try: {c}");
                }
            }
        }
        PluginCommand::Check { file, load } => {
            let config = load.config(&host, &file).await?;
            let info = inspect::check(&host, config).await?;
            if ctx.json() {
                print_json(&info);
            } else {
                println!(
                    "ok: {} {} loads and its settings are valid",
                    info["name"].as_str().unwrap_or("?"),
                    info["version"].as_str().unwrap_or("?")
                );
            }
        }
        PluginCommand::Run { file, input, load } => {
            let config = load.config(&host, &file).await?;
            let text =
                std::fs::read_to_string(&input).with_context(|| format!("{}", input.display()))?;
            let request: RunRequest = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
            let outcome = inspect::run(&host, config, request).await?;
            if ctx.json() {
                print_json(&outcome);
            } else {
                println!("{}", serde_json::to_string_pretty(&outcome.result)?);
                println!(
                    "load {:.3} ms, call {:.3} ms",
                    outcome.load_time.as_secs_f64() * 1e3,
                    outcome.call_time.as_secs_f64() * 1e3
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
