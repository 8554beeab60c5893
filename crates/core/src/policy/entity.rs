//! `Policy` entities: policy bindings kept in the catalogue, owned,
//! versioned and queryable like every other entity.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: Policy
//! metadata:
//!   name: components-need-a-lifecycle
//!   description: Every Component says where it is in its life.
//! spec:
//!   owner: group:default/team-platform
//!   rego:                        # or `guardrail: require-owner` (a plugin)
//!     module: |
//!       package paved.lifecycle
//!       deny contains msg if {
//!         input.after.kind == "Component"
//!         not input.after.spec.lifecycle
//!         msg := "spec.lifecycle: give a lifecycle"
//!       }
//!   match: { operations: [entity.create, entity.update], kinds: [Component] }
//!   mode: enforce                # enforce | warn | audit | off
//! ```
//!
//! The binding is named by the entity's ref (`policy:default/components-need-a-lifecycle`),
//! which is what its decisions, `paved policy why` and scorecard rules name.
//! A Policy entity is checked as it is written (its guardrail exists, the
//! guardrail accepts its settings, its Rego compiles): one that would not
//! load is refused with the field that is wrong, and nothing is written.
//! Once committed it reviews the writes that follow, in every process that
//! shares the store (see [`super::live`]); Policy entities review after the
//! bindings of `paved.yaml`, in the order of their refs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::binding::{Binding, Failure, Match, Mode, RegoSource};
use crate::approval::ApprovalRule;
use crate::diagnostic::Diagnostic;
use crate::model::Entity;
use crate::model::kinds::NonEmptyString;

/// The kind of policy entities.
pub const POLICY_KIND: &str = "Policy";
/// The apiVersions a `Policy` entity may carry.
pub const POLICY_API_VERSIONS: &[&str] = &["paved.dev/v1alpha1"];

/// `spec` of a Policy: a binding of a guardrail, kept in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySpec {
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// The guardrail that reviews: one of the platform's guardrail plugins,
    /// by name. Give this or `rego`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<NonEmptyString>,
    /// A Rego policy (OPA / conftest conventions), carried inline. Give
    /// this or `guardrail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rego: Option<InlineRego>,
    /// Which changes it reviews (default: every change).
    #[serde(default, rename = "match")]
    pub matches: Match,
    /// The guardrail's settings (a mapping), checked by the guardrail when
    /// the entity is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Map<String, Value>>,
    /// `enforce` (default), `warn`, `audit` or `off`.
    #[serde(default)]
    pub mode: Mode,
    /// What a failing guardrail means: `closed` (deny, default) or `open`.
    #[serde(default)]
    pub failure: Failure,
    /// Hold a denied change for approval by these groups instead of refusing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRule>,
}

/// A Rego policy given in the entity itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InlineRego {
    /// The Rego module, as text (`package …`, `deny contains msg if …`).
    pub module: NonEmptyString,
    /// A data document (a mapping), the policy's `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// The package whose `deny`, `warn` and `violation` rules count
    /// (default: every package that defines one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// The JSON path of a Policy entity's inline Rego module.
pub(crate) const REGO_MODULE_PATH: &str = "spec.rego.module";

/// Whether `entity` is a Policy entity.
pub(crate) fn is_policy(entity: &Entity) -> bool {
    entity.kind == POLICY_KIND
}

/// The binding a Policy entity declares, named by its ref. Problems carry
/// the JSON path in the entity (`spec.rego`).
pub(crate) fn binding_of(entity: &Entity) -> Result<Binding, Vec<Diagnostic>> {
    let spec = entity
        .spec
        .clone()
        .map(Value::Object)
        .unwrap_or(Value::Null);
    let spec: PolicySpec = serde_path_to_error::deserialize(spec).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            "spec".to_string()
        } else {
            format!("spec.{path}")
        };
        vec![Diagnostic::error(at, e.into_inner().to_string())]
    })?;
    Ok(Binding {
        name: entity.entity_ref().to_string(),
        guardrail: spec.guardrail.map(|g| g.0),
        rego: spec.rego.map(|r| RegoSource {
            module: Some(r.module.0),
            document: r.data.map(Value::Object),
            query: r.query,
            ..RegoSource::default()
        }),
        matches: spec.matches,
        settings: spec.settings.map(Value::Object),
        mode: spec.mode,
        failure: spec.failure,
        description: entity.metadata.description.clone(),
        approval: spec.approval,
    })
}

/// A binding's problem, as it reads for a Policy entity: the path in
/// `paved.yaml` (`policies[0].settings`) becomes the entity's (`spec.settings`).
pub(crate) fn at_spec(mut problem: Diagnostic) -> Diagnostic {
    problem.path = match problem.path.split_once('.') {
        Some((_, rest)) => format!("spec.{rest}"),
        None => "spec".to_string(),
    };
    problem
}
