//! Executing a plan: the run is recorded and leased, then each step is
//! journaled (intent with what was there before, then result), performed
//! through the one pipeline (entities) and the resource engine (resources),
//! and on failure undone in reverse. A run interrupted by a crash is
//! resumed from its last completed step: the step under way is done again
//! (every effect is idempotent: the same file content, an unchanged entity,
//! a resource already applied), planned against the workspace as it was
//! before it began, so no side effect happens twice.
//!
//! Crash points (for the crash tests, as `resource::journal`): with
//! `PAVED_CRASH_AT=path-after-intent:STEP` or `path-after-effects:STEP` the
//! process kills itself there.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::Inner;
use super::plan::{self, Prepared};
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::path::record::{DoneEffect, Prior, Progress};
use crate::path::workspace::{self, Workspace};
use crate::path::{
    PathOptions, RunRecord, RunStatus, StepEffect, StepRecord, StepStatus, Template, expressions,
    mask, mask_text,
};
use crate::pipeline;
use crate::resource::journal::crash_point;
use crate::resource::lease::{Leases, holder};
use crate::resource::state::ResultStatus;
use crate::store::{AuditOnly, RunRow};

/// A new run id.
pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// The ref of an entity given as JSON.
fn ref_of(entity: &Value) -> Result<String> {
    let e: Entity = serde_json::from_value(entity.clone())
        .map_err(|e| Error::invalid(crate::Diagnostic::error("entity", e.to_string())))?;
    Ok(e.entity_ref().to_string())
}

fn lease_key(id: &str) -> String {
    format!("path-run:{id}")
}

/// The ids of runs some process is working on now (their lease is live).
pub(super) async fn live_runs(inner: &Inner) -> Result<HashSet<String>> {
    let now = chrono::Utc::now().timestamp_millis();
    Ok(inner
        .store
        .leases()
        .await?
        .into_iter()
        .filter(|l| l.expires_at_ms > now)
        .filter_map(|l| l.resource.strip_prefix("path-run:").map(str::to_string))
        .collect())
}

pub(super) fn record_of(row: &RunRow) -> Result<RunRecord> {
    serde_json::from_str(&row.doc)
        .map_err(|e| Error::store_msg(format!("the record of run {} is not readable: {e}", row.id)))
}

/// A run being executed: its record, as last written, and what it needs.
struct Execution<'a> {
    inner: &'a Arc<Inner>,
    p: Prepared,
    record: RunRecord,
    revision: i64,
    progress: Option<UnboundedSender<Progress>>,
    /// Each step's output, unmasked, for the steps after it.
    outputs: Map<String, Value>,
}

impl Execution<'_> {
    fn tell(&self, step: Option<&str>, status: &str, message: String) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(Progress {
                run: self.record.id.clone(),
                step: step.map(str::to_string),
                status: status.into(),
                message: mask_text(&message, &self.p.secrets),
            });
        }
    }

    /// Write the record as the next revision.
    async fn save(&mut self) -> Result<()> {
        let mut doc = serde_json::to_value(&self.record).unwrap_or_default();
        // Secrets never reach the store (the sealed copy is not readable).
        let sealed = doc.as_object_mut().and_then(|m| m.remove("sealed"));
        mask(&mut doc, &self.p.secrets);
        if let (Some(s), Some(m)) = (sealed, doc.as_object_mut()) {
            m.insert("sealed".into(), s);
        }
        self.revision += 1;
        let row = RunRow {
            id: self.record.id.clone(),
            template: self.record.template.clone(),
            actor: self.record.actor.clone(),
            status: self.record.status.as_str().into(),
            started_at: self.record.started_at.clone(),
            finished_at: self.record.finished_at.clone(),
            revision: self.revision,
            doc: doc.to_string(),
        };
        if self.revision == 1 {
            self.inner.store.run_create(&row).await
        } else {
            self.inner.store.run_update(&row).await
        }
    }
}

