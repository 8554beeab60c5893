//! Approvals (`paved_core::approval`), on SQLite and on PostgreSQL: a change
//! an approval-asking policy denies is held (nothing but its decisions and
//! the request written), an approver who is not the requester applies
//! exactly the reviewed ChangeSet, a rejection or an expiry writes nothing,
//! a change made meanwhile makes the request stale, two bindings need two
//! approvals, and bad `approval` settings are refused when the platform
//! opens. Like every write, approving and rejecting pass the checks and the
//! actor check (the generic probes of `one_door.rs` cannot reach them: they
//! need a held change).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Fixed, Recorder, component, resource, stores};
use paved::checks::Check;
use paved::{
    ApprovalFilter, ApprovalStatus, Binding, ChangeSet, Error, Platform, ResourceOptions,
    StoreSpec, WriteOptions,
};
use serde_json::{Value, json};

/// Denies every change it reviews: the bindings' `match` decides which.
fn hold() -> Fixed {
    Fixed::deny(
        "hold",
        "metadata.labels",
        "this needs a second pair of eyes",
    )
}

/// A check that counts what it sees and refuses approval steps when told.
#[derive(Default)]
struct Gate {
    refuse_approvals: std::sync::atomic::AtomicBool,
    seen: AtomicUsize,
}

#[async_trait::async_trait]
impl Check for Gate {
    async fn check(&self, _actor: &str, set: &ChangeSet) -> paved::Result<()> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let approval_step = set
            .effects
            .iter()
            .any(|e| e.action.starts_with("approval."));
        if approval_step && self.refuse_approvals.load(Ordering::SeqCst) {
            return Err(Error::Denied {
                by: "gate".into(),
                message: "approvals are frozen".into(),
                decisions: Vec::new(),
            });
        }
        Ok(())
    }
}

fn binding(name: &str, label: &str, approvers: &[&str], ttl: &str) -> Binding {
    serde_json::from_value(json!({
        "name": name, "guardrail": "hold",
        "match": {"labels": {label: "yes"}},
        "approval": {"approvers": approvers, "ttl": ttl}
    }))
    .unwrap()
}

const SEED: &[(&str, &str, &[&str])] = &[
    ("Group", "leads", &["lead", "other-lead"]),
    ("Group", "finance", &["cfo"]),
    ("Group", "team-a", &["jane"]),
];

/// A platform on `store` with the org (jane in team-a; lead and other-lead
/// in leads; cfo in finance; bob in nothing), `component:default/existing`,
/// and two approval-asking bindings: label `critical` (leads approve) and
/// label `costly` (finance approves).
async fn platform(store: StoreSpec, gate: Arc<Gate>, ttl: &str) -> Platform {
    seed(&store).await;
    Platform::builder()
        .store(store)
        .guardrail(Arc::new(hold()))
        .check(gate)
        .policies([
            binding("critical-needs-a-lead", "critical", &["group:leads"], ttl),
            binding("costly-needs-finance", "costly", &["finance"], ttl),
        ])
        .build()
        .await
        .unwrap()
}

/// Write the org of [`SEED`], its users and `component:default/existing`.
async fn seed(store: &StoreSpec) {
    let seed = Platform::builder()
        .store(store.clone())
        .build()
        .await
        .unwrap();
    let mut entities = vec![component("existing", "team-a")];
    for (kind, name, members) in SEED {
        entities.push(json!({"apiVersion": "backstage.io/v1alpha1", "kind": kind,
            "metadata": {"name": name}, "spec": {"type": "team", "children": [], "members": members}}));
    }
    for user in ["jane", "lead", "other-lead", "cfo", "bob"] {
        entities.push(
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
            "metadata": {"name": user}, "spec": {"memberOf": []}}),
        );
    }
    for e in entities {
        seed.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
}

fn labelled(name: &str, labels: &[&str]) -> Value {
    let mut c = component(name, "team-a");
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|l| (l.to_string(), json!("yes")))
        .collect();
    c["metadata"]["labels"] = Value::Object(labels);
    c
}

