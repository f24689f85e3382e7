"""A task's code version: a hash of its source and of the user code and values it reaches.

Flyte's default cache version is a hash of the function body. In a notebook the body is not
enough: a task calls helpers defined in other cells, reads constants, builds on classes. So
the version follows the names the function's code reads from its globals and closure,
recursively through user code (notebook cells and the user's own modules), and folds in:
the source of functions, classes (with their bases and properties) and tasks it reaches,
decorated helpers by the function they wrap, a digest of the content of the values it reads
(plain data, containers, dataclasses, arrays...), and the name and version of imported
packages. Editing a helper
in another cell, or changing a constant it reads, changes the version; re-running an
unchanged cell does not.

Every call walks again (a global may be rebound or changed at any time), but what cannot change is
computed once: the source of a code object and the global names it reads (code objects are
immutable; an edited cell makes new ones) and the digest of an immutable value (str, bytes, numbers, tuples and frozensets of them),
kept while the value lives. A repeated call or cache hit then hashes nothing it hashed before.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import sysconfig
import types
import uuid
import weakref
from typing import Any

PLAIN = (type(None), bool, int, float, complex, str, bytes)
#: Globals bigger than this are not hashed on every call (an array, a frame): they count by identity.
MAX_HASHED_BYTES = 16 * 2**20
KERNEL_NONCE = uuid.uuid4().hex[:12]


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
    return not any(marker in origin for marker in _installed_markers())


@functools.lru_cache(maxsize=1)
def _installed_markers() -> tuple[str, ...]:
    """What the file of an installed module's path contains (sysconfig.get_paths costs ~80 us a call, and
    every call of a task from a module asks once per value its code reaches)."""
    return ("site-packages", "dist-packages", sysconfig.get_paths()["stdlib"])


def user_modules(func: Any) -> set[str]:
    """The user's own modules (not __main__, not installed) that `func` reaches through its globals
    and closure, transitively: `import helpers as h; h.child()` reaches `helpers`, and whatever
    `helpers` itself imports of the user's. They must travel by value, since the image has no copy."""
    found: set[str] = set()
    seen: set[int] = set()
    pending: list[Any] = [func]
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        pending.extend(_reached(value, found))
    return found


def _reached(value: Any, found: set[str]) -> list[Any]:
    """What one value leads to, recording the user modules it belongs to in `found`."""
    from .task import TaskTemplate

    if isinstance(value, TaskTemplate):
        return [value.func]
    if isinstance(value, types.ModuleType):
        if value.__name__ == "__main__" or not is_user_module(value.__name__):
            return []
        found.add(value.__name__)
        return list(vars(value).values())
    module = getattr(value, "__module__", None)
    if not isinstance(module, str) or (module != "__main__" and not is_user_module(module)):
        return []  # installed code: the image has it
    if module != "__main__":
        found.add(module)
    if isinstance(value, type):
        return [m.__func__ if isinstance(m, (staticmethod, classmethod)) else m for m in vars(value).values()]
    if isinstance(value, types.FunctionType) or hasattr(value, "__wrapped__"):
        return _globals_of(inspect.unwrap(value))
    return []


def _globals_of(func: Any) -> list[Any]:
    """The globals a function's code reads and the values in its closure."""
    code = getattr(func, "__code__", None)
    if code is None:
        return []
    scope = getattr(func, "__globals__", {})
    values = [scope[name] for name in _read_names(code) if name in scope]
    for cell in func.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return values


def code_version(func: Any) -> str:
    """sha256 (hex) of the function's source and everything of the user's it reaches."""
    return versioned(func)[0]


def versioned(func: Any) -> tuple[str, bool]:
    """code_version, and whether it is exact: every value it reached counted by its content. Not exact
    when a value counted by its identity (too big to hash, not picklable), whose content may change in
    place while the version stays: what keeps pickled bytes by version (runners.calls) must not use it."""
    walker = _Walker(hashlib.sha256())
    walker.function(func)
    return walker.digest.hexdigest(), walker.exact


