//! Reconciling interrupted provider calls. A journal entry with an intent
//! and no result is a call whose process stopped (killed, crashed, lost
//! power) somewhere between writing the intent and recording the result.
//! Before it does anything else, every resource command that changes
//! resources takes the lease of each such resource (so a call still under
//! way elsewhere is left alone until its holder's lease lapses), reads the
//! real thing, then finishes the call by making it again (providers'
//! apply, delete and import are idempotent: they bring the thing to the
//! request whatever the starting point) and records the state, or closes it
//! as superseded when a later state version was recorded meanwhile. No
//! duplicate is made and nobody has to unlock anything.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::Inner;
use super::loaded::{Providers, doc};
use super::plan::Work;
use super::run::{call_apply, call_delete, call_import, effect_record, journaled};
use crate::error::{Error, Result};
use crate::pipeline::resource_item;
use crate::plugin::{Operation, ResourceRequest};
use crate::policy::Point;
use crate::resource::ResourceOptions;
use crate::resource::journal::Intent;
use crate::resource::lease::{Leases, holder};
use crate::resource::state::{Action, PlannedResource, Recovered, StateDoc};
use crate::store::JournalEntry;

pub(super) async fn recover(inner: &Arc<Inner>, opts: &ResourceOptions) -> Result<Vec<Recovered>> {
    let open = inner.store.journal_open().await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    // The latest open entry of each resource is the one to finish; earlier
    // ones were overtaken by it.
    let mut latest: BTreeMap<String, JournalEntry> = BTreeMap::new();
    for entry in open {
        if let Some(older) = latest.insert(entry.resource.clone(), entry) {
            inner
                .store
                .journal_result(older.id, &json!({"superseded": true}).to_string(), None)
                .await?;
        }
    }
    let actor = crate::pipeline::check_actor(opts.actor.as_deref().unwrap_or(&inner.actor))?;
    let me = holder(&actor);
    let providers = Providers::read(inner).await?;
    let mut out = Vec::new();
    for (key, entry) in latest {
        let leases = match Leases::acquire(
            inner.store_arc(),
            std::slice::from_ref(&key),
            &me,
            "recover",
            inner.resources.lease_ttl,
        )
        .await
        {
            Ok(l) => l,
            // Still held: under way elsewhere, or its holder's lease has not lapsed yet.
            Err(Error::Locked { .. }) => continue,
            Err(e) => return Err(e),
        };
        let outcome = reconcile(inner, &providers, &entry, &me, opts).await;
        leases.release().await;
        out.push(Recovered {
            resource: key,
            operation: entry.operation.clone(),
            holder: entry.holder.clone(),
            started_at: entry.started_at.clone(),
            outcome: match outcome {
                Ok(s) => s,
                Err(e) => format!("failed: {e}"),
            },
        });
    }
    Ok(out)
}

