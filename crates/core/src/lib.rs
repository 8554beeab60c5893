//! paved-core: the engine of paved.
//!
//! Everything a front (CLI, Python, Node) can do goes through [`Platform`]:
//! input is parsed and validated ([`ingest`], [`model::validate`]), planned,
//! checked, committed to the store with an [`audit`] record per change, and
//! announced as [`events`] — all in [`pipeline`], the one door. The store is
//! crate-private: nothing outside core can write to it. No wasmtime here:
//! plugins reach core through the traits in [`plugin`].

pub mod access;
pub mod approval;
pub mod audit;
pub mod diagnostic;
pub mod duration;
pub mod error;
pub mod events;
pub mod graph;
pub mod ingest;
pub mod locations;
pub(crate) mod memory;
pub mod model;
pub(crate) mod parallel;
pub mod path;
pub mod pipeline;
pub mod platform;
pub mod plugin;
pub mod policy;
pub mod query;
pub mod resource;
pub mod scorecard;
pub(crate) mod store;

pub use diagnostic::{Diagnostic, Severity, SourceLocation};
pub use error::{ERROR_CODES, Error, PluginErrorKind, Result};
pub use model::{Entity, EntityRef};
pub use platform::{Platform, StoreSpec};
