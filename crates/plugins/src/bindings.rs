//! The one module that runs `bindgen!` for the `paved:plugin` worlds; every
//! other module uses the generated types from here. Host imports are async
//! (catalogue lookups reach the store) and trappable (the host-call cap);
//! exports are called with `call_async` under an epoch deadline.

#![allow(missing_docs, clippy::all)]

/// The `guardrail` world, and the shared `types` and `host` interfaces.
pub mod guardrail {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "paved:plugin/guardrail",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// The `guardrail-each` world (a guardrail that also exports
/// `guardrail-each-api`), reusing the interfaces generated for `guardrail`.
/// Only its `guardrail-each-api` export is used: a guardrail is linked as
/// the `guardrail` world, and this export looked up beside it when present.
pub mod guardrail_each {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "paved:plugin/guardrail-each",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "paved:plugin/types": super::guardrail::paved::plugin::types,
            "paved:plugin/host": super::guardrail::paved::plugin::host,
            "paved:plugin/guardrail-types": super::guardrail::paved::plugin::guardrail_types,
        },
    });
}

/// The `provider` world, reusing the interfaces generated for `guardrail`.
pub mod provider {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "paved:plugin/provider",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "paved:plugin/types": super::guardrail::paved::plugin::types,
            "paved:plugin/host": super::guardrail::paved::plugin::host,
        },
    });
}

/// The `action` world, likewise.
pub mod action {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "paved:plugin/action",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "paved:plugin/types": super::guardrail::paved::plugin::types,
            "paved:plugin/host": super::guardrail::paved::plugin::host,
        },
    });
}

pub use action::paved::plugin::action_types as at;
pub use guardrail::paved::plugin::{guardrail_types as gt, host, types as t};
pub use guardrail_each::exports::paved::plugin::guardrail_each_api as each;
pub use provider::paved::plugin::provider_types as pt;
