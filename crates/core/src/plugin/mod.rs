//! The plugin contract as core sees it: async [`Provider`], [`Guardrail`]
//! and [`ActionPlugin`] traits, their request/response types, and [`CatalogueLookup`], the
//! read-only view of the catalogue that the platform hands to guardrails.
//!
//! Data flow: the pipeline builds a [`Change`] per change-set item and asks each
//! bound [`Guardrail`] for a [`Review`]; resource operations go to the
//! [`Provider`] that owns the resource type (plan → apply → read → delete,
//! plus import). Core never sees wasmtime: `paved-plugins` implements these
//! traits for WebAssembly components (mirroring `wit/` one to one), and native
//! Rust implementations (tests, built-in rules) implement them directly.
//! Plugin failures surface as [`crate::Error::Plugin`] with a
//! [`crate::PluginErrorKind`], or as [`crate::Error::Invalid`] when a plugin
//! rejected its input with JSON paths.

mod action;
mod catalogue;
mod guardrail;
mod provider;
mod types;

pub use action::{ActionInfo, ActionPlugin, ActionRequest, ActionResult, GeneratedFile};
pub use catalogue::{CatalogueLookup, NoCatalogue};
pub use guardrail::{ChangeReviews, Guardrail};
pub use provider::Provider;
pub use types::{
    Applied, ApplyRequest, Capability, Change, FieldDiff, GuardrailInfo, ImportRequest, Imported,
    Operation, Plan, PlanRequest, ProviderInfo, ResourceAddress, ResourceRequest, ResourceTypeInfo,
    Review, Subject, Verdict, Violation,
};

/// What identifies a guardrail's code exactly, for its decisions: `sha256:`
/// and the hex SHA-256 of the one part (a wasm component: what `sha256sum`
/// prints for its file), or of several parts' hashes (a Rego policy's
/// modules and data), so that two different splits of the same bytes differ.
pub fn code_digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut parts = parts.into_iter().peekable();
    let first = parts.next().unwrap_or_default();
    let digest = if parts.peek().is_none() {
        Sha256::digest(first)
    } else {
        let mut all = Sha256::new();
        for part in std::iter::once(first).chain(parts) {
            all.update(Sha256::digest(part));
        }
        all.finalize()
    };
    format!("sha256:{}", hex::encode(digest))
}

/// The name a plugin gets when its configuration names none: the file's
/// stem (`plugins/require_owner.wasm` -> `require_owner`). A path with no
/// file name is refused rather than given a made-up name.
pub fn default_name(path: &std::path::Path) -> crate::Result<String> {
    match path.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if !stem.is_empty() => Ok(stem.to_string()),
        _ => Err(crate::Error::invalid(crate::Diagnostic::error(
            "path",
            format!(
                "{}: cannot name a plugin after this path; give it a name",
                path.display()
            ),
        ))),
    }
}
