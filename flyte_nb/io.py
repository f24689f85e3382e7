"""flyte.io.File and flyte.io.Dir: data that travels by reference, through a local blob store.

Inputs and outputs travel pickled through the call folder, up to max_inline_io_bytes. Big
data should not: a File or Dir is a reference (a key) into the blob store, a folder under
the user's data dir that every task container mounts at /flyte/blobs. A task writes its
output straight into the store (File.new_remote() then open("wb")), so large results move
at disk speed with no copy through the kernel's pipes, and the kernel reads the same file.

The API follows the flyte SDK: from_local / from_local_sync, new_remote, open (a context
manager usable with `with` and `async with`), download / download_sync, exists, path;
Dir.walk / walk_sync / list_files / list_files_sync. Files made by from_local are content
addressed (their key is their sha256), which also makes them cheap cache keys.

Big numpy arrays inside inputs and outputs travel the same way (`.npy` files, mapped copy-on-write by
the reader: load_array). The bytes are written once per direction at most: an input array a task
returns unwritten goes back as its input's key (unmodified_input), and removing a big file frees its
pages off the call's path (unlink_soon). The store stays on disk. A tmpfs (/dev/shm) is steadier under
load (1 GB numpy.save, 8 interleaved rounds at load 33 on 2 cores: median 0.73 s vs 1.8 s to the disk's
page cache, no writeback throttling) but not faster when the machine is calmer (0.7-1.1 s vs 0.45-3.4 s
at load 5), and its pages cannot be reclaimed: a container's output written there counts against the
container's memory limit (OOM where the page cache would be dropped), and a crashed kernel's files
would pin RAM until someone removes them. Moving inputs there needs a second mount per container.
"""

from __future__ import annotations

# asyncio, shutil and concurrent.futures are imported where used: a task that only gets or returns arrays
# imports this module to read them, and those three took 93 ms of it inside a container (-X importtime)
import contextvars
import dataclasses
import functools
import hashlib
import os
import re
import uuid
import weakref
from pathlib import Path, PurePosixPath
from typing import IO, Any, AsyncIterator, Generic, Iterator, TypeVar

from .paths import PRIVATE_DIR, data_dir, private_dir

MOUNT = "/flyte/blobs"
#: The store's top folders: content-addressed files, copied folders, new outputs, arrays/frames in pickles.
AREAS = ("sha256", "dirs", "new", "pickled")
CHUNK = 1 << 20


def host_root() -> Path:
    """The blob store on the machine running the kernel ($FLYTE_NB_BLOB_DIR, else <data dir>/blobs)."""
    return _host_root(os.environ.get("FLYTE_NB_BLOB_DIR"), data_dir())


@functools.lru_cache(maxsize=16)
def _host_root(blob_dir: str | None, data: Path) -> Path:
    """host_root per $FLYTE_NB_BLOB_DIR and data dir (every warm call asks)."""
    return Path(blob_dir) if blob_dir else data / "blobs"


def root() -> Path:
    """Where the store is for this process: the mount inside a task's container, else the host folder."""
    return Path(os.environ.get("FLYTE_NB_BLOB_ROOT") or host_root())


#: The store's folders: owner and group only (tasks reach it through their uid or the store's group).
STORE_MODE = 0o770


def prepare_host_root() -> Path:
    """Create the store private from the start: 0770, owned by the tasks' uid:gid when the kernel is
    root (containers of other uids, a pod template's runAsUser, join its group), else 0700, the kernel
    user's. A store left by an older version (areas 1777) is narrowed the same way."""
    from .identity import TASK_GID, TASK_UID

    folder = host_root()
    paths = (folder, *(folder / area for area in AREAS))
    if folder in _PREPARED and all(path.is_dir() for path in paths):
        return folder  # prepared by this kernel before (every call's payload asks): a stat per folder
    mode = STORE_MODE if os.getuid() == 0 else PRIVATE_DIR
    for path in paths:
        made = not path.exists()
        private_dir(path, mode)
        if os.getuid() == 0 and (made or path.stat().st_uid == 0):
            os.chown(path, TASK_UID, TASK_GID)
    _PREPARED.add(folder)
    return folder


