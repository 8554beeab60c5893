//! [`WasmGuardrail`]: a guardrail component behind core's
//! [`paved_core::plugin::Guardrail`] trait.

use std::sync::Arc;

use async_trait::async_trait;
use paved_core::plugin::{Change, GuardrailInfo, Review};
use serde_json::Value;

use crate::bindings::guardrail::{Guardrail, GuardrailPre};
use crate::cache::CacheOutcome;
use crate::convert;
use crate::error::{PluginError, Result};
use crate::plugin::{Plugin, Session};
use crate::prepare::{Prepared, prepare_guardrail};
use crate::state::CallState;

/// A loaded guardrail component.
pub struct WasmGuardrail {
    plugin: Plugin,
    pre: GuardrailPre<CallState>,
    /// The snapshot after `validate-settings` with the configured settings,
    /// used by reviews with those settings (see [`crate::prepare`]).
    prepared: Option<Prepared>,
    info: GuardrailInfo,
    /// [`paved_core::plugin::code_digest`] of the component's bytes.
    digest: Option<String>,
}

impl std::fmt::Debug for WasmGuardrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmGuardrail")
            .field("name", &&*self.plugin.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl WasmGuardrail {
    /// Link, describe and validate the configured settings; then, if
    /// `prepare`, prepare it from the component's `bytes` (a component that
    /// cannot be prepared still loads, unprepared, and the reason is logged).
    pub(crate) async fn new(plugin: Plugin, bytes: &[u8], prepare: bool) -> Result<Self> {
        let mut g = Self::open(plugin).await?;
        g.digest = Some(paved_core::plugin::code_digest([bytes]));
        let settings = g.plugin.config.settings.clone();
        g.validate(&settings).await?;
        if prepare {
            match prepare_guardrail(&g.plugin, bytes).await {
                Ok(prepared) => g.prepared = Some(prepared),
                Err(why) => tracing::info!(
                    plugin = &*g.plugin.name,
                    %why,
                    "guardrail not prepared; reviews start from scratch"
                ),
            }
        }
        Ok(g)
    }

    /// Link and describe, without validating the configured settings.
    pub(crate) async fn open(plugin: Plugin) -> Result<Self> {
        let pre = GuardrailPre::new(plugin.pre.clone()).map_err(|e| {
            PluginError::load(
                &plugin.name,
                format!("does not export what the paved:plugin/guardrail world requires: {e:#}"),
            )
        })?;
        let info = describe(&plugin, &pre).await?;
        Ok(Self {
            plugin,
            pre,
            prepared: None,
            info,
            digest: None,
        })
    }

    /// What the guardrail said about itself at load.
    pub fn info(&self) -> &GuardrailInfo {
        &self.info
    }

    /// Whether the component came from the precompiled cache.
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.plugin.cache
    }

    /// Whether reviews with the configured settings start from a prepared
    /// snapshot, and where its compiled code came from.
    pub fn prepared(&self) -> Option<&CacheOutcome> {
        self.prepared.as_ref().map(|p| &p.cache)
    }

    /// Check settings with the guest's `validate-settings`.
    pub async fn validate(&self, settings: &Value) -> Result<()> {
        crate::plugin::expect_object(&self.plugin.name, settings)?;
        let text = settings.to_string();
        self.plugin
            .call_export(self.plugin.settings_for(Some(settings)), async |store| {
                let g = self.pre.instantiate_async(&mut *store).await?;
                g.paved_plugin_guardrail_api()
                    .call_validate_settings(&mut *store, &text)
                    .await
            })
            .await
            .map(|_| ())
            .map_err(Plugin::settings_error)
    }

    /// Instantiate the component in a fresh store and call nothing: what
    /// a review costs before the guest runs (`paved-bench --bin plugins`).
    #[doc(hidden)]
    pub async fn instantiate_only(&self) -> Result<()> {
        let pre = self.prepared.as_ref().map_or(&self.pre, |p| &p.pre);
        self.plugin
            .call(self.plugin.settings.clone(), async |store| {
                pre.instantiate_async(&mut *store).await?;
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// Review one change with the configured settings or `settings`, in a
    /// fresh instance.
    pub async fn review_change(&self, change: &Change, settings: Option<&Value>) -> Result<Review> {
        self.change_reviews().review_with(change, settings).await
    }

    /// The reviews of one change by several bindings of this guardrail
    /// ([`WasmChangeReviews`]).
    pub fn change_reviews(&self) -> WasmChangeReviews<'_> {
        WasmChangeReviews {
            guardrail: self,
            live: None,
            converted: None,
        }
    }
}

/// The reviews of one change by the bindings of one guardrail, in binding
/// order. They share one instance while their settings are the same text (a
/// binding with other settings gets a fresh one, since a guest may keep what
/// it derived from its settings); an instance whose call failed in any way
/// is dropped. The next change starts from a fresh instance: nothing one
/// change's review leaves reaches another's.
pub struct WasmChangeReviews<'g> {
    guardrail: &'g WasmGuardrail,
    live: Option<Live<'g>>,
    /// The change as the guest takes it, made once while no binding patched
    /// the change (a patch makes it again).
    converted: Option<(Change, crate::bindings::t::Change)>,
}

/// An instance that answered its last call, with the settings it reads.
struct Live<'g> {
    session: Session<'g>,
    settings: Arc<str>,
    instance: Guardrail,
}

