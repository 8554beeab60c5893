//! Entity refs: `[kind:][namespace/]name`, with Backstage's contextual defaults.
//!
//! Comparison is case-insensitive: [`EntityRef::key`] is the lower-cased form
//! used as the identity in stores; [`Display`](std::fmt::Display) keeps the
//! case as written.

use serde::{Deserialize, Serialize};

/// The namespace used when none is given.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A full reference to an entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Why a ref string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid entity ref '{input}': {reason}")]
pub struct RefError {
    pub input: String,
    pub reason: String,
}

impl EntityRef {
    /// A ref from its three parts.
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// Parse a full or shorthand ref.
    ///
    /// `default_kind` applies when the string has no `kind:` part (e.g. `Group`
    /// for an `owner`); `default_namespace` when it has no `namespace/` part
    /// (Backstage uses the referring entity's namespace).
    pub fn parse_with(
        input: &str,
        default_kind: Option<&str>,
        default_namespace: &str,
    ) -> Result<Self, RefError> {
        let err = |reason: &str| RefError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        if s != input {
            return Err(err("it has leading or trailing whitespace"));
        }
        let (kind, rest) = match s.split_once(':') {
            Some((k, rest)) => {
                if k.is_empty() {
                    return Err(err("the kind before ':' is empty"));
                }
                (Some(k), rest)
            }
            None => (None, s),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, name)) => {
                if ns.is_empty() {
                    return Err(err("the namespace before '/' is empty"));
                }
                (Some(ns), name)
            }
            None => (None, rest),
        };
        if name.is_empty() {
            return Err(err("the name is empty"));
        }
        if name.contains(':') || name.contains('/') {
            return Err(err("expected [kind:][namespace/]name"));
        }
        let kind = match kind.or(default_kind) {
            Some(k) => k,
            None => {
                return Err(err(
                    "it has no kind, and none is implied here; write kind:name",
                ));
            }
        };
        Ok(Self::new(
            kind,
            namespace.unwrap_or(default_namespace),
            name,
        ))
    }

    /// Parse a full ref `kind:[namespace/]name` (namespace defaults to `default`).
    pub fn parse(input: &str) -> Result<Self, RefError> {
        Self::parse_with(input, None, DEFAULT_NAMESPACE)
    }

    /// The identity key: `kind:namespace/name`, lower-cased.
    pub fn key(&self) -> String {
        if self.is_ascii() {
            // Copied whole and lower-cased in place: collecting the bytes as
            // characters was 2% of a million-entity import.
            let mut key =
                String::with_capacity(self.kind.len() + self.namespace.len() + self.name.len() + 2);
            key.push_str(&self.kind);
            key.push(':');
            key.push_str(&self.namespace);
            key.push('/');
            key.push_str(&self.name);
            key.make_ascii_lowercase();
            key
        } else {
            self.key_chars().collect()
        }
    }
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}/{}",
            self.kind.to_lowercase(),
            self.namespace,
            self.name
        )
    }
}

/// Equal when their [`EntityRef::key`]s are, compared without building them
/// (refs are compared and hashed in bulk during imports).
impl PartialEq for EntityRef {
    fn eq(&self, other: &Self) -> bool {
        if self.is_ascii() && other.is_ascii() {
            self.key_bytes().eq(other.key_bytes())
        } else {
            self.key_chars().eq(other.key_chars())
        }
    }
}
impl Eq for EntityRef {}

impl std::hash::Hash for EntityRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The same values whichever path: the key's characters.
        if self.is_ascii() {
            self.key_bytes().for_each(|b| state.write_u32(u32::from(b)));
        } else {
            self.key_chars().for_each(|c| state.write_u32(c as u32));
        }
        state.write_u8(0xff);
    }
}

impl EntityRef {
    fn is_ascii(&self) -> bool {
        self.kind.is_ascii() && self.namespace.is_ascii() && self.name.is_ascii()
    }

    /// The characters of [`EntityRef::key`], one at a time.
    fn key_chars(&self) -> impl Iterator<Item = char> + '_ {
        self.kind
            .chars()
            .chain(std::iter::once(':'))
            .chain(self.namespace.chars())
            .chain(std::iter::once('/'))
            .chain(self.name.chars())
            .flat_map(char::to_lowercase)
    }

    /// The bytes of [`EntityRef::key`] for an all-ASCII ref (the usual case,
    /// and much faster than lower-casing characters).
    fn key_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.kind
            .bytes()
            .chain(std::iter::once(b':'))
            .chain(self.namespace.bytes())
            .chain(std::iter::once(b'/'))
            .chain(self.name.bytes())
            .map(|b| b.to_ascii_lowercase())
    }
}

impl PartialOrd for EntityRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for EntityRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl From<EntityRef> for String {
    fn from(r: EntityRef) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for EntityRef {
    type Error = RefError;
    fn try_from(s: String) -> Result<Self, RefError> {
        Self::parse(&s)
    }
}

impl std::str::FromStr for EntityRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, RefError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_and_hash_follow_the_key() {
        use std::collections::HashSet;
        let a = EntityRef::new("Component", "Default", "Payments");
        let b = EntityRef::new("component", "default", "payments");
        let c = EntityRef::new("component", "default", "payment");
        let u = EntityRef::new("Component", "default", "ÉCOLE");
        let v = EntityRef::new("component", "default", "école");
        assert_eq!(a.key(), "component:default/payments");
        assert_eq!(u.key(), "component:default/école");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(u, v);
        assert_ne!(u, a);
        let set: HashSet<EntityRef> = [a, b, c, u, v].into_iter().collect();
        assert_eq!(set.len(), 3, "{set:?}");
    }

    #[test]
    fn shorthand_takes_contextual_defaults() {
        let r = EntityRef::parse_with("team-a", Some("Group"), "payments").unwrap();
        assert_eq!(r.to_string(), "group:payments/team-a");
        let r = EntityRef::parse_with("user:jane", Some("Group"), "payments").unwrap();
        assert_eq!(r.to_string(), "user:payments/jane");
        let r = EntityRef::parse_with("other/team-b", Some("Group"), "payments").unwrap();
        assert_eq!(r.to_string(), "group:other/team-b");
    }

    #[test]
    fn comparison_ignores_case() {
        let a = EntityRef::parse("Component:Default/Foo").unwrap();
        let b = EntityRef::parse("component:default/foo").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "component:default/foo");
    }

    #[test]
    fn malformed_refs_say_why() {
        assert!(
            EntityRef::parse("foo")
                .unwrap_err()
                .reason
                .contains("no kind")
        );
        assert!(
            EntityRef::parse(":foo")
                .unwrap_err()
                .reason
                .contains("kind")
        );
        assert!(EntityRef::parse("a:b/c/d").is_err());
        assert!(EntityRef::parse("a:").unwrap_err().reason.contains("name"));
    }
}