#: Stores this kernel prepared (modes and owners set): prepare_host_root only checks they are still there.
_PREPARED: set[Path] = set()


class LocalFileNotFoundError(FileNotFoundError, ValueError):
    """from_local of a path that is not there: a FileNotFoundError, and the ValueError the SDK raises."""


class BlobKeyError(ValueError):
    """A File/Dir key, or a path in the store, that leads outside the store (`..`, absolute, a symlink)."""


def confine(key: str) -> str:
    """A key as the store accepts it: a relative path with no `..`, no NUL; else BlobKeyError.

    Keys arrive from containers (a task's output), so they are checked before any path is made of them.
    """
    text = str(key)
    parts = PurePosixPath(text).parts
    if not text or "\0" in text or text.startswith("/") or ".." in parts:
        raise BlobKeyError(f"blob key {text!r}: a File or Dir key must be a relative path inside the blob "
                           f"store (no '..', not absolute); the kernel reads nothing outside {root()}")
    return text


def _writable_root() -> Path:
    """The store, about to be written: on the host it is created private first (prepare_host_root),
    so no folder of it is ever made with the process's umask."""
    if not os.environ.get("FLYTE_NB_BLOB_ROOT"):
        prepare_host_root()
    return root()


def located(key: str) -> Path:
    """The path of a key in this process's store, refused (BlobKeyError) when it or a symlink on the way
    resolves outside the store: a task that plants a symlink cannot make the kernel read or delete
    host files."""
    base = root()
    path = base / confine(key)
    real_base = base.resolve()
    resolved = path.resolve()
    if resolved != real_base and real_base not in resolved.parents:
        raise BlobKeyError(f"blob key {key!r} resolves to {resolved}, outside the blob store {real_base} "
                           f"(a symlink out of the store); refused")
    return path


def _check_tree(folder: Path) -> None:
    """Every entry under a stored folder stays in the store (before it is copied or hashed)."""
    base = root()
    for item in folder.rglob("*"):
        located(str(item.relative_to(base)))


def _hash_with(hash_method: Any, source: Path) -> str | None:
    """The SDK's hash_method: a precomputed hash (str), or a HashMethod fed the file's bytes."""
    if hash_method is None or isinstance(hash_method, str):
        return hash_method
    with open(source, "rb") as file:
        while chunk := file.read(CHUNK):
            hash_method.update(chunk)
    return str(hash_method.result())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def _in_thread(function: Any, *args: Any) -> Any:
    """asyncio.to_thread, importing asyncio only when an async method of a File/Dir is used."""
    import asyncio

    return await asyncio.to_thread(function, *args)


