//! A resource request read from a `Resource` entity, and the output
//! references in its params.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::model::{Entity, EntityRef};
use crate::plugin::ResourceAddress;

/// What happens to the real thing when its Resource goes away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletionPolicy {
    /// The provider deletes it.
    #[default]
    Delete,
    /// paved forgets it; the real thing stays.
    Orphan,
}

/// One resource as its entity asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The entity's key (`resource:default/orders-db`), the state's key.
    pub key: String,
    /// The entity's ref as written.
    pub entity_ref: String,
    pub address: ResourceAddress,
    /// `spec.provider`, when the type alone does not say.
    pub provider: Option<String>,
    /// `spec.params`; none: observed only.
    pub params: Option<Value>,
    /// Keys of the Resources it needs: `spec.dependsOn` Resource refs, and
    /// those whose outputs its params use.
    pub depends_on: Vec<String>,
    pub deletion_policy: DeletionPolicy,
    pub system: Option<String>,
}

/// `${{ resources.NAME.outputs.KEY }}` or `${{ resources['REF'].outputs.KEY }}`.
static OUTPUT_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\{\{\s*resources(?:\.([A-Za-z0-9][A-Za-z0-9_.-]*?)|\[\s*'([^']+)'\s*\])\.outputs\.([A-Za-z0-9_-]+)\s*\}\}",
    )
    .unwrap_or_else(|e| panic!("output reference pattern: {e}"))
});

/// One output reference found in params.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRef {
    /// JSON path of the string it is in, under `spec.params`.
    pub path: String,
    /// The referenced Resource's key.
    pub resource: String,
    pub output: String,
}

fn str_field<'a>(spec: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    spec.get(key).and_then(Value::as_str)
}

/// The resource an entity asks for: `None` if it is not a Resource.
/// Problems name the field (`spec.deletionPolicy`, `spec.params`) and the entity.
pub fn from_entity(entity: &Entity) -> Result<Option<Desired>, Vec<Diagnostic>> {
    if !entity.kind.eq_ignore_ascii_case("resource") {
        return Ok(None);
    }
    let entity_ref = entity.entity_ref();
    let namespace = entity_ref.namespace.clone();
    let key = entity_ref.key();
    let mut problems = Vec::new();
    let at = entity_ref.to_string();
    macro_rules! problem {
        ($path:expr, $message:expr $(,)?) => {
            problems.push(Diagnostic::error($path, $message).for_entity(at.clone()))
        };
    }
    let empty = serde_json::Map::new();
    let spec = entity.spec.as_ref().unwrap_or(&empty);
    let resource_type = str_field(spec, "type").unwrap_or_default().to_string();
    let owner = str_field(spec, "owner").and_then(|o| {
        EntityRef::parse_with(o, Some("group"), &namespace)
            .ok()
            .map(|r| r.to_string())
    });
    let environment = match spec.get("environment") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(other) => {
            problem!(
                "spec.environment",
                format!("expected a non-empty string such as prod, found {other}"),
            );
            None
        }
    };
    let provider = match spec.get("provider") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(other) => {
            problem!(
                "spec.provider",
                format!("expected the name of a provider plugin, found {other}"),
            );
            None
        }
    };
    let deletion_policy = match spec.get("deletionPolicy") {
        None | Some(Value::Null) => DeletionPolicy::Delete,
        Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|_| {
            problem!(
                "spec.deletionPolicy",
                format!("expected delete or orphan, found {v}"),
            );
            DeletionPolicy::Delete
        }),
    };
    let params = match spec.get("params") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(other) => {
            problem!(
                "spec.params",
                format!("expected a mapping of the provider's params, found {other}"),
            );
            None
        }
    };
    let mut depends_on = BTreeSet::new();
    for (i, dep) in spec
        .get("dependsOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(r) = dep
            .as_str()
            .and_then(|d| EntityRef::parse_with(d, None, &namespace).ok())
            .filter(|r| r.kind.eq_ignore_ascii_case("resource"))
        {
            if r.key() == key {
                problem!(
                    &format!("spec.dependsOn[{i}]"),
                    "a resource cannot depend on itself".to_string(),
                );
            }
            depends_on.insert(r.key());
        }
    }
    if let Some(params) = &params {
        for found in output_refs(params, &namespace) {
            match found {
                Ok(r) if r.resource == key => {
                    problem!(&r.path, "a resource cannot use its own outputs".to_string(),)
                }
                Ok(r) => {
                    depends_on.insert(r.resource);
                }
                Err(d) => problems.push(d.for_entity(entity_ref.to_string())),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Some(Desired {
        key,
        entity_ref: entity_ref.to_string(),
        address: ResourceAddress {
            resource_type,
            name: entity.metadata.name.clone(),
            environment,
            owner,
        },
        provider,
        params,
        depends_on: depends_on.into_iter().collect(),
        deletion_policy,
        system: str_field(spec, "system").map(str::to_string),
    }))
}

/// Every output reference in `params` (paths under `spec.params`).
pub fn output_refs(params: &Value, namespace: &str) -> Vec<Result<OutputRef, Diagnostic>> {
    let mut out = Vec::new();
    walk_strings(params, "spec.params", &mut |path, s| {
        for c in OUTPUT_REF.captures_iter(s) {
            let named = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            let resource = if c.get(1).is_some() {
                Ok(EntityRef::new("resource", namespace, named))
            } else {
                EntityRef::parse_with(named, Some("resource"), namespace)
                    .map_err(|e| e.to_string())
                    .and_then(|r| {
                        if r.kind.eq_ignore_ascii_case("resource") {
                            Ok(r)
                        } else {
                            Err(format!("'{named}' is not a Resource"))
                        }
                    })
            };
            out.push(match resource {
                Ok(r) => Ok(OutputRef {
                    path: path.to_string(),
                    resource: r.key(),
                    output: c[3].to_string(),
                }),
                Err(why) => Err(Diagnostic::error(
                    path,
                    format!("bad output reference {}: {why}", &c[0]),
                )),
            });
        }
    });
    out
}

fn walk_strings(value: &Value, path: &str, f: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(s) => f(path, s),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_strings(v, &format!("{path}[{i}]"), f);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                walk_strings(v, &format!("{path}.{k}"), f);
            }
        }
        _ => {}
    }
}

