//! Planning: what applying or destroying would do to each resource, in
//! dependency order, with the policy decisions about it. Changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::Inner;
use super::loaded::{Loaded, Providers};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::schema::KindDef;
use crate::pipeline::resource_item;
use crate::plugin::{FieldDiff, Operation, PlanRequest, Provider};
use crate::policy::{Approved, Item, Point};
use crate::resource::desired::{Desired, Resolved, resolve};
use crate::resource::order;
use crate::resource::state::{
    Action, KNOWN_AFTER_APPLY, PlannedResource, ResourcePlan, SENSITIVE, StateDoc, StateStatus,
};
use crate::resource::{ResourceOptions, seal::Sealer};

/// One resource of a plan, with what executing it needs.
pub(super) struct Work {
    pub planned: PlannedResource,
    /// The request (none: its Resource is gone from the catalogue).
    pub desired: Option<Desired>,
    /// The latest state (none: never applied).
    pub prior: Option<StateDoc>,
    pub provider: Arc<dyn Provider>,
    pub provider_version: String,
    /// The params schema of its type, to check params resolved only at apply.
    pub schema: Option<KindDef>,
    /// The approval it runs under (a held plan, approved).
    pub approved: Option<Approved>,
}

/// A plan and its work, level by level.
pub(super) struct Planned {
    pub plan: ResourcePlan,
    pub work: BTreeMap<String, Work>,
    pub levels: Vec<Vec<String>>,
}

fn invalid(diagnostics: Vec<Diagnostic>) -> Error {
    Error::Invalid { diagnostics }
}

/// The state a provider is asked about: none if it no longer exists.
fn live_prior(doc: Option<&StateDoc>) -> Option<&StateDoc> {
    doc.filter(|d| d.status.exists())
}

