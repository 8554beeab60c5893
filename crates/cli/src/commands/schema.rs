//! `paved schema export DIR`: JSON Schemas for every kind and for paved's own
//! files, for yaml-language-server and other editors.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::{Ctx, print_json};

/// `paved schema` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SchemaCommand {
    /// Write the schemas into DIR (created if missing).
    Export { dir: PathBuf },
}

/// Run one `paved schema` subcommand.
pub async fn run(cmd: SchemaCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let SchemaCommand::Export { dir } = cmd;
    // The kinds of the configuration file `paved::open` would read.
    let kinds = ctx.options.load_config()?.kinds()?;
    let written = paved::schema::export(
        &dir,
        &kinds,
        &[("paved-config", paved::Config::json_schema())],
    )?;
    if ctx.json() {
        print_json(&written);
    } else {
        for p in &written {
            println!("wrote {}", p.display());
        }
        println!(
            "Point yaml-language-server at {}/entity.schema.json, e.g. with\n  # yaml-language-server: $schema={}/entity.schema.json",
            dir.display(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
