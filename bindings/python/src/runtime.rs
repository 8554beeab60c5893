//! How engine futures reach Python: one tokio runtime, two ways to wait.
//!
//! Every engine call of the asyncio classes is made by [`spawn`] (or
//! [`spawn_with`], when turning the result into Python objects needs more
//! than `IntoPyObject`). The engine's outcome stays a Rust value until a
//! thread that already holds the GIL converts it:
//!
//! - In a running asyncio loop the call returns an `asyncio.Future` of that
//!   loop. When the engine is done, a runtime thread asks the loop
//!   (`call_soon_threadsafe`) to settle the future; the loop's thread converts
//!   the outcome. Cancelling the future drops the engine call.
//! - Called through `paved._native.blocking(call, *args, **kwargs)` (what the
//!   blocking classes in `paved/_blocking.py` do), the call returns a
//!   [`Pending`] instead; `Pending.wait(timeout)` runs the engine future on the
//!   calling thread with the GIL released (`Runtime::block_on`), checks for
//!   Ctrl-C every [`SIGNAL_POLL`], and converts on that same thread: one thread
//!   hop fewer than a background event loop, and no loop thread to stop.
//!
//! At interpreter exit an `atexit` hook closes the [`gate`]: from then on no
//! runtime thread attaches to Python. Attaching to a finalizing CPython
//! (before 3.13) ends the thread with a forced unwind, which aborts the
//! process when it meets Rust's panic handling (tokio's, pyo3's): a program
//! that exits while an engine call settles would die with SIGABRT.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use tokio::runtime::Runtime;

/// How often a blocking wait lets Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// An engine outcome, turned into a Python object by a thread holding the GIL.
type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
/// An engine call not yet settled.
type Work = Pin<Box<dyn Future<Output = Outcome> + Send>>;

thread_local! {
    /// Set while `paved._native.blocking` makes its call: [`spawn_with`]
    /// returns a [`Pending`] rather than an `asyncio.Future`.
    static BLOCKING: Cell<bool> = const { Cell::new(false) };
}

/// The one runtime every engine call of this process runs on.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("paved-runtime")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the paved runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(e.clone()))
}

/// Make an engine call whose result converts with `IntoPyObject`; the
/// engine's error becomes its `paved` exception.
pub(crate) fn spawn<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = paved::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    spawn_with(py, fut, |py, result| match result {
        Ok(value) => value.into_py_any(py),
        Err(e) => Err(crate::errors::to_py(py, e)),
    })
}

/// [`spawn`] for a call that usually needs no wait (a read by key): in a
/// running asyncio loop the call is polled once here first, and when it is
/// already done the `asyncio.Future` returned is settled with its result,
/// sparing the runtime thread and the loop's `call_soon_threadsafe` wake-up
/// (most of an awaited read's cost). Whatever the call does before it first
/// waits runs on this thread, with the GIL: only for small reads.
pub(crate) fn spawn_now<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = paved::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    if BLOCKING.get() {
        // A blocking wait runs the call on this thread anyway.
        return spawn(py, fut);
    }
    let event_loop = running_loop(py)?;
    let mut fut = Box::pin(fut);
    let first = {
        let _runtime = runtime()?.enter();
        fut.as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    };
    let std::task::Poll::Ready(result) = first else {
        return spawn(py, fut);
    };
    let future = event_loop.call_method0("create_future")?;
    match result {
        Ok(value) => future.call_method1("set_result", (value.into_py_any(py)?,))?,
        Err(e) => future.call_method1(
            "set_exception",
            (crate::errors::to_py(py, e).into_value(py),),
        )?,
    };
    Ok(future)
}

/// Make an engine call whose result reaches Python as plain data (dicts
/// and lists shaped as its JSON).
pub(crate) fn spawn_json<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = paved::Result<T>> + Send + 'static,
    T: serde::Serialize + Send + 'static,
{
    spawn_with(py, fut, |py, result| match result {
        Ok(value) => crate::convert::serde_to_py(py, &value).map(Bound::unbind),
        Err(e) => Err(crate::errors::to_py(py, e)),
    })
}

