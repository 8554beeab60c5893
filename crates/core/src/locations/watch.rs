//! Watching the files a refresh read (the `notify` crate: inotify on Linux,
//! FSEvents on macOS, ReadDirectoryChangesW on Windows).
//!
//! The directories holding the files read are watched (not the files: an
//! editor that saves by renaming replaces the file watched), and each
//! directory root recursively, so a new file under it is seen. Only
//! `*.yaml`/`*.yml` changes count; a burst of them (a `git pull`) is one
//! change, settled for [`SETTLE`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// How long a burst of changes has to be quiet before it counts as one.
const SETTLE: Duration = Duration::from_millis(200);

/// Watches directories for changes to catalogue files.
pub(crate) struct Watcher {
    watcher: notify::RecommendedWatcher,
    changes: mpsc::UnboundedReceiver<()>,
    watched: HashSet<(PathBuf, bool)>,
}

fn is_catalogue_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn counts(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    ) || matches!(
        kind,
        EventKind::Access(notify::event::AccessKind::Close(
            notify::event::AccessMode::Write
        ))
    )
}

fn watch_error(path: &Path, e: notify::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(format!("cannot watch catalogue files: {e}")),
    }
}

impl Watcher {
    pub(crate) fn new() -> Result<Self> {
        let (tx, changes) = mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event
                && counts(&event.kind)
                && event.paths.iter().any(|p| is_catalogue_file(p))
            {
                let _ = tx.send(());
            }
        })
        .map_err(|e| watch_error(Path::new("."), e))?;
        Ok(Self {
            watcher,
            changes,
            watched: HashSet::new(),
        })
    }

    /// Watch the directories of `files` and, recursively, `roots` (the
    /// directory roots); stop watching what is no longer among them.
    pub(crate) fn follow(&mut self, files: &[PathBuf], roots: &[PathBuf]) -> Result<()> {
        let wanted: HashSet<(PathBuf, bool)> = files
            .iter()
            .filter_map(|f| f.parent().map(|d| (d.to_path_buf(), false)))
            .chain(roots.iter().map(|r| (r.clone(), true)))
            .filter(|(d, _)| d.is_dir())
            .collect();
        for gone in self.watched.difference(&wanted) {
            let _ = self.watcher.unwatch(&gone.0);
        }
        for (dir, recursive) in wanted.difference(&self.watched) {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            self.watcher
                .watch(dir, mode)
                .map_err(|e| watch_error(dir, e))?;
        }
        self.watched = wanted;
        Ok(())
    }

    /// Wait for a change (a burst of them counts once).
    pub(crate) async fn changed(&mut self) {
        if self.changes.recv().await.is_none() {
            return std::future::pending().await;
        }
        loop {
            match tokio::time::timeout(SETTLE, self.changes.recv()).await {
                Ok(Some(())) => continue,
                _ => return,
            }
        }
    }
}
