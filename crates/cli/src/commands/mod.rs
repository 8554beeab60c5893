//! One module per command group; each parses its arguments with clap and
//! calls the engine.

pub mod approval;
pub mod audit;
pub mod catalog;
pub mod events;
pub mod metrics;
pub mod path;
pub mod plugin;
pub mod policy;
pub mod resource;
pub mod schema;
pub mod scorecard;
