//! Relations derived from spec fields, in both directions.
//!
//! Each well-known spec field names other entities; every such link becomes a
//! pair of relations (`ownedBy` on the source, `ownerOf` on the target). The
//! pair is owned by the entity whose spec produced it, so when that entity
//! changes or goes away, the store replaces or removes both halves; when the
//! other end changes, nothing it does not own is touched.

use serde_json::Value;

use super::entity::Entity;
use super::refs::EntityRef;
use crate::diagnostic::Diagnostic;

/// The well-known relation types, each with its reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationType {
    OwnedBy,
    OwnerOf,
    PartOf,
    HasPart,
    DependsOn,
    DependencyOf,
    ProvidesApi,
    ApiProvidedBy,
    ConsumesApi,
    ApiConsumedBy,
    MemberOf,
    HasMember,
    ParentOf,
    ChildOf,
}

impl RelationType {
    /// All types.
    pub const ALL: [RelationType; 14] = [
        Self::OwnedBy,
        Self::OwnerOf,
        Self::PartOf,
        Self::HasPart,
        Self::DependsOn,
        Self::DependencyOf,
        Self::ProvidesApi,
        Self::ApiProvidedBy,
        Self::ConsumesApi,
        Self::ApiConsumedBy,
        Self::MemberOf,
        Self::HasMember,
        Self::ParentOf,
        Self::ChildOf,
    ];

    /// Backstage's name, e.g. `ownedBy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnedBy => "ownedBy",
            Self::OwnerOf => "ownerOf",
            Self::PartOf => "partOf",
            Self::HasPart => "hasPart",
            Self::DependsOn => "dependsOn",
            Self::DependencyOf => "dependencyOf",
            Self::ProvidesApi => "providesApi",
            Self::ApiProvidedBy => "apiProvidedBy",
            Self::ConsumesApi => "consumesApi",
            Self::ApiConsumedBy => "apiConsumedBy",
            Self::MemberOf => "memberOf",
            Self::HasMember => "hasMember",
            Self::ParentOf => "parentOf",
            Self::ChildOf => "childOf",
        }
    }

    /// The type seen from the other end.
    pub fn reverse(self) -> Self {
        match self {
            Self::OwnedBy => Self::OwnerOf,
            Self::OwnerOf => Self::OwnedBy,
            Self::PartOf => Self::HasPart,
            Self::HasPart => Self::PartOf,
            Self::DependsOn => Self::DependencyOf,
            Self::DependencyOf => Self::DependsOn,
            Self::ProvidesApi => Self::ApiProvidedBy,
            Self::ApiProvidedBy => Self::ProvidesApi,
            Self::ConsumesApi => Self::ApiConsumedBy,
            Self::ApiConsumedBy => Self::ConsumesApi,
            Self::MemberOf => Self::HasMember,
            Self::HasMember => Self::MemberOf,
            Self::ParentOf => Self::ChildOf,
            Self::ChildOf => Self::ParentOf,
        }
    }

    /// Parse Backstage's name (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for RelationType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One directed relation row, owned by the entity whose spec produced it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationRow {
    pub source: EntityRef,
    pub r#type: RelationType,
    pub target: EntityRef,
}

/// Spec fields that produce relations, per kind: (field, relation type, default
/// kind of a shorthand ref, whether the field is a list).
fn rules(kind: &str) -> &'static [(&'static str, RelationType, Option<&'static str>, bool)] {
    use RelationType::*;
    match kind.to_ascii_lowercase().as_str() {
        "component" => &[
            ("owner", OwnedBy, Some("Group"), false),
            ("subcomponentOf", PartOf, Some("Component"), false),
            ("system", PartOf, Some("System"), false),
            ("providesApis", ProvidesApi, Some("API"), true),
            ("consumesApis", ConsumesApi, Some("API"), true),
            ("dependsOn", DependsOn, None, true),
            ("dependencyOf", DependencyOf, None, true),
        ],
        "api" => &[
            ("owner", OwnedBy, Some("Group"), false),
            ("system", PartOf, Some("System"), false),
        ],
        "resource" => &[
            ("owner", OwnedBy, Some("Group"), false),
            ("system", PartOf, Some("System"), false),
            ("dependsOn", DependsOn, None, true),
            ("dependencyOf", DependencyOf, None, true),
        ],
        "system" => &[
            ("owner", OwnedBy, Some("Group"), false),
            ("domain", PartOf, Some("Domain"), false),
        ],
        "domain" => &[
            ("owner", OwnedBy, Some("Group"), false),
            ("subdomainOf", PartOf, Some("Domain"), false),
        ],
        "group" => &[
            ("parent", ChildOf, Some("Group"), false),
            ("children", ParentOf, Some("Group"), true),
            ("members", HasMember, Some("User"), true),
        ],
        "user" => &[("memberOf", MemberOf, Some("Group"), true)],
        "template" => &[("owner", OwnedBy, Some("Group"), false)],
        _ => &[("owner", OwnedBy, Some("Group"), false)],
    }
}

