//! A Template read for running: its spec, version, directory, merged
//! parameter schema and secret fields, and the problems that keep it from
//! running, found when it is loaded rather than at step five: an unknown
//! action, an input the action does not take or of the wrong shape, a bad
//! expression, duplicate step ids. The catalogue reports the same problems
//! (as warnings, with the file's line) when a Template is imported.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::actions::{self, ActionSpec};
use super::expr::Expressions;
use super::params;
use crate::diagnostic::Diagnostic;
use crate::ingest;
use crate::model::Entity;
use crate::model::kinds::{TemplateSpec, spec_as};

/// A Template ready to run.
#[derive(Debug, Clone)]
pub struct Template {
    pub entity: Entity,
    pub spec: TemplateSpec,
    /// `template:namespace/name`.
    pub reference: String,
    /// The content hash, short: changes whenever the Template does.
    pub version: String,
    /// The directory of its file (skeletons are relative to it).
    pub dir: Option<PathBuf>,
    /// Its parameters as one JSON Schema.
    pub schema: Value,
    /// Parameters that hold secrets.
    pub secret_fields: Vec<String>,
}

/// A Template as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSummary {
    pub reference: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub type_: String,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub version: String,
    /// The steps' actions, in order.
    pub actions: Vec<String>,
    /// The form pages (JSON Schema with `ui:*` hints), for front ends.
    pub parameters: Vec<Value>,
    /// Problems that keep it from running (empty: it runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Diagnostic>,
}

/// The directory of the file an entity was read from, from its location annotation.
fn dir_of(entity: &Entity) -> Option<PathBuf> {
    let location = entity
        .metadata
        .annotations
        .get(ingest::ANNOTATION_LOCATION)?;
    let file = location.strip_prefix("file:")?;
    PathBuf::from(file).parent().map(PathBuf::from)
}

/// A Template's version: the hash of what its author wrote, short. Where
/// it was read from (the location annotations) is left out, so the same
/// Template has the same version in every checkout.
pub fn version_of(entity: &Entity) -> String {
    let mut authored = entity.clone();
    for a in [
        ingest::ANNOTATION_LOCATION,
        ingest::ANNOTATION_ORIGIN_LOCATION,
    ] {
        authored.metadata.annotations.remove(a);
    }
    authored.content_hash()[..12].to_string()
}

/// A step's id as outputs and records name it: its `id`, else `step-N`.
pub fn step_id(index: usize, id: Option<&str>) -> String {
    id.map(str::to_string)
        .unwrap_or_else(|| format!("step-{}", index + 1))
}

/// The actions a Template may use besides the built-in ones.
#[derive(Debug, Clone, Copy)]
pub enum Available<'a> {
    /// Not known here (a Template read without a platform): an action that
    /// is not built in is reported as running only if a plugin provides it.
    Unknown,
    /// Exactly these, provided by the platform's action plugins.
    Plugins(&'a [ActionSpec]),
}

impl<'a> Available<'a> {
    /// The action called `name`: built in, or provided by a plugin.
    pub fn find(&self, name: &str) -> Option<&'a ActionSpec> {
        actions::find(name).or_else(|| match self {
            Self::Unknown => None,
            Self::Plugins(specs) => specs.iter().find(|a| a.name == name),
        })
    }
}

/// Every problem that keeps a Template entity from running, with JSON
/// paths, as far as can be told without a platform (see [`Available::Unknown`]).
pub fn problems(entity: &Entity, expressions: &Expressions) -> Vec<Diagnostic> {
    problems_with(entity, expressions, Available::Unknown)
}

