use super::*;

fn card() -> Scorecard {
    serde_json::from_value(serde_json::json!({
        "name": "readiness",
        "filter": ["kind=component"],
        "levels": [
            {"name": "bronze", "rules": ["owner", "lifecycle"]},
            {"name": "silver", "rules": ["naming"]},
            {"name": "gold", "rules": ["docs"]},
        ],
    }))
    .unwrap()
}

fn rule(level: &str, policy: &str, status: RuleStatus) -> RuleScore {
    RuleScore {
        level: level.into(),
        policy: policy.into(),
        status,
        violations: Vec::new(),
        failure: None,
        description: None,
    }
}

#[test]
fn an_entity_reaches_the_levels_below_its_first_failed_rule() {
    use RuleStatus::*;
    let s = Score::new(
        &card(),
        "component:default/a".into(),
        None,
        vec![
            rule("bronze", "owner", Passed),
            rule("bronze", "lifecycle", NotApplicable),
            rule("silver", "naming", Failed),
            rule("gold", "docs", Passed),
        ],
    );
    assert_eq!(s.level.as_deref(), Some("bronze"));
    assert_eq!(s.next_level.as_deref(), Some("silver"));
    assert_eq!((s.passed, s.applicable, s.percent), (2, 3, 66));

    let none = Score::new(
        &card(),
        "component:default/b".into(),
        None,
        vec![
            rule("bronze", "owner", Failed),
            rule("gold", "docs", Passed),
        ],
    );
    assert_eq!(none.level, None);
    assert_eq!(none.next_level.as_deref(), Some("bronze"));

    let top = Score::new(&card(), "component:default/c".into(), None, vec![]);
    assert_eq!(top.level.as_deref(), Some("gold"));
    assert_eq!((top.next_level, top.percent), (None, 100));
}

#[test]
fn a_team_score_counts_its_entities_per_level() {
    use RuleStatus::*;
    let c = card();
    let scores = [
        Score::new(
            &c,
            "component:default/b".into(),
            None,
            vec![rule("bronze", "owner", Failed)],
        ),
        Score::new(
            &c,
            "component:default/a".into(),
            None,
            vec![rule("silver", "naming", Failed)],
        ),
        Score::new(
            &c,
            "component:default/c".into(),
            None,
            vec![rule("gold", "docs", Failed)],
        ),
    ];
    let team = TeamScore::new(&c, "group:default/t".into(), &scores);
    assert_eq!((team.entities, team.below), (3, 1));
    let counts: Vec<(&str, usize)> = team
        .levels
        .iter()
        .map(|l| (l.level.as_str(), l.entities))
        .collect();
    assert_eq!(counts, [("bronze", 1), ("silver", 1), ("gold", 0)]);
    assert_eq!(team.scores[0].entity, "component:default/a");
    assert_eq!((team.passed, team.applicable), (0, 3));
}

#[test]
fn bad_scorecards_are_refused_with_every_problem_and_its_path() {
    let mut twice = card();
    twice.levels[1].rules.push("no-such-policy".into());
    twice.filter = vec!["=component".into()];
    let mut empty = card();
    empty.levels.clear();
    let err = check(
        &[card(), twice, empty],
        &["owner", "lifecycle", "naming", "docs"],
    )
    .unwrap_err();
    let Error::Invalid { diagnostics } = err else {
        panic!("expected invalid, got {err:?}")
    };
    let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert!(paths.contains(&"scorecards[1].name"), "{paths:?}");
    assert!(paths.contains(&"scorecards[1].filter"), "{paths:?}");
    assert!(
        paths.contains(&"scorecards[1].levels[1].rules[1]"),
        "{paths:?}"
    );
    assert!(paths.contains(&"scorecards[2].levels"), "{paths:?}");
    let unknown = diagnostics
        .iter()
        .find(|d| d.path == "scorecards[1].levels[1].rules[1]")
        .unwrap();
    assert!(
        unknown.message.contains("no policy named 'no-such-policy'")
            && unknown.message.contains("naming"),
        "{}",
        unknown.message
    );
    check(&[card()], &["owner", "lifecycle", "naming", "docs"]).unwrap();
}
