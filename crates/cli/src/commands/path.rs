//! `paved path …`: golden paths, the catalogue's Templates. List and show
//! them, preview a run (`dry-run`: the files with their content, the
//! entities, the resource plans and the policy decisions), run it with its
//! progress printed live (a failed step rolls back what the run did),
//! resume an interrupted run, list runs and read one, and test a Template
//! against a snapshot like code.
//!
//! Parameters come from a YAML or JSON file (`--input`) and `--set key=value`;
//! secrets (`--secret`) are given to the run only, never printed. Every
//! operation is `platform.paths()`; this file parses and prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use paved::display::{sanitize, sanitize_line};
use paved::{
    Diagnostic, Error, PathOptions, PathPlan, Progress, RunRecord, RunStatus, TemplateSummary,
};
use serde_json::{Map, Value};

use crate::output::{Ctx, print_json, table};

/// What a run is given: parameters, workspace, secrets.
#[derive(Debug, Clone, clap::Args)]
pub struct Inputs {
    /// Parameters from a YAML or JSON file (`-`: standard input); `--set`
    /// wins over it.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// One parameter, KEY=VALUE: the value is read as JSON when it is JSON
    /// (8080, true, ["a","b"], {"k":1}), else as text. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The directory the run writes its files into (created if missing)
    /// [default: .paved/workspaces/RUN-ID].
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<String>,
    /// A secret for `${{ secrets.KEY }}`: KEY=VALUE, or KEY alone to take
    /// it from the environment variable KEY. Never printed nor recorded.
    /// Repeatable.
    #[arg(long = "secret", value_name = "KEY[=VALUE]")]
    pub secrets: Vec<String>,
}

/// `paved path` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PathCommand {
    /// Every golden path (Template) of the catalogue: type, owner, version
    /// and whether it can run.
    List,
    /// A golden path: its parameters (fields, types, what is required), its
    /// steps, and the problems that keep it from running (file:line).
    Show {
        /// A Template: its ref (web-service, template:default/web-service)
        /// or a file (.yaml, .yml, .json).
        template: String,
    },
    /// What a run would do, changing nothing: the files with their content
    /// (`+` create, `~` update, `-` delete), entities, resource plans,
    /// policy decisions and the plan's digest. Exits 0 whether or not a
    /// policy blocks the plan, as `resource plan` does: the plan says
    /// `blocked`, and `path run` refuses a blocked plan (exit 1). Exit 1:
    /// the Template or its parameters are wrong.
    DryRun {
        /// A Template: its ref or a file (.yaml, .yml, .json).
        template: String,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Run a golden path, printing each step as it goes. Exit 0: it
    /// succeeded; 1: a step failed and what the run did was rolled back
    /// (printed), or the run was refused (bad parameters, denied by policy).
    Run {
        /// A Template: its ref or a file (.yaml, .yml, .json).
        template: String,
        #[command(flatten)]
        inputs: Inputs,
        /// Run only if the plan is still the one a dry run previewed (its
        /// digest).
        #[arg(long, value_name = "DIGEST")]
        expect_digest: Option<String>,
    },
    /// Continue an interrupted run (its process died) from its last
    /// completed step; nothing done is done twice. Exit codes as `run`.
    Resume {
        /// The run's id (`paved path runs` lists them).
        run_id: String,
    },
    /// Runs, newest first: status, whether interrupted, duration.
    Runs {
        /// Only the runs of this Template (ref).
        template: Option<String>,
        /// At most this many [default: 50].
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One run, whole: its steps, what each did, log, output, what was undone.
    RunInfo {
        /// The run's id.
        run_id: String,
    },
    /// Test a Template like code: its dry run compared with the snapshot in
    /// --expect (plan.json and files/). Exit 1 with the differences when
    /// they differ, or when there is no snapshot; --update writes it.
    Test {
        /// A Template: its ref or a file (.yaml, .yml, .json).
        template: String,
        #[command(flatten)]
        inputs: Inputs,
        /// The snapshot directory.
        #[arg(long, value_name = "DIR")]
        expect: PathBuf,
        /// Write the snapshot (again) instead of comparing.
        #[arg(long)]
        update: bool,
    },
}

/// One `KEY=VALUE` argument split, the value read as JSON when it is JSON.
fn key_value(arg: &str, flag: &str) -> anyhow::Result<(String, Value)> {
    let (key, value) = arg.split_once('=').ok_or_else(|| {
        Error::invalid(Diagnostic::error(flag, format!("'{arg}' is not KEY=VALUE")))
    })?;
    if key.is_empty() {
        return Err(
            Error::invalid(Diagnostic::error(flag, format!("'{arg}' names no key"))).into(),
        );
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.to_string(), value))
}

