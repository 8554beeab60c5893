//! Planning a run: parameters checked, each step's input evaluated and
//! planned against the workspace as earlier steps leave it, then the whole
//! reviewed (the run, every entity it registers, the plan of every
//! resource it provisions) without writing anything.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::Inner;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::ingest;
use crate::model::Entity;
use crate::model::kinds::Condition;
use crate::path::actions::{self, Provenance, StepContext};
use crate::path::template::step_id;
use crate::path::workspace::Workspace;
use crate::path::{
    ANNOTATION_INPUTS, ANNOTATION_RUN, ANNOTATION_SOURCE_TEMPLATE, ANNOTATION_TEMPLATE,
    ANNOTATION_TEMPLATE_VERSION, EntityChange, FileChange, MASK, PathOptions, PathPlan,
    PlannedStep, RunOutput, StepEffect, Template, expressions, mask, params, unknown,
};
use crate::pipeline::{self, WriteOptions};
use crate::resource::ResourceOptions;

/// A run's inputs, checked, and what every step's planning shares.
pub(super) struct Prepared {
    pub template: Template,
    /// Parameters with defaults filled in (secrets in clear: never recorded).
    pub values: Value,
    /// Secrets given with the run.
    pub given_secrets: BTreeMap<String, String>,
    /// Every secret value, to mask wherever it could show.
    pub secrets: Vec<String>,
    /// `parameters`, `secrets`, `user`: what expressions see besides `steps` and `each`.
    pub context: Map<String, Value>,
    pub root: PathBuf,
    pub provenance: Provenance,
    pub actor: String,
    pub team: Option<String>,
}

impl Prepared {
    /// Parameters as records show them: secret fields masked.
    pub fn shown_parameters(&self) -> Value {
        let mut v = self.values.clone();
        if let Value::Object(m) = &mut v {
            for f in &self.template.secret_fields {
                if m.contains_key(f) {
                    m.insert(f.clone(), Value::String(MASK.into()));
                }
            }
        }
        mask(&mut v, &self.secrets);
        v
    }

    pub fn write_options(&self, dry_run: bool) -> WriteOptions {
        WriteOptions {
            actor: Some(self.actor.clone()),
            dry_run,
        }
    }

    pub fn resource_options(&self, dry_run: bool) -> ResourceOptions {
        ResourceOptions {
            actor: Some(self.actor.clone()),
            dry_run,
            ..ResourceOptions::default()
        }
    }
}

fn invalid(path: impl Into<String>, message: impl Into<String>, template: &str) -> Error {
    Error::Invalid {
        diagnostics: vec![Diagnostic::error(path, message).for_entity(template.to_string())],
    }
}

/// Check the parameters and gather what the steps share.
pub(super) async fn prepare(
    inner: &Arc<Inner>,
    template: Template,
    parameters: Value,
    given_secrets: BTreeMap<String, String>,
    opts: &PathOptions,
    run_id: &str,
) -> Result<Prepared> {
    let actor = pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?;
    let values =
        params::prepare(&template.schema, &parameters).map_err(|diagnostics| Error::Invalid {
            diagnostics: diagnostics
                .into_iter()
                .map(|d| d.for_entity(template.reference.clone()))
                .collect(),
        })?;
    let mut secrets = params::secret_values(&values, &template.secret_fields);
    secrets.extend(given_secrets.values().filter(|s| !s.is_empty()).cloned());
    let catalog = super::super::Catalog::new(inner.clone());
    let user = if actor.starts_with("user:") {
        catalog.get(&actor).await.ok()
    } else {
        None
    };
    let team = values
        .get("owner")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            user.as_ref()?
                .relations
                .iter()
                .find(|r| r.r#type == "memberOf")
                .map(|r| r.target_ref.clone())
        });
    let mut secret_context: Map<String, Value> = given_secrets
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    for f in &template.secret_fields {
        if let Some(v) = values.get(f) {
            secret_context.insert(f.clone(), v.clone());
        }
    }
    let mut context = Map::new();
    context.insert("parameters".into(), values.clone());
    context.insert("secrets".into(), Value::Object(secret_context));
    context.insert(
        "user".into(),
        json!({"ref": actor, "entity": user.as_ref().map(Entity::to_value)}),
    );
    context.insert("context".into(), json!({"runId": run_id}));
    let root = match &opts.workspace {
        Some(w) => PathBuf::from(w),
        None => PathBuf::from(".paved").join("workspaces").join(run_id),
    };
    let root = std::path::absolute(&root).map_err(|e| {
        invalid(
            "workspace",
            format!("cannot use {} as the workspace: {e}", root.display()),
            &template.reference,
        )
    })?;
    let inputs = params::without_secrets(&values, &template.secret_fields);
    let provenance = Provenance {
        annotations: vec![
            (ANNOTATION_TEMPLATE.into(), template.reference.clone()),
            (ANNOTATION_TEMPLATE_VERSION.into(), template.version.clone()),
            (ANNOTATION_RUN.into(), run_id.to_string()),
            (
                ANNOTATION_INPUTS.into(),
                crate::path::mask_text(&inputs.to_string(), &secrets),
            ),
            (
                ANNOTATION_SOURCE_TEMPLATE.into(),
                template.reference.clone(),
            ),
        ],
    };
    Ok(Prepared {
        template,
        values,
        given_secrets,
        secrets,
        context,
        root,
        provenance,
        actor,
        team,
    })
}

