//! Queries: the `filter=`/`fields=`/`order=` arguments → [`paved::query::Query`],
//! and the results: `paved.Page`, `paved.FacetCount`, and the iterators over
//! every page (`QueryIterator`, `AsyncQueryIterator`).
//!
//! A filter is a Backstage filter string (`"kind=component,spec.owner=team-a"`),
//! a list of them (ORed), or a predicate tree as a dict (`{"$all": [...]}`);
//! the core parses all three ([`paved::query::parse_filters`],
//! [`paved::query::parse_predicate`]). Items are `Entity` objects, or plain
//! dicts when `fields` projects them.

use std::collections::VecDeque;
use std::sync::Arc;

use paved::platform::Catalog;
use paved::query::{FacetCount, Order, Page, Predicate, Query};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde_json::Value;

use crate::convert;
use crate::model::PyEntity;

/// The `filter` argument → a predicate (`None` matches everything).
pub(crate) fn predicate(
    py: Python<'_>,
    filter: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Predicate>> {
    let Some(filter) = filter.filter(|f| !f.is_none()) else {
        return Ok(None);
    };
    let invalid = |d: paved::Diagnostic| crate::errors::to_py(py, paved::Error::invalid(d));
    if filter.is_instance_of::<PyString>()
        || filter.is_instance_of::<pyo3::types::PyList>()
        || filter.is_instance_of::<pyo3::types::PyTuple>()
    {
        let strings = convert::strings(filter, "filter")?;
        return paved::query::parse_filters(&strings).map_err(invalid);
    }
    let tree = convert::to_json(filter, "filter")?;
    paved::query::parse_predicate(&tree)
        .map(Some)
        .map_err(invalid)
}

/// Build a query from the keyword arguments every query method shares.
pub(crate) fn build(
    py: Python<'_>,
    filter: Option<&Bound<'_, PyAny>>,
    text: Option<String>,
    fields: Option<&Bound<'_, PyAny>>,
    order: Option<&Bound<'_, PyAny>>,
    limit: Option<usize>,
    cursor: Option<String>,
) -> PyResult<Query> {
    Ok(Query {
        filter: predicate(py, filter)?,
        text,
        fields: match fields {
            Some(f) if !f.is_none() => convert::strings(f, "fields")?,
            _ => Vec::new(),
        },
        order: match order {
            Some(o) if !o.is_none() => convert::strings(o, "order")?
                .iter()
                .map(|s| Order::parse(s))
                .collect(),
            _ => Vec::new(),
        },
        limit,
        cursor,
    })
}

/// An item of a result: an `Entity`, or a dict when the query projected fields.
fn item<'py>(py: Python<'py>, value: Value, projected: bool) -> PyResult<Bound<'py, PyAny>> {
    if projected {
        convert::to_py(py, &value)
    } else {
        PyEntity::from_value(value).into_bound_py_any(py)
    }
}

/// One page of query results.
#[pyclass(name = "Page", module = "paved", frozen, generic)]
pub(crate) struct PyPage {
    /// The documents, shared with the `Entity` objects made from them.
    items: Vec<Arc<Value>>,
    next_cursor: Option<String>,
    total: u64,
    projected: bool,
}

impl PyPage {
    pub(crate) fn new(page: Page, query: &Query) -> Self {
        Self {
            items: page.items.into_iter().map(Arc::new).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
            projected: !query.fields.is_empty(),
        }
    }
}

#[pymethods]
impl PyPage {
    /// `Entity` objects, or dicts when the query asked for `fields` (a new list
    /// each time).
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.items
            .iter()
            .map(|v| {
                if self.projected {
                    convert::to_py(py, v)
                } else {
                    PyEntity::shared(v.clone()).into_bound_py_any(py)
                }
            })
            .collect()
    }

    /// Pass as `cursor=` to get the next page; None on the last page.
    #[getter]
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }

    /// How many entities match in all.
    #[getter]
    fn total(&self) -> u64 {
        self.total
    }

    /// `{"items": [...], "next_cursor": …, "total": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::json!({
            "items": self.items.iter().map(|v| v.as_ref()).collect::<Vec<_>>(),
            "next_cursor": self.next_cursor,
            "total": self.total,
        });
        convert::to_py(py, &json)
    }

    fn __len__(&self) -> usize {
        self.items.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Page items={} total={} more={}>",
            self.items.len(),
            self.total,
            self.next_cursor.is_some()
        )
    }
}