/// The parameters file, parsed: a YAML or JSON mapping.
fn read_parameters(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let (name, text) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| anyhow::anyhow!("cannot read the parameters from standard input: {e}"))?;
        ("standard input".to_string(), text)
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        (path.display().to_string(), text)
    };
    // YAML (JSON is YAML): a syntax error names the file, line and column.
    let value = paved::typed_document::<Value>(&text, &name)?
        .map(|(v, _)| v)
        .unwrap_or_else(|| Value::Object(Map::new()));
    match value {
        Value::Object(m) => Ok(m),
        other => Err(Error::invalid(Diagnostic::error(
            "parameters",
            format!("{name} holds {other}, not a mapping of parameter names to values"),
        ))
        .into()),
    }
}

impl Inputs {
    /// The parameters: the file's, then each `--set`.
    fn parameters(&self) -> anyhow::Result<Value> {
        let mut params = match &self.input {
            Some(path) => read_parameters(path)?,
            None => Map::new(),
        };
        for arg in &self.set {
            let (k, v) = key_value(arg, "--set")?;
            params.insert(k, v);
        }
        Ok(Value::Object(params))
    }

    /// The run's options: workspace and secrets (the actor is the
    /// platform's: `--actor` went to `open`).
    fn options(&self) -> anyhow::Result<PathOptions> {
        let mut secrets = BTreeMap::new();
        for arg in &self.secrets {
            let (key, value) = match arg.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => {
                    let v = std::env::var(arg).map_err(|_| {
                        Error::invalid(Diagnostic::error(
                            "--secret",
                            format!(
                                "--secret {arg}: there is no environment variable {arg} to take it from (or give {arg}=VALUE)"
                            ),
                        ))
                    })?;
                    (arg.clone(), v)
                }
            };
            if key.is_empty() {
                return Err(
                    Error::invalid(Diagnostic::error("--secret", "a secret names no key")).into(),
                );
            }
            secrets.insert(key, value);
        }
        Ok(PathOptions {
            workspace: self.workspace.clone(),
            secrets,
            ..PathOptions::default()
        })
    }
}

