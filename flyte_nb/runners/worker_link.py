"""The kernel's side of the wire to a warm worker (flyte_nb.worker): kept open, so a warm call is one frame
in and its frames out, with nothing made or removed per call.

* `Link`: one connection to the worker's socket, kept per call slot and reused call after call. A call
  sends its request (the code's digest, its inputs inline, its secrets, its controller token), and reads
  log lines, usage figures and the result (plain data, decoded by the task's hints) until "done"; a worker
  that asks for the code ("need") gets it on the same connection.
* `Shipment`: what a call ships, its code pickled once per call and named by the digest of those bytes, so
  a task redefined in a cell, or whose globals changed, pickles to a new digest and is sent again.
* `WorkerController`: one controller socket per worker (in its folder) for the nested calls, reports and
  traces of every call on it; each call has its own token there, given in its request and forgotten when
  the call ends, so a frame of a finished call (or of no call) is dropped undecoded.

Every frame on a link is authenticated with the worker's token, on the controller socket with the call's
(flyte_nb.protocol): the kernel checks the MAC before it decodes a byte.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets as _secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import protocol
from .. import secrets as secret_store
from ..controller import Controller, secrets_for_wire
from .base import Call
from .calls import checked_result, encode_inputs, hand_to_task, shipped_bytes

CONTROLLER_SOCKET = "ctl.sock"
#: Inputs above this size go through a file in the worker's folder instead of the request frame
#: (base64 in JSON grows them by a third; the frame cap is protocol.MAX_FRAME).
INLINE_INPUTS = 16 * 1024 * 1024


@dataclass
class Shipment:
    """One call's request to a worker, and the code it names (sent when the worker does not hold it)."""

    request: dict[str, Any]
    code: bytes
    keys: list[str] = field(default_factory=list)  # blob-store files of the inputs, removed after the call
    inputs_file: Path | None = None

    @property
    def digest(self) -> str:
        return str(self.request["code"])

    def release(self) -> None:
        from .. import io

        io.remove(self.keys)
        if self.inputs_file is not None:
            self.inputs_file.unlink(missing_ok=True)


def shipment(call: Call, folder: Path, token: str, secrets: dict[Any, str], known: set[str]) -> Shipment:
    """The request of `call` for a worker whose folder is `folder`, holding the code digests `known`."""
    from .. import context

    code, digest = shipped_bytes(call)  # first: it resolves the annotations of the dataclasses the inputs carry
    request: dict[str, Any] = {
        "op": "run", "code": digest, "controller": CONTROLLER_SOCKET, "token": token,
        "secrets": secrets_for_wire(secrets), "report": bool(call.settings.value("report")),
        "limit": call.settings.value("max_inline_io_bytes"),
        "context": context.to_wire(context.current()),  # flyte.ctx() there: entered by runtime
    }
    if digest not in known:
        request["ship"] = base64.b64encode(code).decode("ascii")
    sent = Shipment(request, code)
    try:
        inputs = encode_inputs(call, sent.keys)
        if len(inputs) > INLINE_INPUTS:
            sent.inputs_file = folder / f"inputs-{token}.pkl"
            sent.inputs_file.write_bytes(inputs)
            hand_to_task(sent.inputs_file, call.settings)
            request["inputs_file"] = sent.inputs_file.name
        else:
            request["inputs"] = base64.b64encode(inputs).decode("ascii")
    except BaseException:
        sent.release()
        raise
    return sent


class Link:
    """One open connection to a worker, carrying one call at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> None:
        self.reader = reader
        self.writer = writer
        self.token = token

    @classmethod
    async def open(cls, path: Path, token: str) -> "Link":
        reader, writer = await protocol.open_connection(str(path))
        return cls(reader, writer, token)

    def close(self) -> None:
        self.writer.close()

    async def run(self, call: Call, sent: Shipment, controller: Controller) -> dict[str, Any] | None:
        """Send the call, stream its output to the call's log; its checked result, or None when the
        connection broke first (the worker died under the call)."""
        pending = {"stdout": "", "stderr": ""}  # a partial line per stream
        try:
            await protocol.write_message(self.writer, sent.request, self.token)
            call.status("running")
            while True:
                message = await protocol.read_message(self.reader, self.token)
                if not isinstance(message, dict):
                    return None
                if message.get("first"):  # a short call's first figures, carried by its "done" frame
                    _count_usage(controller, message["first"])
                if "usage" in message:  # a sample, or the final figures with "done"
                    _count_usage(controller, message["usage"])
                if message.get("done"):
                    return checked_result(message.get("result"), call.task.name)
                if "need" in message:  # the worker does not hold this code (yet, or no longer)
                    await protocol.write_message(self.writer, {"ship": base64.b64encode(sent.code).decode("ascii")},
                                                 self.token)
                elif "log" in message:
                    _emit(call, pending, message)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        finally:
            for stream, rest in pending.items():
                if rest:
                    call.emit(secret_store.redact(rest, call.secret_values), stream)


def _count_usage(controller: Controller, figures: Any) -> None:
    try:
        controller.usage(figures)
    except ValueError:
        pass  # a malformed frame changes nothing


def _emit(call: Call, pending: dict[str, str], message: dict[str, Any]) -> None:
    """A log frame: its whole lines to the call's log, redacted; a partial line waits for its end."""
    stream = "stderr" if message.get("stream") == "stderr" else "stdout"
    *lines, pending[stream] = (pending[stream] + str(message.get("log", ""))).split("\n")
    for line in lines:
        call.emit(secret_store.redact(line + "\n", call.secret_values), stream)


class WorkerController:
    """The controller socket of one worker: a call's requests are served by that call's Controller,
    picked by the token that authenticates the frame."""

    def __init__(self, folder: Path, settings: Any) -> None:
        self.path = folder / CONTROLLER_SOCKET
        self.settings = settings
        self.calls: dict[str, Controller] = {}
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        os.chmod(self.path, 0o600)  # its task's user alone (host: runners.calls.hand_to_task), in a 0700 folder
        hand_to_task(self.path, self.settings)

    def bind(self, call: Call, secrets: dict[Any, str]) -> Controller:
        """A controller for `call` on this socket, with a token of its own (Controller makes one)."""
        controller = Controller(self.path, call, secrets)
        self.calls[controller.token] = controller
        return controller

    def unbind(self, controller: Controller) -> None:
        """The call is over: its token is forgotten (its requests still in flight are the caller's to
        cancel: Controller.cancel_pending)."""
        self.calls.pop(controller.token, None)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            token, message = await protocol.read_keyed(reader, self.calls)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            writer.close()  # a short, forged, oversized, finished call's or non-JSON frame: dropped
            return
        controller = self.calls.get(token)
        if controller is None:  # the call ended while its frame was read
            writer.close()
            return
        await controller.answer(message, writer)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.path.unlink(missing_ok=True)
