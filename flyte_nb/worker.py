"""A warm worker: `python -m flyte_nb.worker`, the process of a reusable environment's container.

It listens on a unix socket in its mounted folder (the container keeps network "none"). The kernel keeps
one connection open per call slot (`concurrency` of them at most) and sends its calls on it, one after the
other; each connection is served by its own thread, so `concurrency` calls can share the container and
their logs never mix. What one call costs is then one frame in and a few frames out:

* the task's code (its function, name and type hints, pickled by the kernel) travels once per code version:
  the request names it by digest, the worker keeps what it unpickled under that digest, and asks for the
  bytes ("need") when it does not hold them; a changed function pickles to other bytes, so to a new digest;
* the inputs travel inline in the request (a file in the worker folder when very large);
* the secrets come with the request, over this private socket;
* what the call prints through Python's sys.stdout/sys.stderr, its usage figures and its result (plain data,
  encoded by the task's hints as result.json would hold it) come back as frames on the same connection;
  output written straight to the file descriptors (a subprocess) goes to the container's output;
* nested calls, reports and traces go to the worker's controller socket in the same folder, authenticated
  with a token of this call only (protocol.CALL_CONTROLLER), the kernel's side of it opened once per worker.

Every frame both ways is authenticated with the worker's token (FLYTE_NB_WORKER_TOKEN, given by the kernel
at the container's creation and removed from the environment before any task runs): an unauthenticated
request is dropped undecoded and its connection closed.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import math
import os
import socket
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import cloudpickle

from . import cgroups, protocol, usage
from .remote import pack_error
from .shim import install_secrets, not_loaded, pack_result, run_payload

#: Where the running call's output goes (a per-connection sender), in that call's context.
_SINK: contextvars.ContextVar[Any] = contextvars.ContextVar("flyte_nb_worker_sink", default=None)
#: Code versions a worker keeps unpickled (the least recently used is dropped past that; asked for again).
CODE_CACHE = 64


class _Sender:
    """Frames to the kernel on one call's connection (log lines, usage figures, then "done")."""

    def __init__(self, conn: socket.socket, key: str) -> None:
        self.conn = conn
        self.key = key
        self.lock = threading.Lock()

    def send(self, message: Any) -> None:
        with self.lock:
            self.conn.sendall(protocol.dumps(message, self.key))


class _CallStream:
    """sys.stdout/sys.stderr of the worker: to the current call's connection, else the container log."""

    def __init__(self, fallback: TextIO, name: str) -> None:
        self.fallback = fallback
        self.name = name

    def write(self, text: str) -> int:
        sink = _SINK.get()
        if sink is None:
            return self.fallback.write(text)
        try:
            sink.send({"log": text, "stream": self.name})
        except OSError:
            pass  # the kernel dropped the call (cancelled); its output has nowhere to go
        return len(text)

    def flush(self) -> None:
        self.fallback.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fallback.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.fallback, "encoding", "utf-8")


class _CallMeter(usage.Meter):
    """A warm call's usage meter (CPU from the call's start, peak of its samples), sampled by the worker's
    one ticker thread: a thread started and joined per call cost more than a short call. No sample leaves
    after the final figures, so none can reach the kernel on the link's next call."""

    def __init__(self, reader: usage.CgroupReader, send: Any, ticker: "_Ticker") -> None:
        super().__init__(reader, send)
        self.ticker = ticker
        self.interval = usage.FIRST_INTERVAL
        self.stopped = False
        self.sending = threading.Lock()
        self.first: dict[str, Any] | None = None  # the figures read at the start, until something sends them

    def start(self) -> "_CallMeter":
        """The first figures are read now, before the task runs, but not sent on their own: a frame of
        its own woke the kernel once more per call, for figures a short call's "done" frame can carry
        (final). The ticker's first sample sends them first; a call OOM-killed sooner has its attempt's
        end figures from the kernel (OOM at its memory limit)."""
        self.first = self.frame(False)
        self.ticker.add(self)
        return self

    def sample(self) -> None:
        with self.sending:
            if not self.stopped:
                self._send_first()
                self._deliver(False)

    def _send_first(self) -> None:
        first, self.first = self.first, None
        if first is not None:
            self._send(first)

    def halt(self) -> None:
        """No more samples (the call is over, or gone)."""
        self.ticker.remove(self)
        with self.sending:
            self.stopped = True

    def final(self) -> dict[str, Any]:
        """The final figures, once sampling stopped: they go in the call's "done" frame (with the first
        figures when no sample sent them: take_first)."""
        self.halt()
        return self.frame(True)

    def take_first(self) -> dict[str, Any] | None:
        """The first figures when no sample has sent them yet (then they travel in the "done" frame)."""
        with self.sending:
            first, self.first = self.first, None
        return first


