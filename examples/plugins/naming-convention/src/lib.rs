//! Guardrail `naming-convention`: the name of an entity (by `kind`) or of a
//! resource (by resource type) must match a regular expression from settings.
//!
//! Settings: `{"patterns": {"Component": "^[a-z][a-z0-9-]*$", "postgres.database": "^[a-z_]+$"},
//! "enforce": true}`. Kinds and types without a pattern are allowed.

use std::collections::BTreeMap;

use paved_plugin_sdk::prelude::*;
use regex::Regex;

/// Settings of the rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Regex per entity kind (e.g. `Component`) or resource type (e.g. `postgres.database`).
    patterns: BTreeMap<String, String>,
    /// Deny (true, the default) or only warn (false).
    #[serde(default = "yes")]
    enforce: bool,
}

fn yes() -> bool {
    true
}

struct NamingConvention;

impl Guardrail for NamingConvention {
    type Settings = Settings;
    const DESCRIPTION: &'static str =
        "Names must match a regular expression per entity kind or resource type";

    fn check_settings(settings: &Settings) -> Result<(), Error> {
        let bad: Vec<Violation> = settings
            .patterns
            .iter()
            .filter_map(|(kind, pattern)| {
                Regex::new(pattern)
                    .err()
                    .map(|e| Violation::new(format!("patterns.{kind}"), e.to_string()))
            })
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(bad))
        }
    }

    fn review(change: &Change, settings: &Settings) -> Result<Review, Error> {
        if change.operation == Operation::Delete {
            return Ok(Review::allow());
        }
        let (key, name, path) = match &change.subject {
            Subject::Resource(address) => {
                (address.resource_type.clone(), address.name.clone(), "name")
            }
            Subject::Entity(_) => {
                let kind = change.kind().unwrap_or_default().to_owned();
                let name = change
                    .after_field("metadata.name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (kind, name, "metadata.name")
            }
        };
        let Some(pattern) = settings.patterns.get(&key) else {
            return Ok(Review::allow());
        };
        let re = Regex::new(pattern)
            .map_err(|e| Error::invalid(format!("settings.patterns.{key}"), e.to_string()))?;
        let violations = if re.is_match(&name) {
            Vec::new()
        } else {
            vec![Violation::new(
                path,
                format!("{key} name '{name}' does not match {pattern}"),
            )]
        };
        Ok(Review::from_violations(violations, settings.enforce))
    }
}

paved_plugin_sdk::export_guardrail!(NamingConvention);
