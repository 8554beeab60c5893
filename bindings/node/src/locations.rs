//! Locations and refresh (`catalog.locations()`, `catalog.refresh()`,
//! `catalog.refreshes()`): options in, reports out as the engine's JSON.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::{Mutex, watch};

use crate::error::promise;
use crate::plain::plain;

/// How `catalog.refreshes()` refreshes, and who writes.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// One location (a path, a URL or a ref such as `file:/abs/path`);
    /// absent: every registered location.
    pub location: Option<String>,
    /// Refresh again this often: `30s`, `5m`, `1h`.
    pub interval: Option<String>,
    /// Refresh again whenever a file read changes.
    pub watch: Option<bool>,
    /// Recorded in the audit log: an entity ref with its kind
    /// (`user:default/ada`) or `system`. Absent: the platform's actor.
    pub actor: Option<String>,
    /// Plan only: return what would happen, write nothing.
    pub dry_run: Option<bool>,
}

impl RefreshOptions {
    /// The engine's schedule and write options.
    pub fn split(o: Option<Self>) -> paved::Result<(paved::RefreshSchedule, paved::WriteOptions)> {
        let o = o.unwrap_or_default();
        let interval = o
            .interval
            .as_deref()
            .map(paved::RefreshSchedule::parse_interval)
            .transpose()?;
        let schedule = paved::RefreshSchedule {
            location: o.location,
            interval,
            watch: o.watch.unwrap_or(false),
        };
        let write = paved::WriteOptions {
            actor: o.actor,
            dry_run: o.dry_run.unwrap_or(false),
        };
        Ok((schedule, write))
    }
}

type Events = BoxStream<'static, paved::Result<Value>>;

/// The events of `catalog.refreshes()`: `for await (const e of stream)`
/// (`{event: 'location', …}` as each location is done, `{event: 'done', …}`
/// with each refresh's report), or call `recv()`; `close()` stops it.
#[napi]
pub struct RefreshStream {
    inner: Arc<Mutex<Option<Events>>>,
    closed: watch::Sender<bool>,
}

impl RefreshStream {
    pub fn new(
        events: paved::Result<BoxStream<'static, paved::Result<paved::RefreshEvent>>>,
    ) -> Self {
        let events: Events = match events {
            Ok(events) => events.map(|e| e.and_then(|e| plain(&e))).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        };
        Self {
            inner: Arc::new(Mutex::new(Some(events))),
            closed: watch::channel(false).0,
        }
    }
}

#[napi]
impl RefreshStream {
    /// The next event; `null` when the refreshes end or the stream is closed.
    #[napi(ts_return_type = "Promise<RefreshEvent | null>")]
    pub fn recv(&self, env: &Env) -> Result<AsyncBlock<Option<Value>>> {
        let inner = self.inner.clone();
        let mut closed = self.closed.subscribe();
        promise(env, async move {
            let mut guard = inner.lock().await;
            let Some(events) = guard.as_mut() else {
                return Ok(None);
            };
            let next = tokio::select! {
                _ = closed.wait_for(|c| *c) => None,
                next = events.next() => next,
            };
            if next.is_none() {
                *guard = None;
            }
            next.transpose()
        })
    }

    /// Stop refreshing: pending and later `recv()` calls resolve with `null`.
    #[napi]
    pub fn close(&self) {
        self.closed.send_replace(true);
        if let Ok(mut guard) = self.inner.try_lock() {
            *guard = None;
        }
    }
}
