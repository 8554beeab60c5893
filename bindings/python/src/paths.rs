//! Golden paths: `paved._native.AsyncPaths` wraps [`paved::Paths`] (list
//! and show Templates, preview a run, run it, resume it, list runs, test a
//! Template against a snapshot, measure). Plans, records and reports are
//! dicts, shaped as `paved path … -o json` prints them.
//!
//! `run` and `resume` return a [`PyPathRun`]: awaiting it gives the run's
//! record, iterating it (`async for`) gives the run's progress as it
//! happens, then ends when the run does (raising the run's error if it
//! failed to start). The engine call starts on first use, with an unbounded
//! channel as its progress sink ([`paved::Paths::run_with_progress`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use paved::{MetricsOptions, PathOptions, Paths, Progress, RunRecord};
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;

use crate::convert;

/// The golden paths of a platform (asyncio API).
#[pyclass(name = "AsyncPaths", module = "paved", frozen)]
pub(crate) struct PyAsyncPaths {
    inner: Paths,
}

impl PyAsyncPaths {
    pub(crate) fn new(inner: Paths) -> Self {
        Self { inner }
    }
}

/// A path given as `str` or `os.PathLike`, as a string.
fn path_text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_str()?.to_owned());
    }
    obj.extract::<std::path::PathBuf>()
        .map(|p| p.display().to_string())
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a str or an os.PathLike")))
}

/// The parameters of a run: a mapping, or None (none given).
fn parameters(parameters: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
    match parameters.filter(|p| !p.is_none()) {
        Some(p) => convert::to_json(p, "parameters"),
        None => Ok(Value::Object(Default::default())),
    }
}

/// Core's options: whatever is not given is core's default.
fn options(
    actor: Option<String>,
    workspace: Option<&Bound<'_, PyAny>>,
    secrets: Option<&Bound<'_, PyAny>>,
    expect_digest: Option<String>,
) -> PyResult<PathOptions> {
    let workspace = match workspace.filter(|w| !w.is_none()) {
        Some(w) => Some(path_text(w, "workspace")?),
        None => None,
    };
    let secrets = match secrets.filter(|s| !s.is_none()) {
        Some(s) => serde_json::from_value(convert::to_json(s, "secrets")?)
            .map_err(|_| PyTypeError::new_err("secrets: expected a mapping of str to str"))?,
        None => Default::default(),
    };
    Ok(PathOptions {
        actor,
        workspace,
        secrets,
        expect_digest,
    })
}