/// The expression context with the steps' outputs so far.
fn context_with(p: &Prepared, steps: &Map<String, Value>) -> Map<String, Value> {
    let mut ctx = p.context.clone();
    ctx.insert("steps".into(), Value::Object(steps.clone()));
    ctx
}

fn condition_value(c: &Condition) -> Value {
    match c {
        Condition::Bool(b) => Value::Bool(*b),
        Condition::Expression(s) => Value::String(s.clone()),
    }
}

/// Plan step `index` against `ws`, given the outputs of the steps before
/// it; its output is added to `steps`. Nothing is written. A step whose
/// action a plugin provides is planned by calling the plugin (`dry_run`:
/// whether the run is only previewed).
pub(super) async fn plan_step(
    inner: &Inner,
    p: &Prepared,
    index: usize,
    ws: &mut Workspace,
    steps: &mut Map<String, Value>,
    dry_run: bool,
) -> Result<PlannedStep> {
    let step = &p.template.spec.steps[index];
    let id = step_id(index, step.id.as_deref());
    let base = format!("spec.steps[{index}]");
    let name = step.name.clone().unwrap_or_else(|| id.clone());
    let tref = &p.template.reference;
    let rollback = step.extra.get("rollback").and_then(Value::as_bool) != Some(false);
    let expressions = expressions();
    let mut ctx = context_with(p, steps);
    let expr_error = |e: crate::path::expr::ExprError| {
        invalid(e.path, crate::path::mask_text(&e.message, &p.secrets), tref)
    };
    let skipped = match &step.if_ {
        Some(c) => !expressions
            .condition(
                &condition_value(c),
                &Value::Object(ctx.clone()),
                &format!("{base}.if"),
            )
            .map_err(expr_error)?,
        None => false,
    };
    let mut planned = PlannedStep {
        id: id.clone(),
        name,
        action: step.action.clone(),
        skipped,
        effects: Vec::new(),
        output: json!({}),
        rollback,
        provisional: false,
    };
    if skipped {
        steps.insert(id, json!({"output": {}}));
        return Ok(planned);
    }
    let iterations: Option<Vec<Value>> = match &step.each {
        None => None,
        Some(each) => {
            let items = expressions
                .evaluate(each, &Value::Object(ctx.clone()), &format!("{base}.each"))
                .map_err(expr_error)?;
            Some(match items {
                Value::Array(a) => a
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| json!({"key": i.to_string(), "value": v}))
                    .collect(),
                Value::Object(o) => o
                    .into_iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect(),
                other => {
                    return Err(invalid(
                        format!("{base}.each"),
                        format!("expected a list or a mapping to run the step for, found {other}"),
                        tref,
                    ));
                }
            })
        }
    };
    let provided = inner.plugins.action(&step.action);
    let spec = actions::find(&step.action)
        .or(provided.map(|(spec, _)| spec))
        .ok_or_else(|| {
            invalid(
                format!("{base}.action"),
                format!(
                    "step {id}: unknown action '{}': neither built in nor provided by a plugin of this platform",
                    step.action
                ),
                tref,
            )
        })?;
    let cx = StepContext {
        template_dir: p.template.dir.as_deref(),
        expressions,
        provenance: &p.provenance,
        kinds: &inner.kinds,
        limits: &inner.limits,
        reading: &inner.reading,
    };
    let input = Value::Object(step.input.clone().unwrap_or_default());
    let mut outputs = Vec::new();
    for each in iterations.clone().unwrap_or_else(|| vec![Value::Null]) {
        if !each.is_null() {
            ctx.insert("each".into(), each);
        }
        let evaluated = expressions
            .evaluate(
                &input,
                &Value::Object(ctx.clone()),
                &format!("{base}.input"),
            )
            .map_err(expr_error)?;
        let problems = spec.check_evaluated(&evaluated, &format!("{base}.input"));
        if !problems.is_empty() {
            return Err(Error::Invalid {
                diagnostics: problems
                    .into_iter()
                    .map(|mut d| {
                        d.message = crate::path::mask_text(&d.message, &p.secrets);
                        d.for_entity(tref.clone())
                    })
                    .collect(),
            });
        }
        let done = match (actions::find(&step.action), provided) {
            (None, Some((spec, plugin))) => {
                plugin_step(plugin.as_ref(), spec, evaluated, dry_run, ws).await
            }
            _ => actions::plan(&step.action, &evaluated, &cx, ws),
        }
        .map_err(|m| {
            invalid(
                base.clone(),
                format!(
                    "step {id} ({}): {}",
                    step.action,
                    crate::path::mask_text(&m, &p.secrets)
                ),
                tref,
            )
        })?;
        planned.effects.extend(done.effects);
        outputs.push(done.output);
    }
    planned.output = match iterations {
        None => outputs.pop().unwrap_or_else(|| json!({})),
        Some(_) => Value::Array(outputs),
    };
    steps.insert(id, json!({"output": planned.output}));
    Ok(planned)
}

