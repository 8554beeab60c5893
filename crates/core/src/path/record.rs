//! What the store keeps of a run: the plan it executes, each step's
//! progress (pending, started, done, failed, undone) with what it did and
//! what was there before (so it can be undone), the log, the outcome.
//! Secrets never appear: parameters and logs are masked, and what a
//! resume needs of the secrets is sealed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PathPlan, RunOutput, StepEffect};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Under way (or interrupted: its lease has lapsed; `resume` continues it).
    Running,
    Succeeded,
    /// A step failed and what the run had done was undone.
    RolledBack,
    /// A step failed and undoing failed too, or was not asked for: see the record.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::RolledBack => "rolled-back",
            RunStatus::Failed => "failed",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Pending,
    /// Its `if` was false.
    Skipped,
    /// Its intent is recorded; it has not finished (a crash here is resumed
    /// by doing it again: every effect is idempotent).
    Started,
    Done,
    Failed,
    /// Done, then undone when a later step failed.
    Undone,
}

/// What was there before an effect, to undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Prior {
    /// The files the effect touches, each with its content then (base64;
    /// none: it did not exist).
    Files {
        files: Vec<(String, Option<String>)>,
    },
    /// The entity the effect writes, as it was (none: it did not exist);
    /// for a resource, whether it was provisioned already.
    #[serde(rename_all = "camelCase")]
    Entity {
        entity_ref: String,
        entity: Option<Value>,
        provisioned: bool,
    },
    /// Nothing to undo (a log line, a wait).
    None,
}

/// One effect of a step, as done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoneEffect {
    /// What it did (secrets masked).
    pub effect: StepEffect,
    /// What was there before.
    pub prior: Prior,
    /// How long it took.
    pub duration_ms: u64,
    /// Whether it was done (false: recorded as intent only).
    pub done: bool,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: StepStatus,
    /// Whether its effects are undone when a later step fails.
    pub rollback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<DoneEffect>,
    /// Its output (secrets masked).
    #[serde(default)]
    pub output: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A run, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub template: String,
    pub template_version: String,
    pub actor: String,
    /// The team the run was for (its `owner` parameter, else the actor's first group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub status: RunStatus,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Parameters, secrets masked.
    pub parameters: Value,
    pub workspace: String,
    pub steps: Vec<StepRecord>,
    /// The plan the run executes (secrets masked).
    pub plan: PathPlan,
    #[serde(default)]
    pub output: RunOutput,
    /// Log lines (debug:log, progress), secrets masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was undone after a failure, in the order it was undone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undone: Vec<String>,
    /// What could not be undone, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_undone: Vec<String>,
    /// The Template as it ran (a resume runs the same one).
    pub template_entity: Value,
    /// Parameters and secrets as given, sealed (a resume needs them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
}

/// A run as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub id: String,
    pub template: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub status: RunStatus,
    /// Running, but no process works on it (its lease lapsed): `resume` it.
    #[serde(default)]
    pub interrupted: bool,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// Steps done of all steps.
    pub steps_done: usize,
    pub steps: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Milliseconds between two RFC 3339 times.
pub fn between(start: &str, end: &str) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(start).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(end).ok()?;
    Some((b - a).num_milliseconds())
}

impl RunRecord {
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            id: self.id.clone(),
            template: self.template.clone(),
            actor: self.actor.clone(),
            team: self.team.clone(),
            status: self.status,
            interrupted: false,
            started_at: self.started_at.clone(),
            finished_at: self.finished_at.clone(),
            duration_ms: self
                .finished_at
                .as_deref()
                .and_then(|f| between(&self.started_at, f)),
            steps_done: self
                .steps
                .iter()
                .filter(|s| matches!(s.status, StepStatus::Done | StepStatus::Skipped))
                .count(),
            steps: self.steps.len(),
            error: self.error.clone(),
        }
    }
}

/// One step's progress, as a run reports it while it works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub run: String,
    /// The step (none: the run as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// `started`, `done`, `skipped`, `failed`, `undone`, `log`, `finished`.
    pub status: String,
    pub message: String,
}