class _Opened:
    """open()'s result: a context manager for `with` and `async with` alike (SDK code uses both)."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path, self.mode = path, mode
        self.file: IO[Any] | None = None

    def __enter__(self) -> IO[Any]:
        if any(flag in self.mode for flag in "wax"):
            _writable_root()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, self.mode)  # noqa: SIM115 - closed in __exit__
        return self.file

    def __exit__(self, *exc: Any) -> None:
        assert self.file is not None
        self.file.close()

    async def __aenter__(self) -> "_AsyncHandle":
        return _AsyncHandle(self.__enter__())

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__(*exc)


#: The file methods `async with file.open()`'s handle awaits, as aiofiles' (the SDK's handle is aiofiles').
_AWAITED = ("close", "detach", "fileno", "flush", "isatty", "peek", "read", "read1", "readable", "readinto",
            "readline", "readlines", "seek", "seekable", "tell", "truncate", "writable", "write", "writelines")
#: Attributes read as they are (not awaited).
_PLAIN = ("closed", "mode", "name", "raw")


class _AsyncHandle:
    """What `async with file.open()` yields, as in the SDK (an aiofiles handle): every file method is awaited
    (`await fh.read()`, `await fh.readlines()`), and runs in a thread so a big file does not block the event
    loop; `closed`, `mode`, `name`, `raw` are plain attributes; `async for line in fh` reads lines."""

    def __init__(self, file: IO[Any]) -> None:
        self.file = file

    def __getattr__(self, name: str) -> Any:
        if name in _PLAIN:
            return getattr(self.file, name)
        if name not in _AWAITED:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        method = getattr(self.file, name)

        async def awaited(*args: Any, **kwargs: Any) -> Any:
            return await _in_thread(lambda: method(*args, **kwargs))

        awaited.__name__ = name
        return awaited

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_AWAITED, *_PLAIN})

    def __aiter__(self) -> "_AsyncHandle":
        return self

    async def __anext__(self) -> Any:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


T = TypeVar("T")
#: The key of the SDK's EmptyDir sentinel (its path, "::flyte-empty-dir::", which no real path can be).
EMPTY_DIR_KEY = "::flyte-empty-dir::"


class _Stored(Generic[T]):
    """What File and Dir share: a key into the store, resolved to a path where the code runs
    (the kernel's folder, or the container's mount), and pickled as that key alone."""

    def __init__(self, key: str | None = None, name: str | None = None, *, path: str | os.PathLike[str] | None = None,
                 format: str = "", hash: str | None = None) -> None:  # noqa: A002 - the SDK's field names
        if (key is None) == (path is None):
            raise TypeError(f"{type(self).__name__}(): give exactly one of path= (as in the SDK) or a store key, "
                            f"got key={key!r}, path={path!r}")
        self.key = confine(key if key is not None else _key_of(path))
        self.name = name or Path(self.key).name
        self.format, self.hash = format, hash

    @classmethod
    def _existing(cls: type[_S], remote_path: str | os.PathLike[str], cache_key: str | None) -> _S:
        """One for a path (or key) already inside the store; the SDK's cache key becomes `.hash`."""
        return cls(path=remote_path, hash=cache_key)

    @classmethod
    def from_local_sync(cls: type[_S], local_path: str | os.PathLike[str]) -> _S:
        raise NotImplementedError

    @property
    def path(self) -> str:
        return str(located(self.key))

    def __fspath__(self) -> str:
        return self.path

    def exists_sync(self) -> bool:
        raise NotImplementedError

    async def exists(self) -> bool:
        return self.exists_sync()

    def download_sync(self, local_path: str | os.PathLike[str] | None = None) -> str:
        raise NotImplementedError

    async def download(self, local_path: str | os.PathLike[str] | None = None) -> str:
        return await _in_thread(self.download_sync, local_path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.key, self.name, self.format, self.hash))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.key == self.key

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.key))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


_S = TypeVar("_S", bound=_Stored)  # type: ignore[type-arg]


def _rebuild(cls: type[_S], key: str, name: str, format: str, hash: str | None) -> _S:  # noqa: A002
    """Unpickling: the key is confined again, since it may come from a container."""
    return cls(key, name, format=format, hash=hash)


def _key_of(path: str | os.PathLike[str]) -> str:
    """The store key of `path=`: a path under the store (absolute, or the mount inside a task), or a key."""
    text = os.fspath(path)
    for base in (root(), Path(MOUNT), host_root()):
        if Path(text).is_absolute() and (Path(text) == base or base in Path(text).parents):
            return str(Path(text).relative_to(base))
    if Path(text).is_absolute():
        raise BlobKeyError(f"path={text!r}: not inside the blob store {root()}; use File.from_local / "
                           f"Dir.from_local to put a local file or folder in the store")
    return text


