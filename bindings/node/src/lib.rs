//! The native half of the `paved` npm package (napi-rs).
//!
//! Each file wraps one module of the engine and only converts: JS values in,
//! engine types through [`paved`] (the facade, the only engine crate this
//! depends on), JS values out, engine errors mapped once in [`error`] to
//! `PavedError`s with `code`, `details` and the cause chain. `index.js` adds
//! the `PavedError` class and async iteration; `index.d.ts` is generated from
//! the `#[napi]` items and their doc comments (`dts-header.d.ts` holds the
//! JS-only parts and the plugin contract's JSON shapes).
//!
//! ```text
//! JS call -> #[napi] method here -> paved::Platform / Catalog / Audit / Plugins
//!         <- plain objects, or a PavedError (error::to_js) <-
//! ```

// napi-derive expands `#[napi]` items into the unsafe N-API glue. The two
// hand-written unsafe blocks are in `settled` (a promise settled at once)
// and `json_text` (a value made by `JSON.parse`).
#![allow(unsafe_code)]

pub mod approvals;
pub mod audit;
pub mod catalog;
pub mod diagnostic;
pub mod error;
pub mod events;
pub mod graph;
pub mod ingest;
pub mod json_text;
pub mod locations;
pub mod paths;
pub mod pipeline;
pub mod plain;
pub mod platform;
pub mod plugins;
pub mod policies;
pub mod query;
pub mod resources;
pub mod scorecards;
pub mod settled;
