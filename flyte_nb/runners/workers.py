"""Warm workers for reusable environments (`reusable=flyte.ReusePolicy(...)`), on the Docker engine.

A pool per key: the environment, its resolved image, resources, env vars, secrets and pod
template, i.e. everything fixed at container creation (the spec forbids overriding those on
a reusable task, so every call of the pool fits the same container). Workers start on demand,
up to `replicas` (max), each taking `concurrency` calls at once over its unix socket; a worker
idle past `scaledown_ttl` stops while the pool is above the minimum of `replicas=(min, max)`,
all stop when the whole environment has been idle for `idle_ttl` (Flyte's meaning: idle_ttl is
the environment's, scaledown_ttl a replica's), and at kernel shutdown (they carry its labels).

The wire to a worker (flyte_nb.runners.worker_link) stays open: a connection per call slot, the
task's code sent once per code version, the inputs, usage figures and result inline in its frames, and
one controller socket per worker for nested calls, reports and traces.

Faults: a worker that dies mid-call (crash, OOM) fails that call as a crash/OOM of its
attempt, so the call's own retry policy decides; the dead worker leaves the pool and the next
call starts a fresh one. A call that is cancelled (timeout, kernel interrupt) takes its worker
down with it: a thread cannot be killed, a container can.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets as _secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..blocking import in_thread
from ..config.jsonable import to_jsonable
from ..errors import RunnerUnavailableError
from ..notices import notice
from .base import Call
from .calls import calls_root, hand_to_task, result_outcome
from .worker_link import Link, WorkerController, shipment

if TYPE_CHECKING:
    from ..controller import Controller
    from .docker import DockerRunner

WORKER_DIR = "/flyte/worker"
#: What fixes a worker container: calls that agree on these can share it.
KEY_PARAMETERS = ("image", "resources", "env_vars", "secrets", "pod_template", "reusable", "interruptible")
START_TIMEOUT = 120.0


#: Pool keys per resolution (a task's resolution is reused while its settings are unchanged: task.resolve),
#: kept with the resolution so its id is not reused meanwhile.
_KEYS: dict[tuple[int, str, str], tuple[Any, str]] = {}


def pool_key(call: Call) -> str:
    settings = call.settings
    environment = call.task.name.rsplit(".", 1)[0]
    from .. import io

    where = (id(settings), environment, str(io.host_root()))
    known = _KEYS.get(where)
    if known is not None and known[0] is settings:
        return known[1]
    fixed = {name: to_jsonable(settings.value(name)) for name in KEY_PARAMETERS}
    blob = json.dumps({"environment": environment, "blobs": where[2], **fixed}, sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    if len(_KEYS) >= 1024:
        _KEYS.clear()
    _KEYS[where] = (settings, key)
    return key


@dataclass(eq=False)  # identity: a worker is one container, kept in sets
class Worker:
    number: int
    folder: Path
    container: Any = None
    inflight: int = 0
    last_used: float = field(default_factory=time.monotonic)
    dead: bool = False
    ready: Any = None  # the task that starts its container; awaited by every call placed on it
    calls: list[Call] = field(default_factory=list)  # in flight now
    tail: list[str] = field(default_factory=list)  # the container's own output (redacted), last lines
    token: str = field(default_factory=lambda: _secrets.token_hex(16))  # authenticates its socket's frames
    links: list[Link] = field(default_factory=list)  # open connections to it with no call on them
    controller: WorkerController | None = None  # its controller socket, for every call on it
    shipped: set[str] = field(default_factory=set)  # digests of the code sent to it (it may still ask again)

    def container_output(self, line: str, loop: asyncio.AbstractEventLoop) -> None:
        """What the worker process writes to its file descriptors (a subprocess of a task, a crash):
        kept for crash messages, and shown in the call's log when exactly one call is in flight."""
        self.tail = [*self.tail[-49:], line]
        if len(self.calls) == 1:
            loop.call_soon_threadsafe(self.calls[0].emit, line)

    @property
    def socket(self) -> Path:
        return self.folder / "worker.sock"

    async def link(self) -> Link:
        """An open connection with no call on it, else a new one."""
        return self.links.pop() if self.links else await Link.open(self.socket, self.token)

    def disconnect(self) -> None:
        """Close what the kernel holds open to it (before its container is removed)."""
        for link in self.links:
            link.close()
        self.links.clear()
        if self.controller is not None:
            self.controller.close()


