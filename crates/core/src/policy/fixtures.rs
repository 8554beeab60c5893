//! Policy tests: files of changes and the verdict the policies must give
//! them (`paved policy test DIR`, as `opa test` and `kyverno test` run
//! theirs). A test file is any `*.test.yaml` / `*.test.yml` under the
//! directory:
//!
//! ```yaml
//! policy: require-owner          # optional: only this binding reviews the cases
//! cases:
//!   - name: a component with no owner is refused
//!     operation: entity.create   # default; entity.update and entity.delete too
//!     after: { apiVersion: backstage.io/v1alpha1, kind: Component, ... }
//!     expect: deny               # allow | warn | deny
//!     violations: [spec.owner]   # optional: each appears in a violation
//!   - name: a production database without backups is refused
//!     operation: resource.apply  # resource.destroy and resource.import too
//!     resource: { resourceType: postgres.database, name: orders, environment: prod,
//!                 owner: group:default/team-payments }
//!     after: { backup: { enabled: false } }   # the params asked for
//!     monthlyCost: 120           # optional: the provider's estimate
//!     expect: deny
//! ```
//!
//! A resource case is the change a provider call (`paved plugin apply`,
//! `delete`, `import`) puts to the bindings: the resource's address, and for
//! `resource.apply` its params (`after`; with `before`, the params it has
//! now, the change is an update).
//!
//! A case's verdict is the strictest of the decisions the bindings made,
//! whatever their mode, so an `audit` binding is tested like an enforcing
//! one; a case no binding reviewed has no verdict and fails.
//!
//! A case may test the platform's access rules too (or instead): with
//! `access: allow | deny` it says what they must answer for its `actor`
//! (required then), looked up in the platform's catalogue as a write's actor
//! is; `rule:` names what must deny it (a rule's name, `default` or
//! `unknown`). `expect` may then be left out:
//!
//! ```yaml
//! cases:
//!   - name: a logistics engineer may not delete a payments component
//!     operation: entity.delete
//!     actor: user:default/gustav.lind
//!     before: { apiVersion: backstage.io/v1alpha1, kind: Component, ... }
//!     access: deny
//!     rule: default
//! ```
//!
//! The two are judged apart: a write the access rules refuse never reaches
//! the policies, but a case may still say what the policies would answer.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::binding::Point;
use super::decision::Decision;
use crate::access::AccessEffect;
use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::model::schema::KindRegistry;
use crate::plugin::{ResourceAddress, Verdict};

/// What `paved policy test` found: each case, passed or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTestReport {
    pub cases: Vec<PolicyCaseResult>,
    pub passed: usize,
    pub failed: usize,
}

impl PolicyTestReport {
    /// Every case passed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}

/// One case of a policy test file, and what the policies made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyCaseResult {
    /// The test file, and the line the case starts on.
    pub file: String,
    pub line: usize,
    pub name: String,
    /// The policies' verdict the case expects (none: it tests access only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Verdict>,
    /// The strictest verdict of the decisions (none: no policy reviewed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got: Option<Verdict>,
    /// What the access rules must answer, if the case tests them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_access: Option<AccessEffect>,
    /// What they answered (with `expected_access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got_access: Option<AccessEffect>,
    /// What denied it, as a denial names it (`access rule 'NAME'`, `access
    /// default`, `access unknown`), and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_denied_by: Option<String>,
    pub passed: bool,
    /// Why it failed, one sentence each (empty when it passed).
    pub problems: Vec<String>,
    /// Every decision the bindings made, plain allows included.
    pub decisions: Vec<Decision>,
}

/// A test file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    policy: Option<String>,
    cases: Vec<CaseSpec>,
}

/// A case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    #[serde(default = "create")]
    operation: Point,
    #[serde(default)]
    actor: Option<String>,
    /// The provider-managed resource of a `resource.*` case.
    #[serde(default)]
    resource: Option<ResourceAddress>,
    #[serde(default)]
    before: Option<Value>,
    #[serde(default)]
    after: Option<Value>,
    /// The provider's estimate of the resource's monthly cost.
    #[serde(default, rename = "monthlyCost")]
    monthly_cost: Option<f64>,
    #[serde(default)]
    expect: Option<Verdict>,
    #[serde(default)]
    violations: Vec<String>,
    /// What the access rules must answer for `actor`.
    #[serde(default)]
    access: Option<AccessEffect>,
    /// What must deny it: a rule's name, `default` or `unknown`.
    #[serde(default)]
    rule: Option<String>,
}

