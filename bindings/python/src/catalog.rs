//! The catalogue: `paved._native.AsyncCatalog` wraps [`paved::Catalog`]; each
//! method converts its arguments while holding the GIL and returns an
//! awaitable of the engine call (`query_all`: an async iterator).

use futures::StreamExt;
use paved::{Catalog, ImportMode, RefreshSchedule, Traversal, WriteOptions};
use pyo3::prelude::*;

use crate::convert;
use crate::graph::PyGraph;
use crate::ingest::{self, PyValidationReport};
use crate::model::PyEntity;
use crate::pipeline::PyChangeSet;
use crate::query::{self, PyAsyncQueryIterator, PyFacetCount, PyPage};

/// The catalogue of a platform (asyncio API).
#[pyclass(name = "AsyncCatalog", module = "paved", frozen)]
pub(crate) struct PyAsyncCatalog {
    inner: Catalog,
}

impl PyAsyncCatalog {
    pub(crate) fn new(inner: Catalog) -> Self {
        Self { inner }
    }
}

/// Run validation (file reads, parsing) on the runtime's blocking pool.
fn blocking<'py, F>(py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce() -> paved::Loaded + Send + 'static,
{
    crate::spawn(py, async move {
        tokio::task::spawn_blocking(f)
            .await
            .map(PyValidationReport::from)
            .map_err(|e| paved::Error::store_msg(format!("validation task failed: {e}")))
    })
}

