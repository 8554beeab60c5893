//! A Template's parameters: its form pages merged into one JSON Schema,
//! parameters checked against it (an error per field, `parameters.name`),
//! defaults filled in, and the fields that hold secrets.

use serde_json::{Map, Value, json};

use crate::diagnostic::Diagnostic;
use crate::model::kinds::TemplateParameters;
use crate::model::schema::KindDef;

/// The parameters of every page as one object schema: properties and
/// `required` merged, page by page (a later page's property wins). `ui:*`
/// hints stay in the properties for front ends; JSON Schema ignores them.
pub fn merged_schema(parameters: Option<&TemplateParameters>) -> Value {
    let pages: Vec<&Map<String, Value>> = match parameters {
        None => Vec::new(),
        Some(TemplateParameters::Single(s)) => vec![&s.schema],
        Some(TemplateParameters::Pages(pages)) => pages.iter().map(|p| &p.schema).collect(),
    };
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for page in pages {
        if let Some(Value::Object(props)) = page.get("properties") {
            for (k, v) in props {
                properties.insert(k.clone(), v.clone());
            }
        }
        if let Some(Value::Array(r)) = page.get("required") {
            for name in r {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
    }
    json!({ "type": "object", "properties": properties, "required": required })
}

/// The JSON Schema a front end draws the form from: the pages as written,
/// `ui:*` hints and all (one page: a list of one).
pub fn form_pages(parameters: Option<&TemplateParameters>) -> Vec<Value> {
    match parameters {
        None => Vec::new(),
        Some(TemplateParameters::Single(s)) => vec![Value::Object(s.schema.clone())],
        Some(TemplateParameters::Pages(pages)) => pages
            .iter()
            .map(|p| serde_json::to_value(p).unwrap_or_default())
            .collect(),
    }
}

/// Whether a property is a secret: Backstage's `ui:field: Secret`, or a
/// password widget.
fn is_secret(property: &Value) -> bool {
    property.get("ui:field").and_then(Value::as_str) == Some("Secret")
        || property.get("ui:widget").and_then(Value::as_str) == Some("password")
}

/// The names of the parameters that hold secrets.
pub fn secret_fields(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter(|(_, v)| is_secret(v))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// `given` with the schema's top-level defaults filled in, checked: every
/// problem as a diagnostic under `parameters`.
pub fn prepare(schema: &Value, given: &Value) -> Result<Value, Vec<Diagnostic>> {
    let mut values = match given {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(vec![Diagnostic::error(
                "parameters",
                format!("expected a mapping of parameter names to values, found {other}"),
            )]);
        }
    };
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            if let Some(default) = prop.get("default")
                && !values.contains_key(name)
            {
                values.insert(name.clone(), default.clone());
            }
        }
    }
    let values = Value::Object(values);
    let def = KindDef::for_document("the template's parameters", strip_ui(schema)).map_err(
        |e| match e {
            crate::Error::Invalid { diagnostics } => diagnostics,
            other => vec![Diagnostic::error("spec.parameters", other.to_string())],
        },
    )?;
    let mut problems = Vec::new();
    def.check_document(&values, "parameters", &mut problems);
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// The schema without `ui:*` keys (they are hints, not JSON Schema).
fn strip_ui(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with("ui:") && k.as_str() != "backstage:permissions")
                .map(|(k, v)| (k.clone(), strip_ui(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_ui).collect()),
        other => other.clone(),
    }
}

/// The values of the secret fields of `values`, to mask wherever they show.
pub fn secret_values(values: &Value, fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| values.get(f))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// `values` without its secret fields: what provenance records.
pub fn without_secrets(values: &Value, fields: &[String]) -> Value {
    match values {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !fields.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::TemplateParameters;

    fn pages() -> TemplateParameters {
        serde_json::from_value(json!([
            {"title": "Service", "required": ["name"], "properties": {
                "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
                "port": {"type": "integer", "default": 8080}}},
            {"title": "Database", "required": ["owner"], "properties": {
                "owner": {"type": "string", "ui:field": "OwnerPicker"},
                "password": {"type": "string", "ui:widget": "password"}}}
        ]))
        .unwrap()
    }

    #[test]
    fn pages_merge_and_defaults_fill_in() {
        let schema = merged_schema(Some(&pages()));
        assert_eq!(schema["required"], json!(["name", "owner"]));
        let v = prepare(&schema, &json!({"name": "shop", "owner": "team-a"})).unwrap();
        assert_eq!(v["port"], 8080);
        assert_eq!(secret_fields(&schema), ["password"]);
    }

    #[test]
    fn each_bad_field_is_named() {
        let schema = merged_schema(Some(&pages()));
        let problems = prepare(&schema, &json!({"name": "Shop!", "port": "x"})).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|d| d.path.as_str()).collect();
        assert!(paths.contains(&"parameters.owner"), "{problems:?}");
        assert!(paths.contains(&"parameters.name"), "{problems:?}");
        assert!(paths.contains(&"parameters.port"), "{problems:?}");
    }
}