fn create() -> Point {
    Point::EntityCreate
}

/// A case ready to review: its entities validated.
#[derive(Debug)]
pub(crate) struct Case {
    pub file: String,
    pub line: usize,
    pub name: String,
    /// Only this binding reviews it.
    pub policy: Option<String>,
    pub point: Point,
    pub actor: Option<String>,
    pub change: CaseChange,
    /// The policies' verdict expected (none: access only).
    pub expected: Option<Verdict>,
    pub violations: Vec<String>,
    /// The access rules' answer expected, and what must deny it.
    pub access: Option<(AccessEffect, Option<String>)>,
}

/// What the access rules answered a case: `Err((by, message))` when they
/// denied it.
pub(crate) type AccessAnswer = std::result::Result<(), (String, String)>;

/// What a case changes.
#[derive(Debug)]
pub(crate) enum CaseChange {
    /// A catalogue entity (`entity.*` points).
    Entity {
        before: Option<Box<Entity>>,
        after: Option<Box<Entity>>,
    },
    /// A provider-managed resource (`resource.*` points): its address, the
    /// params it has (`before`) and is asked for (`after`), and the
    /// provider's cost estimate.
    Resource {
        address: Box<ResourceAddress>,
        before: Option<Value>,
        after: Option<Value>,
        monthly_cost: Option<f64>,
    },
}

/// Whether a case must, may or must not give a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
    Refused,
}

impl Case {
    /// Judge what the access rules answered (when the case tests them) and
    /// the decisions the bindings made (when it expects a verdict; `Err`:
    /// the review itself failed, e.g. a patch left an invalid entity).
    pub(crate) fn judge(
        self,
        access: Option<Result<AccessAnswer>>,
        reviewed: Option<Result<Vec<Decision>>>,
    ) -> PolicyCaseResult {
        let mut problems = Vec::new();
        let (got_access, access_denied_by) = match access {
            None => (None, None),
            Some(Ok(Ok(()))) => (Some(AccessEffect::Allow), None),
            Some(Ok(Err((by, message)))) => {
                (Some(AccessEffect::Deny), Some(format!("{by}: {message}")))
            }
            Some(Err(e)) => {
                problems.push(format!("the access check failed: {e}"));
                (None, None)
            }
        };
        if let Some((expected, rule)) = &self.access
            && let Some(got) = got_access
        {
            if got != *expected {
                problems.push(format!(
                    "expected the access rules to {}, they {}{}",
                    access_word(*expected),
                    match got {
                        AccessEffect::Allow => "allowed it",
                        AccessEffect::Deny => "denied it",
                    },
                    access_denied_by
                        .as_ref()
                        .map(|by| format!(" ({by})"))
                        .unwrap_or_default()
                ));
            } else if let (Some(rule), Some(by)) = (rule, &access_denied_by)
                && !by.starts_with(&format!("access rule '{rule}':"))
                && !by.starts_with(&format!("access {rule}:"))
            {
                problems.push(format!("expected '{rule}' to deny it, but {by}"));
            }
        }
        let (decisions, failed) = match reviewed {
            None => (Vec::new(), None),
            Some(Ok(d)) => (d, None),
            Some(Err(e)) => (Vec::new(), Some(format!("the review failed: {e}"))),
        };
        let got = decisions.iter().map(|d| d.verdict).max();
        if let Some(expected) = self.expected {
            match (failed, got) {
                (Some(failed), _) => problems.push(failed),
                (None, None) => problems.push(format!(
                    "expected {}, but no policy reviewed this change (does a binding match {} of this {}?)",
                    word(expected),
                    self.point,
                    match self.change {
                        CaseChange::Entity { .. } => "entity",
                        CaseChange::Resource { .. } => "resource",
                    }
                )),
                (None, Some(v)) if v != expected => problems.push(format!(
                    "expected {}, got {}{}",
                    word(expected),
                    word(v),
                    said(&decisions)
                )),
                (None, Some(_)) => {}
            }
        }
        for wanted in &self.violations {
            let found = decisions
                .iter()
                .flat_map(|d| &d.violations)
                .any(|v| v.message.contains(wanted.as_str()) || v.path == *wanted);
            if !found {
                problems.push(format!(
                    "no violation mentions '{wanted}'{}",
                    said(&decisions)
                ));
            }
        }
        PolicyCaseResult {
            file: self.file,
            line: self.line,
            name: self.name,
            expected: self.expected,
            got,
            expected_access: self.access.as_ref().map(|(e, _)| *e),
            got_access,
            access_denied_by,
            passed: problems.is_empty(),
            problems,
            decisions,
        }
    }
}

