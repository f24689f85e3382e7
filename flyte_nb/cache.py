"""The task cache: outputs kept on disk, keyed by what a call would compute.

Key (Flyte's meaning of cache="auto"): task name, interface (signature with its types),
code version (codeversion.py, or Cache.version_override), the inputs minus
Cache.ignored_inputs, the image's content hash, and Cache.salt. Entries live under the
user's cache dir (FLYTE_NB_CACHE_DIR), one file each, written atomically (temp file +
rename) with a header that carries the body's length and sha256: a truncated or corrupt
entry is detected on read, reported once, removed and recomputed, never returned.

An output that contains a secret's value is not written: secrets never reach the cache.
`flyte.cache.list()`, `flyte.cache.clear()` and `%flyte_cache` show and empty it.

A hit is meant to cost less than two round trips to the runtime loop: a blocking call whose key
is quick is served in the caller's thread, without the hop (Runtime.hit_here); the signature is
read once per function, the code version hashes only what changed (codeversion.py), and an entry
this kernel wrote, or read before, unchanged on disk (same inode, size and mtime: see _Known) is
not read and checksummed again: a hit costs a stat and an unpickle, a fresh copy every time.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import enum
import functools
import hashlib
import inspect
import json
import os
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import cloudpickle

from .codeversion import PLAIN, _size_hint, code_version
from .config.cache import Cache, normalize_cache
from .notices import notice
from .paths import cache_dir, private_dir, remove_quietly

if TYPE_CHECKING:
    from .config.resolve import Resolution
    from .task import TaskTemplate

MAGIC = b"flyte-nb-cache 1\n"
#: Sentinel for "no usable entry" (None is a valid cached output).
MISS: Any = object()


class CorruptEntryError(Exception):
    """An entry whose body does not match its header (truncated, edited, half-written by a crash)."""


@dataclass(frozen=True)
class Entry:
    """One cached output, as `flyte.cache.list()` shows it (the output itself stays on disk)."""

    task: str
    key: str
    created: float
    size: int
    output_type: str
    run: str | None
    path: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def root() -> Path:
    return cache_dir() / "outputs"


#: The Cache of a resolution (by id, kept with it so its id is not reused): "auto" builds a model each time.
_BEHAVIORS: "dict[int, tuple[Resolution, Cache]]" = {}


def behavior(settings: "Resolution") -> Cache:
    """The resolved `cache` setting as a Cache; once per resolution (a task's is reused while unchanged)."""
    known = _BEHAVIORS.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    cache = normalize_cache(settings.value("cache"))
    if len(_BEHAVIORS) >= 1024:
        _BEHAVIORS.clear()
    _BEHAVIORS[id(settings)] = (settings, cache)
    return cache


def max_age(cache: Cache) -> float | None:
    """Cache.max_age in seconds (None: entries never expire)."""
    return cache.max_age.total_seconds() if cache.max_age else None


# ---- the key -----------------------------------------------------------------------------------
#: A function's signature text and parameter names (inspect.signature costs tens of microseconds).
_SIGNATURES: "weakref.WeakKeyDictionary[Any, tuple[str, frozenset[str]]]" = weakref.WeakKeyDictionary()
#: Seconds the last two keys of a function took: quick ones are computed in the runtime's loop (key_is_quick).
_KEY_SECONDS: "weakref.WeakKeyDictionary[Any, tuple[float, float]]" = weakref.WeakKeyDictionary()
QUICK_KEY = 0.0005


def _signature(func: Any) -> tuple[str, frozenset[str]]:
    known = _SIGNATURES.get(func)
    if known is None:
        signature = inspect.signature(func)
        known = _SIGNATURES[func] = (str(signature), frozenset(signature.parameters))
    return known


def key_is_quick(task: "TaskTemplate", bound: inspect.BoundArguments) -> bool:
    """Whether one of this task's last two keys took under QUICK_KEY seconds and no input is big (an
    array, a long string): then it is computed in the runtime's loop (or a hit is served in the caller's
    thread: Runtime.hit_here), else on a thread. Two, so that one key a busy machine slowed (the thread
    preempted) does not send the next call the slow way; a key that became slow (a big global) is
    slow twice."""
    if min(_KEY_SECONDS.get(task.func, (1.0, 1.0))) >= QUICK_KEY:
        return False
    for value in bound.arguments.values():
        size = len(value) if isinstance(value, (str, bytes, bytearray, builtins.list, tuple, dict, set)) \
            else _size_hint(value)
        if size is not None and size > 4096:
            return False
    return True


def cache_key(task: "TaskTemplate", bound: inspect.BoundArguments, settings: "Resolution") -> str:
    """sha256 of everything that determines the output of a cached call."""
    started = time.perf_counter()
    cache = behavior(settings)
    digest = hashlib.sha256()
    image = settings.value("image")
    signature, parameters = _signature(task.func)
    for part in (task.name, signature, cache.version_override or code_version(task.func),
                 image.digest if hasattr(image, "digest") else repr(image), cache.salt):
        digest.update(part.encode() + b"\0")
    ignored = set(cache.ignored_inputs)
    arguments = dict(bound.arguments)
    unknown = ignored - parameters
    if unknown:
        from .config.errors import ConfigError

        raise ConfigError(f"cache: ignored_inputs {sorted(unknown)} are not inputs of task {task.name}",
                          parameter="cache", value=cache, level="decorator")
    for name in sorted(arguments):
        if name not in ignored:
            digest.update(name.encode() + b"=")
            digest.update(value_digest(arguments[name]).encode() + b"\0")
    try:
        seconds = time.perf_counter() - started
        _KEY_SECONDS[task.func] = (seconds, _KEY_SECONDS.get(task.func, (seconds,))[0])
    except TypeError:  # a callable that takes no weak reference: always on a thread
        pass
    return digest.hexdigest()


def value_digest(value: Any) -> str:
    """A stable digest of an input: canonical for plain data (sets and dicts in any order),
    by content for objects that offer `cache_digest()` (flyte_nb.io.File/Dir), else by pickle."""
    digest = hashlib.sha256()
    _canonical(value, digest)
    return digest.hexdigest()


def _canonical(value: Any, digest: "hashlib._Hash") -> None:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        digest.update(f"{type(value).__name__}:{value!r}".encode() + b"\0")
    elif isinstance(value, (builtins.list, tuple)):
        digest.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item in value:
            _canonical(item, digest)
    elif isinstance(value, (set, frozenset)):
        digest.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item_digest in sorted(value_digest(item) for item in value):
            digest.update(item_digest.encode())
    elif isinstance(value, dict):
        digest.update(f"dict[{len(value)}]".encode())
        for key_digest, item in sorted((value_digest(k), v) for k, v in value.items()):
            digest.update(key_digest.encode())
            _canonical(item, digest)
    elif hasattr(value, "cache_digest"):
        digest.update(f"{type(value).__qualname__}:{value.cache_digest()}".encode())
    elif isinstance(value, enum.Enum):
        digest.update(f"enum:{_type_name(value)}.{value.name}".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        # By fields, not by pickle: a notebook class pickles by value with a per-kernel id.
        digest.update(f"dataclass:{_type_name(value)}".encode())
        for item in dataclasses.fields(value):
            digest.update(item.name.encode() + b"=")
            _canonical(getattr(value, item.name), digest)
    elif hasattr(type(value), "model_fields") and hasattr(value, "model_dump"):  # a pydantic model
        digest.update(f"model:{_type_name(value)}".encode())
        _canonical(value.model_dump(), digest)
    else:
        digest.update(cloudpickle.dumps(value, protocol=5))


def _type_name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


# ---- the store ---------------------------------------------------------------------------------
def _path(task: str, key: str) -> Path:
    env = os.environ
    own = env.get("FLYTE_NB_CACHE_DIR")
    if own:  # it places the cache dir alone (paths.cache_dir): the others need not be read, on every hit
        return _path_under(own, None, None, task, key)
    return _path_under(own, env.get("XDG_CACHE_HOME"), env.get("HOME"), task, key)


@functools.lru_cache(maxsize=1024)
def _path_under(*where_and_entry: str | None) -> Path:
    """An entry's path for the env vars that place the cache dir (paths.cache_dir reads them), memoized."""
    task, key = str(where_and_entry[-2]), str(where_and_entry[-1])
    return root() / _safe(task) / f"{key}.entry"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def read(task: str, key: str, max_age: float | None = None) -> Any:
    """The cached output, or MISS (also for an expired or corrupt entry, which is removed)."""
    path = _path(task, key)
    try:
        header, body = _load(path)
    except FileNotFoundError:
        return MISS
    except CorruptEntryError as error:
        notice(f"cache: the entry of task {task} at {path} is corrupt ({error}); removed, recomputing")
        remove_quietly(path)  # an entry that cannot be removed is still only a miss
        return MISS
    except OSError as error:  # a directory where the entry is, a file where its folder is, no permission
        notice(f"cache: the entry of task {task} at {path} cannot be read ({type(error).__name__}: "
               f"{error.strerror or error}); recomputing")
        return MISS
    if max_age is not None and time.time() - header["created"] > max_age:
        return MISS
    try:
        value = cloudpickle.loads(body)
    except Exception as error:  # noqa: BLE001 - e.g. the class of the output was renamed since
        notice(f"cache: the entry of task {task} at {path} cannot be loaded any more ({type(error).__name__}: "
               f"{error}); removed, recomputing")
        remove_quietly(path)
        return MISS
    missing = _missing_blobs(value)
    if missing:
        notice(f"cache: the entry of task {task} refers to {missing} which no longer exists; recomputing")
        return MISS
    return value


def _missing_blobs(value: Any, depth: int = 0) -> str | None:
    """A File or Dir in the output whose data is gone from the blob store (a hit must not return it)."""
    if isinstance(value, PLAIN):  # most outputs: no need to import the blob store's types (flyte_nb.io)
        return None
    from .io import Dir, File

    if isinstance(value, (File, Dir)):
        return None if value.exists_sync() else repr(value)
    if depth < 4 and isinstance(value, (builtins.list, tuple, set, frozenset)):
        return next((m for m in (_missing_blobs(v, depth + 1) for v in value) if m), None)
    if depth < 4 and isinstance(value, dict):
        return next((m for m in (_missing_blobs(v, depth + 1) for v in value.values()) if m), None)
    return None


def write(task: str, key: str, value: Any, *, run: str | None, secrets: list[str]) -> Path | None:
    """Store an output atomically; not when it cannot be pickled or holds a secret's value."""
    try:
        body = cloudpickle.dumps(value, protocol=5)
    except Exception as error:  # noqa: BLE001 - an output that cannot be pickled is just not cached
        notice(f"cache: the output of task {task} ({type(value).__name__}) cannot be cached: {error}")
        return None
    if any(secret and secret.encode() in body for secret in secrets):
        notice(f"cache: the output of task {task} contains a secret's value; not cached")
        return None
    header = {"task": task, "key": key, "created": time.time(), "size": len(body),
              "sha256": hashlib.sha256(body).hexdigest(), "output_type": type(value).__qualname__, "run": run}
    path = _path(task, key)
    try:
        private_dir(path.parent)  # every folder up to the cache dir made 0700 (paths.private_dir)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError as error:
        notice(f"cache: the output of task {task} was not cached: {error}")
        return None
    try:
        with os.fdopen(fd, "wb", closefd=False) as file:
            file.write(MAGIC + json.dumps(header).encode() + b"\n" + body)
            file.flush()
            os.fsync(file.fileno())
        written = os.fstat(fd)
        os.replace(tmp, path)
    except OSError as error:  # a full disk must not fail a call that succeeded
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        notice(f"cache: the output of task {task} was not cached: {error}")
        return None
    except BaseException:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    _remember(path, _Known(_identity(written), header, body, hold=fd))  # the next hit reads no file
    return path


#: The header fields a read relies on, with their types.
_HEADER_FIELDS: dict[str, Any] = {"task": str, "key": str, "created": (int, float), "size": int, "sha256": str,
                                  "output_type": str}


@dataclass
class _Known:
    """An entry this kernel read and verified, or wrote: the file's identity then, its header and body.

    A hit answers from it after one stat, while the file's (inode, size, mtime) is unchanged. An entry
    read is remembered only once its mtime is over SETTLED_SECONDS old: any later change of the file
    (replaced, rewritten) then has a later mtime. An entry this kernel wrote is remembered at once, with
    an open descriptor on its file (`hold`) until it settles: while it is held its inode number cannot
    be reused, so a file that replaced it has another inode, whatever the timestamp granularity.
    """

    identity: tuple[int, int, int]
    header: dict[str, Any]
    body: bytes
    hold: int | None = None


#: Entries known: path -> _Known. Used from the runtime's loop, its threads and callers' threads at once
#: (Runtime.hit_here): changed only under _READ_LOCK.
_READ: dict[Path, _Known] = {}
_READ_LOCK = threading.Lock()
MAX_READ_ENTRIES = 256
MAX_READ_BYTES = 2**20
#: At most this many unsettled written entries are held open (each costs a file descriptor).
MAX_HELD = 64
#: An entry written this recently may still change within the file system's timestamp granularity.
SETTLED_SECONDS = 1.0


#: read_if_read_before's answer for an entry this kernel has not read yet.
UNREAD: Any = object()


def read_if_read_before(task: str, key: str, max_age: float | None = None) -> Any:
    """read(), when this kernel read or wrote the entry before (then it costs a stat and an unpickle: the
    runtime does it in its loop); UNREAD otherwise (read it on a thread)."""
    return read(task, key, max_age) if _path(task, key) in _READ else UNREAD


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _load(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        _forget(path)
        raise
    known = _READ.get(path)
    if known is not None and known.identity == _identity(stat):
        if known.hold is not None and time.time() - stat.st_mtime > SETTLED_SECONDS:
            _settle(path)
        return known.header, known.body
    header, body = _verify(path.read_bytes())
    if time.time() - stat.st_mtime > SETTLED_SECONDS:
        _remember(path, _Known(_identity(stat), header, body))
    else:
        _forget(path)
    return header, body


def _remember(path: Path, known: _Known) -> None:
    """Keep an entry (replacing what was known of that path); a big one, or one held open past
    MAX_HELD, is not kept (its descriptor is closed). Entries held open that have settled meanwhile are
    let go: only those written within SETTLED_SECONDS stay open, whether or not they are read again."""
    settled = (time.time() - SETTLED_SECONDS) * 1e9
    with _READ_LOCK:
        _drop(_READ.pop(path, None))
        for other in _READ.values():
            if other.hold is not None and other.identity[2] < settled:
                _drop(other)
        held = known.hold is not None and sum(k.hold is not None for k in _READ.values()) >= MAX_HELD
        if len(known.body) > MAX_READ_BYTES or held:
            _drop(known)
            return
        if len(_READ) >= MAX_READ_ENTRIES:
            _drop(_READ.pop(next(iter(_READ))))
        _READ[path] = known


def _forget(path: Path) -> None:
    with _READ_LOCK:
        _drop(_READ.pop(path, None))


def _settle(path: Path) -> None:
    """A held entry is over SETTLED_SECONDS old: from now on its mtime tells a change, close its file."""
    with _READ_LOCK:
        known = _READ.get(path)
        if known is not None:
            _drop(known)


def _drop(known: _Known | None) -> None:
    """Close the descriptor a known entry holds, if any (under _READ_LOCK)."""
    if known is not None and known.hold is not None:
        os.close(known.hold)
        known.hold = None


def _verify(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and body of an entry's bytes, or CorruptEntryError."""
    if not data.startswith(MAGIC):
        raise CorruptEntryError("bad header")
    head, sep, body = data[len(MAGIC):].partition(b"\n")
    try:
        header = json.loads(head) if sep else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise CorruptEntryError("unreadable header")
    for field, kind in _HEADER_FIELDS.items():  # an edited header must not fail the call later (created - time)
        if not isinstance(header.get(field), kind) or isinstance(header.get(field), bool):
            raise CorruptEntryError(f"header field {field!r} is missing or not a {kind}")
    if len(body) != header.get("size"):
        raise CorruptEntryError(f"truncated: {len(body)} of {header.get('size')} bytes")
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise CorruptEntryError("checksum mismatch")
    return header, body


def _entry_paths(task: str | None) -> Iterator[Path]:
    """The entry files of one task, or of all."""
    base = root()
    folders = [base / _safe(task)] if task else (sorted(base.iterdir()) if base.is_dir() else [])
    for folder in folders:
        if folder.is_dir():
            yield from folder.glob("*.entry")


def list(task: str | None = None) -> "list[Entry]":  # noqa: A001 - flyte.cache.list(), like the SDK's verbs
    """The entries on disk (newest first), optionally of one task."""
    entries = []
    for path in _entry_paths(task):
        try:
            header, _ = _load(path)
        except (OSError, CorruptEntryError):
            continue
        entries.append(Entry(task=header["task"], key=header["key"], created=header["created"],
                             size=header["size"], output_type=header["output_type"], run=header.get("run"),
                             path=str(path)))
    return sorted(entries, key=lambda e: e.created, reverse=True)


def clear(task: str | None = None) -> int:
    """Remove the entries (of one task, or all); returns how many."""
    removed = 0
    for path in _entry_paths(task):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


# ---- serialize=True ----------------------------------------------------------------------------
_locks: dict[str, asyncio.Lock] = {}


def lock(key: str) -> asyncio.Lock:
    """One lock per key on the runtime's loop: identical concurrent calls wait for the first."""
    return _locks.setdefault(key, asyncio.Lock())
