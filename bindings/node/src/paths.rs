//! Golden paths ([`paved::Paths`]): `platform.paths`, the catalogue's
//! Templates listed, shown, previewed (`dryRun`), run, resumed, tested
//! against a snapshot and measured. Options cross as they are (absent:
//! core's default); values are core's JSON (typed in the header:
//! `TemplateSummary`, `PathPlan`, `RunRecord`, `RunSummary`, `Progress`,
//! `SnapshotReport`, `PathMetrics`).
//!
//! `run()` and `resume()` return a [`PathRun`]: `await` it for the run's
//! record, or `for await` over it for the run's progress (`index.js` makes
//! it a thenable and async-iterable over `record()` and `recv()`). The
//! engine call starts when it is first awaited or iterated, with an
//! unbounded channel as its progress sink
//! ([`paved::Paths::run_with_progress`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;

use crate::error::{count, from_parts, parts, promise};
use crate::plain::plain;

/// The golden paths of a platform.
#[napi]
pub struct Paths {
    pub(crate) inner: paved::Paths,
}

/// Options of `dryRun` and `test`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PathOptions {
    /// Who runs it (absent: the platform's actor); access rules and
    /// policies see this actor.
    pub actor: Option<String>,
    /// The directory the run writes files into (absent:
    /// `.paved/workspaces/RUN-ID` under the working directory).
    pub workspace: Option<String>,
    /// Secrets given to the run (`${{ secrets.x }}`): never recorded,
    /// masked wherever they would show.
    pub secrets: Option<HashMap<String, String>>,
}

/// Options of `run`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PathRunOptions {
    /// Who runs it, recorded in the run and the audit log (absent: the
    /// platform's actor).
    pub actor: Option<String>,
    /// The directory the run writes files into (absent:
    /// `.paved/workspaces/RUN-ID` under the working directory).
    pub workspace: Option<String>,
    /// Secrets given to the run (`${{ secrets.x }}`): never recorded,
    /// masked wherever they would show.
    pub secrets: Option<HashMap<String, String>>,
    /// Run only if the plan is still this one (a dry run's `digest`);
    /// else a `VALIDATION` error naming `expectDigest`.
    pub expect_digest: Option<String>,
}

/// Options of `resume`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    /// Who resumes it (absent: the run's actor).
    pub actor: Option<String>,
}

/// Options of `runs`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RunsOptions {
    /// At most this many runs, newest first (default 50).
    pub limit: Option<f64>,
}

/// Options of `test`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PathTestOptions {
    /// Write the snapshot (the dry run as it is now) instead of comparing.
    pub update: Option<bool>,
    /// Who the dry run is for (absent: the platform's actor).
    pub actor: Option<String>,
    /// The workspace the dry run plans against.
    pub workspace: Option<String>,
    /// Secrets given to the dry run.
    pub secrets: Option<HashMap<String, String>>,
}

/// Options of `metrics`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct MetricsOptions {
    /// Only runs started at or after this time (RFC 3339); absent: every run.
    pub since: Option<String>,
}

/// Core's options: a missing option is core's default.
fn core_options(
    actor: Option<String>,
    workspace: Option<String>,
    secrets: Option<HashMap<String, String>>,
    expect_digest: Option<String>,
) -> paved::PathOptions {
    paved::PathOptions {
        actor,
        workspace,
        secrets: secrets
            .unwrap_or_default()
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        expect_digest,
    }
}

/// The parameters of a run: absent or null is none.
fn parameters(parameters: Option<Value>) -> Value {
    match parameters {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v) => v,
    }
}

