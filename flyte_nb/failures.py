"""What a caller receives when a task it called fails: the SDK's error, rebuilt from code and kind.

In flyte 2.12.1 a task's failure reaches its caller (a parent task, flyte.run, flyte.map) as data: the
task runner keeps flyte's own RuntimeUserError/RuntimeSystemError/RuntimeUnknownError and turns any other
exception into CustomError.from_exception (code: its class name, worker "user"); the caller's side builds a
fresh error from (kind, code, message, worker): timeouts and OOM by their code, RuntimeUserError for the rest.
So `except flyte.errors.RuntimeUserError as e: if e.code == "ValueError"` is how SDK code catches a child's
ValueError, and `except ValueError` around a child call does not catch it (as in the SDK).

A task called directly (from a notebook cell or a script, not through flyte.run) keeps its own exception:
the SDK's direct call of an async task does too (docs/sdk-differences.md lists the sync case).
"""

from __future__ import annotations

from . import errors
from .tracebacks import carry

#: Codes the SDK rebuilds as its timeout classes (flyte._internal.runtime.convert._TIMEOUT_ERROR_BY_CODE).
_TIMEOUTS: dict[str, type[errors.RuntimeUserError]] = {
    "QUEUED_TIMEOUT_EXCEEDED": errors.MaxQueuedTimeExceededError,
    "MAX_RUNTIME_EXCEEDED": errors.MaxRuntimeExceededError,
    "DEADLINE_EXCEEDED": errors.DeadlineExceededError,
    "MaxQueuedTimeExceededError": errors.MaxQueuedTimeExceededError,
    "MaxRuntimeExceededError": errors.MaxRuntimeExceededError,
    "DeadlineExceededError": errors.DeadlineExceededError,
    "TaskTimeoutError": errors.TaskTimeoutError,
}
#: User-kind codes the SDK rebuilds as a class of their own, by a part of the code (in the SDK's order).
_BY_CODE_PART: tuple[tuple[str, type[errors.RuntimeUserError]], ...] = (
    ("Interrupted", errors.TaskInterruptedError),
    ("PrimaryContainerNotFound", errors.PrimaryContainerNotFoundError),
    ("RetriesExhausted", errors.RetriesExhaustedError),
    ("InvalidImageName", errors.InvalidImageNameError),
    ("ImagePullBackOff", errors.ImagePullBackOffError),
)
#: Classes that say nothing beyond their kind: an error of a subclass of these is rebuilt, not kept.
_GENERIC = (errors.RuntimeUserError, errors.RuntimeSystemError, errors.RuntimeUnknownError)


def raised_to_caller(error: Exception) -> Exception:
    """The error the SDK raises to the caller of a task that failed with `error`.

    flyte_nb's own task errors (TaskError: a TaskOOMError for an OOM kill, a MaxRuntimeExceededError, a
    TaskExitError for sys.exit) are RuntimeUserErrors with their class name as code, as the SDK would build
    them, so they are kept, with their task, attempt and container. Otherwise a fresh
    error of the SDK's class, raised with the task's frames (the user's cell and line); the task's exception
    stays reachable as its __cause__ (and its notes are kept).
    """
    kind, code, message, worker = _as_data(error)
    cls = _native_class(kind, code)
    own = isinstance(error, errors.TaskError) and not hasattr(error, "remote_type")  # flyte_nb's: TaskExitError, ...
    if own or isinstance(error, cls) and (type(error) is cls or cls not in _GENERIC):
        if getattr(error, "worker", None) is None:
            error.worker = ""  # type: ignore[attr-defined]  # the SDK's wire has no None: an unset worker is ""
        return error
    if cls in _TIMEOUTS.values():
        fresh: Exception = cls(message)  # the SDK builds timeouts from the message alone, worker "user"
        fresh.worker = "user"  # type: ignore[attr-defined]
    else:
        fresh = cls(code, message, worker)  # type: ignore[call-arg]
    carry(fresh, error)
    for note in getattr(error, "__notes__", ()):
        fresh.add_note(note)
    return fresh


def _as_data(error: Exception) -> tuple[str, str, str, str]:
    """(kind, code, message, worker) as the SDK's task runner and convert_from_native_to_error write them."""
    remote_type = getattr(error, "remote_type", None)  # a TaskError standing for a class the kernel cannot rebuild
    if isinstance(remote_type, str):
        return "user", remote_type.rsplit(".", 1)[-1], str(getattr(error, "remote_message", error)), "user"
    if not isinstance(error, _GENERIC):
        return "user", type(error).__name__, errors.error_text(error), "user"  # CustomError.from_exception
    kind = "unknown" if isinstance(error, errors.RuntimeUnknownError) else \
        "system" if isinstance(error, errors.RuntimeSystemError) else "user"
    return kind, str(error.code), errors.error_text(error), error.worker or ""


def _native_class(kind: str, code: str) -> type[Exception]:
    """The class convert_error_to_native picks for (kind, code)."""
    user_code = code.split("|", 1)[1].strip() if "|" in code else code.strip()
    if kind == "unknown":
        return errors.RuntimeUnknownError
    if kind == "system":
        return errors.RuntimeSystemError
    if user_code in _TIMEOUTS:
        return _TIMEOUTS[user_code]
    if "OOM" in code.upper():
        return errors.OOMError
    for part, cls in _BY_CODE_PART:
        if part in code:
            return cls
    if "Unknown" in code:
        return errors.RuntimeUnknownError
    return errors.RuntimeUserError
