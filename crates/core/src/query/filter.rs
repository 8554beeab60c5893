//! Backstage filter strings and predicate JSON, both parsed into one [`Predicate`].
//!
//! Filter strings follow the catalogue REST API's `filter=` parameter
//! (`parseEntityFilterString` in `@backstage/plugin-catalog-backend`):
//! within one string, comma-separated statements are ANDed; several strings
//! are ORed; `key=value` tests equality, `key` alone tests existence, and the
//! same key given twice in one string matches either value.
//!
//! Predicate JSON follows `@backstage/filter-predicates` as the catalogue's
//! `POST /entities/by-query` accepts it:
//!
//! ```json
//! {"$all": [{"kind": "component"},
//!           {"spec.type": {"$in": ["service", "website"]}},
//!           {"$not": {"metadata.tags": {"$contains": "deprecated"}}}]}
//! ```
//!
//! * `{"a": v, "b": w}` – every key matches (an empty object matches everything);
//! * `$all`, `$any`, `$not` – must be the only key of their object;
//! * a primitive value (string, number, boolean) – equality, ignoring case;
//! * `{"$exists": bool}`, `{"$in": [primitives]}`, `{"$hasPrefix": "str"}`
//!   (`$startsWith` is accepted as an alias);
//! * `{"$contains": primitive}` – Backstage's meaning: the value is a list
//!   with an element equal to it (one index row per element, so it is
//!   equality on the key); on `relations`, `{"$contains": {"type": "ownedBy",
//!   "targetRef": "group:default/a"}}` (targetRef optional, or `{"$in": […]}`);
//! * `{"$substring": "str"}` – paved's addition: some value contains the text.
//!
//! Keys and values compare case-insensitively; the SQL layer lower-cases both.

// `Diagnostic` is returned by value: it is the error the public API promises, and
// errors are rare, so boxing it would only cost callers a deref.
#![allow(clippy::result_large_err)]

use serde_json::{Map, Value};

use super::Predicate;
use crate::diagnostic::Diagnostic;
use crate::model::relations::json_type;

/// Parse Backstage filter strings: within one string commas are AND; several strings are OR.
///
/// Returns `None` when no string holds a statement (match everything).
pub fn parse_filters(filters: &[String]) -> Result<Option<Predicate>, Diagnostic> {
    let mut outer = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        if let Some(p) = parse_filter_string(filter).map_err(|m| {
            Diagnostic::error(
                if filters.len() == 1 {
                    "filter".to_string()
                } else {
                    format!("filter[{i}]")
                },
                m,
            )
        })? {
            outer.push(p);
        }
    }
    Ok(match outer.len() {
        0 => None,
        1 => outer.pop(),
        _ => Some(Predicate::Any(outer)),
    })
}

/// One filter string: `a=b,c=d,e`.
fn parse_filter_string(filter: &str) -> Result<Option<Predicate>, String> {
    // (lower-cased key, values); `None` values = key alone (exists).
    let mut by_key: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for statement in filter.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match statement.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (statement, None),
        };
        if key.is_empty() {
            return Err(format!(
                "'{statement}' is not a valid statement: expected key=value, key= or key \
                 (e.g. kind=component,spec.owner=team-a)"
            ));
        }
        let key = key.to_lowercase();
        let slot = match by_key.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut by_key[i].1,
            None => {
                by_key.push((key, None));
                &mut by_key.last_mut().expect("just pushed").1
            }
        };
        if let Some(v) = value {
            slot.get_or_insert_with(Vec::new).push(v.to_string());
        }
    }
    let mut inner: Vec<Predicate> = by_key
        .into_iter()
        .map(|(key, values)| match values {
            None => Predicate::Exists { key, exists: true },
            Some(mut vs) if vs.len() == 1 => Predicate::Eq {
                key,
                value: vs.pop().expect("one value"),
            },
            Some(values) => Predicate::In { key, values },
        })
        .collect();
    Ok(match inner.len() {
        0 => None,
        1 => inner.pop(),
        _ => Some(Predicate::All(inner)),
    })
}

