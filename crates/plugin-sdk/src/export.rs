//! The export macros. The world bindings they need are generated once, in
//! this crate, from its own copy of the WIT (`crates/plugin-sdk/wit`, kept
//! equal to the repository's `wit/` by a test), with wit-bindgen's public
//! export macros; a plugin crate only implements the exports and invokes
//! them. So the SDK needs no path outside itself and can be published.

/// Export a type implementing [`Guardrail`](crate::Guardrail) as the
/// component's `paved:plugin/guardrail-each` world (`guardrail` and
/// `guardrail-each-api`: a host reviews a change for several bindings of
/// the guardrail in one call, which calls `review` once for each). Use it
/// once, at the crate root:
///
/// ```ignore
/// paved_plugin_sdk::export_guardrail!(MyRule);
/// ```
#[macro_export]
macro_rules! export_guardrail {
    ($ty:ty) => {
        #[doc(hidden)]
        #[allow(clippy::all, unsafe_code, missing_docs)]
        mod __paved_guardrail_export {
            use ::paved_plugin_sdk::__rt::guardrail_world::exports;
            use ::paved_plugin_sdk::__rt::wit::paved::plugin::{guardrail_types as gt, types as t};

            struct Export;

            impl exports::paved::plugin::guardrail_api::Guest for Export {
                fn describe() -> gt::GuardrailInfo {
                    ::paved_plugin_sdk::__rt::guardrail_describe::<super::__PavedGuardrail>(
                        env!("CARGO_PKG_NAME"),
                        env!("CARGO_PKG_VERSION"),
                    )
                }
                fn validate_settings(settings: t::Json) -> Result<(), t::PluginError> {
                    ::paved_plugin_sdk::__rt::guardrail_validate_settings::<super::__PavedGuardrail>(settings)
                }
                fn review(change: t::Change) -> Result<gt::ReviewOutcome, t::PluginError> {
                    ::paved_plugin_sdk::__rt::guardrail_review::<super::__PavedGuardrail>(change)
                }
            }

            impl exports::paved::plugin::guardrail_each_api::Guest for Export {
                fn review_each(
                    change: t::Change,
                    settings: Vec<t::Json>,
                ) -> Vec<Result<gt::ReviewOutcome, t::PluginError>> {
                    ::paved_plugin_sdk::__rt::guardrail_review_each::<super::__PavedGuardrail>(change, settings)
                }
            }

            ::paved_plugin_sdk::__rt::guardrail_world::__paved_export_guardrail_world!(
                Export with_types_in ::paved_plugin_sdk::__rt::guardrail_world
            );
        }
        #[doc(hidden)]
        type __PavedGuardrail = $ty;
    };
}

/// Export a type implementing [`Provider`](crate::Provider) as the
/// component's `paved:plugin/provider` world. Use it once, at the crate root:
///
/// ```ignore
/// paved_plugin_sdk::export_provider!(MyProvider);
/// ```
#[macro_export]
macro_rules! export_provider {
    ($ty:ty) => {
        #[doc(hidden)]
        #[allow(clippy::all, unsafe_code, missing_docs)]
        mod __paved_provider_export {
            use ::paved_plugin_sdk::__rt::provider_world::exports;
            use ::paved_plugin_sdk::__rt::wit::paved::plugin::{provider_types as pt, types as t};
            use ::paved_plugin_sdk::__rt as rt;
            type P = super::__PavedProvider;

            struct Export;

            impl exports::paved::plugin::provider_api::Guest for Export {
                fn describe() -> pt::ProviderInfo {
                    rt::provider_describe::<P>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                }
                fn validate_settings(settings: t::Json) -> Result<(), t::PluginError> {
                    rt::provider_validate_settings::<P>(settings)
                }
                fn plan(request: pt::PlanRequest) -> Result<pt::ResourcePlan, t::PluginError> {
                    rt::provider_plan::<P>(request)
                }
                fn apply(request: pt::ApplyRequest) -> Result<pt::Applied, t::PluginError> {
                    rt::provider_apply::<P>(request)
                }
                fn read(request: pt::ResourceRequest) -> Result<Option<t::Json>, t::PluginError> {
                    rt::provider_read::<P>(request)
                }
                fn delete(request: pt::ResourceRequest) -> Result<(), t::PluginError> {
                    rt::provider_delete::<P>(request)
                }
                fn import(request: pt::ImportRequest) -> Result<pt::Imported, t::PluginError> {
                    rt::provider_import::<P>(request)
                }
            }

            ::paved_plugin_sdk::__rt::provider_world::__paved_export_provider_world!(
                Export with_types_in ::paved_plugin_sdk::__rt::provider_world
            );
        }
        #[doc(hidden)]
        type __PavedProvider = $ty;
    };
}

/// Export types implementing [`Action`](crate::Action) as the component's
/// `paved:plugin/action` world (its `describe` lists them, its `run` calls
/// the one named). Use it once, at the crate root:
///
/// ```ignore
/// paved_plugin_sdk::export_actions!(ServiceFiles, Readme);
/// ```
#[macro_export]
macro_rules! export_actions {
    ($($ty:path),+ $(,)?) => {
        #[doc(hidden)]
        #[allow(clippy::all, unsafe_code, missing_docs)]
        mod __paved_action_export {
            #[allow(unused_imports)]
            use super::*;
            use ::paved_plugin_sdk::__rt::action_world::exports as __exports;
            use ::paved_plugin_sdk::__rt::wit::paved::plugin::{action_types as __at, types as __t};

            struct __Export;

            impl __exports::paved::plugin::action_api::Guest for __Export {
                fn describe() -> Result<Vec<__at::ActionInfo>, __t::PluginError> {
                    Ok(vec![$(::paved_plugin_sdk::__rt::action_info::<$ty>()),+])
                }
                fn run(request: __at::ActionRequest) -> Result<__at::ActionResult, __t::PluginError> {
                    $(
                        if request.action == <$ty as ::paved_plugin_sdk::Action>::NAME {
                            return ::paved_plugin_sdk::__rt::action_run::<$ty>(request);
                        }
                    )+
                    Err(::paved_plugin_sdk::__rt::action_unknown(&request.action))
                }
            }

            ::paved_plugin_sdk::__rt::action_world::__paved_export_action_world!(
                __Export with_types_in ::paved_plugin_sdk::__rt::action_world
            );
        }
    };
}
