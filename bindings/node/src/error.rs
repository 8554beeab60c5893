//! Engine errors to JS errors, in one place (lancedb's `nodejs/src/error.rs`).
//!
//! A [`paved::Error`] is thrown as an instance of `PavedError`, the `Error`
//! subclass `index.js` defines and hands over once with `_setErrorClass`:
//! `code` is [`paved::Error::code`], `details` [`paved::Error::details`] as
//! a plain object, and the message [`paved::Error::chain`] (the cause chain).
//! The object is made on the JS thread, so an async method resolves its
//! promise through [`promise`], which rejects with it.

use std::cell::RefCell;
use std::future::Future;

use napi::bindgen_prelude::*;
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;

type ErrorClass = FunctionRef<FnArgs<(String, &'static str, Value)>, Unknown<'static>>;

thread_local! {
    /// `PavedError` of this JS thread (each worker loads `index.js` anew).
    static CLASS: RefCell<Option<ErrorClass>> = const { RefCell::new(None) };
}

/// Called once by `index.js`: the class engine errors are instances of,
/// constructed as `new PavedError(message, code, details)`.
#[napi(js_name = "_setErrorClass", skip_typescript)]
pub fn set_error_class(
    class: Function<FnArgs<(String, &'static str, Value)>, Unknown<'static>>,
) -> Result<()> {
    let class = class.create_ref()?;
    CLASS.with(|c| *c.borrow_mut() = Some(class));
    Ok(())
}

/// The JS error for an engine error (on the JS thread).
pub fn to_js(env: &Env, e: paved::Error) -> napi::Error {
    let (message, code, details) = parts(&e);
    from_parts(env, message, code, details)
}

/// What a `PavedError` is made of: message (the cause chain), code, details.
/// Kept by a caller that throws the same engine error more than once.
pub fn parts(e: &paved::Error) -> (String, &'static str, Value) {
    (e.chain(), e.code(), e.details())
}

/// The JS error made of [`parts`] (on the JS thread).
pub fn from_parts(env: &Env, message: String, code: &'static str, details: Value) -> napi::Error {
    let made = CLASS.with(|c| -> Result<Option<napi::Error>> {
        let class = c.borrow();
        let Some(class) = class.as_ref() else {
            return Ok(None);
        };
        let args = FnArgs::from((message.clone(), code, details));
        let instance = class.borrow_back(env)?.new_instance(args)?;
        Ok(Some(napi::Error::from(instance)))
    });
    match made {
        Ok(Some(err)) => err,
        // The native module used without index.js: the message still says it.
        Ok(None) => napi::Error::new(Status::GenericFailure, format!("{code}: {message}")),
        Err(err) => err,
    }
}

/// Throw an engine error from a synchronous method.
pub fn throw<T>(env: &Env, result: paved::Result<T>) -> Result<T> {
    result.map_err(|e| to_js(env, e))
}

/// Run engine work on the runtime; the promise resolves with its value or
/// rejects with a `PavedError`.
pub fn promise<T, F>(env: &Env, work: F) -> Result<AsyncBlock<T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = paved::Result<T>> + Send + 'static,
{
    AsyncBlockBuilder::build_with_map(
        env,
        async move { Ok::<_, napi::Error>(work.await) },
        |env, result: paved::Result<T>| result.map_err(|e| to_js(&env, e)),
    )
}

/// Run blocking engine work (file reads, parsing) off the JS thread.
pub fn blocking<T, F>(env: &Env, work: F) -> Result<AsyncBlock<T>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> paved::Result<T> + Send + 'static,
{
    promise(env, async move {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| paved::Error::store("a blocking task failed", e))?
    })
}

/// A count a caller gave as a JS number: a non-negative integer, else a
/// `VALIDATION` error naming the option (N-API would wrap -1 to 2^32-1).
pub fn count(option: &str, value: Option<f64>) -> paved::Result<Option<usize>> {
    value
        .map(|n| {
            if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) {
                Ok(n as usize)
            } else {
                Err(paved::Error::invalid(paved::Diagnostic::error(
                    option,
                    format!("{option} must be a non-negative integer, got {n}"),
                )))
            }
        })
        .transpose()
}
