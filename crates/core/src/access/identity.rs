//! Who an actor is: its ref and every group it belongs to.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::EntityRef;
use crate::store::Store;

/// How deep group parents are followed (a guard against absurd trees; cycles
/// are stopped by remembering the groups seen).
const MAX_GROUP_DEPTH: usize = 64;

/// An actor as refs compare: its ref's key (`user:default/jane`), or as
/// written when it is no ref (`system`).
pub(crate) fn actor_key(actor: &str) -> String {
    EntityRef::parse(actor)
        .map(|r| r.key())
        .unwrap_or_else(|_| actor.to_string())
}

/// An actor as access rules see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    /// The actor, as recorded (`user:default/jane`, `system`).
    pub actor: String,
    /// Whether the catalogue holds the actor (`system` always counts).
    pub known: bool,
    /// The groups the actor is a member of, directly or through parent
    /// groups, as ref keys (`group:default/payments`), sorted.
    pub groups: BTreeSet<String>,
}

impl Identity {
    /// The actor's key and its groups' keys.
    pub(crate) fn is(&self, key: &str) -> bool {
        self.key() == key || self.groups.contains(key)
    }

    fn key(&self) -> String {
        actor_key(&self.actor)
    }

    /// Look an actor up in the catalogue, with its groups (`memberOf`, then
    /// each group's `childOf`, transitively).
    pub(crate) async fn resolve(store: &dyn Store, actor: &str) -> Result<Self> {
        let mut me = Identity {
            actor: actor.to_string(),
            known: actor == crate::pipeline::DEFAULT_ACTOR,
            groups: BTreeSet::new(),
        };
        let Ok(r) = EntityRef::parse(actor) else {
            return Ok(me);
        };
        if me.known || store.existing(std::slice::from_ref(&r)).await?.is_empty() {
            return Ok(me);
        }
        me.known = true;
        let mut frontier = vec![r];
        for _ in 0..MAX_GROUP_DEPTH {
            if frontier.is_empty() {
                break;
            }
            let rows = store
                .relations_of(&frontier, &["memberOf", "childOf"], None)
                .await?;
            frontier = rows
                .into_iter()
                .map(|row| row.target)
                .filter(|g| g.kind.eq_ignore_ascii_case("group") && me.groups.insert(g.key()))
                .collect();
        }
        Ok(me)
    }
}
