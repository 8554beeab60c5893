//! What the host offers a plugin: logging, its settings, secrets, read-only
//! catalogue lookups and the idempotency key of a provider call. Every call
//! counts toward the host's per-call cap; secrets and the catalogue work only
//! where the operator granted them.

use serde_json::Value;

use crate::__rt::wit::paved::plugin::host as wit;
use crate::types::Error;

pub use wit::Level;

/// Write a log record under the plugin's name.
pub fn log(level: Level, message: &str) {
    wit::log(level, message);
}

/// Log at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Log at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Log at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// The plugin's settings as raw JSON (usually you get them typed instead).
pub fn config() -> Result<Value, Error> {
    serde_json::from_str(&wit::config()).map_err(|e| Error::invalid("", e.to_string()))
}

/// A secret by name.
pub fn secret(name: &str) -> Result<String, Error> {
    wit::secret(name).map_err(host_error)
}

/// One catalogue entity by ref, `None` if it does not exist.
pub fn catalogue_get(entity_ref: &str) -> Result<Option<Value>, Error> {
    match wit::catalogue_get(entity_ref).map_err(host_error)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::failed(format!("host sent bad JSON for {entity_ref}: {e}"))),
    }
}

/// Catalogue entities matching a filter (`kind=group,spec.type=team`).
pub fn catalogue_query(filter: &str) -> Result<Vec<Value>, Error> {
    wit::catalogue_query(filter)
        .map_err(host_error)?
        .iter()
        .map(|text| {
            serde_json::from_str(text)
                .map_err(|e| Error::failed(format!("host sent bad JSON for {filter}: {e}")))
        })
        .collect()
}

/// The idempotency key of the provider call under way (`apply`, `delete`,
/// `import`); `None` elsewhere. paved makes every call with a new key and
/// makes a call again with the same key only to finish one that was
/// interrupted: mark what a create makes with it, and a create that finds
/// something carrying its own key knows it made it.
pub fn idempotency_key() -> Option<String> {
    wit::idempotency_key()
}

fn host_error(e: wit::HostError) -> Error {
    match e {
        wit::HostError::NotGranted(m) => Error::CapabilityDenied(m),
        wit::HostError::Invalid(m) => Error::invalid("", m),
        wit::HostError::Unavailable(m) => Error::Failed(m),
    }
}
