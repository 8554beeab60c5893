//! Executing a plan: apply and destroy level by level, and import. Each
//! provider call goes through the pipeline (`Inner::effect`: reviewed by
//! the policies, audited with its outcome), with its intent journaled
//! before it and its result and new state version recorded after, in one
//! transaction.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use super::Inner;
use super::loaded::{Loaded, Providers, doc};
use super::plan::{self, Planned, Work, about, resolve_params};
use super::recover::recover;
use crate::approval::{HeldChange, HeldResource};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::pipeline::{resource_item, resource_subject};
use crate::plugin::{Applied, ApplyRequest, ImportRequest, Operation, ResourceRequest};
use crate::policy::{Approved, Point};
use crate::resource::journal::{Intent, crash_point, new_idempotency_key};
use crate::resource::lease::{Leases, holder};
use crate::resource::state::{
    Action, ApplyReport, Goal, ImportReport, Recovered, ResourceResult, ResultStatus, StateDoc,
    StateStatus,
};
use crate::resource::{ResourceOptions, seal::Sealer};
use crate::store::{AuditOnly, JournalEntry, StateRow, resources::state_conflict};

/// The error of a failed resource as reports carry it.
pub(super) fn error_value(e: &Error) -> Value {
    json!({"code": e.code(), "message": e.to_string()})
}

/// Reconcile interrupted calls (not in a dry run), plan towards `goal`,
/// then do it. A plan that a policy asking for approval denies is held
/// (`PENDING_APPROVAL`) with nothing done.
pub(super) async fn run(
    inner: &Arc<Inner>,
    goal: Goal,
    targets: &[String],
    opts: &ResourceOptions,
) -> Result<ApplyReport> {
    let (planned, recovered) = plan(inner, goal, targets, opts).await?;
    if planned.plan.blocked {
        let ctx = inner.context().await?;
        let held = HeldChange::Resources {
            goal,
            targets: targets.to_vec(),
            planned: held_resources(&planned),
        };
        let action = format!("resource.{}", goal.as_str());
        crate::pipeline::hold_or_refuse(
            &ctx,
            planned.plan.decisions.clone(),
            vec![held],
            &action,
            &opts.write_options(),
        )
        .await?;
    }
    execute(inner, planned, recovered, opts, goal).await
}

async fn plan(
    inner: &Arc<Inner>,
    goal: Goal,
    targets: &[String],
    opts: &ResourceOptions,
) -> Result<(Planned, Vec<Recovered>)> {
    let recovered = if opts.dry_run {
        Vec::new()
    } else {
        recover(inner, opts).await?
    };
    let loaded = Loaded::read(inner).await?;
    let planned = match goal {
        Goal::Apply => plan::plan_apply(inner, &loaded, targets, opts).await?,
        Goal::Destroy => plan::plan_destroy(inner, &loaded, targets, opts).await?,
    };
    Ok((planned, recovered))
}

/// A held plan, made again once approved: the one reviewed, its denials
/// by the approved policies lifted. Run it with [`run_approved`].
pub(crate) struct ApprovedPlan {
    goal: Goal,
    planned: Planned,
    recovered: Vec<Recovered>,
}

/// Make the held plan (`goal` of `targets`) again as `approved` lets it
/// through: refused with `CONFLICT` naming the first resource whose plan
/// is not the one reviewed (`held`), and with `DENIED` if something other
/// than the approved policies blocks it now. Nothing is done yet.
pub(crate) async fn plan_approved(
    inner: &Arc<Inner>,
    goal: Goal,
    targets: &[String],
    held: &[HeldResource],
    approved: &Approved,
    opts: &ResourceOptions,
) -> Result<ApprovedPlan> {
    let (mut planned, recovered) = plan(inner, goal, targets, opts).await?;
    let now = held_resources(&planned);
    if let Some((reviewed, found)) = first_difference(held, &now) {
        return Err(Error::Conflict {
            entity: reviewed.to_string(),
            expected: format!("the plan reviewed in approval {}", approved.id),
            found: Some(found),
        });
    }
    for w in planned.work.values_mut() {
        w.approved = Some(approved.clone());
    }
    for d in &mut planned.plan.decisions {
        approved.lift(d);
    }
    let ctx = inner.context().await?;
    plan::blocked_by(&ctx, &mut planned.plan);
    if planned.plan.blocked {
        crate::pipeline::refuse_blocked(
            &ctx,
            planned.plan.decisions.clone(),
            &opts.write_options(),
        )
        .await?;
    }
    Ok(ApprovedPlan {
        goal,
        planned,
        recovered,
    })
}

