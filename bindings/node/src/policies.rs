//! Policies ([`paved::Policies`]): `platform.policies`, its bindings, trying
//! an entity on them, and recorded decisions with their explanations. Values
//! are core's JSON (typed in the header: `PolicyBinding`, `Decision`,
//! `Explained`).

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{count, promise};
use crate::plain::plain;

/// The policy bindings of a platform.
#[napi]
pub struct Policies {
    pub(crate) inner: paved::Policies,
}

/// Which recorded decisions to list; every field given must match.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct DecisionOptions {
    /// About this entity ref (or resource `type/name`).
    pub subject: Option<String>,
    /// Of this policy.
    pub policy: Option<String>,
    /// On changes by this actor.
    pub actor: Option<String>,
    /// About what this team (a group ref) owns.
    pub team: Option<String>,
    /// Only denials that blocked a change.
    pub blocking: Option<bool>,
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

/// Options of `evaluate`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct EvaluateOptions {
    /// Who would write it (default: the platform's actor).
    pub actor: Option<String>,
}

#[napi]
impl Policies {
    /// The bindings in force, in review order: `paved.yaml`'s, then the
    /// catalogue's Policy entities (named by their refs).
    #[napi(ts_return_type = "Promise<PolicyBinding[]>")]
    pub fn list(&self, env: &Env) -> Result<AsyncBlock<Value>> {
        let policies = self.inner.clone();
        promise(env, async move { plain(&policies.list().await?) })
    }

    /// Review an entity as writing it would, without writing: every
    /// decision, plain allows included.
    #[napi(ts_return_type = "Promise<Decision[]>")]
    pub fn evaluate(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "Entity")] entity: Value,
        options: Option<EvaluateOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let policies = self.inner.clone();
        let actor = options.and_then(|o| o.actor);
        promise(env, async move {
            plain(&policies.evaluate(entity, actor.as_deref()).await?)
        })
    }

    /// Run the policy test files under `path` (a directory of `*.test.yaml`
    /// files, or one file): each case is reviewed as a write would be,
    /// without writing. `VALIDATION` if a test file does not load.
    #[napi(ts_return_type = "Promise<PolicyTestReport>")]
    pub fn test(&self, env: &Env, path: String) -> Result<AsyncBlock<Value>> {
        let policies = self.inner.clone();
        promise(env, async move {
            plain(&policies.test(std::path::Path::new(&path)).await?)
        })
    }

    /// A recorded decision by id, with its explanation.
    #[napi(ts_return_type = "Promise<Explained>")]
    pub fn why(&self, env: &Env, id: f64) -> Result<AsyncBlock<Value>> {
        let policies = self.inner.clone();
        promise(env, async move {
            let id = count("id", Some(id))?.unwrap_or_default() as u64;
            plain(&policies.why(id).await?)
        })
    }

    /// Recorded decisions, newest first.
    #[napi(ts_return_type = "Promise<Decision[]>")]
    pub fn decisions(
        &self,
        env: &Env,
        options: Option<DecisionOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let policies = self.inner.clone();
        let o = options.unwrap_or_default();
        promise(env, async move {
            let filter = paved::DecisionFilter {
                subject: o.subject,
                policy: o.policy,
                actor: o.actor,
                team: o.team,
                blocking: o.blocking.unwrap_or(false),
                limit: count("limit", o.limit)?,
            };
            plain(&policies.decisions(&filter).await?)
        })
    }
}