class File(_Stored[T]):
    """A file in the blob store; pickles as its key, so only the reference crosses a call."""

    # ---- making one -------------------------------------------------------------------------
    @classmethod
    def from_local_sync(cls, local_path: str | os.PathLike[str], remote_destination: str | None = None,
                        hash_method: Any = None, chunk_size: int | None = None,
                        max_concurrency: int | None = None) -> "File[T]":
        """Copy a local file into the store (content addressed: the same bytes give the same key).

        `hash_method`, as in the SDK: a str is the file's precomputed hash; an object with
        update()/result() (the SDK's HashMethod) is fed the bytes. Either becomes `.hash`, which
        the cache keys on. The other SDK arguments tune remote uploads and change nothing here.
        """
        source = Path(local_path)
        if not source.is_file():
            raise LocalFileNotFoundError(f"File.from_local(local_path={str(source)!r}): no such file")
        digest = _sha256(source)
        key = f"sha256/{digest}/{source.name}"
        target = _writable_root() / key
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            import shutil

            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        return cls(key, hash=_hash_with(hash_method, source))

    @classmethod
    async def from_local(cls, local_path: str | os.PathLike[str], remote_destination: str | None = None,
                         hash_method: Any = None, chunk_size: int | None = None,
                         max_concurrency: int | None = None) -> "File[T]":
        return await _in_thread(cls.from_local_sync, local_path, remote_destination, hash_method)

    @classmethod
    def from_existing_remote(cls, remote_path: str | os.PathLike[str], file_cache_key: str | None = None) -> "File[T]":
        return cls._existing(remote_path, file_cache_key)

    @classmethod
    def new_remote(cls, file_name: str | None = None, hash_method: Any = None) -> "File[T]":
        """A new, empty place in the store to write an output to (then `open("wb")`)."""
        return cls(f"new/{uuid.uuid4().hex}/{file_name or 'data'}",
                   hash=hash_method if isinstance(hash_method, str) else None)

    @classmethod
    def named_remote(cls, name: str) -> "File[T]":
        """A new place in the store with a given file name."""
        return cls.new_remote(name)

    # ---- using one --------------------------------------------------------------------------
    def open(self, mode: str = "rb", block_size: int | None = None, cache_type: str = "readahead",
             cache_options: dict[str, Any] | None = None, compression: str | None = None, **kwargs: Any) -> _Opened:
        """`async with f.open()` (an awaitable handle) or `with f.open()` (a plain file);
        the SDK's block_size/cache_type/compression tune remote reads and change nothing here."""
        return _Opened(Path(self.path), mode)

    def open_sync(self, mode: str = "rb", block_size: int | None = None, cache_type: str = "readahead",
                  cache_options: dict[str, Any] | None = None, compression: str | None = None,
                  **kwargs: Any) -> _Opened:
        return self.open(mode)

    def exists_sync(self) -> bool:
        return Path(self.path).is_file()

    def download_sync(self, local_path: str | os.PathLike[str] | None = None) -> str:
        """A local copy (or the stored file itself when no path is given)."""
        if local_path is None:
            return self.path
        target = Path(local_path)
        if target.is_dir():
            target = target / self.name
        import shutil

        shutil.copyfile(self.path, target)
        return str(target)

    def cache_digest(self) -> str:
        """What the task cache keys on: the content, not the key (new_remote keys are random)."""
        if self.hash:
            return self.hash
        if self.key.startswith("sha256/"):
            return self.key.split("/")[1]
        return _sha256(Path(self.path))


