//! `paved scorecard …`: entities and teams scored on the platform's
//! scorecards, and the scores kept over time.

use std::process::ExitCode;

use paved::{RuleStatus, Score, Snapshot, TeamScore};

use crate::output::{Ctx, print_json, table};

/// `paved scorecard` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ScorecardCommand {
    /// The scorecards: what they score and their levels.
    List,
    /// One entity's scores (each rule, what to fix next), or with --team
    /// the scores of every entity a team owns. Writes nothing.
    Show {
        /// The entity ref (give this or --team).
        #[arg(required_unless_present = "team", conflicts_with = "team")]
        entity: Option<String>,
        /// A team (group ref): the scores of the entities it owns.
        #[arg(long)]
        team: Option<String>,
        /// Only this scorecard [default: every scorecard that selects it].
        #[arg(long)]
        scorecard: Option<String>,
    },
    /// Score every entity and record each team's scores in the audit log
    /// (the trend `paved scorecard history` shows). Run it on a schedule.
    Record {
        /// Only this scorecard [default: every scorecard].
        #[arg(long)]
        scorecard: Option<String>,
        /// Score and show the snapshots; record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// A team's recorded scores, newest first: its trend.
    History {
        /// The team (group ref).
        #[arg(long)]
        team: String,
        /// Only this scorecard [default: every scorecard].
        #[arg(long)]
        scorecard: Option<String>,
        /// At most this many [default: paved's audit limit, 100].
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// Run one `paved scorecard` subcommand.
pub async fn run(cmd: ScorecardCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let scorecards = platform.scorecards();
    match cmd {
        ScorecardCommand::List => {
            let cards = scorecards.list();
            if ctx.json() {
                print_json(&cards);
            } else {
                println!(
                    "{}",
                    table(
                        &["scorecard", "scores", "levels (rules)"],
                        cards.iter().map(|c| vec![
                            c.name.clone(),
                            if c.filter.is_empty() {
                                "every entity".to_string()
                            } else {
                                c.filter.join(" OR ")
                            },
                            c.levels
                                .iter()
                                .map(|l| format!("{} ({})", l.name, l.rules.join(", ")))
                                .collect::<Vec<_>>()
                                .join(" < "),
                        ])
                    )
                );
            }
        }
        ScorecardCommand::Show {
            entity: Some(entity),
            scorecard,
            ..
        } => {
            let scores = scorecards.score(&entity, scorecard.as_deref()).await?;
            if ctx.json() {
                print_json(&scores);
            } else if scores.is_empty() {
                println!("no scorecard scores {entity}");
            } else {
                for s in &scores {
                    print_score(s);
                }
            }
        }
        ScorecardCommand::Show {
            team, scorecard, ..
        } => {
            let team = team.unwrap_or_default();
            let scores = scorecards.team(&team, scorecard.as_deref()).await?;
            if ctx.json() {
                print_json(&scores);
            } else {
                for t in &scores {
                    print_team(t);
                }
            }
        }
        ScorecardCommand::Record { scorecard, dry_run } => {
            let snapshots = scorecards
                .record(scorecard.as_deref(), &ctx.write_options(dry_run))
                .await?;
            if ctx.json() {
                print_json(&snapshots);
            } else {
                print_snapshots(&snapshots);
                println!(
                    "{}{} team snapshot(s)",
                    if dry_run {
                        "dry run: would record "
                    } else {
                        "recorded "
                    },
                    snapshots.len()
                );
            }
        }
        ScorecardCommand::History {
            team,
            scorecard,
            limit,
        } => {
            let snapshots = scorecards
                .history(&team, scorecard.as_deref(), limit)
                .await?;
            if ctx.json() {
                print_json(&snapshots);
            } else if snapshots.is_empty() {
                println!(
                    "no recorded scores for {team} (record them with `paved scorecard record`)"
                );
            } else {
                print_snapshots(&snapshots);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One entity on one scorecard: its level, and each rule.
fn print_score(s: &Score) {
    println!(
        "{} on {}: {} ({} of {} rules pass, {}%){}",
        s.entity,
        s.scorecard,
        s.level.as_deref().unwrap_or("no level yet"),
        s.passed,
        s.applicable,
        s.percent,
        s.next_level
            .as_deref()
            .map(|n| format!("; next: {n}"))
            .unwrap_or_default(),
    );
    for r in &s.rules {
        let mark = match r.status {
            RuleStatus::Passed => "pass",
            RuleStatus::Failed => "FAIL",
            RuleStatus::NotApplicable => "n/a ",
        };
        println!("  {mark} {:<8} {}", r.level, r.policy);
        if r.status == RuleStatus::Failed {
            for v in &r.violations {
                let line = if v.path.is_empty() {
                    v.message.clone()
                } else {
                    format!("{}: {}", v.path, v.message)
                };
                println!("         fix: {}", paved::display::sanitize_line(&line));
            }
            if let Some(f) = &r.failure {
                println!(
                    "         the guardrail failed: {}",
                    paved::display::sanitize_line(f)
                );
            }
        }
    }
    println!();
}

/// A team on one scorecard: entities per level, and each entity's level.
fn print_team(t: &TeamScore) {
    let levels: Vec<String> = std::iter::once(format!("none {}", t.below))
        .chain(
            t.levels
                .iter()
                .map(|l| format!("{} {}", l.level, l.entities)),
        )
        .collect();
    println!(
        "{} on {}: {} entities ({}); {} of {} rules pass, {}%",
        t.team,
        t.scorecard,
        t.entities,
        levels.join(", "),
        t.passed,
        t.applicable,
        t.percent,
    );
    for e in &t.scores {
        println!(
            "  {:<8} {} ({}/{} rules)",
            e.level.as_deref().unwrap_or("none"),
            e.entity,
            e.passed,
            e.applicable
        );
    }
    println!();
}

/// Snapshots as a table: one row per team and scorecard.
fn print_snapshots(snapshots: &[Snapshot]) {
    let mut headers = vec!["id", "at", "team", "scorecard", "entities", "none"];
    let level_names: Vec<String> = snapshots
        .first()
        .map(|s| s.score.levels.iter().map(|l| l.level.clone()).collect())
        .unwrap_or_default();
    let same_levels = snapshots.iter().all(|s| {
        s.score
            .levels
            .iter()
            .map(|l| &l.level)
            .eq(level_names.iter())
    });
    if same_levels {
        headers.extend(level_names.iter().map(String::as_str));
    }
    headers.push("rules passed");
    println!(
        "{}",
        table(
            &headers,
            snapshots.iter().map(|s| {
                let t = &s.score;
                let mut row = vec![
                    s.id.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                    s.at.clone().unwrap_or_else(|| "-".into()),
                    t.team.clone(),
                    t.scorecard.clone(),
                    t.entities.to_string(),
                    t.below.to_string(),
                ];
                if same_levels {
                    row.extend(t.levels.iter().map(|l| l.entities.to_string()));
                }
                row.push(format!("{}/{} ({}%)", t.passed, t.applicable, t.percent));
                row
            })
        )
    );
}
