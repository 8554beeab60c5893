//! The entity envelope: `apiVersion / kind / metadata / spec / relations / status`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::refs::EntityRef;
use super::string_map::StringMap;

/// A catalogue entity in Backstage's descriptor format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// `metadata` of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub labels: StringMap,
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub annotations: StringMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Set by the store; pass it back on upsert for optimistic concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Any other metadata fields are kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entry of `metadata.links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Link {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// A relation from this entity to another, as Backstage returns it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// e.g. `ownedBy`.
    pub r#type: String,
    /// Full ref of the other end, e.g. `group:default/team-a`.
    pub target_ref: String,
}

impl Entity {
    /// The namespace, defaulting to `default`.
    pub fn namespace(&self) -> &str {
        self.metadata
            .namespace
            .as_deref()
            .unwrap_or(super::refs::DEFAULT_NAMESPACE)
    }

    /// This entity's ref, `kind:namespace/name`, as written (case kept).
    pub fn entity_ref(&self) -> EntityRef {
        EntityRef::new(&self.kind, self.namespace(), &self.metadata.name)
    }

    /// The entity as JSON.
    pub fn to_value(&self) -> Value {
        // An Entity is strings, lists, string-keyed maps and JSON values:
        // serde_json cannot fail on it, so there is no error to report.
        serde_json::to_value(self).expect("an Entity always serializes to JSON")
    }

    /// A string field of `spec`, if present.
    pub fn spec_str(&self, key: &str) -> Option<&str> {
        self.spec.as_ref()?.get(key)?.as_str()
    }

    /// The content hash: sha256 over the entity as written by its author
    /// (without uid, etag, relations and status), hex. Used as the etag, and to
    /// skip writes that change nothing.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut authored = self.clone();
        authored.metadata.uid = None;
        authored.metadata.etag = None;
        authored.relations.clear();
        authored.status = None;
        let bytes = serde_json::to_vec(&authored).expect("an Entity always serializes to JSON");
        hex::encode(&Sha256::digest(&bytes)[..16])
    }
}
