//! `paved approval …`: changes held by policies that ask for approval, and
//! deciding them.

use std::process::ExitCode;

use paved::{Approval, ApprovalFilter, ApprovalStatus};

use crate::output::{Ctx, print_json, table};

/// `paved approval` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ApprovalCommand {
    /// Held changes, newest first.
    List {
        /// Only requests in this state: pending, applied, rejected, expired
        /// or stale [default: every state].
        #[arg(long, value_parser = parse_status)]
        status: Option<ApprovalStatus>,
        /// At most this many [default: 50].
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One request: what it changes, which policies hold it and why, who
    /// may approve it, and who did.
    Show {
        /// The request's id (reported when the change was held).
        id: String,
    },
    /// Approve a request as --actor (a member of an approving group, not the
    /// requester). Once every policy that held it is approved, exactly the
    /// reviewed change is written.
    Approve {
        id: String,
        /// Why, for the audit log.
        #[arg(long)]
        comment: Option<String>,
        /// Check that --actor may approve it; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reject a request as --actor (an approver, or the requester
    /// withdrawing it). Nothing of the change is written.
    Reject {
        id: String,
        /// Why, for the requester and the audit log.
        #[arg(long)]
        reason: Option<String>,
        /// Check that --actor may reject it; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_status(s: &str) -> Result<ApprovalStatus, String> {
    s.parse().map_err(|e: paved::Error| e.to_string())
}

/// Run one `paved approval` subcommand.
pub async fn run(cmd: ApprovalCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let approvals = platform.approvals();
    let shown = match cmd {
        ApprovalCommand::List { status, limit } => {
            let list = approvals.list(&ApprovalFilter { status, limit }).await?;
            if ctx.json() {
                print_json(&list);
            } else if list.is_empty() {
                println!("no requests");
            } else {
                println!(
                    "{}",
                    table(
                        &[
                            "id",
                            "status",
                            "requested by",
                            "changes",
                            "waiting for",
                            "expires"
                        ],
                        list.iter().map(|a| vec![
                            a.id.clone(),
                            a.status.to_string(),
                            a.requested_by.clone(),
                            changes_text(a),
                            waiting_text(a),
                            a.expires_at.clone(),
                        ])
                    )
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        ApprovalCommand::Show { id } => approvals.get(&id).await?,
        ApprovalCommand::Approve {
            id,
            comment,
            dry_run,
        } => {
            let a = approvals
                .approve(&id, comment.as_deref(), &ctx.write_options(dry_run))
                .await?;
            if dry_run && !ctx.json() {
                println!(
                    "dry run: {} may approve {id}; nothing was written",
                    platform.actor()
                );
            }
            a
        }
        ApprovalCommand::Reject {
            id,
            reason,
            dry_run,
        } => {
            let a = approvals
                .reject(&id, reason.as_deref(), &ctx.write_options(dry_run))
                .await?;
            if dry_run && !ctx.json() {
                println!(
                    "dry run: {} may reject {id}; nothing was written",
                    platform.actor()
                );
            }
            a
        }
    };
    if ctx.json() {
        print_json(&shown);
    } else {
        print_approval(&shown);
    }
    Ok(ExitCode::SUCCESS)
}

fn changes_text(a: &Approval) -> String {
    a.changes
        .iter()
        .map(|c| match c.action {
            // A held resource plan: what it does to the resource.
            Some(action) => format!("{} {}", action.as_str(), c.entity_ref),
            None => format!("{} {}", c.outcome.as_str(), c.entity_ref),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn waiting_text(a: &Approval) -> String {
    if !a.is_open() {
        return String::new();
    }
    a.waiting()
        .map(|r| r.approvers.join(" or "))
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_approval(a: &Approval) {
    println!("approval {}: {}", a.id, a.status);
    println!("  requested by {} at {}", a.requested_by, a.requested_at);
    if a.is_open() {
        println!("  expires at {}", a.expires_at);
    }
    println!("  changes: {}", changes_text(a));
    for r in &a.required {
        match (&r.approved_by, &r.approved_at) {
            (Some(by), Some(at)) => {
                println!("  policy {}: approved by {by} at {at}", r.policy)
            }
            _ => println!(
                "  policy {}: waiting for a member of {}",
                r.policy,
                r.approvers.join(" or ")
            ),
        }
    }
    for d in a.decisions.iter().filter(|d| d.blocking) {
        println!();
        println!("{}", paved::display::sanitize(&d.explain()));
    }
    if let (Some(by), Some(at)) = (&a.decided_by, &a.decided_at) {
        println!("  {} by {by} at {at}", a.status);
    }
    if let Some(c) = &a.comment {
        println!("  comment: {}", paved::display::sanitize_line(c));
    }
}