async fn reconcile(
    inner: &Arc<Inner>,
    providers: &Providers,
    entry: &JournalEntry,
    me: &str,
    opts: &ResourceOptions,
) -> Result<String> {
    let mut intent: Intent = serde_json::from_str(&entry.intent).map_err(|e| {
        Error::store_msg(format!("journal entry {} is not readable: {e}", entry.id))
    })?;
    // The call made again is the same call: it keeps its idempotency key.
    intent.idempotency_key = entry.idempotency_key.clone();
    let key = entry.resource.clone();
    let row = inner.store.resource_state(&key).await?;
    let version = row.as_ref().map_or(0, |r| r.version);
    if version != intent.prior_version {
        inner
            .store
            .journal_result(entry.id, &json!({"superseded": true}).to_string(), None)
            .await?;
        return Ok(format!(
            "superseded: state version {version} was recorded after it"
        ));
    }
    let prior: Option<StateDoc> = row.as_ref().map(doc).transpose()?;
    let provider = providers.named(&intent.provider).ok_or_else(|| {
        Error::store_msg(format!(
            "{key}: provider '{}' is not configured; configure it to finish the interrupted {}",
            intent.provider, entry.operation
        ))
    })?;
    let w = Work {
        planned: PlannedResource {
            resource: intent.resource.clone(),
            address: intent.address.clone(),
            provider: intent.provider.clone(),
            action: intent.action,
            diff: Vec::new(),
            replace_because: Vec::new(),
            monthly_cost: None,
            notes: Vec::new(),
            depends_on: intent.depends_on.clone(),
            prior_version: version,
            level: 0,
        },
        desired: None,
        prior: prior.clone(),
        provider: provider.provider.clone(),
        provider_version: provider.info.version.clone(),
        schema: None,
        approved: None,
    };
    let live_state = prior
        .as_ref()
        .filter(|p| p.status.exists())
        .and_then(|p| p.state.clone());
    // Read the real thing first, when there is a state to read it by:
    // whether the call got through. With none (a create) there is nothing
    // to read it by: the apply is made again with the interrupted call's
    // idempotency key, by which the provider knows what that call made
    // (and refuses what it did not make) instead of making a second one.
    let exists = match &live_state {
        Some(state) => w
            .provider
            .read(&ResourceRequest {
                address: intent.address.clone(),
                state: state.clone(),
                idempotency_key: None,
            })
            .await?
            .is_some(),
        None => false,
    };
    // The interrupted entry is closed; the call is made again under a new one.
    inner
        .store
        .journal_result(
            entry.id,
            &json!({"interrupted": true, "found": exists}).to_string(),
            None,
        )
        .await?;
    let found = if exists {
        "it existed"
    } else {
        "it did not exist"
    };
    let plan_id = intent.plan.clone();
    let wopts = opts.write_options();
    if let Some(external_id) = intent.external_id.clone() {
        let record = effect_record(inner, &w, "import", &plan_id);
        let item = resource_item(
            Point::ResourceImport,
            Operation::Import,
            &intent.address,
            None,
            intent.params.clone(),
        );
        let call = journaled(inner, &key, me, &intent, version, async {
            Ok(call_import(inner, &w, &key, &intent, &external_id).await?.0)
        });
        inner.effect(record, item, &wopts, call).await?;
        return Ok(format!("finished: imported again ({found})"));
    }
    match intent.action {
        Action::Delete | Action::Forget => {
            let prior = prior.ok_or_else(|| Error::store_msg(format!("{key}: no state")))?;
            let record = effect_record(inner, &w, "destroy", &plan_id);
            let item = super::plan::item_of(&w);
            let call = journaled(inner, &key, me, &intent, version, async {
                if exists || intent.action == Action::Forget {
                    call_delete(&w, &intent, prior.clone()).await
                } else {
                    // Already gone: record it so.
                    let mut w2_intent = intent.clone();
                    w2_intent.action = Action::Forget;
                    let mut doc = call_delete(&w, &w2_intent, prior.clone()).await?;
                    doc.status = crate::resource::state::StateStatus::Destroyed;
                    doc.operation = "delete".into();
                    Ok(doc)
                }
            });
            inner.effect(record, item, &wopts, call).await?;
            Ok(format!("finished: {} ({found})", intent.action.as_str()))
        }
        Action::Create | Action::Update | Action::Replace | Action::NoOp => {
            let sealed = intent.sealed_params.as_deref().ok_or_else(|| {
                Error::store_msg(format!("{key}: the interrupted apply kept no params"))
            })?;
            let params = inner.sealer.open(&key, sealed)?;
            let record = effect_record(inner, &w, "apply", &plan_id);
            let item = resource_item(
                Point::ResourceApply,
                if exists {
                    Operation::Update
                } else {
                    Operation::Create
                },
                &intent.address,
                prior.as_ref().and_then(|p| p.params.clone()),
                intent.params.clone(),
            );
            // A replace cut short after its delete is finished by creating.
            let mut again = intent.clone();
            if again.action == Action::Replace && !exists {
                again.action = Action::Create;
            }
            let prior_state = if exists { live_state } else { None };
            let call = journaled(inner, &key, me, &again, version, async {
                call_apply(inner, &w, &key, &again, params.clone(), prior_state).await
            });
            inner.effect(record, item, &wopts, call).await?;
            Ok(format!("finished: applied again ({found})"))
        }
    }
}
