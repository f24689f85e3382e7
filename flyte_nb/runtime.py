"""The runtime: where task calls go. One per kernel (and one inside each task's container).

It owns a private event loop on a background thread. Every call, from a notebook cell, a
script or another task, becomes a coroutine on that loop, so calls from a cell work while the
kernel's own loop is busy, `asyncio.gather` of many calls runs them concurrently, and a
kernel interrupt cancels the call, which stops its container. Scheduling, retries, timeouts,
type checks at the boundary and run records live here, the same for every runner.

Inside a container the shim attaches the runtime to the kernel's controller instead: a task
calling another task sends the call back to the kernel, which runs it in its own container.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import inspect
import os
import signal
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from . import cache as caching
from .blocking import in_thread
from . import context as task_context
from . import grouping
from . import relay
from .errors import (DeadlineExceededError, InlineIOLimitError, MaxRuntimeExceededError, NonRecoverableError,
                     RunnerUnavailableError, TaskExitError, TaskOOMError, TaskShippingError, TaskTimeoutError,
                     error_text, plain_text)
from .failures import raised_to_caller
from .notices import notice
from .protocol import current_controller
from .registry import registry
from .runners.base import Call, LogSink, Runner
from .runners.support import unenforced
from .runs import Attempt, RunRecord, Status
from .scheduler import Scheduler
from .tracebacks import remote_text, user_facing
from .typecheck import check_inputs, check_output, coerce_output

if TYPE_CHECKING:
    from .task import TaskTemplate

RUNNERS = ("auto", "docker", "local", "inprocess", "ray")
#: The call being executed in this context (nested calls record it as their parent).
CURRENT_CALL: contextvars.ContextVar[Call | None] = contextvars.ContextVar("flyte_nb_call", default=None)
#: Hears every log line of every run; returns True when it displayed the line (a cell's view of that run).
LogListener = Callable[[RunRecord, str], bool]
#: Distinguishes this kernel's run ids (r1, r2, ...) in file names shared with other kernels.
#: Seconds between wake-ups of a thread blocked on a call, so a pending SIGINT handler runs (Runtime.wait).
WAKE = 0.1
RUN_PREFIX = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"


def make_runner(name: str, options: dict[str, Any] | None = None) -> Runner:
    """The runner of that name; options are the ray runner's (address, store) or the docker runner's
    (standby, standby_idle: runners/standby.py)."""
    if name == "ray":
        from .runners.ray import RayRunner

        return RayRunner(**(options or {}))
    if name == "docker":
        from .runners.docker import DockerRunner

        return DockerRunner(**(options or {}))
    if name == "local":
        from .runners.local import LocalRunner

        return LocalRunner()
    if name == "inprocess":
        from .runners.inprocess import InProcessRunner

        return InProcessRunner()
    raise ValueError(f"runner={name!r}: choose one of {', '.join(RUNNERS)}")


def pick_auto(options: dict[str, Any] | None = None) -> tuple[Runner, str]:
    """runner='auto': containers when an engine answers (with the docker runner's `options`), else local
    subprocesses; and why."""
    try:
        return make_runner("docker", options), "a Docker engine answers"
    except RunnerUnavailableError as error:
        return make_runner("local"), f"no Docker engine: {error}"


def standby_from_env() -> tuple[bool, float | None]:
    """FLYTE_NB_STANDBY (1/0, true/false, on/off; default on) and FLYTE_NB_STANDBY_IDLE (seconds; None: the
    runner's default, runners/standby.py IDLE)."""
    raw = os.environ.get("FLYTE_NB_STANDBY", "1").strip().lower()
    if raw not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
        raise ValueError(f"FLYTE_NB_STANDBY={raw!r}: set it to 1 or 0 (on or off)")
    idle_text = os.environ.get("FLYTE_NB_STANDBY_IDLE", "")
    try:
        idle = float(idle_text) if idle_text else None
    except ValueError:
        idle = -1.0
    if idle is not None and not idle > 0:
        raise ValueError(f"FLYTE_NB_STANDBY_IDLE={idle_text!r}: set it to a number of seconds > 0")
    return raw in ("1", "true", "on", "yes"), idle


def _status_of(error: BaseException) -> Status:
    if isinstance(error, TaskOOMError):
        return Status.OOM
    if isinstance(error, TaskTimeoutError):
        return Status.TIMED_OUT
    return Status.FAILED


class Runtime:
    """Owns the background loop, the chosen runner, the scheduler and the execution policy."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Runner | None = None
        self._lock = threading.RLock()
        self.runner_name = os.environ.get("FLYTE_NB_RUNNER", "auto")
        self.quiet = False
        self.queue_limits: dict[str, int] = {}
        self.runner_options: dict[str, Any] = {}  # runner="ray": address, store
        self.scheduler: Scheduler | None = None
        self.log_listeners: list[LogListener] = []
        self._inflight: set[concurrent.futures.Future[Any]] = set()
        self._sigint_handler: Any = None
        self.views: bool | None = None  # live notebook views: None = whenever running in a Jupyter kernel
        #: Modules of SDK code (imported by %flyte_use): their calls' task logs print on the cell's own
        #: stdout/stderr, as the SDK's local mode prints them, not in the view's log block (one copy either way).
        self.printing_modules: set[str] = set()
        #: Whether a value with no safe codec may come back from a container pickled (flyte_nb.codec).
        self.pickle_outputs = True
        #: Standby containers of the docker runner (runners/standby.py): on, and their idle seconds;
        #: None until flyte.init says (the env vars are read when the runner is made).
        self.standby: bool | None = None
        self.standby_idle: float | None = None

    # ---- configuration --------------------------------------------------------------------
    def init(self, runner: str | None = None, *, quiet: bool = False, queues: dict[str, int] | None = None,
             cpus: float | None = None, memory: str | int | None = None, pickle_outputs: bool = True,
             address: str | None = None, store: str | None = None, announce: bool = True,
             standby: bool | None = None, standby_idle: float | None = None, **sdk_options: Any) -> None:
        """flyte.init(runner=..., queues={"gpu": 1}, cpus=..., memory=..., pickle_outputs=...). SDK cluster
        options are ignored. pickle_outputs=False refuses values from containers that only pickle carries.
        runner="ray" takes the cluster's address (None: start one here) and the store path every node
        reaches for File/Dir/DataFrame (default: this machine's blob store).
        quiet=True also silences the task logs a call without a cell view prints; announce=False only the
        line saying what runner='auto' picked (init_from_config: the SDK's local mode prints no such line).
        standby=False starts no standby containers (docker runner; default FLYTE_NB_STANDBY, on);
        standby_idle: seconds one waits for a call (FLYTE_NB_STANDBY_IDLE, 120)."""
        from .config.resources import parse_memory

        runner = runner or os.environ.get("FLYTE_NB_RUNNER", "auto")
        if runner not in RUNNERS:
            raise ValueError(f"flyte.init(runner={runner!r}): runner must be one of {', '.join(RUNNERS)}")
        for queue, limit in (queues or {}).items():
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise ValueError(f"flyte.init(queues={{{queue!r}: {limit!r}}}): a queue limit must be an int >= 1")
        for option, value in (("address", address), ("store", store)):
            if value is not None and runner != "ray":
                raise ValueError(f"flyte.init({option}={value!r}): {option} is an option of runner='ray', "
                                 f"not of runner={runner!r}")
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"flyte.init({option}={value!r}): {option} must be a non-empty str")
        if not isinstance(pickle_outputs, bool):
            raise ValueError(f"flyte.init(pickle_outputs={pickle_outputs!r}): pickle_outputs must be True or False")
        env_standby, env_idle = standby_from_env()
        standby = env_standby if standby is None else standby
        standby_idle = env_idle if standby_idle is None else standby_idle
        if not isinstance(standby, bool):
            raise ValueError(f"flyte.init(standby={standby!r}): standby must be True or False")
        if standby_idle is not None and (isinstance(standby_idle, bool) or not isinstance(standby_idle, (int, float))
                                         or not standby_idle > 0):
            raise ValueError(f"flyte.init(standby_idle={standby_idle!r}): standby_idle must be a number of seconds > 0")
        if sdk_options:
            notice(f"flyte_nb runs tasks on this machine; ignoring cluster options {sorted(sdk_options)}")
        with self._lock:
            previous, self._runner = self._runner, None
            self.quiet = quiet
            self.pickle_outputs = pickle_outputs
            self.standby = standby
            self.standby_idle = None if standby_idle is None else float(standby_idle)
            self.runner_name = runner
            self.queue_limits = dict(queues or {})
            self.runner_options = {"address": address, "store": store} if runner == "ray" else {}
            self.scheduler = Scheduler(cpus=cpus, memory=parse_memory(memory) if memory else None,
                                       queue_limits=self.queue_limits)
        self._close(previous)
        self.runner(announce)  # pick now, so 'auto' says what it picked and a missing engine fails here

    def _close(self, runner: Runner | None) -> None:
        """Stop what a replaced runner holds (warm workers): flyte.init again left them running until exit."""
        if runner is None or self._loop is None or _running_loop() is self._loop:
            return
        try:
            asyncio.run_coroutine_threadsafe(runner.close(), self._loop).result(60)
        except Exception as error:  # noqa: BLE001 - the engine may be gone; the kernel's exit removes them
            print(f"flyte_nb: could not stop the previous runner's workers: {error}", file=sys.stderr)

    def runner(self, announce: bool = True) -> Runner:
        with self._lock:
            if self._runner is None:
                if self.runner_name == "auto":
                    self._runner, why = pick_auto(self._options())
                    if announce and not self.quiet:
                        notice(f"runner=auto picked {self._runner.name!r} ({why})")
                else:
                    self._runner = make_runner(self.runner_name, self._options())
            return self._runner

    def _options(self) -> dict[str, Any]:
        """The runner's options: the ray runner's (flyte.init), else the docker runner's standby settings."""
        if self.runner_name == "ray":
            return self.runner_options
        standby, idle = (self.standby, self.standby_idle) if self.standby is not None else standby_from_env()
        return {"standby": standby, "standby_idle": idle} if self.runner_name in ("docker", "auto") else {}

    def _scheduler(self) -> Scheduler:
        with self._lock:
            if self.scheduler is None:
                self.scheduler = Scheduler(queue_limits=self.queue_limits)
            return self.scheduler

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._loop.run_forever, name="flyte-nb-runtime", daemon=True)
                thread.start()
            return self._loop

    @property
    def _controller(self) -> tuple[str, str] | None:
        """Inside a task: the kernel's controller, which runs the task calls this task makes."""
        return current_controller()

    # ---- entry points -----------------------------------------------------------------------
    def view(self, task: "TaskTemplate | None" = None) -> Any:
        """A live view under the calling cell, for a top-level call from a notebook cell with views on."""
        if self.views is False or self._controller is not None or CURRENT_CALL.get() is not None:
            return None
        if self._loop is not None and _running_loop() is self._loop:
            return None
        if "IPython" not in sys.modules:  # no kernel without it (a script, a test): skip importing the views
            return None
        from .display import CallView, in_kernel

        if not in_kernel():
            return None
        printing = task is not None and getattr(task.func, "__module__", None) in self.printing_modules
        return CallView(report=bool(task is not None and task.resolve().value("report")), logs=not printing)

    @user_facing
    async def call(self, task: "TaskTemplate", bound: inspect.BoundArguments, view: Any = None,
                   sdk_errors: bool = False) -> Any:
        """Awaitable call from any loop: direct on the runtime loop, bridged from others."""
        if self._controller is not None:
            return await in_thread(self._remote, task, bound)
        if _running_loop() is self.loop:
            return await self.execute(task, bound, sdk_errors=sdk_errors)
        future = self.submit(self.execute(task, bound, view=view, sdk_errors=sdk_errors))
        try:
            return await asyncio.wrap_future(future)
        except BaseException:
            self.cancel(future)
            raise

    def call_blocking(self, task: "TaskTemplate", bound: inspect.BoundArguments, view: Any = None) -> Any:
        """A synchronous call: blocks this thread; a KeyboardInterrupt cancels the call and waits for cleanup."""
        if self._controller is not None:
            return self._remote(task, bound)
        if _running_loop() is self.loop:
            raise RuntimeError(
                f"task {task.name} is synchronous and was called from inside an async task; "
                f"use `await {task.func.__name__}.aio(...)` there"
            )
        hit = self.hit_here(task, bound, view)
        if hit is not caching.MISS:
            return hit
        return self.wait(self.submit(self.execute(task, bound, view=view)))

    def call_blocking_any(self, task: "TaskTemplate", bound: inspect.BoundArguments, sdk_errors: bool = False) -> Any:
        """flyte.run: block until a task of either kind finishes."""
        if self._controller is not None:
            return self._remote(task, bound)
        view = self.view(task)
        hit = self.hit_here(task, bound, view) if _running_loop() is not self.loop else caching.MISS
        if hit is not caching.MISS:
            return hit
        return self.wait(self.submit(self.execute(task, bound, view=view, sdk_errors=sdk_errors)))

    def hit_here(self, task: "TaskTemplate", bound: inspect.BoundArguments, view: Any = None) -> Any:
        """A cache hit served in the calling thread, or MISS: then the call goes the loop's way.

        A hit needs neither the scheduler nor a runner, and the hop to the runtime loop and back cost
        more than the hit itself. So a blocking top-level call of a cache="auto" task whose key is quick
        (caching.key_is_quick) checks its inputs, computes its key and reads the entry here, and records
        the run exactly as Runtime.execute records a hit. Anything else goes the loop's way, which also
        raises what goes wrong (bad inputs, a bad Cache) with its run record: a nested call or a map
        item, serialize=True (its lock lives on the loop), a miss.
        """
        if CURRENT_CALL.get() is not None or relay.MAP_ITEM.get() is not None:
            return caching.MISS
        created = time.time()
        settings = task.resolve()
        cache = caching.behavior(settings)
        if cache.behavior != "auto" or cache.serialize or not caching.key_is_quick(task, bound):
            return caching.MISS
        runner = self.runner()
        try:
            if runner.name != "inprocess":
                check_inputs(task.name, task.func, bound)
            key = caching.cache_key(task, bound, settings)
        except Exception:  # noqa: BLE001 - the loop's way raises it again, and records the failed run
            return caching.MISS
        hit = caching.read(task.name, key, caching.max_age(cache))
        if hit is caching.MISS:
            return caching.MISS
        unenforced(runner.name, task.name, settings)
        run = self._new_run(task, settings, runner, None)
        run.created = created
        try:
            output = _short(hit, [])
        except Exception:  # noqa: BLE001 - a repr that raises fails the call: the loop's way records that
            return caching.MISS
        registry().add_run(run)
        relay.started(run, None)
        try:
            if view is not None:
                view.attach(run)
            self._record_hit(run, output)
        except BaseException as error:  # an interrupt meanwhile: the record ends as the loop's way ends it
            if not run.status.done:
                self._set(run, Status.CANCELLED if isinstance(error, KeyboardInterrupt) else _status_of(error),
                          error=_error_text(error, []))
            raise
        finally:
            relay.ended(run)
            if view is not None:
                view.close()
        return hit

    def submit(self, coro: Awaitable[Any]) -> concurrent.futures.Future[Any]:
        """Run on the runtime loop; tracked so a kernel interrupt can cancel it."""
        self.arm_interrupt()
        finished = threading.Event()

        async def tracked() -> Any:
            try:
                return await coro
            finally:
                finished.set()  # after the runner's cleanup (containers removed)

        future = asyncio.run_coroutine_threadsafe(tracked(), self.loop)
        future.finished = finished  # type: ignore[attr-defined]
        self._inflight.add(future)
        future.add_done_callback(self._inflight.discard)
        return future

    @staticmethod
    def cancel(future: concurrent.futures.Future[Any], timeout: float = 30.0) -> None:
        """Cancel a call and wait (bounded) until its runner has cleaned up (container removed)."""
        future.cancel()
        finished = getattr(future, "finished", None)
        if finished is not None:
            finished.wait(timeout)

    def wait(self, future: concurrent.futures.Future[Any]) -> Any:
        """Block until the call is done; a kernel interrupt meanwhile cancels it (and waits for cleanup).

        Never one untimed future.result(): a process-directed SIGINT lands on any thread, and when it
        is not the main one, Python runs the handler only once the main thread executes bytecode
        again, which a lock wait without a timeout never does: the interrupt was lost until the task
        ended (the flaky kernel-interrupt test). Waking every WAKE seconds lets the handler run.
        """
        try:
            while not future.done():
                concurrent.futures.wait((future,), timeout=WAKE)
            return future.result()
        except KeyboardInterrupt:
            self.cancel(future)
            raise

    def arm_interrupt(self) -> None:
        """A kernel interrupt (SIGINT) cancels in-flight calls, then does what the handler it wraps did.

        Called at every call and, after %load_ext, every cell (magics.arm_interrupt): ipykernel puts its own
        handler back after each cell, so "installed once" is not enough; when the current
        handler is not ours, wrap the current one again (never ours inside ours).
        """
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous is self._sigint_handler:
            return

        def on_sigint(signum: int, frame: Any) -> None:
            for future in list(self._inflight):
                future.cancel()
            if callable(previous):
                previous(signum, frame)
            else:
                raise KeyboardInterrupt

        try:
            signal.signal(signal.SIGINT, on_sigint)
            self._sigint_handler = on_sigint
        except ValueError:
            pass

    def _remote(self, task: "TaskTemplate", bound: inspect.BoundArguments) -> Any:
        """Inside a task: ask the kernel's controller to run a registered task by name (flyte_nb.nested)."""
        from .nested import call_through

        assert self._controller is not None
        return call_through(self._controller, task, bound)

    # ---- execution policy ---------------------------------------------------------------------
    async def execute(self, task: "TaskTemplate", bound: inspect.BoundArguments, view: Any = None,
                      sdk_errors: bool = False) -> Any:
        """Run a call with its resolved settings: schedule, attempt, retry, time out, record.

        A failure of the task reaches a parent task, and flyte.run (`sdk_errors`), as the SDK raises it
        (flyte_nb.failures); a direct call from a cell or a script gets the task's own exception."""
        settings = task.resolve()
        runner = self.runner()
        unenforced(runner.name, task.name, settings)
        parent = CURRENT_CALL.get()
        run = self._new_run(task, settings, runner, parent)
        group_token = grouping.set_current(None)  # the callee's body starts outside the caller's group
        registry().add_run(run)
        relay.started(run, relay.MAP_ITEM.get())
        item_token = relay.MAP_ITEM.set(None)  # the calls this one makes are not items of that map
        call = Call(task=task, arguments=bound, settings=settings, run=run, emit=lambda line, stream="stdout": None,
                    status=lambda phase: self._set(run, Status(phase)))
        call.report = lambda tabs: self._on_report(call, tabs)
        token = CURRENT_CALL.set(call)
        if view is not None:
            self._watch(view, run)
        try:
            if runner.name != "inprocess":
                check_inputs(task.name, task.func, bound)
            cache = caching.behavior(settings)
            if cache.behavior == "disable":
                return await self._run_checked(call, runner, parent, sdk_errors)
            # A quick key (the last one took < 0.5 ms) and an entry read before (a stat and an unpickle) are
            # computed here: a thread hop would cost more than they do. Anything else goes to a thread.
            key = caching.cache_key(task, bound, settings) if caching.key_is_quick(task, bound) else \
                await asyncio.to_thread(caching.cache_key, task, bound, settings)
            async with caching.lock(key) if cache.serialize else contextlib.nullcontext():
                if cache.behavior == "auto":
                    max_age = caching.max_age(cache)
                    hit = caching.read_if_read_before(task.name, key, max_age)
                    if hit is caching.UNREAD:
                        hit = await asyncio.to_thread(caching.read, task.name, key, max_age)
                    if hit is not caching.MISS:
                        self._record_hit(run, _short(hit, call.secret_values))
                        return hit
                result = await self._run_checked(call, runner, parent, sdk_errors)
                path = await asyncio.to_thread(caching.write, task.name, key, result, run=run.id,
                                               secrets=call.secret_values)
                run.cache = "written" if path else "not written"
                registry().notify("run", run.id)
                return result
        except BaseException as error:
            if not run.status.done:
                self._set(run, Status.CANCELLED if isinstance(error, asyncio.CancelledError) else _status_of(error),
                          error=_error_text(error, call.secret_values))
            raise
        finally:
            CURRENT_CALL.reset(token)
            relay.MAP_ITEM.reset(item_token)
            grouping.reset(group_token)
            relay.ended(run)
            if view is not None:
                self.log_listeners.remove(view.on_log)
                view.close()

    def _new_run(self, task: "TaskTemplate", settings: Any, runner: Runner, parent: Call | None) -> RunRecord:
        """The record of a call about to start (not yet in the registry)."""
        return RunRecord(task=task.name, settings=settings.to_json(), runner=runner.name,
                         parent=parent.run.id if parent else None, group=grouping.current_group(),
                         edits=registry().view_edits(task, settings))

    def _record_hit(self, run: RunRecord, output: str) -> None:
        """A run served from the cache: its output's repr, cache="hit", done (the views are told)."""
        run.output = output
        run.cache = "hit"
        self._set(run, Status.CACHED)

    async def _run_checked(self, call: Call, runner: Runner, parent: Call | None, sdk_errors: bool) -> Any:
        """The attempts of a call, inside the parent's lent reservation, with its output type-checked."""
        scheduler = self._scheduler()
        async with scheduler.lend(parent.reservation if parent else None):
            try:
                result = await self._within_deadline(call, self._attempts(call, runner, scheduler))
            except Exception as error:
                if parent is None and not sdk_errors:
                    raise
                if not call.run.status.done:  # the run's record keeps the task's own exception
                    self._set(call.run, _status_of(error), error=_error_text(error, call.secret_values))
                raised = raised_to_caller(error)
                if raised is error:
                    raise
                raise raised from error
        if runner.name != "inprocess":
            check_output(call.task.name, call.task.func, result)
        return coerce_output(call.task.func, result)  # dataclass fields as declared (int -> float), as the SDK

    @staticmethod
    async def _within_deadline(call: Call, attempts: Awaitable[Any]) -> Any:
        """Timeout(deadline=...): every attempt, wait and backoff of the call ends by then, or it fails."""
        timeout = call.settings.value("timeout")
        deadline = timeout.seconds("deadline") if timeout else None
        finished, result = await _within(attempts, deadline)
        if not finished:
            raise DeadlineExceededError(
                f"task {call.task.name} ran past its deadline={deadline:g}s (Timeout.deadline: every attempt, "
                f"wait and retry of the call); it was stopped", call.task.name, len(call.run.attempts) or None)
        return result

    def _watch(self, view: Any, run: RunRecord) -> None:
        """Feed a view this run's logs and tick its elapsed time every second until done."""
        view.attach(run)
        self.log_listeners.append(view.on_log)

        def tick() -> None:
            if view.tick():
                self.loop.call_later(1.0, tick)

        self.loop.call_later(1.0, tick)

    async def _attempts(self, call: Call, runner: Runner, scheduler: Scheduler) -> Any:
        task, run, settings = call.task, call.run, call.settings
        retries, timeout = settings.value("retries"), settings.value("timeout")
        max_runtime = timeout.seconds("max_runtime") if timeout else None
        max_queued = timeout.seconds("max_queued_time") if timeout else None
        cpu, memory = self._requests(call, scheduler)
        total = retries.count + 1
        for number in range(1, total + 1):
            self._set(run, Status.QUEUED)
            call.reservation = await scheduler.acquire(cpu, memory, settings.value("queue"), task=task.name,
                                                       max_queued=max_queued)
            attempt = Attempt(number=number, started=time.time())
            run.attempts.append(attempt)
            call.emit = self._sink(run, attempt)
            self._set(run, Status.RUNNING if number == 1 else Status.RETRYING)
            try:
                with task_context.entered(task_context.for_attempt(run.id, number)), \
                        grouping.attempt_traces(run, number):  # flyte.ctx() and @flyte.trace records in the task
                    finished, result = await _within(_contained(runner.attempt(call, number), call, number, total),
                                                     max_runtime)
            except asyncio.CancelledError:
                self._end(attempt, Status.CANCELLED, "cancelled")
                raise
            except Exception as error:  # noqa: BLE001 - a task may raise anything; retried or re-raised
                self._end(attempt, _status_of(error), _error_text(error, call.secret_values))
                attempt.traceback = _traceback_text(error, call.secret_values)
                if number == total or not _retryable(error):
                    _note_attempt(error, f"task {task.name}, attempt {number}/{total}", runner.name, run.id)
                    if plain_text(error) is None:  # its __str__ raises: say so instead of "<exception str() failed>"
                        _note(error, error_text(error))
                    raise
                await asyncio.sleep(_backoff(retries, number))
                continue
            finally:
                await scheduler.release(call.reservation)
            if not finished:  # the deadline passed: the attempt was stopped (a timeout is not retried)
                self._end(attempt, Status.TIMED_OUT, f"ran past timeout={max_runtime:g}s")
                raise MaxRuntimeExceededError(
                    f"task {task.name} attempt {number}/{total} timed out after timeout={max_runtime:g}s "
                    f"(max_runtime); its {'container' if runner.name in ('docker', 'ray') else 'process'} was stopped",
                    task.name, number, attempt.container)
            self._end(attempt, Status.SUCCEEDED)
            run.output = _short(result, call.secret_values)
            self._set(run, Status.SUCCEEDED)
            return result
        raise AssertionError("unreachable")

    def _requests(self, call: Call, scheduler: Scheduler) -> tuple[float, int]:
        """What the scheduler reserves: the requests (else the limits) of cpu and memory; none if unset."""
        resources = call.settings.value("resources")
        if resources is None or call.settings.reusable or self.runner().places_calls:
            return 0.0, 0  # a cluster runner places by requests itself (runners/ray.py)
        cpu_request, _ = resources.cpu_request_limit()
        memory_request, _ = resources.memory_request_limit()
        return scheduler.fit(cpu_request or 0.0, memory_request or 0, f"task {call.task.name}")

    @staticmethod
    def _on_report(call: Call, tabs: dict[str, str]) -> None:
        """A report flush: redact, keep on the run, save as one standalone HTML file, tell the views."""
        from .paths import data_dir, write_private
        from .report import standalone_html
        from .secrets import redact

        run = call.run
        run.report = {name: redact(html, call.secret_values) for name, html in tabs.items()}
        path = data_dir() / "reports" / f"{RUN_PREFIX}-{run.id}.html"
        write_private(path, standalone_html(f"{run.task} ({run.id})", run.report).encode("utf-8"))
        run.report_path = str(path)
        registry().notify("report", run.id)

    def _sink(self, run: RunRecord, attempt: Attempt) -> LogSink:
        def emit(line: str, stream: str = "stdout") -> None:
            attempt.logs.append(line)
            if run.status is Status.BUILDING and len(attempt.logs) == attempt.build_lines + 1:
                attempt.build_lines += 1  # the image build's output, before anything of the task
            shown = [listener(run, line) for listener in list(self.log_listeners)]  # every listener hears it
            if not any(shown) and not self.quiet:  # no cell view shows this run: print it where the task wrote it
                relay.write(run, line, stream)

        return emit

    @staticmethod
    def _end(attempt: Attempt, status: Status, error: str | None = None) -> None:
        attempt.ended = time.time()
        attempt.status = status
        attempt.error = error
        if attempt.usage is not None:  # stopped or killed: the samples that came, up to the kernel's end time
            attempt.usage.finish(attempt.ended - attempt.started, status.value)

    @staticmethod
    def _set(run: RunRecord, status: Status, error: str | None = None) -> None:
        run.status = status
        if error is not None:
            run.error = error
        if status.done:
            run.ended = time.time()
        registry().notify("run", run.id)


async def _contained(attempt: Awaitable[Any], call: Call, number: int, total: int) -> Any:
    """The attempt, with a BaseException the task raised (sys.exit, KeyboardInterrupt) turned into its failure.

    Raised through an asyncio Task, SystemExit and KeyboardInterrupt stop the event loop itself, and
    with it every call of the kernel; here, before any Task boundary, they become a TaskExitError.
    Cancellation (a timeout, a kernel interrupt) passes through: it is the runtime's, not the task's.
    """
    try:
        return await attempt
    except (asyncio.CancelledError, Exception):
        raise
    except BaseException as error:  # noqa: BLE001 - whatever a task raises is that task's failure
        where = f"task {call.task.name}, attempt {number}/{total}"
        raise TaskExitError.of(error, where, call.task.name, number) from error


async def _within(attempt: Awaitable[Any], seconds: float | None) -> tuple[bool, Any]:
    """(True, result) when the attempt ends in time, (False, None) when it was stopped at the deadline.

    Not asyncio.wait_for: a TimeoutError the task itself raises (an HTTP read timeout, say) is
    the task's failure, to retry like any other, not Flyte's `timeout` running out.
    """
    if seconds is None:
        return True, await attempt
    running = asyncio.ensure_future(attempt)
    try:
        done, _ = await asyncio.wait({running}, timeout=seconds)
    except asyncio.CancelledError:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)  # its container is removed before we go on
        raise
    if not done:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        return False, None
    return True, running.result()


def _retryable(error: BaseException) -> bool:
    """Task failures, crashes and OOMs are retried; configuration and setup errors are not."""
    from .config.errors import ConfigError
    from .secrets import SecretNotFoundError

    return not isinstance(error, (ConfigError, SecretNotFoundError, RunnerUnavailableError, InlineIOLimitError,
                                  TaskShippingError, NonRecoverableError))


def _backoff(retries: Any, number: int) -> float:
    """Seconds before attempt number+1: the strategy's backoff, else exponential from 0.2 s, capped at 10 s."""
    if retries.backoff is not None:
        return retries.delay(number - 1)
    return min(0.2 * 2 ** (number - 1), 10.0)


def _note(error: BaseException, text: str) -> None:
    if hasattr(error, "add_note") and not any(text in n for n in getattr(error, "__notes__", ())):
        error.add_note(text)


def _note_attempt(error: BaseException, where: str, runner: str, run_id: str) -> None:
    """One note naming the task and attempt (the runner's, which names the container, or this one), and
    in a notebook where the whole traceback is: the error shows the user's frames only."""
    from .display import in_kernel

    notes = getattr(error, "__notes__", None)
    if not hasattr(error, "add_note"):
        return
    if not isinstance(notes, list) or not any(note.startswith(where) for note in notes):
        error.add_note(f"{where}, runner {runner}")
        notes = error.__notes__
    pointer = f" (the whole traceback: %flyte_logs --full {run_id})"
    if in_kernel():
        index = next(i for i, note in enumerate(notes) if note.startswith(where))
        if pointer not in notes[index]:
            notes[index] += pointer


def _traceback_text(error: BaseException, secrets: list[str]) -> str:
    """An attempt's whole traceback for its record: the container's (machinery frames and all), else the
    kernel's; secrets redacted."""
    from .secrets import redact

    text = remote_text(error) or "".join(traceback.format_exception(error))
    return redact(text, secrets)


def _error_text(error: BaseException, secrets: list[str]) -> str:
    """An error as run records keep it, secrets redacted (a nested call's or a runner's text too)."""
    from .secrets import redact

    return redact("".join(traceback.format_exception_only(error)).strip(), secrets)


def _short(value: Any, secrets: list[str], limit: int = 200) -> str:
    """A result's repr for run records (%flyte_runs, the sidebar): secrets redacted before it is cut,
    so no prefix of one survives the cut."""
    text = repr(value)
    if secrets:
        from .secrets import redact

        text = redact(text, secrets)
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
    """run(task, *args, **kwargs): run a task and return its value; run.aio(...) to await.

    flyte_nb's internal call: the public flyte.run (runcontext.run) wraps it in the SDK's Run.
    """

    def __call__(self, task: "TaskTemplate", *args: Any, **kwargs: Any) -> Any:
        _check_task(task)
        return runtime().call_blocking_any(task, task.bind(args, kwargs))

    def aio(self, task: "TaskTemplate", *args: Any, **kwargs: Any) -> Awaitable[Any]:
        _check_task(task)
        return runtime().call(task, task.bind(args, kwargs), view=runtime().view(task))

    @staticmethod
    def as_sdk(task: "TaskTemplate", args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """flyte.run's call: a failure of the task raises what the SDK's flyte.run raises (flyte_nb.failures)."""
        _check_task(task)
        return runtime().call_blocking_any(task, task.bind(args, kwargs), sdk_errors=True)

    @staticmethod
    def as_sdk_aio(task: "TaskTemplate", args: tuple[Any, ...], kwargs: dict[str, Any]) -> Awaitable[Any]:
        _check_task(task)
        return runtime().call(task, task.bind(args, kwargs), view=runtime().view(task), sdk_errors=True)


def _check_task(task: Any) -> None:
    from .task import TaskTemplate

    if not isinstance(task, TaskTemplate):
        raise TypeError(f"flyte.run needs a task (a function decorated with @env.task), got {task!r}")


run = _Run()


def init(runner: str | None = None, **options: Any) -> None:
    """flyte.init(runner="auto"|"docker"|"local"|"inprocess"|"ray", queues={...}, address=..., ...)."""
    runtime().init(runner, **options)
