//! Guardrail `require-owner`: every entity of the checked kinds (and every
//! resource) names an owner, and that owner exists in the catalogue as one of
//! the allowed kinds. Uses the host's read-only catalogue lookup, so it needs
//! the `catalogue` grant.
//!
//! Settings: `{"kinds": ["Component", "API", "Resource", "System"],
//! "ownerKinds": ["group", "user"], "enforce": true}` (these are the defaults).

use paved_plugin_sdk::prelude::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    /// Entity kinds that must have an owner.
    #[serde(default = "default_kinds")]
    kinds: Vec<String>,
    /// Kinds an owner may be (lower case).
    #[serde(default = "default_owner_kinds")]
    owner_kinds: Vec<String>,
    /// Deny (default) or only warn.
    #[serde(default = "yes")]
    enforce: bool,
}

fn default_kinds() -> Vec<String> {
    ["Component", "API", "Resource", "System"]
        .map(String::from)
        .to_vec()
}

fn default_owner_kinds() -> Vec<String> {
    vec!["group".into(), "user".into()]
}

fn yes() -> bool {
    true
}

/// `payments` -> `group:default/payments`; `user:ada` -> `user:default/ada`.
fn owner_ref(owner: &str) -> String {
    let (kind, rest) = owner.split_once(':').unwrap_or(("group", owner));
    let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
    format!("{}:{}/{}", kind.to_ascii_lowercase(), ns, name)
}

struct RequireOwner;

impl Guardrail for RequireOwner {
    type Settings = Settings;
    const DESCRIPTION: &'static str =
        "Entities and resources must have an owner that exists in the catalogue";

    fn capabilities() -> Vec<Capability> {
        vec![Capability::Catalogue]
    }

    fn review(change: &Change, settings: &Settings) -> Result<Review, Error> {
        if change.operation == Operation::Delete {
            return Ok(Review::allow());
        }
        let (owner, path) = match &change.subject {
            Subject::Resource(address) => (address.owner.clone(), "owner"),
            Subject::Entity(_) => {
                let kind = change.kind().unwrap_or_default();
                if !settings.kinds.iter().any(|k| k.eq_ignore_ascii_case(&kind)) {
                    return Ok(Review::allow());
                }
                let owner = change.after_str("spec.owner");
                (owner, "spec.owner")
            }
        };
        let owner = match owner.as_deref().map(str::trim) {
            None | Some("") => {
                return Ok(Review::from_violations(
                    vec![Violation::new(
                        path,
                        "an owner is required (a group or user ref)",
                    )],
                    settings.enforce,
                ));
            }
            Some(o) => o.to_owned(),
        };
        let reference = owner_ref(&owner);
        let kind = reference.split(':').next().unwrap_or_default();
        let mut violations = Vec::new();
        if !settings.owner_kinds.iter().any(|k| k == kind) {
            violations.push(Violation::new(
                path,
                format!(
                    "owner '{owner}' is a {kind}; expected one of {:?}",
                    settings.owner_kinds
                ),
            ));
        } else if host::catalogue_get(&reference)?.is_none() {
            violations.push(Violation::new(
                path,
                format!("owner '{owner}' ({reference}) does not exist in the catalogue"),
            ));
        }
        Ok(Review::from_violations(violations, settings.enforce))
    }
}

paved_plugin_sdk::export_guardrail!(RequireOwner);
