"""How cost grows with the work: fan-out, kernel memory, cache size, sidebar messages, data size.

Each curve is a table in BENCHMARKS.md and a PNG under bench/plots/ (matplotlib, Agg). Points are
measured in one run, small to large; fan-out alternates flyte_nb and `xargs -P<cores> docker run`
at every point, the rest are flyte_nb's own growth (memory, lookup time, message size) where the
floor is the smallest point of the same curve.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .common import BASE_IMAGE, Result, Row, Stats, interleave

PLOTS = Path(__file__).resolve().parent / "plots"


@dataclass
class Curve:
    """One curve: x values, one or more named y series, units, and what was measured."""

    key: str
    title: str
    x_label: str
    y_label: str
    xs: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    log_x: bool = True

    def add(self, x: float, **ys: float) -> None:
        self.xs.append(x)
        for name, y in ys.items():
            self.series.setdefault(name, []).append(y)

    def markdown(self) -> str:
        names = list(self.series)
        lines = [f"**{self.title}** ({self.y_label}; plot `bench/plots/{self.key}.png`)", "",
                 "| " + " | ".join([self.x_label, *names]) + " |", "|" + "|".join(["---"] * (len(names) + 1)) + "|"]
        for i, x in enumerate(self.xs):
            lines.append("| " + " | ".join([_num(x), *(_num(self.series[n][i]) for n in names)]) + " |")
        return "\n".join(lines)

    def plot(self, folder: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        folder.mkdir(parents=True, exist_ok=True)
        figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
        for name, ys in self.series.items():
            axes.plot(self.xs, ys, marker="o", label=name)
        if self.log_x:
            axes.set_xscale("log")
        axes.set_xlabel(self.x_label)
        axes.set_ylabel(self.y_label)
        axes.set_title(self.title, fontsize=10)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = folder / f"{self.key}.png"
        figure.savefig(path)
        plt.close(figure)
        return path


def _num(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.3g}"


def _flyte() -> Any:
    from .cold_call import flyte_docker

    return flyte_docker()


def traced(work: Callable[[], Any]) -> tuple[int, int]:
    """Bytes Python still holds after `work` (after gc) and its peak, as tracemalloc sees them (all threads)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        work()
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return held - before, peak - before


def _rss() -> int:
    with open("/proc/self/statm", encoding="utf-8") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---- 1. fan-out throughput -------------------------------------------------------------------
def fanout(quick: bool) -> Curve:
    flyte = _flyte()
    cores = os.cpu_count() or 1
    env = flyte.TaskEnvironment(name="bench_curve_fan")

    @env.task
    async def one(x: int) -> int:
        return x

    curve = Curve("fanout", f"Fan-out throughput vs `xargs -P{cores} docker run`", "calls", "calls per second")
    for calls in (1, 4) if quick else (1, 16, 64, 256):
        async def gathered(k: int = calls) -> None:
            assert await asyncio.gather(*(one(i) for i in range(k))) == list(range(k))

        command = ["xargs", f"-P{cores}", "-I{}", "docker", "run", "--rm", "--network", "none", BASE_IMAGE,
                   "python3", "-c", "pass"]
        items = "".join(f"{i}\n" for i in range(calls))
        stats = interleave({"flyte": lambda: asyncio.run(gathered()),
                            "xargs": lambda: subprocess.run(command, input=items, text=True, check=True,
                                                            capture_output=True)},
                           repeats=1 if calls >= 64 or quick else 3, warmup=0)
        curve.add(calls, **{"flyte_nb asyncio.gather": calls / stats["flyte"].median,
                            f"xargs -P{cores} docker run": calls / stats["xargs"].median})
    return curve


# ---- 2. kernel memory per run record and per log line -------------------------------------------
def run_records(quick: bool) -> Curve:
    flyte = _flyte()
    env = flyte.TaskEnvironment(name="bench_curve_records", cache="auto")

    @env.task
    def same(x: int) -> int:
        return x

    same(1)  # the entry every later call hits: each hit is a run record, no container
    registry = flyte.registry()
    curve = Curve("run_records", "Kernel memory held by run records (cache hits)", "run records", "KiB per record")
    for count in (100, 300) if quick else (1000, 10_000, 30_000):
        registry.clear()
        held, _ = traced(lambda k=count: [same(1) for _ in range(k)])
        assert len(registry.runs) >= count
        curve.add(count, **{"KiB per record": held / count / 1024})
    registry.clear()
    return curve


