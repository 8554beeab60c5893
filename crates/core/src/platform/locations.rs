//! The catalogue's locations: listing them with their last read, and
//! refreshing them (once, on an interval, on file changes). See
//! [`crate::locations`] for the model.

use std::path::PathBuf;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;

use super::Catalog;
use crate::error::{Error, Result};
use crate::ingest;
use crate::locations::{
    IMPORT_ACTION, LocationRead, LocationRefresh, LocationStatus, REFRESH_ACTION, RefreshEvent,
    RefreshReport, RefreshSchedule, Watcher, is_url, location_key_of, location_ref,
};
use crate::pipeline::{self, Outcome, Request, WriteOptions};

/// One location refreshed, and what a watcher should follow for it.
struct Refreshed {
    result: LocationRefresh,
    files: Vec<PathBuf>,
    root: Option<PathBuf>,
}

impl Catalog {
    /// Every registered location (a root an import started from, with
    /// entities stored from it), by key, with its last read.
    pub async fn locations(&self) -> Result<Vec<LocationStatus>> {
        let store = self.inner.store.as_ref();
        let mut out = Vec::new();
        for (key, entities) in store.locations().await? {
            out.push(self.status(&key, entities).await?);
        }
        Ok(out)
    }

    /// One registered location: a ref (`file:/abs/path`, `url:https://…`),
    /// a path or a URL. `NOT_FOUND` when no entity is stored from it.
    pub async fn location(&self, location: &str) -> Result<LocationStatus> {
        let (key, entities) = self.registered(location).await?;
        self.status(&key, entities).await
    }

    async fn status(&self, key: &str, entities: u64) -> Result<LocationStatus> {
        let location = location_ref(key);
        let records = self
            .inner
            .store
            .audit_about(&location.to_lowercase(), 1)
            .await?;
        let last_read = records
            .into_iter()
            .find(|r| r.action == IMPORT_ACTION || r.action == REFRESH_ACTION)
            .and_then(|r| {
                let mut read: LocationRead = serde_json::from_value(r.details).ok()?;
                read.at = r.at;
                read.actor = r.actor;
                Some(read)
            });
        Ok(LocationStatus {
            location,
            target: key.to_string(),
            entities,
            last_read,
        })
    }

    /// The key of a registered location given as a ref, a path or a URL,
    /// and how many entities are stored from it.
    async fn registered(&self, location: &str) -> Result<(String, u64)> {
        let given = location_key_of(location);
        let key = if is_url(given) || location.starts_with("file:") {
            given.to_string()
        } else {
            ingest::location_key(std::path::Path::new(given))
        };
        match self.inner.store.location_size(&key).await? {
            0 => Err(Error::NotFound {
                what: "location",
                id: location.to_string(),
                hint: Some("import it first: paved catalog import PATH-OR-URL"),
            }),
            n => Ok((key, n)),
        }
    }

    /// Re-read one registered location (a ref, a path or a URL) or, with
    /// `None`, every one, and apply what changed through the pipeline, per
    /// entity (as an import does by default): unchanged entities are not
    /// rewritten, entities no longer there are handled by the orphan
    /// strategy, refused ones are reported. A location that cannot be read
    /// at all is reported with its error and changes nothing; the others go
    /// on. A write the pipeline refuses (access rules, policies, an
    /// approval, a check) fails the refresh with that error, as any write
    /// would; locations refreshed before it stay refreshed.
    pub async fn refresh(
        &self,
        location: Option<&str>,
        opts: &WriteOptions,
    ) -> Result<RefreshReport> {
        let (report, _) = self
            .refresh_reporting(location, "request", opts, None)
            .await?;
        Ok(report)
    }