impl<'g> WasmChangeReviews<'g> {
    /// Review the change with the configured settings or `settings`.
    pub async fn review_with(
        &mut self,
        change: &Change,
        settings: Option<&Value>,
    ) -> Result<Review> {
        let g = self.guardrail;
        let text = g.plugin.settings_for(settings);
        let mut live = match self.live.take() {
            Some(live) if live.settings == text => live,
            _ => {
                // The snapshot holds the state after `validate-settings`
                // with the configured settings; other settings start from
                // the original component.
                let pre = match (&g.prepared, settings) {
                    (Some(prepared), None) => &prepared.pre,
                    _ => &g.pre,
                };
                let mut session = g.plugin.session(text.clone())?;
                let instance = session
                    .call(async |store| pre.instantiate_async(store).await)
                    .await?
                    .value;
                Live {
                    session,
                    settings: text,
                    instance,
                }
            }
        };
        self.converted.take_if(|(c, _)| c != change);
        let (_, wit) = self
            .converted
            .get_or_insert_with(|| (change.clone(), convert::change(change)));
        let instance = &live.instance;
        let mut r = live
            .session
            .call_export(async |store| {
                instance
                    .paved_plugin_guardrail_api()
                    .call_review(store, wit)
                    .await
            })
            .await?;
        let review = r.out.review(r.value)?;
        self.live = Some(live);
        Ok(review)
    }
}

#[async_trait]
impl paved_core::plugin::ChangeReviews for WasmChangeReviews<'_> {
    async fn review(
        &mut self,
        change: &Change,
        settings: Option<&Value>,
    ) -> paved_core::Result<Review> {
        Ok(self.review_with(change, settings).await?)
    }
}

async fn describe(plugin: &Plugin, pre: &GuardrailPre<CallState>) -> Result<GuardrailInfo> {
    let mut info = plugin
        .call(plugin.settings.clone(), async |store| {
            let g = pre.instantiate_async(&mut *store).await?;
            g.paved_plugin_guardrail_api()
                .call_describe(&mut *store)
                .await
        })
        .await?;
    info.out.guardrail_info(info.value)
}

#[async_trait]
impl paved_core::plugin::Guardrail for WasmGuardrail {
    fn name(&self) -> &str {
        &self.plugin.name
    }

    async fn describe(&self) -> paved_core::Result<GuardrailInfo> {
        Ok(self.info.clone())
    }

    async fn validate_settings(&self, settings: &Value) -> paved_core::Result<()> {
        Ok(self.validate(settings).await?)
    }

    async fn review(
        &self,
        change: &Change,
        settings: Option<&Value>,
    ) -> paved_core::Result<Review> {
        Ok(self.review_change(change, settings).await?)
    }

    fn digest(&self) -> Option<String> {
        self.digest.clone()
    }

    fn change_reviews(&self) -> Option<Box<dyn paved_core::plugin::ChangeReviews + '_>> {
        Some(Box::new(WasmGuardrail::change_reviews(self)))
    }
}
