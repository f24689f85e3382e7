"""The node side of the ray runner: one attempt of a call, run on the Ray node Ray placed it on.

The attempt runs through that node's own docker runner (runners/docker.py: the same container config,
image built there by content hash when missing, secrets resolved there from the node's store or
environment and handed over the container's socket); a node with no Docker engine runs it as a local
subprocess (runners/local.py) and says so. What the kernel needs comes back as the events of a Ray
streaming generator: the node, log lines, phases, reports, the task's own task calls (answered through
the kernel's Relay actor) and, last, the result or the error. Nothing that leaves the node carries a
secret value: lines and reports are redacted here, and an output or error that still holds one is refused.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
import uuid
from typing import Any, Iterator

import cloudpickle

#: Seconds the generator waits for an event before it looks again (a Ray cancel arrives between waits).
POLL = 0.1
#: Seconds a cancelled attempt has to remove its container before the Ray task gives up on it.
CLEANUP = 30.0

_loop: asyncio.AbstractEventLoop | None = None
_runner: Any = None
_why_local: str | None = None
_lock = threading.Lock()


def node_loop() -> asyncio.AbstractEventLoop:
    """One event loop per Ray worker process, kept across the tasks it runs (warm workers live there)."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="flyte-nb-ray-node", daemon=True).start()
        return _loop


def node_runner() -> tuple[Any, str | None]:
    """The runner of this node: docker when its engine answers, else local; and why local.

    Cold containers only (standby=False): a standby would be started, and a used one removed, off the
    call's path in a Ray worker the kernel does not control, so a call could return (or time out) with
    its container, or the next one's, still on the node."""
    global _runner, _why_local
    from ..errors import RunnerUnavailableError

    with _lock:
        if _runner is None:
            try:
                from .docker import DockerRunner

                _runner = DockerRunner(standby=False)
            except RunnerUnavailableError as error:
                from .local import LocalRunner

                _runner, _why_local = LocalRunner(), str(error)
        return _runner, _why_local


def where() -> str:
    import ray

    return f"{ray.util.get_node_ip_address()} ({ray.get_runtime_context().get_node_id()[:8]})"


def run_call(blob: bytes, relay: Any) -> Iterator[tuple[Any, ...]]:
    """The Ray task (a streaming generator): one attempt, its events as they happen, the outcome last.

    A Ray cancel (the kernel's timeout or interrupt) raises KeyboardInterrupt here; the attempt is then
    cancelled on the node's loop, which removes its container, before the task ends.
    """
    import ray

    spec = cloudpickle.loads(blob)
    yield ("node", ray.get_runtime_context().get_node_id(), ray.util.get_node_ip_address())
    events: queue.Queue[tuple[Any, ...]] = queue.Queue()
    waiting: set[Any] = set()  # replies of the task's own task calls, not in yet
    attempt = OnLoop(_attempt(spec, relay, events, waiting), node_loop())
    try:
        while True:
            try:
                if waiting:
                    # Blocked in ray.wait on this (main) thread, the task lends its CPUs to its children, as
                    # Ray does for nested Ray tasks: a child that needs the whole node would wait for ever.
                    ray.wait(list(waiting), num_returns=len(waiting), timeout=POLL)
                    event = events.get_nowait()
                else:
                    event = events.get(timeout=POLL)
            except queue.Empty:
                if attempt.ended() and events.empty():
                    return
                continue
            yield event
            if event[0] in ("result", "error"):
                return
    finally:
        if not attempt.ended():  # cancelled (the kernel's timeout or interrupt) or the kernel went away
            attempt.cancel_and_wait(CLEANUP)
            relay.answer.remote(f"ended-{spec['key']}", True)  # the kernel waits for this before it returns


class OnLoop:
    """A coroutine run as a task on another thread's loop, that can be cancelled and waited for until it has
    really ended (its cleanup, e.g. removing a container, done). Not run_coroutine_threadsafe's future: its
    cancel() marks it done at once, before the coroutine has even seen the cancel."""

    def __init__(self, coro: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._finished = threading.Event()
        self._task = asyncio.run_coroutine_threadsafe(self._start(coro), loop).result()

    async def _start(self, coro: Any) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda _: self._finished.set())
        return task

    def ended(self) -> bool:
        return self._finished.is_set()

    def cancel_and_wait(self, timeout: float) -> bool:
        """Cancel, then wait (bounded) until the task has ended; a second Ray cancel does not cut it short."""
        self._loop.call_soon_threadsafe(self._task.cancel)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self._finished.wait(max(0.0, deadline - time.monotonic()))
            except KeyboardInterrupt:
                continue
        return self._finished.is_set()


