"""`flyte.errors`: the SDK's error hierarchy (flyte 2.12.1 names and bases) and flyte_nb's task errors.

flyte_nb's own errors (TaskError, TaskOOMError, ...) are the SDK's classes underneath, so code written
for either catches them: an OOM kill is a TaskOOMError *and* a flyte.errors.OOMError, a timeout a
TaskTimeoutError *and* a MaxRuntimeExceededError, each naming the task, the attempt and the container.
"""

from __future__ import annotations

from typing import Any, Literal

from .config.errors import one_line

ErrorKind = Literal["system", "unknown", "user"]


def silence_polling_error(loop: Any, context: dict[str, Any]) -> None:
    """The SDK's event-loop exception handler: drops a BlockingIOError (a polling error), hands on the rest."""
    if isinstance(context.get("exception"), BlockingIOError):
        return
    loop.default_exception_handler(context)


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an SDK-shaped error whatever its __init__ takes (a task's error crosses the container boundary)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class BaseRuntimeError(RuntimeError):
    """Base of every flyte runtime error: a code, a kind (user, system, unknown) and the worker it came from."""

    def __init__(self, code: str, kind: ErrorKind, root_cause_message: str, worker: str | None = None) -> None:
        super().__init__(root_cause_message)
        self.code = code
        self.kind = kind
        self.worker = worker

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def _reraise(self, *_args: Any) -> Any:
        """As the SDK: an error that flyte.map(return_exceptions=True) returned raises itself when used as a number."""
        raise self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _reraise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _reraise


class InitializationError(BaseRuntimeError):
    """flyte was used before it was initialised (or initialised wrongly)."""


class RuntimeSystemError(BaseRuntimeError):
    """The platform failed, not the task's code."""

    def __init__(self, code: str, message: str, worker: str | None = None) -> None:
        super().__init__(code, "system", message, worker)


class UnionRpcError(RuntimeSystemError):
    """A call to the control plane failed (there is none on one machine)."""


class RuntimeUserError(BaseRuntimeError):
    """The task's code failed."""

    def __init__(self, code: str, message: str, worker: str | None = None) -> None:
        super().__init__(code, "user", message, worker)


class RuntimeUnknownError(BaseRuntimeError):
    """A failure of unknown origin."""

    def __init__(self, code: str, message: str, worker: str | None = None) -> None:
        super().__init__(code, "unknown", message, worker)


class OOMError(RuntimeUserError):
    """The task ran out of memory (flyte_nb raises its subclass TaskOOMError)."""


class TaskInterruptedError(RuntimeUserError):
    """The task was interrupted (a preempted node)."""


class PrimaryContainerNotFoundError(RuntimeUserError):
    """The task's primary container was not found in its pod."""


class RetriesExhaustedError(RuntimeUserError):
    """Every retry of the task failed."""


class InvalidImageNameError(RuntimeUserError):
    """An image name is invalid."""


class ImagePullBackOffError(RuntimeUserError):
    """An image cannot be pulled."""


class CustomError(RuntimeUserError):
    """An error a task raises on purpose, with a code of its own."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, "user")

    @classmethod
    def from_exception(cls, e: Exception) -> "CustomError":
        """A CustomError whose code is the exception's class name and whose message is its text."""
        error = cls(e.__class__.__name__, str(e))
        error.__cause__ = e
        return error


class NotInTaskContextError(RuntimeUserError):
    """Something that needs a running task was used outside one."""


class ActionNotFoundError(RuntimeError):
    """A remote action does not exist."""


def _user_error(code: str) -> Any:
    """__init__(message) of the SDK's single-message user errors (their code is fixed)."""

    def __init__(self: RuntimeUserError, message: str) -> None:
        RuntimeUserError.__init__(self, code, message, "user")

    return __init__


class RemoteTaskNotFoundError(RuntimeUserError):
    """A remote task does not exist."""

    __init__ = _user_error("RemoteTaskNotFound")


class RemoteTaskUsageError(RuntimeUserError):
    """A remote task was used wrongly."""

    __init__ = _user_error("RemoteTaskUsageError")


class LogsNotYetAvailableError(BaseRuntimeError):
    """A run's logs are not available yet."""

    def __init__(self, message: str) -> None:
        super().__init__("LogsNotYetAvailable", "system", message, None)


class RuntimeDataValidationError(RuntimeUserError):
    """A task's input or output could not be converted to or from its declared type."""

    def __init__(self, var: str, e: Exception | str, task_name: str = "") -> None:
        super().__init__("DataValidationError", f"In task {task_name} variable {var}, failed to serialize/"
                         f"deserialize because of {e}", "user")


class DeploymentError(RuntimeUserError):
    """A deployment failed (deployments need a Flyte cluster)."""

    __init__ = _user_error("DeploymentError")


class ImageBuildError(RuntimeUserError):
    """An image build failed."""

    __init__ = _user_error("ImageBuildError")


class ModuleLoadError(RuntimeUserError):
    """A module of the task could not be loaded."""

    __init__ = _user_error("ModuleLoadError")


class InlineIOMaxBytesBreached(RuntimeUserError):
    """Inline inputs or outputs are above max_inline_io_bytes (flyte_nb raises its subclass InlineIOLimitError)."""

    __init__ = _user_error("InlineIOMaxBytesBreached")


class ActionAbortedError(RuntimeUserError):
    """The action was aborted."""

    __init__ = _user_error("ActionAbortedError")


class SlowDownError(RuntimeUserError):
    """The platform asks to slow down."""

    __init__ = _user_error("SlowDownError")


class ResourceExhaustedError(SlowDownError):
    """The platform's resources are exhausted."""


class OnlyAsyncIOSupportedError(RuntimeUserError):
    """Only asyncio is supported here."""

    __init__ = _user_error("OnlyAsyncIOSupportedError")


class ParameterMaterializationError(RuntimeUserError):
    """A parameter could not be materialised."""

    __init__ = _user_error("ParameterMaterializationError")


class RestrictedTypeError(RuntimeUserError):
    """A type that is not allowed here was used."""

    __init__ = _user_error("RestrictedTypeUsage")


class CodeBundleError(RuntimeUserError):
    """The code bundle could not be made."""

    __init__ = _user_error("CodeBundleError")


class SyncTaskCallInAsyncContextError(RuntimeUserError):
    """A synchronous task was called from async code."""

    __init__ = _user_error("SyncTaskCallInAsyncContextError")


class TraceDoesNotAllowNestedTasksError(RuntimeUserError):
    """A @flyte.trace function called a task."""

    __init__ = _user_error("TraceDoesNotAllowNestedTasksError")


class InvalidPackageError(RuntimeUserError):
    """A package could not be installed."""

    def __init__(self, package_name: str, original_error: str) -> None:
        super().__init__("InvalidPackageError", f"Invalid system package detected: '{package_name}'. This package "
                         f"does not exist in apt repositories. Error: {original_error}", "user")


class NonRecoverableError(RuntimeUserError):
    """An error a task raises to say retrying cannot help: flyte_nb does not retry it."""

    def __init__(self, message: str, code: str = "NonRecoverableError") -> None:
        super().__init__(code, message)


class ConditionAlreadyExistsError(RuntimeUserError):
    """A condition exists already (conditions need a Flyte cluster)."""

    __init__ = _user_error("ConditionAlreadyExistsError")


class ConditionFailedError(RuntimeUserError):
    """A condition failed."""

    __init__ = _user_error("ConditionFailedError")


class ConditionNotFoundError(RuntimeUserError):
    """A condition does not exist."""

    __init__ = _user_error("ConditionNotFoundError")


class ConditionTimedoutError(RuntimeUserError):
    """A condition timed out."""

    __init__ = _user_error("ConditionTimedoutError")


class GPUFaultError(BaseRuntimeError):
    """A GPU fault ended the task."""


class GPUFaultUserError(GPUFaultError, RuntimeUserError):
    """A GPU fault the task's code caused."""

    def __init__(self, code: str, message: str, worker: str | None = None, **fault: Any) -> None:
        RuntimeUserError.__init__(self, code, message, worker)
        self.fault = fault


class GPUFaultSystemError(GPUFaultError, RuntimeSystemError):
    """A GPU fault of the hardware."""

    def __init__(self, code: str, message: str, worker: str | None = None, **fault: Any) -> None:
        RuntimeSystemError.__init__(self, code, message, worker)
        self.fault = fault


class AppleSiliconError(RuntimeUserError):
    """The SDK's Apple Silicon (Metal GPU on a devbox) errors: named so code that catches them loads here."""

    code_name = "APPLE_SILICON_ERROR"
    recoverable = True

    def __init__(self, message: str, worker: str | None = None) -> None:
        super().__init__(self.code_name, message, worker)


class AppleSiliconNotAvailableError(AppleSiliconError):
    code_name, recoverable = "APPLE_SILICON_NOT_AVAILABLE", False


class AppleSiliconHostExecFailedError(AppleSiliconError):
    code_name, recoverable = "APPLE_SILICON_HOST_EXEC_FAILED", False


class AppleSiliconDaemonStartFailedError(AppleSiliconError):
    code_name, recoverable = "APPLE_SILICON_DAEMON_START_FAILED", False


class AppleSiliconDaemonOOMError(AppleSiliconError):
    code_name = "APPLE_SILICON_DAEMON_OOM"


class AppleSiliconModelNotFoundError(AppleSiliconError):
    code_name, recoverable = "APPLE_SILICON_MODEL_NOT_FOUND", False


class AppleSiliconBridgeUnreachableError(AppleSiliconError):
    code_name = "APPLE_SILICON_BRIDGE_UNREACHABLE"


class TaskError(RuntimeUserError):
    """A task call failed; the message carries the remote traceback where there is one."""

    def __init__(self, message: str, task: str = "", attempt: int | None = None, container: str | None = None,
                 remote_traceback: str | None = None) -> None:
        BaseRuntimeError.__init__(self, type(self).__name__, "user", message, container)
        self.task = task
        self.attempt = attempt
        self.container = container
        self.remote_traceback = remote_traceback

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses the container boundary (a child's timeout reaches its parent task): keep every field.
        return (type(self), (str(self), self.task, self.attempt, self.container, self.remote_traceback))


class TaskTimeoutError(TaskError, TimeoutError):
    """An attempt ran past `timeout` (max_runtime) or waited past max_queued_time (the SDK's TaskTimeoutError)."""

    _render_traceback_ = one_line  # the message names the task, the attempt and the limit


class MaxRuntimeExceededError(TaskTimeoutError):
    """An attempt ran past Timeout.max_runtime: stopped, not retried."""


class MaxQueuedTimeExceededError(TaskTimeoutError):
    """A call waited for resources or its queue past Timeout.max_queued_time."""


class DeadlineExceededError(TaskTimeoutError):
    """A call (all its attempts, waits and backoffs) ran past Timeout.deadline."""


class TaskOOMError(TaskError, OOMError, MemoryError):
    """The container was killed for going over its memory limit (the SDK's OOMError)."""


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


class InlineIOLimitError(InlineIOMaxBytesBreached, ValueError):
    """Inputs or outputs bigger than max_inline_io_bytes: pass them as flyte.io.File / Dir instead.

    Flyte's meaning: data passed inline (by value) is capped; files, folders, arrays and data
    frames travel through the blob store and do not count. Not retried: it would fail again.
    """

    @classmethod
    def of(cls, task: str, what: str, size: int, limit: int) -> "InlineIOLimitError":
        return cls(f"task {task}: its {what} are {size:,} bytes inline, above max_inline_io_bytes={limit:,}; "
                   f"pass big data as flyte.io.File or flyte.io.Dir (numpy arrays and pandas DataFrames go by "
                   f"reference automatically), or raise max_inline_io_bytes in @env.task(...) or .override(...)")