/// Parse a predicate tree (`$all`, `$any`, `$not`, `$exists`, `$in`,
/// `$hasPrefix`, `$contains`, `$substring`). Errors name the JSON path.
pub fn parse_predicate(value: &Value) -> Result<Predicate, Diagnostic> {
    predicate(value, "")
}

const LOGICAL: [&str; 3] = ["$all", "$any", "$not"];
const VALUE_OPERATORS: &str = "$exists, $in, $hasPrefix, $contains or $substring";

fn err(path: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(if path.is_empty() { "$" } else { path }, message)
}

/// `path` + an object key, bracketed when the key has dots or brackets.
fn child(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$'));
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_string())),
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn predicate(value: &Value, path: &str) -> Result<Predicate, Diagnostic> {
    let Value::Object(map) = value else {
        return Err(err(
            path,
            format!(
                "expected a predicate object such as {{\"kind\": \"component\"}}, found {}",
                json_type(value)
            ),
        ));
    };
    if let Some(op) = LOGICAL.iter().find(|op| map.contains_key(**op)) {
        if map.len() != 1 {
            return Err(err(
                path,
                format!(
                    "{op} must be the only key of its object; to combine it with other \
                     conditions wrap them all in {{\"$all\": [...]}}"
                ),
            ));
        }
        let inner = &map[*op];
        let here = child(path, op);
        return match *op {
            "$not" => Ok(Predicate::Not(Box::new(predicate(inner, &here)?))),
            _ => {
                let Value::Array(items) = inner else {
                    return Err(err(
                        &here,
                        format!("expected a list of predicates, found {}", json_type(inner)),
                    ));
                };
                let children = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| predicate(item, &index(&here, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if *op == "$all" {
                    Predicate::All(children)
                } else {
                    Predicate::Any(children)
                })
            }
        };
    }
    let mut parts = Vec::with_capacity(map.len());
    for (key, v) in map {
        let here = child(path, key);
        if key.starts_with('$') {
            return Err(err(
                &here,
                format!(
                    "unknown operator '{key}': expected $all, $any, $not or a field path such as spec.type"
                ),
            ));
        }
        if key.trim().is_empty() {
            return Err(err(&here, "the field path is empty"));
        }
        parts.push(field(&key.to_lowercase(), v, &here)?);
    }
    Ok(if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        Predicate::All(parts)
    })
}