class _Ticker:
    """Samples every running call's meter on usage.Meter's schedule (FIRST_INTERVAL, then x GROWTH up to
    MAX_INTERVAL), from one thread started with the worker's first call.

    A call's start does not wake the thread (a wake per call made it compete with the call for the GIL):
    for ACTIVE seconds after a call started, an idle ticker looks every FIRST_INTERVAL, which is never later
    than a new meter's first sample; only a ticker asleep for longer (or until a later time) is woken."""

    ACTIVE = 10.0

    def __init__(self) -> None:
        self.due: dict[_CallMeter, float] = {}
        self.changed = threading.Condition()
        self.thread: threading.Thread | None = None
        self.looks_at: float | None = -math.inf  # when the thread looks next (None: when woken; -inf: now)
        self.added = -math.inf  # when a meter was last added

    def add(self, meter: _CallMeter) -> None:
        with self.changed:
            self.added = time.monotonic()
            self.due[meter] = at = self.added + meter.interval
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="flyte-nb-usage", daemon=True)
                self.thread.start()
            elif self.looks_at is None or self.looks_at > at:
                self.changed.notify()

    def remove(self, meter: _CallMeter) -> None:
        with self.changed:
            self.due.pop(meter, None)

    def _run(self) -> None:
        while True:
            with self.changed:
                now = time.monotonic()
                ready = [meter for meter, at in self.due.items() if at <= now]
                for meter in ready:
                    meter.interval = min(usage.MAX_INTERVAL, meter.interval * usage.GROWTH)
                    self.due[meter] = now + meter.interval
                if not ready:
                    if self.due:
                        self.looks_at = min(self.due.values())
                    elif now - self.added < self.ACTIVE:
                        self.looks_at = now + usage.FIRST_INTERVAL
                    else:
                        self.looks_at = None
                    self.changed.wait(None if self.looks_at is None else self.looks_at - now)
                    self.looks_at = -math.inf
                    continue
            for meter in ready:
                meter.sample()


class CodeCache:
    """The tasks' code this worker has unpickled, by the digest of its pickled bytes (shared by its slots)."""

    def __init__(self, size: int = CODE_CACHE) -> None:
        self.size = size
        self.entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, digest: str) -> dict[str, Any] | None:
        with self.lock:
            code = self.entries.get(digest)
            if code is not None:
                self.entries.move_to_end(digest)
            return code

    def load(self, digest: str, blob: bytes) -> dict[str, Any]:
        """Unpickle the code the kernel sent and keep it under its digest (checked against the bytes, so an
        entry is always what its digest names). A load that fails raises and keeps nothing."""
        if hashlib.sha256(blob).hexdigest() != digest:
            raise ValueError(f"the task's code does not match its digest {digest[:12]}")
        code = cloudpickle.loads(blob)
        with self.lock:
            self.entries[digest] = code
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return code


@dataclass
class Shared:
    """What the slots of one worker share: the code it holds, its cgroup, its usage ticker."""

    folder: Path
    key: str
    cache: CodeCache = field(default_factory=CodeCache)
    cgroup: usage.CgroupReader = field(default_factory=lambda: usage.CgroupReader(
        shared=True, read=cgroups.KeptOpen().read))
    ticker: _Ticker = field(default_factory=_Ticker)


