//! Deciding: each item of a request against the rules, for one identity.

use super::identity::Identity;
use super::rules::{AccessEffect, AccessRules, Rule, Who};
use crate::error::{Error, Result};
use crate::policy::{Facets, Item};
use crate::store::Store;

/// How many refused items a denial lists by name.
const LISTED: usize = 5;

/// The platform's access rules, checked once when it opens. Inactive (every
/// change allowed) when the platform has no `access:` section.
#[derive(Debug, Default)]
pub(crate) struct AccessControl {
    rules: Option<AccessRules>,
    /// Each rule's parsed actors.
    actors: Vec<Vec<Who>>,
}

/// Why one item is refused.
struct Refusal {
    /// `access rule 'NAME'`, `access default`, `access unknown`.
    by: String,
    message: String,
}

impl AccessControl {
    /// Check the rules; errors name the field.
    pub(crate) fn new(rules: Option<AccessRules>) -> Result<Self> {
        let actors = match &rules {
            Some(r) => r.parse_actors()?,
            None => Vec::new(),
        };
        Ok(Self { rules, actors })
    }

    pub(crate) fn is_active(&self) -> bool {
        self.rules.is_some()
    }

    /// Who `actor` is (only when access control is active).
    pub(crate) async fn identify(&self, store: &dyn Store, actor: &str) -> Result<Identity> {
        let mut me = Identity::resolve(store, actor).await?;
        if !me.known {
            let key = crate::model::EntityRef::parse(actor).map(|r| r.key());
            me.known = key.is_ok_and(|k| {
                self.actors
                    .iter()
                    .flatten()
                    .any(|w| matches!(w, Who::Key(x) if *x == k))
            });
        }
        Ok(me)
    }

    /// Refuse the request (`DENIED`, naming the rule) when the actor may not
    /// make one of its items; nothing is looked up when access is off.
    pub(crate) async fn check(&self, store: &dyn Store, actor: &str, items: &[Item]) -> Result<()> {
        if !self.is_active() || items.is_empty() {
            return Ok(());
        }
        let me = self.identify(store, actor).await?;
        let refusals: Vec<Refusal> = items.iter().filter_map(|i| self.decide(&me, i)).collect();
        let Some(first) = refusals.first() else {
            return Ok(());
        };
        let mut message = first.message.clone();
        if refusals.len() > 1 {
            let more: Vec<&str> = refusals[1..]
                .iter()
                .take(LISTED)
                .map(|r| r.message.as_str())
                .collect();
            message.push_str(&format!(
                "; {} more change(s) refused: {}",
                refusals.len() - 1,
                more.join("; ")
            ));
            if refusals.len() - 1 > LISTED {
                message.push_str("; …");
            }
        }
        Err(Error::Denied {
            by: first.by.clone(),
            message,
            decisions: Vec::new(),
        })
    }

    /// The refusal of one item, if it is refused.
    fn decide(&self, me: &Identity, item: &Item) -> Option<Refusal> {
        let rules = self.rules.as_ref()?;
        let what = format!("{} {}", item.point, item.subject);
        let applies = |rule: &Rule, who: &[Who]| {
            self.matches(rule, item) && who.iter().any(|w| is(w, me, item))
        };
        let with_effect = |effect: AccessEffect| {
            rules
                .rules
                .iter()
                .zip(&self.actors)
                .filter(move |(r, _)| r.effect == effect)
        };
        if let Some((rule, _)) = with_effect(AccessEffect::Deny).find(|(r, w)| applies(r, w)) {
            let why = rule
                .description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Some(Refusal {
                by: format!("access rule '{}'", rule.name),
                message: format!(
                    "{} may not {what}: access rule '{}' denies it{why}",
                    me.actor, rule.name
                ),
            });
        }
        if !me.known {
            return (rules.unknown == AccessEffect::Deny).then(|| Refusal {
                by: "access unknown".into(),
                message: format!(
                    "{} may not {what}: the actor is not in the catalogue and `access.unknown` is deny (add it as a User entity, or name it in a rule)",
                    me.actor
                ),
            });
        }
        if with_effect(AccessEffect::Allow).any(|(r, w)| applies(r, w))
            || rules.default == AccessEffect::Allow
        {
            return None;
        }
        let would: Vec<String> = with_effect(AccessEffect::Allow)
            .filter(|(r, _)| self.matches(r, item))
            .map(|(r, _)| format!("'{}' (for {})", r.name, r.actors.join(", ")))
            .collect();
        let owner = item
            .facets
            .owner
            .as_deref()
            .map(|o| format!(" (owned by {o})"))
            .unwrap_or_default();
        let hint = if would.is_empty() {
            "no rule allows this change to anyone".to_string()
        } else {
            format!("rules that allow it: {}", would.join(", "))
        };
        Some(Refusal {
            by: "access default".into(),
            message: format!(
                "{} may not {what}{owner}: no access rule allows it and the default is deny; {hint}",
                me.actor
            ),
        })
    }

    /// Whether a rule's match holds for the item (for an update, before and after).
    fn matches(&self, rule: &Rule, item: &Item) -> bool {
        rule.matches.matches(item.point, &item.facets)
            && item
                .previous
                .as_ref()
                .is_none_or(|before| rule.matches.matches(item.point, before))
    }
}

/// Whether an actor entry covers the actor, for this item.
fn is(who: &Who, me: &Identity, item: &Item) -> bool {
    let owned = |f: &Facets| f.owner.as_deref().is_some_and(|o| me.is(o));
    match who {
        Who::Anyone => true,
        Who::Key(k) => me.is(k),
        Who::Owners => owned(&item.facets) && item.previous.as_ref().is_none_or(owned),
    }
}