/// Derive every relation row of `entity`, both directions.
///
/// Refs that cannot be parsed are returned as error diagnostics with the JSON
/// path of the field; validation reports them, so a valid entity yields none.
pub fn derive(entity: &Entity) -> (Vec<RelationRow>, Vec<Diagnostic>) {
    let me = entity.entity_ref();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let Some(spec) = &entity.spec else {
        return (rows, problems);
    };
    for &(field, ty, default_kind, is_list) in rules(&entity.kind) {
        let Some(value) = spec.get(field) else {
            continue;
        };
        let mut add = |path: String, v: &Value| match v.as_str() {
            Some(s) => match EntityRef::parse_with(s, default_kind, entity.namespace()) {
                Ok(target) => {
                    rows.push(RelationRow {
                        source: me.clone(),
                        r#type: ty,
                        target: target.clone(),
                    });
                    rows.push(RelationRow {
                        source: target,
                        r#type: ty.reverse(),
                        target: me.clone(),
                    });
                }
                Err(e) => problems.push(Diagnostic::error(path, e.to_string())),
            },
            None => problems.push(Diagnostic::error(path, "expected an entity ref string")),
        };
        // As Backstage: a falsy value is no ref, and a list field also takes
        // a single ref string.
        match (is_list, value) {
            (_, Value::Null) | (_, Value::Bool(false)) => {}
            (_, Value::String(s)) if s.is_empty() => {}
            (true, Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    add(format!("spec.{field}[{i}]"), item);
                }
            }
            (true, v @ Value::String(_)) => add(format!("spec.{field}"), v),
            (true, other) => problems.push(Diagnostic::error(
                format!("spec.{field}"),
                format!("expected a list of entity refs, found {}", json_type(other)),
            )),
            (false, v) => add(format!("spec.{field}"), v),
        }
    }
    // Sort on keys computed once (a ref's key allocates).
    let mut keyed: Vec<((String, &'static str, String), RelationRow)> = rows
        .into_iter()
        .map(|r| ((r.source.key(), r.r#type.as_str(), r.target.key()), r))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    (keyed.into_iter().map(|(_, r)| r).collect(), problems)
}

/// A JSON value's type name, for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(v: Value) -> Entity {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn component_fields_become_pairs_with_contextual_defaults() {
        let e = entity(serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team-a",
                     "system": "commerce", "providesApis": ["orders-api"],
                     "dependsOn": ["resource:default/orders-db"]}
        }));
        let (rows, problems) = derive(&e);
        assert!(problems.is_empty());
        let s: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {} {}", r.source, r.r#type, r.target))
            .collect();
        assert!(s.contains(&"component:shop/orders ownedBy group:shop/team-a".to_string()));
        assert!(s.contains(&"group:shop/team-a ownerOf component:shop/orders".to_string()));
        assert!(s.contains(&"component:shop/orders partOf system:shop/commerce".to_string()));
        assert!(s.contains(&"api:shop/orders-api apiProvidedBy component:shop/orders".to_string()));
        assert!(s.contains(
            &"resource:default/orders-db dependencyOf component:shop/orders".to_string()
        ));
        assert_eq!(rows.len(), 8);
    }

    #[test]
    fn depends_on_needs_a_kind() {
        let e = entity(serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "orders"},
            "spec": {"dependsOn": ["orders-db"]}
        }));
        let (_, problems) = derive(&e);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "spec.dependsOn[0]");
    }
}
