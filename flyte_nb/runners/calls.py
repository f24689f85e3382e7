"""What the container and local runners share: the call folder, the payload, the outcome.

A call folder holds call.pkl (the task, by value, and its inputs), the controller's socket and,
when the task finishes, result.json (plain data, decoded by the task's type hints: flyte_nb.codec).
Reading the outcome turns "no result" into OOM or crash errors that name the task, attempt, limit
and container.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import types
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator

import cloudpickle

from .. import codec
from ..codeversion import user_modules, versioned
from ..errors import (InlineIOLimitError, RunnerUnavailableError, TaskCrashedError, TaskError, TaskOOMError,
                      TaskShippingError)
from ..identity import TASK_GID, TASK_UID
from ..paths import private_dir
from ..remote import pack_error, unpack_error
from ..secrets import redact
from ..shim import RESULT
from .base import Call

def security_contexts(settings: Any) -> list[dict[str, Any]]:
    """The pod template's securityContext, then the primary container's (which wins)."""
    from ..config.pod_template import PodTemplate

    template = settings.value("pod_template")
    if not isinstance(template, PodTemplate):
        return []
    spec = dict(template.pod_spec or {})
    contexts = [spec.get("securityContext") or spec.get("security_context") or {}]
    contexts += [c.get("securityContext") or c.get("security_context") or {} for c in spec.get("containers", [])
                 if c.get("name") == template.primary_container_name]
    return contexts


def task_ids(settings: Any) -> tuple[int, int]:
    """The uid:gid a call's task runs as: the pod template's runAsUser/runAsGroup, else TASK_UID:TASK_GID."""
    uid, gid = TASK_UID, TASK_GID
    for context in security_contexts(settings):
        uid = int(context.get("runAsUser", uid))
        gid = int(context.get("runAsGroup", gid))
    return uid, gid


def read_only_root(settings: Any) -> bool:
    """Whether the task's root filesystem is read-only: yes, unless the pod template's securityContext
    says readOnlyRootFilesystem: false (Kubernetes' own knob, so an export keeps the same meaning)."""
    read_only = True
    for context in security_contexts(settings):
        read_only = bool(context.get("readOnlyRootFilesystem", read_only))
    return read_only


def hand_to_task(path: Path, settings: Any) -> None:
    """A kernel running as root gives a call's folder or file to the user its task runs as."""
    if os.getuid() == 0:
        os.chown(path, *task_ids(settings))


#: The longest call root that keeps every socket under it (the deepest: a warm worker's call,
#: <root>/worker-<key>-<n>-<random>/<run>-<n>-<random>/ctl.sock) within AF_UNIX's 107 bytes.
MAX_ROOT = 44


def calls_root() -> Path:
    """Where call folders live: 0700, so no other host user lists, traverses or finds a call's socket
    (containers get their own folder bind-mounted; they never walk this path)."""
    return private_dir(_root_path())


def _root_path() -> Path:
    """$FLYTE_NB_RUN_DIR, else <temp dir>/flyte-nb-<uid>; under a deep TMPDIR, /tmp/flyte-nb-<uid>.

    A deep temp dir used to fail every call with a bare `OSError: AF_UNIX path too long`.
    """
    chosen = os.environ.get("FLYTE_NB_RUN_DIR")
    if chosen:
        if len(chosen) > MAX_ROOT:
            raise RunnerUnavailableError(
                f"FLYTE_NB_RUN_DIR={chosen!r} is {len(chosen)} characters: the unix sockets of calls under it "
                f"would pass the 107-byte limit of AF_UNIX paths; set it to a folder of at most {MAX_ROOT}")
        return Path(chosen)
    name = f"flyte-nb-{os.getuid()}"
    default = Path(tempfile.gettempdir()) / name
    if len(str(default)) <= MAX_ROOT:
        return default
    if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK | os.X_OK):
        return Path("/tmp") / name
    raise RunnerUnavailableError(
        f"the temp dir {tempfile.gettempdir()!r} is too deep for the unix sockets of calls (AF_UNIX paths are "
        f"limited to 107 bytes) and /tmp is not writable; set FLYTE_NB_RUN_DIR to a folder of at most "
        f"{MAX_ROOT} characters")