class Dir(_Stored[T]):
    """A folder in the blob store; pickles as its key."""

    @classmethod
    def from_local_sync(cls, local_path: str | os.PathLike[str], remote_destination: str | None = None,
                        dir_cache_key: str | None = None, batch_size: int | None = None,
                        chunk_size: int | None = None, max_concurrency: int | None = None) -> "Dir[T]":
        """Copy a local folder into the store; `dir_cache_key` (SDK) becomes `.hash`, the cache's key."""
        source = Path(local_path)
        if not source.is_dir():
            raise NotADirectoryError(f"Dir.from_local: {source} is not a folder")
        key = f"dirs/{uuid.uuid4().hex}/{source.name}"
        target = _writable_root() / key
        tmp = target.with_name(f".{target.name}.tmp")
        import shutil

        shutil.copytree(source, tmp)
        os.replace(tmp, target)
        return cls(key, hash=dir_cache_key)

    @classmethod
    async def from_local(cls, local_path: str | os.PathLike[str], remote_destination: str | None = None,
                         dir_cache_key: str | None = None, batch_size: int | None = None,
                         chunk_size: int | None = None, max_concurrency: int | None = None) -> "Dir[T]":
        return await _in_thread(cls.from_local_sync, local_path, remote_destination, dir_cache_key)

    @classmethod
    def from_existing_remote(cls, remote_path: str | os.PathLike[str], dir_cache_key: str | None = None) -> "Dir[T]":
        return cls._existing(remote_path, dir_cache_key)

    @classmethod
    def new_remote(cls, dir_name: str | None = None, hash: str | None = None) -> "Dir[T]":  # noqa: A002
        """A new folder in the store; create files in it under `.path`."""
        made = cls(f"new/{uuid.uuid4().hex}/{dir_name or 'data'}", hash=hash)
        _writable_root()
        Path(made.path).mkdir(parents=True, exist_ok=True)
        return made

    def walk_sync(self, recursive: bool = True, file_pattern: str = "*",
                  max_depth: int | None = None) -> Iterator[File[T]]:
        """The files under the folder (sorted); `recursive=False` only its own, `max_depth` levels deep."""
        base = Path(self.path)
        found = base.rglob(file_pattern) if recursive else base.glob(file_pattern)
        for item in sorted(found):
            depth = len(item.relative_to(base).parts)
            if item.is_file() and (max_depth is None or depth <= max_depth):
                yield File.from_existing_remote(item)

    async def walk(self, recursive: bool = True, max_depth: int | None = None) -> AsyncIterator[File[T]]:
        for file in self.walk_sync(recursive=recursive, max_depth=max_depth):
            yield file

    def get_file_sync(self, file_name: str) -> File[T] | None:
        """The file of that name directly in the folder, or None."""
        candidate = Path(self.path) / file_name
        return File.from_existing_remote(candidate) if candidate.is_file() else None

    async def get_file(self, file_name: str) -> File[T] | None:
        return self.get_file_sync(file_name)

    @property
    def is_empty(self) -> bool:
        """True for the SDK's sentinel of "no folder was produced" (EmptyDir, Dir.empty()), as in the SDK; a
        real folder is never empty in this sense, even with no files."""
        return self.key == EMPTY_DIR_KEY

    @classmethod
    def empty(cls) -> "Dir[T]":
        """The sentinel Dir a task returns when it produced no folder (the SDK's Dir.empty())."""
        return EmptyDir()

    def list_files_sync(self) -> list[File]:
        """The folder's own files (non-recursive, as the SDK documents)."""
        return list(self.walk_sync(recursive=False))

    async def list_files(self) -> list[File]:
        return self.list_files_sync()

    def download_sync(self, local_path: str | os.PathLike[str] | None = None) -> str:
        if local_path is None:
            return self.path
        target = Path(local_path)
        _check_tree(Path(self.path))
        import shutil

        shutil.copytree(self.path, target, dirs_exist_ok=True)
        return str(target)

    def exists_sync(self) -> bool:
        return Path(self.path).is_dir()

    def cache_digest(self) -> str:
        if self.hash:
            return self.hash
        digest = hashlib.sha256()
        base = Path(self.path)
        _check_tree(base)
        for item in sorted(base.rglob("*")):
            if item.is_file():
                digest.update(str(item.relative_to(base)).encode() + b"\0" + _sha256(item).encode())
        return digest.hexdigest()


# ---- arrays and data frames: by reference through the store, inside pickles ----------------------
#: Arrays and frames smaller than this stay inline (a file per tiny array costs more than it saves).
BY_REFERENCE_BYTES = 64 * 1024


