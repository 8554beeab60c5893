//! [`StringMap`]: a small map of strings to strings, for an entity's
//! `metadata.labels` and `metadata.annotations`.
//!
//! An entity has a few of each. A `BTreeMap` spends a node of 544 bytes on
//! them whatever their number (eleven slots for keys and eleven for
//! values), which was about a third of a parsed Component; a large import
//! holds every entity it reads. A `StringMap` keeps its pairs sorted by key
//! in one vector of exactly their number, so it reads, serializes and
//! compares like the `BTreeMap` it replaces (keys in order; a repeated key
//! keeps its last value) and costs 48 bytes a pair.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Pairs sorted by key, each key once.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    /// An empty map (allocates nothing).
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`; returns the value it had.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Remove `key`; returns the value it had.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Keep the pairs `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut String) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// From pairs in any order; of a repeated key, the last value is kept.
    fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        // A stable sort keeps a repeated key's pairs in their order...
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        // ...and of each run of one key, the last is kept.
        let mut kept: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        kept.shrink_to_fit();
        Self(kept)
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// `map["key"]`: the value of a key that is there (panics otherwise, as a
/// `BTreeMap` does).
impl std::ops::Index<&str> for StringMap {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        self.get(key)
            .unwrap_or_else(|| panic!("no label or annotation '{key}'"))
    }
}

impl FromIterator<(String, String)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Self::from_pairs(pairs.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, String); N]> for StringMap {
    fn from(pairs: [(String, String); N]) -> Self {
        Self::from_pairs(pairs.into())
    }
}

impl From<BTreeMap<String, String>> for StringMap {
    fn from(map: BTreeMap<String, String>) -> Self {
        // Already sorted, each key once.
        Self(map.into_iter().collect())
    }
}

impl Extend<(String, String)> for StringMap {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for StringMap {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = StringMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings to strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StringMap, A::Error> {
                let mut pairs = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some(pair) = access.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(StringMap::from_pairs(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

impl JsonSchema for StringMap {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        <BTreeMap<String, String>>::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <BTreeMap<String, String>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn reads_and_writes_like_the_btreemap_it_replaces() {
        let text = r#"{"tier":"gold","app":"shop","tier":"silver","zone":"eu"}"#;
        let ours: StringMap = serde_json::from_str(text).unwrap();
        let theirs: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        assert_eq!(ours, StringMap::from(theirs.clone()));
        assert_eq!(ours.get("tier").map(String::as_str), Some("silver"));
        assert_eq!(ours.len(), 3);
        assert_eq!(
            ours.iter().collect::<Vec<_>>(),
            theirs.iter().collect::<Vec<_>>()
        );
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn insert_and_remove_keep_the_keys_sorted_and_once() {
        let mut m = StringMap::new();
        assert_eq!(m.insert("b".into(), "1".into()), None);
        assert_eq!(m.insert("a".into(), "2".into()), None);
        assert_eq!(m.insert("b".into(), "3".into()), Some("1".into()));
        m.extend([pair("c", "4"), pair("a", "5")]);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"a": "5", "b": "3", "c": "4"})
        );
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(m.remove("b"), Some("3".into()));
        assert_eq!(m.remove("b"), None);
        assert!(m.contains_key("c") && !m.contains_key("b"));
        m.retain(|k, _| k != "a");
        assert_eq!(m.into_iter().collect::<Vec<_>>(), [pair("c", "4")]);
    }

    #[test]
    fn a_value_that_is_not_a_string_is_refused() {
        let err = serde_json::from_value::<StringMap>(json!({"a": 1})).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }

    #[test]
    fn its_schema_is_a_map_of_strings() {
        let ours = schemars::schema_for!(StringMap);
        let theirs = schemars::schema_for!(BTreeMap<String, String>);
        assert_eq!(ours.as_value(), theirs.as_value());
    }
}