fn access_word(e: AccessEffect) -> &'static str {
    match e {
        AccessEffect::Allow => "allow it",
        AccessEffect::Deny => "deny it",
    }
}

fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allow",
        Verdict::Warn => "warn",
        Verdict::Deny => "deny",
    }
}

/// What the decisions said, for a failure message.
fn said(decisions: &[Decision]) -> String {
    let violations: Vec<String> = decisions
        .iter()
        .flat_map(|d| {
            d.violations
                .iter()
                .map(move |v| format!("{}: {}", d.policy, v.message))
                .chain(d.failure.iter().map(move |f| format!("{}: {f}", d.policy)))
        })
        .collect();
    if violations.is_empty() {
        String::new()
    } else {
        format!(" ({})", violations.join("; "))
    }
}

/// Every case of every test file under `path` (a directory, or one file),
/// in file order. A file that does not parse, names an unknown binding or
/// holds an invalid entity is an error naming the file, line and field;
/// every such problem of every file is reported at once.
pub(crate) fn load(path: &Path, bindings: &[&str], kinds: &KindRegistry) -> Result<Vec<Case>> {
    let files = test_files(path)?;
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        match load_file(&file, bindings, kinds) {
            Ok(mut c) => cases.append(&mut c),
            Err(Error::Invalid { mut diagnostics }) => problems.append(&mut diagnostics),
            Err(e) => return Err(e),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(Error::Invalid {
            diagnostics: problems,
        })
    }
}

/// The test files under `path`: `*.test.yaml` and `*.test.yml`, sorted.
fn test_files(path: &Path) -> Result<Vec<PathBuf>> {
    let missing = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if !std::fs::metadata(path).map_err(missing)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let (files, failures) = crate::ingest::yaml_files(path);
    if let Some((dir, source)) = failures.into_iter().next() {
        return Err(Error::Io {
            path: dir.display().to_string(),
            source,
        });
    }
    let files: Vec<PathBuf> = files.into_iter().filter(|f| is_test_file(f)).collect();
    if files.is_empty() {
        return Err(Error::invalid(Diagnostic::error(
            "",
            format!(
                "no policy test files (*.test.yaml) under {}",
                path.display()
            ),
        )));
    }
    Ok(files)
}

fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