def log_lines(quick: bool) -> Curve:
    flyte = _flyte()
    env = flyte.TaskEnvironment(name="bench_curve_logs")

    @env.task
    def chatty(lines: int) -> int:
        for i in range(lines):
            print(f"line {i} of the log, about sixty characters long, padded out")
        return lines

    registry = flyte.registry()
    curve = Curve("log_lines", "Kernel memory per task log size", "log lines of one call", "MiB")
    for lines in (1000, 10_000) if quick else (10_000, 100_000, 1_000_000):
        registry.clear()
        rss = _rss()
        held, peak = traced(lambda k=lines: chatty(k))
        curve.add(lines, **{"held after the call (MiB)": held / 2**20, "peak during the call (MiB)": peak / 2**20,
                            "RSS growth (MiB)": max(0, _rss() - rss) / 2**20})
    registry.clear()
    return curve


# ---- 3. cache lookup time by cache size --------------------------------------------------------
def cache_size(quick: bool) -> Curve:
    flyte = _flyte()
    from flyte_nb import cache

    env = flyte.TaskEnvironment(name="bench_curve_cache", cache="auto")

    @env.task
    def square(x: int) -> int:
        return x * x

    assert square(3) == 9
    folder = next(path for path in cache.root().iterdir() if path.is_dir() and "bench_curve_cache" in path.name)
    entry = next(folder.glob("*.entry"))
    body = entry.read_bytes()
    curve = Curve("cache_size", "Cache hit time by the number of entries in the task's folder", "entries",
                  "ms per hit (median)")
    present = 1
    for count in (10, 1000) if quick else (10, 1000, 100_000):
        for i in range(present, count):  # copies of a real entry under other keys (the writer fsyncs each)
            (folder / f"filler{i:07d}.entry").write_bytes(body)
        present = count
        for _ in range(3):
            square(3)
        samples = []
        for _ in range(30 if quick else 200):
            start = time.perf_counter()
            assert square(3) == 9
            samples.append(time.perf_counter() - start)
        curve.add(count, **{"hit (ms)": statistics.median(samples) * 1000})
    for path in folder.glob("filler*.entry"):
        path.unlink()
    flyte.registry().clear()
    return curve


