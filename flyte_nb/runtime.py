"""The runtime: where task calls go. One per kernel.

It owns a private event loop on a background thread. Every call, from a notebook cell,
a script or another task, becomes a coroutine on that loop, so calls from a cell keep
working while the kernel's own loop is busy, `asyncio.gather` of many calls runs them
concurrently, and a kernel interrupt can cancel a call (which stops its container). Retries,
timeouts and run records live here, the same for every runner.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import sys
import threading
import time
import traceback
import warnings
from typing import TYPE_CHECKING, Any, Awaitable

from .errors import TaskTimeoutError
from .registry import registry
from .runners.base import Call, Runner
from .runs import Attempt, RunRecord, Status

if TYPE_CHECKING:
    from .task import TaskTemplate

RUNNERS = ("auto", "docker", "local", "inprocess")
#: The call being executed in this context (nested calls record it as their parent).
CURRENT_CALL: contextvars.ContextVar[Call | None] = contextvars.ContextVar("flyte_nb_call", default=None)


def _make_runner(name: str) -> Runner:
    if name == "inprocess":
        from .runners.inprocess import InProcessRunner

        return InProcessRunner()
    raise ValueError(f"runner={name!r} is not available yet; choose one of: inprocess")


def pick_auto() -> tuple[str, str]:
    """(runner, why) for runner='auto'."""
    return "inprocess", "the container runner is not installed in this build"


class Runtime:
    """Owns the background loop, the chosen runner and the execution policy."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self.runner_name = os.environ.get("FLYTE_NB_RUNNER", "auto")
        self.quiet = False

    # ---- configuration --------------------------------------------------------------------
    def init(self, runner: str | None = None, *, quiet: bool = False, **sdk_options: Any) -> None:
        """flyte.init(runner="auto"|"docker"|"local"|"inprocess"). SDK cluster options are accepted and unused."""
        runner = runner or os.environ.get("FLYTE_NB_RUNNER", "auto")
        if runner not in RUNNERS:
            raise ValueError(f"flyte.init(runner={runner!r}): runner must be one of {', '.join(RUNNERS)}")
        if sdk_options:
            warnings.warn(f"flyte_nb runs tasks on this machine; ignoring cluster options {sorted(sdk_options)}",
                          stacklevel=3)
        self.quiet = quiet
        with self._lock:
            self.runner_name = runner
            self._runner = None
        self.runner()  # pick now, so 'auto' says what it picked

    def runner(self) -> Runner:
        with self._lock:
            if self._runner is None:
                name = self.runner_name
                if name == "auto":
                    name, why = pick_auto()
                    if not self.quiet:
                        print(f"flyte_nb: runner=auto picked {name!r} ({why})", file=sys.stderr)
                self._runner = _make_runner(name)
            return self._runner

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="flyte-nb-runtime", daemon=True)
                self._thread.start()
            return self._loop

    # ---- entry points -----------------------------------------------------------------------
    async def call(self, task: "TaskTemplate", bound: inspect.BoundArguments) -> Any:
        """Awaitable call from any loop: direct on the runtime loop, bridged from others."""
        coro = self.execute(task, bound)
        if _running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def call_blocking(self, task: "TaskTemplate", bound: inspect.BoundArguments) -> Any:
        """A synchronous call: blocks this thread; a KeyboardInterrupt cancels the call and waits for cleanup."""
        if _running_loop() is self.loop:
            raise RuntimeError(
                f"task {task.name} is synchronous and was called from inside an async task; "
                f"use `await {task.func.__name__}.aio(...)` there"
            )
        return self.wait(asyncio.run_coroutine_threadsafe(self.execute(task, bound), self.loop))

    @staticmethod
    def wait(future: concurrent.futures.Future[Any]) -> Any:
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            try:
                future.result(timeout=30)  # let the runner stop its container
            except BaseException:
                pass
            raise

    # ---- execution policy ---------------------------------------------------------------------
    async def execute(self, task: "TaskTemplate", bound: inspect.BoundArguments) -> Any:
        """Run a call with its resolved retries and timeout, recording every attempt."""
        settings = task.resolve()
        runner = self.runner()
        parent = CURRENT_CALL.get()
        run = RunRecord(task=task.name, settings=settings.to_json(), runner=runner.name,
                        parent=parent.run.id if parent else None)
        registry().add_run(run)
        call = Call(task=task, arguments=bound, settings=settings, run=run, emit=lambda line: None)
        retries = settings.value("retries")
        timeout = settings.value("timeout")
        max_runtime = timeout.max_runtime.total_seconds() if timeout and timeout.max_runtime else None
        token = CURRENT_CALL.set(call)
        try:
            for number in range(1, retries.count + 2):
                attempt = Attempt(number=number, started=time.time())
                run.attempts.append(attempt)
                call.emit = attempt.logs.append
                self._set(run, Status.RUNNING if number == 1 else Status.RETRYING)
                try:
                    coro = runner.attempt(call, number)
                    result = await (asyncio.wait_for(coro, max_runtime) if max_runtime else coro)
                except asyncio.TimeoutError:
                    self._end_attempt(attempt, Status.TIMED_OUT, f"ran past timeout={max_runtime:g}s")
                    self._set(run, Status.TIMED_OUT, error=attempt.error)
                    raise TaskTimeoutError(
                        f"task {task.name} attempt {number}/{retries.count + 1} timed out after "
                        f"timeout={max_runtime:g}s (max_runtime)", task=task.name, attempt=number,
                    ) from None
                except asyncio.CancelledError:
                    self._end_attempt(attempt, Status.CANCELLED, "cancelled")
                    self._set(run, Status.CANCELLED, error="cancelled")
                    raise
                except Exception as error:  # noqa: BLE001 - a task may raise anything; we retry or re-raise it
                    status = getattr(error, "status", Status.FAILED)
                    self._end_attempt(attempt, status, "".join(traceback.format_exception_only(error)).strip())
                    if number > retries.count:
                        self._set(run, status, error=attempt.error)
                        _note(error, f"task {task.name}, attempt {number}/{retries.count + 1}, runner {runner.name}")
                        raise
                    await asyncio.sleep(_backoff(retries, number))
                    continue
                self._end_attempt(attempt, Status.SUCCEEDED)
                run.output = _short(result)
                self._set(run, Status.SUCCEEDED)
                return result
        finally:
            CURRENT_CALL.reset(token)
        raise AssertionError("unreachable")

    @staticmethod
    def _end_attempt(attempt: Attempt, status: Status, error: str | None = None) -> None:
        attempt.ended = time.time()
        attempt.status = status
        attempt.error = error

    @staticmethod
    def _set(run: RunRecord, status: Status, error: str | None = None) -> None:
        run.status = status
        if error is not None:
            run.error = error
        if status.done:
            run.ended = time.time()
        registry().notify("run", run.id)


