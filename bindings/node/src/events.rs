//! Events ([`paved::Subscription`]): `recv()` resolves with the next event,
//! this process's and, on a shared PostgreSQL store, other processes'.
//! `index.js` makes a subscription async-iterable.
//!
//! A subscriber that fell behind gets a `LAGGED` `PavedError` once
//! (`details.missed`: how many events it lost), then the events after the
//! gap: as in every front, the iteration can go on. `close()` ends the
//! subscription: a pending `recv()` resolves with `null`, and so does every
//! later one.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tokio::sync::{Mutex, watch};

use crate::error::promise;
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

impl From<paved::Event> for Event {
    fn from(e: paved::Event) -> Self {
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
    inner: Arc<Mutex<Option<paved::Subscription>>>,
    closed: watch::Sender<bool>,
}

impl Subscription {
    /// Wrap an engine subscription.
    pub fn new(sub: paved::Subscription) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Some(sub))),
            closed: watch::channel(false).0,
        }
    }
}

#[napi]
impl Subscription {
    /// The next event; `null` once the subscription (or the platform) is
    /// closed. Rejects with a `LAGGED` error (`details.missed`) when events
    /// were dropped because this subscriber was too slow; the next call
    /// returns the events after the gap.
    #[napi(ts_return_type = "Promise<Event | null>")]
    pub fn recv(&self, env: &Env) -> Result<AsyncBlock<Option<Event>>> {
        let inner = self.inner.clone();
        let mut closed = self.closed.subscribe();
        promise(env, async move {
            let mut guard = inner.lock().await;
            let Some(sub) = guard.as_mut() else {
                return Ok(None);
            };
            let next = tokio::select! {
                _ = closed.wait_for(|c| *c) => Ok(None),
                next = sub.next() => next,
            };
            if matches!(next, Ok(None)) {
                *guard = None;
            }
            Ok(next?.map(Event::from))
        })
    }

    /// Stop receiving: pending and later `recv()` calls resolve with `null`.
    #[napi]
    pub fn close(&self) {
        self.closed.send_replace(true);
        if let Ok(mut guard) = self.inner.try_lock() {
            *guard = None;
        }
    }
}
