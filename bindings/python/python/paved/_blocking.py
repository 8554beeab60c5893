"""How the blocking API waits for the engine.

The classes of ``paved._native`` are asyncio classes: each engine call
returns an awaitable. The blocking classes (``paved.Platform``,
``Catalog``, …) make the same calls through ``_native.blocking``, which
returns the call un-started, and wait for it on the calling thread with the
GIL released: no event loop and no extra thread between the caller and the
engine. Ctrl-C while waiting drops the call and raises KeyboardInterrupt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from paved import _native


def run(call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """``await call(*args, **kwargs)``, blocking: the engine call's result."""
    return _native.blocking(call, *args, **kwargs).wait()


def run_for(
    timeout: float | None, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
) -> Any:
    """As ``run``, but raise ``TimeoutError`` after ``timeout`` seconds (the
    call is dropped); None waits as long as it takes."""
    return _native.blocking(call, *args, **kwargs).wait(timeout)
