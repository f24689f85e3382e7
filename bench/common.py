"""What every benchmark shares: interleaved timing, min/median/max, the machine, the result rows."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

#: The offline base image every comparison runs in (flyte.Image.from_debian_base() resolves to it).
BASE_IMAGE = "flyte-nb/debian-base:bookworm-py3.11"


@dataclass
class Stats:
    samples: list[float]

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


def interleave(sides: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1,
               self_timed: bool = False, settle: Callable[[], Any] | None = None) -> dict[str, Stats]:
    """Run the sides A, B, A, B, ... `repeats` times each (after `warmup` untimed rounds): noise hits all.

    `self_timed`: each side returns its own seconds (a peer timing inside its process), else the
    side's wall time here is the sample. `settle`, untimed, runs before every sample (e.g. until work a
    side left in the background is done).
    """
    for _ in range(warmup):
        for fn in sides.values():
            if settle is not None:
                settle()
            fn()
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            if settle is not None:
                settle()
            start = time.perf_counter()
            reported = fn()
            samples[name].append(float(reported) if self_timed else time.perf_counter() - start)
    return {name: Stats(values) for name, values in samples.items()}


#: The two conditions every latency benchmark reports: the machine as it is, and one core kept busy.
LOADS = (("quiet", False), ("one core busy", True))


@contextlib.contextmanager
def cpu_load(on: bool) -> Iterator[None]:
    """A competing CPU load while the block runs: one busy-loop process (`while True: pass`)."""
    if not on:
        yield
        return
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # running before the first sample
        yield
    finally:
        busy.kill()
        busy.wait()


def sh(*args: str, check: bool = True, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **options)


@dataclass
class Row:
    """One table row: a measured quantity, its unit ("s", "ms", "MB/s"), optional ratio and target."""

    label: str
    stats: Stats | None = None
    unit: str = "ms"
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    scale: float = 1000.0  # seconds -> unit (for time units)
    value_of: Callable[[float], float] | None = None  # for throughput rows: seconds -> MB/s

    def cells(self) -> list[str]:
        if self.stats is None:
            numbers = ["", "", ""]
        elif self.value_of is not None:  # throughput: the slowest sample gives the min
            values = sorted(self.value_of(s) for s in self.stats.samples)
            numbers = [_fmt(values[0]), _fmt(self.value_of(self.stats.median)), _fmt(values[-1])]
        else:
            numbers = [_fmt(self.stats.min * self.scale), _fmt(self.stats.median * self.scale),
                       _fmt(self.stats.max * self.scale)]
        n = str(len(self.stats.samples)) if self.stats else ""
        ratio = f"{self.ratio:.2f}" if self.ratio is not None else ""
        met = "" if self.met is None else ("yes" if self.met else "**no**")
        return [self.label, self.unit, n, *numbers, ratio, self.target, met]


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class Result:
    """A benchmark's output: its table, whether its target was met, and what the measurements say."""

    name: str
    title: str
    what: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # markdown paragraphs/lists: breakdowns, what bounds it

    @property
    def missed(self) -> list[Row]:
        return [row for row in self.rows if row.met is False]

    def markdown(self) -> str:
        header = ["measure", "unit", "n", "min", "median", "max", "ratio", "target", "met"]
        lines = [f"## {self.title}", "", self.what, "", "| " + " | ".join(header) + " |",
                 "|" + "|".join(["---"] * len(header)) + "|"]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"


def ratio_row(label: str, a: Stats, b: Stats, limit: float, what: str) -> Row:
    """The ratio of medians a/b against `limit` (a row without times)."""
    ratio = a.median / b.median
    return Row(label, None, unit="", ratio=ratio, target=f"<= {limit:g} ({what})", met=ratio <= limit)


def machine() -> dict[str, str]:
    """CPU model, cores, memory, kernel, Docker version and storage driver, Python."""
    cpu = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    docker = sh("docker", "info", "--format", "{{.ServerVersion}} / storage driver {{.Driver}} / cgroup "
                "{{.CgroupDriver}} v{{.CgroupVersion}}", check=False).stdout.strip()
    return {
        "CPU": cpu or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": platform.release(),
        "OS": _os_name(),
        "Docker": docker or "unavailable",
        "Python": sys.version.split()[0] + f" ({sys.executable})",
    }


