//! Policies: `paved._native.AsyncPolicies` wraps [`paved::Policies`] (the
//! bindings, trying an entity on them, recorded decisions and their
//! explanations, fixture tests); `paved.Decision` is one decision,
//! `paved.PolicyTestReport` what `test` found.

use std::path::PathBuf;

use paved::{Decision, DecisionFilter, Explained, Policies, PolicyTestReport};
use pyo3::prelude::*;

use crate::convert;

/// One policy decision on one change.
#[pyclass(name = "Decision", module = "paved", frozen)]
pub(crate) struct PyDecision {
    inner: Decision,
}

#[pymethods]
impl PyDecision {
    /// The audit record's seq once recorded (None in a dry run or an evaluation).
    #[getter]
    fn id(&self) -> Option<u64> {
        self.inner.id
    }

    /// The policy (binding) that decided.
    #[getter]
    fn policy(&self) -> &str {
        &self.inner.policy
    }

    /// `allow`, `warn` or `deny`.
    #[getter]
    fn verdict(&self) -> String {
        convert::enum_name(&self.inner.verdict)
    }

    /// Whether it stopped the change (an enforcing deny).
    #[getter]
    fn blocking(&self) -> bool {
        self.inner.blocking
    }

    /// What the change is about: an entity ref or a resource address.
    #[getter]
    fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The decision as JSON (violations, mode, guardrail, duration, actor, …).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    /// The decision in words a developer can act on.
    fn explain(&self) -> String {
        self.inner.explain()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Decision {} {} {}>",
            self.inner.policy,
            convert::enum_name(&self.inner.verdict),
            self.inner.subject
        )
    }
}

fn decisions(ds: Vec<Decision>) -> Vec<PyDecision> {
    ds.into_iter().map(|inner| PyDecision { inner }).collect()
}

/// A recorded decision and its explanation (`why`).
#[pyclass(name = "Explained", module = "paved", frozen)]
pub(crate) struct PyExplained {
    inner: Explained,
}

#[pymethods]
impl PyExplained {
    /// The decision.
    #[getter]
    fn decision(&self) -> PyDecision {
        PyDecision {
            inner: self.inner.decision.clone(),
        }
    }

    /// What it means and what would pass.
    #[getter]
    fn explanation(&self) -> &str {
        &self.inner.explanation
    }

    fn __repr__(&self) -> String {
        format!("<Explained {}>", self.inner.decision.policy)
    }
}

/// What `policies.test` found: each fixture case, passed or not.
#[pyclass(name = "PolicyTestReport", module = "paved", frozen)]
pub(crate) struct PyPolicyTestReport {
    inner: PolicyTestReport,
}

#[pymethods]
impl PyPolicyTestReport {
    /// Every case passed.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// How many cases passed.
    #[getter]
    fn passed(&self) -> usize {
        self.inner.passed
    }

    /// How many cases failed.
    #[getter]
    fn failed(&self) -> usize {
        self.inner.failed
    }

    /// Each case as a dict: `file`, `line`, `name`, `expected`, `got`,
    /// `passed`, `problems`, `decisions`; an access case also has
    /// `expectedAccess`, `gotAccess` and `accessDeniedBy`.
    #[getter]
    fn cases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.cases)
    }

    /// The report as JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<PolicyTestReport {} passed, {} failed>",
            self.inner.passed, self.inner.failed
        )
    }
}

/// The policy bindings of a platform (asyncio API).
#[pyclass(name = "AsyncPolicies", module = "paved", frozen)]
pub(crate) struct PyAsyncPolicies {
    inner: Policies,
}

impl PyAsyncPolicies {
    pub(crate) fn new(inner: Policies) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyAsyncPolicies {
    /// The bindings in force, in review order, as dicts (as in
    /// `paved.yaml`): `paved.yaml`'s, then the Policy entities' (awaitable).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let policies = self.inner.clone();
        crate::spawn_json(py, async move { policies.list().await })
    }

    /// Review an entity (dict) with every matching policy as writing it
    /// would, without writing (awaitable): every decision, allows included.
    #[pyo3(signature = (entity, *, actor = None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        entity: &Bound<'_, PyAny>,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let entity = convert::to_json(entity, "entity")?;
        let policies = self.inner.clone();
        crate::spawn(py, async move {
            policies
                .evaluate(entity, actor.as_deref())
                .await
                .map(decisions)
        })
    }

    /// Run the policy test files under `path` (a directory of
    /// `*.test.yaml`, or one file): each case is reviewed as a write would
    /// be, without writing (awaitable).
    fn test<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let policies = self.inner.clone();
        crate::spawn(py, async move {
            policies
                .test(&path)
                .await
                .map(|inner| PyPolicyTestReport { inner })
        })
    }

    /// A recorded decision by id, with its explanation (awaitable).
    fn why<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyAny>> {
        let policies = self.inner.clone();
        crate::spawn(py, async move {
            policies.why(id).await.map(|inner| PyExplained { inner })
        })
    }

    /// Recorded decisions, newest first (awaitable); every filter given
    /// must match.
    #[pyo3(signature = (*, subject = None, policy = None, actor = None, team = None, blocking = false, limit = None))]
    #[allow(clippy::too_many_arguments)]
    fn decisions<'py>(
        &self,
        py: Python<'py>,
        subject: Option<String>,
        policy: Option<String>,
        actor: Option<String>,
        team: Option<String>,
        blocking: bool,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policies = self.inner.clone();
        let filter = DecisionFilter {
            subject,
            policy,
            actor,
            team,
            blocking,
            limit,
        };
        crate::spawn(py, async move {
            policies.decisions(&filter).await.map(decisions)
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncPolicies>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDecision>()?;
    m.add_class::<PyExplained>()?;
    m.add_class::<PyPolicyTestReport>()?;
    m.add_class::<PyAsyncPolicies>()
}
