//! What a resource operation reads first: the Resource entities of the
//! catalogue, the latest state of every resource, and the providers with
//! their resource types and compiled params schemas.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::TryStreamExt;
use serde_json::Value;

use super::Inner;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::model::schema::KindDef;
use crate::plugin::{Provider, ProviderInfo};
use crate::query::{MAX_LIMIT, QuerySpec};
use crate::resource::desired::{self, Desired};
use crate::resource::seal::Sealer;
use crate::resource::state::{LeaseInfo, ResourceSummary, StateDoc};
use crate::store::{Lease, StateRow};

/// A stored state document.
pub(super) fn doc(row: &StateRow) -> Result<StateDoc> {
    serde_json::from_str(&row.doc).map_err(|e| {
        Error::store_msg(format!(
            "the state of {} (version {}) is not readable: {e}",
            row.resource, row.version
        ))
    })
}

/// The catalogue's requests and the store's states.
pub(super) struct Loaded {
    /// Every Resource entity, by key.
    pub desired: BTreeMap<String, Desired>,
    /// The latest state of every resource, by key.
    pub states: BTreeMap<String, (StateRow, StateDoc)>,
    /// Resource entities whose request fields are wrong.
    pub invalid: Vec<Diagnostic>,
}

impl Loaded {
    pub async fn read(inner: &Arc<Inner>) -> Result<Self> {
        let spec = QuerySpec {
            limit: Some(MAX_LIMIT),
            ..QuerySpec::filter(["kind=resource"])
        };
        let values: Vec<Value> = super::super::Catalog::new(inner.clone())
            .query_all(&spec)
            .try_collect()
            .await?;
        let mut desired = BTreeMap::new();
        let mut invalid = Vec::new();
        for value in values {
            let entity: Entity = serde_json::from_value(value)
                .map_err(|e| Error::store_msg(format!("a stored Resource is not readable: {e}")))?;
            match desired::from_entity(&entity) {
                Ok(Some(d)) => {
                    desired.insert(d.key.clone(), d);
                }
                Ok(None) => {}
                Err(problems) => invalid.extend(problems),
            }
        }
        let mut states = BTreeMap::new();
        for row in inner.store.resource_states().await? {
            let d = doc(&row)?;
            states.insert(row.resource.clone(), (row, d));
        }
        Ok(Self {
            desired,
            states,
            invalid,
        })
    }

    /// Read `entities` as if they were in the catalogue (replacing stored ones).
    pub fn overlay(&mut self, entities: &[Entity]) {
        for entity in entities {
            match desired::from_entity(entity) {
                Ok(Some(d)) => {
                    self.desired.insert(d.key.clone(), d);
                }
                Ok(None) => {}
                Err(problems) => self.invalid.extend(problems),
            }
        }
    }

    /// The outputs (and sensitive keys) of each resource with state.
    pub fn outputs(&self, sealer: &Sealer) -> Result<HashMap<String, (Value, Vec<String>)>> {
        let mut out = HashMap::new();
        for (key, (_, doc)) in &self.states {
            if let (Some(sealed), true) = (&doc.sealed, doc.status.exists()) {
                let open = sealer.open(key, sealed)?;
                let outputs = open.get("outputs").cloned().unwrap_or(Value::Null);
                out.insert(key.clone(), (outputs, doc.sensitive.clone()));
            }
        }
        Ok(out)
    }

