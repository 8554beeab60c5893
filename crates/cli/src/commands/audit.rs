//! `paved audit …`: list and verify the hash-chained audit log.

use std::process::ExitCode;

use crate::output::{Ctx, print_json, table};

/// `paved audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// List audit records, oldest first (`--entity`: one entity's, newest first).
    List {
        /// Only records after this sequence number [default: from the first].
        #[arg(long)]
        after: Option<u64>,
        /// At most this many [default: paved's audit limit, 100].
        #[arg(long)]
        limit: Option<usize>,
        /// Only records about this entity (newest first).
        #[arg(long)]
        entity: Option<String>,
    },
    /// Check the whole hash chain; exit code 1 if it is broken.
    Verify,
}

/// Run one `paved audit` subcommand.
pub async fn run(cmd: AuditCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    match cmd {
        AuditCommand::List {
            after,
            limit,
            entity,
        } => {
            let records = match entity {
                Some(e) => platform.audit().for_entity(&e, limit).await?,
                None => platform.audit().list(after, limit).await?,
            };
            if ctx.json() {
                print_json(&records);
            } else {
                println!(
                    "{}",
                    table(
                        &["seq", "at", "actor", "action", "subject", "hash"],
                        records.iter().map(|r| vec![
                            r.seq.to_string(),
                            r.at.clone(),
                            r.actor.clone(),
                            r.action.clone(),
                            r.subject.clone(),
                            r.hash[..12].to_string(),
                        ])
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify => {
            let report = platform.audit().verify().await?;
            if ctx.json() {
                print_json(&report);
            } else if let Some(b) = &report.broken {
                eprintln!(
                    "error: the audit chain is broken at record {}: {} ({} records before it verified)",
                    b.seq, b.reason, report.checked
                );
            } else {
                println!(
                    "ok: {} audit records verified; head {}",
                    report.checked,
                    report.head.as_deref().unwrap_or("(empty)")
                );
            }
            Ok(if report.broken.is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
