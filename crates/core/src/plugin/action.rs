//! The [`ActionPlugin`] trait: provides golden-path actions a Template's
//! steps can use besides the built-in ones. An action is pure: from a
//! step's evaluated input it computes files, an output and log lines; the
//! platform writes the files into the run's workspace (every path checked)
//! as part of the run's plan, so a dry run shows them and a run journals
//! and rolls them back like any other file.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;

/// One action a plugin provides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionInfo {
    /// The name a Template step uses, e.g. `acme:service-files`.
    pub name: String,
    /// What it does, for people.
    pub description: String,
    /// JSON Schema of the step's input.
    pub input_schema: Value,
    /// JSON Schema of the step's output, if published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

/// Run one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequest {
    /// Which action, e.g. `acme:service-files`.
    pub action: String,
    /// The step's evaluated input (checked against the input schema).
    pub input: Value,
    /// Whether the run is only previewed.
    #[serde(default)]
    pub dry_run: bool,
}

/// One generated file, relative to the step's target directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedFile {
    pub path: String,
    pub content: Vec<u8>,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// Files to write into the workspace.
    #[serde(default)]
    pub files: Vec<GeneratedFile>,
    /// The step's output.
    #[serde(default)]
    pub output: Value,
    /// Lines for the run's log.
    #[serde(default)]
    pub log: Vec<String>,
}

/// A plugin providing golden-path actions. Implemented by `paved-plugins`
/// for wasm components and natively by tests.
#[async_trait]
pub trait ActionPlugin: Send + Sync {
    /// The name it is configured under (used in errors and logs).
    fn name(&self) -> &str;

    /// The actions it provides, with their input schemas.
    async fn describe(&self) -> Result<Vec<ActionInfo>>;

    /// Run one of its actions: compute files, output and log lines.
    async fn run(&self, request: &ActionRequest) -> Result<ActionResult>;
}
