"""Standby containers: a call finds a container of its config already started, its shim waiting.

A container config is everything fixed at a container's creation (image, resources, the env vars that
act at process start, user, mounts, the pod template's labels...). Its key is a digest of the create
options themselves (DockerRunner.standby_spec with the per-container parts left as placeholders), so
whatever is in the config is in the key; and nothing of a call (its controller token, task, run, attempt,
secrets, and its other env vars: DockerRunner.handed_env) is in the config: that travels in the one frame
that hands the call to the container (shim.standby), which sets the env vars before the task runs. So a
call whose config differs from a waiting standby's only in such env vars (`override(env_vars=...)`) runs
in that standby, and no env var of one call is ever in a container another call gets. Likewise its cpu and
memory limits: the key keeps which are set, and a standby made with other values gets the call's by `docker
update` when the call claims it (_fit; a refusal means a container made for the call).

After a call, one standby of its config is started off the call's path: created, attached, started,
its shim imported and connected to the kernel's standby socket in its own private folder, blocked
until a call arrives. The next call of that config writes its payload into that folder, opens its
controller there and sends its frame; the container runs that call only and is removed. A call that
finds no standby starts a container the same way, made for it. Isolation is a cold container's: no
container ever runs two calls.

Bounded: one standby per config and at most MAX_STANDBYS in all (the least recently used goes); one
idle for `idle` seconds is removed; each holds the memory a call of its config reserves
(Scheduler.hold), taken only when free, and a call that needs that memory drops it first. All carry the
kernel's labels: removed at kernel exit (DockerRunner.remove_all, atexit) and by `python -m flyte_nb gc`
after a kernel that died.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import os
import secrets as _secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..blocking import in_thread
from ..controller import Controller, secrets_for_wire
from ..errors import RunnerUnavailableError
from ..secrets import redact
from ..shim import RESULT, STANDBY_SOCKET
from .base import Call
from .calls import calls_root, hand_to_task, outcome, release_inputs, write_payload

if TYPE_CHECKING:
    from ..scheduler import Reservation
    from .docker import DockerRunner

#: Seconds a standby waits for a call before it is removed (flyte.init(standby_idle=...)).
IDLE = 120.0
MAX_STANDBYS = 4
START_TIMEOUT = 120.0
#: Seconds to wait, after a call's "done", for the rest of its container's output (the stream ends at exit).
OUTPUT_GRACE = 10.0
#: The placeholder folder of the config whose digest is the key (every container gets a folder of its own).
_KEY_FOLDER = Path("/standby-folder")


def config_key(spec: dict[str, Any]) -> str:
    """The digest of a container's create options (docker-py Mounts and device requests are dicts)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(eq=False)