class _Walker:
    def __init__(self, digest: "hashlib._Hash") -> None:
        self.digest = digest
        self.seen: set[int] = set()
        self.exact = True  # no value counted by identity (yet)

    def content(self, value: Any) -> str:
        """_content of a value, noting when it is its identity rather than its content."""
        text = _content(value)
        if text.startswith(IDENTITY_MARK):
            self.exact = False
        return text

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
        # Defaults are evaluated when the def runs, not read from globals by the body: `def f(x, k=K)`
        # re-run after K changed has the same source and names but another default. Attributes set on
        # the function object (f.table = ...) travel with its pickle too.
        for part, value in (("defaults", func.__defaults__), ("kwdefaults", func.__kwdefaults__),
                            ("attributes", {k: v for k, v in vars(func).items() if k != "__wrapped__"})):
            if value:
                self.feed(part, self.content(value))
        scope = getattr(func, "__globals__", {})
        for name in _read_names(code):
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
        elif isinstance(value, functools.partial):
            self.feed("partial", name, self.content(value.args), self.content(value.keywords))
            self.value(f"{name}.func", value.func)
        elif isinstance(value, (types.FunctionType, types.MethodType)) or hasattr(value, "__wrapped__"):
            # A decorated helper (functools.lru_cache, wraps) counts by the function it wraps.
            inner = inspect.unwrap(getattr(value, "__func__", value))
            if is_user_module(getattr(inner, "__module__", None)) and hasattr(inner, "__code__"):
                self.feed("callable", name, type(value).__qualname__)
                self.function(inner)
            else:
                self.feed("import", name, f"{getattr(inner, '__module__', '')}.{getattr(inner, '__qualname__', '')}")
        elif isinstance(value, type):
            self.klass(name, value)
        else:
            self.feed("value", name, self.content(value))

    def klass(self, name: str, cls: type) -> None:
        """A user class by its members' code, its bases' too (a changed base method changes it)."""
        if not is_user_module(cls.__module__):
            self.feed("import", name, f"{cls.__module__}.{cls.__qualname__}")
            return
        if id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        self.feed("class", name, cls.__qualname__)
        for base in cls.__mro__[1:]:
            if is_user_module(base.__module__):
                self.klass(base.__qualname__, base)
            else:
                self.feed("base", f"{base.__module__}.{base.__qualname__}")
        for attr, member in sorted(vars(cls).items()):
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                for accessor in (member.fget, member.fset, member.fdel):
                    if accessor is not None:
                        self.value(f"{attr}.accessor", accessor)
            elif isinstance(member, types.FunctionType) or hasattr(member, "__wrapped__"):
                self.value(attr, member)
            elif not attr.startswith("__"):
                self.feed(attr, self.content(member))


#: Source text per code object (inspect.getsource tokenizes the file: the walk's main cost).
_SOURCES: "weakref.WeakKeyDictionary[types.CodeType, str]" = weakref.WeakKeyDictionary()
#: Digests of immutable values by identity, with the value kept so its id is not reused meanwhile.
_DIGESTS: dict[int, tuple[Any, str]] = {}
MAX_DIGESTS = 4096
IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, range)


def _source(obj: Any) -> str:
    """The source of a function, once per code object; of anything else (a module), each time."""
    code = getattr(obj, "__code__", None)
    if not isinstance(code, types.CodeType):
        return _read_source(obj)
    text = _SOURCES.get(code)
    if text is None:
        text = _SOURCES[code] = _read_source(obj)
    return text


def _read_source(obj: Any) -> str:
    """The source text; the bytecode and constants where there is no source (exec'd code)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is None:
            return repr(obj)
        return code.co_code.hex() + repr([c for c in code.co_consts if isinstance(c, PLAIN)])


#: The sorted names each code object may read from globals (code objects are immutable).
_NAMES: "weakref.WeakKeyDictionary[types.CodeType, tuple[str, ...]]" = weakref.WeakKeyDictionary()


def _read_names(code: types.CodeType) -> tuple[str, ...]:
    """_global_names, sorted, once per code object: every call's walk goes over them again."""
    names = _NAMES.get(code)
    if names is None:
        names = _NAMES[code] = tuple(sorted(_global_names(code)))
    return names


def _global_names(code: types.CodeType) -> set[str]:
    """Names a code object (and the code objects nested in it) may read from globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _content(value: Any) -> str:
    """What a value the code reads contributes: a digest of its content (canonical for plain data,
    dataclasses, enums and models; by pickle otherwise). Too big to hash on every call, or not
    picklable: its identity in this kernel, so a cache entry is reused only while it lives."""
    from .cache import value_digest

    known = _DIGESTS.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    size = _size_hint(value)
    if size is not None and size > MAX_HASHED_BYTES:
        return _identity(value, f"{size:,} bytes, not hashed")
    try:
        digest = value_digest(value)
    except Exception:  # noqa: BLE001 - a lock, a socket, a generator
        return _identity(value, "not picklable")
    if _immutable(value):
        if len(_DIGESTS) >= MAX_DIGESTS:
            _DIGESTS.clear()
        _DIGESTS[id(value)] = (value, digest)
    return digest


def _immutable(value: Any, depth: int = 0) -> bool:
    """Whether a value's content can never change (so its digest holds while it lives)."""
    if type(value) in IMMUTABLE:
        return True
    if type(value) in (tuple, frozenset) and depth < 8:
        return all(_immutable(item, depth + 1) for item in value)
    return False


def _size_hint(value: Any) -> int | None:
    """Bytes of an array or a data frame, cheaply; None when there is no cheap answer."""
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    usage = getattr(value, "memory_usage", None)
    if callable(usage) and hasattr(value, "columns"):
        try:
            return int(usage(deep=False).sum())
        except Exception:  # noqa: BLE001
            return None
    return None


#: How a value counted by its identity starts (a content digest is hex).
IDENTITY_MARK = "<"


def _identity(value: Any, why: str) -> str:
    return f"{IDENTITY_MARK}{type(value).__module__}.{type(value).__qualname__} ({why}) id {id(value)} in kernel {KERNEL_NONCE}>"
