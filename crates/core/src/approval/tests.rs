//! Unit tests: time-to-live parsing and reading a request's state.

use serde_json::json;

use super::state::{APPLIED, APPROVED, REJECTED, REQUESTED};
use super::*;
use crate::audit::AuditRecord;

#[test]
fn ttl_takes_a_number_and_a_unit() {
    assert_eq!(parse_ttl("30m").unwrap(), chrono::Duration::minutes(30));
    assert_eq!(parse_ttl("24h").unwrap(), chrono::Duration::hours(24));
    assert_eq!(parse_ttl(" 7d ").unwrap(), chrono::Duration::days(7));
    for (bad, why) in [
        ("24", "has no unit"),
        ("h", "does not start with a number"),
        ("3w", "has unit 'w'"),
        ("0s", "is zero"),
        ("91d", "longer than 90d"),
        ("99999999999999999999d", "does not start with a number"),
    ] {
        let e = parse_ttl(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
}

fn record(
    seq: u64,
    at: &str,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        seq,
        at: at.into(),
        actor: actor.into(),
        action: action.into(),
        subject: "approval:abc".into(),
        details,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn requested() -> AuditRecord {
    let req = Requested {
        id: "abc".into(),
        action: "entity.delete".into(),
        expires_at: "2026-12-05T10:00:00.000000Z".into(),
        required: vec![
            Requirement {
                policy: "prod-deletes".into(),
                approvers: vec!["group:default/leads".into()],
                approved_by: None,
                approved_at: None,
            },
            Requirement {
                policy: "costly".into(),
                approvers: vec!["group:default/finance".into()],
                approved_by: None,
                approved_at: None,
            },
        ],
        decisions: Vec::new(),
        held: vec![HeldChange::Delete {
            entity_ref: "component:default/orders".into(),
            expected_etag: "e1".into(),
        }],
    };
    record(
        7,
        "2026-12-04T10:00:00.000000Z",
        "user:default/jane",
        REQUESTED,
        serde_json::to_value(req).unwrap(),
    )
}

const BEFORE_EXPIRY: &str = "2026-12-04T12:00:00.000000Z";

#[test]
fn a_request_waits_for_every_binding_that_held_it() {
    let (a, held) = read(&[requested()], BEFORE_EXPIRY).unwrap();
    assert_eq!(a.status, ApprovalStatus::Pending);
    assert_eq!(a.requested_by, "user:default/jane");
    assert_eq!(a.waiting().count(), 2);
    assert_eq!(held.len(), 1);
    // What it changes is read from what it holds.
    assert_eq!(
        a.changes,
        [ApprovalChange {
            entity_ref: "component:default/orders".into(),
            outcome: crate::store::Outcome::Deleted,
            action: None,
        }]
    );
    assert_eq!(
        approvers_of(&a.required),
        ["group:default/finance", "group:default/leads"]
    );

    let approved = record(
        9,
        "2026-12-04T11:00:00.000000Z",
        "user:default/lead",
        APPROVED,
        json!({"id": "abc", "policies": ["prod-deletes"], "comment": "ok"}),
    );
    // Records come newest first from the store: order does not matter.
    let (a, _) = read(&[approved.clone(), requested()], BEFORE_EXPIRY).unwrap();
    assert_eq!(a.status, ApprovalStatus::Pending);
    assert_eq!(
        a.required[0].approved_by.as_deref(),
        Some("user:default/lead")
    );
    assert_eq!(
        a.waiting().map(|r| r.policy.as_str()).collect::<Vec<_>>(),
        ["costly"]
    );
    assert_eq!(a.comment.as_deref(), Some("ok"));

    let applied = record(
        10,
        "2026-12-04T11:30:00.000000Z",
        "user:default/cfo",
        APPLIED,
        json!({"id": "abc"}),
    );
    let (a, _) = read(&[applied, approved, requested()], BEFORE_EXPIRY).unwrap();
    assert_eq!(a.status, ApprovalStatus::Applied);
    assert_eq!(a.decided_by.as_deref(), Some("user:default/cfo"));
}

#[test]
fn expiry_and_rejection_end_a_request() {
    let (a, _) = read(&[requested()], "2026-12-05T10:00:00.000000Z").unwrap();
    assert_eq!(a.status, ApprovalStatus::Expired);

    let rejected = record(
        8,
        "2026-12-04T10:05:00.000000Z",
        "user:default/lead",
        REJECTED,
        json!({"id": "abc", "reason": "not now"}),
    );
    assert!(
        read(std::slice::from_ref(&rejected), BEFORE_EXPIRY).is_none(),
        "a request needs its approval.requested record"
    );
    // Rejected before it expired: rejected it stays, after the expiry too.
    let (a, _) = read(&[requested(), rejected], "2027-01-01T00:00:00Z").unwrap();
    assert_eq!(a.status, ApprovalStatus::Rejected);
    assert_eq!(a.comment.as_deref(), Some("not now"));
    assert!(state::expired("garbage", BEFORE_EXPIRY));
}

#[test]
fn a_held_resource_plan_reads_back_resource_by_resource() {
    use crate::resource::state::{Action, Goal};
    let mut details = requested().details;
    details["action"] = json!("resource.apply");
    details["held"] = serde_json::to_value([HeldChange::Resources {
        goal: Goal::Apply,
        targets: vec!["resource:default/db".into()],
        planned: vec![
            HeldResource {
                resource: "resource:default/db".into(),
                action: Action::Replace,
                diff: Vec::new(),
                prior_version: 3,
                params: String::new(),
            },
            HeldResource {
                resource: "resource:default/app".into(),
                action: Action::Create,
                diff: Vec::new(),
                prior_version: 0,
                params: String::new(),
            },
        ],
    }])
    .unwrap();
    let rec = record(
        7,
        "2026-12-04T10:00:00.000000Z",
        "user:default/jane",
        REQUESTED,
        details,
    );
    let (a, held) = read(&[rec], BEFORE_EXPIRY).unwrap();
    assert!(matches!(
        held.as_slice(),
        [HeldChange::Resources { goal: Goal::Apply, planned, .. }] if planned[0].prior_version == 3
    ));
    let changes: Vec<(&str, crate::store::Outcome, Option<Action>)> = a
        .changes
        .iter()
        .map(|c| (c.entity_ref.as_str(), c.outcome, c.action))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "resource:default/db",
                crate::store::Outcome::Updated,
                Some(Action::Replace)
            ),
            (
                "resource:default/app",
                crate::store::Outcome::Created,
                Some(Action::Create)
            ),
        ]
    );
}
