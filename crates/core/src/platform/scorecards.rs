//! [`Scorecards`]: scoring entities and teams with a platform's scorecards,
//! and keeping the scores over time (see [`crate::scorecard`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};

use super::{Inner, parse_ref};
use crate::audit::DEFAULT_LIMIT;
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::pipeline::{Effect, WriteOptions};
use crate::plugin::Verdict;
use crate::query::{MAX_LIMIT, Predicate, Query};
use crate::scorecard::{
    RuleScore, RuleStatus, SNAPSHOT_ACTION, Score, Scorecard, Snapshot, TeamScore,
};
use crate::store::AuditOnly;

/// The scorecards of a platform.
#[derive(Clone)]
pub struct Scorecards {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Scorecards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scorecards")
    }
}

/// How many entities are scored at once.
const SCORED_IN_FLIGHT: usize = 16;

/// The most audit records of one team read for its history.
const TEAM_RECORDS: usize = 100_000;

impl Scorecards {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The scorecards, as declared.
    pub fn list(&self) -> Vec<Scorecard> {
        self.inner.scorecards.clone()
    }

    /// Score one entity on every scorecard whose filter selects it, or on
    /// the scorecard named `scorecard` (an error when it does not select
    /// the entity). Writes nothing.
    pub async fn score(&self, entity_ref: &str, scorecard: Option<&str>) -> Result<Vec<Score>> {
        let entity = super::Catalog::new(self.inner.clone())
            .get(entity_ref)
            .await?;
        let r = entity.entity_ref();
        let mut scores = Vec::new();
        for card in self.chosen(scorecard)? {
            if self.selects(card, &r).await? {
                scores.push(score_entity(&self.inner, card, &entity).await?);
            } else if scorecard.is_some() {
                return Err(Error::invalid(crate::Diagnostic::error(
                    "scorecard",
                    format!(
                        "scorecard '{}' does not score {r}: its filter is {}",
                        card.name,
                        filter_text(card)
                    ),
                )));
            }
        }
        Ok(scores)
    }

    /// Score every entity a team (a group ref) owns, on every scorecard or
    /// on the one named. Writes nothing.
    pub async fn team(&self, team: &str, scorecard: Option<&str>) -> Result<Vec<TeamScore>> {
        let team = parse_ref(team)?.to_string();
        let mut out = Vec::new();
        for card in self.chosen(scorecard)? {
            let owned = Predicate::Eq {
                key: "relations.ownedBy".into(),
                value: team.clone(),
            };
            let scores = self.score_all(card, Some(owned)).await?;
            out.push(TeamScore::new(card, team.clone(), &scores));
        }
        Ok(out)
    }

    /// Score every entity on every scorecard (or the one named) and record,
    /// per scorecard and owning team, a snapshot in the audit log: the
    /// team's trend ([`Self::history`]). A write: the actor and the checks
    /// apply; a dry run scores and returns the snapshots without writing.
    pub async fn record(
        &self,
        scorecard: Option<&str>,
        opts: &WriteOptions,
    ) -> Result<Vec<Snapshot>> {
        let mut teams = Vec::new();
        for card in self.chosen(scorecard)? {
            let scores = self.score_all(card, None).await?;
            let mut by_team: BTreeMap<String, Vec<Score>> = BTreeMap::new();
            for s in scores {
                if let Some(owner) = s.owner.clone() {
                    by_team.entry(owner).or_default().push(s);
                }
            }
            teams.extend(
                by_team
                    .into_iter()
                    .map(|(team, scores)| TeamScore::new(card, team, &scores)),
            );
        }
        let records = teams
            .iter()
            .map(|t| AuditOnly {
                action: SNAPSHOT_ACTION.to_string(),
                subject: t.team.clone(),
                details: serde_json::to_value(t).unwrap_or_default(),
                event: "scorecard.recorded".to_string(),
            })
            .collect();
        let effect = Effect {
            action: "scorecard.record".to_string(),
            subject: scorecard.unwrap_or("*").to_string(),
        };
        let written =
            crate::pipeline::record(&self.inner.context().await?, effect, records, opts).await?;
        let mut written = written.into_iter();
        Ok(teams
            .into_iter()
            .map(|score| {
                let record = written.next();
                Snapshot {
                    id: record.as_ref().map(|r| r.seq),
                    at: record.map(|r| r.at),
                    score,
                }
            })
            .collect())
    }