fn load_file(path: &Path, bindings: &[&str], kinds: &KindRegistry) -> Result<Vec<Case>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    let Some((spec, positions)) = crate::ingest::typed_document::<TestFile>(&text, &file)? else {
        return Err(Error::invalid(
            Diagnostic::error("", "empty policy test file: expected `cases:`")
                .at(at(&file, (0, 0))),
        ));
    };
    let locate = |p: &str| at(&file, positions.locate(p));
    let mut problems = Vec::new();
    if let Some(policy) = &spec.policy
        && !bindings.contains(&policy.as_str())
    {
        problems.push(
            Diagnostic::error(
                "policy",
                format!(
                    "no policy binding named '{policy}' (bindings: {})",
                    if bindings.is_empty() {
                        "none".to_string()
                    } else {
                        bindings.join(", ")
                    }
                ),
            )
            .at(locate("policy")),
        );
    }
    if spec.cases.is_empty() {
        problems.push(Diagnostic::error("cases", "no cases").at(locate("cases")));
    }
    let mut cases = Vec::new();
    for (i, case) in spec.cases.into_iter().enumerate() {
        let base = format!("cases[{i}]");
        let operation = case.operation;
        let resource_point = matches!(
            operation,
            Point::ResourceApply | Point::ResourceDestroy | Point::ResourceImport
        );
        // before, after, resource, monthlyCost.
        let needs = match operation {
            Point::EntityCreate => [Need::Refused, Need::Required, Need::Refused, Need::Refused],
            Point::EntityUpdate => [Need::Required, Need::Required, Need::Refused, Need::Refused],
            Point::EntityDelete => [Need::Required, Need::Refused, Need::Refused, Need::Refused],
            Point::ResourceApply => [
                Need::Optional,
                Need::Required,
                Need::Required,
                Need::Optional,
            ],
            Point::ResourceDestroy | Point::ResourceImport => {
                [Need::Refused, Need::Refused, Need::Required, Need::Optional]
            }
            // A run is reviewed with the Template as `after`.
            Point::PathRun => [Need::Refused, Need::Required, Need::Refused, Need::Refused],
        };
        let actor = match case.actor.as_deref().map(crate::pipeline::check_actor) {
            Some(Err(e)) => {
                let path = format!("{base}.actor");
                problems.push(Diagnostic::error(path.clone(), e.to_string()).at(locate(&path)));
                None
            }
            Some(Ok(a)) => Some(a),
            None => None,
        };
        if case.expect.is_none() && case.access.is_none() {
            problems.push(
                Diagnostic::error(
                    format!("{base}.expect"),
                    "give `expect` (what the policies must answer: allow, warn or deny), \
                     `access` (what the access rules must answer: allow or deny), or both",
                )
                .at(locate(&base)),
            );
        }
        if case.access.is_some() && case.actor.is_none() {
            problems.push(
                Diagnostic::error(
                    format!("{base}.actor"),
                    "an `access` case needs the `actor` the rules are asked about, \
                     e.g. user:default/jane",
                )
                .at(locate(&base)),
            );
        }
        if case.rule.is_some() && case.access != Some(AccessEffect::Deny) {
            let path = format!("{base}.rule");
            problems.push(
                Diagnostic::error(
                    path.clone(),
                    "`rule` names what denies the change (a rule's name, `default` or \
                     `unknown`): give it with `access: deny`",
                )
                .at(locate(&path)),
            );
        }
        // Whether a field is as the operation needs it (else a problem): a
        // required one given, a refused one not.
        let mut given = |field: &str, present: bool, need: Need, what: &str| {
            let path = format!("{base}.{field}");
            match (present, need) {
                (false, Need::Required) => {
                    problems.push(
                        Diagnostic::error(path, format!("{operation} needs `{field}` ({what})"))
                            .at(locate(&base)),
                    );
                    false
                }
                (true, Need::Refused) => {
                    let why = if !resource_point && matches!(field, "resource" | "monthlyCost") {
                        " (a resource case's operation is resource.apply, resource.destroy or resource.import)"
                    } else {
                        ""
                    };
                    problems.push(
                        Diagnostic::error(
                            path.clone(),
                            format!("{operation} has no `{field}`{why}"),
                        )
                        .at(locate(&path)),
                    );
                    false
                }
                (present, _) => present,
            }
        };
        let document = if resource_point {
            "the resource's params"
        } else {
            "an entity"
        };
        let resource_what = "the resource's resourceType, name, environment and owner";
        let keep = [
            given("before", case.before.is_some(), needs[0], document),
            given("after", case.after.is_some(), needs[1], document),
            given("resource", case.resource.is_some(), needs[2], resource_what),
            given(
                "monthlyCost",
                case.monthly_cost.is_some(),
                needs[3],
                "a number",
            ),
        ];
        let before = case.before.filter(|_| keep[0]);
        let after = case.after.filter(|_| keep[1]);
        let resource = case.resource.filter(|_| keep[2]);
        let monthly_cost = case.monthly_cost.filter(|_| keep[3]);
        let change = if resource_point {
            let Some(address) = resource else { continue };
            CaseChange::Resource {
                address: Box::new(address),
                before,
                after,
                monthly_cost,
            }
        } else {
            let mut entity = |field: &str, value: Option<Value>| {
                let path = format!("{base}.{field}");
                match crate::ingest::load_one(value?, kinds) {
                    Ok((e, _)) => Some(Box::new(e)),
                    Err(Error::Invalid { diagnostics }) => {
                        problems.extend(diagnostics.into_iter().map(|mut d| {
                            d.path = join(&path, &d.path);
                            let location = locate(&d.path);
                            d.at(location)
                        }));
                        None
                    }
                    Err(e) => {
                        problems
                            .push(Diagnostic::error(path.clone(), e.to_string()).at(locate(&path)));
                        None
                    }
                }
            };
            CaseChange::Entity {
                before: entity("before", before),
                after: entity("after", after),
            }
        };
        cases.push(Case {
            file: file.clone(),
            line: positions.locate(&base).0,
            name: case.name,
            policy: spec.policy.clone(),
            point: operation,
            actor,
            change,
            expected: case.expect,
            violations: case.violations,
            access: case.access.map(|a| (a, case.rule)),
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(Error::Invalid {
            diagnostics: problems,
        })
    }
}

fn join(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_string()
    } else if path.starts_with('[') {
        format!("{base}{path}")
    } else {
        format!("{base}.{path}")
    }
}

