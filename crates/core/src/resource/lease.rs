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
    /// Take the lease of every resource in `keys` for `operation`, or none
    /// (one transaction; in key order, so two takers cannot deadlock).
    pub async fn acquire(
        store: Arc<dyn Store>,
        keys: &[String],
        holder: &str,
        operation: &str,
        ttl: Duration,
    ) -> Result<Self> {
        let acquired_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let now = now_ms();
        let leases: Vec<Lease> = keys
            .iter()
            .map(|key| Lease {
                resource: key.clone(),
                holder: holder.to_string(),
                operation: operation.to_string(),
                token: uuid::Uuid::new_v4().to_string(),
                acquired_at: acquired_at.clone(),
                expires_at_ms: now + ttl_ms(ttl),
            })
            .collect();
        if let Some(other) = store.acquire_leases(&leases, now).await? {
            let info = crate::resource::state::LeaseInfo::from(&other);
            return Err(Error::Locked {
                resource: other.resource,
                holder: other.holder,
                operation: other.operation,
                expires_at: info.expires_at,
            });
        }
        let held: Vec<(String, String)> =
            leases.into_iter().map(|l| (l.resource, l.token)).collect();
        let renewal =
            (!held.is_empty()).then(|| tokio::spawn(renew(store.clone(), held.clone(), ttl)));
        Ok(Self {
            store,
            held,
            renewal,
        })
    }

    /// Release every lease still held.
    pub async fn release(mut self) {
        if let Some(task) = self.renewal.take() {
            task.abort();
        }
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return;
        }
        if let Err(e) = self.store.release_leases(&held).await {
            tracing::warn!(
                "{} leases could not be released; they lapse at their expiry: {e}",
                held.len()
            );
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
        match store.renew_leases(&held, now_ms() + ttl_ms(ttl)).await {
            Ok(n) if n == held.len() => {}
            Ok(n) => tracing::warn!(
                "{} of {} leases were lost (released by hand?)",
                held.len() - n,
                held.len()
            ),
            Err(e) => tracing::warn!("the leases could not be renewed: {e}"),
        }
    }
}