/// A value and how many entities have it.
#[pyclass(name = "FacetCount", module = "paved", frozen)]
pub(crate) struct PyFacetCount {
    inner: FacetCount,
}

impl From<FacetCount> for PyFacetCount {
    fn from(inner: FacetCount) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyFacetCount {
    /// The value.
    #[getter]
    fn value(&self) -> &str {
        &self.inner.value
    }

    /// How many entities have it.
    #[getter]
    fn count(&self) -> u64 {
        self.inner.count
    }

    /// `{"value": …, "count": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!("<FacetCount {}={}>", self.inner.value, self.inner.count)
    }
}

/// Walks a query page by page (the core query is cursor-paged).
pub(crate) struct Pager {
    catalog: Catalog,
    query: Query,
    buffer: VecDeque<Value>,
    done: bool,
    total: Option<u64>,
}

impl Pager {
    pub(crate) fn new(catalog: Catalog, query: Query) -> Self {
        Self {
            catalog,
            query,
            buffer: VecDeque::new(),
            done: false,
            total: None,
        }
    }

    fn projected(&self) -> bool {
        !self.query.fields.is_empty()
    }

    /// Load the next page into the buffer (if the buffer is empty and there is one).
    async fn fill(&mut self) -> paved::Result<()> {
        if self.buffer.is_empty() && !self.done {
            let page = self.catalog.query(&self.query).await?;
            self.total = Some(page.total);
            self.buffer.extend(page.items);
            match page.next_cursor {
                Some(c) => self.query.cursor = Some(c),
                None => self.done = true,
            }
        }
        Ok(())
    }
}

/// Iterates over every matching entity, fetching pages as needed (the GIL is
/// released while a page loads).
#[pyclass(name = "QueryIterator", module = "paved", generic)]
pub(crate) struct PyQueryIterator {
    pager: Pager,
}

impl PyQueryIterator {
    pub(crate) fn new(pager: Pager) -> Self {
        Self { pager }
    }
}

#[pymethods]
impl PyQueryIterator {
    /// How many entities match in all; None until the first page is loaded.
    #[getter]
    fn total(&self) -> Option<u64> {
        self.pager.total
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.pager.buffer.is_empty() {
            let pager = &mut self.pager;
            crate::run(py, pager.fill())?;
        }
        let projected = self.pager.projected();
        self.pager
            .buffer
            .pop_front()
            .map(|v| item(py, v, projected))
            .transpose()
    }

    fn __repr__(&self) -> String {
        format!("<QueryIterator total={:?}>", self.pager.total)
    }
}

/// `async for` over every matching entity, fetching pages as needed.
#[pyclass(name = "AsyncQueryIterator", module = "paved", frozen, generic)]
pub(crate) struct PyAsyncQueryIterator {
    pager: Arc<tokio::sync::Mutex<Pager>>,
}

impl PyAsyncQueryIterator {
    pub(crate) fn new(pager: Pager) -> Self {
        Self {
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
        }
    }
}

#[pymethods]
impl PyAsyncQueryIterator {
    /// How many entities match in all; None until the first page is loaded
    /// (or while a page is loading).
    #[getter]
    fn total(&self) -> Option<u64> {
        self.pager.try_lock().ok().and_then(|p| p.total)
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pager = self.pager.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let mut pager = pager.lock().await;
            if let Err(e) = pager.fill().await {
                return Err(Python::attach(|py| crate::errors::to_py(py, e)));
            }
            let projected = pager.projected();
            match pager.buffer.pop_front() {
                Some(v) => Python::attach(|py| item(py, v, projected).map(Bound::unbind)),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    fn __repr__(&self) -> String {
        format!("<AsyncQueryIterator total={:?}>", self.total())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPage>()?;
    m.add_class::<PyFacetCount>()?;
    m.add_class::<PyQueryIterator>()?;
    m.add_class::<PyAsyncQueryIterator>()
}
