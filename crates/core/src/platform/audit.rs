//! [`Audit`]: reading and verifying a platform's hash-chained audit log.

use std::sync::Arc;

use super::{Inner, parse_ref};
use crate::audit::{AuditRecord, DEFAULT_LIMIT, Verifier, VerifyReport};
use crate::error::Result;

/// The audit log of a platform.
#[derive(Clone)]
pub struct Audit {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audit")
    }
}

impl Audit {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Records with `seq > after` (None: from the first), oldest first, at
    /// most `limit` (default [`DEFAULT_LIMIT`]).
    pub async fn list(&self, after: Option<u64>, limit: Option<usize>) -> Result<Vec<AuditRecord>> {
        self.inner
            .store
            .audit_records(after.unwrap_or(0), limit.unwrap_or(DEFAULT_LIMIT))
            .await
    }

    /// Records about one entity, newest first, at most `limit`
    /// (default [`DEFAULT_LIMIT`]).
    pub async fn for_entity(
        &self,
        entity_ref: &str,
        limit: Option<usize>,
    ) -> Result<Vec<AuditRecord>> {
        self.inner
            .store
            .audit_for(&parse_ref(entity_ref)?, limit.unwrap_or(DEFAULT_LIMIT))
            .await
    }

    /// Check the whole hash chain.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let mut v = Verifier::default();
        let mut after = 0;
        loop {
            let page = self.inner.store.audit_records(after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in &page {
                if !v.feed(r) {
                    return Ok(v.finish());
                }
            }
        }
        Ok(v.finish())
    }
}
