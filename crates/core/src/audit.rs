//! The audit log: append-only, hash-chained records of every change.
//!
//! Each record's hash covers its own fields and the previous record's hash, so
//! editing, removing or reordering any record breaks the chain from there on;
//! [`verify`] finds the first break. Stores call [`chain`] inside the write
//! transaction, after locking the head of the chain, so concurrent writers
//! (several processes on one PostgreSQL) still produce one unbroken chain.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Records listed when a caller names no limit.
pub const DEFAULT_LIMIT: usize = 100;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a writer wants recorded; the store assigns seq, time and hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditDraft {
    pub actor: String,
    /// e.g. `entity.create`, `entity.update`, `entity.delete`.
    pub action: String,
    /// What it is about, e.g. an entity ref.
    pub subject: String,
    /// Anything else worth keeping (etags, origin, location).
    pub details: Value,
}

/// One record of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// RFC 3339 UTC time with microseconds, as hashed.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The current time in the form records use.
pub fn now() -> String {
    time(chrono::Utc::now())
}

/// A time in the form records use: RFC 3339 UTC with microseconds.
pub fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn digest(seq: u64, at: &str, prev_hash: &str, d: &AuditDraft) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different records hash the same bytes.
    for part in [
        seq.to_string().as_str(),
        at,
        prev_hash,
        &d.actor,
        &d.action,
        &d.subject,
        &d.details.to_string(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Append `draft` after the record with `prev` (`None` for the first record).
pub fn chain(prev: Option<(u64, &str)>, at: String, draft: AuditDraft) -> AuditRecord {
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    };
    let hash = digest(seq, &at, &prev_hash, &draft);
    AuditRecord {
        seq,
        at,
        actor: draft.actor,
        action: draft.action,
        subject: draft.subject,
        details: draft.details,
        prev_hash,
        hash,
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Records checked.
    pub checked: u64,
    /// Hash of the last good record.
    pub head: Option<String>,
    /// The first problem, if the chain is broken.
    pub broken: Option<ChainBreak>,
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Incremental verifier: feed records oldest first.
#[derive(Debug, Default)]
pub struct Verifier {
    last: Option<(u64, String)>,
    checked: u64,
    broken: Option<ChainBreak>,
}

impl Verifier {
    /// Check the next record; returns `false` once the chain is broken.
    pub fn feed(&mut self, r: &AuditRecord) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let (expected_seq, expected_prev) = match &self.last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS),
        };
        let reason = if r.seq != expected_seq {
            Some(format!("expected record {expected_seq}, found {}", r.seq))
        } else if r.prev_hash != expected_prev {
            Some("prev_hash does not match the previous record's hash".to_string())
        } else {
            let draft = AuditDraft {
                actor: r.actor.clone(),
                action: r.action.clone(),
                subject: r.subject.clone(),
                details: r.details.clone(),
            };
            (digest(r.seq, &r.at, &r.prev_hash, &draft) != r.hash)
                .then(|| "hash does not match the record's content: it was altered".to_string())
        };
        if let Some(reason) = reason {
            self.broken = Some(ChainBreak { seq: r.seq, reason });
            return false;
        }
        self.last = Some((r.seq, r.hash.clone()));
        self.checked += 1;
        true
    }

    /// The verdict.
    pub fn finish(self) -> VerifyReport {
        VerifyReport {
            checked: self.checked,
            head: self.last.map(|(_, h)| h),
            broken: self.broken,
        }
    }
}

/// Verify a whole chain held in memory.
pub fn verify<'a>(records: impl IntoIterator<Item = &'a AuditRecord>) -> VerifyReport {
    let mut v = Verifier::default();
    for r in records {
        if !v.feed(r) {
            break;
        }
    }
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(subject: &str) -> AuditDraft {
        AuditDraft {
            actor: "user:default/jane".into(),
            action: "entity.create".into(),
            subject: subject.into(),
            details: serde_json::json!({"etag": "abc"}),
        }
    }

    fn three() -> Vec<AuditRecord> {
        let a = chain(None, now(), draft("component:default/a"));
        let b = chain(Some((a.seq, &a.hash)), now(), draft("component:default/b"));
        let c = chain(Some((b.seq, &b.hash)), now(), draft("component:default/c"));
        vec![a, b, c]
    }

    #[test]
    fn intact_chain_verifies() {
        let report = verify(&three());
        assert_eq!(report.checked, 3);
        assert!(report.broken.is_none());
    }

    #[test]
    fn altered_record_is_found() {
        let mut rs = three();
        rs[1].subject = "component:default/evil".into();
        let report = verify(&rs);
        assert_eq!(report.checked, 1);
        assert_eq!(report.broken.unwrap().seq, 2);
    }

    #[test]
    fn removed_record_is_found() {
        let mut rs = three();
        rs.remove(1);
        let b = verify(&rs).broken.unwrap();
        assert_eq!(b.seq, 3);
        assert!(b.reason.contains("expected record 2"));
    }
}