/// The resources `planned` changes, in plan order, as a request holds them.
fn held_resources(planned: &Planned) -> Vec<HeldResource> {
    planned
        .levels
        .iter()
        .flatten()
        .filter_map(|k| planned.work.get(k))
        .filter(|w| w.planned.action != Action::NoOp)
        .map(|w| {
            let params = w.desired.as_ref().and_then(|d| d.params.as_ref());
            HeldResource::of(&w.planned, params)
        })
        .collect()
}

/// The first resource whose plan now differs from the reviewed one, and
/// what it is now.
fn first_difference(reviewed: &[HeldResource], now: &[HeldResource]) -> Option<(String, String)> {
    let said =
        |r: &HeldResource| format!("{} at state version {}", r.action.as_str(), r.prior_version);
    for r in reviewed {
        let found = match now.iter().find(|n| n.resource == r.resource) {
            None => "nothing to do to it".to_string(),
            Some(n) if n.action != r.action || n.prior_version != r.prior_version => said(n),
            Some(n) if n.diff != r.diff || n.params != r.params => {
                format!("{} with other changes", said(n))
            }
            Some(_) => continue,
        };
        return Some((r.resource.clone(), found));
    }
    now.iter()
        .find(|n| !reviewed.iter().any(|r| r.resource == n.resource))
        .map(|n| {
            (
                n.resource.clone(),
                format!("{}, which was not in it", said(n)),
            )
        })
}

/// Run an approved plan (as its requester: `opts`).
pub(crate) async fn run_approved(
    inner: &Arc<Inner>,
    approved: ApprovedPlan,
    opts: &ResourceOptions,
) -> Result<ApplyReport> {
    let ApprovedPlan {
        goal,
        planned,
        recovered,
    } = approved;
    execute(inner, planned, recovered, opts, goal).await
}

async fn execute(
    inner: &Arc<Inner>,
    planned: Planned,
    recovered: Vec<Recovered>,
    opts: &ResourceOptions,
    goal: Goal,
) -> Result<ApplyReport> {
    let Planned { plan, work, levels } = planned;
    if opts.dry_run {
        return Ok(ApplyReport {
            plan,
            results: Vec::new(),
            recovered,
            dry_run: true,
        });
    }
    let operation = goal.as_str();
    let actor = crate::pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?;
    let changing: Vec<String> = levels
        .iter()
        .flatten()
        .filter(|k| {
            work.get(*k)
                .is_some_and(|w| w.planned.action != Action::NoOp)
        })
        .cloned()
        .collect();
    let holder = holder(&actor);
    let leases = Leases::acquire(
        inner.store_arc(),
        &changing,
        &holder,
        operation,
        inner.resources.lease_ttl,
    )
    .await?;
    crash_point("after-lease");
    let parallelism = opts
        .parallelism
        .unwrap_or(inner.resources.parallelism)
        .max(1);
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut results: HashMap<String, ResourceResult> = HashMap::new();
    for level in &levels {
        let ready: Vec<(&String, &Work, Option<String>)> = level
            .iter()
            .filter_map(|key| {
                let w = work.get(key)?;
                let blocked_by = w
                    .planned
                    .depends_on
                    .iter()
                    .find(|d| failed.contains(*d))
                    .cloned();
                Some((key, w, blocked_by))
            })
            .collect();
        let (plan_id, holder) = (&plan.id, &holder);
        let done: Vec<(String, ResourceResult)> =
            crate::parallel::bounded(ready, parallelism, |(key, w, blocked_by)| async move {
                let result = match blocked_by {
                    Some(dep) => ResourceResult {
                        resource: w.planned.resource.clone(),
                        action: w.planned.action,
                        status: ResultStatus::Skipped,
                        version: None,
                        error: Some(json!({
                            "code": "SKIPPED",
                            "message": format!("not attempted: {dep}, which it depends on, failed"),
                        })),
                    },
                    None => run_one(inner, w, plan_id, opts, holder).await,
                };
                (key.clone(), result)
            })
            .await;
        for (key, result) in done {
            if matches!(result.status, ResultStatus::Failed | ResultStatus::Skipped) {
                failed.insert(key.clone());
            }
            results.insert(key, result);
        }
    }
    leases.release().await;
    let results = levels
        .iter()
        .flatten()
        .filter_map(|k| results.remove(k))
        .collect();
    Ok(ApplyReport {
        plan,
        results,
        recovered,
        dry_run: false,
    })
}

