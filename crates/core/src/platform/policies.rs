//! [`Policies`]: the bindings a platform reviews writes with, the decisions
//! they made, and a way to try a change against them without writing.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Inner, parse_ref};
use crate::audit::{AuditRecord, DEFAULT_LIMIT};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::plugin::Operation;
use crate::policy::{
    Binding, Case, CaseChange, DECISION_ACTION, Decision, Point, PolicyTestReport,
};

/// The policies of a platform.
#[derive(Clone)]
pub struct Policies {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Policies")
    }
}

/// Which recorded decisions to list. Every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionFilter {
    /// Decisions about this entity (a ref) or resource (`type/name`, in
    /// every environment, or `type/name@env`).
    #[serde(default)]
    pub subject: Option<String>,
    /// Decisions of this policy (binding name).
    #[serde(default)]
    pub policy: Option<String>,
    /// Decisions on changes asked for by this actor.
    #[serde(default)]
    pub actor: Option<String>,
    /// Decisions about what this team owns (a group ref; a bare name is a
    /// group in the default namespace).
    #[serde(default)]
    pub team: Option<String>,
    /// Only denials that blocked a change.
    #[serde(default)]
    pub blocking: bool,
    /// At most this many, newest first (default [`DEFAULT_LIMIT`]).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A decision and what it means, in words a developer can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    pub decision: Decision,
    pub explanation: String,
}

/// Audit records read per page when scanning for decisions.
const SCAN_PAGE: usize = 5000;

/// The most records of one entity read when listing its decisions.
const ENTITY_RECORDS: usize = 100_000;

impl Policies {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The bindings in force, in review order: `paved.yaml`'s, then the
    /// catalogue's Policy entities (named by their refs).
    pub async fn list(&self) -> Result<Vec<Binding>> {
        let set = self
            .inner
            .policies
            .current(self.inner.store.as_ref())
            .await?;
        Ok(set.bindings().cloned().collect())
    }

    /// Review an entity (as an upsert would write it) with every matching
    /// binding and return every decision, plain allows included. Writes
    /// nothing and records nothing.
    pub async fn evaluate(&self, entity: Value, actor: Option<&str>) -> Result<Vec<Decision>> {
        let actor = crate::pipeline::check_actor(actor.unwrap_or(self.inner.actor.as_str()))?;
        crate::pipeline::evaluate(&self.inner.context().await?, entity, &actor).await
    }

    /// Run the policy test files under `path` (a directory of
    /// `*.test.yaml` files, or one file): each case's change is reviewed by
    /// the bindings as a write of it would be, and its verdict compared
    /// with the one the case expects. Writes and records nothing. A test
    /// file that does not load is a `VALIDATION` error naming its file,
    /// line and field; a case that fails is in the report, not an error.
    pub async fn test(&self, path: &Path) -> Result<PolicyTestReport> {
        let ctx = self.inner.context().await?;
        let names: Vec<&str> = ctx.policies.bindings().map(|b| b.name.as_str()).collect();
        let cases = crate::policy::fixtures_load(path, &names, ctx.kinds)?;
        let mut results = Vec::with_capacity(cases.len());
        for case in cases {
            let (access, reviewed) = review_case(&ctx, &case, &self.inner.actor).await;
            results.push(case.judge(access, reviewed));
        }
        let passed = results.iter().filter(|c| c.passed).count();
        Ok(PolicyTestReport {
            failed: results.len() - passed,
            passed,
            cases: results,
        })
    }

    /// One recorded decision, by id (its audit record's seq), with its
    /// explanation ([`Decision::explain`]).
    pub async fn why(&self, id: u64) -> Result<Explained> {
        let not_found = || Error::NotFound {
            what: "decision",
            id: id.to_string(),
            hint: None,
        };
        let decision = self
            .inner
            .store
            .audit_records(id.saturating_sub(1), 1)
            .await?
            .first()
            .filter(|r| r.seq == id)
            .and_then(decision_of)
            .ok_or_else(not_found)?;
        Ok(Explained {
            explanation: decision.explain(),
            decision,
        })
    }

