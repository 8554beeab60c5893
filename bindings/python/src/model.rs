//! `paved.Entity` and `paved.Relation`: catalogue entities as Python objects
//! (wrap the entity's JSON document, [`paved::Entity`]'s serde form).
//!
//! Attributes are read from the document when asked for, so a query that
//! returns 10,000 entities makes 10,000 small objects and no dicts until
//! `to_dict()` or `.spec`/`.metadata` is used.

use std::sync::Arc;

use pyo3::prelude::*;
use serde_json::Value;

use crate::convert;

/// A catalogue entity (Backstage envelope: apiVersion, kind, metadata, spec,
/// relations, status). Read-only; `to_dict()` gives the document, and every
/// method that takes an entity also takes a plain dict.
#[pyclass(name = "Entity", module = "paved", frozen)]
pub(crate) struct PyEntity {
    doc: Arc<Value>,
}

impl PyEntity {
    /// Wrap an entity document as the store returns it.
    pub(crate) fn from_value(doc: Value) -> Self {
        Self { doc: Arc::new(doc) }
    }

    /// Share a document already held elsewhere (e.g. by a `Page`).
    pub(crate) fn shared(doc: Arc<Value>) -> Self {
        Self { doc }
    }

    /// The JSON document.
    pub(crate) fn document(&self) -> &Value {
        &self.doc
    }

    fn str_at(&self, section: &str, key: &str) -> Option<&str> {
        self.doc.get(section)?.get(key)?.as_str()
    }

    fn section<'py>(
        &self,
        py: Python<'py>,
        section: &str,
        key: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = match key {
            Some(k) => self.doc.get(section).and_then(|s| s.get(k)),
            None => self.doc.get(section),
        };
        match v {
            Some(v) => convert::to_py(py, v),
            None if key == Some("tags") || section == "relations" => {
                Ok(pyo3::types::PyList::empty(py).into_any())
            }
            None => Ok(pyo3::types::PyDict::new(py).into_any()),
        }
    }
}

impl From<paved::Entity> for PyEntity {
    fn from(e: paved::Entity) -> Self {
        Self::from_value(e.to_value())
    }
}

#[pymethods]
impl PyEntity {
    /// `apiVersion`, e.g. `backstage.io/v1alpha1`.
    #[getter]
    fn api_version(&self) -> &str {
        self.doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `kind`, e.g. `Component`.
    #[getter]
    fn kind(&self) -> &str {
        self.doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `metadata.name`.
    #[getter]
    fn name(&self) -> &str {
        self.str_at("metadata", "name").unwrap_or_default()
    }

    /// `metadata.namespace`, `default` when absent.
    #[getter]
    fn namespace(&self) -> &str {
        self.str_at("metadata", "namespace").unwrap_or("default")
    }

    /// The entity ref `kind:namespace/name` (case as written).
    #[getter(r#ref)]
    fn entity_ref(&self) -> String {
        paved::EntityRef::new(self.kind(), self.namespace(), self.name()).to_string()
    }

    /// `metadata.title`.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.str_at("metadata", "title")
    }

    /// `metadata.description`.
    #[getter]
    fn description(&self) -> Option<&str> {
        self.str_at("metadata", "description")
    }

    /// `metadata.etag`, set by the store: pass it back to `upsert(etag=…)`.
    #[getter]
    fn etag(&self) -> Option<&str> {
        self.str_at("metadata", "etag")
    }

    /// `metadata.uid`, set by the store.
    #[getter]
    fn uid(&self) -> Option<&str> {
        self.str_at("metadata", "uid")
    }

    /// `metadata.labels` (a new dict).
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.section(py, "metadata", Some("labels"))
    }

    /// `metadata.annotations` (a new dict).
    #[getter]
    fn annotations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.section(py, "metadata", Some("annotations"))
    }

    /// `metadata.tags` (a new list).
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.section(py, "metadata", Some("tags"))
    }

    /// `metadata` (a new dict).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.section(py, "metadata", None)
    }

    /// `spec` (a new dict; empty when the entity has none).
    #[getter]
    fn spec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.section(py, "spec", None)
    }

    /// `status`, or None.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.doc.get("status") {
            Some(v) => convert::to_py(py, v),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Relations to other entities, derived from spec fields (both directions).
    #[getter]
    fn relations(&self) -> Vec<PyRelation> {
        self.doc
            .get("relations")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|inner| PyRelation {
                        inner: inner.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entity document as a dict (camelCase keys, as in YAML).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.doc)
    }

    fn __repr__(&self) -> String {
        format!("<Entity {}>", self.entity_ref())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|o| o.get().doc == self.doc)
    }
}

/// A relation from an entity to another, e.g. `ownedBy` → `group:default/payments`.
#[pyclass(name = "Relation", module = "paved", frozen)]
pub(crate) struct PyRelation {
    /// `{"type": …, "targetRef": …}` as the entity holds it.
    inner: Value,
}

impl PyRelation {
    fn field(&self, key: &str) -> &str {
        self.inner
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

#[pymethods]
impl PyRelation {
    /// The relation type, e.g. `ownedBy`, `dependsOn`, `partOf`.
    #[getter(r#type)]
    fn relation_type(&self) -> &str {
        self.field("type")
    }

    /// The full ref of the other end.
    #[getter]
    fn target_ref(&self) -> &str {
        self.field("targetRef")
    }

    /// `{"type": …, "targetRef": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Relation {} {}>",
            self.field("type"),
            self.field("targetRef")
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEntity>()?;
    m.add_class::<PyRelation>()
}