async fn run_one(
    inner: &Arc<Inner>,
    w: &Work,
    plan_id: &str,
    opts: &ResourceOptions,
    holder: &str,
) -> ResourceResult {
    let action = w.planned.action;
    let outcome = match action {
        Action::NoOp => {
            return ResourceResult {
                resource: w.planned.resource.clone(),
                action,
                status: ResultStatus::Unchanged,
                version: None,
                error: None,
            };
        }
        Action::Create | Action::Update | Action::Replace => {
            apply_one(inner, w, plan_id, opts, holder).await
        }
        Action::Delete | Action::Forget => delete_one(inner, w, plan_id, opts, holder).await,
    };
    match outcome {
        Ok(version) => ResourceResult {
            resource: w.planned.resource.clone(),
            action,
            status: ResultStatus::Done,
            version: Some(version),
            error: None,
        },
        Err(e) => ResourceResult {
            resource: w.planned.resource.clone(),
            action,
            status: ResultStatus::Failed,
            version: None,
            error: Some(error_value(&e)),
        },
    }
}

/// The key of a Resource entity ref as written.
fn key_of(w: &Work) -> String {
    w.planned.resource.to_lowercase()
}

/// The state version now, which must be the one planned against.
async fn check_version(inner: &Inner, key: &str, planned: i64) -> Result<()> {
    let found = inner.store.resource_state(key).await?.map(|r| r.version);
    if found.unwrap_or(0) != planned {
        return Err(state_conflict(key, planned, found));
    }
    Ok(())
}

/// The outputs of `keys` as stored now.
pub(super) async fn outputs_now(
    inner: &Inner,
    keys: &[String],
) -> Result<HashMap<String, (Value, Vec<String>)>> {
    let mut out = HashMap::new();
    for key in keys {
        if let Some(row) = inner.store.resource_state(key).await? {
            let d = doc(&row)?;
            if let (Some(sealed), true) = (&d.sealed, d.status.exists()) {
                let open = inner.sealer.open(key, sealed)?;
                out.insert(
                    key.clone(),
                    (
                        open.get("outputs").cloned().unwrap_or(Value::Null),
                        d.sensitive,
                    ),
                );
            }
        }
    }
    Ok(out)
}

/// The audit record of a provider call on a resource.
pub(super) fn effect_record(inner: &Inner, w: &Work, action: &str, plan_id: &str) -> AuditOnly {
    let a = &w.planned.address;
    AuditOnly {
        action: format!("resource.{action}"),
        subject: key_of(w),
        details: json!({
            "plugin": w.planned.provider,
            "resource": w.planned.resource,
            "address": resource_subject(a),
            "resource_type": a.resource_type,
            "name": a.name,
            "environment": a.environment,
            "owner": a.owner,
            "plan": plan_id,
            "origin": inner.origin,
        }),
        event: format!("resource.{action}"),
    }
}

/// The sealed `{outputs, params}` of a state document.
pub(super) fn seal_outputs(
    sealer: &Sealer,
    key: &str,
    outputs: &Value,
    params: &Value,
) -> Result<Option<String>> {
    sealer
        .seal(key, &json!({"outputs": outputs, "params": params}))
        .map(Some)
}