    /// One summary per resource; `drifts` holds the last drift check of
    /// each resource with one, by lower-cased key.
    pub fn summaries(
        &self,
        leases: &[Lease],
        drifts: &HashMap<String, Value>,
    ) -> Vec<ResourceSummary> {
        let mut keys: Vec<&String> = self.desired.keys().chain(self.states.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let d = self.desired.get(key);
                let s = self.states.get(key);
                let address = d
                    .map(|d| &d.address)
                    .or_else(|| s.map(|(_, doc)| &doc.address));
                ResourceSummary {
                    resource: d
                        .map(|d| d.entity_ref.clone())
                        .or_else(|| s.map(|(_, doc)| doc.resource.clone()))
                        .unwrap_or_else(|| key.clone()),
                    resource_type: address.map(|a| a.resource_type.clone()).unwrap_or_default(),
                    owner: address.and_then(|a| a.owner.clone()),
                    environment: address.and_then(|a| a.environment.clone()),
                    system: d.and_then(|d| d.system.clone()),
                    status: s.map(|(_, doc)| doc.status),
                    version: s.map_or(0, |(row, _)| row.version),
                    updated_at: s.map(|(row, _)| row.at.clone()),
                    declared: d.is_some(),
                    managed: d.is_some_and(|d| d.params.is_some()),
                    lease: held(leases, key).map(LeaseInfo::from),
                    last_drift: drifts.get(&key.to_lowercase()).cloned(),
                }
            })
            .collect()
    }
}

/// The lease held on `key` now (one whose holder stopped renewing it and
/// that has lapsed is held by nobody).
pub(super) fn held<'a>(leases: &'a [Lease], key: &str) -> Option<&'a Lease> {
    let now = chrono::Utc::now().timestamp_millis();
    leases
        .iter()
        .find(|l| l.resource == key && l.expires_at_ms > now)
}

/// One provider and what it said about itself.
pub(super) struct ProviderEntry {
    pub provider: Arc<dyn Provider>,
    pub info: ProviderInfo,
    /// Compiled params schemas, by resource type.
    pub schemas: HashMap<String, KindDef>,
}

/// The platform's providers.
pub(super) struct Providers {
    entries: Vec<ProviderEntry>,
}

impl Providers {
    pub async fn read(inner: &Inner) -> Result<Self> {
        let mut entries = Vec::new();
        for provider in inner.plugins.providers() {
            let info = provider.describe().await?;
            let mut schemas = HashMap::new();
            for t in &info.resource_types {
                let schema = KindDef::for_document(
                    &format!("{} params (provider {})", t.name, info.name),
                    t.params_schema.clone(),
                )?;
                schemas.insert(t.name.clone(), schema);
            }
            entries.push(ProviderEntry {
                provider: provider.clone(),
                info,
                schemas,
            });
        }
        Ok(Self { entries })
    }

    /// The provider named `name`.
    pub fn named(&self, name: &str) -> Option<&ProviderEntry> {
        self.entries.iter().find(|e| e.provider.name() == name)
    }

    /// The provider of a request: `spec.provider` if given, else the one
    /// that owns `spec.type`.
    pub fn of(&self, d: &Desired) -> std::result::Result<&ProviderEntry, Box<Diagnostic>> {
        let ty = &d.address.resource_type;
        let owns = |e: &&ProviderEntry| e.schemas.contains_key(ty);
        let error = |path: &str, message: String| {
            Box::new(Diagnostic::error(path, message).for_entity(d.entity_ref.clone()))
        };
        if let Some(name) = &d.provider {
            let entry = self.named(name).ok_or_else(|| {
                error(
                    "spec.provider",
                    format!(
                        "no provider plugin is named '{name}'; configured: {}",
                        self.names()
                    ),
                )
            })?;
            return Some(entry).filter(owns).ok_or_else(|| {
                error(
                    "spec.type",
                    format!(
                        "provider '{name}' has no resource type '{ty}'; it has: {}",
                        entry.schemas.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            });
        }
        let owners: Vec<&ProviderEntry> = self.entries.iter().filter(owns).collect();
        match owners.as_slice() {
            [one] => Ok(one),
            [] => Err(error(
                "spec.type",
                format!(
                    "unknown resource type '{ty}': no provider owns it (types: {})",
                    self.types()
                ),
            )),
            many => Err(error(
                "spec.provider",
                format!(
                    "resource type '{ty}' is owned by several providers ({}); name one in spec.provider",
                    many.iter()
                        .map(|e| e.provider.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.entries.iter().map(|e| e.provider.name()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    fn types(&self) -> String {
        let types: Vec<String> = self
            .entries
            .iter()
            .flat_map(|e| e.schemas.keys().cloned())
            .collect();
        if types.is_empty() {
            "no provider is configured".into()
        } else {
            types.join(", ")
        }
    }
}
