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

    /// What identifies this guardrail's code exactly ([`super::code_digest`]
    /// of a wasm component's bytes, of a Rego policy's modules and data),
    /// recorded with each decision; `None` for native guardrails.
    fn digest(&self) -> Option<String> {
        None
    }

    /// Start the review of one change by every binding of this guardrail
    /// that matches it, in binding order: a guardrail that can keep
    /// something between those reviews (a wasm guardrail keeps its
    /// instance) returns what does them. `None`, the default: each binding
    /// calls [`Guardrail::review`]. Nothing may be kept from one change to
    /// the next.
    fn change_reviews(&self) -> Option<Box<dyn ChangeReviews + '_>> {
        None
    }
}

/// The reviews of one change by several bindings of one guardrail, from
/// [`Guardrail::change_reviews`]; dropped when the change's review ends.
/// Every review between two [`ChangeReviews::patched`] calls is about the
/// same change: a reviewer may rely on it.
#[async_trait]
pub trait ChangeReviews: Send {
    /// Review the change (as the previous bindings patched it) with this
    /// binding's `settings`, as [`Guardrail::review`] does.
    async fn review(&mut self, change: &Change, settings: Option<&Value>) -> Result<Review>;

    /// A binding patched the change: the next review is about the patched
    /// change, and what was asked about it before no longer holds.
    fn patched(&mut self) {}

    /// The settings of every binding that will review the change, in order
    /// (the first is the next review's), told once before the first review.
    /// A reviewer that can review one change for several settings at once
    /// (a wasm guardrail exporting `guardrail-each-api`) does so at that
    /// review and answers the following ones from it while they ask about
    /// the same change with the same settings. Ignored by default.
    fn ahead(&mut self, _settings: &[Option<&Value>]) {}

    /// How long the last review took when the caller's clock would be
    /// wrong: a review answered from one call made for several bindings
    /// costs its share of that call. `None` (the default): as measured.
    fn last_cost(&self) -> Option<std::time::Duration> {
        None
    }
}
