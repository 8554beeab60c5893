//! Read-only catalogue access for plugins (the `catalogue-get` and
//! `catalogue-query` host imports). The platform implements
//! [`CatalogueLookup`] over its store and hands it to the plugin host.

use async_trait::async_trait;
use serde_json::Value;

use crate::Result;

/// Read-only catalogue lookups made on behalf of a plugin.
///
/// Entities are returned as their JSON documents (the Backstage envelope).
/// Errors are reported to the plugin as `host-error::unavailable` (or
/// `invalid` for [`crate::Error::Invalid`]), never as a trap.
#[async_trait]
pub trait CatalogueLookup: Send + Sync {
    /// One entity by ref (`kind:namespace/name`, or `kind:name` in the default
    /// namespace); `None` if it does not exist.
    async fn get(&self, entity_ref: &str) -> Result<Option<Value>>;

    /// Entities matching a Backstage filter string (`kind=group,spec.type=team`).
    async fn query(&self, filter: &str) -> Result<Vec<Value>>;
}

/// A catalogue with nothing in it: the default when the host is used without a
/// platform (e.g. `paved plugin run`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCatalogue;

#[async_trait]
impl CatalogueLookup for NoCatalogue {
    async fn get(&self, _entity_ref: &str) -> Result<Option<Value>> {
        Ok(None)
    }

    async fn query(&self, _filter: &str) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }
}