fn as_(who: &str) -> WriteOptions {
    WriteOptions::actor(format!("user:default/{who}"))
}

/// Upsert as jane, which must be held; returns the request's id.
async fn held(p: &Platform, entity: Value) -> String {
    let err = p
        .catalog()
        .upsert(entity, None, &as_("jane"))
        .await
        .expect_err("an approval-asking policy denies it");
    let Error::PendingApproval {
        approval: Some(id),
        decisions,
        ..
    } = &err
    else {
        panic!("not held: {err}");
    };
    assert_eq!(err.code(), "PENDING_APPROVAL");
    assert!(decisions.iter().all(|d| d.blocking && d.id.is_some()));
    assert!(
        err.to_string()
            .contains(&format!("`paved approval approve {id}`")),
        "{err}"
    );
    id.clone()
}

async fn exists(p: &Platform, r: &str) -> bool {
    p.catalog().get(r).await.is_ok()
}

async fn audit_len(p: &Platform) -> usize {
    p.audit().list(None, Some(100_000)).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_change_is_written_as_reviewed_once_an_approver_approves() {
    for (store, _pg, _dir) in stores().await {
        let gate = Arc::new(Gate::default());
        let p = platform(store, gate.clone(), "24h").await;
        let before = audit_len(&p).await;

        // A dry run says it would be held, and holds nothing.
        let err = p
            .catalog()
            .upsert(
                labelled("orders", &["critical"]),
                None,
                &as_("jane").dry_run(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::PendingApproval { approval: None, approvers, .. } if approvers == &["group:default/leads"]),
            "{err}"
        );
        assert_eq!(audit_len(&p).await, before);

        let id = held(&p, labelled("orders", &["critical"])).await;
        assert!(!exists(&p, "component:default/orders").await);
        let acts: Vec<String> = p
            .audit()
            .list(Some(before as u64), None)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(acts, ["policy.decision", "approval.requested"]);

        let pending = p
            .approvals()
            .list(&ApprovalFilter {
                status: Some(ApprovalStatus::Pending),
                limit: None,
            })
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        let a = &pending[0];
        assert_eq!(
            (a.id.as_str(), a.requested_by.as_str()),
            (id.as_str(), "user:default/jane")
        );
        assert_eq!(a.changes[0].entity_ref, "component:default/orders");
        assert_eq!(a.required[0].policy, "critical-needs-a-lead");
        assert_eq!(a.decisions[0].violations[0].path, "metadata.labels");

        // Neither the requester nor a non-member may approve.
        for who in ["jane", "bob", "cfo"] {
            let err = p
                .approvals()
                .approve(&id, None, &as_(who))
                .await
                .unwrap_err();
            assert_eq!(err.code(), "DENIED", "{who}: {err}");
            assert!(err.to_string().contains("group:default/leads"), "{err}");
        }
        // The embedder's checks see approval steps like any write.
        gate.refuse_approvals.store(true, Ordering::SeqCst);
        let err = p
            .approvals()
            .approve(&id, None, &as_("lead"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("approvals are frozen"), "{err}");
        gate.refuse_approvals.store(false, Ordering::SeqCst);
        let err = p
            .approvals()
            .approve(&id, None, &WriteOptions::actor("lead"))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            "VALIDATION",
            "an actor that is not a ref: {err}"
        );
        // A dry run by an approver writes nothing.
        p.approvals()
            .approve(&id, None, &as_("lead").dry_run())
            .await
            .unwrap();
        assert!(!exists(&p, "component:default/orders").await);

        let done = p
            .approvals()
            .approve(&id, Some("looks right"), &as_("lead"))
            .await
            .unwrap();
        assert_eq!(done.status, ApprovalStatus::Applied);
        assert_eq!(done.decided_by.as_deref(), Some("user:default/lead"));
        assert_eq!(done.comment.as_deref(), Some("looks right"));
        let written = p.catalog().get("component:default/orders").await.unwrap();
        assert_eq!(written.metadata.labels["critical"], "yes");
        let last: Vec<(String, String)> = p
            .audit()
            .list(None, Some(100_000))
            .await
            .unwrap()
            .into_iter()
            .rev()
            .take(3)
            .map(|r| (r.action, r.actor))
            .collect();
        assert_eq!(
            last,
            [
                ("approval.applied".into(), "user:default/lead".into()),
                ("approval.approved".into(), "user:default/lead".into()),
                ("entity.create".into(), "user:default/lead".into()),
            ]
        );
        // Decided: no second approval, no rejection.
        for err in [
            p.approvals()
                .approve(&id, None, &as_("other-lead"))
                .await
                .unwrap_err(),
            p.approvals()
                .reject(&id, None, &as_("other-lead"))
                .await
                .unwrap_err(),
        ] {
            assert!(err.to_string().contains("is applied"), "{err}");
        }
        assert!(p.audit().verify().await.unwrap().broken.is_none());
        let err = p.approvals().get("0123456789ab").await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
        let err = p.approvals().get("../etc").await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_resource_plan_runs_once_as_reviewed_when_approved() {
    for (store, _pg, _dir) in stores().await {
        seed(&store).await;
        let provider = Arc::new(Recorder::default());
        let p = Platform::builder()
            .store(store)
            .guardrail(Arc::new(hold()))
            .provider(provider.clone())
            // A shared store needs a key to seal outputs with.
            .resources(paved::ResourceSettings {
                state_key: Some([7; 32]),
                ..paved::ResourceSettings::default()
            })
            .policies([serde_json::from_value::<Binding>(json!({
                "name": "dev-resources-need-a-lead", "guardrail": "hold",
                "match": {"operations": ["resource.apply"], "environments": ["dev"]},
                "approval": {"approvers": ["group:leads"]}
            }))
            .unwrap()])
            .build()
            .await
            .unwrap();
        p.catalog()
            .upsert(
                resource("db", Some(json!({"size": 1}))),
                None,
                &WriteOptions::default(),
            )
            .await
            .unwrap();
        let r = p.resources();
        let as_jane = ResourceOptions {
            actor: Some("user:default/jane".into()),
            ..ResourceOptions::default()
        };
        let target = ["resource:default/db".to_string()];
        let held_plan = |err: Error| match err {
            Error::PendingApproval {
                approval: Some(id), ..
            } => id,
            other => panic!("not held: {other}"),
        };

        // The plan says who would have to approve it.
        let plan = r.plan(&target, &as_jane).await.unwrap();
        assert!(plan.blocked);
        assert_eq!(plan.approvers, ["group:default/leads"]);
        // A dry run says it would be held; a real apply holds the plan and
        // calls no provider. Held twice: two requests for one plan.
        let dry = ResourceOptions {
            dry_run: true,
            ..as_jane.clone()
        };
        let err = r.apply(&target, &dry).await.unwrap_err();
        assert!(
            matches!(&err, Error::PendingApproval { approval: None, .. }),
            "{err}"
        );
        let first = held_plan(r.apply(&target, &as_jane).await.unwrap_err());
        let second = held_plan(r.apply(&target, &as_jane).await.unwrap_err());
        assert_eq!(provider.0.load(Ordering::SeqCst), 0);
        let a = p.approvals().get(&first).await.unwrap();
        assert_eq!(a.action, "resource.apply");
        assert_eq!(a.changes.len(), 1);
        assert_eq!(a.changes[0].entity_ref, "resource:default/db");
        assert_eq!(a.changes[0].action, Some(paved::Action::Create));

        // Not by the requester; a dry run by a lead runs nothing.
        let err = p
            .approvals()
            .approve(&first, None, &as_("jane"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "DENIED", "{err}");
        p.approvals()
            .approve(&first, None, &as_("lead").dry_run())
            .await
            .unwrap();
        assert_eq!(provider.0.load(Ordering::SeqCst), 0);

        // Approved: the plan runs once, as jane asked it, and the decision
        // says which approval let it through.
        let done = p
            .approvals()
            .approve(&first, Some("go"), &as_("lead"))
            .await
            .unwrap();
        assert_eq!(done.status, ApprovalStatus::Applied);
        assert_eq!(provider.0.load(Ordering::SeqCst), 1);
        let state = r.state("db").await.unwrap();
        assert_eq!(
            (state.version, state.actor.as_str()),
            (1, "user:default/jane")
        );
        let records = p.audit().list(None, Some(100_000)).await.unwrap();
        let applied = records
            .iter()
            .rev()
            .find(|x| x.action == "resource.apply")
            .expect("the provider call is audited");
        assert_eq!(applied.actor, "user:default/jane");
        let lifted = records
            .iter()
            .rev()
            .find(|x| x.action == "policy.decision")
            .unwrap();
        assert_eq!(lifted.details["approved"], first.as_str(), "{lifted:?}");
        assert_eq!(lifted.details["blocking"], false);
        // The resource's decisions, asked for by type and name (they are
        // recorded with its environment).
        let recorded = lifted.details["subject"].as_str().unwrap();
        let (type_and_name, env) = recorded.split_once('@').unwrap();
        assert_eq!(env, "dev");
        let about = p
            .policies()
            .decisions(&paved::DecisionFilter {
                subject: Some(type_and_name.to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            about
                .iter()
                .any(|d| d.approved.as_deref() == Some(first.as_str())),
            "{about:?}"
        );

        // The second request held the same plan, now out of date: stale,
        // and the provider is not called again.
        let err = p
            .approvals()
            .approve(&second, None, &as_("lead"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "CONFLICT", "{err}");
        assert!(err.to_string().contains("resource:default/db"), "{err}");
        assert_eq!(
            p.approvals().get(&second).await.unwrap().status,
            ApprovalStatus::Stale
        );
        assert_eq!(provider.0.load(Ordering::SeqCst), 1);
        // Params changed after the review (as a sensitive value would, which
        // the diff shows only as `(sensitive)`): stale too.
        let upsert_db = |size: i64| {
            let p = p.clone();
            async move {
                p.catalog()
                    .upsert(
                        resource("db", Some(json!({"size": size}))),
                        None,
                        &WriteOptions::default(),
                    )
                    .await
                    .unwrap();
            }
        };
        upsert_db(2).await;
        let third = held_plan(r.apply(&target, &as_jane).await.unwrap_err());
        upsert_db(3).await;
        let err = p
            .approvals()
            .approve(&third, None, &as_("lead"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "CONFLICT", "{err}");
        assert!(err.to_string().contains("with other changes"), "{err}");
        assert_eq!(provider.0.load(Ordering::SeqCst), 1);
        assert!(p.audit().verify().await.unwrap().broken.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_expiry_and_a_change_made_meanwhile_write_nothing() {
    for (store, _pg, _dir) in stores().await {
        let p = platform(store.clone(), Arc::new(Gate::default()), "24h").await;

        // A rejection by an approver: the held update is not written.
        p.catalog()
            .upsert(labelled("ledger", &[]), None, &WriteOptions::default())
            .await
            .unwrap();
        let ledger = p.catalog().get("component:default/ledger").await.unwrap();
        let id = held(&p, labelled("ledger", &["critical"])).await;
        let err = p
            .approvals()
            .reject(&id, None, &as_("bob"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "DENIED", "{err}");
        let r = p
            .approvals()
            .reject(&id, Some("not before the audit"), &as_("lead"))
            .await
            .unwrap();
        assert_eq!(r.status, ApprovalStatus::Rejected);
        assert_eq!(r.comment.as_deref(), Some("not before the audit"));
        assert_eq!(
            p.catalog()
                .get("component:default/ledger")
                .await
                .unwrap()
                .metadata
                .etag,
            ledger.metadata.etag
        );

        // Stale: the entity changes after the review; approving writes nothing.
        let id = held(&p, labelled("ledger", &["critical"])).await;
        let mut changed = labelled("ledger", &[]);
        changed["metadata"]["description"] = json!("changed meanwhile");
        p.catalog()
            .upsert(changed, None, &WriteOptions::default())
            .await
            .unwrap();
        let err = p
            .approvals()
            .approve(&id, None, &as_("lead"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "CONFLICT", "{err}");
        let a = p.approvals().get(&id).await.unwrap();
        assert_eq!(a.status, ApprovalStatus::Stale);
        assert!(a.comment.unwrap().contains("nothing was written"));
        let now = p.catalog().get("component:default/ledger").await.unwrap();
        assert!(!now.metadata.labels.contains_key("critical"));

        // The requester may withdraw.
        let id = held(&p, labelled("withdrawn", &["critical"])).await;
        let r = p.approvals().reject(&id, None, &as_("jane")).await.unwrap();
        assert_eq!(r.status, ApprovalStatus::Rejected);

        // Expiry: a request past its time-to-live cannot be approved.
        let short = platform(store, Arc::new(Gate::default()), "1s").await;
        let id = held(&short, labelled("late", &["critical"])).await;
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let a = short.approvals().get(&id).await.unwrap();
        assert_eq!(a.status, ApprovalStatus::Expired);
        let err = short
            .approvals()
            .approve(&id, None, &as_("lead"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is expired"), "{err}");
        assert!(!exists(&short, "component:default/late").await);
        let expired = short
            .approvals()
            .list(&ApprovalFilter {
                status: Some(ApprovalStatus::Expired),
                limit: None,
            })
            .await
            .unwrap();
        assert_eq!(expired.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_two_policies_hold_needs_both_approvals() {
    let dir = tempfile::tempdir().unwrap();
    let p = platform(
        StoreSpec::Sqlite(dir.path().join("paved.db")),
        Arc::new(Gate::default()),
        "24h",
    )
    .await;
    let id = held(&p, labelled("pricey", &["critical", "costly"])).await;
    let a = p
        .approvals()
        .approve(&id, None, &as_("lead"))
        .await
        .unwrap();
    assert_eq!(a.status, ApprovalStatus::Pending);
    assert_eq!(
        a.waiting().map(|r| r.policy.as_str()).collect::<Vec<_>>(),
        ["costly-needs-finance"]
    );
    // The same group cannot approve twice for the other.
    let err = p
        .approvals()
        .approve(&id, None, &as_("other-lead"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("group:default/finance"), "{err}");
    assert!(!exists(&p, "component:default/pricey").await);
    let a = p.approvals().approve(&id, None, &as_("cfo")).await.unwrap();
    assert_eq!(a.status, ApprovalStatus::Applied);
    assert!(exists(&p, "component:default/pricey").await);
}

#[tokio::test]
async fn bad_approval_settings_are_refused_when_the_platform_opens() {
    let cases = [
        (
            json!({"mode": "warn", "approval": {"approvers": ["leads"]}}),
            "policies[0].approval",
            "only an enforcing policy holds changes",
        ),
        (
            json!({"approval": {"approvers": []}}),
            "policies[0].approval.approvers",
            "names no approvers",
        ),
        (
            json!({"approval": {"approvers": ["user:default/jane"]}}),
            "policies[0].approval.approvers[0]",
            "is a user, expected a group",
        ),
        (
            json!({"approval": {"approvers": ["leads"], "ttl": "forever"}}),
            "policies[0].approval.ttl",
            "expected a whole number and a unit",
        ),
    ];
    for (extra, path, message) in cases {
        let mut b = json!({"name": "p", "guardrail": "hold"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let err = Platform::builder()
            .store(StoreSpec::Memory)
            .guardrail(Arc::new(hold()))
            .policies([serde_json::from_value::<Binding>(b).unwrap()])
            .build()
            .await
            .unwrap_err();
        let Error::Invalid { diagnostics } = &err else {
            panic!("{err}");
        };
        assert_eq!(diagnostics[0].path, path, "{err}");
        assert!(diagnostics[0].message.contains(message), "{err}");
    }
}