def serve_link(conn: socket.socket, shared: Shared) -> None:
    """The calls the kernel sends on one connection, one after the other, until it closes the connection
    (or sends a frame that is not authenticated by the worker's token: dropped undecoded, connection closed).

    Whatever goes wrong inside a call becomes its error result: only a broken connection (the kernel gave up
    on the call) ends a call without "done", so a failing call never takes the worker, and the other calls
    on it, down.
    """
    sender = _Sender(conn, shared.key)
    # Each call runs in a copy of this thread's starting context: nothing a call sets in its context (its
    # sink, its controller, its input arrays: io.load_input) reaches the next call on this connection.
    fresh = contextvars.copy_context()
    try:
        while True:
            try:
                request = protocol.receive(conn, shared.key)
            except (OSError, ValueError):
                return  # closed by the kernel, or a frame it did not authenticate
            if not isinstance(request, dict) or request.get("op") != "run":
                return
            if not fresh.copy().run(serve_call, conn, sender, shared, request):
                return
    finally:
        conn.close()


def serve_call(conn: socket.socket, sender: _Sender, shared: Shared, request: dict[str, Any]) -> bool:
    """One call: its request in; log and usage frames, then {"done": True, "result": ..., "usage": ...} (the
    final figures travel with the result). False when the connection broke (the kernel dropped the call:
    cancelled)."""
    protocol.CALL_CONTROLLER.set((str(shared.folder / request["controller"]), str(request["token"])))
    _SINK.set(sender)
    meter = _CallMeter(shared.cgroup.restarted(), lambda figures: sender.send({"usage": figures}),
                       shared.ticker).start()
    try:
        try:
            install_secrets(request["secrets"])
            code = _code(conn, sender, shared, request)
            result = _run(code, request, shared.folder) if isinstance(code, dict) and "func" in code else code
        except OSError:
            return False  # the kernel went away while the code was asked for
        except Exception as error:  # noqa: BLE001 - becomes the call's error, the worker lives on
            result = {"ok": False, "error": pack_error(error)}
        packed = pack_result(result)
        final = meter.final()
        sender.send({"done": True, "result": packed, "first": meter.take_first(), "usage": final})
        return True
    except OSError:
        return False  # the kernel went away mid-call
    finally:
        meter.halt()
        _SINK.set(None)
        protocol.CALL_CONTROLLER.set(None)


def _code(conn: socket.socket, sender: _Sender, shared: Shared, request: dict[str, Any]) -> Any:
    """The call's code from the cache, else from the kernel (in the request, or asked for): the code, or
    the error result of code that does not load here."""
    digest = str(request["code"])
    code = shared.cache.get(digest)
    if code is not None:
        return code
    blob = request.get("ship")
    if blob is None:
        sender.send({"need": digest})
        reply = protocol.receive(conn, shared.key)
        blob = reply.get("ship") if isinstance(reply, dict) else None
        if not isinstance(blob, str):
            raise OSError("the kernel did not send the task's code")
    try:
        return shared.cache.load(digest, base64.b64decode(blob))
    except Exception as error:  # noqa: BLE001 - e.g. a module the task needs is not in the image
        return not_loaded(error)


def _run(code: dict[str, Any], request: dict[str, Any], folder: Path) -> dict[str, Any]:
    if request.get("inputs_file"):
        inputs = (folder / str(request["inputs_file"])).read_bytes()  # too big for a frame
    else:
        inputs = base64.b64decode(request["inputs"])
    return run_payload({**code, "inputs": inputs, "report": request.get("report"),
                        "max_inline_io_bytes": request["limit"], "context": request.get("context")})


def main() -> int:
    folder = Path(os.environ["FLYTE_NB_WORKER_DIR"])
    key = os.environ.pop("FLYTE_NB_WORKER_TOKEN")  # not inherited by the tasks' subprocesses
    sys.stdout = _CallStream(sys.stdout, "stdout")  # type: ignore[assignment]
    sys.stderr = _CallStream(sys.stderr, "stderr")  # type: ignore[assignment]
    from . import io  # noqa: F401 - what writing a result imports, loaded before the first call
    shared = Shared(folder, key)
    path = folder / "worker.sock"
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen(socket.SOMAXCONN)  # a burst of `concurrency` slots connects at once (protocol.open_connection)
    (folder / "ready").write_text(str(os.getpid()))
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve_link, args=(conn, shared), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
