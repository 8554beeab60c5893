//! Glue between the WIT bindings and the author's traits (used by the code
//! `export_guardrail!` / `export_provider!` generate; not a public API).
//!
//! Decoding a JSON document into an author's type reports the JSON path of
//! the first bad field (via `serde_path_to_error`), prefixed with the
//! document's name (`settings`, `params`, `state`).

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

pub use wit_bindgen;

/// Bindings for the `paved:plugin` interfaces, shared by both worlds.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod wit {
    wit_bindgen::generate!({
        inline: r#"
            package paved:plugin-sdk;
            world sdk {
                import paved:plugin/host@0.1.2;
                import paved:plugin/provider-types@0.1.2;
                import paved:plugin/guardrail-types@0.1.2;
                import paved:plugin/action-types@0.1.2;
            }
        "#,
        path: "wit",
        world: "paved:plugin-sdk/sdk",
        generate_all,
    });
}

/// The `guardrail-each` world (the `guardrail` world and
/// `guardrail-each-api`): its export traits, and the macro
/// `export_guardrail!` invokes to export it from the plugin crate.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod guardrail_world {
    wit_bindgen::generate!({
        path: "wit",
        world: "paved:plugin/guardrail-each",
        with: {
            "paved:plugin/types@0.1.2": crate::__rt::wit::paved::plugin::types,
            "paved:plugin/host@0.1.2": crate::__rt::wit::paved::plugin::host,
            "paved:plugin/guardrail-types@0.1.2": crate::__rt::wit::paved::plugin::guardrail_types,
        },
        pub_export_macro: true,
        export_macro_name: "__paved_export_guardrail_world",
        default_bindings_module: "::paved_plugin_sdk::__rt::guardrail_world",
    });
}

/// The `provider` world, likewise for `export_provider!`.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod provider_world {
    wit_bindgen::generate!({
        path: "wit",
        world: "paved:plugin/provider",
        with: {
            "paved:plugin/types@0.1.2": crate::__rt::wit::paved::plugin::types,
            "paved:plugin/host@0.1.2": crate::__rt::wit::paved::plugin::host,
            "paved:plugin/provider-types@0.1.2": crate::__rt::wit::paved::plugin::provider_types,
        },
        pub_export_macro: true,
        export_macro_name: "__paved_export_provider_world",
        default_bindings_module: "::paved_plugin_sdk::__rt::provider_world",
    });
}

/// The `action` world, likewise for `export_actions!`.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod action_world {
    wit_bindgen::generate!({
        path: "wit",
        world: "paved:plugin/action",
        with: {
            "paved:plugin/types@0.1.2": crate::__rt::wit::paved::plugin::types,
            "paved:plugin/host@0.1.2": crate::__rt::wit::paved::plugin::host,
            "paved:plugin/action-types@0.1.2": crate::__rt::wit::paved::plugin::action_types,
        },
        pub_export_macro: true,
        export_macro_name: "__paved_export_action_world",
        default_bindings_module: "::paved_plugin_sdk::__rt::action_world",
    });
}

use crate::types as sdk;
use crate::{Guardrail, Provider};
use wit::paved::plugin::{
    action_types as at, guardrail_types as gt, host, provider_types as pt, types as t,
};

// ---- decoding -------------------------------------------------------------

fn decode<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, sdk::Error> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            what.to_owned()
        } else {
            format!("{what}.{inner}")
        };
        sdk::Error::invalid(path, e.into_inner().to_string())
    })
}

fn decode_value(what: &str, text: &str) -> Result<Value, sdk::Error> {
    decode(what, text)
}

fn encode<T: Serialize>(what: &str, value: &T) -> Result<String, sdk::Error> {
    serde_json::to_string(value)
        .map_err(|e| sdk::Error::failed(format!("could not encode {what} as JSON: {e}")))
}

fn schema<T: JsonSchema>() -> String {
    serde_json::to_string(&schemars::schema_for!(T)).unwrap_or_else(|_| "{}".into())
}

fn settings<S: DeserializeOwned>() -> Result<S, sdk::Error> {
    decode("settings", &host::config())
}

// ---- envelope conversions ---------------------------------------------------

fn address_in(a: t::ResourceAddress) -> sdk::ResourceAddress {
    sdk::ResourceAddress {
        resource_type: a.resource_type,
        name: a.name,
        environment: a.environment,
        owner: a.owner,
    }
}