#[pymethods]
impl PyAsyncPaths {
    /// Every Template of the catalogue, with the problems that keep any
    /// from running (awaitable).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let paths = self.inner.clone();
        crate::spawn_json(py, async move { paths.list().await })
    }

    /// One Template (a ref, or a file holding one) (awaitable).
    fn show<'py>(
        &self,
        py: Python<'py>,
        template: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let template = path_text(template, "template")?;
        let paths = self.inner.clone();
        crate::spawn_json(py, async move { paths.show(&template).await })
    }

    /// What running `template` with `parameters` would do, changing
    /// nothing: the plan, with a `digest` to run exactly it (awaitable).
    #[pyo3(signature = (template, parameters = None, *, actor = None, workspace = None, secrets = None))]
    fn dry_run<'py>(
        &self,
        py: Python<'py>,
        template: &Bound<'_, PyAny>,
        parameters: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        workspace: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let template = path_text(template, "template")?;
        let values = self::parameters(parameters)?;
        let opts = options(actor, workspace, secrets, None)?;
        let paths = self.inner.clone();
        crate::spawn_json(
            py,
            async move { paths.dry_run(&template, values, &opts).await },
        )
    }

    /// Run `template` with `parameters`: awaiting the result gives the run's
    /// record (a failed step rolls back: status `rolled-back`, not an
    /// error); `async for` over it gives its progress.
    #[pyo3(signature = (template, parameters = None, *, actor = None, workspace = None, secrets = None, expect_digest = None))]
    fn run(
        &self,
        template: &Bound<'_, PyAny>,
        parameters: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        workspace: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
        expect_digest: Option<String>,
    ) -> PyResult<PyPathRun> {
        let template = path_text(template, "template")?;
        let values = self::parameters(parameters)?;
        let opts = options(actor, workspace, secrets, expect_digest)?;
        let paths = self.inner.clone();
        Ok(PyPathRun::new(Box::new(move |tx| {
            Box::pin(async move {
                paths
                    .run_with_progress(&template, values, &opts, Some(tx))
                    .await
            })
        })))
    }

    /// Continue an interrupted run from its last completed step; as `run`,
    /// await it for the record or iterate it for progress.
    #[pyo3(signature = (run_id, *, actor = None))]
    fn resume(&self, run_id: String, actor: Option<String>) -> PyPathRun {
        let opts = PathOptions {
            actor,
            ..PathOptions::default()
        };
        let paths = self.inner.clone();
        PyPathRun::new(Box::new(move |tx| {
            Box::pin(async move { paths.resume_with_progress(&run_id, &opts, Some(tx)).await })
        }))
    }

    /// Runs, newest first: of one Template when given, at most `limit`
    /// (default 50) (awaitable).
    #[pyo3(signature = (template = None, *, limit = None))]
    fn runs<'py>(
        &self,
        py: Python<'py>,
        template: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let paths = self.inner.clone();
        crate::spawn_json(
            py,
            async move { paths.runs(template.as_deref(), limit).await },
        )
    }

    /// One run's record, whole (awaitable).
    fn run_info<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        let paths = self.inner.clone();
        crate::spawn_json(py, async move { paths.run_info(&run_id).await })
    }

    /// Compare the dry run of `template` with `parameters` with the
    /// snapshot directory `snapshot` (`update`: write it instead) (awaitable).
    #[pyo3(signature = (template, parameters, snapshot, *, update = false, actor = None, workspace = None, secrets = None))]
    #[allow(clippy::too_many_arguments)] // the Python signature: each keyword one argument
    fn test<'py>(
        &self,
        py: Python<'py>,
        template: &Bound<'_, PyAny>,
        parameters: Option<&Bound<'_, PyAny>>,
        snapshot: &Bound<'_, PyAny>,
        update: bool,
        actor: Option<String>,
        workspace: Option<&Bound<'_, PyAny>>,
        secrets: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let template = path_text(template, "template")?;
        let values = self::parameters(parameters)?;
        let snapshot = std::path::PathBuf::from(path_text(snapshot, "snapshot")?);
        let opts = options(actor, workspace, secrets, None)?;
        let paths = self.inner.clone();
        crate::spawn_json(py, async move {
            paths
                .test(&template, values, &snapshot, update, &opts)
                .await
        })
    }

    /// Usage, success rates, durations, onboarding and provisioning times
    /// of the golden paths; `since`: runs started at or after this RFC 3339
    /// time (awaitable).
    #[pyo3(signature = (*, since = None))]
    fn metrics<'py>(&self, py: Python<'py>, since: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let opts = MetricsOptions { since };
        let paths = self.inner.clone();
        crate::spawn_json(py, async move { paths.metrics(&opts).await })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncPaths>"
    }
}

type RunFuture = Pin<Box<dyn Future<Output = paved::Result<RunRecord>> + Send>>;
/// The engine call of a run, given its progress sink.
type Start = Box<dyn FnOnce(UnboundedSender<Progress>) -> RunFuture + Send>;

/// How a run ended, as far as Python has seen it.
enum Outcome {
    /// Its record (JSON).
    Record(Value),
    /// The engine's error, not yet raised.
    Failed(paved::Error),
    /// The error as raised, for whoever asks again.
    Raised(PyErr),
}