/// Plan a step whose action plugin `plugin` provides: call it with the
/// evaluated input, then check what it generated. Its files go under the
/// input's `targetPath` (when the host added it to the schema), each path
/// checked like any other of the workspace; its log lines become log
/// effects; its output is the step's.
async fn plugin_step(
    plugin: &dyn crate::plugin::ActionPlugin,
    spec: &actions::ActionSpec,
    mut input: Value,
    dry_run: bool,
    ws: &mut Workspace,
) -> std::result::Result<actions::Planned, String> {
    use crate::path::workspace;
    let target = if spec.host_target {
        let t = input
            .as_object_mut()
            .and_then(|m| m.remove("targetPath"))
            .and_then(|v| v.as_str().map(str::to_string));
        workspace::clean(t.as_deref().unwrap_or("./"), "targetPath")?
    } else {
        String::new()
    };
    let request = crate::plugin::ActionRequest {
        action: spec.name.clone(),
        input,
        dry_run,
    };
    let result = plugin
        .run(&request)
        .await
        .map_err(|e| format!("plugin '{}' failed: {e}", plugin.name()))?;
    let mut effects = Vec::new();
    for line in result.log {
        effects.push(StepEffect::Log { message: line });
    }
    for file in result.files {
        let rel = workspace::clean(
            &file.path,
            &format!("a file plugin '{}' generated", plugin.name()),
        )?;
        if rel.is_empty() {
            return Err(format!(
                "plugin '{}' generated a file with an empty path",
                plugin.name()
            ));
        }
        let dest = if target.is_empty() {
            rel
        } else {
            format!("{target}/{rel}")
        };
        ws.put(&dest, file.content.clone())?;
        effects.push(StepEffect::write(&dest, file.content));
    }
    Ok(actions::Planned {
        effects,
        output: match result.output {
            Value::Null => json!({}),
            other => other,
        },
    })
}