    /// A team's recorded snapshots, newest first: on every scorecard or the
    /// one named, at most `limit` (default [`DEFAULT_LIMIT`]).
    pub async fn history(
        &self,
        team: &str,
        scorecard: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Snapshot>> {
        let team = parse_ref(team)?;
        if let Some(name) = scorecard {
            self.chosen(Some(name))?;
        }
        let records = self.inner.store.audit_for(&team, TEAM_RECORDS).await?;
        Ok(records
            .into_iter()
            .filter(|r| r.action == SNAPSHOT_ACTION)
            .filter_map(|r| {
                let score: TeamScore = serde_json::from_value(r.details).ok()?;
                Some(Snapshot {
                    id: Some(r.seq),
                    at: Some(r.at),
                    score,
                })
            })
            .filter(|s| scorecard.is_none_or(|name| s.score.scorecard == name))
            .take(limit.unwrap_or(DEFAULT_LIMIT))
            .collect())
    }

    /// The scorecard named, or all of them.
    fn chosen(&self, name: Option<&str>) -> Result<Vec<&Scorecard>> {
        let cards = &self.inner.scorecards;
        match name {
            None => Ok(cards.iter().collect()),
            Some(name) => cards
                .iter()
                .find(|c| c.name == name)
                .map(|c| vec![c])
                .ok_or_else(|| Error::NotFound {
                    what: "scorecard",
                    id: name.to_string(),
                    hint: None,
                }),
        }
    }

    /// Whether a scorecard's filter selects an entity.
    async fn selects(&self, card: &Scorecard, r: &crate::model::EntityRef) -> Result<bool> {
        let Some(filter) = card.predicate()? else {
            return Ok(true);
        };
        let page = self
            .inner
            .store
            .query(&Query {
                filter: Some(Predicate::All(vec![filter, ref_predicate(r)])),
                fields: vec!["kind".into()],
                limit: Some(1),
                ..Query::default()
            })
            .await?;
        Ok(page.total > 0)
    }

    /// Score every entity the scorecard selects (and `also`, when given).
    async fn score_all(&self, card: &Scorecard, also: Option<Predicate>) -> Result<Vec<Score>> {
        let filter = match (card.predicate()?, also) {
            (Some(a), Some(b)) => Some(Predicate::All(vec![a, b])),
            (a, b) => a.or(b),
        };
        let shared = Arc::new(card.clone());
        let mut scores = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .inner
                .store
                .query(&Query {
                    filter: filter.clone(),
                    limit: Some(MAX_LIMIT),
                    cursor,
                    ..Query::default()
                })
                .await?;
            let entities = page
                .items
                .into_iter()
                .map(serde_json::from_value::<Entity>)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| {
                    Error::store_msg(format!("a stored entity does not read back: {e}"))
                })?;
            // Owned captures: futures that borrow `self` trip the `Send`
            // proof of the streams' higher-ranked lifetimes.
            let page_scores: Vec<Score> = futures::stream::iter(entities)
                .map(|e| {
                    let inner = self.inner.clone();
                    let card = shared.clone();
                    async move { score_entity(&inner, &card, &e).await }
                })
                .buffered(SCORED_IN_FLIGHT)
                .try_collect()
                .await?;
            scores.extend(page_scores);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(scores)
    }
}

/// A predicate that matches one entity by ref.
fn ref_predicate(r: &crate::model::EntityRef) -> Predicate {
    Predicate::All(vec![
        Predicate::Eq {
            key: "kind".into(),
            value: r.kind.clone(),
        },
        Predicate::Eq {
            key: "metadata.namespace".into(),
            value: r.namespace.clone(),
        },
        Predicate::Eq {
            key: "metadata.name".into(),
            value: r.name.clone(),
        },
    ])
}

/// A scorecard's filter as the user wrote it.
fn filter_text(card: &Scorecard) -> String {
    if card.filter.is_empty() {
        "(every entity)".to_string()
    } else {
        card.filter.join(" OR ")
    }
}

/// One entity on one scorecard: each rule reviewed as the entity is.
async fn score_entity(inner: &Inner, card: &Scorecard, entity: &Entity) -> Result<Score> {
    let actor = inner.actor.as_str();
    // Built once: every rule reviews the same item.
    let item = crate::pipeline::item_as_is(entity, actor);
    let policies = inner.policies.current(inner.store.as_ref()).await?;
    let mut rules = Vec::new();
    for level in &card.levels {
        for policy in &level.rules {
            let decision = policies
                .review(&item, actor, Some(policy))
                .await?
                .decisions
                .into_iter()
                .next();
            rules.push(match decision {
                None => RuleScore {
                    level: level.name.clone(),
                    policy: policy.clone(),
                    status: RuleStatus::NotApplicable,
                    violations: Vec::new(),
                    failure: None,
                    description: None,
                },
                Some(d) => RuleScore {
                    level: level.name.clone(),
                    policy: policy.clone(),
                    status: if d.verdict == Verdict::Deny {
                        RuleStatus::Failed
                    } else {
                        RuleStatus::Passed
                    },
                    violations: d.violations,
                    failure: d.failure,
                    description: d.description,
                },
            });
        }
    }
    Ok(Score::new(
        card,
        entity.entity_ref().to_string(),
        item.facets.owner,
        rules,
    ))
}
