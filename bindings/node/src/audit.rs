//! The audit log ([`paved::Audit`]): `platform.audit`, its records and the
//! chain check as JS objects.

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{count, promise};
use crate::query::number;

/// One record of the append-only, hash-chained audit log.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// 1, 2, 3, … with no gaps; an event's `seq` is its record's.
    pub seq: i64,
    /// RFC 3339 UTC time with microseconds.
    pub at: String,
    pub actor: String,
    /// e.g. `entity.create`, `entity.update`, `entity.delete`, `resource.apply`.
    pub action: String,
    /// What it is about, e.g. an entity ref.
    pub subject: String,
    /// Anything else recorded (etags, origin, location).
    #[napi(ts_type = "Record<string, any>")]
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<paved::AuditRecord> for AuditRecord {
    fn from(r: paved::AuditRecord) -> Self {
        Self {
            seq: number(r.seq),
            at: r.at,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

fn records(list: Vec<paved::AuditRecord>) -> Vec<AuditRecord> {
    list.into_iter().map(AuditRecord::from).collect()
}

/// Which records to list.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct AuditListOptions {
    /// Only records with `seq` greater than this (default: from the first).
    pub after: Option<f64>,
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

/// How many records to return.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct AuditLimitOptions {
    /// At most this many (default 100).
    pub limit: Option<f64>,
}

/// Where and why the chain breaks.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// The result of checking the whole chain.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// `true` when the chain is unbroken.
    pub ok: bool,
    /// Records checked.
    pub checked: i64,
    /// Hash of the last good record (absent for an empty log).
    pub head: Option<String>,
    /// The first problem, when the chain is broken.
    pub broken: Option<ChainBreak>,
}

impl From<paved::VerifyReport> for VerifyReport {
    fn from(r: paved::VerifyReport) -> Self {
        Self {
            ok: r.broken.is_none(),
            checked: number(r.checked),
            head: r.head,
            broken: r.broken.map(|b| ChainBreak {
                seq: number(b.seq),
                reason: b.reason,
            }),
        }
    }
}

/// The audit log of a platform (`platform.audit`).
#[napi]
pub struct Audit {
    pub(crate) inner: paved::Audit,
}

#[napi]
impl Audit {
    /// Records with `seq` greater than `after`, oldest first.
    #[napi]
    pub fn list(
        &self,
        env: &Env,
        options: Option<AuditListOptions>,
    ) -> Result<AsyncBlock<Vec<AuditRecord>>> {
        let audit = self.inner.clone();
        let options = options.unwrap_or_default();
        promise(env, async move {
            let after = count("after", options.after)?.map(|n| n as u64);
            let limit = count("limit", options.limit)?;
            Ok(records(audit.list(after, limit).await?))
        })
    }

    /// Records about one entity, newest first.
    #[napi]
    pub fn for_entity(
        &self,
        env: &Env,
        entity_ref: String,
        options: Option<AuditLimitOptions>,
    ) -> Result<AsyncBlock<Vec<AuditRecord>>> {
        let audit = self.inner.clone();
        let limit = options.unwrap_or_default().limit;
        promise(env, async move {
            let limit = count("limit", limit)?;
            Ok(records(audit.for_entity(&entity_ref, limit).await?))
        })
    }

    /// Check the whole hash chain.
    #[napi]
    pub fn verify(&self, env: &Env) -> Result<AsyncBlock<VerifyReport>> {
        let audit = self.inner.clone();
        promise(env, async move { Ok(audit.verify().await?.into()) })
    }
}
