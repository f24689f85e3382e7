"""The container runner: every attempt runs in its own Docker container (docker-py).

The container gets the environment's image, its resolved resources as cgroup limits, its env
vars, network "none", a uid no host account has (identity.py) with all capabilities dropped, a
read-only root filesystem with tmpfs /tmp and working directory (docs/security.md), and two mounts:
the call folder (payload, result, controller socket) and flyte_nb's runtime (this package
and the few libraries the shim needs, read-only, straight from the kernel's site-packages, so
a code change needs no image rebuild). Secrets arrive over the socket, never in its config.
With standbys on (the default), a call runs in a container of its config that was started before
it arrived (runners/standby.py).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import importlib.util
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .. import secrets as secret_store
from ..blocking import in_thread
from ..config.resources import Resources, parse_gpu, parse_memory
from ..controller import Controller
from ..errors import RunnerUnavailableError
from ..host_limits import fit
from ..notices import notice
from .base import Call, Runner
from ..shim import RESULT
from .calls import call_folder, outcome, read_only_root, task_ids, write_payload
from .standby import Standbys
from .workers import WorkerPools

#: Libraries the shim imports inside the container, mounted from the kernel (same Python minor).
RUNTIME_MODULES = ("flyte_nb", "cloudpickle", "pydantic", "pydantic_core", "typing_extensions",
                   "annotated_types", "typing_inspection", "packaging")
RUNTIME_DIR = "/flyte/runtime"
CALL_DIR = "/flyte/call"
#: The task's working directory and HOME: a tmpfs of its own, writable even with a read-only root.
WORK_DIR = "/flyte/work"
#: Options of the writable tmpfs mounts (/tmp, WORK_DIR): programs may run what they unpack there.
SCRATCH = "rw,exec,nosuid,nodev"
LABEL = "flyte-nb"
#: Resource options a running container takes from `docker update`: a standby made with other values of them
#: gets its call's at hand-off (runners/standby.py), so the standby key keeps which are set, not their values.
UPDATABLE = ("cpu_period", "cpu_quota", "cpu_shares", "mem_limit", "memswap_limit", "mem_reservation")
#: Env vars flyte_nb sets in every container (a task's env_vars of the same name do not replace them).
OWN_ENV = ("PYTHONPATH", "PYTHONUNBUFFERED", "HOME", "FLYTE_NB_BLOB_ROOT")
#: Prefixes of env vars that act when a process starts (the interpreter, the dynamic loader, libc's
#: locale and allocator, the lookup of `python3` itself): setting them later would not do what they say,
#: so they stay in a container's config (and its standby key); a call's other env vars travel at hand-off.
STARTUP_ENV = ("PYTHON", "LD_", "PATH", "LANG", "LC_", "LANGUAGE", "MALLOC_", "GLIBC_", "TZ")
PIDS_LIMIT = 1024
#: Storage drivers where `--storage-opt size=` limits a container's writable layer.
SIZED_DRIVERS = ("devicemapper", "btrfs", "zfs", "windowsfilter")


def at_startup(name: str) -> bool:
    """Whether an env var acts when a process starts (STARTUP_ENV), so it must be set at creation."""
    return name.upper().startswith(STARTUP_ENV)


def _process_start() -> str:
    try:
        return Path(f"/proc/{os.getpid()}/stat").read_text().split()[21]
    except OSError:
        return "0"


#: Labels every container of this kernel carries; `python -m flyte_nb gc` finds orphans by them.
KERNEL_LABELS = {
    f"{LABEL}.host": socket.gethostname(),
    f"{LABEL}.pid": str(os.getpid()),
    f"{LABEL}.pid-start": _process_start(),
}
KERNEL_ID = "-".join(KERNEL_LABELS.values())


#: Seconds an engine has to answer at connection; calls then get API_TIMEOUT per request.
CONNECT_TIMEOUT = 3.0
API_TIMEOUT = 600


def connect(timeout: float = CONNECT_TIMEOUT) -> Any:
    """A docker-py client that answers, or RunnerUnavailableError naming where it looked.

    docker.from_env asks the engine's API version while it constructs the client, so the short
    timeout must be given there: with the API timeout, a hung engine (it accepts and never
    answers) held flyte.init for 600 s and runner="auto" never fell back to local.
    """
    import docker

    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no engine here"
        hung = "timed out" in str(error).lower() or "timeout" in type(error).__name__.lower()
        raise RunnerUnavailableError(
            f"no Docker engine answers at {where} "
            f"({f'it did not reply within {timeout:g}s' if hung else type(error).__name__}); start dockerd, "
            f"set DOCKER_HOST, or use flyte.init(runner='local')"
        ) from None
    client.api.timeout = API_TIMEOUT
    return client


def runtime_mounts() -> list[Any]:
    """Read-only bind mounts of the shim's libraries at /flyte/runtime/<name>.

    flyte_nb's own bytecode is compiled here first: the mounts are read-only, so a stale .pyc
    would otherwise be recompiled in every container (tens of ms per call after an edit).
    """
    import compileall

    from docker.types import Mount

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent), quiet=2)
    mounts = []
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        if spec.submodule_search_locations:
            source, target = list(spec.submodule_search_locations)[0], f"{RUNTIME_DIR}/{name}"
        else:
            source, target = str(spec.origin), f"{RUNTIME_DIR}/{Path(str(spec.origin)).name}"
        mounts.append(Mount(target=target, source=str(Path(source).resolve()), type="bind", read_only=True))
    return mounts


def resource_options(resources: Resources | None, engine: dict[str, Any], task: str) -> dict[str, Any]:
    """docker-py container options for cpu, memory, shm, disk and gpu."""
    options: dict[str, Any] = {}
    if resources is None:
        return options
    options.update(fit(resources, task))  # within the engine's bounds, or a clear error (host_limits.py)
    _, memory_limit = resources.memory_request_limit()
    if resources.shm is not None:
        options["shm_size"] = (memory_limit // 2 if memory_limit else 2**30) if resources.shm == "auto" \
            else parse_memory(resources.shm, "shm")
    if resources.disk is not None:
        driver = engine.get("Driver", "")
        if driver in SIZED_DRIVERS:
            options["storage_opt"] = {"size": resources.disk}
        else:
            notice(f"task {task}: disk={resources.disk} is not enforced: the Docker storage driver "
                   f"{driver!r} cannot limit a container's disk")
    if resources.gpu is not None:
        count, model = parse_gpu(resources.gpu)
        if count:
            if "nvidia" not in engine.get("Runtimes", {}):
                raise RunnerUnavailableError(
                    f"task {task}: gpu={resources.gpu!r} requested, but this Docker engine has no GPU runtime "
                    f"(nvidia); run it where GPUs are, or override(resources=...) without gpu")
            from docker.types import DeviceRequest

            options["device_requests"] = [DeviceRequest(count=count, capabilities=[["gpu"]])]
    return options


def pod_template_options(template: Any, task: str) -> dict[str, Any]:
    """What of a PodTemplate maps onto one container: labels, annotations, the primary container's env
    (runAsUser/runAsGroup: calls.task_ids); one notice for the rest."""
    from ..config.pod_template import PodTemplate

    if not isinstance(template, PodTemplate):
        if template is not None:
            notice(f"task {task}: pod_template={template!r} names a cluster template; not applied locally")
        return {}
    options: dict[str, Any] = {"labels": {f"pod.{k}": v for k, v in (template.labels or {}).items()}}
    options["labels"].update({f"pod-annotation.{k}": v for k, v in (template.annotations or {}).items()})
    spec = dict(template.pod_spec or {})
    ignored = sorted(k for k in spec if k not in ("containers", "securityContext", "security_context"))
    for container in spec.get("containers", []):
        if container.get("name") != template.primary_container_name:
            ignored.append(f"container {container.get('name')!r}")
            continue
        options["environment"] = {e["name"]: str(e.get("value", "")) for e in container.get("env", [])}
    if ignored:
        notice(f"task {task}: pod_template fields not honored by the docker runner: {', '.join(ignored)}")
    return options


class DockerRunner(Runner):
    name = "docker"

    def __init__(self, standby: bool = True, standby_idle: float | None = None) -> None:
        self.client = connect()
        self.engine = self.client.info()
        self._mounts = runtime_mounts()
        self._ready: dict[str, str] = {}  # image digest -> checked local reference
        self._orphans: dict[str, str] = {}  # containers left when the engine was unreachable: id -> short id
        self.workers = WorkerPools(self)
        self.standbys = Standbys(self, standby_idle) if standby else None
        atexit.register(self.remove_all)

    async def close(self) -> None:
        await self.workers.close()
        if self.standbys is not None:
            await self.standbys.close()

    def remove_all(self) -> int:
        """Remove every container this kernel started, and its warm workers' folders (kernel shutdown)."""
        from ..blocking import wait_pending

        removed = 0
        mine = {"label": f"{LABEL}.kernel={KERNEL_ID}"}
        # Twice: removing the listed containers ends the calls waiting on them; a create still in flight
        # (a standby started off a call's path) lands meanwhile and is listed the second time.
        for settle in (5.0, 0.0):
            try:
                for container in self.client.containers.list(all=True, filters=mine, ignore_removed=True):
                    container.remove(force=True)
                    removed += 1
            except Exception:  # noqa: BLE001 - the engine may be gone at shutdown
                break
            if settle:
                wait_pending(settle)
        self.workers.remove_folders()
        if self.standbys is not None:
            self.standbys.remove_folders()
        return removed

    async def prepare(self, call: Call) -> str:
        """Build (or find) the image and check its Python matches the kernel's."""
        from ..images.builder import ensure_image, image_python_version

        image = call.settings.value("image")
        known = self._ready.get(image.digest)
        if known is not None:
            return known  # checked earlier in this kernel; a removed image shows at create (ImageNotFound)
        call.status("building")
        # The build log goes to stderr: a program's stdout is what the program prints.
        ref = await in_thread(ensure_image, image, log=lambda line: call.emit(line, "stderr"))
        version = await in_thread(image_python_version, ref)
        if tuple(version) != tuple(sys.version_info[:2]):
            raise RunnerUnavailableError(
                f"task {call.task.name}: image {ref} has Python {version[0]}.{version[1]} but this kernel runs "
                f"{sys.version_info[0]}.{sys.version_info[1]}; tasks travel pickled, so both must match "
                f"(use Image.from_debian_base(python_version=...) with a kernel of that version)")
        self._ready[image.digest] = ref
        return ref

    async def create_container(self, call: Call, spec: dict[str, Any]) -> Any:
        """containers.create; when the image was removed since it was checked, build it again once."""
        import docker.errors

        try:
            return await self._create_or_remove(spec)
        except docker.errors.ImageNotFound:
            self._ready.pop(call.settings.value("image").digest, None)
            spec = {**spec, "image": await self.prepare(call)}
            return await self._create_or_remove(spec)

    async def _create_or_remove(self, spec: dict[str, Any]) -> Any:
        """Create; when the call is cancelled meanwhile (timeout, interrupt), the engine still creates
        the container, so wait for it and remove it instead of leaving it behind."""
        creating = asyncio.ensure_future(in_thread(self.client.containers.create, **spec))
        try:
            return await asyncio.shield(creating)
        except asyncio.CancelledError:
            try:
                container = await creating
            except Exception:  # noqa: BLE001 - it was never created
                raise asyncio.CancelledError from None
            await in_thread(self._remove, container)
            raise

    def spec(self, call: Call, number: int, ref: str, folder: Path, token: str) -> dict[str, Any]:
        """A cold container for one attempt: the shim runs the call in /flyte/call and exits."""
        env = {"FLYTE_NB_CALL_DIR": CALL_DIR, "FLYTE_NB_CONTROLLER": f"{CALL_DIR}/ctl.sock", "FLYTE_NB_TOKEN": token,
               "FLYTE_NB_TASK": call.task.name, "FLYTE_NB_RUN": call.run.id, "FLYTE_NB_ATTEMPT": str(number)}
        labels = {f"{LABEL}.run": call.run.id, f"{LABEL}.attempt": str(number), f"{LABEL}.task": call.task.name}
        return self._container(call, ref, command="flyte_nb.shim", mount=(CALL_DIR, folder), env=env, labels=labels,
                               name=f"flyte-nb-{os.getpid()}-{call.run.id}-{number}-{token[:6]}")

    def worker_spec(self, call: Call, ref: str, folder: Path, key: str, number: int, token: str) -> dict[str, Any]:
        """A warm worker of a reusable environment: serves calls from /flyte/worker until stopped;
        `token` authenticates the frames on its socket (flyte_nb.protocol)."""
        from .workers import WORKER_DIR

        environment = call.task.name.rsplit(".", 1)[0]
        env = {"FLYTE_NB_WORKER_DIR": WORKER_DIR, "FLYTE_NB_WORKER": str(number), "FLYTE_NB_WORKER_TOKEN": token}
        labels = {f"{LABEL}.worker": key, f"{LABEL}.environment": environment}
        from docker.types import LogConfig

        spec = self._container(call, ref, command="flyte_nb.worker", mount=(WORKER_DIR, folder), env=env,
                               labels=labels, name=f"flyte-nb-{os.getpid()}-{environment}-w{number}-{key[:6]}")
        # No engine log: a worker lives long and serves many calls, and its subprocesses' output would
        # stay there unredacted; the kernel attaches to it instead (follow_output) and redacts each line.
        return {**spec, "log_config": LogConfig(type="none")}

    def standby_spec(self, call: Call, ref: str, folder: Path, token: str, labels: dict[str, str],
                     name: str) -> dict[str, Any]:
        """A container of the call's config that waits for its call on the standby socket in `folder`
        (flyte_nb.shim.standby): nothing of the call itself (token, identity, secrets) is in it, nor the
        call's env vars that are set at hand-off (handed_env): a standby serves any call whose config
        differs from its own only there, and no call's env var is in a container another call gets."""
        from ..shim import STANDBY_TOKEN

        env = {"FLYTE_NB_CALL_DIR": CALL_DIR, STANDBY_TOKEN: token}
        return self._container(call, ref, command="flyte_nb.shim", mount=(CALL_DIR, folder), env=env,
                               labels=labels, name=name, handed=True)

    def handed_env(self, call: Call) -> dict[str, str]:
        """The call's own env vars (its pod template's primary container, then env_vars) that a standby
        gets in the frame that hands it the call, set in os.environ before the task runs: all but those
        that act when the process starts (at_startup) and those flyte_nb sets itself."""
        env = {**pod_template_options(call.settings.value("pod_template"), call.task.name).get("environment", {}),
               **dict(call.settings.value("env_vars"))}
        return {k: v for k, v in env.items() if not (at_startup(k) or k in OWN_ENV or k.startswith("FLYTE_NB_"))}

    def limits(self, call: Call) -> dict[str, Any]:
        """The call's cgroup limits that `docker update` sets on a running container (UPDATABLE)."""
        options = resource_options(call.settings.value("resources"), self.engine, call.task.name)
        return {k: v for k, v in options.items() if k in UPDATABLE}

    def _container(self, call: Call, ref: str, *, command: str, mount: tuple[str, Path], env: dict[str, str],
                   labels: dict[str, str], name: str, handed: bool = False) -> dict[str, Any]:
        """docker-py containers.create options: the resolved settings, hardened, with one folder mounted;
        `handed`: without the env vars the call brings at hand-off (a standby's)."""
        from docker.types import Mount

        from .. import io

        settings = call.settings
        env = {**dict(settings.value("env_vars")), "PYTHONPATH": RUNTIME_DIR, "PYTHONUNBUFFERED": "1",
               "HOME": WORK_DIR, "FLYTE_NB_BLOB_ROOT": io.MOUNT, **env}
        blobs = io.prepare_host_root()
        uid, gid = task_ids(settings)
        labels = {
            **KERNEL_LABELS, f"{LABEL}.kernel": KERNEL_ID,
            f"{LABEL}.interruptible": str(settings.value("interruptible")).lower(),
            f"{LABEL}.queue": settings.value("queue") or "default", **labels,
        }
        pod = pod_template_options(settings.value("pod_template"), call.task.name)
        env = {**pod.pop("environment", {}), **env}
        if handed:
            late = self.handed_env(call)
            env = {k: v for k, v in env.items() if k not in late}
        labels.update(pod.pop("labels", {}))
        secret_dirs = sorted({str(s.mount) for s in settings.value("secrets") if s.mount is not None})
        return {
            "image": ref,
            "command": ["python3", "-m", command],
            "environment": env,
            "labels": labels,
            "name": name,
            "network_mode": "none",
            "user": f"{uid}:{gid}",
            "group_add": [str(blobs.stat().st_gid)],  # the blob store's group: any runAsUser reaches it
            "read_only": read_only_root(settings),
            "working_dir": WORK_DIR,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": PIDS_LIMIT,
            "mounts": [Mount(target=mount[0], source=str(mount[1]), type="bind"),
                       Mount(target=io.MOUNT, source=str(blobs.resolve()), type="bind"), *self._mounts],
            "tmpfs": {"/tmp": f"{SCRATCH},mode=1777", WORK_DIR: f"{SCRATCH},mode=0700,uid={uid},gid={gid}",
                      **{d: f"size=1m,mode=0700,uid={uid},gid={gid}" for d in secret_dirs}},
            "detach": True,
            **resource_options(settings.value("resources"), self.engine, call.task.name),
        }

    def discard_worker(self, worker: Any) -> None:
        """Stop and remove a warm worker's container and its folder."""
        import shutil

        if worker.container is not None:
            self._remove(worker.container)
        shutil.rmtree(worker.folder, ignore_errors=True)

    @staticmethod
    def exit_state(container: Any) -> tuple[int, bool]:
        """(exit code, OOM-killed) of a container that stopped; waits briefly for it to stop."""
        for _ in range(50):
            try:
                container.reload()
            except Exception:  # noqa: BLE001 - already gone
                return -1, False
            state = container.attrs.get("State", {})
            if not state.get("Running"):
                return int(state.get("ExitCode", -1)), bool(state.get("OOMKilled"))
            time.sleep(0.1)
        return -1, False

    async def attempt(self, call: Call, number: int) -> Any:
        """One attempt; losing the engine meanwhile is a RunnerUnavailableError that says so, not a raw
        `requests` error, and a container that could not be removed then is removed once it answers."""
        import requests

        await self._sweep()
        try:
            return await self._attempt(call, number)
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
            left = f"; its container {', '.join(self._orphans.values())} is removed when the engine answers again " \
                   f"(or by `python -m flyte_nb gc`)" if self._orphans else ""
            raise RunnerUnavailableError(
                f"task {call.task.name}, attempt {number}: lost the connection to the Docker engine at {where} "
                f"({type(error).__name__}){left}") from None

    async def _sweep(self) -> None:
        """Remove the containers an engine that went away left behind, now that calls reach it again."""
        for container_id in list(self._orphans):
            if await in_thread(self._remove_id, container_id):
                self._orphans.pop(container_id, None)

    def _remove_id(self, container_id: str) -> bool:
        import docker.errors

        try:
            self.client.api.remove_container(container_id, force=True)
        except docker.errors.NotFound:
            pass
        except Exception:  # noqa: BLE001 - still unreachable: try again at the next call
            return False
        return True

    async def _attempt(self, call: Call, number: int) -> Any:
        secrets = secret_store.resolve(call.settings.value("secrets"))  # a missing one fails before anything
        call.secret_values = list(secrets.values())
        ref = await self.prepare(call)
        if call.settings.reusable:
            return await self.workers.attempt(call, number, ref, secrets)
        if self.standbys is not None:
            return await self.standbys.attempt(call, number, ref, secrets)
        with call_folder(call, number) as folder:
            write_payload(folder, call)
            async with Controller(folder / "ctl.sock", call, secrets) as controller:
                spec = self.spec(call, number, ref, folder, controller.token)
                call.status("starting")
                container = await self.create_container(call, spec)
                call.run.attempts[-1].container = container.short_id
                try:
                    exit_code, oom, tail = await self._run(container, call, list(secrets.values()), folder)
                finally:
                    await asyncio.shield(in_thread(self._remove, container))
            resources = call.settings.value("resources")
            limit = resources.memory_limit_text if resources is not None else None
            return outcome(folder, call, number, exit_code=exit_code, oom=oom, where=f"container {container.short_id}",
                           secrets=list(secrets.values()), log_tail=tail, memory_limit=limit)

    async def _run(self, container: Any, call: Call, secrets: list[str], folder: Path) -> tuple[int, bool, str]:
        # Attached before start, like `docker run`: the stream ends with the process, so nothing is
        # lost at the start and there is no wait for the engine to close a followed log at the end.
        output = await in_thread(container.attach, stdout=True, stderr=True, stream=True, logs=True, demux=True)
        tail: collections.deque[str] = collections.deque(maxlen=20)  # bounded: a task may print 1e6 lines
        streamer = threading.Thread(target=self._stream, args=(output, call, secrets, tail,
                                                               asyncio.get_running_loop()), daemon=True)
        streamer.start()
        await in_thread(container.start)
        call.status("running")
        status = await in_thread(self._wait, container)
        await in_thread(streamer.join, 10)
        if (folder / RESULT).exists():  # finished: no need to ask how it ended (OOM, crash)
            return int(status.get("StatusCode", 0)), False, "".join(tail)
        await in_thread(container.reload)
        state = container.attrs.get("State", {})
        return int(status.get("StatusCode", state.get("ExitCode", -1))), bool(state.get("OOMKilled")), \
            "".join(tail)

    @staticmethod
    def _wait(container: Any) -> dict[str, Any]:
        """container.wait() without the HTTP read timeout cutting a long task short."""
        import requests

        while True:
            try:
                return container.wait(timeout=300)
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as error:
                if "timed out" not in str(error).lower():
                    raise

    @staticmethod
    def _stream(output: Any, call: Call, secrets: list[str], tail: collections.deque[str],
                loop: asyncio.AbstractEventLoop) -> None:
        """Container output, line by line and redacted, to the call's log sink as it arrives."""
        def line_out(line: str, stream: str) -> None:
            tail.append(line)
            loop.call_soon_threadsafe(call.emit, line, stream)

        _follow(output, secrets, line_out)

    @staticmethod
    async def follow_output(container: Any, sink: Any, secrets: list[str]) -> threading.Thread:
        """Attach to a long-lived container before it starts (so nothing it writes is missed) and hand its
        output lines, redacted, to sink(line, loop) from a daemon thread."""
        loop = asyncio.get_running_loop()
        output = await in_thread(container.attach, stdout=True, stderr=True, stream=True)
        thread = threading.Thread(target=_follow, args=(output, secrets, lambda line, _stream: sink(line, loop)),
                                  daemon=True)
        thread.start()
        return thread

    def _remove(self, container: Any) -> None:
        """Force-remove; when the engine cannot be reached, remember it for the next call (_sweep)."""
        for _ in range(3):
            try:
                container.remove(force=True)
                return
            except Exception as error:  # noqa: BLE001
                if "No such container" in str(error):
                    return
                if "is already in progress" in str(error):  # another thread removes it: wait for that
                    if self._gone(container.id):
                        return
                time.sleep(0.2)
        self._orphans[container.id] = container.short_id

    def _gone(self, container_id: str, seconds: float = 30.0) -> bool:
        """True once the engine no longer knows the container. A caller of _remove learns "removed"
        only when it is: a kernel exit or a test that lists containers right after must see none,
        even when the reaper's removal of the same container was still under way."""
        import docker.errors

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.client.api.inspect_container(container_id)
            except docker.errors.NotFound:
                return True
            except Exception:  # noqa: BLE001 - unreachable: the caller keeps it as an orphan
                return False
            time.sleep(0.05)
        return False


