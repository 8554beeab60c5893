//! The catalogue: `paved.Catalog` (blocking) and `paved.AsyncCatalog`
//! (awaitables), both wrapping [`paved::platform::Catalog`] with the same
//! method names and arguments.
//!
//! Each method converts its arguments while holding the GIL, then hands an
//! owned future to [`crate::run`] or [`crate::spawn`].

use std::path::PathBuf;

use paved::graph::Traversal;
use paved::platform::Catalog;
use pyo3::prelude::*;

use crate::convert;
use crate::graph::PyGraph;
use crate::ingest::{self, PyValidationReport};
use crate::model::PyEntity;
use crate::pipeline::{PyChangeSet, write_options};
use crate::query::{self, Pager, PyAsyncQueryIterator, PyFacetCount, PyPage, PyQueryIterator};

/// Arguments of `graph()`, checked before the engine runs.
fn traversal(py: Python<'_>, name: &str) -> PyResult<Traversal> {
    Traversal::parse(name).map_err(|e| crate::errors::to_py(py, e))
}

fn facets(list: Vec<paved::query::FacetCount>) -> Vec<PyFacetCount> {
    list.into_iter().map(PyFacetCount::from).collect()
}

/// The catalogue of a platform (blocking calls; the GIL is released while
/// the engine works).
#[pyclass(name = "Catalog", module = "paved", frozen)]
pub(crate) struct PyCatalog {
    inner: Catalog,
}

