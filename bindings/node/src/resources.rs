//! Resources ([`paved::Resources`]): `platform.resources`, resources asked
//! for by the catalogue's Resource entities and provisioned through the
//! providers: plan, apply, destroy, drift, import, and their state, history,
//! outputs and leases. Options cross as they are (absent: core's default);
//! values are core's JSON (typed in the header: `ResourcePlan`,
//! `ApplyReport`, `DriftReport`, `ImportReport`, `ResourceState`,
//! `ResourceSummary`, `LeaseInfo`).

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{count, promise};
use crate::plain::plain;

/// The resources of a platform.
#[napi]
pub struct Resources {
    pub(crate) inner: paved::Resources,
}

/// Options of `apply` and `destroy`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ResourceOptions {
    /// Who acts, recorded in the audit log (absent: the platform's actor).
    pub actor: Option<String>,
    /// Return the plan and its policy decisions; change nothing.
    pub dry_run: Option<bool>,
    /// Independent resources worked on at once (absent: paved.yaml's
    /// `resources.parallelism`, 8).
    pub parallelism: Option<f64>,
}

/// Options of `plan` and `drift`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ResourceReadOptions {
    /// Who asks (absent: the platform's actor); `drift` records its checks
    /// in the audit log under this actor.
    pub actor: Option<String>,
    /// Independent resources asked about at once (absent: paved.yaml's
    /// `resources.parallelism`, 8).
    pub parallelism: Option<f64>,
}

/// Options of `import`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ResourceImportOptions {
    /// Who imports, recorded in the audit log (absent: the platform's actor).
    pub actor: Option<String>,
}

/// Options of `history`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ResourceHistoryOptions {
    /// At most this many versions, newest first (default 50).
    pub limit: Option<f64>,
}

/// Options of `outputs`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct OutputsOptions {
    /// Show sensitive outputs too (recorded in the audit log first);
    /// absent or false: they read `(sensitive)`.
    pub reveal: Option<bool>,
    /// Who reveals them (absent: the platform's actor).
    pub actor: Option<String>,
}

/// Options of `unlock`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct UnlockOptions {
    /// Who releases the lease, recorded in the audit log (absent: the
    /// platform's actor).
    pub actor: Option<String>,
    /// Return the lease that would be released; release nothing.
    pub dry_run: Option<bool>,
}

/// Core's options: a missing option is core's default.
fn core_options(
    actor: Option<String>,
    dry_run: Option<bool>,
    parallelism: Option<f64>,
) -> paved::Result<paved::ResourceOptions> {
    Ok(paved::ResourceOptions {
        actor,
        dry_run: dry_run.unwrap_or_default(),
        parallelism: count("parallelism", parallelism)?,
    })
}

fn read_options(o: Option<ResourceReadOptions>) -> paved::Result<paved::ResourceOptions> {
    let o = o.unwrap_or_default();
    core_options(o.actor, None, o.parallelism)
}

fn write_options(o: Option<ResourceOptions>) -> paved::Result<paved::ResourceOptions> {
    let o = o.unwrap_or_default();
    core_options(o.actor, o.dry_run, o.parallelism)
}

#[napi]
impl Resources {
    /// What `apply` would do to `refs` (Resource refs, and what they depend
    /// on; absent or empty: every resource): per resource its action, the
    /// attribute diffs, and the policy decisions. Changes nothing.
    #[napi(ts_return_type = "Promise<ResourcePlan>")]
    pub fn plan(
        &self,
        env: &Env,
        refs: Option<Vec<String>>,
        options: Option<ResourceReadOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let refs = refs.unwrap_or_default();
        promise(env, async move {
            let opts = read_options(options)?;
            plain(&resources.plan(&refs, &opts).await?)
        })
    }

    /// Create, update, replace and delete resources so they are as their
    /// Resource entities ask (absent or empty `refs`: every resource), in
    /// dependency order. Refused as a whole when an enforcing policy denies
    /// part of the plan; a resource another holder works on is `LOCKED`.
    #[napi(ts_return_type = "Promise<ApplyReport>")]
    pub fn apply(
        &self,
        env: &Env,
        refs: Option<Vec<String>>,
        options: Option<ResourceOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let refs = refs.unwrap_or_default();
        promise(env, async move {
            let opts = write_options(options)?;
            plain(&resources.apply(&refs, &opts).await?)
        })
    }