    /// Recorded decisions, newest first. With a `subject` that is an entity
    /// ref, only that entity's records are read; otherwise the whole audit
    /// log is read, a page at a time, keeping the newest `limit` matches.
    pub async fn decisions(&self, filter: &DecisionFilter) -> Result<Vec<Decision>> {
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
        let entity = match filter.subject.as_deref().filter(|s| s.contains(':')) {
            Some(subject) => Some(parse_ref(subject)?),
            None => None,
        };
        let subject = entity
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| filter.subject.clone());
        // As relations key owners: a bare name is a group in the default namespace.
        let team = filter.team.as_deref().map(crate::policy::owner_key);
        let keep = |d: &Decision| {
            subject.as_ref().is_none_or(|s| same_subject(&d.subject, s))
                && filter.policy.as_ref().is_none_or(|p| d.policy == *p)
                && filter.actor.as_ref().is_none_or(|a| d.actor == *a)
                && team.as_ref().is_none_or(|t| d.owner.as_ref() == Some(t))
                && (!filter.blocking || d.blocking)
        };
        if let Some(entity) = entity {
            let records = self.inner.store.audit_for(&entity, ENTITY_RECORDS).await?;
            return Ok(records
                .iter()
                .filter_map(decision_of)
                .filter(|d| keep(d))
                .take(limit)
                .collect());
        }
        let mut found = Vec::new();
        let mut after = 0;
        loop {
            let page = self.inner.store.audit_records(after, SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            found.extend(page.iter().filter_map(decision_of).filter(|d| keep(d)));
            if found.len() > limit {
                found.drain(..found.len() - limit);
            }
        }
        found.reverse();
        Ok(found)
    }
}

/// Whether a decision about `subject` is one about `wanted`: the same
/// subject, or, for a resource asked for as `type/name`, that resource in any
/// environment (`type/name@env`).
fn same_subject(subject: &str, wanted: &str) -> bool {
    subject == wanted
        || (!wanted.contains(['@', ':'])
            && subject
                .strip_prefix(wanted)
                .is_some_and(|env| env.starts_with('@')))
}

/// What one policy test case gets: the access rules' answer when it tests
/// them, and the bindings' decisions when it expects a verdict. An entity
/// case is put to them as a write of it, a resource case as the provider
/// call.
async fn review_case(
    ctx: &crate::pipeline::Context<'_>,
    case: &Case,
    actor: &str,
) -> (
    Option<Result<crate::policy::AccessAnswer>>,
    Option<Result<Vec<Decision>>>,
) {
    let only = case.policy.as_deref();
    let actor = case.actor.as_deref().unwrap_or(actor);
    let item = match &case.change {
        CaseChange::Entity { before, after } => crate::pipeline::change_item(
            case.point,
            before.as_deref(),
            after.as_deref().cloned(),
            actor,
        ),
        CaseChange::Resource {
            address,
            before,
            after,
            monthly_cost,
        } => {
            let operation = match case.point {
                Point::ResourceDestroy => Operation::Delete,
                Point::ResourceImport => Operation::Import,
                _ if before.is_some() => Operation::Update,
                _ => Operation::Create,
            };
            let mut item = crate::pipeline::resource_item(
                case.point,
                operation,
                address,
                before.clone(),
                after.clone(),
            );
            item.change.monthly_cost = *monthly_cost;
            item
        }
    };
    let access = match case.access {
        Some(_) => Some(crate::pipeline::access_answer(ctx, &item, actor).await),
        None => None,
    };
    let reviewed = match (case.expected, &case.change) {
        (None, _) => None,
        (Some(_), CaseChange::Entity { .. }) => {
            Some(crate::pipeline::review_entity_item(ctx, &item, only, actor).await)
        }
        (Some(_), CaseChange::Resource { .. }) => {
            Some(crate::pipeline::review_resource(ctx, item, only, actor).await)
        }
    };
    (access, reviewed)
}

/// The decision an audit record holds, with its id.
fn decision_of(record: &AuditRecord) -> Option<Decision> {
    if record.action != DECISION_ACTION {
        return None;
    }
    let mut d: Decision = serde_json::from_value(record.details.clone()).ok()?;
    d.id = Some(record.seq);
    Some(d)
}

/// A bad decision id from a front.
pub fn parse_decision_id(id: &str) -> Result<u64> {
    id.trim().parse().map_err(|_| {
        Error::invalid(Diagnostic::error(
            "id",
            format!("invalid decision id '{id}': expected a number (the `id` of a decision)"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::same_subject;

    #[test]
    fn a_resource_asked_for_by_type_and_name_matches_it_in_every_environment() {
        assert!(same_subject(
            "local.directory/notes@prod",
            "local.directory/notes"
        ));
        assert!(same_subject(
            "local.directory/notes",
            "local.directory/notes"
        ));
        assert!(same_subject(
            "local.directory/notes@prod",
            "local.directory/notes@prod"
        ));
        assert!(!same_subject(
            "local.directory/notes@prod",
            "local.directory/notes@dev"
        ));
        assert!(!same_subject(
            "local.directory/notes-2@prod",
            "local.directory/notes"
        ));
        assert!(!same_subject("component:default/a", "component:default/ab"));
    }
}
