//! Scorecards on a platform, on SQLite and PostgreSQL, with native
//! guardrails so each verdict is exact: an entity's levels and what to fix
//! next, rules that do not apply, a team's entities, snapshots recorded in
//! the audit log and read back as the team's trend, dry runs that write
//! nothing, and bad scorecards refused when the platform opens.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{RuleStatus, SNAPSHOT_ACTION, Scorecard};
use crate::error::{Error, Result};
use crate::pipeline::WriteOptions;
use crate::platform::{Platform, StoreSpec};
use crate::plugin::{Change, Guardrail, GuardrailInfo, Review, Verdict, Violation};
use crate::policy::Binding;
use crate::store::conformance::common::PgTestDb;

/// Denies an entity that lacks a field under `metadata`.
struct Requires(&'static str);

#[async_trait::async_trait]
impl Guardrail for Requires {
    fn name(&self) -> &str {
        self.0
    }
    async fn describe(&self) -> Result<GuardrailInfo> {
        Ok(GuardrailInfo {
            name: self.0.into(),
            version: "1.0.0".into(),
            description: format!("requires metadata.{}", self.0),
            settings_schema: json!({}),
            capabilities: Vec::new(),
        })
    }
    async fn validate_settings(&self, _settings: &Value) -> Result<()> {
        Ok(())
    }
    async fn review(&self, change: &Change, _settings: Option<&Value>) -> Result<Review> {
        let after = change.after.as_ref().unwrap_or(&Value::Null);
        if after["metadata"].get(self.0).is_some() {
            return Ok(Review::allow());
        }
        Ok(Review {
            verdict: Verdict::Deny,
            violations: vec![Violation {
                path: format!("metadata.{}", self.0),
                message: format!("add metadata.{}", self.0),
            }],
            patch: None,
        })
    }
}

fn binding(name: &str, guardrail: &str, kinds: &[&str]) -> Binding {
    serde_json::from_value(json!({
        "name": name, "guardrail": guardrail, "mode": "audit",
        "match": {"kinds": kinds},
    }))
    .unwrap()
}

fn card() -> Scorecard {
    serde_json::from_value(json!({
        "name": "readiness",
        "filter": ["kind=component"],
        "levels": [
            {"name": "bronze", "rules": ["described"]},
            {"name": "silver", "rules": ["tagged", "apis-titled"]},
            {"name": "gold", "rules": ["titled"]},
        ],
    }))
    .unwrap()
}

fn component(name: &str, owner: &str, metadata: Value) -> Value {
    let mut m = metadata;
    m["name"] = json!(name);
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": m,
           "spec": {"type": "service", "lifecycle": "production", "owner": owner}})
}

async fn platform(spec: StoreSpec) -> Platform {
    let p = Platform::builder()
        .store(spec)
        .guardrail(Arc::new(Requires("description")))
        .guardrail(Arc::new(Requires("tags")))
        .guardrail(Arc::new(Requires("title")))
        .policies([
            binding("described", "description", &["Component"]),
            binding("tagged", "tags", &["Component"]),
            // Matches no component: never applies to them.
            binding("apis-titled", "title", &["API"]),
            binding("titled", "title", &["Component"]),
        ])
        .scorecards([card()])
        .build()
        .await
        .unwrap();
    for e in [
        component("bare", "team-a", json!({})),
        component("described", "team-a", json!({"description": "d"})),
        component(
            "tagged",
            "team-a",
            json!({"description": "d", "tags": ["x"]}),
        ),
        component(
            "complete",
            "team-b",
            json!({"description": "d", "tags": ["x"], "title": "Complete"}),
        ),
    ] {
        p.catalog()
            .upsert(e, None, &WriteOptions::default())
            .await
            .unwrap();
    }
    p
}

