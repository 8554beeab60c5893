//! [`Paths`]: golden paths, from the catalogue's Templates: list and show
//! them, preview a run (a dry run: one [`PathPlan`] with the files, entities,
//! resource plans and every policy decision), run it (journaled, rolled back
//! when a step fails), resume it after a crash, list runs and measure them.
//!
//! A run plans first, refuses if a policy blocks, records itself, then
//! executes the plan step by step ([`run`]): each step's intent (with what
//! was there before) is recorded before it acts and its result after, so a
//! failure undoes completed steps in reverse and a crash is resumed from
//! the last completed step.

mod metrics;
mod plan;
mod run;

use std::path::PathBuf;
use std::sync::Arc;

use futures::TryStreamExt;
use serde_json::Value;

use super::Inner;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::ingest;
use crate::model::Entity;
use crate::path::record::Progress;
use crate::path::template::Available;
use crate::path::{
    PathOptions, PathPlan, RunRecord, RunSummary, Template, TemplateSummary, expressions,
};
use crate::query::{MAX_LIMIT, QuerySpec};
use crate::store::RunFilter;

pub use metrics::{Metrics, MetricsOptions};

/// How many runs `runs` lists unless told.
pub const DEFAULT_RUNS: usize = 50;

/// The golden paths of a platform.
#[derive(Clone)]
pub struct Paths {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Paths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Paths")
    }
}

/// The platform's problems of a Template, each as the load of its file
/// reported it (with the line) when the load found one at the same path.
/// The load knows no plugins: what it said of an action a plugin provides
/// is left out.
fn with_lines(problems: Vec<Diagnostic>, located: Vec<Diagnostic>) -> Vec<Diagnostic> {
    problems
        .into_iter()
        .map(|p| match located.iter().find(|l| l.path == p.path) {
            // The load's message for an unknown action differs (it cannot
            // know the platform's plugins): the platform's, at its line.
            Some(l) if p.path.ends_with(".action") => Diagnostic {
                location: l.location.clone(),
                entity: l.entity.clone().or(p.entity),
                ..p
            },
            Some(l) => l.clone(),
            None => p,
        })
        .collect()
}

/// A Template given to run: a ref in the catalogue, or a file.
fn is_file(template: &str) -> bool {
    template.ends_with(".yaml") || template.ends_with(".yml") || template.ends_with(".json")
}

impl Paths {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Every Template of the catalogue, with the problems that keep any from running.
    pub async fn list(&self) -> Result<Vec<TemplateSummary>> {
        let spec = QuerySpec {
            limit: Some(MAX_LIMIT),
            ..QuerySpec::filter(["kind=template"])
        };
        let values: Vec<Value> = super::Catalog::new(self.inner.clone())
            .query_all(&spec)
            .try_collect()
            .await?;
        let mut out = Vec::new();
        for value in values {
            let entity: Entity = serde_json::from_value(value)
                .map_err(|e| Error::store_msg(format!("a stored Template is not readable: {e}")))?;
            out.push(Template::summary(&entity, expressions(), self.available()));
        }
        Ok(out)
    }

    /// One Template (a ref, or a file holding one), as a list shows it.
    pub async fn show(&self, template: &str) -> Result<TemplateSummary> {
        let entity = self.entity(template).await?;
        let mut summary = Template::summary(&entity, expressions(), self.available());
        if !summary.problems.is_empty()
            && let Some(located) = self.located(&entity)
        {
            summary.problems = with_lines(std::mem::take(&mut summary.problems), located);
        }
        Ok(summary)
    }