# ---- 4. sidebar messages by registry size ------------------------------------------------------
class _Recorder:
    """Stands in for the comm's transport (the browser test drives the real one): keeps what is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.comm_id = "bench"

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, callback: Callable[..., Any]) -> None:
        pass

    def on_close(self, callback: Callable[..., Any]) -> None:
        pass


def sidebar(quick: bool) -> Curve:
    flyte = _flyte()
    from flyte_nb import bridge

    curve = Curve("sidebar", "Sidebar greeting (hello, registry, runs) by registry size", "tasks and runs",
                  "KiB / ms")
    registry = flyte.registry()
    for count in (10, 100) if quick else (10, 100, 1000):
        registry.clear()
        env = flyte.TaskEnvironment(name=f"bench_curve_sidebar_{count}", cache="auto")
        tasks = []
        for i in range(count):
            namespace: dict[str, Any] = {}
            exec(f"def task_{i}(x: int) -> int:\n    return x + {i}\n", namespace)  # noqa: S102 - bench fixture
            tasks.append(env.task(namespace[f"task_{i}"]))
        tasks[0](1)
        for _ in range(count):
            tasks[0](1)  # cache hits: run records without containers
        recorder = _Recorder()
        connection = bridge.Connection(recorder, bridge.bridge())
        connection.selection = ("task", tasks[-1].name)
        samples, size = [], 0
        for _ in range(5 if quick else 20):
            recorder.sent.clear()
            start = time.perf_counter()
            connection.greet()
            size = sum(len(json.dumps(message)) for message in recorder.sent)
            samples.append(time.perf_counter() - start)
        curve.add(count, **{"greeting size (KiB)": size / 1024,
                            "greeting build time (ms)": statistics.median(samples) * 1000})
    registry.clear()
    return curve


# ---- 5. data passing ---------------------------------------------------------------------------
def data_size(quick: bool) -> Curve:
    """An identity task on 1 MB / 100 MB / 1 GB arrays, each call started with its config's standby up (as
    cells a moment apart find it; back-to-back calls would time a container start), against the floor of
    the same run: one `numpy.save` of the same array into the same store, the least that moving an array
    out of the kernel's memory into another process costs (its pages must be written once)."""
    flyte = _flyte()
    import numpy
    import pandas

    from bench.cold_call import settle

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(  # the image tests/test_io.py uses
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")
    env = flyte.TaskEnvironment(name="bench_curve_data", image=image, resources=flyte.Resources(memory="4Gi"))

    @env.task
    def double_first(a: numpy.ndarray) -> numpy.ndarray:
        return a

    from flyte_nb import io

    double_first(numpy.ones(10))
    keep = settle(set())
    curve = Curve("data_size", "numpy array into and out of a task (identity), through the blob store",
                  "array size (MB)", "MB/s of in+out over the call's wall time, median")
    for megabytes in (1, 16) if quick else (1, 100, 1000):
        array = numpy.ones(megabytes * 10**6 // 8, dtype=numpy.float64)

        def call() -> float:
            start = time.perf_counter()
            out = double_first(array)
            took = time.perf_counter() - start
            assert out.shape == array.shape and float(out[-1]) == 1.0
            return took

        def floor() -> float:
            path = io.prepare_host_root() / "pickled" / "bench-floor.npy"
            start = time.perf_counter()
            with open(path, "wb") as file:
                numpy.save(file, array, allow_pickle=False)
            took = time.perf_counter() - start
            path.unlink()
            return took

        repeats = 2 if quick else 3 if megabytes >= 1000 else 5
        def quiet() -> None:  # untimed: the standby up, the last big file's pages freed (io.unlink_soon)
            settle(keep)
            io.wait_freed()

        stats = interleave({"call": call, "floor": floor}, repeats, warmup=1, self_timed=True, settle=quiet)
        curve.add(megabytes, **{"flyte_nb call": 2 * megabytes / stats["call"].median,
                                "floor: numpy.save into the store (at 2 x size)": 2 * megabytes / stats["floor"].median,
                                "call time / floor time": stats["call"].median / stats["floor"].median})
        del array
        gc.collect()
    return curve


#: Data passing at the largest size (1 GB): in and out of a task through the blob store, MB/s (issue 15).
DATA_TARGET = 2000.0


def data_target(curve: Curve) -> Row:
    """The largest array's throughput against DATA_TARGET (its MB/s in the ratio column)."""
    rate = curve.series["flyte_nb call"][-1]
    return Row(f"{curve.xs[-1]:,.0f} MB numpy array in and out of a task, MB/s (median)", None, unit="",
               ratio=rate, target=f">= {DATA_TARGET:g} MB/s", met=rate >= DATA_TARGET)


CURVES: tuple[Callable[[bool], Curve], ...] = (fanout, run_records, log_lines, cache_size, sidebar, data_size)
#: The curves to measure (bench/run.py --curve NAME); empty: all of them.
SELECTED: set[str] = set()


def run(quick: bool) -> Result:
    result = Result("curves", "How cost grows",
                    "Each curve measured in this run, smallest point first; tables here, plots in `bench/plots/` "
                    "(written by this run). Memory is what Python's `tracemalloc` sees the kernel keep after "
                    "`gc.collect()` (all threads), so the runner's own buffers count.")
    folder = Path(tempfile.mkdtemp(prefix="bench-plots-")) if quick else PLOTS  # --quick leaves the repo's alone
    for make in CURVES:
        if SELECTED and make.__name__ not in SELECTED:
            continue
        begin = time.perf_counter()
        curve = make(quick)
        path = curve.plot(folder)
        result.rows.append(Row(f"curve {curve.key} ({len(curve.xs)} points)",
                               Stats([time.perf_counter() - begin]), unit="s", scale=1.0))
        if curve.key == "data_size" and not quick:
            result.rows.append(data_target(curve))
        result.notes.append(curve.markdown() + f"\n\n![{curve.title}]({_shown(path)})")
    if quick:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _shown(path: Path) -> str:
    """The plot's path as BENCHMARKS.md (at the repo root) links it."""
    try:
        return str(path.relative_to(PLOTS.parent.parent))
    except ValueError:
        return str(path)
