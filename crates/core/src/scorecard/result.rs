//! What scoring finds: one entity's [`Score`], a team's [`TeamScore`], and
//! a recorded [`Snapshot`] of it.

use serde::{Deserialize, Serialize};

use super::Scorecard;
use crate::plugin::Violation;

/// How one rule judged one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    Passed,
    Failed,
    /// The rule's binding does not match the entity (or is `off`).
    NotApplicable,
}

/// One rule of a scorecard on one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleScore {
    /// The level the rule belongs to.
    pub level: String,
    /// The policy binding.
    pub policy: String,
    pub status: RuleStatus,
    /// What to fix (a failed rule), or the guardrail's remarks (a warning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Why the guardrail could not answer, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The binding's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One entity on one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    pub scorecard: String,
    /// The entity's ref.
    pub entity: String,
    /// The owning group's ref, if it has an owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The highest level reached (none: not even the first).
    pub level: Option<String>,
    /// The level above it, if there is one: what to work on next.
    pub next_level: Option<String>,
    /// Rules passed, of the rules that apply.
    pub passed: usize,
    pub applicable: usize,
    /// `passed` out of `applicable`, in whole percent (100 when none apply).
    pub percent: u32,
    /// Every rule, level by level.
    pub rules: Vec<RuleScore>,
}

impl Score {
    /// The score of an entity from its rules' results (in level order).
    pub(crate) fn new(
        card: &Scorecard,
        entity: String,
        owner: Option<String>,
        rules: Vec<RuleScore>,
    ) -> Self {
        let mut level = None;
        let mut next_level = None;
        for l in &card.levels {
            let failed = rules
                .iter()
                .any(|r| r.level == l.name && r.status == RuleStatus::Failed);
            if failed {
                next_level = Some(l.name.clone());
                break;
            }
            level = Some(l.name.clone());
        }
        let applicable = rules
            .iter()
            .filter(|r| r.status != RuleStatus::NotApplicable)
            .count();
        let passed = rules
            .iter()
            .filter(|r| r.status == RuleStatus::Passed)
            .count();
        Self {
            scorecard: card.name.clone(),
            entity,
            owner,
            level,
            next_level,
            passed,
            applicable,
            percent: percent(passed, applicable),
            rules,
        }
    }
}

/// An entity's level, as a team's scores list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityLevel {
    pub entity: String,
    pub level: Option<String>,
    pub passed: usize,
    pub applicable: usize,
}

/// How many entities stand at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: String,
    pub entities: usize,
}

/// The entities a team owns, on one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamScore {
    pub scorecard: String,
    /// The team's (group's) ref.
    pub team: String,
    /// How many of its entities the scorecard scores.
    pub entities: usize,
    /// Entities that reach no level.
    pub below: usize,
    /// Entities whose highest level is each level, lowest first.
    pub levels: Vec<LevelCount>,
    /// Rules passed, of the rules that apply, over all its entities.
    pub passed: usize,
    pub applicable: usize,
    pub percent: u32,
    /// Each entity's level, by ref.
    pub scores: Vec<EntityLevel>,
}

impl TeamScore {
    /// A team's summary of its entities' scores.
    pub(crate) fn new(card: &Scorecard, team: String, scores: &[Score]) -> Self {
        let mut scores: Vec<&Score> = scores.iter().collect();
        scores.sort_by(|a, b| a.entity.cmp(&b.entity));
        let levels = card
            .levels
            .iter()
            .map(|l| LevelCount {
                level: l.name.clone(),
                entities: scores
                    .iter()
                    .filter(|s| s.level.as_deref() == Some(l.name.as_str()))
                    .count(),
            })
            .collect();
        let passed = scores.iter().map(|s| s.passed).sum();
        let applicable = scores.iter().map(|s| s.applicable).sum();
        Self {
            scorecard: card.name.clone(),
            team,
            entities: scores.len(),
            below: scores.iter().filter(|s| s.level.is_none()).count(),
            levels,
            passed,
            applicable,
            percent: percent(passed, applicable),
            scores: scores
                .iter()
                .map(|s| EntityLevel {
                    entity: s.entity.clone(),
                    level: s.level.clone(),
                    passed: s.passed,
                    applicable: s.applicable,
                })
                .collect(),
        }
    }
}

/// A team's scores as recorded at one time: its audit record's seq and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The audit record's seq (none in a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// When it was recorded (none in a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(flatten)]
    pub score: TeamScore,
}

/// `part` of `whole` in whole percent, rounded down; 100 when `whole` is 0.
fn percent(part: usize, whole: usize) -> u32 {
    (part * 100)
        .checked_div(whole)
        .map_or(100, |p| u32::try_from(p).unwrap_or(100))
}
