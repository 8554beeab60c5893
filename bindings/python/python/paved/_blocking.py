"""The one background event loop the blocking API runs on.

The classes of ``paved._native`` are asyncio only: each engine call returns
an awaitable driven by the engine's tokio runtime. The blocking classes
(``paved.Platform``, ``Catalog``, …) submit each call to this loop, on a
daemon thread, and wait for its result, as lancedb's ``LOOP.run(...)``
does. The loop starts on first use and stops at interpreter exit, so no
thread is left waking into a finalizing interpreter.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    """An asyncio loop on a daemon thread; ``run`` blocks on one call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="paved-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
                atexit.register(self.stop)
            return self._loop

    def run(self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """``await call(*args, **kwargs)`` on the loop; block until it is done.

        Ctrl-C while waiting cancels the call and raises KeyboardInterrupt.
        """

        async def go() -> Any:
            return await call(*args, **kwargs)

        future = asyncio.run_coroutine_threadsafe(go(), self._running())
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for its thread (idempotent; run at exit)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


LOOP = BackgroundLoop()
