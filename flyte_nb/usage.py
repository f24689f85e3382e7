"""What one task call used: peak memory, CPU time and wall time, and a few samples taken while it ran.

Measured where the task runs, by the shim (a cold container's, a warm worker's or a local
subprocess's), and sent to the kernel as it goes over the call's authenticated controller
socket (flyte_nb.protocol: the kernel checks the frame's MAC before it decodes a byte):

* a container: its own cgroup, v2 (memory.current, memory.peak, cpu.stat usage_usec) or v1
  (memory.usage_in_bytes, memory.max_usage_in_bytes, cpuacct.usage); the kernel's high-water
  mark, so a short spike between two samples still counts;
* a warm worker's call: the same cgroup, but the container is shared by its calls and lives
  longer than one, so CPU time is counted from the call's start and the peak is the largest
  sample taken during the call;
* a local subprocess: getrusage of the shim and its children (ru_maxrss, user + system time)
  and /proc/self/status for the samples.

Samples come often at first (every 0.2 s) and then less often (x1.5 each, up to 5 s), so a
one-second task has a few and an hour-long one about a thousand; the kernel thins them to
MAX_SAMPLES. A call the kernel stops (timeout, interrupt) or that the OOM killer ends has no
final frame: its record keeps the samples that arrived and says how it ended (finish()).

This module runs inside the task's container: the standard library only.
"""

from __future__ import annotations

import copy
import math
import os
import resource
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import cgroups

FIRST_INTERVAL = 0.2
GROWTH = 1.5
MAX_INTERVAL = 5.0
#: Samples kept per attempt in the kernel; beyond, every other one is dropped (the first and last stay).
MAX_SAMPLES = 120
#: How the shim is told what to read: "cgroup" (a container, the default), "cgroup-standby" (a standby's one
#: call, from its start), "cgroup-shared" (a warm worker's call), "process" (a local subprocess).
SOURCE_ENV = "FLYTE_NB_USAGE"


@dataclass(frozen=True)
class Reading:
    """One look at the meter: bytes in use now, the high-water mark (None: not known), CPU seconds."""

    memory: int | None
    peak: int | None
    cpu: float | None
    limit: int | None


class CgroupReader:
    """A container's cgroup, v1 or v2 (cgroups.folders finds which)."""

    def __init__(self, root: Path = Path("/"), shared: bool = False,
                 read: Callable[[Path], str | None] = cgroups.read, where: str | None = None) -> None:
        """`shared`: the cgroup was there before the call (a warm worker's, a standby's), so CPU time counts
        from the call's start and the cgroup's high-water mark is not the call's; `where` says which."""
        self.folders = folders = cgroups.folders(root)
        self.shared = shared
        where = where or ("shared warm worker" if shared else None)
        self.source = f"cgroup {folders.version}" + (f" ({where})" if where else "")
        self._read = read  # a warm worker's keeps the files open (cgroups.KeptOpen)
        v2 = folders.version == "v2"
        # The files, joined once: a warm worker reads them at every call's start and end, and joining
        # paths cost more than its kept-open reads.
        self._memory = folders.memory / ("memory.current" if v2 else "memory.usage_in_bytes")
        self._peak = None if shared else folders.memory / ("memory.peak" if v2 else "memory.max_usage_in_bytes")
        self._limit = folders.memory / ("memory.max" if v2 else "memory.limit_in_bytes")
        self._cpu_file = folders.cpuacct / ("cpu.stat" if v2 else "cpuacct.usage")
        self._cpu_start = self._cpu() if shared else 0.0

    def _cpu(self) -> float:
        if self.folders.version == "v2":
            usec = cgroups.stat_field(self._read(self._cpu_file), "usage_usec")
            return usec / 1e6 if usec is not None else math.nan
        nsec = cgroups.number(self._read(self._cpu_file))
        return nsec / 1e9 if nsec is not None else math.nan

    def restarted(self) -> "CgroupReader":
        """The same cgroup with CPU time counted from now: a warm worker's next call, without looking for
        the cgroup's folders again."""
        reader = copy.copy(self)
        reader._cpu_start = self._cpu() if self.shared else 0.0
        return reader

    def read(self) -> Reading:
        memory = cgroups.number(self._read(self._memory))
        peak = None if self._peak is None else cgroups.number(self._read(self._peak))
        limit = cgroups.byte_count(self._read(self._limit))
        cpu = self._cpu() - self._cpu_start
        return Reading(memory=memory, peak=peak, cpu=None if math.isnan(cpu) else max(0.0, cpu), limit=limit)


