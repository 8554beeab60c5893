//! Field projection: Backstage's `fields=` parameter.
//!
//! `project(entity, ["metadata.name", "spec.owner"])` keeps only those paths,
//! with their parent objects. A path segment that is not a key of the object
//! is joined with the next one, so keys that contain dots can be reached:
//! `metadata.annotations.backstage.io/source-location` finds the annotation
//! `backstage.io/source-location`. Paths that lead nowhere are left out.
//! Paths are case-sensitive, as in Backstage.

use serde_json::{Map, Value};

/// Keep only the dotted `fields` of `entity` (all of it when `fields` is empty).
pub fn project(entity: &Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity.clone();
    }
    let mut out = Value::Object(Map::new());
    for field in fields {
        if let Some((path, value)) = resolve(entity, field) {
            set(&mut out, &path, value.clone());
        }
    }
    out
}

/// Walk `field` through objects; returns the keys taken and the value found.
fn resolve<'a>(root: &'a Value, field: &str) -> Option<(Vec<String>, &'a Value)> {
    let parts: Vec<&str> = field.split('.').collect();
    if field.is_empty() {
        return None;
    }
    let mut path = Vec::new();
    let mut current = root;
    let mut pending = String::new();
    for (i, part) in parts.iter().enumerate() {
        if !pending.is_empty() {
            pending.push('.');
        }
        pending.push_str(part);
        match current.as_object().and_then(|m| m.get(&pending)) {
            Some(next) => {
                path.push(std::mem::take(&mut pending));
                current = next;
            }
            None if i + 1 < parts.len() => {}
            None => return None,
        }
    }
    (!path.is_empty()).then_some((path, current))
}

/// Set `value` at `path` in `out`, creating parent objects.
fn set(out: &mut Value, path: &[String], value: Value) {
    let mut current = out;
    for (i, key) in path.iter().enumerate() {
        let Value::Object(map) = current else {
            // A shorter field already copied the whole parent; it includes this one.
            return;
        };
        if i + 1 == path.len() {
            map.insert(key.clone(), value);
            return;
        }
        current = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(fs: &[&str]) -> Vec<String> {
        fs.iter().map(|s| s.to_string()).collect()
    }

    fn entity() -> Value {
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "orders",
                "annotations": {"backstage.io/source-location": "url:x", "a": "b"},
                "tags": ["java"]
            },
            "spec": {"owner": "team-a", "type": "service"}
        })
    }

    #[test]
    fn keeps_paths_with_parents() {
        assert_eq!(
            project(&entity(), &fields(&["kind", "metadata.name", "spec.owner"])),
            json!({"kind": "Component", "metadata": {"name": "orders"}, "spec": {"owner": "team-a"}})
        );
    }

    #[test]
    fn reaches_keys_with_dots_and_skips_missing_paths() {
        assert_eq!(
            project(
                &entity(),
                &fields(&[
                    "metadata.annotations.backstage.io/source-location",
                    "spec.nothing",
                    "status",
                    "metadata.tags"
                ])
            ),
            json!({"metadata": {"annotations": {"backstage.io/source-location": "url:x"}, "tags": ["java"]}})
        );
    }

    #[test]
    fn whole_parent_wins_over_child() {
        assert_eq!(
            project(&entity(), &fields(&["spec", "spec.owner"])),
            json!({"spec": {"owner": "team-a", "type": "service"}})
        );
        assert_eq!(
            project(&entity(), &fields(&["spec.owner", "spec"])),
            json!({"spec": {"owner": "team-a", "type": "service"}})
        );
    }

    #[test]
    fn no_fields_keeps_everything() {
        assert_eq!(project(&entity(), &[]), entity());
    }
}
