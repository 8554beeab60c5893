//! Graph traversal results: `paved.Graph`, `paved.GraphNode`, `paved.GraphEdge`
//! (wrap [`paved::Graph`]).

use paved::{Graph, GraphEdge, GraphNode};
use pyo3::prelude::*;

use crate::convert;

/// The entities reached from a root by following relations, and the
/// relations followed.
#[pyclass(name = "Graph", module = "paved", frozen)]
pub(crate) struct PyGraph {
    inner: Graph,
}

impl From<Graph> for PyGraph {
    fn from(inner: Graph) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyGraph {
    /// The root's ref.
    #[getter]
    fn root(&self) -> &str {
        &self.inner.root
    }

    /// "dependencies", "dependents", "owned", "ancestry" or "all".
    #[getter]
    fn traversal(&self) -> String {
        convert::enum_name(&self.inner.traversal)
    }

    /// The depth asked for.
    #[getter]
    fn depth(&self) -> usize {
        self.inner.depth
    }

    /// The most entities asked for (the root among them).
    #[getter]
    fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Whether `limit` cut the traversal short: more entities are reachable
    /// within `depth` than `nodes` holds.
    #[getter]
    fn truncated(&self) -> bool {
        self.inner.truncated
    }

    /// Entities reached, root first, breadth first.
    #[getter]
    fn nodes(&self) -> Vec<PyGraphNode> {
        self.inner
            .nodes
            .iter()
            .cloned()
            .map(|inner| PyGraphNode { inner })
            .collect()
    }

    /// Relations followed, sorted by source, type and target.
    #[getter]
    fn edges(&self) -> Vec<PyGraphEdge> {
        self.inner
            .edges
            .iter()
            .cloned()
            .map(|inner| PyGraphEdge { inner })
            .collect()
    }

    /// The graph as JSON, as `paved catalog graph --json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Graph {} {} nodes={} edges={}{}>",
            self.inner.root,
            convert::enum_name(&self.inner.traversal),
            self.inner.nodes.len(),
            self.inner.edges.len(),
            if self.inner.truncated {
                " truncated"
            } else {
                ""
            }
        )
    }
}

/// An entity reached by a traversal.
#[pyclass(name = "GraphNode", module = "paved", frozen)]
pub(crate) struct PyGraphNode {
    inner: GraphNode,
}

#[pymethods]
impl PyGraphNode {
    /// The entity's ref.
    #[getter]
    fn entity_ref(&self) -> &str {
        &self.inner.entity_ref
    }

    /// Hops from the root (0 for the root).
    #[getter]
    fn depth(&self) -> usize {
        self.inner.depth
    }

    /// Whether the entity exists in the catalogue (refs may dangle).
    #[getter]
    fn exists(&self) -> bool {
        self.inner.exists
    }

    /// `{"entity_ref": …, "depth": …, "exists": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<GraphNode {} depth={}>",
            self.inner.entity_ref, self.inner.depth
        )
    }
}

/// A relation followed by a traversal.
#[pyclass(name = "GraphEdge", module = "paved", frozen)]
pub(crate) struct PyGraphEdge {
    inner: GraphEdge,
}

#[pymethods]
impl PyGraphEdge {
    /// The ref the relation starts at.
    #[getter]
    fn source(&self) -> &str {
        &self.inner.source
    }

    /// The relation type, e.g. `dependsOn`.
    #[getter(r#type)]
    fn relation_type(&self) -> &str {
        &self.inner.r#type
    }

    /// The ref the relation points to.
    #[getter]
    fn target(&self) -> &str {
        &self.inner.target
    }

    /// `{"source": …, "type": …, "target": …}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serde_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<GraphEdge {} {} {}>",
            self.inner.source, self.inner.r#type, self.inner.target
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGraph>()?;
    m.add_class::<PyGraphNode>()?;
    m.add_class::<PyGraphEdge>()
}