    /// Refresh as `schedule` says: once, then every `interval` and/or when
    /// a file read changes (`watch`), each refresh as events (one per
    /// location, then the whole report). The stream ends after one refresh
    /// when the schedule does not repeat; otherwise when it is dropped.
    /// A location that is not registered ends it with `NOT_FOUND`.
    pub fn refreshes(
        &self,
        schedule: RefreshSchedule,
        opts: WriteOptions,
    ) -> BoxStream<'static, Result<RefreshEvent>> {
        let catalog = self.clone();
        // The loop starts when the stream is first polled (on the caller's
        // runtime) and stops when the stream is dropped.
        let started = futures::stream::once(async move {
            let (tx, rx) = mpsc::channel(16);
            tokio::spawn(async move {
                let _ = catalog.refresh_loop(schedule, opts, &tx).await;
            });
            futures::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|event| (event, rx))
            })
        });
        Box::pin(started.flatten())
    }

    async fn refresh_loop(
        &self,
        schedule: RefreshSchedule,
        opts: WriteOptions,
        tx: &mpsc::Sender<Result<RefreshEvent>>,
    ) -> std::result::Result<(), ()> {
        let mut watcher = match schedule.watch.then(Watcher::new).transpose() {
            Ok(w) => w,
            Err(e) => return tx.send(Err(e)).await.map_err(|_| ()),
        };
        let mut ticks = schedule.interval.map(|every| {
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        let mut trigger = if schedule.repeats() {
            "start"
        } else {
            "request"
        };
        loop {
            let done = self
                .refresh_reporting(schedule.location.as_deref(), trigger, &opts, Some(tx))
                .await;
            match done {
                Ok((report, refreshed)) => {
                    if let Some(watcher) = &mut watcher {
                        let files: Vec<PathBuf> =
                            refreshed.iter().flat_map(|r| r.files.clone()).collect();
                        let roots: Vec<PathBuf> =
                            refreshed.iter().filter_map(|r| r.root.clone()).collect();
                        if let Err(e) = watcher.follow(&files, &roots) {
                            return tx.send(Err(e)).await.map_err(|_| ());
                        }
                    }
                    tx.send(Ok(RefreshEvent::Done(report)))
                        .await
                        .map_err(|_| ())?;
                }
                Err(e) => {
                    let fatal = matches!(e, Error::NotFound { .. });
                    tx.send(Err(e)).await.map_err(|_| ())?;
                    if fatal {
                        return Ok(());
                    }
                }
            }
            if !schedule.repeats() {
                return Ok(());
            }
            trigger = tokio::select! {
                _ = async { ticks.as_mut().expect("checked").tick().await }, if ticks.is_some() => "interval",
                _ = async { watcher.as_mut().expect("checked").changed().await }, if watcher.is_some() => "files",
                _ = tx.closed() => return Ok(()),
            };
        }
    }

    /// Refresh, sending each location's result to `progress` as it is done.
    async fn refresh_reporting(
        &self,
        location: Option<&str>,
        trigger: &str,
        opts: &WriteOptions,
        progress: Option<&mpsc::Sender<Result<RefreshEvent>>>,
    ) -> Result<(RefreshReport, Vec<Refreshed>)> {
        let started = Instant::now();
        let keys = match location {
            Some(l) => vec![self.registered(l).await?.0],
            None => self
                .inner
                .store
                .locations()
                .await?
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
        };
        let mut refreshed = Vec::new();
        for key in keys {
            let one = self.refresh_one(&key, opts).await?;
            if let Some(progress) = progress {
                let event = RefreshEvent::Location(one.result.clone());
                // A listener that left ends the loop at its next wait.
                let _ = progress.send(Ok(event)).await;
            }
            refreshed.push(one);
        }
        let report = RefreshReport {
            trigger: trigger.to_string(),
            locations: refreshed.iter().map(|r| r.result.clone()).collect(),
            dry_run: opts.dry_run,
            millis: started.elapsed().as_millis() as u64,
        };
        Ok((report, refreshed))
    }

    /// Read one location and import what it holds, per entity.
    async fn refresh_one(&self, key: &str, opts: &WriteOptions) -> Result<Refreshed> {
        let catalog = self.clone();
        let path = PathBuf::from(key);
        let root = (!is_url(key) && path.is_dir()).then(|| path.clone());
        let loaded = tokio::task::spawn_blocking(move || catalog.validate(&[path]))
            .await
            .map_err(|e| Error::store_msg(format!("the refresh's reader failed: {e}")))?;
        let files: Vec<PathBuf> = loaded
            .files()
            .iter()
            .filter(|f| !is_url(f))
            .map(PathBuf::from)
            .collect();
        let actor = opts
            .actor
            .clone()
            .unwrap_or_else(|| self.inner.actor.clone());
        // Nothing read at all (the root is gone): a failure, not an empty
        // location whose entities are all orphans.
        let unreadable = loaded.files().is_empty() && loaded.has_errors();
        let (mut read, changes) = match loaded.into_refresh(unreadable) {
            Err(Error::Invalid { diagnostics }) => {
                let read = LocationRead {
                    action: REFRESH_ACTION.to_string(),
                    error: Some(
                        "this location could not be read (see refused); \
                         its entities were kept as they are"
                            .to_string(),
                    ),
                    refused: diagnostics,
                    ..LocationRead::default()
                };
                if pipeline::worth_recording(self.inner.store.as_ref(), key, &read).await? {
                    let record = pipeline::location_record(key, &read);
                    let ctx = self.inner.context().await?;
                    pipeline::record_effects(&ctx, vec![record], opts).await?;
                }
                (read, Vec::new())
            }
            Err(e) => return Err(e),
            Ok(validated) => {
                let request = Request::Import {
                    validated,
                    action: REFRESH_ACTION,
                };
                let set = self.inner.write(request, opts).await?;
                (
                    LocationRead::from_set(REFRESH_ACTION, &set),
                    set.changes
                        .into_iter()
                        .filter(|c| c.outcome != Outcome::Unchanged)
                        .collect(),
                )
            }
        };
        read.actor = actor;
        if !opts.dry_run {
            read.at = crate::audit::now();
        }
        Ok(Refreshed {
            result: LocationRefresh {
                location: location_ref(key),
                read,
                changes,
                files: files.len(),
            },
            files,
            root,
        })
    }
}