/// Whether a step's written input, `if` or `each` names one of `ids`' outputs.
fn uses_steps(p: &Prepared, index: usize, ids: &HashSet<String>) -> bool {
    if ids.is_empty() {
        return false;
    }
    let step = &p.template.spec.steps[index];
    let text = serde_json::to_string(&(&step.input, &step.if_, &step.each)).unwrap_or_default();
    ids.iter().any(|id| {
        [
            format!("steps.{id}"),
            format!("steps['{id}']"),
            format!("steps[\\\"{id}\\\"]"),
        ]
        .iter()
        .any(|needle| text.contains(needle.as_str()))
    })
}

/// The Template's `output`, evaluated with the steps' outputs.
pub(super) fn output(p: &Prepared, steps: &Map<String, Value>) -> Result<RunOutput> {
    let Some(out) = &p.template.spec.output else {
        return Ok(RunOutput::default());
    };
    let ctx = Value::Object(context_with(p, steps));
    let e = expressions();
    let tref = &p.template.reference;
    let expr_error = |e: crate::path::expr::ExprError| invalid(e.path, e.message, tref);
    let mut result = RunOutput::default();
    let keep = |item: &Value, path: &str| -> Result<Option<Value>> {
        if let Some(cond) = item.get("if")
            && !e
                .condition(cond, &ctx, &format!("{path}.if"))
                .map_err(expr_error)?
        {
            return Ok(None);
        }
        let mut item = item.clone();
        if let Value::Object(m) = &mut item {
            m.remove("if");
        }
        Ok(Some(e.evaluate(&item, &ctx, path).map_err(expr_error)?))
    };
    for (i, link) in out.links.iter().flatten().enumerate() {
        let link = serde_json::to_value(link).unwrap_or_default();
        if let Some(v) = keep(&link, &format!("spec.output.links[{i}]"))? {
            result.links.push(v);
        }
    }
    for (i, text) in out.text.iter().flatten().enumerate() {
        let text = serde_json::to_value(text).unwrap_or_default();
        if let Some(v) = keep(&text, &format!("spec.output.text[{i}]"))? {
            result.text.push(v);
        }
    }
    for (k, v) in &out.values {
        let value = e
            .evaluate(&Value::String(v.clone()), &ctx, &format!("spec.output.{k}"))
            .map_err(expr_error)?;
        result.values.insert(k.clone(), value);
    }
    let mut as_value = serde_json::to_value(&result).unwrap_or_default();
    mask(&mut as_value, &p.secrets);
    Ok(serde_json::from_value(as_value).unwrap_or_default())
}

/// The entities a plan registers (Resource entities included), checked.
pub(super) fn entities_of(steps: &[PlannedStep]) -> Result<Vec<(String, Entity, bool)>> {
    let mut out = Vec::new();
    for step in steps {
        for effect in &step.effects {
            let (value, resource) = match effect {
                StepEffect::Register { entity } => (entity, false),
                StepEffect::ApplyResource { entity } => (entity, true),
                _ => continue,
            };
            let entity: Entity = serde_json::from_value(value.clone()).map_err(|e| {
                Error::invalid(Diagnostic::error(
                    "entity",
                    format!("step {}: {e}", step.id),
                ))
            })?;
            out.push((step.id.clone(), entity, resource));
        }
    }
    Ok(out)
}