fn at(file: &str, (line, column): (usize, usize)) -> SourceLocation {
    SourceLocation {
        file: file.to_string(),
        document: 0,
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Vec<Case>> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.test.yaml");
        std::fs::write(&file, text).unwrap();
        load_file(&file, &["backups"], &KindRegistry::builtin())
    }

    /// Each problem as `line path: message`.
    fn problems(text: &str) -> Vec<String> {
        match load_text(text) {
            Err(Error::Invalid { diagnostics }) => diagnostics
                .iter()
                .map(|d| {
                    let line = d.location.as_ref().map_or(0, |l| l.line);
                    format!("{line} {}: {}", d.path, d.message)
                })
                .collect(),
            other => panic!("expected VALIDATION, got {other:?}"),
        }
    }

    #[test]
    fn a_resource_case_is_the_address_its_params_and_the_cost() {
        let cases = load_text(
            "policy: backups
cases:
  - name: apply
    operation: resource.apply
    resource: { resourceType: postgres.database, name: orders, environment: prod, owner: team-a }
    before: { backup: { enabled: true } }
    after: { backup: { enabled: false } }
    monthlyCost: 120.5
    expect: deny
  - name: destroy
    operation: resource.destroy
    resource: { resourceType: postgres.database, name: orders }
    expect: allow
",
        )
        .unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].point, Point::ResourceApply);
        let CaseChange::Resource {
            address,
            before,
            after,
            monthly_cost,
        } = &cases[0].change
        else {
            panic!("{:?}", cases[0].change)
        };
        assert_eq!(address.resource_type, "postgres.database");
        assert_eq!(address.environment.as_deref(), Some("prod"));
        assert_eq!(address.owner.as_deref(), Some("team-a"));
        assert_eq!(before.as_ref().unwrap()["backup"]["enabled"], true);
        assert_eq!(after.as_ref().unwrap()["backup"]["enabled"], false);
        assert_eq!(*monthly_cost, Some(120.5));
        let CaseChange::Resource {
            before,
            after,
            monthly_cost,
            ..
        } = &cases[1].change
        else {
            panic!("{:?}", cases[1].change)
        };
        assert_eq!((before, after, monthly_cost), (&None, &None, &None));
    }

    #[test]
    fn an_access_case_names_its_actor_and_a_rule_only_for_a_deny() {
        let shown = problems(
            "cases:
  - name: neither expect nor access
    operation: resource.destroy
    resource: { resourceType: t, name: n }
  - name: access without an actor
    operation: resource.destroy
    resource: { resourceType: t, name: n }
    access: allow
  - name: a rule for an allow
    operation: resource.destroy
    actor: user:default/jane
    resource: { resourceType: t, name: n }
    access: allow
    rule: owners
",
        );
        assert_eq!(
            shown,
            [
                "2 cases[0].expect: give `expect` (what the policies must answer: allow, warn or deny), `access` (what the access rules must answer: allow or deny), or both",
                "5 cases[1].actor: an `access` case needs the `actor` the rules are asked about, e.g. user:default/jane",
                "14 cases[2].rule: `rule` names what denies the change (a rule's name, `default` or `unknown`): give it with `access: deny`",
            ]
        );
        let cases = load_text(
            "cases:
  - name: fine
    operation: resource.destroy
    actor: user:default/jane
    resource: { resourceType: t, name: n }
    access: deny
    rule: default
",
        )
        .unwrap();
        assert_eq!(cases[0].expected, None);
        assert_eq!(
            cases[0].access,
            Some((AccessEffect::Deny, Some("default".to_string())))
        );
    }

    #[test]
    fn an_access_case_is_judged_by_the_answer_and_what_denied() {
        let case = |rule: Option<&str>| {
            let mut c = load_text(
                "cases:
  - name: c
    operation: resource.destroy
    actor: user:default/jane
    resource: { resourceType: t, name: n }
    access: deny
",
            )
            .unwrap()
            .remove(0);
            c.access = Some((AccessEffect::Deny, rule.map(str::to_string)));
            c
        };
        let denied = || {
            Some(Ok(Err((
                "access rule 'prod'".to_string(),
                "jane may not resource.destroy t/n: access rule 'prod' denies it".to_string(),
            ))))
        };
        let ok = case(Some("prod")).judge(denied(), None);
        assert!(ok.passed, "{:?}", ok.problems);
        assert_eq!(ok.got_access, Some(AccessEffect::Deny));
        let wrong_rule = case(Some("default")).judge(denied(), None);
        assert_eq!(
            wrong_rule.problems,
            [
                "expected 'default' to deny it, but access rule 'prod': jane may not resource.destroy t/n: access rule 'prod' denies it"
            ]
        );
        let allowed = case(None).judge(Some(Ok(Ok(()))), None);
        assert_eq!(
            allowed.problems,
            ["expected the access rules to deny it, they allowed it"]
        );
        let broken = case(None).judge(Some(Err(Error::store_msg("down"))), None);
        assert!(!broken.passed);
        assert!(
            broken.problems[0].starts_with("the access check failed"),
            "{:?}",
            broken.problems
        );
    }

    #[test]
    fn a_resource_case_gives_what_its_operation_needs_and_nothing_else() {
        let shown = problems(
            "cases:
  - name: no resource
    operation: resource.apply
    after: {}
    expect: allow
  - name: no params
    operation: resource.apply
    resource: { resourceType: t, name: n }
    expect: allow
  - name: params on destroy
    operation: resource.destroy
    resource: { resourceType: t, name: n }
    after: {}
    expect: allow
  - name: a resource on an entity case
    after: { apiVersion: backstage.io/v1alpha1, kind: Group, metadata: { name: g }, spec: { type: team, children: [] } }
    resource: { resourceType: t, name: n }
    monthlyCost: 3
    expect: allow
",
        );
        let via =
            " (a resource case's operation is resource.apply, resource.destroy or resource.import)";
        assert_eq!(
            shown,
            [
                "2 cases[0].resource: resource.apply needs `resource` (the resource's resourceType, name, environment and owner)".to_string(),
                "6 cases[1].after: resource.apply needs `after` (the resource's params)".into(),
                "13 cases[2].after: resource.destroy has no `after`".into(),
                format!("17 cases[3].resource: entity.create has no `resource`{via}"),
                format!("18 cases[3].monthlyCost: entity.create has no `monthlyCost`{via}"),
            ]
        );
        // The address is checked as a provider call's is.
        let shown = problems(
            "cases:
  - name: x
    operation: resource.import
    resource: { type: t, name: n }
    expect: allow
",
        );
        assert!(shown[0].starts_with("4 cases[0].resource"), "{shown:?}");
    }
}
