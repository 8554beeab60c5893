//! The audit log ([`paved::audit`]): records and the chain check as JS objects.

use napi_derive::napi;
use serde_json::Value;

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
    /// e.g. `entity.create`, `entity.update`, `entity.delete`.
    pub action: String,
    /// What it is about, e.g. an entity ref.
    pub subject: String,
    /// Anything else recorded (etags, origin, location).
    #[napi(ts_type = "Record<string, any>")]
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<paved::audit::AuditRecord> for AuditRecord {
    fn from(r: paved::audit::AuditRecord) -> Self {
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

/// Which records to list.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct AuditListOptions {
    /// Only records with `seq` greater than this (default 0: from the start).
    pub after: Option<i64>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}

/// How many records to return.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct AuditLimitOptions {
    /// At most this many (default 100).
    pub limit: Option<u32>,
}

/// Records returned when no `limit` is given.
pub const DEFAULT_LIMIT: u32 = 100;

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

impl From<paved::audit::VerifyReport> for VerifyReport {
    fn from(r: paved::audit::VerifyReport) -> Self {
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