/// Write the intent, make the call, record the result and the new state.
pub(super) async fn journaled<F>(
    inner: &Inner,
    key: &str,
    holder: &str,
    intent: &Intent,
    prior_version: i64,
    call: F,
) -> Result<i64>
where
    F: std::future::Future<Output = Result<StateDoc>>,
{
    let entry = JournalEntry {
        id: 0,
        resource: key.to_string(),
        idempotency_key: intent.idempotency_key.clone(),
        operation: intent.action.as_str().to_string(),
        holder: holder.to_string(),
        intent: serde_json::to_string(intent).unwrap_or_default(),
        started_at: crate::audit::now(),
        result: None,
        finished_at: None,
    };
    let id = inner.store.journal_intent(&entry).await?;
    crash_point("after-intent");
    let produced = call.await;
    crash_point("after-call");
    let produced = match produced {
        Ok(doc) => doc,
        Err(e) => {
            inner
                .store
                .journal_result(id, &json!({"error": error_value(&e)}).to_string(), None)
                .await?;
            return Err(e);
        }
    };
    let mut produced = produced;
    produced.journal = Some(id);
    let row = StateRow {
        resource: key.to_string(),
        version: prior_version + 1,
        at: crate::audit::now(),
        doc: serde_json::to_string(&produced).unwrap_or_default(),
    };
    let written = inner
        .store
        .journal_result(
            id,
            &json!({"ok": true, "status": produced.status}).to_string(),
            Some((&row, prior_version)),
        )
        .await?
        .unwrap_or(prior_version + 1);
    crash_point("after-result");
    Ok(written)
}

async fn apply_one(
    inner: &Arc<Inner>,
    w: &Work,
    plan_id: &str,
    opts: &ResourceOptions,
    holder: &str,
) -> Result<i64> {
    let key = key_of(w);
    let d = w
        .desired
        .as_ref()
        .ok_or_else(|| Error::store_msg(format!("{key}: nothing to apply")))?;
    check_version(inner, &key, w.planned.prior_version).await?;
    let outputs = outputs_now(inner, &d.depends_on).await?;
    let (resolved, _) =
        resolve_params(d, &outputs).ok_or_else(|| Error::store_msg(format!("{key}: no params")))?;
    if resolved.unknown {
        return Err(Error::invalid(
            Diagnostic::error(
                "spec.params",
                "uses outputs of a resource that has none yet; apply what it depends on first",
            )
            .for_entity(d.entity_ref.clone()),
        ));
    }
    if let Some(schema) = &w.schema {
        let mut problems = Vec::new();
        schema.check_document(&resolved.params, "spec.params", &mut problems);
        if !problems.is_empty() {
            for p in &mut problems {
                p.entity = Some(d.entity_ref.clone());
            }
            return Err(Error::Invalid {
                diagnostics: problems,
            });
        }
    }
    let intent = Intent {
        resource: d.entity_ref.clone(),
        provider: w.planned.provider.clone(),
        address: d.address.clone(),
        action: w.planned.action,
        params: d.params.clone(),
        sealed_params: Some(inner.sealer.seal(&key, &resolved.params)?),
        prior_version: w.planned.prior_version,
        depends_on: d.depends_on.clone(),
        deletion_policy: d.deletion_policy,
        external_id: None,
        managed: true,
        plan: plan_id.to_string(),
        actor: crate::pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?,
        idempotency_key: new_idempotency_key(),
    };
    let prior_state = w
        .prior
        .as_ref()
        .filter(|p| p.status.exists())
        .and_then(|p| p.state.clone());
    let call = call_apply(
        inner,
        w,
        &key,
        &intent,
        resolved.params.clone(),
        prior_state,
    );
    journaled_effect(inner, w, "apply", (plan_id, holder), opts, &intent, call).await
}

/// What a provider's apply or import answered, if it makes sense: its
/// outputs a JSON object. Garbage is the provider's error (`BadOutput`), and
/// nothing of it is recorded.
fn well_formed(applied: Applied, provider: &str) -> Result<Applied> {
    if applied.outputs.is_object() {
        return Ok(applied);
    }
    Err(Error::Plugin {
        plugin: provider.to_string(),
        kind: crate::error::PluginErrorKind::BadOutput,
        message: format!(
            "its outputs must be a JSON object, not {}",
            crate::model::relations::json_type(&applied.outputs)
        ),
    })
}