impl PyCatalog {
    pub(crate) fn new(inner: Catalog) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyCatalog {
    /// Validate catalogue files or directories (and the Location targets they
    /// name) against this platform's kinds. Writes nothing.
    fn validate(&self, py: Python<'_>, paths: &Bound<'_, PyAny>) -> PyResult<PyValidationReport> {
        let paths = convert::paths(paths)?;
        let catalog = &self.inner;
        Ok(py.detach(|| catalog.validate(&paths)).into())
    }

    /// Validate YAML text; `name` is the file name used in diagnostics. Writes nothing.
    #[pyo3(signature = (text, *, name = "<inline>"))]
    fn validate_text(&self, py: Python<'_>, text: &str, name: &str) -> PyValidationReport {
        let catalog = &self.inner;
        py.detach(|| catalog.validate_text(name, text)).into()
    }

    /// Validate entities given as dicts (or `Entity` objects). Writes nothing.
    fn validate_values(
        &self,
        py: Python<'_>,
        entities: &Bound<'_, PyAny>,
    ) -> PyResult<PyValidationReport> {
        let values = ingest::values(entities)?;
        let catalog = &self.inner;
        Ok(py.detach(|| catalog.validate_values(values)).into())
    }

    /// Import catalogue files, directories and the locations they name: all or
    /// nothing (`ValidationError` lists every problem and nothing is written).
    #[pyo3(signature = (paths, *, dry_run = false, actor = None))]
    fn import_files(
        &self,
        py: Python<'_>,
        paths: &Bound<'_, PyAny>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<PyChangeSet> {
        let paths = convert::paths(paths)?;
        let opts = write_options(actor, dry_run);
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog.import(&paths, &opts).await.map(PyChangeSet::from)
        })
    }

    /// Create or update one entity (a dict or an `Entity`). With `etag`, the
    /// stored entity must have that etag (`""`: must not exist yet), else
    /// `ConflictError`.
    #[pyo3(signature = (entity, *, etag = None, dry_run = false, actor = None))]
    fn upsert(
        &self,
        py: Python<'_>,
        entity: &Bound<'_, PyAny>,
        etag: Option<String>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<PyChangeSet> {
        let doc = convert::to_json(entity, "")?;
        let opts = write_options(actor, dry_run);
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog
                .upsert(doc, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// Delete one entity by ref (its relations go with it); `NotFoundError` if
    /// it does not exist, `ConflictError` if `etag` is given and differs.
    #[pyo3(signature = (entity_ref, *, etag = None, dry_run = false, actor = None))]
    fn delete(
        &self,
        py: Python<'_>,
        entity_ref: String,
        etag: Option<String>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<PyChangeSet> {
        let opts = write_options(actor, dry_run);
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog
                .delete(&entity_ref, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// One entity by ref (`kind:namespace/name`, or `kind:name`); `NotFoundError` if missing.
    fn get(&self, py: Python<'_>, entity_ref: String) -> PyResult<PyEntity> {
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog.get(&entity_ref).await.map(PyEntity::from)
        })
    }

    /// Every matching entity, as an iterator that loads `page_size` entities at
    /// a time. `filter`: a Backstage filter string, a list of them (ORed) or a
    /// predicate dict; `text`: full-text search; `fields`: project to dicts;
    /// `order`: fields, `-field` for descending.
    #[pyo3(signature = (filter = None, *, text = None, fields = None, order = None, page_size = None))]
    fn query(
        &self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        page_size: Option<usize>,
    ) -> PyResult<PyQueryIterator> {
        let q = query::build(py, filter, text, fields, order, page_size, None)?;
        Ok(PyQueryIterator::new(Pager::new(self.inner.clone(), q)))
    }

    /// One page of a query; pass `page.next_cursor` as `cursor` for the next.
    #[pyo3(signature = (filter = None, *, text = None, fields = None, order = None, limit = None, cursor = None))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python method
    fn query_page(
        &self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        limit: Option<usize>,
        cursor: Option<String>,
    ) -> PyResult<PyPage> {
        let q = query::build(py, filter, text, fields, order, limit, cursor)?;
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog.query(&q).await.map(|p| PyPage::new(p, &q))
        })
    }

    /// Full-text search over name, title, description and tags (every word
    /// must match, each as a prefix).
    #[pyo3(signature = (text, *, limit = None))]
    fn search(&self, py: Python<'_>, text: String, limit: Option<usize>) -> PyResult<PyPage> {
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog
                .search(&text, limit)
                .await
                .map(|p| PyPage::new(p, &paved::query::Query::default()))
        })
    }

    /// How many entities have each value of `field` (among those matching `filter`).
    #[pyo3(signature = (field, filter = None))]
    fn facets(
        &self,
        py: Python<'_>,
        field: String,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyFacetCount>> {
        let predicate = query::predicate(py, filter)?;
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog.facets(&field, predicate.as_ref()).await.map(facets)
        })
    }

    /// Follow relations from an entity: `traversal` is "dependencies",
    /// "dependents", "owned", "ancestry" or "all"; `depth` hops (at most 16).
    #[pyo3(signature = (entity_ref, traversal = "dependencies", depth = 1))]
    fn graph(
        &self,
        py: Python<'_>,
        entity_ref: String,
        traversal: &str,
        depth: usize,
    ) -> PyResult<PyGraph> {
        let t = self::traversal(py, traversal)?;
        let catalog = &self.inner;
        crate::run(py, async move {
            catalog
                .graph(&entity_ref, t, depth)
                .await
                .map(PyGraph::from)
        })
    }

    fn __repr__(&self) -> &'static str {
        "<Catalog>"
    }
}

/// The catalogue, asyncio flavour: the same methods as `Catalog`, each
/// returning an awaitable (and `query` an async iterator).
#[pyclass(name = "AsyncCatalog", module = "paved", frozen)]
pub(crate) struct PyAsyncCatalog {
    inner: Catalog,
}

impl PyAsyncCatalog {
    pub(crate) fn new(inner: Catalog) -> Self {
        Self { inner }
    }
}

