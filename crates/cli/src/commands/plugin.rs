//! `paved plugin …`: look inside a component and check that it loads (no
//! store), and list, describe and call the platform's plugins: guardrails
//! review, providers plan, read, apply, delete and import. Provider calls
//! with side effects go through `platform.plugins()`, so they are checked
//! and audited like every other write.
//!
//! The platform's plugins are those of `paved.yaml` (`plugins:`); each
//! command that uses them also takes `--plugin-file FILE` to load one more
//! component for that command only, named after its file
//! (`paved::plugins::default_name`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use paved::plugins::{
    ApplyRequest, Change, Grants, ImportRequest, Limits, PlanRequest, PluginConfig,
    ResourceRequest, default_name, parse_grant,
};
use paved::{Diagnostic, Error, Platform, PluginInfo};
use serde_json::Value;

use crate::output::{Ctx, print_json, read_json, table};

/// `paved plugin` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Show a component's world, version, exports, imports and the
    /// capabilities it asks for. Needs no store.
    Inspect {
        /// The `.wasm` component.
        file: PathBuf,
    },
    /// Load a component exactly as the platform would (settings validated,
    /// grants and limits applied) and show what it says of itself. Needs no store.
    Check {
        /// The `.wasm` component.
        file: PathBuf,
        /// Settings as inline JSON (an object).
        #[arg(long)]
        settings: Option<String>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// The platform's plugins: name and kind.
    List {
        #[command(flatten)]
        extra: ExtraPlugin,
    },
    /// What a plugin says of itself: version, settings schema, capabilities,
    /// a provider's resource types.
    Describe {
        #[command(flatten)]
        target: Target,
    },
    /// Review one change with a guardrail.
    Review {
        #[command(flatten)]
        target: Target,
        /// JSON file with the change (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        change: PathBuf,
        /// This review's settings as inline JSON (validated first)
        /// [default: the configured settings].
        #[arg(long)]
        settings: Option<String>,
    },
    /// What applying would do (changes nothing).
    Plan {
        #[command(flatten)]
        target: Target,
        /// JSON file with the plan request (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// The resource as it is now (`null`: gone).
    Read {
        #[command(flatten)]
        target: Target,
        /// JSON file with the resource request (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// Bring a resource to the requested params (audited as resource.apply).
    Apply {
        #[command(flatten)]
        target: Target,
        /// JSON file with the apply request (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// Remove a resource (audited as resource.delete).
    Delete {
        #[command(flatten)]
        target: Target,
        /// JSON file with the resource request (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// Adopt a resource that exists outside paved (audited as resource.import).
    Import {
        #[command(flatten)]
        target: Target,
        /// JSON file with the import request (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
}

/// Grants and limits of a component loaded from a file.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Grant a capability: `dir=HOST:GUEST[:ro|rw]`, `net=HOST:PORT`,
    /// `secret=NAME`, `catalogue`. Repeatable.
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Deadline of one call in milliseconds.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Memory cap in MiB.
    #[arg(long)]
    memory_mib: Option<u64>,
}

/// One more component to load for this command, besides `paved.yaml`'s.
#[derive(Debug, clap::Args)]
pub struct ExtraPlugin {
    /// Load this component too (named after its file, e.g. local_directory).
    #[arg(long, value_name = "FILE")]
    plugin_file: Option<PathBuf>,
    /// Settings of the `--plugin-file` component as inline JSON (an object).
    #[arg(long, requires = "plugin_file")]
    plugin_settings: Option<String>,
    #[command(flatten)]
    load: LoadArgs,
}

/// Which plugin a command calls.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// The plugin's name [default with --plugin-file: the file's name].
    #[arg(required_unless_present = "plugin_file")]
    name: Option<String>,
    #[command(flatten)]
    extra: ExtraPlugin,
}

/// Inline JSON given to `flag`.
fn json_arg(flag: &str, text: &str) -> paved::Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::invalid(Diagnostic::error(
            flag,
            format!("{flag} is not valid JSON: {e}"),
        ))
    })
}

impl LoadArgs {
    /// The configuration of the component at `file`; its kind is read from
    /// the component itself.
    async fn config(&self, file: &Path, settings: Option<&str>) -> anyhow::Result<PluginConfig> {
        let kind = paved::plugin_kind(file, None).await?;
        let mut grants = Grants::default();
        for g in &self.grants {
            parse_grant(g, &mut grants)
                .map_err(|message| Error::invalid(Diagnostic::error("--grant", message)))?;
        }
        let mut config = PluginConfig::new(default_name(file)?, file, kind)
            .grants(grants)
            .limits(Limits {
                timeout_ms: self.timeout_ms,
                memory_mib: self.memory_mib,
                ..Default::default()
            });
        if let Some(s) = settings {
            config = config.settings(json_arg("--settings", s)?);
        }
        Ok(config)
    }
}

