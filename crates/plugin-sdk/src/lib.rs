//! paved-plugin-sdk: write paved provider, guardrail and golden-path action
//! plugins in Rust (actions: [`Action`] and [`export_actions!`]).
//!
//! An author implements [`Guardrail`] or [`Provider`] with typed (serde)
//! settings, params and state, and exports it with one macro:
//!
//! ```ignore
//! use paved_plugin_sdk::prelude::*;
//!
//! #[derive(Deserialize, JsonSchema, Default)]
//! struct Settings { max: u32 }
//!
//! struct MaxReplicas;
//!
//! impl Guardrail for MaxReplicas {
//!     type Settings = Settings;
//!     const DESCRIPTION: &'static str = "Caps spec.replicas";
//!     fn review(change: &Change, settings: &Settings) -> Result<Review, Error> {
//!         let replicas = change.after_field("spec.replicas").and_then(|v| v.as_u64());
//!         Ok(match replicas {
//!             Some(n) if n > settings.max as u64 => Review::deny("spec.replicas", "too many"),
//!             _ => Review::allow(),
//!         })
//!     }
//! }
//!
//! paved_plugin_sdk::export_guardrail!(MaxReplicas);
//! ```
//!
//! Data flow: the host calls the component's world exports; the code the
//! export macro generates hands the raw WIT values to [`__rt`], which decodes
//! JSON documents into the author's types (errors carry the JSON path of the
//! bad field), calls the trait, and encodes the answer back. Host imports
//! (logging, catalogue, secrets) are wrapped in [`host`].

mod action;
mod document;
mod guardrail;
pub mod host;
mod provider;
mod types;

#[doc(hidden)]
pub mod __rt;

pub use action::{Action, GeneratedFile, Outcome};
pub use guardrail::Guardrail;
pub use provider::{NoSettings, Provider};
pub use types::{
    Applied, ApplyRequest, Capability, Change, Document, Error, FieldDiff, ImportRequest, Imported,
    Operation, Plan, PlanRequest, ResourceAddress, ResourceRequest, ResourceType, Review, Subject,
    Verdict, Violation,
};

/// Everything a plugin usually needs, in one `use`.
pub mod prelude {
    pub use crate::host;
    pub use crate::{
        Action, Applied, ApplyRequest, Capability, Change, Document, Error, FieldDiff, Guardrail,
        ImportRequest, Imported, NoSettings, Operation, Outcome, Plan, PlanRequest, Provider,
        ResourceAddress, ResourceRequest, ResourceType, Review, Subject, Verdict, Violation,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Value, json};
}

pub use schemars;
pub use serde;
pub use serde_json;

mod export;
