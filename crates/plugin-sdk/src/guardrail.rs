//! The [`Guardrail`] trait a guardrail author implements.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::types::{Capability, Change, Error, Review};

/// A rule that reviews one change. Export it with
/// [`export_guardrail!`](crate::export_guardrail).
pub trait Guardrail {
    /// Settings, decoded from the operator's JSON; the settings schema shown by
    /// `describe` is derived from it.
    type Settings: DeserializeOwned + JsonSchema + 'static;

    /// What rule this enforces, for people.
    const DESCRIPTION: &'static str;

    /// Capabilities the rule needs (declared only; the operator grants them).
    fn capabilities() -> Vec<Capability> {
        Vec::new()
    }

    /// Checks beyond decoding (which already reports bad fields by JSON path).
    ///
    /// When the host prepares guardrails, this runs once at load with the
    /// configured settings and the instance is snapshotted afterwards: what
    /// it keeps in a `thread_local!` (compiled patterns, lookup tables) is
    /// then already there in every review. Without preparation each change
    /// is reviewed in a fresh instance that starts empty, so `review` must
    /// also work when nothing was kept. Several bindings reviewing one change
    /// may call `review` in turn in one instance, each with its settings.
    fn check_settings(_settings: &Self::Settings) -> Result<(), Error> {
        Ok(())
    }

    /// Review one change.
    fn review(change: &Change, settings: &Self::Settings) -> Result<Review, Error>;
}
