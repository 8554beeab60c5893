//! [`Linked`]: a guardrail component linked for instantiation, with where
//! its exports are; what [`crate::guardrail`] and [`crate::prepare`] (the
//! snapshot) instantiate.

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

use crate::bindings::each;
use crate::bindings::guardrail::{Guardrail, GuardrailIndices};
use crate::state::CallState;

/// A guardrail component linked for instantiation, with where its exports
/// are: the `guardrail` world's, and `guardrail-each-api` when it exports
/// that too.
pub(crate) struct Linked {
    pre: InstancePre<CallState>,
    exports: GuardrailIndices,
    /// Where `guardrail-each-api` is, when the component exports it.
    pub each: Option<each::GuestIndices>,
}

impl Linked {
    /// Find the exports; fails when the `guardrail` world's are missing.
    pub(crate) fn new(pre: InstancePre<CallState>) -> wasmtime::Result<Self> {
        let exports = GuardrailIndices::new(&pre)?;
        let each = each::GuestIndices::new(&pre).ok();
        Ok(Self { pre, exports, each })
    }

    /// A new instance in `store`.
    pub(crate) async fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Live> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        let guardrail = self.exports.load(&mut *store, &instance)?;
        Ok(Live {
            instance,
            guardrail,
        })
    }
}

/// An instance of a guardrail component.
pub(crate) struct Live {
    pub instance: Instance,
    pub guardrail: Guardrail,
}