/// Resolve a request's params with the outputs known now.
pub(super) fn resolve_params(
    d: &Desired,
    outputs: &HashMap<String, (Value, Vec<String>)>,
) -> Option<(Resolved, Vec<String>)> {
    let params = d.params.as_ref()?;
    let namespace = d.key.split_once('/').map_or("default", |(ns, _)| {
        ns.split_once(':').map_or("default", |(_, n)| n)
    });
    let lookup = |key: &str| outputs.get(key).cloned();
    let resolved = resolve(params, namespace, &lookup);
    // The sensitive values that went in, to mask them wherever they show.
    let secrets: Vec<String> = d
        .depends_on
        .iter()
        .filter_map(|k| outputs.get(k))
        .flat_map(|(outs, sensitive)| {
            sensitive
                .iter()
                .filter_map(|s| outs.get(s))
                .map(|v| match v {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    Some((resolved, secrets))
}

/// Replace any of `secrets` in a value with `(sensitive)`.
pub(super) fn mask(value: &Value, secrets: &[String]) -> Value {
    match value {
        Value::String(s) if secrets.iter().any(|x| s.contains(x.as_str())) => {
            Value::String(SENSITIVE.into())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| mask(v, secrets)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask(v, secrets)))
                .collect(),
        ),
        other => {
            let text = other.to_string();
            if secrets.contains(&text) {
                Value::String(SENSITIVE.into())
            } else {
                other.clone()
            }
        }
    }
}

fn action_of(op: Operation) -> Action {
    match op {
        Operation::Create => Action::Create,
        Operation::Update | Operation::Import => Action::Update,
        Operation::Replace => Action::Replace,
        Operation::Delete => Action::Delete,
        Operation::NoOp => Action::NoOp,
    }
}

/// The operation and policy point a planned action is reviewed as.
pub(super) fn review_as(action: Action) -> (Point, Operation) {
    match action {
        Action::Create => (Point::ResourceApply, Operation::Create),
        Action::Update => (Point::ResourceApply, Operation::Update),
        Action::Replace => (Point::ResourceApply, Operation::Replace),
        Action::NoOp => (Point::ResourceApply, Operation::NoOp),
        Action::Delete | Action::Forget => (Point::ResourceDestroy, Operation::Delete),
    }
}

/// The change the policies review for one planned resource.
pub(super) fn item_of(work: &Work) -> Item {
    let p = &work.planned;
    let (point, op) = review_as(p.action);
    let before = work.prior.as_ref().and_then(|d| d.params.clone());
    let after = match p.action {
        Action::Delete | Action::Forget => None,
        _ => work.desired.as_ref().and_then(|d| d.params.clone()),
    };
    let mut item = resource_item(point, op, &p.address, before, after);
    item.change.diff = p.diff.clone();
    item.change.monthly_cost = p.monthly_cost;
    item.approved = work.approved.clone();
    item
}

/// Plan `apply` of `targets` (none: all) and what they depend on.
pub(super) async fn plan_apply(
    inner: &Arc<Inner>,
    loaded: &Loaded,
    targets: &[String],
    opts: &ResourceOptions,
) -> Result<Planned> {
    let managed: BTreeMap<&String, &Desired> = loaded
        .desired
        .iter()
        .filter(|(_, d)| d.params.is_some())
        .collect();
    // Resources paved made whose Resource is gone from the catalogue.
    let gone: BTreeMap<&String, &StateDoc> = loaded
        .states
        .iter()
        .filter(|(k, (_, doc))| {
            doc.status == StateStatus::Managed && !loaded.desired.contains_key(*k)
        })
        .map(|(k, (_, doc))| (k, doc))
        .collect();
    let mut selected: BTreeSet<String> = BTreeSet::new();
    if targets.is_empty() {
        selected.extend(managed.keys().map(|k| (*k).clone()));
        selected.extend(gone.keys().map(|k| (*k).clone()));
    } else {
        let mut stack = Vec::new();
        for t in targets {
            let key = super::resource_key(t)?;
            if !managed.contains_key(&key) && !gone.contains_key(&key) {
                let why = if loaded.desired.contains_key(&key) {
                    "its Resource has no spec.params: it is observed only (add params to manage it)"
                } else {
                    "no Resource entity declares it and paved holds no state for it"
                };
                return Err(Error::invalid(Diagnostic::error(
                    "targets",
                    format!("cannot apply '{t}': {why}"),
                )));
            }
            stack.push(key);
        }
        while let Some(key) = stack.pop() {
            if selected.insert(key.clone())
                && let Some(d) = managed.get(&key)
            {
                stack.extend(
                    d.depends_on
                        .iter()
                        .filter(|k| managed.contains_key(k))
                        .cloned(),
                );
            }
        }
    }
    // A Resource whose request fields are wrong is named, whatever the targets.
    let mut problems: Vec<Diagnostic> = loaded.invalid.clone();
    for key in &selected {
        if let Some(d) = managed.get(key) {
            for dep in &d.depends_on {
                if !loaded.desired.contains_key(dep) && !loaded.states.contains_key(dep) {
                    problems.push(
                        Diagnostic::error(
                            "spec.dependsOn",
                            format!("depends on {dep}, which is not in the catalogue"),
                        )
                        .for_entity(d.entity_ref.clone()),
                    );
                }
            }
        }
    }
    let creating: BTreeMap<String, Vec<String>> = selected
        .iter()
        .filter_map(|k| managed.get(k).map(|d| (k.clone(), d.depends_on.clone())))
        .collect();
    let mut levels = order::levels(&creating)?;
    // Deletions of resources whose Resource is gone: after the rest,
    // dependents first.
    let deleting: BTreeMap<String, Vec<String>> = selected
        .iter()
        .filter_map(|k| gone.get(k).map(|doc| (k.clone(), doc.depends_on.clone())))
        .collect();
    levels.extend(reverse_levels(&deleting)?);

    let providers = Providers::read(inner).await?;
    let outputs = loaded.outputs(&inner.sealer)?;
    let mut work = BTreeMap::new();
    let mut requests = Vec::new();
    for (level, keys) in levels.iter().enumerate() {
        for key in keys {
            let prior = loaded
                .states
                .get(key)
                .map(|(row, doc)| (row.version, doc.clone()));
            if let Some(doc) = gone.get(key) {
                let version = prior.as_ref().map_or(0, |p| p.0);
                match removal(
                    &providers,
                    doc,
                    version,
                    level,
                    doc.depends_on.clone(),
                    None,
                ) {
                    Ok(mut w) => {
                        w.planned
                            .notes
                            .insert(0, "its Resource is no longer in the catalogue".into());
                        work.insert(key.clone(), w);
                    }
                    Err(problem) => problems.push(*problem),
                }
                continue;
            }
            let d = managed[key];
            let entry = match providers.of(d) {
                Ok(e) => e,
                Err(problem) => {
                    problems.push(*problem);
                    continue;
                }
            };
            let Some((resolved, secrets)) = resolve_params(d, &outputs) else {
                continue;
            };
            if !resolved.unknown
                && let Some(schema) = entry.schemas.get(&d.address.resource_type)
            {
                let first = problems.len();
                schema.check_document(&resolved.params, "spec.params", &mut problems);
                for p in &mut problems[first..] {
                    p.entity = Some(d.entity_ref.clone());
                    if resolved.sensitive {
                        p.message = mask(&Value::String(p.message.clone()), &secrets)
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                    }
                }
            }
            requests.push((key.clone(), level, resolved, secrets, prior, entry));
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let parallelism = opts
        .parallelism
        .unwrap_or(inner.resources.parallelism)
        .max(1);
    let sealer = &inner.sealer;
    let managed = &managed;
    let planned: Vec<(String, Work)> = crate::parallel::bounded(
        requests,
        parallelism,
        |(key, level, resolved, secrets, prior, entry)| async move {
            let w = plan_one(
                managed[&key],
                level,
                resolved,
                secrets,
                prior,
                entry,
                sealer,
            )
            .await?;
            Ok::<_, Error>((key, w))
        },
    )
    .await
    .into_iter()
    .collect::<Result<_>>()?;
    work.extend(planned);
    finish(inner, work, levels, opts).await
}

/// Ask the provider about one request.
async fn plan_one(
    d: &Desired,
    level: usize,
    resolved: Resolved,
    secrets: Vec<String>,
    prior: Option<(i64, StateDoc)>,
    entry: &super::loaded::ProviderEntry,
    sealer: &Sealer,
) -> Result<Work> {
    let live = live_prior(prior.as_ref().map(|p| &p.1));
    let mut notes = Vec::new();
    let (action, diff, cost) = if resolved.unknown {
        notes.push("its params use outputs known only after what it depends on is applied".into());
        let action = if live.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        let mut diff = Vec::new();
        crate::resource::state::json_diff(
            "",
            live.and_then(|l| l.params.as_ref()),
            d.params.as_ref(),
            &mut diff,
        );
        for f in &mut diff {
            if f.after
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("${{"))
            {
                f.after = Some(Value::String(KNOWN_AFTER_APPLY.into()));
            }
        }
        (action, diff, None)
    } else {
        let prior_params = match live.and_then(|l| l.sealed.as_ref()) {
            Some(sealed) => sealer.open(&d.key, sealed)?.get("params").cloned(),
            None => None,
        };
        let plan = entry
            .provider
            .plan(&PlanRequest {
                address: d.address.clone(),
                params: resolved.params.clone(),
                prior_state: live.and_then(|l| l.state.clone()),
                prior_params,
            })
            .await
            .map_err(|e| about(e, &d.entity_ref, "plan"))?;
        notes.extend(plan.notes);
        let mut action = action_of(plan.operation);
        if action == Action::NoOp && live.is_some_and(|l| l.status == StateStatus::Observed) {
            action = Action::Update;
            notes.push("adopts the imported resource as managed".into());
        } else if action == Action::NoOp && live.is_none() {
            // It is there as asked but paved holds no state for it (an
            // apply stopped before recording it): apply records it.
            action = Action::Create;
            notes.push("it exists already as asked; apply records its state".into());
        }
        (action, plan.diff, plan.monthly_cost)
    };
    let diff: Vec<FieldDiff> = diff
        .into_iter()
        .map(|f| FieldDiff {
            before: f.before.map(|v| mask(&v, &secrets)),
            after: f.after.map(|v| mask(&v, &secrets)),
            ..f
        })
        .collect();
    Ok(Work {
        planned: PlannedResource {
            resource: d.entity_ref.clone(),
            address: d.address.clone(),
            provider: entry.provider.name().to_string(),
            action,
            replace_because: diff
                .iter()
                .filter(|f| f.requires_replace)
                .map(|f| f.path.clone())
                .collect(),
            diff,
            monthly_cost: cost,
            notes,
            depends_on: d.depends_on.clone(),
            prior_version: prior.as_ref().map_or(0, |p| p.0),
            level,
        },
        desired: Some(d.clone()),
        prior: prior.map(|p| p.1),
        provider: entry.provider.clone(),
        provider_version: entry.info.version.clone(),
        schema: entry.schemas.get(&d.address.resource_type).cloned(),
        approved: None,
    })
}

/// Say which resource a provider error is about.
pub(super) fn about(e: Error, resource: &str, call: &str) -> Error {
    match e {
        Error::Invalid { mut diagnostics } => {
            for d in &mut diagnostics {
                d.entity.get_or_insert_with(|| resource.to_string());
            }
            Error::Invalid { diagnostics }
        }
        Error::Plugin {
            plugin,
            kind,
            message,
        } => Error::Plugin {
            plugin,
            kind,
            message: format!("{resource}: {call}: {message}"),
        },
        other => other,
    }
}

/// Levels with dependents first (for deleting).
fn reverse_levels(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<String>>> {
    let mut levels = order::levels(deps)?;
    levels.reverse();
    Ok(levels)
}

/// Plan `destroy` of `targets` (none: every resource with state) and what
/// depends on them.
pub(super) async fn plan_destroy(
    inner: &Arc<Inner>,
    loaded: &Loaded,
    targets: &[String],
    opts: &ResourceOptions,
) -> Result<Planned> {
    let existing: BTreeMap<&String, &StateDoc> = loaded
        .states
        .iter()
        .filter(|(_, (_, doc))| doc.status.exists())
        .map(|(k, (_, doc))| (k, doc))
        .collect();
    // What each resource with state depends on, now (the catalogue's
    // request if declared, else as recorded).
    let deps_of = |key: &String| -> Vec<String> {
        loaded
            .desired
            .get(key)
            .map(|d| d.depends_on.clone())
            .or_else(|| existing.get(key).map(|doc| doc.depends_on.clone()))
            .unwrap_or_default()
    };
    let mut selected: BTreeSet<String> = BTreeSet::new();
    if targets.is_empty() {
        selected.extend(existing.keys().map(|k| (*k).clone()));
    } else {
        for t in targets {
            let key = super::resource_key(t)?;
            if !existing.contains_key(&key) {
                return Err(Error::NotFound {
                    what: "resource state",
                    id: t.clone(),
                    hint: None,
                });
            }
            selected.insert(key);
        }
        // Whatever depends on a selected resource goes first, so with it.
        loop {
            let more: Vec<String> = existing
                .keys()
                .filter(|k| !selected.contains(**k))
                .filter(|k| deps_of(k).iter().any(|d| selected.contains(d)))
                .map(|k| (*k).clone())
                .collect();
            if more.is_empty() {
                break;
            }
            selected.extend(more);
        }
    }
    let graph: BTreeMap<String, Vec<String>> =
        selected.iter().map(|k| (k.clone(), deps_of(k))).collect();
    let levels = reverse_levels(&graph)?;
    let providers = Providers::read(inner).await?;
    let mut work = BTreeMap::new();
    let mut problems = Vec::new();
    for (level, keys) in levels.iter().enumerate() {
        for key in keys {
            let (row, doc) = &loaded.states[key];
            let desired = loaded.desired.get(key).cloned();
            match removal(&providers, doc, row.version, level, deps_of(key), desired) {
                Ok(w) => {
                    work.insert(key.clone(), w);
                }
                Err(problem) => problems.push(*problem),
            }
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    finish(inner, work, levels, opts).await
}

/// The work of removing a resource with state `doc`: deleted by its
/// provider, or let go (forgotten) when its deletion policy is `orphan` or
/// it is observed only.
fn removal(
    providers: &Providers,
    doc: &StateDoc,
    prior_version: i64,
    level: usize,
    depends_on: Vec<String>,
    desired: Option<Desired>,
) -> std::result::Result<Work, Box<Diagnostic>> {
    let entry = providers.named(&doc.provider).ok_or_else(|| {
        Box::new(Diagnostic::error(
            "provider",
            format!(
                "{} was made by provider '{}', which is not configured; configure it to \
                 delete the resource, or let it go with deletionPolicy orphan",
                doc.resource, doc.provider
            ),
        ))
    })?;
    let observed = doc.status == StateStatus::Observed;
    let orphan = doc.deletion_policy == crate::resource::DeletionPolicy::Orphan;
    let mut notes = Vec::new();
    if observed {
        notes.push("observed only: paved lets it go and does not delete it".into());
    } else if orphan {
        notes.push("deletion policy orphan: the real thing stays".into());
    }
    Ok(Work {
        planned: PlannedResource {
            resource: doc.resource.clone(),
            address: doc.address.clone(),
            provider: doc.provider.clone(),
            action: if observed || orphan {
                Action::Forget
            } else {
                Action::Delete
            },
            diff: Vec::new(),
            replace_because: Vec::new(),
            monthly_cost: None,
            notes,
            depends_on,
            prior_version,
            level,
        },
        desired,
        prior: Some(doc.clone()),
        provider: entry.provider.clone(),
        provider_version: entry.info.version.clone(),
        schema: None,
        approved: None,
    })
}

/// Whether `plan`'s decisions block it, and if so, who may approve it
/// (every blocking policy asks for approval) or nobody (it is refused).
pub(super) fn blocked_by(ctx: &crate::pipeline::Context<'_>, plan: &mut ResourcePlan) {
    plan.blocked = plan.decisions.iter().any(|d| d.blocking);
    plan.approvers = match ctx.policies.approval_for(&plan.decisions) {
        Some((required, _)) if plan.blocked => crate::approval::approvers_of(&required),
        _ => Vec::new(),
    };
}

/// Review the plan's changes and number it.
async fn finish(
    inner: &Arc<Inner>,
    work: BTreeMap<String, Work>,
    levels: Vec<Vec<String>>,
    opts: &ResourceOptions,
) -> Result<Planned> {
    let ordered: Vec<&Work> = levels
        .iter()
        .flatten()
        .filter_map(|k| work.get(k))
        .collect();
    let items: Vec<Item> = ordered
        .iter()
        .filter(|w| w.planned.action != Action::NoOp)
        .map(|w| item_of(w))
        .collect();
    let ctx = inner.context().await?;
    let decisions = crate::pipeline::preview_resources(&ctx, items, &opts.write_options()).await?;
    let mut plan = ResourcePlan {
        id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        resources: ordered.iter().map(|w| w.planned.clone()).collect(),
        blocked: false,
        decisions,
        approvers: Vec::new(),
    };
    blocked_by(&ctx, &mut plan);
    Ok(Planned { plan, work, levels })
}