/// A string, number or boolean as the text the index holds.
fn primitive(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn expected_value(path: &str, found: &Value) -> Diagnostic {
    err(
        path,
        format!(
            "expected a string, number or boolean, or an object with one of {VALUE_OPERATORS}, found {}",
            json_type(found)
        ),
    )
}

fn field(key: &str, value: &Value, path: &str) -> Result<Predicate, Diagnostic> {
    if let Some(s) = primitive(value) {
        return Ok(Predicate::Eq {
            key: key.to_string(),
            value: s,
        });
    }
    let Value::Object(ops) = value else {
        return Err(match value {
            Value::Array(_) => err(
                path,
                "expected a single value; to match any of several values use {\"$in\": [...]}",
            ),
            other => expected_value(path, other),
        });
    };
    if ops.len() != 1 {
        return Err(err(
            path,
            format!(
                "expected an object with exactly one of {VALUE_OPERATORS}, found {} keys",
                ops.len()
            ),
        ));
    }
    let (op, arg) = ops.iter().next().expect("one key");
    let here = child(path, op);
    let key = key.to_string();
    match op.as_str() {
        "$exists" => match arg {
            Value::Bool(exists) => Ok(Predicate::Exists {
                key,
                exists: *exists,
            }),
            other => Err(err(
                &here,
                format!("expected true or false, found {}", json_type(other)),
            )),
        },
        "$in" => Ok(Predicate::In {
            key,
            values: primitive_list(arg, &here)?,
        }),
        "$hasPrefix" | "$startsWith" => Ok(Predicate::HasPrefix {
            key,
            prefix: string_arg(arg, &here)?,
        }),
        "$substring" => Ok(Predicate::Contains {
            key,
            text: string_arg(arg, &here)?,
        }),
        "$contains" => contains(key, arg, &here),
        other => Err(err(
            &here,
            format!("unknown operator '{other}': expected one of {VALUE_OPERATORS}"),
        )),
    }
}

fn string_arg(arg: &Value, path: &str) -> Result<String, Diagnostic> {
    match arg {
        Value::String(s) => Ok(s.clone()),
        other => Err(err(
            path,
            format!("expected a string, found {}", json_type(other)),
        )),
    }
}

fn primitive_list(arg: &Value, path: &str) -> Result<Vec<String>, Diagnostic> {
    let Value::Array(items) = arg else {
        return Err(err(
            path,
            format!(
                "expected a list of strings, numbers or booleans, found {}",
                json_type(arg)
            ),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            primitive(v).ok_or_else(|| {
                err(
                    &index(path, i),
                    format!(
                        "expected a string, number or boolean, found {}",
                        json_type(v)
                    ),
                )
            })
        })
        .collect()
}

/// `$contains`: list membership, or on `relations` a `{type, targetRef}` object.
fn contains(key: String, arg: &Value, path: &str) -> Result<Predicate, Diagnostic> {
    if let Some(value) = primitive(arg) {
        return Ok(Predicate::Eq { key, value });
    }
    match arg {
        Value::Object(target) if key == "relations" => relation_contains(target, path),
        Value::Object(_) => Err(err(
            path,
            format!(
                "an object inside $contains is only supported on 'relations' \
                 ({{\"type\": \"ownedBy\", \"targetRef\": \"group:default/team-a\"}}); \
                 on '{key}' give a string, number or boolean"
            ),
        )),
        other => Err(err(
            path,
            format!(
                "expected a string, number or boolean, found {}",
                json_type(other)
            ),
        )),
    }
}

fn relation_contains(target: &Map<String, Value>, path: &str) -> Result<Predicate, Diagnostic> {
    if let Some(extra) = target
        .keys()
        .find(|k| k.as_str() != "type" && k.as_str() != "targetRef")
    {
        return Err(err(
            &child(path, extra),
            "unexpected key: $contains on 'relations' takes \"type\" and optionally \"targetRef\"",
        ));
    }
    let ty = match target.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.to_lowercase(),
        Some(other) => {
            return Err(err(
                &child(path, "type"),
                format!(
                    "expected a relation type such as \"ownedBy\", found {}",
                    json_type(other)
                ),
            ));
        }
        None => {
            return Err(err(
                path,
                "$contains on 'relations' needs a \"type\", e.g. {\"type\": \"ownedBy\", \"targetRef\": \"group:default/team-a\"}",
            ));
        }
    };
    let key = format!("relations.{ty}");
    let here = child(path, "targetRef");
    match target.get("targetRef") {
        None => Ok(Predicate::Exists { key, exists: true }),
        Some(Value::String(r)) => Ok(Predicate::Eq {
            key,
            value: r.clone(),
        }),
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("$in") => Ok(Predicate::In {
            key,
            values: primitive_list(&o["$in"], &child(&here, "$in"))?,
        }),
        Some(other) => Err(err(
            &here,
            format!(
                "expected an entity ref string or {{\"$in\": [...]}}, found {}",
                json_type(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eq(k: &str, v: &str) -> Predicate {
        Predicate::Eq {
            key: k.into(),
            value: v.into(),
        }
    }

    fn filters(fs: &[&str]) -> Option<Predicate> {
        parse_filters(&fs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn comma_is_and_several_strings_are_or() {
        assert_eq!(
            filters(&["kind=component,spec.owner=team-a", "kind=API"]),
            Some(Predicate::Any(vec![
                Predicate::All(vec![eq("kind", "component"), eq("spec.owner", "team-a")]),
                eq("kind", "API"),
            ]))
        );
    }

    #[test]
    fn key_alone_is_existence_and_repeated_key_is_in() {
        assert_eq!(
            filters(&[" Metadata.Annotations.x , kind=a, KIND=b "]),
            Some(Predicate::All(vec![
                Predicate::Exists {
                    key: "metadata.annotations.x".into(),
                    exists: true
                },
                Predicate::In {
                    key: "kind".into(),
                    values: vec!["a".into(), "b".into()]
                },
            ]))
        );
    }

    #[test]
    fn value_may_contain_equals_and_be_empty() {
        assert_eq!(
            filters(&["metadata.annotations.a=b=c"]),
            Some(eq("metadata.annotations.a", "b=c"))
        );
        assert_eq!(filters(&["spec.x="]), Some(eq("spec.x", "")));
    }

    #[test]
    fn empty_filters_match_everything() {
        assert_eq!(filters(&[]), None);
        assert_eq!(filters(&["", " , "]), None);
    }

    #[test]
    fn missing_key_is_an_error_naming_the_filter() {
        let e = parse_filters(&["kind=a".into(), "=b".into()]).unwrap_err();
        assert_eq!(e.path, "filter[1]");
        assert!(e.message.contains("'=b'"), "{}", e.message);
    }

    #[test]
    fn predicate_tree_parses() {
        let p = parse_predicate(&json!({"$all": [
            {"kind": "Component", "spec.lifecycle": "production"},
            {"$any": [{"spec.type": {"$in": ["service", 7, true]}}, {"$not": {"metadata.tags": {"$exists": true}}}]},
            {"metadata.name": {"$hasPrefix": "or"}},
            {"metadata.description": {"$substring": "payment"}},
            {"metadata.tags": {"$contains": "java"}},
            {"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/a"}}}
        ]}))
        .unwrap();
        assert_eq!(
            p,
            Predicate::All(vec![
                Predicate::All(vec![
                    eq("kind", "Component"),
                    eq("spec.lifecycle", "production")
                ]),
                Predicate::Any(vec![
                    Predicate::In {
                        key: "spec.type".into(),
                        values: vec!["service".into(), "7".into(), "true".into()]
                    },
                    Predicate::Not(Box::new(Predicate::Exists {
                        key: "metadata.tags".into(),
                        exists: true
                    })),
                ]),
                Predicate::HasPrefix {
                    key: "metadata.name".into(),
                    prefix: "or".into()
                },
                Predicate::Contains {
                    key: "metadata.description".into(),
                    text: "payment".into()
                },
                eq("metadata.tags", "java"),
                eq("relations.ownedby", "group:default/a"),
            ])
        );
    }

    #[test]
    fn empty_object_matches_everything() {
        assert_eq!(parse_predicate(&json!({})).unwrap(), Predicate::All(vec![]));
    }

    #[test]
    fn errors_name_the_json_path() {
        let cases = [
            (json!("kind"), "$", "expected a predicate object"),
            (json!({"$all": {}}), "$all", "expected a list of predicates"),
            (json!({"$all": [{"a": 1}, 3]}), "$all[1]", "found a number"),
            (
                json!({"kind": "a", "$not": {}}),
                "$",
                "must be the only key",
            ),
            (json!({"$nope": 1}), "$nope", "unknown operator '$nope'"),
            (
                json!({"$any": [{"spec.type": {"$in": "x"}}]}),
                "$any[0][\"spec.type\"].$in",
                "expected a list",
            ),
            (
                json!({"spec": {"$in": [1, null]}}),
                "spec.$in[1]",
                "found null",
            ),
            (
                json!({"spec": {"$exists": "yes"}}),
                "spec.$exists",
                "true or false",
            ),
            (
                json!({"spec": {"$regex": "x"}}),
                "spec.$regex",
                "unknown operator",
            ),
            (
                json!({"spec": {"$in": [], "$exists": true}}),
                "spec",
                "exactly one",
            ),
            (json!({"spec": ["a"]}), "spec", "$in"),
            (json!({"spec": null}), "spec", "found null"),
            (
                json!({"relations": {"$contains": {"targetRef": "x"}}}),
                "relations.$contains",
                "needs a \"type\"",
            ),
            (
                json!({"metadata.tags": {"$contains": {"a": 1}}}),
                "[\"metadata.tags\"].$contains",
                "only supported on 'relations'",
            ),
        ];
        for (input, path, msg) in cases {
            let e = parse_predicate(&input).unwrap_err();
            assert_eq!(e.path, path, "{input}: {e}");
            assert!(e.message.contains(msg), "{input}: {}", e.message);
        }
    }
}
