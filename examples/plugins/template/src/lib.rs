//! A starting point for a paved guardrail: copy this directory, rename the
//! crate, and change `review`. This one asks that entities carry a
//! description, and adds a default `lifecycle` label with a JSON Patch.
//!
//! Build: `cargo build --target wasm32-wasip2 --release`; the component is
//! `target/wasm32-wasip2/release/<crate_name>.wasm`.

use paved_plugin_sdk::prelude::*;

/// Settings, decoded from the operator's JSON; their JSON Schema is derived
/// from this type and shown by `paved plugin inspect`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    /// Shortest acceptable description.
    #[serde(default = "default_min_length")]
    min_length: usize,
}

fn default_min_length() -> usize {
    10
}

struct RequireDescription;

impl Guardrail for RequireDescription {
    type Settings = Settings;
    const DESCRIPTION: &'static str = "Entities must have a description";

    fn review(change: &Change, settings: &Settings) -> Result<Review, Error> {
        if matches!(change.subject, Subject::Resource(_)) || change.operation == Operation::Delete {
            return Ok(Review::allow());
        }
        let description = change.after_str("metadata.description").unwrap_or_default();
        let mut review = if description.trim().len() < settings.min_length {
            Review::deny(
                "metadata.description",
                format!(
                    "a description of at least {} characters is required",
                    settings.min_length
                ),
            )
        } else {
            Review::allow()
        };
        if change.after_field("metadata.labels").is_none() {
            review = review.with_patch(json!([
                {"op": "add", "path": "/metadata/labels", "value": {"lifecycle": "experimental"}}
            ]));
        }
        Ok(review)
    }
}

paved_plugin_sdk::export_guardrail!(RequireDescription);
