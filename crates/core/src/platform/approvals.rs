//! [`Approvals`]: changes held for approval, and deciding them (see
//! [`crate::approval`]).

use std::sync::Arc;

use serde_json::json;

use super::Inner;
use std::collections::HashMap;

use crate::access::{Identity, actor_key};
use crate::approval::{
    self, APPLIED, APPROVED, Approval, ApprovalStatus, HeldChange, HeldResource, REJECTED,
    REQUESTED, STALE, STEPS, TERMINAL,
};
use crate::audit::AuditRecord;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::pipeline::{self, Effect, WriteOptions};
use crate::policy::Approved;
use crate::resource::ResourceOptions;
use crate::resource::state::Goal;
use crate::store::{AuditOnly, Change, Guard};

/// The held changes of a platform.
#[derive(Clone)]
pub struct Approvals {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Approvals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Approvals")
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalFilter {
    /// Only requests in this state (none: all).
    pub status: Option<ApprovalStatus>,
    /// At most this many, newest first (default 50).
    pub limit: Option<usize>,
}

/// Requests read per page while listing.
const LIST_PAGE: usize = 200;

/// The most records of one request (it has a handful).
const REQUEST_RECORDS: usize = 1_000;

/// The default number of requests listed.
pub const DEFAULT_APPROVALS: usize = 50;

impl Approvals {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Requests, newest first.
    pub async fn list(&self, filter: &ApprovalFilter) -> Result<Vec<Approval>> {
        let limit = filter.limit.unwrap_or(DEFAULT_APPROVALS);
        let now = crate::audit::now();
        let mut out = Vec::new();
        let mut before = None;
        while out.len() < limit {
            // A page of requests, then every later step of those requests
            // in one read: two reads a page, whatever its size.
            let page = self
                .inner
                .store
                .audit_by_action(REQUESTED, before, LIST_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            before = Some(last.seq);
            let subjects: Vec<String> = page.iter().map(|r| r.subject.to_lowercase()).collect();
            let mut steps: HashMap<String, Vec<AuditRecord>> = HashMap::new();
            for step in self.inner.store.audit_about_many(&subjects, &STEPS).await? {
                steps
                    .entry(step.subject.to_lowercase())
                    .or_default()
                    .push(step);
            }
            for (requested, subject) in page.into_iter().zip(subjects) {
                let mut records = steps.remove(&subject).unwrap_or_default();
                records.push(requested);
                let Some((approval, _)) = approval::read(&records, &now) else {
                    continue;
                };
                if filter.status.is_none_or(|s| s == approval.status) {
                    out.push(approval);
                    if out.len() == limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// One request.
    pub async fn get(&self, id: &str) -> Result<Approval> {
        Ok(self.load(id).await?.0)
    }

    /// Approve a request as the actor of `opts`: a member of the approver
    /// groups of at least one binding that held it, and not its requester.
    /// Once every binding is approved, the held ChangeSet is written as it
    /// was reviewed (`stale`, and a `CONFLICT` error, when an entity changed
    /// since). A dry run checks everything and writes nothing.
    pub async fn approve(
        &self,
        id: &str,
        comment: Option<&str>,
        opts: &WriteOptions,
    ) -> Result<Approval> {
        let actor = pipeline::check_actor(opts.actor.as_deref().unwrap_or(&self.inner.actor))?;
        let (approval, held) = self.load_open(id).await?;
        if actor_key(&actor) == actor_key(&approval.requested_by) {
            return Err(refused(format!(
                "{actor} asked for this change and cannot approve it; a member of {} can",
                waiting_groups(&approval)
            )));
        }
        let me = Identity::resolve(self.inner.store.as_ref(), &actor).await?;
        let mine: Vec<String> = approval
            .waiting()
            .filter(|r| r.approvers.iter().any(|g| me.groups.contains(g)))
            .map(|r| r.policy.clone())
            .collect();
        if mine.is_empty() {
            return Err(refused(format!(
                "{actor} is not a member of {}, which approve{} what is still waiting ({})",
                waiting_groups(&approval),
                if approval.waiting().count() == 1 {
                    "s"
                } else {
                    ""
                },
                approval
                    .waiting()
                    .map(|r| r.policy.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let complete = approval.waiting().all(|r| mine.contains(&r.policy));
        if complete
            && let [
                HeldChange::Resources {
                    goal,
                    targets,
                    planned,
                },
            ] = held.as_slice()
        {
            let plan = HeldPlan {
                goal: *goal,
                targets,
                planned,
            };
            return self.approve_plan(approval, mine, comment, plan, opts).await;
        }
        let mut records = vec![approved_step(&approval.id, &mine, comment)];
        let (changes, action) = if complete {
            records.push(step(APPLIED, &approval.id, json!({ "id": approval.id })));
            (self.changes_of(held)?, approval.action.as_str())
        } else {
            (Vec::new(), "")
        };
        let effect = effect("approval.approve", &approval.id);
        let written = self
            .decide(effect.clone(), changes, records, action, &approval, opts)
            .await;
        match written {
            Err(conflict @ Error::Conflict { .. }) => {
                let stale = stale_step(&approval.id, &conflict);
                self.decide(effect, Vec::new(), vec![stale], "", &approval, opts)
                    .await?;
                return Err(conflict);
            }
            Err(e) => return Err(e),
            // The commit wrote exactly the reviewed plan (it fails otherwise),
            // so the request's `changes` say what was done.
            Ok(()) => {}
        }
        self.get(&approval.id).await
    }

    /// The last approval of a held resource plan: the plan is made again
    /// (stale, and `CONFLICT`, unless it is the one reviewed), the request
    /// is marked applied (guarded: one approver wins), then the plan runs as
    /// its requester asked, the approved policies' denials lifted. A dry run
    /// stops before marking it.
    async fn approve_plan(
        &self,
        approval: Approval,
        mine: Vec<String>,
        comment: Option<&str>,
        plan: HeldPlan<'_>,
        opts: &WriteOptions,
    ) -> Result<Approval> {
        let as_requester = ResourceOptions {
            actor: Some(approval.requested_by.clone()),
            dry_run: opts.dry_run,
            parallelism: None,
        };
        let approved = Approved {
            id: approval.id.clone(),
            policies: approval.required.iter().map(|r| r.policy.clone()).collect(),
        };
        let effect = effect("approval.approve", &approval.id);
        let prepared = match super::resources::plan_approved(
            &self.inner,
            plan.goal,
            plan.targets,
            plan.planned,
            &approved,
            &as_requester,
        )
        .await
        {
            Err(conflict @ Error::Conflict { .. }) => {
                let stale = stale_step(&approval.id, &conflict);
                self.decide(effect, Vec::new(), vec![stale], "", &approval, opts)
                    .await?;
                return Err(conflict);
            }
            other => other?,
        };
        let records = vec![
            approved_step(&approval.id, &mine, comment),
            step(APPLIED, &approval.id, json!({ "id": approval.id })),
        ];
        self.decide(effect, Vec::new(), records, "", &approval, opts)
            .await?;
        if !opts.dry_run {
            let report =
                super::resources::run_approved(&self.inner, prepared, &as_requester).await?;
            if let Some((resource, why)) = report.first_failure() {
                return Err(Error::invalid(Diagnostic::error(
                    "resource",
                    format!(
                        "approval {} ran the plan it held, but {resource} was not done: {why} (`paved resource history` and the audit log tell the rest)",
                        approval.id
                    ),
                )));
            }
        }
        self.get(&approval.id).await
    }

    /// Reject a request as the actor of `opts` (an approver of any binding
    /// that held it, or the requester withdrawing it). Nothing of the change
    /// is written. A dry run checks and writes nothing.
    pub async fn reject(
        &self,
        id: &str,
        reason: Option<&str>,
        opts: &WriteOptions,
    ) -> Result<Approval> {
        let actor = pipeline::check_actor(opts.actor.as_deref().unwrap_or(&self.inner.actor))?;
        let (approval, _) = self.load_open(id).await?;
        if actor_key(&actor) != actor_key(&approval.requested_by) {
            let me = Identity::resolve(self.inner.store.as_ref(), &actor).await?;
            let approver = approval
                .required
                .iter()
                .any(|r| r.approvers.iter().any(|g| me.groups.contains(g)));
            if !approver {
                return Err(refused(format!(
                    "{actor} is neither the requester nor a member of {}; only they can reject it",
                    all_groups(&approval)
                )));
            }
        }
        let record = step(
            REJECTED,
            &approval.id,
            json!({ "id": approval.id, "reason": reason }),
        );
        self.decide(
            effect("approval.reject", &approval.id),
            Vec::new(),
            vec![record],
            "",
            &approval,
            opts,
        )
        .await?;
        self.get(&approval.id).await
    }

    async fn decide(
        &self,
        effect: Effect,
        changes: Vec<Change>,
        records: Vec<AuditOnly>,
        action: &str,
        approval: &Approval,
        opts: &WriteOptions,
    ) -> Result<()> {
        let guard = Guard {
            subject: approval::subject_of(&approval.id),
            actions: TERMINAL.iter().map(|a| a.to_string()).collect(),
            refusal: format!("approval {} was decided meanwhile", approval.id),
        };
        pipeline::decide(
            &self.inner.context().await?,
            effect,
            changes,
            records,
            action,
            guard,
            opts,
        )
        .await
    }

    /// The held changes as the store commits them, each entity validated
    /// again (the record is data from the store, read back).
    fn changes_of(&self, held: Vec<HeldChange>) -> Result<Vec<Change>> {
        held.into_iter()
            .map(|h| match h {
                HeldChange::Upsert {
                    entity,
                    location,
                    expected_etag,
                } => {
                    let (entity, _) = crate::ingest::load_one(entity, &self.inner.kinds)?;
                    Ok(Change::Upsert {
                        entity: Box::new(pipeline::prepare(entity, location)),
                        expected_etag: Some(expected_etag),
                    })
                }
                HeldChange::Delete {
                    entity_ref,
                    expected_etag,
                } => Ok(Change::Delete {
                    entity_ref: super::parse_ref(&entity_ref)?,
                    expected_etag: Some(expected_etag),
                }),
                // A held plan is approved through `approve_plan`, never here.
                HeldChange::Resources { .. } => Err(Error::invalid(Diagnostic::error(
                    "approval",
                    "a held resource plan is not a catalogue change",
                ))),
            })
            .collect()
    }

    async fn load(&self, id: &str) -> Result<(Approval, Vec<HeldChange>)> {
        let id = id.trim().trim_start_matches("approval:");
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(Diagnostic::error(
                "id",
                format!(
                    "'{id}' is not an approval id: expected the id a held change reported, such as 4f1c2a9b7e01"
                ),
            )));
        }
        self.load_subject(&approval::subject_of(id))
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::NotFound {
                    what: "approval",
                    id: id.to_string(),
                    hint: None,
                },
                other => other,
            })
    }

    async fn load_subject(&self, subject: &str) -> Result<(Approval, Vec<HeldChange>)> {
        let records = self
            .inner
            .store
            .audit_about(&subject.to_ascii_lowercase(), REQUEST_RECORDS)
            .await?;
        approval::read(&records, &crate::audit::now()).ok_or_else(|| Error::NotFound {
            what: "approval",
            id: subject.trim_start_matches("approval:").to_string(),
            hint: None,
        })
    }

    /// A request that can still be approved or rejected.
    async fn load_open(&self, id: &str) -> Result<(Approval, Vec<HeldChange>)> {
        let (approval, held) = self.load(id).await?;
        if approval.is_open() {
            return Ok((approval, held));
        }
        let when = match approval.status {
            ApprovalStatus::Expired => format!("at {}", approval.expires_at),
            _ => format!(
                "by {} at {}",
                approval.decided_by.as_deref().unwrap_or("?"),
                approval.decided_at.as_deref().unwrap_or("?")
            ),
        };
        Err(Error::invalid(Diagnostic::error(
            "approval",
            format!(
                "approval {} is {} ({when}): it can no longer be approved or rejected; nothing was written (make the change again to ask anew)",
                approval.id, approval.status
            ),
        )))
    }
}

/// An approval step's audit record.
fn step(action: &str, id: &str, details: serde_json::Value) -> AuditOnly {
    AuditOnly {
        action: action.to_string(),
        subject: approval::subject_of(id),
        details,
        event: action.to_string(),
    }
}

/// The record of an approval by the policies `mine`.
fn approved_step(id: &str, mine: &[String], comment: Option<&str>) -> AuditOnly {
    step(
        APPROVED,
        id,
        json!({ "id": id, "policies": mine, "comment": comment }),
    )
}

/// The record of a request found stale: `conflict` says what changed.
fn stale_step(id: &str, conflict: &Error) -> AuditOnly {
    step(
        STALE,
        id,
        json!({
            "id": id,
            "error": format!("{conflict}: it changed after the request was reviewed; nothing was written (make the change again to ask anew)"),
        }),
    )
}

/// A held resource plan, as the request keeps it.
struct HeldPlan<'a> {
    goal: Goal,
    targets: &'a [String],
    planned: &'a [HeldResource],
}

/// What the pipeline's checks see of an approval step.
fn effect(action: &str, id: &str) -> Effect {
    Effect {
        action: action.to_string(),
        subject: approval::subject_of(id),
    }
}

fn refused(message: String) -> Error {
    Error::Denied {
        by: "approval".into(),
        message,
        decisions: Vec::new(),
    }
}

fn waiting_groups(approval: &Approval) -> String {
    approval::approvers_of(approval.waiting()).join(" or ")
}

fn all_groups(approval: &Approval) -> String {
    approval::approvers_of(&approval.required).join(" or ")
}
