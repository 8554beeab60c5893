//! [`WasmGuardrail`]: a guardrail component behind core's
//! [`paved_core::plugin::Guardrail`] trait.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use paved_core::plugin::{Change, GuardrailInfo, Review};
use serde_json::Value;

use crate::bindings::each;
use crate::cache::CacheOutcome;
use crate::convert;
use crate::error::{PluginError, Result};
use crate::linked::{Linked, Live};
use crate::plugin::{Plugin, Session};
use crate::prepare::{Prepared, prepare_guardrail};

/// A loaded guardrail component.
pub struct WasmGuardrail {
    plugin: Plugin,
    linked: Linked,
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
        let linked = Linked::new(plugin.pre.clone()).map_err(|e| {
            PluginError::load(
                &plugin.name,
                format!("does not export what the paved:plugin/guardrail world requires: {e:#}"),
            )
        })?;
        let info = describe(&plugin, &linked).await?;
        Ok(Self {
            plugin,
            linked,
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

    /// Whether the component exports `guardrail-each-api`: the bindings
    /// of this guardrail that match one change are then reviewed in one
    /// call.
    pub fn reviews_each(&self) -> bool {
        self.linked.each.is_some()
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
                let live = self.linked.instantiate(&mut *store).await?;
                live.guardrail
                    .paved_plugin_guardrail_api()
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
        let linked = self.prepared.as_ref().map_or(&self.linked, |p| &p.linked);
        self.plugin
            .call(self.plugin.settings.clone(), async |store| {
                linked.instantiate(&mut *store).await?;
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// Review one change with the configured settings or `settings`, in a
    /// fresh instance (a reviewer of its own, with no earlier change to
    /// compare this one with).
    pub async fn review_change(&self, change: &Change, settings: Option<&Value>) -> Result<Review> {
        self.change_reviews().review_same(change, settings).await
    }

    /// The reviews of one change by several bindings of this guardrail
    /// ([`WasmChangeReviews`]).
    pub fn change_reviews(&self) -> WasmChangeReviews<'_> {
        WasmChangeReviews {
            guardrail: self,
            open: None,
            converted: None,
            last: None,
            ahead: Vec::new(),
            answered: VecDeque::new(),
            share: Duration::ZERO,
            last_cost: None,
        }
    }

    /// What reviews with `settings` instantiate: the prepared snapshot for
    /// the configured settings (it holds the state after their
    /// `validate-settings`), the original component for any other.
    fn linked_for(&self, settings: Option<&Value>) -> &Linked {
        match (&self.prepared, settings) {
            (Some(prepared), None) => &prepared.linked,
            _ => &self.linked,
        }
    }
}

/// The reviews of one change by the bindings of one guardrail, in binding
/// order.
///
/// When the caller says which bindings will review the change
/// ([`WasmChangeReviews::ahead`]) and the component exports
/// `guardrail-each-api`, the first review asks the guest for all of them in
/// one `review-each` call, and the following reviews are answered from it
/// while their change and settings are what was asked (a binding that
/// patched the change makes the rest ask again, one by one).
///
/// Otherwise each review is a `review` call. They share one instance while
/// their settings are the same text (a binding with other settings gets a
/// fresh one, since a guest may keep what it derived from its settings);
/// an instance whose call failed in any way is dropped. The next change
/// starts from a fresh instance: nothing one change's review leaves reaches
/// another's.
pub struct WasmChangeReviews<'g> {
    guardrail: &'g WasmGuardrail,
    open: Option<Open<'g>>,
    /// The change as the guest takes it, made once while no binding patched
    /// the change (a patch makes it again).
    converted: Option<crate::bindings::t::Change>,
    /// The change of the last [`WasmChangeReviews::review_with`], which
    /// compares each change with it (the pipeline says `patched` instead).
    last: Option<Change>,
    /// The settings of the bindings still to review the change, first to
    /// last, as told before the first review.
    ahead: Vec<Arc<str>>,
    /// Answers of a `review-each` call for the bindings that follow, with
    /// the settings each was asked with (about the change in `converted`).
    answered: VecDeque<(Arc<str>, Result<Review>)>,
    /// Each answer's share of the time of the call that gave `answered`.
    share: Duration,
    /// What the last review cost, when it was answered from a
    /// `review-each` call: its share.
    last_cost: Option<Duration>,
}

/// An instance that answered its last call, in its store, with the
/// settings its store's `config` returns.
struct Open<'g> {
    session: Session<'g>,
    settings: Arc<str>,
    live: Live,
}

impl<'g> WasmChangeReviews<'g> {
    /// The settings of the bindings that will review the change, in order
    /// (`None`: the configured settings), told before the first review.
    pub fn ahead(&mut self, settings: &[Option<&Value>]) {
        let plugin = &self.guardrail.plugin;
        self.ahead = settings.iter().map(|s| plugin.settings_for(*s)).collect();
    }

    /// How long the last review took when it was answered from a
    /// `review-each` call (that call's time, shared by its answers).
    pub fn last_cost(&self) -> Option<Duration> {
        self.last_cost
    }

    /// Review the change with the configured settings or `settings`. A
    /// change other than the last one reviewed is taken as patched
    /// ([`WasmChangeReviews::patched`]).
    pub async fn review_with(
        &mut self,
        change: &Change,
        settings: Option<&Value>,
    ) -> Result<Review> {
        if self.last.as_ref() != Some(change) {
            self.patched();
            self.last = Some(change.clone());
        }
        self.review_same(change, settings).await
    }

    /// The change was patched: what was asked about it before (the
    /// converted change, answers kept from a `review-each` call) is
    /// dropped.
    pub fn patched(&mut self) {
        self.converted = None;
        self.answered.clear();
    }

    /// [`WasmChangeReviews::review_with`] of the change of the last review
    /// unless [`WasmChangeReviews::patched`] was called since (the
    /// pipeline says so; comparing the change at every binding would cost
    /// more than the review).
    async fn review_same(&mut self, change: &Change, settings: Option<&Value>) -> Result<Review> {
        let g = self.guardrail;
        let text = g.plugin.settings_for(settings);
        self.last_cost = None;
        let ahead = std::mem::take(&mut self.ahead);
        if let Some((asked, _)) = self.answered.front()
            && *asked == text
            && let Some((_, answer)) = self.answered.pop_front()
        {
            self.last_cost = Some(self.share);
            return answer;
        }
        self.answered.clear();
        if let Some(each) = &g.linked_for(None).each
            && ahead.len() > 1
            && ahead[0] == text
        {
            return self.review_each(change, ahead, each).await;
        }
        let mut open = match self.open.take() {
            Some(open) if open.settings == text => open,
            _ => Self::open_instance(g, g.linked_for(settings), text).await?,
        };
        let wit = self
            .converted
            .get_or_insert_with(|| convert::change(change));
        let guardrail = &open.live.guardrail;
        let mut r = open
            .session
            .call_export(async |store| {
                guardrail
                    .paved_plugin_guardrail_api()
                    .call_review(store, wit)
                    .await
            })
            .await?;
        let review = r.out.review(r.value)?;
        self.open = Some(open);
        Ok(review)
    }

    /// Ask for the reviews of every binding `ahead` (the first is the one
    /// asking now) in one `review-each` call (`each`: where the snapshot
    /// or component exports it); answer the first, keep the others. A call
    /// that fails, or an instance that cannot be made for it, fails each
    /// of them alike.
    async fn review_each(
        &mut self,
        change: &Change,
        ahead: Vec<Arc<str>>,
        each: &'g each::GuestIndices,
    ) -> Result<Review> {
        let g = self.guardrail;
        let started = Instant::now();
        // The call's own `config` is the configured settings; each review's
        // settings travel in the call.
        let configured = g.plugin.settings_for(None);
        let opened = match self.open.take() {
            Some(open) if open.settings == configured => Ok(open),
            _ => Self::open_instance(g, g.linked_for(None), configured).await,
        };
        let wit = self
            .converted
            .get_or_insert_with(|| convert::change(change));
        let texts: Vec<String> = ahead.iter().map(|t| t.to_string()).collect();
        let called = match opened {
            Ok(mut open) => {
                let instance = &open.live.instance;
                let called = open
                    .session
                    .call_answering(ahead.len(), async |store| {
                        let api = each.load(&mut *store, instance)?;
                        api.call_review_each(&mut *store, wit, &texts).await
                    })
                    .await;
                called.map(|r| (r, open))
            }
            Err(e) => Err(e),
        };
        let share = started.elapsed() / u32::try_from(ahead.len()).unwrap_or(u32::MAX);
        let mut answers: Vec<Result<Review>> = match called {
            Ok((mut r, open)) if r.value.len() == ahead.len() => {
                let answers = r
                    .value
                    .into_iter()
                    .map(|a| match a {
                        Ok(outcome) => r.out.review(outcome),
                        Err(e) => Err(r.out.plugin_error(e)?),
                    })
                    .collect();
                self.open = Some(open);
                answers
            }
            Ok((r, _)) => {
                let e = PluginError::bad_output(
                    &g.plugin.name,
                    format!(
                        "review-each answered {} reviews for {} settings",
                        r.value.len(),
                        ahead.len()
                    ),
                );
                vec![Err(e); ahead.len()]
            }
            Err(e) => vec![Err(e); ahead.len()],
        };
        let first = answers.remove(0);
        self.answered = ahead.into_iter().skip(1).zip(answers).collect();
        self.share = share;
        self.last_cost = Some(share);
        first
    }

    /// A fresh instance of `linked` (one of `guardrail`'s) in a new store
    /// whose `config` is `settings`.
    async fn open_instance(
        guardrail: &'g WasmGuardrail,
        linked: &'g Linked,
        settings: Arc<str>,
    ) -> Result<Open<'g>> {
        let mut session = guardrail.plugin.session(settings.clone())?;
        let live = session
            .call(async |store| linked.instantiate(store).await)
            .await?
            .value;
        Ok(Open {
            session,
            settings,
            live,
        })
    }
}

#[async_trait]
impl paved_core::plugin::ChangeReviews for WasmChangeReviews<'_> {
    async fn review(
        &mut self,
        change: &Change,
        settings: Option<&Value>,
    ) -> paved_core::Result<Review> {
        Ok(self.review_same(change, settings).await?)
    }

    fn patched(&mut self) {
        WasmChangeReviews::patched(self);
    }

    fn ahead(&mut self, settings: &[Option<&Value>]) {
        WasmChangeReviews::ahead(self, settings);
    }

    fn last_cost(&self) -> Option<Duration> {
        WasmChangeReviews::last_cost(self)
    }
}

async fn describe(plugin: &Plugin, linked: &Linked) -> Result<GuardrailInfo> {
    let mut info = plugin
        .call(plugin.settings.clone(), async |store| {
            let live = linked.instantiate(&mut *store).await?;
            live.guardrail
                .paved_plugin_guardrail_api()
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