class Standby:
    """One container of a config: starting, waiting for its call, or running it."""

    key: str
    folder: Path
    token: str = field(default_factory=lambda: _secrets.token_hex(16))  # authenticates its socket's frames
    container: Any = None
    connection: "asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] | None" = None
    starting: "asyncio.Task[None] | None" = None
    server: asyncio.AbstractServer | None = None
    hold: "Reservation | None" = None  # the scheduler's memory for it while it waits
    timer: asyncio.TimerHandle | None = None  # its idle expiry while it waits
    call: Call | None = None  # the call it runs, once claimed
    follower: threading.Thread | None = None
    attached: "asyncio.Future[None] | None" = None  # set once its output stream is attached (or ended): see follow
    mark: bytes = b""  # the claiming call's end-of-output mark (shim.standby writes it on stdout and stderr)
    drained: "asyncio.Future[None] | None" = None  # set once both marks (or the stream's end) arrived
    stopped: "asyncio.Future[None] | None" = None  # set when its output stream ends (the container stopped)
    limits: dict[str, Any] = field(default_factory=dict)  # its cgroup limits now (DockerRunner.limits)
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))
    last_used: float = field(default_factory=time.monotonic)

    @property
    def failed(self) -> bool:
        """Its start failed or its container exited before any call reached it."""
        connection = self.connection
        return connection is not None and connection.done() and (
            connection.cancelled() or connection.exception() is not None or connection.result() is None)

    def follow(self, container: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Its container's output (a demultiplexed attach) until the stream ends, line by line; each
        stream keeps its own partial line. On a daemon thread.

        An attach gets only what the container writes once it is attached: logs=True replays nothing on
        the engines we run (20.10: an attach's logs are empty, running or exited). So `attached` is set
        when the attach is in place, and no call is handed to the container before (Standbys._ready): on
        a loaded machine this thread's attach landed seconds late, after a quick call had printed and
        exited, and its lines were lost (basics_map's "Task 7")."""
        pending = {"stdout": b"", "stderr": b""}
        marked: set[str] = set()
        try:
            output = container.attach(stdout=True, stderr=True, stream=True, logs=True, demux=True)
            _soon(loop, _settle, self.attached, None)
            for chunk in output:
                out, err = chunk if isinstance(chunk, tuple) else (chunk, None)
                for stream, data in (("stdout", out), ("stderr", err)):
                    if data:
                        *lines, pending[stream] = (pending[stream] + data).split(b"\n")
                        for raw in lines:
                            self._line(raw, stream, marked, loop)
        except Exception:  # noqa: BLE001 - the container may vanish mid-stream (timeout, interrupt, removal)
            pass
        for stream, rest in pending.items():
            if rest:
                self.output(rest.decode("utf-8", "replace"), stream, loop)
        _soon(loop, self._ended)

    def _line(self, raw: bytes, stream: str, marked: set[str], loop: asyncio.AbstractEventLoop) -> None:
        """One whole line; the call's end-of-output mark ends that stream's part of the call's log."""
        if self.mark and raw.endswith(self.mark):
            if raw[:-len(self.mark)]:
                self.output(raw[:-len(self.mark)].decode("utf-8", "replace"), stream, loop)  # a partial last line
            marked.add(stream)
            if len(marked) == 2:
                _soon(loop, _settle, self.drained, None)
            return
        self.output(raw.decode("utf-8", "replace") + "\n", stream, loop)

    def output(self, line: str, stream: str, loop: asyncio.AbstractEventLoop) -> None:
        """A line of its container's output: kept for crash messages, and the claiming call's log line."""
        call = self.call
        if call is not None:
            line = redact(line, call.secret_values)
            _soon(loop, call.emit, line, stream)
        self.tail.append(line)

    def _ended(self) -> None:
        """The output stream ended: the container stopped (on the loop)."""
        for future in (self.connection, self.attached, self.drained, self.stopped):
            if future is not None:
                _settle(future, None)


class Standbys:
    """The standbys of a DockerRunner: one per container config, and the calls that run in them."""

    def __init__(self, runner: "DockerRunner", idle: float | None = None) -> None:
        self.runner = runner
        self.idle = IDLE if idle is None else idle
        self.waiting: dict[str, Standby] = {}  # config key -> its standby (starting or ready)
        self.folders: set[Path] = set()  # every folder not yet removed (remove_folders at kernel exit)
        self.closed = False
        self._tasks: set[asyncio.Task[Any]] = set()  # starts and removals in the background
        self._keys: dict[tuple[int, str, str], tuple[Any, str]] = {}  # see _key

    # ---- a call ---------------------------------------------------------------------------------
    async def attempt(self, call: Call, number: int, ref: str, secrets: dict[Any, str]) -> Any:
        """One attempt in a container no other call used: the config's standby, else one made now."""
        from .docker import LABEL

        key = self._key(call, ref)
        standby = self._claim(key)
        if standby is not None:
            standby = await self._fit(standby, call)
        if standby is None:
            call.status("starting")
            standby = self._begin(call, ref, key, {f"{LABEL}.run": call.run.id, f"{LABEL}.attempt": str(number),
                                                   f"{LABEL}.task": call.task.name})
        try:
            result = await self._run(standby, call, number, secrets)
        except asyncio.CancelledError:  # timeout or interrupt: its container is gone before the call returns
            await asyncio.shield(self._discard(standby))
            raise
        except BaseException:  # a failed call: its container is gone (or remembered) before it is reported
            await asyncio.shield(self._discard(standby))
            self._spawn(self._replace(call, ref, key))  # its retry finds one
            raise
        release_inputs(standby.folder)  # the inputs' blob-store files go with the call, as a cold call's do
        self._spawn(self._discard(standby))  # the container and its folder: off the call's path
        self._spawn(self._replace(call, ref, key))
        return result

    def _key(self, call: Call, ref: str) -> str:
        """The config key of the call's container; per resolution (reused while a task's settings are the
        same: task.resolve), image and blob store, kept with the resolution so its id is not reused."""
        from .. import io

        where = (id(call.settings), ref, str(io.host_root()))
        known = self._keys.get(where)
        if known is not None and known[0] is call.settings:
            return known[1]
        from .docker import UPDATABLE

        spec = self.runner.standby_spec(call, ref, _KEY_FOLDER, "", {}, "")
        key = config_key({k: "set at hand-off" if k in UPDATABLE else v for k, v in spec.items()})
        if len(self._keys) >= 1024:
            self._keys.clear()
        self._keys[where] = (call.settings, key)
        return key

    async def _fit(self, standby: Standby, call: Call) -> Standby | None:
        """The claimed standby with the call's cgroup limits: `docker update` when its own differ (one engine
        call, not a container's create and start). None when that fails (e.g. the engine refuses a memory
        limit below what the waiting shim uses): it is removed, and the call gets a container made for it."""
        wanted = self.runner.limits(call)
        if wanted == standby.limits:
            return standby
        try:
            if standby.starting is not None:
                await asyncio.shield(standby.starting)  # created and started (its shim may still be importing)
            if standby.failed or standby.container is None:
                raise RuntimeError("its start failed")
            await in_thread(standby.container.update, **wanted)
        except asyncio.CancelledError:
            await asyncio.shield(self._discard(standby))
            raise
        except Exception:  # noqa: BLE001 - not this standby, then: a container made with the call's limits
            self._spawn(self._discard(standby))
            return None
        standby.limits = wanted
        return standby

    async def _run(self, standby: Standby, call: Call, number: int, secrets: dict[Any, str]) -> Any:
        from .docker import CALL_DIR

        folder = standby.folder
        write_payload(folder, call)
        done = False
        async with Controller(folder / "ctl.sock", call, secrets) as controller:
            connection = await self._ready(standby, call)
            call.run.attempts[-1].container = standby.container.short_id
            if connection is not None:
                reader, writer = connection
                standby.call = call
                mark = _secrets.token_hex(8)
                standby.mark = b"\0" + mark.encode()
                standby.drained = asyncio.get_running_loop().create_future()
                call.status("running")
                # the call's own env vars (not in the container's config: any call of the same key may get
                # it), then its identity; the shim sets them all before the task runs
                env = {**self.runner.handed_env(call),
                       "FLYTE_NB_CONTROLLER": f"{CALL_DIR}/ctl.sock", "FLYTE_NB_TOKEN": controller.token,
                       "FLYTE_NB_TASK": call.task.name, "FLYTE_NB_RUN": call.run.id, "FLYTE_NB_ATTEMPT": str(number)}
                try:
                    await protocol.write_message(writer, {"env": env, "secrets": secrets_for_wire(secrets),
                                                          "mark": mark}, standby.token)
                    reply = await self._reply(standby, reader)
                    done = isinstance(reply, dict) and reply.get("done") is True
                except (asyncio.IncompleteReadError, ConnectionError):
                    done = False  # the container died under the call (crash, OOM)
                finally:
                    writer.close()
            if standby.drained is not None:  # the rest of its output, up to the marks (or the stream's end)
                try:
                    await asyncio.wait_for(asyncio.shield(standby.drained), OUTPUT_GRACE)
                except asyncio.TimeoutError:
                    pass
        standby.call = None  # what the container writes after the marks (its exit) is no line of the call's log
        exit_code, oom = 0, False
        if not (done and (folder / RESULT).exists()):
            exit_code, oom = await in_thread(self.runner.exit_state, standby.container)
        resources = call.settings.value("resources")
        return outcome(folder, call, number, exit_code=exit_code, oom=oom, where=f"container {standby.container.short_id}",
                       secrets=call.secret_values, log_tail="".join(standby.tail),
                       memory_limit=resources.memory_limit_text if resources is not None else None)

    async def _reply(self, standby: Standby, reader: asyncio.StreamReader) -> Any:
        """The container's "done" frame. When its output stream ends first, ask the engine: a container
        that stopped closes the socket too (a crash), and an engine that went away raises its
        ConnectionError here (DockerRunner.attempt says so), as a cold call's wait does."""
        reading = asyncio.ensure_future(protocol.read_message(reader, standby.token))
        stopped = standby.stopped
        try:
            if stopped is not None:
                await asyncio.wait({reading, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not reading.done():
                    await in_thread(standby.container.reload)
            return await reading
        finally:
            reading.cancel()

    async def _ready(self, standby: Standby, call: Call) -> Any:
        """The standby's connection once its shim is up and its output attached (what the call prints
        before the attach is in place would be lost: Standby.follow); None when its container exited before."""
        assert standby.connection is not None
        await self._started(standby.connection, call)
        connection = standby.connection.result()  # a failed start raises here
        if connection is not None and standby.attached is not None:
            await self._started(standby.attached, call)  # set by the follower started before the container
        return connection

    @staticmethod
    async def _started(future: "asyncio.Future[Any]", call: Call) -> None:
        if future.done():
            return
        call.status("starting")
        try:
            await asyncio.wait_for(asyncio.shield(future), START_TIMEOUT)
        except asyncio.TimeoutError:
            raise RunnerUnavailableError(f"task {call.task.name}: its container did not start in "
                                         f"{START_TIMEOUT:g}s") from None

    # ---- standbys -------------------------------------------------------------------------------
    def _claim(self, key: str) -> Standby | None:
        """The config's standby, taken out of waiting (its memory is now the call's reservation)."""
        standby = self.waiting.pop(key, None)
        if standby is None:
            return None
        self._unwait(standby)
        if standby.failed:
            self._spawn(self._discard(standby))
            return None
        return standby

    def _unwait(self, standby: Standby) -> None:
        if standby.timer is not None:
            standby.timer.cancel()
            standby.timer = None
        if standby.hold is not None:
            from ..runtime import runtime

            runtime()._scheduler().unhold(standby.hold)
            standby.hold = None

    def _begin(self, call: Call, ref: str, key: str, labels: dict[str, str]) -> Standby:
        """A new container of the call's config, starting in the background; claimed or waiting."""
        folder = Path(tempfile.mkdtemp(prefix=f"standby-{key[:8]}-", dir=calls_root()))  # 0700
        hand_to_task(folder, call.settings)
        self.folders.add(folder)
        standby = Standby(key=key, folder=folder, limits=self.runner.limits(call))
        loop = asyncio.get_running_loop()
        standby.connection = loop.create_future()
        standby.attached = loop.create_future()
        standby.stopped = loop.create_future()
        standby.starting = loop.create_task(self._start(standby, call, ref, labels))
        return standby

    async def _start(self, standby: Standby, call: Call, ref: str, labels: dict[str, str]) -> None:
        """Listen, create, attach, start; the shim then connects (`connection`). A failure is the
        connection's error (the claiming call raises it); cancelled, the container is removed by _discard."""
        from .docker import LABEL

        loop = asyncio.get_running_loop()
        connection = standby.connection
        assert connection is not None

        async def ready(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                hello = await protocol.read_message(reader, standby.token)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                writer.close()
                return
            if isinstance(hello, dict) and hello.get("op") == "ready" and not connection.done():
                connection.set_result((reader, writer))
                if standby.timer is not None:  # waiting for a call: idle from now on
                    standby.timer.cancel()
                    standby.timer = loop.call_later(self.idle, self._drop, standby)
            else:
                writer.close()

        try:
            path = standby.folder / STANDBY_SOCKET
            standby.server = await asyncio.start_unix_server(ready, path=str(path))
            os.chmod(path, 0o600)
            hand_to_task(path, call.settings)
            name = f"flyte-nb-{os.getpid()}-s-{standby.key[:6]}-{standby.token[:6]}"
            spec = self.runner.standby_spec(call, ref, standby.folder, standby.token,
                                            {f"{LABEL}.standby": standby.key, **labels}, name)
            standby.container = await self.runner.create_container(call, spec)
            # Attached while it starts, so the attach is not on the path; a call is handed to it only once the
            # attach is in place (`attached`, Standbys._ready): an attach gets nothing written before it.
            standby.follower = threading.Thread(target=standby.follow, args=(standby.container, loop), daemon=True)
            standby.follower.start()
            await in_thread(standby.container.start)
        except asyncio.CancelledError:
            connection.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - the claiming call raises it; a waiting one is dropped
            if not connection.done():
                connection.set_exception(error)
            if standby.call is None and self.waiting.get(standby.key) is standby:
                connection.exception()  # retrieved: nobody waits on it
                self._drop(standby)

    async def _replace(self, call: Call, ref: str, key: str) -> None:
        """After a call: one standby of its config, if none waits and the machine has its memory."""
        from ..runtime import runtime

        if self.closed or key in self.waiting:
            return
        if len(self.waiting) >= MAX_STANDBYS:
            self._drop(min(self.waiting.values(), key=lambda s: s.last_used))
        memory = call.reservation.memory if call.reservation is not None else 0
        box: list[Standby] = []
        hold = runtime()._scheduler().hold(memory, lambda: self._drop(box[0]) if box else None)
        if hold is None:
            return  # it would overcommit memory: no standby
        standby = self._begin(call, ref, key, {})
        box.append(standby)
        standby.hold = hold
        # Until its shim is up, a start that hangs is bounded too; then `idle` (the ready handler in _start).
        standby.timer = asyncio.get_running_loop().call_later(max(self.idle, START_TIMEOUT), self._drop, standby)
        self.waiting[key] = standby

    def _drop(self, standby: Standby) -> None:
        """Remove a waiting standby (idle, over the cap, its memory wanted by a call, failed)."""
        if self.waiting.get(standby.key) is standby:
            del self.waiting[standby.key]
        if standby.timer is not None:
            standby.timer.cancel()
            standby.timer = None
        self._spawn(self._discard(standby))

    async def _discard(self, standby: Standby) -> None:
        """Its container removed, its folder gone, then its memory given back."""
        if standby.starting is not None and not standby.starting.done():
            standby.starting.cancel()
        if standby.starting is not None:
            await asyncio.gather(standby.starting, return_exceptions=True)
        if standby.server is not None:
            standby.server.close()
        if standby.container is not None:
            await in_thread(self.runner._remove, standby.container)
        release_inputs(standby.folder)
        shutil.rmtree(standby.folder, ignore_errors=True)
        self.folders.discard(standby.folder)
        if standby.hold is not None:
            from ..runtime import runtime

            runtime()._scheduler().unhold(standby.hold)
            standby.hold = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- shutdown -------------------------------------------------------------------------------
    async def clear(self) -> None:
        """Remove every waiting standby and wait for the starts and removals in flight."""
        for standby in list(self.waiting.values()):
            self._drop(standby)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
            for standby in list(self.waiting.values()):  # one a call in flight just replaced
                self._drop(standby)

    async def close(self) -> None:
        """No more standbys (flyte.init again, kernel shutdown): every one removed."""
        self.closed = True
        await self.clear()

    def remove_folders(self) -> None:
        """At kernel exit: every standby folder left (their containers are removed by label)."""
        for folder in list(self.folders):
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()


def _settle(future: "asyncio.Future[Any] | None", value: Any) -> None:
    if future is not None and not future.done():
        future.set_result(value)


def _soon(loop: asyncio.AbstractEventLoop, callback: Any, *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop closed (kernel shutdown)
        pass