#[pymethods]
impl PyAsyncCatalog {
    /// Validate catalogue files or directories (and the Location targets they
    /// name) against this platform's kinds. Writes nothing.
    fn validate<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let paths = convert::paths(paths)?;
        let catalog = self.inner.clone();
        blocking(py, move || catalog.validate(&paths))
    }

    /// Validate YAML text; `name` is the file name used in diagnostics
    /// (default `<inline>`). Writes nothing.
    #[pyo3(signature = (text, *, name = None))]
    fn validate_text<'py>(
        &self,
        py: Python<'py>,
        text: String,
        name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        blocking(py, move || catalog.validate_text(&text, name.as_deref()))
    }

    /// Validate entities given as dicts (or `Entity` objects). Writes nothing.
    fn validate_values<'py>(
        &self,
        py: Python<'py>,
        entities: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = ingest::values(entities)?;
        let catalog = self.inner.clone();
        blocking(py, move || catalog.validate_values(values))
    }

    /// Import catalogue files, directories and the locations they name.
    /// `mode` "per-entity" (the default, Backstage's way): every entity that
    /// passes is stored, every one that fails is kept out and listed in the
    /// change set's `refused` (or `conflicts`: another location keeps the
    /// ref), and `partial` is true; `ValidationError` when none passes.
    /// "all-or-nothing": any problem and `ValidationError` lists them all;
    /// nothing is written.
    #[pyo3(signature = (paths, *, mode = None, actor = None, dry_run = false))]
    fn import_files<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'_, PyAny>,
        mode: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let paths = convert::paths(paths)?;
        let mode = mode
            .as_deref()
            .map(ImportMode::parse)
            .transpose()
            .map_err(|e| crate::errors::to_py(py, e))?;
        let opts = WriteOptions { actor, dry_run };
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .import(&paths, mode, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// Create or update one entity (a dict or an `Entity`). With `etag`, the
    /// stored entity must have that etag (`""`: must not exist yet), else
    /// `ConflictError`.
    #[pyo3(signature = (entity, *, etag = None, actor = None, dry_run = false))]
    fn upsert<'py>(
        &self,
        py: Python<'py>,
        entity: &Bound<'_, PyAny>,
        etag: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let doc = convert::to_json(entity, "")?;
        let opts = WriteOptions { actor, dry_run };
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .upsert(doc, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// Delete one entity by ref (its relations go with it); `NotFoundError` if
    /// it does not exist, `ConflictError` if `etag` is given and differs.
    #[pyo3(signature = (entity_ref, *, etag = None, actor = None, dry_run = false))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        etag: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = WriteOptions { actor, dry_run };
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .delete(&entity_ref, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// One entity by ref (`kind:namespace/name`, or `kind:name`); `NotFoundError` if missing.
    fn get<'py>(&self, py: Python<'py>, entity_ref: String) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        crate::runtime::spawn_now(py, async move {
            catalog.get(&entity_ref).await.map(PyEntity::from)
        })
    }

    /// One page of matches; pass `page.next_cursor` as `cursor` for the next.
    /// `filter`: Backstage filter strings (a str or a list, ORed); `predicate`:
    /// a `$all`/`$any`/`$not` tree (both given: an entity must match both);
    /// `text`: full-text search; `fields`: project to dicts; `order`: fields,
    /// `-field` for descending; `limit`: page size.
    #[pyo3(signature = (filter = None, *, predicate = None, text = None, fields = None, order = None, limit = None, cursor = None))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python method
    fn query<'py>(
        &self,
        py: Python<'py>,
        filter: Option<&Bound<'_, PyAny>>,
        predicate: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        limit: Option<usize>,
        cursor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = query::spec(filter, predicate, text, fields, order, limit, cursor)?;
        let projected = !spec.fields.is_empty();
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .query(&spec)
                .await
                .map(|p| PyPage::new(p, projected))
        })
    }

    /// Every match, as an async iterator that follows the pages (`limit`:
    /// page size); the arguments are those of `query`.
    #[pyo3(signature = (filter = None, *, predicate = None, text = None, fields = None, order = None, limit = None, cursor = None))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python method
    fn query_all(
        &self,
        filter: Option<&Bound<'_, PyAny>>,
        predicate: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        limit: Option<usize>,
        cursor: Option<String>,
    ) -> PyResult<PyAsyncQueryIterator> {
        let spec = query::spec(filter, predicate, text, fields, order, limit, cursor)?;
        Ok(PyAsyncQueryIterator::new(
            self.inner.query_all(&spec),
            !spec.fields.is_empty(),
        ))
    }

    /// Full-text search over name, title, description and tags (every word
    /// must match, each as a prefix).
    #[pyo3(signature = (text, *, limit = None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        text: String,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .search(&text, limit)
                .await
                .map(|p| PyPage::new(p, false))
        })
    }

    /// How many entities have each value of `field`, among those `filter`
    /// and `predicate` match, most frequent first: every value, or the
    /// `limit` most frequent.
    #[pyo3(signature = (field, filter = None, *, predicate = None, limit = None))]
    fn facets<'py>(
        &self,
        py: Python<'py>,
        field: String,
        filter: Option<&Bound<'_, PyAny>>,
        predicate: Option<&Bound<'_, PyAny>>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = query::spec(filter, predicate, None, None, None, limit, None)?;
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .facets(&field, &spec)
                .await
                .map(|l| l.into_iter().map(PyFacetCount::from).collect::<Vec<_>>())
        })
    }

    /// Follow relations from an entity: `traversal` is "dependencies",
    /// "dependents", "owned", "ancestry" or "all"; `depth` hops; at most
    /// `limit` entities (`Graph.truncated` says whether it stopped there).
    #[pyo3(signature = (entity_ref, traversal = None, depth = None, limit = None))]
    fn graph<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        traversal: Option<String>,
        depth: Option<usize>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let traversal = match traversal {
            Some(t) => Traversal::parse(&t).map_err(|e| crate::errors::to_py(py, e))?,
            None => Traversal::default(),
        };
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .graph(&entity_ref, traversal, depth, limit)
                .await
                .map(PyGraph::from)
        })
    }

    /// Every registered location (a root an import started from) with the
    /// entities stored from it and its last import or refresh (what it
    /// refused), as dicts (awaitable).
    fn locations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        crate::spawn_json(py, async move { catalog.locations().await })
    }

    /// One registered location (a path, a URL or a ref such as
    /// `file:/abs/path`), as a dict (awaitable); `NotFoundError` otherwise.
    fn location<'py>(&self, py: Python<'py>, location: String) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        crate::spawn_json(py, async move { catalog.location(&location).await })
    }

    /// Re-read one registered location, or all of them, and apply what
    /// changed per entity (awaitable; the report as a dict).
    #[pyo3(signature = (location = None, *, actor = None, dry_run = false))]
    fn refresh<'py>(
        &self,
        py: Python<'py>,
        location: Option<String>,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = WriteOptions { actor, dry_run };
        let catalog = self.inner.clone();
        crate::spawn_json(py, async move {
            catalog.refresh(location.as_deref(), &opts).await
        })
    }

    /// Refresh once, then every `interval` ("30s", "5m") and/or whenever a
    /// file read changes (`watch`), as an async iterator of event dicts:
    /// `{"event": "location", …}` as each location is done and
    /// `{"event": "done", …}` with the whole report.
    #[pyo3(signature = (location = None, *, interval = None, watch = false, actor = None, dry_run = false))]
    fn refreshes(
        &self,
        py: Python<'_>,
        location: Option<String>,
        interval: Option<String>,
        watch: bool,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<PyAsyncQueryIterator> {
        let interval = interval
            .as_deref()
            .map(RefreshSchedule::parse_interval)
            .transpose()
            .map_err(|e| crate::errors::to_py(py, e))?;
        let schedule = RefreshSchedule {
            location,
            interval,
            watch,
        };
        let events = self
            .inner
            .refreshes(schedule, WriteOptions { actor, dry_run })
            .map(|event| {
                event.and_then(|e| {
                    serde_json::to_value(e)
                        .map_err(|e| paved::Error::store("a refresh event did not serialize", e))
                })
            });
        Ok(PyAsyncQueryIterator::new(Box::pin(events), true))
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncCatalog>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncCatalog>()
}