/// The provider calls of an apply (a replace deletes first) and the state
/// document they produce.
pub(super) async fn call_apply(
    inner: &Inner,
    w: &Work,
    key: &str,
    intent: &Intent,
    params: Value,
    prior_state: Option<Value>,
) -> Result<StateDoc> {
    let address = &w.planned.address;
    let mut prior_state = prior_state;
    if intent.action == Action::Replace
        && let Some(state) = prior_state.take()
    {
        w.provider
            .delete(&ResourceRequest {
                address: address.clone(),
                state,
                idempotency_key: Some(intent.idempotency_key.clone()),
            })
            .await
            .map_err(|e| about(e, &intent.resource, "delete (replace)"))?;
    }
    let applied = w
        .provider
        .apply(&ApplyRequest {
            address: address.clone(),
            params: params.clone(),
            prior_state,
            idempotency_key: Some(intent.idempotency_key.clone()),
        })
        .await
        .and_then(|a| well_formed(a, &w.planned.provider))
        .map_err(|e| about(e, &intent.resource, "apply"))?;
    let output_keys = applied
        .outputs
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    Ok(StateDoc {
        resource: intent.resource.clone(),
        address: address.clone(),
        provider: w.planned.provider.clone(),
        provider_version: w.provider_version.clone(),
        status: if intent.managed {
            StateStatus::Managed
        } else {
            StateStatus::Observed
        },
        operation: intent.action.as_str().to_string(),
        params: intent.params.clone(),
        state: Some(applied.state),
        output_keys,
        sensitive: applied.sensitive,
        sealed: seal_outputs(&inner.sealer, key, &applied.outputs, &params)?,
        depends_on: intent.depends_on.clone(),
        deletion_policy: intent.deletion_policy,
        plan: Some(intent.plan.clone()),
        actor: intent.actor.clone(),
        journal: None,
    })
}

async fn delete_one(
    inner: &Arc<Inner>,
    w: &Work,
    plan_id: &str,
    opts: &ResourceOptions,
    holder: &str,
) -> Result<i64> {
    let key = key_of(w);
    check_version(inner, &key, w.planned.prior_version).await?;
    let prior = w
        .prior
        .clone()
        .ok_or_else(|| Error::store_msg(format!("{key}: no state to delete")))?;
    let intent = Intent {
        resource: w.planned.resource.clone(),
        provider: w.planned.provider.clone(),
        address: w.planned.address.clone(),
        action: w.planned.action,
        params: prior.params.clone(),
        sealed_params: None,
        prior_version: w.planned.prior_version,
        depends_on: prior.depends_on.clone(),
        deletion_policy: prior.deletion_policy,
        external_id: None,
        managed: false,
        plan: plan_id.to_string(),
        actor: crate::pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?,
        idempotency_key: new_idempotency_key(),
    };
    let verb = if w.planned.action == Action::Forget {
        "forget"
    } else {
        "destroy"
    };
    let call = call_delete(w, &intent, prior);
    journaled_effect(inner, w, verb, (plan_id, holder), opts, &intent, call).await
}

/// One provider call of a plan (`call`, which makes the state it leaves),
/// journaled, as a pipeline effect: reviewed again and audited as
/// `resource.{verb}` with its outcome.
async fn journaled_effect<F>(
    inner: &Arc<Inner>,
    w: &Work,
    verb: &str,
    (plan_id, holder): (&str, &str),
    opts: &ResourceOptions,
    intent: &Intent,
    call: F,
) -> Result<i64>
where
    F: std::future::Future<Output = Result<StateDoc>>,
{
    let key = key_of(w);
    let record = effect_record(inner, w, verb, plan_id);
    let item = plan::item_of(w);
    let journaled_call = journaled(inner, &key, holder, intent, w.planned.prior_version, call);
    inner
        .effect(record, item, &opts.write_options(), journaled_call)
        .await
}

