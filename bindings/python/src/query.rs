//! Queries: the `filter=`/`predicate=`/`fields=`/`order=` arguments →
//! [`paved::QuerySpec`] (core parses and combines them: filter strings AND
//! the predicate), and the results: `paved.Page`, `paved.FacetCount`, and
//! `AsyncQueryIterator` over [`paved::Catalog::query_all`]'s stream.
//! Items are `Entity` objects, or plain dicts when `fields` projects them.

use std::sync::Arc;

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use paved::{FacetCount, Page, QuerySpec};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::Value;

use crate::convert;
use crate::model::PyEntity;

/// Build a query spec from the keyword arguments every query method shares.
pub(crate) fn spec(
    filter: Option<&Bound<'_, PyAny>>,
    predicate: Option<&Bound<'_, PyAny>>,
    text: Option<String>,
    fields: Option<&Bound<'_, PyAny>>,
    order: Option<&Bound<'_, PyAny>>,
    limit: Option<usize>,
    cursor: Option<String>,
) -> PyResult<QuerySpec> {
    let strings = |v: Option<&Bound<'_, PyAny>>, what: &str| match v {
        Some(v) if !v.is_none() => convert::strings(v, what),
        _ => Ok(Vec::new()),
    };
    Ok(QuerySpec {
        filter: strings(filter, "filter")?,
        predicate: match predicate {
            Some(p) if !p.is_none() => Some(convert::to_json(p, "predicate")?),
            _ => None,
        },
        text,
        fields: strings(fields, "fields")?,
        order: strings(order, "order")?,
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
    pub(crate) fn new(page: Page, projected: bool) -> Self {
        Self {
            items: page.items.into_iter().map(Arc::new).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
            projected,
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

type Items = BoxStream<'static, paved::Result<Value>>;

/// `async for` over every matching entity, fetching pages as needed.
#[pyclass(name = "AsyncQueryIterator", module = "paved", frozen, generic)]
pub(crate) struct PyAsyncQueryIterator {
    stream: Arc<tokio::sync::Mutex<Items>>,
    projected: bool,
}

impl PyAsyncQueryIterator {
    pub(crate) fn new(stream: Items, projected: bool) -> Self {
        Self {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
            projected,
        }
    }
}

#[pymethods]
impl PyAsyncQueryIterator {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        let projected = self.projected;
        crate::spawn_with(
            py,
            async move { stream.lock().await.next().await },
            move |py, next| match next {
                Some(Ok(v)) => item(py, v, projected).map(Bound::unbind),
                Some(Err(e)) => Err(crate::errors::to_py(py, e)),
                None => Err(PyStopAsyncIteration::new_err(())),
            },
        )
    }

    /// The next matches, at most `limit` (awaitable): the first is waited
    /// for, then whatever is already loaded (the rest of its page) is taken
    /// without another round trip. An empty list means the end. The blocking
    /// iterator reads through this, one loop hop per page, not per entity.
    fn next_batch<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        let projected = self.projected;
        let read = async move {
            let mut stream = stream.lock().await;
            let mut batch = Vec::new();
            if let Some(first) = stream.next().await {
                batch.push(first);
                // `now_or_never` takes only items that need no I/O; a page
                // fetch left pending stays inside the stream for next time.
                // An error ends the batch (and the stream) and is raised.
                while batch.len() < limit && batch.last().is_some_and(Result::is_ok) {
                    match stream.next().now_or_never() {
                        Some(Some(item)) => batch.push(item),
                        _ => break,
                    }
                }
            }
            batch
        };
        crate::spawn_with(py, read, move |py, batch| {
            let list = PyList::empty(py);
            for next in batch {
                let value = next.map_err(|e| crate::errors::to_py(py, e))?;
                list.append(item(py, value, projected)?)?;
            }
            Ok(list.into_any().unbind())
        })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncQueryIterator>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPage>()?;
    m.add_class::<PyFacetCount>()?;
    m.add_class::<PyAsyncQueryIterator>()
}