/// Run one `paved path` subcommand.
pub async fn run(cmd: PathCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let paths = platform.paths();
    match cmd {
        PathCommand::List => {
            let list = paths.list().await?;
            if ctx.json() {
                print_json(&list);
            } else if list.is_empty() {
                println!(
                    "no golden paths: import Template entities with `paved catalog import FILE`"
                );
            } else {
                println!(
                    "{}",
                    table(
                        &["template", "title", "type", "owner", "version", "runs"],
                        list.iter().map(|t| vec![
                            t.reference.clone(),
                            t.title.clone().unwrap_or_default(),
                            t.type_.clone(),
                            t.owner.clone().unwrap_or_default(),
                            t.version.clone(),
                            if t.problems.is_empty() {
                                "yes".into()
                            } else {
                                format!(
                                    "no: {} problem{} (`paved path show {}`)",
                                    t.problems.len(),
                                    if t.problems.len() == 1 { "" } else { "s" },
                                    t.name
                                )
                            },
                        ])
                    )
                );
            }
        }
        PathCommand::Show { template } => {
            let mut summary = paths.show(&template).await?;
            let entity = template_entity(&platform, ctx, &template, &summary).await;
            if let Some(located) = entity
                .as_ref()
                .and_then(|e| located_problems(ctx, e, &summary))
            {
                summary.problems = located;
            }
            if ctx.json() {
                print_json(&summary);
            } else {
                print_template(&summary, entity.as_ref());
            }
        }
        PathCommand::DryRun { template, inputs } => {
            let plan = paths
                .dry_run(&template, inputs.parameters()?, &inputs.options()?)
                .await?;
            if ctx.json() {
                print_json(&plan);
            } else {
                print_plan(&plan, &template);
            }
        }
        PathCommand::Run {
            template,
            inputs,
            expect_digest,
        } => {
            let parameters = inputs.parameters()?;
            let opts = PathOptions {
                expect_digest,
                ..inputs.options()?
            };
            let (tx, printer) = progress_printer(ctx);
            let record = paths
                .run_with_progress(&template, parameters, &opts, tx)
                .await;
            finish_printing(printer).await;
            return Ok(outcome(ctx, &record?));
        }
        PathCommand::Resume { run_id } => {
            let (tx, printer) = progress_printer(ctx);
            let record = paths
                .resume_with_progress(&run_id, &PathOptions::default(), tx)
                .await;
            finish_printing(printer).await;
            return Ok(outcome(ctx, &record?));
        }
        PathCommand::Runs { template, limit } => {
            let runs = paths.runs(template.as_deref(), limit).await?;
            if ctx.json() {
                print_json(&runs);
            } else if runs.is_empty() {
                println!("no runs");
            } else {
                println!(
                    "{}",
                    table(
                        &[
                            "run", "template", "status", "actor", "team", "started", "duration",
                            "steps"
                        ],
                        runs.iter().map(|r| vec![
                            r.id.clone(),
                            r.template.clone(),
                            if r.interrupted {
                                format!("interrupted (`paved path resume {}`)", r.id)
                            } else {
                                r.status.as_str().to_string()
                            },
                            r.actor.clone(),
                            r.team.clone().unwrap_or_default(),
                            r.started_at.clone(),
                            r.duration_ms.map(duration).unwrap_or_default(),
                            format!("{}/{}", r.steps_done, r.steps),
                        ])
                    )
                );
            }
        }
        PathCommand::RunInfo { run_id } => {
            let record = paths.run_info(&run_id).await?;
            if ctx.json() {
                print_json(&record);
            } else {
                print_record(&record);
            }
        }
        PathCommand::Test {
            template,
            inputs,
            expect,
            update,
        } => {
            let report = paths
                .test(
                    &template,
                    inputs.parameters()?,
                    &expect,
                    update,
                    &inputs.options()?,
                )
                .await?;
            if ctx.json() {
                print_json(&report);
            } else if report.updated {
                println!("wrote the snapshot {}", report.snapshot);
            } else if report.passed {
                println!("passed: the plan is as the snapshot {}", report.snapshot);
            } else {
                println!(
                    "FAILED: the plan differs from the snapshot {} ({} difference{}):",
                    report.snapshot,
                    report.differences.len(),
                    if report.differences.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                );
                for d in &report.differences {
                    println!("  {}", sanitize_line(d));
                }
                println!(
                    "(`paved path test … --update` writes the snapshot again if the change is meant)"
                );
            }
            if !report.passed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A channel for a run's progress and the task printing it as it comes
/// (JSON output prints the record only).
fn progress_printer(
    ctx: &Ctx,
) -> (
    Option<tokio::sync::mpsc::UnboundedSender<Progress>>,
    Option<tokio::task::JoinHandle<()>>,
) {
    if ctx.json() {
        return (None, None);
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let printer = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            print_progress(&p);
        }
    });
    (Some(tx), Some(printer))
}

async fn finish_printing(printer: Option<tokio::task::JoinHandle<()>>) {
    if let Some(p) = printer {
        let _ = p.await;
    }
}

fn print_progress(p: &Progress) {
    let step = p.step.as_deref().unwrap_or("run");
    let line = match p.status.as_str() {
        "started" => format!("[{step}] started: {}", p.message),
        "done" => format!("[{step}] done"),
        "skipped" => format!("[{step}] skipped (its `if` is false)"),
        "failed" => format!("[{step}] FAILED: {}", p.message),
        "undone" => format!("[{step}] undone: {}", p.message),
        "log" => format!("  log: {}", p.message),
        "finished" => return,
        other => format!("[{step}] {other}: {}", p.message),
    };
    println!("{}", sanitize(&line));
}

/// The outcome of a run (or resume): 0 when it succeeded, 1 when not.
fn outcome(ctx: &Ctx, record: &RunRecord) -> ExitCode {
    if ctx.json() {
        print_json(record);
    } else {
        let took = record
            .summary()
            .duration_ms
            .map(|d| format!(" in {}", duration(d)))
            .unwrap_or_default();
        match record.status {
            RunStatus::Succeeded => {
                println!(
                    "run {} of {} succeeded{took}; files in {}",
                    record.id, record.template, record.workspace
                );
                print_output(&record.output);
            }
            RunStatus::RolledBack => {
                println!(
                    "run {} of {} failed{took} and was rolled back: {}",
                    record.id,
                    record.template,
                    sanitize(record.error.as_deref().unwrap_or("a step failed"))
                );
                print_undone(record);
            }
            RunStatus::Failed => {
                println!(
                    "run {} of {} failed{took}: {}",
                    record.id,
                    record.template,
                    sanitize(record.error.as_deref().unwrap_or("a step failed"))
                );
                print_undone(record);
                println!(
                    "(`paved path run-info {}` shows the whole record)",
                    record.id
                );
            }
            RunStatus::Running => println!(
                "run {} is still running; `paved path runs` says whether it was interrupted",
                record.id
            ),
        }
    }
    if record.status == RunStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_undone(record: &RunRecord) {
    for u in &record.undone {
        println!("  undone: {}", sanitize(u));
    }
    for n in &record.not_undone {
        println!("  NOT undone: {}", sanitize(n));
    }
}

/// A value as text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_output(output: &paved::RunOutput) {
    for link in &output.links {
        let title = link.get("title").map(text);
        let target = ["url", "entityRef"]
            .iter()
            .find_map(|k| link.get(*k))
            .map(text)
            .unwrap_or_default();
        let line = match title {
            Some(t) => format!("  link: {t}: {target}"),
            None => format!("  link: {target}"),
        };
        println!("{}", sanitize(&line));
    }
    for t in &output.text {
        let title = t.get("title").map(text);
        let content = t.get("content").map(text).unwrap_or_else(|| text(t));
        let line = match title {
            Some(title) => format!("  {title}: {content}"),
            None => format!("  {content}"),
        };
        println!("{}", sanitize(&line));
    }
    for (k, v) in &output.values {
        println!("  {k} = {}", sanitize(&text(v)));
    }
}

/// Milliseconds for people.
fn duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The most lines of a file's content a text plan shows.
const SHOWN_LINES: usize = 40;

fn print_plan(plan: &PathPlan, template: &str) {
    println!(
        "plan of {} (version {}); files go to {}",
        plan.template, plan.template_version, plan.workspace
    );
    println!(
        "parameters: {}",
        sanitize(&serde_json::to_string(&plan.parameters).unwrap_or_default())
    );
    println!("steps:");
    for s in &plan.steps {
        let what = if s.skipped {
            "skipped (its `if` is false)".to_string()
        } else {
            let mut effects: Vec<String> = s.effects.iter().map(|e| e.describe()).collect();
            if effects.is_empty() {
                effects.push("nothing".into());
            }
            let mut what = effects.join("; ");
            if s.provisional {
                what.push_str(" (decided when it runs: it uses a provider's outputs)");
            }
            what
        };
        println!(
            "  {} ({}): {}",
            s.id,
            s.action,
            sanitize(&format!("{} — {what}", s.name))
        );
    }
    println!("files:");
    if plan.files.is_empty() {
        println!("  (none)");
    }
    for f in &plan.files {
        let sign = match f.action.as_str() {
            "create" => "+",
            "update" => "~",
            "delete" => "-",
            _ => "?",
        };
        println!("  {sign} {}", sanitize_line(&f.path));
        match (&f.content, f.binary) {
            (Some(c), true) => println!("      (binary, {} bytes as base64)", c.len()),
            (Some(c), false) => {
                let lines: Vec<&str> = c.lines().collect();
                for line in lines.iter().take(SHOWN_LINES) {
                    println!("      | {}", sanitize_line(line));
                }
                if lines.len() > SHOWN_LINES {
                    println!(
                        "      | … {} more lines (--output json shows them all)",
                        lines.len() - SHOWN_LINES
                    );
                }
            }
            (None, _) => {}
        }
    }
    println!("entities:");
    if plan.entities.is_empty() {
        println!("  (none)");
    }
    for e in &plan.entities {
        let sign = match e.outcome.as_str() {
            "created" => "+",
            "updated" => "~",
            _ => "=",
        };
        println!(
            "  {sign} {} ({}, by step {})",
            e.entity_ref, e.outcome, e.step
        );
    }
    if let Some(resources) = &plan.resources {
        println!("resources (plan {}):", resources.id);
        for r in &resources.resources {
            println!(
                "  {} {} ({} via {})",
                r.action.sign(),
                r.resource,
                r.address.resource_type,
                r.provider
            );
            for d in &r.diff {
                let side = |v: &Option<Value>| v.as_ref().map_or("(none)".into(), Value::to_string);
                println!(
                    "      {}: {} -> {}",
                    d.path,
                    sanitize(&side(&d.before)),
                    sanitize(&side(&d.after))
                );
            }
        }
    }
    for d in &plan.decisions {
        println!("{}", sanitize(&d.explain()));
    }
    if !plan.output.links.is_empty() || !plan.output.text.is_empty() {
        println!("output (as far as known before running):");
        print_output(&plan.output);
    }
    if plan.blocked {
        println!("blocked: an enforcing policy denies this run; `paved path run` would refuse it");
    }
    println!("digest: {}", plan.digest);
    println!(
        "dry run: nothing was written (`paved path run {template} … --expect-digest {}` runs exactly this plan)",
        plan.digest
    );
}

/// The Template entity `template` names, to show its steps: from the
/// catalogue, or the file.
async fn template_entity(
    platform: &paved::Platform,
    ctx: &Ctx,
    template: &str,
    summary: &TemplateSummary,
) -> Option<paved::Entity> {
    let is_file = [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| template.ends_with(ext));
    if is_file {
        let loaded = paved::validate(&[PathBuf::from(template)], &ctx.options).ok()?;
        loaded
            .entities()
            .iter()
            .find(|s| s.entity.entity_ref().to_string() == summary.reference)
            .map(|s| s.entity.clone())
    } else {
        platform.catalog().get(&summary.reference).await.ok()
    }
}

/// The Template's problems with the line of its file, when it was read from
/// a file that is still there (as `path run` reports them).
fn located_problems(
    ctx: &Ctx,
    entity: &paved::Entity,
    summary: &TemplateSummary,
) -> Option<Vec<Diagnostic>> {
    if summary.problems.is_empty() {
        return None;
    }
    let file = entity
        .metadata
        .annotations
        .get(paved::ANNOTATION_LOCATION)?
        .strip_prefix("file:")?;
    let loaded = paved::validate(&[PathBuf::from(file)], &ctx.options).ok()?;
    // The import warned of them; they keep the Template from running.
    let located: Vec<Diagnostic> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.entity.as_deref() == Some(summary.reference.as_str()))
        .map(|d| Diagnostic {
            severity: paved::Severity::Error,
            ..d.clone()
        })
        .collect();
    (!located.is_empty()).then_some(located)
}

