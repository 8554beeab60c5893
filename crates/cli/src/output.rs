//! How the CLI talks: global options, opening the platform through
//! `paved::open`, tables or JSON, and errors a person can act on (exit 1).

use std::path::Path;
use std::process::ExitCode;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use paved::plugins::PluginConfig;
use paved::{Diagnostic, Error, OpenOptions, Platform, WriteOptions};
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

/// What every command gets: the output format and the global options as
/// given. Nothing is resolved here: `paved::open` resolves store,
/// configuration file and actor (flags, then `PAVED_*`, then `paved.yaml`).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub format: Format,
    /// `--store`, `--config` and `--actor`, as given.
    pub options: OpenOptions,
}

impl Ctx {
    /// Open the platform (with these plugins besides the configured ones).
    pub async fn open(&self, plugins: Vec<PluginConfig>) -> paved::Result<Platform> {
        let mut options = self.options.clone();
        options.plugins.extend(plugins);
        paved::open(options).await
    }

    /// Open the platform with its configured plugins only.
    pub async fn platform(&self) -> paved::Result<Platform> {
        self.open(Vec::new()).await
    }

    /// Whether to print JSON.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Options for writes: the actor is the platform's (`--actor` went to
    /// `open`), so none is named here.
    pub fn write_options(&self, dry_run: bool) -> WriteOptions {
        WriteOptions {
            actor: None,
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

/// Print a value as one line of JSON.
pub fn print_json_line(value: &impl Serialize) {
    match serde_json::to_string(value) {
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
    // Cells may hold plugin text: escaped, so it cannot drive the terminal.
    for row in rows {
        t.add_row(
            row.into_iter()
                .map(|cell| paved::display::sanitize_line(&cell).into_owned()),
        );
    }
    t
}

/// Print diagnostics one per line: `file:line:col: path: message`.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let entity = d
            .entity
            .as_deref()
            .map(|e| format!(" [{e}]"))
            .unwrap_or_default();
        eprintln!("{}", paved::display::sanitize_line(&format!("{d}{entity}")));
    }
}

/// A JSON file or `-` (standard input), parsed.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let (name, text) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| anyhow::anyhow!("cannot read {what} from standard input: {e}"))?;
        ("standard input".to_string(), text)
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        (path.display().to_string(), text)
    };
    serde_json::from_str(&text).map_err(|e| {
        Error::invalid(Diagnostic::error(
            what,
            format!("{name} is not a valid {what}: {e}"),
        ))
        .into()
    })
}

/// Report an error and return exit code 1. A paved error is reported by its
/// code, details and message chain (`Error::code`, `details`, `chain`).
pub fn fail(ctx: &Ctx, err: &anyhow::Error) -> ExitCode {
    let paved_err = err.downcast_ref::<Error>();
    if ctx.json() {
        let (code, details, message) = match paved_err {
            Some(e) => (e.code(), e.details(), e.chain()),
            None => ("ERROR", serde_json::json!({}), format!("{err:#}")),
        };
        print_json(&serde_json::json!({
            "error": { "code": code, "message": message, "details": details }
        }));
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
            Some(Error::Denied { decisions, .. }) if !decisions.is_empty() => {
                for d in decisions.iter().filter(|d| d.blocking) {
                    eprintln!("{}\n", paved::display::sanitize(&d.explain()));
                }
                let ids: Vec<String> = decisions
                    .iter()
                    .filter_map(|d| d.id.map(|i| i.to_string()))
                    .collect();
                eprintln!("error: denied by policy; nothing was written");
                if let Some(id) = ids.first() {
                    eprintln!(
                        "(decisions {} recorded; `paved policy why {id}` explains one)",
                        ids.join(", ")
                    );
                }
            }
            Some(Error::PendingApproval {
                approval,
                approvers,
                expires_at,
                decisions,
                ..
            }) => {
                for d in decisions.iter().filter(|d| d.blocking) {
                    eprintln!("{}\n", paved::display::sanitize(&d.explain()));
                }
                let who = approvers.join(" or ");
                match approval {
                    Some(id) => eprintln!(
                        "held for approval {id}: nothing was written until a member of {who} approves it (by {expires_at}): `paved approval approve {id}`"
                    ),
                    None => eprintln!(
                        "dry run: this change would be held until a member of {who} approves it; nothing was held"
                    ),
                }
            }
            Some(e) => eprintln!("error: {}", paved::display::sanitize(&e.chain())),
            None => {
                eprintln!("error: {}", paved::display::sanitize(&err.to_string()));
                let mut source = err.source();
                while let Some(s) = source {
                    eprintln!("  caused by: {}", paved::display::sanitize(&s.to_string()));
                    source = s.source();
                }
            }
        }
    }
    ExitCode::from(1)
}
