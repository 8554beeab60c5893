//! Policy bindings: which guardrail reviews which changes, how.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A decision point of the pipeline: where a binding can apply.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Point {
    /// An entity that does not exist yet is written.
    #[serde(rename = "entity.create")]
    EntityCreate,
    /// An existing entity is changed.
    #[serde(rename = "entity.update")]
    EntityUpdate,
    /// An entity is deleted.
    #[serde(rename = "entity.delete")]
    EntityDelete,
    /// A provider is asked to create or change a resource.
    #[serde(rename = "resource.apply")]
    ResourceApply,
    /// A provider is asked to delete a resource.
    #[serde(rename = "resource.destroy")]
    ResourceDestroy,
    /// An existing resource is adopted.
    #[serde(rename = "resource.import")]
    ResourceImport,
    /// A golden path is run (the run as a whole; what it writes and
    /// provisions is reviewed at its own points).
    #[serde(rename = "path.run")]
    PathRun,
}

impl Point {
    /// Every point, in order.
    pub const ALL: [Point; 7] = [
        Point::EntityCreate,
        Point::EntityUpdate,
        Point::EntityDelete,
        Point::ResourceApply,
        Point::ResourceDestroy,
        Point::ResourceImport,
        Point::PathRun,
    ];

    /// The name used in configuration, e.g. `entity.create`.
    pub fn as_str(self) -> &'static str {
        match self {
            Point::EntityCreate => "entity.create",
            Point::EntityUpdate => "entity.update",
            Point::EntityDelete => "entity.delete",
            Point::ResourceApply => "resource.apply",
            Point::ResourceDestroy => "resource.destroy",
            Point::ResourceImport => "resource.import",
            Point::PathRun => "path.run",
        }
    }
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a binding's verdicts do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A deny blocks the change (default); patches are applied.
    #[default]
    Enforce,
    /// A deny is reported as a warning; the change goes through; patches are applied.
    Warn,
    /// The decision is recorded and nothing else: no block, no patch.
    Audit,
    /// The binding is not consulted.
    Off,
}

/// What a guardrail that fails (times out, traps, answers garbage) means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Failure {
    /// The failure is a deny (default): a broken guardrail never lets a
    /// change through unreviewed.
    #[default]
    Closed,
    /// The failure is recorded and the change is allowed.
    Open,
}

/// Which changes a binding reviews. Every list that is given must match
/// (an empty list matches everything); within a list any item matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Match {
    /// Decision points (empty: all of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Point>,
    /// Entity kinds, case-insensitive (`Component`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Entity namespaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Labels the entity must carry with these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Owners, as entity refs (`group:default/payments`; a bare name is a
    /// group in the default namespace).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Resource types (`postgres.database`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<String>,
    /// Resource environments (`prod`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// One binding: a guardrail, what it matches, its settings and mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// Unique among the platform's bindings; decisions name it.
    pub name: String,
    /// The guardrail that reviews: the name of one of the platform's
    /// guardrails (a wasm plugin under `plugins:`). Give this or `rego`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<String>,
    /// A built-in Rego guardrail (OPA / conftest policies). Give this or
    /// `guardrail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rego: Option<RegoSource>,
    /// Which changes it reviews (default: every change).
    #[serde(default, rename = "match")]
    pub matches: Match,
    /// The guardrail's settings for this binding (validated when the
    /// platform opens); none: the guardrail's own configured settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Value>,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub failure: Failure,
    /// Free text shown with its decisions (what the rule is for, whom to ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A change this (enforcing) binding denies is held for approval by
    /// these groups instead of refused (see [`crate::approval`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::approval::ApprovalRule>,
}

/// Where a Rego binding's policies and data are. Loaded by the facade
/// (`paved-rego`), which registers the guardrail under the binding's name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegoSource {
    /// `.rego` files or directories (relative to the configuration file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PathBuf>,
    /// One Rego module given inline, as text (beside or instead of
    /// `policies`; a `Policy` entity carries its Rego this way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// JSON or YAML data documents, merged into `data`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<PathBuf>,
    /// A data document given inline (a mapping), merged into `data` with
    /// the files'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Value>,
    /// The package whose `deny`, `warn` and `violation` rules count (default:
    /// every package that defines one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

impl Binding {
    /// The name of the guardrail that serves this binding: `guardrail`, or
    /// for a Rego binding, the binding's own name.
    pub fn guardrail_name(&self) -> &str {
        self.guardrail.as_deref().unwrap_or(&self.name)
    }
}

/// What a change offers to match against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facets {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub labels: crate::model::StringMap,
    /// The owner as a full ref key (`group:default/payments`).
    pub owner: Option<String>,
    pub resource_type: Option<String>,
    pub environment: Option<String>,
}

impl Match {
    /// Whether a change at `point` with these facets is reviewed.
    pub(crate) fn matches(&self, point: Point, f: &Facets) -> bool {
        let any = |list: &[String], value: &Option<String>, fold: bool| {
            list.is_empty()
                || value.as_deref().is_some_and(|v| {
                    list.iter().any(|x| {
                        if fold {
                            x.eq_ignore_ascii_case(v)
                        } else {
                            x == v
                        }
                    })
                })
        };
        (self.operations.is_empty() || self.operations.contains(&point))
            && any(&self.kinds, &f.kind, true)
            && any(&self.namespaces, &f.namespace, false)
            && self
                .labels
                .iter()
                .all(|(k, v)| f.labels.get(k).is_some_and(|x| x == v))
            && (self.owners.is_empty()
                || f.owner
                    .as_deref()
                    .is_some_and(|o| self.owners.iter().any(|x| owner_key(x) == o)))
            && any(&self.resource_types, &f.resource_type, false)
            && any(&self.environments, &f.environment, false)
    }
}

/// An owner as written in a binding, as the key relations use.
pub(crate) fn owner_key(owner: &str) -> String {
    crate::model::EntityRef::parse_with(owner, Some("group"), crate::model::refs::DEFAULT_NAMESPACE)
        .map(|r| r.key())
        .unwrap_or_else(|_| owner.to_ascii_lowercase())
}
