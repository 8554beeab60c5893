//! Golden paths: Backstage `scaffolder.backstage.io/v1beta3` Templates that
//! preview, run, roll back, resume and are measured.
//!
//! A golden path is a catalogue `Template` entity. Its `parameters` (one
//! JSON Schema or a list of form pages) say what a developer fills in; its
//! `steps` run built-in actions ([`actions`]) with input written in
//! Backstage's `${{ … }}` expressions ([`expr`]); its `output` gives links
//! and text. This module holds what needs no platform: reading a Template
//! and finding its problems before it runs ([`template`]), checking
//! parameters ([`params`]), the workspace a run writes into and its path
//! rules ([`workspace`]), and what each action would do ([`actions`]): a
//! step is planned into [`StepEffect`]s (files written, entities registered,
//! resources applied) before anything happens, so a dry run and a real run
//! share one plan. Running, journaling, rolling back and resuming are
//! `platform::paths`, reached by [`crate::Platform::paths`].

pub mod actions;
pub mod expr;
pub mod params;
pub mod record;
pub mod snapshot;
pub mod template;
pub mod workspace;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::Decision;
use crate::resource::ResourcePlan;

pub use record::{Progress, RunRecord, RunStatus, RunSummary, StepRecord, StepStatus};
pub use snapshot::SnapshotReport;
pub use template::{Template, TemplateSummary};

/// Annotation: the Template that made an entity or resource (its ref).
pub const ANNOTATION_TEMPLATE: &str = "paved.dev/template";
/// Annotation: the version of that Template (its content hash, short).
pub const ANNOTATION_TEMPLATE_VERSION: &str = "paved.dev/template-version";
/// Annotation: the run that made it.
pub const ANNOTATION_RUN: &str = "paved.dev/run";
/// Annotation: the run's parameters as JSON, secrets left out.
pub const ANNOTATION_INPUTS: &str = "paved.dev/template-inputs";
/// Backstage's annotation naming the Template an entity was scaffolded from.
pub const ANNOTATION_SOURCE_TEMPLATE: &str = "backstage.io/source-template";

/// The expression engine every Template shares.
pub fn expressions() -> &'static expr::Expressions {
    static ENGINE: std::sync::LazyLock<expr::Expressions> =
        std::sync::LazyLock::new(expr::Expressions::new);
    &ENGINE
}

/// The run id a preview shows: a run gets its own when it runs.
pub const PREVIEW_RUN_ID: &str = "RUN-ID";

/// What a masked secret shows as.
pub const MASK: &str = "***";

/// Options of a golden-path run (and its dry run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PathOptions {
    /// Who runs it (as [`crate::pipeline::WriteOptions::actor`]).
    pub actor: Option<String>,
    /// The directory the run writes files into (created if missing). None:
    /// `.paved/workspaces/RUN-ID` under the working directory.
    pub workspace: Option<String>,
    /// Secrets given to the run (`${{ secrets.x }}`): never recorded.
    pub secrets: BTreeMap<String, String>,
    /// Run only if the plan is still this one (a dry run's `digest`): what
    /// was previewed is what runs.
    pub expect_digest: Option<String>,
}

/// A file a run writes, changes or removes, with its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileChange {
    /// Relative to the workspace, `/`-separated.
    pub path: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The content after (UTF-8 text, or base64 when `binary`); none when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// An entity a run registers in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityChange {
    pub entity_ref: String,
    /// `created`, `updated` or `unchanged`.
    pub outcome: String,
    /// The entity as it will be written (with provenance annotations).
    pub entity: Value,
    /// The step that registers it.
    pub step: String,
}

/// One side effect of a step, as planned and as done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum StepEffect {
    /// Write a file of the workspace: UTF-8 text, or base64 when `binary`.
    #[serde(rename_all = "camelCase")]
    WriteFile {
        path: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        binary: bool,
    },
    /// Remove a file or directory of the workspace.
    #[serde(rename_all = "camelCase")]
    DeleteFile { path: String },
    /// Move a file of the workspace.
    #[serde(rename_all = "camelCase")]
    RenameFile { from: String, to: String },
    /// Register (create or update) an entity in the catalogue.
    #[serde(rename_all = "camelCase")]
    Register { entity: Value },
    /// Declare a Resource entity and apply it through its provider.
    #[serde(rename_all = "camelCase")]
    ApplyResource { entity: Value },
    /// A line for the run's log.
    #[serde(rename_all = "camelCase")]
    Log { message: String },
    /// Wait this long.
    #[serde(rename_all = "camelCase")]
    Wait { milliseconds: u64 },
}