#[napi]
impl Paths {
    /// Every Template of the catalogue, with the problems that keep any
    /// from running.
    #[napi(ts_return_type = "Promise<TemplateSummary[]>")]
    pub fn list(&self, env: &Env) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        promise(env, async move { plain(&paths.list().await?) })
    }

    /// One Template: a catalogue ref (`deploy-web-service`,
    /// `template:default/deploy-web-service`) or a file ending in
    /// `.yaml`/`.yml`/`.json`.
    #[napi(ts_return_type = "Promise<TemplateSummary>")]
    pub fn show(&self, env: &Env, template: String) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        promise(env, async move { plain(&paths.show(&template).await?) })
    }

    /// What running `template` with `parameters` would do, changing
    /// nothing: the files with their content, the entities, the resource
    /// plans, every policy decision, and a `digest` to run exactly this
    /// plan (`expectDigest`). Bad parameters are a `VALIDATION` error
    /// naming `parameters.<field>`.
    #[napi(ts_return_type = "Promise<PathPlan>")]
    pub fn dry_run(
        &self,
        env: &Env,
        template: String,
        #[napi(ts_arg_type = "Record<string, unknown> | null")] parameters: Option<Value>,
        options: Option<PathOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = core_options(o.actor, o.workspace, o.secrets, None);
        let values = self::parameters(parameters);
        promise(env, async move {
            plain(&paths.dry_run(&template, values, &opts).await?)
        })
    }

    /// Run `template` with `parameters`: `await` the result for the run's
    /// record, `for await` over it for its progress. A failed step undoes
    /// what the run did: the record's status is `rolled-back` (`undone`
    /// says what), not an error; a run a policy blocks is `DENIED`.
    #[napi]
    pub fn run(
        &self,
        template: String,
        #[napi(ts_arg_type = "Record<string, unknown> | null")] parameters: Option<Value>,
        options: Option<PathRunOptions>,
    ) -> PathRun {
        let paths = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = core_options(o.actor, o.workspace, o.secrets, o.expect_digest);
        let values = self::parameters(parameters);
        PathRun::new(Box::new(move |tx| {
            Box::pin(async move {
                paths
                    .run_with_progress(&template, values, &opts, Some(tx))
                    .await
            })
        }))
    }

    /// Continue an interrupted run from its last completed step; as `run`,
    /// `await` it for the record or iterate it for progress.
    #[napi]
    pub fn resume(&self, run_id: String, options: Option<ResumeOptions>) -> PathRun {
        let paths = self.inner.clone();
        let opts = core_options(options.and_then(|o| o.actor), None, None, None);
        PathRun::new(Box::new(move |tx| {
            Box::pin(async move { paths.resume_with_progress(&run_id, &opts, Some(tx)).await })
        }))
    }

    /// Runs, newest first: of one Template (a ref) when given.
    #[napi(ts_return_type = "Promise<RunSummary[]>")]
    pub fn runs(
        &self,
        env: &Env,
        template: Option<String>,
        options: Option<RunsOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        let limit = options.and_then(|o| o.limit);
        promise(env, async move {
            let limit = count("limit", limit)?;
            plain(&paths.runs(template.as_deref(), limit).await?)
        })
    }

    /// One run's record, whole (`NOT_FOUND` for an unknown id).
    #[napi(ts_return_type = "Promise<RunRecord>")]
    pub fn run_info(&self, env: &Env, run_id: String) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        promise(env, async move { plain(&paths.run_info(&run_id).await?) })
    }

    /// Test a Template like code: its dry run with `parameters` compared
    /// with the snapshot directory `snapshot` (`update`: write it instead).
    #[napi(ts_return_type = "Promise<SnapshotReport>")]
    pub fn test(
        &self,
        env: &Env,
        template: String,
        #[napi(ts_arg_type = "Record<string, unknown> | null")] parameters: Option<Value>,
        snapshot: String,
        options: Option<PathTestOptions>,
    ) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        let o = options.unwrap_or_default();
        let update = o.update.unwrap_or_default();
        let opts = core_options(o.actor, o.workspace, o.secrets, None);
        let values = self::parameters(parameters);
        promise(env, async move {
            let snapshot = PathBuf::from(snapshot);
            plain(
                &paths
                    .test(&template, values, &snapshot, update, &opts)
                    .await?,
            )
        })
    }

    /// Usage, success rate and durations per Template and team, each
    /// team's time to its first provisioning, the share of components a
    /// golden path made, provisioning time per resource type.
    #[napi(ts_return_type = "Promise<PathMetrics>")]
    pub fn metrics(&self, env: &Env, options: Option<MetricsOptions>) -> Result<AsyncBlock<Value>> {
        let paths = self.inner.clone();
        let opts = paved::MetricsOptions {
            since: options.and_then(|o| o.since),
        };
        promise(env, async move { plain(&paths.metrics(&opts).await?) })
    }
}

