//! Scorecards ([`paved::Scorecards`]): `platform.scorecards`, an entity's or
//! a team's scores, recording them, a team's trend. Values are core's JSON
//! (typed in the header: `Scorecard`, `Score`, `TeamScore`, `Snapshot`).

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{count, promise, throw};
use crate::pipeline::WriteOptions;
use crate::plain::plain;

/// The scorecards of a platform.
#[napi]
pub struct Scorecards {
    pub(crate) inner: paved::Scorecards,
}

/// Which scorecard: absent, every one (that selects the entity).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ScorecardOptions {
    pub scorecard: Option<String>,
}

/// Options of `record`: which scorecard, and the write's options.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// Only this scorecard (absent: every scorecard).
    pub scorecard: Option<String>,
    /// Recorded in the audit log (absent: the platform's actor).
    pub actor: Option<String>,
    /// Score and return the snapshots; record nothing.
    pub dry_run: Option<bool>,
}

/// Options of `history`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// Only this scorecard (absent: every scorecard).
    pub scorecard: Option<String>,
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

#[napi]
impl Scorecards {
    /// The scorecards, as in `paved.yaml`.
    #[napi(ts_return_type = "Scorecard[]")]
    pub fn list(&self, env: &Env) -> Result<Value> {
        throw(env, plain(&self.inner.list()))
    }

    /// One entity's scores on every scorecard that selects it (or the one
    /// named): its level, what to do next, and each rule.
    #[napi(ts_return_type = "Promise<Score[]>")]
    pub fn score(
        &self,
        env: &Env,
        entity_ref: String,
        options: Option<ScorecardOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let scorecards = self.inner.clone();
        let scorecard = options.and_then(|o| o.scorecard);
        promise(env, async move {
            plain(&scorecards.score(&entity_ref, scorecard.as_deref()).await?)
        })
    }

    /// The scores of every entity a team (group ref) owns.
    #[napi(ts_return_type = "Promise<TeamScore[]>")]
    pub fn team(
        &self,
        env: &Env,
        team: String,
        options: Option<ScorecardOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let scorecards = self.inner.clone();
        let scorecard = options.and_then(|o| o.scorecard);
        promise(env, async move {
            plain(&scorecards.team(&team, scorecard.as_deref()).await?)
        })
    }

    /// Score every entity and record each team's scores in the audit log
    /// (a write: the actor and the checks apply).
    #[napi(ts_return_type = "Promise<Snapshot[]>")]
    pub fn record(&self, env: &Env, options: Option<RecordOptions>) -> Result<AsyncBlock<Value>> {
        let scorecards = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = WriteOptions::core(Some(WriteOptions {
            actor: o.actor,
            dry_run: o.dry_run,
        }));
        promise(env, async move {
            plain(&scorecards.record(o.scorecard.as_deref(), &opts).await?)
        })
    }

    /// A team's recorded scores, newest first.
    #[napi(ts_return_type = "Promise<Snapshot[]>")]
    pub fn history(
        &self,
        env: &Env,
        team: String,
        options: Option<HistoryOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let scorecards = self.inner.clone();
        let o = options.unwrap_or_default();
        promise(env, async move {
            let limit = count("limit", o.limit)?;
            plain(
                &scorecards
                    .history(&team, o.scorecard.as_deref(), limit)
                    .await?,
            )
        })
    }
}