fn print_template(t: &TemplateSummary, entity: Option<&paved::Entity>) {
    let mut about = vec![format!("type {}", t.type_)];
    if let Some(owner) = &t.owner {
        about.push(format!("owner {owner}"));
    }
    about.push(format!("version {}", t.version));
    println!(
        "{}{} ({})",
        t.reference,
        t.title
            .as_ref()
            .map(|x| format!(": {}", sanitize_line(x)))
            .unwrap_or_default(),
        about.join(", ")
    );
    if let Some(d) = &t.description {
        println!("  {}", sanitize(d));
    }
    if !t.tags.is_empty() {
        println!("  tags: {}", t.tags.join(", "));
    }
    println!("parameters:");
    let mut any = false;
    for (i, page) in t.parameters.iter().enumerate() {
        let title = page.get("title").map(text);
        if t.parameters.len() > 1 || title.is_some() {
            println!(
                "  page {}{}",
                i + 1,
                title
                    .map(|x| format!(": {}", sanitize_line(&x)))
                    .unwrap_or_default()
            );
        }
        let required: Vec<&str> = page
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let rows: Vec<Vec<String>> = page
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| {
                any = true;
                field_row(name, schema, required.contains(&name.as_str()))
            })
            .collect();
        if !rows.is_empty() {
            println!(
                "{}",
                table(
                    &["field", "type", "required", "title", "default", "rules"],
                    rows
                )
            );
        }
    }
    if !any {
        println!("  (none)");
    }
    println!("steps:");
    let steps = entity
        .map(paved::Entity::to_value)
        .and_then(|v| v.pointer("/spec/steps").cloned());
    match steps.as_ref().and_then(Value::as_array) {
        Some(steps) => {
            for (i, s) in steps.iter().enumerate() {
                let id = s
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("step-{}", i + 1));
                let action = s.get("action").map(text).unwrap_or_default();
                let name = s
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                let when = s
                    .get("if")
                    .map(|c| format!(" (if {})", text(c)))
                    .unwrap_or_default();
                println!("  {}. {id} ({action}){name}{when}", i + 1);
            }
        }
        None => {
            for (i, a) in t.actions.iter().enumerate() {
                println!("  {}. {a}", i + 1);
            }
        }
    }
    if t.problems.is_empty() {
        println!(
            "it can run: `paved path dry-run {} --set KEY=VALUE …` previews a run",
            t.name
        );
    } else {
        println!(
            "it cannot run: {} problem{}",
            t.problems.len(),
            if t.problems.len() == 1 { "" } else { "s" }
        );
        // On standard output with the rest (show succeeded); errors as such.
        for d in &t.problems {
            let mut d = d.clone();
            d.entity = None;
            println!("  {}", sanitize_line(&d.to_string()));
        }
    }
}

