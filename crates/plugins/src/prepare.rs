//! Prepared guardrails: a guardrail instance snapshotted after it validated
//! its configured settings, so that each review starts from that state
//! instead of from scratch.
//!
//! A fresh instance per call means a guardrail decodes its settings (and,
//! say, compiles its regular expressions) on every review. With preparation
//! switched on ([`crate::PluginHostBuilder::prepare_guardrails`]), loading a
//! guardrail also:
//!
//! 1. instruments the component with `wasmtime-wizer` (exports that read
//!    each core instance's memories and globals);
//! 2. instantiates it in the plugin's own sandbox (same grants, deadline and
//!    memory cap as any call) and calls `validate-settings` with the
//!    configured settings: the Rust SDK keeps the decoded settings, and a
//!    rule may keep what its `check_settings` computed (compiled patterns);
//! 3. snapshots that state into a new component (memory and globals become
//!    its initial data) and compiles it like any component.
//!
//! Reviews with the configured settings then instantiate the snapshot: still
//! a fresh `Store` and instance per change (the bindings reviewing one change
//! share it), so nothing one change's review does is seen by the next; only
//! the state right after `validate-settings` is shared.
//! Reviews with other settings, `describe` and `validate-settings` use the
//! original component. A component wizer cannot snapshot (it refuses nested
//! components with modules and code that mutates tables) is simply not
//! prepared. (componentize-py's Python guardrail is prepared fine.)
//!
//! With a cache directory, the snapshot is stored under a key of the
//! component's hash and the settings, and its compiled code in the component
//! cache, so a second load costs what a cached load costs.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;
use wasmtime::component::{Instance, Lift, WasmList};
use wasmtime::{AsContextMut as _, Store, StoreContextMut};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use crate::bindings::guardrail::Guardrail;
use crate::cache::{self, CacheOutcome};
use crate::linked::Linked;
use crate::plugin::Plugin;
use crate::state::CallState;

/// The snapshot of a guardrail after `validate-settings`, linked.
pub(crate) struct Prepared {
    pub linked: Linked,
    /// Where the snapshot's compiled code came from.
    pub cache: CacheOutcome,
}

/// Prepare `plugin` (a guardrail loaded from `bytes` whose configured
/// settings already passed `validate-settings`). An error says why the
/// component could not be prepared; the caller then runs it unprepared.
pub(crate) async fn prepare_guardrail(plugin: &Plugin, bytes: &[u8]) -> Result<Prepared, String> {
    let rt = &plugin.runtime;
    let settings = plugin.settings.clone();
    let entry = rt.cache().map(|c| c.snapshot_path(bytes, &settings));
    let snapshot = match entry.as_deref().and_then(cache::read_snapshot) {
        Some(snapshot) => snapshot,
        None => {
            // wizer asserts what it expects of a component with panics; a
            // component it cannot handle must not take the host down.
            let snapshot = AssertUnwindSafe(snapshot(plugin, bytes, &settings))
                .catch_unwind()
                .await
                .map_err(|panic| format!("the snapshotter gave up: {}", panic_text(&*panic)))??;
            if let Some(path) = &entry {
                cache::write_snapshot(path, &snapshot);
            }
            snapshot
        }
    };
    let (component, cache) = rt
        .compile_bytes(&plugin.name, snapshot.into())
        .await
        .map_err(|e| e.to_string())?;
    let linked = rt
        .linker
        .instantiate_pre(&component)
        .and_then(Linked::new)
        .map_err(|e| format!("the snapshot does not link: {e:#}"))?;
    Ok(Prepared { linked, cache })
}

/// Instrument, run `validate-settings` in the sandbox, and snapshot.
async fn snapshot(plugin: &Plugin, bytes: &[u8], settings: &str) -> Result<Vec<u8>, String> {
    let settings = settings.to_owned();
    let wizer = Wizer::new();
    let (cx, instrumented) = wizer
        .instrument_component(bytes)
        .map_err(|e| format!("cannot be snapshotted: {e:#}"))?;
    // Through the component cache like any component: preparing the same
    // plugin with other settings then skips this compile.
    let (component, _) = plugin
        .runtime
        .compile_bytes(&plugin.name, instrumented.into())
        .await
        .map_err(|e| format!("the instrumented component does not compile: {e}"))?;
    let pre = plugin
        .runtime
        .linker
        .instantiate_pre(&component)
        .map_err(|e| format!("the instrumented component does not link: {e:#}"))?;
    plugin
        .call(plugin.settings.clone(), async |store| {
            let instance = pre.instantiate_async(&mut *store).await?;
            let guardrail = Guardrail::new(&mut *store, &instance)?;
            if let Err(e) = guardrail
                .paved_plugin_guardrail_api()
                .call_validate_settings(&mut *store, &settings)
                .await?
            {
                wasmtime::bail!("validate-settings refused the settings: {e:?}");
            }
            // wizer reads each memory whole through its own instrumented
            // exports (bounded by the memory cap), more than the hostcall
            // fuel a call's answer gets.
            store.set_hostcall_fuel(usize::MAX);
            let mut access = Access {
                store,
                instance,
                error: None,
            };
            let snapshot = wizer.snapshot_component(&cx, &mut access).await?;
            match access.error {
                Some(e) => Err(e),
                None => Ok(snapshot),
            }
        })
        .await
        .map(|called| called.value)
        .map_err(|e| format!("snapshot run failed: {e}"))
}

/// The message of a caught panic.
fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

/// Lets wizer read the instrumented instance's state through its access
/// exports. The trait's calls cannot fail, so the first error is kept here
/// (and the snapshot discarded) rather than panicking in the host.
struct Access<'a> {
    store: &'a mut Store<CallState>,
    instance: Instance,
    error: Option<wasmtime::Error>,
}

impl Access<'_> {
    async fn call<R: Lift + Send + Sync + 'static>(
        &mut self,
        instance: &str,
        func: &str,
    ) -> Option<(R, StoreContextMut<'_, CallState>)> {
        if self.error.is_some() {
            return None;
        }
        match self.try_call::<R>(instance, func).await {
            Ok(r) => Some((r, self.store.as_context_mut())),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    async fn try_call<R: Lift + Send + Sync + 'static>(
        &mut self,
        instance: &str,
        func: &str,
    ) -> wasmtime::Result<R> {
        let missing = || wasmtime::format_err!("no export {instance}#{func}");
        let (_, iface) = self
            .instance
            .get_export(&mut *self.store, None, instance)
            .ok_or_else(missing)?;
        let (_, index) = self
            .instance
            .get_export(&mut *self.store, Some(&iface), func)
            .ok_or_else(missing)?;
        let f = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *self.store, index)?;
        Ok(f.call_async(&mut *self.store, ()).await?.0)
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        match self.call::<WasmList<u8>>(instance, func).await {
            Some((list, store)) => contents(list.as_le_slice(&store)),
            None => contents(&[]),
        }
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func).await.map_or(0, |(r, _)| r)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func).await.map_or(0, |(r, _)| r)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func)
            .await
            .map_or(0, |(r, _)| r.to_bits())
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func)
            .await
            .map_or(0, |(r, _)| r.to_bits())
    }
}
