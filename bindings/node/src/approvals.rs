//! Approvals ([`paved::Approvals`]): `platform.approvals`, changes held by
//! policies that ask for approval, and approving or rejecting them. Values
//! are core's JSON (typed in the header: `Approval`).

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{count, promise};
use crate::pipeline::WriteOptions;
use crate::plain::plain;

/// The held changes of a platform.
#[napi]
pub struct Approvals {
    pub(crate) inner: paved::Approvals,
}

/// Which requests `list` returns.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ApprovalListOptions {
    /// Only requests in this state (absent: every state).
    #[napi(ts_type = "'pending' | 'applied' | 'rejected' | 'expired' | 'stale'")]
    pub status: Option<String>,
    /// At most this many, newest first (default 50).
    pub limit: Option<f64>,
}

/// Options of `approve`: a comment, and the write's options.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ApproveOptions {
    /// Why, for the audit log.
    pub comment: Option<String>,
    /// Who approves (absent: the platform's actor).
    pub actor: Option<String>,
    /// Check that the actor may approve; write nothing.
    pub dry_run: Option<bool>,
}

/// Options of `reject`: a reason, and the write's options.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RejectOptions {
    /// Why, for the requester and the audit log.
    pub reason: Option<String>,
    /// Who rejects (absent: the platform's actor).
    pub actor: Option<String>,
    /// Check that the actor may reject; write nothing.
    pub dry_run: Option<bool>,
}

fn status(s: Option<String>) -> paved::Result<Option<paved::ApprovalStatus>> {
    s.map(|s| s.parse()).transpose()
}

fn write_options(actor: Option<String>, dry_run: Option<bool>) -> paved::WriteOptions {
    WriteOptions::core(Some(WriteOptions { actor, dry_run }))
}

#[napi]
impl Approvals {
    /// Requests, newest first.
    #[napi(ts_return_type = "Promise<Approval[]>")]
    pub fn list(
        &self,
        env: &Env,
        options: Option<ApprovalListOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let approvals = self.inner.clone();
        let o = options.unwrap_or_default();
        promise(env, async move {
            let filter = paved::ApprovalFilter {
                status: status(o.status)?,
                limit: count("limit", o.limit)?,
            };
            plain(&approvals.list(&filter).await?)
        })
    }

    /// One request: what it changes, which policies hold it and why.
    #[napi(ts_return_type = "Promise<Approval>")]
    pub fn get(&self, env: &Env, id: String) -> Result<AsyncBlock<Value>> {
        let approvals = self.inner.clone();
        promise(env, async move { plain(&approvals.get(&id).await?) })
    }

    /// Approve as the actor (a member of an approving group, not the
    /// requester). Once every policy that held it is approved, exactly the
    /// reviewed change is written.
    #[napi(ts_return_type = "Promise<Approval>")]
    pub fn approve(
        &self,
        env: &Env,
        id: String,
        options: Option<ApproveOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let approvals = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = write_options(o.actor, o.dry_run);
        promise(env, async move {
            plain(&approvals.approve(&id, o.comment.as_deref(), &opts).await?)
        })
    }

    /// Reject as the actor (an approver, or the requester withdrawing it).
    /// Nothing of the change is written.
    #[napi(ts_return_type = "Promise<Approval>")]
    pub fn reject(
        &self,
        env: &Env,
        id: String,
        options: Option<RejectOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let approvals = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = write_options(o.actor, o.dry_run);
        promise(env, async move {
            plain(&approvals.reject(&id, o.reason.as_deref(), &opts).await?)
        })
    }
}
