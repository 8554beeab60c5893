//! Engine values (core's serde types: decisions, scores, plugin answers) as
//! plain JS objects, typed in the d.ts header.

use serde_json::Value;

/// `value` as JSON for napi to hand over as a plain object.
pub fn plain(value: &impl serde::Serialize) -> paved::Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| paved::Error::store("an engine value did not serialize", e))
}
