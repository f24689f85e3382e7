"""The wire between the kernel's controller and a task's shim: length-prefixed cloudpickle frames
over a unix socket (tasks keep network "none"; the socket is the only way out)."""

from __future__ import annotations

import socket
import struct
from typing import TYPE_CHECKING, Any

import cloudpickle

if TYPE_CHECKING:
    import asyncio

HEADER = struct.Struct("!Q")
VERSION = 1


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
        header = _recv(sock, HEADER.size)
        (size,) = HEADER.unpack(header)
        return cloudpickle.loads(_recv(sock, size))


def _recv(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("the flyte_nb controller closed the connection")
        chunks += chunk
    return bytes(chunks)
