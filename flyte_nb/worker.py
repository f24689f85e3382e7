"""A warm worker: `python -m flyte_nb.worker`, the process of a reusable environment's container.

It listens on a unix socket in its mounted folder (the container keeps network "none") and
runs one call per connection, each in its own thread, so `concurrency` calls can share the
container. A call is what the shim runs in a cold container (call.pkl in a folder, result.json
written back, a controller socket for nested calls and reports), so both paths share
shim.run_call; its secrets come with the request, over the worker's private socket. What the call prints through Python's sys.stdout/sys.stderr goes back
over its own connection, so concurrent calls' logs do not mix; output written straight to
the file descriptors (a subprocess) goes to the container's log.
"""

from __future__ import annotations

import contextvars
import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from . import protocol, usage
from .remote import pack_error
from .shim import install_secrets, run_call, write_result

#: Where the running call's output goes (a per-connection sender), in that call's context.
_SINK: contextvars.ContextVar[Any] = contextvars.ContextVar("flyte_nb_worker_sink", default=None)


class _Sender:
    """Frames to the kernel on one call's connection (log lines, then "done")."""

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


def serve_call(conn: socket.socket, key: str) -> None:
    """One call: {"op": "run", "dir", "controller", "token", "secrets"} in; log frames, then {"done": True}.

    Every frame both ways is authenticated with the worker's token (FLYTE_NB_WORKER_TOKEN, given by the
    kernel at the container's creation): an unauthenticated request is dropped undecoded.

    Whatever goes wrong inside the call becomes its error result: only a broken connection
    (the kernel gave up on the call) ends a call without "done", so a failing call never
    takes the worker, and the other calls on it, down.
    """
    sender = _Sender(conn, key)
    try:
        request = protocol.receive(conn, key)
    except OSError:
        conn.close()
        return
    _SINK.set(sender)
    protocol.CALL_CONTROLLER.set((request["controller"], request["token"]))
    call_dir = Path(request["dir"])
    meter = usage.metered(request["controller"], request["token"], "cgroup-shared")  # the container is shared
    try:
        install_secrets(request["secrets"])
        result = run_call(call_dir)
    except Exception as error:  # noqa: BLE001 - becomes the call's error, the worker lives on
        result = {"ok": False, "error": pack_error(error)}
    try:
        write_result(call_dir, result)
        meter.stop()
        sender.send({"done": True})
    except OSError:
        pass  # the kernel went away mid-call
    finally:
        _SINK.set(None)
        conn.close()


def main() -> int:
    folder = Path(os.environ["FLYTE_NB_WORKER_DIR"])
    key = os.environ.pop("FLYTE_NB_WORKER_TOKEN")  # not inherited by the tasks' subprocesses
    sys.stdout = _CallStream(sys.stdout, "stdout")  # type: ignore[assignment]
    sys.stderr = _CallStream(sys.stderr, "stderr")  # type: ignore[assignment]
    path = folder / "worker.sock"
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen(socket.SOMAXCONN)  # a burst of `concurrency` calls connects at once (protocol.open_connection)
    (folder / "ready").write_text(str(os.getpid()))
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve_call, args=(conn, key), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
