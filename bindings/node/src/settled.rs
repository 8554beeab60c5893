//! Promises settled on the JS thread when the engine had nothing to wait for.
//!
//! A promise made by [`crate::error::promise`] crosses threads twice: the
//! work runs on a tokio worker, and its result comes back through a
//! threadsafe function that wakes the JS thread's event loop. That costs
//! about 100 µs a call (`bindings/node/bench.sh`), four times what a read by
//! key costs the engine. Such reads usually finish without waiting: a SQLite
//! read by key runs on the calling thread when the reader connection is free
//! (`store::sqlite`'s small reads).
//!
//! [`promise_now`] polls the work once, on the JS thread inside the runtime's
//! context. Finished: the promise it returns is already settled with the
//! value (or the `PavedError`), and no thread is crossed. Not finished: the
//! same future goes on on the runtime exactly as [`crate::error::promise`]
//! would run it (a future may move to another waker between polls).
//!
//! Only for calls whose work before its first wait is small (reads by key):
//! whatever the work does before it first waits now runs on the JS thread.
//!
//! The type is named `AsyncBlock` because `index.d.ts` is generated from the
//! return types' names: an `AsyncBlock<T>` is typed `Promise<T>` there.

use std::future::Future;
use std::ptr;
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{ToNapiValue, within_runtime_if_available};
use napi::{Env, JsError, Result, check_status, sys};

use crate::error::{promise, to_js};

/// A promise: settled already, or settled later by the runtime.
pub enum AsyncBlock<T: ToNapiValue + Send + 'static> {
    Settled(paved::Result<T>),
    Running(napi::bindgen_prelude::AsyncBlock<T>),
}

/// Run engine work as a promise, settling it at once when the work finishes
/// on its first poll (see the module's documentation).
pub fn promise_now<T, F>(env: &Env, work: F) -> Result<AsyncBlock<T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = paved::Result<T>> + Send + 'static,
{
    let mut work = Box::pin(work);
    let first =
        within_runtime_if_available(|| work.as_mut().poll(&mut Context::from_waker(Waker::noop())));
    match first {
        Poll::Ready(result) => Ok(AsyncBlock::Settled(result)),
        Poll::Pending => promise(env, work).map(AsyncBlock::Running),
    }
}

impl<T: ToNapiValue + Send + 'static> ToNapiValue for AsyncBlock<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let result = match val {
            // SAFETY: `env` is the live env of the call being returned from.
            AsyncBlock::Running(block) => return unsafe { ToNapiValue::to_napi_value(env, block) },
            AsyncBlock::Settled(result) => result,
        };
        let mut deferred = ptr::null_mut();
        let mut made = ptr::null_mut();
        // SAFETY: `env` is live and this is its JS thread (conversions of a
        // return value run in the callback's frame); `deferred` is settled
        // exactly once below, as N-API requires.
        unsafe {
            check_status!(sys::napi_create_promise(env, &mut deferred, &mut made))?;
            let value = match result {
                Ok(v) => T::to_napi_value(env, v),
                Err(e) => Err(to_js(&Env::from_raw(env), e)),
            };
            match value {
                Ok(v) => check_status!(sys::napi_resolve_deferred(env, deferred, v))?,
                Err(e) => check_status!(sys::napi_reject_deferred(
                    env,
                    deferred,
                    JsError::from(e).into_value(env)
                ))?,
            }
        }
        Ok(made)
    }
}