/// The provider call of a delete (none to forget) and the state it leaves.
pub(super) async fn call_delete(w: &Work, intent: &Intent, prior: StateDoc) -> Result<StateDoc> {
    let forget = intent.action == Action::Forget;
    if !forget {
        w.provider
            .delete(&ResourceRequest {
                address: w.planned.address.clone(),
                state: prior.state.clone().unwrap_or_else(|| json!({})),
                idempotency_key: Some(intent.idempotency_key.clone()),
            })
            .await
            .map_err(|e| about(e, &intent.resource, "delete"))?;
    }
    Ok(StateDoc {
        status: if forget {
            StateStatus::Forgotten
        } else {
            StateStatus::Destroyed
        },
        operation: intent.action.as_str().to_string(),
        state: None,
        sealed: None,
        output_keys: Vec::new(),
        sensitive: Vec::new(),
        plan: Some(intent.plan.clone()),
        actor: intent.actor.clone(),
        provider_version: w.provider_version.clone(),
        journal: None,
        ..prior
    })
}

pub(super) async fn import(
    inner: &Arc<Inner>,
    reference: &str,
    external_id: &str,
    opts: &ResourceOptions,
) -> Result<ImportReport> {
    if !opts.dry_run {
        recover(inner, opts).await?;
    }
    let key = super::resource_key(reference)?;
    let loaded = Loaded::read(inner).await?;
    let d = loaded.desired.get(&key).cloned().ok_or_else(|| {
        Error::invalid(Diagnostic::error(
            "ref",
            format!(
                "'{reference}' is not a Resource in the catalogue: declare it (kind Resource, spec.type, spec.owner) and import again"
            ),
        ))
    })?;
    let prior = loaded.states.get(&key).cloned();
    if let Some((_, doc)) = &prior
        && doc.status.exists()
    {
        return Err(Error::invalid(
            Diagnostic::error(
                "ref",
                format!(
                    "{reference} already has state ({:?}); destroy or forget it before importing another",
                    doc.status
                ),
            )
            .for_entity(d.entity_ref.clone()),
        ));
    }
    let providers = Providers::read(inner).await?;
    let entry = providers.of(&d).map_err(|d| Error::invalid(*d))?;
    let item = resource_item(
        Point::ResourceImport,
        Operation::Import,
        &d.address,
        None,
        d.params.clone(),
    );
    if opts.dry_run {
        // Whether it would be allowed: the checks, access rules and policies.
        let ctx = inner.context().await?;
        let wopts = opts.write_options();
        let decisions = crate::pipeline::preview_resources(&ctx, vec![item], &wopts).await?;
        crate::pipeline::refuse_blocked(&ctx, decisions, &wopts).await?;
        return Err(Error::invalid(Diagnostic::error(
            "dry_run",
            format!(
                "{reference} may be imported, but an import cannot be previewed further: \
                 reading the thing through the provider is the import itself"
            ),
        )));
    }
    let actor = crate::pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?;
    let holder = holder(&actor);
    let leases = Leases::acquire(
        inner.store_arc(),
        std::slice::from_ref(&key),
        &holder,
        "import",
        inner.resources.lease_ttl,
    )
    .await?;
    let plan_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let prior_version = prior.as_ref().map_or(0, |(row, _)| row.version);
    let intent = Intent {
        resource: d.entity_ref.clone(),
        provider: entry.provider.name().to_string(),
        address: d.address.clone(),
        action: Action::Create,
        params: d.params.clone(),
        sealed_params: None,
        prior_version,
        depends_on: d.depends_on.clone(),
        deletion_policy: d.deletion_policy,
        external_id: Some(external_id.to_string()),
        managed: d.params.is_some(),
        plan: plan_id.clone(),
        actor,
        idempotency_key: new_idempotency_key(),
    };
    let w = Work {
        planned: crate::resource::state::PlannedResource {
            resource: d.entity_ref.clone(),
            address: d.address.clone(),
            provider: intent.provider.clone(),
            action: Action::Create,
            diff: Vec::new(),
            replace_because: Vec::new(),
            monthly_cost: None,
            notes: Vec::new(),
            depends_on: d.depends_on.clone(),
            prior_version,
            level: 0,
        },
        desired: Some(d.clone()),
        prior: None,
        provider: entry.provider.clone(),
        provider_version: entry.info.version.clone(),
        schema: None,
        approved: None,
    };
    let record = effect_record(inner, &w, "import", &plan_id);
    let imported_params = std::sync::Mutex::new(Value::Null);
    let call = async {
        journaled(inner, &key, &holder, &intent, prior_version, async {
            let (doc, params) = call_import(inner, &w, &key, &intent, external_id).await?;
            *imported_params.lock().unwrap_or_else(|p| p.into_inner()) = params;
            Ok(doc)
        })
        .await
    };
    let result = inner
        .effect(record, item, &opts.write_options(), call)
        .await;
    leases.release().await;
    result?;
    let state = super::Resources::new(inner.clone()).state(&key).await?;
    let params = imported_params
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    Ok(ImportReport { state, params })
}