    /// The actions this platform's plugins provide, besides the built-ins.
    fn available(&self) -> Available<'_> {
        Available::Plugins(self.inner.plugins.actions())
    }

    /// The problems of a Template with the file's lines, when its file is
    /// still where it was read from.
    fn located(&self, entity: &Entity) -> Option<Vec<Diagnostic>> {
        entity
            .metadata
            .annotations
            .get(ingest::ANNOTATION_LOCATION)
            .and_then(|l| l.strip_prefix("file:"))
            .filter(|f| std::path::Path::new(f).exists())
            .and_then(|f| self.read_file(f).ok())
            .map(|(_, p)| p)
            .filter(|p| !p.is_empty())
    }

    /// The Template entity named by `template`: a catalogue ref
    /// (`deploy-web-service`, `template:default/deploy-web-service`) or a
    /// file path ending in `.yaml`/`.yml`/`.json`.
    async fn entity(&self, template: &str) -> Result<Entity> {
        if is_file(template) {
            return self.read_file(template).map(|(e, _)| e);
        }
        let r = crate::model::EntityRef::parse_with(template, Some("template"), "default")
            .map_err(|e| Error::invalid(Diagnostic::error("template", e.to_string())))?;
        super::Catalog::new(self.inner.clone())
            .get(&r.to_string())
            .await
    }

    /// The Template of a file, with the problems the load found in it (with lines).
    fn read_file(&self, file: &str) -> Result<(Entity, Vec<Diagnostic>)> {
        let loaded = ingest::load_paths(
            &[PathBuf::from(file)],
            &self.inner.kinds,
            &self.inner.limits,
            &self.inner.reading,
        );
        let errors: Vec<Diagnostic> = loaded
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(Error::Invalid {
                diagnostics: errors,
            });
        }
        let entity = loaded
            .entities()
            .iter()
            .find(|s| s.entity.kind.eq_ignore_ascii_case("template"))
            .map(|s| s.entity.clone())
            .ok_or_else(|| {
                Error::invalid(Diagnostic::error(
                    "template",
                    format!("{file} holds no Template"),
                ))
            })?;
        let r = entity.entity_ref().to_string();
        let problems = loaded
            .diagnostics()
            .iter()
            .filter(|d| d.entity.as_deref() == Some(r.as_str()))
            .cloned()
            .collect();
        Ok((entity, problems))
    }

    /// A Template ready to run, or its problems (each with the file's line
    /// when the Template's file is still where it was read from).
    pub(crate) async fn template(&self, template: &str) -> Result<Template> {
        let entity = self.entity(template).await?;
        Template::from_entity(entity.clone(), expressions(), self.available()).map_err(|problems| {
            let mut diagnostics = match self.located(&entity) {
                Some(located) => with_lines(problems, located),
                None => problems,
            };
            for d in &mut diagnostics {
                d.severity = crate::diagnostic::Severity::Error;
            }
            Error::Invalid { diagnostics }
        })
    }

    /// What running `template` with `parameters` would do, changing nothing:
    /// files with their content, entities, resource plans, every policy and
    /// access decision, and a digest to run exactly this plan.
    pub async fn dry_run(
        &self,
        template: &str,
        parameters: Value,
        opts: &PathOptions,
    ) -> Result<PathPlan> {
        let template = self.template(template).await?;
        let id = run::new_id();
        let (plan, _) = plan::plan(&self.inner, template, parameters, opts, &id).await?;
        // The run gets its id when it runs: the preview says so where the
        // id shows (the default workspace, provenance annotations).
        let text = serde_json::to_string(&plan)
            .unwrap_or_default()
            .replace(&id, crate::path::PREVIEW_RUN_ID);
        Ok(serde_json::from_str(&text).unwrap_or(plan))
    }

    /// Run `template` with `parameters`: plan, refuse if a policy blocks,
    /// then execute the plan step by step. A failed step undoes what the run
    /// did (the record says what); the record is returned either way.
    pub async fn run(
        &self,
        template: &str,
        parameters: Value,
        opts: &PathOptions,
    ) -> Result<RunRecord> {
        self.run_with_progress(template, parameters, opts, None)
            .await
    }

    /// [`Paths::run`], reporting each step's progress on `progress`.
    pub async fn run_with_progress(
        &self,
        template: &str,
        parameters: Value,
        opts: &PathOptions,
        progress: Option<tokio::sync::mpsc::UnboundedSender<Progress>>,
    ) -> Result<RunRecord> {
        let template = self.template(template).await?;
        run::start(&self.inner, template, parameters, opts, progress).await
    }

    /// Continue an interrupted run from its last completed step.
    pub async fn resume(&self, run_id: &str, opts: &PathOptions) -> Result<RunRecord> {
        self.resume_with_progress(run_id, opts, None).await
    }

    /// [`Paths::resume`], reporting progress on `progress`.
    pub async fn resume_with_progress(
        &self,
        run_id: &str,
        opts: &PathOptions,
        progress: Option<tokio::sync::mpsc::UnboundedSender<Progress>>,
    ) -> Result<RunRecord> {
        run::resume(&self.inner, run_id, opts, progress).await
    }

    /// Runs, newest first: of one Template (ref) when given, at most `limit`.
    pub async fn runs(
        &self,
        template: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<RunSummary>> {
        let template = match template {
            Some(t) => Some(
                crate::model::EntityRef::parse_with(t, Some("template"), "default")
                    .map_err(|e| Error::invalid(Diagnostic::error("template", e.to_string())))?
                    .to_string(),
            ),
            None => None,
        };
        let rows = self
            .inner
            .store
            .runs(&RunFilter {
                template,
                limit: limit.unwrap_or(DEFAULT_RUNS),
                ..RunFilter::default()
            })
            .await?;
        let live = run::live_runs(&self.inner).await?;
        rows.iter()
            .map(|row| {
                let mut s = run::record_of(row)?.summary();
                s.interrupted =
                    s.status == crate::path::RunStatus::Running && !live.contains(&s.id);
                Ok(s)
            })
            .collect()
    }

    /// One run, whole.
    pub async fn run_info(&self, run_id: &str) -> Result<RunRecord> {
        let row = self
            .inner
            .store
            .run_get(run_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "run",
                id: run_id.to_string(),
                hint: None,
            })?;
        run::record_of(&row)
    }

    /// Test a Template like code: its dry run with `parameters` compared
    /// with the snapshot in `snapshot` (`update`: write it instead).
    pub async fn test(
        &self,
        template: &str,
        parameters: Value,
        snapshot: &std::path::Path,
        update: bool,
        opts: &PathOptions,
    ) -> Result<crate::path::SnapshotReport> {
        let plan = self.dry_run(template, parameters, opts).await?;
        crate::path::snapshot::compare(&plan, snapshot, update)
            .map_err(|m| Error::invalid(Diagnostic::error("snapshot", m)))
    }

    /// The figures a platform team is judged by, from the runs and the catalogue.
    pub async fn metrics(&self, opts: &MetricsOptions) -> Result<Metrics> {
        metrics::measure(&self.inner, opts).await
    }
}