/// A run under way: awaitable (its record) and async-iterable (its
/// progress). The engine call starts when it is first awaited or iterated.
#[pyclass(name = "PathRun", module = "paved", frozen)]
pub(crate) struct PyPathRun {
    start: Mutex<Option<(Start, UnboundedSender<Progress>)>>,
    progress: Arc<tokio::sync::Mutex<UnboundedReceiver<Progress>>>,
    outcome: Arc<Mutex<Option<Outcome>>>,
    done: watch::Sender<bool>,
}

impl PyPathRun {
    fn new(start: Start) -> Self {
        let (tx, rx) = unbounded_channel();
        Self {
            start: Mutex::new(Some((start, tx))),
            progress: Arc::new(tokio::sync::Mutex::new(rx)),
            outcome: Arc::new(Mutex::new(None)),
            done: watch::channel(false).0,
        }
    }

    /// Start the engine call unless it is under way.
    fn ensure_started(&self) -> PyResult<()> {
        let start = self
            .start
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some((start, tx)) = start else {
            return Ok(());
        };
        let future = start(tx);
        let (outcome, done) = (self.outcome.clone(), self.done.clone());
        crate::runtime::runtime()?.spawn(async move {
            let ended = match future.await {
                Ok(record) => match serde_json::to_value(&record) {
                    Ok(v) => Outcome::Record(v),
                    Err(e) => Outcome::Failed(paved::Error::store_msg(format!(
                        "the run's record cannot be converted: {e}"
                    ))),
                },
                Err(e) => Outcome::Failed(e),
            };
            *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(ended);
            done.send_replace(true);
        });
        Ok(())
    }

    /// The outcome as Python (with the GIL): the record, or the run's error.
    fn settled(outcome: &Mutex<Option<Outcome>>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut slot = outcome.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.take() {
            Some(Outcome::Record(v)) => {
                let out = convert::to_py(py, &v).map(Bound::unbind);
                *slot = Some(Outcome::Record(v));
                out
            }
            Some(Outcome::Failed(e)) => {
                let err = crate::errors::to_py(py, e);
                *slot = Some(Outcome::Raised(err.clone_ref(py)));
                Err(err)
            }
            Some(Outcome::Raised(e)) => {
                let err = e.clone_ref(py);
                *slot = Some(Outcome::Raised(e));
                Err(err)
            }
            None => Err(crate::errors::PavedError::new_err("the run has not ended")),
        }
    }

    /// Wait for the run to end.
    fn ended(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut done = self.done.subscribe();
        async move {
            let _ = done.wait_for(|d| *d).await;
        }
    }
}

#[pymethods]
impl PyPathRun {
    /// The run's record once it ends (awaitable); raises what kept it from
    /// running (bad parameters, a policy's denial, …).
    fn record<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.ensure_started()?;
        let outcome = self.outcome.clone();
        crate::spawn_with(py, self.ended(), move |py, ()| Self::settled(&outcome, py))
    }

    /// The next progress report (awaitable); None once the run has ended.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.ensure_started()?;
        let progress = self.progress.clone();
        crate::spawn_json(py, async move {
            Ok::<_, paved::Error>(progress.lock().await.recv().await)
        })
    }

    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.record(py)?.call_method0("__await__")
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next progress report; at the end, the run's error if it did not
    /// run, else `StopAsyncIteration`.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.ensure_started()?;
        let progress = self.progress.clone();
        let ended = self.ended();
        let outcome = self.outcome.clone();
        crate::spawn_with(
            py,
            async move {
                let next = progress.lock().await.recv().await;
                if next.is_none() {
                    ended.await;
                }
                next
            },
            move |py, next| match next {
                Some(p) => convert::serde_to_py(py, &p).map(Bound::unbind),
                None => {
                    Self::settled(&outcome, py).and_then(|_| Err(PyStopAsyncIteration::new_err(())))
                }
            },
        )
    }

    fn __repr__(&self) -> &'static str {
        "<PathRun>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncPaths>()?;
    m.add_class::<PyPathRun>()
}