class Pool:
    """The workers of one key; acquire a slot, run a call on it, release it."""

    def __init__(self, runner: "DockerRunner", key: str, policy: Any, settings: Any) -> None:
        self.runner = runner
        self.settings = settings  # of the call that made the pool: what is fixed per container is the same
        self.key = key
        self.policy = policy
        self.workers: list[Worker] = []
        self.started = 0
        self.waiters: list[asyncio.Future[None]] = []  # calls waiting for a slot (acquire), woken by wake()
        self.folders: list[Path] = []  # every worker folder made, removed at kernel exit (remove_folders)
        self.stopping: set[Worker] = set()  # taken out of the pool by the reaper, their removal under way

    async def acquire(self, call: Call, ref: str) -> Worker:
        """A slot on a worker: a free one, else a new worker (up to max replicas), else wait.

        A worker still starting counts with its slots, so two calls that arrive together in a
        pool with concurrency=2 share one new container instead of starting two. The pool's state
        changes only between awaits (one event loop), so no lock guards it: a release wakes the waiters.
        """
        while True:
            free = [w for w in self.workers if not w.dead and w.inflight < self.policy.concurrency]
            if free:
                worker = min(free, key=lambda w: w.inflight)
                break
            if len(self.workers) < self.policy.max_replicas:
                self.started += 1
                worker = Worker(number=self.started, folder=self._folder(self.started))
                worker.ready = asyncio.get_running_loop().create_task(self._start(worker, call, ref))
                self.workers.append(worker)
                break
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
        worker.inflight += 1
        try:
            await asyncio.shield(worker.ready)
        except BaseException:
            if self.release(worker):
                await asyncio.shield(discard(self.runner, worker))
            raise
        return worker

    def release(self, worker: Worker) -> bool:
        """The slot back (no await, so nothing on a warm call's way out waits for the loop); True when the
        worker is dead and has no call left: then the caller removes it (discard)."""
        worker.inflight -= 1
        worker.last_used = time.monotonic()
        if worker.dead and worker in self.workers:
            self.workers.remove(worker)
        self.wake()
        return worker.dead and worker.inflight == 0

    def wake(self) -> None:
        """Calls waiting for a slot look again (a slot was released, a worker left the pool)."""
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    def _folder(self, number: int) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=f"worker-{self.key}-{number}-", dir=calls_root()))  # 0700
        self.folders.append(folder)
        hand_to_task(folder, self.settings)
        return folder

    async def _start(self, worker: Worker, call: Call, ref: str) -> None:
        spec = self.runner.worker_spec(call, ref, worker.folder, self.key, worker.number, worker.token)
        call.status("starting")
        try:
            worker.controller = WorkerController(worker.folder, self.settings)
            await worker.controller.start()
            worker.container = await self.runner.create_container(call, spec)
            await self.runner.follow_output(worker.container, worker.container_output, list(call.secret_values))
            await in_thread(worker.container.start)
            await self._ready(worker, call)
        except BaseException:
            worker.dead = True
            raise

    async def _ready(self, worker: Worker, call: Call) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not (worker.folder / "ready").exists():
            if time.monotonic() > deadline:
                raise RunnerUnavailableError(f"task {call.task.name}: its warm worker did not start in "
                                             f"{START_TIMEOUT:g}s")
            if int(time.monotonic() * 10) % 10 == 0:
                await in_thread(worker.container.reload)
                if worker.container.status == "exited":
                    logs = "".join(worker.tail[-20:])  # no engine log (worker_spec): what the kernel heard
                    raise RunnerUnavailableError(f"task {call.task.name}: its warm worker exited at start:\n{logs}")
            await asyncio.sleep(0.01)

    def idle(self, now: float) -> list[Worker]:
        """Workers to stop. idle_ttl is the environment's: when no call has used any worker for that
        long, all stop. scaledown_ttl is a replica's: above the minimum of `replicas`, a worker idle
        that long stops (a burst scales the pool up; it shrinks back to its minimum sooner)."""
        live = [w for w in self.workers if not w.dead]
        if not live:
            return []
        if all(w.inflight == 0 for w in live) and now - max(w.last_used for w in live) >= \
                self.policy.idle_ttl.total_seconds():
            return live
        extra = len(live) - self.policy.min_replicas
        idle = sorted((w for w in live if w.inflight == 0), key=lambda w: w.last_used)
        scaledown = self.policy.scaledown_ttl.total_seconds()
        return [w for w in idle if now - w.last_used >= scaledown][:max(0, extra)]


