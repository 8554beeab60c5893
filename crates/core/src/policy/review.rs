//! Reviewing changes against the bindings: the pipeline's guardrail stage.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::binding::{Binding, Facets, Failure, Mode, Point, owner_key};
use super::decision::Decision;
use crate::approval::{ApprovalRule, DEFAULT_TTL, Requirement, parse_ttl};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::model::EntityRef;
use crate::plugin::{Change, ChangeReviews, Guardrail, Verdict, Violation};

/// A binding with the guardrail it names, resolved when the platform opens
/// (or, for a Policy entity, when it is loaded).
#[derive(Clone)]
pub(crate) struct Bound {
    binding: Binding,
    guardrail: Arc<dyn Guardrail>,
    version: String,
    /// A Policy entity that no longer loads: its guardrail fails every
    /// review (so its failure policy decides), except of its own entity,
    /// which stays writable so it can be mended or deleted.
    broken: bool,
}

impl Bound {
    /// Check a binding (one guardrail source, approval rule, settings the
    /// guardrail accepts) with `guardrail`, the one it names if the platform
    /// has it. Problems are at `at` (`policies[2]`), e.g. `policies[2].settings`.
    pub(crate) async fn new(
        binding: Binding,
        guardrail: Option<Arc<dyn Guardrail>>,
        at: &str,
    ) -> std::result::Result<Self, Vec<Diagnostic>> {
        let at = |field: &str| format!("{at}.{field}");
        let fail = |field: &str, message: String| vec![Diagnostic::error(at(field), message)];
        match (&binding.guardrail, &binding.rego) {
            (Some(_), Some(_)) => {
                return Err(fail(
                    "rego",
                    format!(
                        "policy '{}' gives both `guardrail` and `rego`; give one",
                        binding.name
                    ),
                ));
            }
            (None, None) => {
                return Err(fail(
                    "guardrail",
                    format!(
                        "policy '{}' names no guardrail: give `guardrail` (a plugin under `plugins:`) or `rego` (policy files)",
                        binding.name
                    ),
                ));
            }
            _ => {}
        }
        let Some(guardrail) = guardrail else {
            return Err(fail(
                "guardrail",
                format!(
                    "policy '{}' names guardrail '{}', which is not one of the platform's guardrails (declare it under `plugins:` with kind guardrail, or give the policy `rego:`)",
                    binding.name,
                    binding.guardrail_name()
                ),
            ));
        };
        if let Some(rule) = &binding.approval {
            let found = approval_problems(&binding, rule, &at("approval"));
            if !found.is_empty() {
                return Err(found);
            }
        }
        if let Some(settings) = &binding.settings
            && let Err(e) = guardrail.validate_settings(settings).await
        {
            return Err(fail(
                "settings",
                format!(
                    "policy '{}': guardrail '{}' rejected its settings: {e}",
                    binding.name,
                    binding.guardrail_name()
                ),
            ));
        }
        let version = match guardrail.describe().await {
            Ok(info) => info.version,
            Err(e) => {
                return Err(fail(
                    "guardrail",
                    format!(
                        "policy '{}': guardrail '{}' cannot describe itself: {e}",
                        binding.name,
                        binding.guardrail_name()
                    ),
                ));
            }
        };
        Ok(Self {
            binding,
            guardrail,
            version,
            broken: false,
        })
    }

    /// A binding that cannot review (`why`): every change it matches fails
    /// its failure policy, so a stored Policy that stopped loading (its
    /// plugin was removed from `paved.yaml`) never silently allows.
    pub(crate) fn broken(binding: Binding, why: String) -> Self {
        let guardrail: Arc<dyn Guardrail> = Arc::new(Broken {
            name: binding.guardrail_name().to_string(),
            why,
        });
        Self {
            binding,
            guardrail,
            version: "unloaded".to_string(),
            broken: true,
        }
    }
}

/// The guardrail of a binding that does not load.
struct Broken {
    name: String,
    why: String,
}

#[async_trait::async_trait]
impl Guardrail for Broken {
    fn name(&self) -> &str {
        &self.name
    }

    async fn describe(&self) -> Result<crate::plugin::GuardrailInfo> {
        Ok(crate::plugin::GuardrailInfo {
            name: self.name.clone(),
            version: "unloaded".to_string(),
            description: format!("does not load: {}", self.why),
            settings_schema: Value::Null,
            capabilities: Vec::new(),
        })
    }