def _os_name() -> str:
    try:
        for line in open("/etc/os-release", encoding="utf-8"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class Spans:
    """Named durations collected by wrapping functions from the outside (nothing in flyte_nb is edited)."""

    def __init__(self) -> None:
        import collections
        import threading

        self.spans: dict[str, list[float]] = collections.defaultdict(list)
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []

    def add(self, key: str, seconds: float) -> None:
        with self._lock:
            self.spans[key].append(seconds)

    def median(self, key: str) -> float:
        values = self.spans.get(key)
        return statistics.median(values) if values else 0.0

    def wrap(self, owner: Any, name: str, key: str | None = None) -> None:
        """Time every call of owner.name (sync or async) under `key`."""
        import functools
        import inspect

        original = getattr(owner, name, None)
        key = key or name
        if original is None:  # the code under test changed: that step shows as "not called"
            return
        if inspect.iscoroutinefunction(original):
            @functools.wraps(original)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.add(key, time.perf_counter() - start)
        else:
            @functools.wraps(original)
            def wrapper(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.add(key, time.perf_counter() - start)
        had = name in vars(owner) if isinstance(owner, type) else True
        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original) if had else delattr(owner, name))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def table(self, rows: list[tuple[str, str]], total: float, title: str) -> str:
        lines = [title, "", "| step | median | share of the call |", "|---|---|---|"]
        for label, key in rows:
            if not self.spans.get(key):
                lines.append(f"| {label} | not called | |")
                continue
            value = self.median(key)
            lines.append(f"| {label} | {value * 1e3:.3f} ms | {value / total:.0%} |")
        return "\n".join(lines)


def loop_hop() -> Callable[[], Any]:
    """One empty round trip to flyte_nb's runtime loop, as a task call makes (the floor of any call)."""
    import asyncio

    from flyte_nb.runtime import runtime

    async def nothing() -> None:
        await asyncio.sleep(0)

    return lambda: runtime().wait(runtime().submit(nothing()))


def thread_hop() -> Callable[[], Any]:
    """A round trip through asyncio.to_thread on the runtime loop (each to_thread in a call costs this)."""
    import asyncio

    from flyte_nb.runtime import runtime

    async def hop() -> None:
        await asyncio.to_thread(lambda: None)

    return lambda: runtime().wait(runtime().submit(hop()))


def against_floors(name: str, call: Callable[[], Any], repeats: int) -> dict[str, Stats]:
    """`call` interleaved with the floors of any task call (an empty loop round trip, one to_thread)."""
    return interleave({name: call, "hop": loop_hop(), "thread": thread_hop()}, repeats, warmup=2)


def floor_rows(stats: dict[str, Stats], when: str = "") -> list[Row]:
    """The table rows of the two floors measured by against_floors."""
    suffix = f" ({when})" if when else ""
    return [Row(f"floor: empty round trip to the runtime loop{suffix}", stats["hop"]),
            Row(f"floor: round trip with one `asyncio.to_thread`{suffix}", stats["thread"])]


def against_floor_loaded(name: str, label: str, call: Callable[[], Any], repeats: int, limit: float
                         ) -> tuple[list[Row], dict[str, dict[str, Stats]]]:
    """`call` against the empty loop round trip, quiet and with one core busy: its rows (times, floors,
    the ratio of medians against `limit`) and the stats per load."""
    rows: list[Row] = []
    found: dict[str, dict[str, Stats]] = {}
    for when, loaded in LOADS:
        with cpu_load(loaded):
            stats = found[when] = against_floors(name, call, repeats)
        rows += [Row(f"{label} ({when})", stats[name]), *floor_rows(stats, when),
                 ratio_row(f"{label} / empty loop round trip ({when})", stats[name], stats["hop"], limit,
                           "x the loop round trip")]
    return rows, found
