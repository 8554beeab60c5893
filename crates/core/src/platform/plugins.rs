//! [`Plugins`]: the guardrails, providers and action plugins a platform
//! was built with. Action plugins are described once, when the platform is
//! built: the actions they provide (checked against the built-in ones and
//! each other) are what golden paths may use besides the built-ins.
//!
//! Reviews and provider reads (`describe`, `plan`, `read`) change nothing and
//! go straight to the plugin. Provider calls with side effects (`apply`,
//! `delete`, `import`) go through the pipeline (`pipeline::run_effect`):
//! the actor is checked, the checks and the policies run, and the call is
//! recorded in the audit log with its outcome, whoever made it and from
//! whichever front.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Inner;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::path::actions::ActionSpec;
use crate::pipeline::{WriteOptions, resource_item, resource_subject};
use crate::plugin::{
    ActionPlugin, Applied, ApplyRequest, Change, Guardrail, GuardrailInfo, ImportRequest, Imported,
    Operation, Plan, PlanRequest, Provider, ProviderInfo, ResourceAddress, ResourceRequest, Review,
};
use crate::policy::Point;
use crate::store::AuditOnly;

/// The plugins of a platform, by name.
pub(crate) struct Registry {
    guardrails: Vec<Arc<dyn Guardrail>>,
    providers: Vec<Arc<dyn Provider>>,
    action_plugins: Vec<Arc<dyn ActionPlugin>>,
    /// The actions the action plugins provide, as they described them.
    actions: Vec<ActionSpec>,
}

impl Registry {
    /// Names must be unique across guardrails, providers and action
    /// plugins; each action plugin is described, and the actions must be
    /// named apart from the built-in ones and from each other.
    pub(super) async fn new(
        guardrails: Vec<Arc<dyn Guardrail>>,
        providers: Vec<Arc<dyn Provider>>,
        action_plugins: Vec<Arc<dyn ActionPlugin>>,
    ) -> Result<Self> {
        let mut seen = HashSet::new();
        let names = guardrails
            .iter()
            .map(|g| g.name().to_string())
            .chain(providers.iter().map(|p| p.name().to_string()))
            .chain(action_plugins.iter().map(|a| a.name().to_string()));
        for (i, name) in names.enumerate() {
            if !seen.insert(name.clone()) {
                return Err(Error::invalid(Diagnostic::error(
                    format!("plugins[{i}].name"),
                    format!("two plugins are named '{name}'; give each plugin its own name"),
                )));
            }
        }
        let mut actions: Vec<ActionSpec> = Vec::new();
        for (i, plugin) in action_plugins.iter().enumerate() {
            for info in plugin.describe().await? {
                let at = format!("plugins[{i}]");
                let spec = ActionSpec::provided(
                    plugin.name(),
                    &info.name,
                    &info.description,
                    &info.input_schema,
                    info.output_schema.as_ref(),
                )
                .map_err(|m| Error::invalid(Diagnostic::error(&at, m)))?;
                if let Some(other) = actions.iter().find(|a| a.name == spec.name) {
                    return Err(Error::invalid(Diagnostic::error(
                        at,
                        format!(
                            "action '{}' is provided by both plugin '{}' and plugin '{}'",
                            spec.name,
                            other.plugin.as_deref().unwrap_or_default(),
                            plugin.name()
                        ),
                    )));
                }
                actions.push(spec);
            }
        }
        Ok(Self {
            guardrails,
            providers,
            action_plugins,
            actions,
        })
    }

    /// The actions the platform's plugins provide.
    pub(crate) fn actions(&self) -> &[ActionSpec] {
        &self.actions
    }

    /// The plugin that provides action `name`, with the action.
    pub(crate) fn action(&self, name: &str) -> Option<(&ActionSpec, &Arc<dyn ActionPlugin>)> {
        let spec = self.actions.iter().find(|a| a.name == name)?;
        let plugin = self
            .action_plugins
            .iter()
            .find(|p| Some(p.name()) == spec.plugin.as_deref())?;
        Some((spec, plugin))
    }

    /// The guardrail named `name`.
    pub(super) fn guardrail(&self, name: &str) -> Option<Arc<dyn Guardrail>> {
        self.guardrails.iter().find(|g| g.name() == name).cloned()
    }

    /// Every provider, in the order configured.
    pub(super) fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// Every guardrail.
    pub(super) fn guardrails(&self) -> Vec<Arc<dyn Guardrail>> {
        self.guardrails.clone()
    }
}

/// A plugin the platform holds: its name and which world it implements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginSummary {
    pub name: String,
    /// `guardrail`, `provider` or `action`.
    pub kind: String,
}

/// The plugins of a platform.
#[derive(Clone)]
pub struct Plugins {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Plugins")
    }
}

/// A plugin's description, by world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PluginInfo {
    Guardrail(GuardrailInfo),
    Provider(ProviderInfo),
    /// An action plugin: the golden-path actions it provides.
    Action {
        name: String,
        actions: Vec<crate::plugin::ActionInfo>,
    },
}

fn not_found(what: &'static str, name: &str) -> Error {
    Error::NotFound {
        what,
        id: name.to_string(),
        hint: None,
    }
}