def _backoff(retries: Any, number: int) -> float:
    """Seconds before attempt number+1: the strategy's backoff, else exponential from 0.2 s, capped at 10 s."""
    if retries.backoff is not None:
        return retries.backoff.total_seconds()
    return min(0.2 * 2 ** (number - 1), 10.0)


def _note(error: BaseException, text: str) -> None:
    if hasattr(error, "add_note") and text not in getattr(error, "__notes__", ()):
        error.add_note(text)


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_RUNTIME = Runtime()


def runtime() -> Runtime:
    return _RUNTIME


class _Run:
    """flyte.run(task, *args, **kwargs): run a task and return its output; flyte.run.aio(...) to await."""

    def __call__(self, task: "TaskTemplate", *args: Any, **kwargs: Any) -> Any:
        _check_task(task)
        rt = runtime()
        return rt.wait(asyncio.run_coroutine_threadsafe(rt.execute(task, task.bind(args, kwargs)), rt.loop))

    def aio(self, task: "TaskTemplate", *args: Any, **kwargs: Any) -> Awaitable[Any]:
        _check_task(task)
        return runtime().call(task, task.bind(args, kwargs))


def _check_task(task: Any) -> None:
    from .task import TaskTemplate

    if not isinstance(task, TaskTemplate):
        raise TypeError(f"flyte.run needs a task (a function decorated with @env.task), got {task!r}")


run = _Run()


def init(runner: str | None = None, **options: Any) -> None:
    """flyte.init(runner="auto"|"docker"|"local"|"inprocess", ...)."""
    runtime().init(runner, **options)
