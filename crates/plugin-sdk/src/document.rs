//! [`Document`]: a JSON document from the host (a change's `before` or
//! `after`), read lazily.
//!
//! Most rules read two or three fields of an entity. Decoding the whole
//! document into a [`Value`] tree on every call (every call is a fresh
//! instance) was the largest part of a review's guest time, so a document
//! keeps the host's JSON text and [`Document::get`] walks it to the one
//! field asked for, skipping everything else without allocating. The whole
//! tree is decoded only when [`Document::value`] is asked for, once. The
//! walk stops at the field, and what it found is kept: a change reviewed
//! for several bindings in one call (`review-each`) is walked once per
//! field, not once per binding.

use std::cell::{Cell, OnceCell, RefCell};
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
    /// Fields found by [`Document::get`] before the whole was decoded, by
    /// path.
    found: RefCell<Vec<(String, Option<Value>)>>,
}

impl Document {
    /// A document from its JSON text (as the host sends it: serialized by
    /// `serde_json`, so valid).
    pub fn from_json(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            value: OnceCell::new(),
            found: RefCell::default(),
        }
    }

    /// A document from a value.
    pub fn from_value(value: Value) -> Self {
        Self {
            text: value.to_string(),
            value: OnceCell::from(value),
            found: RefCell::default(),
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
        if let Some((_, field)) = self.found.borrow().iter().find(|(p, _)| p == path) {
            return field.clone();
        }
        let field = path
            .split('.')
            .try_fold(self.text.as_str(), |text, key| member(text, key))
            .and_then(|raw| serde_json::from_str(raw).ok());
        self.found
            .borrow_mut()
            .push((path.to_owned(), field.clone()));
        field
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

/// The raw JSON of member `key` of the object in `text` (its first, if the
/// key repeats); `None` if `text` is not an object or has no such member.
/// Reads `text` only up to the end of that member.
fn member<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let found = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    // Stopping at the member leaves the object unread, which the
    // deserializer reports as an error: what was found is in `found`.
    let _ = de.deserialize_map(FindMember { key, found: &found });
    found.get().map(RawValue::get)
}

/// Visits an object up to the member `key`, skipping the ones before it,
/// and puts its raw value in `found`.
struct FindMember<'k, 'f, 'de> {
    key: &'k str,
    found: &'f Cell<Option<&'de RawValue>>,
}

impl<'de> Visitor<'de> for FindMember<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(is_key) = map.next_key_seed(IsKey(self.key))? {
            if is_key {
                self.found.set(Some(map.next_value::<&'de RawValue>()?));
                return Err(de::Error::custom("found; the rest is not read"));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
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
    fn a_field_is_walked_to_once_and_the_walk_stops_there() {
        let d = doc();
        assert_eq!(d.get("kind"), Some(json!("Component")));
        assert_eq!(d.get("kind"), Some(json!("Component")));
        assert_eq!(d.get("nope"), None);
        assert_eq!(d.get("nope"), None);
        assert_eq!(d.found.borrow().len(), 2, "each path walked once");
        // What follows the field is not read: a broken tail after it does
        // not hide it (the host never sends one; this shows the walk stops).
        let cut = Document::from_json(r#"{"kind": "API", "metadata": {"name": "x"}, "spec": {"#);
        assert_eq!(cut.get("kind"), Some(json!("API")));
        assert_eq!(cut.get_str("metadata.name").as_deref(), Some("x"));
        // The first of a repeated key, as before.
        let twice = Document::from_json(r#"{"a": 1, "a": 2}"#);
        assert_eq!(twice.get("a"), Some(json!(1)));
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
