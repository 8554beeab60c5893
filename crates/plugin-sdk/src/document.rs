//! [`Document`]: a JSON document from the host (a change's `before` or
//! `after`), read lazily.
//!
//! Most rules read two or three fields of an entity. Decoding the whole
//! document into a [`Value`] tree on every call (every call is a fresh
//! instance) was the largest part of a review's guest time, so a document
//! keeps the host's JSON text and [`Document::get`] walks it to the one
//! field asked for, skipping everything else without allocating. The whole
//! tree is decoded only when [`Document::value`] is asked for, once.

use std::cell::OnceCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON document, decoded on demand.
#[derive(Clone)]
pub struct Document {
    text: String,
    value: OnceCell<Value>,
}

impl Document {
    /// A document from its JSON text (as the host sends it: serialized by
    /// `serde_json`, so valid).
    pub fn from_json(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            value: OnceCell::new(),
        }
    }

    /// A document from a value.
    pub fn from_value(value: Value) -> Self {
        Self {
            text: value.to_string(),
            value: OnceCell::from(value),
        }
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        &self.text
    }

    /// The whole document, decoded on first use (`null` if the text is not
    /// JSON, which the host never sends).
    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or(Value::Null))
    }

    /// The field at a dotted path of object keys (`spec.owner`,
    /// `metadata.labels.team`); `None` when absent. Reads only what leads to
    /// the field unless the whole document was already decoded.
    pub fn get(&self, path: &str) -> Option<Value> {
        if let Some(value) = self.value.get() {
            return path
                .split('.')
                .try_fold(value, |v, key| v.get(key))
                .cloned();
        }
        let raw = path
            .split('.')
            .try_fold(self.text.as_str(), |text, key| member(text, key))?;
        serde_json::from_str(raw).ok()
    }

    /// The string at a dotted path; `None` when absent or not a string.
    pub fn get_str(&self, path: &str) -> Option<String> {
        match self.get(path)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Self::from_value)
    }
}

/// The raw JSON of member `key` of the object in `text`; `None` if `text`
/// is not an object or has no such member.
fn member<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(FindMember(key))
        .ok()
        .flatten()
        .map(RawValue::get)
}

/// Visits an object, keeping the raw value of one key and skipping the rest.
struct FindMember<'k>(&'k str);

impl<'de> Visitor<'de> for FindMember<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(IsKey(self.0))? {
            if is_key && found.is_none() {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads an object key and says whether it is the one sought, without
/// allocating for keys that need no unescaping.
struct IsKey<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for IsKey<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Document {
        Document::from_json(
            json!({
                "kind": "Component",
                "metadata": {"name": "a\"b", "labels": {"tier": "1"}, "tags": ["x"]},
                "spec": {"owner": "group:team", "replicas": 3, "nested": {"deep": null}}
            })
            .to_string(),
        )
    }

    #[test]
    fn get_walks_to_one_field() {
        let d = doc();
        assert_eq!(d.get("kind"), Some(json!("Component")));
        assert_eq!(d.get_str("metadata.name").as_deref(), Some("a\"b"));
        assert_eq!(d.get("metadata.labels.tier"), Some(json!("1")));
        assert_eq!(d.get("metadata.tags"), Some(json!(["x"])));
        assert_eq!(d.get("spec.replicas"), Some(json!(3)));
        assert_eq!(d.get("spec.nested.deep"), Some(Value::Null));
        assert_eq!(d.get("spec.missing"), None);
        assert_eq!(d.get("metadata.name.more"), None, "a string has no fields");
        assert_eq!(
            d.get("metadata.tags.0"),
            None,
            "paths name object keys only"
        );
        assert_eq!(d.get_str("spec.replicas"), None, "not a string");
    }

    #[test]
    fn get_agrees_with_the_decoded_value() {
        let lazy = doc();
        let decoded = doc();
        decoded.value();
        for path in [
            "kind",
            "metadata.name",
            "metadata.labels",
            "spec.nested.deep",
            "nope",
        ] {
            assert_eq!(lazy.get(path), decoded.get(path), "{path}");
        }
        assert_eq!(lazy, decoded);
    }

    #[test]
    fn escaped_keys_are_found() {
        let d = Document::from_json(r#"{"a\"b": 1, "\u0063": 2}"#);
        assert_eq!(d.get("a\"b"), Some(json!(1)));
        assert_eq!(d.get("c"), Some(json!(2)));
    }

    #[test]
    fn not_an_object() {
        assert_eq!(Document::from_json("[1, 2]").get("a"), None);
        assert_eq!(Document::from_json("not json").get("a"), None);
        assert_eq!(Document::from_json("not json").value(), &Value::Null);
    }
}