/// Every problem that keeps a Template entity from running on a platform
/// whose plugins provide `available` actions.
pub fn problems_with(
    entity: &Entity,
    expressions: &Expressions,
    available: Available<'_>,
) -> Vec<Diagnostic> {
    let spec: TemplateSpec = match spec_as(entity) {
        Ok(s) => s,
        Err(e) => {
            return vec![Diagnostic::error(
                "spec",
                format!("cannot read the template: {e}"),
            )];
        }
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut known: Vec<&str> = actions::builtin().iter().map(|a| a.name.as_str()).collect();
    if let Available::Plugins(specs) = available {
        known.extend(specs.iter().map(|a| a.name.as_str()));
    }
    for (i, step) in spec.steps.iter().enumerate() {
        let base = format!("spec.steps[{i}]");
        if let Some(id) = &step.id
            && !seen.insert(id.clone())
        {
            out.push(Diagnostic::error(
                format!("{base}.id"),
                format!("step id '{id}' is used twice"),
            ));
        }
        match available.find(&step.action) {
            None => out.push(Diagnostic::error(
                format!("{base}.action"),
                match available {
                    Available::Unknown => format!(
                        "unknown action '{}': it runs only if a plugin of the platform provides it (built in: {})",
                        step.action,
                        known.join(", ")
                    ),
                    Available::Plugins(_) => format!(
                        "step {}: unknown action '{}': neither built in nor provided by a plugin of this platform; it runs {}",
                        step_id(i, step.id.as_deref()),
                        step.action,
                        known.join(", ")
                    ),
                },
            )),
            Some(action) => {
                out.extend(action.check_written(step.input.as_ref(), &format!("{base}.input")))
            }
        }
        if let Some(input) = &step.input {
            out.extend(expr_problems(
                expressions,
                &Value::Object(input.clone()),
                &format!("{base}.input"),
            ));
        }
        if let Some(cond) = &step.if_ {
            let cond = serde_json::to_value(cond).unwrap_or_default();
            out.extend(expr_problems(expressions, &cond, &format!("{base}.if")));
        }
        if let Some(each) = &step.each {
            out.extend(expr_problems(expressions, each, &format!("{base}.each")));
        }
        if let Some(rollback) = step.extra.get("rollback")
            && !rollback.is_boolean()
        {
            out.push(Diagnostic::error(
                format!("{base}.rollback"),
                "expected true or false",
            ));
        }
    }
    if let Some(output) = &spec.output {
        let output = serde_json::to_value(output).unwrap_or_default();
        out.extend(expr_problems(expressions, &output, "spec.output"));
    }
    let schema = params::merged_schema(spec.parameters.as_ref());
    if let Err(problems) = params::prepare(&schema, &json!({})) {
        // Missing required parameters are expected here; a broken schema is not.
        out.extend(
            problems
                .into_iter()
                .filter(|d| !d.path.starts_with("parameters")),
        );
    }
    out
}

fn expr_problems(expressions: &Expressions, value: &Value, path: &str) -> Vec<Diagnostic> {
    expressions
        .check(value, path)
        .into_iter()
        .map(|e| Diagnostic::error(e.path, format!("bad expression: {}", e.message)))
        .collect()
}

impl Template {
    /// Read a Template entity for running, or every problem that keeps it from running.
    pub fn from_entity(
        entity: Entity,
        expressions: &Expressions,
        available: Available<'_>,
    ) -> Result<Self, Vec<Diagnostic>> {
        if !entity.kind.eq_ignore_ascii_case("template") {
            return Err(vec![Diagnostic::error(
                "kind",
                format!(
                    "{} is a {}, not a Template",
                    entity.entity_ref(),
                    entity.kind
                ),
            )]);
        }
        let problems = problems_with(&entity, expressions, available);
        if !problems.is_empty() {
            let r = entity.entity_ref().to_string();
            return Err(problems
                .into_iter()
                .map(|d| d.for_entity(r.clone()))
                .collect());
        }
        let spec: TemplateSpec =
            spec_as(&entity).map_err(|e| vec![Diagnostic::error("spec", e.to_string())])?;
        let schema = params::merged_schema(spec.parameters.as_ref());
        let secret_fields = params::secret_fields(&schema);
        let version = version_of(&entity);
        Ok(Self {
            reference: entity.entity_ref().to_string(),
            dir: dir_of(&entity),
            version,
            schema,
            secret_fields,
            spec,
            entity,
        })
    }

    /// The Template as a list shows it.
    pub fn summary(
        entity: &Entity,
        expressions: &Expressions,
        available: Available<'_>,
    ) -> TemplateSummary {
        let spec: Option<TemplateSpec> = spec_as(entity).ok();
        TemplateSummary {
            reference: entity.entity_ref().to_string(),
            name: entity.metadata.name.clone(),
            title: entity.metadata.title.clone(),
            description: entity.metadata.description.clone(),
            type_: entity.spec_str("type").unwrap_or_default().to_string(),
            owner: entity.spec_str("owner").map(str::to_string),
            tags: entity.metadata.tags.clone(),
            version: version_of(entity),
            actions: spec
                .as_ref()
                .map(|s| s.steps.iter().map(|st| st.action.clone()).collect())
                .unwrap_or_default(),
            parameters: params::form_pages(spec.as_ref().and_then(|s| s.parameters.as_ref())),
            problems: problems_with(entity, expressions, available),
        }
    }
}