/// Make an engine call: `fut` runs on the runtime, `convert` turns its
/// output into Python on a thread that holds the GIL. Returns an
/// `asyncio.Future` of the running loop, or a [`Pending`] inside
/// `paved._native.blocking`.
pub(crate) fn spawn_with<'py, O, F, C>(
    py: Python<'py>,
    fut: F,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = O> + Send + 'static,
    O: Send + 'static,
    C: FnOnce(Python<'_>, O) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let work: Work = Box::pin(async move {
        let output = fut.await;
        Box::new(move |py: Python<'_>| convert(py, output)) as Outcome
    });
    if BLOCKING.get() {
        return Pending {
            work: Mutex::new(Some(work)),
        }
        .into_bound_py_any(py);
    }
    let event_loop = running_loop(py)?;
    let future = event_loop.call_method0("create_future")?;
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    future.call_method1(
        "add_done_callback",
        (OnDone {
            cancel: Mutex::new(Some(cancel)),
        },),
    )?;
    let (event_loop, target) = (event_loop.unbind(), future.clone().unbind());
    runtime()?.spawn(async move {
        let outcome = tokio::select! {
            outcome = work => outcome,
            // The future was cancelled (or is gone): drop the engine call.
            _ = cancelled => return,
        };
        // Settling takes the GIL: not on a runtime worker, which would stall
        // every other engine call while Python is busy.
        tokio::task::spawn_blocking(move || {
            gate::attach(|py| {
                let settle = Settle {
                    future: target,
                    outcome: Mutex::new(Some(outcome)),
                };
                // Fails only when the loop is closed: nobody can await the
                // future any more.
                let _ = event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (settle,));
            });
        });
    });
    Ok(future)
}

/// The running asyncio loop, or an error saying which API to use instead.
pub(crate) fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
        .map_err(|_| {
            PyRuntimeError::new_err(
                "paved's Async* classes need a running asyncio event loop; \
                 outside one, use the blocking classes (paved.Platform, …)",
            )
        })
}

/// Settles an `asyncio.Future` on its loop's thread (unless it was
/// cancelled meanwhile).
#[pyclass(frozen)]
struct Settle {
    future: Py<PyAny>,
    outcome: Mutex<Option<Outcome>>,
}

#[pymethods]
impl Settle {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let future = self.future.bind(py);
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(outcome) = outcome else {
            return Ok(());
        };
        if future.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        match outcome(py) {
            Ok(value) => future.call_method1("set_result", (value,))?,
            Err(e) => future.call_method1("set_exception", (e.into_value(py),))?,
        };
        Ok(())
    }
}

/// The done-callback of an engine call's `asyncio.Future`: once it is done
/// (cancelled, or settled) the engine call need not go on.
#[pyclass(frozen)]
struct OnDone {
    cancel: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

#[pymethods]
impl OnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        let cancel = self
            .cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(cancel) = cancel {
            let _ = cancel.send(());
        }
    }
}

/// An engine call made through `paved._native.blocking`, not yet run.
#[pyclass(name = "Pending", module = "paved._native", frozen)]
pub(crate) struct Pending {
    work: Mutex<Option<Work>>,
}

/// How a blocking wait ended.
enum Waited {
    Done(Outcome),
    Interrupted(PyErr),
    TimedOut,
}

