"""The kernel side of a call: a unix-socket server per attempt, mounted into its container.

It hands the secrets of this call's settings to the shim (hello), runs the task calls the task makes by
registered name (flyte_nb.nested: nested calls run as their own calls, in their own containers, with the
settings the kernel resolves) and receives report flushes. Every frame is authenticated with this call's
token before it is decoded (flyte_nb.protocol); one connection per request keeps concurrent nested calls
independent.
"""

from __future__ import annotations

import asyncio
import os
import secrets as _secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import context, grouping, protocol
from .remote import pack_error
from .runners.calls import hand_to_task as _hand_to_task

if TYPE_CHECKING:
    from .config.secrets import Secret
    from .runners.base import Call


def secrets_for_wire(secrets: dict["Secret", str]) -> list[list[Any]]:
    """The secrets as plain data for the shim's install_secrets: [{key, mount, env_var, as_env_var}, value]."""
    return [[{"key": s.key, "mount": str(s.mount) if s.mount is not None else None, "env_var": s.env_var,
              "as_env_var": s.as_env_var}, value] for s, value in secrets.items()]


class Controller:
    def __init__(self, path: Path, call: "Call", secrets: dict["Secret", str]) -> None:
        self.path = path
        self.call = call
        self.secrets = secrets
        self.token = _secrets.token_hex(16)
        self._server: asyncio.AbstractServer | None = None
        self._handlers: set[asyncio.Task[Any]] = set()  # requests being served (nested calls in flight)
        self.attempt = call.run.attempts[-1] if call.run.attempts else None  # the attempt this socket serves

    async def __aenter__(self) -> "Controller":
        self._server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        os.chmod(self.path, 0o600)  # its task's user alone (host: runners.calls.hand_to_task), in a 0700 folder
        _hand_to_task(self.path, self.call.settings)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.cancel_pending()
        self.path.unlink(missing_ok=True)

    @property
    def serving(self) -> bool:
        """Whether requests of its call are being answered now (nested calls in flight)."""
        return bool(self._handlers)

    async def cancel_pending(self) -> None:
        """The attempt is over (finished, timed out or interrupted): nested calls still running have no
        parent left to answer, so they are cancelled too, and their containers removed before we return."""
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request; a frame not authenticated by this call's token is dropped undecoded."""
        try:
            message = await protocol.read_message(reader, self.token)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            writer.close()  # a short, forged, oversized or non-JSON frame: dropped, nothing decoded
            return
        await self.answer(message, writer)

    async def answer(self, message: Any, writer: asyncio.StreamWriter) -> None:
        """Reply to one request already authenticated by this call's token (read here, or by a warm worker's
        controller socket, which serves all the calls on the worker), then close the connection."""
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            if not isinstance(message, dict):
                return
            reply = await self._dispatch(message)
            await protocol.write_message(writer, reply, self.token)
        except (ConnectionError, ValueError):
            pass  # the task went away, or a reply that cannot be sent
        except asyncio.CancelledError:  # the attempt ended (cancel_pending): the handler task ends here, quietly
            pass
        finally:
            self._handlers.discard(handler)  # type: ignore[arg-type]
            writer.close()

    def usage(self, frame: Any) -> None:
        """A usage frame that came on another authenticated connection (a warm worker's call link);
        a malformed one changes nothing (ValueError)."""
        self._usage(frame)

    async def _dispatch(self, message: dict[str, Any]) -> Any:
        op = message.get("op")
        if op == "hello":
            return {"version": protocol.VERSION, "secrets": secrets_for_wire(self.secrets)}
        if op == "call":
            return await (self.call.nested or self._nested_call)(message)
        if op == "usage":  # a sample or the final figures of this attempt (flyte_nb.usage)
            return self._usage(message.get("usage"))
        if op == "report" and isinstance(message.get("tabs"), dict):
            self.call.report({str(k): str(v) for k, v in message["tabs"].items()})
            return {"ok": True}
        if op == "trace":
            return self._trace(message.get("entry"))
        return {"ok": False, "error": pack_error(ValueError(f"unknown op {op!r}"))}

    def _trace(self, data: Any) -> dict[str, Any]:
        """A @flyte.trace call the task made: on this attempt's run record, secrets redacted, as in-kernel calls."""
        try:
            record_trace(self.call, data, len(self.call.run.attempts) or None)
        except ValueError as error:
            return {"ok": False, "error": pack_error(error)}
        return {"ok": True}

    def _usage(self, frame: Any) -> dict[str, Any]:
        from .registry import registry
        from .usage import Usage

        if self.attempt is None:
            return {"ok": False}
        measured = self.attempt.usage or Usage()
        measured.update(frame, received=time.time())  # ValueError: a malformed frame, dropped (_handle)
        self.attempt.usage = measured
        registry().notify("run", self.call.run.id)
        return {"ok": True}

    async def _nested_call(self, message: dict[str, Any]) -> dict[str, Any]:
        return await serve_nested(self.call, message)


async def serve_nested(call: "Call", message: dict[str, Any]) -> dict[str, Any]:
    """Run a task call that `call`'s task made (a controller "call" request) in this kernel's runtime, as a
    child of `call`, and make its reply; a Ray node's requests come here too (runners/ray.py)."""
    from .nested import group_of, map_item, reply_value, resolve_request
    from .relay import MAP_ITEM
    from .runtime import CURRENT_CALL, runtime

    CURRENT_CALL.set(call)  # this handler's own context: the child records its parent
    MAP_ITEM.set(map_item(message))  # a flyte.map item in the container: its lines keep input order
    try:
        task, bound = resolve_request(message, runtime().pickle_outputs)
        with context.entered(context.from_wire(message.get("context"))), \
                grouping.entered(group_of(message)):  # the caller's custom context, the group its body opened
            value = await runtime().execute(task, bound)
        return {"ok": True, "value": reply_value(task, value)}
    except Exception as error:  # noqa: BLE001 - the child's failure goes to the parent task
        return {"ok": False, "error": pack_error(error)}


def record_trace(call: "Call", data: Any, attempt: int | None) -> None:
    """One @flyte.trace entry from the wire on the call's run record, its inputs and error redacted of the
    call's secrets, the views told; a malformed one raises ValueError and changes nothing. A container's
    task sends it to its controller; a Ray node forwards what its own controller got (runners/ray.py)."""
    from .registry import registry
    from .runs import TraceEntry
    from .secrets import redact

    entry = TraceEntry.from_wire(data)
    hide = call.secret_values
    entry.inputs = {k: redact(v, hide) for k, v in entry.inputs.items()}
    entry.error = None if entry.error is None else redact(entry.error, hide)
    entry.attempt = attempt
    call.run.traces.append(entry)
    registry().notify("run", call.run.id)
