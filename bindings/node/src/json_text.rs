//! Values that cross N-API as one JSON string, made into objects by the JS
//! engine's own `JSON.parse`.
//!
//! Returning a `serde_json::Value` builds the object field by field: a
//! string and a property set through N-API for every field, which for an
//! entity costs several times what the engine's read does. One string and
//! one call of `JSON.parse` cost a fraction of that
//! (`bindings/node/bench.sh`; BENCHMARKS.md, "Node catalog.get"). For large
//! results the gap grows with every field.

use std::ptr;

use napi::bindgen_prelude::ToNapiValue;
use napi::{Result, check_status, sys};

/// JSON text, given to JS as the value it encodes.
#[derive(Debug, Clone)]
pub struct JsonText(pub String);

impl JsonText {
    /// `value` as JSON text: for the engine's results (entities, JSON
    /// values), which are strings, numbers, lists and string-keyed maps, so
    /// serde_json cannot fail on them.
    pub fn of<T: serde::Serialize>(value: &T) -> Self {
        Self(serde_json::to_string(value).expect("an engine result always serializes to JSON"))
    }
}

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut global = ptr::null_mut();
        let mut json = ptr::null_mut();
        let mut parse = ptr::null_mut();
        let mut text = ptr::null_mut();
        let mut parsed = ptr::null_mut();
        // SAFETY: `env` is the live env of the JS thread converting a return
        // value; every out-pointer is a local written by the call before it
        // is read; the text's pointer and length describe `val.0`, alive
        // for the call.
        unsafe {
            check_status!(sys::napi_get_global(env, &mut global))?;
            check_status!(sys::napi_get_named_property(
                env,
                global,
                c"JSON".as_ptr(),
                &mut json
            ))?;
            check_status!(sys::napi_get_named_property(
                env,
                json,
                c"parse".as_ptr(),
                &mut parse
            ))?;
            check_status!(sys::napi_create_string_utf8(
                env,
                val.0.as_ptr().cast(),
                val.0.len() as isize,
                &mut text
            ))?;
            check_status!(sys::napi_call_function(
                env,
                json,
                parse,
                1,
                &text,
                &mut parsed
            ))?;
        }
        Ok(parsed)
    }
}