fn operation_in(o: t::Operation) -> sdk::Operation {
    match o {
        t::Operation::Create => sdk::Operation::Create,
        t::Operation::Update => sdk::Operation::Update,
        t::Operation::Replace => sdk::Operation::Replace,
        t::Operation::Delete => sdk::Operation::Delete,
        t::Operation::Import => sdk::Operation::Import,
        t::Operation::NoOp => sdk::Operation::NoOp,
    }
}

fn operation_out(o: sdk::Operation) -> t::Operation {
    match o {
        sdk::Operation::Create => t::Operation::Create,
        sdk::Operation::Update => t::Operation::Update,
        sdk::Operation::Replace => t::Operation::Replace,
        sdk::Operation::Delete => t::Operation::Delete,
        sdk::Operation::Import => t::Operation::Import,
        sdk::Operation::NoOp => t::Operation::NoOp,
    }
}

fn opt_json(what: &str, v: Option<String>) -> Result<Option<Value>, sdk::Error> {
    v.map(|s| decode_value(what, &s)).transpose()
}

fn diff_in(d: t::FieldDiff) -> Result<sdk::FieldDiff, sdk::Error> {
    Ok(sdk::FieldDiff {
        before: opt_json("diff.before", d.before)?,
        after: opt_json("diff.after", d.after)?,
        path: d.path,
        requires_replace: d.requires_replace,
    })
}

fn diff_out(d: sdk::FieldDiff) -> Result<t::FieldDiff, sdk::Error> {
    Ok(t::FieldDiff {
        before: d.before.map(|v| encode("diff", &v)).transpose()?,
        after: d.after.map(|v| encode("diff", &v)).transpose()?,
        path: d.path,
        requires_replace: d.requires_replace,
    })
}

fn change_in(c: t::Change) -> Result<sdk::Change, sdk::Error> {
    Ok(sdk::Change {
        subject: match c.subject {
            t::Subject::Entity(r) => sdk::Subject::Entity(r),
            t::Subject::ManagedResource(a) => sdk::Subject::Resource(address_in(a)),
        },
        operation: operation_in(c.operation),
        before: c.before.map(sdk::Document::from_json),
        after: c.after.map(sdk::Document::from_json),
        diff: c.diff.into_iter().map(diff_in).collect::<Result<_, _>>()?,
        monthly_cost: c.monthly_cost,
        actor: c.actor,
    })
}

fn capability_out(c: sdk::Capability) -> t::Capability {
    match c {
        sdk::Capability::Network(s) => t::Capability::Network(s),
        sdk::Capability::Directory(s) => t::Capability::Directory(s),
        sdk::Capability::Secret(s) => t::Capability::Secret(s),
        sdk::Capability::Catalogue => t::Capability::Catalogue,
    }
}

fn violation_out(v: sdk::Violation) -> t::Violation {
    t::Violation {
        path: v.path,
        message: v.message,
    }
}

fn error_out(e: sdk::Error) -> t::PluginError {
    match e {
        sdk::Error::Invalid(v) => {
            t::PluginError::Invalid(v.into_iter().map(violation_out).collect())
        }
        sdk::Error::NotFound(m) => t::PluginError::NotFound(m),
        sdk::Error::Unsupported(m) => t::PluginError::Unsupported(m),
        sdk::Error::CapabilityDenied(m) => t::PluginError::CapabilityDenied(m),
        sdk::Error::Failed(m) => t::PluginError::Failed(m),
    }
}

// ---- guardrail ----------------------------------------------------------------

pub fn guardrail_describe<G: Guardrail>(name: &str, version: &str) -> gt::GuardrailInfo {
    gt::GuardrailInfo {
        name: name.into(),
        version: version.into(),
        description: G::DESCRIPTION.into(),
        settings_schema: schema::<G::Settings>(),
        capabilities: G::capabilities().into_iter().map(capability_out).collect(),
    }
}

thread_local! {
    /// The settings the last successful `validate-settings` of this instance
    /// accepted, with their JSON text. An instance lives for one call, so
    /// this only matters when the host prepares a guardrail: it snapshots the
    /// instance right after `validate-settings` with the configured settings,
    /// and every review then finds them here instead of decoding them again.
    static VALIDATED: RefCell<Option<(String, Rc<dyn Any>)>> = const { RefCell::new(None) };
}

