//! Guardrail `naming-convention`: the name of an entity (by `kind`) or of a
//! resource (by resource type) must match a regular expression from settings.
//!
//! Settings: `{"patterns": {"Component": "^[a-z][a-z0-9-]*$", "postgres.database": "^[a-z_]+$"},
//! "enforce": true}`. Kinds and types without a pattern are allowed.
//!
//! The patterns compiled by `check_settings` are kept in [`COMPILED`]: when
//! the host prepares guardrails, every review starts from the snapshot taken
//! after `check_settings`, so it matches without compiling; otherwise a
//! review compiles the one pattern it needs and keeps it for the next
//! review in the same instance (the bindings of one change share one). A
//! kept pattern is used by reference: a cloned `Regex` starts with an empty
//! match cache, which costs more than the match.

use std::cell::RefCell;
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

thread_local! {
    /// Compiled patterns by pattern text, filled by `check_settings`.
    static COMPILED: RefCell<BTreeMap<String, Regex>> = const { RefCell::new(BTreeMap::new()) };
}

/// Whether `name` matches `pattern`, compiled by `check_settings` or now
/// (and kept).
fn matches(pattern: &str, name: &str) -> Result<bool, regex::Error> {
    COMPILED.with_borrow_mut(|c| {
        if let Some(re) = c.get(pattern) {
            return Ok(re.is_match(name));
        }
        let re = Regex::new(pattern)?;
        let matched = re.is_match(name);
        c.insert(pattern.to_string(), re);
        Ok(matched)
    })
}

struct NamingConvention;

impl Guardrail for NamingConvention {
    type Settings = Settings;
    const DESCRIPTION: &'static str =
        "Names must match a regular expression per entity kind or resource type";

    fn check_settings(settings: &Settings) -> Result<(), Error> {
        let mut bad = Vec::new();
        for (kind, pattern) in &settings.patterns {
            match Regex::new(pattern) {
                Ok(re) => COMPILED.with_borrow_mut(|c| c.insert(pattern.clone(), re)),
                Err(e) => {
                    bad.push(Violation::new(format!("patterns.{kind}"), e.to_string()));
                    None
                }
            };
        }
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
                let kind = change.kind().unwrap_or_default();
                let name = change.after_str("metadata.name").unwrap_or_default();
                (kind, name, "metadata.name")
            }
        };
        let Some(pattern) = settings.patterns.get(&key) else {
            return Ok(Review::allow());
        };
        let matched = matches(pattern, &name)
            .map_err(|e| Error::invalid(format!("settings.patterns.{key}"), e.to_string()))?;
        let violations = if matched {
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