async def _attempt(spec: dict[str, Any], relay: Any, events: "queue.Queue[tuple[Any, ...]]",
                   waiting: set[Any]) -> None:
    from .. import context
    from ..runtime import runtime
    from ..runs import Attempt, RunRecord
    from ..secrets import SecretNotFoundError
    from .base import Call

    os.environ["FLYTE_NB_BLOB_DIR"] = spec["store"]  # the store every node reaches (File, Dir, DataFrame)
    runtime().pickle_outputs = spec["pickle_outputs"]
    runner, why_local = node_runner()
    if why_local is not None:
        events.put(("notice", f"Ray node {where()} has no Docker engine ({why_local}); its calls run as "
                              f"local subprocesses there (no image, no container limits)"))
    elif spec["lost"]:
        await asyncio.to_thread(_sweep, runner.client, spec["lost"])
    task, number = spec["task"], spec["number"]
    call = Call(task=task, arguments=spec["arguments"], settings=spec["settings"],
                run=RunRecord(task=task.name, settings={}, runner=runner.name, id=spec["run"]),
                emit=lambda line, stream="stdout": events.put(("log", line, stream)))
    call.run.attempts.append(Attempt(number=number, started=time.time()))

    def status(phase: str) -> None:
        events.put(("status", phase))
        if phase == "running":
            events.put(("container", call.run.attempts[-1].container))

    def report(tabs: dict[str, str]) -> None:
        from ..secrets import redact

        events.put(("report", {name: redact(html, call.secret_values) for name, html in tabs.items()}))

    async def nested(message: dict[str, Any]) -> dict[str, Any]:
        import ray

        key = uuid.uuid4().hex
        reply = relay.take.remote(key)
        waiting.add(reply)
        events.put(("call", key, message))
        try:
            return await asyncio.to_thread(ray.get, reply)
        finally:
            waiting.discard(reply)

    call.status, call.report, call.nested = status, report, nested
    try:
        with context.entered(context.from_wire(spec["context"])):  # flyte.ctx() as in the kernel's attempt
            value = await runner.attempt(call, number)
        _send_usage(call, events)
        events.put(("result", _without_secrets(value, call.secret_values, task.name)))
    except asyncio.CancelledError:
        raise
    except SecretNotFoundError as error:
        events.put(("error", SecretNotFoundError(f"{error} on Ray node {where()} (secrets are resolved on the "
                                                 f"node that runs the call: its store or FLYTE_NB_SECRET_* env)")))
    except BaseException as error:  # noqa: BLE001 - the task's failure, handed to the kernel's retry loop
        _send_usage(call, events)
        events.put(("error", _error_without_secrets(error, call.secret_values)))


def _send_usage(call: Any, events: "queue.Queue[tuple[Any, ...]]") -> None:
    """What the attempt used (peak memory, CPU, wall: flyte_nb.usage), measured on the node, and the
    @flyte.trace calls its task made (the node's controller kept them on the node's copy of the run
    record, already redacted): both for the kernel's record."""
    usage = getattr(call.run.attempts[-1], "usage", None)
    if usage is not None:
        events.put(("usage", usage))
    if call.run.traces:
        events.put(("traces", [entry.to_json() for entry in call.run.traces]))


def _sweep(client: Any, lost: list[tuple[str, str]]) -> None:
    """Remove what attempts lost with their node left on this engine (one engine serves several nodes of
    the test cluster; on a real one a machine's containers go with it), then orphans of dead processes."""
    from .docker import LABEL, gc

    for run, attempt in lost:
        labels = [f"{LABEL}.run={run}", f"{LABEL}.attempt={attempt}"]
        for container in client.containers.list(all=True, filters={"label": labels}, ignore_removed=True):
            try:
                container.remove(force=True)
            except Exception:  # noqa: BLE001 - removed meanwhile by its own worker's exit
                pass
    gc(client)


def _leaks(value: Any, secrets: list[str]) -> bool:
    if not secrets:
        return False
    try:
        data = cloudpickle.dumps(value)
    except Exception:  # noqa: BLE001 - Ray would fail to ship it too; its repr is what can be checked
        data = b""
    text = repr(value)
    return any(s in text or s.encode() in data for s in secrets if s)


def _without_secrets(value: Any, secrets: list[str], task: str) -> Any:
    """The output as it may leave the node; one that holds a secret value is refused (not retried)."""
    if _leaks(value, secrets):
        from ..errors import NonRecoverableError

        raise NonRecoverableError(f"task {task}: its output holds the value of one of its secrets; under "
                                  f"runner='ray' a secret never leaves the node that resolved it (return "
                                  f"something derived from it instead)")
    return value


def _error_without_secrets(error: BaseException, secrets: list[str]) -> BaseException:
    """The error as it may leave the node: itself when it pickles and holds no secret, else a TaskError
    with its redacted text."""
    from ..errors import TaskError
    from ..secrets import redact

    try:
        data = cloudpickle.dumps(error)
    except Exception:  # noqa: BLE001 - a class the kernel cannot rebuild: keep its words
        data = None
    if data is not None and not _leaks(error, secrets) and not any(s in str(error) for s in secrets if s):
        return error
    return TaskError(redact(f"{type(error).__name__}: {error}", secrets), getattr(error, "task", ""),
                     getattr(error, "attempt", None))
