//! [`WasmProvider`]: a provider component behind core's
//! [`paved_core::plugin::Provider`] trait.

use async_trait::async_trait;
use paved_core::plugin::{
    Applied, ApplyRequest, ImportRequest, Imported, Plan, PlanRequest, ProviderInfo,
    ResourceRequest,
};
use serde_json::Value;

use crate::bindings::provider::ProviderPre;
use crate::cache::CacheOutcome;
use crate::convert;
use crate::error::{PluginError, Result};
use crate::plugin::Plugin;
use crate::state::CallState;

/// A loaded provider component.
pub struct WasmProvider {
    plugin: Plugin,
    pre: ProviderPre<CallState>,
    info: ProviderInfo,
}

impl std::fmt::Debug for WasmProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmProvider")
            .field("name", &&*self.plugin.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

macro_rules! call {
    ($self:ident, $method:ident, $arg:expr) => {
        call!($self, $method, $arg, None)
    };
    ($self:ident, $method:ident, $arg:expr, $key:expr) => {{
        let key: Option<String> = $key;
        $self
            .plugin
            .call_export($self.plugin.settings.clone(), async |store| {
                store.data_mut().idempotency_key = key;
                let p = $self.pre.instantiate_async(&mut *store).await?;
                p.paved_plugin_provider_api()
                    .$method(&mut *store, $arg)
                    .await
            })
            .await?
    }};
}

impl WasmProvider {
    pub(crate) async fn new(plugin: Plugin) -> Result<Self> {
        let p = Self::open(plugin).await?;
        let settings = p.plugin.config.settings.clone();
        p.validate(&settings).await?;
        Ok(p)
    }

    /// Link and describe, without validating the configured settings.
    pub(crate) async fn open(plugin: Plugin) -> Result<Self> {
        let pre = ProviderPre::new(plugin.pre.clone()).map_err(|e| {
            PluginError::load(
                &plugin.name,
                format!("does not export what the paved:plugin/provider world requires: {e:#}"),
            )
        })?;
        let mut info = plugin
            .call(plugin.settings.clone(), async |store| {
                let p = pre.instantiate_async(&mut *store).await?;
                p.paved_plugin_provider_api()
                    .call_describe(&mut *store)
                    .await
            })
            .await?;
        let info = info.out.provider_info(info.value)?;
        Ok(Self { plugin, pre, info })
    }

    /// What the provider said about itself at load.
    pub fn info(&self) -> &ProviderInfo {
        &self.info
    }

    /// Whether the component came from the precompiled cache.
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.plugin.cache
    }

    /// Check settings with the guest's `validate-settings`.
    pub async fn validate(&self, settings: &Value) -> Result<()> {
        crate::plugin::expect_object(&self.plugin.name, settings)?;
        let text = settings.to_string();
        self.plugin
            .call_export(self.plugin.settings_for(Some(settings)), async |store| {
                let p = self.pre.instantiate_async(&mut *store).await?;
                p.paved_plugin_provider_api()
                    .call_validate_settings(&mut *store, &text)
                    .await
            })
            .await
            .map(|_| ())
            .map_err(Plugin::settings_error)
    }

    /// `plan` export.
    pub async fn plan_resource(&self, request: &PlanRequest) -> Result<Plan> {
        let req = convert::plan_request(request);
        let mut plan = call!(self, call_plan, &req);
        plan.out.plan(plan.value)
    }

    /// `apply` export.
    pub async fn apply_resource(&self, request: &ApplyRequest) -> Result<Applied> {
        let req = convert::apply_request(request);
        let key = request.idempotency_key.clone();
        let mut applied = call!(self, call_apply, &req, key);
        applied.out.applied(applied.value)
    }

    /// `read` export.
    pub async fn read_resource(&self, request: &ResourceRequest) -> Result<Option<Value>> {
        let req = convert::resource_request(request);
        let mut state = call!(self, call_read, &req);
        state.out.opt_json("read", state.value)
    }

    /// `delete` export.
    pub async fn delete_resource(&self, request: &ResourceRequest) -> Result<()> {
        let req = convert::resource_request(request);
        call!(self, call_delete, &req, request.idempotency_key.clone());
        Ok(())
    }

    /// `import` export.
    pub async fn import_resource(&self, request: &ImportRequest) -> Result<Imported> {
        let req = convert::import_request(request);
        let key = request.idempotency_key.clone();
        let mut imported = call!(self, call_import, &req, key);
        imported.out.imported(imported.value)
    }
}

#[async_trait]
impl paved_core::plugin::Provider for WasmProvider {
    fn name(&self) -> &str {
        &self.plugin.name
    }

    async fn describe(&self) -> paved_core::Result<ProviderInfo> {
        Ok(self.info.clone())
    }

    async fn plan(&self, request: &PlanRequest) -> paved_core::Result<Plan> {
        Ok(self.plan_resource(request).await?)
    }

    async fn apply(&self, request: &ApplyRequest) -> paved_core::Result<Applied> {
        Ok(self.apply_resource(request).await?)
    }

    async fn read(&self, request: &ResourceRequest) -> paved_core::Result<Option<Value>> {
        Ok(self.read_resource(request).await?)
    }

    async fn delete(&self, request: &ResourceRequest) -> paved_core::Result<()> {
        Ok(self.delete_resource(request).await?)
    }

    async fn import(&self, request: &ImportRequest) -> paved_core::Result<Imported> {
        Ok(self.import_resource(request).await?)
    }
}
