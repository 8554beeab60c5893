//! [`Resources`]: plan, apply, drift, destroy and import resources through
//! their providers, with state, leases and a journal.
//!
//! Every operation starts from the catalogue (each `Resource` entity is a
//! request, see [`crate::resource`]) and the stored state. `plan` asks each
//! provider what it would do, in dependency order, and has the policy
//! bindings review the changes without writing anything. `apply` and
//! `destroy` first reconcile interrupted calls found in the journal
//! ([`recover`]), plan, refuse if a policy blocks (or hold the plan for
//! approval when the policy asks for one), take the lease of every
//! resource they touch, then work level by level (a level's resources at
//! once, up to the parallelism), each provider call going through the one
//! pipeline (reviewed, audited) with its intent journaled before and its
//! result and new state version after.

mod drift;
mod loaded;
mod plan;
mod recover;
mod run;

pub(super) use run::{plan_approved, run_approved};

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use self::loaded::Loaded;
use super::Inner;
use crate::error::{Error, Result};
use crate::resource::state::{Goal, LeaseInfo, ResourceState, ResourceSummary, StateDoc, redact};
use crate::resource::{ApplyReport, DriftReport, ImportReport, ResourceOptions, ResourcePlan};
use crate::store::{AuditOnly, StateRow};

/// How many versions `history` returns unless told.
pub const DEFAULT_HISTORY: usize = 50;

/// The resources of a platform.
#[derive(Clone)]
pub struct Resources {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resources")
    }
}

/// The key of a Resource ref (`orders-db`, `resource:shop/orders-db`).
pub(crate) fn resource_key(reference: &str) -> Result<String> {
    let r = crate::model::EntityRef::parse_with(reference, Some("resource"), "default")
        .map_err(|e| Error::invalid(crate::Diagnostic::error("ref", e.to_string())))?;
    if !r.kind.eq_ignore_ascii_case("resource") {
        return Err(Error::invalid(crate::Diagnostic::error(
            "ref",
            format!("'{reference}' is a {}, expected a Resource", r.kind),
        )));
    }
    Ok(r.key())
}

impl Resources {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// What applying would do to `targets` (Resource refs; none: every
    /// resource), with what they depend on, and the policy decisions.
    pub async fn plan(&self, targets: &[String], opts: &ResourceOptions) -> Result<ResourcePlan> {
        let loaded = Loaded::read(&self.inner).await?;
        let planned = plan::plan_apply(&self.inner, &loaded, targets, opts).await?;
        Ok(planned.plan)
    }

    /// The plan of `targets` as if the Resource entities `extra` were in
    /// the catalogue: a golden path's preview of what it provisions.
    pub(crate) async fn plan_with(
        &self,
        extra: &[crate::model::Entity],
        targets: &[String],
        opts: &ResourceOptions,
    ) -> Result<ResourcePlan> {
        let mut loaded = Loaded::read(&self.inner).await?;
        loaded.overlay(extra);
        let planned = plan::plan_apply(&self.inner, &loaded, targets, opts).await?;
        Ok(planned.plan)
    }

    /// Bring `targets` (none: every resource) to what their Resources ask
    /// for: create, update, replace, and delete resources whose Resource is
    /// gone. A dry run returns the plan and changes nothing.
    pub async fn apply(&self, targets: &[String], opts: &ResourceOptions) -> Result<ApplyReport> {
        run::run(&self.inner, Goal::Apply, targets, opts).await
    }

    /// Delete `targets` (none: every resource) and what depends on them,
    /// dependents first; a resource whose deletion policy is `orphan`, or
    /// observed only, is let go without deleting it.
    pub async fn destroy(&self, targets: &[String], opts: &ResourceOptions) -> Result<ApplyReport> {
        run::run(&self.inner, Goal::Destroy, targets, opts).await
    }

    /// Read each resource (none: every one with state) through its provider
    /// and report what changed outside paved.
    pub async fn drift(&self, targets: &[String], opts: &ResourceOptions) -> Result<DriftReport> {
        drift::drift(&self.inner, targets, opts).await
    }

    /// Adopt an existing thing as the Resource `reference` (which must be in
    /// the catalogue): observed only while the Resource has no params,
    /// managed once it has.
    pub async fn import(
        &self,
        reference: &str,
        external_id: &str,
        opts: &ResourceOptions,
    ) -> Result<ImportReport> {
        run::import(&self.inner, reference, external_id, opts).await
    }

    /// Every resource: declared in the catalogue or with state, each with
    /// its lease and its last drift check (read for all of them at once: a
    /// portal's list costs the same few reads however many it shows).
    pub async fn list(&self) -> Result<Vec<ResourceSummary>> {
        let loaded = Loaded::read(&self.inner).await?;
        let leases = self.inner.store.leases().await?;
        let keys: Vec<String> = loaded.states.keys().map(|k| k.to_lowercase()).collect();
        let mut drifts = HashMap::new();
        // Oldest first: the last one read is the last check.
        for record in self
            .inner
            .store
            .audit_about_many(&keys, &[drift::CHECKED])
            .await?
        {
            drifts.insert(record.subject.to_lowercase(), drift::last_check(&record));
        }
        Ok(loaded.summaries(&leases, &drifts))
    }