/// The provider call of an import and the state it records, with the
/// params that describe what was found.
pub(super) async fn call_import(
    inner: &Inner,
    w: &Work,
    key: &str,
    intent: &Intent,
    external_id: &str,
) -> Result<(StateDoc, Value)> {
    let imported = w
        .provider
        .import(&ImportRequest {
            address: intent.address.clone(),
            external_id: external_id.to_string(),
            idempotency_key: Some(intent.idempotency_key.clone()),
        })
        .await
        .and_then(|mut i| {
            i.applied = well_formed(i.applied, &w.planned.provider)?;
            Ok(i)
        })
        .map_err(|e| about(e, &intent.resource, "import"))?;
    let output_keys = imported
        .applied
        .outputs
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let doc = StateDoc {
        resource: intent.resource.clone(),
        address: intent.address.clone(),
        provider: intent.provider.clone(),
        provider_version: w.provider_version.clone(),
        status: if intent.managed {
            StateStatus::Managed
        } else {
            StateStatus::Observed
        },
        operation: "import".into(),
        params: intent.params.clone(),
        state: Some(imported.applied.state),
        output_keys,
        sensitive: imported.applied.sensitive,
        sealed: seal_outputs(
            &inner.sealer,
            key,
            &imported.applied.outputs,
            &imported.params,
        )?,
        depends_on: intent.depends_on.clone(),
        deletion_policy: intent.deletion_policy,
        plan: Some(intent.plan.clone()),
        actor: intent.actor.clone(),
        journal: None,
    };
    Ok((doc, imported.params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(resource: &str, action: Action, prior_version: i64) -> HeldResource {
        HeldResource {
            resource: resource.into(),
            action,
            diff: Vec::new(),
            prior_version,
            params: String::new(),
        }
    }

    #[test]
    fn a_plan_differs_by_resource_action_version_or_diff() {
        let reviewed = [
            held("db", Action::Create, 0),
            held("app", Action::Update, 2),
        ];
        assert_eq!(first_difference(&reviewed, &reviewed), None);
        let moved = [
            held("db", Action::Update, 1),
            held("app", Action::Update, 2),
        ];
        assert_eq!(
            first_difference(&reviewed, &moved),
            Some(("db".into(), "update at state version 1".into()))
        );
        let gone = [held("db", Action::Create, 0)];
        assert_eq!(
            first_difference(&reviewed, &gone),
            Some(("app".into(), "nothing to do to it".into()))
        );
        let more = [
            held("db", Action::Create, 0),
            held("app", Action::Update, 2),
            held("cache", Action::Create, 0),
        ];
        assert_eq!(
            first_difference(&reviewed, &more),
            Some((
                "cache".into(),
                "create at state version 0, which was not in it".into()
            ))
        );
        let mut other = reviewed.clone();
        other[1].diff.push(crate::plugin::FieldDiff {
            path: "params.size".into(),
            before: Some(serde_json::json!(1)),
            after: Some(serde_json::json!(2)),
            requires_replace: false,
        });
        assert_eq!(
            first_difference(&reviewed, &other),
            Some((
                "app".into(),
                "update at state version 2 with other changes".into()
            ))
        );
        // A sensitive value changed: the diff reads the same, the params do not.
        let mut secret = reviewed.clone();
        secret[0].params = "another hash".into();
        assert_eq!(
            first_difference(&reviewed, &secret),
            Some((
                "db".into(),
                "create at state version 0 with other changes".into()
            ))
        );
    }
}