    async fn validate_settings(&self, _: &Value) -> Result<()> {
        Ok(())
    }

    async fn review(&self, _: &Change, _: Option<&Value>) -> Result<crate::plugin::Review> {
        Err(Error::Plugin {
            plugin: self.name.clone(),
            kind: crate::PluginErrorKind::Load,
            message: format!("the policy does not load: {}", self.why),
        })
    }
}

/// The platform's bindings, in the order they were declared.
#[derive(Default, Clone)]
pub(crate) struct PolicySet {
    bound: Vec<Bound>,
}

/// One change under review: what the guardrails see, and what bindings
/// match against.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub point: Point,
    pub change: Change,
    pub facets: Facets,
    /// For an update, the facets of the entity as it is (`facets` are those
    /// it will have): access rules must hold for both.
    pub previous: Option<Facets>,
    /// The subject as decisions name it.
    pub subject: String,
    /// The approval that lifted some policies' deny for this item (a held
    /// resource plan run once approved); none for every other change.
    pub approved: Option<Approved>,
}

/// An approval, as the review of the change it approved sees it: the
/// denials of these policies no longer block (each decision says which
/// approval lifted it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Approved {
    pub id: String,
    pub policies: Vec<String>,
}

impl Approved {
    /// `decision`, lifted if it is a blocking denial of an approved policy.
    pub(crate) fn lift(&self, decision: &mut Decision) {
        if decision.blocking && self.policies.contains(&decision.policy) {
            decision.blocking = false;
            decision.approved = Some(self.id.clone());
        }
    }
}

/// What the bindings made of one item.
#[derive(Debug, Default)]
pub(crate) struct Reviewed {
    pub decisions: Vec<Decision>,
    /// `after`, patched by the guardrails (none: unchanged).
    pub patched: Option<Patched>,
}

/// A document the guardrails patched, and which policies patched it. The
/// pipeline validates it (once, after the last patch) before it is written.
#[derive(Debug)]
pub(crate) struct Patched {
    pub after: Value,
    pub by: Vec<String>,
}

impl Patched {
    /// The error for a patched document that does not validate: each
    /// problem says which policies patched it.
    pub(crate) fn invalid(&self, e: Error) -> Error {
        let by = self.by.join("', '");
        match e {
            Error::Invalid { diagnostics } => Error::Invalid {
                diagnostics: diagnostics
                    .into_iter()
                    .map(|mut d| {
                        d.message = format!("after policy '{by}' patched it: {}", d.message);
                        d
                    })
                    .collect(),
            },
            other => other,
        }
    }
}

impl PolicySet {
    /// Resolve each binding's guardrail and validate its settings with the
    /// guardrail's `validate-settings`. Errors name the binding.
    pub(crate) async fn resolve(
        bindings: Vec<Binding>,
        find: impl Fn(&str) -> Option<Arc<dyn Guardrail>>,
    ) -> Result<Self> {
        let mut bound = Vec::with_capacity(bindings.len());
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, binding) in bindings.into_iter().enumerate() {
            let at = format!("policies[{i}]");
            if let Some(problem) = crate::diagnostic::name_problem(
                &mut seen,
                &binding.name,
                format!("{at}.name"),
                "policy",
            ) {
                problems.push(problem);
                continue;
            }
            let guardrail = find(binding.guardrail_name());
            match Bound::new(binding, guardrail, &at).await {
                Ok(b) => bound.push(b),
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(Self { bound })
        } else {
            Err(Error::Invalid {
                diagnostics: problems,
            })
        }
    }

    /// These bindings followed by `more` (the catalogue's Policy entities).
    pub(crate) fn followed_by(&self, more: Vec<Bound>) -> Self {
        let mut bound = self.bound.clone();
        bound.extend(more);
        Self { bound }
    }

