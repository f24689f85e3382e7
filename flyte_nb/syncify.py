"""`flyte.syncify`: the SDK's decorator that makes an async function callable both ways, `f(...)` and
`await f.aio(...)`. A sync call from a thread with a running event loop runs the coroutine on a thread
of its own, so a notebook cell (whose loop is running) can call it too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import Any, Awaitable, Callable


class _Syncified:
    """An async function with a blocking __call__ and its awaitable `.aio`."""

    def __init__(self, func: Callable[..., Awaitable[Any]]) -> None:
        if not asyncio.iscoroutinefunction(func):
            raise TypeError(f"flyte.syncify({func!r}): decorate an async function")
        self.aio = func
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aio(*args, **kwargs))
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # this thread's loop is busy
            return pool.submit(asyncio.run, self.aio(*args, **kwargs)).result()


class Syncify:
    """The decorator's class, as the SDK names it: `@syncify` on an async function."""

    def __call__(self, func: Callable[..., Awaitable[Any]]) -> _Syncified:
        return _Syncified(func)


syncify = Syncify()
