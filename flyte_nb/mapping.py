"""`flyte.map(func, *iterables, group_name=, concurrency=, return_exceptions=)`: a task over many inputs.

Each item is its own task call (its own container), at most `concurrency` at once (0: all);
results come back in input order. With return_exceptions=True (the SDK's default) a failed item
is returned as a flyte.errors.RuntimeUserError (its cause the task's own exception), as the SDK does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import uuid
from typing import Any, AsyncGenerator, Callable, Iterable, Iterator

from .failures import raised_to_caller
from .grouping import group
from .tracebacks import surfaced
from . import relay


def _check(func: Any, concurrency: Any) -> None:
    if not callable(func):
        raise TypeError(f"flyte.map(func={func!r}): func must be a task (or a functools.partial of one)")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
        raise ValueError(f"flyte.map(concurrency={concurrency!r}): concurrency must be an int >= 0 (0: no limit)")


def _aio(func: Any) -> Callable[..., Any]:
    """The awaitable form of a task or of a partial of one."""
    if isinstance(func, functools.partial):
        return functools.partial(_aio(func.func), *func.args, **func.keywords)
    return func.aio if hasattr(func, "aio") else func


def _group_name(func: Any, group_name: str | None) -> str:
    """The SDK's group for a map's calls: "<task name>_<group_name or 'map'>"."""
    base = func.func if isinstance(func, functools.partial) else func
    name = getattr(base, "name", None) or getattr(base, "__name__", type(base).__name__)
    return f"{name}_{group_name or 'map'}"


def _as_item(item: tuple[str, int], func: Any, *args: Any) -> Any:
    """func(*args) as item `item` of a map (in the item's own copied context): its log lines keep input order."""
    relay.MAP_ITEM.set(item)
    result = func(*args)
    if inspect.iscoroutine(result):  # an async task mapped from sync code: the SDK runs it to its result
        return asyncio.run(result)  # in this item's worker thread, on a loop of its own
    return result


class _Mapper:
    """flyte.map(...) yields results; `async for x in flyte.map.aio(...)` from async code."""

    def __call__(self, func: Any, *args: Iterable[Any], group_name: str | None = None, concurrency: int = 0,
                 return_exceptions: bool = True) -> Iterator[Any]:
        _check(func, concurrency)
        items = list(zip(*args))
        return self._run(func, items, concurrency, return_exceptions, _group_name(func, group_name))

    @staticmethod
    def _run(func: Any, items: list[tuple[Any, ...]], concurrency: int, return_exceptions: bool,
             group_name: str) -> Iterator[Any]:
        __tracebackhide__ = True  # noqa: F841 - an item's error shows the caller's and the task's frames
        if not items:
            return
        workers = concurrency or len(items)
        map_id = uuid.uuid4().hex
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            with group(group_name):  # each item's copied context carries the group its run records
                futures = [pool.submit(contextvars.copy_context().run, _as_item, (map_id, index), func, *item)
                           for index, item in enumerate(items)]
            try:
                for future in futures:
                    try:
                        yield future.result()
                    except Exception as error:  # noqa: BLE001 - an item's failure is a value, or raised
                        if not return_exceptions:
                            raise surfaced(raised_to_caller(error))  # noqa: B904 - the SDK's error, a shorter traceback
                        yield raised_to_caller(error)
            finally:
                for future in futures:
                    future.cancel()
                relay.close(map_id)

    async def aio(self, func: Any, *args: Iterable[Any], group_name: str | None = None, concurrency: int = 0,
                  return_exceptions: bool = True) -> AsyncGenerator[Any, None]:
        __tracebackhide__ = True  # noqa: F841
        _check(func, concurrency)
        call = _aio(func)
        limit = asyncio.Semaphore(concurrency) if concurrency else None
        name = _group_name(func, group_name)
        map_id = uuid.uuid4().hex

        async def one(index: int, item: tuple[Any, ...]) -> Any:
            with group(name):  # set and reset in this item's own asyncio task
                relay.MAP_ITEM.set((map_id, index))
                async with limit if limit is not None else contextlib.nullcontext():
                    return await call(*item)

        running = [asyncio.ensure_future(one(index, item)) for index, item in enumerate(zip(*args))]
        try:
            for future in running:
                try:
                    yield await future
                except Exception as error:  # noqa: BLE001
                    if not return_exceptions:
                        raise surfaced(raised_to_caller(error))  # noqa: B904 - the SDK's error, a shorter traceback
                    yield raised_to_caller(error)
        finally:
            for future in running:
                future.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            relay.close(map_id)


map = _Mapper()  # noqa: A001 - the SDK's name
