"""Exceptions across the container boundary, re-raised in the kernel like concurrent.futures does:
the original exception type, with the remote traceback attached as its __cause__."""

from __future__ import annotations

import traceback
from typing import Any

import cloudpickle

from .errors import error_text, plain_text


class RemoteTraceback(Exception):
    """Shown under the re-raised exception: where it happened inside the task's container."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'


def pack_error(error: BaseException) -> dict[str, Any]:
    """What the shim sends for a failed task: the exception if it pickles, always its text."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        blob: bytes | None = cloudpickle.dumps(error)
        cloudpickle.loads(blob)
    except Exception:  # noqa: BLE001 - any exception may be unpicklable
        blob = None
    return {"type": f"{type(error).__module__}.{type(error).__qualname__}", "message": error_text(error),
            "traceback": text, "pickled": blob, "oom": isinstance(error, MemoryError)}


def unpack_error(packed: dict[str, Any], note: str, clean: Any = lambda s: s) -> BaseException:
    """The kernel-side exception: the task's own type when possible, with note and remote traceback.

    `clean` redacts secrets from the texts before they reach the notebook.
    """
    from .errors import TaskError

    error: BaseException | None = None
    if packed.get("pickled") is not None:
        try:
            error = cloudpickle.loads(packed["pickled"])
        except Exception:  # noqa: BLE001
            error = None
    text = clean(packed["traceback"])
    plain = plain_text(error) if error is not None else None
    if plain is None or clean(plain) != plain:  # unshowable (its __str__ raises) or it carries a secret
        error = TaskError(f"{packed['type']}: {clean(packed['message'])}", task=note, remote_traceback=text)
    error.__cause__ = RemoteTraceback(text)
    error.__traceback__ = None
    if hasattr(error, "add_note"):
        error.add_note(note)
    return error