    /// Delete `refs` (absent or empty: every resource) and what depends on
    /// them, dependents first; a resource whose deletion policy is `orphan`,
    /// or observed only, is let go without deleting it.
    #[napi(ts_return_type = "Promise<ApplyReport>")]
    pub fn destroy(
        &self,
        env: &Env,
        refs: Option<Vec<String>>,
        options: Option<ResourceOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let refs = refs.unwrap_or_default();
        promise(env, async move {
            let opts = write_options(options)?;
            plain(&resources.destroy(&refs, &opts).await?)
        })
    }

    /// Read each resource (absent or empty `refs`: every one with state)
    /// through its provider and report what changed outside paved; each
    /// check is recorded in the audit log (`state().lastDrift` shows the last).
    #[napi(ts_return_type = "Promise<DriftReport>")]
    pub fn drift(
        &self,
        env: &Env,
        refs: Option<Vec<String>>,
        options: Option<ResourceReadOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let refs = refs.unwrap_or_default();
        promise(env, async move {
            let opts = read_options(options)?;
            plain(&resources.drift(&refs, &opts).await?)
        })
    }

    /// Adopt an existing thing (`externalId`: the provider's id of it) as
    /// the Resource `resourceRef`, which must be in the catalogue: observed
    /// only while the Resource has no `spec.params`, managed once it has.
    #[napi(ts_return_type = "Promise<ImportReport>")]
    pub fn import(
        &self,
        env: &Env,
        resource_ref: String,
        external_id: String,
        options: Option<ResourceImportOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let actor = options.and_then(|o| o.actor);
        promise(env, async move {
            let opts = options_of_actor(actor);
            plain(&resources.import(&resource_ref, &external_id, &opts).await?)
        })
    }

    /// Every resource: declared in the catalogue or with state, with its
    /// status, state version and lease.
    #[napi(ts_return_type = "Promise<ResourceSummary[]>")]
    pub fn list(&self, env: &Env) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        promise(env, async move { plain(&resources.list().await?) })
    }

    /// A resource's latest state (sensitive outputs as `(sensitive)`), its
    /// lease and its last drift check. `NOT_FOUND` when it has no state.
    #[napi(ts_return_type = "Promise<ResourceState>")]
    pub fn state(&self, env: &Env, resource_ref: String) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        promise(
            env,
            async move { plain(&resources.state(&resource_ref).await?) },
        )
    }

    /// The versions of a resource's state, newest first (sensitive outputs
    /// as `(sensitive)`).
    #[napi(ts_return_type = "Promise<ResourceState[]>")]
    pub fn history(
        &self,
        env: &Env,
        resource_ref: String,
        options: Option<ResourceHistoryOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let limit = options.and_then(|o| o.limit);
        promise(env, async move {
            let limit = count("limit", limit)?;
            plain(&resources.history(&resource_ref, limit).await?)
        })
    }

    /// A resource's outputs; sensitive ones read `(sensitive)` unless
    /// `reveal`, which is recorded in the audit log before anything is
    /// returned.
    #[napi(ts_return_type = "Promise<Record<string, unknown>>")]
    pub fn outputs(
        &self,
        env: &Env,
        resource_ref: String,
        options: Option<OutputsOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let o = options.unwrap_or_default();
        promise(env, async move {
            let opts = options_of_actor(o.actor);
            let reveal = o.reveal.unwrap_or_default();
            resources.outputs(&resource_ref, reveal, &opts).await
        })
    }

    /// Release a resource's lease whoever holds it (a holder that will not
    /// come back), recorded in the audit log. Resolves with the lease
    /// released (a dry run: the one it would release), null if it was free.
    #[napi(ts_return_type = "Promise<LeaseInfo | null>")]
    pub fn unlock(
        &self,
        env: &Env,
        resource_ref: String,
        options: Option<UnlockOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let resources = self.inner.clone();
        let o = options.unwrap_or_default();
        promise(env, async move {
            let opts = core_options(o.actor, o.dry_run, None)?;
            plain(&resources.unlock(&resource_ref, &opts).await?)
        })
    }
}

/// Core's options with only an actor.
fn options_of_actor(actor: Option<String>) -> paved::ResourceOptions {
    paved::ResourceOptions {
        actor,
        ..paved::ResourceOptions::default()
    }
}
