"""Nested calls: a task inside a container asks the kernel to run another task, by registered name.

The container sends data only: the task's name, the code version of the function it holds, the overrides
its call site made (setting models encoded as data) and the arguments encoded by the callee's type hints
(flyte_nb.codec). The kernel looks the name up in its own registry, checks the version, applies the
overrides through task.override() (validated as any override) and runs the registered task with the
settings the kernel resolves. A container never submits a function, a TaskTemplate or a pickle, and the
overrides it may send exclude `secrets` and `pod_template`: it gets no secret, user id or pod setting
beyond what the callee's own settings (as the kernel knows them) grant.
"""

from __future__ import annotations

import hashlib
import inspect
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import codec, protocol

if TYPE_CHECKING:
    from .task import TaskTemplate

#: Overrides a container may not make on the calls it sends: they would grant what the callee's settings do not.
REFUSED_OVERRIDES = ("secrets", "pod_template")
#: A group name a container sends is cut to this many characters.
GROUP_CHARS = 200


class NestedCallError(LookupError):
    """A nested call the kernel refuses: an unknown task, another code version, or a refused override."""


def code_version(func: Any) -> str:
    """A digest of the function's code objects (bytecode, constants, names): equal in the kernel and in a
    container that received the function by value, different once a cell redefines its body."""
    digest = hashlib.sha256()
    _feed_code(digest, getattr(func, "__code__", None))
    return digest.hexdigest()[:16]


def _feed_code(digest: "hashlib._Hash", code: Any) -> None:
    if code is None:
        return
    digest.update(code.co_code)
    digest.update(repr((code.co_name, code.co_names, code.co_varnames)).encode())
    for const in code.co_consts:
        if inspect.iscode(const):
            _feed_code(digest, const)
        elif isinstance(const, frozenset):  # `x in {"a", "b"}`: its order follows the per-process hash seed
            digest.update(repr(sorted(map(repr, const))).encode())
        else:
            digest.update(repr(const).encode())


def _settings_hint() -> Any:
    """Every setting model a parameter value can be, as one Union (and tuples/lists of them)."""
    from .config.model import Setting

    classes = _subclasses(Setting)
    one = typing.Union[tuple(classes)]  # type: ignore[valid-type]
    return typing.Union[one, tuple[one, ...], list[one]]  # type: ignore[valid-type]


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


# ---- in the container -----------------------------------------------------------------------------
def call_through(controller: tuple[str, str], task: "TaskTemplate", bound: inspect.BoundArguments) -> Any:
    """Send the call to the kernel's controller and return the callee's output (or raise its error)."""
    from . import context as task_context
    from .grouping import current_group
    from .relay import MAP_ITEM
    from .remote import unpack_error

    path, token = controller
    hints = codec.task_hints(task.name, task.func)
    arguments = {name: codec.encode(value, hints.get(name, Any), owned=True)[0]
                 for name, value in bound.arguments.items()}
    overrides = {name: codec.encode(_plain(value), _settings_hint(), owned=True)[0]
                 for name, value in task.override_settings.items()}
    reply = protocol.request(path, {"op": "call", "task": task.name, "version": code_version(task.func),
                                    "overrides": overrides, "arguments": arguments,
                                    "context": task_context.to_wire(task_context.current()),
                                    "map_item": MAP_ITEM.get(), "group": current_group()}, token)
    if reply.get("ok"):
        return codec.decode(reply["value"], hints.get("return", Any), pickles=True)  # the kernel's own value
    raise unpack_error(reply["error"], f"nested call of task {task.name}")


# ---- in the kernel --------------------------------------------------------------------------------
def resolve_request(message: dict[str, Any], pickles: bool) -> tuple["TaskTemplate", inspect.BoundArguments]:
    """The registered task and its arguments for a container's call request; NestedCallError if refused."""
    from .registry import registry

    name = message.get("task")
    task = registry().defined(str(name))
    if task is None:
        raise NestedCallError(f"nested call of task {name!r}: no task of that name is registered in the kernel; "
                              f"a task can only call tasks defined in the notebook or its modules")
    version = code_version(task.func)
    if message.get("version") != version:
        raise NestedCallError(f"nested call of task {name}: the container holds code version "
                              f"{message.get('version')!r} but the kernel's task is at {version!r} (was its cell "
                              f"re-run with another body, or did the task define its own?)")
    overrides = dict(message.get("overrides") or {})
    refused = sorted(set(overrides) & set(REFUSED_OVERRIDES))
    if refused:
        raise NestedCallError(f"nested call of task {name}: a task cannot override {', '.join(refused)} of the "
                              f"tasks it calls; set them in the callee's environment or decorator")
    if overrides:
        hint = _settings_hint()
        task = task.override(**{key: codec.decode(tree, hint, pickles=False, what=f"override {key}")
                                for key, tree in overrides.items()})
    hints = codec.hints_of(task.func)
    arguments = {key: codec.decode(tree, hints.get(key, Any), pickles=pickles, what=f"input {key}")
                 for key, tree in dict(message.get("arguments") or {}).items()}
    return task, _rebind(task, arguments)


def _rebind(task: "TaskTemplate", arguments: dict[str, Any]) -> inspect.BoundArguments:
    """bound.arguments (by parameter name, as the container sent them) back to a call of the task."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(task.func).parameters.items():
        if name not in arguments:
            continue
        if parameter.kind is parameter.VAR_POSITIONAL:
            args.extend(arguments[name])
        elif parameter.kind is parameter.VAR_KEYWORD:
            kwargs.update(arguments[name])
        elif parameter.kind is parameter.POSITIONAL_ONLY:
            args.append(arguments[name])
        else:
            kwargs[name] = arguments[name]
    return task.bind(tuple(args), kwargs)


def map_item(message: dict[str, Any]) -> tuple[str, int] | None:
    """The flyte.map item a container's call is ([map id, index] on the wire), None when not one or malformed."""
    item = message.get("map_item")
    if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and type(item[1]) is int:
        return item[0][:64], item[1]
    return None


def group_of(message: dict[str, Any]) -> str | None:
    """The flyte.group the container's task body started the call in (a str, bounded), else None."""
    name = message.get("group")
    return name[:GROUP_CHARS] if isinstance(name, str) else None


def reply_value(task: "TaskTemplate", value: Any) -> Any:
    """The callee's output for the container (the kernel's own value: the pickle fallback is fine there)."""
    return codec.encode(value, codec.return_hint(task.func), owned=True)[0]
