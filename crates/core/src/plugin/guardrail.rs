//! The [`Guardrail`] trait: reviews one change-set item.

use async_trait::async_trait;
use serde_json::Value;

use super::types::{Change, GuardrailInfo, Review};
use crate::Result;

/// A rule that reviews changes. Implemented by `paved-plugins` for wasm
/// components and natively by built-in rules and tests.
#[async_trait]
pub trait Guardrail: Send + Sync {
    /// The name it is configured under (used in errors, logs and audit).
    fn name(&self) -> &str;

    /// Name, version, settings schema and requested capabilities.
    async fn describe(&self) -> Result<GuardrailInfo>;

    /// Check settings (a JSON object) once, before they are used for reviews.
    /// Rejected settings are a [`crate::Error::Plugin`] of kind
    /// [`crate::PluginErrorKind::Settings`].
    async fn validate_settings(&self, settings: &Value) -> Result<()>;

    /// Review one change. `settings` overrides the settings the guardrail was
    /// configured with (a policy binding's own settings, already validated with
    /// [`Guardrail::validate_settings`]); `None` uses the configured ones.
    async fn review(&self, change: &Change, settings: Option<&Value>) -> Result<Review>;
}
