//! The [`Provider`] trait: owns resource types and drives the systems behind
//! them through plan → apply → read → delete, plus import.

use async_trait::async_trait;
use serde_json::Value;

use super::types::{
    Applied, ApplyRequest, ImportRequest, Imported, Plan, PlanRequest, ProviderInfo,
    ResourceRequest,
};
use crate::Result;

/// A resource provider. Implemented by `paved-plugins` for wasm components
/// and natively by tests.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The name it is configured under (used in errors, logs and audit).
    fn name(&self) -> &str;

    /// Name, version, resource types with their JSON Schemas, capabilities.
    async fn describe(&self) -> Result<ProviderInfo>;

    /// What applying would do; changes nothing.
    async fn plan(&self, request: &PlanRequest) -> Result<Plan>;

    /// Bring the resource to the requested params.
    async fn apply(&self, request: &ApplyRequest) -> Result<Applied>;

    /// The resource's current state (drift detection); `None` if it is gone.
    async fn read(&self, request: &ResourceRequest) -> Result<Option<Value>>;

    /// Remove the resource.
    async fn delete(&self, request: &ResourceRequest) -> Result<()>;

    /// Adopt a resource that exists outside paved.
    async fn import(&self, request: &ImportRequest) -> Result<Imported>;
}