class ProcessReader:
    """A local subprocess: this process and the children it waited for (getrusage, /proc)."""

    source = "process"

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = root

    def read(self) -> Reading:
        me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        memory = None
        for line in (cgroups.read(self.root / "proc/self/status") or "").splitlines():
            if line.startswith("VmRSS:") and line.split()[1].isdigit():
                memory = int(line.split()[1]) * 1024
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        return Reading(memory=memory, peak=max(me.ru_maxrss, children.ru_maxrss) * 1024,  # KiB on Linux
                       cpu=me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
                       limit=soft if 0 < soft < 2**62 else None)


def reader_for(source: str | None) -> CgroupReader | ProcessReader:
    if source == "process":
        return ProcessReader()
    if source == "cgroup-standby":  # one call, in a container started before it (runners/standby.py)
        return CgroupReader(shared=True, where="standby container, from the call's start")
    return CgroupReader(shared=source == "cgroup-shared")


class Meter:
    """Samples a reader on a daemon thread and sends each sample, then the final figures, with `send`.

    `send` gets the frame's "usage" field (plain numbers); a failure to send (the kernel went away,
    the call was stopped) is ignored: measuring never fails a task.
    """

    def __init__(self, reader: CgroupReader | ProcessReader, send: Callable[[dict[str, Any]], Any],
                 clock: Callable[[], float] = time.monotonic, age: float = 0.0) -> None:
        self.reader = reader
        self.send = send
        self.clock = clock
        self.started = clock() - age  # wall time counts from the process's start: CPU time does too
        self.peak_seen = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None  # made by start (a warm call's meter has none)

    def start(self) -> "Meter":
        """The first sample now, before the task runs (a task that is OOM-killed at once still has one),
        then the others from a daemon thread."""
        self._deliver(False)
        self._thread = threading.Thread(target=self._run, name="flyte-nb-usage", daemon=True)
        self._thread.start()
        return self

    def frame(self, final: bool) -> dict[str, Any]:
        reading = self.reader.read()
        with self._lock:
            self.peak_seen = max(self.peak_seen, reading.memory or 0, reading.peak or 0)
            peak = self.peak_seen or None
        return {"t": round(self.clock() - self.started, 4), "memory": reading.memory, "peak": peak,
                "cpu": None if reading.cpu is None else round(reading.cpu, 4), "limit": reading.limit,
                "source": self.reader.source, "final": final}

    def _deliver(self, final: bool) -> None:
        self._send(self.frame(final))

    def _send(self, frame: dict[str, Any]) -> None:
        try:
            self.send(frame)
        except Exception:  # noqa: BLE001 - the kernel may be gone or busy; the task goes on
            pass

    def _run(self) -> None:
        interval = FIRST_INTERVAL
        while not self._stop.wait(interval):
            self._deliver(False)
            interval = min(MAX_INTERVAL, interval * GROWTH)

    def stop(self) -> None:
        """The final figures (wall time up to now), after the sampling thread has stopped."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        self._deliver(True)


def process_age(root: Path = Path("/")) -> float:
    """Seconds since this process started (/proc/self/stat's start time against /proc/uptime); 0 if unknown."""
    try:
        start_ticks = int(cgroups.read(root / "proc/self/stat").rsplit(")", 1)[1].split()[19])  # type: ignore[union-attr]
        uptime = float(cgroups.read(root / "proc/uptime").split()[0])  # type: ignore[union-attr]
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (AttributeError, IndexError, ValueError, OSError):
        return 0.0


def metered(controller: str, token: str, source: str | None = None) -> Meter:
    """A started meter that sends its frames to the call's controller (op "usage"). A cold container's or
    local subprocess's wall time counts from its process's start; a warm worker's or a standby's call from the
    call's."""
    from . import protocol

    reader = reader_for(source if source is not None else os.environ.get(SOURCE_ENV))
    return Meter(reader, lambda usage: protocol.request(controller, {"op": "usage", "usage": usage}, token),
                 age=0.0 if getattr(reader, "shared", False) else process_age()).start()


# ---- the kernel's side -----------------------------------------------------------------------
@dataclass
class Sample:
    t: float  # seconds since the task's process started
    at: float  # when the kernel received it (time.time(), so it sits on the run's timeline)
    memory: int | None
    cpu: float | None


@dataclass
class Usage:
    """What an attempt used, as the kernel keeps it on the attempt's record (runs.Attempt.usage)."""

    source: str = ""
    peak_memory: int | None = None
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    memory_limit: int | None = None
    samples: list[Sample] = field(default_factory=list)
    complete: bool = False  # the task sent its final figures
    ended: str | None = None  # how an incomplete measure ended: "oom", "timed_out", "cancelled", "crashed"

    def update(self, frame: Any, received: float) -> None:
        """Take one frame from the shim; ValueError (nothing changed) when it is not one."""
        if not isinstance(frame, dict):
            raise ValueError("a usage frame must be an object")
        t = _number(frame.get("t"), "t")
        memory, peak, limit = (_count(frame.get(k), k) for k in ("memory", "peak", "limit"))
        cpu = _number(frame.get("cpu"), "cpu", optional=True)
        source = frame.get("source")
        if not isinstance(source, str) or len(source) > 64:
            raise ValueError("a usage frame's source must be a short string")
        self.source, self.memory_limit = source, limit
        self.peak_memory = max(filter(None, (self.peak_memory, peak, memory)), default=None)
        self.cpu_seconds = cpu if cpu is not None else self.cpu_seconds
        self.wall_seconds = t
        if frame.get("final") is True:
            self.complete = True
        self.samples.append(Sample(t=t, at=received, memory=memory, cpu=cpu))
        if len(self.samples) > MAX_SAMPLES:
            self.samples = [*self.samples[:-1:2], self.samples[-1]]

    def finish(self, wall: float, status: str) -> None:
        """The attempt ended. Without the final figures (killed, stopped) the measure ends with the kernel's
        wall time and how it ended; an OOM kill means the container reached its limit."""
        if self.complete:
            return
        self.ended = status
        self.wall_seconds = max(self.wall_seconds or 0.0, wall)
        if status == "oom" and self.memory_limit:
            self.peak_memory = max(self.peak_memory or 0, self.memory_limit)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "peak_memory": self.peak_memory, "cpu_seconds": self.cpu_seconds,
                "wall_seconds": self.wall_seconds, "memory_limit": self.memory_limit, "complete": self.complete,
                "ended": self.ended, "samples": [[s.t, s.at, s.memory, s.cpu] for s in self.samples]}