pub fn guardrail_validate_settings<G: Guardrail>(settings: String) -> Result<(), t::PluginError> {
    let s: G::Settings = decode("settings", &settings).map_err(error_out)?;
    G::check_settings(&s).map_err(error_out)?;
    VALIDATED.with_borrow_mut(|v| *v = Some((settings, Rc::new(s))));
    Ok(())
}

/// Settings decoded from `text`: those validated earlier in this instance
/// when the text is the same, else decoded now.
fn guardrail_settings<G: Guardrail>(text: &str) -> Result<Rc<dyn Any>, sdk::Error> {
    let validated = VALIDATED.with_borrow(|v| {
        v.as_ref()
            .filter(|(t, _)| t == text)
            .map(|(_, s)| s.clone())
    });
    match validated {
        Some(s) => Ok(s),
        None => Ok(Rc::new(decode::<G::Settings>("settings", text)?)),
    }
}

/// One review of `change` with decoded `settings`, as the WIT answer.
fn guardrail_review_with<G: Guardrail>(
    change: &sdk::Change,
    settings: &dyn Any,
) -> Result<gt::ReviewOutcome, sdk::Error> {
    let s = settings
        .downcast_ref::<G::Settings>()
        .ok_or_else(|| sdk::Error::failed("settings of another type were cached"))?;
    let review = G::review(change, s)?;
    Ok(gt::ReviewOutcome {
        verdict: match review.verdict {
            sdk::Verdict::Allow => t::Verdict::Allow,
            sdk::Verdict::Warn => t::Verdict::Warn,
            sdk::Verdict::Deny => t::Verdict::Deny,
        },
        violations: review.violations.into_iter().map(violation_out).collect(),
        patch: review.patch.map(|p| encode("patch", &p)).transpose()?,
    })
}

pub fn guardrail_review<G: Guardrail>(
    change: t::Change,
) -> Result<gt::ReviewOutcome, t::PluginError> {
    let run = || -> Result<gt::ReviewOutcome, sdk::Error> {
        let settings = guardrail_settings::<G>(&host::config())?;
        guardrail_review_with::<G>(&change_in(change)?, &*settings)
    };
    run().map_err(error_out)
}

/// `review-each`: the change is read once, each distinct settings text
/// decoded once, and `review` called for each settings in turn.
pub fn guardrail_review_each<G: Guardrail>(
    change: t::Change,
    settings: Vec<String>,
) -> Vec<Result<gt::ReviewOutcome, t::PluginError>> {
    let change = match change_in(change) {
        Ok(change) => change,
        Err(e) => return settings.iter().map(|_| Err(error_out(e.clone()))).collect(),
    };
    let mut decoded: Vec<(String, Rc<dyn Any>)> = Vec::new();
    settings
        .into_iter()
        .map(|text| {
            let s = match decoded.iter().find(|(t, _)| *t == text) {
                Some((_, s)) => s.clone(),
                None => {
                    let s = guardrail_settings::<G>(&text).map_err(error_out)?;
                    decoded.push((text, s.clone()));
                    s
                }
            };
            guardrail_review_with::<G>(&change, &*s).map_err(error_out)
        })
        .collect()
}

// ---- provider -----------------------------------------------------------------

pub fn provider_describe<P: Provider>(name: &str, version: &str) -> pt::ProviderInfo {
    pt::ProviderInfo {
        name: name.into(),
        version: version.into(),
        description: P::DESCRIPTION.into(),
        resource_types: P::resource_types()
            .into_iter()
            .map(|r| pt::ResourceType {
                name: r.name,
                description: r.description,
                params_schema: r
                    .params_schema
                    .map(|s| s.to_string())
                    .unwrap_or_else(schema::<P::Params>),
                state_schema: Some(schema::<P::State>()),
            })
            .collect(),
        capabilities: P::capabilities().into_iter().map(capability_out).collect(),
        settings_schema: schema::<P::Settings>(),
    }
}

pub fn provider_validate_settings<P: Provider>(settings: String) -> Result<(), t::PluginError> {
    let s: P::Settings = decode("settings", &settings).map_err(error_out)?;
    P::check_settings(&s).map_err(error_out)
}