class WorkerPools:
    """All pools of a DockerRunner, and the idle reaper that stops workers past their idle_ttl."""

    def __init__(self, runner: "DockerRunner") -> None:
        self.runner = runner
        self.pools: dict[str, Pool] = {}
        self._reaper: asyncio.Task[None] | None = None

    def pool(self, call: Call) -> Pool:
        key = pool_key(call)
        if key not in self.pools:
            self.pools[key] = Pool(self.runner, key, call.settings.value("reusable"), call.settings)
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
        return self.pools[key]

    async def _reap(self) -> None:
        while any(pool.workers for pool in list(self.pools.values())):
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for pool in list(self.pools.values()):  # a call may add a pool while this one awaits
                idle = pool.idle(now)
                for worker in idle:
                    worker.dead = True
                    pool.workers.remove(worker)
                    pool.stopping.add(worker)
                if idle:
                    pool.wake()  # replicas freed: a waiting call may start a new worker
                for worker in idle:
                    try:
                        await discard(self.runner, worker)
                    except Exception as error:  # noqa: BLE001 - the reaper must outlive one failed removal
                        notice(f"could not stop warm worker {worker.number} of pool {pool.key}: {error}")
                    finally:
                        pool.stopping.discard(worker)

    async def attempt(self, call: Call, number: int, ref: str, secrets: dict[Any, str]) -> Any:
        """One attempt on a warm worker; `secrets` resolved by the runner (call.secret_values set)."""
        pool = self.pool(call)
        worker = await pool.acquire(call, ref)
        call.run.attempts[-1].container = worker.container.short_id
        assert worker.controller is not None  # started with the worker (Pool._start)
        controller = worker.controller.bind(call, secrets)
        worker.calls.append(call)
        link: Link | None = None
        sent = None
        try:
            sent = shipment(call, worker.folder, controller.token, secrets, worker.shipped)
            link = await worker.link()
            result = await link.run(call, sent, controller)
            worker.shipped.add(sent.digest)
            exit_code, oom = 0, False
            if result is None:  # the worker died under the call
                worker.dead = True
                exit_code, oom = await in_thread(self.runner.exit_state, worker.container)
                if oom:
                    unmeasured_oom(controller, call)
            else:
                worker.links.append(link)  # the call is over on it: the next call reuses it
                link = None
            resources = call.settings.value("resources")
            return result_outcome(result, call, number, exit_code=exit_code, oom=oom,
                                  where=f"warm worker {worker.number}, container {worker.container.short_id}",
                                  secrets=call.secret_values,
                                  log_tail="".join(worker.tail[-20:]) if result is None else "",
                                  memory_limit=resources.memory_limit_text if resources is not None else None)
        except asyncio.CancelledError:
            worker.dead = True  # timeout or interrupt: the call's thread cannot be stopped, its container can
            raise
        finally:
            if link is not None:
                link.close()  # mid-call (cancelled, failed): the worker may still write on it
            worker.calls.remove(call)
            if sent is not None:
                sent.release()
            try:
                worker.controller.unbind(controller)
                if controller.serving:  # nested calls still in flight: cancelled, their containers removed
                    await asyncio.shield(controller.cancel_pending())
            finally:
                if pool.release(worker):
                    await asyncio.shield(discard(self.runner, worker))

    def remove_folders(self) -> None:
        """At kernel exit: the folders of every worker this kernel started (one per replica), whatever
        became of its container; nothing of a kernel may remain under the temp dir after it exits."""
        for pool in self.pools.values():
            for folder in pool.folders:
                shutil.rmtree(folder, ignore_errors=True)

    async def close(self) -> None:
        """Every worker gone when this returns: those in the pool, those still starting (their create
        lands first, else its container would be left), and those the reaper is removing right now
        (close removes them too; a removal already under way is waited for, DockerRunner._remove)."""
        for pool in self.pools.values():
            for worker in [*pool.workers, *pool.stopping]:
                worker.dead = True
                if worker.ready is not None and not worker.ready.done():
                    await asyncio.wait([worker.ready], timeout=START_TIMEOUT)
                await discard(self.runner, worker)
            pool.workers.clear()
            pool.stopping.clear()


def unmeasured_oom(controller: Controller, call: Call) -> None:
    """A warm call OOM-killed before the worker's ticker sent its first figures (flyte_nb.worker sends them
    with the first sample or the "done" frame) still gets a measure: its memory limit, which the cgroup's
    OOM kill means it reached (Usage.finish)."""
    attempt = controller.attempt
    resources = call.settings.value("resources")
    if attempt is None or attempt.usage is not None or resources is None:
        return
    _, limit = resources.memory_request_limit()
    controller.usage({"t": 0.0, "memory": None, "peak": None, "cpu": None, "limit": limit,
                      "source": "the OOM kill (kernel)", "final": False})


async def discard(runner: "DockerRunner", worker: Worker) -> None:
    """Close the kernel's connections to a worker, then stop and remove its container and folder."""
    worker.disconnect()
    await in_thread(runner.discard_worker, worker)