impl ExtraPlugin {
    /// The platform, with the `--plugin-file` component loaded too.
    async fn open(&self, ctx: &Ctx) -> anyhow::Result<(Platform, Option<String>)> {
        let Some(file) = &self.plugin_file else {
            return Ok((ctx.platform().await?, None));
        };
        let config = self
            .load
            .config(file, self.plugin_settings.as_deref())
            .await?;
        let name = config.name.clone();
        Ok((ctx.open(vec![config]).await?, Some(name)))
    }
}

impl Target {
    /// The platform and the name of the plugin to call.
    async fn open(&self, ctx: &Ctx) -> anyhow::Result<(Platform, String)> {
        let (platform, loaded) = self.extra.open(ctx).await?;
        let name = self.name.clone().or(loaded).ok_or_else(|| {
            Error::invalid(Diagnostic::error(
                "name",
                "name a plugin or give --plugin-file",
            ))
        })?;
        Ok((platform, name))
    }
}

/// Run one `paved plugin` subcommand.
pub async fn run(cmd: PluginCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    match cmd {
        PluginCommand::Inspect { file } => {
            let i = paved::inspect_plugin(&file, None).await?;
            if ctx.json() {
                print_json(&i);
            } else {
                // The plugin's own text escaped for a terminal, one line a field.
                print!("{}", i.to_text());
            }
        }
        PluginCommand::Check {
            file,
            settings,
            load,
        } => {
            let config = load.config(&file, settings.as_deref()).await?;
            let info = paved::check_plugin(config, None).await?;
            if ctx.json() {
                print_json(&info);
            } else {
                let actions;
                let (name, version) = match &info {
                    PluginInfo::Guardrail(g) => (&g.name, &g.version),
                    PluginInfo::Provider(p) => (&p.name, &p.version),
                    PluginInfo::Action { name, actions: a } => {
                        actions = format!(
                            "(actions: {})",
                            a.iter()
                                .map(|x| x.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        (name, &actions)
                    }
                };
                // Text the plugin chose, escaped for a terminal.
                println!(
                    "ok: {} {} loads and its settings are valid",
                    name.escape_debug(),
                    version.escape_debug()
                );
            }
        }
        PluginCommand::List { extra } => {
            let (platform, _) = extra.open(ctx).await?;
            let plugins = platform.plugins().list();
            if ctx.json() {
                print_json(&plugins);
            } else if plugins.is_empty() {
                println!("no plugins (configure them under `plugins:` in paved.yaml)");
            } else {
                println!(
                    "{}",
                    table(
                        &["name", "kind"],
                        plugins.iter().map(|p| vec![p.name.clone(), p.kind.clone()])
                    )
                );
            }
        }
        PluginCommand::Describe { target } => {
            let (platform, name) = target.open(ctx).await?;
            // JSON either way: it escapes whatever text the plugin chose.
            print_json(&platform.plugins().describe(&name).await?);
        }
        PluginCommand::Review {
            target,
            change,
            settings,
        } => {
            let change: Change = read_json(&change, "change")?;
            let settings = settings
                .as_deref()
                .map(|s| json_arg("--settings", s))
                .transpose()?;
            let (platform, name) = target.open(ctx).await?;
            let review = platform
                .plugins()
                .review(&name, &change, settings.as_ref())
                .await?;
            print_json(&review);
        }
        PluginCommand::Plan { target, request } => {
            let request: PlanRequest = read_json(&request, "plan request")?;
            let (platform, name) = target.open(ctx).await?;
            print_json(&platform.plugins().plan(&name, &request).await?);
        }
        PluginCommand::Read { target, request } => {
            let request: ResourceRequest = read_json(&request, "resource request")?;
            let (platform, name) = target.open(ctx).await?;
            print_json(&platform.plugins().read(&name, &request).await?);
        }
        PluginCommand::Apply { target, request } => {
            let request: ApplyRequest = read_json(&request, "apply request")?;
            let (platform, name) = target.open(ctx).await?;
            let applied = platform
                .plugins()
                .apply(&name, &request, &ctx.write_options(false))
                .await?;
            print_json(&applied);
        }
        PluginCommand::Delete { target, request } => {
            let request: ResourceRequest = read_json(&request, "resource request")?;
            let (platform, name) = target.open(ctx).await?;
            platform
                .plugins()
                .delete(&name, &request, &ctx.write_options(false))
                .await?;
            if ctx.json() {
                print_json(&serde_json::json!({ "deleted": true }));
            } else {
                println!("deleted");
            }
        }
        PluginCommand::Import { target, request } => {
            let request: ImportRequest = read_json(&request, "import request")?;
            let (platform, name) = target.open(ctx).await?;
            let imported = platform
                .plugins()
                .import(&name, &request, &ctx.write_options(false))
                .await?;
            print_json(&imported);
        }
    }
    Ok(ExitCode::SUCCESS)
}
