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
//! ```
//!
//! A case's verdict is the strictest of the decisions the bindings made,
//! whatever their mode, so an `audit` binding is tested like an enforcing
//! one; a case no binding reviewed has no verdict and fails.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::binding::Point;
use super::decision::Decision;
use crate::diagnostic::{Diagnostic, SourceLocation};
use crate::error::{Error, Result};
use crate::model::Entity;
use crate::model::schema::KindRegistry;
use crate::plugin::Verdict;

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
    pub expected: Verdict,
    /// The strictest verdict of the decisions (none: no policy reviewed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got: Option<Verdict>,
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
    #[serde(default)]
    before: Option<Value>,
    #[serde(default)]
    after: Option<Value>,
    expect: Verdict,
    #[serde(default)]
    violations: Vec<String>,
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
    pub before: Option<Entity>,
    pub after: Option<Entity>,
    pub expected: Verdict,
    pub violations: Vec<String>,
}

impl Case {
    /// Judge the decisions the bindings made on this case (`Err`: the
    /// review itself failed, e.g. a patch left an invalid entity).
    pub(crate) fn judge(self, reviewed: Result<Vec<Decision>>) -> PolicyCaseResult {
        let (decisions, mut problems) = match reviewed {
            Ok(d) => (d, Vec::new()),
            Err(e) => (Vec::new(), vec![format!("the review failed: {e}")]),
        };
        let got = decisions.iter().map(|d| d.verdict).max();
        if problems.is_empty() {
            match got {
                None => problems.push(format!(
                    "expected {}, but no policy reviewed this change (does a binding match {} of this entity?)",
                    word(self.expected),
                    self.point
                )),
                Some(v) if v != self.expected => problems.push(format!(
                    "expected {}, got {}{}",
                    word(self.expected),
                    word(v),
                    said(&decisions)
                )),
                Some(_) => {}
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
            passed: problems.is_empty(),
            problems,
            decisions,
        }
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
        let needs = match case.operation {
            Point::EntityCreate => (false, true),
            Point::EntityUpdate => (true, true),
            Point::EntityDelete => (true, false),
            other => {
                problems.push(
                    Diagnostic::error(
                        format!("{base}.operation"),
                        format!(
                            "policy tests cover entity.create, entity.update and entity.delete, not {other}"
                        ),
                    )
                    .at(locate(&format!("{base}.operation"))),
                );
                continue;
            }
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
        let mut entity = |field: &str, value: Option<Value>, needed: bool| {
            let path = format!("{base}.{field}");
            match (value, needed) {
                (Some(v), true) => match crate::ingest::load_one(v, kinds) {
                    Ok((e, _)) => Some(e),
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
                },
                (None, true) => {
                    problems.push(
                        Diagnostic::error(
                            path.clone(),
                            format!("{} needs `{field}` (an entity)", case.operation),
                        )
                        .at(locate(&base)),
                    );
                    None
                }
                (Some(_), false) => {
                    problems.push(
                        Diagnostic::error(
                            path.clone(),
                            format!("{} has no `{field}`", case.operation),
                        )
                        .at(locate(&path)),
                    );
                    None
                }
                (None, false) => None,
            }
        };
        let before = entity("before", case.before, needs.0);
        let after = entity("after", case.after, needs.1);
        cases.push(Case {
            file: file.clone(),
            line: positions.locate(&base).0,
            name: case.name,
            policy: spec.policy.clone(),
            point: case.operation,
            actor,
            before,
            after,
            expected: case.expect,
            violations: case.violations,
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