/// Params with their output references replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub params: Value,
    /// Some referenced output is not known yet (its resource is not applied).
    pub unknown: bool,
    /// Whether a sensitive output went into them.
    pub sensitive: bool,
}

/// What a referenced resource's outputs are, if known: (outputs, sensitive keys).
pub type OutputsOf<'a> = dyn Fn(&str) -> Option<(Value, Vec<String>)> + 'a;

/// Replace the output references in `params`: a string that is one
/// reference takes the output's value (typed); references inside longer
/// strings are replaced by the value's text.
pub fn resolve(params: &Value, namespace: &str, outputs: &OutputsOf<'_>) -> Resolved {
    let mut unknown = false;
    let mut sensitive = false;
    let value = map_strings(params, &mut |s| {
        if !OUTPUT_REF.is_match(s) {
            return Value::String(s.to_string());
        }
        let lookup = |c: &regex::Captures<'_>| -> Option<(Value, bool)> {
            let named = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            let r = if c.get(1).is_some() {
                EntityRef::new("resource", namespace, named)
            } else {
                EntityRef::parse_with(named, Some("resource"), namespace).ok()?
            };
            let (outs, secret) = outputs(&r.key())?;
            let v = outs.get(&c[3])?.clone();
            Some((v, secret.iter().any(|k| k == &c[3])))
        };
        let whole = OUTPUT_REF
            .find(s)
            .is_some_and(|m| m.start() == 0 && m.end() == s.len());
        if whole {
            let c = OUTPUT_REF.captures(s).expect("matched above");
            return match lookup(&c) {
                Some((v, secret)) => {
                    sensitive |= secret;
                    v
                }
                None => {
                    unknown = true;
                    Value::String(s.to_string())
                }
            };
        }
        let text = OUTPUT_REF.replace_all(s, |c: &regex::Captures<'_>| match lookup(c) {
            Some((v, secret)) => {
                sensitive |= secret;
                match v {
                    Value::String(t) => t,
                    other => other.to_string(),
                }
            }
            None => {
                unknown = true;
                c[0].to_string()
            }
        });
        Value::String(text.into_owned())
    });
    Resolved {
        params: value,
        unknown,
        sensitive,
    }
}

fn map_strings(value: &Value, f: &mut impl FnMut(&str) -> Value) -> Value {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(spec: Value) -> Entity {
        serde_json::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Resource",
            "metadata": {"name": "app-db", "namespace": "shop"},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn a_request_reads_type_owner_params_and_dependencies() {
        let d = from_entity(&entity(json!({
            "type": "postgres.database", "owner": "payments", "environment": "prod",
            "dependsOn": ["resource:network", "component:web"],
            "params": {"host": "${{ resources.cluster.outputs.host }}", "port": 5432},
        })))
        .unwrap()
        .unwrap();
        assert_eq!(d.key, "resource:shop/app-db");
        assert_eq!(d.address.owner.as_deref(), Some("group:shop/payments"));
        assert_eq!(d.address.environment.as_deref(), Some("prod"));
        assert_eq!(
            d.depends_on,
            ["resource:shop/cluster", "resource:shop/network"]
        );
        assert_eq!(d.deletion_policy, DeletionPolicy::Delete);
    }

    #[test]
    fn bad_fields_are_named() {
        let errs = from_entity(&entity(json!({
            "type": "x", "owner": "o", "deletionPolicy": "keep", "params": [1],
            "dependsOn": ["resource:app-db"],
        })))
        .unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["spec.deletionPolicy", "spec.params", "spec.dependsOn[0]"]
        );
        assert!(errs[0].message.contains("expected delete or orphan"));
    }

    #[test]
    fn references_resolve_typed_inside_strings_and_unknown_ones_are_flagged() {
        let params = json!({"port": "${{ resources.db.outputs.port }}",
                            "url": "pg://${{ resources['resource:shop/db'].outputs.host }}/x",
                            "later": "${{ resources.cache.outputs.host }}"});
        let outputs = |key: &str| {
            (key == "resource:shop/db")
                .then(|| (json!({"port": 5432, "host": "h"}), vec!["host".to_string()]))
        };
        let r = resolve(&params, "shop", &outputs);
        assert_eq!(r.params["port"], json!(5432));
        assert_eq!(r.params["url"], json!("pg://h/x"));
        assert!(r.unknown && r.sensitive);
    }
}
