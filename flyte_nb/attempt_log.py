"""An attempt's log: a bounded tail in the kernel's memory, every line in a private file on disk.

A task that prints a million lines must not grow the kernel by the size of its output (it
did: 150 MiB for 1e6 lines, kept for the kernel's life in the run record). So the record
keeps the last TAIL_LINES lines, for the cell view and the error messages, and appends all
lines, in batches, to `<data dir>/logs/<pid>-<n>.log` (0600 in a 0700 folder: logs may
show what a task read). Reading the log (%flyte_logs, the sidebar, `run.logs`) streams that
file, so what the user sees is the whole log.

Policy: a log file lives as long as its run record: it is removed when the record is dropped
(registry.clear(), which tests and %reset use, or the record being collected) and at the kernel's exit; files of kernels that died without
exiting are removed by the next kernel that writes a log.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import weakref
from pathlib import Path
from typing import Iterator

from .paths import PRIVATE_FILE, data_dir, private_dir, remove_quietly

#: Lines kept in memory per attempt (the cell view shows at most this many).
TAIL_LINES = 1000
#: Lines (or characters) gathered before one write to disk.
BATCH_LINES = 512
BATCH_CHARS = 1 << 16

_numbers = itertools.count(1)
_swept: set[Path] = set()


def logs_dir() -> Path:
    return data_dir() / "logs"


class AttemptLog:
    """List-like (append, iterate, len, ==) log of one attempt; iteration reads the whole log from disk."""

    def __init__(self) -> None:
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.count = 0
        self.path: Path | None = None
        self._pending: list[str] = []
        self._pending_chars = 0
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None

    def discard(self) -> None:
        """Forget the lines and remove the file now (the record is being dropped)."""
        with self._lock:
            self.tail.clear()
            self._pending.clear()
            self._pending_chars = 0
            self.count = 0
            if self._finalizer is not None:
                self._finalizer()  # removes the file, once
            self.path = None

    def append(self, line: str) -> None:
        with self._lock:
            self.tail.append(line)
            self.count += 1
            self._pending.append(line)
            self._pending_chars += len(line)
            if len(self._pending) >= BATCH_LINES or self._pending_chars >= BATCH_CHARS:
                self._flush()

    def _flush(self) -> None:
        """Append the pending lines to the file (made on the first flush); the lock is held."""
        if not self._pending:
            return
        if self.path is None:
            self.path = _new_file()
            self._finalizer = weakref.finalize(self, remove_quietly, self.path)  # the file goes with the record, or at exit
        with open(self.path, "a", encoding="utf-8", errors="replace") as file:
            file.write("".join(self._pending))
        self._pending.clear()
        self._pending_chars = 0

    def __iter__(self) -> Iterator[str]:
        """Every line of the attempt, from disk (then the ones not written yet)."""
        with self._lock:
            in_memory = list(self.tail) if self.count <= len(self.tail) else None  # nothing left memory yet
            if in_memory is None:
                self._flush()
            path = self.path
        if in_memory is not None or path is None:
            yield from in_memory or []
            return
        with open(path, encoding="utf-8", errors="replace", newline="") as file:
            yield from file

    def __len__(self) -> int:
        return self.count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, AttemptLog)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"AttemptLog({self.count} lines, {len(self.tail)} in memory, file={self.path})"

    def __getstate__(self) -> dict[str, object]:  # a copied record keeps the lines, not the file
        return {"lines": list(self)}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]
        for line in state["lines"]:  # type: ignore[attr-defined]
            self.append(line)


def _new_file() -> Path:
    folder = private_dir(logs_dir())
    if folder not in _swept:
        _swept.add(folder)
        _sweep(folder)
    path = folder / f"{os.getpid()}-{next(_numbers)}.log"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
    return path


def _sweep(folder: Path) -> None:
    """Remove the logs of kernels that are gone (a killed kernel runs no exit handler)."""
    for path in folder.glob("*-*.log"):
        pid = path.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            remove_quietly(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