/// Plan, refuse if blocked, record, lease and execute a run.
pub(super) async fn start(
    inner: &Arc<Inner>,
    template: Template,
    parameters: Value,
    opts: &PathOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<RunRecord> {
    let id = new_id();
    let template_entity = template.entity.to_value();
    let (planned, p) = plan::plan(inner, template, parameters, opts, &id).await?;
    if let Some(expected) = &opts.expect_digest
        && *expected != planned.digest
    {
        return Err(Error::invalid(crate::Diagnostic::error(
            "expectDigest",
            format!(
                "the run would no longer do what was previewed (digest {expected}, now {}): preview it again",
                planned.digest
            ),
        )));
    }
    let ctx = inner.context().await?;
    if planned.blocked {
        pipeline::refuse_blocked(&ctx, planned.decisions.clone(), &p.write_options(false)).await?;
    }
    // The run starts: audited (checks see it) before anything is done.
    pipeline::record_effects(
        &ctx,
        vec![AuditOnly {
            action: "path.run".into(),
            subject: p.template.reference.clone(),
            details: json!({"run": id, "templateVersion": p.template.version, "parameters": p.shown_parameters(), "digest": planned.digest}),
            event: "path.started".into(),
        }],
        &p.write_options(false),
    )
    .await?;
    drop(ctx);
    let sealed = inner
        .sealer
        .seal(
            &lease_key(&id),
            &json!({"parameters": p.values, "secrets": p.given_secrets}),
        )
        .ok();
    let steps = planned
        .steps
        .iter()
        .map(|s| StepRecord {
            id: s.id.clone(),
            name: s.name.clone(),
            action: s.action.clone(),
            status: if s.skipped {
                StepStatus::Skipped
            } else {
                StepStatus::Pending
            },
            rollback: s.rollback,
            started_at: None,
            finished_at: None,
            effects: Vec::new(),
            output: Value::Null,
            error: None,
        })
        .collect();
    let record = RunRecord {
        id: id.clone(),
        template: p.template.reference.clone(),
        template_version: p.template.version.clone(),
        actor: p.actor.clone(),
        team: p.team.clone(),
        status: RunStatus::Running,
        started_at: crate::audit::now(),
        finished_at: None,
        parameters: p.shown_parameters(),
        workspace: p.root.display().to_string(),
        steps,
        plan: planned,
        output: Default::default(),
        log: Vec::new(),
        error: None,
        undone: Vec::new(),
        not_undone: Vec::new(),
        template_entity,
        sealed,
    };
    let mut run = Execution {
        inner,
        p,
        record,
        revision: 0,
        progress,
        outputs: Map::new(),
    };
    run.save().await?;
    let lease = Leases::acquire(
        inner.store_arc(),
        &[lease_key(&id)],
        &holder(&run.p.actor),
        "path.run",
        inner.resources.lease_ttl,
    )
    .await?;
    let outcome = execute(&mut run).await;
    lease.release().await;
    outcome
}

/// Continue an interrupted run.
pub(super) async fn resume(
    inner: &Arc<Inner>,
    id: &str,
    opts: &PathOptions,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<RunRecord> {
    let row = inner
        .store
        .run_get(id)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "run",
            id: id.to_string(),
            hint: None,
        })?;
    let record = record_of(&row)?;
    if record.status != RunStatus::Running {
        return Err(Error::invalid(crate::Diagnostic::error(
            "run",
            format!(
                "run {id} has {}: there is nothing to resume",
                record.status.as_str()
            ),
        )));
    }
    let actor = opts.actor.clone().unwrap_or_else(|| record.actor.clone());
    // Resuming is audited (the checks see it) before anything is done.
    pipeline::record_effects(
        &inner.context().await?,
        vec![AuditOnly {
            action: "path.resume".into(),
            subject: record.template.clone(),
            details: json!({"run": id}),
            event: "path.resumed".into(),
        }],
        &pipeline::WriteOptions::actor(actor.clone()),
    )
    .await?;
    let lease = Leases::acquire(
        inner.store_arc(),
        &[lease_key(id)],
        &holder(&actor),
        "path.resume",
        inner.resources.lease_ttl,
    )
    .await?;
    let entity: Entity = serde_json::from_value(record.template_entity.clone())
        .map_err(|e| Error::store_msg(format!("the Template of run {id} is not readable: {e}")))?;
    let template = Template::from_entity(
        entity,
        expressions(),
        crate::path::template::Available::Plugins(inner.plugins.actions()),
    )
    .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    let (parameters, secrets) = match record
        .sealed
        .as_deref()
        .map(|s| inner.sealer.open(&lease_key(id), s))
    {
        Some(Ok(v)) => (
            v.get("parameters").cloned().unwrap_or_default(),
            serde_json::from_value(v.get("secrets").cloned().unwrap_or_default())
                .unwrap_or_default(),
        ),
        _ => (record.parameters.clone(), opts.secrets.clone()),
    };
    let resume_opts = PathOptions {
        actor: Some(record.actor.clone()),
        workspace: Some(record.workspace.clone()),
        ..PathOptions::default()
    };
    let p = plan::prepare(inner, template, parameters, secrets, &resume_opts, id).await?;
    let mut outputs = Map::new();
    for s in &record.steps {
        if matches!(s.status, StepStatus::Done | StepStatus::Skipped) {
            outputs.insert(s.id.clone(), json!({"output": s.output}));
        }
    }
    let mut run = Execution {
        inner,
        p,
        revision: row.revision,
        record,
        progress,
        outputs,
    };
    run.record.log.push(format!(
        "resumed by {}",
        holder(opts.actor.as_deref().unwrap_or(&run.record.actor))
    ));
    run.tell(None, "log", format!("resuming run {id}"));
    let outcome = execute(&mut run).await;
    lease.release().await;
    outcome
}

