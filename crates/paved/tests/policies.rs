//! Policy bindings in the one pipeline (`paved_core::policy`), with native
//! guardrails so each behaviour is exact: every write operation is reviewed
//! and an enforcing deny blocks it (nothing written but the decision), audit
//! and warn modes record without blocking, a failing guardrail denies unless
//! its binding fails open, patches are applied and validated again, bindings
//! match by point, kind, owner and label, decisions are recorded with ids
//! that `why` explains, and bad bindings are refused when the platform opens.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    Recorder, component, entity_count, reviewed_write_operations, seed_resources, stores,
    test_state_key, upsert, write,
};
use paved::plugins::{Change, Guardrail, GuardrailInfo, Review, Verdict, Violation};
use paved::{Binding, DecisionFilter, Error, Mode, Platform, StoreSpec, WriteOptions};
use serde_json::{Value, json};

/// What a test guardrail answers.
#[derive(Clone)]
enum Answer {
    /// Deny when `spec.owner` is missing or "nobody" (and any non-entity change).
    RequireOwner,
    Deny,
    /// Fail as a broken plugin would.
    Fail,
    /// Allow, with a patch adding a label.
    PatchLabel,
    /// Allow, with a patch that breaks the entity.
    PatchBreak,
    /// Allow, with a patch that applies only on top of `PatchLabel`'s (a
    /// JSON Patch `test` of its label, then a label of its own).
    PatchAfterLabel,
}

struct Rule {
    name: &'static str,
    answer: Answer,
    calls: AtomicUsize,
}

fn rule(name: &'static str, answer: Answer) -> Arc<Rule> {
    Arc::new(Rule {
        name,
        answer,
        calls: AtomicUsize::new(0),
    })
}

fn deny(path: &str, message: &str) -> Review {
    Review {
        verdict: Verdict::Deny,
        violations: vec![Violation {
            path: path.into(),
            message: message.into(),
        }],
        patch: None,
    }
}

#[async_trait::async_trait]
impl Guardrail for Rule {
    fn name(&self) -> &str {
        self.name
    }
    async fn describe(&self) -> paved::Result<GuardrailInfo> {
        Ok(serde_json::from_value(json!({
            "name": self.name, "version": "1.2.3", "description": "test rule",
            "settingsSchema": {}, "capabilities": []
        }))
        .unwrap())
    }
    async fn validate_settings(&self, settings: &Value) -> paved::Result<()> {
        if settings.get("bad").is_some() {
            return Err(Error::Plugin {
                plugin: self.name.into(),
                kind: paved::PluginErrorKind::Settings,
                message: "setting 'bad' is not allowed".into(),
            });
        }
        Ok(())
    }
    async fn review(&self, change: &Change, _settings: Option<&Value>) -> paved::Result<Review> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(match self.answer {
            Answer::Deny => deny("", "no changes today"),
            Answer::Fail => {
                return Err(Error::Plugin {
                    plugin: self.name.into(),
                    kind: paved::PluginErrorKind::Timeout,
                    message: "deadline of 100 ms exceeded".into(),
                });
            }
            Answer::RequireOwner => {
                let owner = change
                    .after
                    .as_ref()
                    .or(change.before.as_ref())
                    .and_then(|d| d.pointer("/spec/owner"))
                    .and_then(Value::as_str);
                match owner {
                    Some(o) if o != "nobody" => Review::allow(),
                    _ => deny("spec.owner", "set spec.owner to the group that runs it"),
                }
            }
            Answer::PatchLabel => Review {
                verdict: Verdict::Allow,
                violations: vec![],
                patch: Some(json!([
                    {"op": "add", "path": "/metadata/labels", "value": {"reviewed": "yes"}}
                ])),
            },
            Answer::PatchAfterLabel => Review {
                verdict: Verdict::Allow,
                violations: vec![],
                patch: Some(json!([
                    {"op": "test", "path": "/metadata/labels/reviewed", "value": "yes"},
                    {"op": "add", "path": "/metadata/labels/second", "value": "yes"}
                ])),
            },
            Answer::PatchBreak => Review {
                verdict: Verdict::Allow,
                violations: vec![],
                patch: Some(json!([{"op": "remove", "path": "/metadata/name"}])),
            },
        })
    }
}

fn binding(name: &str, guardrail: &str, mode: Mode) -> Binding {
    serde_json::from_value(json!({"name": name, "guardrail": guardrail, "mode": mode})).unwrap()
}

