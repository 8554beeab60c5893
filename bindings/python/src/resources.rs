//! Resources: `paved._native.AsyncResources` wraps [`paved::Resources`]
//! (plan, apply, drift, destroy and import resources through their
//! providers; their state, history, outputs and leases). Plans, reports and
//! states are returned as dicts, shaped as `paved resource … -o json` prints
//! them. `refs` is one Resource ref or a list of them; none: every resource.

use paved::{ResourceOptions, Resources};
use pyo3::prelude::*;

use crate::convert;

/// The resources of a platform (asyncio API).
#[pyclass(name = "AsyncResources", module = "paved", frozen)]
pub(crate) struct PyAsyncResources {
    inner: Resources,
}

impl PyAsyncResources {
    pub(crate) fn new(inner: Resources) -> Self {
        Self { inner }
    }
}

/// `refs`: a ref, a list of refs, or None (every resource).
fn refs(refs: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    match refs.filter(|r| !r.is_none()) {
        Some(r) => convert::strings(r, "refs"),
        None => Ok(Vec::new()),
    }
}

#[pymethods]
impl PyAsyncResources {
    /// What applying `refs` (and what they depend on) would do, with the
    /// policy decisions; changes nothing (awaitable).
    #[pyo3(signature = (refs = None, *, actor = None, parallelism = None))]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        refs: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        parallelism: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = self::refs(refs)?;
        let opts = ResourceOptions {
            actor,
            dry_run: true,
            parallelism,
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.plan(&targets, &opts).await })
    }

    /// Bring `refs` (none: every resource) to what their Resources ask for;
    /// a dry run returns the plan only (awaitable).
    #[pyo3(signature = (refs = None, *, actor = None, dry_run = false, parallelism = None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        refs: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        dry_run: bool,
        parallelism: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = self::refs(refs)?;
        let opts = ResourceOptions {
            actor,
            dry_run,
            parallelism,
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.apply(&targets, &opts).await })
    }

    /// Delete `refs` (none: every resource) and what depends on them,
    /// dependents first; a dry run returns the plan only (awaitable).
    #[pyo3(signature = (refs = None, *, actor = None, dry_run = false, parallelism = None))]
    fn destroy<'py>(
        &self,
        py: Python<'py>,
        refs: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        dry_run: bool,
        parallelism: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = self::refs(refs)?;
        let opts = ResourceOptions {
            actor,
            dry_run,
            parallelism,
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.destroy(&targets, &opts).await })
    }

    /// Read `refs` (none: every resource with state) through their
    /// providers and report what changed outside paved; each check is
    /// recorded in the audit log (awaitable).
    #[pyo3(signature = (refs = None, *, actor = None, parallelism = None))]
    fn drift<'py>(
        &self,
        py: Python<'py>,
        refs: Option<&Bound<'_, PyAny>>,
        actor: Option<String>,
        parallelism: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = self::refs(refs)?;
        let opts = ResourceOptions {
            actor,
            dry_run: false,
            parallelism,
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.drift(&targets, &opts).await })
    }

    /// Adopt an existing thing (`external_id`, the provider's id of it) as
    /// the Resource `ref` of the catalogue (awaitable).
    #[pyo3(name = "import_", signature = (r#ref, external_id, *, actor = None))]
    fn import<'py>(
        &self,
        py: Python<'py>,
        r#ref: String,
        external_id: String,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = ResourceOptions {
            actor,
            ..ResourceOptions::default()
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move {
            resources.import(&r#ref, &external_id, &opts).await
        })
    }

    /// Every resource: declared in the catalogue or with state (awaitable).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.list().await })
    }

    /// A resource's latest state, lease and last drift check (outputs
    /// redacted) (awaitable).
    fn state<'py>(&self, py: Python<'py>, r#ref: String) -> PyResult<Bound<'py, PyAny>> {
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.state(&r#ref).await })
    }

    /// The versions of a resource's state, newest first (awaitable).
    #[pyo3(signature = (r#ref, *, limit = None))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        r#ref: String,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.history(&r#ref, limit).await })
    }

    /// A resource's outputs; sensitive ones are `(sensitive)` unless
    /// `reveal`, which is recorded in the audit log (awaitable).
    #[pyo3(signature = (r#ref, *, reveal = false, actor = None))]
    fn outputs<'py>(
        &self,
        py: Python<'py>,
        r#ref: String,
        reveal: bool,
        actor: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = ResourceOptions {
            actor,
            ..ResourceOptions::default()
        };
        let resources = self.inner.clone();
        crate::spawn_json(
            py,
            async move { resources.outputs(&r#ref, reveal, &opts).await },
        )
    }

    /// Release a resource's lease whoever holds it; the lease released, or
    /// None if it was free. A dry run returns the lease it would release
    /// (awaitable).
    #[pyo3(signature = (r#ref, *, actor = None, dry_run = false))]
    fn unlock<'py>(
        &self,
        py: Python<'py>,
        r#ref: String,
        actor: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = ResourceOptions {
            actor,
            dry_run,
            parallelism: None,
        };
        let resources = self.inner.clone();
        crate::spawn_json(py, async move { resources.unlock(&r#ref, &opts).await })
    }

    fn __repr__(&self) -> &'static str {
        "<AsyncResources>"
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncResources>()
}
