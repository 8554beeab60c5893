//! Backstage's validation rules (OWNER: model helper).

use serde_json::Value;

use super::entity::Entity;
use super::schema::KindRegistry;
use crate::diagnostic::Diagnostic;

/// Validate one raw entity; diagnostics carry JSON paths, no file locations.
pub fn validate_entity(value: &Value, _kinds: &KindRegistry) -> Result<Entity, Vec<Diagnostic>> {
    serde_json::from_value(value.clone()).map_err(|e| vec![Diagnostic::error("", e.to_string())])
}