impl Plugins {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Every plugin, guardrails first, then providers, then action plugins,
    /// each in the order it was configured.
    pub fn list(&self) -> Vec<PluginSummary> {
        let r = &self.inner.plugins;
        let guardrails = r.guardrails.iter().map(|g| PluginSummary {
            name: g.name().to_string(),
            kind: "guardrail".into(),
        });
        let providers = r.providers.iter().map(|p| PluginSummary {
            name: p.name().to_string(),
            kind: "provider".into(),
        });
        let actions = r.action_plugins.iter().map(|a| PluginSummary {
            name: a.name().to_string(),
            kind: "action".into(),
        });
        guardrails.chain(providers).chain(actions).collect()
    }

    fn guardrail(&self, name: &str) -> Result<Arc<dyn Guardrail>> {
        self.inner
            .plugins
            .guardrail(name)
            .ok_or_else(|| not_found("guardrail", name))
    }

    fn provider(&self, name: &str) -> Result<&Arc<dyn Provider>> {
        let r = &self.inner.plugins;
        r.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| not_found("provider", name))
    }

    /// What a plugin says of itself: name, version, settings schema,
    /// capabilities, a provider's resource types, an action plugin's actions.
    pub async fn describe(&self, name: &str) -> Result<PluginInfo> {
        if let Ok(g) = self.guardrail(name) {
            return Ok(PluginInfo::Guardrail(g.describe().await?));
        }
        if let Some(a) = self
            .inner
            .plugins
            .action_plugins
            .iter()
            .find(|a| a.name() == name)
        {
            return Ok(PluginInfo::Action {
                name: name.to_string(),
                actions: a.describe().await?,
            });
        }
        Ok(PluginInfo::Provider(self.provider(name)?.describe().await?))
    }

    /// Review one change with a guardrail (`settings`: a policy's own
    /// settings, validated first; `None`: the configured ones).
    pub async fn review(
        &self,
        name: &str,
        change: &Change,
        settings: Option<&Value>,
    ) -> Result<Review> {
        let guardrail = self.guardrail(name)?;
        if let Some(s) = settings {
            guardrail.validate_settings(s).await?;
        }
        guardrail.review(change, settings).await
    }

    /// What applying would do (changes nothing).
    pub async fn plan(&self, name: &str, request: &PlanRequest) -> Result<Plan> {
        self.provider(name)?.plan(request).await
    }

    /// The resource as it is now (`None`: gone).
    pub async fn read(&self, name: &str, request: &ResourceRequest) -> Result<Option<Value>> {
        self.provider(name)?.read(request).await
    }

    /// Run a provider call through the pipeline: reviewed by the policies
    /// at `point` (the request's params as the change's `after`), audited.
    async fn effect<T>(
        &self,
        name: &str,
        (action, point, operation): (&str, Point, Operation),
        address: &ResourceAddress,
        params: Option<&Value>,
        opts: &WriteOptions,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let inner = &self.inner;
        let item = resource_item(point, operation, address, None, params.cloned());
        let record = AuditOnly {
            action: format!("resource.{action}"),
            subject: resource_subject(address),
            details: json!({
                "plugin": name,
                "resource_type": address.resource_type,
                "name": address.name,
                "environment": address.environment,
                "owner": address.owner,
                "origin": inner.origin,
            }),
            event: format!("resource.{action}"),
        };
        inner.effect(record, item, opts, call).await
    }

    /// Bring a resource to the requested params (audited as `resource.apply`).
    pub async fn apply(
        &self,
        name: &str,
        request: &ApplyRequest,
        opts: &WriteOptions,
    ) -> Result<Applied> {
        let provider = self.provider(name)?;
        let request = &keyed(request, |r| &mut r.idempotency_key);
        let operation = if request.prior_state.is_some() {
            Operation::Update
        } else {
            Operation::Create
        };
        self.effect(
            name,
            ("apply", Point::ResourceApply, operation),
            &request.address,
            Some(&request.params),
            opts,
            provider.apply(request),
        )
        .await
    }

    /// Remove a resource (audited as `resource.delete`).
    pub async fn delete(
        &self,
        name: &str,
        request: &ResourceRequest,
        opts: &WriteOptions,
    ) -> Result<()> {
        let provider = self.provider(name)?;
        let request = &keyed(request, |r| &mut r.idempotency_key);
        self.effect(
            name,
            ("delete", Point::ResourceDestroy, Operation::Delete),
            &request.address,
            None,
            opts,
            provider.delete(request),
        )
        .await
    }

    /// Adopt a resource that exists outside paved (audited as `resource.import`).
    pub async fn import(
        &self,
        name: &str,
        request: &ImportRequest,
        opts: &WriteOptions,
    ) -> Result<Imported> {
        let provider = self.provider(name)?;
        let request = &keyed(request, |r| &mut r.idempotency_key);
        self.effect(
            name,
            ("import", Point::ResourceImport, Operation::Import),
            &request.address,
            None,
            opts,
            provider.import(request),
        )
        .await
    }
}

/// `request` with an idempotency key: the caller's, or a new one (every
/// provider call gets one).
fn keyed<R: Clone>(request: &R, key: impl Fn(&mut R) -> &mut Option<String>) -> R {
    let mut r = request.clone();
    key(&mut r).get_or_insert_with(crate::resource::journal::new_idempotency_key);
    r
}
