//! Test fixture for the host: a guardrail built against a newer patch
//! version of the contract (`paved:plugin@0.1.3`, see `wit/`), written with
//! raw wit-bindgen rather than the SDK. A 0.1.2 host must load it.

#![allow(unsafe_code)] // the bindings' generated export glue

wit_bindgen::generate!({ path: "wit", world: "paved:plugin/guardrail" });

use exports::paved::plugin::guardrail_api::Guest;
use paved::plugin::guardrail_types::{GuardrailInfo, ReviewOutcome};
use paved::plugin::types::{Change, PluginError, Verdict};

struct Compat;

impl Guest for Compat {
    fn describe() -> GuardrailInfo {
        GuardrailInfo {
            name: "compat-next".into(),
            version: "0.1.3".into(),
            description: "built against paved:plugin@0.1.3".into(),
            settings_schema: "{}".into(),
            capabilities: vec![],
        }
    }

    fn validate_settings(_settings: String) -> Result<(), PluginError> {
        Ok(())
    }

    fn review(_change: Change) -> Result<ReviewOutcome, PluginError> {
        paved::plugin::host::log(paved::plugin::host::Level::Info, "0.1.3 guest says hello");
        Ok(ReviewOutcome {
            verdict: Verdict::Warn,
            violations: vec![],
            patch: None,
        })
    }
}

export!(Compat);
