"""The kernel side of a call: a unix-socket server per attempt, mounted into its container.

It hands the secrets to the shim (hello), runs the task calls the task makes (nested calls
run as their own calls, in their own containers, with their own settings) and receives
report flushes. One connection per request keeps concurrent nested calls independent.
"""

from __future__ import annotations

import asyncio
import os
import secrets as _secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import context, protocol
from .remote import pack_error
from .runners.calls import hand_to_task as _hand_to_task

if TYPE_CHECKING:
    from .config.secrets import Secret
    from .runners.base import Call


class Controller:
    def __init__(self, path: Path, call: "Call", secrets: dict["Secret", str]) -> None:
        self.path = path
        self.call = call
        self.secrets = secrets
        self.token = _secrets.token_hex(16)
        self._server: asyncio.AbstractServer | None = None
        self._handlers: set[asyncio.Task[Any]] = set()  # requests being served (nested calls in flight)

    async def __aenter__(self) -> "Controller":
        self._server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        os.chmod(self.path, 0o600)  # its task's user alone (host: runners.calls.hand_to_task), in a 0700 folder
        _hand_to_task(self.path, self.call.settings)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # The attempt is over (finished, timed out or interrupted): nested calls still running have no
        # parent left to answer, so they are cancelled too, and their containers removed before we return.
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self.path.unlink(missing_ok=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            message = await protocol.read_message(reader)
            if not isinstance(message, dict) or message.get("token") != self.token:
                return
            reply = await self._dispatch(message)
            await protocol.write_message(writer, reply)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # the attempt ended (__aexit__): the handler task ends here, quietly
            pass
        finally:
            self._handlers.discard(handler)  # type: ignore[arg-type]
            writer.close()

    async def _dispatch(self, message: dict[str, Any]) -> Any:
        op = message.get("op")
        if op == "hello":
            return {"version": protocol.VERSION, "secrets": list(self.secrets.items())}
        if op == "call":
            return await self._nested_call(message)
        if op == "report":
            self.call.report(dict(message["tabs"]))
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    async def _nested_call(self, message: dict[str, Any]) -> dict[str, Any]:
        from .runtime import CURRENT_CALL, runtime

        CURRENT_CALL.set(self.call)  # this handler's own context: the child records its parent
        try:
            task = message["task"]
            bound = task.bind(tuple(message["args"]), dict(message["kwargs"]))
            with context.entered(context.from_wire(message.get("context"))):  # the caller's custom context
                value = await runtime().execute(task, bound)
        except Exception as error:  # noqa: BLE001 - the child's failure goes to the parent task
            return {"ok": False, "error": pack_error(error)}
        return {"ok": True, "value": value}