@contextlib.contextmanager
def call_folder(call: Call, number: int) -> Iterator[Path]:
    """A private folder for one attempt, writable by the task's user, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"{call.run.id}-{number}-", dir=calls_root()))
    try:
        hand_to_task(folder, call.settings)  # mkdtemp made it 0700: the task's user alone enters it
        yield folder
    finally:
        release_inputs(folder)
        shutil.rmtree(folder, ignore_errors=True)


#: Blob-store files that a call folder's inputs refer to; removed with the folder.
_INPUT_KEYS: dict[Path, list[str]] = {}


def release_inputs(folder: Path) -> None:
    from .. import io

    io.remove(_INPUT_KEYS.pop(folder, []))


def _ship_by_value(func: Any) -> None:
    """Code from the user's own modules (not installed packages) travels by value, like notebook code.

    cloudpickle pickles __main__ functions by value but importable ones by reference; a module
    of the user's project (a script, a tests/ module) is not importable inside the image.
    """
    for name in user_modules(func):  # the task's module and the sibling modules it uses (h.child())
        cloudpickle.register_pickle_by_value(sys.modules[name])


def _hints(task: Any) -> dict[str, dict[str, Any]]:
    """The resolved type hints of the task and of the tasks its code names, by task name (flyte_nb.codec)."""
    from ..task import TaskTemplate

    func = task.func
    hints = {task.name: codec.ship_hints(func)}
    for name in getattr(getattr(func, "__code__", None), "co_names", ()):
        called = getattr(func, "__globals__", {}).get(name)
        if isinstance(called, TaskTemplate):
            hints[called.name] = codec.ship_hints(called.func)
    return hints


class _ShippingPickler(cloudpickle.Pickler):
    """cloudpickle, keeping each function's file name (cloudpickle writes `<dynamic-code>`), so the
    task's frames in its container name the user's own file and cell (flyte_nb.tracebacks).

    Only for shipping: cache keys hash with plain cloudpickle, where a cell's random file name would
    make every kernel miss the cache."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is types.CodeType:
            rebuild, args = self.dispatch_table[types.CodeType](obj)
            return rebuild, tuple(obj.co_filename if arg == "<dynamic-code>" else arg for arg in args)
        return super().reducer_override(obj)