async fn scores_teams_and_trends(spec: StoreSpec) {
    let p = platform(spec).await;
    let s = p.scorecards();
    assert_eq!(s.list(), vec![card()]);

    let bare = s.score("component:default/bare", None).await.unwrap();
    assert_eq!(bare.len(), 1);
    let bare = &bare[0];
    assert_eq!(
        (bare.level.as_deref(), bare.next_level.as_deref()),
        (None, Some("bronze"))
    );
    assert_eq!(bare.owner.as_deref(), Some("group:default/team-a"));
    let described = &bare.rules[0];
    assert_eq!(described.status, RuleStatus::Failed);
    assert_eq!(described.violations[0].path, "metadata.description");
    assert_eq!(
        bare.rules[2].status,
        RuleStatus::NotApplicable,
        "{:?}",
        bare.rules[2]
    );
    assert_eq!((bare.passed, bare.applicable), (0, 3));

    let tagged = &s
        .score("component:default/tagged", Some("readiness"))
        .await
        .unwrap()[0];
    assert_eq!(tagged.level.as_deref(), Some("silver"));
    assert_eq!(tagged.next_level.as_deref(), Some("gold"));
    let complete = &s.score("component:default/complete", None).await.unwrap()[0];
    assert_eq!(
        (complete.level.as_deref(), complete.next_level.as_deref()),
        (Some("gold"), None)
    );
    assert_eq!(complete.percent, 100);

    // A group is not a component: no scorecard selects it, and naming the
    // scorecard says why.
    p.catalog()
        .upsert(
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}}),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        s.score("group:default/team-a", None)
            .await
            .unwrap()
            .is_empty()
    );
    let err = s
        .score("group:default/team-a", Some("readiness"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not score group:default/team-a"),
        "{err}"
    );
    let err = s
        .score("component:default/bare", Some("nope"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err}");
    let err = s
        .score("component:default/missing", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err}");

    let team = &s.team("group:default/team-a", None).await.unwrap()[0];
    assert_eq!((team.entities, team.below), (3, 1));
    let counts: Vec<usize> = team.levels.iter().map(|l| l.entities).collect();
    assert_eq!(counts, [1, 1, 0]);
    assert_eq!(team.scores[0].entity, "component:default/bare");

    // A dry run scores and writes nothing; a real run records one snapshot
    // per scorecard and team, under the actor given.
    let before = p.audit().list(None, Some(10_000)).await.unwrap().len();
    let dry = s
        .record(None, &WriteOptions::default().dry_run())
        .await
        .unwrap();
    assert_eq!(dry.len(), 2);
    assert!(dry.iter().all(|d| d.id.is_none()));
    assert_eq!(
        p.audit().list(None, Some(10_000)).await.unwrap().len(),
        before
    );
    let first = s
        .record(None, &WriteOptions::actor("user:default/scorer"))
        .await
        .unwrap();
    let teams: Vec<&str> = first.iter().map(|t| t.score.team.as_str()).collect();
    assert_eq!(teams, ["group:default/team-a", "group:default/team-b"]);
    assert!(first.iter().all(|t| t.id.is_some() && t.at.is_some()));

    // team-a improves; the next snapshot shows it, newest first.
    p.catalog()
        .upsert(
            component("bare", "team-a", json!({"description": "now"})),
            None,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    s.record(Some("readiness"), &WriteOptions::default())
        .await
        .unwrap();
    let history = s.history("group:default/team-a", None, None).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].score.below, history[1].score.below), (0, 1));
    assert!(history[0].id > history[1].id);
    assert_eq!(
        s.history("group:default/team-a", Some("readiness"), Some(1))
            .await
            .unwrap()
            .len(),
        1
    );
    let records = p.audit().list(None, Some(10_000)).await.unwrap();
    let snapshots: Vec<_> = records
        .iter()
        .filter(|r| r.action == SNAPSHOT_ACTION)
        .collect();
    assert_eq!(snapshots.len(), 4);
    assert_eq!(snapshots[0].actor, "user:default/scorer");
    assert!(p.audit().verify().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn scores_teams_and_trends_on_sqlite() {
    scores_teams_and_trends(StoreSpec::Memory).await;
}

#[tokio::test]
async fn scores_teams_and_trends_on_postgres() {
    let db = PgTestDb::create().await;
    scores_teams_and_trends(StoreSpec::Postgres(db.url())).await;
}

#[tokio::test]
async fn a_scorecard_naming_an_unknown_policy_is_refused_at_open() {
    let mut bad = card();
    bad.levels[0].rules = vec!["described".into(), "no-such-rule".into()];
    let err = Platform::builder()
        .store(StoreSpec::Memory)
        .guardrail(Arc::new(Requires("description")))
        .policies([binding("described", "description", &["Component"])])
        .scorecards([bad])
        .build()
        .await
        .unwrap_err();
    let Error::Invalid { diagnostics } = &err else {
        panic!("{err}")
    };
    assert!(
        diagnostics
            .iter()
            .any(|d| d.path == "scorecards[0].levels[0].rules[1]"
                && d.message
                    .contains("no policy named 'no-such-rule' (policies: described)")),
        "{diagnostics:?}"
    );
}