type RunFuture = Pin<Box<dyn Future<Output = paved::Result<paved::RunRecord>> + Send>>;
/// The engine call of a run, given its progress sink.
type Start = Box<dyn FnOnce(UnboundedSender<paved::Progress>) -> RunFuture + Send>;

/// How a run ended: its record, or the parts of its error (thrown to
/// whoever asks, as often as asked).
type Outcome = std::result::Result<Value, (String, &'static str, Value)>;

/// A run, from `paths.run()` or `paths.resume()`: `await` it for its
/// record, `for await (const p of run)` for its progress as it happens
/// (the iteration ends when the run does; awaiting it afterwards still
/// gives the record). The run starts when it is first awaited or iterated.
#[napi]
pub struct PathRun {
    start: Mutex<Option<(Start, UnboundedSender<paved::Progress>)>>,
    progress: Arc<tokio::sync::Mutex<UnboundedReceiver<paved::Progress>>>,
    outcome: Arc<watch::Sender<Option<Outcome>>>,
}

impl PathRun {
    fn new(start: Start) -> Self {
        let (tx, rx) = unbounded_channel();
        Self {
            start: Mutex::new(Some((start, tx))),
            progress: Arc::new(tokio::sync::Mutex::new(rx)),
            outcome: Arc::new(watch::channel(None).0),
        }
    }

    /// Start the engine call unless it is under way.
    fn ensure_started(&self) {
        let start = self
            .start
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some((start, tx)) = start else {
            return;
        };
        let future = start(tx);
        let outcome = self.outcome.clone();
        napi::bindgen_prelude::spawn(async move {
            let ended = match future.await {
                Ok(record) => plain(&record).map_err(|e| parts(&e)),
                Err(e) => Err(parts(&e)),
            };
            outcome.send_replace(Some(ended));
        });
    }

    /// The outcome, once the run has ended.
    fn ended(&self) -> impl Future<Output = Outcome> + Send + 'static {
        let mut rx = self.outcome.subscribe();
        async move {
            match rx.wait_for(Option::is_some).await {
                Ok(o) => o.clone().unwrap_or_else(|| Ok(Value::Null)),
                Err(_) => Err((
                    "the run ended without a record".into(),
                    "STORE",
                    Value::Null,
                )),
            }
        }
    }
}

/// A promise settled with `outcome`'s record, or rejected with its error.
fn settle<F>(env: &Env, work: F) -> Result<AsyncBlock<Option<Value>>>
where
    F: Future<Output = std::result::Result<Option<Value>, (String, &'static str, Value)>>
        + Send
        + 'static,
{
    AsyncBlockBuilder::build_with_map(
        env,
        async move { Ok::<_, napi::Error>(work.await) },
        |env, outcome| {
            outcome.map_err(|(message, code, details)| from_parts(&env, message, code, details))
        },
    )
}

#[napi]
impl PathRun {
    /// The run's record once it ends. Rejects with what kept it from
    /// running: `VALIDATION` (bad parameters, naming `parameters.<field>`),
    /// `DENIED` (a policy blocks it), `LOCKED`, `NOT_FOUND`.
    #[napi(ts_return_type = "Promise<RunRecord>")]
    pub fn record(&self, env: &Env) -> Result<AsyncBlock<Option<Value>>> {
        self.ensure_started();
        let ended = self.ended();
        settle(env, async move { ended.await.map(Some) })
    }

    /// The next progress report; `null` once the run has ended (then
    /// rejects instead if the run did not run at all, as `record()` does).
    #[napi(ts_return_type = "Promise<Progress | null>")]
    pub fn recv(&self, env: &Env) -> Result<AsyncBlock<Option<Value>>> {
        self.ensure_started();
        let progress = self.progress.clone();
        let ended = self.ended();
        settle(env, async move {
            let next = progress.lock().await.recv().await;
            match next {
                Some(p) => plain(&p).map(Some).map_err(|e| parts(&e)),
                None => ended.await.map(|_| None),
            }
        })
    }
}
