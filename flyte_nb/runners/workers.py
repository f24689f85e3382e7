"""Warm workers for reusable environments (`reusable=flyte.ReusePolicy(...)`), on the Docker engine.

A pool per key: the environment, its resolved image, resources, env vars, secrets and pod
template, i.e. everything fixed at container creation (the spec forbids overriding those on
a reusable task, so every call of the pool fits the same container). Workers start on demand,
up to `replicas` (max), each taking `concurrency` calls at once over its unix socket; a worker
idle past `scaledown_ttl` stops while the pool is above the minimum of `replicas=(min, max)`,
all stop when the whole environment has been idle for `idle_ttl` (Flyte's meaning: idle_ttl is
the environment's, scaledown_ttl a replica's), and at kernel shutdown (they carry its labels).

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

from .. import protocol
from .. import secrets as secret_store
from ..blocking import in_thread
from ..config.jsonable import to_jsonable
from ..controller import Controller, secrets_for_wire
from ..errors import RunnerUnavailableError
from ..notices import notice
from .base import Call
from .calls import calls_root, hand_to_task, outcome, release_inputs, write_payload

if TYPE_CHECKING:
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

    def container_output(self, line: str, loop: asyncio.AbstractEventLoop) -> None:
        """What the worker process writes to its file descriptors (a subprocess of a task, a crash):
        kept for crash messages, and shown in the call's log when exactly one call is in flight."""
        self.tail = [*self.tail[-49:], line]
        if len(self.calls) == 1:
            loop.call_soon_threadsafe(self.calls[0].emit, line)

    @property
    def socket(self) -> Path:
        return self.folder / "worker.sock"


class Pool:
    """The workers of one key; acquire a slot, run a call on it, release it."""

    def __init__(self, runner: "DockerRunner", key: str, policy: Any, settings: Any) -> None:
        self.runner = runner
        self.settings = settings  # of the call that made the pool: what is fixed per container is the same
        self.key = key
        self.policy = policy
        self.workers: list[Worker] = []
        self.started = 0
        self.changed = asyncio.Condition()
        self.folders: list[Path] = []  # every worker folder made, removed at kernel exit (remove_folders)
        self.stopping: set[Worker] = set()  # taken out of the pool by the reaper, their removal under way

    async def acquire(self, call: Call, ref: str) -> Worker:
        """A slot on a worker: a free one, else a new worker (up to max replicas), else wait.

        A worker still starting counts with its slots, so two calls that arrive together in a
        pool with concurrency=2 share one new container instead of starting two.
        """
        async with self.changed:
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
                await self.changed.wait()
            worker.inflight += 1
        try:
            await asyncio.shield(worker.ready)
        except BaseException:
            await self.release(worker)
            raise
        return worker

    async def release(self, worker: Worker) -> None:
        async with self.changed:
            worker.inflight -= 1
            worker.last_used = time.monotonic()
            if worker.dead and worker in self.workers:
                self.workers.remove(worker)
            self.changed.notify_all()
        if worker.dead and worker.inflight == 0:
            await in_thread(self.runner.discard_worker, worker)

    def _folder(self, number: int) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=f"worker-{self.key}-{number}-", dir=calls_root()))  # 0700
        self.folders.append(folder)
        hand_to_task(folder, self.settings)
        return folder

    async def _start(self, worker: Worker, call: Call, ref: str) -> None:
        spec = self.runner.worker_spec(call, ref, worker.folder, self.key, worker.number, worker.token)
        call.status("starting")
        try:
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
                async with pool.changed:
                    idle = pool.idle(now)
                    for worker in idle:
                        worker.dead = True
                        pool.workers.remove(worker)
                        pool.stopping.add(worker)
                for worker in idle:
                    try:
                        await in_thread(self.runner.discard_worker, worker)
                    except Exception as error:  # noqa: BLE001 - the reaper must outlive one failed removal
                        notice(f"could not stop warm worker {worker.number} of pool {pool.key}: {error}")
                    finally:
                        pool.stopping.discard(worker)

    async def attempt(self, call: Call, number: int, ref: str, secrets: dict[Any, str]) -> Any:
        """One attempt on a warm worker; `secrets` resolved by the runner (call.secret_values set)."""
        pool = self.pool(call)
        worker = await pool.acquire(call, ref)
        call.run.attempts[-1].container = worker.container.short_id
        folder = Path(tempfile.mkdtemp(prefix=f"{call.run.id}-{number}-", dir=worker.folder))
        worker.calls.append(call)
        try:
            hand_to_task(folder, call.settings)
            write_payload(folder, call)
            async with Controller(folder / "ctl.sock", call, secrets) as controller:
                inside = f"{WORKER_DIR}/{folder.name}"
                done = await self._converse(worker, call, {
                    "op": "run", "dir": inside, "controller": f"{inside}/ctl.sock", "token": controller.token,
                    "secrets": secrets_for_wire(secrets),  # over the worker's private socket: no hello round trip
                })
            exit_code, oom = 0, False
            if not done:  # the worker died under the call
                worker.dead = True
                exit_code, oom = await in_thread(self.runner.exit_state, worker.container)
            resources = call.settings.value("resources")
            return outcome(folder, call, number, exit_code=exit_code, oom=oom,
                           where=f"warm worker {worker.number}, container {worker.container.short_id}",
                           secrets=call.secret_values, log_tail="".join(worker.tail[-20:]) if not done else "",
                           memory_limit=resources.memory_limit_text if resources is not None else None)
        except asyncio.CancelledError:
            worker.dead = True  # timeout or interrupt: the call's thread cannot be stopped, its container can
            raise
        finally:
            worker.calls.remove(call)
            release_inputs(folder)
            shutil.rmtree(folder, ignore_errors=True)
            await asyncio.shield(pool.release(worker))

    async def _converse(self, worker: Worker, call: Call, request: dict[str, Any]) -> bool:
        """Send the call, stream its output to the call's log; True when the worker said it is done."""
        reader, writer = await protocol.open_connection(str(worker.socket))
        pending = {"stdout": "", "stderr": ""}  # a partial line per stream
        try:
            await protocol.write_message(writer, request, worker.token)
            call.status("running")
            while True:
                try:
                    message = await protocol.read_message(reader, worker.token)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return False
                if not isinstance(message, dict):
                    return False
                if message.get("done"):
                    return True
                stream = "stderr" if message.get("stream") == "stderr" else "stdout"
                *lines, pending[stream] = (pending[stream] + str(message.get("log", ""))).split("\n")
                for line in lines:
                    call.emit(secret_store.redact(line + "\n", call.secret_values), stream)
        finally:
            for stream, rest in pending.items():
                if rest:
                    call.emit(secret_store.redact(rest, call.secret_values), stream)
            writer.close()

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
                await in_thread(self.runner.discard_worker, worker)
            pool.workers.clear()
            pool.stopping.clear()
