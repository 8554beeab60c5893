//! The bindings in force: `paved.yaml`'s, then the catalogue's `Policy`
//! entities, reloaded whenever a Policy entity has changed, in this process
//! or any other sharing the store.
//!
//! Each write (and each `evaluate`) first asks the store for the sequence
//! number of the latest audit record about a `policy:` ref (one indexed
//! read); when it moved, the Policy entities are read again and bound before
//! the write is reviewed. So a Policy committed by the CLI reviews the very
//! next write of a portal running against the same store, on SQLite as on
//! PostgreSQL, without events or restarts.

use std::sync::{Arc, RwLock};

use super::binding::{Binding, RegoSource};
use super::entity::{POLICY_KIND, REGO_MODULE_PATH, at_spec, binding_of};
use super::review::{Bound, PolicySet};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::plugin::Guardrail;
use crate::query::{MAX_LIMIT, Predicate, Query};
use crate::store::Store;

/// Compiles the built-in Rego guardrail of a binding. The facade (`paved`)
/// provides one backed by `paved-rego`; a platform built without one
/// refuses Policy entities that carry Rego.
pub trait RegoLoader: Send + Sync {
    /// The Rego guardrail of binding `name`, loaded from `source`.
    fn load(&self, name: &str, source: &RegoSource) -> Result<Arc<dyn Guardrail>>;
}

/// Finds the guardrail a binding names: a platform plugin, or Rego
/// compiled for it.
pub(crate) struct Resolver {
    guardrails: Vec<Arc<dyn Guardrail>>,
    rego: Option<Arc<dyn RegoLoader>>,
}

impl Resolver {
    pub(crate) fn new(
        guardrails: Vec<Arc<dyn Guardrail>>,
        rego: Option<Arc<dyn RegoLoader>>,
    ) -> Self {
        Self { guardrails, rego }
    }

    /// The binding of a Policy entity, resolved and checked; problems name
    /// the entity's fields (`spec.settings`).
    pub(crate) async fn entity(
        &self,
        entity: &Entity,
    ) -> std::result::Result<Bound, Vec<Diagnostic>> {
        let binding = binding_of(entity)?;
        let guardrail = match &binding.rego {
            Some(source) => match &self.rego {
                Some(loader) => Some(
                    loader
                        .load(&binding.name, source)
                        .map_err(|e| vec![module_problem(e)])?,
                ),
                None => {
                    return Err(vec![Diagnostic::error(
                        "spec.rego",
                        "this platform has no Rego engine (it was built without the `paved` facade); use `guardrail:`",
                    )]);
                }
            },
            None => self
                .guardrails
                .iter()
                .find(|g| Some(g.name()) == binding.guardrail.as_deref())
                .cloned(),
        };
        Bound::new(binding, guardrail, "policies[0]")
            .await
            .map_err(|problems| problems.into_iter().map(at_spec).collect())
    }

    /// The binding of a stored Policy entity: resolved, or when it no longer
    /// loads, a broken binding that fails closed (see [`Bound::broken`]).
    async fn stored(&self, entity: &Entity) -> Bound {
        match self.entity(entity).await {
            Ok(bound) => bound,
            Err(problems) => {
                let why = problems
                    .iter()
                    .map(|d| format!("{}: {}", d.path, d.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let binding = binding_of(entity).unwrap_or_else(|_| Binding {
                    name: entity.entity_ref().to_string(),
                    guardrail: Some(entity.entity_ref().to_string()),
                    rego: None,
                    matches: Default::default(),
                    settings: None,
                    mode: Default::default(),
                    failure: Default::default(),
                    description: entity.metadata.description.clone(),
                    approval: None,
                });
                Bound::broken(binding, why)
            }
        }
    }
}

/// Why an inline Rego module does not load, at `spec.rego.module`. A
/// problem the Rego engine placed keeps its place in the module (its line
/// and column, in a file named after the policy); an import moves it to the
/// catalogue file's line when it knows where the module's text starts.
fn module_problem(e: crate::Error) -> Diagnostic {
    let placed = match &e {
        crate::Error::Invalid { diagnostics } => match diagnostics.as_slice() {
            [d] => d.location.clone().map(|at| (at, d.message.clone())),
            _ => None,
        },
        _ => None,
    };
    match placed {
        Some((at, message)) => Diagnostic::error(
            REGO_MODULE_PATH,
            format!(
                "the Rego policy does not load: line {}, column {} of the module: {message}",
                at.line, at.column
            ),
        )
        .at(at),
        None => Diagnostic::error(
            REGO_MODULE_PATH,
            format!("the Rego policy does not load: {e}"),
        ),
    }
}

/// What was loaded, and as of which audit record.
struct Loaded {
    stamp: u64,
    set: Arc<PolicySet>,
}

/// The platform's bindings as they are now.
pub(crate) struct LivePolicies {
    resolver: Resolver,
    /// `paved.yaml`'s (the builder's) bindings, resolved when the platform opened.
    config: PolicySet,
    loaded: RwLock<Option<Loaded>>,
    reloading: tokio::sync::Mutex<()>,
}

impl LivePolicies {
    pub(crate) fn new(resolver: Resolver, config: PolicySet) -> Self {
        Self {
            resolver,
            config,
            loaded: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// The resolver (to check a Policy entity before it is written).
    pub(crate) fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// The bindings in force, reloading the Policy entities if any changed
    /// since they were last read.
    pub(crate) async fn current(&self, store: &dyn Store) -> Result<Arc<PolicySet>> {
        let stamp = store.latest_policy_change().await?;
        if let Some(set) = self.fresh(stamp) {
            return Ok(set);
        }
        let _one_at_a_time = self.reloading.lock().await;
        if let Some(set) = self.fresh(stamp) {
            return Ok(set);
        }
        let mut bound = Vec::new();
        for entity in policy_entities(store).await? {
            bound.push(self.resolver.stored(&entity).await);
        }
        let set = Arc::new(self.config.followed_by(bound));
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(Loaded {
            stamp,
            set: set.clone(),
        });
        Ok(set)
    }

    fn fresh(&self, stamp: u64) -> Option<Arc<PolicySet>> {
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded
            .as_ref()
            .filter(|l| l.stamp == stamp)
            .map(|l| l.set.clone())
    }
}

/// Every Policy entity in the store, in ref order.
async fn policy_entities(store: &dyn Store) -> Result<Vec<Entity>> {
    let mut query = Query {
        filter: Some(Predicate::Eq {
            key: "kind".into(),
            value: POLICY_KIND.to_ascii_lowercase(),
        }),
        limit: Some(MAX_LIMIT),
        ..Query::default()
    };
    let mut entities = Vec::new();
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            entities.push(serde_json::from_value(item).map_err(|e| {
                Error::store_msg(format!("a stored Policy entity does not parse: {e}"))
            })?);
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(entities),
        }
    }
}