    /// The bindings, as declared.
    pub(crate) fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.bound.iter().map(|b| &b.binding)
    }

    /// What it takes to approve a change these decisions block: one
    /// requirement per blocking binding, and how long the change may wait
    /// (the shortest time-to-live among them). None when nothing blocks, or
    /// when a blocking binding has no `approval` (the change is refused).
    pub(crate) fn approval_for(
        &self,
        decisions: &[Decision],
    ) -> Option<(Vec<Requirement>, chrono::Duration)> {
        let mut required: Vec<Requirement> = Vec::new();
        let mut ttl: Option<chrono::Duration> = None;
        for d in decisions.iter().filter(|d| d.blocking) {
            let binding = self.bindings().find(|b| b.name == d.policy)?;
            let rule = binding.approval.as_ref()?;
            if required.iter().any(|r| r.policy == binding.name) {
                continue;
            }
            let wait = parse_ttl(rule.ttl.as_deref().unwrap_or(DEFAULT_TTL)).ok()?;
            ttl = Some(ttl.map_or(wait, |t| t.min(wait)));
            required.push(Requirement {
                policy: binding.name.clone(),
                approvers: rule.approvers.iter().map(|a| owner_key(a)).collect(),
                approved_by: None,
                approved_at: None,
            });
        }
        Some((required, ttl?))
    }

    /// Whether any binding is switched on.
    pub(crate) fn is_active(&self) -> bool {
        self.bound.iter().any(|b| b.binding.mode != Mode::Off)
    }

    /// Review one item with every matching binding, in order. A patch from
    /// an enforcing or warning binding is applied to `after` before the
    /// next binding sees it; the caller validates the patched result.
    /// `only`: the binding of that name alone (a policy test's `policy`).
    pub(crate) async fn review(
        &self,
        item: &Item,
        actor: &str,
        only: Option<&str>,
    ) -> Result<Reviewed> {
        let mut reviewed = Reviewed::default();
        let mut change: Option<Change> = None;
        let mut patched_by = Vec::new();
        // One reviewer per guardrail for this item (by the guardrail's
        // address), told up front which of its bindings will review the
        // item: a wasm guardrail reviews them all in one instance, in one
        // call when it can.
        let mut reviewers: Vec<(usize, Option<Box<dyn ChangeReviews + '_>>)> = Vec::new();
        let matching: Vec<&Bound> = self
            .bound
            .iter()
            .filter(|b| {
                let binding = &b.binding;
                binding.mode != Mode::Off
                    && only.is_none_or(|name| name == binding.name)
                    && binding.matches.matches(item.point, &item.facets)
                    && !(b.broken && item.subject.eq_ignore_ascii_case(&binding.name))
            })
            .collect();
        let guardrail_key = |b: &Bound| Arc::as_ptr(&b.guardrail).cast::<()>().addr();
        for (i, b) in matching.iter().enumerate() {
            let binding = &b.binding;
            let current = change.as_ref().unwrap_or(&item.change);
            let started = Instant::now();
            let key = guardrail_key(b);
            let slot = match reviewers.iter().position(|(k, _)| *k == key) {
                Some(slot) => slot,
                None => {
                    let mut reviewer = b.guardrail.change_reviews();
                    if let Some(reviewer) = &mut reviewer {
                        let ahead: Vec<Option<&Value>> = matching[i..]
                            .iter()
                            .filter(|other| guardrail_key(other) == key)
                            .map(|other| other.binding.settings.as_ref())
                            .collect();
                        reviewer.ahead(&ahead);
                    }
                    reviewers.push((key, reviewer));
                    reviewers.len() - 1
                }
            };
            let settings = binding.settings.as_ref();
            let (answer, cost) = match &mut reviewers[slot].1 {
                Some(reviewer) => {
                    let answer = reviewer.review(current, settings).await;
                    (answer, reviewer.last_cost())
                }
                None => (b.guardrail.review(current, settings).await, None),
            };
            let cost = cost.unwrap_or_else(|| started.elapsed());
            let duration_us = u64::try_from(cost.as_micros()).unwrap_or(u64::MAX);
            let (verdict, violations, failure, patch) = match answer {
                Ok(review) => (review.verdict, review.violations, None, review.patch),
                Err(e) => {
                    let verdict = match binding.failure {
                        Failure::Closed => Verdict::Deny,
                        Failure::Open => Verdict::Allow,
                    };
                    (verdict, Vec::new(), Some(e.to_string()), None)
                }
            };
            let mut patched = false;
            if let Some(patch) = patch
                && verdict != Verdict::Deny
                && matches!(binding.mode, Mode::Enforce | Mode::Warn)
            {
                change = Some(apply_patch(current, &patch, &binding.name)?);
                patched_by.push(binding.name.clone());
                patched = true;
                for reviewer in reviewers.iter_mut().filter_map(|(_, r)| r.as_mut()) {
                    reviewer.patched();
                }
            }
            reviewed.decisions.push(Decision {
                id: None,
                policy: binding.name.clone(),
                guardrail: binding.guardrail_name().to_string(),
                guardrail_version: b.version.clone(),
                guardrail_digest: b.guardrail.digest(),
                point: item.point,
                subject: item.subject.clone(),
                owner: item.facets.owner.clone(),
                verdict,
                mode: binding.mode,
                blocking: verdict == Verdict::Deny && binding.mode == Mode::Enforce,
                violations,
                failure,
                patched,
                description: binding.description.clone(),
                duration_us,
                actor: actor.to_string(),
                approved: None,
            });
            if let (Some(approved), Some(decision)) =
                (&item.approved, reviewed.decisions.last_mut())
            {
                approved.lift(decision);
            }
        }
        reviewed.patched = change.and_then(|c| c.after).map(|after| Patched {
            after,
            by: patched_by,
        });
        Ok(reviewed)
    }
}