fn plan_out(p: sdk::Plan) -> Result<pt::ResourcePlan, sdk::Error> {
    Ok(pt::ResourcePlan {
        operation: operation_out(p.operation),
        diff: p.diff.into_iter().map(diff_out).collect::<Result<_, _>>()?,
        monthly_cost: p.monthly_cost,
        notes: p.notes,
    })
}

fn applied_out<S: Serialize>(a: sdk::Applied<S>) -> Result<pt::Applied, sdk::Error> {
    Ok(pt::Applied {
        state: encode("state", &a.state)?,
        outputs: encode("outputs", &a.outputs)?,
        sensitive: a.sensitive,
    })
}

pub fn provider_plan<P: Provider>(r: pt::PlanRequest) -> Result<pt::ResourcePlan, t::PluginError> {
    let run = || -> Result<pt::ResourcePlan, sdk::Error> {
        let s: P::Settings = settings()?;
        let request = sdk::PlanRequest {
            address: address_in(r.address),
            params: decode("params", &r.params)?,
            prior_state: r
                .prior_state
                .map(|x| decode("priorState", &x))
                .transpose()?,
            prior_params: r
                .prior_params
                .map(|x| decode("priorParams", &x))
                .transpose()?,
        };
        plan_out(P::plan(&s, request)?)
    };
    run().map_err(error_out)
}

pub fn provider_apply<P: Provider>(r: pt::ApplyRequest) -> Result<pt::Applied, t::PluginError> {
    let run = || -> Result<pt::Applied, sdk::Error> {
        let s: P::Settings = settings()?;
        let request = sdk::ApplyRequest {
            address: address_in(r.address),
            params: decode("params", &r.params)?,
            prior_state: r
                .prior_state
                .map(|x| decode("priorState", &x))
                .transpose()?,
        };
        applied_out(P::apply(&s, request)?)
    };
    run().map_err(error_out)
}

pub fn provider_read<P: Provider>(
    r: pt::ResourceRequest,
) -> Result<Option<String>, t::PluginError> {
    let run = || -> Result<Option<String>, sdk::Error> {
        let s: P::Settings = settings()?;
        let request = sdk::ResourceRequest {
            address: address_in(r.address),
            state: decode("state", &r.state)?,
        };
        P::read(&s, request)?
            .map(|state| encode("state", &state))
            .transpose()
    };
    run().map_err(error_out)
}

pub fn provider_delete<P: Provider>(r: pt::ResourceRequest) -> Result<(), t::PluginError> {
    let run = || -> Result<(), sdk::Error> {
        let s: P::Settings = settings()?;
        let request = sdk::ResourceRequest {
            address: address_in(r.address),
            state: decode("state", &r.state)?,
        };
        P::delete(&s, request)
    };
    run().map_err(error_out)
}

pub fn provider_import<P: Provider>(r: pt::ImportRequest) -> Result<pt::Imported, t::PluginError> {
    let run = || -> Result<pt::Imported, sdk::Error> {
        let s: P::Settings = settings()?;
        let request = sdk::ImportRequest {
            address: address_in(r.address),
            external_id: r.external_id,
        };
        let imported = P::import(&s, request)?;
        Ok(pt::Imported {
            params: encode("params", &imported.params)?,
            applied: applied_out(imported.applied)?,
        })
    };
    run().map_err(error_out)
}

// ---- action -------------------------------------------------------------------

pub fn action_info<A: crate::Action>() -> at::ActionInfo {
    at::ActionInfo {
        name: A::NAME.into(),
        description: A::DESCRIPTION.into(),
        input_schema: schema::<A::Input>(),
        output_schema: Some(schema::<A::Output>()),
    }
}

pub fn action_run<A: crate::Action>(
    r: at::ActionRequest,
) -> Result<at::ActionResult, t::PluginError> {
    let run = || -> Result<at::ActionResult, sdk::Error> {
        let input: A::Input = decode("input", &r.input)?;
        let outcome = A::run(input, r.dry_run)?;
        Ok(at::ActionResult {
            files: outcome
                .files
                .into_iter()
                .map(|f| at::GeneratedFile {
                    path: f.path,
                    content: f.content,
                })
                .collect(),
            output: encode("output", &outcome.output)?,
            log: outcome.log,
        })
    };
    run().map_err(error_out)
}

pub fn action_unknown(action: &str) -> t::PluginError {
    t::PluginError::Unsupported(format!("this plugin provides no action '{action}'"))
}