/// Identifies a plan's effects (secrets masked): equal digests, same run.
/// The run's own id (in provenance annotations and the default workspace)
/// is left out, so a preview and the run that follows it agree.
pub(super) fn digest(version: &str, steps: &[PlannedStep], run_id: &str) -> String {
    let text = serde_json::to_string(steps)
        .unwrap_or_default()
        .replace(run_id, "<run>");
    let mut h = Sha256::new();
    h.update(version.as_bytes());
    h.update(text.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// A step as records show it: effects and output with secrets masked.
pub(super) fn masked(step: &PlannedStep, secrets: &[String]) -> PlannedStep {
    let mut v = serde_json::to_value(step).unwrap_or_default();
    mask(&mut v, secrets);
    serde_json::from_value(v).unwrap_or_else(|_| step.clone())
}

/// Plan a whole run and review it. Returns the plan (secrets masked) and
/// what executing it needs.
pub(super) async fn plan(
    inner: &Arc<Inner>,
    template: Template,
    parameters: Value,
    opts: &PathOptions,
    run_id: &str,
) -> Result<(PathPlan, Prepared)> {
    let p = prepare(
        inner,
        template,
        parameters,
        opts.secrets.clone(),
        opts,
        run_id,
    )
    .await?;
    let mut ws = Workspace::new(p.root.clone());
    let mut steps = Map::new();
    let mut unknown_ids = HashSet::new();
    let mut planned = Vec::new();
    for index in 0..p.template.spec.steps.len() {
        let mut step = plan_step(inner, &p, index, &mut ws, &mut steps, true).await?;
        step.provisional = uses_steps(&p, index, &unknown_ids);
        if unknown(&step.output) || step.provisional {
            unknown_ids.insert(step.id.clone());
        }
        planned.push(step);
    }
    let output = output(&p, &steps)?;
    let files = ws
        .changes()
        .map_err(|m| invalid("workspace", m, &p.template.reference))?
        .into_iter()
        .map(|(path, content, existed)| {
            let change = match (&content, existed) {
                (None, _) => "delete",
                (Some(_), true) => "update",
                (Some(_), false) => "create",
            };
            let (content, binary) = match content.map(|c| StepEffect::write(&path, c)) {
                Some(StepEffect::WriteFile {
                    content, binary, ..
                }) => (Some(crate::path::mask_text(&content, &p.secrets)), binary),
                _ => (None, false),
            };
            FileChange {
                path,
                action: change.into(),
                content,
                binary,
            }
        })
        .collect();

    // What the run registers and provisions, reviewed as its writes will be.
    let registered = entities_of(&planned)?;
    let catalog = super::super::Catalog::new(inner.clone());
    let ctx = inner.context().await?;
    let mut items = vec![pipeline::run_item(
        &p.template.entity,
        p.shown_parameters(),
        &p.actor,
    )];
    let mut entities = Vec::new();
    let mut resources = Vec::new();
    for (step, entity, resource) in &registered {
        let (checked, _) = ingest::load_one(entity.to_value(), &inner.kinds)?;
        let before = match catalog.get(&checked.entity_ref().to_string()).await {
            Ok(e) => Some(e),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let outcome = match &before {
            None => "created",
            Some(b) if b.metadata.etag.as_deref() == Some(checked.content_hash().as_str()) => {
                "unchanged"
            }
            Some(_) => "updated",
        };
        let mut shown = checked.to_value();
        mask(&mut shown, &p.secrets);
        entities.push(EntityChange {
            entity_ref: checked.entity_ref().to_string(),
            outcome: outcome.into(),
            entity: shown,
            step: step.clone(),
        });
        if outcome != "unchanged" {
            items.push(pipeline::upsert_item(
                checked.clone(),
                before.as_ref(),
                &p.actor,
            ));
        }
        if *resource {
            resources.push(checked);
        }
    }
    let mut decisions = pipeline::preview_changes(&ctx, items, &p.write_options(true)).await?;
    drop(ctx);
    let resource_plan = if resources.is_empty() {
        None
    } else {
        let refs: Vec<String> = resources
            .iter()
            .map(|e| e.entity_ref().to_string())
            .collect();
        let plan = super::super::Resources::new(inner.clone())
            .plan_with(&resources, &refs, &p.resource_options(true))
            .await?;
        decisions.extend(plan.decisions.iter().cloned());
        Some(plan)
    };
    let blocked = decisions.iter().any(|d| d.blocking);
    let steps: Vec<PlannedStep> = planned.iter().map(|s| masked(s, &p.secrets)).collect();
    let digest = digest(&p.template.version, &steps, run_id);
    let plan = PathPlan {
        template: p.template.reference.clone(),
        template_version: p.template.version.clone(),
        parameters: p.shown_parameters(),
        workspace: p.root.display().to_string(),
        steps,
        files,
        entities,
        resources: resource_plan,
        decisions,
        blocked,
        output,
        digest,
    };
    Ok((plan, p))
}
