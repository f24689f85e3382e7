"""Blocking calls awaited from the runtime's loop, each on a thread of its own.

docker-py is synchronous, and some of its calls block for as long as a task runs (waiting for
a container to exit). On the loop's default executor (cores + 4 threads) those waits used up
every thread: a parent container waiting on children that wait on grandchildren deadlocked at
five children. A thread per blocking call is bounded by what the scheduler admits (each call
in flight holds at most one), never by a pool size, so any depth and width of nesting that fits
the machine finishes, and cleanup (removing a container after an interrupt) never queues
behind the waits it is cleaning up after.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")
#: Threads of in_thread calls still running: a container create in flight at kernel exit lands after
#: the exit's listing of containers unless the exit waits for it (wait_pending).
_pending: set[threading.Thread] = set()
_pending_lock = threading.Lock()


async def in_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`await asyncio.to_thread(func, ...)`, but on a new daemon thread instead of the shared pool.

    Cancelling the await does not stop the thread (nothing can); it only stops waiting for it,
    as with to_thread. The context is copied, as to_thread does.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if future.done():  # the awaiting side was cancelled meanwhile
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def run() -> None:
        try:
            value = context.run(func, *args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting coroutine, whatever it is
            _call_soon(loop, settle, False, error)
        else:
            _call_soon(loop, settle, True, value)
        finally:
            with _pending_lock:
                _pending.discard(threading.current_thread())

    thread = threading.Thread(target=run, name=f"flyte-nb-{getattr(func, '__name__', 'call')}", daemon=True)
    with _pending_lock:
        _pending.add(thread)
    thread.start()
    return await future


def wait_pending(timeout: float) -> bool:
    """Wait up to `timeout` seconds in all for every in_thread call still running; True when none is left."""
    import time

    deadline = time.monotonic() + timeout
    with _pending_lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _pending_lock:
        return not _pending


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop closed (kernel shutdown): nobody is waiting any more
        pass
