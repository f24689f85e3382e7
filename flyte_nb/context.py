"""`flyte.ctx()` and custom context: what a running task knows about its own call.

Kernel side, the runtime enters a TaskContext around each attempt (runtime._attempts), so an
in-process task and the payload written for a container both read it from a context variable;
in a container the shim enters the one its payload carries. Nested calls inherit the caller's
custom context (the wire carries it back to the kernel), as the SDK propagates it to sub-actions.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class ActionID:
    """The SDK's action identity: this call's name and the run (the top-level call) it belongs to."""

    name: str
    run_name: str | None = None
    project: str | None = None
    domain: str | None = None
    org: str | None = None


@dataclass(frozen=True)
class TaskContext:
    """flyte.ctx() inside a task: its action, attempt (0-based, as the SDK counts) and custom context."""

    action: ActionID
    attempt_number: int = 0
    custom_context: dict[str, str] = field(default_factory=dict)
    mode: str = "local"
    version: str = ""
    interactive_mode: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def task_action(self) -> ActionID:
        return self.action

    def is_in_cluster(self) -> bool:
        """Never here: flyte_nb runs on one machine."""
        return False

    def replace(self, **changes: Any) -> "TaskContext":
        return dataclasses.replace(self, **changes)


class _NullTaskContext(TaskContext):
    """What flyte.ctx() returns outside a task, as the SDK's: falsy, with an empty custom context."""

    def __init__(self) -> None:
        super().__init__(action=ActionID(name=""))

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NullTaskContext()"


NULL = _NullTaskContext()
_CURRENT: contextvars.ContextVar[TaskContext | None] = contextvars.ContextVar("flyte_nb_task_context", default=None)
#: flyte.with_runcontext(custom_context=...): the top-level call's custom context while it starts.
_RUN_CUSTOM: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("flyte_nb_run_custom", default={})


def ctx() -> TaskContext:
    """The running task's context; outside a task a falsy NullTaskContext (as the SDK's flyte.ctx())."""
    return _CURRENT.get() or NULL


def current() -> TaskContext | None:
    return _CURRENT.get()


def get_custom_context() -> dict[str, str]:
    """The custom context of the running task ({} outside a task): what the run or its caller passed."""
    current_context = _CURRENT.get()
    return dict(current_context.custom_context) if current_context else {}


@contextlib.contextmanager
def custom_context(**context: str) -> Iterator[None]:
    """Inside a task: tasks called in this block (and get_custom_context()) see these keys too.

    Outside a task it does nothing, as the SDK's: a run's custom context comes from with_runcontext.
    """
    current_context = _CURRENT.get()
    if current_context is None:
        yield
        return
    token = _CURRENT.set(current_context.replace(custom_context={**current_context.custom_context, **context}))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def run_custom_context(values: dict[str, str] | None) -> Iterator[None]:
    """with_runcontext(custom_context=...): the top-level call started in this block gets these keys."""
    token = _RUN_CUSTOM.set(dict(values or {}))
    try:
        yield
    finally:
        _RUN_CUSTOM.reset(token)


def for_attempt(action: str, number: int) -> TaskContext:
    """The context of attempt `number` (1-based here) of call `action`, under the caller's context if any."""
    caller = _CURRENT.get()
    custom = caller.custom_context if caller else _RUN_CUSTOM.get()
    run_name = caller.action.run_name if caller else action
    return TaskContext(action=ActionID(name=action, run_name=run_name), attempt_number=number - 1,
                       custom_context=dict(custom))


@contextlib.contextmanager
def entered(task_context: TaskContext | None) -> Iterator[None]:
    """Run a task (or start its container) inside `task_context`."""
    token = _CURRENT.set(task_context)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def to_wire(task_context: TaskContext | None) -> dict[str, Any] | None:
    """Plain data for the payload and nested-call messages (the shim must not need pydantic or this class's pickle)."""
    if task_context is None:
        return None
    action = task_context.action  # by hand: dataclasses.asdict deep-copies every field (40 us a call)
    return {"action": {"name": action.name, "run_name": action.run_name, "project": action.project,
                       "domain": action.domain, "org": action.org},
            "attempt_number": task_context.attempt_number, "custom_context": dict(task_context.custom_context),
            "mode": task_context.mode, "version": task_context.version,
            "interactive_mode": task_context.interactive_mode, "data": copy.deepcopy(task_context.data)}


def from_wire(data: dict[str, Any] | None) -> TaskContext | None:
    if not data:
        return None
    return TaskContext(**{**data, "action": ActionID(**data["action"])})
