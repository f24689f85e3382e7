"""protocol.open_connection: an asyncio unix connection that is real even when the listener's backlog is full.

The cause of the ConnectionResetError('Connection lost') a warm worker with concurrency > 64 gave: on
Linux a non-blocking connect() to a unix socket whose listen backlog is full fails with EAGAIN, which
asyncio's open_unix_connection takes for "in progress" and reports as a connection; the socket is not
connected, and the first write fails. Real sockets here, a listener with a tiny backlog that is slow
to accept, as a warm worker is under a burst.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

from flyte_nb import protocol

KEY = "connect-test-token"


def _slow_listener(path: Path, backlog: int) -> socket.socket:
    """A blocking listener that starts accepting after 0.3 s, then answers each request with its own body."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(backlog)

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.sendall(protocol.dumps(protocol.receive(conn, KEY), KEY))

    def serve() -> None:
        time.sleep(0.3)  # the burst arrives while nothing is accepted: the backlog fills
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server


async def _exchange(connect: object, path: Path, i: int) -> object:
    try:
        reader, writer = await connect(str(path))  # type: ignore[operator]
        await protocol.write_message(writer, {"i": i}, KEY)
        reply = await protocol.read_message(reader, KEY)
        writer.close()
        return reply["i"]
    except ConnectionError as error:
        return repr(error)


def _burst(connect: object, path: Path, count: int) -> list[object]:
    async def burst() -> list[object]:
        return list(await asyncio.gather(*(_exchange(connect, path, i) for i in range(count))))

    return asyncio.run(burst())


def test_a_burst_past_the_listeners_backlog_connects_every_call(tmp_path: Path) -> None:
    server = _slow_listener(tmp_path / "s.sock", backlog=4)
    try:
        assert _burst(protocol.open_connection, tmp_path / "s.sock", 60) == list(range(60))
    finally:
        server.close()


def test_asyncios_own_unix_connect_loses_such_a_burst(tmp_path: Path) -> None:
    """The cause, kept visible: the plain asyncio call reports connections that were never made."""
    server = _slow_listener(tmp_path / "s.sock", backlog=4)
    try:
        results = _burst(asyncio.open_unix_connection, tmp_path / "s.sock", 60)
    finally:
        server.close()
    assert "ConnectionResetError('Connection lost')" in results


def test_no_listener_is_a_clear_connection_error(tmp_path: Path) -> None:
    async def connect() -> None:
        await protocol.open_connection(str(tmp_path / "absent.sock"))

    try:
        asyncio.run(connect())
    except ConnectionError as error:
        assert "no flyte_nb listener at" in str(error) and "absent.sock" in str(error)
    else:
        raise AssertionError("connected to a socket that does not exist")