def dumps(value: Any, *, owned: bool) -> tuple[bytes, list[str]]:
    """Pickle `value`, writing big numpy arrays and pandas DataFrames to the store instead.

    Returns the pickle and the store keys it refers to. `owned`: the reader deletes those files
    after loading them (outputs); else the writer removes them after the call (inputs).
    """
    import io as _io

    buffer = _io.BytesIO()
    pickler = _StorePickler(buffer, protocol=5, owned=owned)
    pickler.dump(value)
    return buffer.getvalue(), pickler.keys


def _store_path(suffix: str) -> tuple[str, Path]:
    key = f"pickled/{uuid.uuid4().hex}{suffix}"
    path = _writable_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    return key, path


def write_array(value: Any) -> tuple[str, bool]:
    """Store a big array (`.npy`, no pickles): its key, and whether the file is new (the writer's to hand
    over or remove). An unmodified input array of this call is not written again: its input's key, not new.

    Why reuse: a task that returns (or passes on) an input array as it got it would otherwise read the
    whole mapping and write it again (2 x 1 GB of page traffic for a 1 GB identity task).
    """
    import numpy

    reused = unmodified_input(value)
    if reused is not None:
        return reused, False
    key, path = _store_path(".npy")
    # 0644 whatever the umask: no other call's container (they share the store's group) can write a file
    # that a call reads, or that the kernel maps as an output (an unwritten page of a private mapping
    # still shows the file's later changes)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as file:
        numpy.save(file, value, allow_pickle=False)
    return key, True


def load_array(key: str, owned: bool) -> Any:
    """The array stored under `key`, memory-mapped copy-on-write: no read copy, pages load as touched.

    Why mapped: a 1 GB array read with numpy.load costs a full copy (and twice the memory while it
    runs); a private mapping costs nothing until used, stays writable (writes go to private pages,
    never to the file), and survives the file's unlink below (the mapping holds the inode).
    A plain ndarray view is returned, so `type(x) is numpy.ndarray` holds as for a loaded array.
    """
    import numpy

    path = located(key)
    value = numpy.asarray(numpy.load(path, mmap_mode="c", allow_pickle=False))
    if owned:
        path.unlink(missing_ok=True)
    return value


def load_input(key: str) -> Any:
    """An input array inside the task (load_array), remembered so that returning it unmodified costs no
    copy (unmodified_input). The caller's file stays until the call ends (the kernel removes it)."""
    value = load_array(key, owned=False)
    try:
        inputs = _INPUTS.get()
    except LookupError:  # the first input of this call (each call runs in a context of its own: worker.py)
        inputs = {}
        _INPUTS.set(inputs)
    inputs[id(value)] = _Mapped(key, weakref.ref(value), value.ctypes.data, value.shape, value.strides,
                                value.dtype.str)
    return value


@dataclasses.dataclass(frozen=True)
class _Mapped:
    """An input array as load_input mapped it: its key, and what an in-place change of its view would alter."""

    key: str
    array: "weakref.ref[Any]"
    address: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: str


#: The input arrays of the call running in this context (load_input), by id(array), checked against a weak
#: ref. A context per call: a warm worker's concurrent (and successive) calls never see each other's inputs, so an
#: output never names a file another call's end removes.
_INPUTS: "contextvars.ContextVar[dict[int, _Mapped]]" = contextvars.ContextVar("flyte_nb_input_arrays")


def unmodified_input(value: Any) -> str | None:
    """The key of the input file `value` maps, when it is that very input array (same view: data address,
    shape, strides, dtype) and no page of its mapping was written; else None (the array is written anew).

    Exact, not a guess: a copy-on-write mapping turns every page written to into an anonymous page, which
    /proc/self/smaps counts per mapping ("Anonymous:"); 0 kB means every byte is still the file's. Where
    smaps cannot be read the answer is None (a copy, as before).
    """
    mapped = _INPUTS.get({}).get(id(value))
    if mapped is None or mapped.array() is not value:
        return None
    if (value.ctypes.data, value.shape, value.strides, value.dtype.str) != \
            (mapped.address, mapped.shape, mapped.strides, mapped.dtype):
        return None
    if not located(mapped.key).is_file():
        return None
    written = anonymous_bytes(value.ctypes.data, max(value.nbytes, 1))
    return mapped.key if written == 0 else None


