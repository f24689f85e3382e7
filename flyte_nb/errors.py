"""Errors of running a task, each naming the task, the attempt and (in containers) the container."""

from __future__ import annotations

from typing import Any


class TaskError(RuntimeError):
    """A task call failed; the message carries the remote traceback where there is one."""

    def __init__(self, message: str, task: str = "", attempt: int | None = None, container: str | None = None,
                 remote_traceback: str | None = None) -> None:
        super().__init__(message)
        self.task = task
        self.attempt = attempt
        self.container = container
        self.remote_traceback = remote_traceback

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses the container boundary (a child's timeout reaches its parent task): keep every field.
        return (type(self), (str(self), self.task, self.attempt, self.container, self.remote_traceback))


class TaskTimeoutError(TaskError, TimeoutError):
    """An attempt ran past `timeout` (max_runtime) or waited past max_queued_time."""


class TaskOOMError(TaskError, MemoryError):
    """The container was killed for going over its memory limit."""


class TaskCrashedError(TaskError):
    """The task's process died without a result (signal, os._exit, segfault)."""


class TaskExitError(TaskError):
    """The task raised SystemExit (sys.exit), KeyboardInterrupt or another BaseException that is not an
    Exception. It is that call's failure, retried like any other: let through, it would stop the event
    loop every call of the kernel runs on. `exit_code` is SystemExit's code as a process would exit with
    it (None for the others)."""

    def __init__(self, message: str, task: str = "", attempt: int | None = None, container: str | None = None,
                 remote_traceback: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message, task, attempt, container, remote_traceback)
        self.exit_code = exit_code

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.task, self.attempt, self.container, self.remote_traceback,
                             self.exit_code))

    @classmethod
    def of(cls, error: BaseException, where: str, task: str, attempt: int) -> "TaskExitError":
        if isinstance(error, SystemExit):
            code = error.code
            exit_code = 0 if code is None else code if isinstance(code, int) else 1
            return cls(f"{where}: the task called sys.exit({code!r}) (exit code {exit_code}) instead of returning",
                       task, attempt, exit_code=exit_code)
        return cls(f"{where}: the task raised {type(error).__name__}({error_text(error)}), which is not an Exception; "
                   f"it fails this call only", task, attempt)


def plain_text(error: BaseException) -> str | None:
    """str(error); None when its __str__ raises."""
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - a task's __str__ may raise anything
        return None


def error_text(error: BaseException) -> str:
    """str(error), or what went wrong when the task's exception cannot say what it is (its __str__ raises)."""
    try:
        return str(error)
    except Exception as failure:  # noqa: BLE001 - a task's __str__ may raise anything
        try:
            why = f": {failure}"
        except Exception:  # noqa: BLE001
            why = ""
        return f"<{type(error).__name__}.__str__ raised {type(failure).__name__}{why}>"


class TaskShippingError(TaskError):
    """The task's function or inputs could not travel to its container (not picklable here, or not
    loadable there: a package missing from the image). Not retried: it would fail again."""


class RunnerUnavailableError(RuntimeError):
    """The requested runner cannot work here (e.g. no Docker engine answers)."""


class InlineIOLimitError(ValueError):
    """Inputs or outputs bigger than max_inline_io_bytes: pass them as flyte.io.File / Dir instead.

    Flyte's meaning: data passed inline (by value) is capped; files, folders, arrays and data
    frames travel through the blob store and do not count. Not retried: it would fail again.
    """

    @classmethod
    def of(cls, task: str, what: str, size: int, limit: int) -> "InlineIOLimitError":
        return cls(f"task {task}: its {what} are {size:,} bytes inline, above max_inline_io_bytes={limit:,}; "
                   f"pass big data as flyte.io.File or flyte.io.Dir (numpy arrays and pandas DataFrames go by "
                   f"reference automatically), or raise max_inline_io_bytes in @env.task(...) or .override(...)")