/// What is wrong with a binding's `approval` (empty: nothing).
fn approval_problems(binding: &Binding, rule: &ApprovalRule, at: &str) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let name = &binding.name;
    if binding.mode != Mode::Enforce {
        problems.push(Diagnostic::error(
            at,
            format!(
                "policy '{name}' asks for approval but its mode is {}: only an enforcing policy holds changes (set `mode: enforce` or drop `approval`)",
                serde_json::to_value(binding.mode).unwrap_or_default().as_str().unwrap_or("?")
            ),
        ));
    }
    if rule.approvers.is_empty() {
        problems.push(Diagnostic::error(
            format!("{at}.approvers"),
            format!("policy '{name}' asks for approval but names no approvers: give at least one group, e.g. group:default/platform-leads"),
        ));
    }
    for (i, a) in rule.approvers.iter().enumerate() {
        match EntityRef::parse_with(a, Some("group"), crate::model::refs::DEFAULT_NAMESPACE) {
            Ok(r) if r.kind.eq_ignore_ascii_case("group") => {}
            Ok(r) => problems.push(Diagnostic::error(
                format!("{at}.approvers[{i}]"),
                format!("policy '{name}': approver '{a}' is a {}, expected a group (its members approve)", r.kind),
            )),
            Err(e) => problems.push(Diagnostic::error(
                format!("{at}.approvers[{i}]"),
                format!("policy '{name}': approver '{a}' is not a group ref: {e}"),
            )),
        }
    }
    if let Some(ttl) = &rule.ttl
        && let Err(why) = parse_ttl(ttl)
    {
        problems.push(Diagnostic::error(
            format!("{at}.ttl"),
            format!("policy '{name}': ttl {why}"),
        ));
    }
    problems
}

/// Apply a guardrail's JSON Patch (RFC 6902) to a change's `after`.
fn apply_patch(change: &Change, patch: &Value, policy: &str) -> Result<Change> {
    let invalid = |why: String| {
        Error::invalid(Diagnostic::error(
            "patch",
            format!("policy '{policy}': the guardrail's patch cannot be applied: {why}"),
        ))
    };
    let Some(after) = &change.after else {
        return Err(invalid(
            "the change has no document to patch (a delete)".into(),
        ));
    };
    let ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| invalid(e.to_string()))?;
    let mut doc = after.clone();
    json_patch::patch(&mut doc, &ops).map_err(|e| invalid(e.to_string()))?;
    let mut next = change.clone();
    next.after = Some(doc);
    Ok(next)
}

/// The violations of the blocking decisions, for a `DENIED` error's message.
pub(crate) fn denial_message(decisions: &[Decision]) -> String {
    let blocking: Vec<&Decision> = decisions.iter().filter(|d| d.blocking).collect();
    let mut parts = Vec::new();
    for d in &blocking {
        let what: Vec<String> = if let Some(f) = &d.failure {
            vec![format!("the guardrail failed: {f}")]
        } else if d.violations.is_empty() {
            vec!["denied".into()]
        } else {
            d.violations.iter().map(violation_text).collect()
        };
        parts.push(format!(
            "{} on {}: {}",
            d.policy,
            d.subject,
            what.join("; ")
        ));
    }
    parts.join(" | ")
}

fn violation_text(v: &Violation) -> String {
    if v.path.is_empty() {
        v.message.clone()
    } else {
        format!("{}: {}", v.path, v.message)
    }
}
