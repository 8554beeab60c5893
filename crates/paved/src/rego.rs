//! Rego bindings: the built-in Rego guardrail (`paved-rego`) loaded for a
//! binding that gives `rego:`, registered under the binding's name; and
//! for `Policy` entities that carry Rego, the loader the platform compiles
//! them with.

use std::sync::Arc;

use paved_core::Result;
use paved_core::plugin::Guardrail;
use paved_core::policy::{RegoLoader, RegoSource};

/// Load the Rego guardrail of binding `name`.
pub(crate) fn load(name: &str, source: &RegoSource) -> Result<Arc<dyn Guardrail>> {
    Ok(Arc::new(paved_rego::RegoGuardrail::load(name, source)?))
}

/// Compiles the Rego of `Policy` entities with `paved-rego`.
pub(crate) struct Loader;

impl RegoLoader for Loader {
    fn load(&self, name: &str, source: &RegoSource) -> Result<Arc<dyn Guardrail>> {
        load(name, source)
    }
}