def _number(value: Any, name: str, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"a usage frame's {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError(f"a usage frame's {name} must be a byte count, got {value!r}")
    return value


# ---- how it reads ------------------------------------------------------------------------------
def size(count: float) -> str:
    """Bytes the way the cell says them: 310 MiB, 2 GiB, 1.5 GiB, 512 KiB."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= factor:
            value = count / factor
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{int(count)} B"


def summary(usage: Usage | None, memory_limit: int | None = None) -> str:
    """'peak 310 MiB of 2 GiB, 0.9 CPU-s, 1.2s' (what is known of it); '' when nothing was measured."""
    if usage is None:
        return ""
    parts = []
    limit = usage.memory_limit or memory_limit
    if usage.peak_memory is not None:
        reached = "reached " if usage.ended == "oom" else ""
        parts.append(f"peak {reached}{size(usage.peak_memory)}" + (f" of {size(limit)}" if limit else ""))
    if usage.cpu_seconds is not None:
        parts.append(f"{usage.cpu_seconds:.1f} CPU-s")
    if usage.wall_seconds is not None:
        parts.append(f"{usage.wall_seconds:.1f}s")
    if usage.ended and usage.ended != "oom":
        parts.append(f"measured until {usage.ended.replace('_', ' ')}")
    return ", ".join(parts)
