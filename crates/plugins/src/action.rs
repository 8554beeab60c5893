//! [`WasmAction`]: an action component behind core's
//! [`paved_core::plugin::ActionPlugin`] trait. Its `describe` is called once
//! at load; every `run` gets a fresh instance under the plugin's limits.
//! An action plugin is pure (it gets no grants beyond a guardrail's): it
//! computes files and an output, and the platform writes them.

use async_trait::async_trait;
use paved_core::plugin::{ActionInfo, ActionRequest, ActionResult};

use crate::bindings::action::ActionPre;
use crate::cache::CacheOutcome;
use crate::convert;
use crate::error::{PluginError, Result};
use crate::plugin::Plugin;
use crate::state::CallState;

/// A loaded action component.
pub struct WasmAction {
    plugin: Plugin,
    pre: ActionPre<CallState>,
    actions: Vec<ActionInfo>,
}

impl std::fmt::Debug for WasmAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmAction")
            .field("name", &&*self.plugin.name)
            .field("actions", &self.actions)
            .finish_non_exhaustive()
    }
}

impl WasmAction {
    /// Link and describe.
    pub(crate) async fn open(plugin: Plugin) -> Result<Self> {
        let pre = ActionPre::new(plugin.pre.clone()).map_err(|e| {
            PluginError::load(
                &plugin.name,
                format!("does not export what the paved:plugin/action world requires: {e:#}"),
            )
        })?;
        let mut described = plugin
            .call_export(plugin.settings.clone(), async |store| {
                let a = pre.instantiate_async(&mut *store).await?;
                a.paved_plugin_action_api().call_describe(&mut *store).await
            })
            .await?;
        let actions = described.out.action_infos(described.value)?;
        Ok(Self {
            plugin,
            pre,
            actions,
        })
    }

    /// The actions the plugin said it provides at load.
    pub fn actions(&self) -> &[ActionInfo] {
        &self.actions
    }

    /// Whether the component came from the precompiled cache.
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.plugin.cache
    }

    /// `run` export: one of its actions, with the evaluated input. An
    /// action it did not describe is refused before the guest runs.
    pub async fn run_action(&self, request: &ActionRequest) -> Result<ActionResult> {
        if !self.actions.iter().any(|a| a.name == request.action) {
            return Err(PluginError::Guest {
                plugin: self.plugin.name.to_string(),
                message: format!(
                    "unsupported: this plugin provides no action '{}'",
                    request.action
                ),
            });
        }
        let req = convert::action_request(request);
        let mut r = self
            .plugin
            .call_export(self.plugin.settings.clone(), async |store| {
                let a = self.pre.instantiate_async(&mut *store).await?;
                a.paved_plugin_action_api()
                    .call_run(&mut *store, &req)
                    .await
            })
            .await?;
        r.out.action_result(r.value)
    }
}

#[async_trait]
impl paved_core::plugin::ActionPlugin for WasmAction {
    fn name(&self) -> &str {
        &self.plugin.name
    }

    async fn describe(&self) -> paved_core::Result<Vec<ActionInfo>> {
        Ok(self.actions.clone())
    }

    async fn run(&self, request: &ActionRequest) -> paved_core::Result<ActionResult> {
        Ok(self.run_action(request).await?)
    }
}
