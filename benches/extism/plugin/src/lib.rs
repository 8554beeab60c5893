//! `examples/plugins/naming-convention`'s rule as an Extism plugin, for the
//! comparison in `benches/extism` (see its README).
//!
//! Export `review`: input `{"settings": {"patterns": {KIND: REGEX, ...},
//! "enforce": bool}, "change": {"operation": "create", "after": ENTITY}}`,
//! output `{"verdict": "allow"|"warn"|"deny", "violations": [{"path", "message"}]}`.
//! The same work per call as the paved plugin: the settings and the entity are
//! decoded with `serde_json`, and the pattern of the entity's kind is compiled
//! on every call.

use extism_pdk::{FnResult, plugin_fn};
use regex::Regex;
use serde_json::{Value, json};

#[plugin_fn]
pub fn review(input: Vec<u8>) -> FnResult<Vec<u8>> {
    let input: Value = serde_json::from_slice(&input)?;
    let settings = &input["settings"];
    let change = &input["change"];
    let enforce = settings["enforce"].as_bool().unwrap_or(true);

    let mut violations = Vec::new();
    if change["operation"].as_str() != Some("delete") {
        let after = &change["after"];
        let kind = after["kind"].as_str().unwrap_or_default();
        let name = after["metadata"]["name"].as_str().unwrap_or_default();
        if let Some(pattern) = settings["patterns"].get(kind).and_then(Value::as_str) {
            let re = Regex::new(pattern)
                .map_err(|e| extism_pdk::Error::msg(format!("settings.patterns.{kind}: {e}")))?;
            if !re.is_match(name) {
                violations.push(json!({
                    "path": "metadata.name",
                    "message": format!("{kind} name '{name}' does not match {pattern}"),
                }));
            }
        }
    }
    let verdict = match (violations.is_empty(), enforce) {
        (true, _) => "allow",
        (false, true) => "deny",
        (false, false) => "warn",
    };
    Ok(serde_json::to_vec(
        &json!({"verdict": verdict, "violations": violations}),
    )?)
}
