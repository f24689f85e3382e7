"""`flyte.group(name)` and `flyte.trace`: the SDK's groups of actions and traced helpers, recorded.

A group name is kept in a context variable while its block runs; every task call started inside it
records the name on its RunRecord (runtime.execute reads `current_group()`), so %flyte_runs shows it.
A traced function called inside a task attempt appends a TraceEntry (name, duration, inputs, error)
to that attempt's run record: the runtime enters `attempt_traces(run, number)` around each attempt,
as it enters flyte.ctx(). In a container the entry goes to the kernel over the call's authenticated
control channel (flyte_nb.controller: op "trace"), which appends it to the same record; a group a task
body opens there travels with each nested call it starts (flyte_nb.nested). Outside any task a traced
function is just the function.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import sys
import time
from typing import Any, Callable, Iterator, TypeVar

from . import context as task_context
from .runs import RunRecord, TraceEntry

T = TypeVar("T")
_INPUT_CHARS = 80  # each input's repr is cut to this many characters in a trace entry

_GROUP: contextvars.ContextVar[str | None] = contextvars.ContextVar("flyte_nb_group", default=None)
_ATTEMPT: contextvars.ContextVar[tuple[RunRecord, int] | None] = contextvars.ContextVar("flyte_nb_trace_attempt",
                                                                                       default=None)


@contextlib.contextmanager
def group(name: str) -> Iterator[None]:
    """Task calls started in the block belong to group `name` (the innermost group when nested)."""
    if not isinstance(name, str):
        raise TypeError(f"flyte.group(name={name!r}): name must be a str")
    token = _GROUP.set(name)
    try:
        yield
    finally:
        _GROUP.reset(token)


def current_group() -> str | None:
    """The group a task call started now belongs to, or None."""
    return _GROUP.get()


@contextlib.contextmanager
def entered(name: str | None) -> Iterator[None]:
    """Calls started in the block belong to group `name`, None for none: a task's body starts outside any
    group (the caller's group holds the caller's calls, not those its callee makes), and a nested call
    from a container is in the group its task body opened (flyte_nb.controller)."""
    token = set_current(name)
    try:
        yield
    finally:
        _GROUP.reset(token)


def set_current(name: str | None) -> "contextvars.Token[str | None]":
    """entered() as a token to reset later (runtime.execute, whose try/finally spans more than a block)."""
    return _GROUP.set(name)


def reset(token: "contextvars.Token[str | None]") -> None:
    _GROUP.reset(token)


@contextlib.contextmanager
def attempt_traces(run: RunRecord, number: int) -> Iterator[None]:
    """Traced calls made while attempt `number` of `run` runs (in this process) are recorded on `run`."""
    token = _ATTEMPT.set((run, number))
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def _inputs(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, str]:
    """A short repr of each argument by parameter name (a summary, never the values themselves)."""
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {**{str(i): a for i, a in enumerate(args)}, **kwargs}
    return {name: _short(value) for name, value in bound.items()}


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not fail the traced call
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _INPUT_CHARS else text[:_INPUT_CHARS - 3] + "..."


def _record(func: Callable[..., Any], inputs: dict[str, str], started: float, error: BaseException | None) -> None:
    """Keep one traced call: on the attempt's run record, else (in a container's task) in its log."""
    entry = TraceEntry(name=func.__qualname__, started=started, duration=time.time() - started, inputs=inputs,
                       error=None if error is None else f"{type(error).__name__}: {error}")
    attempt = _ATTEMPT.get()
    if attempt is not None:
        run, number = attempt
        entry.attempt = number
        run.traces.append(entry)
    elif task_context.current() is not None:
        _send(entry)


def _send(entry: TraceEntry) -> None:
    """A traced call in a container: to the kernel's record of this attempt (a log line if it cannot be sent)."""
    from . import protocol

    controller = protocol.current_controller()
    try:
        if controller is None:
            raise ConnectionError("no controller")
        reply = protocol.request(controller[0], {"op": "trace", "entry": entry.to_json()}, controller[1])
        if not (isinstance(reply, dict) and reply.get("ok")):
            raise ConnectionError(str(reply))
    except (OSError, ValueError):
        print(f"[flyte.trace] {entry.summary()}", file=sys.stderr)


def _traced(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, dict[str, str]]:
    """Whether this call is inside a task (so it is recorded), and its inputs summary if so."""
    inside = _ATTEMPT.get() is not None or task_context.current() is not None
    return inside, (_inputs(func, args, kwargs) if inside else {})


def trace(func: Callable[..., T]) -> Callable[..., T]:
    """@flyte.trace: a helper whose calls inside a task are recorded (sync and async functions)."""
    if not callable(func):
        raise TypeError(f"flyte.trace({func!r}): decorate a function")
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            inside, inputs = _traced(func, args, kwargs)
            if not inside:
                return await func(*args, **kwargs)
            started, error = time.time(), None
            try:
                return await func(*args, **kwargs)
            except BaseException as raised:
                error = raised
                raise
            finally:
                _record(func, inputs, started, error)

        return traced_async  # type: ignore[return-value]

    @functools.wraps(func)
    def traced(*args: Any, **kwargs: Any) -> Any:
        inside, inputs = _traced(func, args, kwargs)
        if not inside:
            return func(*args, **kwargs)
        started, error = time.time(), None
        try:
            return func(*args, **kwargs)
        except BaseException as raised:
            error = raised
            raise
        finally:
            _record(func, inputs, started, error)

    return traced
