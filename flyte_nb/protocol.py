"""The wire between the kernel's controller and a task's shim: length-prefixed cloudpickle frames
over a unix socket (tasks keep network "none"; the socket is the only way out)."""

from __future__ import annotations

import contextvars
import os
import socket
import struct
from typing import TYPE_CHECKING, Any

import cloudpickle

if TYPE_CHECKING:
    import asyncio

HEADER = struct.Struct("!Q")
VERSION = 1
#: Inside a warm worker: the controller (socket path, token) of the call this context runs;
#: a worker runs many calls, concurrently, so it cannot be the process environment.
CALL_CONTROLLER: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("flyte_nb_controller",
                                                                                        default=None)


def current_controller() -> tuple[str, str] | None:
    """Where task calls and report flushes of the running task go: the call's (warm worker), else the
    process's (a cold container's or local subprocess's env, set by the runner); None in a kernel."""
    controller, token = os.environ.get("FLYTE_NB_CONTROLLER"), os.environ.get("FLYTE_NB_TOKEN")
    return CALL_CONTROLLER.get() or ((controller, token) if controller and token else None)


def dumps(message: Any) -> bytes:
    body = cloudpickle.dumps(message)
    return HEADER.pack(len(body)) + body


async def read_message(reader: asyncio.StreamReader) -> Any:
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return cloudpickle.loads(await reader.readexactly(size))


async def write_message(writer: asyncio.StreamWriter, message: Any) -> None:
    writer.write(dumps(message))
    await writer.drain()


def request(path: str, message: Any) -> Any:
    """Blocking request/response on a fresh connection (used inside the container)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(dumps(message))
        return receive(sock)


def receive(sock: socket.socket) -> Any:
    """One frame from a blocking socket (the shim's replies, a warm worker's requests)."""
    (size,) = HEADER.unpack(_recv(sock, HEADER.size))
    return cloudpickle.loads(_recv(sock, size))


def _recv(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("the flyte_nb controller closed the connection")
        chunks += chunk
    return bytes(chunks)