impl StepEffect {
    /// Write `bytes` to `path`: as text when they are UTF-8.
    pub fn write(path: &str, bytes: Vec<u8>) -> Self {
        use base64::Engine;
        match String::from_utf8(bytes) {
            Ok(content) => StepEffect::WriteFile {
                path: path.to_string(),
                content,
                binary: false,
            },
            Err(e) => StepEffect::WriteFile {
                path: path.to_string(),
                content: base64::engine::general_purpose::STANDARD.encode(e.as_bytes()),
                binary: true,
            },
        }
    }

    /// The bytes a `WriteFile` writes.
    pub fn bytes(content: &str, binary: bool) -> Vec<u8> {
        use base64::Engine;
        if binary {
            base64::engine::general_purpose::STANDARD
                .decode(content)
                .unwrap_or_default()
        } else {
            content.as_bytes().to_vec()
        }
    }

    /// What it does, in a few words, e.g. `write src/main.rs`.
    pub fn describe(&self) -> String {
        let entity_ref = |e: &Value| {
            crate::model::Entity::deserialize(e)
                .map(|e| e.entity_ref().to_string())
                .unwrap_or_else(|_| "an entity".into())
        };
        match self {
            StepEffect::WriteFile { path, .. } => format!("write {path}"),
            StepEffect::DeleteFile { path } => format!("delete {path}"),
            StepEffect::RenameFile { from, to } => format!("rename {from} to {to}"),
            StepEffect::Register { entity } => format!("register {}", entity_ref(entity)),
            StepEffect::ApplyResource { entity } => format!("provision {}", entity_ref(entity)),
            StepEffect::Log { message } => format!("log: {message}"),
            StepEffect::Wait { milliseconds } => format!("wait {milliseconds} ms"),
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    pub id: String,
    pub name: String,
    pub action: String,
    /// Its `if` was false: it does nothing.
    pub skipped: bool,
    /// What it does, in order.
    pub effects: Vec<StepEffect>,
    /// Its output as far as known before running (`(known after apply)`
    /// where a provider decides).
    pub output: Value,
    /// Whether its effects are undone when a later step fails (a step
    /// opts out with `rollback: false`).
    pub rollback: bool,
    /// It uses what a provider tells only once it runs: its effects are
    /// shown as far as known and decided when it runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// A link or text of a Template's `output`, evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutput {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<Value>,
    /// Any other outputs.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub values: serde_json::Map<String, Value>,
}

/// What running a golden path would do, before anything happens: the files
/// with their content, the entities, the resource plans and every policy
/// and access decision. A run executes exactly this plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathPlan {
    /// The Template's ref.
    pub template: String,
    /// Its version (content hash, short).
    pub template_version: String,
    /// The parameters, with defaults applied and secrets masked.
    pub parameters: Value,
    /// Where files go.
    pub workspace: String,
    pub steps: Vec<PlannedStep>,
    /// Net file changes, by path.
    pub files: Vec<FileChange>,
    /// Entities registered (Resource entities included).
    pub entities: Vec<EntityChange>,
    /// The plan of the resources the run provisions (none if it provisions nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcePlan>,
    /// Every policy decision about the run, its entities and its resources
    /// that says more than a plain allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// Whether an enforcing policy denies part of it (a run would refuse).
    pub blocked: bool,
    /// The Template's `output`, as far as known.
    pub output: RunOutput,
    /// Identifies the plan's effects: give it as `expectDigest` to run
    /// exactly what was previewed.
    pub digest: String,
}

/// Whether a value holds something only a provider can tell.
pub fn unknown(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains(crate::resource::state::KNOWN_AFTER_APPLY),
        Value::Array(a) => a.iter().any(unknown),
        Value::Object(o) => o.values().any(unknown),
        _ => false,
    }
}

/// Replace every secret (non-empty) inside `value` with [`MASK`].
pub fn mask(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = mask_text(s, secrets),
        Value::Array(a) => a.iter_mut().for_each(|v| mask(v, secrets)),
        Value::Object(o) => o.values_mut().for_each(|v| mask(v, secrets)),
        _ => {}
    }
}

/// `text` with every secret (non-empty) replaced by [`MASK`].
pub fn mask_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    out
}
