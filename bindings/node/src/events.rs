//! Events ([`paved::events`]): a [`Subscription`] whose `recv()` resolves
//! with the next event, this process's and, on a shared PostgreSQL store,
//! other processes'. `index.js` makes it an async iterator.
//!
//! `close()` ends the subscription: a pending `recv()` resolves with `null`,
//! and so does every later one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use napi_derive::napi;
use paved::events::Received;
use tokio::sync::{Mutex, watch};

use crate::query::number;

/// One change notification.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct Event {
    /// The audit record's `seq`.
    pub seq: i64,
    /// e.g. `entity.created`, `entity.updated`, `entity.deleted`.
    pub kind: String,
    /// What changed, e.g. `component:default/orders`.
    pub subject: String,
    /// The new etag, when there is one.
    pub etag: Option<String>,
    pub actor: String,
    /// RFC 3339 UTC time.
    pub at: String,
    /// The platform instance (process) that made the change; compare with `platform.origin`.
    pub origin: String,
}

impl From<paved::events::Event> for Event {
    fn from(e: paved::events::Event) -> Self {
        Self {
            seq: number(e.seq),
            kind: e.kind,
            subject: e.subject,
            etag: e.etag,
            actor: e.actor,
            at: e.at,
            origin: e.origin,
        }
    }
}

/// A stream of events, from `platform.subscribe()`. Iterate it with
/// `for await (const event of subscription)`, or call `recv()`.
#[napi]
pub struct Subscription {
    inner: Arc<Mutex<Option<paved::events::Subscription>>>,
    closed: watch::Sender<bool>,
    lagged: Arc<AtomicI64>,
}

impl Subscription {
    /// Wrap an engine subscription.
    pub fn new(sub: paved::events::Subscription) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Some(sub))),
            closed: watch::channel(false).0,
            lagged: Arc::new(AtomicI64::new(0)),
        }
    }
}

#[napi]
impl Subscription {
    /// The next event; `null` once the subscription (or the platform) is closed.
    /// A subscriber that falls more than 4096 events behind loses the oldest;
    /// `lagged` counts them.
    #[napi]
    pub async fn recv(&self) -> Option<Event> {
        let inner = self.inner.clone();
        let lagged = self.lagged.clone();
        let mut closed = self.closed.subscribe();
        let mut guard = inner.lock().await;
        loop {
            let sub = guard.as_mut()?;
            let received = tokio::select! {
                _ = closed.wait_for(|c| *c) => Received::Closed,
                received = sub.recv() => received,
            };
            match received {
                Received::Event(e) => return Some(e.into()),
                Received::Lagged(n) => {
                    lagged.fetch_add(number(n), Ordering::Relaxed);
                }
                Received::Closed => {
                    *guard = None;
                    return None;
                }
            }
        }
    }

    /// Stop receiving: pending and later `recv()` calls resolve with `null`.
    #[napi]
    pub fn close(&self) {
        self.closed.send_replace(true);
        if let Ok(mut guard) = self.inner.try_lock() {
            *guard = None;
        }
    }

    /// How many events were dropped because this subscriber was too slow.
    #[napi(getter)]
    pub fn lagged(&self) -> i64 {
        self.lagged.load(Ordering::Relaxed)
    }
}