/// A platform on a fresh SQLite file holding `component:default/existing`
/// (written before any binding), with these guardrails and bindings.
async fn platform(
    rules: &[Arc<Rule>],
    bindings: Vec<Binding>,
    provider: Arc<Recorder>,
) -> paved::Result<(Platform, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreSpec::Sqlite(dir.path().join("paved.db"));
    Ok((platform_on(store, rules, bindings, provider).await?, dir))
}

/// [`platform`] on `store`.
async fn platform_on(
    store: StoreSpec,
    rules: &[Arc<Rule>],
    bindings: Vec<Binding>,
    provider: Arc<Recorder>,
) -> paved::Result<Platform> {
    let seed = Platform::builder().store(store.clone()).build().await?;
    seed.catalog()
        .upsert(
            component("existing", "team-a"),
            None,
            &WriteOptions::default(),
        )
        .await?;
    drop(seed);
    seed_resources(&store).await;
    let mut builder = Platform::builder()
        .resources(test_state_key(&store))
        .store(store)
        .provider(provider)
        .actor("user:default/tester");
    for r in rules {
        builder = builder.guardrail(r.clone());
    }
    builder.policies(bindings).build().await
}

async fn actions(p: &Platform) -> Vec<String> {
    p.audit()
        .list(None, Some(10_000))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

#[tokio::test]
async fn an_enforcing_deny_blocks_every_write_operation_and_only_its_decision_is_recorded() {
    for (store, _pg, _dir) in stores().await {
        every_write_blocked(store).await;
    }
}

async fn every_write_blocked(store: StoreSpec) {
    let no = rule("no", Answer::Deny);
    let provider = Arc::new(Recorder::default());
    let p = platform_on(
        store,
        std::slice::from_ref(&no),
        vec![binding("freeze", "no", Mode::Enforce)],
        provider.clone(),
    )
    .await
    .unwrap();
    let writes = reviewed_write_operations();
    assert_eq!(writes.len(), 12, "{writes:?}");
    let seeded = actions(&p).await.len();
    let mut recorded = 0;
    for name in &writes {
        let err = write(&p, name, &WriteOptions::default())
            .await
            .expect_err(&format!("{name} passed an enforcing deny"));
        let Error::Denied { by, decisions, .. } = &err else {
            panic!("{name}: {err}");
        };
        assert_eq!(by, "policy freeze", "{name}");
        assert!(!decisions.is_empty(), "{name}: no decisions in the error");
        assert!(decisions.iter().all(|d| d.blocking && d.id.is_some()));
        assert!(err.details()["decisions"].is_array(), "{name}");
        recorded += decisions.len();
        // A golden path's preview is its dry run: blocked, with the
        // decisions, rather than refused.
        if *name == "paths.run" {
            let plan = p
                .paths()
                .dry_run("hello", json!({}), &Default::default())
                .await
                .unwrap();
            assert!(plan.blocked && plan.decisions.iter().all(|d| d.id.is_none()));
        }
        // A dry run is refused the same way and records nothing.
        if !name.starts_with("plugins.") && *name != "paths.run" {
            let err = write(&p, name, &WriteOptions::default().dry_run())
                .await
                .expect_err(name);
            assert_eq!(err.code(), "DENIED", "{name} dry run: {err}");
        }
    }
    assert_eq!(entity_count(&p).await, 5, "only the seeded entities");
    assert_eq!(provider.0.load(Ordering::SeqCst), 0, "a side effect ran");
    let acts = actions(&p).await;
    assert_eq!(acts[0], "entity.create", "the seed");
    assert!(
        acts[seeded..].iter().all(|a| a == paved::DECISION_ACTION),
        "{acts:?}"
    );
    assert_eq!(acts.len() - seeded, recorded, "one record per decision");
    assert!(p.audit().verify().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn audit_and_warn_modes_record_without_blocking() {
    let stores = stores().await;
    for (mode, (store, _, _)) in [Mode::Audit, Mode::Warn].into_iter().zip(&stores) {
        let no = rule("no", Answer::Deny);
        let provider = Arc::new(Recorder::default());
        let p = platform_on(
            store.clone(),
            std::slice::from_ref(&no),
            vec![binding("freeze", "no", mode)],
            provider.clone(),
        )
        .await
        .unwrap();
        for name in reviewed_write_operations() {
            write(&p, name, &WriteOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{mode:?} {name}: {e}"));
        }
        // plugins.apply, delete, import; resources.apply, destroy, import.
        assert_eq!(provider.0.load(Ordering::SeqCst), 6);
        let decisions = p
            .policies()
            .decisions(&DecisionFilter {
                policy: Some("freeze".into()),
                limit: Some(10_000),
                ..DecisionFilter::default()
            })
            .await
            .unwrap();
        let writes = reviewed_write_operations().len();
        assert!(decisions.len() >= writes, "{mode:?}: {}", decisions.len());
        assert!(
            decisions
                .iter()
                .all(|d| d.verdict == Verdict::Deny && !d.blocking)
        );
        // A dry run shows the decisions it would record.
        let set = p
            .catalog()
            .upsert(
                component("preview", "team-a"),
                None,
                &WriteOptions::default().dry_run(),
            )
            .await
            .unwrap();
        assert_eq!(set.decisions.len(), 1, "{mode:?}");
        assert_eq!(set.decisions[0].mode, mode);
        assert!(set.decisions[0].id.is_none(), "a dry run records nothing");
    }
}

#[tokio::test]
async fn a_failing_guardrail_denies_unless_its_binding_fails_open() {
    let broken = rule("broken", Answer::Fail);
    let (p, _dir) = platform(
        std::slice::from_ref(&broken),
        vec![binding("strict", "broken", Mode::Enforce)],
        Arc::default(),
    )
    .await
    .unwrap();
    let err = write(&p, "catalog.upsert", &WriteOptions::default())
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        decisions[0]
            .failure
            .as_deref()
            .unwrap()
            .contains("deadline")
    );
    assert!(
        decisions[0].explain().contains("fails closed"),
        "{}",
        decisions[0].explain()
    );

    let mut open = binding("lenient", "broken", Mode::Enforce);
    open.failure = paved::Failure::Open;
    let (p, _dir) = platform(&[broken], vec![open], Arc::default())
        .await
        .unwrap();
    let set = p
        .catalog()
        .upsert(
            component("new-one", "team-a"),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(set.decisions.len(), 1, "the failure is reported");
    assert_eq!(set.decisions[0].verdict, Verdict::Allow);
    assert!(set.decisions[0].id.is_some(), "and recorded");
}

#[tokio::test]
async fn bindings_match_by_point_kind_owner_and_label() {
    let owner = rule("owner", Answer::RequireOwner);
    let bindings: Vec<Binding> = serde_json::from_value(json!([
        {"name": "owned-components", "guardrail": "owner",
         "match": {"operations": ["entity.create"], "kinds": ["component"], "owners": ["team-a"]}},
        {"name": "prod-only", "guardrail": "owner",
         "match": {"labels": {"tier": "prod"}}},
    ]))
    .unwrap();
    let (p, _dir) = platform(std::slice::from_ref(&owner), bindings, Arc::default())
        .await
        .unwrap();
    let c = p.catalog();
    let opts = WriteOptions::default();
    // Owned by team-a, created: reviewed by the first binding, allowed.
    c.upsert(component("a", "team-a"), None, &opts)
        .await
        .unwrap();
    assert_eq!(owner.calls.load(Ordering::SeqCst), 1);
    // Owned by someone else: the first binding does not match.
    c.upsert(component("b", "nobody"), None, &opts)
        .await
        .unwrap();
    assert_eq!(owner.calls.load(Ordering::SeqCst), 1);
    // An update does not match `entity.create`.
    let mut a = component("a", "team-a");
    a["metadata"]["description"] = json!("changed");
    c.upsert(a, None, &opts).await.unwrap();
    assert_eq!(owner.calls.load(Ordering::SeqCst), 1);
    // The label brings in the second binding, which denies "nobody".
    let mut prod = component("c", "nobody");
    prod["metadata"]["labels"] = json!({"tier": "prod"});
    let err = c.upsert(prod, None, &opts).await.unwrap_err();
    assert_eq!(err.code(), "DENIED", "{err}");
    assert!(err.to_string().contains("spec.owner"), "{err}");
}

/// Write `component:default/patched` with the default options.
async fn write_patched(p: &Platform) -> paved::Result<paved::ChangeSet> {
    upsert(p, component("patched", "team-a")).await
}

#[tokio::test]
async fn patches_are_applied_in_order_and_validated_again() {
    let label = rule("label", Answer::PatchLabel);
    let owner = rule("owner", Answer::RequireOwner);
    let after = rule("after", Answer::PatchAfterLabel);
    let (p, _dir) = platform(
        &[label.clone(), owner.clone(), after.clone()],
        vec![
            binding("add-label", "label", Mode::Enforce),
            binding("owner", "owner", Mode::Enforce),
            binding("second", "after", Mode::Enforce),
        ],
        Arc::default(),
    )
    .await
    .unwrap();
    let set = write_patched(&p).await.unwrap();
    assert!(
        set.decisions
            .iter()
            .any(|d| d.patched && d.policy == "add-label")
    );
    let got = p.catalog().get("component:default/patched").await.unwrap();
    assert_eq!(
        got.metadata.labels.get("reviewed").map(String::as_str),
        Some("yes")
    );
    // The second patch applied on top of the first (its `test` held).
    assert_eq!(
        got.metadata.labels.get("second").map(String::as_str),
        Some("yes")
    );
    assert_eq!(
        got.metadata.etag, set.changes[0].etag,
        "the etag is the patched entity's"
    );

    // In the other order the second patch meets the unpatched entity: its
    // `test` fails and nothing is written.
    let (p, _dir) = platform(
        &[label.clone(), after.clone()],
        vec![
            binding("second", "after", Mode::Enforce),
            binding("add-label", "label", Mode::Enforce),
        ],
        Arc::default(),
    )
    .await
    .unwrap();
    let err = write_patched(&p).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("policy 'second': the guardrail's patch cannot be applied"),
        "{err}"
    );
    assert_eq!(entity_count(&p).await, 5, "only the seeded entities");

    let breaker = rule("breaker", Answer::PatchBreak);
    let (p, _dir) = platform(
        std::slice::from_ref(&breaker),
        vec![binding("breaks", "breaker", Mode::Enforce)],
        Arc::default(),
    )
    .await
    .unwrap();
    let err = p
        .catalog()
        .upsert(component("x", "team-a"), None, &WriteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "VALIDATION", "{err}");
    assert!(
        err.to_string().contains("after policy 'breaks' patched it"),
        "{err}"
    );
    assert_eq!(entity_count(&p).await, 5, "only the seeded entities");
}

#[tokio::test]
async fn decisions_are_recorded_queryable_and_explained() {
    let owner = rule("owner", Answer::RequireOwner);
    let (p, _dir) = platform(
        std::slice::from_ref(&owner),
        vec![binding("needs-owner", "owner", Mode::Enforce)],
        Arc::default(),
    )
    .await
    .unwrap();
    let err = p
        .catalog()
        .upsert(
            component("orphan", "nobody"),
            None,
            &WriteOptions::actor("user:default/jane"),
        )
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = err else {
        panic!()
    };
    let id = decisions[0].id.unwrap();
    let why = p.policies().why(id).await.unwrap();
    assert_eq!(why.decision.subject, "component:default/orphan");
    assert_eq!(why.decision.actor, "user:default/jane");
    assert_eq!(why.decision.guardrail_version, "1.2.3");
    assert_eq!(why.decision.guardrail_digest, None, "a native guardrail");
    for part in [
        "needs-owner",
        "denied",
        "component:default/orphan",
        "spec.owner",
        "set spec.owner",
    ] {
        assert!(
            why.explanation.contains(part),
            "{part} not in: {}",
            why.explanation
        );
    }
    let by_subject = p
        .policies()
        .decisions(&DecisionFilter {
            subject: Some("component:orphan".into()),
            ..DecisionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(by_subject.len(), 1);
    assert_eq!(by_subject[0].id, Some(id));
    let by_actor = p
        .policies()
        .decisions(&DecisionFilter {
            actor: Some("user:default/someone-else".into()),
            ..DecisionFilter::default()
        })
        .await
        .unwrap();
    assert!(by_actor.is_empty());
    // By team: the owner of what the decision is about (a bare name is a group).
    assert_eq!(why.decision.owner.as_deref(), Some("group:default/nobody"));
    for (team, found) in [("nobody", 1), ("group:default/nobody", 1), ("team-a", 0)] {
        let by_team = p
            .policies()
            .decisions(&DecisionFilter {
                team: Some(team.into()),
                ..DecisionFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_team.len(), found, "team {team}");
    }
    // Not a decision: the seed's own record.
    assert_eq!(p.policies().why(1).await.unwrap_err().code(), "NOT_FOUND");
    // Evaluate reviews without writing, and shows plain allows too.
    let all = p
        .policies()
        .evaluate(component("fine", "team-a"), None)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].verdict, Verdict::Allow);
    assert_eq!(entity_count(&p).await, 5, "only the seeded entities");
}

#[tokio::test]
async fn bad_bindings_are_refused_when_the_platform_opens() {
    let owner = rule("owner", Answer::RequireOwner);
    let cases = [
        (
            json!({"name": "x", "guardrail": "missing"}),
            "policies[0].guardrail",
            "not one of the platform's guardrails",
        ),
        (
            json!({"name": "x"}),
            "policies[0].guardrail",
            "names no guardrail",
        ),
        (
            json!({"name": "x", "guardrail": "owner", "settings": {"bad": 1}}),
            "policies[0].settings",
            "rejected its settings",
        ),
    ];
    for (b, path, message) in cases {
        let b: Binding = serde_json::from_value(b).unwrap();
        let err = platform(std::slice::from_ref(&owner), vec![b], Arc::default())
            .await
            .map(drop)
            .unwrap_err();
        let Error::Invalid { diagnostics } = &err else {
            panic!("{err}")
        };
        assert_eq!(diagnostics[0].path, path, "{err}");
        assert!(diagnostics[0].message.contains(message), "{err}");
    }
    let twice = vec![
        binding("x", "owner", Mode::Enforce),
        binding("x", "owner", Mode::Audit),
    ];
    let err = platform(&[owner], twice, Arc::default())
        .await
        .map(drop)
        .unwrap_err();
    assert!(err.to_string().contains("declared twice"), "{err}");
}

#[tokio::test]
async fn a_rego_binding_in_paved_yaml_reviews_writes_with_opa_policies_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/rego");
    let config = dir.path().join("paved.yaml");
    std::fs::write(
        &config,
        format!(
            "policies:\n  - name: catalog-rules\n    rego:\n      policies: [{0}/catalog]\n      data: [{0}/data/lifecycles.json]\n    match: {{ kinds: [Component] }}\n",
            examples.display()
        ),
    )
    .unwrap();
    let p = paved::open(
        paved::OpenOptions::default()
            .store("sqlite::memory:")
            .config(&config),
    )
    .await
    .unwrap();
    assert_eq!(p.policies().list().await.unwrap()[0].name, "catalog-rules");
    let mut bad = component("no-lifecycle", "team-a");
    bad["spec"]["lifecycle"] = json!("someday");
    let err = p
        .catalog()
        .upsert(bad, None, &WriteOptions::default())
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(decisions[0].guardrail, "catalog-rules");
    assert!(err.to_string().contains("someday"), "{err}");
    // The decision names the code that made it: the digest of the policy's
    // modules and data, the same for the same files, another for others.
    let digest = decisions[0].guardrail_digest.clone().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 7 + 64,
        "{digest}"
    );
    let again = paved::open(
        paved::OpenOptions::default()
            .store("sqlite::memory:")
            .config(&config),
    )
    .await
    .unwrap();
    let decided = |p: Platform| async move {
        let mut fine = component("fine", "team-a");
        fine["spec"]["lifecycle"] = json!("someday");
        let decisions = p.policies().evaluate(fine, None).await.unwrap();
        decisions[0].guardrail_digest.clone()
    };
    assert_eq!(decided(again).await.as_deref(), Some(digest.as_str()));
    std::fs::write(
        &config,
        format!(
            "policies:\n  - name: catalog-rules\n    rego:\n      policies: [{0}/catalog]\n    match: {{ kinds: [Component] }}\n",
            examples.display()
        ),
    )
    .unwrap();
    let without_data = paved::open(
        paved::OpenOptions::default()
            .store("sqlite::memory:")
            .config(&config),
    )
    .await
    .unwrap();
    let other = decided(without_data).await.unwrap();
    assert_ne!(other, digest, "other data, another digest");
    p.catalog()
        .upsert(component("fine", "team-a"), None, &WriteOptions::default())
        .await
        .unwrap();
}

/// The example policies (`examples/policies/paved.yaml`: the Rego
/// `catalog-rules`, `resources-carry-cost-center`,
/// `production-databases-have-backups` and the scorecard's audit-mode rules)
/// on an in-memory store.
async fn example_policies() -> Platform {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    paved::open(
        paved::OpenOptions::default()
            .store("sqlite::memory:")
            .config(root.join("paved.yaml")),
    )
    .await
    .unwrap()
}

fn examples_dir(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies")
        .join(rel)
}

#[tokio::test]
async fn the_example_policy_tests_pass_and_record_nothing() {
    let p = example_policies().await;
    let report = p.policies().test(&examples_dir("tests")).await.unwrap();
    let failed: Vec<_> = report.cases.iter().filter(|c| !c.passed).collect();
    assert!(report.ok(), "failed cases: {failed:#?}");
    assert_eq!((report.passed, report.failed), (15, 0));
    let got: Vec<_> = report.cases.iter().map(|c| c.got).collect();
    use Verdict::{Allow, Deny, Warn};
    assert_eq!(
        got,
        [
            // catalog-rules
            Some(Allow),
            Some(Deny),
            Some(Warn),
            Some(Deny),
            Some(Allow),
            // the scorecard's rules: component-is-documented, -operable
            Some(Allow),
            Some(Deny),
            Some(Allow),
            Some(Deny),
            // production-databases-have-backups (resource cases)
            Some(Allow),
            Some(Deny),
            Some(Deny),
            Some(Deny),
            // resources-carry-cost-center
            Some(Allow),
            Some(Deny),
        ]
    );
    assert_eq!(
        report.cases[10].decisions[0].subject,
        "postgres.database/orders@prod"
    );
    assert_eq!(
        report.cases[10].decisions[0].violations[0].path,
        "backup.enabled"
    );
    assert!(
        report.cases[1].decisions[0].violations[0]
            .message
            .contains("\"retired\" is not one of")
    );
    assert!(report.cases[0].line > 0);
    assert!(p.audit().list(None, None).await.unwrap().is_empty());
}

const ORDERS: &str = "{ apiVersion: backstage.io/v1alpha1, kind: Component, metadata: { name: orders }, spec: { type: service, lifecycle: LIFECYCLE, owner: team-a } }";

#[tokio::test]
async fn a_policy_test_fails_when_the_verdict_or_a_violation_differs() {
    let p = example_policies().await;
    let dir = tempfile::tempdir().unwrap();
    let api = "{ apiVersion: backstage.io/v1alpha1, kind: API, metadata: { name: orders-api }, spec: { type: openapi, lifecycle: production, owner: team-a, definition: x } }";
    std::fs::write(
        dir.path().join("wrong.test.yaml"),
        format!(
            "policy: catalog-rules\ncases:\n  - name: wrong verdict\n    after: {}\n    expect: allow\n  - name: wrong violation\n    after: {}\n    expect: deny\n    violations: [no such text]\n  - name: not reviewed\n    after: {api}\n    expect: allow\n",
            ORDERS.replace("LIFECYCLE", "retired"),
            ORDERS.replace("LIFECYCLE", "retired"),
        ),
    )
    .unwrap();
    // Not a test file: ignored.
    std::fs::write(dir.path().join("notes.yaml"), "cases: oops\n").unwrap();
    let report = p.policies().test(dir.path()).await.unwrap();
    assert_eq!((report.passed, report.failed), (0, 3), "{report:#?}");
    let problems: Vec<_> = report
        .cases
        .iter()
        .map(|c| c.problems.join(" | "))
        .collect();
    assert!(
        problems[0].starts_with("expected allow, got deny"),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("\"retired\" is not one of"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("no violation mentions 'no such text'"),
        "{problems:?}"
    );
    assert!(
        problems[2].contains("no policy reviewed this change"),
        "{problems:?}"
    );
    assert_eq!(report.cases[0].line, 3);
    assert_eq!(report.cases[2].got, None);
}

#[tokio::test]
async fn a_broken_policy_test_file_is_refused_with_file_line_and_field() {
    let p = example_policies().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.test.yaml");
    std::fs::write(
        &file,
        format!(
            "policy: no-such-policy\ncases:\n  - name: bad entity\n    after: {}\n    expect: deny\n  - name: update without before\n    operation: entity.update\n    after: {}\n    expect: allow\n  - name: bad actor\n    actor: ada\n    after: {}\n    expect: allow\n",
            ORDERS.replace("LIFECYCLE", "production").replace("orders", "Not A Name!"),
            ORDERS.replace("LIFECYCLE", "production"),
            ORDERS.replace("LIFECYCLE", "production"),
        ),
    )
    .unwrap();
    let Err(Error::Invalid { diagnostics }) = p.policies().test(&file).await else {
        panic!("expected VALIDATION");
    };
    let shown: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            let l = d.location.as_ref().unwrap();
            format!(
                "{}:{} {}: {}",
                l.file.rsplit('/').next().unwrap(),
                l.line,
                d.path,
                d.message
            )
        })
        .collect();
    let has = |line: usize, path: &str, text: &str| {
        shown
            .iter()
            .any(|s| s.starts_with(&format!("broken.test.yaml:{line} {path}:")) && s.contains(text))
    };
    assert!(
        has(
            1,
            "policy",
            "no policy binding named 'no-such-policy' (bindings: catalog-rules, resources-carry-cost-center, production-databases-have-backups, component-is-documented, component-is-operable)"
        ),
        "{shown:#?}"
    );
    assert!(has(4, "cases[0].after.metadata.name", ""), "{shown:#?}");
    assert!(
        has(6, "cases[1].before", "entity.update needs `before`"),
        "{shown:#?}"
    );
    assert!(
        has(11, "cases[2].actor", "invalid actor 'ada'"),
        "{shown:#?}"
    );

    // Unknown fields and a missing directory are refused too.
    std::fs::write(&file, "cases:\n  - name: x\n    expect: maybe\n").unwrap();
    let Err(Error::Invalid { diagnostics }) = p.policies().test(&file).await else {
        panic!("expected VALIDATION");
    };
    assert_eq!(diagnostics[0].path, "cases[0].expect");
    assert_eq!(diagnostics[0].location.as_ref().unwrap().line, 3);
    let empty = tempfile::tempdir().unwrap();
    let Err(Error::Invalid { diagnostics }) = p.policies().test(empty.path()).await else {
        panic!("expected VALIDATION");
    };
    assert!(diagnostics[0].message.contains("no policy test files"));
    assert!(matches!(
        p.policies().test(&dir.path().join("missing")).await,
        Err(Error::Io { .. })
    ));
}

/// `$CARGO_TARGET_DIR` (relative to the repository), or the repository's
/// `target/`.
fn target_dir() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// Build the example plugins (wasm32-wasip2) as the plugin host's and the
/// CLI's tests do (`PAVED_PLUGINS_PREBUILT=1` skips the build); returns the
/// directory of their components.
fn example_plugins() -> std::path::PathBuf {
    let target = target_dir();
    if std::env::var_os("PAVED_PLUGINS_PREBUILT").is_none() {
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
                .arg("--manifest-path")
                .arg(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/Cargo.toml"),
                )
                .env("CARGO_TARGET_DIR", &target)
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .status()
                .expect("run cargo build for the example plugins");
        assert!(status.success(), "building examples/plugins failed");
    }
    target.join("wasm32-wasip2/release")
}

/// `examples/policies/plugins.yaml` (the wasm guardrails' bindings) on a
/// SQLite file holding the sample catalogue (imported before the bindings
/// apply). The file names the components where a build into the
/// repository's `target/` puts them; this reads it with that directory
/// replaced by where `example_plugins` built them, as its comments say.
async fn example_plugin_policies() -> (Platform, tempfile::TempDir) {
    const BUILT: &str = "../../target/wasm32-wasip2/release/";
    let text = std::fs::read_to_string(examples_dir("plugins.yaml")).unwrap();
    assert_eq!(text.matches(&format!("path: {BUILT}")).count(), 3);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plugins.yaml");
    let built = format!("{}/", example_plugins().display());
    std::fs::write(&config, text.replace(BUILT, &built)).unwrap();
    let store = format!("sqlite:{}", dir.path().join("paved.db").display());
    let seed = paved::open(paved::OpenOptions::default().store(&store))
        .await
        .unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalog");
    seed.catalog()
        .import(&[catalog], None, &WriteOptions::default())
        .await
        .unwrap();
    drop(seed);
    let p = paved::open(paved::OpenOptions::default().store(store).config(config))
        .await
        .unwrap();
    (p, dir)
}

/// Several bindings of one wasm guardrail that match a write are reviewed
/// in one `review-each` call, in one instance, whatever their settings; a
/// binding that patches the change makes the next ask again about the
/// patched change. (A patch between two bindings of one guardrail would
/// make the second ask again too: the bindings of each guardrail here
/// follow each other.)
#[tokio::test]
async fn the_bindings_of_one_wasm_guardrail_are_reviewed_in_one_call() {
    let built = example_plugins();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("paved.yaml");
    // JSON is YAML.
    let bind = |name: &str, guardrail: &str, settings: Value| {
        json!({"name": name, "guardrail": guardrail, "mode": "warn",
               "match": {"kinds": ["Component"]}, "settings": settings})
    };
    let remember = json!({"mode": "remember"});
    std::fs::write(
        &config,
        json!({
            "plugins": [
                {"name": "hostile", "path": built.join("hostile.wasm"), "kind": "guardrail"},
                {"name": "template", "path": built.join("paved_plugin_template.wasm"),
                 "kind": "guardrail"},
            ],
            "policies": [
                bind("first", "hostile", remember.clone()),
                bind("second", "hostile", json!({"mode": "remember", "bytes": 1})),
                bind("third", "hostile", remember),
                bind("labels", "template", json!({"minLength": 1})),
                bind("labels-again", "template", json!({"minLength": 2})),
            ],
        })
        .to_string(),
    )
    .unwrap();
    let store = format!("sqlite:{}", dir.path().join("paved.db").display());
    let p = paved::open(paved::OpenOptions::default().store(store).config(config))
        .await
        .unwrap();
    let mut entity = component("batched", "team-a");
    entity["metadata"]["description"] = json!("reviewed in one call");
    let set = upsert(&p, entity).await.unwrap();
    let said: Vec<(&str, &str, bool)> = set
        .decisions
        .iter()
        .map(|d| {
            let message = d.violations.first().map_or("", |v| v.message.as_str());
            (d.policy.as_str(), message, d.patched)
        })
        .collect();
    assert_eq!(
        said,
        [
            // One instance counted all three hostile reviews, the second
            // with settings of its own (reviewed alone, it would have had
            // a fresh instance: "event 1").
            ("first", "event 1 in this instance", false),
            ("second", "event 2 in this instance", false),
            ("third", "event 3 in this instance", false),
            // The template adds a `lifecycle` label to an entity without
            // labels. The one call answered both of its bindings about the
            // entity without labels; the second's answer (another patch)
            // was not used: asked again about the patched entity, it
            // allows without a patch, a decision with nothing to say (not
            // listed).
            ("labels", "", true),
        ]
    );
    let got = p.catalog().get("component:default/batched").await.unwrap();
    assert_eq!(got.metadata.labels["lifecycle"], "experimental");
}

#[tokio::test]
async fn the_example_plugin_bindings_pass_their_fixture_tests_and_review_writes() {
    let (p, _dir) = example_plugin_policies().await;
    let names: Vec<_> = p
        .policies()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(
        names,
        ["owners-exist", "names-follow-convention", "team-budgets"]
    );
    let records = p.audit().list(None, Some(10_000)).await.unwrap().len();
    let report = p
        .policies()
        .test(&examples_dir("plugin-tests"))
        .await
        .unwrap();
    let failed: Vec<_> = report.cases.iter().filter(|c| !c.passed).collect();
    assert!(report.ok(), "failed cases: {failed:#?}");
    assert_eq!((report.passed, report.failed), (17, 0));
    use Verdict::{Allow, Deny, Warn};
    let got: Vec<_> = report.cases.iter().map(|c| c.got).collect();
    assert_eq!(
        got,
        [
            // names-follow-convention
            Some(Allow),
            Some(Deny),
            Some(Allow),
            Some(Allow),
            Some(Deny),
            // owners-exist
            Some(Allow),
            Some(Deny),
            Some(Deny),
            Some(Deny),
            Some(Allow),
            Some(Allow),
            Some(Deny),
            // team-budgets
            Some(Allow),
            Some(Warn),
            Some(Deny),
            Some(Deny),
            Some(Allow),
        ]
    );
    assert_eq!(report.cases[1].decisions[0].guardrail, "naming-convention");
    // Nothing recorded by the tests.
    assert_eq!(
        p.audit().list(None, Some(10_000)).await.unwrap().len(),
        records
    );

    // A write gets what its fixture says.
    let err = p
        .catalog()
        .upsert(
            component("refunds", "team-ghost"),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::Denied { decisions, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(decisions[0].policy, "owners-exist");
    assert!(err.to_string().contains("team-ghost"), "{err}");
    upsert(&p, component("refunds", "team-payments"))
        .await
        .unwrap();
}