def anonymous_bytes(start: int, size: int) -> int | None:
    """Bytes of anonymous (written, copy-on-write) pages in the mappings that overlap [start, start+size);
    None when /proc/self/smaps is unavailable or no mapping covers the range.

    The file is read whole and searched for mapping headers (a few hundred), not parsed line by line
    (tens of thousands): 1-2 ms instead of ~8 on top of the kernel's own 10-30 ms to produce it."""
    try:
        with open("/proc/self/smaps", "rb") as smaps:
            text = smaps.read()
    except OSError:
        return None
    end, total, seen = start + size, 0, False
    for header in _MAPPING.finditer(text):
        low, high = int(header[1], 16), int(header[2], 16)
        if low < end and high > start:
            field = _ANONYMOUS.search(text, header.end())
            if field is None:
                return None
            total += int(field[1]) * 1024
            seen = True
    return total if seen else None


#: A mapping's header line in /proc/<pid>/smaps (low-high perms offset dev inode [path]), and its Anonymous field.
_MAPPING = re.compile(rb"^([0-9a-f]+)-([0-9a-f]+) ", re.M)
_ANONYMOUS = re.compile(rb"^Anonymous:\s+(\d+) kB", re.M)


def load_frame(key: str, owned: bool) -> Any:
    import pandas

    path = located(key)
    value = pandas.read_pickle(path)
    if owned:
        path.unlink(missing_ok=True)
    return value


def _by_reference(obj: Any, owned: bool, keys: list[str]) -> Any:
    import sys

    numpy = sys.modules.get("numpy")
    if numpy is not None and type(obj) is numpy.ndarray and obj.dtype.hasobject is False \
            and obj.nbytes >= BY_REFERENCE_BYTES:
        key, new = write_array(obj)
        if new:
            keys.append(key)
        return (load_array, (key, owned and new)) if owned else (load_input, (key,))
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(obj, pandas.DataFrame) and obj.memory_usage(deep=False).sum() \
            >= BY_REFERENCE_BYTES:
        key, path = _store_path(".pkl")
        obj.to_pickle(path)
        keys.append(key)
        return (load_frame, (key, owned))
    return None


def _pickler_base() -> Any:
    import cloudpickle

    return cloudpickle.Pickler


class _StorePickler(_pickler_base()):  # type: ignore[misc]
    def __init__(self, file: Any, protocol: int, owned: bool) -> None:
        super().__init__(file, protocol=protocol)
        self.owned = owned
        self.keys: list[str] = []

    def reducer_override(self, obj: Any) -> Any:
        plain = _without_arrow_text(obj)
        if plain is not None:  # pickled again, as the same data in Python-backed text columns
            return _same, (plain,)
        reduced = _by_reference(obj, self.owned, self.keys)
        if reduced is not None:
            return reduced
        return super().reducer_override(obj)


def _same(value: Any) -> Any:
    return value


def _without_arrow_text(obj: Any) -> Any:
    """A pandas frame/series/index whose text is pyarrow-backed, rebuilt with Python-backed text; else None.

    Why: with pyarrow installed in the kernel, pandas 3 keeps every text column in pyarrow arrays
    (its default `str` dtype), so a pickled input would need pyarrow in the task's image although
    the user's data is plain strings. The values and the dtype's missing-value marker are kept;
    only the storage changes (columns the user typed as pyarrow themselves, ArrowDtype, stay).
    """
    import sys

    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(obj, (pandas.DataFrame, pandas.Series, pandas.Index)):
        return None

    def arrow_text(dtype: Any) -> bool:
        return isinstance(dtype, pandas.StringDtype) and dtype.storage == "pyarrow"

    def plain(dtype: Any) -> Any:
        return pandas.StringDtype("python", na_value=dtype.na_value)

    if isinstance(obj, pandas.Index):
        return obj.astype(plain(obj.dtype)) if arrow_text(obj.dtype) else None
    index = obj.index.astype(plain(obj.index.dtype)) if arrow_text(obj.index.dtype) else None
    if isinstance(obj, pandas.Series):
        if not arrow_text(obj.dtype) and index is None:
            return None
        out = obj.astype(plain(obj.dtype)) if arrow_text(obj.dtype) else obj.copy(deep=False)
    else:
        texts = {name: plain(dtype) for name, dtype in obj.dtypes.items() if arrow_text(dtype)}
        if not texts and index is None and not arrow_text(obj.columns.dtype):
            return None
        out = obj.astype(texts) if texts else obj.copy(deep=False)
        if arrow_text(obj.columns.dtype):
            out.columns = obj.columns.astype(plain(obj.columns.dtype))
    if index is not None:
        out.index = index
    return out


