//! `paved`: the command-line front of the paved engine.
//!
//! Every command opens the same engine the Python and Node packages use (see
//! the `paved` crate); this binary only parses arguments and prints results.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paved::OpenOptions;

use crate::output::{Ctx, Format};

/// paved's allocator for its binaries ([`paved::Allocator`]).
#[global_allocator]
static ALLOCATOR: paved::Allocator = paved::Allocator;

/// paved: an embeddable internal developer platform.
///
/// Store, configuration file and actor are resolved by `paved::open`, the
/// same way in every front: the flag, then $PAVED_STORE / $PAVED_CONFIG /
/// $PAVED_ACTOR, then ./paved.yaml, then the defaults.
#[derive(Debug, Parser)]
#[command(name = "paved", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Store: sqlite:PATH, sqlite::memory: or postgres://user@host:port/db
    /// [default: $PAVED_STORE, the config file's store, sqlite:.paved/paved.db]
    #[arg(long, global = true)]
    store: Option<String>,

    /// Configuration file [default: $PAVED_CONFIG, ./paved.yaml when it exists]
    #[arg(long, global = true)]
    config: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    output: Format,

    /// Who is acting, recorded in the audit log: `system` or an entity ref
    /// such as user:default/jane [default: $PAVED_ACTOR, the config file's
    /// actor, system]
    #[arg(long, global = true)]
    actor: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate, import and query the software catalogue.
    #[command(subcommand)]
    Catalog(commands::catalog::CatalogCommand),
    /// Read and verify the hash-chained audit log.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Watch events as they happen (from this and other processes).
    #[command(subcommand)]
    Events(commands::events::EventsCommand),
    /// Export JSON Schemas for editors.
    #[command(subcommand)]
    Schema(commands::schema::SchemaCommand),
    /// Inspect and check plugin components; list, describe and call the
    /// platform's guardrails and providers (provider writes are audited).
    #[command(subcommand)]
    Plugin(commands::plugin::PluginCommand),
    /// The policy bindings: try a change on them, list and explain decisions.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Scorecards: an entity's or a team's scores on the platform's levels,
    /// and the scores recorded over time.
    #[command(subcommand)]
    Scorecard(commands::scorecard::ScorecardCommand),
    /// Changes held by policies that ask for approval: list them, see why,
    /// approve or reject them.
    #[command(subcommand)]
    Approval(commands::approval::ApprovalCommand),
    /// Resources through their providers: plan, apply, drift, destroy,
    /// import; state, history, outputs, leases.
    #[command(subcommand)]
    Resource(commands::resource::ResourceCommand),
    /// Golden paths (Templates): list, show, preview (dry-run), run, resume
    /// and test them; list and read their runs.
    #[command(subcommand)]
    Path(commands::path::PathCommand),
    /// Golden-path figures: usage per template and team, success rate,
    /// durations, onboarding, golden-path share, provisioning times.
    Metrics(commands::metrics::MetricsArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAVED_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let ctx = Ctx {
        format: cli.output,
        options: OpenOptions {
            store: cli.store,
            config: cli.config,
            actor: cli.actor,
            ..OpenOptions::default()
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(paved::defaults::BLOCKING_THREADS)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Catalog(c) => commands::catalog::run(c, &ctx).await,
            Command::Audit(c) => commands::audit::run(c, &ctx).await,
            Command::Events(c) => commands::events::run(c, &ctx).await,
            Command::Schema(c) => commands::schema::run(c, &ctx).await,
            Command::Plugin(c) => commands::plugin::run(c, &ctx).await,
            Command::Policy(c) => commands::policy::run(c, &ctx).await,
            Command::Scorecard(c) => commands::scorecard::run(c, &ctx).await,
            Command::Approval(c) => commands::approval::run(c, &ctx).await,
            Command::Resource(c) => commands::resource::run(c, &ctx).await,
            Command::Path(c) => commands::path::run(c, &ctx).await,
            Command::Metrics(c) => commands::metrics::run(c, &ctx).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => output::fail(&ctx, &err),
    }
}
