//! Leases on resources: taken for every resource an operation touches
//! before it calls any provider, renewed every third of their lifetime
//! while it works, released when it ends. A resource someone else holds
//! fails the operation at once with [`crate::Error::Locked`] naming the
//! holder; a lease its holder stopped renewing (the process crashed) is
//! taken over once it has expired.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::{Lease, Store};

/// Who holds leases taken by this process for `actor`.
pub fn holder(actor: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{actor} (pid {} on {host})", std::process::id())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Leases held by one operation. Release with [`Leases::release`]; dropped
/// without it, renewal stops and the leases lapse at their expiry.
pub struct Leases {
    store: Arc<dyn Store>,
    held: Vec<(String, String)>,
    renewal: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("held", &self.held.len())
            .finish()
    }
}

impl Leases {
    /// Take the lease of every resource in `keys` for `operation`, or none.
    pub async fn acquire(
        store: Arc<dyn Store>,
        keys: &[String],
        holder: &str,
        operation: &str,
        ttl: Duration,
    ) -> Result<Self> {
        let mut leases = Self {
            store: store.clone(),
            held: Vec::new(),
            renewal: None,
        };
        let acquired_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for key in keys {
            let token = uuid::Uuid::new_v4().to_string();
            let lease = Lease {
                resource: key.clone(),
                holder: holder.to_string(),
                operation: operation.to_string(),
                token: token.clone(),
                acquired_at: acquired_at.clone(),
                expires_at_ms: now_ms() + ttl_ms(ttl),
            };
            match store.acquire_lease(&lease, now_ms()).await {
                Ok(None) => leases.held.push((key.clone(), token)),
                Ok(Some(other)) => {
                    leases.release().await;
                    let info = crate::resource::state::LeaseInfo::from(&other);
                    return Err(Error::Locked {
                        resource: other.resource,
                        holder: other.holder,
                        operation: other.operation,
                        expires_at: info.expires_at,
                    });
                }
                Err(e) => {
                    leases.release().await;
                    return Err(e);
                }
            }
        }
        leases.renewal = Some(tokio::spawn(renew(store, leases.held.clone(), ttl)));
        Ok(leases)
    }

    /// Release every lease still held.
    pub async fn release(mut self) {
        if let Some(task) = self.renewal.take() {
            task.abort();
        }
        for (key, token) in std::mem::take(&mut self.held) {
            if let Err(e) = self.store.release_lease(&key, Some(&token)).await {
                tracing::warn!(resource = %key, "the lease could not be released; it lapses at its expiry: {e}");
            }
        }
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        if let Some(task) = self.renewal.take() {
            task.abort();
        }
    }
}

async fn renew(store: Arc<dyn Store>, held: Vec<(String, String)>, ttl: Duration) {
    let every = (ttl / 3).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        for (key, token) in &held {
            match store.renew_lease(key, token, now_ms() + ttl_ms(ttl)).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(resource = %key, "the lease was lost (released by hand?)")
                }
                Err(e) => tracing::warn!(resource = %key, "the lease could not be renewed: {e}"),
            }
        }
    }
}