def _dumps(payload: Any) -> bytes:
    buffer = BytesIO()
    _ShippingPickler(buffer, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(payload)
    return buffer.getvalue()


def write_payload(folder: Path, call: Call) -> None:
    """call.pkl: the task by value and its inputs; big arrays and frames go to the blob store
    (their files are removed with the folder: release_inputs). Inputs bigger than
    max_inline_io_bytes fail here, before any container starts.
    """
    from .. import context, io

    keys = _INPUT_KEYS.setdefault(folder, [])  # registered first: removed with the folder whatever happens
    io.prepare_host_root()  # the store the task's container mounts (a local subprocess writes into it)
    code = shipped_code(call)  # first: it resolves the annotations of the dataclasses the inputs carry
    inputs = encode_inputs(call, keys)
    payload = {**code, "inputs": inputs, "report": bool(call.settings.value("report")),
               "max_inline_io_bytes": call.settings.value("max_inline_io_bytes"),
               "context": context.to_wire(context.current())}  # flyte.ctx() there: entered by runtime
    (folder / "call.pkl").write_bytes(ship(call, payload))
    hand_to_task(folder / "call.pkl", call.settings)


def shipped_code(call: Call) -> dict[str, Any]:
    """What a call ships of its task: the function (not the TaskTemplate: unpickling a template would load
    the configuration models, pydantic, in every container; a function that calls other tasks still brings
    them), its name, whether it is async, and the type hints of it and of the tasks it names."""
    _ship_by_value(call.task.func)
    return {"func": call.task.func, "name": call.task.name, "is_async": call.task.is_async,
            "hints": _hints(call.task)}


@dataclass(frozen=True)
class _Shipped:
    """A task's code pickled once, with what it was pickled from (see shipped_bytes)."""

    func: Any  # kept, so its id is not reused while the entry lives
    version: str
    code: dict[str, Any]
    blob: bytes
    digest: str


#: Pickled code per function object (id), for the warm path's repeated calls (MAX_SHIPPED entries).
_SHIPPED: dict[int, _Shipped] = {}
MAX_SHIPPED = 256


def shipped_bytes(call: Call) -> tuple[bytes, str]:
    """The call's code (shipped_code) pickled, and the sha256 of those bytes, which names it to a warm worker.

    Pickling a function by value walks its globals (cloudpickle), which cost more than the rest of a warm
    call's kernel side. So the bytes are kept per function object and reused while its code version is
    the same and exact (codeversion.versioned: its source, defaults, and the content of every value it
    reaches, hashed again on every call) and its hints are equal: what would pickle to the same bytes. A
    version that counts a value by identity (a big array, which may change in place) pickles every time.
    """
    code = shipped_code(call)  # first: it resolves the annotations of the dataclasses the inputs carry
    func = call.task.func
    version, exact = versioned(func)
    known = _SHIPPED.get(id(func))
    if known is not None and known.func is func and known.version == version and known.code == code:
        return known.blob, known.digest
    blob = ship(call, code)
    digest = hashlib.sha256(blob).hexdigest()
    if exact:
        if len(_SHIPPED) >= MAX_SHIPPED:
            _SHIPPED.clear()
        _SHIPPED[id(func)] = _Shipped(func, version, code, blob, digest)
    return blob, digest


def encode_inputs(call: Call, keys: list[str]) -> bytes:
    """The call's arguments pickled, big arrays and frames written to the blob store (their keys added to
    `keys`, for the caller to remove after the call); InlineIOLimitError past max_inline_io_bytes."""
    from .. import io

    args, kwargs = call.arguments.args, call.arguments.kwargs
    try:
        inputs, written = io.dumps((args, kwargs), owned=False)
    except Exception as error:  # noqa: BLE001 - a lock, a socket, a generator: nothing that travels
        raise _unshippable(call, error) from None
    keys.extend(written)
    limit = call.settings.value("max_inline_io_bytes")
    if (args or kwargs) and len(inputs) > limit:
        raise InlineIOLimitError.of(call.task.name, "inputs", len(inputs), limit)
    return inputs


def ship(call: Call, payload: Any) -> bytes:
    """`payload` pickled to travel to the task (keeping the functions' file names: _ShippingPickler)."""
    try:
        return _dumps(payload)
    except Exception as error:  # noqa: BLE001 - a lock, a socket, a generator: nothing that travels
        raise _unshippable(call, error) from None


def _unshippable(call: Call, error: Exception) -> TaskShippingError:
    return TaskShippingError(f"task {call.task.name}: its function or inputs cannot be pickled to travel to "
                             f"the task: {type(error).__name__}: {error}", call.task.name)


def read_result(path: Path, task: str) -> dict[str, Any]:
    """result.json as data (JSON cannot run code); a file that is not one is the task's failure."""
    try:
        return checked_result(json.loads(path.read_bytes()), task)
    except ValueError:
        return checked_result(None, task)


def checked_result(result: Any, task: str) -> dict[str, Any]:
    """A result (decoded JSON: result.json, a warm worker's "done" frame) of the expected shape, else the
    task's failure."""
    if isinstance(result, dict) and isinstance(result.get("ok"), bool) and \
            (result["ok"] or isinstance(result.get("error"), dict)):
        return result
    return {"ok": False, "error": pack_error(TaskError(f"task {task}: its result file is not a flyte_nb result"))}


def describe(call: Call, number: int, where: str | None) -> str:
    total = call.settings.value("retries").count + 1
    return f"task {call.task.name}, attempt {number}/{total}" + (f", {where}" if where else "")


def outcome(folder: Path, call: Call, number: int, *, exit_code: int, oom: bool, where: str | None,
            secrets: list[str], log_tail: str, memory_limit: str | None) -> Any:
    """The task's output from its folder's result.json, or the right exception: its own, OOM, or a crash."""
    result_file = folder / RESULT
    result = read_result(result_file, call.task.name) if result_file.exists() else None
    return result_outcome(result, call, number, exit_code=exit_code, oom=oom, where=where, secrets=secrets,
                          log_tail=log_tail, memory_limit=memory_limit)


def result_outcome(result: dict[str, Any] | None, call: Call, number: int, *, exit_code: int, oom: bool,
                   where: str | None, secrets: list[str], log_tail: str, memory_limit: str | None) -> Any:
    """The task's output from its checked result (None: the task left none), or the right exception."""
    note = describe(call, number, where)
    if result is not None and not oom:
        if result["ok"]:
            from ..runtime import runtime

            return codec.decode(result["value"], codec.return_hint(call.task.func), what="output",
                                pickles=runtime().pickle_outputs)
        if result["error"].get("oom") and memory_limit:
            raise TaskOOMError(f"{note}: out of memory (MemoryError) at its limit memory={memory_limit}",
                               call.task.name, number, where)
        raise unpack_error(result["error"], note, clean=lambda text: redact(text, secrets), task=call.task.name,
                           attempt=number)
    tail = redact(log_tail, secrets).strip()
    tail = f"\nlast output:\n{tail}" if tail else ""
    if oom:
        raise TaskOOMError(f"{note}: killed for running out of memory (OOM) at its limit "
                           f"memory={memory_limit or 'host memory'}{tail}", call.task.name, number, where)
    raise TaskCrashedError(f"{note}: the task process exited with code {exit_code} without a result{tail}",
                           call.task.name, number, where)