/// A parameter's row: name, type, required, title, default, rules.
fn field_row(name: &str, schema: &Value, required: bool) -> Vec<String> {
    let kind = match schema.get("type") {
        Some(Value::Array(a)) => a.iter().map(text).collect::<Vec<_>>().join(" | "),
        Some(v) => text(v),
        None if schema.get("enum").is_some() => "enum".into(),
        None => "any".into(),
    };
    let mut rules = Vec::new();
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        rules.push(format!(
            "one of {}",
            e.iter().map(text).collect::<Vec<_>>().join(", ")
        ));
    }
    for key in [
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "format",
    ] {
        if let Some(v) = schema.get(key) {
            rules.push(format!("{key} {}", text(v)));
        }
    }
    let secret = schema.get("ui:field").and_then(Value::as_str) == Some("Secret")
        || schema.get("ui:widget").and_then(Value::as_str) == Some("password");
    if secret {
        rules.push("secret".into());
    }
    vec![
        name.to_string(),
        kind,
        if required {
            "yes".into()
        } else {
            String::new()
        },
        schema
            .get("title")
            .or_else(|| schema.get("description"))
            .map(text)
            .unwrap_or_default(),
        schema.get("default").map(text).unwrap_or_default(),
        rules.join("; "),
    ]
}

fn print_record(r: &RunRecord) {
    let s = r.summary();
    println!(
        "run {} of {} (version {}) by {}{}",
        r.id,
        r.template,
        r.template_version,
        r.actor,
        r.team
            .as_ref()
            .map(|t| format!(" for {t}"))
            .unwrap_or_default()
    );
    println!(
        "  status: {}; started {}{}",
        r.status.as_str(),
        r.started_at,
        match (&r.finished_at, s.duration_ms) {
            (Some(f), Some(d)) => format!(", finished {f} ({})", duration(d)),
            (Some(f), None) => format!(", finished {f}"),
            _ => String::new(),
        }
    );
    println!("  workspace: {}", r.workspace);
    println!(
        "  parameters: {}",
        sanitize(&serde_json::to_string(&r.parameters).unwrap_or_default())
    );
    if let Some(e) = &r.error {
        println!("  error: {}", sanitize(e));
    }
    println!(
        "{}",
        table(
            &["step", "action", "status", "did", "error"],
            r.steps.iter().map(|st| vec![
                st.id.clone(),
                st.action.clone(),
                format!("{:?}", st.status).to_lowercase(),
                st.effects
                    .iter()
                    .map(|d| {
                        let mut what = d.effect.describe();
                        if !d.done {
                            what.push_str(" (intent)");
                        }
                        what
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                st.error.clone().unwrap_or_default(),
            ])
        )
    );
    for line in &r.log {
        println!("  log: {}", sanitize(line));
    }
    print_undone(r);
    if r.status == RunStatus::Succeeded {
        print_output(&r.output);
    }
    if r.status == RunStatus::Running {
        println!(
            "  (`paved path runs` says whether it was interrupted; `paved path resume {}` continues it)",
            r.id
        );
    }
}
