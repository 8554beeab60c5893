//! `paved plugin …` (OWNER: plugin helper).

use std::process::ExitCode;

use crate::output::Ctx;

/// `paved plugin` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {}

/// Run one `paved plugin` subcommand.
pub async fn run(cmd: PluginCommand, _ctx: &Ctx) -> anyhow::Result<ExitCode> {
    match cmd {}
}
