"""Where this process's cgroup files are, on either hierarchy (v1 or v2), and how to read them.

Two readers share this: host_limits.py (what a container may use: quotas, memory limits) and
usage.py (what a task's container did use: peak memory, CPU time), which runs inside every
container, so this module needs nothing but the standard library.

Inside a container the process's own cgroup is the root of what it sees (Docker mounts it at
/sys/fs/cgroup, v1 or v2, while /proc/self/cgroup may still name the host's path): a path
that is not visible falls back to the hierarchy's root.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Folders:
    """This process's cgroup folders: the same folder for every controller on v2, one per controller on v1."""

    version: str  # "v1" or "v2"
    memory: Path
    cpu: Path  # v1: the cpu controller (cfs quota); v2: the unified folder
    cpuacct: Path  # v1: the cpuacct controller (usage); v2: the unified folder


def folders(root: Path = Path("/")) -> Folders:
    """The cgroup folders of this process; `root` is where /proc and /sys are (tests prepare a tree)."""
    paths: dict[str, str] = {}
    for line in (read(root / "proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2].lstrip("/")
    base = root / "sys/fs/cgroup"
    if "" in paths and (base / "cgroup.controllers").exists():  # the unified (v2) hierarchy
        folder = _existing(base, paths[""])
        return Folders("v2", folder, folder, folder)
    return Folders("v1", _v1(base, "memory", paths), _v1(base, "cpu", paths), _v1(base, "cpuacct", paths))


def _v1(base: Path, controller: str, paths: dict[str, str]) -> Path:
    """A v1 controller's folder: mounted alone (cpu) or co-mounted (cpu,cpuacct)."""
    mount = base / controller
    if not mount.is_dir() and base.is_dir():
        mount = next((child for child in sorted(base.iterdir())
                      if child.is_dir() and controller in child.name.split(",")), mount)
    return _existing(mount, paths.get(controller, ""))


def _existing(base: Path, relative: str) -> Path:
    """The process's cgroup folder, or the hierarchy's root when it is not visible (a cgroup namespace)."""
    folder = base / relative
    return folder if relative and folder.is_dir() else base


def read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


class KeptOpen:
    """Files read again and again (a warm worker's meter reads its cgroup at every call's start and end):
    opened once and read with pread, about a microsecond a read against tens for open, read and close."""

    def __init__(self) -> None:
        self.files: dict[Path, int] = {}
        self.lock = threading.Lock()

    def read(self, path: Path) -> str | None:
        try:
            with self.lock:
                fd = self.files.get(path)
                if fd is None:
                    fd = self.files[path] = os.open(path, os.O_RDONLY)
            return os.pread(fd, 1 << 16, 0).decode()
        except OSError:
            return None


def number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def byte_count(text: str | None) -> int | None:
    """A byte count, or None for "max" and v1's "no limit" (about 2**63)."""
    value = number(text)
    return value if value is not None and 0 < value < 2**62 else None


def stat_field(text: str | None, name: str) -> int | None:
    """One `name value` line of a flat keyed file (cpu.stat, memory.stat)."""
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name and parts[1].isdigit():
            return int(parts[1])
    return None
