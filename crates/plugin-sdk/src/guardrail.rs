//! The [`Guardrail`] trait a guardrail author implements.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::types::{Capability, Change, Error, Review};

/// A rule that reviews one change. Export it with
/// [`export_guardrail!`](crate::export_guardrail).
pub trait Guardrail {
    /// Settings, decoded from the operator's JSON; the settings schema shown by
    /// `describe` is derived from it.
    type Settings: DeserializeOwned + JsonSchema;

    /// What rule this enforces, for people.
    const DESCRIPTION: &'static str;

    /// Capabilities the rule needs (declared only; the operator grants them).
    fn capabilities() -> Vec<Capability> {
        Vec::new()
    }

    /// Checks beyond decoding (which already reports bad fields by JSON path).
    fn check_settings(_settings: &Self::Settings) -> Result<(), Error> {
        Ok(())
    }

    /// Review one change.
    fn review(change: &Change, settings: &Self::Settings) -> Result<Review, Error>;
}
