//! `paved resource …`: plan, apply, drift, destroy and import resources
//! through their providers; their state, history, outputs and leases.

use std::process::ExitCode;

use paved::display::sanitize;
use paved::{
    Action, ApplyReport, DriftReport, Recovered, ResourceOptions, ResourcePlan, ResourceState,
    ResultStatus,
};
use serde_json::Value;

use crate::output::{Ctx, print_json, table};

/// `paved resource` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ResourceCommand {
    /// What apply would do: per resource (+ create, ~ update, -/+ replace,
    /// - delete), attribute diffs and the policy decisions. Changes nothing.
    Plan {
        /// Resource refs (and what they depend on) [default: every resource].
        refs: Vec<String>,
        /// Exit 0 when there is nothing to do, 2 when there are changes.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Create, update, replace and delete resources so they are as their
    /// Resource entities ask, in dependency order.
    Apply {
        /// Resource refs (and what they depend on) [default: every resource].
        refs: Vec<String>,
        /// Independent resources applied at once [default: paved.yaml's, 8].
        #[arg(long)]
        parallelism: Option<usize>,
        /// Print the plan and do nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete resources (and what depends on them), dependents first.
    Destroy {
        /// Resource refs [default: every resource with state].
        refs: Vec<String>,
        #[arg(long)]
        parallelism: Option<usize>,
        /// Print the plan and do nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Read resources through their providers and report what changed
    /// outside paved.
    Drift {
        /// Resource refs [default: every resource with state].
        refs: Vec<String>,
        /// Exit 0 when everything is in sync, 2 when something drifted.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Adopt an existing thing as a Resource of the catalogue: observed
    /// only while the Resource has no spec.params, managed once it has.
    Import {
        /// The Resource entity's ref.
        reference: String,
        /// The provider's id of the thing (e.g. a directory or database name).
        external_id: String,
    },
    /// Every resource: declared, applied, observed, destroyed; who holds it.
    List,
    /// A resource's current state (sensitive outputs redacted), lease and
    /// last drift check.
    State { reference: String },
    /// The versions of a resource's state, newest first.
    History {
        reference: String,
        /// At most this many [default: 50].
        #[arg(long)]
        limit: Option<usize>,
    },
    /// A resource's outputs; sensitive ones only with --reveal (audited).
    Outputs {
        reference: String,
        /// Show sensitive outputs (recorded in the audit log).
        #[arg(long)]
        reveal: bool,
    },
    /// Release a resource's lease whoever holds it (a holder that will not
    /// come back); recorded in the audit log.
    Unlock { reference: String },
}

fn options(ctx: &Ctx, dry_run: bool, parallelism: Option<usize>) -> ResourceOptions {
    ResourceOptions {
        actor: ctx.write_options(dry_run).actor,
        dry_run,
        parallelism,
    }
}

/// Run one `paved resource` subcommand.
pub async fn run(cmd: ResourceCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let resources = platform.resources();
    match cmd {
        ResourceCommand::Plan {
            refs,
            detailed_exitcode,
        } => {
            let plan = resources.plan(&refs, &options(ctx, true, None)).await?;
            if ctx.json() {
                print_json(&plan);
            } else {
                print_plan(&plan);
            }
            return Ok(match (detailed_exitcode, plan.changes()) {
                (true, n) if n > 0 => ExitCode::from(2),
                _ => ExitCode::SUCCESS,
            });
        }
        ResourceCommand::Apply {
            refs,
            parallelism,
            dry_run,
        } => {
            let report = resources
                .apply(&refs, &options(ctx, dry_run, parallelism))
                .await?;
            return Ok(report_out(ctx, &report, "applied"));
        }
        ResourceCommand::Destroy {
            refs,
            parallelism,
            dry_run,
        } => {
            let report = resources
                .destroy(&refs, &options(ctx, dry_run, parallelism))
                .await?;
            return Ok(report_out(ctx, &report, "destroyed"));
        }
        ResourceCommand::Drift {
            refs,
            detailed_exitcode,
        } => {
            let report = resources.drift(&refs, &options(ctx, false, None)).await?;
            if ctx.json() {
                print_json(&report);
            } else {
                print_drift(&report);
            }
            return Ok(match (detailed_exitcode, report.drifted()) {
                (true, n) if n > 0 => ExitCode::from(2),
                _ => ExitCode::SUCCESS,
            });
        }
        ResourceCommand::Import {
            reference,
            external_id,
        } => {
            let report = resources
                .import(&reference, &external_id, &options(ctx, false, None))
                .await?;
            if ctx.json() {
                print_json(&report);
            } else {
                println!(
                    "imported {} as {} (version {}, {:?})",
                    external_id, report.state.resource, report.state.version, report.state.status
                );
                println!(
                    "params that describe it (put them in spec.params to manage it):\n{}",
                    sanitize(&serde_json::to_string_pretty(&report.params).unwrap_or_default())
                );
            }
        }
        ResourceCommand::List => {
            let list = resources.list().await?;
            if ctx.json() {
                print_json(&list);
            } else if list.is_empty() {
                println!("no resources");
            } else {
                println!(
                    "{}",
                    table(
                        &[
                            "resource", "type", "owner", "status", "version", "drift", "lease"
                        ],
                        list.iter().map(|r| vec![
                            r.resource.clone(),
                            r.resource_type.clone(),
                            r.owner.clone().unwrap_or_default(),
                            match (r.status, r.managed) {
                                (Some(s), _) => format!("{s:?}").to_lowercase(),
                                (None, true) => "not applied".into(),
                                (None, false) => "observed only, not imported".into(),
                            },
                            r.version.to_string(),
                            r.last_drift
                                .as_ref()
                                .and_then(|d| d.get("status"))
                                .map(text)
                                .unwrap_or_default(),
                            r.lease
                                .as_ref()
                                .map(|l| format!("{} ({})", l.holder, l.operation))
                                .unwrap_or_default(),
                        ])
                    )
                );
            }
        }
        ResourceCommand::State { reference } => {
            let state = resources.state(&reference).await?;
            if ctx.json() {
                print_json(&state);
            } else {
                print_state(&state);
            }
        }
        ResourceCommand::History { reference, limit } => {
            let history = resources.history(&reference, limit).await?;
            if ctx.json() {
                print_json(&history);
            } else {
                println!(
                    "{}",
                    table(
                        &[
                            "version",
                            "at",
                            "operation",
                            "status",
                            "actor",
                            "plan",
                            "provider"
                        ],
                        history.iter().map(|s| vec![
                            s.version.to_string(),
                            s.at.clone(),
                            s.operation.clone(),
                            format!("{:?}", s.status).to_lowercase(),
                            s.actor.clone(),
                            s.plan.clone().unwrap_or_default(),
                            format!("{} {}", s.provider, s.provider_version),
                        ])
                    )
                );
            }
        }
        ResourceCommand::Outputs { reference, reveal } => {
            let outputs = resources
                .outputs(&reference, reveal, &options(ctx, false, None))
                .await?;
            if ctx.json() {
                print_json(&outputs);
            } else {
                for (k, v) in outputs.as_object().into_iter().flatten() {
                    println!("{k} = {}", sanitize(&text(v)));
                }
            }
        }
        ResourceCommand::Unlock { reference } => {
            let released = resources
                .unlock(&reference, &options(ctx, false, None))
                .await?;
            if ctx.json() {
                print_json(&released);
            } else {
                match released {
                    Some(l) => println!(
                        "released the lease of {} held by {} ({})",
                        l.resource, l.holder, l.operation
                    ),
                    None => println!("{reference} was not locked"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A diff's side: its JSON, or `(none)` when the field is absent on that side.
fn shown(v: &Option<Value>) -> String {
    v.as_ref().map_or("(none)".to_string(), Value::to_string)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_recovered(recovered: &[Recovered]) {
    for r in recovered {
        println!(
            "recovered: {} of {} by {} (started {}) was interrupted; {}",
            r.operation, r.resource, r.holder, r.started_at, r.outcome
        );
    }
}

fn count(plan: &ResourcePlan, action: Action) -> usize {
    plan.resources.iter().filter(|r| r.action == action).count()
}

fn print_plan(plan: &ResourcePlan) {
    println!(
        "plan {}: {} to create, {} to update, {} to replace, {} to delete, {} to forget, {} unchanged",
        plan.id,
        count(plan, Action::Create),
        count(plan, Action::Update),
        count(plan, Action::Replace),
        count(plan, Action::Delete),
        count(plan, Action::Forget),
        count(plan, Action::NoOp),
    );
    for r in plan.resources.iter().filter(|r| r.action != Action::NoOp) {
        let replace = if r.replace_because.is_empty() {
            String::new()
        } else {
            format!(
                ", replaced because {} cannot change",
                r.replace_because.join(", ")
            )
        };
        println!(
            "{:>3} {} ({} via {}{replace})",
            r.action.sign(),
            r.resource,
            r.address.resource_type,
            r.provider
        );
        for d in &r.diff {
            println!(
                "      {}: {} -> {}{}",
                d.path,
                sanitize(&shown(&d.before)),
                sanitize(&shown(&d.after)),
                if d.requires_replace {
                    " (forces replacement)"
                } else {
                    ""
                }
            );
        }
        for n in &r.notes {
            println!("      note: {}", sanitize(n));
        }
        if let Some(cost) = r.monthly_cost {
            println!("      cost: {cost:.2} / month");
        }
    }
    if let Some(total) = plan.monthly_cost() {
        println!("estimated monthly cost after the plan: {total:.2}");
    }
    for d in &plan.decisions {
        println!("{}", sanitize(&d.explain()));
    }
    if plan.blocked && !plan.approvers.is_empty() {
        println!(
            "held: a policy asks for approval; apply would hold this plan until a member of {} approves it",
            plan.approvers.join(" or ")
        );
    } else if plan.blocked {
        println!("blocked: an enforcing policy denies this plan; apply would refuse it");
    }
}

fn report_out(ctx: &Ctx, report: &ApplyReport, done: &str) -> ExitCode {
    if ctx.json() {
        print_json(report);
    } else {
        print_recovered(&report.recovered);
        print_plan(&report.plan);
        if report.dry_run {
            println!("dry run: nothing was changed");
        }
        for r in &report.results {
            let line = match r.status {
                ResultStatus::Done => format!(
                    "{} {} ({}, state version {})",
                    done,
                    r.resource,
                    r.action.as_str(),
                    r.version.unwrap_or_default()
                ),
                ResultStatus::Unchanged => continue,
                ResultStatus::Failed | ResultStatus::Skipped => format!(
                    "{} {}: {}",
                    if r.status == ResultStatus::Failed {
                        "FAILED"
                    } else {
                        "skipped"
                    },
                    r.resource,
                    r.error
                        .as_ref()
                        .and_then(|e| e.get("message"))
                        .map(text)
                        .unwrap_or_default()
                ),
            };
            println!("{}", sanitize(&line));
        }
    }
    if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_drift(report: &DriftReport) {
    print_recovered(&report.recovered);
    if report.resources.is_empty() {
        println!("no resources with state");
    }
    for r in &report.resources {
        println!("{} {}", r.resource, r.status);
        for c in &r.changes {
            println!(
                "      {}: recorded {}, found {}",
                c.path,
                sanitize(&shown(&c.before)),
                sanitize(&shown(&c.after))
            );
        }
        if let Some(e) = &r.error {
            println!("      error: {}", sanitize(&e.to_string()));
        }
    }
    println!(
        "{} of {} drifted{}",
        report.drifted(),
        report.resources.len(),
        if report.drifted() > 0 {
            "; `paved resource apply` puts them back as declared"
        } else {
            ""
        }
    );
}

fn print_state(s: &ResourceState) {
    println!("{} (version {}, {})", s.resource, s.version, s.at);
    println!("  status: {:?}, by {} ({})", s.status, s.actor, s.operation);
    println!(
        "  type: {}, provider: {} {}",
        s.address.resource_type, s.provider, s.provider_version
    );
    if let Some(owner) = &s.address.owner {
        println!("  owner: {owner}");
    }
    if !s.depends_on.is_empty() {
        println!("  depends on: {}", s.depends_on.join(", "));
    }
    for (k, v) in s.outputs.as_object().into_iter().flatten() {
        println!("  output {k} = {}", sanitize(&text(v)));
    }
    if let Some(l) = &s.lease {
        println!(
            "  locked by {} ({}) until {}",
            l.holder, l.operation, l.expires_at
        );
    }
    if let Some(d) = &s.last_drift {
        println!(
            "  last drift check: {} at {}",
            d.get("status").map(text).unwrap_or_default(),
            d.get("at").map(text).unwrap_or_default()
        );
    }
}