/// Run blocking validation on the runtime's blocking pool.
fn blocking<'py, F>(py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce() -> paved::ingest::Loaded + Send + 'static,
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
    /// Validate catalogue files or directories. Writes nothing.
    fn validate<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let paths: Vec<PathBuf> = convert::paths(paths)?;
        let catalog = self.inner.clone();
        blocking(py, move || catalog.validate(&paths))
    }

    /// Validate YAML text; `name` is the file name used in diagnostics. Writes nothing.
    #[pyo3(signature = (text, *, name = "<inline>".to_string()))]
    fn validate_text<'py>(
        &self,
        py: Python<'py>,
        text: String,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        blocking(py, move || catalog.validate_text(&name, &text))
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

    /// Import catalogue files, directories and the locations they name: all or nothing.
    #[pyo3(signature = (paths, *, dry_run = false, actor = None))]
    fn import_files<'py>(
        &self,
        py: Python<'py>,
        paths: &Bound<'_, PyAny>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let paths = convert::paths(paths)?;
        let opts = write_options(actor, dry_run);
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog.import(&paths, &opts).await.map(PyChangeSet::from)
        })
    }

    /// Create or update one entity (a dict or an `Entity`), optionally guarded by `etag`.
    #[pyo3(signature = (entity, *, etag = None, dry_run = false, actor = None))]
    fn upsert<'py>(
        &self,
        py: Python<'py>,
        entity: &Bound<'_, PyAny>,
        etag: Option<String>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let doc = convert::to_json(entity, "")?;
        let opts = write_options(actor, dry_run);
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .upsert(doc, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// Delete one entity by ref, optionally guarded by `etag`.
    #[pyo3(signature = (entity_ref, *, etag = None, dry_run = false, actor = None))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        etag: Option<String>,
        dry_run: bool,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = write_options(actor, dry_run);
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .delete(&entity_ref, etag, &opts)
                .await
                .map(PyChangeSet::from)
        })
    }

    /// One entity by ref; `NotFoundError` if missing.
    fn get<'py>(&self, py: Python<'py>, entity_ref: String) -> PyResult<Bound<'py, PyAny>> {
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog.get(&entity_ref).await.map(PyEntity::from)
        })
    }

    /// Every matching entity, as an async iterator (`async for`) that loads
    /// `page_size` entities at a time.
    #[pyo3(signature = (filter = None, *, text = None, fields = None, order = None, page_size = None))]
    fn query(
        &self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        page_size: Option<usize>,
    ) -> PyResult<PyAsyncQueryIterator> {
        let q = query::build(py, filter, text, fields, order, page_size, None)?;
        Ok(PyAsyncQueryIterator::new(Pager::new(self.inner.clone(), q)))
    }

    /// One page of a query; pass `page.next_cursor` as `cursor` for the next.
    #[pyo3(signature = (filter = None, *, text = None, fields = None, order = None, limit = None, cursor = None))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of the Python method
    fn query_page<'py>(
        &self,
        py: Python<'py>,
        filter: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        limit: Option<usize>,
        cursor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = query::build(py, filter, text, fields, order, limit, cursor)?;
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog.query(&q).await.map(|p| PyPage::new(p, &q))
        })
    }

    /// Full-text search over name, title, description and tags.
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
                .map(|p| PyPage::new(p, &paved::query::Query::default()))
        })
    }

    /// How many entities have each value of `field` (among those matching `filter`).
    #[pyo3(signature = (field, filter = None))]
    fn facets<'py>(
        &self,
        py: Python<'py>,
        field: String,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let predicate = query::predicate(py, filter)?;
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog.facets(&field, predicate.as_ref()).await.map(facets)
        })
    }

    /// Follow relations from an entity (see `Catalog.graph`).
    #[pyo3(signature = (entity_ref, traversal = "dependencies", depth = 1))]
    fn graph<'py>(
        &self,
        py: Python<'py>,
        entity_ref: String,
        traversal: &str,
        depth: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self::traversal(py, traversal)?;
        let catalog = self.inner.clone();
        crate::spawn(py, async move {
            catalog
                .graph(&entity_ref, t, depth)
                .await
                .map(PyGraph::from)
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncCatalog>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCatalog>()?;
    m.add_class::<PyAsyncCatalog>()
}
