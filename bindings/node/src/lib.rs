//! The native half of the `paved` npm package (napi-rs).
//!
//! Each file wraps one module of the engine and only converts: JS values in,
//! engine types through [`paved`], JS values out, engine errors mapped once in
//! [`error`]. `index.js` sits on top: it checks argument types (throwing
//! `TypeError`s that name the argument), turns native errors into `PavedError`s
//! and makes subscriptions async-iterable. `index.d.ts` is generated from the
//! `#[napi]` items and their doc comments (see `dts-header.d.ts` for the JS-only
//! parts).
//!
//! ```text
//! JS call -> index.js (argument check) -> #[napi] method here -> paved::Platform
//!         <- PavedError / plain objects <- error::to_napi / From conversions <-
//! ```

// napi-derive expands `#[napi]` items into the unsafe N-API glue; no
// hand-written unsafe code lives in this crate.
#![allow(unsafe_code)]

pub mod audit;
pub mod diagnostic;
pub mod error;
pub mod events;
pub mod graph;
pub mod ingest;
pub mod pipeline;
pub mod platform;
pub mod plugins;
pub mod query;
