//! The `access:` configuration: rules, their effect, the defaults.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::EntityRef;
use crate::policy::Match;

/// What a rule, or a default, decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessEffect {
    Allow,
    #[default]
    Deny,
}

impl AccessEffect {
    fn allow() -> Self {
        AccessEffect::Allow
    }
}

/// One permission rule: which actors, which changes, allow or deny.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Unique among the rules; denials name it.
    pub name: String,
    /// Who the rule is about: user or group refs (a group means its members,
    /// transitively; a bare name is a group in the default namespace),
    /// `system`, `owners` (members of the owning group of the entity or
    /// resource changed) or `*` (any actor).
    pub actors: Vec<String>,
    /// Which changes (default: every change).
    #[serde(default, rename = "match")]
    pub matches: Match,
    /// `allow` (default) or `deny`.
    #[serde(default = "AccessEffect::allow")]
    pub effect: AccessEffect,
    /// Free text shown with its denials (why the rule exists, whom to ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The access rules of a platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessRules {
    /// What an actor that is not in the catalogue (nor `system`, nor named
    /// by a rule) gets: `deny` (default) or `allow` (deny rules still hold).
    #[serde(default)]
    pub unknown: AccessEffect,
    /// What a change that no rule matches gets: `deny` (default) or `allow`.
    #[serde(default)]
    pub default: AccessEffect,
    /// The rules; deny rules are consulted before allow rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// An actor entry of a rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// `*`: any actor.
    Anyone,
    /// `owners`: members of the owning group.
    Owners,
    /// A ref key (`group:default/platform`, `user:default/jane`) or `system`.
    Key(String),
}

impl Who {
    fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "*" => Ok(Who::Anyone),
            "owners" => Ok(Who::Owners),
            crate::pipeline::DEFAULT_ACTOR => Ok(Who::Key(s.to_string())),
            _ => EntityRef::parse_with(s, Some("group"), crate::model::refs::DEFAULT_NAMESPACE)
                .map(|r| Who::Key(r.key()))
                .map_err(|e| e.to_string()),
        }
    }
}

impl AccessRules {
    /// Check the rules (unique names, at least one actor each, parseable
    /// actors); returns each rule's parsed actors. Errors name the field.
    pub(crate) fn parse_actors(&self) -> Result<Vec<Vec<Who>>> {
        let mut names = HashSet::new();
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("access.rules[{i}]");
            problems.extend(crate::diagnostic::name_problem(
                &mut names,
                &rule.name,
                format!("{at}.name"),
                "rule",
            ));
            if rule.actors.is_empty() {
                problems.push(Diagnostic::error(
                    format!("{at}.actors"),
                    "a rule needs at least one actor: a user or group ref, `system`, `owners` or `*`",
                ));
            }
            let mut who = Vec::new();
            for (j, a) in rule.actors.iter().enumerate() {
                match Who::parse(a) {
                    Ok(w) => who.push(w),
                    Err(e) => problems.push(Diagnostic::error(
                        format!("{at}.actors[{j}]"),
                        format!(
                            "'{a}' is not an actor: {e}; expected a user or group ref, `system`, `owners` or `*`"
                        ),
                    )),
                }
            }
            parsed.push(who);
        }
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(Error::Invalid {
                diagnostics: problems,
            })
        }
    }
}
