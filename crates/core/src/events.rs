//! Events: what changed, delivered to subscribers as it happens.
//!
//! Every committed audit record becomes one [`Event`]. The [`EventBus`]
//! delivers events of this process; a shared store (PostgreSQL) also delivers
//! events committed by other processes (see `Store::remote_events`), and the
//! platform merges both into one subscription.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// One change notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The audit record's seq.
    pub seq: u64,
    /// e.g. `entity.created`, `entity.updated`, `entity.deleted`.
    pub kind: String,
    /// What changed, e.g. `component:default/orders`.
    pub subject: String,
    /// The new etag, when there is one.
    pub etag: Option<String>,
    pub actor: String,
    pub at: String,
    /// The platform instance that made the change.
    pub origin: String,
}

/// Capacity of the in-process channel; slow subscribers past it lose events
/// and are told how many (see [`Subscription::recv`]).
pub const BUS_CAPACITY: usize = 4096;

/// In-process fan-out of events.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(BUS_CAPACITY);
        Self { tx }
    }

    /// Deliver to every current subscriber.
    pub fn publish(&self, event: Event) {
        // No subscribers is fine.
        let _ = self.tx.send(event);
    }

    /// Deliver each event in order to every current subscriber. With none,
    /// the events are not even made (a commit makes them as they are read).
    pub fn publish_all(&self, events: impl IntoIterator<Item = Event>) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        for event in events {
            self.publish(event);
        }
    }

    /// A new subscription that sees events published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

/// A subscriber's end.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
}

impl Subscription {
    /// The next event; `Ok(None)` once the platform is closed. A subscriber
    /// that fell more than [`BUS_CAPACITY`] events behind gets
    /// `Err(Error::Lagged { missed })` once, then the events after the gap:
    /// every front reports the gap the same way, as an error with code
    /// `LAGGED`, and the stream goes on.
    pub async fn next(&mut self) -> crate::Result<Option<Event>> {
        match self.rx.recv().await {
            Ok(e) => Ok(Some(e)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                Err(crate::Error::Lagged { missed })
            }
            Err(broadcast::error::RecvError::Closed) => Ok(None),
        }
    }
}
