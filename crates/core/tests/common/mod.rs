//! What the ingestion tests share.

use paved_core::ingest::Loaded;

/// A load's diagnostics, one per line, for assertion messages.
pub fn show(loaded: &Loaded) -> String {
    loaded
        .diagnostics()
        .iter()
        .map(|d| format!("\n  {d}"))
        .collect()
}