    /// The latest state of a resource (outputs redacted).
    pub async fn state(&self, reference: &str) -> Result<ResourceState> {
        let key = resource_key(reference)?;
        let row = self
            .inner
            .store
            .resource_state(&key)
            .await?
            .ok_or_else(|| not_found(reference))?;
        let leases = self.inner.store.leases().await?;
        let lease = loaded::held(&leases, &key).map(LeaseInfo::from);
        let mut view = self.view(&row, false)?;
        view.lease = lease;
        view.last_drift = self
            .inner
            .store
            .audit_about(&key, 200)
            .await?
            .iter()
            .find(|r| r.action == drift::CHECKED)
            .map(drift::last_check);
        Ok(view)
    }

    /// Versions of a resource's state, newest first (outputs redacted).
    pub async fn history(
        &self,
        reference: &str,
        limit: Option<usize>,
    ) -> Result<Vec<ResourceState>> {
        let key = resource_key(reference)?;
        let rows = self
            .inner
            .store
            .resource_history(&key, limit.unwrap_or(DEFAULT_HISTORY))
            .await?;
        if rows.is_empty() {
            return Err(not_found(reference));
        }
        rows.iter().map(|r| self.view(r, false)).collect()
    }

    /// A resource's outputs; sensitive ones are `(sensitive)` unless
    /// `reveal`, which is recorded in the audit log (`resource.outputs.reveal`)
    /// before anything is returned.
    pub async fn outputs(
        &self,
        reference: &str,
        reveal: bool,
        opts: &ResourceOptions,
    ) -> Result<Value> {
        let key = resource_key(reference)?;
        let row = self
            .inner
            .store
            .resource_state(&key)
            .await?
            .ok_or_else(|| not_found(reference))?;
        let doc = loaded::doc(&row)?;
        if reveal && !doc.sensitive.is_empty() {
            let ctx = self.inner.context().await?;
            crate::pipeline::record_effects(
                &ctx,
                vec![AuditOnly {
                    action: "resource.outputs.reveal".into(),
                    subject: doc.resource.clone(),
                    details: json!({"keys": doc.sensitive, "version": row.version}),
                    event: "resource.outputs.revealed".into(),
                }],
                &opts.write_options(),
            )
            .await?;
        }
        let view = self.view(&row, reveal)?;
        Ok(view.outputs)
    }

    /// Release a resource's lease whoever holds it (after a holder that
    /// will not come back), recorded as `resource.unlock`. Returns the lease
    /// released, none if it was free; a dry run returns the lease it would
    /// release and releases nothing.
    pub async fn unlock(
        &self,
        reference: &str,
        opts: &ResourceOptions,
    ) -> Result<Option<LeaseInfo>> {
        let key = resource_key(reference)?;
        let record = |holder: &str, operation: &str| AuditOnly {
            action: "resource.unlock".into(),
            subject: key.clone(),
            details: json!({"holder": holder, "operation": operation}),
            event: "resource.unlocked".into(),
        };
        let ctx = self.inner.context().await?;
        let wopts = opts.write_options();
        let held = self.inner.store.leases().await?;
        let current = held.iter().find(|l| l.resource == key);
        // Checked before anything is released, whether a lease is held or not.
        let probe = current.map_or_else(|| record("", ""), |l| record(&l.holder, &l.operation));
        crate::pipeline::permit_effects(&ctx, std::slice::from_ref(&probe), &wopts).await?;
        if opts.dry_run {
            return Ok(current.map(LeaseInfo::from));
        }
        let released = self.inner.store.release_lease(&key, None).await?;
        if let Some(lease) = &released {
            let r = record(&lease.holder, &lease.operation);
            crate::pipeline::record_effects(&ctx, vec![r], &wopts).await?;
        }
        Ok(released.as_ref().map(LeaseInfo::from))
    }

    fn view(&self, row: &StateRow, reveal: bool) -> Result<ResourceState> {
        let doc: StateDoc = loaded::doc(row)?;
        let outputs = match &doc.sealed {
            Some(sealed) => {
                let open = self.inner.sealer.open(&row.resource, sealed)?;
                let outputs = open.get("outputs").cloned().unwrap_or(json!({}));
                if reveal {
                    outputs
                } else {
                    redact(&outputs, &doc.sensitive)
                }
            }
            None => json!({}),
        };
        Ok(ResourceState {
            resource: doc.resource,
            version: row.version,
            at: row.at.clone(),
            status: doc.status,
            operation: doc.operation,
            address: doc.address,
            provider: doc.provider,
            provider_version: doc.provider_version,
            params: doc.params,
            state: doc.state,
            outputs,
            sensitive: doc.sensitive,
            depends_on: doc.depends_on,
            deletion_policy: doc.deletion_policy,
            plan: doc.plan,
            actor: doc.actor,
            lease: None,
            last_drift: None,
        })
    }
}

fn not_found(reference: &str) -> Error {
    Error::NotFound {
        what: "resource state",
        id: reference.to_string(),
        hint: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::resource::ResourceOptions;

    fn send<T: Send>(_: T) {}

    /// Fronts spawn these on a multi-threaded runtime: their futures must
    /// be `Send` (a closure over borrowed keys given to a stream is not
    /// provably so; the operations build their futures in loops).
    #[allow(dead_code, clippy::let_underscore_future)]
    fn every_operation_future_is_send(p: crate::Platform) {
        let r = p.resources();
        let o = ResourceOptions::default();
        send(r.plan(&[], &o));
        send(r.apply(&[], &o));
        send(r.destroy(&[], &o));
        send(r.drift(&[], &o));
        send(r.import("a", "b", &o));
        send(r.list());
        send(r.state("a"));
        send(r.history("a", None));
        send(r.outputs("a", true, &o));
        send(r.unlock("a", &o));
    }
}
