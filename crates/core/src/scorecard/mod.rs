//! Scorecards: how far each entity has come along the path a platform team
//! sets (bronze, silver, gold), scored with the platform's own policies.
//!
//! A [`Scorecard`] (`scorecards:` in `paved.yaml`) picks entities with a
//! catalogue filter and lists levels, lowest first; each level lists rules,
//! and each rule is the name of a policy binding (usually `mode: audit`, so
//! it scores entities without blocking their writes):
//!
//! ```yaml
//! scorecards:
//!   - name: production-readiness
//!     filter: [kind=component]
//!     levels:
//!       - name: bronze
//!         rules: [component-has-owner-and-lifecycle]
//!       - name: silver
//!         rules: [naming-convention]
//! ```
//!
//! An entity is scored by reviewing it as it is, with each rule's binding,
//! as an `entity.update` that changes nothing. A rule passes unless the
//! guardrail denies (a warning passes, with its remarks; a guardrail that
//! fails closed fails the rule), and does not apply when its binding does
//! not match the entity (or is `off`). An entity reaches a level when every
//! rule that applies, in that level and in every level below it, passes.
//!
//! Scores are computed when asked: one entity, or every entity a team owns.
//! `record` keeps them over time: it scores every entity and appends, per
//! scorecard and owning team, one audit record ([`SNAPSHOT_ACTION`], its
//! subject the team), so a team's trend is its snapshots, hash-chained with
//! the rest of the audit log. Entities without an owner are scored but
//! belong to no team's snapshot.

mod result;

pub use result::{EntityLevel, LevelCount, RuleScore, RuleStatus, Score, Snapshot, TeamScore};

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, name_problem};
use crate::error::{Error, Result};
use crate::query::{Predicate, parse_filters};

/// The audit action of a team's recorded scores.
pub const SNAPSHOT_ACTION: &str = "scorecard.snapshot";

/// One scorecard: which entities it scores, and its levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scorecard {
    /// Unique among the platform's scorecards.
    pub name: String,
    /// What the scorecard is for, shown with its scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The entities it scores, as catalogue filter strings (`,` is AND,
    /// several strings are OR); none: every entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<String>,
    /// The levels, lowest first.
    pub levels: Vec<Level>,
}

/// One level of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Level {
    pub name: String,
    /// Names of policy bindings; every one that applies must pass.
    pub rules: Vec<String>,
}

impl Scorecard {
    /// The scorecard's filter as one predicate (none: every entity).
    pub(crate) fn predicate(&self) -> Result<Option<Predicate>> {
        parse_filters(&self.filter).map_err(Error::invalid)
    }
}

/// Check scorecards against the platform's policy names: unique names, at
/// least one level each, levels with rules, every rule a known policy,
/// filters that parse. Every problem is reported, each with its path
/// (`scorecards[0].levels[1].rules[0]`).
pub(crate) fn check(cards: &[Scorecard], policies: &[&str]) -> Result<()> {
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    let known = if policies.is_empty() {
        "the platform has no policies".to_string()
    } else {
        format!("policies: {}", policies.join(", "))
    };
    for (i, card) in cards.iter().enumerate() {
        let at = format!("scorecards[{i}]");
        problems.extend(name_problem(
            &mut names,
            &card.name,
            format!("{at}.name"),
            "scorecard",
        ));
        if let Err(mut d) = parse_filters(&card.filter) {
            d.path = format!("{at}.filter");
            problems.push(d);
        }
        if card.levels.is_empty() {
            problems.push(Diagnostic::error(
                format!("{at}.levels"),
                format!(
                    "scorecard '{}' has no levels: expected at least one, each with rules",
                    card.name
                ),
            ));
        }
        let mut level_names = HashSet::new();
        for (j, level) in card.levels.iter().enumerate() {
            let at = format!("{at}.levels[{j}]");
            problems.extend(name_problem(
                &mut level_names,
                &level.name,
                format!("{at}.name"),
                "level",
            ));
            if level.rules.is_empty() {
                problems.push(Diagnostic::error(
                    format!("{at}.rules"),
                    format!(
                        "level '{}' has no rules: expected names of policies",
                        level.name
                    ),
                ));
            }
            for (k, rule) in level.rules.iter().enumerate() {
                if !policies.contains(&rule.as_str()) {
                    problems.push(Diagnostic::error(
                        format!("{at}.rules[{k}]"),
                        format!("no policy named '{rule}' ({known})"),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            diagnostics: problems,
        })
    }
}

#[cfg(test)]
mod platform_tests;
#[cfg(test)]
mod tests;
