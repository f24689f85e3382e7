"""A task's code version: a hash of its source and of the user code and values it reaches.

Flyte's default cache version is a hash of the function body. In a notebook the body is not
enough: a task calls helpers defined in other cells, reads constants, builds on classes. So
the version follows the names the function's code reads from its globals and closure,
recursively through user code (notebook cells and the user's own modules), and folds in:
the source of functions, classes and tasks it reaches, the repr of plain values (numbers,
strings, small containers), and the name and version of imported packages. Editing a helper
in another cell, or changing a constant it reads, changes the version; re-running an
unchanged cell does not.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import sysconfig
import types
from typing import Any

#: Values whose repr is their identity; containers of them are folded in up to this many items.
PLAIN = (type(None), bool, int, float, complex, str, bytes)
MAX_ITEMS = 1000


def is_user_module(name: str | None) -> bool:
    """__main__ (a notebook), or a module loaded from outside site-packages and the stdlib."""
    if not name:
        return False
    if name == "__main__":
        return True
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if module is None or origin is None or name.startswith("flyte_nb"):
        return False
    installed = ("site-packages", "dist-packages", sysconfig.get_paths()["stdlib"])
    return not any(marker in origin for marker in installed)


def code_version(func: Any) -> str:
    """sha256 (hex) of the function's source and everything of the user's it reaches."""
    digest = hashlib.sha256()
    _Walker(digest).function(func)
    return digest.hexdigest()


class _Walker:
    def __init__(self, digest: "hashlib._Hash") -> None:
        self.digest = digest
        self.seen: set[int] = set()

    def feed(self, *parts: str) -> None:
        for part in parts:
            self.digest.update(part.encode("utf-8", "surrogatepass") + b"\0")

    def function(self, func: Any) -> None:
        func = inspect.unwrap(func)
        if id(func) in self.seen:
            return
        self.seen.add(id(func))
        self.feed("function", getattr(func, "__qualname__", repr(func)), _source(func))
        code = getattr(func, "__code__", None)
        if code is None:
            return
        scope = getattr(func, "__globals__", {})
        for name in sorted(_global_names(code)):
            if name in scope:
                self.value(name, scope[name])
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            try:
                self.value(name, cell.cell_contents)
            except ValueError:  # an empty cell (a name not yet bound)
                self.feed("empty", name)

    def value(self, name: str, value: Any) -> None:
        from .task import TaskTemplate

        if isinstance(value, TaskTemplate):
            self.feed("task", name, value.name)
            self.function(value.func)
        elif isinstance(value, types.ModuleType):
            self.feed("module", name, value.__name__, str(getattr(value, "__version__", "")))
            if is_user_module(value.__name__) and value.__name__ != "__main__":
                self.feed(_source(value))
        elif isinstance(value, (types.FunctionType, types.MethodType)):
            if is_user_module(getattr(value, "__module__", None)):
                self.function(value)
            else:
                self.feed("import", name, f"{getattr(value, '__module__', '')}.{value.__qualname__}")
        elif isinstance(value, type):
            self.klass(name, value)
        else:
            self.feed("value", name, _plain_repr(value))

    def klass(self, name: str, cls: type) -> None:
        if not is_user_module(cls.__module__):
            self.feed("import", name, f"{cls.__module__}.{cls.__qualname__}")
            return
        if id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        self.feed("class", name, cls.__qualname__)
        for attr, member in sorted(vars(cls).items()):
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, types.FunctionType):
                self.function(member)
            elif not attr.startswith("__"):
                self.feed(attr, _plain_repr(member))


def _source(obj: Any) -> str:
    """The source text; the bytecode and constants where there is no source (exec'd code)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is None:
            return repr(obj)
        return code.co_code.hex() + repr([c for c in code.co_consts if isinstance(c, PLAIN)])


def _global_names(code: types.CodeType) -> set[str]:
    """Names a code object (and the code objects nested in it) may read from globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _plain_repr(value: Any, depth: int = 0) -> str:
    """repr of plain values and small containers of them; only the type of anything else.

    A live object's repr usually holds an address that changes every kernel, which would
    invalidate the cache for nothing; its type is what the code depends on.
    """
    if isinstance(value, PLAIN):
        return repr(value)
    if depth < 3 and isinstance(value, (list, tuple, set, frozenset)) and len(value) <= MAX_ITEMS:
        items = [_plain_repr(v, depth + 1) for v in value]
        return f"{type(value).__name__}({', '.join(sorted(items) if isinstance(value, (set, frozenset)) else items)})"
    if depth < 3 and isinstance(value, dict) and len(value) <= MAX_ITEMS:
        items = sorted(f"{_plain_repr(k, depth + 1)}: {_plain_repr(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"