def remove(keys: list[str]) -> None:
    """The keys' files are gone from the store when this returns; a big one's memory is freed off the
    caller's path (unlink_soon)."""
    for key in keys:
        unlink_soon(located(key))


#: Files at least this big are closed (their pages freed) by a background thread after their unlink.
FREE_LATER_BYTES = 16 * 1024 * 1024
_FREEING: "concurrent.futures.ThreadPoolExecutor | None" = None


def unlink_soon(path: Path) -> None:
    """Unlink `path` now; when it is big, hold it open across the unlink and close it in a thread.

    Why: the unlink of the last name of a 1 GB file frees its 262,144 pages before it returns (0.2-0.4 s
    here, disk page cache or tmpfs alike), on the call's path. With a descriptor still open the unlink
    only drops the name (the store no longer lists it, as before) and the freeing happens at the close.
    """
    global _FREEING
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # gone already, a symlink (located refused those outside), a fifo: a plain unlink
        path.unlink(missing_ok=True)
        return
    try:
        big = os.fstat(handle).st_size >= FREE_LATER_BYTES
        path.unlink(missing_ok=True)
    except BaseException:
        os.close(handle)
        raise
    if not big:
        os.close(handle)
        return
    if _FREEING is None:
        import concurrent.futures

        _FREEING = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="flyte-nb-free")
    _FREEING.submit(os.close, handle)


def wait_freed() -> None:
    """Until the files unlink_soon handed to its thread are closed (benchmarks settle on it; tests check it)."""
    if _FREEING is not None:
        _FREEING.submit(lambda: None).result()


def __getattr__(name: str) -> Any:
    """flyte.io.DataFrame and flyte.io.PARQUET live in flyte_nb.dataframe, which builds on this module
    (imported on first use, so unpickling a DataFrame first in a container is no import cycle)."""
    if name in ("DataFrame", "PARQUET"):
        from . import dataframe

        return getattr(dataframe, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class EmptyDir(Dir[Any]):
    """The SDK's sentinel for "no folder was produced" (flyte.io.EmptyDir): a Dir whose is_empty is True.

    It travels as a plain Dir with the sentinel key (as the SDK's comes back as a plain Dir), so callers
    branch on `d.is_empty`, not on isinstance(d, EmptyDir).
    """

    def __init__(self, *_: Any, **__: Any) -> None:
        super().__init__(EMPTY_DIR_KEY, "")

    @property
    def path(self) -> str:
        return EMPTY_DIR_KEY


class HashFunction:
    """The SDK's HashFunction: a user function as a File.from_local(hash_method=...) hash method.

    update(data) stores fn(data), result() returns the last value (the SDK's semantics: the function sees
    each piece of data it is fed and the last result counts).
    """

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def update(self, data: Any) -> None:
        self._value = self._fn(data)

    def result(self) -> str:
        return self._value  # type: ignore[no-any-return]

    def reset(self) -> None:
        """The SDK's HashMethod protocol has it (optional); nothing to reset."""

    @classmethod
    def from_fn(cls, fn: Any) -> "HashFunction":
        return cls(fn)
