//! Reading, parsing and checking the files of a directory on worker threads,
//! ahead of the loader, which takes them in order on the calling thread:
//! parsing YAML and validating entities is most of a load's work and each
//! document needs only itself, while what the loader does with the results
//! (duplicates, Locations) needs one order.
//!
//! The channel is bounded, so workers run at most a few files ahead of a
//! loader that is busy; files that finish out of order wait for their turn.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use paved_yaml::Limits;

use super::loader::{Base, Parsed, parse_and_check};
use super::remote::Remote;
use crate::model::schema::KindRegistry;

/// Files waiting, parsed, per worker.
const AHEAD_PER_WORKER: usize = 4;

/// Parse `files` on worker threads and hand each to `take` in the order of
/// `files`. `None` stands for a file the worker could not read or that is
/// over the size limit: the loader reads it again and reports why.
pub(super) fn in_order(
    files: &[PathBuf],
    limits: &Limits,
    kinds: &KindRegistry,
    remote: &Remote<'_>,
    mut take: impl FnMut(usize, Option<Parsed>),
) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    if workers < 2 {
        for i in 0..files.len() {
            take(i, None);
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, Option<Parsed>)>(workers * AHEAD_PER_WORKER);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let parsed = std::fs::metadata(path)
                        .ok()
                        .filter(|m| m.len() <= limits.max_bytes as u64)
                        .and_then(|_| std::fs::read_to_string(path).ok())
                        .map(|text| {
                            let base = path.parent().map(Base::Dir);
                            parse_and_check(&text, base, limits, kinds, remote)
                        });
                    if tx.send((i, parsed)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, parsed) in rx {
            waiting.insert(i, parsed);
            while let Some(parsed) = waiting.remove(&due) {
                take(due, parsed);
                due += 1;
            }
        }
    });
}
