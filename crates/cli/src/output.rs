//! How the CLI talks: global options, opening the platform, tables or JSON,
//! and errors a person can act on (with exit code 1).

use std::path::PathBuf;
use std::process::ExitCode;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use paved::model::schema::KindRegistry;
use paved::{Config, Diagnostic, Error, Platform};
use serde::Serialize;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Readable tables and text.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
}

/// What every command gets: global options, resolved.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub format: Format,
    /// `--store`, overriding the config file.
    pub store: Option<String>,
    /// `--config`; `paved.yaml` in the working directory is used when present.
    pub config: Option<PathBuf>,
    /// Who is acting, recorded in the audit log.
    pub actor: String,
}

/// The config file used when `--config` is not given and it exists.
pub const DEFAULT_CONFIG: &str = "paved.yaml";

impl Ctx {
    /// The configuration (empty when there is no file).
    pub fn config(&self) -> paved::Result<Config> {
        match &self.config {
            Some(p) => Config::load(p),
            None if std::path::Path::new(DEFAULT_CONFIG).exists() => {
                Config::load(std::path::Path::new(DEFAULT_CONFIG))
            }
            None => Ok(Config::default()),
        }
    }

    /// Built-in and configured kinds (no store needed).
    pub fn kinds(&self) -> paved::Result<KindRegistry> {
        self.config()?.kinds()
    }

    /// Open the platform on the chosen store.
    pub async fn platform(&self) -> paved::Result<Platform> {
        self.config()?.open(self.store.as_deref()).await
    }

    /// Whether to print JSON.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Options for writes.
    pub fn write_options(&self, dry_run: bool) -> paved::pipeline::WriteOptions {
        paved::pipeline::WriteOptions {
            actor: self.actor.clone(),
            dry_run,
        }
    }
}

/// Print a value as pretty JSON.
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// A table with headers.
pub fn table<I, R>(headers: &[&str], rows: I) -> Table
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    for row in rows {
        t.add_row(row);
    }
    t
}

/// A stable code per error variant, shared with the bindings' codes.
pub fn error_code(e: &Error) -> &'static str {
    match e {
        Error::Invalid { .. } => "VALIDATION",
        Error::NotFound { .. } => "NOT_FOUND",
        Error::Conflict { .. } => "CONFLICT",
        Error::Store { .. } => "STORE",
        Error::Io { .. } => "IO",
        Error::Plugin { .. } => "PLUGIN",
    }
}

/// Print diagnostics one per line: `file:line:col: path: message`.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let entity = d
            .entity
            .as_deref()
            .map(|e| format!(" [{e}]"))
            .unwrap_or_default();
        eprintln!("{}{entity}", d);
    }
}

/// Report an error and return exit code 1.
pub fn fail(ctx: &Ctx, err: &anyhow::Error) -> ExitCode {
    let paved_err = err.downcast_ref::<Error>();
    if ctx.json() {
        let mut obj = serde_json::json!({
            "error": {
                "code": paved_err.map(error_code).unwrap_or("ERROR"),
                "message": format!("{err:#}"),
            }
        });
        if let Some(Error::Invalid { diagnostics }) = paved_err {
            obj["error"]["diagnostics"] = serde_json::to_value(diagnostics).unwrap_or_default();
        }
        if let Some(Error::Conflict {
            expected, found, ..
        }) = paved_err
        {
            obj["error"]["expected"] = expected.clone().into();
            obj["error"]["found"] = found.clone().into();
        }
        print_json(&obj);
    } else {
        match paved_err {
            Some(Error::Invalid { diagnostics }) => {
                print_diagnostics(diagnostics);
                eprintln!(
                    "error: {} problem{} found; nothing was written",
                    diagnostics.len(),
                    if diagnostics.len() == 1 { "" } else { "s" }
                );
            }
            _ => {
                eprintln!("error: {err}");
                let mut source = err.source();
                while let Some(s) = source {
                    eprintln!("  caused by: {s}");
                    source = s.source();
                }
            }
        }
    }
    ExitCode::from(1)
}
