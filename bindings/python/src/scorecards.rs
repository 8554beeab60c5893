//! Scorecards: `paved._native.AsyncScorecards` wraps [`paved::Scorecards`]
//! (an entity's or a team's scores, recording them, a team's trend). Scores
//! are returned as dicts, shaped as `paved scorecard … -o json` prints them.

use paved::{Scorecards, WriteOptions};
use pyo3::prelude::*;

use crate::convert;

/// The scorecards of a platform (asyncio API).
#[pyclass(name = "AsyncScorecards", module = "paved", frozen)]
pub(crate) struct PyAsyncScorecards {
    inner: Scorecards,
}

impl PyAsyncScorecards {
    pub(crate) fn new(inner: Scorecards) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyAsyncScorecards {
    /// The scorecards, as dicts (as in `paved.yaml`).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner.list())
    }

    /// One entity's scores on every scorecard that selects it, or on the
    /// one named (awaitable).
    #[pyo3(signature = (entity_ref, *, scorecard = None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        scorecard: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scorecards = self.inner.clone();
        crate::spawn_json(py, async move {
            scorecards.score(&entity_ref, scorecard.as_deref()).await
        })
    }

    /// The scores of every entity a team owns (awaitable).
    #[pyo3(signature = (team, *, scorecard = None))]
    fn team<'py>(
        &self,
        py: Python<'py>,
        team: String,
        scorecard: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scorecards = self.inner.clone();
        crate::spawn_json(py, async move {
            scorecards.team(&team, scorecard.as_deref()).await
        })
    }

    /// Score every entity and record each team's scores (awaitable).
    #[pyo3(signature = (*, scorecard = None, actor = None, dry_run = false))]
    fn record<'py>(
        &self,
        py: Python<'py>,
        scorecard: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scorecards = self.inner.clone();
        let opts = WriteOptions { actor, dry_run };
        crate::spawn_json(py, async move {
            scorecards.record(scorecard.as_deref(), &opts).await
        })
    }

    /// A team's recorded scores, newest first (awaitable).
    #[pyo3(signature = (team, *, scorecard = None, limit = None))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        team: String,
        scorecard: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scorecards = self.inner.clone();
        crate::spawn_json(py, async move {
            scorecards.history(&team, scorecard.as_deref(), limit).await
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncScorecards>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncScorecards>()
}