def _follow(output: Any, secrets: list[str], line_out: Callable[[str, str], None]) -> None:
    """A container's output stream (attach or followed logs) until it ends: whole lines, secrets redacted,
    each with the stream it came from. A demultiplexed attach yields (stdout, stderr) pairs, one of them
    None; a plain one yields bytes, taken as stdout. Each stream keeps its own partial line."""
    pending = {"stdout": b"", "stderr": b""}
    try:
        for chunk in output:
            out, err = chunk if isinstance(chunk, tuple) else (chunk, None)
            for stream, data in (("stdout", out), ("stderr", err)):
                if data:
                    *lines, pending[stream] = (pending[stream] + data).split(b"\n")
                    for raw in lines:
                        line_out(secret_store.redact(raw.decode("utf-8", "replace") + "\n", secrets), stream)
    except Exception:  # noqa: BLE001 - the container may vanish mid-stream (timeout, interrupt, idle stop)
        pass
    for stream, rest in pending.items():
        if rest:
            line_out(secret_store.redact(rest.decode("utf-8", "replace"), secrets), stream)


def gc(client: Any | None = None) -> list[str]:
    """Remove containers of kernels that are gone (`python -m flyte_nb gc`)."""
    import docker.errors

    client = client or connect()
    removed = []
    here = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}.kernel"}, ignore_removed=True):
        labels = container.labels
        pid = int(labels.get(f"{LABEL}.pid", "0") or 0)
        alive = labels.get(f"{LABEL}.host") == here and _pid_alive(pid, labels.get(f"{LABEL}.pid-start", ""))
        if labels.get(f"{LABEL}.host") == here and not alive:
            try:
                container.remove(force=True)
            except docker.errors.NotFound:  # removed meanwhile (its pool, another gc): gone is what we want
                pass
            removed.append(container.name)
    return removed


def _pid_alive(pid: int, start: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[21] == start
    except (OSError, IndexError):
        return False
