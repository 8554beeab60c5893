//! paved: an embeddable internal-developer-platform engine.
//!
//! This is the crate a Rust user adds, and the one the CLI and the Python and
//! Node bindings build on. It re-exports the engine ([`paved_core`]) and adds
//! the configuration file (`paved.yaml`): which store, which custom kinds.
//!
//! ```no_run
//! # async fn demo() -> paved::Result<()> {
//! let platform = paved::Platform::builder()
//!     .store(paved::StoreSpec::parse("sqlite::memory:")?)
//!     .build()
//!     .await?;
//! let set = platform
//!     .catalog()
//!     .import(&["examples/catalog".into()], &Default::default())
//!     .await?;
//! println!("{} entities imported", set.changes.len());
//! # Ok(()) }
//! ```

pub mod config;

pub use config::Config;
pub use paved_core::{
    Diagnostic, Entity, EntityRef, Error, Platform, PluginErrorKind, Result, Severity,
    SourceLocation, StoreSpec, audit, events, graph, ingest, model, pipeline, platform, plugin,
    query, store,
};
