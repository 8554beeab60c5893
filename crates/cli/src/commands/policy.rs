//! `paved policy …`: the policy bindings, trying a change on them, and the
//! decisions they made (with explanations).

use std::path::PathBuf;
use std::process::ExitCode;

use paved::plugins::Verdict;
use paved::{AccessEffect, Decision, DecisionFilter, Diagnostic, Error, PolicyTestReport};

use crate::output::{Ctx, print_json, table};

/// `paved policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// The policy bindings, in review order.
    List,
    /// Review an entity file (one entity, YAML or JSON) with every matching
    /// policy, as writing it would; writes nothing. Exit code 1 if a policy
    /// would block it.
    Eval {
        /// The entity file.
        file: PathBuf,
    },
    /// Run policy fixture tests: every `*.test.yaml` under PATH (or one
    /// file) holds cases (a change and the verdict the policies must give
    /// it). Writes nothing. Exit code 1 if a case fails.
    Test {
        /// A directory of `*.test.yaml` files, or one such file.
        path: PathBuf,
    },
    /// Explain one recorded decision: which policy, which fields, what would pass.
    Why {
        /// The decision's id (shown by `paved policy decisions` and in denials).
        id: String,
    },
    /// Recorded decisions, newest first.
    Decisions {
        /// Only about this entity ref (or resource `type/name`).
        #[arg(long)]
        subject: Option<String>,
        /// Only of this policy.
        #[arg(long)]
        policy: Option<String>,
        /// Only on changes by this actor.
        #[arg(long)]
        by: Option<String>,
        /// Only about what this team (a group) owns.
        #[arg(long)]
        team: Option<String>,
        /// Only denials that blocked a change.
        #[arg(long)]
        blocking: bool,
        /// At most this many [default: paved's audit limit, 100].
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// Run one `paved policy` subcommand.
pub async fn run(cmd: PolicyCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let policies = platform.policies();
    match cmd {
        PolicyCommand::List => {
            let bindings = policies.list().await?;
            if ctx.json() {
                print_json(&bindings);
            } else {
                println!(
                    "{}",
                    table(
                        &[
                            "policy",
                            "guardrail",
                            "mode",
                            "failure",
                            "operations",
                            "kinds"
                        ],
                        bindings.iter().map(|b| vec![
                            b.name.clone(),
                            if b.rego.is_some() {
                                "rego".to_string()
                            } else {
                                b.guardrail_name().to_string()
                            },
                            json_word(&b.mode),
                            json_word(&b.failure),
                            list_or_all(b.matches.operations.iter().map(|p| p.to_string())),
                            list_or_all(b.matches.kinds.iter().cloned()),
                        ])
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Eval { file } => {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
                path: file.display().to_string(),
                source,
            })?;
            let name = file.display().to_string();
            let validated = platform
                .catalog()
                .validate_text(&text, Some(&name))
                .into_validated()?;
            let [one] = validated.entities() else {
                return Err(Error::invalid(Diagnostic::error(
                    "",
                    format!(
                        "{name}: expected exactly one entity, found {}",
                        validated.entities().len()
                    ),
                ))
                .into());
            };
            let decisions = policies
                .evaluate(one.entity.to_value(), ctx.options.actor.as_deref())
                .await?;
            if ctx.json() {
                print_json(&decisions);
            } else if decisions.is_empty() {
                println!("no policy reviews {}", one.entity.entity_ref());
            } else {
                for d in &decisions {
                    println!("{}\n", paved::display::sanitize(&d.explain()));
                }
            }
            Ok(if decisions.iter().any(|d| d.blocking) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        PolicyCommand::Test { path } => {
            let report = policies.test(&path).await?;
            if ctx.json() {
                print_json(&report);
            } else {
                println!("{}", test_table(&report));
                for case in report.cases.iter().filter(|c| !c.passed) {
                    println!(
                        "\nFAIL {}:{}: {}",
                        case.file,
                        case.line,
                        paved::display::sanitize(&case.name)
                    );
                    for problem in &case.problems {
                        println!("  {}", paved::display::sanitize(problem));
                    }
                }
                println!("\n{} passed, {} failed", report.passed, report.failed);
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        PolicyCommand::Why { id } => {
            let explained = policies.why(paved::parse_decision_id(&id)?).await?;
            if ctx.json() {
                print_json(&explained);
            } else {
                println!("{}", paved::display::sanitize(&explained.explanation));
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Decisions {
            subject,
            policy,
            by,
            team,
            blocking,
            limit,
        } => {
            let decisions = policies
                .decisions(&DecisionFilter {
                    subject,
                    policy,
                    actor: by,
                    team,
                    blocking,
                    limit,
                })
                .await?;
            if ctx.json() {
                print_json(&decisions);
            } else {
                println!("{}", decisions_table(&decisions));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn test_table(report: &PolicyTestReport) -> impl std::fmt::Display {
    // "deny", "access allow", or both: what the case tests, in that order
    // (a verdict tested but not given is "(none)": no policy reviewed it).
    let answers = |verdict: Option<Verdict>, access: Option<AccessEffect>, tested: bool| {
        let mut parts = Vec::new();
        if tested {
            parts.push(verdict.map_or_else(|| "(none)".to_string(), |v| json_word(&v)));
        }
        if let Some(a) = access {
            parts.push(format!("access {}", json_word(&a)));
        }
        parts.join(", ")
    };
    table(
        &["result", "case", "expected", "got", "file"],
        report.cases.iter().map(|c| {
            vec![
                if c.passed { "ok" } else { "FAIL" }.to_string(),
                c.name.clone(),
                answers(c.expected, c.expected_access, c.expected.is_some()),
                answers(c.got, c.got_access, c.expected.is_some()),
                format!("{}:{}", c.file, c.line),
            ]
        }),
    )
}

fn decisions_table(decisions: &[Decision]) -> impl std::fmt::Display {
    table(
        &[
            "id",
            "policy",
            "verdict",
            "mode",
            "point",
            "subject",
            "actor",
            "violations",
        ],
        decisions.iter().map(|d| {
            vec![
                d.id.map(|i| i.to_string()).unwrap_or_default(),
                d.policy.clone(),
                match (d.verdict, d.blocking) {
                    (Verdict::Deny, true) => "deny (blocked)".to_string(),
                    (v, _) => json_word(&v),
                },
                json_word(&d.mode),
                d.point.to_string(),
                d.subject.clone(),
                d.actor.clone(),
                d.failure.clone().unwrap_or_else(|| {
                    d.violations
                        .iter()
                        .map(|v| v.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            ]
        }),
    )
}

/// A serde enum as its configuration word (`enforce`, `closed`, `deny`).
fn json_word(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn list_or_all(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "(all)".to_string()
    } else {
        items.join(",")
    }
}
