//! The [`Provider`] trait a provider author implements.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::types::{
    Applied, ApplyRequest, Capability, Error, ImportRequest, Imported, Plan, PlanRequest,
    ResourceRequest, ResourceType,
};

/// Settings type for plugins that take none (accepts `{}` only).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// A provider of resource types. Export it with
/// [`export_provider!`](crate::export_provider).
pub trait Provider {
    /// Operator settings.
    type Settings: DeserializeOwned + JsonSchema;
    /// Params a user gives for a resource; its JSON Schema is published.
    type Params: DeserializeOwned + Serialize + JsonSchema;
    /// State recorded after apply and handed back on later calls.
    type State: DeserializeOwned + Serialize + JsonSchema;

    /// What this provider does, for people.
    const DESCRIPTION: &'static str;

    /// Resource types owned.
    fn resource_types() -> Vec<ResourceType>;

    /// Capabilities needed (declared only; the operator grants them).
    fn capabilities() -> Vec<Capability> {
        Vec::new()
    }

    /// Checks beyond decoding.
    fn check_settings(_settings: &Self::Settings) -> Result<(), Error> {
        Ok(())
    }

    /// What apply would do; must change nothing.
    fn plan(
        settings: &Self::Settings,
        request: PlanRequest<Self::Params, Self::State>,
    ) -> Result<Plan, Error>;

    /// Bring the resource to the params.
    fn apply(
        settings: &Self::Settings,
        request: ApplyRequest<Self::Params, Self::State>,
    ) -> Result<Applied<Self::State>, Error>;

    /// Current state, or `None` when the resource is gone.
    fn read(
        settings: &Self::Settings,
        request: ResourceRequest<Self::State>,
    ) -> Result<Option<Self::State>, Error>;

    /// Remove the resource.
    fn delete(
        settings: &Self::Settings,
        request: ResourceRequest<Self::State>,
    ) -> Result<(), Error>;

    /// Adopt an existing resource; unsupported unless implemented.
    fn import(
        _settings: &Self::Settings,
        _request: ImportRequest,
    ) -> Result<Imported<Self::Params, Self::State>, Error> {
        Err(Error::Unsupported("import".into()))
    }
}
