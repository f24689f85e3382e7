"""The wire between the kernel's controller and a task's shim (and a warm worker): authenticated JSON frames
over a unix socket (tasks keep network "none"; the socket is the only way out).

A frame is `length (8 bytes) + HMAC-SHA256(key, body) (32 bytes) + body`, the body UTF-8 JSON. The reader
checks the length against a cap and the MAC with hmac.compare_digest before it decodes anything, and drops
the connection on a mismatch: a process that does not hold the call's token cannot make the kernel parse a
single byte of JSON, and JSON cannot run code whatever it holds (the kernel once unpickled these frames).
Bytes travel as base64 strings; values inside a frame are encoded by flyte_nb.codec, never pickled.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import os
import socket
import struct
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # asyncio is the kernel's and a warm worker's: a task's shim uses blocking sockets only
    import asyncio

HEADER = struct.Struct("!Q")
MAC_SIZE = hashlib.sha256().digest_size
VERSION = 2
#: The largest frame either side accepts (a nested call's arguments travel inline, up to max_inline_io_bytes,
#: which the kernel checks again; a bigger frame is refused before it is read).
MAX_FRAME = 64 * 1024 * 1024
#: Inside a warm worker: the controller (socket path, token) of the call this context runs;
#: a worker runs many calls, concurrently, so it cannot be the process environment.
CALL_CONTROLLER: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("flyte_nb_controller",
                                                                                        default=None)


#: Seconds a unix listener may keep its backlog full before open_connection gives up.
CONNECT_TIMEOUT = 60.0


class FrameError(ConnectionError):
    """A frame that is too big or not authenticated by the expected key: the connection is dropped."""


def current_controller() -> tuple[str, str] | None:
    """Where task calls and report flushes of the running task go: the call's (warm worker), else the
    process's (a cold container's or local subprocess's env, set by the runner); None in a kernel."""
    controller, token = os.environ.get("FLYTE_NB_CONTROLLER"), os.environ.get("FLYTE_NB_TOKEN")
    return CALL_CONTROLLER.get() or ((controller, token) if controller and token else None)


def _mac(key: str, body: bytes) -> bytes:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()


def dumps(message: Any, key: str) -> bytes:
    """One frame: the message as JSON (plain data only), authenticated with `key` (the call's token)."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise FrameError(f"a flyte_nb frame of {len(body):,} bytes is above the {MAX_FRAME:,} byte cap")
    return HEADER.pack(len(body)) + _mac(key, body) + body


def loads(head: bytes, mac: bytes, read_body: Any, key: str) -> Any:
    """Check the size, then the MAC, and only then decode; FrameError otherwise (nothing decoded)."""
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise FrameError(f"refused a flyte_nb frame of {size:,} bytes (cap {MAX_FRAME:,})")
    body = read_body(size)
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise FrameError("refused a flyte_nb frame not authenticated by this call's token")
    return json.loads(body)


async def open_connection(path: str, timeout: float = CONNECT_TIMEOUT) -> tuple[asyncio.StreamReader,
                                                                             asyncio.StreamWriter]:
    """asyncio.open_unix_connection, but a connection that is really made when the listener is busy.

    On Linux a non-blocking connect() to a unix socket whose listen backlog is full fails with EAGAIN;
    asyncio takes that for "in progress", waits until the socket is writable (it is at once) and hands
    back a socket that was never connected: the first write fails with ConnectionResetError('Connection
    lost'). That is what a burst of calls on a warm worker with concurrency above its backlog got. Here
    EAGAIN means what it says, the listener is busy: try again shortly, until `timeout`.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + timeout, 0.001
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(path)  # a unix socket connects at once or fails: never EINPROGRESS
        except BlockingIOError:
            sock.close()
            if loop.time() > deadline:
                raise ConnectionError(f"the flyte_nb socket {path} did not accept a connection in {timeout:g}s "
                                      f"(its backlog stayed full)") from None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
            continue
        except (FileNotFoundError, ConnectionRefusedError) as error:
            sock.close()
            raise ConnectionError(f"no flyte_nb listener at {path} ({error.strerror})") from None
        except BaseException:
            sock.close()
            raise
        return await asyncio.open_unix_connection(sock=sock)


async def read_message(reader: "asyncio.StreamReader", key: str) -> Any:
    head = await reader.readexactly(HEADER.size)
    mac = await reader.readexactly(MAC_SIZE)
    (size,) = HEADER.unpack(head)
    body = await reader.readexactly(size) if size <= MAX_FRAME else b""
    return loads(head, mac, lambda _: body, key)


async def read_keyed(reader: "asyncio.StreamReader", keys: Any) -> tuple[str, Any]:
    """One frame authenticated by any one of `keys` (a warm worker's controller socket serves every call on
    the worker, each with its own token): the key that authenticates it and the message. The size is
    checked, then the MAC against each key, and only then is the body decoded; FrameError otherwise."""
    head = await reader.readexactly(HEADER.size)
    mac = await reader.readexactly(MAC_SIZE)
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise FrameError(f"refused a flyte_nb frame of {size:,} bytes (cap {MAX_FRAME:,})")
    body = await reader.readexactly(size)
    for key in list(keys):
        if hmac.compare_digest(mac, _mac(key, body)):
            return key, json.loads(body)
    raise FrameError("refused a flyte_nb frame not authenticated by the token of any call it serves")


async def write_message(writer: "asyncio.StreamWriter", message: Any, key: str) -> None:
    writer.write(dumps(message, key))
    await writer.drain()


def request(path: str, message: Any, key: str) -> Any:
    """Blocking request/response on a fresh connection (used inside the container)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(dumps(message, key))
        return receive(sock, key)


def receive(sock: socket.socket, key: str) -> Any:
    """One frame from a blocking socket (the shim's replies, a warm worker's requests)."""
    head = _recv(sock, HEADER.size)
    mac = _recv(sock, MAC_SIZE)
    return loads(head, mac, lambda size: _recv(sock, size), key)


def _recv(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ConnectionError("the flyte_nb controller closed the connection")
        chunks += chunk
    return bytes(chunks)