/// The workspace's root.
fn root(run: &Execution<'_>) -> PathBuf {
    PathBuf::from(&run.record.workspace)
}

/// Execute every step not done yet; on failure undo. The record is returned
/// whatever the run's outcome; an error means the record could not be kept.
async fn execute(run: &mut Execution<'_>) -> Result<RunRecord> {
    for index in 0..run.record.steps.len() {
        match run.record.steps[index].status {
            StepStatus::Done | StepStatus::Skipped => {
                let s = &run.record.steps[index];
                if s.status == StepStatus::Skipped {
                    let (id, name) = (s.id.clone(), s.name.clone());
                    run.outputs.insert(id.clone(), json!({"output": {}}));
                    run.tell(Some(&id), "skipped", format!("{name}: its `if` is false"));
                }
                continue;
            }
            _ => {}
        }
        if let Err(e) = step(run, index).await {
            let message = mask_text(&e.to_string(), &run.p.secrets);
            let s = &mut run.record.steps[index];
            s.status = StepStatus::Failed;
            s.error = Some(message.clone());
            s.finished_at = Some(crate::audit::now());
            let id = s.id.clone();
            run.record.error = Some(format!("step {id} failed: {message}"));
            run.tell(Some(&id), "failed", message);
            run.save().await?;
            undo(run, index).await?;
            return finish(run).await;
        }
    }
    match plan::output(&run.p, &run.outputs) {
        Ok(out) => run.record.output = out,
        Err(e) => run
            .record
            .log
            .push(format!("the output could not be made: {e}")),
    }
    run.record.status = RunStatus::Succeeded;
    finish(run).await
}

async fn finish(run: &mut Execution<'_>) -> Result<RunRecord> {
    run.record.finished_at = Some(crate::audit::now());
    run.save().await?;
    let ctx = run.inner.context().await?;
    let summary = run.record.summary();
    pipeline::record_effects(
        &ctx,
        vec![AuditOnly {
            action: "path.finished".into(),
            subject: run.record.template.clone(),
            details: json!({"run": run.record.id, "status": run.record.status.as_str(), "durationMs": summary.duration_ms, "error": run.record.error, "undone": run.record.undone}),
            event: "path.finished".into(),
        }],
        &run.p.write_options(false),
    )
    .await?;
    run.tell(None, "finished", run.record.status.as_str().into());
    let mut out = run.record.clone();
    out.sealed = None;
    let mut v = serde_json::to_value(&out).unwrap_or_default();
    mask(&mut v, &run.p.secrets);
    Ok(serde_json::from_value(v).unwrap_or(out))
}