#[pymethods]
impl Pending {
    /// Run the call to its end on this thread (GIL released) and return its
    /// result. `timeout` (seconds): raise `TimeoutError` after that long, the
    /// call dropped. Ctrl-C drops the call and raises `KeyboardInterrupt`.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let timeout = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => Some(Duration::from_secs_f64(t)),
            Some(t) => {
                return Err(PyValueError::new_err(format!(
                    "timeout: expected a non-negative number of seconds, got {t}"
                )));
            }
        };
        let work = self
            .work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this call was already waited for"))?;
        let runtime = runtime()?;
        let main = gate::on_main_thread(py)?;
        let waited = py.detach(|| {
            let waited = runtime.block_on(drive(work, timeout));
            if gate::closed() && !main {
                // The interpreter is shutting down and this is not its main
                // thread: re-attaching would abort the process. Stay here
                // until the process ends.
                loop {
                    std::thread::park();
                }
            }
            waited
        });
        match waited {
            Waited::Done(outcome) => outcome(py),
            Waited::Interrupted(e) => Err(e),
            Waited::TimedOut => Err(PyTimeoutError::new_err(format!(
                "no result within {} s",
                timeout.map_or(0.0, |t| t.as_secs_f64())
            ))),
        }
    }

    fn __repr__(&self) -> &'static str {
        "<Pending engine call>"
    }
}

/// Drive `work`, waking every [`SIGNAL_POLL`] to let Python run its signal
/// handlers (an exception from one ends the wait).
async fn drive(mut work: Work, timeout: Option<Duration>) -> Waited {
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        let poll = tokio::time::Instant::now() + SIGNAL_POLL;
        let wake = deadline.map_or(poll, |d| d.min(poll));
        tokio::select! {
            outcome = &mut work => return Waited::Done(outcome),
            () = tokio::time::sleep_until(wake) => {
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    return Waited::TimedOut;
                }
                if let Some(Err(e)) = gate::attach(|py| py.check_signals()) {
                    return Waited::Interrupted(e);
                }
            }
        }
    }
}

/// `paved._native.blocking(call, *args, **kwargs)`: make the engine call
/// `call(*args, **kwargs)` (a method of an Async* class) as a [`Pending`],
/// to be waited for with `.wait(timeout=None)`.
#[pyfunction]
#[pyo3(signature = (call, *args, **kwargs))]
fn blocking<'py>(
    call: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, Pending>> {
    let previous = BLOCKING.replace(true);
    let made = call.call(args, kwargs);
    BLOCKING.set(previous);
    made?.cast_into::<Pending>().map_err(|_| {
        PyTypeError::new_err("paved._native.blocking: the call did not start an engine call")
    })
}

/// Closed at interpreter exit: no runtime thread attaches to Python after.
pub(crate) mod gate {
    use std::sync::{OnceLock, PoisonError, RwLock};

    use pyo3::prelude::*;
    use pyo3::sync::PyOnceLock;

    /// `true` once the interpreter exits. Attaching holds the read side, so
    /// closing waits for every attachment in progress to end.
    static CLOSED: RwLock<bool> = RwLock::new(false);
    /// `threading.main_thread().ident`, read when the module is loaded.
    static MAIN_THREAD: OnceLock<u64> = OnceLock::new();

    /// Run `f` attached to Python, unless the interpreter is exiting (None).
    pub(crate) fn attach<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
        let closed = CLOSED.read().unwrap_or_else(PoisonError::into_inner);
        if *closed {
            return None;
        }
        Some(Python::attach(f))
    }

    /// Whether the interpreter is exiting.
    pub(crate) fn closed() -> bool {
        *CLOSED.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this is the interpreter's main thread (the one that exits it).
    pub(crate) fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
        static GET_IDENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let this: u64 = GET_IDENT
            .import(py, "threading", "get_ident")?
            .call0()?
            .extract()?;
        Ok(MAIN_THREAD.get().is_none_or(|main| *main == this))
    }

    /// Registered with `atexit` by [`register`].
    #[pyfunction]
    fn close_gate(py: Python<'_>) {
        // Released while waiting: a runtime thread inside `attach` may need
        // the GIL to finish.
        py.detach(|| *CLOSED.write().unwrap_or_else(PoisonError::into_inner) = true);
    }

    pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let py = m.py();
        let main: u64 = py
            .import("threading")?
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract()?;
        let _ = MAIN_THREAD.set(main);
        let close = wrap_pyfunction!(close_gate, m)?;
        py.import("atexit")?.call_method1("register", (close,))?;
        Ok(())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Pending>()?;
    m.add_function(wrap_pyfunction!(blocking, m)?)?;
    gate::register(m)
}