/// What is there now where `effect` acts, to undo it.
async fn prior_of(run: &Execution<'_>, effect: &StepEffect) -> Result<Prior> {
    use base64::Engine;
    let file = |path: &str| -> Result<Option<String>> {
        workspace::read(&root(run), path)
            .map(|b| b.map(|b| base64::engine::general_purpose::STANDARD.encode(b)))
            .map_err(|m| Error::invalid(crate::Diagnostic::error("workspace", m)))
    };
    let files = |paths: &[&str]| -> Result<Prior> {
        Ok(Prior::Files {
            files: paths
                .iter()
                .map(|p| Ok(((*p).to_string(), file(p)?)))
                .collect::<Result<_>>()?,
        })
    };
    Ok(match effect {
        StepEffect::WriteFile { path, .. } | StepEffect::DeleteFile { path } => files(&[path])?,
        StepEffect::RenameFile { from, to } => files(&[from, to])?,
        StepEffect::Register { entity } | StepEffect::ApplyResource { entity } => {
            let r = ref_of(entity)?;
            let before = match super::super::Catalog::new(run.inner.clone()).get(&r).await {
                Ok(e) => Some(e.to_value()),
                Err(Error::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            let provisioned = match effect {
                StepEffect::ApplyResource { .. } => run
                    .inner
                    .store
                    .resource_state(&crate::platform::resources::resource_key(&r)?)
                    .await?
                    .is_some(),
                _ => false,
            };
            Prior::Entity {
                entity_ref: r,
                entity: before,
                provisioned,
            }
        }
        StepEffect::Log { .. } | StepEffect::Wait { .. } => Prior::None,
    })
}

/// Plan step `index` again, now, and perform it.
async fn step(run: &mut Execution<'_>, index: usize) -> Result<()> {
    let resumed = run.record.steps[index].status == StepStatus::Started;
    let id = run.record.steps[index].id.clone();
    // Planned against the workspace as it was before the step began.
    let mut ws = Workspace::new(root(run));
    if resumed {
        for done in &run.record.steps[index].effects {
            if let Prior::Files { files } = &done.prior {
                for (path, content) in files {
                    ws.assume(path, content.as_deref().map(|c| StepEffect::bytes(c, true)));
                }
            }
        }
    }
    let mut outputs = run.outputs.clone();
    let planned = plan::plan_step(run.inner, &run.p, index, &mut ws, &mut outputs, false).await?;
    let preview = &run.record.plan.steps[index];
    if !preview.provisional && plan::masked(&planned, &run.p.secrets).effects != preview.effects {
        return Err(Error::invalid(crate::Diagnostic::error(
            format!("spec.steps[{index}]"),
            format!(
                "step {id} would now do something other than its preview (the skeleton, the catalogue or the workspace changed meanwhile): preview the run again"
            ),
        )));
    }
    if planned.skipped {
        run.record.steps[index].status = StepStatus::Skipped;
        run.outputs.insert(id.clone(), json!({"output": {}}));
        run.tell(Some(&id), "skipped", format!("{id} skipped"));
        return run.save().await;
    }
    // Intent: what the step will do and what is there now.
    if !resumed {
        let mut effects = Vec::new();
        for effect in &planned.effects {
            effects.push(DoneEffect {
                prior: prior_of(run, effect).await?,
                effect: effect.clone(),
                duration_ms: 0,
                done: false,
            });
        }
        let s = &mut run.record.steps[index];
        s.status = StepStatus::Started;
        s.started_at = Some(crate::audit::now());
        s.effects = effects;
        run.tell(Some(&id), "started", planned.name.clone());
        run.save().await?;
    }
    crash_point(&format!("path-after-intent:{id}"));
    let mut output = planned.output.clone();
    for (n, effect) in planned.effects.iter().enumerate() {
        let started = Instant::now();
        if let Some(out) = perform(run, effect).await? {
            // resource:apply: the provider's outputs replace `(known after apply)`.
            if let Value::Object(o) = &mut output {
                o.insert("outputs".into(), out);
            }
        }
        if let Some(done) = run.record.steps[index].effects.get_mut(n) {
            done.done = true;
            done.duration_ms = started.elapsed().as_millis() as u64;
        }
    }
    crash_point(&format!("path-after-effects:{id}"));
    run.outputs.insert(id.clone(), json!({"output": output}));
    let s = &mut run.record.steps[index];
    s.status = StepStatus::Done;
    s.finished_at = Some(crate::audit::now());
    s.output = output;
    run.tell(Some(&id), "done", planned.name);
    run.save().await
}

fn workspace_error(m: String) -> Error {
    Error::invalid(crate::Diagnostic::error("workspace", m))
}

/// Perform one effect; a resource's outputs are returned.
async fn perform(run: &mut Execution<'_>, effect: &StepEffect) -> Result<Option<Value>> {
    let root = root(run);
    let opts = run.p.write_options(false);
    match effect {
        StepEffect::WriteFile {
            path,
            content,
            binary,
        } => {
            workspace::write(&root, path, &StepEffect::bytes(content, *binary))
                .map_err(workspace_error)?;
        }
        StepEffect::DeleteFile { path } => {
            workspace::remove(&root, path).map_err(workspace_error)?
        }
        StepEffect::RenameFile { from, to } => {
            let done = workspace::read(&root, from)
                .map_err(workspace_error)?
                .is_none()
                && workspace::read(&root, to)
                    .map_err(workspace_error)?
                    .is_some();
            if !done {
                workspace::rename(&root, from, to).map_err(workspace_error)?;
            }
        }
        StepEffect::Register { entity } => {
            super::super::Catalog::new(run.inner.clone())
                .upsert(entity.clone(), None, &opts)
                .await?;
        }
        StepEffect::ApplyResource { entity } => {
            let r = ref_of(entity)?;
            super::super::Catalog::new(run.inner.clone())
                .upsert(entity.clone(), None, &opts)
                .await?;
            let resources = super::super::Resources::new(run.inner.clone());
            let report = resources
                .apply(std::slice::from_ref(&r), &run.p.resource_options(false))
                .await?;
            if let Some((resource, why)) = report.first_failure() {
                return Err(Error::invalid(crate::Diagnostic::error(
                    "resource",
                    format!("{resource} could not be provisioned: {why}"),
                )));
            }
            let outputs = resources
                .outputs(&r, false, &run.p.resource_options(false))
                .await?;
            return Ok(Some(outputs));
        }
        StepEffect::Log { message } => {
            let line = mask_text(message, &run.p.secrets);
            tracing::info!(run = %run.record.id, "{line}");
            run.record.log.push(line.clone());
            run.tell(None, "log", line);
        }
        StepEffect::Wait { milliseconds } => {
            tokio::time::sleep(std::time::Duration::from_millis(*milliseconds)).await;
        }
    }
    Ok(None)
}

/// Undo the steps up to `failed` (it included: what of it was done), in
/// reverse, each effect in reverse, unless a step opted out.
async fn undo(run: &mut Execution<'_>, failed: usize) -> Result<()> {
    // Effects that could not be undone (steps that opted out are kept on purpose).
    let mut failures = 0;
    for index in (0..=failed).rev() {
        let s = &run.record.steps[index];
        if !matches!(
            s.status,
            StepStatus::Done | StepStatus::Failed | StepStatus::Started
        ) {
            continue;
        }
        let id = s.id.clone();
        if !s.rollback {
            run.record
                .not_undone
                .push(format!("step {id}: kept (rollback: false)"));
            continue;
        }
        let effects = s.effects.clone();
        for done in effects.iter().rev() {
            match undo_effect(run, done).await {
                Ok(Some(what)) => {
                    run.tell(Some(&id), "undone", what.clone());
                    run.record.undone.push(what);
                }
                Ok(None) => {}
                Err(e) => {
                    failures += 1;
                    run.record.not_undone.push(format!(
                        "{}: {}",
                        done.effect.describe(),
                        mask_text(&e.to_string(), &run.p.secrets)
                    ));
                }
            }
        }
        if run.record.steps[index].status == StepStatus::Done {
            run.record.steps[index].status = StepStatus::Undone;
        }
        run.save().await?;
    }
    run.record.status = if failures == 0 {
        RunStatus::RolledBack
    } else {
        RunStatus::Failed
    };
    Ok(())
}

/// Put back what was there before `done`; says what was undone.
async fn undo_effect(run: &mut Execution<'_>, done: &DoneEffect) -> Result<Option<String>> {
    let root = root(run);
    let opts = run.p.write_options(false);
    match (&done.effect, &done.prior) {
        (
            StepEffect::WriteFile { .. }
            | StepEffect::DeleteFile { .. }
            | StepEffect::RenameFile { .. },
            Prior::Files { files },
        ) => {
            for (path, content) in files.iter().rev() {
                match content {
                    Some(c) => workspace::write(&root, path, &StepEffect::bytes(c, true)),
                    None => workspace::remove(&root, path),
                }
                .map_err(workspace_error)?;
            }
            let what = match &done.effect {
                StepEffect::WriteFile { path, .. } => match files.first() {
                    Some((_, None)) => format!("removed {path}"),
                    _ => format!("restored {path}"),
                },
                StepEffect::DeleteFile { path } => format!("restored {path}"),
                StepEffect::RenameFile { from, to } => format!("renamed {to} back to {from}"),
                _ => done.effect.describe(),
            };
            Ok(Some(what))
        }
        (
            StepEffect::Register { .. },
            Prior::Entity {
                entity_ref, entity, ..
            },
        ) => {
            let catalog = super::super::Catalog::new(run.inner.clone());
            match entity {
                Some(before) => {
                    catalog.upsert(before.clone(), None, &opts).await?;
                    Ok(Some(format!("restored {entity_ref}")))
                }
                None => match catalog.delete(entity_ref, None, &opts).await {
                    Ok(_) => Ok(Some(format!("removed {entity_ref} from the catalogue"))),
                    Err(Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                },
            }
        }
        (
            StepEffect::ApplyResource { .. },
            Prior::Entity {
                entity_ref,
                entity,
                provisioned,
            },
        ) => {
            if *provisioned {
                // It existed before the run: a golden path never destroys what it did not make.
                if let Some(before) = entity {
                    super::super::Catalog::new(run.inner.clone())
                        .upsert(before.clone(), None, &opts)
                        .await?;
                }
                return Ok(Some(format!(
                    "kept {entity_ref} (it existed before the run)"
                )));
            }
            let resources = super::super::Resources::new(run.inner.clone());
            let key = crate::platform::resources::resource_key(entity_ref)?;
            let had_state = run.inner.store.resource_state(&key).await?.is_some();
            if had_state {
                let report = resources
                    .destroy(
                        std::slice::from_ref(entity_ref),
                        &run.p.resource_options(false),
                    )
                    .await?;
                if let Some(failed) = report
                    .results
                    .iter()
                    .find(|x| x.status == ResultStatus::Failed)
                {
                    return Err(Error::invalid(crate::Diagnostic::error(
                        "resource",
                        format!(
                            "{} could not be destroyed: {:?}",
                            failed.resource, failed.error
                        ),
                    )));
                }
            }
            let catalog = super::super::Catalog::new(run.inner.clone());
            match catalog.delete(entity_ref, None, &opts).await {
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            Ok(Some(if had_state {
                format!("destroyed {entity_ref}")
            } else {
                format!("removed {entity_ref} from the catalogue")
            }))
        }
        _ => Ok(None),
    }
}
